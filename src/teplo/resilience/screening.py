"""Screening: supplied fractions of many scenarios at once, by array arithmetic.

Losing units does not change the network: the capacity still available to
each island in S scenarios is one sparse product,

    lost_kw (S × islands) = lost (S × units, bool) @ capacity (units × islands, kW),

compared with the island's demand at the scenario's outdoor temperature
(space heat scaled by (20 − T)/(20 − (−23)), DHW kept). The supplied
fraction of an island is ``min(1, available / demand)`` and every building of
the island gets the island's fraction: *proportional sharing*, as a network
whose consumers all throttle by the same share, the fairest split when
capacity is short and the one a weather-compensated supply temperature gives.

Pipe losses change the topology: the islands they hit are split into
connected components, for all scenarios at once
(:mod:`teplo.resilience.topology`), and each component gets its own
fraction (zero where no site is left).

What screening decides and what it does not. A fraction is decided when the
pipes can only carry less than in the design: a single source losing
capacity, or a break that cuts a branch off (the lost pipe's two ends end up
apart) in a component fed by one site. It is *undecided* when heat must take
another path or come from another site than designed: a lost pipe whose two
ends are still joined (a ring re-feeds the cut section), a component fed by
several sites or by a site other than its buildings' own, or a multi-site
island where one site lost more than its design share. Undecided
(scenario, epoch, island) cases go to the network check
(:mod:`teplo.resilience.network_check`); with the default proxy they keep
the capacity-based fraction and the scenario is marked ``undecided``.

Time. Outages have start and end times, so availability is piecewise
constant; the set's distinct interval ends (and the end of storage
autonomy) form one global grid of *epochs*, the same for every chunk of a
sweep so that chunked and whole runs give identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from teplo.resilience.availability import expand, resolve_units
from teplo.resilience.network_check import IslandView, NetworkCheck, ScenarioMask, decides
from teplo.resilience.scenarios import Outages, ScenarioSet, concat_ranges
from teplo.resilience.system import STORAGE, StressSystem
from teplo.resilience.topology import component_fractions

#: Scenario status codes, in the order of :data:`STATUS`.
SCREENING, NETWORK, UNDECIDED = 0, 1, 2
STATUS: tuple[str, ...] = ("screening", "network", "undecided")
#: Relative tolerance below which a fraction counts as full supply [-].
FULL = 1.0 - 1e-9


@dataclass(frozen=True)
class TimeGrid:
    """Starts of the availability epochs [h]; ``epochs_h[0] == 0``."""

    epochs_h: np.ndarray

    def __len__(self) -> int:
        return len(self.epochs_h)


def time_grid(system: StressSystem, scenarios: ScenarioSet, units: Outages | None = None) -> TimeGrid:
    """The epoch grid of a whole scenario set (compute once, before chunking)."""
    units = units if units is not None else resolve_units(system, scenarios)
    t = [units.breakpoints(), scenarios.pipes.breakpoints()]
    if (system.units.kind == STORAGE).any():
        t.append(np.array([system.storage_autonomy_h]))
    allt = np.concatenate(t)
    horizon = scenarios.horizon_h()
    inner = np.unique(allt[(allt > 0) & (allt < horizon)])
    return TimeGrid(np.concatenate([[0.0], inner]))


@dataclass(frozen=True)
class Supply:
    """Reduced supply of a scenario set: entries (scenario, epoch, building) with ratio < 1.

    ``ratio`` is the supplied fraction of the building's demand at the
    scenario's reference temperature; buildings and epochs not listed are
    fully supplied.
    """

    scenario: np.ndarray
    epoch: np.ndarray
    building: np.ndarray
    ratio: np.ndarray
    grid: TimeGrid
    status: np.ndarray  # int8 per scenario, index into STATUS
    groups_undecided: np.ndarray  # per scenario: (epoch, island) cases left undecided
    groups_network: np.ndarray  # per scenario: cases decided by the network check
    units_lost: np.ndarray  # per scenario: units out at some time within the window
    capacity_lost_kw: np.ndarray  # per scenario: most heat capacity out at once within the window [kW]
    pipes_lost: np.ndarray  # per scenario: pipes out within the window


@dataclass
class _Groups:
    """Island-level and building-level results of one epoch, before expansion."""

    rows: np.ndarray
    islands: np.ndarray
    frac: np.ndarray
    undecided: np.ndarray
    b_rows: np.ndarray
    b_index: np.ndarray
    b_frac: np.ndarray


def _scale(system: StressSystem, temp_c: np.ndarray) -> np.ndarray:
    """Space-heat scale factor (20 − T)/(20 − T_design), ≥ 0, per scenario [-]."""
    return np.clip((system.indoor_c - temp_c) / system.delta_design_k, 0.0, None)


def _capacity(system: StressSystem, with_storage: bool) -> tuple[sparse.csr_array, np.ndarray]:
    isl = system.islands
    if with_storage:
        return sparse.csr_array(isl.unit_capacity + isl.storage_capacity), isl.base_kw + isl.storage_kw
    return sparse.csr_array(isl.unit_capacity), isl.base_kw


def island_fractions(
    system: StressSystem, lost: sparse.csr_array, scale: np.ndarray, with_storage: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fast path: supplied fraction of every island touched by a unit loss or short in the base case.

    ``lost`` is boolean scenarios × units, ``scale`` the space-heat factor per
    scenario. Returns (rows, islands, fraction, undecided) for the touched
    (scenario, island) pairs; all other islands are fully supplied.
    """
    isl = system.islands
    n_isl = isl.n
    cap, base = _capacity(system, with_storage)
    lost_kw = (lost.astype(np.float64) @ cap).tocoo()
    keys = [lost_kw.row.astype(np.int64) * n_isl + lost_kw.col]
    vals = [lost_kw.data]
    # islands already short without any loss, per distinct temperature
    for sc in np.unique(scale):
        short = np.flatnonzero(base < isl.space_kw * sc + isl.dhw_kw)
        if short.size:
            rows = np.flatnonzero(scale == sc)
            keys.append((rows[:, None] * n_isl + short[None, :]).ravel())
            vals.append(np.zeros(rows.size * short.size))
    allk = np.concatenate(keys)
    uniq, inv = np.unique(allk, return_inverse=True)
    lost_sum = np.bincount(inv, weights=np.concatenate(vals), minlength=uniq.size)
    rows, islands = uniq // max(n_isl, 1), uniq % max(n_isl, 1)
    demand = isl.space_kw[islands] * scale[rows] + isl.dhw_kw[islands]
    avail = np.maximum(base[islands] - lost_sum, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(demand > 0, np.minimum(1.0, avail / demand), 1.0)
    undecided = _rerouted(system, lost, scale, uniq) & (frac > 0)
    return rows, islands, frac, undecided


def _rerouted(system: StressSystem, lost: sparse.csr_array, scale: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether a multi-site island must carry heat from another site than designed (per key r·I + i)."""
    isl = system.islands
    n_isl = max(isl.n, 1)
    multi = isl.n_sites >= 2
    if not multi.any():
        return np.zeros(keys.size, dtype=bool)
    site_lost = (lost.astype(np.float64) @ sparse.csr_array(isl.site_capacity)).tocoo()
    s = site_lost.col
    r = site_lost.row.astype(np.int64)
    i = system.sites.island[s]
    ok = (i >= 0) & (site_lost.data > 0)
    ok[ok] &= multi[i[ok]]
    r, s, i, lost_s = r[ok], s[ok], i[ok], site_lost.data[ok]
    demand = isl.space_kw[i] * scale[r] + isl.dhw_kw[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(isl.base_kw[i] > 0, np.minimum(1.0, demand / isl.base_kw[i]), 0.0)
    short = isl.site_base_kw[s] - lost_s < isl.site_base_kw[s] * load * FULL
    flagged = np.unique(r[short] * n_isl + i[short])
    return np.isin(keys, flagged)


def _rows_of(m: sparse.csr_array, rows: np.ndarray) -> np.ndarray:
    """Sorted column indices of the given rows of a boolean CSR membership matrix."""
    starts = m.indptr[rows]
    pos = concat_ranges(starts, m.indptr[rows + 1] - starts)
    return np.sort(m.indices[pos].astype(np.int64))


def screen(
    system: StressSystem,
    scenarios: ScenarioSet,
    grid: TimeGrid | None = None,
    network_check: NetworkCheck | None = None,
) -> Supply:
    """Supplied fractions of every scenario in ``scenarios``, epoch by epoch (see the module docstring)."""
    units = resolve_units(system, scenarios)
    grid = grid or time_grid(system, scenarios, units)
    n = len(scenarios)
    scale = _scale(system, scenarios.meta["temp_c"].to_numpy(dtype=float))
    out_s, out_e, out_b, out_r = [], [], [], []
    n_und = np.zeros(n, dtype=np.int64)
    n_net = np.zeros(n, dtype=np.int64)
    checking = decides(network_check)
    has_storage = bool((system.units.kind == STORAGE).any())
    duration = scenarios.meta["duration_h"].to_numpy(dtype=float)
    peak_kw = np.zeros(n)
    for e, t in enumerate(grid.epochs_h):
        with_storage = has_storage and t < system.storage_autonomy_h
        lost = units.at(float(t))
        peak_kw = np.where(t < duration, np.maximum(peak_kw, lost.astype(np.float64) @ system.units.heat_kw), peak_kw)
        g = _epoch_groups(system, lost, scenarios.pipes.at(float(t)), scale, with_storage)
        if checking:
            assert network_check is not None
            g = _run_checks(system, scenarios, g, lost, float(t), e, network_check, scale, n_net)
        else:
            np.add.at(n_und, g.rows[g.undecided], 1)
        rows, b, frac = _expand(system, g)
        out_s.append(rows)
        out_e.append(np.full(rows.size, e, dtype=np.int64))
        out_b.append(b)
        out_r.append(frac)
    status = np.where(n_und > 0, UNDECIDED, np.where(n_net > 0, NETWORK, SCREENING)).astype(np.int8)
    u_rows, _ = units.entries()
    p_rows, _ = scenarios.pipes.entries()
    return Supply(
        scenario=np.concatenate(out_s), epoch=np.concatenate(out_e), building=np.concatenate(out_b),
        ratio=np.concatenate(out_r), grid=grid, status=status, groups_undecided=n_und, groups_network=n_net,
        units_lost=np.bincount(u_rows[units.t_off_h < duration[u_rows]], minlength=n),
        capacity_lost_kw=peak_kw,
        pipes_lost=np.bincount(p_rows[scenarios.pipes.t_off_h < duration[p_rows]], minlength=n),
    )


def _epoch_groups(
    system: StressSystem, lost: sparse.csr_array, pipes: sparse.csr_array, scale: np.ndarray, with_storage: bool
) -> _Groups:
    """Island-level (fast path) and building-level (component path) results of one epoch."""
    rows, islands, frac, und = island_fractions(system, lost, scale, with_storage)
    n_isl = max(system.islands.n, 1)
    b_rows, b_index, b_frac, o_rows, o_islands, o_und = component_fractions(system, lost, pipes, scale, with_storage)
    okeys = o_rows * n_isl + o_islands
    keep = ~np.isin(rows * n_isl + islands, okeys)
    # overridden islands: one group each (fraction carried per building), undecided flag per island
    return _Groups(
        rows=np.concatenate([rows[keep], o_rows]),
        islands=np.concatenate([islands[keep], o_islands]),
        frac=np.concatenate([frac[keep], np.full(okeys.size, np.nan)]),
        undecided=np.concatenate([und[keep], o_und]),
        b_rows=b_rows,
        b_index=b_index,
        b_frac=b_frac,
    )


def _expand(system: StressSystem, g: _Groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building entries with fraction < 1: island groups expanded, then building-level ones."""
    island_level = np.isfinite(g.frac) & (g.frac < FULL)
    rr, bb, src = expand(g.rows[island_level], g.islands[island_level], system.islands.buildings)
    fr = g.frac[island_level][src]
    short = g.b_frac < FULL
    rows = np.concatenate([rr, g.b_rows[short]])
    b = np.concatenate([bb, g.b_index[short]])
    f = np.concatenate([fr, g.b_frac[short]])
    order = np.lexsort((b, rows))
    return rows[order], b[order], f[order]


def _run_checks(
    system: StressSystem, scenarios: ScenarioSet, g: _Groups, lost: sparse.csr_array, t: float, epoch: int,
    check: NetworkCheck, scale: np.ndarray, n_net: np.ndarray,
) -> _Groups:
    """Replace undecided groups by the network check's per-building fractions."""
    todo = np.flatnonzero(g.undecided)
    if todo.size == 0:
        return g
    isl = system.islands
    b_rows, b_index, b_frac = [g.b_rows], [g.b_index], [g.b_frac]
    drop_b = np.zeros(g.b_rows.size, dtype=bool)
    pipes_at = scenarios.pipes.at(t)
    sites_at = scenarios.sites.at(t)
    for k in todo:
        r, i = int(g.rows[k]), int(g.islands[k])
        members = isl.buildings.indices[isl.buildings.indptr[i] : isl.buildings.indptr[i + 1]].astype(np.int64)
        proxy = np.full(members.size, g.frac[k])
        sel = (g.b_rows == r) & np.isin(g.b_index, members)
        if np.isnan(g.frac[k]):
            proxy = np.ones(members.size)
            proxy[np.searchsorted(members, g.b_index[sel])] = g.b_frac[sel]
        drop_b |= sel
        pipes_of = _rows_of(isl.edges, np.array([i]))
        temp = float(scenarios.meta["temp_c"].to_numpy(dtype=float)[r])
        mask = ScenarioMask(
            scenario_id=str(scenarios.meta["scenario_id"].iat[r]), time_h=t, temp_c=temp,
            units_available=~_row_dense(lost, r), pipes_available=~_row_dense(pipes_at, r),
            sites_available=~_row_dense(sites_at, r),
        )
        view = IslandView(
            island=i, building_index=members, building_ids=system.buildings.ids[members],
            demand_kw=system.building_demand_kw(temp, members), site_ids=system.sites.ids[_rows_of(isl.sites, np.array([i]))],
            pipe_index=pipes_of[pipes_of < system.network.n_pipes],
            proxy_fraction=proxy,
        )
        result = np.clip(np.asarray(check(mask, view), dtype=float), 0.0, 1.0)
        b_rows.append(np.full(members.size, r, dtype=np.int64))
        b_index.append(members)
        b_frac.append(result)
        n_net[r] += 1
    keep = np.ones(g.rows.size, dtype=bool)
    keep[todo] = False
    b_keep = ~drop_b
    return _Groups(
        rows=g.rows[keep], islands=g.islands[keep], frac=g.frac[keep], undecided=g.undecided[keep],
        b_rows=np.concatenate([b_rows[0][b_keep], *b_rows[1:]]),
        b_index=np.concatenate([b_index[0][b_keep], *b_index[1:]]),
        b_frac=np.concatenate([b_frac[0][b_keep], *b_frac[1:]]),
    )


def _row_dense(m: sparse.csr_array, r: int) -> np.ndarray:
    out = np.zeros(m.shape[1], dtype=bool)
    out[m.indices[m.indptr[r] : m.indptr[r + 1]]] = True
    return out
