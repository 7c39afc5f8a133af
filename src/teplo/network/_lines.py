"""Vectorised line kernels for the street graph: cluster vertices, cut lines, sample lines.

Pure functions on numpy arrays of shapely geometries, metric coordinates
(metres). No Python loop over lines or vertices: every step is an array
operation, so a city's street table is cleaned in well under a second.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]


def cluster_points(xy: FloatArray, tolerance_m: float) -> IntArray:
    """Label points closer than ``tolerance_m`` (chained, single linkage) with one cluster id.

    Cluster ids are numbered in the order of each cluster's first point, so the
    labelling is deterministic. ``xy`` is an ``(n, 2)`` array in metres.
    """
    n = len(xy)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pairs = cKDTree(xy).query_pairs(tolerance_m, output_type="ndarray")
    adj = coo_array(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    ).tocsr()
    _, labels = connected_components(adj, directed=False)
    # renumber by first appearance
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first, kind="stable")
    renum = np.empty(len(first), dtype=np.int64)
    renum[order] = np.arange(len(first))
    return renum[labels]


def vertex_distances(lines: GeomArray) -> tuple[FloatArray, IntArray, FloatArray]:
    """Coordinates, owning line and distance along the line (m) of every vertex of ``lines``."""
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(len(coords))
    if len(coords) > 1:
        step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
        step[1:][owner[1:] != owner[:-1]] = 0.0
    cum = np.cumsum(step)
    first = np.searchsorted(owner, owner, side="left")
    return coords, owner.astype(np.int64), cum - cum[first]


def lines_from_vertex_ranges(coords: FloatArray, start: IntArray, end: IntArray) -> GeomArray:
    """LineStrings made of ``coords[start[i]:end[i] + 1]`` for each ``i`` (inclusive ranges)."""
    counts = end - start + 1
    total = int(counts.sum())
    piece = np.repeat(np.arange(len(start)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = np.repeat(start, counts) + offset
    out: GeomArray = shapely.linestrings(coords[idx], indices=piece)
    return out


def split_lines(
    lines: GeomArray, line_idx: IntArray, dist_m: FloatArray
) -> tuple[GeomArray, IntArray, FloatArray]:
    """Cut ``lines`` at the distances ``dist_m`` (m along ``lines[line_idx]``).

    Cuts must lie strictly inside their line. Returns the pieces of every line
    (uncut lines come back whole), each piece's source line, and the cut
    points' coordinates in the order of the sorted cuts (by line, then
    distance). Pieces are ordered by line, then along the line, and piece ``j``
    of a line runs from cut ``j - 1`` to cut ``j``.
    """
    n_lines = len(lines)
    order = np.lexsort((dist_m, line_idx))
    cl, cd = line_idx[order], dist_m[order]
    cut_xy = shapely.get_coordinates(shapely.line_interpolate_point(lines[cl], cd))
    coords, owner, cum = vertex_distances(lines)
    lengths = shapely.length(lines)
    # a monotone key across lines: line offset + distance along the line
    base = np.concatenate([[0.0], np.cumsum(lengths + 1.0)[:-1]])
    key_v = base[owner] + cum
    key_c = base[cl] + cd
    n_cuts = np.bincount(cl, minlength=n_lines)
    cut_start = np.cumsum(n_cuts) - n_cuts
    piece_offset = np.cumsum(n_cuts + 1) - (n_cuts + 1)
    rank_v = np.searchsorted(key_c, key_v, side="left") - cut_start[owner]
    rank_c = np.arange(len(cl)) - cut_start[cl]
    piece = np.concatenate(
        [piece_offset[owner] + rank_v, piece_offset[cl] + rank_c, piece_offset[cl] + rank_c + 1]
    )
    key = np.concatenate([key_v, key_c, key_c])
    sub = np.concatenate(
        [np.ones(len(key_v)), np.full(len(key_c), 2.0), np.zeros(len(key_c))]
    )  # at equal positions: a piece's start cut, then vertices, then its end cut
    xy = np.concatenate([coords, cut_xy, cut_xy])
    o = np.lexsort((sub, key, piece))
    pieces = shapely.linestrings(xy[o], indices=piece[o])
    pieces = shapely.remove_repeated_points(pieces, 0.0)
    piece_line = np.repeat(np.arange(n_lines), n_cuts + 1)
    return pieces, piece_line, cut_xy


def sample_lines(lines: GeomArray, spacing_m: float, min_samples: int) -> tuple[GeomArray, IntArray]:
    """Points at the centres of equal sub-segments of each line (≤ ``spacing_m`` long).

    Returns the points and their source line. Every line gets at least
    ``min_samples`` points, so short lines are still measured.
    """
    lengths = shapely.length(lines)
    n = np.maximum(np.ceil(lengths / spacing_m).astype(np.int64), min_samples)
    owner = np.repeat(np.arange(len(lines)), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    frac = (k + 0.5) / n[owner]
    points: GeomArray = shapely.line_interpolate_point(lines[owner], frac, normalized=True)
    return points, owner
