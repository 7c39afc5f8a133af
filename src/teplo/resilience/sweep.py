"""Scenario sweeps in chunks, in process or on dask.distributed.

The set's time grids are fixed once (:func:`~teplo.resilience.evaluate.plan`),
the set is cut into chunks of ``settings.chunk_size`` scenarios, each chunk
runs :func:`~teplo.resilience.evaluate.evaluate`, and the results are
concatenated (scenarios) and merged (buildings: earliest crossing, ties to
the lower scenario index). The same function runs every chunk wherever it
runs, so a dask sweep returns exactly the tables of an in-process one.

``client``: ``None`` runs in process; a :class:`distributed.Client` or a
scheduler address (``"tcp://host:8786"``) runs on that cluster;
``"local"`` starts a :class:`distributed.LocalCluster` for the sweep and
closes it afterwards. The system is scattered once to the workers; a user
``network_check`` must be picklable.

For process workers (a nanny-started cluster), raise
``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_`` (e.g. to
2**30): with dask's 64 KiB default, glibc returns every large temporary
array to the OS and faults it in again, which halves the chunk speed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from teplo.resilience.evaluate import ChunkResult, Plan, evaluate, plan
from teplo.resilience.metrics import BuildingPartial, building_table
from teplo.resilience.network_check import NetworkCheck
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.settings import StressSettings
from teplo.resilience.system import StressSystem


@dataclass(frozen=True)
class SweepResult:
    """Tables of a sweep."""

    scenarios: pd.DataFrame
    building_outcomes: pd.DataFrame
    plan: Plan
    chunks: int


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive chunks of at most ``size`` scenarios."""
    return [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]


def _run_chunk(
    system: StressSystem, part: ScenarioSet, the_plan: Plan, settings: StressSettings,
    network_check: NetworkCheck | None, offset: int,
) -> ChunkResult:
    return evaluate(system, part, the_plan, settings, network_check, offset)


@contextmanager
def _client(client: Any, n_workers: int) -> Iterator[Any]:
    """Yield a dask client for ``client`` (None, 'local', an address or a Client)."""
    if client is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if isinstance(client, Client):
        yield client
    elif client == "local":
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                          dashboard_address=None) as cluster, Client(cluster) as c:
            yield c
    else:
        with Client(str(client)) as c:
            yield c


def sweep(
    system: StressSystem,
    scenarios: ScenarioSet,
    settings: StressSettings | None = None,
    network_check: NetworkCheck | None = None,
    client: Any = None,
    n_workers: int = 2,
) -> SweepResult:
    """Evaluate every scenario; identical tables in process and on dask (see the module docstring)."""
    st = settings or StressSettings()
    the_plan = plan(system, scenarios, st)
    spans = chunks(len(scenarios), st.chunk_size)
    parts = [scenarios.take(np.arange(a, b)) for a, b in spans]
    with _client(client, n_workers) as c:
        if c is None:
            results = [_run_chunk(system, p, the_plan, st, network_check, a) for p, (a, _) in zip(parts, spans, strict=True)]
        else:
            sys_f = c.scatter(system, broadcast=True)
            plan_f = c.scatter(the_plan, broadcast=True)
            futures = [
                c.submit(_run_chunk, sys_f, p, plan_f, st, network_check, a, pure=False)
                for p, (a, _) in zip(parts, spans, strict=True)
            ]
            results = c.gather(futures)
    table = pd.concat([r.scenarios for r in results], ignore_index=True)
    merged = BuildingPartial.empty(len(system.buildings))
    for r in results:
        merged = merged.merge(r.buildings)
    outcomes = building_table(system, merged, scenarios.meta["scenario_id"].to_numpy())
    return SweepResult(table, outcomes, the_plan, len(spans))
