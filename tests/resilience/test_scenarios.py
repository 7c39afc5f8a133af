"""ScenarioSet storage: canonical sparse masks, intervals, subsets, round trips."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.errors import InputError
from teplo.resilience.scenarios import Outages, Scenario, ScenarioSet
from teplo.resilience.system import StressSystem


def test_duplicate_entries_merge_into_hull() -> None:
    o = Outages.from_entries(np.array([0, 0, 1]), np.array([2, 2, 0]), (2, 3), np.array([0.0, 5.0, 1.0]),
                             np.array([3.0, 8.0, 2.0]))
    assert o.lost.nnz == 2
    assert o.t_off_h.tolist() == [0.0, 1.0] and o.t_on_h.tolist() == [8.0, 2.0]
    assert o.at(4.0).toarray().tolist() == [[False, False, True], [False, False, False]]
    assert o.at(1.5).toarray()[1].tolist() == [True, False, False]
    # empty intervals are dropped
    assert Outages.from_entries(np.array([0]), np.array([0]), (1, 1), 5.0, 5.0).lost.nnz == 0


def test_take_and_vstack_keep_rows_and_times() -> None:
    o = Outages.from_entries(np.array([0, 1, 2]), np.array([0, 1, 2]), (3, 3), 0.0, np.array([1.0, 2.0, 3.0]))
    t = o.take(np.array([2, 0]))
    assert t.lost.toarray().tolist() == [[False, False, True], [True, False, False]]
    assert t.t_on_h.tolist() == [3.0, 1.0]
    s = Outages.vstack([t, o])
    assert s.shape == (5, 3) and s.count().tolist() == [1, 1, 1, 1, 1]


def test_from_scenarios_round_trip(two_islands: StressSystem) -> None:
    sc = [
        Scenario("a", lost={"units": ["U2"], "sites": ["S2"]}, repair_h={"units": {"U2": 6.0}}),
        Scenario("b", lost={"power_feeders": ["city"]}, temp_c=[-15.0, -18.0, -22.0], duration_h=24.0),
    ]
    s = ScenarioSet.from_scenarios(two_islands, sc)
    assert len(s) == 2
    assert s.meta["temp_c"].tolist() == [-20.0, -22.0]  # a profile's coldest hour
    back = s.scenario(0, two_islands)
    assert back.lost["units"] == ("U2",) and back.lost["sites"] == ("S2",)
    assert back.repair_h == {"units": {"U2": 6.0}}
    assert s.scenario(1, two_islands).temp_c == [-15.0, -18.0, -22.0]
    sub = ScenarioSet.concat([s.take(np.array([1])), s.take(np.array([0]))])
    assert sub.meta["scenario_id"].tolist() == ["b", "a"]


def test_unknown_ids_and_duplicates_are_input_errors(two_islands: StressSystem) -> None:
    with pytest.raises(InputError, match="U9"):
        ScenarioSet.from_scenarios(two_islands, [Scenario("x", lost={"units": ["U9"]})])
    s = ScenarioSet.from_scenarios(two_islands, [Scenario("x")])
    with pytest.raises(InputError, match="duplicate scenario"):
        ScenarioSet.concat([s, s])
    with pytest.raises(InputError, match="duration_h"):
        ScenarioSet.from_scenarios(two_islands, [Scenario("y", duration_h=0.0)])
