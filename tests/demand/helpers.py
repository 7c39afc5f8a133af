"""Test helpers for demand and climate: a reference climate year and hand-made buildings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from teplo.climate import Climate


def reference_series() -> pd.Series:
    """An 8 760-h year with exactly the §0 reference season: 180 days at a mean of −1.0 °C.

    Jul–13 Oct and 12 Apr–Jun at +15 °C, 14 Oct–11 Apr at −1.0 °C, each
    with a ±5 K daily sine, so degree-days (base 20) are 21 × 180 = 3 780.
    """
    index = pd.date_range("2001-07-01", periods=8760, freq="h")
    winter = (index >= "2001-10-14") & (index < "2002-04-12")
    swing = 5.0 * np.sin(2 * np.pi * (index.hour - 9) / 24)
    return pd.Series(np.where(winter, -1.0, 15.0) + swing, index=index, name="temp_c")


def reference_climate() -> Climate:
    """The §0 reference climate (Kharkiv defaults) on :func:`reference_series`."""
    return Climate(hourly_temp_c=reference_series(), name="reference")


def make_buildings(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """A buildings table in the importer's layout (schema.BUILDINGS_IMPORTED) from short rows."""
    full = []
    for i, r in enumerate(rows):
        storeys = int(r.get("storeys", 5))  # type: ignore[call-overload]
        base: dict[str, object] = {
            "building_id": f"s{i}",
            "source": "synth",
            "building": "yes",
            "amenity": "",
            "name": "",
            "address": "",
            "use": "residential",
            "storeys": storeys,
            "height_m": storeys * 2.8,
            "year_built": np.nan,
            "footprint_m2": 1000.0,
            "defaulted": "height_m",
            "geometry": box(i * 100.0, 0.0, i * 100.0 + 40.0, 25.0),
        }
        base.update(r)
        full.append(base)
    return gpd.GeoDataFrame(full, geometry="geometry", crs="EPSG:32636")


#: One building per heated typology, in typology-table order, as (typology, row).
TYPOLOGY_BUILDINGS: list[tuple[str, dict[str, object]]] = [
    ("stalinka", {"storeys": 4, "year_built": 1952.0}),
    ("khrushchyovka_brick", {"storeys": 3}),
    ("khrushchyovka_panel", {"storeys": 5}),
    ("panel_9", {"storeys": 9}),
    ("panel_16", {"storeys": 16}),
    ("post2000", {"storeys": 12, "year_built": 2008.0}),
    ("school", {"use": "school", "storeys": 3}),
    ("kindergarten", {"use": "kindergarten", "storeys": 2}),
    ("hospital", {"use": "hospital", "storeys": 5}),
    ("office_commercial", {"use": "office", "storeys": 4}),
    ("public", {"use": "public", "storeys": 3}),
]


def typology_buildings() -> gpd.GeoDataFrame:
    """One building per heated typology plus a garage, a shed and an industrial hall."""
    rows = [r for _, r in TYPOLOGY_BUILDINGS]
    rows += [
        {"use": "garage", "storeys": 1},
        {"use": "shed", "storeys": 1},
        {"use": "industrial", "storeys": 2},
    ]
    return make_buildings(rows)
