"""A synthetic supply system in the stress stage's input contract, for tests, benchmarks and demos.

:func:`synthetic_system` places ``n_sites`` sites on a jittered grid and
``n_buildings`` buildings uniformly over a square city (≈ 60 m between
buildings); each building is served by its nearest site (a micro-district).
Buildings draw a typology with the time constant and design load of
``reference/kharkiv-figures.md`` §2.1/§2.6; a few are schools, kindergartens
and hospitals. Each site gets ``units_per_site`` units sized to
``reserve`` × its design load (so the loss of one unit may or may not leave
the district short at −20 °C), a share of them gas-engine CHP, with
auxiliary power 1.5 % of heat (§0) and CHP power at η_el/η_th = 40/45
(§3.2). With ``network=True`` each district is a tree of pipes (a minimum
spanning tree over its buildings and site) and a share of the districts get
one extra pipe that closes a ring. Everything is drawn from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import cKDTree, distance_matrix

#: name, τ [h] (§2.6), design space load [W/m²] at −23 °C (§2.1), share of buildings
TYPOLOGIES: tuple[tuple[str, float, float, float], ...] = (
    ("panel_16", 25.0, 82.0, 0.20),
    ("panel_9", 28.0, 90.0, 0.30),
    ("panel_5", 30.0, 100.0, 0.20),
    ("brick", 45.0, 90.0, 0.15),
    ("stalinka", 80.0, 70.0, 0.10),
    ("post_2000", 100.0, 40.0, 0.05),
)
#: DHW mean load as a share of the design space load; §2.3: 8–12 %.
DHW_SHARE = 0.10
#: Heated m² per resident; §2.4: 27.6 m²/person (CHP-5 zone, total area).
M2_PER_RESIDENT = 27.6
#: BMK auxiliary electricity per kW of heat; §0: 1.5 %.
AUX_SHARE = 0.015
#: CHP electric/thermal output ratio; §3.2: η_el 40 % / η_th 45 %.
CHP_POWER_PER_HEAT = 40.0 / 45.0


@dataclass(frozen=True)
class SyntheticSystem:
    """The input tables of the stress stage."""

    buildings: gpd.GeoDataFrame
    units: pd.DataFrame
    sites: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame | None
    network_nodes: gpd.GeoDataFrame | None


def synthetic_system(
    n_buildings: int = 600,
    n_sites: int = 20,
    units_per_site: float = 1.5,
    *,
    seed: int = 0,
    network: bool = True,
    ring_share: float = 0.2,
    chp_share: float = 0.2,
    reserve: float = 1.15,
    backup_share: float = 0.3,
    islanding_share: float = 0.5,
    n_gas_feeders: int = 4,
    n_power_feeders: int = 6,
    spacing_m: float = 60.0,
    crs: str = "EPSG:32636",
) -> SyntheticSystem:
    """A reproducible synthetic city (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = spacing_m * np.sqrt(n_buildings)
    site_xy = _grid_points(n_sites, side, rng)
    b_xy = rng.random((n_buildings, 2)) * side
    b_site = cKDTree(site_xy).query(b_xy)[1]
    shares = np.array([t[3] for t in TYPOLOGIES])
    typ = rng.choice(len(TYPOLOGIES), size=n_buildings, p=shares / shares.sum())
    area = rng.uniform(2_000.0, 12_000.0, n_buildings)
    w_m2 = np.array([t[2] for t in TYPOLOGIES])[typ]
    space_kw = area * w_m2 / 1e3
    prio = np.full(n_buildings, "residential", dtype=object)
    roll = rng.random(n_buildings)
    prio[roll < 0.03] = "school"
    prio[roll < 0.015] = "kindergarten"
    prio[roll < 0.006] = "hospital"
    prio[(roll > 0.99)] = "shelter"
    residents = np.where(prio == "residential", np.round(area / M2_PER_RESIDENT), 0.0)
    site_ids = np.array([f"S{k}" for k in range(n_sites)], dtype=object)
    b_ids = np.array([f"B{k}" for k in range(n_buildings)], dtype=object)
    half = np.sqrt(area / 9.0) / 2  # nine storeys, square footprint
    buildings = gpd.GeoDataFrame(
        {
            "building_id": b_ids,
            "heated": True,
            "design_load_kw": space_kw * (1 + DHW_SHARE),
            "h_w_k": space_kw * 1e3 / 43.0,
            "tau_h": np.array([t[1] for t in TYPOLOGIES])[typ],
            "typology": np.array([t[0] for t in TYPOLOGIES], dtype=object)[typ],
            "residents": residents,
            "priority": prio,
            "site_id": site_ids[b_site],
            "district_id": site_ids[b_site],
            "heated_area_m2": area,
        },
        geometry=shapely.box(b_xy[:, 0] - half, b_xy[:, 1] - half, b_xy[:, 0] + half, b_xy[:, 1] + half),
        crs=crs,
    )
    units = _units(site_ids, np.bincount(b_site, weights=space_kw * (1 + DHW_SHARE), minlength=n_sites),
                   units_per_site, reserve, chp_share, rng)
    gas = (site_xy[:, 0] > side / 2).astype(int) + 2 * (site_xy[:, 1] > side / 2).astype(int)
    sites = gpd.GeoDataFrame(
        {
            "site_id": site_ids,
            "gas_feeder": [f"G{g % max(n_gas_feeders, 1)}" for g in gas],
            "power_feeder": [f"P{k % max(n_power_feeders, 1)}" for k in range(n_sites)],
            "has_backup": rng.random(n_sites) < backup_share,
            "backup_fuel_h": rng.choice([6.0, 12.0, 24.0], size=n_sites),
            "chp_islanding": rng.random(n_sites) < islanding_share,
        },
        geometry=shapely.points(site_xy),
        crs=crs,
    )
    if not network:
        return SyntheticSystem(buildings, units, sites, None, None)
    pipes, nodes = _networks(site_ids, site_xy, b_ids, b_xy, b_site, ring_share, rng, crs)
    return SyntheticSystem(buildings, units, sites, pipes, nodes)


def _grid_points(n: int, side: float, rng: np.random.Generator) -> np.ndarray:
    k = int(np.ceil(np.sqrt(n)))
    g = (np.arange(k) + 0.5) * side / k
    gx, gy = np.meshgrid(g, g)
    pts = np.column_stack([gx.ravel(), gy.ravel()])[:n]
    return pts + rng.normal(0.0, side / k / 8, pts.shape)


def _units(
    site_ids: np.ndarray, load_kw: np.ndarray, per_site: float, reserve: float, chp_share: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    n_sites = site_ids.size
    counts = np.maximum(1, rng.poisson(max(per_site - 1.0, 0.0), n_sites) + 1)
    site = np.repeat(np.arange(n_sites), counts)
    heat = np.repeat(load_kw * reserve / counts, counts)
    chp = rng.random(site.size) < chp_share
    kind = np.where(chp, "chp", "bmk")
    return pd.DataFrame(
        {
            "unit_id": [f"U{k}" for k in range(site.size)],
            "site_id": site_ids[site],
            "unit_type": np.where(chp, "gas-engine CHP", "BMK"),
            "kind": kind,
            "heat_kw": np.round(heat, 1),
            "power_kw": np.where(chp, np.round(heat * CHP_POWER_PER_HEAT, 1), 0.0),
            "aux_power_kw": np.where(chp, 0.0, np.round(heat * AUX_SHARE, 2)),
        }
    )


def _networks(
    site_ids: np.ndarray, site_xy: np.ndarray, b_ids: np.ndarray, b_xy: np.ndarray, b_site: np.ndarray,
    ring_share: float, rng: np.random.Generator, crs: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """One tree (MST) per district over its site and buildings; some get a ring-closing pipe."""
    node_ids = np.concatenate([[f"n{s}" for s in site_ids], [f"n{b}" for b in b_ids]]).astype(object)
    node_xy = np.vstack([site_xy, b_xy])
    kinds = np.array(["site"] * site_ids.size + ["building"] * b_ids.size, dtype=object)
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    for s in range(site_ids.size):
        members = np.concatenate([[s], site_ids.size + np.flatnonzero(b_site == s)])
        if members.size < 2:
            continue
        d = distance_matrix(node_xy[members], node_xy[members])
        tree = minimum_spanning_tree(d).tocoo()
        u, v = members[tree.row], members[tree.col]
        if members.size >= 4 and rng.random() < ring_share:
            # close a ring between the two farthest leaves' neighbourhood: the longest non-tree short edge
            far = members[np.argsort(d[0])[-2:]]
            u, v = np.append(u, far[0]), np.append(v, far[1])
        us.append(u)
        vs.append(v)
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    lines = shapely.linestrings(np.stack([node_xy[u], node_xy[v]], axis=1)) if u.size else []
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": [f"p{k}" for k in range(u.size)],
            "from_node": node_ids[u],
            "to_node": node_ids[v],
            "length_m": np.hypot(*(node_xy[u] - node_xy[v]).T) if u.size else np.zeros(0),
            "site_id": site_ids[np.where(u < site_ids.size, u, b_site[np.maximum(u - site_ids.size, 0)])]
            if u.size else np.zeros(0, dtype=object),
        },
        geometry=lines,
        crs=crs,
    )
    is_b = kinds == "building"
    nodes = gpd.GeoDataFrame(
        {
            "node_id": node_ids,
            "kind": kinds,
            "building_id": np.where(is_b, np.concatenate([np.full(site_ids.size, ""), b_ids]), ""),
            "site_id": np.where(~is_b, np.concatenate([site_ids, np.full(b_ids.size, "")]), ""),
        },
        geometry=shapely.points(node_xy),
        crs=crs,
    )
    return pipes, nodes
