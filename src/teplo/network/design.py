"""Designing a heat network: route along streets, size every pipe, solve the design state.

This composes the network stage's parts (street graph, routing, pipe
catalogue, hydraulics) into the function the CLI and the pipeline call:
buildings + streets + plant sites (+ existing pipes) -> the ``pipes`` and
``network_nodes`` layers with DN, flows, pressure drops, heat losses and
cost, plus totals (trench km by DN, losses, pump power, cost).

Sizing rule. ``design_load_kw`` is the space-heat load at the design
temperature plus the *mean* DHW load. Space heating at the design frost is
needed by every building at once, so it is not diversified; the DHW draw-off
peaks (``dhw_peak_factor`` × mean, from the bundled daily DHW profile) do not
coincide, so their sum is multiplied by the simultaneity factor of the number
of buildings downstream (:func:`teplo.demand.simultaneity_factor`, Winter et
al.). The hydraulic design state then puts every consumer at its design load.

Site-loss interconnectors. Given a plan's backup sites, each (site, backup
site) pair gets the cheapest street path joining the two networks
(:mod:`teplo.network.interconnect`), sized for the backup load and marked
``interconnector`` (and ``ring``); the networks' pipes between its ends and
their plants are sized for the backup flow as well (totals
``backup_upsizing_cost_eur``). They are normally closed valves: the design
state solves each site's network on its own, with the same flows as without
them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.sparse.csgraph import dijkstra

from teplo.demand import DHW_DAILY_PROFILE, simultaneity_factor
from teplo.errors import InputError, TeploWarning
from teplo.network.existing import add_existing_pipes
from teplo.network.hydraulics import HydraulicNetwork, HydraulicResult, solve
from teplo.network.interconnect import PAIR_SEPARATOR, build_interconnectors
from teplo.network.pipes import (
    load_pipe_catalogue,
    pipe_capacity_kg_s,
    regime_temperatures_c,
    size_pipes,
)
from teplo.network.routing import (
    CostPerMetre,
    Route,
    RouteFrames,
    close_rings,
    route,
    route_to_frames,
)
from teplo.network.steiner import subtree_sums
from teplo.network.street_graph import NetworkGraph, add_sites, build_network_graph
from teplo.network.water import heat_capacity_j_kgk

#: Peak-to-mean ratio of the DHW draw-off over a day, from the bundled DHW profile
#: (OpenStudio-HPXML water-fixture schedule; see teplo.demand.profiles).
DHW_PEAK_FACTOR = float(np.max(DHW_DAILY_PROFILE))


class NetworkSettings(BaseModel):
    """Settings of the network stage; units in the names, sources in the descriptions."""

    model_config = ConfigDict(extra="forbid")

    regime: Literal["95/70", "105/70", "130/70"] = Field(
        "95/70",
        description="Supply/return design temperatures, degC (kharkiv-figures §4.1: 95/70 local).",
    )
    max_dp_pa_per_m: float = Field(
        150.0, gt=0, le=1000, description="Max specific pressure loss, Pa/m (§4.1: 100–200 Pa/m)."
    )
    max_velocity_m_s: float = Field(2.5, gt=0, le=5, description="Max velocity, m/s (§4.1).")
    ground_temp_c: float = Field(
        5.0,
        ge=-10,
        le=30,
        description="Ground temperature, degC (Minenergo-325 norm reference, §4.3).",
    )
    min_dp_pa: float = Field(
        0.5e5,
        ge=0,
        description="Differential pressure at the critical consumer, Pa (§4.1: 0.3–0.5 bar).",
    )
    pump_efficiency: float = Field(0.8, gt=0, le=1, description="Pump wire-to-water efficiency, -.")
    method: Literal["steiner", "milp"] = Field(
        "steiner",
        description="Routing: Steiner heuristic, or exact MILP refinement (small districts).",
    )
    rings: bool = Field(
        False, description="Close rings (loops) inside each site's network for redundancy."
    )
    max_ring_length_m: float = Field(500.0, gt=0, description="Longest ring path added, m.")
    max_interconnector_m: float = Field(
        1000.0,
        gt=0,
        description=(
            "Longest new trench of one site-loss interconnector (the pipe joining a district's network "
            "to its backup site's), m. Default: the siting stage's pipe reach (SitingSettings.pipe_reach_m, "
            "1 000 m), within which the plan picks backup sites; a plan's own reach is used when this is "
            "not set."
        ),
    )
    max_service_length_m: float = Field(
        150.0, gt=0, description="Longest building service pipe to a street, m."
    )
    max_site_connection_m: float = Field(
        300.0, gt=0, description="Longest plant connection to a street, m."
    )
    simultaneity: bool = Field(
        True, description="Diversify DHW peaks by the number of buildings downstream."
    )
    milp_time_limit_s: float = Field(60.0, gt=0, description="Time limit of the routing MILP, s.")
    milp_gap: float = Field(
        0.01, ge=0, le=1, description="Relative MIP gap of the routing MILP, -."
    )


@dataclass
class NetworkDesign:
    """The designed network: layers, the hydraulic design state, totals and warnings."""

    pipes: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    hydraulics: HydraulicResult
    routes: list[Route]
    totals: dict[str, float]
    trench_by_dn: pd.DataFrame
    too_small_existing: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    hydraulic_tables: tuple[pd.DataFrame, ...] = ()
    interconnectors: pd.DataFrame = field(default_factory=pd.DataFrame)


def _cost_per_metre(catalogue: pd.DataFrame, settings: NetworkSettings) -> CostPerMetre:
    """EUR per metre of trench for a heat flow [kW], by the DN that carries it (largest if beyond)."""
    t_s, t_r = regime_temperatures_c(settings.regime)
    cap = pipe_capacity_kg_s(
        catalogue, settings.max_dp_pa_per_m, settings.max_velocity_m_s, t_s, t_r
    )
    cp = float(heat_capacity_j_kgk(0.5 * (t_s + t_r)))
    cost = catalogue["cost_eur_per_m"].to_numpy(np.float64)

    def cost_eur_per_m(flow_kw: np.ndarray) -> np.ndarray:
        kg_s = np.abs(np.asarray(flow_kw, dtype=np.float64)) * 1e3 / (cp * (t_s - t_r))
        idx = np.minimum(np.searchsorted(cap, kg_s, side="left"), len(cap) - 1)
        return cost[idx]

    return cost_eur_per_m


def _downstream_sums(pipes: pd.DataFrame, node_values: pd.Series) -> np.ndarray:
    """Per pipe, the sum of ``node_values`` over the subtree beyond its ``to_node``.

    Pipes are oriented from the site outwards; ring pipes (which close loops)
    are left out of the tree and get NaN.
    """
    tree = pipes[~pipes["ring"].to_numpy(bool)]
    ids = pd.Index(pd.unique(np.concatenate([pipes["from_node"], pipes["to_node"]])))
    parent = np.full(len(ids), -1, dtype=np.int64)  # -1: a root (site) of the forest
    parent[ids.get_indexer(pd.Index(tree["to_node"]))] = ids.get_indexer(pd.Index(tree["from_node"]))
    values = node_values.reindex(ids).fillna(0.0).to_numpy(np.float64)
    sums = subtree_sums(parent, values)
    out = np.full(len(pipes), np.nan)
    is_tree = ~pipes["ring"].to_numpy(bool)
    out[is_tree] = sums[ids.get_indexer(pd.Index(tree["to_node"]))]
    return out


def design_network(
    buildings: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    existing: gpd.GeoDataFrame | None = None,
    assignment: pd.Series | None = None,
    backup: pd.DataFrame | None = None,
    settings: NetworkSettings | None = None,
    catalogue: pd.DataFrame | None = None,
) -> NetworkDesign:
    """Route, size and solve the network connecting heated ``buildings`` to ``sites``.

    ``buildings`` need ``building_id``, ``design_load_kw`` (and ``dhw_mean_kw``
    for the DHW diversification), ``heated``; ``sites`` need ``site_id`` and
    point geometry; all in the same metric CRS. ``assignment`` (building_id ->
    site_id, e.g. from the siting stage) fixes each site's supply area; by
    default each building goes to the nearest site along the streets.
    ``backup`` (building_id, backup_site_id, backup_kw [kW]: the plan's backup
    site and the building's share of its district's backup requirement) adds
    the site-loss interconnectors (:mod:`teplo.network.interconnect`): pipes
    with ``ring`` and ``interconnector`` True, sized for the pair's backup
    load, normally closed (left out of the design state's flows); pairs with
    no street path within ``max_interconnector_m``, or whose backup site is
    not among ``sites``, are listed in ``warnings`` with one
    :class:`TeploWarning`. Raises :class:`InputError`
    naming sites that cannot reach a street and pipes no DN can carry.
    """
    s = settings or NetworkSettings()
    cat = load_pipe_catalogue() if catalogue is None else catalogue
    if buildings.crs is None or sites.crs is None or buildings.crs != sites.crs:
        raise InputError(
            f"buildings ({buildings.crs}) and sites ({sites.crs}) must be in the same metric CRS"
        )
    heated = buildings[buildings["heated"].astype(bool) & (buildings["design_load_kw"] > 0)]
    if heated.empty:
        raise InputError("no heated building with a design load > 0 to connect")
    graph: NetworkGraph = build_network_graph(
        streets, heated, max_service_length_m=s.max_service_length_m
    )
    graph = add_sites(graph, sites, max_connection_m=s.max_site_connection_m)
    if existing is not None and len(existing):
        graph = add_existing_pipes(graph, existing.to_crs(buildings.crs))
    cost = _cost_per_metre(cat, s)
    loads = heated.set_index("building_id")["design_load_kw"]
    supply_area = nearest_site(graph) if assignment is None else assignment.dropna().astype(str)
    routes, frames, warn = _route_per_site(graph, supply_area, loads, cost, s)
    frames.pipes["interconnector"] = False
    links = pd.DataFrame()
    path_flows = pd.DataFrame()
    if backup is not None:
        ic = build_interconnectors(
            graph,
            routes,
            supply_area,
            backup,
            max_length_m=s.max_interconnector_m,
        )
        frames = RouteFrames(
            nodes=gpd.GeoDataFrame(
                pd.concat([frames.nodes, ic.nodes], ignore_index=True),
                geometry="geometry",
                crs=frames.nodes.crs,
            ),
            pipes=gpd.GeoDataFrame(
                pd.concat([frames.pipes, ic.pipes], ignore_index=True),
                geometry="geometry",
                crs=frames.pipes.crs,
            ),
            consumers=frames.consumers,
            producers=pd.concat([frames.producers, ic.producers], ignore_index=True),
        )
        links = ic.pairs
        path_flows = ic.path_flows
        warn += ic.warnings
        for text in ic.warnings:
            warnings.warn(text, TeploWarning, stacklevel=2)
    pipes = frames.pipes.copy()
    t_s, t_r = regime_temperatures_c(s.regime)
    cp = float(heat_capacity_j_kgk(0.5 * (t_s + t_r)))

    # Sizing flow per pipe: space heat undiversified + diversified DHW peaks (module docstring).
    consumers = frames.consumers.merge(
        heated[["building_id", "dhw_mean_kw"]]
        if "dhw_mean_kw" in heated
        else heated[["building_id"]].assign(dhw_mean_kw=0.0),
        on="building_id",
        how="left",
    )
    dhw_node = consumers.groupby("node_id")["dhw_mean_kw"].sum()
    dhw_down = _downstream_sums(pipes, dhw_node)
    n_down = pipes["n_downstream"].to_numpy(np.int64)
    factor = np.asarray(simultaneity_factor(np.maximum(n_down, 1)), dtype=np.float64)
    if not s.simultaneity:
        factor = np.ones_like(factor)
    design_kw = pipes["design_flow_kw"].to_numpy(np.float64)
    sizing_kw = np.where(
        np.isnan(dhw_down),
        design_kw,
        design_kw - dhw_down + factor * DHW_PEAK_FACTOR * dhw_down,
    )
    own_kw = sizing_kw
    sizing_kw = _with_backup_flows(pipes, sizing_kw, path_flows, cat, s, warn)
    to_kg_s = 1e3 / (cp * (t_s - t_r))
    sizing_kg_s = pd.Series(sizing_kw * to_kg_s, index=pipes["pipe_id"].astype(str))
    needed_dn = size_pipes(sizing_kg_s, cat, s.max_dp_pa_per_m, s.max_velocity_m_s, t_s, t_r)
    own_dn = needed_dn
    if not np.array_equal(own_kw, sizing_kw):
        own_kg_s = pd.Series(own_kw * to_kg_s, index=sizing_kg_s.index)
        own_dn = size_pipes(own_kg_s, cat, s.max_dp_pa_per_m, s.max_velocity_m_s, t_s, t_r)
    existing_dn = pipes["dn"].astype("Int64")
    is_existing = pipes["existing"].to_numpy(bool) & existing_dn.notna().to_numpy()
    pipes["dn_required"] = needed_dn
    pipes["dn"] = np.where(is_existing, existing_dn.fillna(0).to_numpy(np.int64), needed_dn)
    pipes["too_small"] = is_existing & (pipes["dn"].to_numpy() < needed_dn)
    pipes["sizing_flow_kw"] = sizing_kw
    dn_cat = cat.set_index("dn")
    known = pipes["dn"].isin(dn_cat.index)
    if not known.all():
        bad = sorted(set(pipes.loc[~known, "dn"].tolist()))
        raise InputError(
            f"existing pipes: DN {bad} not in the pipe catalogue ({dn_cat.index.tolist()})"
        )
    par = dn_cat.loc[pipes["dn"].to_numpy()]
    pipes["cost_eur"] = np.where(
        is_existing, 0.0, pipes["length_m"] * par["cost_eur_per_m"].to_numpy()
    )
    own_cost = np.where(
        is_existing, 0.0, pipes["length_m"] * dn_cat.loc[np.asarray(own_dn), "cost_eur_per_m"].to_numpy()
    )
    upsizing_eur = float(np.sum(pipes["cost_eur"].to_numpy() - own_cost))

    tables, result = design_state(frames.nodes, pipes, consumers, frames.producers, s, cat)
    design = _assemble(list(routes.values()), frames.nodes, pipes, result, s)
    design.hydraulic_tables = tables
    design.warnings[:0] = warn
    design.interconnectors = _price_links(links, design.pipes)
    built = design.interconnectors["built"] if len(links) else pd.Series(dtype=bool)
    design.totals["interconnectors"] = float(built.sum())
    design.totals["backup_upsizing_cost_eur"] = upsizing_eur
    design.totals["interconnectors_not_built"] = float((~built.astype(bool)).sum())
    return design


def _with_backup_flows(
    pipes: pd.DataFrame,
    sizing_kw: np.ndarray,
    path_flows: pd.DataFrame,
    catalogue: pd.DataFrame,
    s: NetworkSettings,
    warn: list[str],
) -> np.ndarray:
    """Sizing flows [kW] with the backup flows the interconnectors send through the networks' pipes.

    A pipe between an interconnector's end and its plant carries, when its
    plant backs up the other site, its own load plus the backup (``out_kw``),
    and when the other plant backs up its site, the backup in reverse
    (``in_kw``): it is sized for the larger. Beyond the largest DN the pipe
    keeps the largest DN (or its own size) and ``warn`` says how many did.
    """
    if path_flows.empty:
        return sizing_kw
    flows = path_flows.set_index("node_id")
    tree = ~pipes["ring"].to_numpy(bool)
    to = pipes["to_node"].astype(str)
    out_kw = np.where(tree, to.map(flows["out_kw"]).fillna(0.0).to_numpy(float), 0.0)
    in_kw = np.where(tree, to.map(flows["in_kw"]).fillna(0.0).to_numpy(float), 0.0)
    backed = np.maximum(sizing_kw + out_kw, in_kw)
    t_s, t_r = regime_temperatures_c(s.regime)
    largest_kw = float(
        np.max(pipe_capacity_kg_s(catalogue, s.max_dp_pa_per_m, s.max_velocity_m_s, t_s, t_r))
        * heat_capacity_j_kgk(0.5 * (t_s + t_r)) * (t_s - t_r) / 1e3
    )
    over = backed > np.maximum(largest_kw, sizing_kw)
    if over.any():
        warn.append(
            f"{int(over.sum())} pipe(s) would need more than the largest DN to pass a site-loss backup flow; "
            "they keep the largest DN (the backup through them is limited)"
        )
    return np.where(over, np.maximum(largest_kw, sizing_kw), backed)


def _price_links(links: pd.DataFrame, pipes: pd.DataFrame) -> pd.DataFrame:
    """The interconnector pairs with their cost [EUR] and largest DN, from the sized pipes."""
    if links.empty:
        return links
    ic = pipes[pipes["interconnector"].to_numpy(bool)]
    pair = ic["pipe_id"].astype(str).str.rsplit(":", n=1).str[0]
    key = links["site_a"].astype(str) + PAIR_SEPARATOR + links["site_b"].astype(str)
    by = ic.groupby(pair.to_numpy())
    return links.assign(
        cost_eur=key.map(by["cost_eur"].sum()).fillna(0.0).to_numpy(),
        dn=key.map(by["dn"].max()).astype("Int64").to_numpy(),
    )


def nearest_site(graph: NetworkGraph) -> pd.Series:
    """Site of each connected building: the nearest along the streets (multi-source Dijkstra).

    Each plant gets its own supply area, as planners lay out separate
    micro-district networks; buildings no site reaches are left out.
    """
    sites = graph.site_nodes()
    if sites.empty:
        raise InputError("no plant site is connected to the street graph")
    buildings = graph.building_nodes()
    dist, _, source = dijkstra(
        graph.adjacency(),
        directed=False,
        indices=sites.to_numpy(),
        min_only=True,
        return_predecessors=True,
    )
    src = source[buildings.to_numpy()]
    reached = np.isfinite(dist[buildings.to_numpy()]) & (src >= 0)
    site_of_node = pd.Series(sites.index.to_numpy(), index=sites.to_numpy())
    site_ids = site_of_node.reindex(src[reached]).to_numpy(dtype=object)
    return pd.Series(site_ids, index=buildings.index[reached], name="site_id")


def _route_per_site(
    graph: NetworkGraph,
    supply_area: pd.Series,
    loads: pd.Series,
    cost: CostPerMetre,
    s: NetworkSettings,
) -> tuple[dict[str, Route], RouteFrames, list[str]]:
    """Route each site's supply area on its own; ids are prefixed by the site so networks stay apart."""
    routes: dict[str, Route] = {}
    parts: list[RouteFrames] = []
    warn: list[str] = []
    known = set(graph.site_nodes().index)
    unknown = sorted(set(supply_area.to_numpy()) - known)
    if unknown:
        raise InputError(
            f"building assignment names site(s) not in the network: {', '.join(unknown[:10])}"
        )
    for site_id, group in supply_area.groupby(supply_area, sort=True):
        ids = sorted(group.index)
        r = route(
            graph,
            ids,
            [site_id],
            cost_eur_per_m=cost,
            method=s.method,
            design_load_kw=loads.reindex(ids),
            time_limit_s=s.milp_time_limit_s,
            mip_gap=s.milp_gap,
        )
        if s.rings:
            r = close_rings(
                r,
                graph,
                cost_eur_per_m=cost,
                max_ring_length_m=s.max_ring_length_m,
                between_sites=False,
                within_sites=True,
            )
        routes[str(site_id)] = r
        f = route_to_frames(r)
        prefix = f"{site_id}:"
        f.pipes["pipe_id"] = prefix + f.pipes["pipe_id"].astype(str)
        for frame, cols in (
            (f.pipes, ("from_node", "to_node")),
            (f.nodes, ("node_id",)),
            (f.consumers, ("node_id",)),
            (f.producers, ("node_id",)),
        ):
            for col in cols:
                frame[col] = prefix + frame[col].astype(str)
        parts.append(f)
    idle = sorted(known - set(supply_area.to_numpy()))
    if idle:
        warn.append(f"{len(idle)} site(s) serve no building: {', '.join(map(str, idle[:10]))}")
    if not parts:
        raise InputError("no building could be assigned to any site along the streets")
    nodes = pd.concat([p.nodes for p in parts], ignore_index=True)
    frames = RouteFrames(
        nodes=gpd.GeoDataFrame(nodes, geometry="geometry", crs=parts[0].nodes.crs),
        pipes=gpd.GeoDataFrame(
            pd.concat([p.pipes for p in parts], ignore_index=True),
            geometry="geometry",
            crs=parts[0].pipes.crs,
        ),
        consumers=pd.concat([p.consumers for p in parts], ignore_index=True),
        producers=pd.concat([p.producers for p in parts], ignore_index=True),
    )
    return routes, frames, warn


HydraulicTables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as an array (False where absent or empty, e.g. in an older study)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _hydraulic_tables(
    nodes: pd.DataFrame,
    pipes: pd.DataFrame,
    consumers: pd.DataFrame,
    producers: pd.DataFrame,
    s: NetworkSettings,
    lift_pa: float,
    catalogue: pd.DataFrame | None = None,
) -> HydraulicTables:
    """The four hydraulic tables for the design state (every consumer at its design load).

    ``pipes`` need pipe_id, from_node, to_node, length_m, dn; ``consumers``
    building_id, node_id, design_load_kw; ``producers`` site_id, node_id.
    """
    cat = (load_pipe_catalogue() if catalogue is None else catalogue).set_index("dn")
    par = cat.loc[pipes["dn"].to_numpy(np.int64)]
    t_s, t_r = regime_temperatures_c(s.regime)
    hn = pd.DataFrame({"node_id": nodes["node_id"].astype(str)})
    hp = pd.DataFrame(
        {
            "pipe_id": pipes["pipe_id"].astype(str).to_numpy(),
            "from_node": pipes["from_node"].astype(str).to_numpy(),
            "to_node": pipes["to_node"].astype(str).to_numpy(),
            "length_m": np.maximum(pipes["length_m"].to_numpy(np.float64), 0.01),
            "inner_diameter_m": par["inner_diameter_mm"].to_numpy(np.float64) / 1e3,
            "roughness_mm": par["roughness_mm"].to_numpy(np.float64),
            "u_w_per_m_k": par["u_w_per_m_k"].to_numpy(np.float64),
            "ground_temp_c": s.ground_temp_c,
            # interconnectors are normally closed: each site's network is solved on its own
            "valve_open": ~_flag(pipes, "interconnector"),
            # what an interconnector was sized for (the backup load), for the stress check
            "capacity_kw": np.where(
                _flag(pipes, "interconnector"),
                pd.to_numeric(pipes.get("design_flow_kw", pd.Series(np.nan, index=pipes.index)), errors="coerce"),
                np.nan,
            ),
        }
    )
    hc = pd.DataFrame(
        {
            "consumer_id": consumers["building_id"].astype(str).to_numpy(),
            "node": consumers["node_id"].astype(str).to_numpy(),
            "heat_w": consumers["design_load_kw"].to_numpy(np.float64) * 1e3,
            "return_temp_c": t_r,
            "min_dp_pa": s.min_dp_pa,
        }
    )
    # Each site has its own network (ids prefixed by site), so each producer holds the
    # pressure of its island: a circulation pump with fixed supply and return pressure.
    served = producers.sort_values("site_id")
    hpr = pd.DataFrame(
        {
            "producer_id": served["site_id"].astype(str).to_numpy(),
            "node": served["node_id"].astype(str).to_numpy(),
            "mode": "pressure",
            "supply_temp_c": t_s,
            # return side held at 2 bar(g), about the static head of a 9-storey block [E]
            "p_supply_pa": 2e5 + lift_pa,
            "p_return_pa": 2e5,
            "pump_efficiency": s.pump_efficiency,
        }
    )
    return hn, hp, hc, hpr


def design_state(
    nodes: pd.DataFrame,
    pipes: pd.DataFrame,
    consumers: pd.DataFrame,
    producers: pd.DataFrame,
    settings: NetworkSettings | None = None,
    catalogue: pd.DataFrame | None = None,
) -> tuple[HydraulicTables, HydraulicResult]:
    """Solve the design state with the pump lift that gives the critical consumer ``min_dp_pa``.

    Flows do not depend on the lift (consumers draw their heat at a fixed return
    temperature), so a first solve with a generous lift gives every consumer's
    pressure loss, and the second solve (warm-started) runs at the needed lift.
    Returns the final tables (for later checks, e.g. the stress tests) and result.
    """
    s = settings or NetworkSettings()
    if producers.empty:
        raise InputError("no plant site is connected to the network")
    trial = 10e5
    tables = _hydraulic_tables(nodes, pipes, consumers, producers, s, trial, catalogue)
    first = solve(HydraulicNetwork.from_frames(*tables, allow_unsupplied=True), allow_unsupplied=True)
    dp = first.consumers["dp_pa"].to_numpy(np.float64)
    finite = dp[np.isfinite(dp)]
    lift = max(trial - (float(finite.min()) if finite.size else trial) + s.min_dp_pa, s.min_dp_pa)
    tables = _hydraulic_tables(nodes, pipes, consumers, producers, s, lift, catalogue)
    net = HydraulicNetwork.from_frames(*tables, allow_unsupplied=True)
    return tables, solve(net, warm_start=first, allow_unsupplied=True)


def tables_from_layers(
    pipes: pd.DataFrame, network_nodes: pd.DataFrame, buildings: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Nodes, pipes, consumers and producers from a saved study's ``pipes``/``network_nodes``."""
    nodes = network_nodes[["node_id"]].astype(str)
    b_nodes = network_nodes[network_nodes["kind"] == "building"]
    consumers = pd.DataFrame(
        {"building_id": b_nodes["building_id"].astype(str), "node_id": b_nodes["node_id"].astype(str)}
    ).merge(
        buildings[["building_id", "design_load_kw"]].astype({"building_id": str}), on="building_id"
    )
    s_nodes = network_nodes[network_nodes["kind"] == "site"]
    producers = pd.DataFrame(
        {"site_id": s_nodes["site_id"].astype(str), "node_id": s_nodes["node_id"].astype(str)}
    )
    return nodes, pipes, consumers, producers


def _assemble(
    routes: list[Route],
    nodes: gpd.GeoDataFrame,
    pipes: gpd.GeoDataFrame,
    result: HydraulicResult,
    s: NetworkSettings,
) -> NetworkDesign:
    """The ``pipes`` and ``network_nodes`` layers and the totals."""
    pipes = pipes.copy()
    ids = pipes["pipe_id"].astype(str).to_numpy()
    pr = result.pipes.reindex(ids)
    pipes["pipe_id"] = ids
    pipes["mass_flow_kg_s"] = pr["supply_mass_flow_kg_s"].to_numpy()
    pipes["velocity_m_s"] = pr["supply_velocity_m_s"].to_numpy()
    pipes["pressure_drop_pa"] = pr["supply_pressure_drop_pa"].to_numpy()
    pipes["dp_pa_per_m"] = pipes["pressure_drop_pa"].abs() / pipes["length_m"].clip(lower=0.01)
    pipes["heat_loss_kw"] = (pr["supply_heat_loss_w"] + pr["return_heat_loss_w"]).to_numpy() / 1e3
    pipes["t_supply_in_c"] = pr["supply_t_in_c"].to_numpy()
    pipes["t_supply_out_c"] = pr["supply_t_out_c"].to_numpy()
    cols = [
        "pipe_id",
        "dn",
        "dn_required",
        "too_small",
        "length_m",
        "from_node",
        "to_node",
        "kind",
        "existing",
        "laying_year",
        "ring",
        "interconnector",
        "site_id",
        "n_downstream",
        "design_flow_kw",
        "sizing_flow_kw",
        "mass_flow_kg_s",
        "velocity_m_s",
        "pressure_drop_pa",
        "dp_pa_per_m",
        "heat_loss_kw",
        "t_supply_in_c",
        "t_supply_out_c",
        "cost_eur",
        "geometry",
    ]
    pipes = gpd.GeoDataFrame(pipes[cols], geometry="geometry", crs=pipes.crs)

    nr = result.nodes
    out_nodes = nodes.copy()
    key = out_nodes["node_id"].astype(str).to_numpy()
    for col in ("p_supply_pa", "p_return_pa", "t_supply_c", "t_return_c"):
        out_nodes[col] = nr[col].reindex(key).to_numpy()
    cons = result.consumers.reset_index()
    prod = result.producers.reset_index()
    delivered_kw = float(cons["heat_supplied_w"].sum()) / 1e3
    loss_kw = float(pipes["heat_loss_kw"].sum())
    trench = (
        pipes.assign(new_trench_m=pipes["length_m"].where(~pipes["existing"], 0.0))
        .groupby("dn")
        .agg(
            trench_m=("length_m", "sum"),
            new_trench_m=("new_trench_m", "sum"),
            cost_eur=("cost_eur", "sum"),
        )
    )
    too_small = pipes.loc[
        pipes["too_small"], ["pipe_id", "dn", "dn_required", "laying_year", "length_m"]
    ]
    warnings = []
    unsupplied = cons.loc[~cons["supplied"].astype(bool), "consumer_id"].tolist()
    if unsupplied:
        warnings.append(f"{len(unsupplied)} building(s) not supplied: {', '.join(unsupplied[:10])}")
    dp_short = cons.loc[
        cons["supplied"].astype(bool) & ~cons["dp_ok"].astype(bool), "consumer_id"
    ].tolist()
    if dp_short:
        warnings.append(
            f"{len(dp_short)} consumer(s) below {s.min_dp_pa / 1e5:.1f} bar differential pressure"
        )
    if len(too_small):
        warnings.append(
            f"{len(too_small)} existing pipe(s) too small for their new duty: "
            + ", ".join(too_small["pipe_id"].astype(str).head(10))
        )
    unreachable = [b for r in routes for b in r.unreachable]
    if unreachable:
        warnings.append(
            f"{len(unreachable)} building(s) unreachable along streets: "
            + ", ".join(map(str, unreachable[:10]))
        )
    link = pipes["interconnector"].to_numpy(bool)
    totals = {
        "route_km": float(pipes["length_m"].sum()) / 1e3,
        "new_trench_km": float(pipes.loc[~pipes["existing"], "length_m"].sum()) / 1e3,
        "reused_km": float(pipes.loc[pipes["existing"], "length_m"].sum()) / 1e3,
        "cost_eur": float(pipes["cost_eur"].sum()),
        "interconnector_km": float(pipes.loc[link, "length_m"].sum()) / 1e3,
        "interconnector_cost_eur": float(pipes.loc[link, "cost_eur"].sum()),
        "delivered_kw": delivered_kw,
        "heat_loss_kw": loss_kw,
        "loss_share": loss_kw / delivered_kw if delivered_kw > 0 else float("nan"),
        "pump_power_kw": float(prod["pump_power_w"].sum()) / 1e3,
        "max_velocity_m_s": float(np.nanmax(np.abs(pipes["velocity_m_s"]))) if len(pipes) else 0.0,
        "buildings_connected": float(len(cons)),
        "buildings_unsupplied": float(len(unsupplied)),
        "sites": float(len(prod)),
    }
    return NetworkDesign(
        pipes=pipes,
        nodes=out_nodes,
        hydraulics=result,
        routes=routes,
        totals=totals,
        trench_by_dn=trench,
        too_small_existing=too_small,
        warnings=warnings,
    )
