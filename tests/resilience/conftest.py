"""Small hand-built systems for the resilience tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from teplo.resilience.settings import CoolingSettings, StressSettings
from teplo.resilience.system import StressSystem, build_system

CRS = "EPSG:32636"


def buildings_table(rows: Sequence[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Buildings with defaults: heated, τ 25 h, 100 residents, residential; 'xy' places a 20 m square."""
    out = []
    for r in rows:
        r = dict(r)
        x, y = r.pop("xy", (0.0, 0.0))
        load = float(r.pop("load_kw", 100.0))
        row = {
            "building_id": r.pop("id"),
            "heated": True,
            "design_load_kw": load,
            "h_w_k": load * 1e3 / 43.0,  # all space heat: design load = H · 43 K
            "tau_h": 25.0,
            "typology": "panel_16",
            "residents": 100.0,
            "priority": "residential",
            "site_id": "",
            "district_id": "d",
            "geometry": shapely.box(x - 10, y - 10, x + 10, y + 10),
        }
        row.update(r)
        out.append(row)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)


def units_table(rows: Sequence[tuple[str, str, str, float]], **cols: Sequence[float]) -> pd.DataFrame:
    """Units from (unit_id, site_id, kind, heat_kw); extra columns (power_kw, aux_power_kw) by keyword."""
    df = pd.DataFrame(rows, columns=["unit_id", "site_id", "kind", "heat_kw"])
    df["unit_type"] = df["kind"]
    df["power_kw"] = list(cols.get("power_kw", [0.0] * len(df)))
    df["aux_power_kw"] = list(cols.get("aux_power_kw", [0.0] * len(df)))
    return df


def sites_table(rows: Sequence[tuple[str, float, float]], **cols: Sequence[Any]) -> gpd.GeoDataFrame:
    """Sites from (site_id, x, y), extra columns by keyword."""
    df = pd.DataFrame(rows, columns=["site_id", "x", "y"])
    for k, v in cols.items():
        df[k] = pd.Series(list(v), index=df.index)
    return gpd.GeoDataFrame(
        df.drop(columns=["x", "y"]), geometry=shapely.points(df[["x", "y"]].to_numpy()), crs=CRS
    )


def no_gains() -> StressSettings:
    """Settings with zero internal gains (for comparisons with the §2.6 free-cooling table)."""
    return StressSettings(cooling=CoolingSettings(gains_w_m2=0.0, gains_k=0.0))


@pytest.fixture
def two_islands() -> StressSystem:
    """S1 (two 600 kW BMK) serves B1–B3 (300 kW each); S2 (500 kW CHP + 500 kW BMK) serves B4–B5 (400 kW)."""
    b = buildings_table(
        [{"id": f"B{k}", "site_id": "S1", "load_kw": 300.0, "xy": (10.0 * k, 50.0)} for k in (1, 2, 3)]
        + [{"id": f"B{k}", "site_id": "S2", "load_kw": 400.0, "xy": (1000.0 + 10 * k, 50.0)} for k in (4, 5)]
    )
    u = units_table(
        [("U1", "S1", "bmk", 600.0), ("U2", "S1", "bmk", 600.0), ("U3", "S2", "chp", 500.0), ("U4", "S2", "bmk", 500.0)],
        power_kw=[0, 0, 450, 0], aux_power_kw=[9, 9, 0, 7.5],
    )
    s = sites_table([("S1", 0.0, 0.0), ("S2", 1000.0, 0.0)])
    return build_system(b, u, s)
