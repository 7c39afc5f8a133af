"""Sweeps: chunked and dask runs give exactly the in-process tables."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from teplo.resilience.generators import generate
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.settings import GeneratorSettings, StressSettings
from teplo.resilience.sweep import sweep
from teplo.resilience.synthetic import synthetic_system
from teplo.resilience.system import StressSystem, build_system

Case = tuple[StressSystem, ScenarioSet, GeneratorSettings]


@pytest.fixture(scope="module")
def case() -> Case:
    s = synthetic_system(150, 10, 2.0, seed=2, ring_share=0.3)
    system = build_system(s.buildings, s.units, s.sites, s.pipes, s.network_nodes)
    gs = GeneratorSettings(max_per_family=150, repair_h=30.0)
    scen = generate(system, temp_c=-20.0, radius_m=250.0, settings=StressSettings(generators=gs))
    return system, scen, gs


def test_chunking_does_not_change_the_tables(case: Case) -> None:
    system, scen, gs = case
    whole = sweep(system, scen, StressSettings(generators=gs, chunk_size=100_000))
    parts = sweep(system, scen, StressSettings(generators=gs, chunk_size=37))
    assert parts.chunks > 1
    pd.testing.assert_frame_equal(whole.scenarios, parts.scenarios, check_exact=True)
    pd.testing.assert_frame_equal(whole.building_outcomes, parts.building_outcomes, check_exact=True)


def test_dask_run_equals_in_process_run(case: Case) -> None:
    system, scen, gs = case
    st = StressSettings(generators=gs, chunk_size=60)
    local = sweep(system, scen, st)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        remote = sweep(system, scen, st, client=client)
    assert remote.chunks == local.chunks > 1
    pd.testing.assert_frame_equal(local.scenarios, remote.scenarios, check_exact=True)
    pd.testing.assert_frame_equal(local.building_outcomes, remote.building_outcomes, check_exact=True)
