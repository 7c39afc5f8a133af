"""Where to put boiler houses and CHP, how many modules of which size, which districts each serves.

:func:`plan_supply` runs the stage end to end (districts -> arcs -> MILP ->
result); :func:`solve_siting` starts from districts the caller already has (a
user's own grouping, or a re-run). The MILP is in :mod:`teplo.supply.model`,
the decomposition in :mod:`teplo.supply.decompose`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from teplo.errors import InputError
from teplo.supply.candidates import candidate_arcs, dispersion_circles
from teplo.supply.catalogue import load_unit_catalogue
from teplo.supply.costs import NetworkCost
from teplo.supply.decompose import Decomposed, solve_decomposed
from teplo.supply.distance import StreetIndex
from teplo.supply.districts import make_districts
from teplo.supply.guide import caps_the_area_allows, solve_city_lp
from teplo.supply.model import build_problem, solve_problem
from teplo.supply.repair import repair_neighbourhoods
from teplo.supply.result import SitingInfeasibleError, SitingResult, assemble_result
from teplo.supply.settings import SitingSettings
from teplo.supply.sites import generate_sites

DISTRICT_COLUMNS = ("district_id", "design_load_kw", "annual_heat_mwh", "x", "y", "radius_m")


def plan_supply(
    buildings: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    catalogue: pd.DataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    settings: SitingSettings | None = None,
    network_cost: NetworkCost | None = None,
) -> SitingResult:
    """Plan heat supply for ``buildings`` (with demand) from candidate ``sites`` (metric CRS).

    ``network_cost`` is EUR per metre of trench or a function kW -> EUR/m
    (default ``settings.economics.network_cost_eur_per_m``). Raises
    :class:`SitingInfeasibleError` (carrying the best relaxed plan) when a
    requirement cannot be met and ``settings.solver.on_infeasible == 'raise'``.
    ``settings.solver.time_limit_s`` counts from this call, districts and arcs included.
    """
    started = time.perf_counter()
    settings = settings or SitingSettings()
    index = StreetIndex.from_streets(streets, settings.districts.detour_factor)
    found = make_districts(buildings, settings.districts, index, settings.resilience.priority)
    sites = add_sites_for_unreachable(found.districts, sites, buildings, streets, index, settings)
    return solve_siting(found.districts, found.membership, sites, catalogue, settings, network_cost, index,
                        started=started)


def add_sites_for_unreachable(
    districts: pd.DataFrame,
    sites: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    index: StreetIndex,
    settings: SitingSettings,
) -> gpd.GeoDataFrame:
    """Add generated plots for districts that have no candidate site within the pipe reach.

    Candidates are generated before the districts exist, near buildings short of
    candidates; a district whose centre is far from all of them (a large radius
    leaves little of the reach) would otherwise go unsupplied. Plots on open land
    beside streets (same rules as :func:`teplo.supply.sites.generate_sites`,
    everywhere) that are within reach of such a district are added, ids
    ``gen-r#####``. Nothing is added when generation is switched off.
    """
    solver = settings.solver
    if settings.sites.generate == "never" or len(districts) == 0:
        return sites
    arcs = candidate_arcs(districts, sites, index, settings.pipe_reach_m, 1) if len(sites) else None
    lacking = districts if arcs is None else districts.loc[~districts["district_id"].isin(arcs["district_id"])]
    if len(lacking) == 0:
        return sites
    everywhere = settings.sites.model_copy(update={"generate": "always"})
    extra = generate_sites(buildings, streets, None, everywhere,
                           settings.pipe_reach_m - settings.districts.max_radius_m,
                           settings.districts.detour_factor)
    if len(extra) == 0:
        return sites
    near = candidate_arcs(lacking, extra, index, settings.pipe_reach_m, solver.n_candidate_sites,
                          solver.candidate_spacing_m)
    extra = extra.loc[extra["site_id"].isin(near["site_id"])].copy()
    if len(sites) and len(extra):  # not on top of a candidate already offered
        gap, _ = cKDTree(shapely.get_coordinates(sites.geometry.to_numpy())).query(
            shapely.get_coordinates(extra.geometry.to_numpy()))
        extra = extra.loc[gap >= settings.sites.spacing_m / 2]
    extra["site_id"] = [f"gen-r{i:05d}" for i in range(len(extra))]
    columns = [c for c in sites.columns if c in extra.columns]
    return gpd.GeoDataFrame(pd.concat([sites, extra[columns]], ignore_index=True), geometry="geometry",
                            crs=sites.crs if sites.crs is not None else extra.crs)


def solve_siting(
    districts: pd.DataFrame,
    membership: pd.DataFrame,
    sites: gpd.GeoDataFrame,
    catalogue: pd.DataFrame | None = None,
    settings: SitingSettings | None = None,
    network_cost: NetworkCost | None = None,
    index: StreetIndex | None = None,
    started: float | None = None,
) -> SitingResult:
    """Site units for given districts (columns of :func:`make_districts`) and candidate sites.

    The time limit counts from ``started`` (a ``time.perf_counter()`` value; default: now).
    """
    t0 = time.perf_counter() if started is None else started
    settings = settings or SitingSettings()
    catalogue = load_unit_catalogue() if catalogue is None else catalogue
    index = index or StreetIndex(None, np.zeros((0, 2)), settings.districts.detour_factor)
    missing = [c for c in DISTRICT_COLUMNS if c not in districts.columns]
    if missing:
        raise InputError(f"districts: missing column(s) {', '.join(missing)}")
    if len(sites) == 0:
        raise InputError("sites: no candidate site; give OSM features, a user file or allow generated sites")
    if sites["site_id"].duplicated().any():
        raise InputError(f"sites: duplicate site_id '{sites.loc[sites['site_id'].duplicated(), 'site_id'].iloc[0]}'")
    solver = settings.solver
    arcs = candidate_arcs(districts, sites, index, settings.pipe_reach_m, solver.n_candidate_sites,
                          solver.candidate_spacing_m)
    reachable = districts["district_id"].isin(arcs["district_id"])
    unreachable = sorted(districts.loc[~reachable, "district_id"].tolist())
    disp = settings.resilience.dispersion
    circles = (dispersion_circles(sites, disp.radius_m, pd.Index(arcs["site_id"].unique())) if disp.enabled
               else pd.DataFrame({"circle_id": pd.Series(dtype=str), "site_id": pd.Series(dtype=str)}))
    problem = build_problem(districts.loc[reachable], sites, arcs, circles, catalogue, settings, network_cost)
    n_arcs = problem.arcs.groupby("district_id").size().reindex(problem.districts.index).fillna(0)
    no_backup = sorted(problem.districts.index[(problem.districts["backup_kw"] > 0) & (n_arcs < 2)].tolist())
    decompose = solver.decompose == "always" or (
        solver.decompose == "auto" and len(problem.districts) > solver.max_cluster_districts)
    guide = None
    if decompose and solver.city_lp_share > 0:
        left = solver.time_limit_s - (time.perf_counter() - t0)
        guide = solve_city_lp(problem, solver, solver.city_lp_share * left)
    if decompose:
        xy = districts.set_index("district_id")[["x", "y"]]
        # too dense for the cap (the LP says): aim at the least caps the area allows; the plan is still
        # checked, and its circles above the required cap listed, against ``problem``
        target = problem if guide is None else replace(problem, circle_cap_kw=caps_the_area_allows(problem, guide))
        dec = solve_decomposed(target, xy, solver, deadline=t0 + solver.time_limit_s, guide=guide)
        if solver.repair_share > 0:
            dec = repair_neighbourhoods(target, dec, solver, deadline=t0 + solver.time_limit_s)
    else:
        left = max(solver.time_limit_s - (time.perf_counter() - t0), 1.0)
        dec = Decomposed([], [problem], [solve_problem(problem, solver, left)], 0)
    result = assemble_result(
        problem, dec.solutions, dec.problems, districts, membership, sites, catalogue, settings,
        time.perf_counter() - t0, decompose, dec.resolved, unreachable, no_backup, guide, dec.repaired,
    )
    if not result.feasible and solver.on_infeasible == "raise":
        lines = result.summary.binding[:20]
        more = len(result.summary.binding) - len(lines)
        raise SitingInfeasibleError(
            "siting: the requirements cannot all be met ("
            + result.summary.status.value + "):\n  " + "\n  ".join(lines)
            + (f"\n  ... and {more} more" if more > 0 else "")
            + "\nThe best relaxation (resilience slack penalised at "
            f"{settings.resilience.slack_penalty_eur_per_kw:g} EUR/kW/a) is in the error's .result; "
            "offer more candidate sites, raise pipe_reach_m or lower alpha/beta.",
            result,
        )
    return result
