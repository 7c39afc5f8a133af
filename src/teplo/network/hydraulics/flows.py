"""Mass flows and pressures of one (supply or return) network for given injections.

Trees need no iteration: the tree flows are the accumulated injections,
``A_T q = s`` (one triangular solve), and the pressures follow by one pass
from the slack, ``A_T^T p = Δp``. Meshes are solved by Newton's method on the
chord (loop) flows ``l``: the tree flows are ``q_T = A_T^{-1} s − L l`` and each
loop's pressure drops must sum to zero,

    r(l) = Δp_C(l) − Lᵀ Δp_T(q_T) = 0,   J = Lᵀ diag(Δp_T') L + diag(Δp_C'),

a symmetric positive definite system with one unknown per loop. Only the
pipes that lie on a loop change with ``l``, so the Newton iterations evaluate
friction on those alone. Steps that do not reduce the residual are halved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teplo.errors import NotConvergedError
from teplo.network.hydraulics.friction import PipeFriction
from teplo.network.hydraulics.topology import LoopMatrix, Topology
from teplo.network.water import FloatArray

MAX_STEP_HALVINGS = 12  # Newton line search: 1/4096 of a step is the smallest tried
LOOP_RESIDUAL_FLOOR_PA = 1e-9  # loop imbalance always accepted (round-off of pressures) [Pa]


@dataclass(frozen=True)
class FlowSolution:
    """Flows of one network (active pipes), their pressure drops, and Newton statistics."""

    mass_flow_kg_s: FloatArray  # [active pipe] along the pipe's orientation in this network
    pressure_drop_pa: FloatArray  # [active pipe] friction drop along that orientation
    iterations: int  # Newton iterations (0 for a tree)
    loop_residual_pa: float  # largest loop pressure imbalance left


def tree_flows(topo: Topology, injection_rows: FloatArray) -> FloatArray:
    """Flows in the tree pipes [kg/s] for node injections of the non-slack rows [kg/s]."""
    if topo.lu is None:
        return np.zeros(0)
    return np.asarray(topo.lu.solve(injection_rows), dtype=np.float64)


def solve_flows(
    topo: Topology,
    injection_rows: FloatArray,
    friction: PipeFriction,
    chord_flow_init: FloatArray | None,
    nominal_flow_kg_s: FloatArray,
    tol: float,
    max_iter: int,
    network: str,
    chord_names: list[str],
) -> FlowSolution:
    """Flows in all active pipes; Newton on loop flows when the network has loops.

    Without ``chord_flow_init`` Newton starts from the linear-theory estimate
    (:func:`_linear_theory_start`), which linearises idle pipes at
    ``nominal_flow_kg_s`` [kg/s per active pipe]. Raises
    :class:`NotConvergedError` naming the worst loop by its chord pipe.
    """
    q = np.zeros(len(topo.active_pipe))
    q_tree0 = tree_flows(topo, injection_rows)
    q[topo.tree] = q_tree0
    if topo.loop_matrix is None:
        dp, _ = friction(q)
        return FlowSolution(q, dp, 0, 0.0)

    lmat = topo.loop_matrix  # [loop row, loop]
    loop_tree = topo.tree[topo.loop_rows]
    n_lt = len(loop_tree)
    on_loops = np.concatenate([loop_tree, topo.chords])
    fr = friction.subset(on_loops)
    base = q_tree0[topo.loop_rows]

    def evaluate(chord_q: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        q_loop = np.concatenate([base - lmat.apply(chord_q), chord_q])
        dp, ddp = fr(q_loop)
        return q_loop, dp, ddp, dp[n_lt:] - lmat.apply_t(dp[:n_lt])

    if chord_flow_init is None:
        loops = _linear_theory_start(base, lmat, fr, nominal_flow_kg_s[on_loops])
    else:
        loops = chord_flow_init.astype(np.float64).copy()
    q_loop, dp, ddp, res = evaluate(loops)
    for it in range(max_iter + 1):
        # per-loop scale: the loop's pressure drops summed without signs
        scale = lmat.apply_abs_t(np.abs(dp[:n_lt])) + np.abs(dp[n_lt:])
        if np.all(np.abs(res) <= tol * scale + LOOP_RESIDUAL_FLOOR_PA):
            q[on_loops] = q_loop
            dp_all, _ = friction(q)
            return FlowSolution(q, dp_all, it, float(np.max(np.abs(res))))
        if it == max_iter:
            break
        step = lmat.solve_normal(ddp[:n_lt], ddp[n_lt:], res)
        norm = np.linalg.norm(res)
        alpha = 1.0
        for _ in range(MAX_STEP_HALVINGS):
            trial = loops - alpha * step
            q_t, dp_t, ddp_t, res_t = evaluate(trial)
            if np.linalg.norm(res_t) < norm:
                break
            alpha *= 0.5
        loops, q_loop, dp, ddp, res = trial, q_t, dp_t, ddp_t, res_t
    worst = int(np.argmax(np.abs(res) - tol * scale))
    raise NotConvergedError(
        f"{network} network: loop flows did not converge in {max_iter} Newton iteration(s); "
        f"the loop closed by pipe '{chord_names[worst]}' still has a pressure imbalance of "
        f"{abs(res[worst]):.4g} Pa (tolerance {tol * scale[worst]:.3g} Pa). Raise max_iter or "
        "check for pipes with extreme lengths or diameters"
    )


def _linear_theory_start(
    base: FloatArray, lmat: LoopMatrix, friction: PipeFriction, nominal_flow_kg_s: FloatArray
) -> FloatArray:
    """Loop flows of the network with each loop pipe replaced by its secant resistance.

    The first step of the linear theory method (Wood & Charles 1972, J. Hydraul.
    Div. ASCE 98(7)): with ``Δp_e ≈ R_e q_e``, ``R_e = Δp_e(q*)/q*`` at the pipe's
    flow without loop flows (or its nominal flow if larger), the loop equations
    are linear, ``(Lᵀ R_T L + R_C) l = Lᵀ R_T q_T0``. Newton started there avoids
    the huge first steps that a chord at zero flow (laminar, tiny resistance)
    would cause.
    """
    n_lt = len(base)
    q_star = nominal_flow_kg_s.copy()
    q_star[:n_lt] = np.maximum(np.abs(base), nominal_flow_kg_s[:n_lt])
    dp, _ = friction(q_star)
    resistance = dp / q_star
    return lmat.solve_normal(
        resistance[:n_lt], resistance[n_lt:], lmat.apply_t(resistance[:n_lt] * base)
    )


def node_pressures(
    topo: Topology, pressure_drop_pa: FloatArray, slack_pressure_pa: FloatArray
) -> FloatArray:
    """Pressures [Pa] of the supplied nodes (local) from the pipes' drops along their
    orientation (``p_from − p_to = Δp``) and the slack nodes' pressures.

    ``slack_pressure_pa`` is indexed like ``topo.slack_producer``.
    """
    p_local = np.zeros(len(topo.active_node))
    p_local[topo.slack_local] = slack_pressure_pa
    if topo.lu is None:
        return p_local
    rhs = pressure_drop_pa[topo.tree].copy()
    rhs[topo.root_pipe_rows] -= topo.root_pipe_sign * p_local[topo.root_pipe_slack_local]
    p_rows = np.asarray(topo.lu.solve(rhs, trans="T"), dtype=np.float64)
    nonslack = topo.row_of_local >= 0
    p_local[nonslack] = p_rows[topo.row_of_local[nonslack]]
    return p_local
