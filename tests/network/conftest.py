"""Hand-made street grids, buildings and sites for the network tests (metric CRS, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

CRS = "EPSG:32636"


def grid_streets(nx: int, ny: int, spacing_m: float = 100.0, highway: str = "residential") -> gpd.GeoDataFrame:
    """A street grid of ``nx`` x ``ny`` nodes, one edge per block side."""
    lines, ids = [], []
    for j in range(ny):
        for i in range(nx - 1):
            lines.append(LineString([(i * spacing_m, j * spacing_m), ((i + 1) * spacing_m, j * spacing_m)]))
            ids.append(f"h{i}_{j}")
    for i in range(nx):
        for j in range(ny - 1):
            lines.append(LineString([(i * spacing_m, j * spacing_m), (i * spacing_m, (j + 1) * spacing_m)]))
            ids.append(f"v{i}_{j}")
    return gpd.GeoDataFrame({"street_id": ids, "highway": highway}, geometry=lines, crs=CRS)


def block_buildings(
    nx: int, ny: int, per_block: int, spacing_m: float = 100.0, seed: int = 0, load_kw: tuple[float, float] = (50.0, 400.0)
) -> gpd.GeoDataFrame:
    """``per_block`` rectangular buildings in each block of the grid, random loads (seeded)."""
    rng = np.random.default_rng(seed)
    geoms, ids = [], []
    k = 0
    for j in range(ny - 1):
        for i in range(nx - 1):
            x0, y0 = i * spacing_m, j * spacing_m
            for _ in range(per_block):
                cx = x0 + rng.uniform(0.2, 0.8) * spacing_m
                cy = y0 + rng.uniform(0.2, 0.8) * spacing_m
                geoms.append(box(cx - 6, cy - 4, cx + 6, cy + 4))
                ids.append(f"b{k}")
                k += 1
    loads = rng.uniform(*load_kw, size=len(ids))
    return gpd.GeoDataFrame({"building_id": ids, "design_load_kw": loads, "heated": True}, geometry=geoms, crs=CRS)


def sites_at(points: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(len(points))]}, geometry=[Point(p) for p in points], crs=CRS
    )


def pipe_cost_eur_per_m(flow_kw: np.ndarray) -> np.ndarray:
    """A test cost curve shaped like kharkiv-figures §4.2 (≈ 500 EUR/m small DN, ≈ 1 200 EUR/m at ~10 MW)."""
    return 480.0 + 70.0 * np.sqrt(np.asarray(flow_kw, float) / 100.0)


@pytest.fixture
def crs() -> str:
    return CRS


def jittered_grid(nx: int, ny: int, seed: int, spacing_m: float = 100.0, jitter_m: float = 30.0) -> gpd.GeoDataFrame:
    """A street grid whose nodes are moved at random (seeded), so edge lengths differ."""
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(nx) * spacing_m, np.arange(ny) * spacing_m, indexing="ij"), axis=-1)
    xy = xy + rng.uniform(-jitter_m, jitter_m, size=xy.shape)
    lines, ids = [], []
    for i in range(nx):
        for j in range(ny):
            if i + 1 < nx:
                lines.append(LineString([xy[i, j], xy[i + 1, j]]))
                ids.append(f"h{i}_{j}")
            if j + 1 < ny:
                lines.append(LineString([xy[i, j], xy[i, j + 1]]))
                ids.append(f"v{i}_{j}")
    return gpd.GeoDataFrame({"street_id": ids, "highway": "residential"}, geometry=lines, crs=CRS)


def random_buildings(n: int, extent_m: tuple[float, float], seed: int) -> gpd.GeoDataFrame:
    """``n`` small square buildings at random (seeded) inside ``[0, extent]``, random loads 50-400 kW."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.0, 1.0, size=(n, 2)) * np.asarray(extent_m)
    geoms = [box(x - 5, y - 5, x + 5, y + 5) for x, y in c]
    return gpd.GeoDataFrame(
        {"building_id": [f"b{i}" for i in range(n)], "design_load_kw": rng.uniform(50.0, 400.0, n)},
        geometry=geoms,
        crs=CRS,
    )
