"""Scenario generators: N-k losses, strikes, blackouts, gas interruptions, pipe breaks.

Every generator returns a :class:`~teplo.resilience.scenarios.ScenarioSet`
built with array operations; where the count explodes (N-2 of a thousand
units) it draws a seeded uniform sample of at most ``cap`` scenarios, so the
same seed gives the same scenarios.

Families and ids:

* ``n-1`` / ``n-2`` (``n-k`` in general): ``n-2:unit:U1+U7``, ``n-1:site:S3``;
* ``strike``: everything within ``radius_m`` of a point is lost — the sites
  (with all their units) whose point is inside, and the pipes that cross the
  circle, each with the valve section it lies in (the section is isolated to
  stop the leak); centres on a grid, sampled (Monte Carlo) or at the sites;
  strikes that hit nothing, or exactly what an earlier strike hit, are dropped;
* ``blackout``: the power feeders are out for D hours (all of them, and each
  alone); what that does to each unit is resolved by
  :mod:`teplo.resilience.availability`;
* ``gas``: one gas feeder out at a time;
* ``pipe``: one valve section out at a time. Valves stand at branch points
  (three or more pipes), at sites, at the given valve nodes, and along
  longer runs at the last node before a run exceeds ``valve_spacing_m``
  (so sections are at most that long unless a single pipe is longer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from teplo.errors import InputError
from teplo.resilience.scenarios import Outages, ScenarioSet
from teplo.resilience.settings import GeneratorSettings, StressSettings
from teplo.resilience.system import StressSystem

FAMILIES: tuple[str, ...] = ("n-1", "n-2", "strike", "blackout", "gas", "pipe")
Temperature = float | Sequence[float] | np.ndarray


def scenario_meta(
    ids: Sequence[str], family: str, descriptions: Sequence[str], temp_c: Temperature, duration_h: float
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Metadata rows and the profile array for a constant or hourly temperature."""
    if duration_h <= 0:
        raise InputError(f"duration_h must be > 0 h (got {duration_h:g})")
    temp = np.atleast_1d(np.asarray(temp_c, dtype=float))
    if not np.isfinite(temp).all():
        raise InputError("outdoor temperature has non-finite values")
    profile = temp[None, :] if temp.size > 1 else None
    meta = pd.DataFrame(
        {
            "scenario_id": list(ids),
            "family": family,
            "description": list(descriptions),
            "temp_c": float(temp.min()),
            "duration_h": float(duration_h),
            "start": pd.NaT,
            "profile": 0 if profile is not None else -1,
        }
    )
    return meta, profile


def base(system: StressSystem, temp_c: Temperature = -20.0, duration_h: float = 48.0) -> ScenarioSet:
    """The reference scenario: nothing lost."""
    meta, prof = scenario_meta(["base"], "base", ["nothing lost"], temp_c, duration_h)
    return ScenarioSet.build(system, meta, None, prof)


def capped_combinations(n: int, k: int, cap: int, seed: int = 0) -> np.ndarray:
    """All k-subsets of range(n) as sorted rows, or a seeded uniform sample of ``cap`` distinct ones."""
    if k < 1 or n < k:
        return np.zeros((0, max(k, 0)), dtype=np.int64)
    total = math.comb(n, k)
    if total <= cap:
        if k == 1:
            return np.arange(n, dtype=np.int64)[:, None]
        if k == 2:
            a, b = np.triu_indices(n, 1)
            return np.column_stack([a, b]).astype(np.int64)
        return np.array(list(combinations(range(n), k)), dtype=np.int64)
    rng = np.random.default_rng(seed)
    found = np.zeros((0, k), dtype=np.int64)
    while found.shape[0] < cap:
        draw = np.sort(rng.integers(0, n, size=(2 * (cap - found.shape[0]) + 16, k)), axis=1)
        draw = draw[(np.diff(draw, axis=1) > 0).all(axis=1)]
        stacked = np.vstack([found, draw])
        _, first = np.unique(stacked, axis=0, return_index=True)
        found = stacked[np.sort(first)][:cap]  # keep draw order: earlier draws win
    order = np.lexsort(found.T[::-1])
    return found[order]


def n_minus_k(
    system: StressSystem,
    kind: str = "units",
    k: int = 1,
    *,
    temp_c: Temperature = -20.0,
    duration_h: float = 48.0,
    cap: int = 50_000,
    seed: int = 0,
    repair_h: float | None = None,
) -> ScenarioSet:
    """Every loss of ``k`` units or sites (``kind``), capped and sampled by ``seed`` beyond ``cap``."""
    if kind not in ("units", "sites"):
        raise InputError(f"n_minus_k: kind must be 'units' or 'sites' (got '{kind}')")
    if k < 1:
        raise InputError(f"n_minus_k: k must be >= 1 (got {k})")
    ids = system.units.ids if kind == "units" else system.sites.ids
    combo = capped_combinations(len(ids), k, cap, seed)
    m = combo.shape[0]
    names = ids[combo] if m else np.zeros((0, k), dtype=object)
    joined = ["+".join(map(str, r)) for r in names]
    label = kind[:-1]
    meta, prof = scenario_meta(
        [f"n-{k}:{label}:{j}" for j in joined], f"n-{k}" if k <= 2 else "n-k",
        [f"{label}s lost: {j}" for j in joined], temp_c, duration_h,
    )
    rows = np.repeat(np.arange(m), k)
    on = np.inf if repair_h is None else float(repair_h)
    out = Outages.from_entries(rows, combo.ravel(), (m, len(ids)), 0.0, on)
    return ScenarioSet.build(system, meta, {kind: out}, prof)


# ---------------------------------------------------------------- strikes


def valve_sections(system: StressSystem, spacing_m: float = 1000.0, valve_nodes: Sequence[str] = ()) -> np.ndarray:
    """Section label per pipe: pipes joined at nodes without a valve form one section."""
    net = system.network
    n_p, n_nodes = net.n_pipes, len(net.node_ids)
    if n_p == 0:
        return np.zeros(0, dtype=np.int64)
    if spacing_m <= 0:
        raise InputError(f"valve spacing must be > 0 m (got {spacing_m:g})")
    u, v = net.edge_u[:n_p], net.edge_v[:n_p]
    valve = net.node_degree >= 3
    valve[system.sites.node[system.sites.node < n_nodes]] = True
    if valve_nodes:
        idx = pd.Index(net.node_ids).get_indexer(pd.Index(list(valve_nodes)))
        if (idx < 0).any():
            bad = [n for n, i in zip(valve_nodes, idx, strict=True) if i < 0]
            raise InputError(f"valve_nodes: unknown network node(s) {', '.join(bad[:10])}")
        valve[idx] = True
    labels = _sections(u, v, valve, n_nodes)
    length = np.bincount(labels, weights=net.pipe_length_m)
    for sec in np.flatnonzero(length > spacing_m):  # long runs only
        valve |= _spaced_valves(np.flatnonzero(labels == sec), u, v, net.pipe_length_m, valve, spacing_m, n_nodes)
    return _sections(u, v, valve, n_nodes)


def _sections(u: np.ndarray, v: np.ndarray, valve: np.ndarray, n_nodes: int) -> np.ndarray:
    """Components of the pipe–(valveless node) bipartite graph, as a label per pipe."""
    n_p = u.size
    rows = np.concatenate([np.arange(n_p), np.arange(n_p)])
    nodes = np.concatenate([u, v])
    keep = ~valve[nodes]
    g = sparse.coo_array(
        (np.ones(int(keep.sum()), dtype=np.int8), (rows[keep], n_p + nodes[keep])), shape=(n_p + n_nodes,) * 2
    ).tocsr()
    _, lab = csgraph.connected_components(g, directed=False)
    _, labels = np.unique(lab[:n_p], return_inverse=True)
    return labels.astype(np.int64)


def _spaced_valves(
    pipes: np.ndarray, u: np.ndarray, v: np.ndarray, length: np.ndarray, valve: np.ndarray,
    spacing_m: float, n_nodes: int,
) -> np.ndarray:
    """Valves along one valveless run: at the last node before the run exceeds ``spacing_m`` (a walk)."""
    adj: dict[int, list[tuple[int, int]]] = {}
    for p in pipes:
        adj.setdefault(int(u[p]), []).append((int(p), int(v[p])))
        adj.setdefault(int(v[p]), []).append((int(p), int(u[p])))
    ends = [n for n, e in adj.items() if len(e) != 2 or valve[n]]
    start = min(ends) if ends else min(adj)
    out = np.zeros(n_nodes, dtype=bool)
    seen: set[int] = set()
    stack = [(start, 0.0)]
    while stack:
        node, run = stack.pop()
        for p, other in adj[node]:
            if p in seen:
                continue
            seen.add(p)
            if run > 0 and run + float(length[p]) > spacing_m and not valve[node]:
                out[node] = True
                run = 0.0
            stack.append((other, run + float(length[p])))
    return out


def strike_masks(
    system: StressSystem, centres_xy: np.ndarray, radius_m: float, sections: np.ndarray | None = None
) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Sites (point within ``radius_m``) and pipes (crossing the circle, with their sections) hit by each centre."""
    if not radius_m > 0:
        raise InputError(f"strike radius must be > 0 m (got {radius_m})")
    centres = np.asarray(centres_xy, dtype=float).reshape(-1, 2)
    m = centres.shape[0]
    n_s, n_p = len(system.sites), system.network.n_pipes
    if n_s:
        hits = cKDTree(system.sites.xy_m).query_ball_point(centres, r=radius_m * (1 + 1e-12))
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=m)
        cols = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(counts.sum()))
        rows = np.repeat(np.arange(m), counts)
    else:
        rows = cols = np.zeros(0, dtype=np.int64)
    site_hit = sparse.csr_array((np.ones(rows.size, bool), (rows, cols)), shape=(m, n_s))
    geom = system.network.pipe_geometry
    if geom is None or n_p == 0:
        return site_hit, sparse.csr_array((m, n_p), dtype=bool)
    known = np.flatnonzero(~shapely.is_missing(geom))
    tree = shapely.STRtree(geom[known])
    pr, pp = tree.query(shapely.points(centres), predicate="dwithin", distance=radius_m)
    pp = known[pp]
    if sections is not None and pp.size:
        sec_pipes = sparse.csr_array(
            (np.ones(n_p, bool), (sections, np.arange(n_p))), shape=(int(sections.max()) + 1, n_p)
        )
        hit = sparse.csr_array((np.ones(pr.size, bool), (pr, sections[pp])), shape=(m, sec_pipes.shape[0]))
        pipe_hit = sparse.csr_array((hit.astype(np.int32) @ sec_pipes.astype(np.int32)) > 0)
    else:
        pipe_hit = sparse.csr_array((np.ones(pr.size, bool), (pr, pp)), shape=(m, n_p))
    return site_hit, pipe_hit


def _extent(system: StressSystem) -> tuple[float, float, float, float]:
    xy = system.sites.xy_m
    boxes = [np.r_[xy.min(axis=0), xy.max(axis=0)]] if len(xy) else []
    geom = system.network.pipe_geometry
    if geom is not None and (~shapely.is_missing(geom)).any():
        b = shapely.bounds(geom[~shapely.is_missing(geom)])
        boxes.append(np.r_[np.nanmin(b[:, :2], axis=0), np.nanmax(b[:, 2:], axis=0)])
    if not boxes:
        raise InputError("no sites or pipes to place strikes around")
    arr = np.vstack(boxes)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())


def strike_grid(system: StressSystem, radius_m: float, spacing_m: float | None = None) -> np.ndarray:
    """Centres on a square grid over the sites and pipes (extended by the radius) [m]."""
    if not radius_m > 0:
        raise InputError(f"strike radius must be > 0 m (got {radius_m})")
    step = float(spacing_m or radius_m)
    x0, y0, x1, y1 = _extent(system)
    xs = np.arange(x0 - radius_m, x1 + radius_m + step / 2, step)
    ys = np.arange(y0 - radius_m, y1 + radius_m + step / 2, step)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def strike_samples(system: StressSystem, radius_m: float, n: int, seed: int = 0) -> np.ndarray:
    """``n`` uniformly sampled centres over the same extent as :func:`strike_grid` [m]."""
    x0, y0, x1, y1 = _extent(system)
    rng = np.random.default_rng(seed)
    lo = np.array([x0 - radius_m, y0 - radius_m])
    hi = np.array([x1 + radius_m, y1 + radius_m])
    return lo + rng.random((n, 2)) * (hi - lo)


def strikes(
    system: StressSystem,
    centres_xy: np.ndarray,
    radius_m: float,
    *,
    temp_c: Temperature = -20.0,
    duration_h: float = 48.0,
    repair_h: float | None = None,
    sections: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    dedupe: bool = True,
) -> ScenarioSet:
    """One scenario per centre that hits something (identical hits kept once).

    ``names`` label the centres (ids become ``strike:<name>``); default ``pt<k>``.
    """
    centres = np.asarray(centres_xy, dtype=float).reshape(-1, 2)
    site_hit, pipe_hit = strike_masks(system, centres, radius_m, sections)
    hit_any = (np.diff(site_hit.indptr) + np.diff(pipe_hit.indptr)) > 0
    keep = np.flatnonzero(hit_any)
    if dedupe and keep.size:
        sig = [
            site_hit.indices[site_hit.indptr[r]: site_hit.indptr[r + 1]].tobytes() + b"|"
            + pipe_hit.indices[pipe_hit.indptr[r]: pipe_hit.indptr[r + 1]].tobytes()
            for r in keep
        ]
        _, first = np.unique(np.array(sig, dtype=object), return_index=True)
        keep = keep[np.sort(first)]
    site_hit, pipe_hit = site_hit[keep], pipe_hit[keep]
    labels = list(names) if names is not None else [f"pt{k}" for k in range(centres.shape[0])]
    if len(labels) != centres.shape[0]:
        raise InputError(f"strikes: {len(labels)} names for {centres.shape[0]} centres")
    ids = [f"strike:{labels[k]}" for k in keep]
    desc = [
        f"strike r={radius_m:g} m at ({x:.0f}, {y:.0f}): {ns} site(s), {npipe} pipe(s)"
        for (x, y), ns, npipe in zip(centres[keep], np.diff(site_hit.indptr), np.diff(pipe_hit.indptr), strict=True)
    ]
    meta, prof = scenario_meta(ids, "strike", desc, temp_c, duration_h)
    on = np.inf if repair_h is None else float(repair_h)
    out = {
        "sites": _outages(site_hit, on),
        "pipes": _outages(pipe_hit, on),
    }
    return ScenarioSet.build(system, meta, out, prof)


def _outages(hit: sparse.csr_array, t_on_h: float) -> Outages:
    rows = np.repeat(np.arange(hit.shape[0]), np.diff(hit.indptr))
    return Outages.from_entries(rows, hit.indices, (int(hit.shape[0]), int(hit.shape[1])), 0.0, t_on_h)


# ---------------------------------------------------------------- feeders and pipes


def blackouts(
    system: StressSystem,
    hours: Sequence[float] = (12.0, 48.0),
    *,
    per_feeder: bool = True,
    temp_c: Temperature = -20.0,
    duration_h: float = 48.0,
) -> ScenarioSet:
    """Grid blackouts of each length in ``hours``: all power feeders, then each alone."""
    feeders = system.power_feeders
    n_f = len(feeders)
    groups: list[tuple[str, np.ndarray]] = [("city", np.arange(n_f))]
    if per_feeder and n_f > 1:
        groups += [(str(f), np.array([k])) for k, f in enumerate(feeders)]
    ids, desc, rows, cols, ons = [], [], [], [], []
    r = 0
    for d in hours:
        if not d > 0:
            raise InputError(f"blackout length must be > 0 h (got {d})")
        for name, members in groups:
            ids.append(f"blackout:{name}:{d:g}h")
            desc.append(f"power feeder(s) {'all' if name == 'city' else name} out for {d:g} h")
            rows.append(np.full(members.size, r))
            cols.append(members)
            ons.append(np.full(members.size, float(d)))
            r += 1
    meta, prof = scenario_meta(ids, "blackout", desc, temp_c, duration_h)
    out = Outages.from_entries(np.concatenate(rows), np.concatenate(cols), (r, n_f), 0.0, np.concatenate(ons))
    return ScenarioSet.build(system, meta, {"power_feeders": out}, prof)


def gas_interruptions(
    system: StressSystem, *, temp_c: Temperature = -20.0, duration_h: float = 48.0, repair_h: float | None = None
) -> ScenarioSet:
    """One scenario per gas feeder: its sites' gas-fired units stop."""
    n_f = len(system.gas_feeders)
    meta, prof = scenario_meta(
        [f"gas:{f}" for f in system.gas_feeders], "gas",
        [f"gas feeder {f} interrupted" for f in system.gas_feeders], temp_c, duration_h,
    )
    on = np.inf if repair_h is None else float(repair_h)
    out = Outages.from_entries(np.arange(n_f), np.arange(n_f), (n_f, n_f), 0.0, on)
    return ScenarioSet.build(system, meta, {"gas_feeders": out}, prof)


def pipe_breaks(
    system: StressSystem,
    *,
    temp_c: Temperature = -20.0,
    duration_h: float = 48.0,
    sections: np.ndarray | None = None,
    spacing_m: float = 1000.0,
    valve_nodes: Sequence[str] = (),
    cap: int = 50_000,
    seed: int = 0,
    repair_h: float | None = None,
) -> ScenarioSet:
    """One scenario per valve section on an island: a break isolates the whole section."""
    net = system.network
    if sections is None:
        sections = valve_sections(system, spacing_m, valve_nodes)
    on_island = net.pipe_island >= 0
    secs = np.unique(sections[on_island]) if sections.size else np.zeros(0, np.int64)
    if secs.size > cap:
        secs = np.sort(np.random.default_rng(seed).choice(secs, size=cap, replace=False))
    member = np.isin(sections, secs) & on_island
    pipes = np.flatnonzero(member)
    row_of = np.searchsorted(secs, sections[pipes])
    first = pd.Series(net.pipe_ids[pipes]).groupby(row_of).agg(lambda s: ",".join(s[:3]) + ("…" if len(s) > 3 else ""))
    meta, prof = scenario_meta(
        [f"pipe:sec{s}" for s in secs], "pipe",
        [f"valve section {s} isolated: {first.get(k, '')}" for k, s in enumerate(secs)], temp_c, duration_h,
    )
    on = np.inf if repair_h is None else float(repair_h)
    out = Outages.from_entries(row_of, pipes, (secs.size, net.n_pipes), 0.0, on)
    return ScenarioSet.build(system, meta, {"pipes": out}, prof)


def generate(
    system: StressSystem,
    families: Sequence[str] = FAMILIES,
    *,
    temp_c: Temperature = -20.0,
    radius_m: float = 300.0,
    duration_h: float = 48.0,
    settings: StressSettings | None = None,
    include_base: bool = True,
) -> ScenarioSet:
    """The scenario families named in ``families`` (see :data:`FAMILIES`), the base case first."""
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise InputError(f"unknown scenario family(ies) {', '.join(sorted(unknown))} (one of {', '.join(FAMILIES)})")
    if "strike" in families and not radius_m > 0:
        raise InputError(f"strike radius must be > 0 m (got {radius_m})")
    g: GeneratorSettings = (settings or StressSettings()).generators
    kw: dict[str, Any] = {"temp_c": temp_c, "duration_h": duration_h}
    sets: list[ScenarioSet] = [base(system, temp_c, duration_h)] if include_base else []
    for k, fam in ((1, "n-1"), (2, "n-2")):
        if fam in families:
            for kind in ("units", "sites"):
                sets.append(n_minus_k(system, kind, k, cap=g.max_per_family, seed=g.seed, repair_h=g.repair_h, **kw))
    sections = None
    if {"strike", "pipe"} & set(families) and system.network.n_pipes:
        sections = valve_sections(system, g.valve_spacing_m, g.valve_nodes)
    if "strike" in families:
        pts = (
            strike_grid(system, radius_m, g.strike_spacing_m) if g.strike_samples == 0
            else strike_samples(system, radius_m, g.strike_samples, g.seed)
        )
        tag = "grid" if g.strike_samples == 0 else "mc"
        names = [f"{tag}{k}" for k in range(len(pts))]
        if g.strike_at_sites:
            pts = np.vstack([system.sites.xy_m, pts])
            names = [f"site:{sid}" for sid in system.sites.ids] + names
        s = strikes(system, pts, radius_m, repair_h=g.repair_h, sections=sections, names=names, **kw)
        if len(s) > g.max_per_family:
            pick = np.sort(np.random.default_rng(g.seed).choice(len(s), size=g.max_per_family, replace=False))
            s = s.take(pick)
        sets.append(s)
    if "blackout" in families:
        sets.append(blackouts(system, g.blackout_hours, per_feeder=g.per_feeder_blackouts, **kw))
    if "gas" in families:
        sets.append(gas_interruptions(system, repair_h=g.repair_h, **kw))
    if "pipe" in families and system.network.n_pipes:
        sets.append(pipe_breaks(system, sections=sections, cap=g.max_per_family, seed=g.seed, repair_h=g.repair_h, **kw))
    return ScenarioSet.concat(sets)
