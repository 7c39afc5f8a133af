"""The synthetic city: deterministic, schema-true, connected, non-overlapping and Kharkiv-like.

Reference figures are from kharkiv-figures.md (§ numbers below).
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely import STRtree

from teplo.area import Area
from teplo.crs import utm_crs_for
from teplo.errors import InputError
from teplo.schema import BUILDINGS_IMPORTED, STREETS
from teplo.synth import MAX_BUILDINGS, make_city, write_city

USES = {
    "residential", "school", "kindergarten", "hospital", "office", "commercial",
    "public", "industrial", "garage", "shed", "other",
}  # fmt: skip
NON_HEATED = ["garage", "shed", "industrial"]  # as the typology table: industrial unless told
HEATED_AREA_FACTOR = 0.75  # heated floor area ÷ (footprint × storeys), §2.4
CITY = 8_500  # heated buildings of a whole Kharkiv, §5.1
CITY_HEATED_M2 = 30e6  # the brief's ≈ 30 Mm² (§5.1 estimates ≈ 32 Mm²)


@pytest.fixture(scope="module")
def small() -> Area:
    return make_city(300, seed=7)


@pytest.fixture(scope="module")
def city() -> tuple[Area, float]:
    t0 = time.perf_counter()
    area = make_city(CITY, seed=1)
    return area, time.perf_counter() - t0


def _heated(area: Area) -> pd.DataFrame:
    b = area.buildings
    return b[~b["use"].isin(NON_HEATED)]


def _check_layout(area: Area) -> None:
    """Buildings overlap neither each other nor streets, and sit 10–60 m from a street."""
    blds = area.buildings.geometry.to_numpy()
    streets = area.streets.geometry.to_numpy()
    assert shapely.is_valid(blds).all()
    i, j = STRtree(blds).query(blds, predicate="intersects")
    assert (i == j).all(), f"{int((i != j).sum()) // 2} overlapping building pairs"
    hit, _ = STRtree(streets).query(blds, predicate="intersects")
    assert hit.size == 0, f"{hit.size} buildings on a street"
    _, dist = STRtree(streets).query_nearest(blds, return_distance=True, all_matches=False)
    assert dist.size == len(blds)
    assert dist.min() >= 10.0 and dist.max() <= 60.0, (dist.min(), dist.max())


def _check_graph(area: Area) -> None:
    """Connected, edges split at every junction, u/v and length_m consistent with the geometry."""
    s = area.streets
    graph = area.street_graph()
    assert nx.is_connected(graph)
    assert nx.number_of_selfloops(graph) == 0
    ends_uv = set(zip(s["u"].clip(upper=s["v"]), s["u"].clip(lower=s["v"]), strict=True))
    assert len(ends_uv) == len(s)  # no parallel edges
    geoms = s.geometry.to_numpy()
    np.testing.assert_allclose(shapely.length(geoms), s["length_m"], atol=1e-3)
    assert (s["length_m"] > 0).all()
    # Every node id names one point, and every point one node id.
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(geoms, k)) for k in (0, -1)])
    ids = np.concatenate([s["u"].to_numpy(), s["v"].to_numpy()])
    pairs = pd.DataFrame({"id": ids, "x": ends[:, 0], "y": ends[:, 1]}).drop_duplicates()
    assert pairs["id"].is_unique and not pairs.duplicated(["x", "y"]).any()
    # Streets meet only at their ends: no crossing or T-junction inside an edge.
    i, j = STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    meet = shapely.intersection(geoms[i[keep]], geoms[j[keep]])
    at_ends = shapely.covered_by(meet, shapely.boundary(geoms[i[keep]])) & shapely.covered_by(
        meet, shapely.boundary(geoms[j[keep]])
    )
    assert at_ends.all(), f"{int((~at_ends).sum())} street pairs meet inside an edge"


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_city() -> None:
    a, b = make_city(300, seed=11), make_city(300, seed=11)
    for x, y in ((a.buildings, b.buildings), (a.streets, b.streets)):
        assert_geodataframe_equal(x, y)
        pd.testing.assert_frame_equal(
            x.drop(columns="geometry"), y.drop(columns="geometry"), check_exact=True
        )
        np.testing.assert_array_equal(
            shapely.get_coordinates(x.geometry.to_numpy()),
            shapely.get_coordinates(y.geometry.to_numpy()),
        )
    assert a.report.summary() == b.report.summary()


def test_different_seed_gives_a_different_city() -> None:
    a, b = make_city(300, seed=11), make_city(300, seed=12)
    assert not a.buildings.geometry.geom_equals_exact(b.buildings.geometry, 0.0).all()
    assert not a.buildings["storeys"].equals(b.buildings["storeys"]) or not a.buildings[
        "year_built"
    ].equals(b.buildings["year_built"])
    # The composition is fixed by n, not by the seed.
    assert a.buildings["use"].value_counts().sort_index().equals(
        b.buildings["use"].value_counts().sort_index()
    )


# ----------------------------------------------------------------------------- schema


def test_columns_and_types_follow_the_schema(small: Area) -> None:
    b, s = small.buildings, small.streets
    assert list(b.columns) == [c.name for c in BUILDINGS_IMPORTED.columns] + ["geometry"]
    assert list(s.columns) == [c.name for c in STREETS.columns] + ["geometry"]
    # The importers' zone choice. Kharkiv (36.1–36.5 E, §5.1) is in UTM zone 37 (36–42 E).
    assert small.crs == utm_crs_for(36.23, 49.99) and small.crs.to_epsg() == 32637
    assert small.input_crs.to_epsg() == 4326
    assert b.crs == small.crs and s.crs == small.crs
    assert set(b.geom_type) == {"MultiPolygon"} and set(s.geom_type) == {"LineString"}
    assert b["building_id"].is_unique and b["building_id"].is_monotonic_increasing
    assert b["building_id"].str.fullmatch(r"s\d+").all()
    assert (b["source"] == "synth").all()
    assert (b["defaulted"] == "").all() and (b["name"] == "").all()
    assert set(b["use"]) <= USES
    assert b["storeys"].dtype == np.int64 and (b["storeys"] >= 1).all()
    assert b["year_built"].dtype == np.float64
    assert b["height_m"].dtype == np.float64 and b["footprint_m2"].dtype == np.float64
    np.testing.assert_allclose(b["footprint_m2"], b.geometry.area, atol=0.01)
    assert s["street_id"].is_unique and (s["osm_id"] == "").all()
    assert s["u"].dtype == np.int64 and s["v"].dtype == np.int64
    assert set(s["highway"]) == {"primary", "secondary", "residential", "service"}
    for col in ("building_id", "building", "amenity", "address", "use"):
        assert b[col].map(type).eq(str).all(), col
    # Addresses are unique where given; garages and sheds have none.
    given = b.loc[b["address"] != "", "address"]
    assert given.is_unique and len(given) > 0.5 * len(b)
    assert (b.loc[b["use"].isin(NON_HEATED), "address"] == "").all()


def test_tags_agree_with_use(small: Area) -> None:
    b = small.buildings
    pairs = set(zip(b["building"], b["amenity"], b["use"], strict=True))
    assert pairs <= {
        ("apartments", "", "residential"), ("school", "school", "school"),
        ("kindergarten", "kindergarten", "kindergarten"), ("hospital", "hospital", "hospital"),
        ("hospital", "clinic", "hospital"), ("office", "", "office"),
        ("retail", "", "commercial"), ("public", "", "public"),
        ("industrial", "", "industrial"), ("garage", "", "garage"), ("shed", "", "shed"),
    }  # fmt: skip
    assert b.loc[b["use"].isin(["garage", "shed"]), "year_built"].isna().all()
    assert b.loc[~b["use"].isin(["garage", "shed"]), "year_built"].between(1900, 2025).all()


# ----------------------------------------------------------------------------- geometry


def test_small_city_is_well_formed() -> None:
    # Speed is a benchmark's job (machines are shared and noisy), not a unit test's.
    area = make_city(300, seed=3)
    assert len(_heated(area)) == 300
    _check_layout(area)
    _check_graph(area)


@pytest.mark.parametrize("n", [1, 2, 17])
def test_tiny_cities(n: int) -> None:
    area = make_city(n, seed=5)
    assert len(_heated(area)) == n
    _check_layout(area)
    _check_graph(area)


def test_city_is_centred_on_the_anchor() -> None:
    area = make_city(500, seed=2, lon=24.03, lat=49.84)  # Lviv: UTM zone 35
    assert area.crs.to_epsg() == 32635
    lon, lat = area.buildings.to_crs(4326).union_all().centroid.coords[0]
    assert abs(lon - 24.03) < 0.03 and abs(lat - 49.84) < 0.02


def test_layout_constants_keep_rows_apart() -> None:
    """Back-to-back rows across a strip cannot touch, and every row takes its longest building."""
    from teplo import synth

    deepest = max(k.depth_m[1] for k in synth._KINDS.values()) + synth._SETBACK_M[1]
    lo, hi = synth._SUPERBLOCK_M
    spans = np.linspace(lo, hi, 2001)
    spacing = spans / np.maximum(1, np.round(spans / synth._STREET_SPACING_M))
    assert spacing.min() - 2 * deepest >= 30.0  # courtyard between back-to-back rows
    longest = max(k.length_m[1] for k in synth._KINDS.values()) + synth._GAP_M[1]
    assert lo - 2 * synth._ROW_END_MARGIN_M > longest
    assert synth._SETBACK_M[0] >= 10.0 and deepest <= 60.0  # 10–60 m from the street


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("n", [0, -5, MAX_BUILDINGS + 1, 2.5, True, "10", None])
def test_bad_building_count_is_an_input_error(n: object) -> None:
    with pytest.raises(InputError, match="n_buildings"):
        make_city(n)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, "a"])
def test_bad_seed_is_an_input_error(seed: object) -> None:
    with pytest.raises(InputError, match="seed"):
        make_city(10, seed=seed)  # type: ignore[arg-type]


def test_bad_anchor_is_an_input_error() -> None:
    with pytest.raises(InputError, match="UTM"):
        make_city(10, lat=95.0)


def test_numpy_integers_are_accepted() -> None:
    assert len(_heated(make_city(np.int64(20), seed=np.uint8(3)))) == 20  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- writing


def test_write_round_trip_restores_metric_coordinates(tmp_path: Path, small: Area) -> None:
    path = tmp_path / "city.gpkg"
    path.write_bytes(b"not a geopackage")  # replaced as a whole
    assert write_city(small, path) == path
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["buildings", "streets"]
    for layer, frame in (("buildings", small.buildings), ("streets", small.streets)):
        back = pyogrio.read_dataframe(path, layer=layer)
        assert isinstance(back, gpd.GeoDataFrame)
        assert back.crs.to_epsg() == 4326
        metric = back.to_crs(small.crs)
        got = shapely.get_coordinates(metric.geometry.to_numpy())
        want = shapely.get_coordinates(frame.geometry.to_numpy())
        assert got.shape == want.shape
        err = float(np.abs(got - want).max())
        assert err < 1e-6, f"{layer}: round trip moved a vertex by {err} m"
        pd.testing.assert_frame_equal(
            pd.DataFrame(back.drop(columns="geometry")),
            pd.DataFrame(frame.drop(columns="geometry")),
            check_dtype=False,
        )


# ----------------------------------------------------------------------------- whole city


def test_whole_city_builds_and_has_kharkiv_floor_area(city: tuple[Area, float]) -> None:
    area, elapsed = city
    heated = _heated(area)
    area_m2 = float((heated["footprint_m2"] * heated["storeys"]).sum() * HEATED_AREA_FACTOR)
    xmin, ymin, xmax, ymax = area.buildings.total_bounds
    print(
        f"\nsynthetic Kharkiv: {len(heated)} heated + {len(area.buildings) - len(heated)} "
        f"non-heated buildings, {len(area.streets)} street edges, built in {elapsed:.2f} s; "
        f"heated floor area {area_m2 / 1e6:.2f} Mm²; extent {(xmax - xmin) / 1e3:.1f} × "
        f"{(ymax - ymin) / 1e3:.1f} km"
    )
    assert len(heated) == CITY
    assert abs(area_m2 / CITY_HEATED_M2 - 1.0) <= 0.15
    assert 0.05 <= (len(area.buildings) - len(heated)) / len(heated) <= 0.10
    _check_layout(area)
    _check_graph(area)


def test_whole_city_mix_matches_the_reference(city: tuple[Area, float]) -> None:
    area, _ = city
    b = _heated(area)
    uses = b["use"].value_counts()
    assert uses["residential"] == 6_000  # §5.1: ≈ 6 000 residential of ≈ 8 500
    assert 170 <= uses["hospital"] <= 190  # §5.1: ≈ 180 medical
    assert uses["school"] + uses["kindergarten"] > 200  # §5.1: > 200 educational
    res = b[b["use"] == "residential"]
    # §2.2: the 1971–90 panel stock is 24 380 five-, 12 650 nine- and 3 380 sixteen-storey and
    # taller buildings. Panel storeys are 2.8 m high (§2.4).
    per_storey = res["height_m"] / res["storeys"]
    panel = res[res["year_built"].between(1971, 1995) & np.isclose(per_storey, 2.8)]
    groups = pd.cut(panel["storeys"], [0, 5, 9, 99], labels=["5", "9", "12-16"])
    groups = groups.value_counts(normalize=True)
    want = pd.Series({"5": 24_380, "9": 12_650, "12-16": 3_380}) / 40_410
    assert (groups[want.index] - want).abs().max() < 0.01, groups
    # §2.2: the average 1971–90 building has ≈ 5 800–6 000 m²; allow the draw's spread.
    mean_m2 = float((panel["footprint_m2"] * panel["storeys"]).mean() * HEATED_AREA_FACTOR)
    assert 5_500 <= mean_m2 <= 6_300, mean_m2
    # Eras from the centre out: pre-1958 brick and stalinka, khrushchyovka, then panel.
    centre = np.array(area.buildings.union_all().centroid.coords[0])
    xy = shapely.get_coordinates(res.geometry.centroid.to_numpy())
    dist = pd.Series(np.hypot(*(xy - centre).T), index=res.index)
    era = pd.cut(
        res["year_built"], [1899, 1957, 1970, 1995, 2100], labels=["old", "khr", "panel", "new"]
    )
    median = dist.groupby(era, observed=True).median()
    assert median["old"] < median["khr"] < median["panel"], median
    assert (res.loc[res["year_built"] < 1958, "storeys"].between(3, 6)).all()
    assert (res.loc[res["year_built"] >= 2000, "storeys"] >= 10).all()
