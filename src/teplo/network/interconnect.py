"""Interconnectors: normally closed pipes joining a district's network to its backup site's network.

With the site-loss constraint the siting stage gives every micro-district a
backup site (``backup_site_id`` on ``buildings``) that must carry a share of
the district's design load (beta x load, :func:`teplo.supply.model.inputs.backup_requirement_kw`)
when the district's own site is lost, and prices a pipe to it. The network
stage routes each site's supply area as a tree of its own; this module adds,
for every (site, backup site) pair the plan uses, the cheapest street path
joining the two networks, so that a lost site's districts can be fed from the
backup site through a valve opened in the emergency.

Kernel. The ring kernel :func:`teplo.network.rings.find_ring_paths` is called
once per pair with only the two networks as sources (``between_sites``, no
dead-end rings). One call for all pairs would not do: the kernel joins the
trees whose shortest-path (Voronoi) regions touch, and a third site's network
lying between the two would hide the pair; with the two networks alone, the
shortest path between them crosses exactly one boundary edge of their two
regions, so the kernel's pick is the shortest path between the two sets
(Mehlhorn 1988, Inf. Proc. Letters 27:125). Each call is one Dijkstra bounded by
the length limit.

Where it attaches. First from the districts that need the backup: on the
side of the site whose districts are backed up, the path may end only on the
pipes that feed those districts' buildings (their ancestors in the site's
tree, the trunk from the plant included). That is the pipe the siting stage
priced (district to backup site), and water from the backup site then
reaches the districts along pipes that already carry their load, not back
up the branches of the site's other districts, which are sized for less. On
the backup site's side any node of its network will do (it is fed from the
backup plant along that network); when both sites back each other up, both
sides are restricted. If no such path lies within the limit (e.g. every
street leaving those feeders already carries a pipe of the same network,
and a second pipe along it is not laid), the two whole networks are joined
instead, which the stress test accepts as well (the joined island shares
its capacity); ``pairs.attached`` says which. This may cost more trench
than the cheapest join of the two networks. If the two sides already share
a street node, the interconnector is a zero-length cross-connection (a
valve) at that node.

Sizing. The interconnector carries the backup load of the pair: the sum of
the backup requirements of the districts of ``s`` backed up by ``s'``, and of
those of ``s'`` backed up by ``s``, the larger of the two directions (only one
site of a pair is lost at a time). The backup flow also runs through the two
networks' own pipes between the interconnector's ends and their plants: on
the backup site's side on top of its own load, on the lost site's side in
reverse; ``path_flows`` lists those pipes so the design sizes them for it
(else a backup site's small distribution pipes would choke the backup). New trench along streets that neither of
the two networks uses; existing pipes count at the tie-breaker rate, as in
routing. Paths longer than the limit (new trench, m) are not built; the pair
is reported.

Backup-only sites. A plan may choose a site only as a backup (it serves no
district of its own, so it has no routed network): its interconnector then
runs from its plant node, along its site connection, to the district's
network, and the site node joins the network layers as a producer of its
own (no consumers) so the stress test and the hydraulic check can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from teplo.errors import InputError
from teplo.network._graph import SimpleGraph
from teplo.network.rings import RingPaths, find_ring_paths
from teplo.network.routing import Route
from teplo.network.routing_milp import EXISTING_EUR_PER_M
from teplo.network.steiner import OUTSIDE, mark_paths
from teplo.network.street_graph import NetworkGraph

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Separator in the ids of an interconnector's pipes and inner nodes: ``"{a}~{b}:{edge_id}"``
#: for the pair of sites ``a < b`` it joins.
PAIR_SEPARATOR = "~"


@dataclass(frozen=True)
class Interconnectors:
    """Interconnector pipes and inner nodes (ids prefixed as the design's frames), one row per pair.

    ``pipes`` follow :data:`teplo.network.tables.PIPES` (``dn`` <NA> where new,
    ``ring`` and ``interconnector`` True, ``design_flow_kw`` the pair's backup
    load); ``nodes`` are the path's inner nodes (its two ends are nodes of the
    two networks) and the plant nodes of backup-only sites, which are also
    in ``producers`` (site_id, node_id, design_load_kw 0, n_buildings 0).
    ``pairs``: site_a, site_b (a < b), backup_kw [kW] (the
    larger direction), a_to_b_kw, b_to_a_kw [kW], length_m and new_trench_m
    [m] (NaN if not built), n_pipes, attached ("districts": at the backed-up
    districts' feeders, "networks": anywhere on the two networks, "" if not
    built), built (bool), reason (why not built; empty if built).
    ``path_flows``: the networks' own pipes between each interconnector's end
    and its plant, by the frame id of the node a pipe feeds (node_id), with
    the backup flow they must pass on when their plant feeds the other
    network (out_kw [kW], on top of their own load) and when the other plant
    feeds theirs (in_kw [kW], instead of it); the largest over the pairs.
    """

    pipes: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    producers: pd.DataFrame
    pairs: pd.DataFrame
    path_flows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def backup_pairs(supply_area: pd.Series, backup: pd.DataFrame) -> pd.DataFrame:
    """The (primary site, backup site) pairs and their backup loads [kW], both directions merged.

    ``supply_area``: building_id -> site_id. ``backup``: building_id,
    backup_site_id (empty/None: none), backup_kw (the building's share of its
    district's backup requirement, kW). Raises :class:`InputError` naming
    missing columns or invalid loads.
    """
    missing = [c for c in ("building_id", "backup_site_id", "backup_kw") if c not in backup.columns]
    if missing:
        raise InputError(f"backup assignment: missing column(s) {', '.join(missing)}")
    b = backup.assign(building_id=backup["building_id"].astype(str))
    target = b["backup_site_id"].astype("string").fillna("").astype(str).to_numpy()
    kw = pd.to_numeric(b["backup_kw"], errors="coerce").to_numpy(dtype=float)
    has = target != ""
    bad = has & (~np.isfinite(kw) | (kw < 0))
    if bad.any():
        raise InputError(
            "backup assignment: backup_kw must be finite and >= 0 for building(s) "
            + ", ".join(b["building_id"].to_numpy()[bad][:10])
        )
    area = supply_area.copy()
    area.index = area.index.astype(str)
    primary = area.reindex(pd.Index(b["building_id"])).astype("string").fillna("").astype(str).to_numpy()
    use = has & (primary != "") & (primary != target)
    frame = pd.DataFrame({"site": primary[use], "backup": target[use], "kw": kw[use]})
    directed = frame.groupby(["site", "backup"], sort=True)["kw"].sum()
    cols = ["site_a", "site_b", "a_to_b_kw", "b_to_a_kw", "backup_kw"]
    if directed.empty:
        return pd.DataFrame({c: pd.Series(dtype=str if c.startswith("site") else float) for c in cols})
    s, t = directed.index.get_level_values(0).to_numpy(), directed.index.get_level_values(1).to_numpy()
    a, z = np.minimum(s, t), np.maximum(s, t)
    forward = s == a
    pairs = pd.DataFrame(
        {
            "site_a": a,
            "site_b": z,
            "a_to_b_kw": np.where(forward, directed.to_numpy(), 0.0),
            "b_to_a_kw": np.where(forward, 0.0, directed.to_numpy()),
        }
    ).groupby(["site_a", "site_b"], sort=True, as_index=False).sum()
    pairs["backup_kw"] = np.maximum(pairs["a_to_b_kw"], pairs["b_to_a_kw"])
    return pairs[cols]


def _parent_array(route: Route, n: int) -> IntArray:
    """Parent of every graph node in ``route``'s tree (-1 at the site, OUTSIDE off the tree)."""
    parent = np.full(n, OUTSIDE, dtype=np.int64)
    tree = route.nodes[route.nodes["parent"].notna()]
    parent[tree["node_id"].to_numpy(np.int64)] = tree["parent"].to_numpy(np.int64)
    return parent


def _side(route: Route, n: int, needy: IntArray) -> BoolArray:
    """Nodes of a site's network an interconnector may end on: the feeders of ``needy``, else all."""
    if len(needy):
        return mark_paths(_parent_array(route, n), needy)
    side = np.zeros(n, bool)
    side[route.nodes["node_id"].to_numpy(np.int64)] = True
    return side


def build_interconnectors(
    graph: NetworkGraph,
    routes: Mapping[str, Route],
    supply_area: pd.Series,
    backup: pd.DataFrame,
    *,
    max_length_m: float,
) -> Interconnectors:
    """The interconnectors of every (site, backup site) pair in ``backup`` (see the module docstring).

    ``routes`` maps each site id to its routed network (graph node ids);
    ``supply_area`` maps building_id -> site_id; ``backup`` has building_id,
    backup_site_id and backup_kw [kW]; ``max_length_m`` [m] bounds the new
    trench of one interconnector.
    """
    pairs = backup_pairs(supply_area, backup)
    n = graph.n_nodes
    edges = graph.edges
    length = edges["length_m"].to_numpy(float)
    existing = edges["existing"].to_numpy(bool)
    sg = graph.simple(length * np.where(existing, EXISTING_EUR_PER_M, 1.0))
    weights = length[sg.edge] * np.where(existing[sg.edge], EXISTING_EUR_PER_M, 1.0)
    kind = edges["kind"].to_numpy(object)[sg.edge]
    street = np.isin(kind, ("street", "existing"))
    site_node = graph.site_nodes()
    site_node.index = site_node.index.astype(str)
    used: dict[str, IntArray] = {}  # each network's own pipes (pair indices): no second pipe along them
    for site_id, r in routes.items():
        idx = sg.pair_index(r.edges["u"].to_numpy(np.int64), r.edges["v"].to_numpy(np.int64))
        used[site_id] = idx[idx >= 0]
    b_nodes = graph.building_nodes()
    b_nodes.index = b_nodes.index.astype(str)
    bk = backup.assign(
        building_id=backup["building_id"].astype(str),
        backup_site_id=backup["backup_site_id"].astype("string").fillna("").astype(str),
    )
    area = supply_area.copy()
    area.index = area.index.astype(str)
    bk["site_id"] = area.reindex(pd.Index(bk["building_id"])).astype("string").fillna("").astype(str).to_numpy()
    needy_of = bk.groupby(["site_id", "backup_site_id"], sort=False).indices  # (site, backup) -> rows
    building_ids = bk["building_id"].to_numpy()
    pipe_parts: list[pd.DataFrame] = []
    node_parts: list[pd.DataFrame] = []
    length_m = np.full(len(pairs), np.nan)
    new_m = np.full(len(pairs), np.nan)
    n_pipes = np.zeros(len(pairs), np.int64)
    reason = np.full(len(pairs), "", dtype=object)
    attached = np.full(len(pairs), "districts", dtype=object)
    plants: dict[str, int] = {}  # backup-only sites joined, and their plant node
    flow_parts: list[pd.DataFrame] = []
    a_to_b_kw, b_to_a_kw = pairs["a_to_b_kw"].to_numpy(float), pairs["b_to_a_kw"].to_numpy(float)
    for k, (a, z, flow) in enumerate(
        zip(pairs["site_a"], pairs["site_b"], pairs["backup_kw"].to_numpy(float), strict=True)
    ):
        absent = [x for x in (a, z) if x not in site_node.index]
        if absent:  # e.g. a relaxed plan's backup site where no module stands (not chosen)
            reason[k] = f"site {absent[0]} is not among the network's sites"
            attached[k] = ""
            continue
        allowed = street.copy()
        feeders, whole = [], []
        for site, other in ((a, z), (z, a)):
            if site in routes:
                needy_ids = building_ids[needy_of.get((site, other), np.zeros(0, np.int64))]
                needy = b_nodes.reindex(pd.Index(needy_ids)).dropna().to_numpy(np.int64)
                feeders.append(_side(routes[site], n, needy))
                whole.append(_side(routes[site], n, np.zeros(0, np.int64)))
                allowed[used[site]] = False
            else:  # a backup-only site: from its plant node, along its site connection
                x = int(site_node[site])
                side = np.zeros(n, bool)
                side[x] = True
                feeders.append(side)
                whole.append(side)
                allowed |= (kind == "site") & ((sg.a == x) | (sg.b == x))
        prefix = f"{a}{PAIR_SEPARATOR}{z}"
        join = _join(sg, allowed, weights, feeders[0], feeders[1], flow, max_length_m)
        side_a, side_b = feeders
        if join is None and not (np.array_equal(feeders[0], whole[0]) and np.array_equal(feeders[1], whole[1])):
            join = _join(sg, allowed, weights, whole[0], whole[1], flow, max_length_m)
            side_a, side_b = whole
            attached[k] = "networks"
        if join is None:
            reason[k] = f"no street path within {max_length_m:g} m of new trench"
            attached[k] = ""
            continue
        a_to_b, b_to_a = float(a_to_b_kw[k]), float(b_to_a_kw[k])
        if isinstance(join, int):  # the networks meet at a street node: a valve between them there
            pipe_parts.append(_valve(graph, prefix, join, flow, (f"{a}:{join}", f"{z}:{join}")))
            length_m[k], new_m[k], n_pipes[k] = 0.0, 0.0, 1
            flow_parts += _path_flows(routes, n, (a, join, b_to_a, a_to_b), (z, join, a_to_b, b_to_a))
            continue
        rp = join
        e = edges.iloc[sg.edge[rp.pairs]]
        u, v = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
        name = _node_names(np.concatenate([u, v]), side_a, side_b, a, z, prefix)
        inner = np.unique(np.concatenate([u, v])[~(side_a | side_b)[np.concatenate([u, v])]])
        pipe_parts.append(
            pd.DataFrame(
                {
                    "pipe_id": [f"{prefix}:{i}" for i in e["edge_id"].to_numpy(np.int64)],
                    "from_node": name[: len(u)],
                    "to_node": name[len(u) :],
                    "length_m": e["length_m"].to_numpy(float),
                    "dn": e["existing_dn"].astype("Int64").to_numpy(),
                    "design_flow_kw": rp.flow_kw,
                    "existing": e["existing"].to_numpy(bool),
                    "laying_year": e["laying_year"].astype("Int64").to_numpy(),
                    "kind": e["kind"].to_numpy(object),
                    "geometry": e.geometry.to_numpy(),
                }
            )
        )
        gn = graph.nodes.iloc[inner]
        node_parts.append(
            pd.DataFrame(
                {
                    "node_id": [f"{prefix}:{i}" for i in inner],
                    "kind": gn["kind"].to_numpy(object),
                    "building_id": gn["building_id"].to_numpy(object),
                    "site_id": gn["site_id"].to_numpy(object),
                    "geometry": gn.geometry.to_numpy(),
                }
            )
        )
        for site in (a, z):
            if site not in routes:
                plants[site] = int(site_node[site])
        ends = np.unique(np.concatenate([u, v]))
        end_a, end_b = int(ends[side_a[ends]][0]), int(ends[side_b[ends]][0])
        flow_parts += _path_flows(routes, n, (a, end_a, b_to_a, a_to_b), (z, end_b, a_to_b, b_to_a))
        metres = e["length_m"].to_numpy(float)
        length_m[k], n_pipes[k] = float(metres.sum()), len(e)
        new_m[k] = float(metres[~e["existing"].to_numpy(bool)].sum())
    pairs = pairs.assign(
        length_m=length_m, new_trench_m=new_m, n_pipes=n_pipes, attached=attached, built=reason == "",
        reason=reason,
    )
    plant_ids = sorted(plants)
    plant_nodes = np.array([plants[p] for p in plant_ids], dtype=np.int64)
    gp = graph.nodes.iloc[plant_nodes]
    node_parts.append(
        pd.DataFrame(
            {
                "node_id": [f"{p}:{x}" for p, x in zip(plant_ids, plant_nodes, strict=True)],
                "kind": gp["kind"].to_numpy(object),
                "building_id": gp["building_id"].to_numpy(object),
                "site_id": gp["site_id"].to_numpy(object),
                "geometry": gp.geometry.to_numpy(),
            }
        )
    )
    producers = pd.DataFrame(
        {
            "site_id": np.array(plant_ids, dtype=object),
            "node_id": [f"{p}:{x}" for p, x in zip(plant_ids, plant_nodes, strict=True)],
            "design_load_kw": np.zeros(len(plant_ids)),
            "n_buildings": np.zeros(len(plant_ids), np.int64),
        }
    )
    flows = (
        pd.concat(flow_parts, ignore_index=True).groupby("node_id", as_index=False).max()
        if flow_parts
        else pd.DataFrame({"node_id": pd.Series(dtype=str), "out_kw": pd.Series(dtype=float),
                           "in_kw": pd.Series(dtype=float)})
    )
    return Interconnectors(
        pipes=_pipes_frame(pipe_parts, graph),
        nodes=_nodes_frame(node_parts, graph),
        producers=producers,
        pairs=pairs,
        path_flows=flows,
        warnings=_warnings(pairs),
    )


def _join(
    sg: SimpleGraph,
    allowed: BoolArray,
    weights: FloatArray,
    side_a: BoolArray,
    side_b: BoolArray,
    flow_kw: float,
    max_length_m: float,
) -> int | RingPaths | None:
    """The cheapest join of two node sets: a node both hold, else the kernel's path, else None."""
    shared = np.flatnonzero(side_a & side_b)
    if len(shared):
        return int(shared[0])
    site_of = np.where(side_a, 0, np.where(side_b, 1, -1)).astype(np.int64)
    rp = find_ring_paths(
        sg, allowed, weights, side_a | side_b, site_of, np.zeros(sg.n, bool), np.zeros(sg.n),
        np.array([flow_kw, flow_kw]), max_length_m, between_sites=True, within_sites=False,
    )  # both sides' "site load" is the pair's backup load: the kernel sizes the path for it
    return rp if len(rp.pairs) else None


def _path_flows(routes: Mapping[str, Route], n: int, *ends: tuple[str, int, float, float]) -> list[pd.DataFrame]:
    """Each end's (site, node, out_kw, in_kw): the site's pipes from that node up to its plant."""
    out = []
    for site, node, out_kw, in_kw in ends:
        if site not in routes:
            continue
        parent = _parent_array(routes[site], n)
        chain = np.flatnonzero(mark_paths(parent, np.array([node])) & (parent >= 0))
        out.append(
            pd.DataFrame({"node_id": [f"{site}:{x}" for x in chain], "out_kw": out_kw, "in_kw": in_kw})
        )
    return out


def _node_names(
    nodes: IntArray, side_a: BoolArray, side_b: BoolArray, a: str, z: str, prefix: str
) -> list[str]:
    """Frame ids of path nodes: a network's own id at its two ends, the pair's prefix inside."""
    pre = np.where(side_a[nodes], a, np.where(side_b[nodes], z, prefix))
    return [f"{p}:{x}" for p, x in zip(pre, nodes, strict=True)]


def _valve(graph: NetworkGraph, prefix: str, x: int, flow_kw: float, ends: tuple[str, str]) -> pd.DataFrame:
    """A zero-length cross-connection where the two networks share street node ``x``."""
    pt = graph.nodes.geometry.iloc[x]
    return pd.DataFrame(
        {
            "pipe_id": [f"{prefix}:node{x}"],
            "from_node": [ends[0]],
            "to_node": [ends[1]],
            "length_m": [0.0],
            "dn": pd.array([pd.NA], dtype="Int64"),
            "design_flow_kw": [flow_kw],
            "existing": [False],
            "laying_year": pd.array([pd.NA], dtype="Int64"),
            "kind": ["street"],
            "geometry": [shapely.linestrings([[pt.x, pt.y], [pt.x, pt.y]])],
        }
    )


def _pipes_frame(parts: list[pd.DataFrame], graph: NetworkGraph) -> gpd.GeoDataFrame:
    cols: dict[str, str] = {
        "pipe_id": "object", "from_node": "object", "to_node": "object", "length_m": "float64",
        "dn": "Int64", "design_flow_kw": "float64", "existing": "bool", "laying_year": "Int64",
        "kind": "object",
    }
    if parts:
        df = pd.concat(parts, ignore_index=True)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()}).assign(geometry=None)
    df["dn"] = df["dn"].astype("Int64")
    df["laying_year"] = df["laying_year"].astype("Int64")
    df["cost_eur"] = 0.0  # priced by DN in the design
    df["n_downstream"] = np.zeros(len(df), np.int64)
    df["site_id"] = np.full(len(df), None, dtype=object)
    df["ring"] = np.ones(len(df), bool)
    df["interconnector"] = np.ones(len(df), bool)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=graph.crs)


def _nodes_frame(parts: list[pd.DataFrame], graph: NetworkGraph) -> gpd.GeoDataFrame:
    if parts:
        df = pd.concat(parts, ignore_index=True)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=str) for c in ("node_id", "kind", "building_id", "site_id")})
        df["geometry"] = None
    return gpd.GeoDataFrame(df, geometry="geometry", crs=graph.crs)


def _warnings(pairs: pd.DataFrame) -> list[str]:
    """One message naming every pair not built, with why."""
    missing = pairs[~pairs["built"]]
    if missing.empty:
        return []
    listed = "; ".join(
        f"{r.site_a} - {r.site_b} ({r.backup_kw:.0f} kW): {r.reason}" for r in missing.head(10).itertuples()
    )
    more = f"; and {len(missing) - 10} more" if len(missing) > 10 else ""
    return [f"{len(missing)} site-loss interconnector(s) not built: {listed}{more}"]
