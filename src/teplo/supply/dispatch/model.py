"""The dispatch MILP of one district (or one rolling-horizon window), built with linopy.

A recipe in PyPSA's manner: ``define_*`` functions with one signature
``(m, d)``, called in order by :func:`build_model`, names ``"{Component}-{what}"``.
Arrays come straight from the :class:`~teplo.supply.dispatch.problem.DistrictProblem`
(MW, MWh, EUR). Constraints are assembled from numpy arrays of variable labels
and coefficients (:func:`add_rows`) rather than by xarray arithmetic, which
makes building ≈ 5× faster.

Components: ``Unit`` (groups of identical CHP or boiler modules), ``Store``
(hot-water tanks), ``Heat`` (the district's heat bus). Per group and hour:

* ``Unit-heat`` q ≥ 0, MW; ``Unit-on`` n ∈ {0..K} modules on (integer, or
  continuous when relaxed); ``Unit-start`` s ≥ n_t − n_{t−1}, modules started;
  ``Unit-fuel`` f, MW, only for engines with a part-load fuel curve.
* min load / capacity: Qmin·n ≤ q ≤ Qmax·n; min up time Σ_{τ∈(t−U,t]} s_τ ≤ n_t;
  min down time Σ_{τ∈(t−D,t]} s_τ ≤ K − n_{t−D} (Rajan–Takriti, clustered).
* fuel curve: f ≥ a_k·Qmax·n + b_k·q per segment (convex, so exact).
* store: e_t = r·e_{t−1} + c_t − d_t, 0 ≤ e ≤ E, 0 ≤ c, d ≤ P.
* ``Heat-balance``: Σq + Σ(d − c) + u = demand + losses, u ≥ 0 penalised.

Objective (EUR): fuel + variable O&M + starts − electricity value + penalty·u.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from linopy.constraints import Constraint

from teplo.supply.dispatch.problem import DistrictProblem

SNAPSHOT, GROUP, STORE = "snapshot", "group", "store"
_TERM = "_term"  # linopy's term dimension


@dataclass(frozen=True)
class InitialState:
    """State before the first hour of a model (carried between rolling-horizon windows).

    History rows run oldest to newest; the last row is the hour just before.
    """

    on_history: np.ndarray  # (H, G) modules on [-]
    start_history: np.ndarray  # (H, G) modules started [-]
    soc_mwh: np.ndarray  # (S,) stored heat [MWh]

    @classmethod
    def cold(cls, p: DistrictProblem) -> InitialState:
        """The state at the start of the period, from the problem's settings."""
        g = p.groups
        h = int(max(g.min_up_h.max(initial=0), g.min_down_h.max(initial=0), 1))
        on = np.broadcast_to(g.count * float(p.initially_on), (h, len(g))).astype(float)
        return cls(
            on_history=on,
            start_history=np.zeros((h, len(g))),
            soc_mwh=p.stores.energy_mwh * p.initial_soc,
        )


@dataclass(frozen=True)
class ModelInput:
    """What one model is built from: a (windowed) district, its initial state and end condition."""

    problem: DistrictProblem
    state: InitialState
    final_soc_min_mwh: np.ndarray  # (S,) lower bound on stored heat after the last hour [MWh]


# --------------------------------------------------------------------------- array helpers


def _da(values: np.ndarray, *coords: pd.Index) -> xr.DataArray:
    """A DataArray over named pandas indexes (linopy wants named coords)."""
    return xr.DataArray(values, coords=list(coords), dims=[c.name for c in coords])


def labels(m: linopy.Model, name: str) -> np.ndarray:
    """Integer labels of variable ``name`` (−1 where absent), as a numpy array."""
    return np.asarray(m.variables[name].labels.values)


def shift(lab: np.ndarray, k: int) -> np.ndarray:
    """Labels of the hour ``k`` before (−1, i.e. no term, for the first ``k`` hours)."""
    out = np.full_like(lab, -1)
    if k < len(lab):
        out[k:] = lab[: len(lab) - k]
    return out


def add_rows(
    m: linopy.Model,
    name: str,
    coords: Sequence[pd.Index],
    terms: Sequence[tuple[np.ndarray | float, np.ndarray]],
    sign: str,
    rhs: np.ndarray | float,
) -> None:
    """Add constraints Σ coeff·var (sign) rhs over the grid ``coords``, from numpy arrays.

    Each term is (coefficients, variable labels), both broadcast to the grid;
    a label of −1 is no term.
    """
    shape = tuple(len(c) for c in coords)
    dims = tuple(str(c.name) for c in coords)
    var = np.stack([np.broadcast_to(lab, shape) for _, lab in terms], axis=-1)
    coeff = np.stack([np.broadcast_to(np.asarray(c, dtype=float), shape) for c, _ in terms], axis=-1)
    var = np.where(coeff != 0, var, -1)  # no explicit zeros for the solver
    coeff = np.where(var >= 0, coeff, 0.0)
    data = xr.Dataset(
        {
            "coeffs": ((*dims, _TERM), coeff),
            "vars": ((*dims, _TERM), var),
            "sign": (dims, np.full(shape, sign)),
            "rhs": (dims, np.broadcast_to(np.asarray(rhs, dtype=float), shape)),
        },
        coords={str(c.name): c for c in coords},
    )
    m.add_constraints(Constraint(data, m), name=name)


def _coords(d: ModelInput) -> tuple[pd.Index, pd.Index, pd.Index]:
    p = d.problem
    return (
        pd.RangeIndex(p.n_hours, name=SNAPSHOT),
        pd.Index(p.groups.name, name=GROUP),
        pd.Index(p.stores.name, name=STORE),
    )


def _committed(d: ModelInput) -> np.ndarray:
    return np.flatnonzero(d.problem.groups.committed)


# --------------------------------------------------------------------------- variables


def define_variables(m: linopy.Model, d: ModelInput) -> None:
    """Add ``Unit-heat/on/start/fuel``, ``Store-charge/discharge/soc`` and ``Heat-unserved``."""
    p, g, s = d.problem, d.problem.groups, d.problem.stores
    t, gi, si = _coords(d)
    nt = p.n_hours
    cap = np.broadcast_to(g.count * g.heat_max_mw, (nt, len(g)))
    m.add_variables(lower=0.0, upper=_da(cap, t, gi), name="Unit-heat")
    com = _committed(d)
    if len(com):
        ci = gi[com]
        count = _da(np.broadcast_to(g.count[com].astype(float), (nt, len(com))), t, ci)
        m.add_variables(lower=0.0, upper=count, name="Unit-on", integer=p.integer)
        m.add_variables(lower=0.0, upper=count, name="Unit-start")
    cv = np.flatnonzero(g.has_curve)
    if len(cv):
        m.add_variables(lower=0.0, coords=[t, gi[cv]], name="Unit-fuel")
    if len(s):
        power = _da(np.broadcast_to(s.power_mw, (nt, len(s))), t, si)
        m.add_variables(lower=0.0, upper=power, name="Store-charge")
        m.add_variables(lower=0.0, upper=power, name="Store-discharge")
        lower = np.zeros((nt, len(s)))
        lower[-1] = np.minimum(d.final_soc_min_mwh, s.energy_mwh)
        upper = np.broadcast_to(s.energy_mwh, (nt, len(s)))
        m.add_variables(lower=_da(lower, t, si), upper=_da(upper, t, si), name="Store-soc")
    need = np.maximum(p.demand_mw + p.losses_mw, 0.0)
    m.add_variables(lower=0.0, upper=_da(need, t), name="Heat-unserved")


# --------------------------------------------------------------------------- constraints


def define_commitment_constraints(m: linopy.Model, d: ModelInput) -> None:
    """Capacity and min load of the modules on; start-ups from the change in modules on."""
    com = _committed(d)
    if not len(com):
        return
    g = d.problem.groups
    t, gi, _ = _coords(d)
    ci = gi[com]
    heat = labels(m, "Unit-heat")[:, com]
    on, start = labels(m, "Unit-on"), labels(m, "Unit-start")
    qmax = g.heat_max_mw[com]
    add_rows(m, "Unit-heat-upper", (t, ci), [(1.0, heat), (-qmax, on)], "<=", 0.0)
    low = np.flatnonzero(g.min_load[com] > 0)
    if len(low):
        qmin = qmax[low] * g.min_load[com][low]
        add_rows(
            m, "Unit-heat-lower", (t, ci[low]), [(1.0, heat[:, low]), (-qmin, on[:, low])], ">=", 0.0
        )
    rhs = np.zeros((len(t), len(com)))
    rhs[0] = -d.state.on_history[-1, com]
    add_rows(m, "Unit-start-up", (t, ci), [(1.0, start), (-1.0, on), (1.0, shift(on, 1))], ">=", rhs)


def _history_sum(hist: np.ndarray, lags: np.ndarray, nt: int) -> np.ndarray:
    """Σ_{j<lag_g, t−j<0} hist[t−j, g] for every hour t (hist's last row is hour −1)."""
    h = hist.shape[0]
    out = np.zeros((nt, hist.shape[1]))
    for j in range(int(lags.max(initial=0))):
        rows = np.arange(nt) - j
        past = rows < 0
        if not past.any():
            break
        use = past[:, None] & (j < lags)[None, :]
        out += np.where(use, hist[np.clip(h + rows, 0, h - 1)], 0.0)
    return out


def define_up_down_constraints(m: linopy.Model, d: ModelInput) -> None:
    """Minimum up and down times of module groups, with history from the initial state."""
    g = d.problem.groups
    t, gi, _ = _coords(d)
    nt, com = len(t), _committed(d)
    if not len(com):
        return
    on_all, start_all = labels(m, "Unit-on"), labels(m, "Unit-start")
    h = d.state.on_history.shape[0]
    for name, lags_all in (("Unit-up-time", g.min_up_h), ("Unit-down-time", g.min_down_h)):
        sel = np.flatnonzero(lags_all[com] > 1)
        if not len(sel):
            continue
        pos, lags = com[sel], lags_all[com][sel]
        start, on = start_all[:, sel], on_all[:, sel]
        terms: list[tuple[np.ndarray | float, np.ndarray]] = [
            ((j < lags).astype(float), shift(start, j)) for j in range(int(lags.max()))
        ]
        hist = _history_sum(d.state.start_history[:, pos], lags, nt)
        if name == "Unit-up-time":  # Σ starts in (t−U, t] ≤ n_t
            add_rows(m, name, (t, gi[pos]), [*terms, (-1.0, on)], "<=", -hist)
            continue
        # Σ starts in (t−D, t] ≤ K − n_{t−D}; n_{t−D} from history when t < D
        lagged = on.copy()
        known = np.zeros((nt, len(sel)))
        for k, lag in enumerate(lags):
            lagged[:, k] = shift(on[:, k], int(lag))
            early = np.arange(nt) < lag
            rows = np.clip(h + np.arange(nt) - lag, 0, h - 1)
            known[:, k] = np.where(early, d.state.on_history[rows, pos[k]], 0.0)
        rhs = g.count[pos][None, :] - hist - known
        add_rows(m, name, (t, gi[pos]), [*terms, (1.0, lagged)], "<=", rhs)


def define_fuel_curve_constraints(m: linopy.Model, d: ModelInput) -> None:
    """Part-load fuel of gas engines: f ≥ a_k·Qmax·n + b_k·q for every curve segment k."""
    g = d.problem.groups
    cv = np.flatnonzero(g.has_curve)
    if not len(cv):
        return
    t, gi, _ = _coords(d)
    com = list(_committed(d))
    on = labels(m, "Unit-on")[:, [com.index(i) for i in cv]]
    heat, fuel = labels(m, "Unit-heat")[:, cv], labels(m, "Unit-fuel")
    for k in range(g.curve_a.shape[1]):
        a = g.curve_a[cv, k] * g.heat_max_mw[cv]
        add_rows(
            m,
            f"Unit-fuel-curve-{k}",
            (t, gi[cv]),
            [(1.0, fuel), (-a, on), (-g.curve_b[cv, k], heat)],
            ">=",
            0.0,
        )


def define_storage_constraints(m: linopy.Model, d: ModelInput) -> None:
    """State of charge of each store: e_t − r·e_{t−1} − c_t + d_t = 0 (r·e_0 on the right at t=0)."""
    s = d.problem.stores
    if not len(s):
        return
    t, _, si = _coords(d)
    soc = labels(m, "Store-soc")
    rhs = np.zeros((len(t), len(s)))
    rhs[0] = s.retention_per_h * d.state.soc_mwh
    add_rows(
        m,
        "Store-soc-balance",
        (t, si),
        [
            (1.0, soc),
            (-s.retention_per_h, shift(soc, 1)),
            (-1.0, labels(m, "Store-charge")),
            (1.0, labels(m, "Store-discharge")),
        ],
        "=",
        rhs,
    )


def define_heat_balance(m: linopy.Model, d: ModelInput) -> None:
    """Heat produced + discharged − charged + unserved = demand + losses, every hour."""
    p = d.problem
    t, _, _ = _coords(d)
    cols = [labels(m, "Unit-heat"), labels(m, "Heat-unserved")[:, None]]
    coef = [np.ones(len(p.groups)), np.ones(1)]
    if len(p.stores):
        cols += [labels(m, "Store-discharge"), labels(m, "Store-charge")]
        coef += [np.ones(len(p.stores)), -np.ones(len(p.stores))]
    lab = np.hstack(cols)
    c = np.concatenate(coef)
    terms = [(c[j], lab[:, j]) for j in range(lab.shape[1])]
    add_rows(m, "Heat-balance", (t,), terms, "=", p.demand_mw + p.losses_mw)


def define_constraints(m: linopy.Model, d: ModelInput) -> None:
    """All constraints, in order."""
    for step in (
        define_commitment_constraints,
        define_up_down_constraints,
        define_fuel_curve_constraints,
        define_storage_constraints,
        define_heat_balance,
    ):
        step(m, d)


# --------------------------------------------------------------------------- objective


def heat_cost_eur_per_mwh(p: DistrictProblem) -> np.ndarray:
    """Marginal cost of heat of each group and hour, EUR/MWh_th (hours × groups).

    Fuel (unless a part-load curve prices fuel separately) + variable O&M −
    value of the electricity made alongside.
    """
    g = p.groups
    fuel = np.where(g.has_curve, 0.0, g.gas_price_eur_mwh * g.fuel_per_heat)
    return (fuel + g.om_eur_per_mwh_heat)[None, :] - p.power_price_eur_mwh[:, None] * g.power_per_heat[None, :]


def define_objective(m: linopy.Model, d: ModelInput) -> None:
    """Fuel + O&M + start-ups − electricity value + penalty on heat not served, EUR."""
    p, g = d.problem, d.problem.groups
    nt = p.n_hours
    parts = [
        (heat_cost_eur_per_mwh(p), labels(m, "Unit-heat")),
        (np.full(nt, p.penalty_eur_mwh), labels(m, "Heat-unserved")),
    ]
    com = _committed(d)
    if len(com) and np.any(g.start_cost_eur[com] > 0):
        parts.append((np.broadcast_to(g.start_cost_eur[com], (nt, len(com))), labels(m, "Unit-start")))
    cv = np.flatnonzero(g.has_curve)
    if len(cv):
        parts.append((np.broadcast_to(g.gas_price_eur_mwh[cv], (nt, len(cv))), labels(m, "Unit-fuel")))
    coeff = np.concatenate([np.ravel(c) for c, _ in parts])
    var = np.concatenate([np.ravel(v) for _, v in parts])
    data = xr.Dataset({"coeffs": ((_TERM,), coeff), "vars": ((_TERM,), var)})
    m.add_objective(linopy.LinearExpression(data, m))


#: The recipe, in order.
STEPS: tuple[Callable[[linopy.Model, ModelInput], None], ...] = (
    define_variables,
    define_constraints,
    define_objective,
)


def build_model(d: ModelInput) -> linopy.Model:
    """Build the dispatch model of one district window."""
    m = linopy.Model(force_dim_names=True)
    for step in STEPS:
        step(m, d)
    return m
