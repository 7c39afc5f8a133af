"""Synthetic street-like district heating networks for benchmarks and tests.

A square grid of streets (blocks of ``block_m``) is served as a comb: a trunk
along the first street row with branches down every street column (a tree),
plus ``n_loops`` cross streets that close loops. Buildings sit along the tree
streets, each on a tee with a service pipe. The pressure-holding producer
feeds the middle of the trunk; optionally a second producer injects a fixed
mass flow at the far corner. Pipes are sized with :func:`teplo.network.pipes.size_pipes`
from the design flows of the spanning tree (loop pipes take the mean design
flow of the streets they join). Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teplo.network.hydraulics.flows import tree_flows
from teplo.network.hydraulics.topology import build_topology
from teplo.network.pipes import load_pipe_catalogue, pipe_parameters, size_pipes
from teplo.network.water import heat_capacity_j_kgk

BLOCK_M = 100.0  # street block length [m] (a typical Soviet micro-district street grid, [E])
SERVICE_M = (10.0, 30.0)  # building service pipe length range [m] ([E])
HOUSES_PER_STREET = 4  # buildings connected along one street segment ([E])
TOTAL_HEAT_CAP_W = 30e6  # keeps the trunk within DN500 at 150 Pa/m for any N ([E])
# mean design load of a building ([E]; kharkiv-figures.md §2.1-2.2: a 9-storey block of
# 5 800 m2 at 80 W/m2 draws ≈ 460 kW, smaller buildings dominate in number)
HEAT_PER_BUILDING_W = 150e3
GROUND_C = 5.0  # ground temperature at pipe depth in the heating season [°C] ([U], Minenergo norm)
DESIGN_DT_K = 25.0  # 95/70 design difference [K] (kharkiv-figures.md §4.1)
SECOND_PRODUCER_SHARE = 0.25  # share of the design flow the optional CHP injects ([E])


@dataclass
class NetworkFrames:
    """The four input tables of :meth:`HydraulicNetwork.from_frames`."""

    nodes: pd.DataFrame
    pipes: pd.DataFrame
    consumers: pd.DataFrame
    producers: pd.DataFrame


def street_network(
    n_consumers: int,
    n_loops: int = 3,
    seed: int = 0,
    second_producer: bool = False,
    delta_t_share: float = 0.2,
    dp_pa: float = 5e5,
) -> NetworkFrames:
    """A seeded street network with ``n_consumers`` buildings and ``n_loops`` loops.

    Consumers have a fixed 70 °C return, except every ``1/delta_t_share``-th,
    which has a fixed 25 K difference. ``dp_pa`` is the pressure producer's lift.
    """
    rng = np.random.default_rng(seed)
    n_streets_needed = int(np.ceil(n_consumers / HOUSES_PER_STREET))
    side = 2
    while side * (side - 1) + (side - 1) < n_streets_needed:  # comb streets of a side x side grid
        side += 1
    grid = np.arange(side * side).reshape(side, side)  # street corners
    trunk = [(grid[0, j], grid[0, j + 1]) for j in range(side - 1)]
    branches = [(grid[i, j], grid[i + 1, j]) for j in range(side) for i in range(side - 1)]
    streets = np.array(trunk + branches, dtype=np.int64)
    cross = np.array(
        [(grid[i, j], grid[i, j + 1]) for i in range(1, side) for j in range(side - 1)],
        dtype=np.int64,
    )
    loops = cross[rng.choice(len(cross), size=min(n_loops, len(cross)), replace=False)]

    # buildings: street s gets houses on tees splitting it
    houses = np.zeros(len(streets), dtype=np.int64)
    np.add.at(houses, np.arange(n_consumers) % len(streets), 1)
    next_node = side * side
    p_from, p_to, p_len = [], [], []
    building_nodes = []
    for (a, b), k in zip(streets, houses, strict=True):
        tees = np.arange(next_node, next_node + k)
        next_node += k
        chain = np.concatenate([[a], tees, [b]])
        p_from.extend(chain[:-1])
        p_to.extend(chain[1:])
        p_len.extend([BLOCK_M / (k + 1)] * (k + 1))
        bld = np.arange(next_node, next_node + k)
        next_node += k
        p_from.extend(tees)
        p_to.extend(bld)
        p_len.extend(rng.uniform(*SERVICE_M, size=k))
        building_nodes.extend(bld)
    n_tree = len(p_from)
    p_from.extend(loops[:, 0])
    p_to.extend(loops[:, 1])
    p_len.extend([BLOCK_M] * len(loops))
    p_from_a = np.asarray(p_from, dtype=np.int64)
    p_to_a = np.asarray(p_to, dtype=np.int64)
    n_nodes = next_node

    heat_mean = min(HEAT_PER_BUILDING_W, TOTAL_HEAT_CAP_W / n_consumers)
    heat = heat_mean * rng.uniform(0.5, 1.5, size=n_consumers)
    cons_node = np.asarray(building_nodes, dtype=np.int64)
    every = max(round(1 / delta_t_share), 1) if delta_t_share > 0 else n_consumers + 1
    use_dt = (np.arange(n_consumers) % every) == every - 1

    root = grid[0, side // 2]
    total_flow = float(np.sum(heat)) / (heat_capacity_j_kgk(82.5) * DESIGN_DT_K)
    chp_node, chp_flow = grid[side - 1, side - 1], SECOND_PRODUCER_SHARE * total_flow
    feeds = (np.array([chp_node]), np.array([chp_flow])) if second_producer else None
    dn = _size(n_nodes, p_from_a, p_to_a, n_tree, root, cons_node, heat, feeds)
    params = pipe_parameters(dn, load_pipe_catalogue())
    pipes = pd.DataFrame({
        "pipe_id": [f"p{i}" for i in range(len(p_from_a))],
        "from_node": p_from_a,
        "to_node": p_to_a,
        "length_m": np.asarray(p_len),
        "inner_diameter_m": params["inner_diameter_mm"].to_numpy() / 1e3,
        "roughness_mm": params["roughness_mm"].to_numpy(),
        "u_w_per_m_k": params["u_w_per_m_k"].to_numpy(),
        "ground_temp_c": GROUND_C,
        "dn": dn,
    })  # fmt: skip
    consumers = pd.DataFrame({
        "consumer_id": [f"b{i}" for i in range(n_consumers)],
        "node": cons_node,
        "heat_w": heat,
        "return_temp_c": np.where(use_dt, np.nan, 70.0),
        "delta_t_k": np.where(use_dt, DESIGN_DT_K, np.nan),
    })  # fmt: skip
    prod = {
        "producer_id": ["boiler"], "node": [root], "mode": ["pressure"], "supply_temp_c": [95.0],
        "p_supply_pa": [6e5 + dp_pa / 2], "p_return_pa": [6e5 - dp_pa / 2],
        "mass_flow_kg_s": [np.nan],
    }  # fmt: skip
    if second_producer:
        prod = {k: [*v, w] for (k, v), w in zip(prod.items(), [
            "chp", chp_node, "mass_flow", 90.0, np.nan, np.nan, chp_flow,
        ], strict=True)}  # fmt: skip
    nodes = pd.DataFrame({"node_id": np.arange(n_nodes)})
    return NetworkFrames(nodes, pipes, consumers, pd.DataFrame(prod))


def _size(
    n_nodes: int,
    p_from: np.ndarray,
    p_to: np.ndarray,
    n_tree: int,
    root: int,
    cons_node: np.ndarray,
    heat: np.ndarray,
    feeds: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """DN per pipe from spanning-tree design flows (loop pipes: mean of their neighbours).

    ``feeds`` (nodes, kg/s) are injections of further producers, routed through the tree.
    """
    open_tree = np.arange(len(p_from)) < n_tree
    topo = build_topology(
        n_nodes, p_from, p_to, open_tree, np.array([root]), np.array([True]), cons_node
    )
    flow = heat / (heat_capacity_j_kgk(82.5) * DESIGN_DT_K)
    inj = -np.bincount(topo.local_of_node[cons_node], flow, len(topo.active_node))
    if feeds is not None:
        inj += np.bincount(topo.local_of_node[feeds[0]], feeds[1], len(topo.active_node))
    rows = topo.row_of_local
    s_rows = np.zeros(topo.n_rows)
    s_rows[rows[rows >= 0]] = inj[rows >= 0]
    design = np.zeros(len(p_from))
    design[topo.active_pipe[topo.tree]] = np.abs(tree_flows(topo, s_rows))
    # a loop pipe carries about what the streets it joins carry
    at_node = np.bincount(p_from[:n_tree], design[:n_tree], n_nodes) + np.bincount(
        p_to[:n_tree], design[:n_tree], n_nodes
    )
    deg = np.bincount(p_from[:n_tree], minlength=n_nodes) + np.bincount(
        p_to[:n_tree], minlength=n_nodes
    )
    mean_at = at_node / np.maximum(deg, 1)
    design[n_tree:] = 0.5 * (mean_at[p_from[n_tree:]] + mean_at[p_to[n_tree:]])
    return size_pipes(design)
