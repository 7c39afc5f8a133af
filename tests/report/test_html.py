"""The page: self-contained and offline, deterministic, written atomically, every id in place."""

from __future__ import annotations

import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from teplo.report import write_report
from teplo.report.maps import MAP_DIV_ID
from teplo.report.plots import COOLING_DIV_ID, GAS_DIV_ID, LOAD_DURATION_DIV_ID
from teplo.study import Study

SECTION_IDS = ("map", "demand", "supply", "network", "operation", "resilience", "costs", "assumptions")
PLOT_IDS = (MAP_DIV_ID, LOAD_DURATION_DIV_ID, GAS_DIV_ID, COOLING_DIV_ID)


@pytest.fixture(scope="module")
def full_html(full_study: Study, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(full_study, tmp_path_factory.mktemp("html") / "report.html", stamp=False,
                        settings_used={"network": {"regime": "95/70"}})
    return path.read_text(encoding="utf-8")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(f"<{tag} {name}={value}>")


def test_every_section_and_plot_has_its_unique_id(full_html: str) -> None:
    parser = _Ids()
    parser.feed(full_html)
    for i in (*SECTION_IDS, *PLOT_IDS):
        assert parser.ids.count(i) == 1, i
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates


def test_page_is_self_contained(full_html: str) -> None:
    parser = _Ids()
    parser.feed(full_html)
    assert parser.external == [], "no src/href may point outside the page"
    # plotly.js itself names tile servers and its home page in strings it never uses here
    # (no map tiles, no logo); the browser test proves nothing is fetched at run time.
    assert full_html.count(get_plotlyjs()) == 1, "plotly.js inlined exactly once"
    ours = full_html.replace(get_plotlyjs(), "")
    for pattern in (r'src\s*=\s*["\']?https?:', r'href\s*=\s*["\']?https?:', r"<link\b", r"@import",
                    r"url\(\s*['\"]?https?:", r"<script[^>]+src="):
        assert not re.search(pattern, ours, re.IGNORECASE), pattern
    assert ours.count("Plotly.newPlot(") == len(PLOT_IDS)
    assert ours.count('"showSendToCloud": false') == len(PLOT_IDS), "no 'Share chart' upload button"


def test_ukrainian_units_sit_next_to_si(full_html: str) -> None:
    for text in ("Design load, Gcal/h", "Heat output, Gcal/h", "CAPEX, M UAH", "UAH/Gcal", "thousand Gcal",
                 "Cost, M UAH", "50.4 UAH/EUR"):
        assert text in full_html, text


def test_same_study_same_bytes_unless_stamped(full_study: Study, tmp_path: Path) -> None:
    a = write_report(full_study, tmp_path / "a.html", stamp=False).read_bytes()
    b = write_report(full_study, tmp_path / "b.html", stamp=False).read_bytes()
    assert a == b
    stamped = write_report(full_study, tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<dt>Generated</dt>" in stamped
    assert b"<dt>Generated</dt>" not in a


def test_written_atomically_with_normal_permissions(demand_only_study: Study, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    path = write_report(demand_only_study, target, stamp=False)
    assert path == target and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"], "no temporary file left"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_failed_write_leaves_the_old_file(demand_only_study: Study, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(demand_only_study, target, stamp=False)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_header_names_area_source_climate_and_stages(demand_only_study: Study, tmp_path: Path) -> None:
    page = write_report(demand_only_study, tmp_path / "r.html", stamp=False).read_text(encoding="utf-8")
    assert "moscow.osm.gz" in page and "Kharkiv 2015-2016" in page and "Date of the data" in page
    assert 'class="todo">plan: not yet computed, run <code>teplo plan</code>' in page
    assert 'class="done">demand' in page
