"""Shared machinery of the importers: report notes, polygon cleaning, street splitting.

Everything here works on whole arrays (shapely 2 / numpy); only the rare
invalid polygons are repaired one by one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from teplo.area import ImportReport
from teplo.errors import InputError, InputFileNotFound
from teplo.schema import BUILDINGS_IMPORTED, STREETS, Table

# A footprint below 0.01 m² (10 cm × 10 cm) is a degenerate ring (collinear or
# repeated nodes), not a building: mapping noise, far below any real structure.
MIN_FOOTPRINT_M2 = 0.01

# How many offending ids a report message lists before "...".
_MAX_IDS_IN_MESSAGE = 10


def note(report: ImportReport, bucket: str, reason: str, ids: Sequence[str] | np.ndarray) -> None:
    """Count ``ids`` under ``reason`` in ``bucket`` and record a message naming them."""
    if len(ids) == 0:
        return
    report.count(bucket, reason, len(ids))
    shown = ", ".join(str(i) for i in list(ids)[:_MAX_IDS_IN_MESSAGE])
    more = f" and {len(ids) - _MAX_IDS_IN_MESSAGE} more" if len(ids) > _MAX_IDS_IN_MESSAGE else ""
    report.messages.append(f"{bucket} {reason}: {shown}{more}")


def polygonal_part(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygons of ``geom`` (e.g. the output of ``make_valid``) as one geometry, or None."""
    if geom is None or geom.is_empty:
        return None
    parts = shapely.get_parts(shapely.get_parts(geom))  # two levels: collection -> multi -> single
    polys = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def clean_polygons(
    geoms: np.ndarray, ids: np.ndarray, report: ImportReport, what: str = "building"
) -> tuple[np.ndarray, np.ndarray]:
    """Validate footprints; return ``(multipolygons, keep)`` with ``keep`` a boolean mask.

    Empty and non-polygonal geometries are dropped; invalid ones (self-intersecting
    rings, bow-ties) are repaired with ``shapely.make_valid`` keeping the polygonal
    parts; anything whose area is below :data:`MIN_FOOTPRINT_M2` afterwards is
    dropped as zero-area. Every drop and repair is counted in ``report``.
    """
    geoms = np.asarray(geoms, dtype=object)
    ids = np.asarray(ids, dtype=object)
    n = len(geoms)
    keep = np.ones(n, dtype=bool)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    note(report, "dropped", f"{what}: empty geometry", ids[missing])
    keep &= ~missing
    type_id = shapely.get_type_id(geoms)
    not_poly = keep & ~np.isin(type_id, (3, 6))  # 3 Polygon, 6 MultiPolygon
    note(report, "dropped", f"{what}: not a polygon", ids[not_poly])
    keep &= ~not_poly

    out = geoms.copy()
    out[~keep] = None
    invalid = keep & ~shapely.is_valid(out)
    repaired: list[str] = []
    for i in np.flatnonzero(invalid):  # rare: only the broken ones, one by one
        try:
            fixed = polygonal_part(shapely.make_valid(geoms[i]))
        except shapely.errors.GEOSException:  # beyond repair: dropped below as zero-area
            fixed = None
        out[i] = fixed
        if fixed is not None and fixed.area >= MIN_FOOTPRINT_M2:
            repaired.append(str(ids[i]))
    note(report, "repaired", f"{what}: invalid polygon (self-intersecting) made valid", repaired)

    out[~keep] = None
    area = np.nan_to_num(shapely.area(out), nan=0.0)
    zero = keep & (area < MIN_FOOTPRINT_M2)
    note(report, "dropped", f"{what}: zero area", ids[zero])
    keep &= ~zero
    result = np.full(n, None, dtype=object)
    result[keep] = to_multipolygons(out[keep])
    return result, keep


def to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons and multipolygons (none empty) as an array of MultiPolygons."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    out = np.empty(len(geoms), dtype=object)
    return np.asarray(shapely.multipolygons(parts, indices=index, out=out), dtype=object)


def split_lines(
    line: np.ndarray, node: np.ndarray, xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split polylines into graph edges at every node used more than once.

    ``line`` (sorted, contiguous groups), ``node`` (int node id per vertex) and
    ``xy`` ((n, 2) coordinates) describe the vertices of all lines in order; each
    line has at least two vertices and no consecutive repeated node. A vertex
    inside a line is an edge end when its node occurs anywhere else (another
    line's vertex or end, or the same line again): that is an intersection.

    Returns ``(edge_line, u, v, geometry)``: the line each edge came from, its end
    node ids and its LineString, ordered by line and position along it.
    """
    n = len(node)
    if n == 0:
        empty_i = np.empty(0, dtype=np.int64)
        return empty_i, empty_i, empty_i, np.empty(0, dtype=object)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    group = np.cumsum(first) - 1  # 0..L-1
    _, inverse, counts = np.unique(node, return_inverse=True, return_counts=True)
    brk = ~first & ~last & (counts[inverse] >= 2)
    excl = np.cumsum(brk) - brk  # breaks strictly before each vertex
    start_of_group = np.flatnonzero(first)
    before = excl - excl[start_of_group][group]
    per_group = np.bincount(group, weights=brk).astype(np.int64) + 1
    base = np.r_[0, np.cumsum(per_group)[:-1]]
    seg = base[group] + before
    # A break vertex ends one edge and starts the next: emit it twice.
    at = np.flatnonzero(brk)
    vertex = np.r_[np.arange(n), at]
    seg_all = np.r_[seg, seg[at] + 1]
    order = np.lexsort((vertex, seg_all))
    vertex, seg_all = vertex[order], seg_all[order]
    geometry = np.asarray(shapely.linestrings(xy[vertex], indices=seg_all), dtype=object)
    seg_first = np.r_[True, seg_all[1:] != seg_all[:-1]]
    seg_last = np.r_[seg_all[1:] != seg_all[:-1], True]
    u = node[vertex[seg_first]]
    v = node[vertex[seg_last]]
    edge_line = line[vertex[seg_first]]
    return edge_line, u.astype(np.int64), v.astype(np.int64), geometry


def empty_frame(table: Table, crs: CRS) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with ``table``'s columns and dtypes."""
    return conform(gpd.GeoDataFrame({c.name: [] for c in table.columns}, geometry=[], crs=crs), table)


_DTYPES = {"str": object, "int": np.int64, "float": np.float64, "bool": bool}


def conform(frame: gpd.GeoDataFrame, table: Table) -> gpd.GeoDataFrame:
    """Exactly ``table``'s columns (in order) plus geometry, with the declared dtypes."""
    data: dict[str, pd.Series] = {}
    for c in table.columns:
        col = frame[c.name] if c.name in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if c.dtype == "str":
            col = col.astype("string").fillna("").astype(object)
        elif c.dtype == "float":
            col = pd.to_numeric(col, errors="coerce").astype(np.float64)
        else:
            col = col.astype(_DTYPES[c.dtype])
        data[c.name] = col
    out = gpd.GeoDataFrame(data, geometry=frame.geometry.values, crs=frame.crs, index=frame.index)
    return out.reset_index(drop=True)


def conform_buildings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The buildings table in schema order, sorted by ``building_id``."""
    out = conform(frame, BUILDINGS_IMPORTED)
    return out.sort_values("building_id", kind="stable").reset_index(drop=True)


def conform_streets(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The streets table in schema order, sorted by ``street_id``."""
    out = conform(frame, STREETS)
    return out.sort_values("street_id", kind="stable").reset_index(drop=True)


def check_input_file(path: str | os.PathLike[str], kind: str, empty_hint: str = "") -> Path:
    """The path of a readable, non-empty input file; otherwise a clear error naming it.

    ``kind`` names what was expected (e.g. "an OSM file"); ``empty_hint`` is added
    to the message for an empty file.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileNotFound(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not {kind}")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty{empty_hint}")
    return p
