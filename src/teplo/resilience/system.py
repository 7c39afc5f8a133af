"""The supply system as arrays: validated input tables turned into the stress stage's "pit".

:func:`build_system` reads the input contract (buildings, units, sites, and
optionally pipes and network nodes), checks it, and returns a
:class:`StressSystem` of dense arrays (units in the names, SI-ish: kW, W/K,
h, m) and sparse incidence matrices. Every later module works on these
arrays only.

Islands. The pipes and network nodes form a graph; buildings and sites that
are not on the network are attached to their site by a virtual, unbreakable
edge (no network given: every site's buildings form its island). An island
is a connected component that holds at least one site; heated buildings in a
component with no site are *unserved* and left out of the stress metrics.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from teplo.errors import InputError, TeploWarning
from teplo.resilience.settings import FeederPoint, StressSettings
from teplo.resilience.tables import (
    PRIORITIES,
    STRESS_BUILDINGS,
    STRESS_NODES,
    STRESS_PIPES,
    STRESS_SITES,
    STRESS_UNITS,
    UNIT_KINDS,
)
from teplo.schema import Table, check_columns

BMK, CHP, DIESEL, STORAGE = (UNIT_KINDS.index(k) for k in ("bmk", "chp", "diesel", "storage"))
#: Feeder id used when neither the sites table nor the settings name feeders.
CITY_FEEDER = "city"


@dataclass(frozen=True)
class BuildingArrays:
    """Heated, served buildings (index b); loads at the design outdoor temperature."""

    ids: np.ndarray  # str
    island: np.ndarray  # int, island index
    site: np.ndarray  # int, designed site index (-1: none)
    node: np.ndarray  # int, node of the extended graph
    h_w_k: np.ndarray  # [W/K]
    tau_h: np.ndarray  # [h]
    space_kw: np.ndarray  # [kW] space heat at the design outdoor temperature
    dhw_kw: np.ndarray  # [kW] mean DHW
    gains_w: np.ndarray  # [W] internal gains
    residents: np.ndarray  # [persons]
    priority: np.ndarray  # int8 code into PRIORITIES
    district: np.ndarray  # str

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class UnitArrays:
    """Units (index u)."""

    ids: np.ndarray
    site: np.ndarray  # int
    island: np.ndarray  # int
    kind: np.ndarray  # int8 code into UNIT_KINDS
    heat_kw: np.ndarray  # [kW]
    power_kw: np.ndarray  # [kW] electric output
    aux_kw: np.ndarray  # [kW] electric need

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class SiteArrays:
    """Sites (index s)."""

    ids: np.ndarray
    xy_m: np.ndarray  # (n, 2) [m]
    island: np.ndarray  # int
    node: np.ndarray  # int, node of the extended graph
    gas_feeder: np.ndarray  # int into StressSystem.gas_feeders
    power_feeder: np.ndarray  # int into StressSystem.power_feeders
    backup_h: np.ndarray  # [h] fuel autonomy of an adequate backup generator; 0: none
    islanding: np.ndarray  # bool: its CHP can run islanded
    units: sparse.csr_array  # sites x units incidence (bool)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class NetworkArrays:
    """The extended graph: network nodes + virtual nodes; pipes first, then virtual edges."""

    node_ids: np.ndarray  # str ('' for virtual nodes)
    node_island: np.ndarray  # int (-1: component without a site)
    edge_u: np.ndarray  # int
    edge_v: np.ndarray  # int
    n_pipes: int
    pipe_ids: np.ndarray  # str
    pipe_length_m: np.ndarray  # [m]
    pipe_geometry: np.ndarray | None  # shapely LineStrings (None where unknown)
    node_degree: np.ndarray  # pipes at each node (virtual edges not counted)

    @property
    def pipe_island(self) -> np.ndarray:
        """Island of each pipe (-1: in a component without a site)."""
        return self.node_island[self.edge_u[: self.n_pipes]]


@dataclass(frozen=True)
class IslandArrays:
    """Islands (index i) and the sparse maps the screening multiplies with."""

    n: int
    buildings: sparse.csr_array  # islands x buildings (bool), rows sorted
    unit_capacity: sparse.csc_array  # units x islands, data heat_kw (storage excluded)
    storage_capacity: sparse.csc_array  # units x islands, data heat_kw of storage units only
    site_capacity: sparse.csc_array  # units x sites, data heat_kw (storage excluded)
    base_kw: np.ndarray  # [kW] capacity without storage
    storage_kw: np.ndarray  # [kW] storage discharge capacity
    space_kw: np.ndarray  # [kW] island space heat at the design temperature
    dhw_kw: np.ndarray  # [kW]
    site_space_kw: np.ndarray  # [kW] per site: design space load of the buildings it serves
    site_dhw_kw: np.ndarray  # [kW]
    site_base_kw: np.ndarray  # [kW] per site capacity without storage
    n_sites: np.ndarray  # sites with capacity per island
    sites: sparse.csr_array  # islands x sites (bool)
    nodes: sparse.csr_array  # islands x nodes of the extended graph (bool)
    edges: sparse.csr_array  # islands x edges of the extended graph (bool)


@dataclass(frozen=True)
class StressSystem:
    """Everything the stress stage computes with, as arrays."""

    buildings: BuildingArrays
    units: UnitArrays
    sites: SiteArrays
    network: NetworkArrays
    islands: IslandArrays
    gas_feeders: np.ndarray  # str
    power_feeders: np.ndarray  # str
    design_outdoor_c: float
    indoor_c: float
    storage_autonomy_h: float
    unserved_ids: np.ndarray  # heated buildings on no island
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def delta_design_k(self) -> float:
        """Indoor minus design outdoor temperature [K]."""
        return self.indoor_c - self.design_outdoor_c

    def building_demand_kw(self, temp_c: np.ndarray | float, b: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Heat demand of buildings ``b`` at outdoor ``temp_c`` [kW]: space scaled by ΔT, DHW kept."""
        scale = np.clip((self.indoor_c - np.asarray(temp_c)) / self.delta_design_k, 0.0, None)
        return self.buildings.space_kw[b] * scale + self.buildings.dhw_kw[b]

    def island_demand_kw(self, temp_c: np.ndarray | float, i: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Heat demand of islands ``i`` at outdoor ``temp_c`` [kW]."""
        scale = np.clip((self.indoor_c - np.asarray(temp_c)) / self.delta_design_k, 0.0, None)
        return self.islands.space_kw[i] * scale + self.islands.dhw_kw[i]

    def index(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        """Indices of element ids of ``kind`` (units, sites, pipes, gas_feeders, power_feeders, buildings)."""
        table = self._ids(kind)
        lookup = pd.Index(table)
        idx = lookup.get_indexer(pd.Index([str(i) for i in ids]))
        if (idx < 0).any():
            missing = [str(i) for i, k in zip(ids, idx, strict=True) if k < 0]
            raise InputError(f"unknown {kind} id(s): {', '.join(missing[:10])}")
        return idx.astype(np.int64)

    def _ids(self, kind: str) -> np.ndarray:
        tables = {
            "units": self.units.ids,
            "sites": self.sites.ids,
            "pipes": self.network.pipe_ids,
            "gas_feeders": self.gas_feeders,
            "power_feeders": self.power_feeders,
            "buildings": self.buildings.ids,
        }
        if kind not in tables:
            raise InputError(f"unknown element kind '{kind}' (one of {', '.join(tables)})")
        return tables[kind]

    def size(self, kind: str) -> int:
        """Number of elements of ``kind``."""
        return len(self._ids(kind))


# ---------------------------------------------------------------- validation helpers


def _require(df: pd.DataFrame, table: Table, where: str) -> None:
    check_columns(df, table, where)


def _ids(df: pd.DataFrame, col: str, where: str) -> np.ndarray:
    ids = df[col].astype(str).to_numpy()
    if df[col].isna().any() or (ids == "").any():
        raise InputError(f"{where}: empty {col} in row(s) {list(np.flatnonzero(df[col].isna() | (ids == '')))[:10]}")
    dup = pd.Index(ids).duplicated()
    if dup.any():
        raise InputError(f"{where}: duplicate {col} {', '.join(ids[dup][:10])}")
    return ids


def _number(df: pd.DataFrame, col: str, where: str, ids: np.ndarray, *, nan: float | None = None,
            minimum: float | None = 0.0, strict: bool = False) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if nan is not None:
        values = np.where(np.isnan(values), nan, values)
    bad = ~np.isfinite(values)
    if minimum is not None:
        bad |= (values <= minimum) if strict else (values < minimum)
    if bad.any():
        rel = ">" if strict else ">="
        raise InputError(
            f"{where}: {col} must be finite and {rel} {minimum} [{', '.join(map(str, ids[bad][:10]))}: "
            f"{', '.join(f'{v:g}' for v in values[bad][:10])}]"
        )
    return values


def _optional_str(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    s = df[col]
    return np.where(s.isna(), "", s.astype(str)).astype(object)


def _bool(df: pd.DataFrame, col: str, default: bool = False) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default)
    return df[col].fillna(default).astype(bool).to_numpy()


def _xy(geoms: object, where: str, ids: np.ndarray) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    if arr.size and (shapely.is_missing(arr) | shapely.is_empty(arr)).any():
        bad = ids[shapely.is_missing(arr) | shapely.is_empty(arr)]
        raise InputError(f"{where}: missing geometry for {', '.join(map(str, bad[:10]))}")
    cent = shapely.centroid(arr)
    return np.column_stack([shapely.get_x(cent), shapely.get_y(cent)]) if arr.size else np.zeros((0, 2))


# ---------------------------------------------------------------- builders


def _assign_feeders(column: np.ndarray, points: list[FeederPoint], xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feeder index per site: the given column, else the nearest feeder point, else one city feeder."""
    names = list(dict.fromkeys([p.feeder_id for p in points] + [c for c in column if c]))
    if points:
        pts = np.array([[p.x_m, p.y_m] for p in points])
        d2 = ((xy[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)
        nearest = np.array([points[k].feeder_id for k in d2.argmin(axis=1)], dtype=object)
        column = np.where(column == "", nearest, column)
    if (column == "").any():
        names.append(CITY_FEEDER)
        column = np.where(column == "", CITY_FEEDER, column)
    feeders = np.array(list(dict.fromkeys(names)), dtype=object)
    return feeders, pd.Index(feeders).get_indexer(pd.Index(column)).astype(np.int64)


def _sites(sites: pd.DataFrame, st: StressSettings) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    _require(sites, STRESS_SITES, "sites")
    if "geometry" not in sites.columns:
        raise InputError("sites: table has no geometry (need a Point per site)")
    ids = _ids(sites, "site_id", "sites")
    xy = _xy(sites.geometry.to_numpy(), "sites", ids)
    extra: dict[str, np.ndarray] = {
        "gas": _optional_str(sites, "gas_feeder"),
        "power": _optional_str(sites, "power_feeder"),
        "has_backup": _bool(sites, "has_backup"),
        "islanding": _bool(sites, "chp_islanding"),
    }
    fuel = (
        pd.to_numeric(sites["backup_fuel_h"], errors="coerce").to_numpy(dtype=float)
        if "backup_fuel_h" in sites.columns else np.full(len(sites), np.nan)
    )
    if (fuel < 0).any():
        raise InputError(f"sites: backup_fuel_h must be >= 0 ({', '.join(ids[fuel < 0][:10])})")
    index = pd.Index(ids)
    for sid, hours in st.power.backup_fuel_h.items():
        k = index.get_indexer(pd.Index([sid]))[0]
        if k < 0:
            raise InputError(f"settings power.backup_fuel_h: unknown site '{sid}'")
        fuel[k] = hours
        extra["has_backup"][k] = True
    for sid in st.power.islanding_sites:
        k = index.get_indexer(pd.Index([sid]))[0]
        if k < 0:
            raise InputError(f"settings power.islanding_sites: unknown site '{sid}'")
        extra["islanding"][k] = True
    extra["fuel_h"] = fuel
    return ids, xy, extra


def _units(units: pd.DataFrame, site_ids: np.ndarray) -> dict[str, np.ndarray]:
    _require(units, STRESS_UNITS, "units")
    ids = _ids(units, "unit_id", "units")
    site = pd.Index(site_ids).get_indexer(pd.Index(units["site_id"].astype(str)))
    if (site < 0).any():
        bad = [f"{u} (site '{s}')" for u, s in zip(ids[site < 0], units["site_id"].astype(str)[site < 0], strict=True)]
        raise InputError(f"units: unit at unknown site: {', '.join(bad[:10])}")
    kind = pd.Index(UNIT_KINDS).get_indexer(pd.Index(units["kind"].astype(str).str.lower()))
    if (kind < 0).any():
        raise InputError(
            f"units: unknown kind for {', '.join(ids[kind < 0][:10])} (one of {', '.join(UNIT_KINDS)})"
        )
    return {
        "ids": ids,
        "site": site.astype(np.int64),
        "kind": kind.astype(np.int8),
        "heat_kw": _number(units, "heat_kw", "units", ids),
        "power_kw": _number(units, "power_kw", "units", ids, nan=0.0),
        "aux_kw": _number(units, "aux_power_kw", "units", ids, nan=0.0),
    }


def _buildings(buildings: pd.DataFrame, site_ids: np.ndarray, st: StressSettings) -> dict[str, np.ndarray]:
    _require(buildings, STRESS_BUILDINGS, "buildings")
    all_ids = _ids(buildings, "building_id", "buildings")
    heated = buildings["heated"].fillna(False).astype(bool).to_numpy()
    b = buildings.loc[heated]
    ids = all_ids[heated]
    design = _number(b, "design_load_kw", "buildings", ids)
    h = _number(b, "h_w_k", "buildings", ids, strict=True)
    tau = _number(b, "tau_h", "buildings", ids, strict=True)
    residents = _number(b, "residents", "buildings", ids, nan=0.0)
    prio_text = pd.Series(_optional_str(b, "priority")).str.lower().replace("", "other")
    prio = pd.Index(PRIORITIES).get_indexer(pd.Index(prio_text))
    if (prio < 0).any():
        raise InputError(
            f"buildings: unknown priority for {', '.join(ids[prio < 0][:10])} (one of {', '.join(PRIORITIES)})"
        )
    site_text = _optional_str(b, "site_id")
    site = pd.Index(site_ids).get_indexer(pd.Index(site_text))
    unknown = (site < 0) & (site_text != "")
    if unknown.any():
        bad = [f"{i} (site '{s}')" for i, s in zip(ids[unknown], site_text[unknown], strict=True)]
        raise InputError(f"buildings: building served by unknown site: {', '.join(bad[:10])}")
    delta = st.demand.indoor_c - st.demand.design_outdoor_c
    if "dhw_kw" in b.columns:
        dhw = np.minimum(_number(b, "dhw_kw", "buildings", ids, nan=0.0), design)
        space = design - dhw
    else:
        # design_load = H·ΔT (space) + mean DHW; the DHW is what H·ΔT leaves over.
        space = np.minimum(design, h * delta / 1e3)
        dhw = design - space
    area = (
        pd.to_numeric(b["heated_area_m2"], errors="coerce").to_numpy(dtype=float)
        if "heated_area_m2" in b.columns else np.full(len(b), np.nan)
    )
    gains = np.where(np.isfinite(area) & (area > 0), st.cooling.gains_w_m2 * area, st.cooling.gains_k * h)
    return {
        "ids": ids,
        "site": site.astype(np.int64),
        "h_w_k": h,
        "tau_h": tau,
        "space_kw": space,
        "dhw_kw": dhw,
        "gains_w": gains,
        "residents": residents,
        "priority": prio.astype(np.int8),
        "district": _optional_str(b, "district_id"),
        "geometry": b.geometry.to_numpy() if "geometry" in b.columns else np.full(len(b), None),
    }


def _network(
    pipes: pd.DataFrame | None,
    nodes: pd.DataFrame | None,
    bld: dict[str, np.ndarray],
    site_ids: np.ndarray,
    site_xy: np.ndarray,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray, dict[str, int]]:
    """Nodes and edges of the extended graph; returns (arrays, building_node, site_node, notes)."""
    notes: dict[str, int] = {}
    if (pipes is None) != (nodes is None):
        raise InputError("give both pipes and network_nodes, or neither")
    if pipes is None or nodes is None:
        pipes = pd.DataFrame({c: pd.Series(dtype=str) for c in ("pipe_id", "from_node", "to_node")})
        pipes["length_m"] = pd.Series(dtype=float)
        nodes = pd.DataFrame({c: pd.Series(dtype=str) for c in ("node_id", "kind", "building_id", "site_id")})
    _require(pipes, STRESS_PIPES, "pipes")
    _require(nodes, STRESS_NODES, "network_nodes")
    node_ids = _ids(nodes, "node_id", "network_nodes")
    pipe_ids = _ids(pipes, "pipe_id", "pipes")
    length = _number(pipes, "length_m", "pipes", pipe_ids)
    nindex = pd.Index(node_ids)
    u = nindex.get_indexer(pd.Index(pipes["from_node"].astype(str)))
    v = nindex.get_indexer(pd.Index(pipes["to_node"].astype(str)))
    if ((u < 0) | (v < 0)).any():
        bad = pipe_ids[(u < 0) | (v < 0)]
        raise InputError(f"pipes: pipe(s) at unknown node: {', '.join(bad[:10])}")
    n_net = len(node_ids)
    kind = _optional_str(nodes, "kind")
    # building and site nodes
    b_index = pd.Index(bld["ids"])
    b_text = _optional_str(nodes, "building_id")
    is_b = (kind == "building") & (b_text != "")
    b_of_node = b_index.get_indexer(b_text[is_b])
    building_node = np.full(len(bld["ids"]), -1, dtype=np.int64)
    known = b_of_node >= 0
    building_node[b_of_node[known]] = np.flatnonzero(is_b)[known]
    s_text = _optional_str(nodes, "site_id")
    is_s = (kind == "site") & (s_text != "")
    s_of_node = pd.Index(site_ids).get_indexer(s_text[is_s])
    if (s_of_node < 0).any():
        bad = node_ids[np.flatnonzero(is_s)[s_of_node < 0]]
        raise InputError(f"network_nodes: site node(s) at unknown site: {', '.join(bad[:10])}")
    site_node = np.full(len(site_ids), -1, dtype=np.int64)
    site_node[s_of_node[::-1]] = np.flatnonzero(is_s)[::-1]  # first node wins
    # virtual nodes: sites off the network, then buildings off the network with a site
    off_site = np.flatnonzero(site_node < 0)
    site_node[off_site] = n_net + np.arange(len(off_site))
    n_nodes = n_net + len(off_site)
    off_b = np.flatnonzero(building_node < 0)
    building_node[off_b] = n_nodes + np.arange(len(off_b))
    n_nodes += len(off_b)
    attached = off_b[bld["site"][off_b] >= 0]
    vu = building_node[attached]
    vv = site_node[bld["site"][attached]]
    edge_u = np.concatenate([u, vu]).astype(np.int64)
    edge_v = np.concatenate([v, vv]).astype(np.int64)
    node_ids_all = np.concatenate([node_ids, np.full(n_nodes - n_net, "", dtype=object)])
    degree = np.bincount(u, minlength=n_nodes) + np.bincount(v, minlength=n_nodes)
    geom = _pipe_geometry(pipes, nodes, u, v, building_node, site_node, bld, site_xy, n_net)
    if geom is not None:
        notes["pipes_without_geometry"] = int(shapely.is_missing(geom).sum())
    elif len(pipe_ids):
        notes["pipes_without_geometry"] = len(pipe_ids)
    arrays = {
        "node_ids": node_ids_all,
        "edge_u": edge_u,
        "edge_v": edge_v,
        "pipe_ids": pipe_ids,
        "pipe_length_m": length,
        "pipe_geometry": geom,
        "node_degree": degree,
        "n_nodes": np.array(n_nodes),
    }
    return arrays, building_node, site_node, notes


def _pipe_geometry(
    pipes: pd.DataFrame, nodes: pd.DataFrame, u: np.ndarray, v: np.ndarray,
    building_node: np.ndarray, site_node: np.ndarray, bld: dict[str, np.ndarray],
    site_xy: np.ndarray, n_net: int,
) -> np.ndarray | None:
    """Pipe lines: the pipes' own geometry, else straight lines between located nodes."""
    if len(pipes) == 0:
        return None
    if "geometry" in pipes.columns:
        geom = np.asarray(pipes.geometry.to_numpy(), dtype=object)
        if not shapely.is_missing(geom).all():
            return geom
    xy = np.full((n_net, 2), np.nan)
    if "geometry" in nodes.columns:
        g = np.asarray(nodes.geometry.to_numpy(), dtype=object)
        ok = ~shapely.is_missing(g)
        xy[ok] = np.column_stack([shapely.get_x(g[ok]), shapely.get_y(g[ok])])
    on_net = site_node < n_net
    fill = on_net & np.isnan(xy[np.minimum(site_node, n_net - 1), 0])
    xy[site_node[fill]] = site_xy[fill]
    b_geom = np.asarray(bld["geometry"], dtype=object)
    on_net_b = (building_node < n_net) & ~shapely.is_missing(b_geom)
    cand = building_node[on_net_b]
    empty = np.isnan(xy[cand, 0])
    cent = shapely.centroid(b_geom[on_net_b][empty])
    xy[cand[empty]] = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)]) if len(cent) else xy[cand[empty]]
    ok = ~(np.isnan(xy[u, 0]) | np.isnan(xy[v, 0]))
    if not ok.any():
        return None
    geom = np.full(len(u), None, dtype=object)
    coords = np.stack([xy[u[ok]], xy[v[ok]]], axis=1)
    geom[ok] = shapely.linestrings(coords)
    return geom


def _islands(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, site_node: np.ndarray) -> np.ndarray:
    """Island of each node: components holding a site, numbered by their first site; else -1."""
    graph = sparse.coo_array(
        (np.ones(len(edge_u), dtype=np.int8), (edge_u, edge_v)), shape=(n_nodes, n_nodes)
    ).tocsr()
    _, comp = csgraph.connected_components(graph, directed=False)
    site_comp = comp[site_node]
    order = pd.unique(site_comp)  # first-site order
    island_of_comp = np.full(comp.max() + 1 if len(comp) else 0, -1, dtype=np.int64)
    island_of_comp[order] = np.arange(len(order))
    return island_of_comp[comp]


def build_system(
    buildings: pd.DataFrame,
    units: pd.DataFrame,
    sites: pd.DataFrame,
    pipes: pd.DataFrame | None = None,
    network_nodes: pd.DataFrame | None = None,
    settings: StressSettings | None = None,
) -> StressSystem:
    """Validate the input contract and build the arrays of the stress stage.

    Raises :class:`~teplo.errors.InputError` naming the table and the object at
    fault (unknown site, negative capacity, duplicate id, ...).
    """
    st = settings or StressSettings()
    site_ids, site_xy, site_extra = _sites(sites, st)
    u = _units(units, site_ids)
    bld = _buildings(buildings, site_ids, st)
    net, building_node, site_node, notes = _network(pipes, network_nodes, bld, site_ids, site_xy)
    n_nodes = int(net["n_nodes"])
    node_island = _islands(n_nodes, net["edge_u"], net["edge_v"], site_node)
    b_island_all = node_island[building_node]
    served = b_island_all >= 0
    if (~served).any():
        notes["unserved_buildings"] = int((~served).sum())
    n_islands = int(node_island.max()) + 1 if len(node_island) else 0
    b_keep = np.flatnonzero(served)
    buildings_arr = BuildingArrays(
        ids=bld["ids"][b_keep], island=b_island_all[b_keep], site=bld["site"][b_keep],
        node=building_node[b_keep], h_w_k=bld["h_w_k"][b_keep], tau_h=bld["tau_h"][b_keep],
        space_kw=bld["space_kw"][b_keep], dhw_kw=bld["dhw_kw"][b_keep], gains_w=bld["gains_w"][b_keep],
        residents=bld["residents"][b_keep], priority=bld["priority"][b_keep], district=bld["district"][b_keep],
    )
    n_sites, n_units = len(site_ids), len(u["ids"])
    site_island = node_island[site_node]
    unit_island = site_island[u["site"]]
    site_units = sparse.csr_array(
        (np.ones(n_units, dtype=bool), (u["site"], np.arange(n_units))), shape=(n_sites, n_units)
    )
    backup_h = _backup_hours(site_extra, u, n_sites, st.power.default_backup_fuel_h)
    gas_ids, gas = _assign_feeders(site_extra["gas"], st.power.gas_feeders, site_xy)
    pow_ids, power = _assign_feeders(site_extra["power"], st.power.power_feeders, site_xy)
    sites_arr = SiteArrays(
        ids=site_ids, xy_m=site_xy, island=site_island, node=site_node, gas_feeder=gas,
        power_feeder=power, backup_h=backup_h, islanding=site_extra["islanding"], units=site_units,
    )
    units_arr = UnitArrays(
        ids=u["ids"], site=u["site"], island=unit_island, kind=u["kind"], heat_kw=u["heat_kw"],
        power_kw=u["power_kw"], aux_kw=u["aux_kw"],
    )
    network_arr = NetworkArrays(
        node_ids=net["node_ids"], node_island=node_island, edge_u=net["edge_u"], edge_v=net["edge_v"],
        n_pipes=len(net["pipe_ids"]), pipe_ids=net["pipe_ids"], pipe_length_m=net["pipe_length_m"],
        pipe_geometry=net["pipe_geometry"], node_degree=net["node_degree"],
    )
    islands_arr = _island_arrays(buildings_arr, units_arr, site_island, n_islands, network_arr)
    missing = notes.get("pipes_without_geometry", 0)
    if missing:
        warnings.warn(
            f"{missing} pipe(s) have no geometry (pipes or node points): strikes cannot hit them",
            TeploWarning, stacklevel=2,
        )
    return StressSystem(
        buildings=buildings_arr, units=units_arr, sites=sites_arr, network=network_arr,
        islands=islands_arr, gas_feeders=gas_ids, power_feeders=pow_ids,
        design_outdoor_c=st.demand.design_outdoor_c, indoor_c=st.demand.indoor_c,
        storage_autonomy_h=st.power.storage_autonomy_h,
        unserved_ids=bld["ids"][~served], notes=notes,
    )


def _backup_hours(
    extra: dict[str, np.ndarray], u: dict[str, np.ndarray], n_sites: int, default_h: float
) -> np.ndarray:
    """Fuel hours of an *adequate* backup generator per site [h]; 0: none.

    A site has a backup if the sites table or the settings say so, or if a
    'diesel' unit stands there; diesel units (if any) must cover the site's
    auxiliary need, else the backup is ignored. Missing fuel hours take
    ``default_h``.
    """
    diesel = u["kind"] == DIESEL
    diesel_kw = np.bincount(u["site"], weights=np.where(diesel, u["power_kw"], 0.0), minlength=n_sites)
    needs = (u["kind"] == BMK) | (u["kind"] == STORAGE)
    aux_kw = np.bincount(u["site"], weights=np.where(needs, u["aux_kw"], 0.0), minlength=n_sites)
    has_diesel = np.bincount(u["site"], weights=diesel.astype(float), minlength=n_sites) > 0
    has = extra["has_backup"] | has_diesel
    adequate = ~has_diesel | (diesel_kw >= aux_kw)
    fuel = np.where(np.isnan(extra["fuel_h"]), default_h, extra["fuel_h"])
    return np.where(has & adequate, fuel, 0.0)


def _membership(owner: np.ndarray, n_rows: int) -> sparse.csr_array:
    """Boolean rows x items with item k in row owner[k] (owner -1: in no row); indices sorted."""
    ok = owner >= 0
    m = sparse.csr_array(
        (np.ones(int(ok.sum()), dtype=bool), (owner[ok], np.flatnonzero(ok))), shape=(n_rows, owner.size)
    )
    m.sort_indices()
    return m


def _island_arrays(
    b: BuildingArrays, u: UnitArrays, site_island: np.ndarray, n_islands: int, net: NetworkArrays
) -> IslandArrays:
    n_u, n_sites = len(u), len(site_island)
    storage = u.kind == STORAGE
    cap = np.where(storage, 0.0, u.heat_kw)
    scap = np.where(storage, u.heat_kw, 0.0)
    ok = u.island >= 0
    units_idx = np.arange(n_u)
    unit_capacity = sparse.csc_array((cap[ok], (units_idx[ok], u.island[ok])), shape=(n_u, n_islands))
    storage_capacity = sparse.csc_array((scap[ok], (units_idx[ok], u.island[ok])), shape=(n_u, n_islands))
    site_capacity = sparse.csc_array((cap, (units_idx, u.site)), shape=(n_u, n_sites))
    members = _membership(b.island, n_islands)
    has_site = b.site >= 0
    site_cap = np.bincount(u.site, weights=cap, minlength=n_sites)
    n_sites_cap = np.bincount(site_island[(site_cap > 0) & (site_island >= 0)], minlength=n_islands)
    return IslandArrays(
        n=n_islands,
        buildings=members,
        unit_capacity=unit_capacity,
        storage_capacity=storage_capacity,
        site_capacity=site_capacity,
        base_kw=np.bincount(u.island[ok], weights=cap[ok], minlength=n_islands),
        storage_kw=np.bincount(u.island[ok], weights=scap[ok], minlength=n_islands),
        space_kw=np.bincount(b.island, weights=b.space_kw, minlength=n_islands),
        dhw_kw=np.bincount(b.island, weights=b.dhw_kw, minlength=n_islands),
        site_space_kw=np.bincount(b.site[has_site], weights=b.space_kw[has_site], minlength=n_sites),
        site_dhw_kw=np.bincount(b.site[has_site], weights=b.dhw_kw[has_site], minlength=n_sites),
        site_base_kw=site_cap,
        n_sites=n_sites_cap,
        sites=_membership(site_island, n_islands),
        nodes=_membership(net.node_island, n_islands),
        edges=_membership(net.node_island[net.edge_u], n_islands),
    )
