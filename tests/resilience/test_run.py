"""run_stress end to end: tables follow their declarations, metrics add up, the §2.6 case holds."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.resilience.run import StressResult, run_stress
from teplo.resilience.settings import GeneratorSettings, StressSettings
from teplo.resilience.synthetic import synthetic_system
from teplo.schema import TABLES

from .conftest import buildings_table, no_gains, sites_table, units_table


@pytest.fixture(scope="module")
def result() -> StressResult:
    s = synthetic_system(150, 10, 2.0, seed=4, ring_share=0.3)
    st = StressSettings(generators=GeneratorSettings(max_per_family=200))
    return run_stress(s.buildings, s.units, s.sites, s.pipes, s.network_nodes, settings=st, radius_m=250.0)


def test_tables_follow_their_declarations(result: StressResult) -> None:
    assert list(result.scenarios.columns) == [c.name for c in TABLES["scenarios"].columns]
    assert list(result.building_outcomes.columns) == [c.name for c in TABLES["building_outcomes"].columns]
    assert len(result.building_outcomes) == len(result.system.buildings)


def test_summary_and_worst(result: StressResult) -> None:
    summary = result.summary
    assert summary.loc["total", "scenarios"] == len(result.scenarios)
    assert (summary["scenarios"] == summary[["decided_screening", "decided_network", "undecided"]].sum(axis=1)).all()
    assert set(summary.index) == {"base", "n-1", "n-2", "strike", "blackout", "gas", "pipe", "total"}
    col = "residents_below_12c_24h"
    assert result.worst[col].is_monotonic_decreasing
    assert result.worst[col].iloc[0] == result.scenarios[col].max()


def test_metrics_are_consistent(result: StressResult) -> None:
    t = result.scenarios
    base = t[t["family"] == "base"].iloc[0]
    t = t[t["family"] != "blackout"]  # the only family repaired here
    assert base["buildings_affected"] == 0 and base["unserved_heat_mwh"] == 0.0
    for limit in ("18c", "12c"):
        hours = [6, 12, 24, 48]
        counts = t[[f"buildings_below_{limit}_{h}h" for h in hours]].to_numpy()
        assert (np.diff(counts, axis=1) >= 0).all()  # no repair here: colder with time
        assert (counts[:, -1] <= t["buildings_affected"].to_numpy()).all()
    assert (t["buildings_below_18c_6h"] >= t["buildings_below_12c_6h"]).all()
    # building outcomes agree with the scenario table
    bo = result.building_outcomes
    cold_any = bo["scenarios_cold"] > 0
    assert (bo.loc[cold_any, "worst_hours_to_12c"] <= 48.0).all()
    assert (bo.loc[~cold_any, "worst_scenario_id"].eq("") | (bo.loc[~cold_any, "worst_hours_to_12c"] > 48)).all()
    d = result.detail(str(result.worst["scenario_id"].iloc[0]))
    assert (d["hours_to_12c"] <= 24.0).sum() >= result.worst["buildings_below_12c_24h"].iloc[0]


def test_reference_case_through_the_whole_chain() -> None:
    # one 16-storey panel block (τ 25 h), no gains, its only unit lost at −10 °C: 20 → 12 °C in ≈ 8 h (§2.6)
    b = buildings_table([{"id": "B1", "site_id": "S1", "priority": "hospital"}])
    u = units_table([("U1", "S1", "bmk", 200.0)])
    s = sites_table([("S1", 0.0, 0.0)])
    r = run_stress(b, u, s, families=("n-1",), temp_c=-10.0, settings=no_gains())
    row = r.scenarios.set_index("scenario_id").loc["n-1:unit:U1"]
    assert row["min_hours_to_12c"] == pytest.approx(25.0 * np.log(30 / 22))
    assert row["hospitals_affected"] == 1 and row["priority_below_12c"] == 1
    assert row["buildings_must_drain"] == 1  # 5 °C after 17 h < 48 h
    assert row["unserved_heat_mwh"] == pytest.approx(100.0 * 30 / 43 * 48 / 1e3)
    assert np.isinf(row["restore_supply_h"])
    bo = r.building_outcomes.iloc[0]
    assert bo["worst_hours_to_12c"] == pytest.approx(7.754, abs=1e-3) and bo["must_drain_in_worst"]
    assert bo["scenarios_cold"] == 2  # unit and site losses


def test_repair_and_hourly_profile() -> None:
    b = buildings_table([{"id": "B1", "site_id": "S1"}])
    u = units_table([("U1", "S1", "bmk", 200.0)])
    s = sites_table([("S1", 0.0, 0.0)])
    st = StressSettings(generators=GeneratorSettings(repair_h=10.0))
    r = run_stress(b, u, s, families=("n-1",), temp_c=-20.0, settings=st)
    row = r.scenarios.set_index("scenario_id").loc["n-1:unit:U1"]
    assert row["restore_supply_h"] == 10.0 and 10.0 < row["restore_comfort_h"] < 48.0
    assert row["buildings_below_18c_6h"] == 1 and row["buildings_below_18c_48h"] == 0
    profile = np.concatenate([np.full(24, -5.0), np.full(24, -25.0)])
    rp = run_stress(b, u, s, families=("n-1",), temp_c=profile, settings=no_gains())
    rowp = rp.scenarios.set_index("scenario_id").loc["n-1:unit:U1"]
    assert rowp["temp_c"] == -25.0
    d = rp.detail("n-1:unit:U1").iloc[0]
    t24 = -5.0 + 25.0 * np.exp(-24 / 25)
    assert d["temp_24h_c"] == pytest.approx(t24)
    assert d["temp_48h_c"] == pytest.approx(-25.0 + (t24 + 25.0) * np.exp(-24 / 25))
