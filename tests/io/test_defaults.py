"""Use normalisation and building defaults on small synthetic frames (metric CRS)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from teplo.area import ImportReport
from teplo.io.defaults import (
    FLOOR_HEIGHT_OTHER_M,
    FLOOR_HEIGHT_RESIDENTIAL_M,
    UNKNOWN_USE,
    fill_building_defaults,
    normalise_use,
)


@pytest.mark.parametrize(
    ("building", "amenity", "extra", "use"),
    [
        ("apartments", None, {}, "residential"),
        ("house", None, {}, "residential"),
        ("dormitory", None, {}, "residential"),
        ("university", None, {}, "school"),
        ("yes", "college", {}, "school"),
        ("kindergarten", None, {}, "kindergarten"),
        ("yes", "doctors", {}, "hospital"),
        ("clinic", None, {}, "hospital"),
        ("government", None, {}, "office"),
        ("supermarket", None, {}, "commercial"),
        ("church", None, {}, "public"),
        ("warehouse", None, {}, "industrial"),
        ("service", None, {}, "industrial"),
        ("garages", None, {}, "garage"),
        ("carport", None, {}, "garage"),
        ("transformer_tower", None, {}, "shed"),
        ("kiosk", None, {}, "shed"),
        ("roof", "fuel", {}, "shed"),  # a specific building value wins over amenity
        ("yes", "kindergarten", {}, "kindergarten"),  # amenity overrides building=yes
        ("yes", None, {"shop": "supermarket"}, "commercial"),
        ("yes", None, {"office": "company"}, "office"),
        ("Apartments ", None, {}, "residential"),
        ("yes", None, {}, UNKNOWN_USE),
        (None, None, {}, UNKNOWN_USE),
        ("spaceport", None, {}, "other"),
        ("residential", None, {}, "residential"),
    ],
)
def test_normalise_use(building, amenity, extra, use):
    assert normalise_use(building, amenity, **extra) == use


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Rows with x, y (centre, m), w, h (size, m) and attribute overrides."""
    geoms = [shapely.box(r["x"], r["y"], r["x"] + r["w"], r["y"] + r["h"]) for r in rows]
    frame = gpd.GeoDataFrame(
        {
            "building_id": [r["id"] for r in rows],
            "use": [r.get("use", UNKNOWN_USE) for r in rows],
            "storeys": [r.get("storeys", np.nan) for r in rows],
            "height_m": [r.get("height_m", np.nan) for r in rows],
            "year_built": np.nan,
            "defaulted": "",
        },
        geometry=geoms,
        crs=32636,
    )
    frame["footprint_m2"] = frame.geometry.area
    return frame


def test_fill_defaults_order_of_evidence():
    rows = [
        {"id": "tagged", "x": 0, "y": 0, "w": 12, "h": 100, "use": "residential", "storeys": 9},
        {"id": "tagged2", "x": 50, "y": 0, "w": 12, "h": 110, "use": "residential", "storeys": 9},
        {"id": "tagged3", "x": 100, "y": 0, "w": 12, "h": 90, "use": "residential", "storeys": 16},
        {"id": "neighbour", "x": 0, "y": 150, "w": 12, "h": 100},  # bare yes: residential, 9 by context
        {"id": "by_height", "x": 30, "y": 150, "w": 12, "h": 60, "use": "residential", "height_m": 14.0},
        {"id": "far", "x": 5000, "y": 0, "w": 12, "h": 70},  # 840 m²: 5-storey band
        {"id": "far_big", "x": 5000, "y": 500, "w": 14, "h": 150},  # 2 100 m²: 9-storey band
        {"id": "box", "x": 0, "y": -100, "w": 3, "h": 6},  # 18 m²: shed
        {"id": "garages", "x": 30, "y": -100, "w": 6, "h": 60},  # narrow row: garage
        {"id": "hall", "x": 9000, "y": 0, "w": 80, "h": 100},  # 8 000 m²: other
        {"id": "school", "x": 200, "y": 200, "w": 20, "h": 60, "use": "school"},
    ]
    report = ImportReport(source="test")
    out = fill_building_defaults(_frame(rows), report).set_index("building_id")
    assert out["storeys"].dtype == np.int64
    assert out.loc["tagged", "storeys"] == 9 and out.loc["tagged", "defaulted"] == "height_m"
    assert out.loc["tagged", "height_m"] == pytest.approx(9 * FLOOR_HEIGHT_RESIDENTIAL_M)
    assert out.loc["neighbour", "use"] == "residential"
    assert out.loc["neighbour", "storeys"] == 9  # median of 9, 9, 16
    assert out.loc["neighbour", "defaulted"] == "height_m,storeys,use"
    assert out.loc["by_height", "storeys"] == 5 and out.loc["by_height", "height_m"] == 14.0
    assert out.loc["by_height", "defaulted"] == "storeys"
    assert out.loc["far", "storeys"] == 5 and out.loc["far_big", "storeys"] == 9
    assert out.loc["box", "use"] == "shed" and out.loc["box", "storeys"] == 1
    assert out.loc["garages", "use"] == "garage"
    assert out.loc["hall", "use"] == "other"
    assert out.loc["school", "storeys"] == 3
    assert out.loc["school", "height_m"] == pytest.approx(3 * FLOOR_HEIGHT_OTHER_M)
    assert np.isnan(out["year_built"]).all()
    assert "storeys from nearby similar buildings: 1 of 11" in report.messages


def test_industrial_context():
    rows = [
        {"id": "f1", "x": 0, "y": 0, "w": 40, "h": 60, "use": "industrial"},
        {"id": "f2", "x": 100, "y": 0, "w": 40, "h": 60, "use": "industrial"},
        {"id": "bare", "x": 50, "y": 100, "w": 20, "h": 30},
    ]
    out = fill_building_defaults(_frame(rows), ImportReport(source="t")).set_index("building_id")
    assert out.loc["bare", "use"] == "industrial"


def test_complete_rows_are_unchanged():
    rows = [{"id": "a", "x": 0, "y": 0, "w": 12, "h": 60, "use": "residential", "storeys": 5, "height_m": 15.0}]
    frame = _frame(rows)
    frame["defaulted"] = "use"
    out = fill_building_defaults(frame, ImportReport(source="t"))
    assert out.loc[0, "storeys"] == 5 and out.loc[0, "height_m"] == 15.0 and out.loc[0, "defaulted"] == "use"
