"""Repair pass: re-solve the neighbourhood of each cluster whose plan still breaks a requirement.

After pass 1 and the coordination (:mod:`teplo.supply.decompose`) a cluster
can still break a requirement that the whole area could meet: its part of a
shared dispersion circle is too small for whole modules, or its districts are
best served, or backed up, from a neighbour's site it cannot use. The repair
merges such a cluster with the clusters linked to it (sharing a dispersion
circle, or a district within reach of a site of the other), most links first,
up to ``solver.repair_max_districts`` districts (twice that in a second round
while time is left),
re-solves the merged neighbourhood over the caps the rest of the city leaves
(the penalised solve starts from the members' current plans),
and keeps the new plan when it leaves less of the requirements unmet (kW) or,
at equal standing, costs less. The union of plans keeps every circle the old
one kept: the neighbourhood's caps are what the others leave.

Neighbourhoods that share no circle are solved in parallel. The measured
effect is in ``benchmarks/siting.py`` and the README.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from teplo.supply.decompose import (
    MIN_LIMIT_S,
    Cluster,
    Decomposed,
    Start,
    circle_usage,
    residual_caps,
    solve_many,
    usage_table,
)
from teplo.supply.model import SLACK_TOL_KW, SitingProblem, SolveStatus, SubSolution
from teplo.supply.model.start import plan_start
from teplo.supply.settings import SolverSettings

DISPERSION = "circles-dispersion"

REPAIR_ROUNDS = 2
"""Rounds of the repair: the second, when time is left, tries every remaining shortfall again with
neighbourhoods of twice repair_max_districts [E]."""

NEIGHBOURHOOD_MIN_S = 3.0
"""Least wall time [s] one neighbourhood needs: building its model (~1 s for 24 districts) and a solve of
at least MIN_LIMIT_S, measured on the 8 500-building city of benchmarks/siting.py [E]."""


def shortfall_kw(sol: SubSolution, exclude_dispersion: bool = False) -> float:
    """Requirement left unmet by ``sol`` [kW]: the sum of its slack table (optionally without dispersion)."""
    if sol.slack is None or len(sol.slack) == 0:
        return 0.0
    rows = sol.slack.loc[sol.slack["constraint"] != DISPERSION] if exclude_dispersion else sol.slack
    return float(rows["slack_kw"].sum())


def _over_cap(p: SitingProblem, usage: pd.DataFrame) -> pd.Series:
    """kW above the required cap in each circle, for the union of the clusters' plans (> 0 only)."""
    over = usage.sum(axis=1) - p.circle_cap_kw.reindex(usage.index).to_numpy(dtype=float)
    return over.loc[over > SLACK_TOL_KW]


def _seeds(
    p: SitingProblem, clusters: list[Cluster], solutions: list[SubSolution], usage: pd.DataFrame, tried: set[int]
) -> list[int]:
    """Clusters to repair, most unmet requirement first: those above the cap in a circle, or with other slack."""
    over = _over_cap(p, usage)
    share = usage.loc[over.index].gt(0.0).mul(over, axis=0).sum(axis=0) if len(over) else pd.Series(dtype=float)
    need = {}
    for c, sol in zip(clusters, solutions, strict=True):
        kw = float(share.get(c.cluster_id, 0.0)) + shortfall_kw(sol, exclude_dispersion=True)
        if kw > SLACK_TOL_KW and c.cluster_id not in tried:
            need[c.cluster_id] = kw
    return sorted(need, key=lambda c: (-need[c], c))


class _Neighbours:
    """Which clusters are linked (share a dispersion circle, or a district of one reaches a site of the other).

    The link weight (shared circles plus reaching arcs) ranks a cluster's
    neighbours; ``circles`` holds the circles each cluster's sites are in.
    """

    def __init__(self, p: SitingProblem, clusters: list[Cluster]) -> None:
        site_cluster = pd.Series(-1, index=p.sites.index, dtype=np.int64)
        district_cluster = pd.Series(-1, index=p.districts.index, dtype=np.int64)
        for c in clusters:
            site_cluster[c.sites] = c.cluster_id
            district_cluster[c.districts] = c.cluster_id
        mem = pd.DataFrame({"circle": p.circles["circle_id"].to_numpy(),
                            "a": site_cluster.reindex(p.circles["site_id"]).fillna(-1).to_numpy()})
        mem = mem.loc[mem["a"] >= 0].drop_duplicates()
        self.circles: dict[int, set[str]] = {}
        for a, circle in zip(mem["a"].to_numpy(dtype=np.int64), mem["circle"].to_numpy(), strict=True):
            self.circles.setdefault(int(a), set()).add(str(circle))
        shared = mem.merge(mem.rename(columns={"a": "b"}), on="circle")[["a", "b"]]
        reach = pd.DataFrame({"a": district_cluster.reindex(p.arcs["district_id"]).fillna(-1).to_numpy(),
                              "b": site_cluster.reindex(p.arcs["site_id"]).fillna(-1).to_numpy()})
        links = pd.concat([shared, reach, reach.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
        links = links.loc[(links["a"] != links["b"]) & (links["a"] >= 0) & (links["b"] >= 0)]
        self._weight: dict[int, dict[int, int]] = {}
        counts = links.groupby(["a", "b"]).size().rename("n").reset_index()
        for a, b, n in counts[["a", "b", "n"]].itertuples(index=False):
            self._weight.setdefault(int(a), {})[int(b)] = int(n)

    def ranked(self, cluster_id: int) -> list[int]:
        """Linked clusters, most links first (ties by id)."""
        w = self._weight.get(cluster_id, {})
        return sorted(w, key=lambda c: (-w[c], c))


def _group(seed: int, nbrs: _Neighbours, size: dict[int, int], max_districts: int) -> list[int]:
    """The seed and its circle neighbours, nearest first, while the districts stay within the limit."""
    group, n = [seed], size[seed]
    for other in nbrs.ranked(seed):
        if n + size[other] <= max_districts:
            group.append(other)
            n += size[other]
    return group


def _is_better(new: SubSolution, new_kw: float, old_kw: float, old_cost: float) -> bool:
    """Less requirement unmet, or as little and cheaper."""
    if new.status is SolveStatus.FAILED or not np.isfinite(new.cost_eur_a):
        return False
    if new_kw < old_kw - 1.0:
        return True
    return new_kw <= old_kw + SLACK_TOL_KW and new.cost_eur_a < old_cost - 1e-6


def repair_neighbourhoods(
    p: SitingProblem, dec: Decomposed, solver: SolverSettings, deadline: float
) -> Decomposed:
    """Merge and re-solve neighbourhoods of clusters that break a requirement, until none is left or time is up.

    Returns the updated decomposition (merged clusters replace their members);
    ``dec.repaired`` counts the neighbourhoods whose new plan was kept.
    """
    clusters, problems, solutions = list(dec.clusters), list(dec.problems), list(dec.solutions)
    circles = pd.Index(sorted(p.circle_cap_kw.index))
    if len(circles) == 0 and not any(shortfall_kw(s) > SLACK_TOL_KW for s in solutions):
        return dec
    usage = usage_table(clusters, problems, solutions, circles)
    tried: set[int] = set()
    next_id = max((c.cluster_id for c in clusters), default=-1) + 1
    repaired, attempts = dec.repaired, dec.resolved
    rounds = [solver.repair_max_districts * (1 + r) for r in range(REPAIR_ROUNDS)]
    max_districts = rounds.pop(0)
    while deadline - time.perf_counter() >= NEIGHBOURHOOD_MIN_S:
        seeds = _seeds(p, clusters, solutions, usage, tried)
        if not seeds and rounds:  # every seed tried: again, with neighbourhoods twice as large
            max_districts, tried = rounds.pop(0), set()
            seeds = _seeds(p, clusters, solutions, usage, tried)
        if not seeds:
            break
        nbrs = _Neighbours(p, clusters)
        size = {c.cluster_id: len(c.districts) for c in clusters}
        fits = max(int((deadline - time.perf_counter()) * solver.workers / NEIGHBOURHOOD_MIN_S), 1)
        batch: list[list[int]] = []
        taken: set[int] = set()
        touched: set[str] = set()
        for seed in seeds:  # neighbourhoods sharing no cluster and no circle: independent, solved together
            group = _group(seed, nbrs, size, max_districts)
            reach = set().union(*(nbrs.circles.get(g, set()) for g in group))
            if taken.isdisjoint(group) and touched.isdisjoint(reach):
                batch.append(group)
                taken.update(group)
                touched.update(reach)
                tried.add(seed)
                if len(batch) == fits:  # no more than the time left can build and solve
                    break
        pos = {c.cluster_id: i for i, c in enumerate(clusters)}
        merged = [Cluster(-1, pd.Index(np.concatenate([clusters[pos[g]].districts.to_numpy() for g in group])),
                          pd.Index(np.concatenate([clusters[pos[g]].sites.to_numpy() for g in group])))
                  for group in batch]
        trials = [p.subset(m.districts, m.sites, residual_caps(p, usage, group))
                  for m, group in zip(merged, batch, strict=True)]
        left = max(deadline - time.perf_counter(), 0.0) * solver.workers / max(len(batch), 1)
        cap_s = solver.repair_time_limit_s * max_districts / solver.repair_max_districts  # larger: longer
        limits = [min(max(left, MIN_LIMIT_S), cap_s)] * len(batch)
        starts: list[Start] = [plan_start(trial, [solutions[pos[g]] for g in group])
                               for group, trial in zip(batch, trials, strict=True)]
        news = solve_many(trials, solver, limits, starts)
        attempts += len(batch)
        for group, members, trial, new in zip(batch, merged, trials, news, strict=True):
            idx = [pos[g] for g in group]
            old_use = usage[group].sum(axis=1).reindex(trial.circle_cap_kw.index).fillna(0.0)
            old_kw = float((old_use - trial.circle_cap_kw).clip(lower=0.0).sum())
            old_kw += sum(shortfall_kw(solutions[i], exclude_dispersion=True) for i in idx)
            old_cost = sum(solutions[i].cost_eur_a for i in idx)
            new_kw = shortfall_kw(new)
            if not _is_better(new, new_kw, old_kw, old_cost):
                continue
            kept = Cluster(next_id, members.districts, members.sites)
            next_id += 1
            repaired += 1
            for i in sorted(idx, reverse=True):
                del clusters[i], problems[i], solutions[i]
            usage = usage.drop(columns=group)
            clusters.append(kept)
            problems.append(trial)
            solutions.append(new)
            usage[kept.cluster_id] = circle_usage(trial, new).reindex(circles).fillna(0.0)
            pos = {c.cluster_id: i for i, c in enumerate(clusters)}
            if new_kw > SLACK_TOL_KW:
                tried.add(kept.cluster_id)  # as good as this neighbourhood gets within the limit
    return Decomposed(clusters, problems, solutions, attempts, repaired)
