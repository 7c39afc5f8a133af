"""CSV export of the summary tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from teplo.report import export_tables
from teplo.study import Study


def test_full_study_exports_every_table(full_study: Study, tmp_path: Path) -> None:
    paths = export_tables(full_study, tmp_path / "csv")
    names = {p.stem for p in paths}
    assert names == {
        "demand_by_typology", "load_duration", "units_by_type", "sites", "districts", "plan_figures",
        "network_by_dn", "network_figures", "cost_figures", "operation_figures", "operation_city_daily",
        "resilience_by_family", "worst_scenarios", "resilience_cost",
    }
    demand = pd.read_csv(tmp_path / "csv" / "demand_by_typology.csv", index_col=0)
    assert {"design_mw", "design_gcal_h", "annual_thousand_gcal"} <= set(demand.columns)
    assert pd.api.types.is_float_dtype(demand["design_gcal_h"])  # plain numbers, no separators
    units = pd.read_csv(tmp_path / "csv" / "units_by_type.csv", index_col=0)
    assert "capex_muah" in units.columns and "total" in units.index
    load = pd.read_csv(tmp_path / "csv" / "load_duration.csv")
    assert len(load) == 8760 and load["load_mw"].is_monotonic_decreasing
    assert not list((tmp_path / "csv").glob(".*")), "no temporary files left"


def test_demand_only_study_exports_only_what_exists(demand_only_study: Study, tmp_path: Path) -> None:
    names = [p.name for p in export_tables(demand_only_study, tmp_path)]
    assert names == ["demand_by_typology.csv", "load_duration.csv"]
