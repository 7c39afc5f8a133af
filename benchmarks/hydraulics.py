"""teplo's hydraulic solver against pandapipes on the same synthetic street networks.

For each size N it builds :func:`benchmarks.networks.street_network` (N
consumers, a few loops, one pressure-holding boiler), solves it with teplo
(timed from the input tables: ``HydraulicNetwork.from_frames`` + ``solve``) and
with pandapipes (bidirectional pipeflow with Colebrook–White, its default
tolerances, timed warm: the first pipeflow of the process, which compiles
numba code, runs on a small net before any timing), takes the best of
``--repeats`` teplo and ``--pp-repeats`` pandapipes runs (best-of, since the
machine is shared) and prints one line per size::

    consumers=N teplo_s=… pandapipes_s=… speedup=… max_flow_dev=… max_temp_dev_k=…

``max_flow_dev`` is the largest relative deviation of a mass flow (supply and
return pipes and consumers; each relative to the pandapipes flow, but to at
least 1e-4 of the producer's flow so that near-idle loop pipes count in
absolute terms); ``max_temp_dev_k`` the largest node temperature deviation.
Run: ``PYTHONPATH=src python benchmarks/hydraulics.py [--sizes 100 1000 5000]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import pandapipes_bridge
from benchmarks.networks import NetworkFrames, street_network
from teplo.network.hydraulics import HydraulicNetwork, HydraulicResult, solve

SIZES = (100, 1000, 5000)
N_LOOPS = 5  # cross streets closing loops in each benchmark network
FLOW_FLOOR_SHARE = 1e-4  # flows below this share of the producer flow are compared absolutely


@dataclass(frozen=True)
class Row:
    """One benchmark line."""

    consumers: int
    teplo_s: float
    pandapipes_s: float
    max_flow_dev: float
    max_temp_dev_k: float

    @property
    def speedup(self) -> float:
        """pandapipes time over teplo time."""
        return self.pandapipes_s / self.teplo_s

    def line(self) -> str:
        """The benchmark's output line."""
        return (
            f"consumers={self.consumers} teplo_s={self.teplo_s:.4f} "
            f"pandapipes_s={self.pandapipes_s:.4f} speedup={self.speedup:.1f} "
            f"max_flow_dev={self.max_flow_dev:.2e} max_temp_dev_k={self.max_temp_dev_k:.3f}"
        )


def _teplo(frames: NetworkFrames) -> HydraulicResult:
    net = HydraulicNetwork.from_frames(
        frames.nodes, frames.pipes, frames.consumers, frames.producers
    )
    return solve(net)


def _best_time(fn: object, repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best, out


def deviations(result: HydraulicResult, pp: dict[str, np.ndarray]) -> tuple[float, float]:
    """Largest relative mass-flow deviation and largest temperature deviation [K]."""
    floor = FLOW_FLOOR_SHARE * float(np.sum(np.abs(result.producer.mass_flow_kg_s)))
    ours = np.concatenate([
        result.pipe.supply_mass_flow_kg_s, result.pipe.return_mass_flow_kg_s,
        result.consumer.mass_flow_kg_s,
    ])  # fmt: skip
    theirs = np.concatenate([
        pp["supply_mass_flow_kg_s"], pp["return_mass_flow_kg_s"], pp["consumer_mass_flow_kg_s"],
    ])  # fmt: skip
    flow_dev = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), floor)))
    supplied = result.node.supplied
    temp_dev = float(np.max(np.abs(np.concatenate([
        result.node.t_supply_c[supplied] - pp["t_supply_c"][supplied],
        result.node.t_return_c[supplied] - pp["t_return_c"][supplied],
    ]))))  # fmt: skip
    return flow_dev, temp_dev


def warm_up_pandapipes() -> None:
    """One pipeflow on a small net, so numba compilation stays out of the timings."""
    frames = street_network(8, n_loops=1, seed=99)
    net = HydraulicNetwork.from_frames(
        frames.nodes, frames.pipes, frames.consumers, frames.producers
    )
    pandapipes_bridge.run(pandapipes_bridge.build(net))


def run_size(n_consumers: int, repeats: int = 20, pp_repeats: int = 3, seed: int = 0) -> Row:
    """Time teplo (best of ``repeats``) and pandapipes (best of ``pp_repeats``) on one
    network and compare their results."""
    frames = street_network(n_consumers, n_loops=N_LOOPS, seed=seed)
    t_teplo, result = _best_time(lambda: _teplo(frames), repeats)
    assert isinstance(result, HydraulicResult)
    model = pandapipes_bridge.build(
        HydraulicNetwork.from_frames(frames.nodes, frames.pipes, frames.consumers, frames.producers)
    )
    t_pp, _ = _best_time(lambda: pandapipes_bridge.run(model, tol=None), pp_repeats)
    flow_dev, temp_dev = deviations(result, pandapipes_bridge.results(model))
    return Row(n_consumers, t_teplo, t_pp, flow_dev, temp_dev)


def main(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark and print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=20, help="teplo runs per size (best)")
    parser.add_argument("--pp-repeats", type=int, default=3, help="pandapipes runs (best)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # pandapipes logs a warning per idle heat consumer
    warnings.filterwarnings("ignore", module="pandapipes")
    print(
        f"# pandapipes with numba: {importlib.util.find_spec('numba') is not None}", file=sys.stderr
    )
    warm_up_pandapipes()
    rows = []
    for n in args.sizes:
        row = run_size(n, repeats=args.repeats, pp_repeats=args.pp_repeats)
        print(row.line(), flush=True)
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
