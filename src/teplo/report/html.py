"""The report page: header, navigation, sections, inline CSS and plotly; written atomically.

The page is one self-contained file: plotly.js is inlined once, every chart's
data is inlined, no fonts, images or tiles are fetched. The same study gives
the same bytes, except the optional 'generated' line.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import teplo
from teplo.climate import Climate
from teplo.report.context import ReportContext
from teplo.report.embed import plotly_script
from teplo.report.formatting import fmt_number
from teplo.report.sections import SECTION_BUILDERS, Section, key_figures, stage_status
from teplo.report.settings import ReportSettings
from teplo.study import Study

CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #d8dee6; --accent: #b03a2e; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
header.top { background: var(--bg); border-bottom: 1px solid var(--line); padding: 20px 32px 12px; }
header.top h1 { margin: 0 0 6px; font-size: 24px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; font-size: 14px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 6px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card .k { font-size: 12px; color: var(--muted); } .card .v { font-size: 19px; font-weight: 600; }
.card .s { font-size: 12px; color: var(--muted); }
ul.stages { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; }
ul.stages .done::before { content: "\\2713  "; color: #1e7b34; }
ul.stages .todo::before { content: "\\2717  "; color: var(--accent); }
nav.toc { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line);
  padding: 6px 32px; font-size: 14px; }
nav.toc a { margin-right: 16px; color: var(--ink); text-decoration: none; }
nav.toc a:hover { color: var(--accent); }
main { padding: 0 32px 40px; max-width: 1500px; }
section { border-bottom: 1px solid var(--line); padding: 10px 0 24px; }
h2 { font-size: 20px; margin: 18px 0 8px; } h3 { font-size: 16px; margin: 18px 0 6px; }
p { max-width: 95ch; }
p.missing { background: #fff4e5; border-left: 4px solid #e69500; padding: 6px 10px; }
code { background: var(--bg); padding: 1px 4px; border-radius: 3px; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 9px; vertical-align: top; }
thead th { background: var(--bg); border-bottom: 2px solid #b8c2cc; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; } td.text, th.text { text-align: left; }
td.col-description, td.col-label, td.col-unit_list { min-width: 24ch; }
tbody th { font-weight: 500; white-space: nowrap; }
tr.total td, tr.total th { font-weight: 700; border-top: 2px solid #b8c2cc; }
tbody tr:hover { background: #fafbfc; }
ol.sources { font-size: 12px; color: var(--muted); max-width: 130ch; }
details summary { cursor: pointer; margin: 8px 0; }
.plot { margin: 8px 0; border: 1px solid var(--line); border-radius: 4px; }
footer { padding: 12px 32px; color: var(--muted); font-size: 12px; }
@media print { nav.toc { display: none; } .plot { break-inside: avoid; } section { break-inside: auto; } }
"""


def render_report(ctx: ReportContext, *, stamp: bool = True) -> str:
    """The whole page as a string (see :func:`write_report`)."""
    sections = [build(ctx) for build in SECTION_BUILDERS]
    title = f"teplo report: {_area_name(ctx.study)}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style>{plotly_script()}</head>\n<body>\n"
        + _header(ctx, title, stamp)
        + _toc(sections)
        + "<main>\n"
        + "\n".join(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>\n{s.body}\n</section>' for s in sections)
        + "\n</main>\n"
        + f"<footer>Made with teplo {html.escape(teplo.__version__)}. Works offline: everything this page "
        "shows is inside this file.</footer>\n</body></html>\n"
    )


def write_report(
    study: Study,
    path: str | os.PathLike[str],
    *,
    settings_used: Mapping[str, Any] | BaseModel | None = None,
    settings: ReportSettings | None = None,
    climate: Climate | None = None,
    stamp: bool = True,
) -> Path:
    """Write the study's offline HTML report to ``path`` atomically and return the path.

    ``settings_used`` are the stage settings to list under assumptions
    (default: the study's recorded settings); ``settings`` the report's own;
    ``climate`` the climate of the load-duration curve (default: the one the
    study names, if bundled). ``stamp=False`` leaves out the 'generated' line,
    so the same study gives the same file.
    """
    ctx = ReportContext(study, settings or ReportSettings(), climate, settings_used)
    return write_atomic(Path(path), render_report(ctx, stamp=stamp))


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it over ``path``.

    The file gets the usual permissions (0666 less the umask), not the
    private 0600 of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _area_name(study: Study) -> str:
    meta = study.meta
    for key in ("area", "area_name", "name"):
        if meta.get(key):
            return str(meta[key])
    source = str(meta.get("source", "")).strip()
    return Path(source).name if source else "unnamed area"


def _header(ctx: ReportContext, title: str, stamp: bool) -> str:
    meta = ctx.study.meta
    climate, note = ctx.resolved_climate
    data_date = next((str(meta[k]) for k in ("data_date", "osm_timestamp", "source_date") if meta.get(k)),
                     "not recorded in the study")
    rows = [
        ("Area", _area_name(ctx.study)),
        ("Source data", str(meta.get("source", "not recorded"))),
        ("Date of the data", data_date),
        ("Climate", str(meta.get("climate", climate.name)) + (f" ({note})" if note else "")),
        ("Coordinates", f"computed in {meta.get('metric_crs', 'the metric CRS')}, "
                        f"input in {meta.get('input_crs', 'unknown')}"),
    ]
    if meta.get("import_report"):
        rows.append(("Import", str(meta["import_report"])))
    if stamp:
        rows.append(("Generated", f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by teplo {teplo.__version__}"))
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    cards = "".join(
        f'<div class="card"><div class="k">{html.escape(k)}</div><div class="v">{html.escape(v)}</div>'
        f'<div class="s">{html.escape(s)}</div></div>'
        for k, v, s in key_figures(ctx)
    )
    stages = "".join(
        f'<li class="{"done" if done else "todo"}">{html.escape(name)}'
        + ("" if done else f": not yet computed, run <code>{html.escape(cmd)}</code>")
        + "</li>"
        for name, done, cmd in stage_status(ctx)
    )
    return (
        f'<header class="top" id="top"><h1>{html.escape(title)}</h1><dl class="meta">{dl}</dl>'
        f'<div class="cards" id="key-figures">{cards}</div>'
        f'<ul class="stages" id="stages">{stages}</ul>'
        f'<p style="font-size:13px;color:#5b6673">Heat in MW and GWh with Gcal/h and Gcal beside them '
        f'(1 Gcal/h = 1.163 MW); money in EUR with UAH at {html.escape(fmt_number(ctx.eur_uah, 1))} UAH/EUR.</p>'
        "</header>\n"
    )


def _toc(sections: list[Section]) -> str:
    links = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    return f'<nav class="toc" id="toc">{links}</nav>\n'
