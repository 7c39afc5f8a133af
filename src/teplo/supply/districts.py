"""Micro-districts: groups of heated buildings one site can serve.

Deterministic, load-weighted k-means on building centroids, then recursive
splitting of any group whose design load exceeds ``max_load_kw`` or whose
radius (street distance from its centre node to its farthest building) exceeds
``max_radius_m``, then merging of groups below ``min_load_kw`` into a
neighbour where both limits still hold. Splitting first uses the straight-line
proxy (distance x detour factor); when a street graph is given every district is
then checked along streets and split again where the proxy was optimistic. The
proxy's error (street / straight-line ratios) is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from teplo.errors import InputError
from teplo.supply.distance import StreetIndex
from teplo.supply.settings import DistrictSettings, PrioritySettings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PRIORITY_CLASSES = ("hospital", "school", "kindergarten", "shelter", "residential", "other")
BUILDING_COLUMNS = ("building_id", "design_load_kw", "annual_heat_mwh", "priority", "heated")
MARK_COLUMN = "priority_two_sites"
"""Optional bool column of the buildings table: the user marks a building as a priority consumer."""


@dataclass
class DistrictResult:
    """Districts (one row each), building membership, and what was split, merged or flagged."""

    districts: gpd.GeoDataFrame
    membership: pd.DataFrame
    report: dict[str, float | int | list[str]] = field(default_factory=dict)


def _weighted_kmeans(xy: FloatArray, w: FloatArray, k: int, seed: int, iters: int = 30) -> IntArray:
    """Lloyd's algorithm with load weights and deterministic k-means++ seeding."""
    n = len(xy)
    if k >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    centres = np.empty((k, 2))
    centres[0] = xy[int(np.argmax(w))]
    d2 = np.sum((xy - centres[0]) ** 2, axis=1)
    for j in range(1, k):
        p = d2 * w
        total = p.sum()
        idx = int(rng.choice(n, p=p / total)) if total > 0 else j
        centres[j] = xy[idx]
        d2 = np.minimum(d2, np.sum((xy - centres[j]) ** 2, axis=1))
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iters):
        _, new = cKDTree(centres).query(xy)
        new = np.asarray(new, dtype=np.int64)
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
        wsum = np.bincount(labels, weights=w, minlength=k)
        for dim in range(2):
            s = np.bincount(labels, weights=w * xy[:, dim], minlength=k)
            centres[:, dim] = np.where(wsum > 0, s / np.where(wsum > 0, wsum, 1), centres[:, dim])
    return labels


def split_in_two(xy: FloatArray, w: FloatArray) -> IntArray:
    """Split a group in two, deterministically: by the weighted median along the principal axis, then 2-means."""
    c = np.average(xy, axis=0, weights=w) if w.sum() > 0 else xy.mean(axis=0)
    dev = xy - c
    cov = (dev * w[:, None]).T @ dev if w.sum() > 0 else dev.T @ dev
    _, vecs = np.linalg.eigh(cov)
    axis = vecs[:, -1]
    if axis[np.argmax(np.abs(axis))] < 0:
        axis = -axis
    t = dev @ axis
    order = np.argsort(t, kind="stable")
    cum = np.cumsum(w[order])
    cut = int(np.searchsorted(cum, cum[-1] / 2.0))
    cut = min(max(cut, 0), len(order) - 2)
    labels = np.zeros(len(xy), dtype=np.int64)
    labels[order[cut + 1:]] = 1
    for _ in range(10):
        cents = np.array([np.average(xy[labels == j], axis=0, weights=w[labels == j] + 1e-9) for j in (0, 1)])
        new = np.argmin(((xy[:, None, :] - cents[None]) ** 2).sum(axis=2), axis=1).astype(np.int64)
        if new.min() == new.max() or np.array_equal(new, labels):
            break
        labels = new
    return labels


def _centres(xy: FloatArray, w: FloatArray, labels: IntArray, k: int) -> FloatArray:
    wsum = np.bincount(labels, weights=w, minlength=k)
    cnt = np.bincount(labels, minlength=k)
    safe_w = np.where(wsum > 0, wsum, 1.0)
    out = np.empty((k, 2))
    for dim in range(2):
        sw = np.bincount(labels, weights=w * xy[:, dim], minlength=k) / safe_w
        sm = np.bincount(labels, weights=xy[:, dim], minlength=k) / np.maximum(cnt, 1)
        out[:, dim] = np.where(wsum > 0, sw, sm)
    return out


def _radius_proxy(xy: FloatArray, w: FloatArray, labels: IntArray, k: int, detour: float) -> FloatArray:
    c = _centres(xy, w, labels, k)
    d = np.hypot(*(xy - c[labels]).T) * detour
    r = np.zeros(k)
    np.maximum.at(r, labels, d)
    return r


def _split_until(
    xy: FloatArray, w: FloatArray, labels: IntArray, too_big: npt.NDArray[np.bool_]
) -> IntArray:
    """Split every flagged group in two (one pass); returns relabelled (compact) labels."""
    labels = labels.copy()
    nxt = int(labels.max()) + 1
    for g in np.flatnonzero(too_big):
        members = np.flatnonzero(labels == g)
        if len(members) < 2:
            continue
        half = split_in_two(xy[members], w[members])
        labels[members[half == 1]] = nxt
        nxt += 1
    return pd.factorize(labels, sort=True)[0].astype(np.int64)


def _check_buildings(buildings: gpd.GeoDataFrame) -> None:
    missing = [c for c in BUILDING_COLUMNS if c not in buildings.columns]
    if missing:
        raise InputError(f"buildings: missing column(s) {', '.join(missing)} needed to form districts")
    if buildings["building_id"].duplicated().any():
        dup = buildings.loc[buildings["building_id"].duplicated(), "building_id"].iloc[0]
        raise InputError(f"buildings: duplicate building_id '{dup}'")
    load = pd.to_numeric(buildings["design_load_kw"], errors="coerce")
    if load.isna().any() or (load < 0).any():
        i = int(np.flatnonzero((load.isna() | (load < 0)).to_numpy())[0])
        raise InputError(
            f"buildings: row {i} (building_id '{buildings['building_id'].iloc[i]}'), column 'design_load_kw' "
            "must be a number >= 0"
        )


def priority_load_kw(buildings: pd.DataFrame, priority: PrioritySettings) -> FloatArray:
    """Design load [kW] of buildings that need a second site (priority classes or user-marked)."""
    flag = buildings["priority"].astype(str).isin(priority.classes).to_numpy()
    if MARK_COLUMN in buildings.columns:
        flag |= buildings[MARK_COLUMN].fillna(False).astype(bool).to_numpy()
    return np.where(flag, buildings["design_load_kw"].to_numpy(dtype=float), 0.0)


def make_districts(
    buildings: gpd.GeoDataFrame,
    settings: DistrictSettings | None = None,
    index: StreetIndex | None = None,
    priority: PrioritySettings | None = None,
) -> DistrictResult:
    """Group heated buildings (``heated`` and ``design_load_kw`` > 0) into micro-districts.

    ``buildings`` is in a metric CRS. Returns districts with district_id,
    design_load_kw [kW], annual_heat_mwh [MWh/a], n_buildings, counts per priority
    class (``n_hospital`` ...), priority_load_kw [kW], radius_m [m], x, y (centre,
    metric) and the convex hull of the buildings as geometry; and the membership
    building_id -> district_id. Deterministic for a given ``settings.seed``.
    """
    settings = settings or DistrictSettings()
    priority = priority or PrioritySettings()
    index = index or StreetIndex(None, np.zeros((0, 2)), settings.detour_factor)
    _check_buildings(buildings)
    heated = buildings.loc[buildings["heated"].astype(bool) & (buildings["design_load_kw"].astype(float) > 0)]
    heated = heated.sort_values("building_id", kind="stable").reset_index(drop=True)
    if len(heated) == 0:
        raise InputError("buildings: no heated building with design_load_kw > 0; nothing to supply")
    cent = shapely.centroid(heated.geometry.to_numpy())
    xy = shapely.get_coordinates(cent)
    w = heated["design_load_kw"].to_numpy(dtype=float)
    total = float(w.sum())
    target = 0.6 * settings.max_load_kw
    k0 = max(1, min(len(heated), int(np.ceil(total / target))))
    labels = _weighted_kmeans(xy, w, k0, settings.seed)
    labels = pd.factorize(labels, sort=True)[0].astype(np.int64)
    report: dict[str, float | int | list[str]] = {"initial_groups": k0}
    detour = settings.detour_factor
    if index.has_streets:  # calibrate the straight-line proxy on this city's streets (median ratio)
        c = _centres(xy, w, labels, k0)
        straight = np.hypot(*(xy - c[labels]).T)
        street = index.paired(c[labels], xy, src_leg=False)
        ok = (straight > 30.0) & np.isfinite(street)
        if ok.sum() >= 10:
            detour = float(np.clip(np.median(street[ok] / straight[ok]), 1.0, 3.0))
    report["detour_factor"] = detour
    # 1. split by load and straight-line radius
    for _ in range(64):
        k = int(labels.max()) + 1
        load = np.bincount(labels, weights=w, minlength=k)
        radius = _radius_proxy(xy, w, labels, k, detour)
        too_big = (load > settings.max_load_kw) | (radius > settings.max_radius_m)
        too_big &= np.bincount(labels, minlength=k) > 1
        if not too_big.any():
            break
        labels = _split_until(xy, w, labels, too_big)
    # 2. merge small groups into a neighbour when the merged group stays within limits
    labels, merged = _merge_small(xy, w, labels, settings, detour)
    report["merged_groups"] = merged
    # 3. street check: split where the street radius exceeds the limit
    street_radius = np.zeros(0)
    for _ in range(32):
        k = int(labels.max()) + 1
        c = _centres(xy, w, labels, k)
        dist = index.paired(c[labels], xy, src_leg=False)
        street_radius = np.zeros(k)
        np.maximum.at(street_radius, labels, np.where(np.isfinite(dist), dist, 1e12))
        too_far = (street_radius > settings.max_radius_m) & (np.bincount(labels, minlength=k) > 1)
        if not too_far.any():
            break
        labels = _split_until(xy, w, labels, too_far)
    if index.has_streets:
        k = int(labels.max()) + 1
        c = _centres(xy, w, labels, k)
        straight = np.hypot(*(xy - c[labels]).T)
        street = index.paired(c[labels], xy, src_leg=False)
        ok = (straight > 30.0) & np.isfinite(street)
        ratio = street[ok] / straight[ok]
        if len(ratio):
            report["street_over_straight_median"] = float(np.median(ratio))
            report["street_over_straight_p95"] = float(np.percentile(ratio, 95))
    return _assemble(heated, xy, w, labels, street_radius, settings, priority, report)


def _merge_small(
    xy: FloatArray, w: FloatArray, labels: IntArray, settings: DistrictSettings, detour: float
) -> tuple[IntArray, int]:
    """Merge groups below min_load_kw into the nearest neighbour group that keeps both limits."""
    labels = labels.copy()
    merged = 0
    for _ in range(8):
        k = int(labels.max()) + 1
        load = np.bincount(labels, weights=w, minlength=k)
        small = np.flatnonzero(load < settings.min_load_kw)
        if len(small) == 0 or k == 1:
            break
        cents = _centres(xy, w, labels, k)
        tree = cKDTree(cents)
        changed = False
        for g in small[np.argsort(load[small], kind="stable")]:
            if load[g] >= settings.min_load_kw or load[g] == 0:
                continue
            _, nbrs = tree.query(cents[g], k=min(6, k))
            for h in np.atleast_1d(nbrs)[1:]:
                h = int(h)
                if load[h] == 0 or load[g] + load[h] > settings.max_load_kw:
                    continue
                members = (labels == g) | (labels == h)
                c = np.average(xy[members], axis=0, weights=w[members])
                r = np.max(np.hypot(*(xy[members] - c).T)) * detour
                if r > settings.max_radius_m:
                    continue
                labels[labels == g] = h
                load[h] += load[g]
                load[g] = 0.0
                merged += 1
                changed = True
                break
        labels = pd.factorize(labels, sort=True)[0].astype(np.int64)
        if not changed:
            break
    return labels, merged


def _assemble(
    heated: gpd.GeoDataFrame,
    xy: FloatArray,
    w: FloatArray,
    labels: IntArray,
    street_radius: FloatArray,
    settings: DistrictSettings,
    priority: PrioritySettings,
    report: dict[str, float | int | list[str]],
) -> DistrictResult:
    k = int(labels.max()) + 1
    c = _centres(xy, w, labels, k)
    # deterministic ids ordered south-to-north, west-to-east on a 100 m raster
    order = np.lexsort((np.round(c[:, 0] / 100.0), np.round(c[:, 1] / 100.0)))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    width = max(4, len(str(k)))
    ids = np.array([f"D{i:0{width}d}" for i in range(k)])
    dist_of = ids[rank[labels]]
    df = pd.DataFrame({
        "district_id": dist_of,
        "design_load_kw": w,
        "annual_heat_mwh": heated["annual_heat_mwh"].to_numpy(dtype=float),
        "priority_load_kw": priority_load_kw(heated, priority),
    })
    prio = heated["priority"].astype(str).where(heated["priority"].astype(str).isin(PRIORITY_CLASSES), "other")
    counts = pd.crosstab(df["district_id"], prio.to_numpy()).reindex(columns=list(PRIORITY_CLASSES), fill_value=0)
    counts.columns = [f"n_{c}" for c in counts.columns]
    agg = df.groupby("district_id", sort=True).agg(
        design_load_kw=("design_load_kw", "sum"),
        annual_heat_mwh=("annual_heat_mwh", "sum"),
        priority_load_kw=("priority_load_kw", "sum"),
        n_buildings=("design_load_kw", "size"),
    )
    agg = agg.join(counts)
    agg["x"] = pd.Series(c[order, 0], index=ids)
    agg["y"] = pd.Series(c[order, 1], index=ids)
    radius = street_radius if len(street_radius) == k else _radius_proxy(xy, w, labels, k, settings.detour_factor)
    radius = np.asarray(radius, dtype=float)
    agg["radius_m"] = pd.Series(radius[order], index=ids)
    agg["oversize"] = agg["design_load_kw"] > settings.max_load_kw
    hulls = []
    geoms = heated.geometry.to_numpy()
    groups = pd.Series(np.arange(len(heated))).groupby(dist_of, sort=True)
    for did, rows in groups:
        pts = shapely.get_coordinates(geoms[rows.to_numpy()])
        hulls.append((did, shapely.convex_hull(shapely.multipoints(pts))))
    hull = pd.Series(dict(hulls))
    districts = gpd.GeoDataFrame(agg.reset_index(), geometry=hull.reindex(agg.index).to_numpy(), crs=heated.crs)
    membership = pd.DataFrame({"building_id": heated["building_id"].to_numpy(), "district_id": dist_of})
    report["n_districts"] = k
    report["oversize"] = districts.loc[districts["oversize"], "district_id"].tolist()
    return DistrictResult(districts, membership, report)
