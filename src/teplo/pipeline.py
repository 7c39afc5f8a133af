"""Composing the stages: area -> demand -> (plan -> network -> operation -> stress) -> study.

Each stage is a function from tables to tables in its own subpackage; this
module only wires them and records provenance in the study's ``meta``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from teplo.area import Area
from teplo.study import Study


def run_demand_stage(
    area: str | os.PathLike[str] | Area,
    *,
    weather: str | os.PathLike[str] | None = None,
    overrides: str | os.PathLike[str] | None = None,
    progress: Any = None,
) -> Study:
    """Import ``area`` (a path or an :class:`Area`) and compute every building's demand."""
    from teplo.climate import climate_from_file, kharkiv_climate
    from teplo.demand import compute_demand, read_overrides_csv
    from teplo.io.load import load_area

    def say(text: str) -> None:
        if progress is not None:
            progress.print(f"[bold]·[/] {text}")

    if isinstance(area, Area):
        loaded, source = area, "in-memory area"
    else:
        say(f"importing {area}")
        loaded, source = load_area(area), str(Path(area).name)
    climate = kharkiv_climate() if weather is None else climate_from_file(Path(weather))
    say(f"computing demand ({len(loaded.buildings)} buildings, climate {climate.name})")
    override_table = read_overrides_csv(Path(overrides)) if overrides is not None else None
    buildings = compute_demand(loaded.buildings, climate, overrides=override_table)
    meta = {
        "source": source,
        "metric_crs": loaded.crs.to_string(),
        "input_crs": loaded.input_crs.to_string(),
        "climate": climate.name,
        "import_report": loaded.report.summary(),
    }
    return Study(layers={"buildings": buildings, "streets": loaded.streets}, meta=meta)
