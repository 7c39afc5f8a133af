"""Solving the dispatch: one model per district, or a rolling horizon; districts in parallel.

Each district is independent, so districts run in worker processes
(:class:`concurrent.futures.ProcessPoolExecutor`); any other
:class:`concurrent.futures.Executor` can be passed instead, e.g. a dask
``Client.get_executor()``. Windows of one district run in sequence, each
starting from the state the previous one kept.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import highspy
import linopy
import numpy as np

from teplo.errors import InfeasibleError, NotConvergedError
from teplo.highs import silence_banner
from teplo.supply.dispatch.model import (
    InitialState,
    ModelInput,
    build_model,
    heat_cost_eur_per_mwh,
    labels,
)
from teplo.supply.dispatch.problem import DistrictProblem
from teplo.supply.dispatch.settings import Horizon, SolverOptions


class SolveStatus(StrEnum):
    """Outcome of one district's solve."""

    OPTIMAL = "optimal"  # every model solved to the MIP gap
    FEASIBLE = "feasible"  # a time limit stopped at least one model with a solution


@dataclass(frozen=True)
class SolveStats:
    """Size, time and quality of one district's solve (summed or maxed over windows)."""

    district_id: str
    status: SolveStatus
    windows: int
    n_vars: int  # of the largest window
    n_cons: int
    n_int: int
    build_s: float  # model building (linopy), all windows
    solve_s: float  # solver calls (export to HiGHS, solve, read back), all windows
    total_s: float  # build + solve + extraction
    mip_gap: float  # largest relative gap of any window
    objective_eur: float  # solver objective summed over the kept hours


@dataclass(frozen=True)
class GroupSolution:
    """Optimal dispatch of one district by group (hours × groups, MW / MWh / modules)."""

    heat_mw: np.ndarray
    on: np.ndarray  # modules on; NaN for groups without commitment
    fuel_mw: np.ndarray
    charge_mw: np.ndarray  # hours × stores
    discharge_mw: np.ndarray
    soc_mwh: np.ndarray
    unserved_mw: np.ndarray  # hours
    stats: SolveStats = field(repr=False)


def highs_options(opts: SolverOptions) -> dict[str, Any]:
    """HiGHS options from the settings (deterministic: fixed seed)."""
    return {
        "mip_rel_gap": opts.mip_rel_gap,
        "time_limit": opts.time_limit_s,
        "threads": opts.threads,
        "random_seed": 0,
        "output_flag": opts.verbose,
        "log_to_console": opts.verbose,
    }


def run_highs(
    m: linopy.Model, opts: SolverOptions, start: np.ndarray | None = None
) -> tuple[bool, str, np.ndarray, float, float]:
    """Solve ``m`` with HiGHS through linopy's direct interface, without writing back to xarray.

    Returns (ok, termination condition, primal values indexed by variable label,
    objective, relative MIP gap). The values are read straight from the label
    array; ``Model.assign_result`` (xarray write-back of primals and duals) is skipped.
    ``start`` (values indexed by variable label) is passed to HiGHS as a MIP start.
    """
    solver = linopy.solvers.Solver.from_name(
        "highs", model=m, io_api="direct", options=highs_options(opts)
    )
    if start is not None:
        guess = highspy.HighsSolution()
        guess.col_value = start[m.variables.label_index.vlabels].tolist()
        guess.value_valid = True
        solver.solver_model.setSolution(guess)
    result = solver.solve()
    ok = result.status.is_ok
    condition = str(result.status.termination_condition.value)
    report = result.report
    gap = report.mip_gap if report is not None and report.mip_gap is not None else 0.0
    if result.solution is None:
        return ok, condition, np.array([]), float("nan"), float("nan")
    return ok, condition, result.solution.primal, float(result.solution.objective), float(gap)


def _values(m: linopy.Model, primal: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Solution of variable ``name`` as a numpy array of ``shape`` (zeros if the model lacks it)."""
    if name not in m.variables:
        return np.zeros(shape)
    return primal[labels(m, name)].reshape(shape)


def _solve_window(d: ModelInput, opts: SolverOptions) -> tuple[GroupSolution, dict[str, float]]:
    """Build and solve one window; return its solution and timings."""
    p = d.problem
    t0 = time.perf_counter()
    m = build_model(d)
    t1 = time.perf_counter()
    ok, condition, primal, objective, gap = run_highs(m, opts)
    t2 = time.perf_counter()
    has_solution = primal.size > 0 and np.isfinite(objective)
    if condition == "infeasible":
        raise InfeasibleError(
            f"district '{p.district_id}': dispatch infeasible from {p.hours[0]} (a unit's min load "
            "may exceed what demand plus storage charging can take; try "
            "storage.final_soc_at_least_initial=False)"
        )
    if not has_solution:
        raise NotConvergedError(
            f"district '{p.district_id}': HiGHS stopped ({condition}) without a solution "
            f"from {p.hours[0]}; raise solver.time_limit_s or shorten horizon.window_h"
        )
    g, s, nt = p.groups, p.stores, p.n_hours
    com = np.flatnonzero(g.committed)
    heat = _values(m, primal, "Unit-heat", (nt, len(g)))
    on = np.full((nt, len(g)), np.nan)
    on[:, com] = _values(m, primal, "Unit-on", (nt, len(com)))
    if p.integer:
        on[:, com] = np.round(on[:, com])
    fuel = heat * g.fuel_per_heat[None, :]
    cv = np.flatnonzero(g.has_curve)
    if len(cv):
        fuel[:, cv] = _values(m, primal, "Unit-fuel", (nt, len(cv)))
    n_vars = sum(int((labels(m, v) >= 0).sum()) for v in m.variables)
    n_cons = sum(int(np.asarray(m.constraints[c].labels.values >= 0).sum()) for c in m.constraints)
    sol = GroupSolution(
        heat_mw=heat,
        on=on,
        fuel_mw=fuel,
        charge_mw=_values(m, primal, "Store-charge", (nt, len(s))),
        discharge_mw=_values(m, primal, "Store-discharge", (nt, len(s))),
        soc_mwh=_values(m, primal, "Store-soc", (nt, len(s))),
        unserved_mw=_values(m, primal, "Heat-unserved", (nt,)),
        stats=SolveStats(
            district_id=p.district_id,
            status=SolveStatus.OPTIMAL if ok else SolveStatus.FEASIBLE,
            windows=1,
            n_vars=n_vars,
            n_cons=n_cons,
            n_int=nt * len(com) if p.integer else 0,
            build_s=t1 - t0,
            solve_s=t2 - t1,
            total_s=0.0,
            mip_gap=gap if np.isfinite(gap) else 0.0,
            objective_eur=objective,
        ),
    )
    return sol, {"build": t1 - t0, "solve": t2 - t1}


def _starts(on: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Modules started each hour: positive part of the change in modules on."""
    prev = np.vstack([before[None, :], on[:-1]])
    return np.clip(np.nan_to_num(on) - np.nan_to_num(prev), 0.0, None)


_ARRAYS = ("heat_mw", "on", "fuel_mw", "charge_mw", "discharge_mw", "soc_mwh", "unserved_mw")


def _head(sol: GroupSolution, n: int) -> GroupSolution:
    """The first ``n`` hours of a window's solution."""
    head: dict[str, Any] = {a: getattr(sol, a)[:n] for a in _ARRAYS}
    return replace(sol, **head)


def _stack(parts: list[GroupSolution]) -> GroupSolution:
    """Windows' kept hours joined in time (stats of the first)."""
    joined: dict[str, Any] = {a: np.concatenate([getattr(x, a) for x in parts]) for a in _ARRAYS}
    return replace(parts[0], **joined)


def window_bounds(n_hours: int, horizon: Horizon) -> list[tuple[int, int, int]]:
    """(start, stop, keep) hours of each window: solve ``start:stop``, keep ``start:keep``.

    >>> window_bounds(100, Horizon(window_h=48, overlap_h=12))
    [(0, 48, 36), (36, 84, 72), (72, 100, 100)]
    """
    if horizon.window_h is None or horizon.window_h >= n_hours:
        return [(0, n_hours, n_hours)]
    step = horizon.window_h - horizon.overlap_h
    out = []
    start = 0
    while start < n_hours:
        stop = min(start + horizon.window_h, n_hours)
        keep = n_hours if stop == n_hours else start + step
        out.append((start, stop, keep))
        start = keep
    return out


def objective_eur(p: DistrictProblem, sol: GroupSolution) -> float:
    """The model's objective evaluated on a solution, EUR (also for stitched windows)."""
    g = p.groups
    cost = float(np.sum(heat_cost_eur_per_mwh(p) * sol.heat_mw))
    cost += p.penalty_eur_mwh * float(sol.unserved_mw.sum())
    cv = np.flatnonzero(g.has_curve)
    cost += float(np.sum(sol.fuel_mw[:, cv] * g.gas_price_eur_mwh[cv]))
    before = InitialState.cold(p).on_history[-1]
    starts = _starts(np.nan_to_num(sol.on), before)
    cost += float(np.sum(starts * g.start_cost_eur[None, :]))
    return cost


def solve_district(p: DistrictProblem, opts: SolverOptions, horizon: Horizon) -> GroupSolution:
    """Dispatch one district over its whole period (one model, or rolling windows)."""
    t_start = time.perf_counter()
    state = InitialState.cold(p)
    final = p.stores.energy_mwh * p.initial_soc if p.final_soc_at_least_initial else np.zeros(len(p.stores))
    parts: list[GroupSolution] = []
    build = solve = 0.0
    sizes = (0, 0, 0)
    gap, opt = 0.0, True
    bounds = window_bounds(p.n_hours, horizon)
    for start, stop, keep in bounds:
        last = stop == p.n_hours
        d = ModelInput(
            problem=p.window(start, stop),
            state=state,
            final_soc_min_mwh=final if last else np.zeros(len(p.stores)),
        )
        sol, timing = _solve_window(d, opts)
        build += timing["build"]
        solve += timing["solve"]
        st = sol.stats
        sizes = max(sizes, (st.n_vars, st.n_cons, st.n_int))
        gap = max(gap, st.mip_gap)
        opt = opt and st.status is SolveStatus.OPTIMAL
        kept = _head(sol, keep - start)
        parts.append(kept)
        if not last:
            state = _next_state(state, kept, d)
    out = _stack(parts)
    objective = parts[0].stats.objective_eur if len(parts) == 1 else objective_eur(p, out)
    if horizon.certify and len(parts) > 1:
        t0 = time.perf_counter()
        out, objective, gap = _certify(p, out, final, opts)
        solve += time.perf_counter() - t0
    stats = SolveStats(
        district_id=p.district_id,
        status=SolveStatus.OPTIMAL if opt else SolveStatus.FEASIBLE,
        windows=len(bounds),
        n_vars=sizes[0],
        n_cons=sizes[1],
        n_int=sizes[2],
        build_s=build,
        solve_s=solve,
        total_s=time.perf_counter() - t_start,
        mip_gap=gap,
        objective_eur=objective,
    )
    return replace(out, stats=stats)


def _certify(
    p: DistrictProblem, stitched: GroupSolution, final_soc_mwh: np.ndarray, opts: SolverOptions
) -> tuple[GroupSolution, float, float]:
    """Solve the whole period from the stitched schedule; return the better schedule, its
    objective and the proven relative gap to the whole-period optimum."""
    d = ModelInput(problem=p, state=InitialState.cold(p), final_soc_min_mwh=final_soc_mwh)
    m = build_model(d)
    g = p.groups
    com = np.flatnonzero(g.committed)
    on = np.rint(np.nan_to_num(stitched.on[:, com])) if p.integer else stitched.on[:, com]
    values = {
        "Unit-heat": stitched.heat_mw,
        "Unit-on": on,
        "Unit-start": _starts(on, d.state.on_history[-1, com]),
        "Unit-fuel": stitched.fuel_mw[:, np.flatnonzero(g.has_curve)],
        "Store-charge": stitched.charge_mw,
        "Store-discharge": stitched.discharge_mw,
        "Store-soc": stitched.soc_mwh,
        "Heat-unserved": stitched.unserved_mw,
    }
    start = np.zeros(1 + max(int(labels(m, v).max()) for v in m.variables))
    for name, v in values.items():
        if name in m.variables:
            start[labels(m, name)] = v.reshape(labels(m, name).shape)
    ok, _, primal, objective, gap = run_highs(m, opts, start=start)
    if primal.size == 0 or not np.isfinite(objective):
        return stitched, objective_eur(p, stitched), float("nan")
    cv = np.flatnonzero(g.has_curve)
    heat = _values(m, primal, "Unit-heat", stitched.heat_mw.shape)
    whole = replace(
        stitched,
        heat_mw=heat,
        on=stitched.on.copy(),
        fuel_mw=heat * g.fuel_per_heat[None, :],
        charge_mw=_values(m, primal, "Store-charge", stitched.charge_mw.shape),
        discharge_mw=_values(m, primal, "Store-discharge", stitched.discharge_mw.shape),
        soc_mwh=_values(m, primal, "Store-soc", stitched.soc_mwh.shape),
        unserved_mw=_values(m, primal, "Heat-unserved", stitched.unserved_mw.shape),
    )
    whole.on[:, com] = _values(m, primal, "Unit-on", on.shape)
    if p.integer:
        whole.on[:, com] = np.round(whole.on[:, com])
    if len(cv):
        whole.fuel_mw[:, cv] = _values(m, primal, "Unit-fuel", (p.n_hours, len(cv)))
    return whole, objective, gap if ok and np.isfinite(gap) else float("nan")


def _next_state(state: InitialState, kept: GroupSolution, d: ModelInput) -> InitialState:
    """State after the kept hours of a window: history of modules on and starts, stored heat."""
    g = d.problem.groups
    h = state.on_history.shape[0]
    on = np.where(g.committed[None, :], np.nan_to_num(kept.on), 0.0)
    starts = _starts(on, state.on_history[-1])
    soc = kept.soc_mwh[-1] if kept.soc_mwh.size else state.soc_mwh
    return InitialState(
        on_history=np.vstack([state.on_history, on])[-h:],
        start_history=np.vstack([state.start_history, starts])[-h:],
        soc_mwh=np.asarray(soc, dtype=float),
    )


def _solve_one(args: tuple[DistrictProblem, SolverOptions, Horizon]) -> GroupSolution:
    return solve_district(*args)


def solve_districts(
    problems: list[DistrictProblem],
    opts: SolverOptions,
    horizon: Horizon,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[GroupSolution]:
    """Solve every district, in parallel unless ``max_workers`` is 1; results in input order.

    With the default process pool this process works too: it takes districts
    from the same queue as ``max_workers − 1`` worker processes, so no core idles
    while the workers start. ``progress`` is called with each district id once done.
    """
    jobs = [(p, opts, horizon) for p in problems]

    def done(sol: GroupSolution) -> GroupSolution:
        if progress is not None:
            progress(sol.stats.district_id)
        return sol

    if executor is not None:
        return [done(f.result()) for f in [executor.submit(_solve_one, j) for j in jobs]]
    workers = min(opts.max_workers or os.cpu_count() or 1, len(jobs))
    small = sum(p.n_hours for p in problems) < opts.parallel_min_district_hours
    if workers <= 1 or (opts.max_workers is None and small):
        return [done(_solve_one(j)) for j in jobs]
    ctx = multiprocessing.get_context("forkserver")  # no fork of a parent with solver threads
    ctx.set_forkserver_preload(["teplo.supply.dispatch.solve"])
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx, initializer=silence_banner) as pool:
        return _share_queue(jobs, pool, workers - 1, done)


def _share_queue(
    jobs: list[tuple[DistrictProblem, SolverOptions, Horizon]],
    pool: Executor,
    pool_size: int,
    done: Callable[[GroupSolution], GroupSolution],
) -> list[GroupSolution]:
    """Run ``jobs`` on ``pool`` and in this process from one queue; keep the input order.

    ``done`` is called on every solution as it finishes (from the pool's callback
    thread for the pool's jobs).
    """
    queue = list(range(len(jobs)))[::-1]  # pop() takes the next job
    results: dict[int, GroupSolution] = {}
    futures: dict[Future[GroupSolution], int] = {}
    lock = threading.Lock()
    finished = threading.Event()

    def feed() -> None:  # called with the lock held
        while queue and sum(not f.done() for f in futures) < pool_size:
            i = queue.pop()
            fut = pool.submit(_solve_one, jobs[i])
            futures[fut] = i
            fut.add_done_callback(on_done)

    def on_done(fut: Future[GroupSolution]) -> None:
        with lock:
            if fut.exception() is None:
                done(fut.result())
                feed()
            if all(f.done() for f in futures) and not queue:
                finished.set()

    with lock:
        feed()
    while True:
        with lock:
            if not queue:
                break
            i = queue.pop()
        results[i] = done(_solve_one(jobs[i]))
    with lock:
        if all(f.done() for f in futures):
            finished.set()
    finished.wait()
    for fut, i in futures.items():
        results[i] = fut.result()  # re-raises a worker's error here
    return [results[i] for i in range(len(jobs))]
