"""The routing graph: cleaned streets, with buildings and plant sites hung on them.

Heat pipes in a city run along streets (DESIGN.md, "network"), so the graph
a network is routed on is the street graph, cleaned for routing, plus one
service edge per heated building and one connection edge per plant site:

- streets of excluded classes are dropped, street ends and shared vertices
  closer than a tolerance are merged into one node, lines are split at every
  vertex they share with another line, zero-length edges and self-loops are
  dropped, and of parallel edges tracing the same street the shortest is kept;
- each heated building gets a node at its footprint's point nearest to a
  street, joined by a ``service`` edge to a ``tap`` node that splits the
  street edge at the building's projection;
- each plant site is joined the same way by a ``site`` edge (:func:`add_sites`).

Node ids are row positions (``nodes.node_id[i] == i``); edge geometries run
from ``u`` to ``v``. Everything is in the streets' metric CRS (metres).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from teplo.errors import InputError, TeploWarning
from teplo.network._graph import SimpleGraph
from teplo.network._lines import cluster_points, lines_from_vertex_ranges, split_lines

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]

#: Street classes heat pipes are not laid along. motorway(_link) and
#: trunk(_link) are controlled-access roads with grade-separated junctions
#: (OSM wiki, Key:highway): pipes cross them in casings but are not run along
#: them. construction/proposed are roads not yet open or not yet built
#: (https://wiki.openstreetmap.org/wiki/Key:construction,
#: https://wiki.openstreetmap.org/wiki/Tag:highway=proposed). Caveat: OSM
#: sometimes tags urban avenues as trunk; pass ``allowed_highways`` to keep them.
EXCLUDED_HIGHWAYS: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
)

#: Longest service pipe from a building to a street, m. [E] Soviet
#: microdistrict quarters are ≈ 250–400 m across with buildings set back from
#: the bounding streets, so a heated building is rarely more than ≈ 150 m from
#: one; a building farther away usually means a service road missing from the
#: map, which the user should see rather than have bridged silently.
MAX_SERVICE_LENGTH_M = 150.0

#: Street ends or vertices closer than this are one node, m. [E] above the
#: noise of digitised and OSM coordinates (OSM stores 1e-7 degree ≈ 1 cm) and
#: far below a street's width (≥ 3 m), so distinct junctions never merge.
MERGE_TOLERANCE_M = 0.5

#: Parallel edges between the same two nodes whose lines stay within this of
#: each other trace one street, m; the shortest is kept, others are split to
#: keep the graph simple. [E] under half a traffic lane (3.0–3.75 m).
SAME_STREET_M = 2.0

#: Longest connection from a plant site to a street, m. [E] a modular boiler
#: house stands on a yard or an old boiler-house plot, up to a block side from
#: a street; a real Mykolaiv hospital BMK needed 204 m of pipe
#: (kharkiv-figures.md §4.2, Ukrainian anchors).
MAX_SITE_CONNECTION_M = 300.0

NODE_KINDS = ("street", "tap", "building", "site", "pipe")
EDGE_KINDS = ("street", "service", "existing", "site")
#: Edge kinds buildings and sites may be connected to (never to another service line).
CONNECTABLE_KINDS = ("street", "existing")


@dataclass
class NetworkGraph:
    """Routing graph: nodes and undirected edges as GeoDataFrames in a metric CRS.

    ``nodes``: node_id (== row position), kind ('street' | 'tap' | 'building' |
    'site' | 'pipe', the last for nodes of existing off-street pipes),
    building_id, site_id (None where not applicable), design_load_kw (NaN where
    unknown), geometry Point.

    ``edges``: edge_id (unique, stable), u, v, length_m [m], kind ('street' |
    'service' | 'existing' | 'site'), street_id and highway (empty when not a
    street), existing (bool, an existing pipe lies along it), existing_dn [mm],
    laying_year (nullable ints), geometry LineString running from u to v.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    unconnected_buildings: list[str] = field(default_factory=list)
    report: dict[str, int] = field(default_factory=dict)

    @property
    def crs(self) -> CRS | None:
        """The metric CRS of the graph."""
        crs: CRS | None = self.nodes.crs
        return crs

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def simple(self, weight: FloatArray | None = None) -> SimpleGraph:
        """The graph as a :class:`SimpleGraph` (lightest of parallel edges), weight = length by default."""
        w = self.edges["length_m"].to_numpy(float) if weight is None else weight
        return SimpleGraph.build(
            self.edges["u"].to_numpy(np.int64), self.edges["v"].to_numpy(np.int64), w, self.n_nodes
        )

    def adjacency(self, weight: FloatArray | None = None) -> csr_array:
        """Symmetric sparse adjacency, entries = edge ``weight`` (default length, m) per node pair."""
        return self.simple(weight).matrix()

    def to_networkx(self) -> nx.Graph:
        """A networkx Graph (for clarity in non-hot code); of parallel edges the shortest is kept."""
        g: nx.Graph = nx.Graph(crs=self.crs)
        xy = shapely.get_coordinates(self.nodes.geometry.values)
        for i, (kind, bid, sid) in enumerate(
            zip(self.nodes["kind"], self.nodes["building_id"], self.nodes["site_id"], strict=True)
        ):
            g.add_node(i, kind=kind, building_id=bid, site_id=sid, x=xy[i, 0], y=xy[i, 1])
        sg = self.simple()
        e = self.edges.iloc[sg.edge]
        for a, b, eid, length, kind in zip(
            sg.a, sg.b, e["edge_id"], e["length_m"], e["kind"], strict=True
        ):
            g.add_edge(int(a), int(b), edge_id=int(eid), length_m=float(length), kind=kind)
        return g

    def component_labels(self) -> IntArray:
        """Connected-component label of every node (labels ordered by lowest node id)."""
        _, labels = connected_components(self.adjacency(), directed=False)
        return labels.astype(np.int64)

    def components(self) -> pd.DataFrame:
        """One row per connected component with its size, buildings, sites and design load.

        Columns: component, n_nodes, n_edges, length_m [m], n_buildings,
        n_sites, design_load_kw [kW] (sum over its buildings with a known
        load), building_ids (sorted list), site_ids (sorted list). Sorted by
        number of buildings, largest first.
        """
        lab = self.component_labels()
        n = int(lab.max()) + 1 if len(lab) else 0
        kind = self.nodes["kind"].to_numpy()
        is_b, is_s = kind == "building", kind == "site"
        u = self.edges["u"].to_numpy(np.int64)
        load = self.nodes["design_load_kw"].to_numpy(float)
        df = pd.DataFrame(
            {
                "component": np.arange(n),
                "n_nodes": np.bincount(lab, minlength=n),
                "n_edges": np.bincount(lab[u], minlength=n),
                "length_m": np.bincount(lab[u], weights=self.edges["length_m"].to_numpy(float), minlength=n),
                "n_buildings": np.bincount(lab[is_b], minlength=n),
                "n_sites": np.bincount(lab[is_s], minlength=n),
                "design_load_kw": np.bincount(lab[is_b], weights=np.nan_to_num(load[is_b]), minlength=n),
            }
        )
        ids_b = pd.Series(self.nodes["building_id"].to_numpy()[is_b]).groupby(lab[is_b]).agg(sorted)
        ids_s = pd.Series(self.nodes["site_id"].to_numpy()[is_s]).groupby(lab[is_s]).agg(sorted)
        df["building_ids"] = [ids_b.get(c, []) for c in range(n)]
        df["site_ids"] = [ids_s.get(c, []) for c in range(n)]
        return df.sort_values(["n_buildings", "component"], ascending=[False, True], kind="stable").reset_index(drop=True)

    def building_nodes(self) -> pd.Series:
        """Node id of each connected building, indexed by building_id."""
        b = self.nodes[self.nodes["kind"] == "building"]
        return pd.Series(b["node_id"].to_numpy(np.int64), index=pd.Index(b["building_id"], name="building_id"), name="node_id")

    def site_nodes(self) -> pd.Series:
        """Node id of each connected site, indexed by site_id."""
        s = self.nodes[self.nodes["kind"] == "site"]
        return pd.Series(s["node_id"].to_numpy(np.int64), index=pd.Index(s["site_id"], name="site_id"), name="node_id")


# --------------------------------------------------------------------- frames


def _nodes_frame(
    xy: FloatArray,
    kind: str,
    start_id: int,
    crs: CRS | None,
    *,
    building_id: Iterable[object] | None = None,
    site_id: Iterable[object] | None = None,
    design_load_kw: FloatArray | None = None,
) -> gpd.GeoDataFrame:
    """New nodes at ``xy`` with ids ``start_id, start_id + 1, ...``."""
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "node_id": np.arange(start_id, start_id + n, dtype=np.int64),
            "kind": np.full(n, kind, dtype=object),
            "building_id": np.full(n, None, dtype=object) if building_id is None else np.asarray(list(building_id), dtype=object),
            "site_id": np.full(n, None, dtype=object) if site_id is None else np.asarray(list(site_id), dtype=object),
            "design_load_kw": np.full(n, np.nan) if design_load_kw is None else np.asarray(design_load_kw, float),
        },
        geometry=shapely.points(xy) if n else np.array([], dtype=object),
        crs=crs,
    )


def _edges_frame(
    u: IntArray,
    v: IntArray,
    geoms: GeomArray,
    kind: str | npt.NDArray[np.object_],
    start_id: int,
    crs: CRS | None,
    *,
    street_id: Iterable[object] | None = None,
    highway: Iterable[object] | None = None,
    existing: BoolArray | None = None,
    existing_dn: Iterable[object] | None = None,
    laying_year: Iterable[object] | None = None,
) -> gpd.GeoDataFrame:
    """New edges with ids ``start_id, ...``; lengths from the geometries."""
    n = len(u)

    def col(values: Iterable[object] | None, default: object) -> npt.NDArray[np.object_]:
        return np.full(n, default, dtype=object) if values is None else np.asarray(list(values), dtype=object)

    return gpd.GeoDataFrame(
        {
            "edge_id": np.arange(start_id, start_id + n, dtype=np.int64),
            "u": np.asarray(u, np.int64),
            "v": np.asarray(v, np.int64),
            "length_m": shapely.length(geoms).astype(float) if n else np.zeros(0),
            "kind": np.broadcast_to(np.asarray(kind, dtype=object), (n,)).copy(),
            "street_id": col(street_id, ""),
            "highway": col(highway, ""),
            "existing": np.zeros(n, bool) if existing is None else np.asarray(existing, bool),
            "existing_dn": pd.Series(col(existing_dn, None), dtype=object).astype("Int64").array,
            "laying_year": pd.Series(col(laying_year, None), dtype=object).astype("Int64").array,
        },
        geometry=geoms if n else np.array([], dtype=object),
        crs=crs,
    )


def _concat(frames: list[gpd.GeoDataFrame], crs: CRS | None) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        raise InputError("no streets left to build a network graph on")
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def _next_id(frame: gpd.GeoDataFrame, col: str) -> int:
    return int(frame[col].max()) + 1 if len(frame) else 0


# ------------------------------------------------------------------- cleaning


def _line_geometries(frame: gpd.GeoDataFrame, what: str) -> tuple[GeomArray, IntArray, int]:
    """LineStrings of ``frame`` (MultiLineStrings exploded) and their source rows.

    Null or empty geometries are skipped (and counted); any other geometry type
    is an :class:`InputError` naming the row.
    """
    geoms = frame.geometry.values
    gtype = shapely.get_type_id(geoms)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad = ~empty & ~np.isin(gtype, (1, 5))  # LineString, MultiLineString
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise InputError(
            f"{what}: row(s) {rows} have geometry type "
            f"{sorted(set(shapely.get_type_id(geoms[bad]).tolist()))} (shapely type ids); "
            "only LineString or MultiLineString lines are accepted"
        )
    keep = np.flatnonzero(~empty)
    parts, src = shapely.get_parts(geoms[keep], return_index=True)
    return parts, keep[src].astype(np.int64), int(empty.sum())


def _check_metric(frame: gpd.GeoDataFrame, what: str) -> None:
    if frame.crs is not None and frame.crs.is_geographic:
        raise InputError(
            f"{what} are in a geographic CRS ({frame.crs.to_string()}); reproject them to the "
            "area's metric CRS (its UTM zone) before building the network graph"
        )


def _clean_lines(
    lines: GeomArray, tolerance_m: float
) -> tuple[FloatArray, IntArray, IntArray, GeomArray, IntArray, dict[str, int]]:
    """Node the lines: merge close vertices, split at shared vertices, drop degenerate edges.

    Returns node coordinates, edge ends ``u``, ``v``, edge geometries (running
    u -> v), each edge's source line index, and counts of what was changed.
    """
    report: dict[str, int] = {}
    coords, owner_raw = shapely.get_coordinates(lines, return_index=True)
    owner = owner_raw.astype(np.int64)
    nv = len(coords)
    first = np.searchsorted(owner, np.arange(len(lines)), side="left")
    last = np.searchsorted(owner, np.arange(len(lines)), side="right") - 1
    is_end = np.zeros(nv, bool)
    is_end[first] = True
    is_end[last] = True
    cluster = cluster_points(coords, tolerance_m)
    # snap every vertex to its cluster's first vertex
    first_of_cluster = np.full(int(cluster.max()) + 1 if nv else 0, nv, dtype=np.int64)
    np.minimum.at(first_of_cluster, cluster, np.arange(nv))
    rep = first_of_cluster[cluster]
    moved = np.any(coords != coords[rep], axis=1)
    report["vertices_merged"] = int(moved.sum())
    coords = coords[rep]
    # a vertex is a node if it ends its line or its cluster holds a vertex of another line
    pair = pd.DataFrame({"c": cluster, "line": owner}).drop_duplicates()
    n_lines_at = np.bincount(pair["c"].to_numpy(), minlength=len(first_of_cluster))
    is_node = is_end | (n_lines_at[cluster] > 1)
    report["split_at_shared_vertex"] = int((is_node & ~is_end).sum())
    node_vertices = np.flatnonzero(is_node)
    node_cluster = cluster[node_vertices]
    uniq, node_of_cluster_pos = np.unique(node_cluster, return_inverse=True)
    # node ids by first appearance
    firsts = np.full(len(uniq), nv, dtype=np.int64)
    np.minimum.at(firsts, node_of_cluster_pos, node_vertices)
    order = np.argsort(firsts, kind="stable")
    renum = np.empty(len(uniq), dtype=np.int64)
    renum[order] = np.arange(len(uniq))
    node_id = renum[node_of_cluster_pos]
    node_xy = coords[firsts[order]]
    # pieces between consecutive node vertices of one line
    same = owner[node_vertices[1:]] == owner[node_vertices[:-1]]
    start = node_vertices[:-1][same]
    end = node_vertices[1:][same]
    u = node_id[:-1][same]
    v = node_id[1:][same]
    geoms = shapely.remove_repeated_points(lines_from_vertex_ranges(coords, start, end), 0.0)
    src = owner[start]
    lengths = shapely.length(geoms)
    # degenerate edges: zero length, or a loop back to its own start
    zero = lengths <= tolerance_m
    loop = (u == v) & ~zero
    report["dropped_zero_length"] = int(zero.sum())
    keep = ~zero
    u, v, geoms, src = u[keep], v[keep], geoms[keep], src[keep]
    loop = loop[keep]
    # loops (ring roads returning to their start) are cut in three so the street stays usable
    node_xy, u, v, geoms, src = _cut_edges(node_xy, u, v, geoms, src, loop, 3)
    report["split_self_loop"] = int(loop.sum())
    # parallel edges: duplicates dropped, distinct streets between the same nodes split
    u, v, geoms, src, dup, par = _resolve_parallel(u, v, geoms, src)
    report["dropped_duplicate"] = int(dup)
    node_xy, u, v, geoms, src = _cut_edges(node_xy, u, v, geoms, src, par, 2)
    report["split_parallel"] = int(par.sum())
    return node_xy, u, v, geoms, src, report


def _cut_edges(
    node_xy: FloatArray, u: IntArray, v: IntArray, geoms: GeomArray, src: IntArray,
    mask: BoolArray, n_parts: int,
) -> tuple[FloatArray, IntArray, IntArray, GeomArray, IntArray]:
    """Cut the edges in ``mask`` into ``n_parts`` equal parts, adding the cut points as nodes."""
    if not mask.any():
        return node_xy, u, v, geoms, src
    sel = np.flatnonzero(mask)
    k = len(sel)
    lengths = shapely.length(geoms[sel])
    line_idx = np.repeat(np.arange(k), n_parts - 1)
    frac = np.tile(np.arange(1, n_parts) / n_parts, k)
    pieces, piece_line, cut_xy = split_lines(geoms[sel], line_idx, frac * lengths[line_idx])
    new_ids = len(node_xy) + np.arange(len(cut_xy))
    rank = np.arange(len(pieces)) - piece_line * n_parts
    cut_of = piece_line * (n_parts - 1)
    pu = np.where(rank == 0, u[sel][piece_line], new_ids[cut_of + rank - 1])
    pv = np.where(rank == n_parts - 1, v[sel][piece_line], new_ids[np.minimum(cut_of + rank, len(new_ids) - 1)])
    keep = ~mask
    return (
        np.concatenate([node_xy, cut_xy]),
        np.concatenate([u[keep], pu]),
        np.concatenate([v[keep], pv]),
        np.concatenate([geoms[keep], pieces]),
        np.concatenate([src[keep], src[sel][piece_line]]),
    )


def _resolve_parallel(
    u: IntArray, v: IntArray, geoms: GeomArray, src: IntArray
) -> tuple[IntArray, IntArray, GeomArray, IntArray, int, BoolArray]:
    """Drop duplicate parallel edges (keeping the shortest); flag distinct parallel ones to split.

    Two edges between the same nodes are duplicates when their lines stay within
    :data:`SAME_STREET_M` of each other (Hausdorff distance).
    """
    a, b = np.minimum(u, v), np.maximum(u, v)
    lengths = shapely.length(geoms)
    order = np.lexsort((np.arange(len(u)), lengths, b, a))
    same_pair = np.zeros(len(u), bool)
    same_pair[1:] = (a[order][1:] == a[order][:-1]) & (b[order][1:] == b[order][:-1])
    group_first = np.maximum.accumulate(np.where(~same_pair, np.arange(len(u)), 0))
    shortest = order[group_first]  # the shortest edge of each edge's pair group
    member = order[same_pair]
    hd = shapely.hausdorff_distance(geoms[member], geoms[shortest[same_pair]])
    drop = np.zeros(len(u), bool)
    drop[member[hd <= SAME_STREET_M]] = True
    split = np.zeros(len(u), bool)
    split[member[hd > SAME_STREET_M]] = True
    keep = ~drop
    return u[keep], v[keep], geoms[keep], src[keep], int(drop.sum()), split[keep]


def _filter_highways(
    streets: gpd.GeoDataFrame,
    allowed_highways: Iterable[str] | None,
    excluded_highways: Iterable[str],
) -> BoolArray:
    hw = streets["highway"].astype(str).to_numpy()
    if allowed_highways is not None:
        return np.isin(hw, list(allowed_highways))
    return ~np.isin(hw, list(excluded_highways))


# ------------------------------------------------------------- connections


def tap_edges(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    edge_pos: IntArray,
    dist_m: FloatArray,
    min_sep_m: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, IntArray]:
    """Split edges (row positions ``edge_pos``) at distances ``dist_m`` along them.

    Points within ``min_sep_m`` of an edge end use that end's node; points on
    one edge within ``min_sep_m`` of each other share one new ``tap`` node.
    Returns the new nodes and edges frames and the node of every point. Split
    edges are replaced by their pieces (new edge ids, attributes inherited).
    """
    crs = nodes.crs
    geoms = edges.geometry.values
    eu = edges["u"].to_numpy(np.int64)
    ev = edges["v"].to_numpy(np.int64)
    lengths = shapely.length(geoms[edge_pos])
    at_start = dist_m <= np.minimum(min_sep_m, lengths / 2)
    at_end = ~at_start & (dist_m >= lengths - min_sep_m)
    node = np.where(at_start, eu[edge_pos], np.where(at_end, ev[edge_pos], -1)).astype(np.int64)
    inner = np.flatnonzero(node < 0)
    if len(inner) == 0:
        return nodes, edges, node
    o = inner[np.lexsort((dist_m[inner], edge_pos[inner]))]
    ep, sp = edge_pos[o], dist_m[o]
    new_group = np.ones(len(o), bool)
    new_group[1:] = (ep[1:] != ep[:-1]) | (np.diff(sp) > min_sep_m)
    gid = np.cumsum(new_group) - 1
    g_edge, g_s = ep[new_group], sp[new_group]
    cut_edges, line_idx = np.unique(g_edge, return_inverse=True)
    pieces, piece_line, cut_xy = split_lines(geoms[cut_edges], line_idx, g_s)
    first_tap = len(nodes)
    node[o] = first_tap + gid
    n_cuts = np.bincount(line_idx, minlength=len(cut_edges))
    cut_start = np.cumsum(n_cuts) - n_cuts
    piece_start = np.cumsum(n_cuts + 1) - (n_cuts + 1)
    rank = np.arange(len(pieces)) - piece_start[piece_line]
    tap_ids = first_tap + np.arange(len(g_s))
    last = rank == n_cuts[piece_line]
    pu = np.where(rank == 0, eu[cut_edges][piece_line], tap_ids[np.maximum(cut_start[piece_line] + rank - 1, 0)])
    pv = np.where(last, ev[cut_edges][piece_line], tap_ids[np.minimum(cut_start[piece_line] + rank, len(tap_ids) - 1)])
    parent = edges.iloc[cut_edges[piece_line]]
    new_edges = _edges_frame(
        pu, pv, pieces, parent["kind"].to_numpy(object), _next_id(edges, "edge_id"), crs,
        street_id=parent["street_id"], highway=parent["highway"],
        existing=parent["existing"].to_numpy(bool),
        existing_dn=parent["existing_dn"], laying_year=parent["laying_year"],
    )
    keep = np.ones(len(edges), bool)
    keep[cut_edges] = False
    taps = _nodes_frame(cut_xy, "tap", first_tap, crs)
    return _concat([nodes, taps], crs), _concat([edges[keep], new_edges], crs), node


def connect_geometries(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    geoms: GeomArray,
    max_distance_m: float,
    min_sep_m: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, IntArray, GeomArray, FloatArray]:
    """Find each geometry's nearest connectable edge within reach and tap it.

    The nearest edge is found by the distance from the whole footprint (so a
    large building finds the street it fronts); the tap is the projection of
    the footprint's centroid onto that edge, and the entry point the
    footprint's point nearest to the tap (its centroid when the street runs
    through the footprint). Returns the new frames, the
    tap node (-1 if no edge within ``max_distance_m``), the entry points and
    the entry-to-tap distances (m; NaN where not connected).
    """
    n = len(geoms)
    tap = np.full(n, -1, dtype=np.int64)
    entry = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    target = np.flatnonzero(edges["kind"].isin(CONNECTABLE_KINDS).to_numpy())
    if n == 0 or len(target) == 0:
        return nodes, edges, tap, entry, dist
    lines = edges.geometry.values[target]
    tree = shapely.STRtree(lines)
    (gi, ti), d = tree.query_nearest(geoms, max_distance=max_distance_m, return_distance=True, all_matches=False)
    o = np.argsort(gi, kind="stable")
    gi, ti, d = gi[o], ti[o], d[o]
    line = lines[ti]
    s = shapely.line_locate_point(line, shapely.centroid(geoms[gi]))
    nodes, edges, tap_gi = tap_edges(nodes, edges, target[ti], s, min_sep_m)
    tap_pt = nodes.geometry.values[tap_gi]
    p_in = shapely.get_point(shapely.shortest_line(geoms[gi], tap_pt), 0)
    inside = shapely.intersects(geoms[gi], tap_pt)
    p_in[inside] = shapely.centroid(geoms[gi][inside])
    tap[gi] = tap_gi
    entry[gi] = p_in
    dist[gi] = shapely.distance(p_in, tap_pt)
    return nodes, edges, tap, entry, dist


def _add_leaves(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    entry: GeomArray,
    tap: IntArray,
    node_kind: str,
    edge_kind: str,
    **node_attrs: Iterable[object] | FloatArray,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Add a ``node_kind`` node at each entry point, joined to its tap by an ``edge_kind`` edge."""
    crs = nodes.crs
    xy = shapely.get_coordinates(entry)
    start = len(nodes)
    new_nodes = _nodes_frame(xy, node_kind, start, crs, **node_attrs)  # type: ignore[arg-type]
    tap_xy = shapely.get_coordinates(nodes.geometry.values[tap])
    lines = shapely.linestrings(
        np.stack([xy, tap_xy], axis=1).reshape(-1, 2), indices=np.repeat(np.arange(len(xy)), 2)
    ) if len(xy) else np.array([], dtype=object)
    ids = np.arange(start, start + len(xy), dtype=np.int64)
    new_edges = _edges_frame(ids, tap, lines, edge_kind, _next_id(edges, "edge_id"), crs)
    return _concat([nodes, new_nodes], crs), _concat([edges, new_edges], crs)


# ----------------------------------------------------------------- public API


def build_network_graph(
    streets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    allowed_highways: Iterable[str] | None = None,
    excluded_highways: Iterable[str] = EXCLUDED_HIGHWAYS,
    max_service_length_m: float = MAX_SERVICE_LENGTH_M,
    merge_tolerance_m: float = MERGE_TOLERANCE_M,
) -> NetworkGraph:
    """Clean ``streets`` for routing and connect every heated building by a service edge.

    ``streets`` need ``highway`` and LineString geometry (``street_id`` is
    carried along when present; the input ``u``/``v`` are not trusted, nodes
    are rebuilt from the geometry). ``buildings`` need ``building_id`` and
    footprint geometry; buildings with ``heated == False`` are skipped, and
    ``design_load_kw`` (kW) is carried onto the building nodes when present.
    With ``allowed_highways`` only those classes are kept; otherwise the
    ``excluded_highways`` are dropped. Buildings with no street within
    ``max_service_length_m`` (m) are listed in ``unconnected_buildings`` (and
    a :class:`TeploWarning` says how many); none is dropped silently.
    """
    for frame, what in ((streets, "streets"), (buildings, "buildings")):
        _check_metric(frame, what)
    if "highway" not in streets.columns:
        raise InputError("streets: missing column 'highway' (the OSM highway=* class of each line)")
    if "building_id" not in buildings.columns:
        raise InputError("buildings: missing column 'building_id'")
    if streets.crs is not None and buildings.crs is not None and streets.crs != buildings.crs:
        raise InputError(
            f"streets ({streets.crs.to_string()}) and buildings ({buildings.crs.to_string()}) "
            "are in different CRSs; reproject both to the area's metric CRS"
        )
    crs = streets.crs if streets.crs is not None else buildings.crs
    report: dict[str, int] = {"streets_in": len(streets)}
    keep = _filter_highways(streets, allowed_highways, excluded_highways)
    report["dropped_excluded_highway"] = int((~keep).sum())
    kept = streets[keep]
    lines, src_row, n_empty = _line_geometries(kept, "streets")
    report["dropped_empty_geometry"] = n_empty
    node_xy, u, v, geoms, src, clean_report = _clean_lines(lines, merge_tolerance_m)
    report.update(clean_report)
    rows = kept.iloc[src_row[src]]
    street_id = rows["street_id"].astype(str) if "street_id" in rows.columns else pd.Series(rows.index.astype(str))
    nodes = _nodes_frame(node_xy, "street", 0, crs)
    edges = _edges_frame(
        u, v, geoms, "street", 0, crs, street_id=street_id, highway=rows["highway"].astype(str)
    )
    if len(edges) == 0:
        raise InputError("streets: no usable street lines left after cleaning (all excluded or degenerate)")
    nodes, edges, unconnected = _connect_buildings(
        nodes, edges, buildings, max_service_length_m, merge_tolerance_m, report
    )
    graph = NetworkGraph(nodes=nodes, edges=edges, unconnected_buildings=unconnected, report=report)
    report["components"] = int(graph.component_labels().max()) + 1
    if unconnected:
        warnings.warn(
            f"{len(unconnected)} heated building(s) have no street within {max_service_length_m:g} m "
            f"and are left unconnected (first: {', '.join(unconnected[:5])}); see "
            "NetworkGraph.unconnected_buildings",
            TeploWarning,
            stacklevel=2,
        )
    return graph


def _connect_buildings(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    max_service_length_m: float,
    merge_tolerance_m: float,
    report: dict[str, int],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    ids = buildings["building_id"].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"buildings: duplicate building_id {sorted(set(dup))[:5]}; ids must be unique")
    heated = (
        buildings["heated"].fillna(False).astype(bool).to_numpy()
        if "heated" in buildings.columns
        else np.ones(len(buildings), bool)
    )
    geoms = buildings.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if (missing & heated).any():
        bad = ids[missing & heated].tolist()[:5]
        raise InputError(f"buildings: heated building(s) {bad} have no geometry")
    sel = np.flatnonzero(heated)
    report["buildings_heated"] = len(sel)
    nodes, edges, tap, entry, _ = connect_geometries(
        nodes, edges, geoms[sel], max_service_length_m, merge_tolerance_m
    )
    ok = tap >= 0
    load = (
        buildings["design_load_kw"].to_numpy(float)[sel][ok]
        if "design_load_kw" in buildings.columns
        else None
    )
    nodes, edges = _add_leaves(
        nodes, edges, entry[ok], tap[ok], "building", "service",
        building_id=ids.to_numpy()[sel][ok], design_load_kw=load,  # type: ignore[arg-type]
    )
    unconnected = sorted(ids.to_numpy()[sel][~ok].tolist())
    report["buildings_connected"] = int(ok.sum())
    report["buildings_unconnected"] = len(unconnected)
    return nodes, edges, unconnected


def add_sites(
    graph: NetworkGraph,
    sites: gpd.GeoDataFrame,
    max_connection_m: float = MAX_SITE_CONNECTION_M,
    *,
    merge_tolerance_m: float = MERGE_TOLERANCE_M,
) -> NetworkGraph:
    """Connect plant sites (``site_id``, Point geometry) to the nearest street by a ``site`` edge.

    Returns a new graph. A site with no street or existing pipe within
    ``max_connection_m`` (m) is an :class:`InputError` naming it, since a
    plant must connect; so is a site id already in the graph.
    """
    if "site_id" not in sites.columns:
        raise InputError("sites: missing column 'site_id'")
    _check_metric(sites, "sites")
    if sites.crs is not None and graph.crs is not None and sites.crs != graph.crs:
        raise InputError(f"sites are in {sites.crs.to_string()}, the graph in {graph.crs.to_string()}; reproject the sites")
    ids = sites["site_id"].astype(str)
    geoms = sites.geometry.values
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        raise InputError(f"sites: row(s) with site_id {ids[not_point].tolist()[:5]} are not Points")
    clash = set(ids) & set(graph.nodes["site_id"].dropna().astype(str))
    if clash or ids.duplicated().any():
        raise InputError(f"sites: duplicate or already connected site_id {sorted(clash | set(ids[ids.duplicated()]))[:5]}")
    nodes, edges, tap, entry, _ = connect_geometries(
        graph.nodes, graph.edges, geoms, max_connection_m, merge_tolerance_m
    )
    if (tap < 0).any():
        far = ids[tap < 0].tolist()
        raise InputError(
            f"sites: {far} have no street within {max_connection_m:g} m; move the site(s) "
            "next to a street or raise max_connection_m"
        )
    nodes, edges = _add_leaves(nodes, edges, entry, tap, "site", "site", site_id=ids.to_numpy())
    report = dict(graph.report)
    report["sites_connected"] = report.get("sites_connected", 0) + len(ids)
    return NetworkGraph(nodes=nodes, edges=edges, unconnected_buildings=list(graph.unconnected_buildings), report=report)
