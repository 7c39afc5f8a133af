"""The network check of the stress tests, done by the thermo-hydraulic solver.

Screening decides most scenarios by capacity alone. Where it cannot (a pipe
lost inside a ring, supply from another site than designed), this check
solves the island with the lost pipes closed and the lost sites' producers
removed, and returns each building's supplied fraction: 0 if no path to a
working producer remains; below 1 if its differential pressure falls short,
as the flow through a substation's control valve goes with the square root
of the pressure across it (so the fraction is sqrt(dp / dp_min), a standard
valve characteristic, e.g. kv relation in EN 60534); never more than the
capacity-based fraction.

Normally closed valves. Pipes closed in the design tables (``valve_open``
False: the site-loss interconnectors of :mod:`teplo.network.interconnect`)
stay closed unless the scenario leaves a network with consumers but no
working producer: then an interconnector joining such a network to one with
exactly one working producer is opened (the operator's response to a lost
site), the largest first, repeatedly, so a chain of lost networks is fed
too. One that would join two working producers stays closed (each holds its
network's pressure; two in one network are not a valid state for the
solver): a lost network with two backup sites is fed from one of them.

When valves were opened, the working producers raise their pump head so
that the island's critical consumer keeps ``min_dp_pa`` again (as the design
state sets it), up to a supply pressure of :data:`MAX_SUPPLY_PA`: the longer
path through an interconnector would otherwise starve consumers a plant could
reach with more head. Flows do not depend on the head (consumers draw a set
heat), so a raise of the head by ``x`` raises every supplied consumer's
differential pressure by ``x``, and no second solve is needed.

Consumers draw the capacity-based share of their demand (screening's proxy
fraction: every consumer of the island throttled alike, as screening
assumes); the result is that share times the hydraulic ratio.

Cost. Only the island's part of the network is solved (its components of
the pipe graph, valves ignored, as the stress islands are formed). With no
site and no pipe of the island lost, a forest network and no consumer
drawing more than its design heat, the answer is the share without a solve:
the valves stay closed, each network runs as designed with flows that can
only fall, so every consumer keeps at least the design state's ``min_dp``
(this is what a unit loss in an island joined by interconnectors sends here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from teplo.network.hydraulics import HydraulicNetwork, solve
from teplo.resilience.network_check import IslandView, NetworkCheck, ScenarioMask

#: Highest supply pressure a back-feeding plant may run at [Pa, gauge like the design tables]:
#: 1.6 MPa, nominal pressure PN16, the limit of the EN 15632 flexible pipe systems
#: (CEN/TC 107) and the class of the valves and substations of quarter networks; EN 13941
#: allows the EN 253 steel pipes of the catalogue up to 2.5 MPa, so PN16 is the binding one [E].
MAX_SUPPLY_PA = 16e5
#: Sub-networks (island, working plants, valve state) a check keeps built for reuse [-];
#: a memory bound, each holds one island's arrays.
NETWORK_CACHE_SIZE = 64


def _labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` vertices joined by the edges ``a``-``b``."""
    m = sparse.coo_array((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    return csgraph.connected_components(m.tocsr(), directed=False)[1].astype(np.int64)


def backfeed_valves(
    n_nodes: int,
    from_node: np.ndarray,
    to_node: np.ndarray,
    normal: np.ndarray,
    available: np.ndarray,
    producer_nodes: np.ndarray,
    plant_nodes: np.ndarray,
    consumer_nodes: np.ndarray,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Which normally closed pipes to open so networks left without a producer are fed.

    Node indices ``0 .. n_nodes-1``; per pipe ``normal`` (its valve state in
    normal operation) and ``available`` (not lost); ``producer_nodes`` the
    working producers' nodes, ``plant_nodes`` every producer's node,
    ``consumer_nodes`` the consumers'. A *link* is one interconnector: the
    normally closed pipes joined through nodes that belong to no network (no
    normally open pipe, no plant). A link with all its pipes available is
    opened when it joins a network with consumers and no working producer to
    networks with exactly one working producer in all; repeated until nothing
    changes, links with the larger ``size`` (e.g. diameter) first. Returns a
    boolean mask over the pipes.
    """
    out = np.zeros(len(normal), dtype=bool)
    closed = np.flatnonzero(~normal)
    if closed.size == 0:
        return out
    anchor = np.zeros(n_nodes, dtype=bool)
    anchor[from_node[normal]] = True
    anchor[to_node[normal]] = True
    anchor[plant_nodes] = True
    # links: a graph of nodes + closed pipes, a pipe joined to its ends that are inner nodes
    k = np.arange(closed.size)
    ends = np.concatenate([from_node[closed], to_node[closed]])
    inner = ~anchor[ends]
    label = _labels(n_nodes + closed.size, np.concatenate([k, k])[inner] + n_nodes, ends[inner])
    link = label[n_nodes + k]
    order = np.lexsort((link, -(size[closed] if size is not None else np.zeros(closed.size))))
    links = [closed[link == x] for x in pd.unique(link[order])]  # one per interconnector
    links = [pipes for pipes in links if available[pipes].all()]
    open_ = normal & available
    net = _labels(n_nodes, from_node[open_], to_node[open_])
    live = np.bincount(net[producer_nodes], minlength=n_nodes)
    load = np.bincount(net[consumer_nodes], minlength=n_nodes) > 0
    root = np.arange(n_nodes)

    def find(x: np.ndarray) -> np.ndarray:
        r = root[x]
        while not np.array_equal(root[r], r):
            r = root[r]
        return r

    changed = True
    while changed:
        changed = False
        for pipes in links:
            if out[pipes[0]]:
                continue
            nets = np.unique(find(net[np.concatenate([from_node[pipes], to_node[pipes]])]))
            starved = bool((load[nets] & (live[nets] == 0)).any())
            if int(live[nets].sum()) == 1 and starved:
                out[pipes] = True
                keep = nets[np.argmax(live[nets])]
                root[nets] = keep
                live[keep], load[keep] = 1, True
                changed = True
    return out


def hydraulic_check(
    nodes: pd.DataFrame,
    pipes: pd.DataFrame,
    consumers: pd.DataFrame,
    producers: pd.DataFrame,
    *,
    pipe_order: np.ndarray,
    site_order: np.ndarray,
    max_supply_pa: float = MAX_SUPPLY_PA,
) -> NetworkCheck:
    """A :data:`NetworkCheck` over the four hydraulic tables of the designed network.

    ``pipe_order`` / ``site_order``: the pipe ids and site ids in the stress
    system's element order (to read the scenario masks); ``consumers`` are keyed
    by ``consumer_id`` = building id and ``producers`` by ``producer_id`` = site id.
    A ``valve_open`` column in ``pipes`` gives the normal valve state (default open);
    ``max_supply_pa`` [Pa] caps the head a back-feeding plant may raise to.
    """
    pipe_pos = pd.Index(pipes["pipe_id"].astype(str)).get_indexer(pd.Index(pipe_order).astype(str))
    min_dp = consumers.set_index("consumer_id")["min_dp_pa"].astype(float)
    normal = (
        pipes["valve_open"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        if "valve_open" in pipes
        else np.ones(len(pipes), dtype=bool)
    )
    node_index = pd.Index(nodes["node_id"].astype(str))
    u = node_index.get_indexer(pd.Index(pipes["from_node"].astype(str)))
    v = node_index.get_indexer(pd.Index(pipes["to_node"].astype(str)))
    cons_node = node_index.get_indexer(pd.Index(consumers["node"].astype(str)))
    plant_node = node_index.get_indexer(pd.Index(producers["node"].astype(str)))
    size = pipes["inner_diameter_m"].to_numpy(float) if "inner_diameter_m" in pipes else np.zeros(len(pipes))
    n_nodes = len(node_index)
    # the stress islands: components of all pipes, valves ignored; whether normally a forest
    comp = _labels(n_nodes, u, v)
    n_comp = int(comp.max()) + 1 if n_nodes else 0
    open_edges = np.bincount(comp[u[normal]], minlength=n_comp)
    open_comp = _labels(n_nodes, u[normal], v[normal])
    n_open_comp = np.bincount(comp[np.unique(open_comp, return_index=True)[1]], minlength=n_comp)
    forest = open_edges == np.bincount(comp, minlength=n_comp) - n_open_comp
    pipe_comp, cons_comp = comp[u], comp[cons_node]
    cons_ids = consumers["consumer_id"].astype(str).to_numpy()
    prod_ids = producers["producer_id"].astype(str).to_numpy()
    design_heat_w = consumers["heat_w"].to_numpy(float)
    networks: dict[tuple[bytes, ...], HydraulicNetwork] = {}

    def check(mask: ScenarioMask, island: IslandView) -> np.ndarray:
        ids = pd.Index(island.building_ids).astype(str)
        share = np.asarray(island.proxy_fraction, dtype=float)
        lost_sites = set(np.asarray(site_order)[~mask.sites_available].astype(str))
        # the island's part of the tables: the components holding its consumers and plants
        c_rows = np.flatnonzero(pd.Index(cons_ids).isin(ids))
        g_rows = np.flatnonzero(pd.Index(prod_ids).isin(pd.Index(island.site_ids).astype(str)))
        comps = np.unique(np.concatenate([cons_comp[c_rows], comp[plant_node[g_rows]]]))
        p_rows = np.flatnonzero(np.isin(pipe_comp, comps))
        known = pipe_pos >= 0
        lost = np.zeros(len(pipes), dtype=bool)
        lost[pipe_pos[known]] = ~mask.pipes_available[known]
        available = ~lost[p_rows]
        heat = pd.Series(island.demand_kw * 1e3 * share, index=ids).reindex(cons_ids[c_rows]).to_numpy()
        live_rows = g_rows[~np.isin(prod_ids[g_rows], list(lost_sites))]
        if live_rows.size == 0:
            return np.zeros(len(ids))
        if (
            live_rows.size == g_rows.size
            and available.all()
            and forest[comps].all()
            and (heat <= design_heat_w[c_rows] * (1 + 1e-9)).all()
        ):
            # design topology, each consumer drawing no more than at design: tree flows only fall,
            # so every consumer keeps the design state's differential pressure (>= min_dp)
            return share.copy()
        sub = np.unique(np.concatenate([u[p_rows], v[p_rows], cons_node[c_rows], plant_node[g_rows]]))
        n_normal = normal[p_rows]
        backfed = backfeed_valves(
            len(sub), np.searchsorted(sub, u[p_rows]), np.searchsorted(sub, v[p_rows]), n_normal, available,
            np.searchsorted(sub, plant_node[live_rows]), np.searchsorted(sub, plant_node[g_rows]),
            np.searchsorted(sub, cons_node[c_rows]), size[p_rows],
        )
        prod = producers.iloc[live_rows]
        valves = (n_normal & available) | backfed
        key = (comps.tobytes(), c_rows.tobytes(), live_rows.tobytes(), valves.tobytes())
        net = networks.get(key)
        if net is None:  # the same sub-network recurs across scenarios: build it once
            net = HydraulicNetwork.from_frames(
                nodes.iloc[sub], pipes.iloc[p_rows].assign(valve_open=valves),
                consumers.iloc[c_rows].assign(heat_w=heat), prod, allow_unsupplied=True,
            )
            if len(networks) >= NETWORK_CACHE_SIZE:
                networks.pop(next(iter(networks)))
            networks[key] = net
        res = solve(net.with_heat(heat), allow_unsupplied=True).consumers.reindex(ids)
        supplied = res["supplied"].fillna(False).to_numpy(bool)
        dp = res["dp_pa"].to_numpy(float)
        need = min_dp.reindex(ids).to_numpy()
        if backfed.any() and supplied.any():
            headroom = max(max_supply_pa - float(prod["p_supply_pa"].max()), 0.0)
            dp = dp + min(max(float(np.max(need[supplied] - dp[supplied])), 0.0), headroom)
        ratio = np.sqrt(np.clip(np.nan_to_num(dp, nan=0.0), 0.0, None) / need)
        frac = np.where(supplied, np.minimum(ratio, 1.0), 0.0)
        return np.asarray(share * frac, dtype=float)

    return check
