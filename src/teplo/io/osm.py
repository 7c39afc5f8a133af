"""Reading buildings, streets and candidate-site features from OpenStreetMap files.

Formats: .osm, .osm.gz, .osm.bz2, .osm.pbf. pyosmium reads the file twice:
first the relations (to learn which ways are members of building and site
multipolygons), then nodes and ways with a node location index so every way
gets its coordinates; only nodes carrying a site tag reach Python. Geometry is
assembled here with shapely rather than by osmium's area assembler, so that
every broken object (clipped at the extract's edge, unclosed, self-intersecting,
zero-area) is repaired or dropped *and counted*, and one bad object never fails
the import. Site features (:data:`SITE_TAGS`) go through the same assembly as
buildings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from teplo.area import Area, ImportReport
from teplo.crs import utm_crs_for
from teplo.errors import InputError, TeploError
from teplo.io._common import (
    check_input_file,
    clean_polygons,
    conform,
    conform_buildings,
    conform_streets,
    empty_frame,
    note,
    split_lines,
)
from teplo.io.defaults import UNKNOWN_USE, fill_building_defaults, normalise_use
from teplo.io.tags import parse_height, parse_levels, parse_year
from teplo.schema import SITE_FEATURES, STREETS

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")

# highway=* values that are not (yet, or any more) built roads, or are areas
# or points rather than lines (OSM wiki, Key:highway, "Lifecycle" and "Other").
EXCLUDED_HIGHWAYS = frozenset(
    {"proposed", "construction", "abandoned", "razed", "platform", "bus_stop"}
)

# An unclosed building way whose ends are less than 1 m apart is a digitising
# slip (the last node placed next to the first instead of on it): close it.
# Beyond 1 m the outline is ambiguous and the building is dropped.
MAX_CLOSING_GAP_M = 1.0

# Candidate sites for a boiler house or CHP unit (input of
# teplo.supply.sites.sites_from_osm): which tags make an OSM object a site
# feature, and of which kind. Each key is a set of tags that must all be
# present ("*": any value but "no"); the first matching entry wins, so the more
# specific entries (an existing plant) come before land use. Values from the OSM
# wiki (Key:landuse, Key:power, Tag:man_made=chimney, Tag:amenity=parking,
# Tag:industrial=heating_station "heat production station", Tag:utility=heating).
# heating=* is deliberately absent: on a building it tells how that building is
# heated (a consumer), not that it makes heat.
SITE_TAGS: dict[tuple[tuple[str, str], ...], str] = {
    (("building", "boiler_house"),): "boiler_house",
    (("industrial", "heating_station"),): "boiler_house",
    (("building", "*"), ("utility", "heating")): "boiler_house",
    (("man_made", "chimney"),): "chimney",
    (("power", "plant"),): "power_plant",
    (("power", "generator"),): "generator",
    (("landuse", "industrial"),): "industrial",
    (("amenity", "parking"),): "parking",
    (("landuse", "brownfield"),): "brownfield",
    (("landuse", "grass"),): "grass",
    (("landuse", "greenfield"),): "vacant",
    (("landuse", "vacant"),): "vacant",
    (("vacant", "yes"),): "vacant",
}

# Features of a kind that cannot hold a plant after all, by a tag that says so
# ("*": any value but "no"): a parking deck, underground garage or roof has no
# ground to build on (Key:parking); solar and wind generators and farms are
# panels and masts, not heat plants; vacant=yes on a building or shop is empty
# premises, not open land.
SITE_EXCLUDED: dict[str, tuple[tuple[str, str], ...]] = {
    "parking": (("parking", "multi-storey"), ("parking", "underground"), ("parking", "rooftop")),
    "generator": (("generator:source", "solar"), ("generator:source", "wind")),
    "power_plant": (("plant:source", "solar"), ("plant:source", "wind")),
    "vacant": (("building", "*"), ("shop", "*")),
}

# Every tag key the two tables read, and the keys that alone can make a node a
# site (a rule's keys with a fixed value): pyosmium passes only those nodes on.
_SITE_KEYS = tuple(sorted(
    {k for rule in SITE_TAGS for k, _ in rule} | {k for tags in SITE_EXCLUDED.values() for k, _ in tags}
))
_SITE_NODE_KEYS = tuple(sorted({k for rule in SITE_TAGS for k, v in rule if v != "*"}))

_BUILDING_TAGS = (
    "building", "building:levels", "height", "amenity", "name", "start_date",
    "addr:street", "addr:housenumber", "shop", "office", "healthcare",
)  # fmt: skip


@dataclass
class _Ways:
    """Flat vertex arrays of a set of ways (one entry per way node)."""

    ids: list[int] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # index into ids
    ref: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)

    def add(self, way: osmium.osm.Way, tags: dict[str, str]) -> None:
        k = len(self.ids)
        self.ids.append(way.id)
        self.tags.append(tags)
        for nd in way.nodes:
            loc = nd.location
            self.owner.append(k)
            self.ref.append(nd.ref)
            if loc.valid():
                self.lon.append(loc.lon)
                self.lat.append(loc.lat)
            else:  # node not in the extract
                self.lon.append(np.nan)
                self.lat.append(np.nan)


@dataclass
class _Relation:
    id: int
    tags: dict[str, str]
    members: list[tuple[int, str]]  # (way id, role)


@dataclass
class _SiteNodes:
    ids: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)


@dataclass
class _Raw:
    buildings: _Ways = field(default_factory=_Ways)
    streets: _Ways = field(default_factory=_Ways)
    relations: list[_Relation] = field(default_factory=list)
    site_ways: _Ways = field(default_factory=_Ways)
    site_nodes: _SiteNodes = field(default_factory=_SiteNodes)
    site_relations: list[_Relation] = field(default_factory=list)
    member_ways: dict[int, tuple[list[int], list[float], list[float]]] = field(default_factory=dict)
    n_ways: int = 0


def _tag_dict(tags: osmium.osm.TagList, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: tags[k] for k in keys if k in tags}


def site_kind(tags: osmium.osm.TagList | dict[str, str]) -> tuple[str | None, str | None]:
    """The site kind an object's tags give (see :data:`SITE_TAGS`), and why it is excluded.

    Returns ``(kind, None)`` for a site feature, ``(None, "key=value")`` for one
    of a kind whose :data:`SITE_EXCLUDED` tag it carries (a multi-storey parking,
    a solar generator), ``(None, None)`` for anything else.
    """
    relevant = {k: v for k in _SITE_KEYS if (v := tags.get(k)) is not None}
    if not relevant:
        return None, None

    def has(key: str, value: str) -> bool:
        found = relevant.get(key)
        return found is not None and (found == value or (value == "*" and found != "no"))

    for rule, kind in SITE_TAGS.items():
        if all(has(k, v) for k, v in rule):
            for k, v in SITE_EXCLUDED.get(kind, ()):
                if has(k, v):
                    return None, f"{k}={v}"
            return kind, None
    return None, None


def _site_tags(kind: str, tags: osmium.osm.TagList) -> dict[str, str]:
    return {"kind": kind, "name": tags.get("name") or ""}


def _read(path: Path, report: ImportReport) -> _Raw:
    """Both pyosmium passes; objects only, no geometry yet."""
    raw = _Raw()
    member_ids: set[int] = set()
    seen_rel: set[int] = set()
    seen_site_rel: set[int] = set()
    dup_rel: list[str] = []
    dup_site: list[str] = []
    excluded_sites: dict[str, list[str]] = {}
    for obj in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        rel = cast(osmium.osm.Relation, obj)
        tags = rel.tags
        if tags.get("type") != "multipolygon":
            continue
        is_building = tags.get("building", "no") != "no"
        kind, why_not = site_kind(tags)
        if why_not is not None:
            excluded_sites.setdefault(why_not, []).append(f"r{rel.id}")
        if not is_building and kind is None:
            continue
        members = [(m.ref, m.role) for m in rel.members if m.type == "w"]
        if is_building:
            if rel.id in seen_rel:
                dup_rel.append(f"r{rel.id}")
            else:
                seen_rel.add(rel.id)
                raw.relations.append(_Relation(rel.id, _tag_dict(tags, _BUILDING_TAGS), members))
                member_ids.update(ref for ref, _ in members)
        if kind is not None:
            if rel.id in seen_site_rel:
                dup_site.append(f"r{rel.id}")
            else:
                seen_site_rel.add(rel.id)
                raw.site_relations.append(_Relation(rel.id, _site_tags(kind, tags), members))
                member_ids.update(ref for ref, _ in members)
    note(report, "dropped", "building: duplicate OSM id (first kept)", dup_rel)

    seen_b: set[int] = set()
    seen_s: set[int] = set()
    seen_site: set[str] = set()
    dup_b: list[str] = []
    dup_s: list[str] = []
    excluded: dict[str, list[str]] = {}
    # Every node feeds the location index; only nodes with a site key reach the loop.
    node_filter = osmium.filter.KeyFilter(*_SITE_NODE_KEYS)
    node_filter.enable_for(osmium.osm.NODE)  # ways pass unfiltered
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(node_filter)
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Node):
            _add_site_node(obj, raw, seen_site, dup_site, excluded_sites)
            continue
        way = cast(osmium.osm.Way, obj)
        raw.n_ways += 1
        tags = way.tags
        kind, why_not = site_kind(tags)
        if why_not is not None:
            excluded_sites.setdefault(why_not, []).append(f"w{way.id}")
        elif kind is not None:
            if f"w{way.id}" in seen_site:
                dup_site.append(f"w{way.id}")
            else:
                seen_site.add(f"w{way.id}")
                raw.site_ways.add(way, _site_tags(kind, tags))
        building = tags.get("building")
        if building is not None and building != "no":
            if way.id in seen_b:
                dup_b.append(f"w{way.id}")
            else:
                seen_b.add(way.id)
                raw.buildings.add(way, _tag_dict(tags, _BUILDING_TAGS))
        highway = tags.get("highway")
        if highway is not None:
            if highway in EXCLUDED_HIGHWAYS or tags.get("area") == "yes":
                key = f"highway={highway}" if highway in EXCLUDED_HIGHWAYS else "area=yes"
                excluded.setdefault(key, []).append(f"w{way.id}")
            elif way.id in seen_s:
                dup_s.append(f"w{way.id}")
            else:
                seen_s.add(way.id)
                raw.streets.add(way, {"highway": highway, "name": tags.get("name") or ""})
        if way.id in member_ids and way.id not in raw.member_ways:
            lons, lats = [], []
            for nd in way.nodes:
                ok = nd.location.valid()
                lons.append(nd.location.lon if ok else np.nan)
                lats.append(nd.location.lat if ok else np.nan)
            raw.member_ways[way.id] = ([nd.ref for nd in way.nodes], lons, lats)
    note(report, "dropped", "building: duplicate OSM id (first kept)", dup_b)
    note(report, "dropped", "street: duplicate OSM id (first kept)", dup_s)
    for key, ids in sorted(excluded.items()):
        note(report, "dropped", f"street: {key} (not a built road line)", ids)
    note(report, "dropped", "site: duplicate OSM id (first kept)", dup_site)
    for key, ids in sorted(excluded_sites.items()):
        note(report, "dropped", f"site: {key} (cannot hold a plant)", ids)
    return raw


def _add_site_node(
    node: osmium.osm.Node, raw: _Raw, seen: set[str], dup: list[str], excluded: dict[str, list[str]]
) -> None:
    """Keep a node that is a site feature (a chimney, a parking lot mapped as a point)."""
    kind, why_not = site_kind(node.tags)
    nid = f"n{node.id}"
    if why_not is not None:
        excluded.setdefault(why_not, []).append(nid)
    if kind is None or not node.location.valid():
        return
    if nid in seen:
        dup.append(nid)
        return
    seen.add(nid)
    raw.site_nodes.ids.append(nid)
    raw.site_nodes.tags.append(_site_tags(kind, node.tags))
    raw.site_nodes.lon.append(node.location.lon)
    raw.site_nodes.lat.append(node.location.lat)


def read_osm(path: str | os.PathLike[str]) -> Area:
    """Read buildings, the street graph and candidate-site features of an OSM extract into an :class:`Area`.

    Buildings are the ``building=*`` ways and multipolygon relations (not
    ``building=no``), with missing fields defaulted by
    :func:`teplo.io.defaults.fill_building_defaults`. Streets are the
    ``highway=*`` ways split at intersections. Site features
    (``area.site_features``) are the nodes, closed ways and multipolygon
    relations :data:`SITE_TAGS` names, minus :data:`SITE_EXCLUDED`. Geometry is
    in the UTM zone of the data. Broken objects are repaired or dropped and counted in ``area.report``;
    a file that cannot be read or holds no buildings raises :class:`InputError`.
    """
    p = check_input_file(
        path, "an OSM file", "; expected OSM data (.osm, .osm.gz, .osm.bz2 or .osm.pbf)"
    )
    report = ImportReport(source=str(p))
    try:
        raw = _read(p, report)
    except TeploError:
        raise
    except Exception as exc:  # pyosmium raises RuntimeError (and others) for unreadable input
        raise InputError(
            f"{p}: not a readable OSM file ({type(exc).__name__}: {exc}); "
            "expected OSM XML (.osm, .osm.gz, .osm.bz2) or PBF (.osm.pbf)"
        ) from None

    n_building_objects = len(raw.buildings.ids) + len(raw.relations)
    if n_building_objects == 0:
        what = "no OSM ways at all" if raw.n_ways == 0 else "no buildings (building=*)"
        raise InputError(f"{p}: contains {what}; is this the right extract?")
    report.count("read", "building ways", len(raw.buildings.ids))
    report.count("read", "building relations", len(raw.relations))
    report.count("read", "highway ways", len(raw.streets.ids))

    crs = _metric_crs(p, raw)
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
    buildings = _buildings(raw, to_metric, crs, report)
    if len(buildings) == 0:
        raise InputError(
            f"{p}: none of its {n_building_objects} buildings has a usable outline "
            f"({'; '.join(report.messages[-5:])}); is the extract clipped too tightly?"
        )
    buildings = fill_building_defaults(buildings, report)
    streets = _streets(raw.streets, to_metric, crs, report)
    report.count("read", "street edges", len(streets))
    sites = _site_features(raw, to_metric, crs, report)
    return Area(
        buildings=conform_buildings(buildings),
        streets=conform_streets(streets),
        crs=crs,
        input_crs=CRS.from_epsg(4326),
        report=report,
        site_features=sites,
    )


def _site_features(raw: _Raw, to_metric: Transformer, crs: CRS, report: ImportReport) -> gpd.GeoDataFrame:
    """The :data:`teplo.schema.SITE_FEATURES` table: areas as multipolygons, nodes as points.

    Areas (ways and multipolygon relations) are assembled and cleaned like
    building footprints; what fails is dropped and counted under "site: ...".
    """
    ways = raw.site_ways
    way_ids, way_geoms, ok = _way_polygons(ways, to_metric, report, "site")
    rel_ids, rel_geoms = _relation_geometries(raw.site_relations, raw.member_ways, to_metric, report, "site")
    assembled = set(rel_ids)
    area_ids = np.r_[way_ids[ok], rel_ids]
    area_tags = [t for t, k in zip(ways.tags, ok, strict=True) if k] + [
        r.tags for r in raw.site_relations if f"r{r.id}" in assembled
    ]
    cleaned, keep = clean_polygons(np.r_[way_geoms[ok], rel_geoms], area_ids, report, what="site")

    nodes = raw.site_nodes
    xy = _project(to_metric, np.asarray(nodes.lon, dtype=float), np.asarray(nodes.lat, dtype=float))
    ids = np.r_[area_ids[keep], np.asarray(nodes.ids, dtype=object)]
    tags = [t for t, k in zip(area_tags, keep, strict=True) if k] + nodes.tags
    geometry = np.r_[cleaned[keep], shapely.points(xy)] if len(xy) else cleaned[keep]
    frame = gpd.GeoDataFrame(
        {"osm_id": ids, "kind": [t["kind"] for t in tags], "name": [t["name"] for t in tags]},
        geometry=list(geometry), crs=crs,
    )
    out = conform(frame, SITE_FEATURES).sort_values("osm_id", kind="stable").reset_index(drop=True)
    report.count("read", "site features", len(out))
    if len(out):
        counts = out["kind"].value_counts()
        report.messages.append(
            "site features: " + ", ".join(f"{k} {counts[k]}" for k in dict.fromkeys(SITE_TAGS.values()) if k in counts)
        )
    return out


def _metric_crs(path: Path, raw: _Raw) -> CRS:
    lon = np.asarray(raw.buildings.lon + raw.streets.lon, dtype=float)
    lat = np.asarray(raw.buildings.lat + raw.streets.lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        for _, lons, lats in raw.member_ways.values():
            lon = np.r_[lon, lons]
            lat = np.r_[lat, lats]
        ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise InputError(
            f"{path}: none of the building or street nodes is in the file "
            "(every way references missing nodes); is the extract complete?"
        )
    return utm_crs_for(float(lon[ok].mean()), float(lat[ok].mean()))


def _project(to_metric: Transformer, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = to_metric.transform(lon, lat)
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def _buildings(raw: _Raw, to_metric: Transformer, crs: CRS, report: ImportReport) -> gpd.GeoDataFrame:
    """Footprints (metric) and attributes of building ways and relations, before defaults."""
    ways = raw.buildings
    ids, geoms, ok = _way_polygons(ways, to_metric, report, "building")
    rel_ids, rel_geoms = _relation_geometries(raw.relations, raw.member_ways, to_metric, report, "building")
    all_ids = np.r_[ids[ok], rel_ids]
    all_geoms = np.r_[geoms[ok], rel_geoms]
    assembled = set(rel_ids)
    all_tags = [t for t, k in zip(ways.tags, ok, strict=True) if k] + [
        r.tags for r in raw.relations if f"r{r.id}" in assembled
    ]
    cleaned, keep = clean_polygons(all_geoms, all_ids, report)
    frame = _attributes(np.asarray(all_ids)[keep], [t for t, k in zip(all_tags, keep, strict=True) if k], report)
    gdf = gpd.GeoDataFrame(frame, geometry=list(cleaned[keep]), crs=crs)
    gdf["footprint_m2"] = gdf.geometry.area
    return gdf


def _way_polygons(
    ways: _Ways, to_metric: Transformer, report: ImportReport, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (metric) of closed ways: ``(ids, geometries, ok)``, ``ok`` marking the usable ones.

    Ways with nodes missing from the extract, unclosed ways (ends 1 m or more
    apart) and rings of fewer than three corners are dropped; nearly closed ways
    are closed. Each case is counted in ``report`` under ``what``.
    """
    nb = len(ways.ids)
    ids = np.array([f"w{i}" for i in ways.ids], dtype=object)
    geoms = np.full(nb, None, dtype=object)
    ok = np.zeros(nb, dtype=bool)
    if nb:
        owner = np.asarray(ways.owner, dtype=np.int64)
        ref = np.asarray(ways.ref, dtype=np.int64)
        xy = _project(to_metric, np.asarray(ways.lon), np.asarray(ways.lat))
        valid = np.isfinite(xy).all(axis=1)
        n_nodes = np.bincount(owner, minlength=nb)
        missing = np.bincount(owner, weights=(~valid).astype(float), minlength=nb) > 0
        start = np.r_[0, np.cumsum(n_nodes)[:-1]]
        end = start + n_nodes - 1
        has = n_nodes > 0
        s, e = np.where(has, start, 0), np.where(has, end, 0)
        closed = has & (ref[s] == ref[e])
        gap = np.hypot(*(xy[e] - xy[s]).T)
        closable = has & ~closed & ~missing & (gap < MAX_CLOSING_GAP_M)
        unclosed = has & ~closed & ~missing & ~closable
        # A ring needs three distinct corners: four nodes when closed, three when we close it.
        few = has & ~missing & ((closed & (n_nodes < 4)) | (closable & (n_nodes < 3)))
        note(report, "dropped", f"{what}: way without nodes", ids[~has])
        note(report, "dropped", f"{what}: nodes missing from extract", ids[has & missing])
        note(report, "dropped", f"{what}: unclosed way (ends {MAX_CLOSING_GAP_M:g} m or more apart)", ids[unclosed])
        note(report, "repaired", f"{what}: unclosed way closed (ends < {MAX_CLOSING_GAP_M:g} m apart)", ids[closable & ~few])
        note(report, "dropped", f"{what}: fewer than 3 nodes", ids[few])
        ok = has & ~missing & (closed | closable) & ~few
        sel = ok[owner]
        if ok.any():
            compact = np.cumsum(ok) - 1
            rings = shapely.linearrings(xy[sel], indices=compact[owner[sel]])
            geoms[ok] = shapely.polygons(rings)
    return ids, geoms, ok


def _relation_geometries(
    relations: list[_Relation],
    member_ways: dict[int, tuple[list[int], list[float], list[float]]],
    to_metric: Transformer,
    report: ImportReport,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Assemble multipolygon relations: outer rings minus inner rings; failures counted under ``what``."""
    ids: list[str] = []
    geoms: list[shapely.Geometry] = []
    absent: list[str] = []
    clipped: list[str] = []
    unclosed: list[str] = []
    for rel in relations:
        rid = f"r{rel.id}"
        lines: dict[str, list[shapely.LineString]] = {"outer": [], "inner": []}
        bad = ""
        for way_id, role in rel.members:
            member = member_ways.get(way_id)
            if member is None:
                bad = "absent"
                break
            _, lons, lats = member
            xy = _project(to_metric, np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
            if len(xy) < 2 or not np.isfinite(xy).all():
                bad = "clipped"
                break
            lines["inner" if role == "inner" else "outer"].append(shapely.LineString(xy))
        if bad == "absent":
            absent.append(rid)
            continue
        if bad == "clipped":
            clipped.append(rid)
            continue
        try:
            outer = _polygonize(lines["outer"])
            inner = _polygonize(lines["inner"])
            shape = None if outer is None else (outer if inner is None else outer.difference(inner))
        except shapely.errors.GEOSException:  # one broken relation must not stop the import
            shape = None
        if shape is None or shape.is_empty:
            unclosed.append(rid)
            continue
        ids.append(rid)
        geoms.append(shape)
    note(report, "dropped", f"{what}: relation member ways missing from extract", absent)
    note(report, "dropped", f"{what}: nodes missing from extract", clipped)
    note(report, "dropped", f"{what}: relation rings do not close into a polygon", unclosed)
    return np.asarray(ids, dtype=object), np.asarray(geoms, dtype=object)


def _polygonize(lines: list[shapely.LineString]) -> shapely.Geometry | None:
    """The union of the faces the (noded) lines enclose, or None if they enclose nothing."""
    if not lines:
        return None
    noded = shapely.node(shapely.MultiLineString(lines))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if len(faces) == 0:
        return None
    merged = shapely.union_all(faces)
    return None if merged.is_empty else merged


def _attributes(ids: np.ndarray, tags: list[dict[str, str]], report: ImportReport) -> pd.DataFrame:
    """The imported attribute columns from each building's tags (per object: tags are free text)."""
    rows = []
    bad_levels: list[str] = []
    bad_height: list[str] = []
    for bid, t in zip(ids, tags, strict=True):
        levels_text, height_text = t.get("building:levels"), t.get("height")
        levels = parse_levels(levels_text) if levels_text is not None else None
        height = parse_height(height_text) if height_text is not None else None
        if levels_text is not None and levels is None:
            bad_levels.append(str(bid))
        if height_text is not None and height is None:
            bad_height.append(str(bid))
        street, number = t.get("addr:street", ""), t.get("addr:housenumber", "")
        building = t.get("building", "yes")
        amenity = t.get("amenity", "")
        rows.append({
            "building_id": str(bid),
            "source": "osm",
            "building": building,
            "amenity": amenity,
            "name": t.get("name", ""),
            "address": f"{street} {number}".strip(),
            "use": normalise_use(building, amenity, shop=t.get("shop"), office=t.get("office"),
                                 healthcare=t.get("healthcare")),
            "storeys": np.nan if levels is None else float(levels),
            "height_m": np.nan if height is None else height,
            "year_built": parse_year(t.get("start_date")) if "start_date" in t else None,
            "defaulted": "",
        })
    note(report, "repaired", "building: unreadable building:levels ignored", bad_levels)
    note(report, "repaired", "building: unreadable height ignored", bad_height)
    frame = pd.DataFrame(rows, columns=[
        "building_id", "source", "building", "amenity", "name", "address", "use",
        "storeys", "height_m", "year_built", "defaulted",
    ])  # fmt: skip
    frame["year_built"] = pd.to_numeric(frame["year_built"], errors="coerce").astype(float)
    frame["use"] = frame["use"].fillna(UNKNOWN_USE)
    return frame


def _streets(ways: _Ways, to_metric: Transformer, crs: CRS, report: ImportReport) -> gpd.GeoDataFrame:
    """Street edges: highway ways cut into the runs of nodes present, split at shared nodes."""
    if not ways.ids:
        return empty_frame(STREETS, crs)
    way_ids = np.asarray(ways.ids, dtype=np.int64)
    owner = np.asarray(ways.owner, dtype=np.int64)
    ref = np.asarray(ways.ref, dtype=np.int64)
    xy = _project(to_metric, np.asarray(ways.lon), np.asarray(ways.lat))
    valid = np.isfinite(xy).all(axis=1)
    nw = len(way_ids)
    missing_any = np.bincount(owner, weights=(~valid).astype(float), minlength=nw) > 0

    # Runs of consecutive present nodes; a missing node ends a run.
    first_of_way = np.r_[True, owner[1:] != owner[:-1]]
    prev_valid = np.r_[False, valid[:-1]]
    run_start = valid & (first_of_way | ~prev_valid)
    run = np.cumsum(run_start) - 1
    keep = valid.copy()
    # Drop consecutive repeats of the same node inside a run (zero-length pieces).
    repeat = np.r_[False, (ref[1:] == ref[:-1]) & (run[1:] == run[:-1])] & keep
    keep &= ~repeat
    run_k, ref_k, xy_k = run[keep], ref[keep], xy[keep]
    run_size = np.bincount(run_k, minlength=int(run.max()) + 1 if len(run) else 0)
    usable = run_size[run_k] >= 2
    run_k, ref_k, xy_k = run_k[usable], ref_k[usable], xy_k[usable]

    way_of_run = np.zeros(len(run_size), dtype=np.int64)
    way_of_run[run[valid]] = owner[valid]
    kept_way = np.zeros(nw, dtype=bool)
    kept_way[way_of_run[np.unique(run_k)]] = True
    labels = np.array([f"w{i}" for i in way_ids], dtype=object)
    note(report, "repaired", "street: nodes missing from extract (kept the parts present)", labels[kept_way & missing_any])
    note(report, "dropped", "street: nodes missing from extract", labels[~kept_way & missing_any])
    note(report, "dropped", "street: fewer than 2 distinct nodes", labels[~kept_way & ~missing_any])

    edge_run, u, v, geometry = split_lines(run_k, ref_k, xy_k)
    edge_way = way_of_run[edge_run]
    k = pd.Series(edge_way).groupby(edge_way).cumcount().to_numpy()
    highway = np.array([t["highway"] for t in ways.tags], dtype=object)
    name = np.array([t["name"] for t in ways.tags], dtype=object)
    osm_id = labels[edge_way]
    frame = gpd.GeoDataFrame(
        {
            "street_id": [f"{o}-{j}" for o, j in zip(osm_id, k, strict=True)],
            "osm_id": osm_id,
            "highway": highway[edge_way],
            "name": name[edge_way],
            "u": u,
            "v": v,
            "length_m": shapely.length(geometry),
        },
        geometry=list(geometry),
        crs=crs,
    )
    return frame
