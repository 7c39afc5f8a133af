"""Route heat networks: connect buildings to plant sites along streets at least trench cost.

:func:`route` hangs the requested buildings of a :class:`NetworkGraph` on the
requested plant sites, one tree per site (a forest), at low total trench
cost:

- ``method="steiner"``: Mehlhorn's Steiner heuristic (:mod:`.steiner`) with
  expected-pipe-size costing: route with the cost per metre of the smallest
  pipe, accumulate design loads towards the sites, re-price every edge of the
  tree at its flow, reroute; keep the cheapest of a few iterations.
- ``method="milp"``: the heuristic, then the exact fixed-charge flow MILP
  (:mod:`.routing_milp`, linopy + HiGHS) started from it, within
  ``time_limit_s`` and ``mip_gap``.

Existing pipes (``edges.existing``, see :func:`teplo.network.existing.add_existing_pipes`)
cost nothing per metre but carry flow like any pipe. :func:`close_rings` adds
loop-closing street paths; :func:`route_to_frames` gives the tables a
hydraulic solver takes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components

from teplo.errors import InputError, TeploWarning
from teplo.network._graph import SimpleGraph
from teplo.network.existing import add_existing_pipes
from teplo.network.rings import find_ring_paths
from teplo.network.routing_milp import (
    EXISTING_EUR_PER_M,
    MIN_DEMAND_KW,
    MilpProblem,
    fit_linear_cost,
    solve_milp,
)
from teplo.network.steiner import (
    OUTSIDE,
    ROOT,
    Forest,
    depth,
    forest_from_pairs,
    mehlhorn_forest,
    root_of,
    subtree_sums,
)
from teplo.network.street_graph import NetworkGraph

__all__ = [
    "CostPerMetre",
    "MilpInfo",
    "Route",
    "RouteFrames",
    "add_existing_pipes",
    "close_rings",
    "route",
    "route_to_frames",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Cost of new trench per metre (EUR/m, supply + return pair installed) as a
#: function of the design heat flow through the edge (kW); vectorised.
CostPerMetre = Callable[[FloatArray], FloatArray]

#: Routing iterations with expected-pipe-size costs. [E] the route stops
#: changing after 2-3 re-pricings in practice; the best is kept anyway.
EXPECTED_SIZE_ITERATIONS = 3

#: Longest new trench of one ring-closing path, m. [E] about one side of a
#: Soviet microdistrict quarter (250-500 m): farther loops cost more than the
#: resilience they buy in a heat-network planning screen.
MAX_RING_LENGTH_M = 500.0

#: Default MILP time limit, s, and relative gap (the brief's values).
TIME_LIMIT_S = 60.0
MIP_GAP = 0.01


@dataclass(frozen=True)
class MilpInfo:
    """Outcome of the MILP refinement (EUR of the linearised objective unless said otherwise)."""

    status: str
    termination: str
    objective_eur: float
    bound_eur: float
    gap: float
    runtime_s: float
    alpha_eur_per_m: float
    beta_eur_per_m_kw: float
    heuristic_objective_eur: float
    heuristic_cost_eur: float  # true cost (caller's cost function) of the heuristic route
    milp_cost_eur: float  # true cost of the MILP's route (NaN if none)
    kept: str  # "milp" or "heuristic": which route, by true cost, the Route holds
    n_edges: int


@dataclass
class Route:
    """A routed network: a forest of pipes from plant sites out to buildings.

    ``edges``: edge_id, u (upstream, towards the site), v, length_m [m], kind,
    street_id, design_flow_kw [kW] (sum of the downstream design loads, no
    simultaneity: apply it from n_downstream), n_downstream (buildings fed
    through the edge), existing, existing_dn [mm], laying_year, site_id (the
    site feeding it; None on ring edges), cost_eur_per_m, cost_eur (new trench
    only) and ring (bool); geometry runs u -> v. Ordered from the sites
    outwards (every edge after the edge feeding its u).

    ``nodes``: node_id, kind, building_id, site_id, design_load_kw,
    feeding_site_id, parent (-1 at a site, <NA> on ring-only nodes),
    subtree_load_kw [kW], geometry.
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    building_site: pd.Series
    unreachable: list[str]
    method: str
    iterations: pd.DataFrame
    milp: MilpInfo | None = None

    @property
    def parent(self) -> pd.Series:
        """Parent of each tree node towards its site (-1 at sites), indexed by node_id."""
        p = self.nodes.set_index("node_id")["parent"]
        return p[p.notna()].astype(np.int64)

    @property
    def totals(self) -> pd.Series:
        """Totals: buildings, load (kW), lengths (m: all, new trench, reused, service, rings), costs (EUR)."""
        e = self.edges
        ex = e["existing"].to_numpy(bool)
        ring = e["ring"].to_numpy(bool)
        length = e["length_m"].to_numpy(float)
        cost = e["cost_eur"].to_numpy(float)
        return pd.Series(
            {
                "n_buildings": len(self.building_site),
                "n_unreachable": len(self.unreachable),
                "n_sites_used": int((self.nodes["kind"] == "site").sum()),
                "design_load_kw": float(np.nansum(self.nodes["design_load_kw"].to_numpy(float))),
                "length_m": float(length.sum()),
                "new_trench_m": float(length[~ex].sum()),
                "reused_m": float(length[ex].sum()),
                "service_m": float(length[(e["kind"] == "service").to_numpy()].sum()),
                "cost_eur": float(cost.sum()),
                "ring_length_m": float(length[ring].sum()),
                "ring_cost_eur": float(cost[ring].sum()),
            }
        )


@dataclass(frozen=True)
class RouteFrames:
    """Tables for a hydraulic solver: junctions, pipes (site outwards), consumers and producers."""

    nodes: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame
    consumers: pd.DataFrame
    producers: pd.DataFrame


@dataclass(frozen=True)
class _Problem:
    """A routing problem on the graph's simple form (node ids = graph node ids)."""

    graph: NetworkGraph
    sg: SimpleGraph
    pair_length: FloatArray
    pair_existing: BoolArray
    terminals: IntArray
    load: FloatArray  # per node, kW
    roots: IntArray
    cost: CostPerMetre
    c0: float  # cost per metre of the smallest pipe (at the smallest building load), EUR/m

    def weights(self, per_m: FloatArray) -> FloatArray:
        """Pair weights (EUR): new trench at ``per_m``, existing pipe at the tie-breaker rate."""
        return self.pair_length * np.where(self.pair_existing, EXISTING_EUR_PER_M, per_m)

    @property
    def is_terminal(self) -> FloatArray:
        t = np.zeros(self.sg.n)
        t[self.terminals] = 1.0
        return t


# ------------------------------------------------------------------- inputs


def _per_metre(cost: CostPerMetre, flow_kw: FloatArray) -> FloatArray:
    """The caller's cost per metre at ``flow_kw``, checked (finite, >= 0, same shape)."""
    flow = np.asarray(flow_kw, dtype=float)
    out = np.asarray(cost(flow), dtype=float)
    if out.shape != flow.shape or not np.all(np.isfinite(out)) or np.any(out < 0):
        raise InputError(
            "cost_eur_per_m must map an array of flows (kW) to an array of the same shape of "
            f"finite, non-negative costs (EUR/m); got shape {out.shape} for input {flow.shape}"
        )
    return out


def _resolve_buildings(graph: NetworkGraph, building_ids: Iterable[str] | None) -> tuple[IntArray, list[str]]:
    """Terminal nodes of the requested buildings, and the ids known to have no street in reach."""
    nodes = graph.building_nodes()
    if building_ids is None:
        return np.sort(nodes.to_numpy(np.int64)), []
    ids = pd.Index(pd.unique(pd.Series([str(b) for b in building_ids], dtype=object)))
    unconnected = ids.isin(graph.unconnected_buildings)
    unknown = ~ids.isin(nodes.index) & ~unconnected
    if unknown.any():
        raise InputError(
            f"route: building_id(s) {ids[unknown].tolist()[:5]} are not in the network graph "
            "(were they in the buildings given to build_network_graph, and heated?)"
        )
    term = nodes.reindex(ids[~unconnected]).to_numpy(np.int64)
    return np.sort(term), sorted(ids[unconnected].tolist())


def _resolve_sites(graph: NetworkGraph, site_ids: Iterable[str] | None) -> IntArray:
    nodes = graph.site_nodes()
    if site_ids is None:
        ids = nodes.index
    else:
        ids = pd.Index(pd.unique(pd.Series([str(s) for s in site_ids], dtype=object)))
    if len(ids) == 0:
        raise InputError("route: no plant sites given; connect them with add_sites() first")
    unknown = ~ids.isin(nodes.index)
    if unknown.any():
        raise InputError(f"route: site_id(s) {ids[unknown].tolist()[:5]} are not in the graph; call add_sites() first")
    return np.sort(nodes.reindex(ids).to_numpy(np.int64))


def _resolve_loads(
    graph: NetworkGraph, terminals: IntArray, design_load_kw: Mapping[str, float] | pd.Series | None
) -> FloatArray:
    """Design load (kW) per graph node: the given mapping, else the graph's building loads."""
    bid = graph.nodes["building_id"].to_numpy(object)[terminals]
    if design_load_kw is None:
        vals = graph.nodes["design_load_kw"].to_numpy(float)[terminals]
    else:
        series = pd.Series(design_load_kw, dtype=float)
        series.index = series.index.astype(str)
        vals = series.reindex(pd.Index(bid.astype(str))).to_numpy(float)
    bad = ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        raise InputError(
            f"route: design_load_kw missing, negative or not finite for building(s) {bid[bad].tolist()[:5]}; "
            "give a load (kW) for every building to route"
        )
    load = np.zeros(graph.n_nodes)
    load[terminals] = vals
    return load


def _problem(
    graph: NetworkGraph,
    building_ids: Iterable[str] | None,
    site_ids: Iterable[str] | None,
    cost: CostPerMetre,
    design_load_kw: Mapping[str, float] | pd.Series | None,
) -> tuple[_Problem, list[str]]:
    """The routing problem of the requested buildings and sites; also the unconnected building ids."""
    terminals, unconnected = _resolve_buildings(graph, building_ids)
    roots = _resolve_sites(graph, site_ids)
    load = _resolve_loads(graph, terminals, design_load_kw)
    # the smallest pipe: the one the smallest building needs
    smallest = float(load[terminals].min()) if len(terminals) else 0.0
    c0 = float(_per_metre(cost, np.array([smallest]))[0])
    length = graph.edges["length_m"].to_numpy(float)
    existing = graph.edges["existing"].to_numpy(bool)
    # of parallel edges keep an existing pipe over new trench
    sg = graph.simple(length * np.where(existing, EXISTING_EUR_PER_M, 1.0))
    prob = _Problem(
        graph=graph, sg=sg, pair_length=length[sg.edge], pair_existing=existing[sg.edge],
        terminals=terminals, load=load, roots=roots, cost=cost, c0=c0,
    )
    return prob, unconnected


# ---------------------------------------------------------------- heuristic


def _evaluate(prob: _Problem, forest: Forest) -> tuple[float, FloatArray, FloatArray]:
    """True cost (EUR) of a forest, with each child's inflow (kW) and cost per metre (EUR/m)."""
    child = forest.children
    pairs = forest.pair[child]
    flow = subtree_sums(forest.parent, prob.load)[child]
    per_m = np.where(prob.pair_existing[pairs], 0.0, _per_metre(prob.cost, flow))
    return float((prob.pair_length[pairs] * per_m).sum()), flow, per_m


def _heuristic(prob: _Problem, n_iterations: int) -> tuple[Forest, pd.DataFrame]:
    """Mehlhorn routing with expected-pipe-size re-pricing; the cheapest forest by true cost."""
    per_m = np.full(len(prob.sg.a), prob.c0)
    best: tuple[float, Forest] | None = None
    rows: list[dict[str, float]] = []
    previous: IntArray | None = None
    for it in range(max(n_iterations, 1)):
        t0 = time.perf_counter()
        forest = mehlhorn_forest(prob.sg, prob.terminals, prob.roots, prob.weights(per_m))
        cost, flow, _ = _evaluate(prob, forest)
        pairs = forest.pair[forest.children]
        rows.append(
            {"iteration": it, "cost_eur": cost, "length_m": float(prob.pair_length[pairs].sum()),
             "time_s": time.perf_counter() - t0}
        )
        if best is None or cost < best[0] - 1e-9:
            best = (cost, forest)
        key = np.sort(pairs)
        if previous is not None and np.array_equal(key, previous):
            break
        previous = key
        per_m = np.full(len(prob.sg.a), prob.c0)
        per_m[pairs] = _per_metre(prob.cost, flow)
    assert best is not None
    return best[1], pd.DataFrame(rows)


# --------------------------------------------------------------------- MILP


def _reduce_for_milp(prob: _Problem, forest: Forest) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Pairs worth modelling: components with a site, dangling non-terminal streets pruned.

    Returns the pair indices, the original node of each model node, and the
    reachable terminals and sites in model numbering.
    """
    sg = prob.sg
    reach = prob.terminals[forest.parent[prob.terminals] != OUTSIDE]
    _, comp = connected_components(sg.matrix(), directed=False)
    comps = np.unique(comp[prob.roots])
    mask = np.isin(comp[sg.a], comps)
    special = np.zeros(sg.n, bool)
    special[reach] = True
    special[prob.roots] = True
    while True:
        deg = sg.degree(mask)
        dangling = (deg == 1) & ~special
        if not dangling.any():
            break
        mask &= ~(dangling[sg.a] | dangling[sg.b])
    pairs = np.flatnonzero(mask)
    used = np.unique(np.concatenate([sg.a[pairs], sg.b[pairs], prob.roots, reach]))
    new_id = np.full(sg.n, -1, dtype=np.int64)
    new_id[used] = np.arange(len(used))
    return pairs, used, new_id[reach], new_id[prob.roots]


def _milp(
    prob: _Problem, forest: Forest, heuristic_cost: float, time_limit_s: float, mip_gap: float
) -> tuple[Forest | None, MilpInfo]:
    pairs, used, term_m, roots_m = _reduce_for_milp(prob, forest)
    new_id = np.full(prob.sg.n, -1, dtype=np.int64)
    new_id[used] = np.arange(len(used))
    demand = np.zeros(len(used))
    demand[term_m] = np.maximum(prob.load[used[term_m]], MIN_DEMAND_KW)
    fit = fit_linear_cost(lambda f: _per_metre(prob.cost, f), float(demand.sum()))
    mp = MilpProblem(
        n=len(used), a=new_id[prob.sg.a[pairs]], b=new_id[prob.sg.b[pairs]],
        length_m=prob.pair_length[pairs], existing=prob.pair_existing[pairs],
        demand_kw=demand, roots=roots_m, cost=fit,
    )
    # MIP start: the heuristic forest with the MILP's demands
    load_m = np.zeros(prob.sg.n)
    load_m[used] = demand
    inflow = subtree_sums(forest.parent, load_m)
    child = forest.children
    pos = np.searchsorted(pairs, forest.pair[child])
    start_used = np.zeros(len(pairs), bool)
    start_used[pos] = True
    sign = np.where(prob.sg.a[forest.pair[child]] == forest.parent[child], 1.0, -1.0)
    start_flow = np.zeros(len(pairs))
    start_flow[pos] = sign * inflow[child]
    h_obj = mp.objective(start_used, start_flow)
    sol = solve_milp(mp, start_used, start_flow, time_limit_s=time_limit_s, mip_gap=mip_gap)
    result: Forest | None = None
    milp_cost = float("nan")
    if sol.used is not None:
        result = forest_from_pairs(prob.sg, pairs[sol.used], prob.roots, prob.terminals, prob.weights(np.full(len(prob.sg.a), prob.c0)))
        milp_cost = _evaluate(prob, result)[0]
    kept = "milp" if result is not None and milp_cost <= heuristic_cost + 1e-6 else "heuristic"
    info = MilpInfo(
        status=sol.status, termination=sol.termination, objective_eur=sol.objective_eur,
        bound_eur=sol.bound_eur, gap=sol.gap, runtime_s=sol.runtime_s,
        alpha_eur_per_m=fit.alpha_eur_per_m, beta_eur_per_m_kw=fit.beta_eur_per_m_kw,
        heuristic_objective_eur=h_obj, heuristic_cost_eur=heuristic_cost, milp_cost_eur=milp_cost,
        kept=kept, n_edges=len(pairs),
    )
    return (result if kept == "milp" else None), info


# -------------------------------------------------------------------- route


def route(
    graph: NetworkGraph,
    building_ids: Iterable[str] | None,
    site_ids: Iterable[str] | None,
    *,
    cost_eur_per_m: CostPerMetre,
    method: Literal["steiner", "milp"] = "steiner",
    design_load_kw: Mapping[str, float] | pd.Series | None = None,
    rings: bool = False,
    time_limit_s: float = TIME_LIMIT_S,
    mip_gap: float = MIP_GAP,
    n_iterations: int = EXPECTED_SIZE_ITERATIONS,
    max_ring_length_m: float = MAX_RING_LENGTH_M,
) -> Route:
    """Connect ``building_ids`` to ``site_ids`` (``None``: all in the graph) along the graph.

    ``cost_eur_per_m`` maps the design heat flow through an edge (kW, array)
    to the cost of a metre of new trench (EUR/m, array); existing pipes cost
    nothing. ``design_load_kw`` (kW by building id) defaults to the loads on
    the graph's building nodes. ``method`` is ``"steiner"`` (heuristic) or
    ``"milp"`` (heuristic, then the exact MILP within ``time_limit_s`` (s) and
    relative ``mip_gap``). With ``rings`` the route is passed through
    :func:`close_rings`. Buildings no site can reach are listed in
    ``Route.unreachable`` (with a :class:`TeploWarning`).

    Sites have no capacity here: each building hangs on whichever site gives
    the cheapest forest, which with economies of scale in pipe cost may be
    one site for most buildings. To balance load, assign buildings to sites
    first (the siting stage's micro-districts) and route each group.
    """
    if method not in ("steiner", "milp"):
        raise InputError(f"route: method must be 'steiner' or 'milp', not {method!r}")
    prob, unconnected = _problem(graph, building_ids, site_ids, cost_eur_per_m, design_load_kw)
    forest, iterations = _heuristic(prob, n_iterations)
    info: MilpInfo | None = None
    if method == "milp" and len(forest.children):
        h_cost = _evaluate(prob, forest)[0]
        better, info = _milp(prob, forest, h_cost, time_limit_s, mip_gap)
        if better is not None:
            forest = better
    bid = graph.nodes["building_id"].to_numpy(object)
    unreachable = sorted(unconnected + [str(b) for b in bid[forest.unreachable]])
    if unreachable:
        warnings.warn(
            f"route: {len(unreachable)} building(s) cannot be reached from any given site "
            f"(first: {', '.join(unreachable[:5])}); see Route.unreachable",
            TeploWarning,
            stacklevel=2,
        )
    result = _make_route(prob, forest, method, iterations, info, unreachable)
    if rings:
        result = close_rings(result, graph, cost_eur_per_m=cost_eur_per_m, max_ring_length_m=max_ring_length_m)
    return result


def _make_route(
    prob: _Problem,
    forest: Forest,
    method: str,
    iterations: pd.DataFrame,
    info: MilpInfo | None,
    unreachable: list[str],
) -> Route:
    """Tables of a forest: edges oriented from the sites outwards, tree nodes, building sites."""
    graph = prob.graph
    parent = forest.parent
    lvl = depth(parent)
    child = forest.children
    child = child[np.lexsort((child, lvl[child]))]
    pairs = forest.pair[child]
    up = parent[child]
    e = graph.edges.iloc[prob.sg.edge[pairs]]
    inflow = subtree_sums(parent, prob.load)
    ndown = subtree_sums(parent, prob.is_terminal)
    existing = e["existing"].to_numpy(bool)
    per_m = np.where(existing, 0.0, _per_metre(prob.cost, inflow[child]))
    geoms = e.geometry.values.copy()
    flip = e["u"].to_numpy(np.int64) != up
    geoms[flip] = shapely.reverse(geoms[flip])
    site_ids = graph.nodes["site_id"].to_numpy(object)
    root = root_of(parent)
    feeding = np.where(root >= 0, site_ids[np.maximum(root, 0)], None)
    length = e["length_m"].to_numpy(float)
    edges = gpd.GeoDataFrame(
        {
            "edge_id": e["edge_id"].to_numpy(np.int64),
            "u": up,
            "v": child,
            "length_m": length,
            "kind": e["kind"].to_numpy(object),
            "street_id": e["street_id"].to_numpy(object),
            "design_flow_kw": inflow[child],
            "n_downstream": ndown[child].round().astype(np.int64),
            "existing": existing,
            "existing_dn": e["existing_dn"].to_numpy(),
            "laying_year": e["laying_year"].to_numpy(),
            "site_id": feeding[child],
            "cost_eur_per_m": per_m,
            "cost_eur": length * per_m,
            "ring": np.zeros(len(child), bool),
        },
        geometry=geoms,
        crs=graph.crs,
    )
    edges["existing_dn"] = edges["existing_dn"].astype("Int64")
    edges["laying_year"] = edges["laying_year"].astype("Int64")
    tree = np.flatnonzero(parent != OUTSIDE)
    tree = tree[np.lexsort((tree, lvl[tree]))]
    nodes = graph.nodes.iloc[tree][["node_id", "kind", "building_id", "site_id", "geometry"]].copy()
    is_term = prob.is_terminal[tree] > 0
    nodes.insert(4, "design_load_kw", np.where(is_term, prob.load[tree], np.nan))
    nodes.insert(5, "feeding_site_id", feeding[tree])
    nodes.insert(6, "parent", pd.array(np.where(parent[tree] == ROOT, -1, parent[tree]), dtype="Int64"))
    nodes.insert(7, "subtree_load_kw", inflow[tree])
    nodes = gpd.GeoDataFrame(nodes.reset_index(drop=True), geometry="geometry", crs=graph.crs)
    b = nodes[is_term]
    building_site = pd.Series(
        b["feeding_site_id"].to_numpy(object), index=pd.Index(b["building_id"], name="building_id"), name="site_id"
    ).sort_index()
    return Route(
        edges=edges.reset_index(drop=True), nodes=nodes, building_site=building_site,
        unreachable=unreachable, method=method, iterations=iterations, milp=info,
    )


# -------------------------------------------------------------------- rings


def close_rings(
    route: Route,
    graph: NetworkGraph,
    *,
    cost_eur_per_m: CostPerMetre,
    max_ring_length_m: float = MAX_RING_LENGTH_M,
    between_sites: bool = True,
    within_sites: bool = True,
) -> Route:
    """Add the cheapest street paths that close loops, so branches and districts have a second feed.

    Between neighbouring sites' trees (``between_sites``) the shortest joining
    path per pair of sites; for each dead end of a street main
    (``within_sites``, or towards another site) its shortest path back to any
    other routed node. Only paths of at most ``max_ring_length_m`` (m) of new
    trench are taken. A ring between two sites is sized to back-feed the
    smaller district, a ring within one tree for the larger subtree load at
    its two ends (:mod:`.rings`); it costs ``cost_eur_per_m`` at that flow (0
    on existing pipes). Returns a new Route whose added edges have
    ``ring == True``; see ``Route.totals`` for the added metres and cost.
    """
    sg = graph.simple(graph.edges["length_m"].to_numpy(float) * np.where(graph.edges["existing"].to_numpy(bool), EXISTING_EUR_PER_M, 1.0))
    e_kind = graph.edges["kind"].to_numpy(object)[sg.edge]
    e_exist = graph.edges["existing"].to_numpy(bool)[sg.edge]
    e_len = graph.edges["length_m"].to_numpy(float)[sg.edge]
    used = sg.pair_index(route.edges["u"].to_numpy(np.int64), route.edges["v"].to_numpy(np.int64))
    in_route_pair = np.zeros(len(sg.a), bool)
    in_route_pair[used[used >= 0]] = True
    allowed = np.isin(e_kind, ("street", "existing")) & ~in_route_pair
    weights = e_len * np.where(e_exist, EXISTING_EUR_PER_M, 1.0)
    n = graph.n_nodes
    rn = route.nodes[route.nodes["feeding_site_id"].notna()]  # tree nodes (not ring-only ones)
    node_ids = rn["node_id"].to_numpy(np.int64)
    in_route = np.zeros(n, bool)
    in_route[node_ids] = True
    site_codes, site_names = pd.factorize(rn["feeding_site_id"].astype(str), sort=True)
    site_of = np.full(n, -1, dtype=np.int64)
    site_of[node_ids] = site_codes
    flow = np.zeros(n)
    flow[node_ids] = rn["subtree_load_kw"].to_numpy(float)
    roots = rn[rn["kind"] == "site"].set_index("site_id")["subtree_load_kw"]
    site_load = roots.reindex(site_names).fillna(0.0).to_numpy(float)
    main = route.edges["kind"].isin(("street", "existing")).to_numpy()
    deg = np.bincount(
        np.concatenate([route.edges["u"].to_numpy(np.int64)[main], route.edges["v"].to_numpy(np.int64)[main]]),
        minlength=n,
    )
    leaf = (deg == 1) & in_route
    rp = find_ring_paths(
        sg, allowed, weights, in_route, site_of, leaf, flow, site_load, max_ring_length_m,
        between_sites=between_sites, within_sites=within_sites,
    )
    if len(rp.pairs) == 0:
        return route
    e = graph.edges.iloc[sg.edge[rp.pairs]]
    existing = e["existing"].to_numpy(bool)
    per_m = np.where(existing, 0.0, _per_metre(cost_eur_per_m, rp.flow_kw))
    length = e["length_m"].to_numpy(float)
    ring_edges = gpd.GeoDataFrame(
        {
            "edge_id": e["edge_id"].to_numpy(np.int64),
            "u": e["u"].to_numpy(np.int64),
            "v": e["v"].to_numpy(np.int64),
            "length_m": length,
            "kind": e["kind"].to_numpy(object),
            "street_id": e["street_id"].to_numpy(object),
            "design_flow_kw": rp.flow_kw,
            "n_downstream": np.zeros(len(e), np.int64),
            "existing": existing,
            "existing_dn": e["existing_dn"].astype("Int64").to_numpy(),
            "laying_year": e["laying_year"].astype("Int64").to_numpy(),
            "site_id": np.full(len(e), None, dtype=object),
            "cost_eur_per_m": per_m,
            "cost_eur": length * per_m,
            "ring": np.ones(len(e), bool),
        },
        geometry=e.geometry.values,
        crs=graph.crs,
    ).sort_values("edge_id", kind="stable")
    new_nodes = np.setdiff1d(np.concatenate([ring_edges["u"], ring_edges["v"]]), node_ids)
    extra = graph.nodes.iloc[new_nodes][["node_id", "kind", "building_id", "site_id", "geometry"]].copy()
    extra.insert(4, "design_load_kw", np.nan)
    extra.insert(5, "feeding_site_id", None)
    extra.insert(6, "parent", pd.array([pd.NA] * len(extra), dtype="Int64"))
    extra.insert(7, "subtree_load_kw", 0.0)
    edges = pd.concat([route.edges, ring_edges], ignore_index=True)
    nodes = pd.concat([route.nodes, extra], ignore_index=True)
    edges["existing_dn"] = edges["existing_dn"].astype("Int64")
    edges["laying_year"] = edges["laying_year"].astype("Int64")
    return Route(
        edges=gpd.GeoDataFrame(edges, geometry="geometry", crs=graph.crs),
        nodes=gpd.GeoDataFrame(nodes, geometry="geometry", crs=graph.crs),
        building_site=route.building_site, unreachable=list(route.unreachable),
        method=route.method, iterations=route.iterations, milp=route.milp,
    )


# ------------------------------------------------------------------- frames


def route_to_frames(route: Route) -> RouteFrames:
    """The route as a hydraulic solver's input: junctions, pipes, consumers and producers.

    ``pipes`` follow :data:`teplo.network.tables.PIPES`: pipe_id (= graph
    edge_id), from_node, to_node (oriented from the site outwards; ring pipes
    as in the graph), length_m, dn (the existing DN, else <NA> for the sizing
    step), cost_eur, design_flow_kw, n_downstream, existing, laying_year,
    site_id, ring, kind, geometry. ``consumers``: building_id, node_id,
    design_load_kw, site_id. ``producers``: site_id, node_id, design_load_kw
    (total served), n_buildings.
    """
    e = route.edges
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": e["edge_id"].to_numpy(np.int64),
            "from_node": e["u"].to_numpy(np.int64),
            "to_node": e["v"].to_numpy(np.int64),
            "length_m": e["length_m"].to_numpy(float),
            "dn": e["existing_dn"].astype("Int64").to_numpy(),
            "cost_eur": e["cost_eur"].to_numpy(float),
            "design_flow_kw": e["design_flow_kw"].to_numpy(float),
            "n_downstream": e["n_downstream"].to_numpy(np.int64),
            "existing": e["existing"].to_numpy(bool),
            "laying_year": e["laying_year"].astype("Int64").to_numpy(),
            "site_id": e["site_id"].to_numpy(object),
            "ring": e["ring"].to_numpy(bool),
            "kind": e["kind"].to_numpy(object),
        },
        geometry=e.geometry.values,
        crs=e.crs,
    )
    pipes["dn"] = pipes["dn"].astype("Int64")
    pipes["laying_year"] = pipes["laying_year"].astype("Int64")
    n = route.nodes
    nodes = gpd.GeoDataFrame(n[["node_id", "kind", "building_id", "site_id", "geometry"]].copy(), geometry="geometry", crs=n.crs)
    b = n[n["building_id"].isin(route.building_site.index) & (n["kind"] == "building")]
    consumers = pd.DataFrame(
        {
            "building_id": b["building_id"].to_numpy(object),
            "node_id": b["node_id"].to_numpy(np.int64),
            "design_load_kw": b["design_load_kw"].to_numpy(float),
            "site_id": b["feeding_site_id"].to_numpy(object),
        }
    )
    s = n[n["kind"] == "site"]
    served = consumers.groupby("site_id")["design_load_kw"].agg(["sum", "count"])
    sid = s["site_id"].to_numpy(object)
    producers = pd.DataFrame(
        {
            "site_id": sid,
            "node_id": s["node_id"].to_numpy(np.int64),
            "design_load_kw": served["sum"].reindex(sid).fillna(0.0).to_numpy(float),
            "n_buildings": served["count"].reindex(sid).fillna(0).astype(np.int64).to_numpy(),
        }
    )
    return RouteFrames(nodes=nodes, pipes=pipes, consumers=consumers, producers=producers)
