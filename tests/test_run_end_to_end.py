"""`teplo.run` on a small synthetic city: every stage computes, the report is written (the sample run is slow)."""

from __future__ import annotations

import warnings
from pathlib import Path

import teplo
from teplo.errors import TeploWarning
from teplo.synth import make_city


def test_every_stage_runs_on_a_small_city(tmp_path: Path) -> None:
    settings = teplo.Settings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TeploWarning)  # e.g. buildings far from streets
        study = teplo.run(make_city(30, seed=1), settings, out_dir=tmp_path)
    assert study.meta.get("skipped", {}) == {}, study.meta.get("skipped")
    for layer in ("districts", "sites", "units", "pipes", "operation_daily", "scenarios", "building_outcomes"):
        assert layer in study.layers, layer
    assert (tmp_path / "report.html").exists() and (tmp_path / "study.gpkg").exists()
    plan = study.meta["plan_summary"]
    b = study.layers["buildings"]
    heated = b[b["heated"].astype(bool) & (b["design_load_kw"] > 0)]
    assert plan["heat_mw"] * 1000 >= heated["design_load_kw"].sum() - 1.0
    assert study.meta["operation_summary"]

