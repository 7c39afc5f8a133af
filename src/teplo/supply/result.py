"""The siting stage's result: districts, sites, units, building assignment, summary."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from teplo.errors import InfeasibleError
from teplo.supply import tables as _tables  # noqa: F401  (registers the plan's layers in teplo.schema)
from teplo.supply.guide import CityLP, caps_the_area_allows
from teplo.supply.model import SLACK_TOL_KW, SitingProblem, SolveStatus, SubSolution
from teplo.supply.settings import SitingSettings


@dataclass
class SitingSummary:
    """Headline numbers of a plan. Money in EUR, capacity in MW, energy in MWh/a.

    ``bound_eur_a``/``gap``: the sum of the subproblems' dual bounds, a bound of the
    decomposed problem. ``lp_*`` come from the city-wide LP (:mod:`teplo.supply.guide`,
    NaN when it did not run): the dispersion excess and other slack [kW] that no plan
    over the offered sites avoids, its objective (a bound of the whole problem) and,
    for a feasible plan when the LP needs no slack, ``lp_gap`` = (cost - bound) / cost.
    """

    status: SolveStatus
    n_sites: int
    n_districts: int
    units_by_type: dict[str, int]
    heat_mw: float
    power_mw: float
    design_load_mw: float
    annual_heat_mwh: float
    capex_eur: float
    capex_units_eur: float
    capex_sites_eur: float
    capex_network_eur: float
    annual_cost_eur: float
    cost_eur_per_mwh: float
    objective_eur_a: float
    bound_eur_a: float
    gap: float
    solve_time_s: float
    n_subproblems: int
    decomposed: bool
    resolved_subproblems: int = 0
    repaired_neighbourhoods: int = 0
    unreachable_districts: list[str] = field(default_factory=list)
    no_backup_districts: list[str] = field(default_factory=list)
    binding: list[str] = field(default_factory=list)
    lp_dispersion_excess_kw: float = math.nan
    lp_other_slack_kw: float = math.nan
    lp_bound_eur_a: float = math.nan
    lp_gap: float = math.nan
    lp_time_s: float = math.nan
    lp_raised_circles: int = 0  # circles whose cap the plan was allowed to exceed (the area needs it)
    lp_max_raise_kw: float = 0.0  # the largest such raise over the required cap [kW]
    beyond_lp: int = 0  # shortfalls of the search: circles above the LP's caps, and every non-dispersion one
    diagnosis: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain dict (status as its value) for reports and JSON."""
        d = asdict(self)
        d["status"] = self.status.value
        return d


@dataclass
class SitingResult:
    """A supply plan.

    districts: district_id, design_load_kw, annual_heat_mwh, n_buildings, priority
        counts, site_id, backup_site_id, connection_m, backup_m, geometry (hull).
    sites: every candidate site_id with source, kind, chosen, heat_kw, power_kw,
        load_kw (design load it serves), max_heat_kw, area_m2, chp_islanding (has CHP,
        designed to run islanded), has_backup (has a diesel genset), geometry (point).
    units: one row per installed module: unit_id, site_id, unit_type, kind,
        heat_kw, power_kw, aux_power_kw, capex_eur.
    buildings: building_id, district_id, site_id, backup_site_id.
    slack: relaxed constraints (constraint, key, slack_kw, districts); empty when feasible.
    """

    districts: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    units: pd.DataFrame
    buildings: pd.DataFrame
    summary: SitingSummary
    slack: pd.DataFrame

    @property
    def feasible(self) -> bool:
        """True when every constraint holds and every district is served."""
        return self.summary.status.is_ok and not self.summary.unreachable_districts


class SitingInfeasibleError(InfeasibleError):
    """The plan's requirements cannot all be met; ``result`` holds the best relaxed plan."""

    def __init__(self, message: str, result: SitingResult) -> None:
        super().__init__(message)
        self.result = result


def units_table(solutions: list[SubSolution], catalogue: pd.DataFrame) -> pd.DataFrame:
    """One row per installed module (heat modules and diesel generators)."""
    parts = []
    for sol in solutions:
        if len(sol.modules):
            parts.append(sol.modules.rename(columns={"type": "unit_type"}))
        if len(sol.generators):
            parts.append(sol.generators.rename(columns={"gen": "unit_type"}))
    cols = ["unit_id", "site_id", "unit_type", "kind", "heat_kw", "power_kw", "aux_power_kw", "capex_eur"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c.endswith(("_kw", "_eur")) else str) for c in cols})
    counts = pd.concat(parts, ignore_index=True).sort_values(["site_id", "unit_type"], kind="stable")
    rows = counts.loc[counts.index.repeat(counts["count"].to_numpy())].reset_index(drop=True)
    rows["i"] = rows.groupby(["site_id", "unit_type"]).cumcount() + 1
    cat = catalogue.reindex(rows["unit_type"])
    out = pd.DataFrame({
        "unit_id": rows["site_id"] + "/" + rows["unit_type"] + "/" + rows["i"].astype(str),
        "site_id": rows["site_id"].to_numpy(),
        "unit_type": rows["unit_type"].to_numpy(),
        "kind": cat["kind"].to_numpy(),
        "heat_kw": cat["heat_kw"].to_numpy(dtype=float),
        "power_kw": cat["power_kw"].to_numpy(dtype=float),
        "aux_power_kw": cat["aux_power_kw"].to_numpy(dtype=float),
        "capex_eur": cat["capex_eur"].to_numpy(dtype=float),
    })
    return out[cols]


def describe_slack(slack: pd.DataFrame, assignment: pd.Series, backup: pd.Series, p: SitingProblem) -> pd.DataFrame:
    """Attach the districts concerned to every relaxed constraint and a readable message."""
    if slack.empty:
        return slack.assign(districts=pd.Series(dtype=object), message=pd.Series(dtype=str))
    by_site = assignment.groupby(assignment).groups
    rows = []
    for r in slack.itertuples(index=False):
        key = str(r.key)
        if r.constraint == "backups-pair":
            a, b = key.split("->", 1)
            ds = sorted(str(d) for d, s in assignment.items() if s == a and backup.get(d) == b)
            msg = (f"backups-pair: site {b} cannot carry the backup share of districts {', '.join(ds)} when site "
                   f"{a} is lost: {r.slack_kw:.0f} kW short")
        elif r.constraint == "circles-dispersion":
            members = p.circles.loc[p.circles["circle_id"] == key, "site_id"].tolist()
            ds = sorted(str(d) for s in members for d in by_site.get(s, []))
            msg = (f"circles-dispersion: capacity within the circle around site {key} (sites {', '.join(members)}) "
                   f"exceeds the cap by {r.slack_kw:.0f} kW; districts {', '.join(ds)}")
        elif r.constraint == "districts-assign":
            ds = [key]
            msg = (f"districts-assign: no offered site can take district {key} ({float(np.asarray(r.slack_kw)):.0f} kW "
                   "unserved): its candidate sites lack area or capacity; offer more sites or raise pipe_reach_m")
        else:
            ds = sorted(str(d) for d in by_site.get(key, []))
            what = {"sites-nk": "capacity left after losing its largest module(s) is",
                    "sites-blackout": "CHP + diesel power for its auxiliaries is"}[str(r.constraint)]
            msg = f"{r.constraint}: at site {key} (districts {', '.join(ds)}) the {what} {r.slack_kw:.0f} kW short"
        rows.append((r.constraint, key, float(np.asarray(r.slack_kw)), ds, msg))
    return pd.DataFrame(rows, columns=["constraint", "key", "slack_kw", "districts", "message"])


def assemble_result(
    problem: SitingProblem,
    solutions: list[SubSolution],
    subproblems: list[SitingProblem],
    districts: gpd.GeoDataFrame,
    membership: pd.DataFrame,
    sites: gpd.GeoDataFrame,
    catalogue: pd.DataFrame,
    settings: SitingSettings,
    solve_time_s: float,
    decomposed: bool,
    resolved: int,
    unreachable: list[str],
    no_backup: list[str],
    guide: CityLP | None = None,
    repaired: int = 0,
) -> SitingResult:
    """Turn subproblem solutions into the result tables and the summary.

    Dispersion is checked on the union of the subproblems' plans against the
    required cap (a cluster above its share of a shared circle is no violation
    while the circle as a whole keeps the cap).
    """
    assignment = pd.concat([s.assignment for s in solutions if len(s.assignment)]) if solutions else pd.Series(
        dtype=str)
    assignment = assignment.sort_index() if len(assignment) else pd.Series(dtype=str, name="site_id")
    backups = [s.backup for s in solutions if len(s.backup)]
    backup = pd.concat(backups).sort_index() if backups else pd.Series(dtype=str, name="backup_site_id")
    units = units_table(solutions, catalogue)
    # districts
    dist = districts.copy()
    dist["site_id"] = dist["district_id"].map(assignment)
    dist["backup_site_id"] = dist["district_id"].map(backup)
    arc_len = problem.arcs.set_index(["district_id", "site_id"])["distance_m"]
    key_p = pd.MultiIndex.from_arrays([dist["district_id"], dist["site_id"].fillna("")])
    key_b = pd.MultiIndex.from_arrays([dist["district_id"], dist["backup_site_id"].fillna("")])
    dist["connection_m"] = arc_len.reindex(key_p).to_numpy()
    dist["backup_m"] = arc_len.reindex(key_b).to_numpy()
    # sites
    st = sites.copy()
    heat = units.groupby("site_id")["heat_kw"].sum()
    power = units.groupby("site_id")["power_kw"].sum()
    load = dist.groupby("site_id")["design_load_kw"].sum()
    st["heat_kw"] = st["site_id"].map(heat).fillna(0.0)
    st["power_kw"] = st["site_id"].map(power).fillna(0.0)
    st["load_kw"] = st["site_id"].map(load).fillna(0.0)
    st["chosen"] = st["site_id"].isin(units["site_id"])  # any module, also a genset-only site of a relaxed plan
    # what the blackout constraint designed for: CHP sites run islanded, diesel sites have a backup genset
    st["chp_islanding"] = st["site_id"].isin(units.loc[units["kind"] == "chp", "site_id"])
    st["has_backup"] = st["site_id"].isin(units.loc[units["kind"] == "diesel", "site_id"])
    # buildings
    b = membership.copy()
    b["site_id"] = b["district_id"].map(assignment)
    b["backup_site_id"] = b["district_id"].map(backup)
    # slack
    slack_parts = [describe_slack(s.slack.loc[s.slack["constraint"] != "circles-dispersion"], assignment, backup, sp)
                   for s, sp in zip(solutions, subproblems, strict=True) if len(s.slack)]
    excess = dispersion_excess(problem, units)
    if len(excess):
        rows = pd.DataFrame({"constraint": "circles-dispersion", "key": excess.index.astype(str),
                             "slack_kw": excess.to_numpy(dtype=float)})
        slack_parts.append(describe_slack(rows, assignment, backup, problem))
    slack = pd.concat(slack_parts, ignore_index=True) if slack_parts else pd.DataFrame()
    # money
    econ = settings.economics
    arc_capex = problem.arcs.set_index(["district_id", "site_id"])["capex_eur"]
    bk = problem.backups.drop_duplicates(["district_id", "backup_site_id"])
    backup_capex = bk.set_index(["district_id", "backup_site_id"])["capex_eur"]
    net_capex = float(np.nansum(arc_capex.reindex(key_p).to_numpy(dtype=float)))
    net_capex += float(np.nansum(backup_capex.reindex(key_b).to_numpy(dtype=float)))
    n_sites = int(st["chosen"].sum())
    capex_units = float(units["capex_eur"].sum())
    capex_sites = n_sites * econ.site_fixed_capex_eur
    ok = [s for s in solutions if not math.isnan(s.objective_eur_a)]
    objective = float(sum(s.objective_eur_a for s in ok))
    cost = float(sum(s.cost_eur_a for s in ok))
    bound = float(sum(s.bound_eur_a for s in ok)) if ok else -math.inf
    gap = (objective - bound) / abs(objective) if ok and objective else math.nan
    statuses = [s.status for s in solutions]
    if SolveStatus.FAILED in statuses:
        status = SolveStatus.FAILED
    elif len(slack):
        status = SolveStatus.RELAXED
    elif SolveStatus.RELAXED in statuses or SolveStatus.FEASIBLE in statuses:  # RELAXED here: over a share only
        status = SolveStatus.FEASIBLE
    else:
        status = SolveStatus.OPTIMAL
    served = dist["site_id"].notna()
    annual = float(dist.loc[served, "annual_heat_mwh"].sum())
    binding = slack["message"].tolist() if len(slack) else []
    binding += [f"districts-assign: district {d} has no candidate site within the pipe reach" for d in unreachable]
    summary = SitingSummary(
        status=status, n_sites=n_sites, n_districts=int(served.sum()),
        units_by_type={str(k): int(v) for k, v in units["unit_type"].value_counts().sort_index().items()},
        heat_mw=float(units["heat_kw"].sum()) / 1000.0, power_mw=float(units["power_kw"].sum()) / 1000.0,
        design_load_mw=float(dist.loc[served, "design_load_kw"].sum()) / 1000.0, annual_heat_mwh=annual,
        capex_eur=capex_units + capex_sites + net_capex, capex_units_eur=capex_units, capex_sites_eur=capex_sites,
        capex_network_eur=net_capex, annual_cost_eur=cost, cost_eur_per_mwh=cost / annual if annual else math.nan,
        objective_eur_a=objective, bound_eur_a=bound, gap=gap, solve_time_s=solve_time_s,
        n_subproblems=len(solutions), decomposed=decomposed, resolved_subproblems=resolved,
        repaired_neighbourhoods=repaired,
        unreachable_districts=unreachable, no_backup_districts=no_backup, binding=binding,
    )
    if guide is not None:
        summary.lp_dispersion_excess_kw = guide.dispersion_excess_kw
        summary.lp_other_slack_kw = guide.other_slack_kw
        summary.lp_bound_eur_a = guide.objective_eur_a
        summary.lp_time_s = guide.solve_time_s
        allowed = caps_the_area_allows(problem, guide)
        raised = allowed - problem.circle_cap_kw
        summary.lp_raised_circles = int((raised > SLACK_TOL_KW).sum())
        summary.lp_max_raise_kw = float(raised.max()) if len(raised) else 0.0
        beyond = dispersion_excess(replace(problem, circle_cap_kw=allowed), units)
        other = int((slack["constraint"] != "circles-dispersion").sum()) if len(slack) else 0
        summary.beyond_lp = len(beyond) + other
        if status.is_ok and guide.dispersion_excess_kw + guide.other_slack_kw <= SLACK_TOL_KW and cost:
            summary.lp_gap = max((cost - guide.objective_eur_a) / abs(cost), 0.0)
    summary.diagnosis = diagnose(summary, settings)
    return SitingResult(dist, st, units, b, summary, slack)


def diagnose(s: SitingSummary, settings: SitingSettings) -> list[str]:
    """Why a plan is relaxed, from the city LP: the area (no plan can do better) or the search (one could)."""
    if s.status.is_ok or not s.binding:
        return []
    if math.isnan(s.lp_dispersion_excess_kw):
        return ["the city-wide LP did not run (single subproblem, city_lp_share = 0 or out of time): "
                "no certificate of what the area allows"]
    out = []
    cap = settings.resilience.dispersion
    if s.lp_dispersion_excess_kw > SLACK_TOL_KW:
        out.append(
            f"the area is too dense for the dispersion rule: no plan over the offered sites, even with "
            f"fractional modules, keeps every {cap.radius_m:g} m circle within {cap.cap_kw / 1000:g} MW; the "
            f"least cap that can be met is {(cap.cap_kw + s.lp_dispersion_excess_kw) / 1000:.2f} MW (city LP); "
            f"the plan was held to the LP's caps, raised only in the {s.lp_raised_circles} circle(s) the LP "
            f"needs above {cap.cap_kw / 1000:g} MW, by at most {s.lp_max_raise_kw / 1000:.2f} MW")
    if s.lp_other_slack_kw > SLACK_TOL_KW:
        out.append(f"{s.lp_other_slack_kw:,.0f} kW of other requirements (supply, N-k, site loss, blackout) "
                   "cannot be met by any plan over the offered sites (city LP)")
    if not out:
        out.append("the city LP meets every requirement: the shortfalls come from whole modules and from "
                   "solving in clusters; more time (time_limit_s) or larger clusters (max_cluster_districts) "
                   "may remove them")
    return out


def dispersion_excess(problem: SitingProblem, units: pd.DataFrame) -> pd.Series:
    """Heat capacity [kW] above the required cap in each circle of ``problem``, for the installed ``units``.

    Only circles above the cap (by more than the solver tolerance) are returned, indexed by circle_id.
    """
    if len(problem.circles) == 0 or len(units) == 0:
        return pd.Series(dtype=float)
    cap = units.groupby("site_id")["heat_kw"].sum()
    inside = cap.reindex(problem.circles["site_id"]).fillna(0.0).to_numpy()
    total = pd.Series(inside, index=problem.circles["circle_id"].to_numpy()).groupby(level=0).sum()
    over = total - problem.circle_cap_kw.reindex(total.index).to_numpy(dtype=float)
    return over.loc[over > SLACK_TOL_KW]


__all__ = ["SitingInfeasibleError", "SitingResult", "SitingSummary"]
