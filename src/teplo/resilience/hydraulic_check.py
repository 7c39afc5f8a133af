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
working producer (its site lost or, given the units, none of them left
running, e.g. in a blackout): then an interconnector joining such a network
to one with exactly one working producer is opened (the operator's response to a lost
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

Capacity. Consumers draw a capacity-based share of their demand, all of a
network throttled alike, and the result is that share times the hydraulic
ratio. Given the units, the share is worked out per network of the valve
state (:func:`_allocate`): a plant's heat reaches only the networks its open
pipes join; it serves its own network first, and sends what it has to spare
to the networks it back-feeds, each at most what its interconnectors were
sized for (the plan's backup requirement, ``capacity_kw`` in the pipes
table). So a lost site's district gets about beta of its load from its
backup site, as the plan intends, not a share of the whole island. Without
units it is screening's share over the island (every plant of the island
counted as reachable).

Cost. Only the island's part of the network is looked at (its components
of the pipe graph, valves ignored, as the stress islands are formed), and
only its networks that changed are solved: a network of the valve state with
no lost plant or pipe, no opened valve, no loop and no consumer drawing more
than its design heat runs as designed with flows that can only fall, so every
consumer keeps at least the design state's ``min_dp`` and the capacity share
stands (this is what a unit loss in an island joined by interconnectors sends
here). Answers are remembered per island state (its lost plants, pipes and
units, the temperature): scenarios differing only elsewhere reuse them.
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
#: Answers (island state -> supplied fractions) a check remembers [-]: scenarios that differ only
#: outside an island (most N-2 pairs) reuse its answer; a memory bound of a few MB.
ANSWER_CACHE_SIZE = 4096


def _labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` vertices joined by the edges ``a``-``b``."""
    m = sparse.coo_array((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    return csgraph.connected_components(m.tocsr(), directed=False)[1].astype(np.int64)


def interconnector_links(
    n_nodes: int, from_node: np.ndarray, to_node: np.ndarray, normal: np.ndarray, plant_nodes: np.ndarray
) -> np.ndarray:
    """Link id of each normally closed pipe (-1 for the others): one id per interconnector.

    A link is a set of normally closed pipes joined through nodes that belong
    to no network (no normally open pipe, no plant node), so two
    interconnectors meeting at a network's node or a plant stay two links.
    """
    link = np.full(len(normal), -1, dtype=np.int64)
    closed = np.flatnonzero(~normal)
    if closed.size == 0:
        return link
    anchor = np.zeros(n_nodes, dtype=bool)
    anchor[from_node[normal]] = True
    anchor[to_node[normal]] = True
    anchor[plant_nodes] = True
    k = np.arange(closed.size)
    ends = np.concatenate([from_node[closed], to_node[closed]])
    inner = ~anchor[ends]
    label = _labels(n_nodes + closed.size, np.concatenate([k, k])[inner] + n_nodes, ends[inner])
    link[closed] = np.unique(label[n_nodes + k], return_inverse=True)[1]
    return link


def backfeed_valves(
    n_nodes: int,
    from_node: np.ndarray,
    to_node: np.ndarray,
    normal: np.ndarray,
    available: np.ndarray,
    link: np.ndarray,
    producer_nodes: np.ndarray,
    consumer_nodes: np.ndarray,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Which normally closed pipes to open so networks left without a producer are fed.

    Node indices ``0 .. n_nodes-1``; per pipe ``normal`` (its valve state in
    normal operation), ``available`` (not lost) and ``link``
    (:func:`interconnector_links`); ``producer_nodes`` the working producers'
    nodes, ``consumer_nodes`` the consumers'. A link with all its pipes
    available is opened when it joins a network with consumers and no working
    producer to networks with exactly one working producer in all; repeated
    until nothing changes, links with the larger ``size`` (e.g. diameter)
    first. Returns a boolean mask over the pipes.
    """
    out = np.zeros(len(normal), dtype=bool)
    closed = np.flatnonzero(link >= 0)
    if closed.size == 0:
        return out
    order = np.lexsort((link[closed], -(size[closed] if size is not None else np.zeros(closed.size))))
    links = [closed[link[closed] == x] for x in pd.unique(link[closed][order])]  # one per interconnector
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


def _allocate(
    n_nodes: int,
    from_node: np.ndarray,
    to_node: np.ndarray,
    open_: np.ndarray,
    backfed: np.ndarray,
    link: np.ndarray,
    link_kw: np.ndarray,
    joined: np.ndarray,
    plant_nodes: np.ndarray,
    plant_kw: np.ndarray,
    consumer_nodes: np.ndarray,
    demand_kw: np.ndarray,
) -> np.ndarray:
    """Supplied share of each consumer's demand [-] when plants serve the networks their open pipes join.

    A plant serves its own network first (share = capacity / demand, at most
    1); what it has to spare goes to the networks back-fed through opened
    interconnectors, each at most what its interconnectors were sized for
    (``link_kw`` [kW], the plan's backup requirement), shared pro rata when
    the spare is short. ``open_`` are the pipes open before back-feeding,
    ``backfed`` those opened for it, ``joined`` the node labels with both;
    ``plant_kw`` [kW] the capacity at the working ``plant_nodes``.
    """
    net = _labels(n_nodes, from_node[open_], to_node[open_])  # the networks as designed
    comp_of = np.zeros(n_nodes, dtype=np.int64)
    comp_of[net] = joined
    d = np.bincount(net[consumer_nodes], weights=demand_kw, minlength=n_nodes)
    c = np.bincount(net[plant_nodes], weights=plant_kw, minlength=n_nodes)
    live = np.bincount(net[plant_nodes], minlength=n_nodes) > 0
    # capacity of the interconnectors feeding each starved network (each link counted once)
    limit = np.zeros(n_nodes)
    fed = np.flatnonzero(backfed)
    if fed.size:
        ends = np.concatenate([net[from_node[fed]], net[to_node[fed]]])
        links = np.concatenate([link[fed], link[fed]])
        kw = pd.Series(link_kw[fed]).groupby(link[fed]).min()
        pairs = np.unique(np.stack([links, ends], axis=1)[~live[ends]], axis=0)
        np.add.at(limit, pairs[:, 1], kw.reindex(pairs[:, 0]).to_numpy())
    own_kw = np.bincount(comp_of[live], weights=d[live], minlength=n_nodes)
    cap_kw = np.bincount(comp_of[live], weights=c[live], minlength=n_nodes)
    want = np.where(live, 0.0, np.minimum(limit, d))
    want_kw = np.bincount(comp_of, weights=want, minlength=n_nodes)
    spare = np.maximum(cap_kw - own_kw, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        own_share = np.where(own_kw > 0, np.minimum(1.0, cap_kw / own_kw), 1.0)
        scale = np.where(want_kw > 0, np.minimum(1.0, spare / want_kw), 0.0)
        share = np.where(live, own_share[comp_of], np.where(d > 0, want * scale[comp_of] / d, 1.0))
    return np.asarray(share[net[consumer_nodes]], dtype=float)


def hydraulic_check(
    nodes: pd.DataFrame,
    pipes: pd.DataFrame,
    consumers: pd.DataFrame,
    producers: pd.DataFrame,
    *,
    pipe_order: np.ndarray,
    site_order: np.ndarray,
    units: pd.DataFrame | None = None,
    storage_autonomy_h: float = 0.0,
    max_supply_pa: float = MAX_SUPPLY_PA,
) -> NetworkCheck:
    """A :data:`NetworkCheck` over the four hydraulic tables of the designed network.

    ``pipe_order`` / ``site_order``: the pipe ids and site ids in the stress
    system's element order (to read the scenario masks); ``consumers`` are keyed
    by ``consumer_id`` = building id and ``producers`` by ``producer_id`` = site id.
    A ``valve_open`` column in ``pipes`` gives the normal valve state (default open);
    ``max_supply_pa`` [Pa] caps the head a back-feeding plant may raise to.
    ``units`` (site_id, kind, heat_kw [kW], in the stress system's unit order)
    lets the check share capacity per network of the valve state instead of
    over the whole island (storage counts for ``storage_autonomy_h`` [h]).
    """
    pipe_pos = pd.Index(pipes["pipe_id"].astype(str)).get_indexer(pd.Index(pipe_order).astype(str))
    min_dp_pa = consumers["min_dp_pa"].to_numpy(float)
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
    # the stress islands: components of all pipes, valves ignored
    comp = _labels(n_nodes, u, v)
    pipe_comp, cons_comp = comp[u], comp[cons_node]
    cons_ids = consumers["consumer_id"].astype(str).to_numpy()
    prod_ids = producers["producer_id"].astype(str).to_numpy()
    design_heat_w = consumers["heat_w"].to_numpy(float)
    networks: dict[tuple[bytes, ...], HydraulicNetwork] = {}
    link_all = interconnector_links(n_nodes, u, v, normal, plant_node)
    link_kw = (
        pd.to_numeric(pipes["capacity_kw"], errors="coerce").fillna(np.inf).to_numpy(float)
        if "capacity_kw" in pipes
        else np.full(len(pipes), np.inf)
    )
    if units is not None:
        unit_plant = pd.Index(prod_ids).get_indexer(pd.Index(units["site_id"].astype(str)))
        unit_kw = pd.to_numeric(units["heat_kw"], errors="coerce").fillna(0.0).to_numpy(float)
        unit_storage = units["kind"].astype(str).str.lower().to_numpy() == "storage"

    def plant_kw(mask: ScenarioMask) -> np.ndarray | None:
        """Heat capacity still available at each producer [kW] (None: no units given)."""
        if units is None:
            return None
        ok = mask.units_available & (unit_plant >= 0) & (~unit_storage | (mask.time_h < storage_autonomy_h))
        return np.bincount(unit_plant[ok], weights=unit_kw[ok], minlength=len(prod_ids))

    cons_index, prod_index = pd.Index(cons_ids), pd.Index(prod_ids)
    known = pipe_pos >= 0
    system_pipe = np.full(len(pipes), -1, dtype=np.int64)  # the stress system's index of each table pipe
    system_pipe[pipe_pos[known]] = np.flatnonzero(known)
    plant_site = pd.Index(np.asarray(site_order).astype(str)).get_indexer(prod_index)
    by_comp = np.argsort(pipe_comp, kind="stable")  # pipes grouped by component
    comp_start = np.searchsorted(pipe_comp[by_comp], np.arange(int(comp.max()) + 2 if n_nodes else 1))
    storage = units is not None and bool(unit_storage.any())
    answers: dict[tuple[object, ...], np.ndarray] = {}

    def check(mask: ScenarioMask, island: IslandView) -> np.ndarray:
        ids = pd.Index(island.building_ids).astype(str)
        share = np.asarray(island.proxy_fraction, dtype=float)
        # the island's part of the tables: the components holding its consumers and plants
        pos = cons_index.get_indexer(ids)
        at = np.flatnonzero(pos >= 0)  # each table consumer's place among the island's buildings
        c_rows = pos[at]
        g_rows = prod_index.get_indexer(pd.Index(island.site_ids).astype(str))
        g_rows = g_rows[g_rows >= 0]
        comps = np.unique(np.concatenate([cons_comp[c_rows], comp[plant_node[g_rows]]]))
        if comps.size == 0:  # no part on the designed network: capacity alone decides
            return share.copy()
        p_rows = np.sort(np.concatenate([by_comp[comp_start[c] : comp_start[c + 1]] for c in comps]))
        sp = system_pipe[p_rows]
        available = np.where(sp >= 0, mask.pipes_available[np.maximum(sp, 0)], True)
        gs = plant_site[g_rows]
        site_lost = np.where(gs >= 0, ~mask.sites_available[np.maximum(gs, 0)], False)
        cap_kw = plant_kw(mask)
        # a working plant: its site not lost and, given the units, some heat left (not all stopped)
        live_rows = g_rows[~site_lost & (cap_kw[g_rows] > 0 if cap_kw is not None else True)]
        # the answer depends on this island's state only: a scenario differing elsewhere reuses it
        key: tuple[object, ...] = (
            comps.tobytes(), ids.size, available.tobytes(), site_lost.tobytes(), float(mask.temp_c),
            np.delete(share, at).tobytes(),
        )
        if units is None:
            key += (share.tobytes(),)
        else:
            key += (mask.units_available[np.isin(unit_plant, g_rows)].tobytes(),
                    storage and mask.time_h < storage_autonomy_h)
        known_answer = answers.get(key)
        if known_answer is not None:
            return known_answer.copy()
        out = evaluate(island, share, cap_kw, at, c_rows, g_rows, live_rows, p_rows, available)
        if ANSWER_CACHE_SIZE > 0:
            if len(answers) >= ANSWER_CACHE_SIZE:
                answers.pop(next(iter(answers)))
            answers[key] = out.copy()
        return out

    def evaluate(
        island: IslandView, share: np.ndarray, cap_kw: np.ndarray | None, at: np.ndarray, c_rows: np.ndarray,
        g_rows: np.ndarray, live_rows: np.ndarray, p_rows: np.ndarray, available: np.ndarray,
    ) -> np.ndarray:
        out = share.copy()  # buildings off the designed network: capacity alone decides
        sub = np.unique(np.concatenate([u[p_rows], v[p_rows], cons_node[c_rows], plant_node[g_rows]]))
        su, sv = np.searchsorted(sub, u[p_rows]), np.searchsorted(sub, v[p_rows])
        cn = np.searchsorted(sub, cons_node[c_rows])
        live_n, plant_n = np.searchsorted(sub, plant_node[live_rows]), np.searchsorted(sub, plant_node[g_rows])
        n_normal = normal[p_rows]
        backfed = backfeed_valves(
            len(sub), su, sv, n_normal, available, link_all[p_rows], live_n, cn, size[p_rows]
        )
        valves = (n_normal & available) | backfed
        # networks of this valve state; one can be left as designed when nothing in it changed
        lab = _labels(len(sub), su[valves], sv[valves])
        n_lab = len(sub)
        live_in = np.bincount(lab[live_n], minlength=n_lab)
        cons_lab = lab[cn]
        demand_kw = island.demand_kw[at]
        if cap_kw is None:  # screening's share over the whole island
            cons_share = share[at]
        else:
            cons_share = _allocate(
                len(sub), su, sv, n_normal & available, backfed, link_all[p_rows], link_kw[p_rows],
                lab, live_n, cap_kw[live_rows], cn, demand_kw,
            )
        heat = demand_kw * 1e3 * cons_share
        changed = np.zeros(n_lab, dtype=bool)
        changed[lab[np.concatenate([su[~available], sv[~available], su[backfed]])]] = True
        changed[lab[plant_n[~np.isin(plant_n, live_n)]]] = True  # a lost plant's network
        changed[lab[cn[heat > design_heat_w[c_rows] * (1 + 1e-9)]]] = True  # colder than design
        changed |= np.bincount(lab[su[valves]], minlength=n_lab) > np.bincount(lab, minlength=n_lab) - 1
        out[at] = cons_share
        out[at[live_in[cons_lab] == 0]] = 0.0  # no path to a working plant
        # the rest of an unchanged tree: flows only fall from the design state, so every consumer keeps
        # at least min_dp and the capacity share stands; a changed network with a working plant is solved
        solve_c = changed[cons_lab] & (live_in[cons_lab] > 0)
        if not solve_c.any():
            return out
        keep = changed & (live_in > 0)
        kp = keep[lab[su]] & keep[lab[sv]]
        kc, kg = c_rows[solve_c], live_rows[keep[lab[live_n]]]
        kn = sub[keep[lab]]
        key = (kn.tobytes(), kc.tobytes(), kg.tobytes(), valves[kp].tobytes())
        net = networks.get(key)
        if net is None:  # the same sub-network recurs across scenarios: build it once
            net = HydraulicNetwork.from_frames(
                nodes.iloc[kn], pipes.iloc[p_rows[kp]].assign(valve_open=valves[kp]),
                consumers.iloc[kc].assign(heat_w=heat[solve_c]), producers.iloc[kg], allow_unsupplied=True,
            )
            if len(networks) >= NETWORK_CACHE_SIZE:
                networks.pop(next(iter(networks)))
            networks[key] = net
        res = solve(net.with_heat(heat[solve_c]), allow_unsupplied=True).consumers.reindex(cons_ids[kc])
        supplied = res["supplied"].eq(True).to_numpy()
        dp = res["dp_pa"].to_numpy(float)
        need = min_dp_pa[kc]
        if backfed[kp].any() and supplied.any():
            headroom = max(max_supply_pa - float(producers["p_supply_pa"].iloc[kg].max()), 0.0)
            dp = dp + min(max(float(np.max(need[supplied] - dp[supplied])), 0.0), headroom)
        ratio = np.sqrt(np.clip(np.nan_to_num(dp, nan=0.0), 0.0, None) / need)
        out[at[solve_c]] = cons_share[solve_c] * np.where(supplied, np.minimum(ratio, 1.0), 0.0)
        return out

    return check
