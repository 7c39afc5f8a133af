"""The report's summary tables as CSV files, for Excel and for other tools.

One file per table that the study's layers allow (the same tables the HTML
shows, :attr:`teplo.report.context.ReportContext.tables`), machine column
names with the unit in the name, plain numbers, UTF-8; each written
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from teplo.climate import Climate
from teplo.report.context import ReportContext
from teplo.report.html import write_atomic
from teplo.report.settings import ReportSettings
from teplo.study import Study


def export_tables(
    study: Study,
    directory: str | os.PathLike[str],
    *,
    settings: ReportSettings | None = None,
    climate: Climate | None = None,
) -> list[Path]:
    """Write each available summary table to ``directory/<name>.csv``; return the paths in name order."""
    ctx = ReportContext(study, settings or ReportSettings(), climate)
    out = Path(directory)
    paths = []
    for name, frame in sorted(ctx.tables.items()):
        paths.append(write_atomic(out / f"{name}.csv", frame.to_csv(lineterminator="\n")))
    return paths
