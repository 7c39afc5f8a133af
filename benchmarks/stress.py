"""Stress-test throughput: scenarios screened (and fully evaluated) per minute.

Inputs are synthetic (:func:`teplo.resilience.synthetic.synthetic_system`,
documented there): a small area (≈ 600 buildings, ≈ 30 units) and a city
(8 500 buildings, ≈ 1 000 units in ≈ 300 micro-districts with tree networks,
20 % of them with a ring). Unit-loss scenarios are all N-1 losses of units,
then N-2 and N-3 losses (seeded samples) up to the requested count.

* ``screen``: availability resolved, island fractions by sparse products,
  expansion to buildings (what the ≥ 100 000 / min target is about);
* ``evaluate``: screen + cooling of every affected building + metrics tables.

* ``sweep-…`` (with ``--dask``): the whole sweep (plan, chunks, tables) in
  process and on a 2-process dask LocalCluster.

Run:  PYTHONPATH=src python benchmarks/stress.py [--case small|city|all] [--scenarios N] [--dask]
Prints one line per case and stage: ``case=… stage=… scenarios=… seconds=… per_minute=…``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from teplo.resilience.evaluate import evaluate, plan
from teplo.resilience.generators import generate, n_minus_k
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.screening import screen
from teplo.resilience.settings import GeneratorSettings, StressSettings
from teplo.resilience.sweep import sweep
from teplo.resilience.synthetic import synthetic_system
from teplo.resilience.system import StressSystem, build_system

#: case -> (buildings, sites, mean units per site)
T = TypeVar("T")

CASES: dict[str, tuple[int, int, float]] = {
    "small": (600, 20, 1.5),
    "city": (8_500, 300, 3.3),
}


def build(case: str) -> StressSystem:
    """The synthetic system of a case."""
    n_b, n_s, per_site = CASES[case]
    s = synthetic_system(n_b, n_s, per_site, seed=0)
    return build_system(s.buildings, s.units, s.sites, s.pipes, s.network_nodes)


def unit_losses(system: StressSystem, n: int) -> ScenarioSet:
    """All N-1 unit losses, then N-2 and N-3 (seeded samples) up to ``n`` scenarios in total."""
    sets = [n_minus_k(system, "units", 1)]
    for k in (2, 3):
        room = n - sum(len(x) for x in sets)
        if room > 0:
            sets.append(n_minus_k(system, "units", k, cap=room, seed=0))
    return ScenarioSet.concat(sets)


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of ``repeat`` calls [s] and the last result."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return float(best), out


def run(case: str, n: int, chunk: int, dask: bool = False) -> None:
    """Time screening and full evaluation of unit losses, then of all families, for one case."""
    t_build, system = timed(lambda: build(case))
    st = StressSettings(chunk_size=chunk)
    scen = unit_losses(system, n)
    print(f"# case={case} buildings={len(system.buildings)} units={len(system.units)} "
          f"islands={system.islands.n} pipes={system.network.n_pipes} build_s={t_build:.2f}")
    the_plan = plan(system, scen, st)
    parts = [scen.take(np.arange(a, min(a + chunk, len(scen)))) for a in range(0, len(scen), chunk)]

    def screen_all() -> int:
        return sum(int(screen(system, p, the_plan.grid).scenario.size) for p in parts)

    def evaluate_all() -> int:
        return sum(len(evaluate(system, p, the_plan, st, offset=0).scenarios) for p in parts)

    for stage, fn in (("screen", screen_all), ("evaluate", evaluate_all)):
        sec, _ = timed(fn, repeat=2)
        print(f"case={case} stage={stage} family=unit-loss scenarios={len(scen)} seconds={sec:.2f} "
              f"per_minute={len(scen) / sec * 60:,.0f}")
    if dask:
        import dask as dask_
        from distributed import Client, LocalCluster

        # the nanny's default MALLOC_TRIM_THRESHOLD_ (64 KiB) makes glibc hand every large temporary
        # array back to the OS and fault it in again: 2x slower chunks here
        dask_.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**30})
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(lambda: None)  # workers up before timing
            sec, _ = timed(lambda: sweep(system, scen, st, client=client), repeat=1)
        print(f"case={case} stage=sweep-dask-2-workers family=unit-loss scenarios={len(scen)} seconds={sec:.2f} "
              f"per_minute={len(scen) / sec * 60:,.0f}")
        sec, _ = timed(lambda: sweep(system, scen, st), repeat=1)
        print(f"case={case} stage=sweep-in-process family=unit-loss scenarios={len(scen)} seconds={sec:.2f} "
              f"per_minute={len(scen) / sec * 60:,.0f}")
    gs = GeneratorSettings(max_per_family=5_000)
    fam = generate(system, ("strike", "blackout", "gas", "pipe"), radius_m=300.0,
                   settings=StressSettings(generators=gs))
    fam_plan = plan(system, fam, st)
    sec, _ = timed(lambda: evaluate(system, fam, fam_plan, st), repeat=1)
    print(f"case={case} stage=evaluate family=strike+blackout+gas+pipe scenarios={len(fam)} seconds={sec:.2f} "
          f"per_minute={len(fam) / sec * 60:,.0f}")


def main() -> None:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", choices=["small", "city", "all"], default="all")
    p.add_argument("--scenarios", type=int, default=200_000, help="unit-loss scenarios per case")
    p.add_argument("--chunk", type=int, default=20_000, help="scenarios per chunk")
    p.add_argument("--dask", action="store_true", help="also time the full sweep on a 2-process LocalCluster")
    a = p.parse_args()
    for case in (["small", "city"] if a.case == "all" else [a.case]):
        n = min(a.scenarios, 20_000) if case == "small" else a.scenarios
        run(case, n, a.chunk, a.dask)


if __name__ == "__main__":
    main()
