"""A constructive start for the siting MILP: a simple feasible plan HiGHS improves from the first node.

Each district goes to its nearest offered site (its backup, if it needs one, to
the next one); each site gets identical modules of the single heat-only type
that meets coverage, backup spare and N-k at least annual cost within its area,
and the cheapest diesel generators for its auxiliaries. Dispersion is not
looked at (the slack of the relaxation absorbs any excess, and HiGHS repairs
it). Only integer and binary values are given; HiGHS completes the continuous
ones. Without it HiGHS spends its first seconds on root cuts before finding any
slack-free plan, which short time limits on big cities cannot afford.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from teplo.supply.model.inputs import SitingProblem

if TYPE_CHECKING:
    from teplo.supply.model import SubSolution


def _cheapest_generators(p: SitingProblem, need_kw: float) -> dict[str, int]:
    if need_kw <= 0 or len(p.gens) == 0:
        return {}
    counts = np.ceil(need_kw / p.gens["power_kw"].to_numpy(dtype=float))
    cost = counts * p.gens["annual_cost_eur_a"].to_numpy(dtype=float)
    j = int(np.argmin(cost))
    return {str(p.gens.index[j]): int(counts[j])}


def _homogeneous_mix(p: SitingProblem, site: pd.Series, load: float, spare: float) -> tuple[str, int] | None:
    """Cheapest (type, count) of one heat-only type meeting coverage, spare and N-k on the site."""
    best: tuple[float, str, int] | None = None
    k, alpha = p.nk_k, p.nk_alpha
    for t, row in p.heat.loc[p.heat["power_kw"] == 0].iterrows():  # a handful of module types
        size = float(row["heat_kw"])
        n = math.ceil((load + spare) / size - 1e-9)
        if k > 0 and alpha > 0:
            n = max(n, k + math.ceil(alpha * load / size - 1e-9))
        n = max(n, 1)
        gens = _cheapest_generators(p, n * float(row["aux_power_kw"])) if p.blackout else {}
        area = n * row["footprint_m2"] + sum(c * float(np.asarray(p.gens.at[g, "footprint_m2"])) for g, c in gens.items())
        if n * size > site["max_heat_kw"] + 1e-6 or area > site["area_m2"] + 1e-6:
            continue
        cost = n * float(row["annual_cost_eur_a"]) + sum(c * float(np.asarray(p.gens.at[g, "annual_cost_eur_a"]))
                                                         for g, c in gens.items())
        if best is None or cost < best[0]:
            best = (cost, str(t), n)
    return None if best is None else (best[1], best[2])


def greedy_start(p: SitingProblem) -> dict[str, pd.Series | pd.DataFrame]:
    """Integer part of a simple plan: values for sites-open, units-count, units-generators,
    arcs-assign, backups-choose and units-level, indexed like the model's coordinates."""
    arcs = p.arcs
    first = arcs.sort_values(["district_id", "distance_m"], kind="stable").groupby("district_id").head(1)
    x = pd.Series(0.0, index=arcs.index)
    x[first.index] = 1.0
    primary = pd.Series(first["site_id"].to_numpy(), index=first["district_id"].to_numpy())
    w = pd.Series(0.0, index=p.backups.index)
    spare = pd.Series(0.0, index=p.sites.index)
    if len(p.backups):
        b = p.backups.loc[p.backups["site_id"].to_numpy() == primary.reindex(p.backups["district_id"]).to_numpy()]
        b = b.sort_values(["district_id", "distance_m"], kind="stable").groupby("district_id").head(1)
        w[b.index] = 1.0
        taken = b.groupby(["site_id", "backup_site_id"])["backup_kw"].sum()
        if len(taken):
            spare = taken.groupby(level="backup_site_id").max().reindex(p.sites.index).fillna(0.0)
    load = first.groupby("site_id")["load_kw"].sum().reindex(p.sites.index).fillna(0.0)
    n = pd.DataFrame(0.0, index=p.sites.index, columns=p.heat.index)
    g = pd.DataFrame(0.0, index=p.sites.index, columns=p.gens.index)
    levels = np.unique(p.heat["heat_kw"].to_numpy(dtype=float))
    u = pd.DataFrame(0.0, index=p.sites.index, columns=levels)
    y = pd.Series(0.0, index=p.sites.index)
    for s in p.sites.index[(load > 0) | (spare > 0)]:  # loop over used sites
        mix = _homogeneous_mix(p, p.sites.loc[s], float(load[s]), float(spare[s]))
        if mix is None:  # nothing fits: the largest module the site holds, slack covers the rest
            fits = p.heat.loc[(p.heat["power_kw"] == 0) & (p.heat["footprint_m2"] <= p.sites.at[s, "area_m2"])
                              & (p.heat["heat_kw"] <= p.sites.at[s, "max_heat_kw"])]
            if len(fits) == 0:
                continue
            t = str(fits["heat_kw"].idxmax())
            by_area = np.asarray(p.sites.at[s, "area_m2"]) // np.asarray(fits.at[t, "footprint_m2"])
            by_heat = np.asarray(p.sites.at[s, "max_heat_kw"]) // np.asarray(fits.at[t, "heat_kw"])
            count = int(min(float(by_area), float(by_heat)))
            mix = (t, max(count, 1))
        t, count = mix
        y[s] = 1.0
        n.at[s, t] = float(count)
        u.at[s, float(np.asarray(p.heat.at[t, "heat_kw"]))] = 1.0
        if p.blackout:
            for gen, c in _cheapest_generators(p, count * float(np.asarray(p.heat.at[t, "aux_power_kw"]))).items():
                g.at[s, gen] = float(c)
    return {"sites-open": y, "units-count": n, "units-generators": g, "arcs-assign": x,
            "backups-choose": w, "units-level": u}


def plan_start(p: SitingProblem, solutions: list[SubSolution]) -> dict[str, pd.Series | pd.DataFrame]:
    """Integer part of the plans ``solutions`` already hold for parts of ``p`` (same layout as
    :func:`greedy_start`): a start no worse than those plans when ``p`` merges their subproblems.

    A site's level is its largest installed module (the smallest level where it holds none).
    """
    x = pd.Series(0.0, index=p.arcs.index)
    n = pd.DataFrame(0.0, index=p.sites.index, columns=p.heat.index)
    g = pd.DataFrame(0.0, index=p.sites.index, columns=p.gens.index)
    w = pd.Series(0.0, index=p.backups.index)
    arc_of = pd.Series(p.arcs.index, index=pd.MultiIndex.from_frame(p.arcs[["district_id", "site_id"]]))
    backups = []
    for sol in solutions:
        if len(sol.assignment):
            keys = pd.MultiIndex.from_arrays([sol.assignment.index, sol.assignment.to_numpy()])
            x[arc_of.reindex(keys).dropna().astype(int).to_numpy()] = 1.0
        for table, frame, col in ((sol.modules, n, "type"), (sol.generators, g, "gen")):
            if len(table):
                keep = table["site_id"].isin(frame.index) & table[col].isin(frame.columns)
                add = table.loc[keep].groupby(["site_id", col])["count"].sum().unstack(fill_value=0)
                frame.loc[add.index, add.columns] += add.to_numpy(dtype=float)
        if len(sol.backup):
            backups.append(sol.backup)
    if backups and len(p.backups):
        backup = pd.concat(backups)
        primary = p.arcs.loc[x > 0.5].set_index("district_id")["site_id"]
        b = p.backups
        chosen = (b["backup_site_id"].to_numpy() == backup.reindex(b["district_id"]).to_numpy()) & (
            b["site_id"].to_numpy() == primary.reindex(b["district_id"]).to_numpy())
        w[chosen] = 1.0
    served = p.arcs.loc[x > 0.5, "site_id"].unique()
    y = ((n.sum(axis=1) > 0) | p.sites.index.isin(served)).astype(float)
    levels = np.unique(p.heat["heat_kw"].to_numpy(dtype=float))
    u = pd.DataFrame(0.0, index=p.sites.index, columns=levels)
    size = p.heat["heat_kw"].to_numpy(dtype=float)
    for s in p.sites.index[y > 0]:
        held = size[n.loc[s].to_numpy() > 0]
        u.at[s, float(held.max()) if len(held) else float(levels[0])] = 1.0
    return {"sites-open": y, "units-count": n, "units-generators": g, "arcs-assign": x,
            "backups-choose": w, "units-level": u}
