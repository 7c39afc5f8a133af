"""Worst k strikes: greedy + swap against the exact optimum on a small case."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.resilience.interdiction import milp_strikes
from teplo.resilience.synthetic import synthetic_system
from teplo.resilience.system import build_system
from teplo.resilience.worst_case import (
    StrikeObjective,
    compare,
    exhaustive,
    strike_candidates,
    worst_strikes,
)


def _objective(seed: int, n_buildings: int = 120, n_sites: int = 10) -> StrikeObjective:
    s = synthetic_system(n_buildings, n_sites, 1.5, seed=seed, ring_share=0.3)
    system = build_system(s.buildings, s.units, s.sites, s.pipes, s.network_nodes)
    centres = strike_candidates(system, 200.0, 400.0)
    return StrikeObjective(system, centres, 200.0)


@pytest.fixture(scope="module")
def objective() -> StrikeObjective:
    return _objective(3)


@pytest.mark.parametrize(("seed", "n_buildings", "n_sites"), [(3, 120, 10), (8, 200, 14)])
def test_heuristic_close_to_exact(seed: int, n_buildings: int, n_sites: int) -> None:
    obj = _objective(seed, n_buildings, n_sites)
    table = compare(obj, (1, 2, 3))
    print(f"\nworst strikes, seed {seed}, {obj.centres.shape[0]} candidates: greedy+swap vs exhaustive "
          "(residents below 12 °C after 24 h)")
    print(table.to_string(index=False))
    assert (table["heuristic"] <= table["exact"] + 1e-9).all()  # exact is an upper bound
    assert table.loc[table["k"] == 1, "ratio"].item() == pytest.approx(1.0)  # greedy is exact for k = 1
    assert (table["ratio"] >= 0.9).all()
    assert (table["exact"].diff().dropna() >= 0).all()


def test_worst_strikes_table(objective: StrikeObjective) -> None:
    system = objective.system
    t = worst_strikes(system, 2, 200.0, candidates=objective.centres, method="greedy")
    assert t["k"].tolist() == [1, 2] and (t["method"] == "greedy+swap").all()
    assert len(t.loc[1, "centres_xy"]) == 2
    single = objective(np.array([[c] for c in range(objective.centres.shape[0])]))
    assert t.loc[0, "residents_below_12c"] == single.max()


def test_milp_equals_exhaustive_for_site_strikes() -> None:
    s = synthetic_system(200, 14, 1.5, seed=8, network=False)
    system = build_system(s.buildings, s.units, s.sites)
    obj = StrikeObjective(system, strike_candidates(system, 200.0, 400.0), 200.0)
    print(f"\nworst strikes, no network, {obj.centres.shape[0]} candidates: MILP vs exhaustive")
    for k in (1, 2, 3):
        exact = exhaustive(obj, k)
        milp = milp_strikes(obj, k)
        print(f"k={k} exhaustive={exact.residents_cold:.0f} milp={milp.residents_cold:.0f}")
        assert milp.residents_cold == exact.residents_cold
    t = worst_strikes(system, 2, 200.0, candidates=obj.centres, method="milp")
    assert (t["method"] == "milp").all() and t["residents_below_12c"].tolist()[1] == exhaustive(obj, 2).residents_cold
