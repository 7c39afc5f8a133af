"""Normalised building use and defaults for what the input does not say.

Most OSM buildings in post-Soviet cities are tagged only ``building=yes``, and
few carry ``building:levels``. Demand needs a use and a storey count for every
building, so this module fills them, in order of evidence:

* use: from ``building=*``, then ``amenity``/``shop``/``office``/``healthcare``;
  for a bare ``building=yes``, from the footprint's size and shape and the uses
  tagged around it (:data:`SHED_MAX_FOOTPRINT_M2`, :data:`GARAGE_MAX_WIDTH_M`,
  :data:`CONTEXT_RADIUS_M`);
* storeys: tagged ``building:levels``; else tagged height ÷ floor height; else
  the median tagged storeys of same-use buildings of similar footprint within
  :data:`CONTEXT_RADIUS_M`; else a footprint band per use (:data:`STOREY_BANDS`);
* height: tagged, else storeys × floor height.

Every filled field is named in the row's ``defaulted`` column, so a user can
see (and a later stage can weigh) what was read and what was assumed. The
construction year is never invented: unknown stays NaN, and the demand
typology decides from use and size.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from teplo.area import ImportReport

# ---------------------------------------------------------------- vocabulary

USES = (
    "residential", "school", "kindergarten", "hospital", "office", "commercial",
    "public", "industrial", "garage", "shed", "other",
)  # fmt: skip
UNKNOWN_USE = ""  # "decide from context": a bare building=yes without other clues

# building=* values (OSM wiki, Key:building) -> use.
_BUILDING_USE: dict[str, str] = {
    **dict.fromkeys(
        ("apartments", "residential", "house", "dormitory", "detached", "semidetached_house",
         "terrace", "bungalow", "cabin_residential", "flats", "block", "barracks"),
        "residential"),
    **dict.fromkeys(("school", "university", "college"), "school"),
    **dict.fromkeys(("kindergarten", "childcare", "nursery"), "kindergarten"),
    **dict.fromkeys(("hospital", "clinic", "healthcare"), "hospital"),
    **dict.fromkeys(("office", "government"), "office"),
    **dict.fromkeys(
        ("retail", "commercial", "supermarket", "mall", "shop", "hotel", "store",
         "department_store", "restaurant", "bank"),
        "commercial"),
    **dict.fromkeys(
        ("civic", "public", "church", "cathedral", "chapel", "mosque", "synagogue", "temple",
         "religious", "monastery", "train_station", "transportation", "sports_hall",
         "sports_centre", "stadium", "museum", "library", "theatre", "fire_station",
         "police", "townhall", "community_centre", "post_office"),
        "public"),
    **dict.fromkeys(
        ("industrial", "warehouse", "service", "factory", "manufacture", "storage_tank",
         "depot", "boiler_house", "power", "pumping_station", "substation"),
        "industrial"),
    **dict.fromkeys(("garage", "garages", "carport", "parking"), "garage"),
    **dict.fromkeys(
        ("shed", "hut", "roof", "kiosk", "transformer_tower", "greenhouse", "cabin", "toilets",
         "bunker", "container", "tent", "shelter", "allotment_house"),
        "shed"),
}  # fmt: skip

# amenity=* values -> use; they override a bare building=yes.
_AMENITY_USE: dict[str, str] = {
    **dict.fromkeys(("school", "university", "college"), "school"),
    **dict.fromkeys(("kindergarten", "childcare"), "kindergarten"),
    **dict.fromkeys(("hospital", "clinic", "doctors", "dentist"), "hospital"),
    **dict.fromkeys(("townhall", "courthouse"), "office"),
    **dict.fromkeys(
        ("marketplace", "restaurant", "cafe", "fast_food", "bank", "pharmacy", "fuel",
         "bar", "pub", "cinema", "car_wash"),
        "commercial"),
    **dict.fromkeys(
        ("place_of_worship", "library", "theatre", "police", "fire_station", "community_centre",
         "post_office", "arts_centre", "social_facility", "public_building", "events_venue"),
        "public"),
    **dict.fromkeys(("parking",), "garage"),
}  # fmt: skip

_GENERIC_BUILDING = frozenset({"yes", "true", "1", ""})


def normalise_use(
    building: str | None,
    amenity: str | None = None,
    *,
    shop: str | None = None,
    office: str | None = None,
    healthcare: str | None = None,
) -> str:
    """The teplo use of a building from its OSM tags.

    A specific ``building=*`` value wins (``apartments`` -> residential,
    ``garages`` -> garage, ...); for a bare ``building=yes`` the ``amenity``,
    then ``healthcare``, ``shop`` and ``office`` tags decide. A bare
    ``building=yes`` with none of them gives :data:`UNKNOWN_USE` (``""``), which
    :func:`fill_building_defaults` resolves from size and context. An
    unrecognised specific value gives ``"other"``. Values already in the teplo
    vocabulary (:data:`USES`) are kept, so GIS ``use`` fields pass through.
    """
    b = (building or "").strip().lower()
    if b in _BUILDING_USE:
        return _BUILDING_USE[b]
    if b in USES:
        return b
    if b not in _GENERIC_BUILDING:
        return "other"
    a = (amenity or "").strip().lower()
    if a in _AMENITY_USE:
        return _AMENITY_USE[a]
    if healthcare:
        return "hospital"
    if shop:
        return "commercial"
    if office:
        return "office"
    return UNKNOWN_USE


# ---------------------------------------------------------------- thresholds

# Floor-to-floor height: 2.8 m for panel housing (kharkiv-figures §2.4: ceiling
# 2.5-2.7 m + 0.22-0.3 m slab [E]); 3.3 m for other heated buildings (the low end
# of the 3.3-4.2 m §2.4 gives for high-ceilinged, stalinka-era buildings, which
# is also the usual storey of Soviet schools and clinics [E]).
FLOOR_HEIGHT_RESIDENTIAL_M = 2.8
FLOOR_HEIGHT_OTHER_M = 3.3

# A bare building=yes under 60 m² is a garage box (a Soviet box is 3 x 6 m =
# 18 m²), kiosk, shed or transformer substation, not a heated building: the
# smallest apartment block section is ~12 x 15 m = 180 m², and a one-family house
# is 60-150 m² [E, engineering estimate; check against the local stock].
SHED_MAX_FOOTPRINT_M2 = 60.0
# A long narrow outline (rotated-rectangle width under 8 m, length at least 3x
# the width) is a row of garage boxes (6 m deep) or a shed row: Soviet apartment
# blocks are 10-15 m deep (series 1-464, 1-480, II-49, 96, 134) [E].
GARAGE_MAX_WIDTH_M = 8.0
GARAGE_MIN_ELONGATION = 3.0
# Above 5 000 m² a bare building=yes is a factory hall, depot or shopping centre
# rather than housing: a 9-storey panel block of eight sections is ~12 x 230 m
# = 2 800 m², and the longest Soviet slab blocks stay under ~4 000 m² [E].
RESIDENTIAL_MAX_FOOTPRINT_M2 = 5000.0
# Context radius: one Soviet micro-district block, whose kindergarten service
# radius is 300 m (SNiP 2.07.01-89, table 5 [N, from memory, U]); 250 m keeps the
# neighbourhood inside the block. Neighbour footprints within a factor of 2 count
# as "similar" for the storey median.
CONTEXT_RADIUS_M = 250.0
SIMILAR_FOOTPRINT_FACTOR = 2.0
# An untagged building with at least 2 tagged neighbours, at least half of them
# industrial (industrial, warehouse, service, ...), is taken as industrial
# rather than residential. Garages do not count: Soviet garage cooperatives sit
# between housing blocks. One tagged neighbour is too thin a clue [E].
INDUSTRIAL_CONTEXT_SHARE = 0.5
INDUSTRIAL_CONTEXT_MIN_TAGGED = 2

# Storeys by footprint band (upper bound of footprint in m², storeys), used when
# neither tags nor neighbours tell. Residential: under 150 m² a one-family house
# (2); up to 1 500 m² the five-storey block, the most common multi-family type
# (24 380 of the 40 410 Ukrainian 1971-90 buildings, kharkiv-figures §2.2 [R]);
# larger footprints are multi-section 9-storey panel slabs (12 650 in §2.2).
# Non-residential bands are typical Soviet type designs [E, U: confirm locally]:
# schools 3-4 storeys, kindergartens 2, polyclinics/hospitals 3-5, offices 4-5.
STOREY_BANDS: dict[str, tuple[tuple[float, int], ...]] = {
    "residential": ((150.0, 2), (1500.0, 5), (np.inf, 9)),
    "school": ((np.inf, 3),),
    "kindergarten": ((np.inf, 2),),
    "hospital": ((500.0, 2), (np.inf, 5)),
    "office": ((300.0, 2), (np.inf, 4)),
    "commercial": ((500.0, 1), (np.inf, 2)),
    "public": ((np.inf, 2),),
    "industrial": ((np.inf, 1),),
    "garage": ((np.inf, 1),),
    "shed": ((np.inf, 1),),
    "other": ((500.0, 1), (np.inf, 2)),
}


def floor_height_m(use: pd.Series) -> np.ndarray:
    """Floor-to-floor height per building (m) by use (see the constants above)."""
    return np.where(use.to_numpy() == "residential", FLOOR_HEIGHT_RESIDENTIAL_M, FLOOR_HEIGHT_OTHER_M)


def _neighbour_pairs(
    points: np.ndarray, source: np.ndarray, target: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i in target, j in source), i != j, of points within ``radius`` metres."""
    src = np.flatnonzero(source)
    tgt = np.flatnonzero(target)
    if len(src) == 0 or len(tgt) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    tree = shapely.STRtree(points[src])
    q_tgt, q_src = tree.query(points[tgt], predicate="dwithin", distance=radius)
    i, j = tgt[q_tgt], src[q_src]
    other = i != j
    return i[other], j[other]


def _add_defaulted(defaulted: pd.Series, field_name: str, mask: np.ndarray) -> pd.Series:
    """Add ``field_name`` to the comma-separated ``defaulted`` lists where ``mask``, sorted."""
    if not mask.any():
        return defaulted
    out = defaulted.copy()
    sub = out[mask].fillna("").astype(str)
    out[mask] = [",".join(sorted({*filter(None, s.split(",")), field_name})) for s in sub]
    return out


def _rectangle_sides(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Short and long side (m) of each footprint's minimum rotated rectangle."""
    rect = shapely.oriented_envelope(geoms)
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(rect), return_index=True)
    width = np.zeros(len(geoms))
    length = np.zeros(len(geoms))
    ids, start, count = np.unique(index, return_index=True, return_counts=True)
    ok = count >= 4  # degenerate envelopes (lines, points) have no ring
    ids, start = ids[ok], start[ok]
    a = np.hypot(*(coords[start + 1] - coords[start]).T)
    b = np.hypot(*(coords[start + 2] - coords[start + 1]).T)
    width[ids], length[ids] = np.minimum(a, b), np.maximum(a, b)
    return width, length


def _default_use(buildings: gpd.GeoDataFrame, unknown: np.ndarray, report: ImportReport) -> np.ndarray:
    """Uses for the rows ``unknown`` (bare building=yes) from footprint, shape and context."""
    use = buildings["use"].to_numpy(dtype=object).copy()
    if not unknown.any():
        return use
    area = buildings["footprint_m2"].to_numpy(dtype=float)
    geoms = buildings.geometry.to_numpy()
    width, length = _rectangle_sides(geoms[unknown])
    narrow = (width < GARAGE_MAX_WIDTH_M) & (length >= GARAGE_MIN_ELONGATION * np.maximum(width, 1e-9))

    # Context: share of industrial-like uses among tagged neighbours within the radius.
    points = shapely.centroid(geoms)
    known = ~unknown & np.isin(use, USES) & (use != "shed")
    i, j = _neighbour_pairs(points, known, unknown, CONTEXT_RADIUS_M)
    n_tagged = np.bincount(i, minlength=len(use))
    n_ind = np.bincount(i, weights=(use[j] == "industrial").astype(float), minlength=len(use))
    industrial_ctx = (n_tagged >= INDUSTRIAL_CONTEXT_MIN_TAGGED) & (
        n_ind >= INDUSTRIAL_CONTEXT_SHARE * n_tagged
    )

    a_u = area[unknown]
    choice = np.select(
        [
            a_u < SHED_MAX_FOOTPRINT_M2,
            narrow,
            industrial_ctx[unknown],
            a_u > RESIDENTIAL_MAX_FOOTPRINT_M2,
        ],
        ["shed", "garage", "industrial", "other"],
        default="residential",
    )
    use[unknown] = choice
    for u in USES:
        n = int((choice == u).sum())
        if n:
            report.messages.append(f"defaulted use of {n} bare building=yes to {u} (footprint/shape/context)")
    return use


def _band_storeys(use: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Storeys from the footprint band of each building's use (:data:`STOREY_BANDS`)."""
    out = np.ones(len(use), dtype=float)
    for u, bands in STOREY_BANDS.items():
        m = use == u
        if not m.any():
            continue
        limits = np.array([b[0] for b in bands])
        values = np.array([b[1] for b in bands], dtype=float)
        out[m] = values[np.minimum(np.searchsorted(limits, area[m], side="right"), len(bands) - 1)]
    return out


def fill_building_defaults(buildings: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """Fill ``use``, ``storeys`` and ``height_m`` where the input left them empty.

    ``buildings`` is in a metric CRS with the imported columns (``use`` ""
    where unknown, ``storeys``/``height_m`` NaN where unknown, ``footprint_m2``).
    Returns a copy with every gap filled (storeys as int) and each filled field
    named in ``defaulted``; counts go to ``report.messages``. Rows that already
    have everything are returned unchanged, so reading back a teplo file is
    lossless.
    """
    out = buildings.copy()
    n = len(out)
    if "defaulted" not in out.columns:
        out["defaulted"] = ""
    out["defaulted"] = out["defaulted"].fillna("").astype(str)
    area = out["footprint_m2"].to_numpy(dtype=float)

    use_raw = out["use"].fillna(UNKNOWN_USE).astype(str).to_numpy(dtype=object)
    out["use"] = use_raw
    unknown = use_raw == UNKNOWN_USE
    out["use"] = _default_use(out, unknown, report)
    out["defaulted"] = _add_defaulted(out["defaulted"], "use", unknown)
    use = out["use"].to_numpy(dtype=object)
    floor_h = floor_height_m(out["use"])

    storeys = pd.to_numeric(out["storeys"], errors="coerce").to_numpy(dtype=float)
    height = pd.to_numeric(out["height_m"], errors="coerce").to_numpy(dtype=float)
    tagged = np.isfinite(storeys) & (storeys >= 1)
    storeys = np.where(tagged, storeys, np.nan)

    # 1. From the tagged height.
    from_height = ~tagged & np.isfinite(height) & (height > 0)
    storeys[from_height] = np.maximum(1.0, np.floor(height[from_height] / floor_h[from_height] + 0.5))
    observed = tagged | from_height

    # 2. From neighbours: median observed storeys of same-use, similar-footprint buildings nearby.
    need = ~observed
    from_context = np.zeros(n, dtype=bool)
    if need.any() and observed.any():
        points = shapely.centroid(out.geometry.to_numpy())
        i, j = _neighbour_pairs(points, observed, need, CONTEXT_RADIUS_M)
        ratio = area[j] / np.maximum(area[i], 1e-9)
        similar = (
            (use[i] == use[j])
            & (ratio <= SIMILAR_FOOTPRINT_FACTOR)
            & (ratio >= 1.0 / SIMILAR_FOOTPRINT_FACTOR)
        )
        if similar.any():
            med = pd.Series(storeys[j[similar]]).groupby(i[similar]).median()
            idx = med.index.to_numpy()
            storeys[idx] = np.floor(med.to_numpy() + 0.5)
            from_context[idx] = True

    # 3. From the footprint band of the use.
    from_band = need & ~from_context
    storeys[from_band] = _band_storeys(use[from_band], area[from_band])

    out["storeys"] = storeys.astype(np.int64)
    out["defaulted"] = _add_defaulted(out["defaulted"], "storeys", ~tagged)
    no_height = ~(np.isfinite(height) & (height > 0))
    height[no_height] = storeys[no_height] * floor_h[no_height]
    out["height_m"] = height
    out["defaulted"] = _add_defaulted(out["defaulted"], "height_m", no_height)
    if "year_built" in out.columns:
        out["year_built"] = pd.to_numeric(out["year_built"], errors="coerce").astype(float)

    for what, m in (
        ("storeys from building:levels (tagged)", tagged),
        ("storeys from height", from_height),
        ("storeys from nearby similar buildings", from_context),
        ("storeys from footprint band", from_band),
        ("height_m from storeys x floor height", no_height),
    ):
        report.messages.append(f"{what}: {int(m.sum())} of {n}")
    return out
