"""Rolling horizon against the whole-period model, parallel districts, determinism, relaxation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.supply.dispatch import run_operation, season_summary, solve_stats
from teplo.supply.dispatch.settings import Horizon
from teplo.supply.dispatch.solve import window_bounds

from .dispatch_cases import bmk, chp, season, serial, tank


def _units(district: str = "A") -> pd.DataFrame:
    return pd.DataFrame(
        [
            chp("c1", district, start_cost_eur=30.0, min_up_h=2),
            chp("c2", district, start_cost_eur=30.0, min_up_h=2),
            bmk("b1", district, start_cost_eur=5.0),
            bmk("b2", district, start_cost_eur=5.0),
            tank("t1", district, heat_kw=1_500.0, kwh=6_000.0),
        ]
    )


def _bands(s):  # type: ignore[no-untyped-def]
    s.electricity.mode = "bands"
    s.electricity.night_uah_mwh = 3_500.0
    return s


def test_window_bounds_cover_every_hour_once() -> None:
    for n, w, o in [(100, 48, 12), (96, 48, 0), (50, 100, 10), (500, 168, 24)]:
        bounds = window_bounds(n, Horizon(window_h=w, overlap_h=o))
        kept = np.concatenate([np.arange(a, k) for a, _, k in bounds])
        np.testing.assert_array_equal(kept, np.arange(n))
        assert all(b - a <= w for a, b, _ in bounds)


def test_rolling_horizon_close_to_whole_period() -> None:
    demand, temps = season(10, seed=5)
    whole = _bands(serial())
    whole.horizon = Horizon(window_h=None)
    full = run_operation(_units(), demand, temps, whole)
    s = _bands(serial())
    s.horizon = Horizon(window_h=48, overlap_h=12)
    rolled = run_operation(_units(), demand, temps, s)
    stats = solve_stats(rolled).iloc[0]
    assert stats["windows"] == 7
    scale = season_summary(full).iloc[0]["fuel_cost_eur"]
    diff = (rolled.objective_eur - full.objective_eur) / scale
    print(f"rolling 48/12 h vs whole 240 h: objective {diff:+.2e} of the fuel cost")
    assert -1e-6 <= diff < 5e-3  # never better than the optimum, and close to it
    r = rolled["A"]
    supply = r.heat_kw.sum(axis=1) + r.discharge_kw.sum(axis=1) - r.charge_kw.sum(axis=1)
    np.testing.assert_allclose(supply + r.unserved_kw, r.demand_kw + r.losses_kw, atol=1e-3)
    assert r.soc_kwh[-1, 0] >= 3_000.0 - 1e-3


def test_deterministic() -> None:
    demand, temps = season(4, seed=9)
    a = run_operation(_units(), demand, temps, _bands(serial()))
    b = run_operation(_units(), demand, temps, _bands(serial()))
    for what in ("heat_kw", "power_kw", "soc_kwh", "on"):
        np.testing.assert_array_equal(getattr(a["A"], what), getattr(b["A"], what))
    assert a.objective_eur == b.objective_eur


def test_districts_in_parallel_match_serial() -> None:
    demand, temps = season(3, seed=11)
    demand2 = pd.concat([demand.rename(columns={"A": "A"}), (0.7 * demand).rename(columns={"A": "B"})], axis=1)
    units = pd.concat([_units("A"), _units("B").assign(unit_id=lambda f: "B-" + f["unit_id"])])
    one = run_operation(units, demand2, temps, _bands(serial()))
    par = _bands(serial())
    par.solver.max_workers = 2
    two = run_operation(units, demand2, temps, par)
    assert list(two.districts) == ["A", "B"]
    for d in ("A", "B"):
        np.testing.assert_allclose(two[d].heat_kw, one[d].heat_kw)
    stats = solve_stats(two)
    assert set(stats.columns) >= {"variables", "constraints", "integers", "solve_s", "mip_gap"}
    assert (stats["integers"] > 0).all() and (stats["mip_gap"] <= 1e-6 + 1e-9).all()


def test_relaxed_commitment_is_a_lower_bound() -> None:
    demand, temps = season(3, seed=13)
    exact = run_operation(_units(), demand, temps, _bands(serial()))
    s = _bands(serial())
    s.commitment.mode = "relaxed"
    relaxed = run_operation(_units(), demand, temps, s)
    assert solve_stats(relaxed).iloc[0]["integers"] == 0
    assert relaxed.objective_eur <= exact.objective_eur + 1e-6
    scale = season_summary(exact).iloc[0]["fuel_cost_eur"]  # the objective itself is near 0 here
    assert exact.objective_eur - relaxed.objective_eur < 0.02 * scale


def test_aggregating_identical_modules_keeps_the_optimum() -> None:
    demand, temps = season(2, seed=17)
    grouped = run_operation(_units(), demand, temps, _bands(serial()))
    s = _bands(serial())
    s.commitment.aggregate_identical = False
    single = run_operation(_units(), demand, temps, s)
    assert grouped.objective_eur == pytest.approx(single.objective_eur, rel=1e-6)
    assert solve_stats(grouped).iloc[0]["integers"] < solve_stats(single).iloc[0]["integers"]


def test_any_executor_and_progress_hook() -> None:
    # the hook a dask client plugs into: any concurrent.futures.Executor
    from concurrent.futures import ThreadPoolExecutor

    demand, temps = season(2, seed=19)
    seen: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        r = run_operation(_units(), demand, temps, _bands(serial()), executor=pool, progress=seen.append)
    assert seen == ["A"]
    assert r["A"].heat_kw.shape == (48, 4)


def test_certify_proves_the_gap_of_a_rolling_horizon() -> None:
    demand, temps = season(6, seed=23)
    whole = _bands(serial())
    whole.horizon = Horizon(window_h=None)
    full = run_operation(_units(), demand, temps, whole)
    s = _bands(serial())
    s.horizon = Horizon(window_h=36, overlap_h=12, certify=True)
    s.solver.mip_rel_gap = 1e-4
    cert = run_operation(_units(), demand, temps, s)
    stats = solve_stats(cert).iloc[0]
    assert stats["windows"] == 6
    scale = season_summary(full).iloc[0]["fuel_cost_eur"]
    assert stats["mip_gap"] <= 1e-4 + 1e-9
    assert abs(cert.objective_eur - full.objective_eur) <= 2e-4 * scale
    r = cert["A"]
    supply = r.heat_kw.sum(axis=1) + r.discharge_kw.sum(axis=1) - r.charge_kw.sum(axis=1)
    np.testing.assert_allclose(supply + r.unserved_kw, r.demand_kw + r.losses_kw, atol=1e-3)
