"""Ring closure kernel: the cheapest street paths that close loops in a routed forest.

A tree network leaves every building behind a single pipe: one break, or a
lost plant, and everything downstream is cold. Closing loops along streets
lets a branch, or a whole micro-district, be fed from a neighbour. The
kernel finds candidate closing paths with one multi-source Dijkstra from all
routed nodes over the streets not yet used (the Voronoi-boundary trick of
Mehlhorn's algorithm): every boundary edge between the regions of two routed
nodes ``A`` and ``B`` closes a path ``A ... B`` of length
``d(A, a) + w(a, b) + d(b, B)``.

Selected are (1) for each pair of neighbouring sites' trees, the shortest
path joining them, and (2) for each dead end of a street main, the shortest
path from it back to any other routed node.

Ring pipes get a first design flow for costing: a ring between two sites'
trees is sized to back-feed the smaller of the two districts (the whole
load of the smaller tree); a ring closing a loop in one tree is sized for the
larger subtree load at its two ends (if either end's feed is lost, the ring
carries that subtree). Sizing and hydraulics refine this later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from teplo.network._graph import WEIGHT_EPS, SimpleGraph
from teplo.network.steiner import ROOT, mark_paths, subtree_reduce

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RingPaths:
    """Pairs (of a :class:`SimpleGraph`) added to close rings, with the design flow each must carry (kW)."""

    pairs: IntArray
    flow_kw: FloatArray
    n_between_sites: int
    n_within_sites: int


def _cheapest(group: IntArray, length: FloatArray) -> IntArray:
    """Index of the shortest candidate per group value (ties: first candidate)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    o = np.lexsort((np.arange(len(group)), length, group))
    first = np.ones(len(o), bool)
    first[1:] = group[o][1:] != group[o][:-1]
    return o[first]


def find_ring_paths(
    graph: SimpleGraph,
    allowed: BoolArray,
    weights: FloatArray,
    in_route: BoolArray,
    site_of: IntArray,
    leaf: BoolArray,
    node_flow_kw: FloatArray,
    site_load_kw: FloatArray,
    max_length_m: float,
    *,
    between_sites: bool = True,
    within_sites: bool = True,
) -> RingPaths:
    """Closing paths over the ``allowed`` pairs (weighted by ``weights``, m) up to ``max_length_m``.

    ``in_route`` marks routed nodes, ``site_of`` their site index (0 ..),
    ``leaf`` the dead ends of street mains, ``node_flow_kw`` the design flow
    into each routed node (its subtree load, kW) and ``site_load_kw`` each
    site's total load (kW).
    """
    n = graph.n
    sources = np.flatnonzero(in_route)
    mat = _allowed_matrix(graph, allowed, weights)
    dist, pred, src = dijkstra(
        mat, directed=True, indices=sources, return_predecessors=True, min_only=True, limit=max_length_m
    )
    reached = src >= 0
    a, b = graph.a, graph.b
    cand = np.flatnonzero(allowed & reached[a] & reached[b] & (src[a] != src[b]))
    total = dist[a[cand]] + weights[cand] + dist[b[cand]]
    ok = total <= max_length_m
    cand, total = cand[ok], total[ok]
    sa, sb = src[a[cand]], src[b[cand]]
    ga, gb = site_of[sa], site_of[sb]
    chosen: list[IntArray] = []
    if between_sites:
        diff = ga != gb
        k = int(site_of.max()) + 1 if len(site_of) else 1
        key = np.minimum(ga, gb) * k + np.maximum(ga, gb)
        pick = np.flatnonzero(diff)[_cheapest(key[diff], total[diff])]
        chosen.append(pick)
    # dead ends of mains: each end's shortest closing path to any other routed node
    end = np.concatenate([sa, sb])
    other_site_differs = np.concatenate([ga != gb, ga != gb])
    idx = np.concatenate([np.arange(len(cand)), np.arange(len(cand))])
    m = leaf[end]
    if not within_sites:
        m &= other_site_differs
    if not between_sites:
        m &= ~other_site_differs
    pick = idx[m][_cheapest(end[m], np.concatenate([total, total])[m])]
    chosen.append(pick)
    sel = np.unique(np.concatenate(chosen))
    if len(sel) == 0:
        return RingPaths(np.zeros(0, np.int64), np.zeros(0), 0, 0)
    between = ga[sel] != gb[sel]
    ring_flow = np.where(
        between,
        np.minimum(site_load_kw[ga[sel]], site_load_kw[gb[sel]]),
        np.maximum(node_flow_kw[sa[sel]], node_flow_kw[sb[sel]]),
    )
    # flows along the Dijkstra predecessor forest: each node carries the largest ring through it
    pred_parent = np.where(pred >= 0, pred, ROOT).astype(np.int64)
    ends = np.concatenate([a[cand[sel]], b[cand[sel]]])
    val = np.zeros(n)
    np.maximum.at(val, ends, np.concatenate([ring_flow, ring_flow]))
    val = subtree_reduce(pred_parent, val, np.maximum)
    on = mark_paths(pred_parent, ends)
    path_nodes = np.flatnonzero(on & (pred_parent >= 0))
    path_pairs = graph.pair_index(path_nodes, pred_parent[path_nodes])
    pairs = np.concatenate([cand[sel], path_pairs])
    flows = np.concatenate([ring_flow, val[path_nodes]])
    o = np.lexsort((-flows, pairs))
    first = np.ones(len(o), bool)
    first[1:] = pairs[o][1:] != pairs[o][:-1]
    return RingPaths(pairs=pairs[o][first], flow_kw=flows[o][first], n_between_sites=int(between.sum()), n_within_sites=int((~between).sum()))


def _allowed_matrix(graph: SimpleGraph, allowed: BoolArray, weights: FloatArray) -> csr_array:
    """Sparse matrix of the allowed pairs only."""
    sub = SimpleGraph(
        n=graph.n, a=graph.a[allowed], b=graph.b[allowed], w=weights[allowed] + WEIGHT_EPS,
        edge=graph.edge[allowed], keys=graph.keys[allowed],
    )
    return sub.matrix()
