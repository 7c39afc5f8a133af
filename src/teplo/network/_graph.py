"""Simple undirected graphs on numpy arrays: the form every routing kernel works on.

Edges are given as ``(u, v, weight)`` arrays over nodes ``0 .. n-1``. Parallel
edges collapse to the lightest one (whose original index is kept), self-loops
are dropped, and the result is a symmetric ``scipy.sparse`` matrix plus a
lookup from a node pair back to the original edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Weight added to every edge so no edge weighs zero: scipy.sparse.csgraph treats
#: an absent entry as "no edge", and a zero could be dropped by sparse algebra.
#: [E] a numerical guard, 1e-9 of a euro, far below any cost that matters.
WEIGHT_EPS = 1e-9


def csr(data: FloatArray, rows: IntArray, cols: IntArray, n: int) -> csr_array:
    """An ``n x n`` CSR matrix with int32 indices (what scipy.sparse.csgraph's kernels take)."""
    return csr_array(
        (np.asarray(data, np.float64), (np.asarray(rows, np.int32), np.asarray(cols, np.int32))), shape=(n, n)
    )


@dataclass(frozen=True)
class SimpleGraph:
    """An undirected simple graph: unique node pairs ``a < b``, weights, original edge index."""

    n: int
    a: IntArray
    b: IntArray
    w: FloatArray
    edge: IntArray  # index of the original edge each pair came from
    keys: IntArray  # sorted pair keys a * n + b, for look-ups

    @classmethod
    def build(cls, u: IntArray, v: IntArray, w: FloatArray, n: int) -> SimpleGraph:
        """Collapse ``(u, v, w)`` to a simple graph, keeping the lightest of parallel edges."""
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        w = np.asarray(w, dtype=np.float64)
        keep = u != v
        idx = np.flatnonzero(keep)
        a = np.minimum(u[keep], v[keep])
        b = np.maximum(u[keep], v[keep])
        key = a * n + b
        order = np.lexsort((idx, w[keep], key))
        key_sorted = key[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = key_sorted[1:] != key_sorted[:-1]
        sel = order[first]
        return cls(n=n, a=a[sel], b=b[sel], w=w[keep][sel] + WEIGHT_EPS, edge=idx[sel], keys=key[sel])

    def matrix(self, weights: FloatArray | None = None) -> csr_array:
        """Symmetric ``n x n`` sparse matrix of the pair weights (or of ``weights`` per pair)."""
        w = self.w if weights is None else np.asarray(weights, dtype=np.float64) + WEIGHT_EPS
        rows = np.concatenate([self.a, self.b])
        cols = np.concatenate([self.b, self.a])
        return csr(np.concatenate([w, w]), rows, cols, self.n)

    def pair_index(self, x: IntArray, y: IntArray) -> IntArray:
        """Index into the pair arrays of the pairs ``(x, y)`` (either order); -1 where absent."""
        x = np.asarray(x, dtype=np.int64)
        y = np.asarray(y, dtype=np.int64)
        key = np.minimum(x, y) * self.n + np.maximum(x, y)
        if len(self.keys) == 0:
            return np.full(len(key), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        return np.where(self.keys[pos] == key, pos, -1)

    def degree(self, mask: BoolArray | None = None) -> IntArray:
        """Node degrees counting only the pairs in ``mask`` (all if ``None``)."""
        a, b = (self.a, self.b) if mask is None else (self.a[mask], self.b[mask])
        return np.bincount(np.concatenate([a, b]), minlength=self.n).astype(np.int64)
