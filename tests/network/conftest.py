"""Shared fixtures of the network tests: hand-made street grids and buildings (routing), and
small hydraulic networks (hydraulics)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from teplo.network.hydraulics import HydraulicNetwork

# ---- routing: streets, buildings, sites

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


# ---- hydraulics: small networks

SUPPLY_C = 95.0  # design supply temperature [°C] (95/70, kharkiv-figures.md §4.1)
RETURN_C = 70.0
GROUND_C = 5.0
P_SUPPLY_PA = 6.0e5
P_RETURN_PA = 3.0e5


def frames(
    pipes: list[tuple[str, int, int, float, float]],
    consumers: list[tuple[str, int, float]],
    *,
    n_nodes: int | None = None,
    u_w_per_m_k: float = 0.4,
    producers: pd.DataFrame | None = None,
    valve_open: dict[str, bool] | None = None,
    delta_t: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tables for ``HydraulicNetwork.from_frames``.

    ``pipes`` rows: (id, from, to, length_m, inner_diameter_m); ``consumers``
    rows: (id, node, heat_w), fixed 70 °C return unless named in ``delta_t``.
    Default producer: 'boiler' at node 0 holding 6/3 bar at 95 °C.
    """
    ids, f, t, length, d = (list(x) for x in zip(*pipes, strict=True))
    n = n_nodes if n_nodes is not None else max(max(f), max(t)) + 1
    pipe_frame = pd.DataFrame({
        "pipe_id": ids, "from_node": f, "to_node": t, "length_m": length, "inner_diameter_m": d,
        "roughness_mm": 0.05, "u_w_per_m_k": u_w_per_m_k, "ground_temp_c": GROUND_C,
        "valve_open": [(valve_open or {}).get(i, True) for i in ids],
    })  # fmt: skip
    c_ids = [c[0] for c in consumers]
    dts = delta_t or {}
    cons = pd.DataFrame({
        "consumer_id": c_ids,
        "node": [c[1] for c in consumers],
        "heat_w": [c[2] for c in consumers],
        "return_temp_c": [np.nan if i in dts else RETURN_C for i in c_ids],
        "delta_t_k": [dts.get(i, np.nan) for i in c_ids],
    })  # fmt: skip
    if producers is None:
        producers = pressure_producer()
    return pd.DataFrame({"node_id": range(n)}), pipe_frame, cons, producers


def pressure_producer(node: int = 0, pid: str = "boiler") -> pd.DataFrame:
    """One producer holding 6 bar supply and 3 bar return at 95 °C."""
    return pd.DataFrame({
        "producer_id": [pid], "node": [node], "mode": ["pressure"], "supply_temp_c": [SUPPLY_C],
        "p_supply_pa": [P_SUPPLY_PA], "p_return_pa": [P_RETURN_PA],
    })  # fmt: skip


def network(*args: object, **kwargs: object) -> HydraulicNetwork:
    """``HydraulicNetwork.from_frames(*frames(...))``."""
    allow = bool(kwargs.pop("allow_unsupplied", False))
    return HydraulicNetwork.from_frames(*frames(*args, **kwargs), allow_unsupplied=allow)  # type: ignore[arg-type]


# A small tree: 0 -> 1 -> {2, 3}, 1 -> 4 -> 5
TREE_PIPES = [
    ("a", 0, 1, 300.0, 0.1071),
    ("b", 1, 2, 200.0, 0.0825),
    ("c", 1, 3, 250.0, 0.0697),
    ("d", 1, 4, 150.0, 0.0825),
    ("e", 4, 5, 120.0, 0.0539),
]
TREE_CONSUMERS = [("c2", 2, 300e3), ("c3", 3, 200e3), ("c4", 4, 150e3), ("c5", 5, 100e3)]

# A mesh with two loops: square 1-2-3-4 fed at 1 from 0, diagonal 2-4
MESH_PIPES = [
    ("feed", 0, 1, 200.0, 0.1325),
    ("s12", 1, 2, 150.0, 0.0825),
    ("s23", 2, 3, 150.0, 0.0697),
    ("s34", 3, 4, 150.0, 0.0697),
    ("s41", 4, 1, 150.0, 0.0825),
    ("d24", 2, 4, 210.0, 0.0539),
    ("svc3", 3, 5, 30.0, 0.0539),
]
MESH_CONSUMERS = [("m2", 2, 250e3), ("m4", 4, 350e3), ("m5", 5, 400e3)]


@pytest.fixture
def tree() -> HydraulicNetwork:
    """The small tree with four consumers."""
    return network(TREE_PIPES, TREE_CONSUMERS)


@pytest.fixture
def mesh() -> HydraulicNetwork:
    """The two-loop mesh with three consumers."""
    return network(MESH_PIPES, MESH_CONSUMERS)
