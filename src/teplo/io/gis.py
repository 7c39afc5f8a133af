"""Reading buildings and streets from GIS files (GeoPackage, GeoJSON, via pyogrio).

Two kinds of input:

* a teplo GeoPackage (layers ``buildings`` and ``streets`` with the schema's
  columns, as written by ``teplo synth`` or a saved study): read back as is,
  losslessly;
* any other polygon layer (a cadastre, a QGIS export): attribute fields are
  found by common names or an explicit ``field_map``, missing values are
  defaulted, and a line layer becomes the street graph by joining lines at
  shared end points and vertices (snapped to 1 cm).

Everything is reprojected to the UTM zone of the data.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer

from teplo.area import Area, ImportReport
from teplo.crs import utm_crs_for
from teplo.errors import InputError, TeploError
from teplo.io._common import (
    check_input_file,
    clean_polygons,
    conform_buildings,
    conform_streets,
    empty_frame,
    note,
    split_lines,
)
from teplo.io.defaults import UNKNOWN_USE, fill_building_defaults, normalise_use
from teplo.io.tags import parse_height, parse_levels, parse_year
from teplo.schema import BUILDINGS_IMPORTED, STREETS

GIS_SUFFIXES = (".geojson", ".json", ".gpkg")

# Field names tried, in order (case-insensitive), for each teplo field when no
# field_map names it: teplo's own, OSM keys, and common GIS/cadastre spellings.
FIELD_CANDIDATES: dict[str, tuple[str, ...]] = {
    "building_id": ("building_id", "id", "osm_id", "osm_way_id", "fid"),
    "storeys": ("storeys", "levels", "building:levels", "building_levels", "floors", "num_floors", "stories"),
    "height_m": ("height_m", "height"),
    "use": ("use", "building", "type"),
    "year_built": ("year_built", "year", "start_date", "construction_year"),
    "amenity": ("amenity",),
    "name": ("name",),
    "address": ("address",),
}
STREET_FIELD_CANDIDATES: dict[str, tuple[str, ...]] = {
    "osm_id": ("osm_id", "street_id", "id"),
    "highway": ("highway", "class", "fclass", "type"),
    "name": ("name",),
}
# OSM's value for a road of unknown class; given to GIS lines without a class.
UNKNOWN_HIGHWAY = "road"
# Line ends and vertices closer than 1 cm are the same graph node: digitising
# precision of municipal GIS data is centimetres at best, and no two real
# street junctions are 1 cm apart.
SNAP_M = 0.01

_POLYGONAL = ("Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "3D Polygon", "3D MultiPolygon")


def _layers(path: Path) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise InputError(
            f"{path}: not a readable GeoPackage/GeoJSON file ({type(exc).__name__}: {exc})"
        ) from None


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise InputError(f"{path}: cannot read layer '{layer}' ({type(exc).__name__}: {exc})") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{path}: layer '{layer}' has no geometry; expected building polygons or street lines")
    if frame.crs is None:
        raise InputError(
            f"{path}: layer '{layer}' has no CRS; set one (in QGIS: Layer > Set CRS of Layer, "
            "then save; for GeoJSON use WGS 84 longitude/latitude as RFC 7946 requires)"
        )
    return frame


def _check_file(path: str | os.PathLike[str]) -> Path:
    return check_input_file(path, "a GIS file")


def _pick_layer(path: Path, layers: list[tuple[str, str]], wanted: str | None, kind: str) -> str | None:
    """The layer named ``wanted``, or the conventional one for ``kind`` (None if none fits)."""
    names = [n for n, _ in layers]
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                f"{path}: has no layer '{wanted}' (layers present: {', '.join(names) or 'none'})"
            )
        return wanted
    if kind in names:
        return kind
    if kind == "buildings":
        if len(layers) == 1:
            return names[0]
        polys = [n for n, t in layers if t in _POLYGONAL]
        if len(polys) == 1:
            return polys[0]
        raise InputError(
            f"{path}: cannot tell which layer holds the buildings (layers: {', '.join(names)}); "
            "name it with buildings_layer="
        )
    lines = [n for n, t in layers if "LineString" in t]
    return lines[0] if len(lines) == 1 else None


def read_gis(
    path: str | os.PathLike[str],
    *,
    buildings_layer: str | None = None,
    streets_layer: str | None = None,
    field_map: Mapping[str, str] | None = None,
    streets_path: str | os.PathLike[str] | None = None,
) -> Area:
    """Read buildings (and streets, if present) from a GeoPackage or GeoJSON into an :class:`Area`.

    ``buildings_layer``/``streets_layer`` name the layers (default: ``buildings``
    and ``streets``, or the only polygon / line layer; lines mixed into a GeoJSON
    of buildings are the streets). ``streets_path`` reads the streets from a
    second file instead. ``field_map`` maps teplo field names (``building_id``,
    ``storeys``, ``height_m``, ``use``, ``year_built``, ``amenity``, ``name``,
    ``address``) to the file's field names; unnamed fields are looked up in
    :data:`FIELD_CANDIDATES`. A teplo GeoPackage loads back unchanged.
    """
    p = _check_file(path)
    report = ImportReport(source=str(p))
    layers = _layers(p)
    if not layers:
        raise InputError(f"{p}: contains no layers")
    b_layer = _pick_layer(p, layers, buildings_layer, "buildings")
    assert b_layer is not None
    raw_b = _read_layer(p, b_layer)
    if len(raw_b) == 0:
        raise InputError(f"{p}: layer '{b_layer}' is empty; it contains no buildings")

    # Streets: a second file, a named or conventional layer, or lines mixed into the buildings layer.
    raw_s: gpd.GeoDataFrame | None = None
    s_source = str(p)
    geom_type = raw_b.geometry.geom_type.fillna("")
    is_line = geom_type.str.contains("LineString").to_numpy()
    if streets_path is not None:
        sp = _check_file(streets_path)
        s_layers = _layers(sp)
        if not s_layers:
            raise InputError(f"{sp}: contains no layers; expected street lines")
        s_file_layer = _pick_layer(sp, s_layers, streets_layer, "streets") or s_layers[0][0]
        raw_s, s_source = _read_layer(sp, s_file_layer), f"{sp} layer '{s_file_layer}'"
    else:
        s_layer: str | None = None
        if len(layers) > 1 or streets_layer is not None:
            s_layer = _pick_layer(p, layers, streets_layer, "streets")
        if s_layer is not None and s_layer != b_layer:
            raw_s, s_source = _read_layer(p, s_layer), f"{p} layer '{s_layer}'"
        elif is_line.any():
            raw_s, s_source = raw_b[is_line], f"{p} layer '{b_layer}' (lines)"
    if is_line.any():
        raw_b = raw_b[~is_line]
        if len(raw_b) == 0:
            raise InputError(f"{p}: layer '{b_layer}' holds only lines; it contains no buildings (polygons)")

    input_crs = CRS.from_user_input(raw_b.crs)
    crs = _metric_crs(p, b_layer, raw_b)
    buildings_src = raw_b if raw_b.crs == crs else raw_b.to_crs(crs)
    if _is_teplo(buildings_src, BUILDINGS_IMPORTED.required):
        buildings = _teplo_buildings(buildings_src, report)
    else:
        buildings = _generic_buildings(p, b_layer, buildings_src, field_map, report)
    if len(buildings) == 0:
        raise InputError(f"{p}: none of the {len(raw_b)} features of layer '{b_layer}' is a usable building polygon")
    buildings = fill_building_defaults(buildings, report)

    if raw_s is None or len(raw_s) == 0:
        streets = empty_frame(STREETS, crs)
    else:
        if raw_s.crs is None:  # a sliced mixed layer keeps its CRS; a read layer was checked
            raise InputError(f"{s_source}: has no CRS; set one")
        s_metric = raw_s if raw_s.crs == crs else raw_s.to_crs(crs)
        if _is_teplo(s_metric, STREETS.required):
            streets = s_metric
        else:
            streets = _generic_streets(s_metric, report)
    report.count("read", "buildings", len(buildings))
    report.count("read", "street edges", len(streets))
    return Area(
        buildings=conform_buildings(buildings),
        streets=conform_streets(streets),
        crs=crs,
        input_crs=input_crs,
        report=report,
    )


def _metric_crs(path: Path, layer: str, frame: gpd.GeoDataFrame) -> CRS:
    """UTM zone of the layer's centre, checking that 'degree' coordinates really are degrees."""
    minx, miny, maxx, maxy = frame.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise InputError(f"{path}: layer '{layer}' has no usable geometry (empty or invalid coordinates)")
    src = CRS.from_user_input(frame.crs)
    if src.is_geographic and (min(minx, miny) < -180 or maxx > 180 or maxy > 90 or miny < -90):
        raise InputError(
            f"{path}: layer '{layer}' says its CRS is {src.to_string()} (degrees) but its coordinates "
            f"reach x={maxx:.0f}, y={maxy:.0f}, which are not degrees; a GeoJSON without a 'crs' "
            "member is read as WGS 84 (RFC 7946): reproject the data to EPSG:4326 or save it "
            "with its true CRS (e.g. as GeoPackage)"
        )
    to_wgs84 = Transformer.from_crs(src, CRS.from_epsg(4326), always_xy=True)
    lon, lat = to_wgs84.transform((minx + maxx) / 2, (miny + maxy) / 2)
    try:
        return utm_crs_for(float(lon), float(lat))
    except TeploError as exc:
        raise InputError(f"{path}: layer '{layer}': {exc}") from None


def _is_teplo(frame: pd.DataFrame, required: list[str]) -> bool:
    return all(c in frame.columns for c in required)


def _polygons(frame: gpd.GeoDataFrame, ids: np.ndarray, report: ImportReport) -> tuple[np.ndarray, np.ndarray]:
    return clean_polygons(frame.geometry.to_numpy(), ids, report)


def _dedupe(ids: np.ndarray, report: ImportReport, what: str) -> np.ndarray:
    """Mask keeping the first of each id; later duplicates are counted as dropped."""
    dup = pd.Series(ids).duplicated(keep="first").to_numpy()
    note(report, "dropped", f"{what}: duplicate id (first kept)", ids[dup])
    return ~dup


def _teplo_buildings(frame: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """A teplo buildings layer: kept as is apart from repairs of broken rows."""
    frame = frame.reset_index(drop=True)
    ids = frame["building_id"].astype("string").fillna("").to_numpy(dtype=object)
    first = _dedupe(ids, report, "building")
    geoms, keep = _polygons(frame, ids, report)
    keep &= first
    out = frame.loc[keep].copy()
    out = out.set_geometry(list(geoms[keep]), crs=frame.crs)
    area = pd.to_numeric(out["footprint_m2"], errors="coerce")
    out["footprint_m2"] = area.where(area.notna(), out.geometry.area)
    out["use"] = out["use"].astype("string").fillna(UNKNOWN_USE).astype(object)
    return out


def _resolve_fields(
    path: Path, layer: str, columns: list[str], field_map: Mapping[str, str] | None,
    candidates: Mapping[str, tuple[str, ...]],
) -> dict[str, str]:
    """teplo field -> column of the layer, from ``field_map`` or the candidate names."""
    lower = {c.lower(): c for c in columns}
    resolved: dict[str, str] = {}
    for key, given in (field_map or {}).items():
        if key not in candidates:
            raise InputError(
                f"{path}: field_map names unknown teplo field '{key}'; "
                f"known fields: {', '.join(candidates)}"
            )
        col = given if given in columns else lower.get(str(given).lower(), "")
        if not col:
            raise InputError(
                f"{path}: layer '{layer}' has no field '{given}' (given for '{key}' in field_map); "
                f"fields present: {', '.join(c for c in columns if c != 'geometry') or 'none'}"
            )
        resolved[key] = col
    for key, names in candidates.items():
        if key in resolved:
            continue
        for name in names:
            if name.lower() in lower:
                resolved[key] = lower[name.lower()]
                break
    return resolved


def _numbers(values: pd.Series, parse: Callable[[object], float | int | None]) -> np.ndarray:
    """Numeric column from numbers or free text (text parsed with ``parse``); NaN if unreadable."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    text = (np.isnan(num) & values.notna() & (values.astype("string").str.strip() != "")).to_numpy(dtype=bool)
    if text.any():
        num[text] = [np.nan if (r := parse(v)) is None else float(r) for v in values[text]]
    return num


def _generic_buildings(
    path: Path, layer: str, frame: gpd.GeoDataFrame, field_map: Mapping[str, str] | None,
    report: ImportReport,
) -> gpd.GeoDataFrame:
    """Any polygon layer: fields by name, then defaults."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    fields = _resolve_fields(path, layer, list(frame.columns), field_map, FIELD_CANDIDATES)

    def text(key: str) -> pd.Series:
        if key not in fields:
            return pd.Series([""] * n, dtype=object)
        col = frame[fields[key]]
        if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
            col = col.astype("Int64")  # 123.0 -> "123"
        return col.astype("string").fillna("").str.strip().astype(object)

    generated = np.array([f"g{i + 1}" for i in range(n)], dtype=object)
    raw_id = text("building_id").to_numpy(dtype=object)
    ids = np.where(raw_id == "", generated, raw_id)
    first = _dedupe(ids, report, "building")
    geoms, keep = _polygons(frame, ids, report)
    keep &= first

    use_text = text("use")
    amenity = text("amenity")
    building = use_text.where(use_text != "", "yes")
    use = [normalise_use(b, a) for b, a in zip(building, amenity, strict=True)]
    storeys = _numbers(frame[fields["storeys"]], parse_levels) if "storeys" in fields else np.full(n, np.nan)
    storeys = np.where(storeys >= 1, np.floor(storeys + 0.5), np.nan)
    height = _numbers(frame[fields["height_m"]], parse_height) if "height_m" in fields else np.full(n, np.nan)
    height = np.where(height > 0, height, np.nan)
    year = _numbers(frame[fields["year_built"]], parse_year) if "year_built" in fields else np.full(n, np.nan)
    year = np.where((year >= 1000) & (year <= 2100), np.floor(year), np.nan)
    out = gpd.GeoDataFrame(
        {
            "building_id": ids,
            "source": "gis",
            "building": building.to_numpy(dtype=object),
            "amenity": amenity.to_numpy(dtype=object),
            "name": text("name").to_numpy(dtype=object),
            "address": text("address").to_numpy(dtype=object),
            "use": np.asarray(use, dtype=object),
            "storeys": storeys,
            "height_m": height,
            "year_built": year,
            "defaulted": "",
        },
        geometry=list(geoms),
        crs=frame.crs,
    )
    out = out.loc[keep].reset_index(drop=True)
    out["footprint_m2"] = out.geometry.area
    return out


def _generic_streets(frame: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """Street edges from any line layer: nodes where ends/vertices coincide within :data:`SNAP_M`."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    fields = _resolve_fields(Path(report.source), "streets", list(frame.columns), None, STREET_FIELD_CANDIDATES)

    def text(key: str, default: str) -> np.ndarray:
        if key not in fields:
            return np.full(n, default, dtype=object)
        col = frame[fields[key]]
        if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
            col = col.astype("Int64")
        s = col.astype("string").fillna("").str.strip()
        return s.where(s != "", default).to_numpy(dtype=object)

    labels = text("osm_id", "")
    labels = np.where(labels == "", np.array([f"g{i + 1}" for i in range(n)], dtype=object), labels)
    highway, name = text("highway", UNKNOWN_HIGHWAY), text("name", "")
    geoms = frame.geometry.to_numpy()
    lineal = np.isin(shapely.get_type_id(geoms), (1, 5)) & ~shapely.is_empty(geoms)  # LineString, MultiLineString
    note(report, "dropped", "street: not a line", labels[~lineal & ~shapely.is_missing(geoms)])
    note(report, "dropped", "street: empty geometry", labels[shapely.is_missing(geoms)])
    parts, row = shapely.get_parts(np.where(lineal, geoms, None), return_index=True)
    if len(parts) == 0:
        return empty_frame(STREETS, frame.crs)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    key = np.round(xy / SNAP_M).astype(np.int64)
    _, node = np.unique(key, axis=0, return_inverse=True)
    node = node.reshape(-1).astype(np.int64)
    snapped = key * SNAP_M
    repeat = np.r_[False, (node[1:] == node[:-1]) & (part[1:] == part[:-1])]
    part, node, snapped = part[~repeat], node[~repeat], snapped[~repeat]
    size = np.bincount(part, minlength=len(parts))
    usable = size[part] >= 2
    short_rows = np.unique(row[size < 2])
    note(report, "dropped", "street: shorter than 1 cm", labels[short_rows])
    edge_part, u, v, geometry = split_lines(part[usable], node[usable], snapped[usable])
    edge_row = row[edge_part]
    osm_id = labels[edge_row]
    k = pd.Series(osm_id).groupby(osm_id).cumcount().to_numpy()  # unique even if ids repeat
    return gpd.GeoDataFrame(
        {
            "street_id": [f"{o}-{j}" for o, j in zip(osm_id, k, strict=True)],
            "osm_id": osm_id,
            "highway": highway[edge_row],
            "name": name[edge_row],
            "u": u,
            "v": v,
            "length_m": shapely.length(geometry),
        },
        geometry=list(geometry),
        crs=frame.crs,
    )
