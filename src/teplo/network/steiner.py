"""Steiner-forest kernels on sparse graphs: Mehlhorn's heuristic and tree arithmetic.

Every function works on a :class:`~teplo.network._graph.SimpleGraph` and
numpy arrays; the heavy steps are ``scipy.sparse.csgraph`` calls (one
multi-source Dijkstra, two minimum spanning trees, one breadth-first order),
and tree walks use pointer jumping or level sweeps, never a Python loop over
nodes.

Several plant sites are handled as one super-root joined to every site at
(almost) zero cost, so each building hangs on exactly one site's tree and the
result is a forest, one tree per site in use.

Reference: K. Mehlhorn, "A faster approximation algorithm for the Steiner
problem in graphs", Information Processing Letters 27 (1988) 125-128: the
tree is at most 2 (1 - 1/l) times the optimum, l the number of leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    dijkstra,
    minimum_spanning_tree,
)

from teplo.network._graph import WEIGHT_EPS, SimpleGraph, csr

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: parent value of a root (a site) and of a node outside the tree
ROOT = -1
OUTSIDE = -2


@dataclass(frozen=True)
class Forest:
    """A forest rooted at sites, over the nodes of a :class:`SimpleGraph`.

    ``parent[i]`` is the next node from ``i`` towards its site, :data:`ROOT`
    for a site in use and :data:`OUTSIDE` for a node not in the forest;
    ``pair[i]`` is the graph pair joining ``i`` to its parent (-1 if none).
    ``unreachable`` lists terminals that no site can reach.
    """

    parent: IntArray
    pair: IntArray
    unreachable: IntArray

    @property
    def in_tree(self) -> BoolArray:
        """Mask of the nodes in the forest."""
        return self.parent != OUTSIDE

    @property
    def children(self) -> IntArray:
        """Nodes that have a parent (one per forest edge)."""
        return np.flatnonzero(self.parent >= 0)

    def pairs(self) -> IntArray:
        """Sorted graph-pair indices of the forest's edges."""
        return np.sort(self.pair[self.children])


def mark_paths(pred: IntArray, starts: IntArray) -> BoolArray:
    """Mark ``starts`` and every node on their predecessor chains (negative = chain end)."""
    n = len(pred)
    mark = np.zeros(n, bool)
    frontier = np.unique(starts)
    while frontier.size:
        mark[frontier] = True
        nxt = pred[frontier]
        nxt = nxt[nxt >= 0]
        frontier = np.unique(nxt[~mark[nxt]])
    return mark


def depth(parent: IntArray) -> IntArray:
    """Number of edges from each node up to its root (pointer jumping; 0 for roots and outsiders)."""
    d = (parent >= 0).astype(np.int64)
    up = parent.copy()
    while (up >= 0).any():
        has = up >= 0
        d = d + np.where(has, d[np.maximum(up, 0)], 0)
        up = np.where(has, up[np.maximum(up, 0)], up)
    return d


def root_of(parent: IntArray) -> IntArray:
    """The root of each forest node (itself for a root; -1 outside the forest)."""
    r = np.where(parent >= 0, parent, np.arange(len(parent)))
    while True:
        nxt = r[r]
        if np.array_equal(nxt, r):
            break
        r = nxt
    return np.where(parent == OUTSIDE, -1, r)


def subtree_reduce(parent: IntArray, values: FloatArray, ufunc: np.ufunc = np.add) -> FloatArray:
    """Reduce ``values`` over each node's subtree (itself included) with ``ufunc`` (add, maximum).

    One vectorised sweep per depth level, deepest first; nodes outside the
    forest get 0.
    """
    acc = np.where(parent != OUTSIDE, values, 0.0).astype(np.float64)
    lvl = depth(parent)
    nodes = np.flatnonzero(parent >= 0)
    order = nodes[np.argsort(-lvl[nodes], kind="stable")]
    bounds = np.flatnonzero(np.diff(lvl[order])) + 1
    for chunk in np.split(order, bounds):
        ufunc.at(acc, parent[chunk], acc[chunk])
    return acc


def subtree_sums(parent: IntArray, values: FloatArray) -> FloatArray:
    """Sum of ``values`` over each node's subtree, itself included (e.g. design flow into a node)."""
    return subtree_reduce(parent, values, np.add)


def rooted_tree(
    graph: SimpleGraph,
    pair_mask: BoolArray,
    roots: IntArray,
    terminals: IntArray,
    weights: FloatArray,
) -> Forest:
    """Minimum spanning forest of the pairs in ``pair_mask`` hung from ``roots``, pruned to ``terminals``.

    The roots present are joined to a virtual super-root; non-terminal leaves
    are pruned away (sites serving no terminal included).
    """
    n = graph.n
    a, b, w = graph.a[pair_mask], graph.b[pair_mask], weights[pair_mask]
    touched = np.zeros(n, bool)
    touched[a] = touched[b] = True
    r = roots[touched[roots]] if len(a) else roots
    rows = np.concatenate([a, np.full(len(r), n)])
    cols = np.concatenate([b, r])
    data = np.concatenate([w + WEIGHT_EPS, np.full(len(r), WEIGHT_EPS)])  # csgraph drops zeros
    mst = minimum_spanning_tree(csr(data, rows, cols, n + 1))
    order, pred = breadth_first_order(mst, n, directed=False, return_predecessors=True)
    parent = np.full(n, OUTSIDE, dtype=np.int64)
    reached = order[order < n]
    parent[reached] = pred[reached]
    parent[reached[pred[reached] == n]] = ROOT
    reachable_terminals = terminals[parent[terminals] != OUTSIDE]
    keep = mark_paths(parent, reachable_terminals)
    parent = np.where(keep, parent, OUTSIDE)
    child = np.flatnonzero(parent >= 0)
    pair = np.full(n, -1, dtype=np.int64)
    pair[child] = graph.pair_index(child, parent[child])
    unreachable = np.sort(terminals[parent[terminals] == OUTSIDE])
    return Forest(parent=parent, pair=pair, unreachable=unreachable)


def mehlhorn_forest(
    graph: SimpleGraph, terminals: IntArray, roots: IntArray, weights: FloatArray
) -> Forest:
    """Steiner forest joining ``terminals`` to ``roots`` (any root) at low total ``weights``.

    Mehlhorn's algorithm with the roots merged into one super-terminal: Voronoi
    regions of the terminals by one multi-source Dijkstra, a minimum spanning
    tree of the regions' cheapest boundary edges, its expansion into graph
    paths, then (as in Kou-Markowsky-Berman) a minimum spanning tree of the
    subgraph induced by those nodes, pruned of non-terminal leaves.
    """
    n = graph.n
    k = len(terminals)
    mat = graph.matrix(weights)
    sources = np.concatenate([terminals, roots]).astype(np.int64)
    dist, pred, src = dijkstra(mat, directed=True, indices=sources, return_predecessors=True, min_only=True)
    label_of = np.full(n, -1, dtype=np.int64)
    label_of[terminals] = np.arange(k)
    label_of[roots] = k
    lab = np.where(src >= 0, label_of[np.maximum(src, 0)], -1)
    la, lb = lab[graph.a], lab[graph.b]
    cand = np.flatnonzero((la != lb) & (la >= 0) & (lb >= 0))
    l1, l2 = np.minimum(la[cand], lb[cand]), np.maximum(la[cand], lb[cand])
    bw = dist[graph.a[cand]] + weights[cand] + dist[graph.b[cand]]
    o = np.lexsort((cand, bw, l2, l1))
    key = l1[o] * (k + 1) + l2[o]
    first = np.ones(len(o), bool)
    first[1:] = key[1:] != key[:-1]
    sel = o[first]
    region = csr(bw[sel], l1[sel], l2[sel], k + 1)
    mst = minimum_spanning_tree(region).tocoo()
    _, comp = connected_components(mst, directed=False)
    in_root = comp[mst.row] == comp[k]
    mkey = np.minimum(mst.row, mst.col)[in_root] * (k + 1) + np.maximum(mst.row, mst.col)[in_root]
    chosen = cand[sel][np.searchsorted(key[first], mkey)]
    starts = np.concatenate([graph.a[chosen], graph.b[chosen]])
    on_path = mark_paths(np.where(pred >= 0, pred, -1).astype(np.int64), starts)
    # the expanded subgraph's nodes; take every graph pair among them (KMB step)
    pair_mask = on_path[graph.a] & on_path[graph.b]
    return rooted_tree(graph, pair_mask, roots, terminals, weights)


def forest_from_pairs(
    graph: SimpleGraph, pairs: IntArray, roots: IntArray, terminals: IntArray, weights: FloatArray
) -> Forest:
    """A pruned forest from a chosen set of graph pairs (e.g. a MILP's selected edges)."""
    mask = np.zeros(len(graph.a), bool)
    mask[pairs] = True
    return rooted_tree(graph, mask, roots, terminals, weights)
