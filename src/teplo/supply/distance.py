"""Distances along streets (scipy.sparse.csgraph) with a straight-line fallback.

A point is projected onto its nearest street edge; the distance between two
points is the shortest of the four routes via the ends of their edges (or
along the shared edge), plus the straight legs from the points to the streets.
Error: a building reached through a yard rather than along the street is
counted along the street (an overestimate, as the brief's "pipe reach along
streets" asks). Without a street table, distances are straight-line x
``detour_factor``.

This is the siting stage's own small helper; the street graph of record is
built by ``teplo.network`` and is not imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from teplo.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CHUNK = 64  # Dijkstra sources per batch: bounds memory at CHUNK x nodes floats


@dataclass
class StreetIndex:
    """Street graph as a symmetric CSR matrix of edge lengths [m] with node coordinates [m].

    ``graph`` is None when no streets were given: every distance is then the
    straight line times ``detour_factor``.
    """

    graph: csr_matrix | None
    node_xy: FloatArray
    detour_factor: float = 1.3
    edge_u: IntArray | None = None
    edge_v: IntArray | None = None
    edge_len: FloatArray | None = None
    edge_geom: npt.NDArray[np.object_] | None = None
    _tree: shapely.STRtree | None = None

    @classmethod
    def from_streets(cls, streets: gpd.GeoDataFrame | None, detour_factor: float = 1.3) -> StreetIndex:
        """Build from a streets table with ``u``, ``v``, ``length_m`` and LineString geometry."""
        if streets is None or len(streets) == 0:
            return cls(None, np.zeros((0, 2)), detour_factor)
        for col in ("u", "v", "length_m"):
            if col not in streets.columns:
                raise InputError(f"streets: missing column '{col}' (need u, v, length_m and LineString geometry)")
        geoms = streets.geometry.to_numpy()
        start = shapely.get_coordinates(shapely.get_point(geoms, 0))
        end = shapely.get_coordinates(shapely.get_point(geoms, -1))
        ends = pd.DataFrame({
            "node": np.concatenate([streets["u"].to_numpy(), streets["v"].to_numpy()]).astype(np.int64),
            "x": np.concatenate([start[:, 0], end[:, 0]]),
            "y": np.concatenate([start[:, 1], end[:, 1]]),
        }).drop_duplicates("node")
        codes, uniques = pd.factorize(ends["node"], sort=True)
        xy = np.zeros((len(uniques), 2))
        xy[codes] = ends[["x", "y"]].to_numpy()
        pos = pd.Index(uniques)
        u = pos.get_indexer(streets["u"].to_numpy().astype(np.int64))
        v = pos.get_indexer(streets["v"].to_numpy().astype(np.int64))
        length = np.maximum(streets["length_m"].to_numpy(dtype=float), 0.01)  # csgraph drops zero weights
        edges = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "w": length})
        edges = edges[edges["a"] != edges["b"]].groupby(["a", "b"], sort=True)["w"].min().reset_index()
        n = len(uniques)
        a, b, w = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["w"].to_numpy()
        graph = coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)).tocsr()
        return cls(graph, xy, detour_factor, np.asarray(u, np.int64), np.asarray(v, np.int64), length,
                   np.asarray(geoms, dtype=object))

    @property
    def has_streets(self) -> bool:
        """True when distances follow streets."""
        return self.graph is not None and self.graph.shape[0] > 0

    def project(self, xy: FloatArray) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        """Nearest edge of each point: (edge row, leg to its u end [m], leg to its v end [m], offset [m])."""
        if not self.has_streets or self.edge_geom is None:
            raise InputError("no street graph to snap to")
        assert self.edge_len is not None
        if self._tree is None:
            self._tree = shapely.STRtree(self.edge_geom)
        pts = shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2))
        hit = self._tree.query_nearest(pts, all_matches=False, return_distance=False)
        edge = np.empty(len(pts), dtype=np.int64)
        edge[hit[0]] = hit[1]
        geom = self.edge_geom[edge]
        off = shapely.distance(pts, geom)
        glen = np.maximum(shapely.length(geom), 1e-9)
        t = shapely.line_locate_point(geom, pts) / glen * self.edge_len[edge]
        return edge, off + t, off + (self.edge_len[edge] - t), t

    def paired(
        self, src_xy: FloatArray, dst_xy: FloatArray, limit: float = np.inf, src_leg: bool = True
    ) -> FloatArray:
        """Distance [m] between ``src_xy[i]`` and ``dst_xy[i]`` for every row i (inf beyond ``limit``).

        ``src_leg=False`` starts at the source's projection on its street (a district's
        street node), leaving out the straight leg from the source point to the street.
        """
        src_xy = np.asarray(src_xy, dtype=float).reshape(-1, 2)
        dst_xy = np.asarray(dst_xy, dtype=float).reshape(-1, 2)
        if not self.has_streets:
            d = np.hypot(*(src_xy - dst_xy).T) * self.detour_factor
            return np.where(d <= limit, d, np.inf)
        assert self.graph is not None and self.edge_u is not None and self.edge_v is not None
        se, su, sv, st = self.project(src_xy)
        te, tu, tv, tt = self.project(dst_xy)
        if not src_leg:
            off = su - st
            su, sv = su - off, sv - off
        s_ends = np.stack([self.edge_u[se], self.edge_v[se]], axis=1)
        s_legs = np.stack([su, sv], axis=1)
        t_ends = np.stack([self.edge_u[te], self.edge_v[te]], axis=1)
        t_legs = np.stack([tu, tv], axis=1)
        out = np.full(len(src_xy), np.inf)
        sources, inverse = np.unique(s_ends.ravel(), return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        for lo in range(0, len(sources), _CHUNK):
            chunk = sources[lo:lo + _CHUNK]
            dist = dijkstra(self.graph, directed=False, indices=chunk, limit=limit)
            for a in (0, 1):
                rows = np.flatnonzero((inverse[:, a] >= lo) & (inverse[:, a] < lo + len(chunk)))
                for b in (0, 1):
                    via = s_legs[rows, a] + dist[inverse[rows, a] - lo, t_ends[rows, b]] + t_legs[rows, b]
                    out[rows] = np.minimum(out[rows], via)
        same = se == te
        along = np.abs(st - tt) + (su - st) + (tu - tt)  # leg_u - t is the straight offset to the street
        out[same] = np.minimum(out[same], along[same])
        return np.where(out <= limit, out, np.inf)

    def nearest(
        self, src_xy: FloatArray, dst_xy: FloatArray, k: int, limits: FloatArray, src_leg: bool = True
    ) -> pd.DataFrame:
        """Up to ``k`` nearest destinations per source within ``limits[i]`` [m] along streets.

        Pre-filters by straight-line distance (street distance is never shorter),
        then ranks by street distance. Returns columns src, dst, distance_m, rank.
        """
        src_xy = np.asarray(src_xy, dtype=float).reshape(-1, 2)
        dst_xy = np.asarray(dst_xy, dtype=float).reshape(-1, 2)
        limits = np.broadcast_to(np.asarray(limits, dtype=float), (len(src_xy),))
        empty = pd.DataFrame({"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64),
                              "distance_m": np.zeros(0), "rank": np.zeros(0, np.int64)})
        if len(src_xy) == 0 or len(dst_xy) == 0:
            return empty
        reach = float(limits.max()) / (1.0 if self.has_streets else self.detour_factor)
        found = cKDTree(src_xy).sparse_distance_matrix(cKDTree(dst_xy), reach, output_type="ndarray")
        if len(found) == 0:
            return empty
        src = found["i"].astype(np.int64)
        dst = found["j"].astype(np.int64)
        d = self.paired(src_xy[src], dst_xy[dst], limit=float(limits.max()), src_leg=src_leg)
        keep = d <= limits[src]
        pairs = pd.DataFrame({"src": src[keep], "dst": dst[keep], "distance_m": d[keep]})
        pairs = pairs.sort_values(["src", "distance_m", "dst"], kind="stable")
        pairs["rank"] = pairs.groupby("src").cumcount()
        return pairs[pairs["rank"] < k].reset_index(drop=True)
