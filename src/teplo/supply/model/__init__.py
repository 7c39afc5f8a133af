"""The siting MILP: a recipe of ``define_*`` functions (PyPSA ``optimization/optimize.py`` style).

:func:`create_model` builds a linopy model from a :class:`SitingProblem`;
:func:`solve_problem` hands it to HiGHS once (``linopy.io.to_highspy``) and
solves it there (deterministic: one thread, fixed seed) with penalised slack on
every resilience constraint, so an infeasible requirement yields the best
relaxation and the slack says what binds where. Driving HiGHS directly allows
a warm start and reading the MIP dual bound.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field, replace
from typing import cast

import highspy
import linopy
import linopy.io
import numpy as np
import pandas as pd

from teplo.supply.model.constraints import CONSTRAINT_RECIPE, STRICT_ROW_LOWER
from teplo.supply.model.inputs import SitingProblem, build_problem
from teplo.supply.model.objective import SECONDARY_SLACKS, SLACK_WEIGHT, SLACKS, define_objective
from teplo.supply.model.start import greedy_start
from teplo.supply.model.variables import VARIABLE_RECIPE, pair_table
from teplo.supply.settings import SolverSettings

SLACK_TOL_KW = 0.01
"""Slack below this [kW] counts as zero (solver tolerance)."""

__all__ = ["SitingProblem", "SolveStatus", "SubSolution", "build_problem", "create_model", "solve_problem"]


class SolveStatus(enum.Enum):
    """Outcome of a siting solve (linopy ``constants.py`` style)."""

    OPTIMAL = "optimal"  # proven within the MIP gap
    FEASIBLE = "feasible"  # a solution, stopped by the time limit before the gap
    RELAXED = "relaxed"  # some requirement cannot be met: the penalised relaxation is returned
    FAILED = "failed"  # no solution at all

    @property
    def is_ok(self) -> bool:
        """True when every constraint holds (OPTIMAL or FEASIBLE)."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def _empty_slack() -> pd.DataFrame:
    return pd.DataFrame({"constraint": pd.Series(dtype=str), "key": pd.Series(dtype=str),
                         "slack_kw": pd.Series(dtype=float)})


@dataclass
class SubSolution:
    """Solution of one :class:`SitingProblem`, as plain tables. Money in EUR/a."""

    status: SolveStatus
    objective_eur_a: float  # incl. slack penalty
    cost_eur_a: float  # without slack penalty
    bound_eur_a: float  # MIP dual bound of the objective
    solve_time_s: float
    modules: pd.DataFrame  # site_id, type, count
    generators: pd.DataFrame  # site_id, gen, count
    assignment: pd.Series  # district_id -> site_id
    backup: pd.Series  # district_id -> backup_site_id
    heat_mwh: pd.DataFrame  # site_id, type, heat_mwh
    slack: pd.DataFrame = field(default_factory=_empty_slack)
    n_variables: int = 0
    n_constraints: int = 0


def create_model(p: SitingProblem) -> linopy.Model:
    """Build the linopy model: variables, constraints, objective, in recipe order."""
    m = linopy.Model(force_dim_names=True)
    for define in VARIABLE_RECIPE:
        define(m, p)
    for define in CONSTRAINT_RECIPE:
        define(m, p)
    define_objective(m, p)
    return m


@dataclass
class _Run:
    """Raw outcome of one HiGHS run: column values, objective, dual bound, proven-optimal flag."""

    values: np.ndarray | None
    objective: float
    bound: float
    proven: bool


def _position(labels: np.ndarray) -> np.ndarray:
    """Map label -> position in ``labels`` (-1 where absent)."""
    where = np.full(int(labels.max()) + 1 if len(labels) else 0, -1, dtype=np.int64)
    where[labels] = np.arange(len(labels))
    return where


class _HighsModel:
    """A linopy model handed to HiGHS once, with the label -> column (and row) maps to read and change it.

    The model is built once, as the relaxation (slack on every resilience
    constraint): :meth:`set_strict` fixes the slack at zero and switches on the
    cuts that only hold then, and :meth:`set_circle_caps` changes the dispersion
    caps, both in place (building the linopy model takes most of a small
    subproblem's time).
    """

    def __init__(self, m: linopy.Model, solver: SolverSettings) -> None:
        self.m = m
        self.h = linopy.io.to_highspy(m)
        matrices = m.matrices
        self.column = _position(np.asarray(matrices.vlabels, dtype=np.int64))
        self.row = _position(np.asarray(matrices.clabels, dtype=np.int64))
        self.col_upper = np.asarray(matrices.ub, dtype=float)
        sense, rhs = np.asarray(matrices.sense), np.asarray(matrices.b, dtype=float)
        self.row_lower = np.where(sense != "<", rhs, -np.inf)
        options: dict[str, bool | float | int | str] = {
            "output_flag": False, "log_to_console": False, "random_seed": solver.seed,
            "mip_rel_gap": solver.mip_gap, "threads": solver.threads,
        }
        for key, value in options.items():
            self.h.setOptionValue(key, value)

    def columns(self, name: str) -> np.ndarray:
        """Column of every entry of variable ``name`` (-1 where masked), in its label shape."""
        labels = self.m.variables[name].labels.to_numpy()
        safe = np.clip(labels, 0, max(len(self.column) - 1, 0))
        return np.where(labels >= 0, self.column[safe], -1)

    def rows(self, name: str) -> np.ndarray:
        """Rows of constraint ``name`` (flattened, masked entries dropped)."""
        labels = self.m.constraints[name].labels.to_numpy().ravel()
        labels = labels[labels >= 0]
        rows = self.row[labels]
        return rows[rows >= 0]

    def set_strict(self, strict: bool) -> None:
        """Fix every slack at zero and switch on the strict-only cuts (or undo both)."""
        for name in SLACKS:
            if name in self.m.variables:
                cols = self.columns(name).ravel()
                cols = cols[cols >= 0].astype(np.int32)
                upper = np.zeros(len(cols)) if strict else self.col_upper[cols]
                self.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), upper)
        for name, lower in STRICT_ROW_LOWER.items():
            if name in self.m.constraints:
                rows = self.rows(name).astype(np.int32)
                low = np.full(len(rows), lower) if strict else self.row_lower[rows]
                change = self.h.changeRowsBounds  # type: ignore[attr-defined]  # missing from highspy's stubs
                change(len(rows), rows, low, np.full(len(rows), np.inf))

    def set_circle_caps(self, caps_kw: np.ndarray) -> None:
        """Set the dispersion cap [kW] of every circle (in the problem's circle_cap_kw order)."""
        rows = self.rows("circles-dispersion").astype(np.int32)
        change = self.h.changeRowsBounds  # type: ignore[attr-defined]  # missing from highspy's stubs
        change(len(rows), rows, np.full(len(rows), -np.inf), np.asarray(caps_kw, dtype=float))

    def set_start(self, values: dict[str, pd.Series | pd.DataFrame]) -> None:
        """Give HiGHS a partial start: values of some variables (in coordinate order); it completes the rest."""
        cols, vals = [], []
        for name, table in values.items():
            if name not in self.m.variables:
                continue
            c = self.columns(name).ravel()
            v = np.asarray(table, dtype=float).ravel()
            keep = c >= 0
            cols.append(c[keep])
            vals.append(v[keep])
        if cols:
            idx = np.concatenate(cols).astype(np.int32)
            self.h.setSolution(len(idx), idx, np.concatenate(vals))

    def run(self, time_limit_s: float) -> _Run:
        """Solve within ``time_limit_s`` [s] (from the start, if one was set)."""
        self.h.setOptionValue("time_limit", max(float(time_limit_s), 0.5))
        self.h.run()
        info = self.h.getInfo()
        if info.primal_solution_status != 2:  # 2 = a feasible solution is held
            return _Run(None, math.nan, -math.inf, False)
        values = np.asarray(self.h.getSolution().col_value, dtype=float)
        proven = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return _Run(values, float(info.objective_function_value), float(info.mip_dual_bound), proven)

    def values(self, run: _Run, name: str) -> np.ndarray:
        """Values of variable ``name`` in ``run`` (NaN where masked), in its label shape."""
        cols = self.columns(name)
        assert run.values is not None
        return np.where(cols >= 0, run.values[np.maximum(cols, 0)], np.nan)


def _counts(hm: _HighsModel, run: _Run, name: str, index: pd.Index, columns: pd.Index, col: str) -> pd.DataFrame:
    table = pd.DataFrame(np.rint(np.nan_to_num(hm.values(run, name))).astype(int), index=index, columns=columns)
    out = cast(pd.Series, table.stack()).rename("count").reset_index()
    out.columns = ["site_id", col, "count"]
    return out.loc[out["count"] > 0].reset_index(drop=True)


def _slack_table(hm: _HighsModel, run: _Run, p: SitingProblem) -> pd.DataFrame:
    keys = {
        "slack-nk": ("sites-nk", list(p.sites.index)),
        "slack-blackout": ("sites-blackout", list(p.sites.index)),
        "slack-unserved": ("districts-assign", list(p.districts.index)),
    }
    if len(p.backups):
        pairs = pair_table(p)
        keys["slack-pair"] = ("backups-pair", [f"{a}->{b}" for a, b in zip(pairs["site_id"], pairs["backup_site_id"],
                                                                          strict=True)])
    rows: list[tuple[str, str, float]] = []
    for name, (constraint, labels) in keys.items():
        if name not in hm.m.variables:
            continue
        for key, value in zip(labels, hm.values(run, name), strict=True):
            if value > SLACK_TOL_KW:
                rows.append((constraint, str(key), float(value)))
    if len(p.circles):  # excess over the required cap (the solve may have raised it, or used slack)
        n = pd.DataFrame(np.nan_to_num(hm.values(run, "units-count")), index=p.sites.index, columns=p.heat.index)
        cap = (n * p.heat["heat_kw"]).sum(axis=1)
        inside = cap.reindex(p.circles["site_id"]).to_numpy()
        excess = pd.Series(inside, index=p.circles["circle_id"].to_numpy()).groupby(level=0).sum() - p.circle_cap_kw
        for key, value in excess.loc[excess > SLACK_TOL_KW].items():
            rows.append(("circles-dispersion", str(key), float(value)))
    return pd.DataFrame(rows, columns=["constraint", "key", "slack_kw"]) if rows else _empty_slack()


def _extract(hm: _HighsModel, run: _Run, p: SitingProblem, status: SolveStatus, t: float) -> SubSolution:
    m = hm.m
    modules = _counts(hm, run, "units-count", p.sites.index, p.heat.index, "type")
    if "units-generators" in m.variables:
        gens = _counts(hm, run, "units-generators", p.sites.index, p.gens.index, "gen")
    else:
        gens = pd.DataFrame({"site_id": pd.Series(dtype=str), "gen": pd.Series(dtype=str),
                             "count": pd.Series(dtype=int)})
    chosen = p.arcs.loc[hm.values(run, "arcs-assign") > 0.5]
    assignment = pd.Series(chosen["site_id"].to_numpy(), name="site_id",
                           index=pd.Index(chosen["district_id"].to_numpy(), name="district_id")).sort_index()
    if "backups-choose" in m.variables:
        b = p.backups.loc[hm.values(run, "backups-choose") > 0.5]
        backup = pd.Series(b["backup_site_id"].to_numpy(), name="backup_site_id",
                           index=pd.Index(b["district_id"].to_numpy(), name="district_id")).sort_index()
    else:
        backup = pd.Series(dtype=str, name="backup_site_id", index=pd.Index([], name="district_id"))
    heat = pd.DataFrame(hm.values(run, "units-heat"), index=p.sites.index, columns=p.heat.index)
    q = cast(pd.Series, heat.stack()).rename("heat_mwh").reset_index()
    q.columns = ["site_id", "type", "heat_mwh"]
    q = q.loc[q["heat_mwh"] > 1e-6].reset_index(drop=True)
    slack_kw = sum(SLACK_WEIGHT.get(name, 1.0) * float(np.nansum(hm.values(run, name)))
                   for name in SLACKS if name in m.variables)
    return SubSolution(
        status=status, objective_eur_a=run.objective, cost_eur_a=run.objective - slack_kw * p.penalty_eur_per_kw,
        bound_eur_a=run.bound, solve_time_s=t, modules=modules, generators=gens, assignment=assignment,
        backup=backup, heat_mwh=q, slack=_slack_table(hm, run, p), n_variables=int(m.nvars),
        n_constraints=int(m.ncons),
    )


def failed_solution(t: float) -> SubSolution:
    """A :class:`SubSolution` for 'no solution found'."""
    empty = pd.DataFrame()
    return SubSolution(SolveStatus.FAILED, math.nan, math.nan, -math.inf, t, empty, empty,
                       pd.Series(dtype=str), pd.Series(dtype=str), empty)


def _lp_slack(hm: _HighsModel, p: SitingProblem) -> tuple[float, float, pd.Series]:
    """Slack [kW] at the LP optimum of the penalised model: (dispersion excess, all other slack, excess per circle).

    With the penalty far above any module's cost, slack left at the LP optimum
    means even a fractional plan cannot meet that requirement, so the strict MILP
    is infeasible. An LP that does not solve counts as needing slack.
    """
    hm.h.setOptionValue("solve_relaxation", True)
    hm.h.run()
    hm.h.setOptionValue("solve_relaxation", False)
    if hm.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        hm.h.clearSolver()
        return math.inf, math.inf, pd.Series(dtype=float)
    values = np.asarray(hm.h.getSolution().col_value, dtype=float)
    found = {}
    for name in SLACKS:
        if name in hm.m.variables:
            cols = hm.columns(name).ravel()
            found[name] = float(values[cols[cols >= 0]].sum())
    per_circle = (pd.Series(np.clip(hm.values(_Run(values, 0.0, 0.0, False), "slack-circle"), 0.0, None),
                            index=p.circle_cap_kw.index) if "slack-circle" in hm.m.variables
                  else pd.Series(dtype=float))
    hm.h.clearSolver()
    for name in SECONDARY_SLACKS:
        found.pop(name, None)
    dispersion = found.pop("slack-dispersion", 0.0)
    return dispersion, sum(found.values()), per_circle


DISPERSION_STEP_KW = 100.0
"""Granularity [kW] by which a dispersion cap the area cannot meet is raised."""


def _finish(hm: _HighsModel, p: SitingProblem, time_limit_s: float, t0: float) -> SubSolution | None:
    run = hm.run(max(time_limit_s - (time.perf_counter() - t0), 0.5))
    if run.values is None:
        return None
    status = SolveStatus.OPTIMAL if run.proven else SolveStatus.FEASIBLE
    sol = _extract(hm, run, p, status, time.perf_counter() - t0)
    if not sol.slack.empty:
        sol.status = SolveStatus.RELAXED
    return sol


def solve_problem(
    p: SitingProblem, solver: SolverSettings, time_limit_s: float, warm_start: bool = True,
    start: dict[str, pd.Series | pd.DataFrame] | None = None,
) -> SubSolution:
    """Solve ``p``; the penalised relaxation only when the requirements cannot all be met.

    1. The LP relaxation of the penalised model (slack on every resilience
       constraint at ``slack_penalty_eur_per_kw``, default 1e6 EUR/kW/a, above the
       cost of any module that could remove a violation): if it keeps slack, the
       strict problem is infeasible and step 2 is skipped. Dispersion slack is
       one excess e for all circles; if even the LP needs it, the area's demand
       density exceeds what the cap allows and every cap is raised by e (in
       ``DISPERSION_STEP_KW`` steps) before going on: the plan then lists the
       circles above the required cap (status RELAXED), the least such excess.
    2. The strict MILP (every resilience constraint hard, plus valid cuts that
       only hold there), for at most half the time limit.
    3. If step 1 or 2 found no strict plan: the penalised MILP from a
       constructive start (:func:`teplo.supply.model.start.greedy_start`); its
       slack says what binds where, and the status is RELAXED when slack remains.
       ``start`` (e.g. :func:`teplo.supply.model.start.plan_start`) replaces
       the constructive start.

    Deterministic for a given seed when the solve ends within its limit.
    """
    t0 = time.perf_counter()
    hm = _HighsModel(create_model(p.relaxed()), solver)  # built once; made strict or re-capped in place
    excess, other, per_circle = _lp_slack(hm, p)
    for _ in range(3):  # raise the caps by what even the LP needs, circle by circle (rarely a second round)
        if not (SLACK_TOL_KW < excess < math.inf):
            break
        need = np.ceil(per_circle.loc[per_circle > SLACK_TOL_KW] / DISPERSION_STEP_KW - 1e-9) * DISPERSION_STEP_KW
        p = replace(p, dispersion_extra_kw=p.extra_per_circle_kw().add(need, fill_value=0.0))
        hm.set_circle_caps(p.enforced_caps_kw())
        excess, other, per_circle = _lp_slack(hm, p)
    if excess <= SLACK_TOL_KW and other <= SLACK_TOL_KW:
        hm.set_strict(True)
        strict = _finish(hm, p, 0.5 * time_limit_s, t0)
        hm.set_strict(False)
        if strict is not None:
            return strict
        hm.h.clearSolver()
    r = p.relaxed()
    if warm_start:
        hm.set_start(start if start is not None else greedy_start(r))
    sol = _finish(hm, r, time_limit_s, t0)
    return sol if sol is not None else failed_solution(time.perf_counter() - t0)
