"""Exact routing MILP: a directed fixed-charge single-commodity flow model (linopy + HiGHS).

Each undirected edge ``e = (a, b)`` of length ``L_e`` (m) gives two arcs.
Per arc ``ij``: a binary ``y_ij`` (the pipe is laid and fed from ``i``) and
a flow ``f_ij >= 0`` of design heat load (kW). Each site ``r`` injects
``s_r >= 0``; each requested building ``n`` takes its design load ``d_n``::

    y_ab + y_ba <= 1                                  edge-direction
    f_ij <= D y_ij            (D = total design load)  arc-capacity
    inflow(n) - outflow(n) + s_n = d_n                node-balance
    sum_in y = 1 at buildings, = 0 at sites, <= 1 elsewhere       node-indegree
    y_jk <= sum_in y_.j  for a street node j (no arc out unless fed) arc-fed
    sum_out y >= sum_in y at a street node (no dead ends)          node-noleaf

    minimise  sum_arcs L_e (alpha_e y_ij + beta_e f_ij)

The single-commodity big-M model alone has a weak LP bound (17 % gap after
20 s on a 50-building grid); the in-degree, fed and no-leaf constraints of
the Steiner arborescence make it close to 1 % in a few seconds there, and on
about 200 buildings within a minute, at 2 variables per arc instead of the
multi-commodity model's one per arc and building.

Linearisation (as topotherm does, ``topotherm/hydraulic.py``): the caller's
cost per metre of trench ``c(F)`` (EUR/m as a function of the design flow F,
kW) is replaced by its least-squares line ``alpha + beta F`` over
``0 <= F <= D``; ``beta`` is clipped at 0. For new trench ``alpha_e = alpha``,
``beta_e = beta``; an existing pipe costs nothing to reuse, so ``alpha_e`` is
a nominal tie-breaker (:data:`EXISTING_EUR_PER_M`) and ``beta_e = 0``. With a
constant ``c`` the model is the exact Steiner problem.

The heuristic tree is passed to HiGHS as a MIP start (a ``.sol`` file read by
``Highs.readSolution``), so the solver starts with the heuristic's cost as
its incumbent and never returns anything worse.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from linopy import LinearExpression, Model

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Cost of reusing one metre of existing pipe, EUR/m. [E] a tie-breaker only
#: (0.1 cent), so the shortest of equivalent existing paths is taken; reusing
#: an existing trench costs nothing in the model.
EXISTING_EUR_PER_M = 1e-3

#: Smallest demand a requested building carries in the MILP, kW. [E] keeps a
#: building with zero or unknown load connected (any positive flow forces x_e).
MIN_DEMAND_KW = 1e-3

#: Number of evenly spaced flows at which the cost function is sampled for its
#: least-squares line. [E] numerical choice: enough to follow a DN step curve.
N_FIT_SAMPLES = 65


@dataclass(frozen=True)
class LinearCost:
    """Cost per metre of new trench ``alpha + beta F`` (EUR/m, F in kW)."""

    alpha_eur_per_m: float
    beta_eur_per_m_kw: float

    def __call__(self, flow_kw: FloatArray) -> FloatArray:
        """Cost per metre at ``flow_kw``."""
        return self.alpha_eur_per_m + self.beta_eur_per_m_kw * np.asarray(flow_kw, float)


def fit_linear_cost(cost: Any, max_flow_kw: float) -> LinearCost:
    """Least-squares line of ``cost(F)`` (EUR/m) over ``0 <= F <= max_flow_kw`` (kW); slope >= 0."""
    f = np.linspace(0.0, max(max_flow_kw, 1e-9), N_FIT_SAMPLES)
    c = np.asarray(cost(f), dtype=float)
    beta, alpha = np.polyfit(f, c, 1)
    # a slope that changes the cost by less than round-off over the range is no slope
    negligible = abs(beta) * f[-1] <= 1e-9 * max(float(np.abs(c).max()), 1.0)
    beta = 0.0 if negligible else max(float(beta), 0.0)
    alpha = float(np.mean(c - beta * f))
    return LinearCost(alpha_eur_per_m=max(alpha, 0.0), beta_eur_per_m_kw=beta)


@dataclass(frozen=True)
class MilpProblem:
    """The MILP's data on a (reduced) graph with nodes ``0 .. n-1``."""

    n: int
    a: IntArray
    b: IntArray
    length_m: FloatArray
    existing: BoolArray
    demand_kw: FloatArray  # per node; > 0 at requested buildings
    roots: IntArray
    cost: LinearCost

    def edge_coefficients(self) -> tuple[FloatArray, FloatArray]:
        """Objective coefficients of x_e (EUR) and of the flows (EUR/kW)."""
        fixed = np.where(self.existing, EXISTING_EUR_PER_M, self.cost.alpha_eur_per_m) * self.length_m
        per_kw = np.where(self.existing, 0.0, self.cost.beta_eur_per_m_kw) * self.length_m
        return fixed, per_kw

    def objective(self, used: BoolArray, flow_ab: FloatArray) -> float:
        """Objective of a solution (``used`` per edge, signed flow a -> b in kW)."""
        fixed, per_kw = self.edge_coefficients()
        return float(fixed[used].sum() + (per_kw * np.abs(flow_ab)).sum())


@dataclass(frozen=True)
class MilpSolution:
    """What HiGHS returned: selected edges, objective, bound, gap and status."""

    used: BoolArray | None
    status: str
    termination: str
    objective_eur: float
    bound_eur: float
    gap: float
    runtime_s: float


def _sum_by(
    model: Model, dim: str, size: int, row: IntArray, labels: IntArray, coeffs: FloatArray
) -> LinearExpression:
    """Expression per ``row`` in ``0 .. size-1`` summing ``coeffs * var[labels]``, from raw labels."""
    o = np.argsort(row, kind="stable")
    row, labels, coeffs = row[o], labels[o], coeffs[o]
    count = np.bincount(row, minlength=size)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    width = max(int(count.max()) if size else 1, 1)
    vars_ = np.full((size, width), -1, dtype=np.int64)
    coef = np.zeros((size, width))
    vars_[row, slot] = labels
    coef[row, slot] = coeffs
    data = xr.Dataset(
        {"vars": ((dim, "_term"), vars_), "coeffs": ((dim, "_term"), coef)},
        coords={dim: pd.Index(np.arange(size), name=dim)},
    )
    return LinearExpression(data, model)


def build_model(prob: MilpProblem) -> tuple[Model, dict[str, Any]]:
    """The linopy model of :class:`MilpProblem`; returns it and its variables by name."""
    m = Model()
    n_e = len(prob.a)
    tail = np.concatenate([prob.a, prob.b])
    head = np.concatenate([prob.b, prob.a])
    n_arc = 2 * n_e
    arcs = pd.Index(np.arange(n_arc), name="arc")
    nodes = pd.Index(np.arange(prob.n), name="node")
    sites = pd.Index(np.arange(len(prob.roots)), name="site")
    total = float(prob.demand_kw.sum())
    y = m.add_variables(binary=True, coords=[arcs], name="arc-used")
    f = m.add_variables(lower=0.0, coords=[arcs], name="arc-flow")
    s = m.add_variables(lower=0.0, coords=[sites], name="site-supply")
    ly, lf, ls = y.labels.values, f.labels.values, s.labels.values
    ones = np.ones(n_arc)
    m.add_constraints(
        _sum_by(m, "edge", n_e, np.concatenate([np.arange(n_e)] * 2), ly, ones) <= 1.0,
        name="edge-direction",
    )
    m.add_constraints(f - total * y <= 0.0, name="arc-capacity")
    balance = _sum_by(
        m, "node", prob.n,
        np.concatenate([head, tail, prob.roots]),
        np.concatenate([lf, lf, ls]),
        np.concatenate([ones, -ones, np.ones(len(prob.roots))]),
    )
    m.add_constraints(balance == xr.DataArray(prob.demand_kw, coords=[nodes]), name="node-balance")
    is_building = prob.demand_kw > 0
    is_site = np.zeros(prob.n, bool)
    is_site[prob.roots] = True
    indeg = _sum_by(m, "node", prob.n, head, ly, ones)
    m.add_constraints(indeg <= xr.DataArray(np.where(is_site, 0.0, 1.0), coords=[nodes]), name="node-indegree_max")
    m.add_constraints(indeg >= xr.DataArray(is_building.astype(float), coords=[nodes]), name="node-indegree_min")
    street = ~is_building & ~is_site
    # an arc may leave a street node only if the node is fed: y_jk - sum_in y_.j <= 0
    out_arcs = np.flatnonzero(street[tail])
    in_sorted = np.argsort(head, kind="stable")
    n_in = np.bincount(head, minlength=prob.n)
    in_start = np.cumsum(n_in) - n_in
    k = n_in[tail[out_arcs]]
    row = np.repeat(np.arange(len(out_arcs)), k)
    within = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    feeders = in_sorted[np.repeat(in_start[tail[out_arcs]], k) + within]
    fed = _sum_by(
        m, "fed_arc", len(out_arcs),
        np.concatenate([np.arange(len(out_arcs)), row]),
        np.concatenate([ly[out_arcs], ly[feeders]]),
        np.concatenate([np.ones(len(out_arcs)), -np.ones(len(row))]),
    )
    m.add_constraints(fed <= 0.0, name="arc-fed")
    noleaf = _sum_by(
        m, "node", prob.n, np.concatenate([tail, head]), np.concatenate([ly, ly]), np.concatenate([ones, -ones])
    )
    m.add_constraints(noleaf.sel(node=pd.Index(np.flatnonzero(street), name="node")) >= 0.0, name="node-noleaf")
    fixed, per_kw = prob.edge_coefficients()
    cy = xr.DataArray(np.concatenate([fixed, fixed]), coords=[arcs])
    cf = xr.DataArray(np.concatenate([per_kw, per_kw]), coords=[arcs])
    m.add_objective((cy * y).sum() + (cf * f).sum())
    return m, {"y": y, "f": f, "s": s}


def _write_start(path: Path, variables: dict[str, Any], values: dict[str, FloatArray]) -> None:
    """Write a HiGHS solution file with the column values of a MIP start (names ``x<label>``)."""
    labels = np.concatenate([variables[k].labels.values.ravel() for k in ("y", "f", "s")])
    vals = np.concatenate([np.asarray(values[k], float).ravel() for k in ("y", "f", "s")])
    lines = [f"x{lab} {val:.17g}" for lab, val in zip(labels, vals, strict=True)]
    text = (
        "Model status\nUnknown\n\n# Primal solution values\nFeasible\nObjective 0\n"
        f"# Columns {len(lines)}\n" + "\n".join(lines) + "\n# Rows 0\n"
    )
    path.write_text(text)


def solve_milp(
    prob: MilpProblem,
    start_used: BoolArray,
    start_flow_ab: FloatArray,
    *,
    time_limit_s: float,
    mip_gap: float,
) -> MilpSolution:
    """Solve the routing MILP with HiGHS from the MIP start (``start_used``, signed flows a -> b, kW)."""
    m, v = build_model(prob)
    supply = np.zeros(len(prob.roots))
    # supply of each root = net outflow of the start solution at it
    net = np.bincount(prob.a, weights=start_flow_ab, minlength=prob.n) - np.bincount(
        prob.b, weights=start_flow_ab, minlength=prob.n
    )
    supply[:] = np.maximum(net[prob.roots], 0.0)
    fwd = start_used & (start_flow_ab >= 0)
    bwd = start_used & (start_flow_ab < 0)
    start = {
        "y": np.concatenate([fwd, bwd]).astype(float),
        "f": np.concatenate([np.maximum(start_flow_ab, 0.0), np.maximum(-start_flow_ab, 0.0)]),
        "s": supply,
    }
    with tempfile.TemporaryDirectory(prefix="teplo-milp-") as tmp:
        sol = Path(tmp) / "start.sol"
        _write_start(sol, v, start)
        status, termination = m.solve(
            solver_name="highs",
            io_api="direct",
            warmstart_fn=sol,
            time_limit=float(time_limit_s),
            mip_rel_gap=float(mip_gap),
            output_flag=False,
            random_seed=0,
        )
    info = m.solver_model.getInfo() if m.solver_model is not None else None
    bound = float(info.mip_dual_bound) if info is not None else float("nan")
    gap = float(info.mip_gap) if info is not None else float("nan")
    runtime = float(m.solver_model.getRunTime()) if m.solver_model is not None else float("nan")
    ys = np.asarray(v["y"].solution.values, dtype=float)
    n_e = len(prob.a)
    used = (ys[:n_e] + ys[n_e:]) > 0.5 if ys.size and np.all(np.isfinite(ys)) else None
    obj = float(m.objective.value) if m.objective.value is not None else float("nan")
    return MilpSolution(
        used=used, status=str(status), termination=str(termination), objective_eur=obj,
        bound_eur=bound, gap=gap, runtime_s=runtime,
    )
