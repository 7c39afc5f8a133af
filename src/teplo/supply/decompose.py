"""Decomposition of the city-wide siting MILP into clusters of districts, and their coordination.

1. **Clusters.** Districts that share a candidate site are linked; the connected
   components (bisected when larger than ``max_cluster_districts``) are grouped
   into spatially compact clusters by recursive load-weighted bisection. Each
   site belongs to the cluster with the most load within reach of it, and a
   district keeps only its arcs (and backup options) to sites of its own
   cluster. Cutting a component restricts border districts' choices (the price
   of decomposing, measured in ``benchmarks/siting.py``).
2. **Dispersion across clusters, pass 1 (Jacobi).** A circle whose sites belong
   to several clusters is split between them in proportion to the load within
   reach of their member sites. Every cluster then solves on its own, all in
   parallel, and the union respects every circle.
3. **Coordination (Gauss-Seidel).** Clusters that ended relaxed (a requirement
   violated) or on a binding share are re-solved, colour by colour (clusters
   sharing no circle run in parallel), with the cap the other clusters' actual
   plans leave. The previous plan stays feasible, so a new one is kept only if
   it is cheaper or removes a violation; the union still respects every circle.

4. **Repair** (:mod:`teplo.supply.repair`, run by the caller with the time the
   coordination leaves, ``solver.repair_share``): clusters that still break a
   requirement are merged with their neighbours and re-solved.

The reported bound is the sum of the clusters' dual bounds: a valid bound for
the decomposed problem (restricted arcs, fixed neighbours), not for the
monolithic one.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from teplo.supply.districts import split_in_two
from teplo.supply.guide import CityLP
from teplo.supply.model import SitingProblem, SolveStatus, SubSolution, solve_problem
from teplo.supply.settings import SolverSettings

MIN_LIMIT_S = 1.0
"""Shortest time limit [s] given to a subproblem."""

LINK_SHARE = 1e-3
"""Share of a district's load on an arc [-] above which the city LP is taken to use the arc."""


@dataclass(frozen=True)
class Cluster:
    """One subproblem: its districts and the sites it owns."""

    cluster_id: int
    districts: pd.Index
    sites: pd.Index


def _bisect(points: np.ndarray, weights: np.ndarray, sizes: np.ndarray, limit: int) -> list[np.ndarray]:
    """Recursive load-weighted bisection of items until each part's total ``sizes`` <= ``limit``."""
    parts: list[np.ndarray] = []
    stack = [np.arange(len(points))]
    while stack:
        part = stack.pop(0)
        if sizes[part].sum() <= limit or len(part) == 1:
            parts.append(part)
            continue
        half = split_in_two(points[part], weights[part] + 1e-9)
        stack[:0] = [part[half == 0], part[half == 1]]
    return parts


def make_clusters(
    p: SitingProblem, xy: pd.DataFrame, max_districts: int, arc_share: np.ndarray | None = None
) -> list[Cluster]:
    """Split ``p`` into spatially compact clusters of at most about ``max_districts`` districts.

    Atoms are the connected components of "shares a candidate site" (with
    ``arc_share``: "the city LP sends load to a common site"; components
    larger than the limit are bisected first); atoms are then grouped by
    recursive bisection of their centres, so neighbouring small components solve
    together and a shared dispersion circle is more often inside one cluster.
    ``xy`` holds x, y [m] of each district centre, indexed by district_id.
    A site belongs to the cluster with the most load within reach of it or, given
    ``arc_share`` (the city LP's share of each arc, :mod:`teplo.supply.guide`),
    with the most load the LP sends to it.
    """
    d_ids = p.districts.index
    s_ids = p.sites.index
    di = d_ids.get_indexer(pd.Index(p.arcs["district_id"]))
    si = s_ids.get_indexer(pd.Index(p.arcs["site_id"]))
    link = np.ones(len(di), dtype=bool)
    if arc_share is not None:  # atoms follow the LP's flows; a district it leaves unserved keeps all its arcs
        link = np.asarray(arc_share, dtype=float) > LINK_SHARE
        link |= ~np.isin(di, di[link])
    inc = coo_matrix((np.ones(int(link.sum())), (di[link], si[link])), shape=(len(d_ids), len(s_ids))).tocsr()
    _, comp = connected_components((inc @ inc.T).tocsr(), directed=False)
    load = p.districts["load_kw"].to_numpy(dtype=float)
    pts = xy.reindex(d_ids)[["x", "y"]].to_numpy(dtype=float)
    atom = np.full(len(d_ids), -1, dtype=np.int64)
    n_atoms = 0
    for c in pd.unique(comp):  # first appearance in sorted district ids: deterministic
        members = np.flatnonzero(comp == c)
        for part in _bisect(pts[members], load[members], np.ones(len(members)), max_districts):
            atom[members[part]] = n_atoms
            n_atoms += 1
    a_size = np.bincount(atom, minlength=n_atoms).astype(float)
    a_load = np.bincount(atom, weights=load, minlength=n_atoms)
    a_xy = np.column_stack([np.bincount(atom, weights=load * pts[:, k], minlength=n_atoms) / np.maximum(a_load, 1e-9)
                            for k in (0, 1)])
    labels = np.empty(len(d_ids), dtype=np.int64)
    groups = _bisect(a_xy, a_load, a_size, max_districts)
    group_of_atom = np.empty(n_atoms, dtype=np.int64)
    for g, atoms in enumerate(groups):
        group_of_atom[atoms] = g
    labels = group_of_atom[atom]
    # site ownership: the cluster with the most load within reach of the site (ties: lowest id)
    weight = p.arcs["load_kw"].to_numpy(dtype=float)
    if arc_share is not None:  # the LP's flows first; all load within reach only breaks ties (unused sites)
        weight = weight * (np.asarray(arc_share, dtype=float) + 1e-6)
    own = pd.DataFrame({"site": si, "cluster": labels[di], "load": weight})
    # as_index=False gives a DataFrame; the stubs drop that flag on column selection and say Series
    own = cast(pd.DataFrame, own.groupby(["site", "cluster"], as_index=False)["load"].sum())
    own = own.sort_values(["site", "load", "cluster"], ascending=[True, False, True], kind="stable")
    site_cluster = own.drop_duplicates("site").set_index("site")["cluster"].reindex(range(len(s_ids))).to_numpy()
    if arc_share is not None:  # a district goes with the site that takes most of its load in the LP
        share = np.asarray(arc_share, dtype=float)
        order = np.lexsort((-share, di))
        first = order[np.r_[True, di[order][1:] != di[order][:-1]]]
        first = first[share[first] > LINK_SHARE]
        labels[di[first]] = site_cluster[si[first]]
    # a district with no arc to its own cluster's sites follows its nearest site
    ok = site_cluster[si] == labels[di]
    has_own = np.bincount(di[ok], minlength=len(d_ids)) > 0
    for d in np.flatnonzero(~has_own):
        first = np.flatnonzero(di == d)
        if len(first):
            labels[d] = site_cluster[si[first[0]]]
    clusters: list[Cluster] = []
    for c in range(len(groups)):
        dmask = labels == c
        if not dmask.any():
            continue
        clusters.append(Cluster(len(clusters), pd.Index(d_ids[dmask]), pd.Index(s_ids[site_cluster == c])))
    return clusters


def cluster_colours(p: SitingProblem, clusters: list[Cluster]) -> list[int]:
    """Greedy colour of each cluster; clusters sharing a dispersion circle get different colours."""
    site_cluster = pd.Series(-1, index=p.sites.index)
    for c in clusters:
        site_cluster[c.sites] = c.cluster_id
    mem = pd.DataFrame({"circle": p.circles["circle_id"].to_numpy(),
                        "cluster": site_cluster.reindex(p.circles["site_id"]).to_numpy()}).drop_duplicates()
    nbrs: dict[int, set[int]] = {c.cluster_id: set() for c in clusters}
    for _, grp in mem.groupby("circle", sort=True)["cluster"]:
        members = [int(v) for v in grp.to_numpy() if v >= 0]
        for a in members:
            nbrs[a].update(b for b in members if b != a)
    order = sorted(nbrs, key=lambda c: (-len(nbrs[c]), c))  # largest degree first, ties by id
    colour: dict[int, int] = {}
    for ci in order:
        used = {colour[b] for b in nbrs[ci] if b in colour}
        colour[ci] = next(k for k in range(len(nbrs) + 1) if k not in used)
    return [colour[c.cluster_id] for c in clusters]


Start = dict[str, pd.Series | pd.DataFrame] | None


def _solve_one(args: tuple[SitingProblem, SolverSettings, float, Start]) -> SubSolution:
    p, solver, limit, start = args
    return solve_problem(p, solver, limit, start=start)


def solve_many(
    problems: list[SitingProblem], solver: SolverSettings, limits: list[float], starts: list[Start] | None = None,
) -> list[SubSolution]:
    """Solve independent subproblems, in ``solver.workers`` processes when more than one.

    ``starts`` (one per problem, or None) replace the constructive start of the penalised solve.
    """
    starts = starts if starts is not None else [None] * len(problems)
    jobs = list(zip(problems, [solver] * len(problems), limits, starts, strict=True))
    if solver.workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=solver.workers) as pool:
            return list(pool.map(_solve_one, jobs))
    return [_solve_one(j) for j in jobs]


def circle_usage(p: SitingProblem, sol: SubSolution) -> pd.Series:
    """Heat capacity [kW] each solution installs inside each circle."""
    if sol.modules is None or len(sol.modules) == 0 or len(p.circles) == 0:
        return pd.Series(dtype=float)
    cap = (sol.modules["count"] * p.heat["heat_kw"].reindex(sol.modules["type"]).to_numpy()).groupby(
        sol.modules["site_id"].to_numpy()).sum()
    mem = p.circles.assign(cap=cap.reindex(p.circles["site_id"]).fillna(0.0).to_numpy())
    return mem.groupby("circle_id")["cap"].sum()


@dataclass
class Decomposed:
    """Final per-cluster solutions and how they were reached."""

    clusters: list[Cluster]
    problems: list[SitingProblem]
    solutions: list[SubSolution]
    resolved: int  # subproblems re-solved after pass 1 (coordination and repair attempts)
    repaired: int = 0  # neighbourhoods whose merged re-solve was kept (:mod:`teplo.supply.repair`)


def usage_table(
    clusters: list[Cluster], problems: list[SitingProblem], solutions: list[SubSolution], circles: pd.Index
) -> pd.DataFrame:
    """Heat capacity [kW] each cluster's plan installs in each circle (circle x cluster_id)."""
    return pd.DataFrame({c.cluster_id: circle_usage(q, s).reindex(circles).fillna(0.0)
                         for c, q, s in zip(clusters, problems, solutions, strict=True)}, index=circles)


def residual_caps(p: SitingProblem, usage: pd.DataFrame, cluster_ids: list[int]) -> pd.Series:
    """Cap [kW] left for ``cluster_ids`` in each circle after every other cluster's current capacity."""
    others = usage.drop(columns=cluster_ids, errors="ignore").sum(axis=1)
    left = p.circle_cap_kw - others.reindex(p.circle_cap_kw.index).fillna(0.0)
    return left.clip(lower=0.0)


def prior_shared_caps(
    p: SitingProblem, clusters: list[Cluster], capacity_kw: pd.Series | None = None
) -> dict[int, pd.Series]:
    """Caps [kW] per cluster before any solve: each shared circle split by the load its clusters bring.

    A cluster's weight in a circle is the design load of the arcs (district-site
    connections) to its member sites in that circle; a circle held by one cluster
    keeps its whole cap. The parts sum to the cap, so the clusters' plans together
    respect every circle whatever each does within its part.

    Given ``capacity_kw`` (the city LP's capacity per site, :mod:`teplo.supply.guide`),
    each cluster first gets the LP's capacity in its member sites, and only what
    the LP leaves free is split by load. Where even the LP exceeds the cap (the
    area needs it), the parts sum to the LP's capacity: the least excess.
    """
    holders = _circle_holders(p, clusters)
    site_cluster = pd.Series(-1, index=p.sites.index)
    for c in clusters:
        site_cluster[c.sites] = c.cluster_id
    site_load = p.arcs.groupby("site_id")["load_kw"].sum()
    mem = pd.DataFrame({"circle": p.circles["circle_id"].to_numpy(),
                        "cluster": site_cluster.reindex(p.circles["site_id"]).to_numpy(),
                        "load": site_load.reindex(p.circles["site_id"]).fillna(0.0).to_numpy()})
    weight = mem.loc[mem["cluster"] >= 0].groupby(["circle", "cluster"])["load"].sum().unstack(fill_value=0)
    weight = weight.reindex(index=holders.index, columns=holders.columns, fill_value=0.0) + 1e-6 * holders
    share = weight.div(weight.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
    cap = p.circle_cap_kw.reindex(holders.index)
    if capacity_kw is None:
        return {c.cluster_id: (share[c.cluster_id] * cap).where(holders[c.cluster_id], cap) for c in clusters}
    mem["lp"] = capacity_kw.reindex(p.circles["site_id"]).fillna(0.0).to_numpy()
    used = mem.loc[mem["cluster"] >= 0].groupby(["circle", "cluster"])["lp"].sum().unstack(fill_value=0)
    used = used.reindex(index=holders.index, columns=holders.columns, fill_value=0.0).where(holders, 0.0)
    free = (cap - used.sum(axis=1)).clip(lower=0.0)
    parts = used + share.mul(free, axis=0)
    return {c.cluster_id: parts[c.cluster_id].where(holders[c.cluster_id], cap) for c in clusters}


def _circle_holders(p: SitingProblem, clusters: list[Cluster]) -> pd.DataFrame:
    """Boolean (circle x cluster): the cluster owns a member site of the circle."""
    site_cluster = pd.Series(-1, index=p.sites.index)
    for c in clusters:
        site_cluster[c.sites] = c.cluster_id
    mem = pd.DataFrame({"circle": p.circles["circle_id"].to_numpy(),
                        "cluster": site_cluster.reindex(p.circles["site_id"]).to_numpy()}).drop_duplicates()
    table = pd.crosstab(mem["circle"], mem["cluster"]) > 0
    return table.reindex(index=sorted(p.circle_cap_kw.index), columns=[c.cluster_id for c in clusters],
                         fill_value=False)


def _better(new: SubSolution, old: SubSolution) -> bool:
    """A re-solve is kept if it removes a violation or is cheaper at equal standing."""
    if new.status is SolveStatus.FAILED or math.isnan(new.objective_eur_a):
        return False
    if new.status.is_ok != old.status.is_ok:
        return new.status.is_ok
    return new.objective_eur_a < old.objective_eur_a - 1e-6


def solve_decomposed(
    p: SitingProblem, xy: pd.DataFrame, solver: SolverSettings, deadline: float | None = None,
    guide: CityLP | None = None,
) -> Decomposed:
    """Cluster; solve all clusters over their share of the shared circles (pass 1); coordinate.

    Pass 1 (all clusters in parallel) gives every cluster a part of each circle
    it shares, in proportion to the load it brings there
    (:func:`prior_shared_caps`): the union then respects every circle.
    Coordination (Gauss-Seidel,
    ``coordination_passes``) re-solves relaxed or share-bound clusters colour by
    colour (clusters of one colour share no circle) with the cap the other
    clusters' actual plans leave, keeping a new plan only if it is better.
    ``deadline`` (a ``time.perf_counter()`` value) bounds the wall time: 70 %
    of it for pass 1; of what is left, ``solver.repair_share`` is kept for the
    repair pass (:mod:`teplo.supply.repair`, run by the caller) and the rest is
    the coordination's. ``guide`` (the city LP) sets
    site ownership and the split of shared circles (:func:`prior_shared_caps`).
    """
    deadline = deadline if deadline is not None else time.perf_counter() + solver.time_limit_s
    clusters = make_clusters(p, xy, solver.max_cluster_districts,
                             None if guide is None else guide.arc_share)
    colours = cluster_colours(p, clusters)
    circles = pd.Index(sorted(p.circle_cap_kw.index))

    def limits(batch: list[int], share: float) -> list[float]:
        left = max(end - time.perf_counter(), 0.0) * share * solver.workers
        n = float(sum(len(clusters[i].districts) for i in batch)) or 1.0
        return [min(max(left * len(clusters[i].districts) / n, MIN_LIMIT_S), solver.subproblem_time_limit_s)
                for i in batch]

    end = deadline
    everyone = list(range(len(clusters)))  # pass 1: every cluster over its share of the shared circles
    caps = prior_shared_caps(p, clusters, None if guide is None else guide.capacity_kw)
    problems = [p.subset(c.districts, c.sites, caps[c.cluster_id]) for c in clusters]
    solutions = solve_many(problems, solver, limits(everyone, 0.7))
    usage = usage_table(clusters, problems, solutions, circles)
    resolved = 0
    end = deadline - solver.repair_share * max(deadline - time.perf_counter(), 0.0)  # the rest: repair
    for _ in range(solver.coordination_passes):
        todo = []
        for i, c in enumerate(clusters):
            cap_i = problems[i].circle_cap_kw
            own = usage[c.cluster_id].reindex(cap_i.index).fillna(0.0)
            binding = bool(((own >= cap_i - 1.0) & (cap_i < p.circle_cap_kw.reindex(cap_i.index) - 1.0)).any())
            if binding or not solutions[i].status.is_ok:
                todo.append(i)
        if not todo or end - time.perf_counter() < MIN_LIMIT_S:
            break
        order = sorted({colours[i] for i in todo})
        for n_left, colour in zip(range(len(order), 0, -1), order, strict=True):
            batch = [i for i in todo if colours[i] == colour]
            if end - time.perf_counter() < MIN_LIMIT_S * (1 + len(batch) / solver.workers):
                break  # no time left for another colour: the plans so far already respect every circle
            trials = [p.subset(clusters[i].districts, clusters[i].sites, residual_caps(p, usage, [clusters[i].cluster_id]))
                      for i in batch]
            news = solve_many(trials, solver, limits(batch, 1.0 / n_left))
            for i, trial, new in zip(batch, trials, news, strict=True):
                resolved += 1
                if _better(new, solutions[i]):
                    solutions[i], problems[i] = new, trial
                    usage[clusters[i].cluster_id] = circle_usage(trial, new).reindex(circles).fillna(0.0)
    return Decomposed(clusters, problems, solutions, resolved)
