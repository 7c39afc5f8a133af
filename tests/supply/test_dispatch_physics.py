"""Physical invariants of the dispatch on its outputs: balance, min load, storage, slack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.supply.dispatch import (
    OperationResult,
    run_operation,
    season_summary,
    unserved_events,
)
from teplo.supply.dispatch.prices import fuel_curve_segments
from teplo.supply.dispatch.settings import Horizon

from .dispatch_cases import bmk, chp, frame, no_losses, season, serial, tank, temps_for

TOL_KW = 1e-3


@pytest.fixture(scope="module")
def week() -> OperationResult:
    """A cold week of one district: 2 CHP, 3 boiler modules, a tank; DAM band prices."""
    demand, temps = season(7, seed=3)
    units = pd.DataFrame(
        [
            chp("c1", start_cost_eur=30.0),
            chp("c2", start_cost_eur=30.0),
            bmk("b1", start_cost_eur=5.0),
            bmk("b2", start_cost_eur=5.0),
            bmk("b3", start_cost_eur=5.0),
            tank("t1", heat_kw=1_500.0, kwh=6_000.0),
        ]
    )
    s = serial()
    s.electricity.mode = "bands"
    s.electricity.night_uah_mwh = 3_500.0  # cheap nights: the engines cycle and the tank shifts heat
    return run_operation(units, demand, temps, s)


def test_energy_balance_every_hour(week: OperationResult) -> None:
    r = week["A"]
    supply = r.heat_kw.sum(axis=1) + r.discharge_kw.sum(axis=1) - r.charge_kw.sum(axis=1)
    np.testing.assert_allclose(supply + r.unserved_kw, r.demand_kw + r.losses_kw, atol=TOL_KW)


def test_no_unit_below_min_load_when_on(week: OperationResult) -> None:
    r = week["A"]
    min_load = np.where(r.unit_kind == "chp", 0.5, 0.15)
    rated = np.where(r.unit_kind == "chp", 1_000.0, 2_000.0)
    on = r.on
    assert on.any(axis=0).sum() >= 3, "engines and boilers should run in a cold week"
    assert np.all(r.heat_kw[on] >= (min_load * rated)[np.nonzero(on)[1]] - TOL_KW)
    assert np.all(np.abs(r.heat_kw[~on]) <= TOL_KW)
    assert np.all(r.heat_kw <= rated[None, :] + TOL_KW)


def test_storage_within_bounds_and_consistent(week: OperationResult) -> None:
    r = week["A"]
    soc = r.soc_kwh[:, 0]
    assert soc.min() >= -TOL_KW and soc.max() <= 6_000.0 + TOL_KW
    assert np.all(r.charge_kw <= 1_500.0 + TOL_KW) and np.all(r.discharge_kw <= 1_500.0 + TOL_KW)
    assert not np.any((r.charge_kw > TOL_KW) & (r.discharge_kw > TOL_KW))
    keep = (1 - 0.00186) ** (1 / 24)
    prev = np.concatenate([[3_000.0], soc[:-1]])  # starts half full (settings.storage)
    np.testing.assert_allclose(soc, keep * prev + r.charge_kw[:, 0] - r.discharge_kw[:, 0], atol=1e-2)
    assert soc[-1] >= 3_000.0 - TOL_KW  # ends at least as full as it started
    assert r.charge_kw.sum() > 0, "cheap nights should make the tank work"


def test_power_follows_heat_of_engines(week: OperationResult) -> None:
    r = week["A"]
    ratio = np.where(r.unit_kind == "chp", 0.40 / 0.45, 0.0)
    np.testing.assert_allclose(r.power_kw, r.heat_kw * ratio[None, :], atol=TOL_KW)
    np.testing.assert_allclose(r.fuel_kw, r.heat_kw / np.where(r.unit_kind == "chp", 0.45, 0.92), atol=TOL_KW)


def test_starts_counted_and_costed(week: OperationResult) -> None:
    r = week["A"]
    on = r.on.astype(int)
    starts = np.clip(np.diff(np.vstack([np.zeros((1, on.shape[1]), int), on]), axis=0), 0, None)
    np.testing.assert_array_equal(r.starts, starts)
    summary = season_summary(week).set_index("district_id")
    expected = float((starts * np.where(r.unit_kind == "chp", 30.0, 5.0)).sum())
    assert summary.loc["A", "start_cost_eur"] == pytest.approx(expected)


def test_slack_only_when_capacity_is_short() -> None:
    demand = frame({"A": [1_000.0, 2_500.0, 3_600.0, 4_000.0, 2_000.0, 800.0]})
    units = pd.DataFrame([bmk("b1", heat_kw=3_000.0), chp("c1", heat_kw=500.0)])
    r = run_operation(units, demand, temps_for(demand), serial(), losses_kw=no_losses(demand))
    short = np.clip(demand["A"].to_numpy() - 3_500.0, 0.0, None)
    np.testing.assert_allclose(r["A"].unserved_kw, short, atol=TOL_KW)
    events = unserved_events(r)
    assert len(events) == 1
    ev = events.iloc[0]
    assert ev["district_id"] == "A" and ev["hours"] == 2
    assert ev["start"] == demand.index[2] and ev["end"] == demand.index[3]
    assert ev["unserved_mwh"] == pytest.approx(0.6)
    summary = season_summary(r).set_index("district_id")
    assert summary.loc["A", "unserved_h"] == 2 and summary.loc["city", "unserved_mwh"] == pytest.approx(0.6)


def test_no_slack_when_capacity_suffices(week: OperationResult) -> None:
    assert week["A"].unserved_kw.max() <= TOL_KW
    assert unserved_events(week).empty


def test_part_load_curve_prices_fuel_at_part_load() -> None:
    # one J208-like engine (§3.2) that must follow a load between 50 % and 100 %
    demand = frame({"A": [500.0, 750.0, 1_000.0, 600.0]})
    row = chp("c1", eff_el=0.387, eff_el_50=0.353, eff_el_75=0.376)
    r = run_operation(pd.DataFrame([row]), demand, temps_for(demand), serial(), losses_kw=no_losses(demand))
    heat = r["A"].heat_kw[:, 0]
    np.testing.assert_allclose(heat, demand["A"].to_numpy(), atol=TOL_KW)
    a, b = fuel_curve_segments(np.array([0.5, 0.75, 1.0]), np.array([0.353, 0.376, 0.387]), 0.387, 0.45)
    x = heat / 1_000.0
    expected = 1_000.0 * np.max(a[None, :] + b[None, :] * x[:, None], axis=1)
    np.testing.assert_allclose(r["A"].fuel_kw[:, 0], expected, rtol=1e-6)
    assert r["A"].fuel_kw[0, 0] > heat[0] / 0.45  # half load burns more per kWh than rated


@pytest.mark.parametrize("window_h", [None, 24])
def test_min_up_and_down_times_hold_per_module(window_h: int | None) -> None:
    # the engine is worth running only in alternate hours; min up/down 3 h forbid chattering,
    # also across rolling-horizon windows (24 h with 6 h overlap)
    n = 72
    demand = frame({"A": [1_500.0] * n})
    price = pd.Series(np.where(np.arange(n) % 2 == 0, 9_000.0, 1_000.0), index=demand.index)
    units = pd.DataFrame([chp("c1", min_up_h=3, min_down_h=3), chp("c2", min_up_h=3, min_down_h=3), bmk("b1")])
    s = serial()
    s.horizon = Horizon(window_h=window_h, overlap_h=6)
    r = run_operation(
        units, demand, temps_for(demand), s, losses_kw=no_losses(demand), power_price_uah_mwh=price
    )
    assert r["A"].on[:, :2].any()
    for k in range(2):
        on = r["A"].on[:, k].astype(int)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on, [0]])))
        runs = np.diff(edges)  # alternating on and off spells, the first on
        inner = runs[:-1] if edges[-1] == n else runs  # the last spell may be cut by the horizon
        assert np.all(inner >= 3), f"unit {k}: spells {runs}"
