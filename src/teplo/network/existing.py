"""Existing heat pipes on the routing graph: reuse them at zero trench cost.

A utility that knows its pipes (a GIS layer of lines with their DN) should
see them reused: the cheapest new network often follows an old one. Each
existing pipe is either matched to graph edges (an edge is existing when
at least :data:`COVER_SHARE` of its length lies within the snap tolerance
of a pipe; the pipe's DN and laying year are carried onto the edge) or,
where it runs off the streets, added as new edges of kind ``existing``
whose ends are snapped to the nearest graph node or edge.

Routing then prices existing edges at zero per metre (they still carry
flow). Whether an existing DN is large enough for its new design flow is
for the caller's sizing step to check: here the DN is only carried.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from teplo.errors import InputError
from teplo.network._lines import sample_lines
from teplo.network.street_graph import (
    MERGE_TOLERANCE_M,
    NetworkGraph,
    _check_metric,
    _clean_lines,
    _concat,
    _edges_frame,
    _next_id,
    _nodes_frame,
    tap_edges,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]

#: Distance within which an existing pipe follows a street edge, m. [E] pipe
#: plans are drawn at the kerb or under the pavement, a few metres off the
#: OSM centre line (half a carriageway is ≈ 3-7 m).
SNAP_TOLERANCE_M = 5.0

#: Share of an edge's length that must lie along an existing pipe for the
#: edge to count as existing. [E] the brief's value: tolerates a pipe that
#: stops a little short of a junction or bends off near the edge's end.
COVER_SHARE = 0.8

#: Spacing of the points sampled along edges and pipes to measure cover, m.
#: [E] well under the snap tolerance, so cover is measured to a few per cent.
SAMPLE_SPACING_M = 1.0

#: Fewest samples per edge, so a short edge's cover is still measured in
#: steps of 10 % or finer. [E] numerical choice.
MIN_SAMPLES_PER_EDGE = 10


def validate_existing_pipes(pipes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Check an existing-pipes table; return its ``dn`` (int) and ``laying_year`` (Int64) per row.

    Raises :class:`InputError` naming the rows at fault for a missing ``dn``
    column, a DN that is not a positive whole number, a laying year that is
    not a number, or a geometry that is not a line.
    """
    if "dn" not in pipes.columns:
        raise InputError("existing pipes: missing column 'dn' (nominal diameter, mm, a positive integer)")
    dn = pd.to_numeric(pipes["dn"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(dn) | (dn <= 0) | (np.abs(dn - np.round(np.nan_to_num(dn))) > 1e-9)
    if bad.any():
        raise InputError(
            f"existing pipes: row(s) {pipes.index[bad].tolist()[:5]} have dn "
            f"{pipes['dn'][bad].tolist()[:5]}; dn must be a positive whole number of mm"
        )
    if "laying_year" in pipes.columns:
        raw = pipes["laying_year"]
        year = pd.to_numeric(raw, errors="coerce")
        bad_y = year.isna() & raw.notna()
        if bad_y.any():
            raise InputError(
                f"existing pipes: row(s) {pipes.index[bad_y.to_numpy()].tolist()[:5]} have a laying_year "
                "that is not a number"
            )
    else:
        year = pd.Series(np.nan, index=pipes.index)
    geoms = pipes.geometry.values
    not_line = shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~np.isin(shapely.get_type_id(geoms), (1, 5))
    if not_line.any():
        raise InputError(
            f"existing pipes: row(s) {pipes.index[not_line].tolist()[:5]} have no line geometry "
            "(LineString or MultiLineString expected)"
        )
    _check_metric(pipes, "existing pipes")
    return pd.DataFrame(
        {"dn": np.round(dn).astype(np.int64), "laying_year": year.round().astype("Int64").to_numpy()},
        index=pipes.index,
    )


def _match_edges(
    edges: gpd.GeoDataFrame, lines: GeomArray, tolerance_m: float, cover_share: float
) -> tuple[BoolArray, IntArray]:
    """Which edges an existing pipe covers, and the covering pipe (most samples) of each."""
    n = len(edges)
    matched = np.zeros(n, bool)
    pipe_of = np.full(n, -1, dtype=np.int64)
    tree = shapely.STRtree(lines)
    # only edges that come within the tolerance of some pipe can be covered by one
    near = np.unique(tree.query(edges.geometry.values, predicate="dwithin", distance=tolerance_m)[0])
    cand = near[(edges["kind"].to_numpy()[near] != "existing")]
    if len(cand) == 0:
        return matched, pipe_of
    pts, owner = sample_lines(edges.geometry.values[cand], SAMPLE_SPACING_M, MIN_SAMPLES_PER_EDGE)
    si, li = tree.query_nearest(pts, max_distance=tolerance_m, all_matches=False)
    n_samples = np.bincount(owner, minlength=len(cand))
    share = np.bincount(owner[si], minlength=len(cand)) / n_samples
    ok = share >= cover_share
    # the pipe covering most samples of each edge (ties: lower pipe index)
    pairs = pd.DataFrame({"e": owner[si], "p": li}).value_counts().reset_index(name="k")
    pairs = pairs.sort_values(["e", "k", "p"], ascending=[True, False, True], kind="stable")
    best = pairs.drop_duplicates("e")
    top = np.full(len(cand), -1, dtype=np.int64)
    top[best["e"].to_numpy()] = best["p"].to_numpy()
    matched[cand[ok]] = True
    pipe_of[cand[ok]] = top[ok]
    return matched, pipe_of


def _attach_ends(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    xy: FloatArray,
    tolerance_m: float,
    merge_tolerance_m: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, IntArray]:
    """Graph node for each point: the nearest node in reach, else a tap on the nearest edge, else -1."""
    pts = shapely.points(xy)
    node = np.full(len(xy), -1, dtype=np.int64)
    street_like = np.flatnonzero(nodes["kind"].isin(("street", "tap", "pipe")).to_numpy())
    if len(street_like):
        (pi, ni) = shapely.STRtree(nodes.geometry.values[street_like]).query_nearest(
            pts, max_distance=tolerance_m, all_matches=False
        )
        node[pi] = street_like[ni]
    rest = np.flatnonzero(node < 0)
    target = np.flatnonzero(edges["kind"].isin(("street", "existing")).to_numpy())
    if len(rest) and len(target):
        lines = edges.geometry.values[target]
        (pi, ti), _ = shapely.STRtree(lines).query_nearest(
            pts[rest], max_distance=tolerance_m, all_matches=False, return_distance=True
        )
        s = shapely.line_locate_point(lines[ti], pts[rest][pi])
        nodes, edges, taps = tap_edges(nodes, edges, target[ti], s, merge_tolerance_m)
        node[rest[pi]] = taps
    return nodes, edges, node


def add_existing_pipes(
    graph: NetworkGraph,
    pipes: gpd.GeoDataFrame,
    snap_tolerance_m: float = SNAP_TOLERANCE_M,
    *,
    cover_share: float = COVER_SHARE,
    merge_tolerance_m: float = MERGE_TOLERANCE_M,
) -> NetworkGraph:
    """Mark graph edges that follow an existing pipe and add the pipes' off-street runs as edges.

    ``pipes``: line geometry in the graph's CRS, ``dn`` (mm, positive int)
    and optional ``laying_year``. An edge with at least ``cover_share`` of its
    length within ``snap_tolerance_m`` (m) of a pipe gets ``existing = True``
    and that pipe's ``existing_dn``/``laying_year``. Pipe stretches farther
    than the tolerance from every matched edge become ``existing`` edges,
    their ends snapped to a graph node or edge within the tolerance (else a
    new ``pipe`` node). Returns a new graph.
    """
    attrs = validate_existing_pipes(pipes)
    if pipes.crs is not None and graph.crs is not None and pipes.crs != graph.crs:
        raise InputError(
            f"existing pipes are in {pipes.crs.to_string()}, the graph in {graph.crs.to_string()}; reproject them"
        )
    lines, src = shapely.get_parts(pipes.geometry.values, return_index=True)
    dn = attrs["dn"].to_numpy()[src]
    year = attrs["laying_year"].to_numpy()[src]
    nodes, edges = graph.nodes, graph.edges.copy()
    matched, pipe_of = _match_edges(edges, lines, snap_tolerance_m, cover_share)
    edges.loc[matched, "existing"] = True
    edges["existing_dn"] = edges["existing_dn"].astype("Int64")
    edges["laying_year"] = edges["laying_year"].astype("Int64")
    edges.loc[matched, "existing_dn"] = dn[pipe_of[matched]]
    edges.loc[matched, "laying_year"] = pd.array(year[pipe_of[matched]], dtype="Int64")
    report = dict(graph.report)
    report["existing_edges_matched"] = int(matched.sum())
    # off-street runs: the pipes minus a band around the matched edges
    covered = edges.geometry.values[matched | (edges["kind"] == "existing").to_numpy()]
    band = shapely.union_all(shapely.buffer(covered, snap_tolerance_m)) if len(covered) else None
    off = shapely.difference(lines, band) if band is not None else lines
    parts, part_src = shapely.get_parts(off, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > snap_tolerance_m)
    parts, part_src = parts[keep], part_src[keep]
    added = 0
    if len(parts):
        nodes, edges, added = _add_offstreet(
            nodes, edges, parts, dn[part_src], year[part_src], snap_tolerance_m, merge_tolerance_m
        )
    report["existing_edges_added"] = added
    return NetworkGraph(
        nodes=nodes, edges=edges, unconnected_buildings=list(graph.unconnected_buildings), report=report
    )


def _add_offstreet(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    parts: GeomArray,
    dn: IntArray,
    year: npt.NDArray[np.object_],
    snap_tolerance_m: float,
    merge_tolerance_m: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int]:
    """Node the off-street pipe runs, snap their nodes to the graph, add them as ``existing`` edges."""
    crs = nodes.crs
    pxy, pu, pv, pgeoms, psrc, _ = _clean_lines(parts, merge_tolerance_m)
    nodes, edges, mapped = _attach_ends(nodes, edges, pxy, snap_tolerance_m * (1 + 1e-6), merge_tolerance_m)
    fresh = np.flatnonzero(mapped < 0)
    mapped[fresh] = len(nodes) + np.arange(len(fresh))
    nodes = _concat([nodes, _nodes_frame(pxy[fresh], "pipe", len(nodes), crs)], crs)
    u, v = mapped[pu], mapped[pv]
    ok = u != v
    u, v, pgeoms, psrc = u[ok], v[ok], pgeoms[ok], psrc[ok]
    # move each run's ends onto the nodes it was snapped to
    coords, owner = shapely.get_coordinates(pgeoms, return_index=True)
    first = np.searchsorted(owner, np.arange(len(pgeoms)), side="left")
    last = np.searchsorted(owner, np.arange(len(pgeoms)), side="right") - 1
    node_xy = shapely.get_coordinates(nodes.geometry.values)
    coords[first] = node_xy[u]
    coords[last] = node_xy[v]
    geoms = shapely.linestrings(coords, indices=owner)
    new = _edges_frame(
        u, v, geoms, "existing", _next_id(edges, "edge_id"), crs,
        existing=np.ones(len(u), bool), existing_dn=dn[psrc], laying_year=year[psrc],
    )
    return nodes, _concat([edges, new], crs), len(new)
