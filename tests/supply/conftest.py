"""Hand-built cases for the siting stage: buildings, districts and sites in metres (EPSG:32636)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from teplo.supply.catalogue import load_unit_catalogue
from teplo.supply.settings import (
    BlackoutSettings,
    DispersionSettings,
    NkSettings,
    PrioritySettings,
    ResilienceSettings,
    SiteLossSettings,
    SitingSettings,
    SolverSettings,
)

CRS = "EPSG:32636"
FLH_H = 2200.0  # annual heat = design load x 2 200 h [E]


def buildings(rows: list[tuple[str, float, float, float, str]]) -> gpd.GeoDataFrame:
    """(building_id, x, y, design_load_kw, priority) -> 20 m x 20 m buildings centred on (x, y)."""
    ids, xs, ys, loads, prio = zip(*rows, strict=True)
    geoms = shapely.box(np.array(xs) - 10, np.array(ys) - 10, np.array(xs) + 10, np.array(ys) + 10)
    return gpd.GeoDataFrame({"building_id": ids, "design_load_kw": loads,
                             "annual_heat_mwh": np.array(loads) * FLH_H / 1000.0,
                             "priority": prio, "heated": True}, geometry=geoms, crs=CRS)


def sites(rows: list[tuple[str, float, float, float]]) -> gpd.GeoDataFrame:
    """(site_id, x, y, area_m2) -> candidate sites; capacity from area at 25 m2/MW, capped at 20 MW."""
    ids, xs, ys, area = zip(*rows, strict=True)
    area = np.asarray(area, dtype=float)
    return gpd.GeoDataFrame({"site_id": ids, "source": "user", "kind": "user", "existing": False,
                             "area_m2": area, "max_heat_kw": np.minimum(area / 25.0 * 1000.0, 20000.0)},
                            geometry=shapely.points(np.column_stack([xs, ys])), crs=CRS)


def one_building_districts(b: gpd.GeoDataFrame, priority: tuple[str, ...] = ("hospital",)) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Each building its own district (district_id = 'D' + building_id)."""
    c = shapely.get_coordinates(shapely.centroid(b.geometry.to_numpy()))
    d = pd.DataFrame({
        "district_id": "D" + b["building_id"].astype(str), "design_load_kw": b["design_load_kw"].to_numpy(),
        "annual_heat_mwh": b["annual_heat_mwh"].to_numpy(),
        "priority_load_kw": np.where(b["priority"].isin(priority), b["design_load_kw"], 0.0),
        "n_buildings": 1, "x": c[:, 0], "y": c[:, 1], "radius_m": 0.0,
    })
    membership = pd.DataFrame({"building_id": b["building_id"].to_numpy(), "district_id": d["district_id"].to_numpy()})
    return d, membership


def resilience(nk: bool = False, site_loss: bool = False, dispersion: bool = False, blackout: bool = False,
               priority: bool = False, **kw: float) -> ResilienceSettings:
    """Resilience settings with the named constraints on (defaults otherwise)."""
    return ResilienceSettings(
        nk=NkSettings(enabled=nk, k=int(kw.get("k", 1)), alpha=kw.get("alpha", 0.7)),
        site_loss=SiteLossSettings(enabled=site_loss, beta=kw.get("beta", 0.5)),
        dispersion=DispersionSettings(enabled=dispersion, radius_m=kw.get("radius_m", 300.0),
                                      cap_kw=kw.get("cap_kw", 10000.0)),
        blackout=BlackoutSettings(enabled=blackout),
        priority=PrioritySettings(enabled=priority),
    )


def settings(res: ResilienceSettings, **solver: object) -> SitingSettings:
    """Settings for small exact solves (monolithic, 1e-4 gap, 60 s)."""
    s = SolverSettings(**{"mip_gap": 1e-4, "time_limit_s": 60.0, "subproblem_time_limit_s": 60.0, "decompose": "never",
                          **solver})  # type: ignore[arg-type]
    return SitingSettings(resilience=res, solver=s)


@pytest.fixture(scope="session")
def catalogue() -> pd.DataFrame:
    """The bundled catalogue."""
    return load_unit_catalogue()


@pytest.fixture(scope="session")
def simple_catalogue() -> pd.DataFrame:
    """Only 2 MW BMK modules and 100 kW diesel generators: answers are easy to reason about."""
    cat = load_unit_catalogue()
    return cat.loc[["bmk_2mw", "diesel_100kw"]]
