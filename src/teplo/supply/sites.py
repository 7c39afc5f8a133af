"""Candidate sites for boiler houses and CHP: OSM features, a user's file, generated plots.

Sources, in order of preference:

* OSM-derived features (extracted elsewhere) with a ``kind`` column: existing
  boiler houses (``boiler_house``, ``chimney``, ``power_plant``, ``generator``),
  ``industrial`` land, ``parking`` and open land (``brownfield``, ``grass``,
  ``vacant``). An ``industrial`` feature whose ``name`` contains
  'котельн'/'boiler' counts as an existing boiler house.
* A user's GeoJSON / GeoDataFrame (optional ``site_id``, ``area_m2``, ``max_heat_kw``).
* Generated plots on open land beside streets in demand-dense areas, where the
  other sources leave buildings with too few candidates within the pipe reach.

Every site is a point (the centre of the largest circle inside a polygon feature)
with its plot area and the heat capacity that area holds
(``SiteSettings.plot_m2_per_mw``). Sites closer than the minimum distance to
homes, schools, kindergartens or hospitals are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from teplo.errors import InputError, InputFileNotFound
from teplo.supply.settings import SiteSettings

FloatArray = npt.NDArray[np.float64]

OSM_KINDS: dict[str, str] = {
    "boiler_house": "existing",
    "chimney": "existing",
    "power_plant": "existing",
    "generator": "existing",
    "industrial": "industrial",
    "parking": "parking",
    "brownfield": "open_land",
    "grass": "open_land",
    "vacant": "open_land",
}
"""Accepted ``kind`` values of OSM-derived features and their site class."""

SENSITIVE = ("school", "kindergarten", "hospital")
HOMES = ("residential", "shelter")
SITE_COLUMNS = ("site_id", "source", "kind", "existing", "area_m2", "max_heat_kw", "geometry")
_BOILER_NAME = r"(?i)котельн|котельня|boiler|kotel"


@dataclass
class SiteResult:
    """Candidate sites (metric CRS, points) and counts of what was dropped and why."""

    sites: gpd.GeoDataFrame
    dropped: dict[str, int] = field(default_factory=dict)


def _empty(crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": pd.Series(dtype=str), "source": pd.Series(dtype=str), "kind": pd.Series(dtype=str),
         "existing": pd.Series(dtype=bool), "area_m2": pd.Series(dtype=float), "max_heat_kw": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs=crs), crs=crs,
    )


def _site_points(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Point of each geometry: itself for points, centre of the largest inscribed circle for polygons."""
    out = np.array(geoms, dtype=object)
    poly = shapely.get_type_id(geoms) >= 3
    if poly.any():
        circle = shapely.maximum_inscribed_circle(geoms[poly], tolerance=1.0)
        out[poly] = shapely.get_point(circle, 0)
    line = ~poly & (shapely.get_type_id(geoms) != 0)
    if line.any():
        out[line] = shapely.point_on_surface(geoms[line])
    return out


def _max_heat(area_m2: FloatArray, settings: SiteSettings) -> FloatArray:
    return np.minimum(area_m2 / settings.plot_m2_per_mw * 1000.0, settings.max_site_heat_kw)


def sites_from_osm(features: gpd.GeoDataFrame, settings: SiteSettings | None = None) -> gpd.GeoDataFrame:
    """Candidate sites from OSM-derived features with a ``kind`` column (see :data:`OSM_KINDS`).

    Unknown kinds are ignored. Points get ``settings.point_site_m2``; polygons
    their own area. Ids are ``osm-<osm_id>`` when an ``osm_id`` column exists.
    """
    settings = settings or SiteSettings()
    if len(features) == 0:
        return _empty(features.crs)
    if "kind" not in features.columns:
        raise InputError("OSM site features: missing column 'kind' (boiler_house, parking, ...)")
    kind = features["kind"].astype(str).str.strip().str.lower()
    if "name" in features.columns:
        named = features["name"].fillna("").astype(str).str.contains(_BOILER_NAME, regex=True)
        kind = kind.where(~((kind == "industrial") & named), "boiler_house")
    keep = kind.isin(list(OSM_KINDS)).to_numpy()
    feats = features.loc[keep]
    kind = kind[keep]
    geoms = feats.geometry.to_numpy()
    area = np.where(shapely.get_type_id(geoms) >= 3, shapely.area(geoms), settings.point_site_m2)
    if "osm_id" in feats.columns:
        ids = "osm-" + feats["osm_id"].astype(str).to_numpy()
    else:
        ids = np.array([f"osm-{i}" for i in np.flatnonzero(keep)])
    cls = kind.map(OSM_KINDS).to_numpy()
    out = gpd.GeoDataFrame(
        {"site_id": ids, "source": "osm", "kind": kind.to_numpy(), "existing": cls == "existing",
         "area_m2": area, "max_heat_kw": _max_heat(area, settings)},
        geometry=_site_points(geoms), crs=features.crs,
    )
    out["footprint"] = geoms
    return out


def sites_from_user(
    user: gpd.GeoDataFrame | Path | str, crs: object = None, settings: SiteSettings | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites from a user's GeoJSON path or GeoDataFrame, reprojected to ``crs`` (metric).

    Optional columns: site_id, area_m2 [m2], max_heat_kw [kW], existing (bool).
    """
    settings = settings or SiteSettings()
    if not isinstance(user, gpd.GeoDataFrame):
        path = Path(user)
        if not path.exists():
            raise InputFileNotFound(f"user sites file '{path}' does not exist")
        user = gpd.read_file(path)
    if crs is not None and user.crs is not None:
        user = user.to_crs(crs)
    if len(user) == 0:
        return _empty(user.crs)
    geoms = user.geometry.to_numpy()
    if "area_m2" in user.columns:
        area = pd.to_numeric(user["area_m2"], errors="coerce").to_numpy(dtype=float)
    else:
        area = np.where(shapely.get_type_id(geoms) >= 3, shapely.area(geoms), settings.point_site_m2)
    if np.isnan(area).any() or (area <= 0).any():
        i = int(np.flatnonzero(np.isnan(area) | (area <= 0))[0])
        raise InputError(f"user sites: row {i}, column 'area_m2' must be a number > 0")
    cap = _max_heat(area, settings)
    if "max_heat_kw" in user.columns:
        given = pd.to_numeric(user["max_heat_kw"], errors="coerce").to_numpy(dtype=float)
        if (given < 0).any():
            i = int(np.flatnonzero(given < 0)[0])
            raise InputError(f"user sites: row {i}, column 'max_heat_kw' is negative")
        cap = np.where(np.isnan(given), cap, given)
    ids = (user["site_id"].astype(str).to_numpy() if "site_id" in user.columns
           else np.array([f"user-{i}" for i in range(len(user))]))
    if pd.Series(ids).duplicated().any():
        raise InputError(f"user sites: duplicate site_id '{pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]}'")
    existing = user["existing"].astype(bool).to_numpy() if "existing" in user.columns else np.zeros(len(user), bool)
    out = gpd.GeoDataFrame(
        {"site_id": ids, "source": "user", "kind": "user", "existing": existing, "area_m2": area, "max_heat_kw": cap},
        geometry=_site_points(geoms), crs=user.crs,
    )
    out["footprint"] = geoms
    return out


def _too_close(
    points: npt.NDArray[np.object_],
    footprints: npt.NDArray[np.object_],
    extra_m: FloatArray,
    buildings: gpd.GeoDataFrame,
    settings: SiteSettings,
) -> npt.NDArray[np.bool_]:
    """True where a site point is closer than the minimum distance (+ ``extra_m``) to a home or sensitive building."""
    out = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or len(buildings) == 0:
        return out
    prio = buildings["priority"].astype(str).to_numpy() if "priority" in buildings.columns else (
        np.full(len(buildings), "residential"))
    thr_b = np.where(np.isin(prio, SENSITIVE), settings.min_distance_sensitive_m,
                     np.where(np.isin(prio, HOMES), settings.min_distance_homes_m, 0.0))
    bgeoms = buildings.geometry.to_numpy()
    tree = shapely.STRtree(bgeoms)
    reach = float(thr_b.max() + (extra_m.max() if len(extra_m) else 0.0))
    if reach <= 0:
        return out
    site_i, b_i = tree.query(points, predicate="dwithin", distance=reach)
    own = shapely.intersects(footprints[site_i], bgeoms[b_i]) & (shapely.get_type_id(footprints[site_i]) >= 3)
    d = shapely.distance(points[site_i], bgeoms[b_i])
    bad = (d < thr_b[b_i] + extra_m[site_i]) & ~own & (thr_b[b_i] > 0)
    out[site_i[bad]] = True
    return out


def _street_samples(streets: gpd.GeoDataFrame, spacing: float, offset: float) -> FloatArray:
    """Points every ``spacing`` m along each street, offset by ``offset`` m to both sides."""
    geoms = streets.geometry.to_numpy()
    length = shapely.length(geoms)
    n = np.floor(length / spacing).astype(np.int64)
    rep = np.repeat(np.arange(len(geoms)), n)
    if len(rep) == 0:
        return np.zeros((0, 2))
    first = np.repeat(np.cumsum(n) - n, n)
    pos = (np.arange(len(rep)) - first + 0.5) * spacing
    g = geoms[rep]
    p = shapely.get_coordinates(shapely.line_interpolate_point(g, pos))
    a = shapely.get_coordinates(shapely.line_interpolate_point(g, np.maximum(pos - 1.0, 0.0)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(g, pos + 1.0))
    t = b - a
    norm = np.hypot(t[:, 0], t[:, 1])
    norm[norm == 0] = 1.0
    nrm = np.column_stack([-t[:, 1], t[:, 0]]) / norm[:, None]
    return np.vstack([p + offset * nrm, p - offset * nrm])


def generate_sites(
    buildings: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    existing: gpd.GeoDataFrame | None,
    settings: SiteSettings | None = None,
    connection_m: float = 400.0,
    detour_factor: float = 1.3,
) -> gpd.GeoDataFrame:
    """Generated plots on open land beside streets near heat demand (vectorised).

    Samples points along streets (a regular grid over the buildings when no
    streets are given), keeps those with at least ``min_density_kw`` of design
    load within ``density_radius_m``, clear of buildings by the minimum distance
    plus the plot radius, and (for ``generate='auto'``) within ``connection_m``
    (along streets, estimated as straight line x ``detour_factor``) of buildings
    that have fewer than ``min_sites_in_reach`` candidates that close; thins them
    to about one per ``spacing_m`` square. ``connection_m`` is the part of the
    pipe reach left for the site connection (pipe_reach_m - districts.max_radius_m).
    """
    settings = settings or SiteSettings()
    crs = buildings.crs
    if settings.generate == "never" or len(buildings) == 0:
        return _empty(crs)
    heated = buildings.loc[buildings["heated"].astype(bool) & (buildings["design_load_kw"].astype(float) > 0)]
    if len(heated) == 0:
        return _empty(crs)
    bxy = shapely.get_coordinates(shapely.centroid(heated.geometry.to_numpy()))
    if streets is not None and len(streets):
        pts = _street_samples(streets, settings.spacing_m, settings.street_offset_m)
    else:
        lo, hi = bxy.min(axis=0), bxy.max(axis=0)
        gx = np.arange(lo[0], hi[0] + settings.spacing_m, settings.spacing_m)
        gy = np.arange(lo[1], hi[1] + settings.spacing_m, settings.spacing_m)
        pts = np.column_stack([np.repeat(gx, len(gy)), np.tile(gy, len(gx))])
    if len(pts) == 0:
        return _empty(crs)
    load = heated["design_load_kw"].to_numpy(dtype=float)
    found = cKDTree(pts).sparse_distance_matrix(cKDTree(bxy), settings.density_radius_m, output_type="ndarray")
    density = np.bincount(found["i"], weights=load[found["j"]], minlength=len(pts))
    keep = density >= settings.min_density_kw
    if settings.generate == "auto":
        straight_reach = connection_m / detour_factor
        if existing is not None and len(existing):
            exy = shapely.get_coordinates(existing.geometry.to_numpy())
            have = cKDTree(exy).query_ball_point(bxy, r=straight_reach, return_length=True)
        else:
            have = np.zeros(len(bxy), dtype=np.int64)
        needy = bxy[np.asarray(have) < settings.min_sites_in_reach]
        if len(needy) == 0:
            return _empty(crs)
        near = cKDTree(needy).query_ball_point(pts, r=straight_reach, return_length=True)
        keep &= np.asarray(near) > 0
    pts, density = pts[keep], density[keep]
    plot_r = np.sqrt(settings.generated_plot_m2 / np.pi)
    points = shapely.points(pts)
    inside = np.zeros(len(points), dtype=bool)
    if len(points):
        hit, _ = shapely.STRtree(buildings.geometry.to_numpy()).query(points, predicate="dwithin", distance=plot_r)
        inside[hit] = True  # the plot itself would overlap a building
    bad = inside | _too_close(points, points, np.full(len(points), plot_r), buildings, settings)
    pts, density = pts[~bad], density[~bad]
    if existing is not None and len(existing) and len(pts):
        exy = shapely.get_coordinates(existing.geometry.to_numpy())
        d, _ = cKDTree(exy).query(pts)
        pts, density = pts[d >= settings.spacing_m], density[d >= settings.spacing_m]
    if len(pts) == 0:
        return _empty(crs)
    cell = np.floor(pts / settings.spacing_m).astype(np.int64)
    frame = pd.DataFrame({"cx": cell[:, 0], "cy": cell[:, 1], "x": pts[:, 0], "y": pts[:, 1], "density": density})
    frame = frame.sort_values(["density", "x", "y"], ascending=[False, True, True], kind="stable")
    frame = frame.drop_duplicates(["cx", "cy"]).sort_values(["y", "x"], kind="stable")
    area = np.full(len(frame), settings.generated_plot_m2)
    out = gpd.GeoDataFrame(
        {"site_id": [f"gen-{i:05d}" for i in range(len(frame))], "source": "generated", "kind": "open_land",
         "existing": False, "area_m2": area, "max_heat_kw": _max_heat(area, settings)},
        geometry=shapely.points(frame[["x", "y"]].to_numpy()), crs=crs,
    )
    out["footprint"] = out.geometry.to_numpy()
    return out


def candidate_sites(
    buildings: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame | None = None,
    user: gpd.GeoDataFrame | Path | str | None = None,
    streets: gpd.GeoDataFrame | None = None,
    settings: SiteSettings | None = None,
    connection_m: float = 400.0,
    detour_factor: float = 1.3,
) -> SiteResult:
    """All candidate sites: OSM features + user file + generated plots, distance-checked.

    ``buildings`` (metric CRS) gives the homes and sensitive buildings to keep
    clear of and the heat demand near which plots are generated (see
    :func:`generate_sites` for ``connection_m``). Returns sites
    with columns site_id, source, kind, existing, area_m2 [m2], max_heat_kw [kW]
    and point geometry, plus counts of dropped sites by reason.
    """
    settings = settings or SiteSettings()
    crs = buildings.crs
    parts = []
    if osm is not None:
        parts.append(sites_from_osm(osm.to_crs(crs) if osm.crs is not None and crs is not None else osm, settings))
    if user is not None:
        parts.append(sites_from_user(user, crs, settings))
    parts = [p for p in parts if len(p)]
    given = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
             if parts else _empty(crs))
    if "footprint" not in given.columns:
        given["footprint"] = given.geometry.to_numpy()
    dropped: dict[str, int] = {}
    dup = given["site_id"].duplicated()
    if dup.any():
        dropped["duplicate_id"] = int(dup.sum())
        given = given.loc[~dup]
    check = ~given["existing"].to_numpy(dtype=bool) if settings.exempt_existing else np.ones(len(given), bool)
    close = np.zeros(len(given), dtype=bool)
    if check.any():
        pts = given.geometry.to_numpy()[check]
        fps = np.asarray(given["footprint"].to_numpy()[check], dtype=object)
        close[check] = _too_close(pts, fps, np.zeros(int(check.sum())), buildings, settings)
    if close.any():
        dropped["too_close_to_buildings"] = int(close.sum())
    given = given.loc[~close]
    small = given["max_heat_kw"].to_numpy() < 50.0  # below the smallest useful module [E]
    if small.any():
        dropped["too_small"] = int(small.sum())
        given = given.loc[~small]
    generated = generate_sites(buildings, streets, given, settings, connection_m, detour_factor)
    frames = [f for f in (given, generated) if len(f)]
    sites = (gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
             if frames else _empty(crs))
    sites = sites[list(SITE_COLUMNS)].reset_index(drop=True)
    return SiteResult(sites, dropped)
