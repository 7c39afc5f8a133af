"""A synthetic Kharkiv-like city: buildings and a street graph for tests, benchmarks and demos.

:func:`make_city` lays out a grid of superblocks (Soviet microdistricts) bounded
by arterial roads, with residential and service streets inside each, and puts
rectangular footprints beside the streets. From the centre outwards: pre-war
brick and stalinka blocks, a khrushchyovka belt, then panel microdistricts of 5,
9 and 12–16 storeys. A few post-2000 towers, schools, kindergartens, hospitals,
clinics, offices, shops, public buildings and workshops are spread over the
city, plus non-heated garages and sheds. The result is an :class:`~teplo.area.Area`
in the UTM zone of the anchor point, chosen by :func:`teplo.crs.utm_crs_for` as the
importers choose it. For Kharkiv (36.1–36.5 E) that is zone 37, EPSG:32637.

``n_buildings`` counts the *heated* buildings. A whole Kharkiv has ≈ 8 500 of them
(kharkiv-figures §5.1: ≈ 6 000 residential + ≈ 2 500 other buildings on district
heat). Non-heated garages and sheds come on top (7 % of ``n_buildings``).

Sources: "§x.y" is a section of the project's reference file
``kharkiv-figures.md``. "[U]" marks a layout or mix assumption that no source
pins down. These assumptions were chosen so that the heated floor area
(footprint × storeys × 0.75, §2.4) of an 8 500-building city is ≈ 30 Mm²,
within the §5.1 estimate (1.15 M residents × 27.6 m²/person ≈ 32 Mm²).

The layout has three steps, each vectorised over buildings:

1. The composition: exact counts per kind (largest-remainder rounding of the
   shares), with sizes, storeys and years drawn per building.
2. The queue: buildings are ordered by zone (centre, belt, outer) and
   interleaved within each zone, so that every kind is spread evenly
   (roughly one school per microdistrict).
3. The packing: the queue is cut into the rows of the superblocks, nearest
   superblock to the centre first. Each row is the strip beside one street.

Only a short loop over rows remains in Python. There are ≈ 2 000 rows for a
whole city.
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from teplo.area import Area, ImportReport
from teplo.crs import utm_crs_for
from teplo.errors import InputError
from teplo.io.geopackage import write_layers
from teplo.schema import BUILDINGS_IMPORTED, STREETS

__all__ = ["MAX_BUILDINGS", "make_city", "write_city"]

#: Upper bound on ``n_buildings``: ≈ 24 whole Kharkivs (≈ 8 500 heated buildings, §5.1).
#: A larger request is almost certainly a typo.
MAX_BUILDINGS = 200_000

# ---------------------------------------------------------------------------
# Composition: shares of the heated buildings
# ---------------------------------------------------------------------------

#: Residential share of the heated buildings: ≈ 6 000 of ≈ 8 500 (§5.1).
_RESIDENTIAL_SHARE = 6_000 / 8_500
#: CHP-3 served 1 929 buildings: 63 schools, 47 kindergartens and 41 medical
#: facilities (§5.2). Scaled to 8 500 buildings this gives 181 medical (§5.1: ≈ 180) and 485
#: educational (§5.1: > 200).
_SCHOOL_SHARE = 63 / 1_929
_KINDERGARTEN_SHARE = 47 / 1_929
_MEDICAL_SHARE = 41 / 1_929
#: Hospitals vs polyclinics among the medical buildings [U].
_HOSPITAL_OF_MEDICAL = 0.4
#: How the rest of the ≈ 2 500 "other" buildings (§5.1) splits [U]: offices,
#: shops, public/administrative and heated workshops. §5.1 gives only the heat-use split
#: (budget 10 %, commercial 4 %).
_OTHER_SPLIT = {"office": 0.35 / 0.9, "retail": 0.40 / 0.9, "public": 0.15 / 0.9}
#: Industrial buildings per heated building: 10 % of the ≈ 2 500 "other" (§5.1) [U], not heated
#: (industrial is "non-heated unless told", issue #3), so on top of ``n_buildings``.
_INDUSTRIAL_SHARE = 0.10 * 2_500 / 8_500

#: Residential mix by era, as a share of the residential buildings [U].
#: These are calibrated so that the city totals ≈ 30 Mm² (§5.1). The 1971–95 panel share is
#: split 5 / 9 / 12–16 storeys as the 1971–90 national stock (§2.2):
#: 24 380 five-, 12 650 nine-, 2 930 sixteen- and 450 taller buildings.
_RESIDENTIAL_ERA = {
    "prewar": 0.15, "stalinka": 0.10, "khrushchyovka": 0.30, "panel": 0.40, "post2000": 0.05,
}
_PANEL_SPLIT = {"panel5": 24_380, "panel9": 12_650, "panel16": 2_930 + 450}  # §2.2
#: Point towers vs long slabs among the 12–16-storey panel buildings [U].
_TOWER_OF_PANEL16 = 0.6

#: Non-heated garages and sheds, per heated building [U] (with industrial, 9 % non-heated).
_NONHEATED_SHARE = 0.06
_GARAGE_OF_NONHEATED = 0.6  # [U]

# Zones, from the centre outwards. _ANY kinds are spread over the three zones in proportion to the
# zones' residential buildings; _CENTRE_BIASED kinds put a share in the centre and spread the rest.
_CENTRE, _BELT, _OUTER, _ANY, _CENTRE_BIASED = 0, 1, 2, -1, -2
#: Share of offices in the centre [U].
_OFFICE_IN_CENTRE = 0.5


@dataclass(frozen=True)
class _Kind:
    """One building kind: tags, zone, and the ranges its sizes are drawn from."""

    use: str
    building: str
    amenity: str
    zone: int
    storeys: tuple[int, ...]
    storey_p: tuple[float, ...] | None  # None: uniform over storeys
    floor_height_m: float
    years: tuple[int, int] | None  # inclusive; None: unknown (NaN), as OSM mostly has for sheds
    length_m: tuple[float, float]  # along the street
    depth_m: tuple[float, float]  # across the street


# Floor-to-floor heights come from §2.4. Panel and khrushchyovka buildings have 2.8 m per storey.
# Stalinka has 3.3–4.2 m, and we take 3.5 m for stalinka and pre-war brick.
# New buildings have 2.7–3 m ceilings plus a 0.22–0.3 m slab, which gives 3.0 m.
# Public buildings get 3.3 m [U], shops 4.0 m [U], workshops 5.0 m [U].
# The footprint sizes follow the brief: slabs 12–15 m deep and 60–150 m long, towers
# ≈ 20 × 25 m, schools ≈ 60 × 20 m. The other sizes are [U]. The brief puts pre-war brick
# and stalinka at 3–6 storeys, 1900–1957. §2.1 dates the khrushchyovka to 1957–1970, and
# the brief to 1958–1970. §2.2 covers the 1971–90 panel stock; the brief runs 12–16 storeys
# to 1995.
_RES, _APT = "residential", "apartments"
_P16 = ((12, 14, 16), (0.25, 0.25, 0.5))  # §2.2 counts 12–16 and taller as "sixteen-storey" [U]
_KINDS: dict[str, _Kind] = {
    #                use, building, amenity, zone, storeys, storey_p, floor_h, years, length, depth
    "prewar": _Kind(_RES, _APT, "", _CENTRE, (3, 4, 5), (0.35, 0.4, 0.25), 3.5,
                    (1900, 1940), (30.0, 70.0), (12.0, 15.0)),
    "stalinka": _Kind(_RES, _APT, "", _CENTRE, (4, 5, 6), (0.3, 0.4, 0.3), 3.5,
                      (1945, 1957), (40.0, 100.0), (13.0, 15.0)),
    "khrushchyovka": _Kind(_RES, _APT, "", _BELT, (5,), None, 2.8,
                           (1958, 1970), (50.0, 90.0), (11.0, 12.5)),
    "panel5": _Kind(_RES, _APT, "", _OUTER, (5,), None, 2.8,
                    (1971, 1990), (60.0, 110.0), (12.0, 13.0)),
    "panel9": _Kind(_RES, _APT, "", _OUTER, (9,), None, 2.8,
                    (1971, 1990), (60.0, 150.0), (12.0, 14.0)),
    "panel16_tower": _Kind(_RES, _APT, "", _OUTER, *_P16, 2.8,
                           (1975, 1995), (24.0, 28.0), (19.0, 22.0)),
    "panel16_slab": _Kind(_RES, _APT, "", _OUTER, *_P16, 2.8,
                          (1975, 1995), (50.0, 90.0), (13.0, 15.0)),
    "post2000": _Kind(_RES, _APT, "", _ANY, tuple(range(10, 21)), None, 3.0,
                      (2000, 2023), (24.0, 30.0), (18.0, 22.0)),
    "school": _Kind("school", "school", "school", _ANY, (3, 4), (0.6, 0.4), 3.3,
                    (1955, 1990), (55.0, 90.0), (18.0, 22.0)),
    "kindergarten": _Kind("kindergarten", "kindergarten", "kindergarten", _ANY, (2,), None, 3.3,
                          (1960, 1990), (35.0, 50.0), (14.0, 18.0)),
    "hospital": _Kind("hospital", "hospital", "hospital", _ANY, (5, 6, 7, 8, 9), None, 3.3,
                      (1950, 1990), (70.0, 120.0), (14.0, 18.0)),
    "clinic": _Kind("hospital", "hospital", "clinic", _ANY, (3, 4, 5), None, 3.3,
                    (1955, 1995), (35.0, 60.0), (14.0, 16.0)),
    "office": _Kind("office", "office", "", _CENTRE_BIASED, tuple(range(3, 10)), None, 3.3,
                    (1930, 2015), (30.0, 70.0), (14.0, 18.0)),
    "retail": _Kind("commercial", "retail", "", _ANY, (1, 2, 3), (0.4, 0.4, 0.2), 4.0,
                    (1965, 2020), (25.0, 50.0), (18.0, 30.0)),
    "public": _Kind("public", "public", "", _ANY, (2, 3, 4), None, 3.5,
                    (1930, 1990), (30.0, 60.0), (14.0, 20.0)),
    "industrial": _Kind("industrial", "industrial", "", _ANY, (1, 2), (0.6, 0.4), 5.0,
                        (1950, 1990), (40.0, 80.0), (18.0, 30.0)),
    # Non-heated: a row of garage boxes and a shed, with no known year, as usual in OSM [U].
    "garage": _Kind("garage", "garage", "", _ANY, (1,), None, 3.0, None, (18.0, 60.0), (6.0, 7.0)),
    "shed": _Kind("shed", "shed", "", _ANY, (1,), None, 2.5, None, (4.0, 10.0), (3.0, 6.0)),
}
_KIND_KEYS = tuple(_KINDS)
#: Not heated: garages, sheds and industrial (issue #3 and the typology table: industrial is
#: "non-heated unless told"), so ``n_buildings`` counts exactly the buildings with demand.
_NONHEATED_USES = frozenset({"garage", "shed", "industrial"})

# ---------------------------------------------------------------------------
# Layout [U]: the reference gives no figures for street geometry
# ---------------------------------------------------------------------------

#: Size of a superblock (microdistrict) between arterials, per the brief.
_SUPERBLOCK_M = (400.0, 800.0)
#: Target spacing of parallel streets inside a superblock. The actual spacing is
#: span / round(span / 150), which gives 131–200 m for spans of 400–800 m. That leaves a
#: courtyard of at least 131 − 2 × (18 + 30) = 35 m between back-to-back rows.
_STREET_SPACING_M = 150.0
#: Setback of a footprint's street side from the street centreline (red line + half a carriageway).
_SETBACK_M = (12.0, 18.0)
#: Gap before each building along a row: fire separation plus passages.
_GAP_M = (12.0, 45.0)
#: Clear distance kept at both ends of a row from the crossing arterial.
_ROW_END_MARGIN_M = 12.0
#: Share of superblocks with no district-heated buildings (parks, industry, private houses, river
#: valleys). They keep their arterials, so the graph stays connected.
_VOID_SHARE = 0.25
#: Every third grid line, counted from the centre line, is a primary arterial, the rest secondary.
_PRIMARY_EVERY = 3
#: Share of internal streets tagged highway=service; the rest are residential.
_SERVICE_SHARE = 0.3
#: Coordinates are rounded to 1 mm, so street ends that meet are exactly equal.
_DECIMALS = 3


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def make_city(n_buildings: int, seed: int = 0, *, lon: float = 36.23, lat: float = 49.99) -> Area:
    """Make a synthetic Kharkiv-like city with ``n_buildings`` heated buildings.

    Non-heated garages and sheds are added on top (7 % of ``n_buildings``).
    The city is centred on ``lon``/``lat`` (degrees, WGS 84; the default is
    Kharkiv's centre). It is built in that point's UTM zone, and its
    ``input_crs`` is EPSG:4326. The same ``n_buildings``, ``seed`` and anchor
    always give the same city.
    """
    n_heated = _check_count(n_buildings)
    seed = _check_seed(seed)
    crs = utm_crs_for(lon, lat)  # raises InputError for invalid coordinates
    rng = np.random.default_rng(seed)

    blds = _draw_buildings(n_heated, rng)
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
    city_x, city_y = to_metric.transform(lon, lat)
    grid, rows, placed = _lay_out(blds, rng, float(city_x), float(city_y))
    streets, street_names = _streets(grid, rng, crs)
    buildings = _building_frame(blds, rows, placed, street_names, crs)

    report = ImportReport(source="synth")
    report.count("read", "buildings", len(buildings))
    report.count("read", "heated buildings", n_heated)
    report.count("read", "street edges", len(streets))
    report.messages.append(
        f"synthetic city: {n_heated} heated + {len(buildings) - n_heated} non-heated buildings, "
        f"{grid.n_used} superblocks, seed {seed}, centre lon {lon}, lat {lat}"
    )
    return Area(
        buildings=buildings, streets=streets, crs=crs, input_crs=CRS.from_epsg(4326), report=report
    )


def write_city(area: Area, path: str | os.PathLike[str]) -> Path:
    """Write ``area`` to a new GeoPackage at ``path``, with layers ``buildings`` and ``streets``.

    Geometry is written in ``area.input_crs`` (EPSG:4326 for a synthetic city), as every
    teplo output is (DESIGN.md). A reader that reprojects it to ``area.crs`` gets the
    metric coordinates back to within 1e-6 m. Any existing file at ``path`` is
    replaced as a whole and atomically, so layers from an older study do not survive.
    """
    layers = {
        "buildings": area.buildings.to_crs(area.input_crs),
        "streets": area.streets.to_crs(area.input_crs),
    }
    return write_layers(path, layers, keep_existing=False)


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise InputError(f"n_buildings must be a whole number of heated buildings, got {n!r}")
    n = int(n)
    if n < 1:
        raise InputError(f"n_buildings must be at least 1, got {n}")
    if n > MAX_BUILDINGS:
        raise InputError(
            f"n_buildings={n} is more than {MAX_BUILDINGS:,}: a whole Kharkiv has ≈ 8 500 "
            "heated buildings (kharkiv-figures §5.1). Ask for fewer."
        )
    return n


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputError(f"seed must be a non-negative whole number, got {seed!r}")
    seed = int(seed)
    if seed < 0:
        raise InputError(f"seed must be non-negative, got {seed}")
    return seed


# ---------------------------------------------------------------------------
# Step 1: composition
# ---------------------------------------------------------------------------


def _kind_shares() -> np.ndarray:
    """Share of each kind in ``_KIND_KEYS`` per heated building. Non-heated kinds are on top."""
    res = _RESIDENTIAL_SHARE
    panel = res * _RESIDENTIAL_ERA["panel"]
    panel_total = sum(_PANEL_SPLIT.values())
    p16 = panel * _PANEL_SPLIT["panel16"] / panel_total
    other = 1.0 - res - _SCHOOL_SHARE - _KINDERGARTEN_SHARE - _MEDICAL_SHARE
    share = {
        "prewar": res * _RESIDENTIAL_ERA["prewar"],
        "stalinka": res * _RESIDENTIAL_ERA["stalinka"],
        "khrushchyovka": res * _RESIDENTIAL_ERA["khrushchyovka"],
        "panel5": panel * _PANEL_SPLIT["panel5"] / panel_total,
        "panel9": panel * _PANEL_SPLIT["panel9"] / panel_total,
        "panel16_tower": p16 * _TOWER_OF_PANEL16,
        "panel16_slab": p16 * (1.0 - _TOWER_OF_PANEL16),
        "post2000": res * _RESIDENTIAL_ERA["post2000"],
        "school": _SCHOOL_SHARE,
        "kindergarten": _KINDERGARTEN_SHARE,
        "hospital": _MEDICAL_SHARE * _HOSPITAL_OF_MEDICAL,
        "clinic": _MEDICAL_SHARE * (1.0 - _HOSPITAL_OF_MEDICAL),
        **{k: other * v for k, v in _OTHER_SPLIT.items()},
        "industrial": _INDUSTRIAL_SHARE,
        "garage": _NONHEATED_SHARE * _GARAGE_OF_NONHEATED,
        "shed": _NONHEATED_SHARE * (1.0 - _GARAGE_OF_NONHEATED),
    }
    return np.array([share[k] for k in _KIND_KEYS])


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``total`` in proportion to ``shares``; ties go to the first."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def _kind_counts(n_heated: int) -> np.ndarray:
    """Buildings per kind: ``n_heated`` heated ones plus the non-heated garages and sheds."""
    shares = _kind_shares()
    heated = np.array([_KINDS[k].use not in _NONHEATED_USES for k in _KIND_KEYS])
    counts = np.zeros(len(_KIND_KEYS), dtype=np.int64)
    counts[heated] = _largest_remainder(n_heated, shares[heated])
    n_nonheated = round(n_heated * (_NONHEATED_SHARE + _INDUSTRIAL_SHARE))
    counts[~heated] = _largest_remainder(n_nonheated, shares[~heated])
    return counts


@dataclass
class _Buildings:
    """Per-building attributes drawn in step 1, in queue order after step 2."""

    kind: np.ndarray  # index into _KIND_KEYS
    zone: np.ndarray
    storeys: np.ndarray
    year: np.ndarray  # float, NaN if unknown
    length: np.ndarray
    depth: np.ndarray
    gap: np.ndarray
    setback: np.ndarray

    def take(self, order: np.ndarray) -> _Buildings:
        """The buildings reordered (or subset) by ``order``."""
        return _Buildings(**{k: v[order] for k, v in vars(self).items()})


def _table(attr: str) -> np.ndarray:
    """Attribute ``attr`` of every kind, indexed like ``_KIND_KEYS``."""
    return np.array([getattr(_KINDS[k], attr) for k in _KIND_KEYS])


def _draw_buildings(n_heated: int, rng: np.random.Generator) -> _Buildings:
    """Draw the kinds, zones, sizes, storeys and years, then order the queue (steps 1–2)."""
    counts = _kind_counts(n_heated)
    kind = np.repeat(np.arange(len(_KIND_KEYS)), counts)
    n = kind.size

    zone_of_kind = _table("zone")
    zone = zone_of_kind[kind].astype(np.int64)
    # Spread the ANY kinds over the zones in proportion to each zone's residential buildings,
    # so that schools and shops follow the people.
    fixed_res = np.isin(zone, (_CENTRE, _BELT, _OUTER)) & (_table("use")[kind] == "residential")
    weights = np.bincount(zone[fixed_res], minlength=3).astype(float)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(3, 1.0 / 3.0)
    anywhere = zone == _ANY
    zone[anywhere] = rng.choice(3, size=int(anywhere.sum()), p=weights)
    biased = zone == _CENTRE_BIASED
    in_centre = rng.random(int(biased.sum())) < _OFFICE_IN_CENTRE
    zone[biased] = np.where(in_centre, _CENTRE, rng.choice(3, size=in_centre.size, p=weights))

    storeys = np.empty(n, dtype=np.int64)
    for i, key in enumerate(_KIND_KEYS):  # one draw per kind (≈ 18), not per building
        sel = kind == i
        spec = _KINDS[key]
        storeys[sel] = rng.choice(np.array(spec.storeys), size=int(sel.sum()), p=spec.storey_p)

    years = [_KINDS[k].years or (0, 0) for k in _KIND_KEYS]
    y_lo = np.array([y[0] for y in years])[kind]
    y_hi = np.array([y[1] for y in years])[kind]
    year = rng.integers(y_lo, y_hi + 1).astype(float)
    year[np.array([_KINDS[k].years is None for k in _KIND_KEYS])[kind]] = np.nan

    def uniform(bounds: str) -> np.ndarray:
        lo_hi = np.array([getattr(_KINDS[k], bounds) for k in _KIND_KEYS])[kind]
        return lo_hi[:, 0] + (lo_hi[:, 1] - lo_hi[:, 0]) * rng.random(n)

    blds = _Buildings(
        kind=kind,
        zone=zone,
        storeys=storeys,
        year=year,
        length=np.round(uniform("length_m"), 1),
        depth=np.round(uniform("depth_m"), 1),
        gap=np.round(rng.uniform(*_GAP_M, size=n), 1),
        setback=np.round(rng.uniform(*_SETBACK_M, size=n), 1),
    )
    # Step 2: zones in order from the centre out. Within a zone, the i-th of m buildings of a kind
    # gets the key (i + u) / m, with u uniform. Sorting by the key spreads each kind evenly through
    # the zone's queue, so schools recur about once per microdistrict.
    groups = pd.DataFrame({"zone": zone, "kind": kind})
    rank = groups.groupby(["zone", "kind"]).cumcount().to_numpy()
    size = groups.groupby(["zone", "kind"])["kind"].transform("size").to_numpy()
    key = (rank + rng.random(n)) / size
    order = np.lexsort((key, zone))
    return blds.take(order)


# ---------------------------------------------------------------------------
# Step 3: superblock grid, rows, packing
# ---------------------------------------------------------------------------


@dataclass
class _Grid:
    """The superblock grid. Cell (i, j) spans xs[i]..xs[i+1] by ys[j]..ys[j+1]."""

    xs: np.ndarray
    ys: np.ndarray
    centre_col: int
    centre_row: int
    order: np.ndarray  # cell ids (j * g + i) sorted by distance from the centre
    void: np.ndarray  # per cell id
    horizontal: np.ndarray  # per cell id: internal streets run along x
    n_strips: np.ndarray  # per cell id: parallel strips between the streets
    n_used: int = 0  # cells order[:n_used] carry streets

    @property
    def g(self) -> int:
        return self.xs.size - 1


@dataclass
class _Rows:
    """One row per street side in a cell, in packing order."""

    cell: np.ndarray
    horizontal: np.ndarray  # street runs along x
    street_at: np.ndarray  # y of a horizontal street, x of a vertical one
    start: np.ndarray  # along-street coordinate where the row begins (after the end margin)
    length: np.ndarray  # usable length
    side: np.ndarray  # +1: buildings on the greater-coordinate side of the street, -1: the other
    street_key: np.ndarray  # (kind, a, b) street identity, for names: see _streets


def _make_grid(g: int, rng: np.random.Generator, cx: float, cy: float) -> _Grid:
    """A g × g grid of superblocks whose middle cell is centred on ``(cx, cy)``."""
    widths = rng.uniform(*_SUPERBLOCK_M, size=g)
    heights = rng.uniform(*_SUPERBLOCK_M, size=g)
    c = g // 2
    xs = np.concatenate([[0.0], np.cumsum(widths)])
    ys = np.concatenate([[0.0], np.cumsum(heights)])
    xs = np.round(xs - 0.5 * (xs[c] + xs[c + 1]) + cx, _DECIMALS)
    ys = np.round(ys - 0.5 * (ys[c] + ys[c + 1]) + cy, _DECIMALS)
    mid_x = 0.5 * (xs[:-1] + xs[1:])
    mid_y = 0.5 * (ys[:-1] + ys[1:])
    dist = np.hypot(mid_x[None, :] - cx, mid_y[:, None] - cy).ravel()  # cell id = j * g + i
    order = np.argsort(dist, kind="stable")
    void = rng.random(g * g) < _VOID_SHARE
    void[order[0]] = False  # the centre is always built up
    horizontal = rng.random(g * g) < 0.5
    span = np.where(horizontal, np.repeat(heights, g), np.tile(widths, g))
    n_strips = np.maximum(1, np.round(span / _STREET_SPACING_M)).astype(np.int64)
    return _Grid(xs, ys, c, c, order, void, horizontal, n_strips)


def _cell_lines(grid: _Grid, cells: np.ndarray) -> tuple[np.ndarray, ...]:
    """Street positions and spans of ``cells``: ``(pos, along_lo, along_hi, n_strips, horizontal)``.

    ``pos[c, k]`` is street k of cell c across the streets (k = 0 and k = n_strips are the
    arterials), NaN beyond n_strips. The streets run from ``along_lo`` to ``along_hi``.
    """
    g = grid.g
    i, j = cells % g, cells // g
    hor = grid.horizontal[cells]
    lo = np.where(hor, grid.ys[j], grid.xs[i])  # across the streets
    hi = np.where(hor, grid.ys[j + 1], grid.xs[i + 1])
    a_lo = np.where(hor, grid.xs[i], grid.ys[j])  # along the streets
    a_hi = np.where(hor, grid.xs[i + 1], grid.ys[j + 1])
    m = grid.n_strips[cells]
    k = np.arange(m.max() + 1 if m.size else 1)
    pos = lo[:, None] + (hi - lo)[:, None] * k[None, :] / m[:, None]
    pos = np.round(pos, _DECIMALS)
    pos[:, 0] = lo  # exact grid lines at both ends
    pos[np.arange(cells.size), m] = hi
    pos[k[None, :] > m[:, None]] = np.nan
    return pos, a_lo, a_hi, m, hor


def _rows_of(grid: _Grid, cells: np.ndarray) -> _Rows:
    """The rows of ``cells``, in packing order: cell by cell, street by street, side by side."""
    pos, a_lo, a_hi, m, hor = _cell_lines(grid, cells)
    # Street k of a cell with m strips has a row on side -1 if k > 0, and on side +1 if k < m.
    n_rows = 2 * m
    cell_of = np.repeat(np.arange(cells.size), n_rows)
    r = np.arange(n_rows.sum()) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    # r = 0: street 0 side +1; r = 1: street 1 side -1; r = 2: street 1 side +1; ...
    street = (r + 1) // 2
    side = np.where(r % 2 == 0, 1, -1)
    key_kind = np.where((street == 0) | (street == m[cell_of]), 0, 1)  # 0 arterial, 1 internal
    # The arterial's grid line index, or the internal street's index k, in the cell.
    g = grid.g
    ci, cj = cells[cell_of] % g, cells[cell_of] // g
    line = np.where(hor[cell_of], cj, ci) + np.where(street == 0, 0, 1)
    key_a = np.where(key_kind == 0, line, cells[cell_of])
    key_b = np.where(key_kind == 0, np.where(hor[cell_of], 0, 1), street)
    length = a_hi[cell_of] - a_lo[cell_of] - 2 * _ROW_END_MARGIN_M
    return _Rows(
        cell=cells[cell_of],
        horizontal=hor[cell_of],
        street_at=pos[cell_of, street],
        start=a_lo[cell_of] + _ROW_END_MARGIN_M,
        length=np.where(grid.void[cells[cell_of]], 0.0, length),
        side=side,
        street_key=np.stack([key_kind, key_a, key_b], axis=1),
    )


def _pack(blds: _Buildings, rows: _Rows) -> tuple[np.ndarray, np.ndarray] | None:
    """Cut the queue into ``rows`` in order: the row of each building and its offset along the row.

    Building b occupies ``offset[b] .. offset[b] + length[b]`` of row ``row[b]``. Returns
    ``None`` when the rows run out before the queue does.
    """
    step = blds.gap + blds.length
    ends = np.concatenate([[0.0], np.cumsum(step)])  # ends[b]: queue length before building b
    n = step.size
    n_rows = rows.length.size
    first = np.empty(n_rows + 1, dtype=np.int64)  # first[r]: first building of row r
    q = 0
    r_end = n_rows
    for r in range(n_rows):  # one short step per row (≈ 2 000 for a whole city)
        first[r] = q
        if q == n:
            r_end = r
            break
        if rows.length[r] > 0.0:
            # Every row is longer than the longest step (376 m > 150 m + 45 m), so a row always
            # takes at least one building.
            q = int(np.searchsorted(ends, ends[q] + rows.length[r], side="right")) - 1
    else:
        if q < n:
            return None
        first[n_rows] = q
    count = np.diff(first[: r_end + 1])
    row = np.repeat(np.arange(r_end), count)
    rank = np.arange(n) - first[row]
    offset = ends[:-1] - ends[first[row]] + blds.gap
    # Spread each row's slack evenly over its gaps, so a row is not packed against one end.
    slack = rows.length[:r_end] - (ends[first[1 : r_end + 1]] - ends[first[:r_end]])
    offset = offset + np.maximum(slack, 0.0)[row] * (rank + 1) / (count[row] + 1)
    return row, np.round(offset, _DECIMALS)


def _lay_out(
    blds: _Buildings, rng: np.random.Generator, cx: float, cy: float
) -> tuple[_Grid, _Rows, tuple[np.ndarray, np.ndarray]]:
    """Make a grid big enough for the queue and pack the queue into it.

    Returns the grid (with ``n_used`` set), its rows and the placement ``(row, offset)``.
    """
    frontage = float((blds.gap + blds.length).sum())
    # A 600 m superblock has ≈ 8 rows of ≈ 575 m. Allow for voids, partly filled rows and the
    # disc-in-a-square shape of the used cells, then grow the grid if it was still too small.
    cells_needed = frontage / (8 * 575.0 * (1.0 - _VOID_SHARE) * 0.8)
    g = max(3, int(np.ceil(np.sqrt(cells_needed * 4.0 / np.pi))) + 2)
    while True:
        grid = _make_grid(g, rng, cx, cy)
        rows = _rows_of(grid, grid.order)
        placed = _pack(blds, rows)
        if placed is not None:
            break
        g = int(np.ceil(g * 1.4))  # pragma: no cover - the estimate above is generous
    rank_of_cell = np.empty_like(grid.order)
    rank_of_cell[grid.order] = np.arange(grid.order.size)
    # Rows go cell by cell from the centre, so the last building sits in the furthest used cell.
    grid.n_used = int(rank_of_cell[rows.cell[placed[0][-1]]]) + 1
    return grid, rows, placed


# ---------------------------------------------------------------------------
# Streets
# ---------------------------------------------------------------------------


def _arterial_name(horizontal: np.ndarray, line: np.ndarray, primary: np.ndarray) -> np.ndarray:
    """Arterial names: ``Prospekt N4`` on horizontal grid line 4, ``Vulytsia E7`` on vertical 7."""
    kind = np.where(primary, "Prospekt", "Vulytsia")
    axis = np.where(horizontal, "N", "E")
    return np.char.add(np.char.add(np.char.add(kind, " "), axis), line.astype(str))


def _streets(
    grid: _Grid, rng: np.random.Generator, crs: CRS
) -> tuple[gpd.GeoDataFrame, dict[tuple[int, int, int], str]]:
    """The street edges of the used cells, split at every junction, and the street names.

    The names are keyed like :attr:`_Rows.street_key`, for the buildings' addresses.
    """
    g = grid.g
    cells = grid.order[: grid.n_used]
    ci, cj = cells % g, cells // g

    # Arterial segments, one per cell side: (horizontal, line, index along the line).
    seg = np.concatenate([
        np.stack([np.ones_like(ci), cj, ci], axis=1),  # bottom
        np.stack([np.ones_like(ci), cj + 1, ci], axis=1),  # top
        np.stack([np.zeros_like(ci), ci, cj], axis=1),  # left
        np.stack([np.zeros_like(ci), ci + 1, cj], axis=1),  # right
    ])
    seg = np.unique(seg, axis=0)
    seg_hor, seg_line, seg_idx = seg.T
    seg_id = (seg_hor * (g + 1) + seg_line) * g + seg_idx
    seg_fixed = np.where(seg_hor == 1, grid.ys[seg_line], grid.xs[seg_line])
    seg_lo = np.where(seg_hor == 1, grid.xs[seg_idx], grid.ys[seg_idx])
    seg_hi = np.where(seg_hor == 1, grid.xs[seg_idx + 1], grid.ys[seg_idx + 1])

    # Internal streets of the built-up cells. Each one ends on the two arterials across its cell.
    built = cells[~grid.void[cells]]
    pos, a_lo, a_hi, m, hor = _cell_lines(grid, built)
    k_all = np.arange(pos.shape[1])
    inner = (k_all[None, :] >= 1) & (k_all[None, :] < m[:, None])
    bc, bk = np.nonzero(inner)
    in_cell = built[bc]
    in_hor = hor[bc]
    in_at = pos[bc, bk]
    in_lo, in_hi = a_lo[bc], a_hi[bc]
    bi, bj = in_cell % g, in_cell // g
    # A horizontal street ends on the vertical arterials at lines i and i+1 of row j; vice versa.
    end_line_lo = np.where(in_hor, bi, bj)
    end_line_hi = end_line_lo + 1
    end_idx = np.where(in_hor, bj, bi)
    end_hor = np.where(in_hor, 0, 1)

    # Split points on the arterial segments: both segment ends plus the internal street ends.
    pt_seg = np.concatenate([
        seg_id, seg_id,
        (end_hor * (g + 1) + end_line_lo) * g + end_idx,
        (end_hor * (g + 1) + end_line_hi) * g + end_idx,
    ])
    pt_along = np.concatenate([seg_lo, seg_hi, in_at, in_at])
    # np.unique sorts the points by (segment, position along it) and drops duplicates.
    pts = np.unique(np.stack([pt_seg.astype(float), pt_along], axis=1), axis=0)
    same = pts[1:, 0] == pts[:-1, 0]
    e_seg = pts[:-1, 0][same].astype(np.int64)
    e_lo, e_hi = pts[:-1, 1][same], pts[1:, 1][same]
    look = np.searchsorted(seg_id, e_seg)  # seg_id is sorted: np.unique sorted by (hor, line, idx)
    e_hor = seg_hor[look] == 1
    e_fixed = seg_fixed[look]
    e_line = seg_line[look]
    centre_line = np.where(e_hor, grid.centre_row, grid.centre_col)
    primary = (e_line - centre_line) % _PRIMARY_EVERY == 0

    art_xy = _line_coords(e_hor, e_fixed, e_lo, e_hi)
    art_highway = np.where(primary, "primary", "secondary")
    art_name = _arterial_name(e_hor, e_line, primary)

    in_xy = _line_coords(in_hor, in_at, in_lo, in_hi)
    service = rng.random(in_cell.size) < _SERVICE_SHARE
    in_highway = np.where(service, "service", "residential")
    in_number = np.arange(1, in_cell.size + 1)
    in_name = np.where(service, "", np.char.add("Provulok ", in_number.astype(str)))

    xy = np.concatenate([art_xy, in_xy])
    ends = xy.reshape(-1, 2)
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.reshape(-1, 2)
    n_edges = xy.shape[0]
    width = len(str(max(n_edges - 1, 0)))
    frame = gpd.GeoDataFrame(
        {
            "street_id": np.char.add("e", np.char.zfill(np.arange(n_edges).astype(str), width)),
            "osm_id": "",
            "highway": np.concatenate([art_highway, in_highway]),
            "name": np.concatenate([art_name, in_name]),
            "u": node[:, 0].astype(np.int64),
            "v": node[:, 1].astype(np.int64),
            "length_m": np.round(np.concatenate([e_hi - e_lo, in_hi - in_lo]), _DECIMALS),
        },
        geometry=shapely.linestrings(xy),
        crs=crs,
    )
    frame = frame.astype({c: object for c in ("street_id", "osm_id", "highway", "name")})
    frame = frame[[*(c.name for c in STREETS.columns), "geometry"]]

    # Names of the streets beside each row, keyed like _Rows.street_key. Arterials: (0, line,
    # 0 = horizontal line / 1 = vertical line). Internal streets: (1, cell, k).
    names: dict[tuple[int, int, int], str] = {}
    for hz, line, nm in zip(e_hor, e_line, art_name, strict=True):
        names[(0, int(line), 0 if hz else 1)] = str(nm)
    for cell, k, nm in zip(in_cell, bk, in_name, strict=True):
        names[(1, int(cell), int(k))] = str(nm)
    return frame, names


def _line_coords(
    horizontal: np.ndarray, at: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Coordinates (n, 2, 2) of axis-parallel segments from ``lo`` to ``hi``, at ``at`` across."""
    x0 = np.where(horizontal, lo, at)
    y0 = np.where(horizontal, at, lo)
    x1 = np.where(horizontal, hi, at)
    y1 = np.where(horizontal, at, hi)
    return np.stack([np.stack([x0, y0], axis=1), np.stack([x1, y1], axis=1)], axis=1)


# ---------------------------------------------------------------------------
# Buildings
# ---------------------------------------------------------------------------


def _building_frame(
    blds: _Buildings,
    rows: _Rows,
    placed: tuple[np.ndarray, np.ndarray],
    street_names: dict[tuple[int, int, int], str],
    crs: CRS,
) -> gpd.GeoDataFrame:
    """The buildings table (BUILDINGS_IMPORTED) from the queue and its placement."""
    row, offset = placed
    n = row.size
    hor = rows.horizontal[row]
    side = rows.side[row]
    a0 = rows.start[row] + offset
    a1 = a0 + blds.length
    near = rows.street_at[row] + side * blds.setback
    far = near + side * blds.depth
    c0, c1 = np.minimum(near, far), np.maximum(near, far)
    xmin, xmax = np.where(hor, a0, c0), np.where(hor, a1, c1)
    ymin, ymax = np.where(hor, c0, a0), np.where(hor, c1, a1)
    boxes = shapely.box(*(np.round(v, _DECIMALS) for v in (xmin, ymin, xmax, ymax)))
    geometry = shapely.multipolygons(boxes, indices=np.arange(n))

    use = _table("use")[blds.kind]
    floor_h = _table("floor_height_m").astype(float)[blds.kind]

    # Addresses: the street beside the row and a house number, odd on one side and even on
    # the other, counted along the street. Garages, sheds and buildings on unnamed service
    # streets have none, as usual in OSM.
    uniq, inv = np.unique(rows.street_key[row], axis=0, return_inverse=True)
    street = np.array([street_names.get((int(a), int(b), int(c)), "") for a, b, c in uniq] + [""])
    name = street[inv.ravel()]
    numbered = (name != "") & ~np.isin(use, list(_NONHEATED_USES))
    along = 0.5 * (a0 + a1)
    order = np.lexsort((along, side, name))
    grp = pd.DataFrame({"name": name[order], "side": side[order], "numbered": numbered[order]})
    rank = np.empty(n, dtype=np.int64)
    rank[order] = grp.groupby(["name", "side"])["numbered"].cumsum().to_numpy()
    number = np.where(side > 0, 2 * rank, 2 * rank - 1)
    address = np.where(numbered, np.char.add(np.char.add(name, " "), number.astype(str)), "")

    width = len(str(max(n - 1, 0)))
    frame = gpd.GeoDataFrame(
        {
            "building_id": np.char.add("s", np.char.zfill(np.arange(n).astype(str), width)),
            "source": "synth",
            "building": _table("building")[blds.kind],
            "amenity": _table("amenity")[blds.kind],
            "name": "",
            "address": address,
            "use": use,
            "storeys": blds.storeys.astype(np.int64),
            "height_m": np.round(blds.storeys * floor_h, 2),
            "year_built": blds.year.astype(float),
            "footprint_m2": np.round(shapely.area(boxes), 2),
            "defaulted": "",
        },
        geometry=geometry,
        crs=crs,
    )
    text = ["building_id", "source", "building", "amenity", "name", "address", "use", "defaulted"]
    frame = frame.astype({c: object for c in text})
    return frame[[*(c.name for c in BUILDINGS_IMPORTED.columns), "geometry"]]
