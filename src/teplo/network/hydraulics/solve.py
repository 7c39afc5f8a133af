"""Steady-state thermo-hydraulic solve of a closed-loop heat network.

An outer fixed-point loop couples temperatures and flows. Each pass:

1. supply and return flows and pressures for the current set-point flows
   (:mod:`.flows`: one triangular solve on trees, Newton on loop flows in
   meshes, warm-started from the previous pass);
2. supply and return temperatures (:mod:`.thermal`: one triangular solve each);
3. new set-point flows from those temperatures: consumers
   ``ṁ = q / (c_p (T_in − T_out))`` with a fixed return temperature or ΔT,
   ``heat``-mode producers likewise from the return temperature reaching them.

The set-point flows are mixed by Anderson acceleration (:mod:`.anderson`).
Water properties per pipe come from the previous pass's temperatures (density:
mean of inlet and outlet, viscosity: at the mean temperature, heat capacity:
mean of inlet and outlet, as pandapipes). Heat loss shifts arriving
temperatures by a few kelvin, so 3–9 passes reach 1e-6.
"""

from __future__ import annotations

import numpy as np

from teplo.errors import NotConvergedError
from teplo.network.hydraulics.anderson import AndersonAccelerator
from teplo.network.hydraulics.assemble import LocalSolution, assemble
from teplo.network.hydraulics.flows import FlowSolution, node_pressures, solve_flows
from teplo.network.hydraulics.friction import FrictionModel, PipeFriction
from teplo.network.hydraulics.local import (
    Iterate,
    LocalNetwork,
    initial_iterate,
    mean_cp,
    pipe_properties,
)
from teplo.network.hydraulics.model import HydraulicNetwork, raise_unsupplied, validate_arrays
from teplo.network.hydraulics.results import HydraulicResult
from teplo.network.hydraulics.thermal import ThermalState, solve_temperatures
from teplo.network.hydraulics.topology import HEAT, MASS_FLOW, IntArray, Topology
from teplo.network.water import FloatArray, heat_capacity_j_kgk

DEFAULT_TOL = 1e-6  # relative change of flows and temperatures at convergence [-]; numerical
#                     choice, 1e-4 K on temperatures, far inside the 1 % / 0.5 K validation bands
DEFAULT_MAX_ITER = 50  # outer passes, and Newton iterations per loop-flow solve
ANDERSON_DEPTH = 5  # passes remembered by the acceleration (Walker & Ni 2011 use 1-50)
DIVERGENCE_FACTOR = 2.0  # a pass changing the flows this much more than the last one damps
DT_FLOOR_K = 1.0  # smallest temperature difference a consumer or heat producer works across [K];
#                   below it a consumer would need > 25 times its 95/70 design flow


def solve(
    net: HydraulicNetwork,
    *,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    warm_start: HydraulicResult | None = None,
    allow_unsupplied: bool = False,
    friction: FrictionModel = "colebrook_laminar",
) -> HydraulicResult:
    """Solve flows, pressures and temperatures of ``net``.

    ``tol`` is the relative change of mass flows and temperatures over a pass
    (and the relative loop pressure imbalance) accepted as converged;
    ``max_iter`` bounds the outer passes and the Newton iterations of each
    loop-flow solve. ``warm_start``, a previous result of a network with the
    same nodes and pipes (e.g. another hour, demand or valve state), starts
    from its temperatures and loop flows and reuses its topology when valves
    and connections are unchanged. Consumers cut off from every
    pressure-holding producer raise :class:`InputError` unless
    ``allow_unsupplied``, which reports them with ``supplied=False``.
    ``friction`` picks the friction factor model (:mod:`.friction`): the
    default uses 64/Re in laminar flow, ``"colebrook"`` Colebrook–White at
    every Reynolds number as pandapipes does.
    Raises :class:`NotConvergedError` saying what did not converge and where.
    """
    validate_arrays(net)
    topo = _topology(net, warm_start)
    if not allow_unsupplied:
        raise_unsupplied(net, topo)
    local = LocalNetwork.of(net, topo)
    state = initial_iterate(net, local, warm_start)
    m_cons, m_prod, t_cons_out = _set_point_flows(net, local, state)
    accel = AndersonAccelerator(ANDERSON_DEPTH)
    newton = 0
    change = previous = np.inf
    for it in range(1, max_iter + 1):
        injection = _node_sum(local.prod_node, m_prod, local.n_nodes) - _node_sum(
            local.cons_node, m_cons, local.n_nodes
        )
        m_slack = -_node_sum(local.island_of_node, injection, len(local.slack))
        sup, ret, p_s, p_r = _hydraulics(net, local, state, injection, tol, max_iter, friction)
        newton += sup.iterations + ret.iterations
        th_s, th_r = _temperatures(
            net, local, state, sup, ret, (p_s, p_r), (m_cons, t_cons_out), m_prod, m_slack
        )
        new_state = Iterate(
            th_s.node_c, th_r.node_c,
            th_s.pipe_in_c, th_s.pipe_out_c, th_r.pipe_in_c, th_r.pipe_out_c,
            sup.mass_flow_kg_s[topo.chords], ret.mass_flow_kg_s[topo.chords], th_s.order, th_r.order,
        )  # fmt: skip
        g_cons, g_prod, g_out = _set_point_flows(net, local, new_state)
        x = np.concatenate([m_cons, m_prod])
        gx = np.concatenate([g_cons, g_prod])
        change = _change(x, gx, state, new_state)
        if change <= tol:
            _raise_if_clamped(net, local, new_state)
            solution = LocalSolution(
                sup, ret, p_s, p_r, th_s, th_r, m_cons, t_cons_out, m_prod, m_slack,
                it, newton, change,
            )  # fmt: skip
            return assemble(net, local, solution)
        if change > DIVERGENCE_FACTOR * previous:
            accel.slow_down()
        previous = change
        x_next = accel.step(x, gx)
        m_cons, m_prod = x_next[: len(m_cons)], x_next[len(m_cons) :]
        t_cons_out = g_out
        state = new_state
    raise NotConvergedError(
        f"temperatures and flows did not settle in {max_iter} outer iteration(s): last relative "
        f"change {change:.3g} > tol {tol:g}. Raise max_iter; persistent oscillation points to "
        "consumers whose supply temperature is close to their return temperature"
    )


def _node_sum(index: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Sum of ``weights`` per ``index`` in ``0..n-1``."""
    return np.bincount(index, weights, n).astype(np.float64, copy=False)


def _topology(net: HydraulicNetwork, warm: HydraulicResult | None) -> Topology:
    """The warm start's topology if it still fits, else the network's (cached) one."""
    if warm is not None and warm.topology.key == net.topology_key():
        return warm.topology
    return net.topology()


def _set_point_flows(
    net: HydraulicNetwork, local: LocalNetwork, state: Iterate
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Consumer flows, non-slack producer flows [kg/s] and consumer outlet temperatures [°C].

    A temperature difference below :data:`DT_FLOOR_K` is taken as the floor, so
    that a pass which briefly starves a consumer (its first flows were guessed
    from the producer's temperature) does not ask for an unbounded flow;
    :func:`_raise_if_clamped` rejects a converged state that still needs it.
    """
    c, g = net.consumers, net.producers
    t_in = state.t_supply[local.cons_node]
    fixed_return = np.isfinite(c.return_temp_c[local.cons])
    t_out = np.where(fixed_return, c.return_temp_c[local.cons], t_in - c.delta_t_k[local.cons])
    heat = c.heat_w[local.cons]
    drop = np.maximum(t_in - t_out, DT_FLOOR_K)
    m_cons = np.where(heat > 0, heat / (mean_cp(t_in, t_out) * drop), 0.0)

    mode = g.mode[local.prod]
    m_prod = np.where(mode == MASS_FLOW, g.mass_flow_kg_s[local.prod], 0.0)
    is_heat = (mode == HEAT) & (g.heat_w[local.prod] > 0)
    if np.any(is_heat):
        t_sup = g.supply_temp_c[local.prod]
        t_back = state.t_return[local.prod_node]
        lift = np.maximum(t_sup - t_back, DT_FLOOR_K)
        m_heat = g.heat_w[local.prod] / (mean_cp(t_sup, t_back) * lift)
        m_prod = np.where(is_heat, m_heat, m_prod)
    return m_cons, m_prod, t_out


def _raise_if_clamped(net: HydraulicNetwork, local: LocalNetwork, state: Iterate) -> None:
    """Reject a converged state in which a consumer or heat producer works across less
    than :data:`DT_FLOOR_K`: it would need an unbounded flow to move its heat."""
    c, g = net.consumers, net.producers
    t_in = state.t_supply[local.cons_node]
    t_ret = c.return_temp_c[local.cons]
    short = (c.heat_w[local.cons] > 0) & (t_in - t_ret < DT_FLOOR_K)  # NaN (fixed ΔT): False
    if np.any(short):
        i = np.flatnonzero(short)
        names = ", ".join(str(x) for x in c.id[local.cons[i[:10]]])
        raise NotConvergedError(
            f"{len(i)} consumer(s) cannot draw their heat: the supply temperature reaching them "
            f"settles less than {DT_FLOOR_K} K above their return temperature ({names}; e.g. "
            f"{t_in[i[0]]:.2f} °C against {t_ret[i[0]]:.2f} °C). Raise the supply temperature, "
            "shorten long lightly loaded branches or lower return_temp_c"
        )
    is_heat = (g.mode[local.prod] == HEAT) & (g.heat_w[local.prod] > 0)
    t_back = state.t_return[local.prod_node]
    bad = is_heat & (g.supply_temp_c[local.prod] - t_back < DT_FLOOR_K)
    if np.any(bad):
        i = np.flatnonzero(bad)[0]
        raise NotConvergedError(
            f"producer '{g.id[local.prod[i]]}': the return temperature at its node settles at "
            f"{t_back[i]:.2f} °C, not {DT_FLOOR_K} K below its supply temperature "
            f"{g.supply_temp_c[local.prod[i]]:.2f} °C; it cannot inject its heat there"
        )


def _hydraulics(
    net: HydraulicNetwork,
    local: LocalNetwork,
    state: Iterate,
    injection: FloatArray,
    tol: float,
    max_iter: int,
    model: FrictionModel,
) -> tuple[FlowSolution, FlowSolution, FloatArray, FloatArray]:
    """Flows and pressures of the supply and the return network."""
    topo = local.topo
    rows = topo.row_of_local
    s_rows = np.zeros(topo.n_rows)
    s_rows[rows[rows >= 0]] = injection[rows >= 0]
    supply_friction, return_friction = (
        PipeFriction(
            local.length_m,
            local.diameter_m,
            local.roughness_m,
            *pipe_properties(t_in, t_out),
            model,
        )
        for t_in, t_out in (
            (state.supply_in, state.supply_out),
            (state.return_in, state.return_out),
        )
    )
    common = (local.nominal_flow_kg_s, tol, max_iter)
    sup = solve_flows(topo, s_rows, supply_friction, state.chords_supply, *common, "supply",
                      local.chord_names)  # fmt: skip
    if topo.n_loops:
        start = state.chords_return
        if start is None:
            start = sup.mass_flow_kg_s[topo.chords]
        ret = solve_flows(topo, s_rows, return_friction, start, *common, "return",
                          local.chord_names)  # fmt: skip
    else:  # a tree: the mirrored return network carries the same flows
        dp_r, _ = return_friction(sup.mass_flow_kg_s)
        ret = FlowSolution(sup.mass_flow_kg_s, dp_r, 0, 0.0)
    g = net.producers
    p_s = node_pressures(topo, sup.pressure_drop_pa, g.p_supply_pa[local.slack])
    p_r = node_pressures(topo, -ret.pressure_drop_pa, g.p_return_pa[local.slack])
    return sup, ret, p_s, p_r


def _temperatures(
    net: HydraulicNetwork,
    local: LocalNetwork,
    state: Iterate,
    sup: FlowSolution,
    ret: FlowSolution,
    pressures: tuple[FloatArray, FloatArray],
    consumers: tuple[FloatArray, FloatArray],
    m_prod: FloatArray,
    m_slack: FloatArray,
) -> tuple[ThermalState, ThermalState]:
    """Supply, then return temperatures for this pass's flows.

    ``pressures`` are the supply and return node pressures (the flow order),
    ``consumers`` the consumer flows and outlet temperatures.
    """
    g = net.producers
    feed_t = np.concatenate([g.supply_temp_c[local.prod], g.supply_temp_c[local.slack]])
    feed_m = np.concatenate([m_prod, m_slack])
    feed_node = np.concatenate([local.prod_node, local.topo.slack_local])
    into = feed_m > 0
    th_s = solve_temperatures(
        local.n_nodes, local.pipe_from, local.pipe_to, sup.mass_flow_kg_s,
        mean_cp(state.supply_in, state.supply_out), local.u_l_w_k, local.ground_c,
        feed_node[into], feed_m[into] * heat_capacity_j_kgk(feed_t[into]), feed_t[into],
        local.node_ground_c, pressures[0], state.order_supply,
    )  # fmt: skip
    # the return network receives the consumers' outflow, and a slack pushed backwards
    # (others feeding more than the demand) bypasses supply water into it
    back = feed_m < 0
    inj_node = np.concatenate([local.cons_node, feed_node[back]])
    inj_m = np.concatenate([consumers[0], -feed_m[back]])
    inj_t = np.concatenate([consumers[1], th_s.node_c[feed_node[back]]])
    th_r = solve_temperatures(
        local.n_nodes, local.pipe_to, local.pipe_from, ret.mass_flow_kg_s,
        mean_cp(state.return_in, state.return_out), local.u_l_w_k, local.ground_c,
        inj_node, inj_m * heat_capacity_j_kgk(inj_t), inj_t, local.node_ground_c, pressures[1],
        state.order_return,
    )  # fmt: skip
    return th_s, th_r


def _change(x: FloatArray, gx: FloatArray, old: Iterate, new: Iterate) -> float:
    """Largest relative change over a pass: set-point flows, and node temperatures."""
    flow_scale = max(float(np.max(np.abs(gx), initial=0.0)), 1e-12)
    d_flow = float(np.max(np.abs(gx - x), initial=0.0)) / flow_scale
    temps = np.concatenate([new.t_supply, new.t_return])
    prev = np.concatenate([old.t_supply, old.t_return])
    t_scale = max(float(np.max(np.abs(temps), initial=0.0)), 1.0)
    return max(d_flow, float(np.max(np.abs(temps - prev), initial=0.0)) / t_scale)
