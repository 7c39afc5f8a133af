"""Graph structure of a network for one valve state, computed once and reused.

Supply and return networks share one topology (each pipe is a supply+return
pair along the same route; the return pipe is oriented to→from, so with the
same node injections both networks obey the same incidence equations).

* Islands: connected components of the open pipes. An island is *supplied*
  when it holds exactly one pressure-holding producer (its slack). Islands
  without one are unsupplied; two in one island is an input error.
* Spanning forest: breadth-first from the slack nodes. Its reduced incidence
  matrix ``A_T`` (rows: non-slack nodes in BFS order, columns: the tree pipe
  entering each of those nodes) is upper triangular with a ±1 diagonal, so
  its LU factorisation with natural ordering has no fill: every tree-flow
  accumulation (``A_T q = s``) and every pressure pass (``A_T^T p = dp``) is
  one sparse triangular solve.
* Loops: each chord (an open pipe not in the forest) closes one fundamental
  loop. ``loop_matrix = A_T^{-1} A_C`` (tree pipes × chords) maps chord flows to
  the tree flows they displace; it is built by walking from the chord ends to
  the slack along the forest (vectorised over chords, one step per tree level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph
from scipy.sparse.linalg import SuperLU, splu, spsolve

from teplo.errors import InputError

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

PRESSURE = "pressure"  # producer mode holding supply and return pressure (the island's slack)
MASS_FLOW = "mass_flow"  # producer mode injecting a given mass flow
HEAT = "heat"  # producer mode injecting a given heat
PRODUCER_MODES = (PRESSURE, MASS_FLOW, HEAT)
DENSE_LOOP_ENTRIES = 250_000  # loop matrices up to this size (2 MB) are kept dense


class LoopMatrix:
    """``L = A_T^{-1} A_C`` on the tree pipes that lie on loops, with the products the
    loop-flow Newton method needs; dense when small (no sparse overhead), else CSR."""

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.shape: tuple[int, int] = (int(matrix.shape[0]), int(matrix.shape[1]))
        self.dense: NDArray[np.float64] | None = None
        if self.shape[0] * self.shape[1] <= DENSE_LOOP_ENTRIES:
            self.dense = matrix.toarray()
            self.dense_abs_t = np.abs(self.dense).T.copy()
        self.sparse = matrix
        self.sparse_t = matrix.T.tocsr()
        self.sparse_abs_t = abs(self.sparse_t)
        self.nnz_row = np.repeat(np.arange(self.shape[0]), np.diff(matrix.indptr))

    def apply(self, chord_flow: NDArray[np.float64]) -> NDArray[np.float64]:
        """``L @ chord_flow``: tree flows displaced by the chord flows."""
        if self.dense is not None:
            return self.dense @ chord_flow
        return np.asarray(self.sparse @ chord_flow, dtype=np.float64)

    def apply_t(self, tree_values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``Lᵀ @ tree_values``: tree pressure drops summed around each loop."""
        if self.dense is not None:
            return tree_values @ self.dense
        return np.asarray(self.sparse_t @ tree_values, dtype=np.float64)

    def apply_abs_t(self, tree_values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``|L|ᵀ @ tree_values``."""
        if self.dense is not None:
            return self.dense_abs_t @ tree_values
        return np.asarray(self.sparse_abs_t @ tree_values, dtype=np.float64)

    def solve_normal(
        self,
        tree_diag: NDArray[np.float64],
        chord_diag: NDArray[np.float64],
        rhs: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """Solve ``(Lᵀ diag(tree_diag) L + diag(chord_diag)) x = rhs`` (symmetric positive definite)."""
        k = self.shape[1]
        if self.dense is not None:
            normal = self.dense.T @ (tree_diag[:, None] * self.dense)
            normal[np.diag_indices(k)] += chord_diag
            return np.asarray(np.linalg.solve(normal, rhs), dtype=np.float64)
        scaled = sp.csr_matrix(
            (self.sparse.data * tree_diag[self.nnz_row], self.sparse.indices, self.sparse.indptr),
            self.shape,
        )
        normal_sp = (self.sparse_t @ scaled + sp.diags(chord_diag)).tocsc()
        return np.atleast_1d(np.asarray(spsolve(normal_sp, rhs), dtype=np.float64))


@dataclass(frozen=True, eq=False)
class Topology:
    """Active graph of one valve state (see module docstring). Indices are global unless noted.

    ``local`` indices number the supplied nodes ``0..n_active-1``; ``row`` numbers
    the non-slack supplied nodes in BFS order, which is also the column of the
    tree pipe entering that node.
    """

    key: tuple[bytes, ...]
    node_supplied: BoolArray  # [node]
    pipe_active: BoolArray  # [pipe] open and inside a supplied island
    consumer_supplied: BoolArray  # [consumer]
    producer_supplied: BoolArray  # [producer]
    slack_producer: IntArray  # [island] producer index holding pressure
    slack_local: IntArray  # [island] local node of that producer
    node_slack: IntArray  # [node] slack producer of the node's island, -1 if unsupplied
    active_node: IntArray  # [local] global node index
    local_of_node: IntArray  # [node] local index, -1 if unsupplied
    active_pipe: IntArray  # [active pipe] global pipe index
    pipe_from_local: IntArray  # [active pipe] local node
    pipe_to_local: IntArray  # [active pipe] local node
    row_of_local: IntArray  # [local] row of A_T, -1 for slack nodes
    tree: IntArray  # [row] active-pipe index of the tree pipe entering that row's node
    chords: IntArray  # [loop] active-pipe index of the chord closing the loop
    root_pipe_rows: IntArray  # rows whose tree pipe starts at a slack node
    root_pipe_sign: NDArray[np.float64]  # +1 if that pipe is oriented from the slack node
    root_pipe_slack_local: IntArray  # local slack node of those pipes
    lu: SuperLU | None  # factorised A_T, None if there are no tree pipes
    loop_rows: IntArray  # rows whose tree pipe lies on at least one loop
    loop_matrix: LoopMatrix | None  # A_T^-1 A_C restricted to loop_rows [loop row, loop]

    @property
    def n_loops(self) -> int:
        """Number of independent loops (chords) of the supplied network."""
        return len(self.chords)

    @property
    def n_rows(self) -> int:
        """Number of non-slack supplied nodes (= tree pipes)."""
        return len(self.tree)


def topology_key(
    pipe_from: IntArray,
    pipe_to: IntArray,
    valve_open: BoolArray,
    n_nodes: int,
    producer_node: IntArray,
    producer_is_pressure: BoolArray,
    consumer_node: IntArray,
) -> tuple[bytes, ...]:
    """Bytes that identify a topology; equal keys mean a cached topology is reusable."""
    return (
        np.int64(n_nodes).tobytes(),
        np.ascontiguousarray(pipe_from).tobytes(),
        np.ascontiguousarray(pipe_to).tobytes(),
        np.ascontiguousarray(valve_open).tobytes(),
        np.ascontiguousarray(producer_node).tobytes(),
        np.ascontiguousarray(producer_is_pressure).tobytes(),
        np.ascontiguousarray(consumer_node).tobytes(),
    )


def build_topology(
    n_nodes: int,
    pipe_from: IntArray,
    pipe_to: IntArray,
    valve_open: BoolArray,
    producer_node: IntArray,
    producer_is_pressure: BoolArray,
    consumer_node: IntArray,
    producer_ids: NDArray[np.object_] | None = None,
    key: tuple[bytes, ...] | None = None,
) -> Topology:
    """Islands, spanning forest, factorised tree incidence and loop matrix of a network.

    ``key`` is :func:`topology_key` of the arguments, if the caller has it already.
    """
    if key is None:
        key = topology_key(
            pipe_from, pipe_to, valve_open, n_nodes, producer_node, producer_is_pressure,
            consumer_node,
        )  # fmt: skip
    node_slack = _island_slacks(
        n_nodes, pipe_from[valve_open], pipe_to[valve_open], producer_node, producer_is_pressure,
        producer_ids,
    )  # fmt: skip
    node_supplied = node_slack >= 0
    pipe_active = valve_open & node_supplied[pipe_from]
    slack_all = np.flatnonzero(producer_is_pressure)

    active_node = np.flatnonzero(node_supplied)
    n_active = len(active_node)
    local_of_node = np.full(n_nodes, -1, dtype=np.int64)
    local_of_node[active_node] = np.arange(n_active)
    active_pipe = np.flatnonzero(pipe_active)
    a_from = local_of_node[pipe_from[active_pipe]]
    a_to = local_of_node[pipe_to[active_pipe]]
    slack = slack_all[node_supplied[producer_node[slack_all]]]
    slack_local = local_of_node[producer_node[slack]]

    row_of_local, tree, parent_local = _spanning_forest(n_active, a_from, a_to, slack_local)
    n_rows = len(tree)
    is_tree = np.zeros(len(active_pipe), dtype=bool)
    is_tree[tree] = True
    chords = np.flatnonzero(~is_tree)

    lu, sigma, parent, root_rows = _factorise_tree(row_of_local, parent_local, a_from[tree])

    loop_matrix = None
    loop_rows = np.zeros(0, dtype=np.int64)
    if len(chords):
        full = _loop_matrix(a_from[chords], a_to[chords], row_of_local, parent_local, sigma, n_rows)
        loop_rows = np.flatnonzero(np.diff(full.indptr) > 0)
        loop_matrix = LoopMatrix(full[loop_rows])
    return Topology(
        key=key,
        node_supplied=node_supplied,
        pipe_active=pipe_active,
        consumer_supplied=node_supplied[consumer_node],
        producer_supplied=node_supplied[producer_node],
        slack_producer=slack,
        slack_local=slack_local,
        node_slack=node_slack,
        active_node=active_node,
        local_of_node=local_of_node,
        active_pipe=active_pipe,
        pipe_from_local=a_from,
        pipe_to_local=a_to,
        row_of_local=row_of_local,
        tree=tree,
        chords=chords,
        root_pipe_rows=root_rows,
        root_pipe_sign=-sigma[root_rows],
        root_pipe_slack_local=parent[root_rows],
        lu=lu,
        loop_rows=loop_rows,
        loop_matrix=loop_matrix,
    )


def _island_slacks(
    n_nodes: int,
    open_from: IntArray,
    open_to: IntArray,
    producer_node: IntArray,
    producer_is_pressure: BoolArray,
    producer_ids: NDArray[np.object_] | None,
) -> IntArray:
    """Pressure-holding producer of each node's connected network, -1 if it has none.

    Two in one network raise :class:`InputError` naming them.
    """
    adjacency = sp.csr_matrix(
        (np.ones(len(open_from)), (open_from, open_to)), shape=(n_nodes, n_nodes)
    )
    n_islands, island = csgraph.connected_components(adjacency, directed=False)
    slack_all = np.flatnonzero(producer_is_pressure)
    per_island = np.bincount(island[producer_node[slack_all]], minlength=n_islands)
    crowded = np.flatnonzero(per_island > 1)
    if len(crowded):
        ids = producer_ids if producer_ids is not None else np.arange(len(producer_node))
        groups = [
            ", ".join(str(ids[p]) for p in slack_all if island[producer_node[p]] == c)
            for c in crowded[:5]
        ]
        raise InputError(
            f"more than one pressure-holding producer in one connected network: {'; '.join(groups)}. "
            "Keep one per network (give the others mode 'mass_flow' or 'heat') or separate the "
            "networks with a closed valve"
        )
    island_slack = np.full(n_islands, -1, dtype=np.int64)
    island_slack[island[producer_node[slack_all]]] = slack_all
    return island_slack[island]


def _factorise_tree(
    row_of_local: IntArray, parent_local: IntArray, tree_from: IntArray
) -> tuple[SuperLU | None, NDArray[np.float64], IntArray, IntArray]:
    """LU of the reduced tree incidence ``A_T`` and what the pressure pass needs.

    Returns the factorisation, ``sigma`` per row (+1 when the tree pipe points
    from the row's node to its parent), the parent (local node) per row and the
    rows whose parent is a slack node. ``A_T`` is upper triangular (parents come
    first in BFS order) with ``sigma`` on the diagonal, so natural ordering
    without pivoting factorises it without fill.
    """
    n_rows = len(tree_from)
    child = np.empty(n_rows, dtype=np.int64)
    child[row_of_local[row_of_local >= 0]] = np.flatnonzero(row_of_local >= 0)
    parent = parent_local[child]
    sigma = np.where(tree_from == child, 1.0, -1.0)
    parent_row = row_of_local[parent]
    inner = parent_row >= 0
    rows = np.concatenate([np.arange(n_rows), parent_row[inner]])
    cols = np.concatenate([np.arange(n_rows), np.flatnonzero(inner)])
    vals = np.concatenate([sigma, -sigma[inner]])
    lu = None
    if n_rows:
        a_t = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_rows))
        lu = splu(a_t, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    return lu, sigma, parent, np.flatnonzero(~inner)


def _spanning_forest(
    n: int, a_from: IntArray, a_to: IntArray, roots: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """BFS forest from ``roots``: (row of each local node, tree pipe per row, parent per node).

    Parallel pipes between the same two nodes: the first one can be a tree
    pipe, the others become chords.
    """
    lo, hi = np.minimum(a_from, a_to), np.maximum(a_from, a_to)
    pair = lo * (n + 1) + hi
    pair_unique, first_pipe = np.unique(pair, return_index=True)
    u_lo, u_hi = pair_unique // (n + 1), pair_unique % (n + 1)
    virtual = n  # super-root joined to every slack node
    graph = sp.csr_matrix(
        (
            np.ones(len(u_lo) + len(roots)),
            (np.concatenate([u_lo, np.full(len(roots), virtual)]), np.concatenate([u_hi, roots])),
        ),
        shape=(n + 1, n + 1),
    )
    order, pred = csgraph.breadth_first_order(
        graph, virtual, directed=False, return_predecessors=True
    )
    order = order[1:]  # drop the super-root
    is_root = np.zeros(n, dtype=bool)
    is_root[roots] = True
    nonroot = order[~is_root[order]]
    row_of_local = np.full(n, -1, dtype=np.int64)
    row_of_local[nonroot] = np.arange(len(nonroot))
    parent = np.asarray(pred[:n], dtype=np.int64)
    p = parent[nonroot]
    key = np.minimum(p, nonroot) * (n + 1) + np.maximum(p, nonroot)
    tree = first_pipe[np.searchsorted(pair_unique, key)]
    return row_of_local, tree.astype(np.int64), parent


def _loop_matrix(
    chord_from: IntArray,
    chord_to: IntArray,
    row_of_local: IntArray,
    parent_local: IntArray,
    sigma: NDArray[np.float64],
    n_rows: int,
) -> sp.csr_matrix:
    """``A_T^{-1} A_C``: column c holds +sigma on the tree path from the chord's start to
    its slack and -sigma on the path from its end (shared path segments cancel)."""
    k = len(chord_from)
    cur = np.concatenate([chord_from, chord_to])
    col = np.concatenate([np.arange(k), np.arange(k)])
    sgn = np.concatenate([np.ones(k), -np.ones(k)])
    rows, cols, vals = [], [], []
    while cur.size:
        r = row_of_local[cur]
        keep = r >= 0  # slack nodes end the walk
        cur, col, sgn, r = cur[keep], col[keep], sgn[keep], r[keep]
        rows.append(r)
        cols.append(col)
        vals.append(sgn * sigma[r])
        cur = parent_local[cur]
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, k)
    )
    matrix.eliminate_zeros()
    return matrix
