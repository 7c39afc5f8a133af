"""Steady-state thermo-hydraulic solve of a closed-loop heat network.

One outer fixed-point loop couples temperatures and flows:

1. consumer mass flows from the supply temperature arriving at them
   (``q = ṁ·c_p·(T_in − T_out)`` with a fixed return temperature or ΔT) and
   ``heat``-mode producer flows from the return temperature at them;
2. supply and return flows and pressures (:mod:`.flows`: one triangular solve
   on trees, Newton on loop flows in meshes, warm-started from the previous
   outer iteration);
3. supply and return temperatures (:mod:`.thermal`: one triangular solve each).

Water properties per pipe are those of the previous iteration's
temperatures (density: mean of inlet and outlet, viscosity: at the mean
temperature, heat capacity: mean of inlet and outlet, as pandapipes does).
Heat loss changes the arriving temperatures by a few kelvin at most, so the
loop contracts fast (3–6 iterations to 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teplo.errors import NotConvergedError
from teplo.network.hydraulics.flows import FlowSolution, node_pressures, solve_flows
from teplo.network.hydraulics.friction import PipeFriction, reynolds
from teplo.network.hydraulics.model import HydraulicNetwork, _validate_arrays, raise_unsupplied
from teplo.network.hydraulics.results import (
    ConsumerResults,
    HydraulicResult,
    NodeResults,
    PipeResults,
    ProducerResults,
)
from teplo.network.hydraulics.thermal import ThermalState, solve_temperatures
from teplo.network.hydraulics.topology import (
    HEAT,
    MASS_FLOW,
    PRESSURE,
    IntArray,
    Topology,
)
from teplo.network.water import FloatArray, density_kg_m3, heat_capacity_j_kgk, viscosity_pa_s

DEFAULT_TOL = 1e-6  # relative change of mass flows and temperatures at convergence [-]
DEFAULT_MAX_ITER = 50  # outer iterations, and Newton iterations per loop-flow solve
NOMINAL_VELOCITY_M_S = 1.0  # linearisation point of idle pipes for the loop-flow start [m/s],
#                             mid-range of 0.5-2.5 m/s (vicus pipe-dimensioning, figures §4.1)
NOMINAL_DENSITY_KG_M3 = 970.0  # water near 80 °C, only used for that linearisation point
ANDERSON_DEPTH = 5  # flows remembered by the outer-loop acceleration (Walker & Ni 2011 use 1-50)
MIN_DELTA_T_K = 0.1  # smallest supply-return difference a consumer or producer can work with [K]


@dataclass(eq=False)
class _Arrays:
    """The active part of a network as local arrays, fixed during the solve."""

    topo: Topology
    n_local: int
    pipe_from: IntArray  # [active pipe] local node
    pipe_to: IntArray
    length_m: FloatArray
    diameter_m: FloatArray
    roughness_m: FloatArray
    area_m2: FloatArray
    u_l_w_k: FloatArray  # U * L per pipe
    ground_c: FloatArray
    node_ground_c: FloatArray  # [local node] temperature of stagnant water
    island_of_local: IntArray  # [local node] index into topo.slack_producer
    cons: IntArray  # supplied consumers (global index)
    cons_local: IntArray
    prod: IntArray  # supplied non-slack producers (global index)
    prod_local: IntArray
    slack: IntArray  # slack producers (global index), one per island
    nominal_flow_kg_s: FloatArray  # [active pipe] flow at NOMINAL_VELOCITY_M_S
    chord_names: list[str]


@dataclass(eq=False)
class _Iterate:
    """What one outer iteration hands to the next."""

    t_supply: FloatArray  # [local node]
    t_return: FloatArray
    supply_in: FloatArray  # [active pipe] temperatures along the flow
    supply_out: FloatArray
    return_in: FloatArray
    return_out: FloatArray
    chords_supply: FloatArray | None  # [loop] chord flows, None before the first solve
    chords_return: FloatArray | None


def solve(
    net: HydraulicNetwork,
    *,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    warm_start: HydraulicResult | None = None,
    allow_unsupplied: bool = False,
) -> HydraulicResult:
    """Solve flows, pressures and temperatures of ``net``.

    ``tol`` is the relative change of mass flows and temperatures (and the
    relative loop pressure imbalance) accepted as converged; ``max_iter``
    bounds the outer iterations and the Newton iterations of each loop-flow
    solve. ``warm_start`` (a previous result of a network with the same nodes
    and pipes) starts from its temperatures and loop flows and reuses its
    topology when valves and connections are unchanged. Consumers cut off
    from every pressure-holding producer raise :class:`InputError` unless
    ``allow_unsupplied``, which reports them with ``supplied=False``.
    Raises :class:`NotConvergedError` saying what did not converge.
    """
    _validate_arrays(net)
    topo = _topology(net, warm_start)
    if not allow_unsupplied:
        raise_unsupplied(net, topo)
    arr = _local_arrays(net, topo)
    state = _initial_state(net, arr, warm_start)
    m_cons, m_prod, t_cons_out = _set_point_flows(net, arr, state)
    accel = _Anderson(ANDERSON_DEPTH)
    newton = 0
    change = np.inf
    for it in range(1, max_iter + 1):
        injection = _node_sum(arr.prod_local, m_prod, arr.n_local) - _node_sum(
            arr.cons_local, m_cons, arr.n_local
        )
        m_slack = -_node_sum(arr.island_of_local, injection, len(arr.slack))
        sup, ret, p_s, p_r = _hydraulics(net, arr, state, injection, tol, max_iter)
        newton += sup.iterations + ret.iterations
        th_s, th_r = _temperatures(
            net, arr, state, sup, ret, p_s, p_r, m_cons, t_cons_out, m_prod, m_slack
        )
        new_state = _Iterate(
            th_s.node_c, th_r.node_c,
            th_s.pipe_in_c, th_s.pipe_out_c, th_r.pipe_in_c, th_r.pipe_out_c,
            sup.mass_flow_kg_s[arr.topo.chords], ret.mass_flow_kg_s[arr.topo.chords],
        )  # fmt: skip
        g_cons, g_prod, g_out = _set_point_flows(net, arr, new_state)
        x = np.concatenate([m_cons, m_prod])
        gx = np.concatenate([g_cons, g_prod])
        change = _change(x, gx, state, new_state)
        if change <= tol:
            loop_res = max(sup.loop_residual_pa, ret.loop_residual_pa)
            return _result(net, arr, sup, ret, p_s, p_r, m_cons, t_cons_out, m_prod,
                           m_slack, th_s, th_r, it, newton, change, loop_res)  # fmt: skip
        x_next = accel.step(x, gx)
        m_cons, m_prod = x_next[: len(m_cons)], x_next[len(m_cons) :]
        t_cons_out = g_out
        state = new_state
    raise NotConvergedError(
        f"temperatures and flows did not settle in {max_iter} outer iteration(s): last relative "
        f"change {change:.3g} > tol {tol:g}. Raise max_iter; persistent oscillation points to "
        "consumers whose supply temperature is close to their return temperature"
    )


class _Anderson:
    """Anderson acceleration of the fixed point ``x = G(x)`` (Walker & Ni 2011, SIAM J.
    Numer. Anal. 49(4), type II, undamped), weighted by the size of each flow.

    Falls back to the plain update ``G(x)`` (and forgets its history) when the
    extrapolation leaves the physical range (negative flows or a jump of more
    than half the plain update).
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.d_x: list[FloatArray] = []
        self.d_f: list[FloatArray] = []
        self.prev: tuple[FloatArray, FloatArray] | None = None

    def step(self, x: FloatArray, gx: FloatArray) -> FloatArray:
        """The next iterate from the current one and its image."""
        f = gx - x
        if self.prev is not None:
            self.d_x.append(x - self.prev[0])
            self.d_f.append(f - self.prev[1])
            del self.d_x[: -self.depth], self.d_f[: -self.depth]
        self.prev = (x, f)
        if not self.d_f or x.size == 0:
            return gx
        weight = 1.0 / np.maximum(np.abs(gx), 1e-9)
        d_f = np.stack(self.d_f, axis=1)
        d_x = np.stack(self.d_x, axis=1)
        gamma = np.linalg.lstsq(d_f * weight[:, None], f * weight, rcond=None)[0]
        nxt = gx - (d_x + d_f) @ gamma
        if not np.all(np.isfinite(nxt)) or np.any(nxt < 0) or np.any(
            np.abs(nxt - gx) > 0.5 * np.abs(gx) + 1e-12
        ):
            self.d_x.clear()
            self.d_f.clear()
            return gx
        return nxt


def _node_sum(index: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Sum of ``weights`` per ``index`` in ``0..n-1``."""
    return np.bincount(index, weights, n).astype(np.float64, copy=False)


def _topology(net: HydraulicNetwork, warm: HydraulicResult | None) -> Topology:
    """The warm start's topology if it still fits, else the network's (cached) one."""
    if warm is not None and warm.topology.key == net.topology_key():
        return warm.topology
    return net.topology()


def _local_arrays(net: HydraulicNetwork, topo: Topology) -> _Arrays:
    p = net.pipes
    act = topo.active_pipe
    n_local = len(topo.active_node)
    a_from, a_to = topo.pipe_from_local, topo.pipe_to_local
    ground = p.ground_temp_c[act]
    count = np.bincount(a_from, minlength=n_local) + np.bincount(a_to, minlength=n_local)
    gsum = np.bincount(a_from, ground, n_local) + np.bincount(a_to, ground, n_local)
    fallback = float(np.mean(p.ground_temp_c)) if len(p) else 10.0
    node_ground = np.where(count > 0, gsum / np.maximum(count, 1), fallback)
    slack_pos = np.full(len(net.producers), -1, dtype=np.int64)
    slack_pos[topo.slack_producer] = np.arange(len(topo.slack_producer))
    cons = np.flatnonzero(topo.consumer_supplied)
    prod = np.flatnonzero(topo.producer_supplied & (net.producers.mode != PRESSURE))
    d = p.inner_diameter_m[act]
    return _Arrays(
        topo=topo,
        n_local=n_local,
        pipe_from=a_from,
        pipe_to=a_to,
        length_m=p.length_m[act],
        diameter_m=d,
        roughness_m=p.roughness_mm[act] / 1e3,
        area_m2=0.25 * np.pi * d**2,
        u_l_w_k=p.u_w_per_m_k[act] * p.length_m[act],
        ground_c=ground,
        node_ground_c=node_ground,
        island_of_local=slack_pos[topo.node_slack[topo.active_node]],
        cons=cons,
        cons_local=topo.local_of_node[net.consumers.node[cons]],
        prod=prod,
        prod_local=topo.local_of_node[net.producers.node[prod]],
        slack=topo.slack_producer,
        nominal_flow_kg_s=NOMINAL_DENSITY_KG_M3 * 0.25 * np.pi * d**2 * NOMINAL_VELOCITY_M_S,
        chord_names=[str(x) for x in p.id[act[topo.chords]]],
    )


def _initial_state(
    net: HydraulicNetwork, arr: _Arrays, warm: HydraulicResult | None
) -> _Iterate:
    """Supply at the slack's supply temperature, return at the consumers' mean return."""
    c = net.consumers
    t_sup = net.producers.supply_temp_c[arr.slack][arr.island_of_local]
    t_ret_c = np.where(np.isfinite(c.return_temp_c), c.return_temp_c, np.nan)
    if len(arr.cons):
        guess = np.where(
            np.isfinite(t_ret_c[arr.cons]),
            t_ret_c[arr.cons],
            t_sup[arr.cons_local] - c.delta_t_k[arr.cons],
        )
        t_ret = np.full(arr.n_local, float(np.mean(guess)))
    else:
        t_ret = t_sup - 25.0
    chords_s: FloatArray | None = None
    chords_r: FloatArray | None = None
    if warm is not None and len(warm.node_id) == net.n_nodes and len(warm.pipe_id) == len(net.pipes):
        nodes = arr.topo.active_node
        t_sup = _fill(warm.node.t_supply_c[nodes], t_sup)
        t_ret = _fill(warm.node.t_return_c[nodes], t_ret)
        chord_pipes = arr.topo.active_pipe[arr.topo.chords]
        chords_s = warm.pipe.supply_mass_flow_kg_s[chord_pipes].copy()
        chords_r = warm.pipe.return_mass_flow_kg_s[chord_pipes].copy()
    s_in, s_out = t_sup[arr.pipe_from], t_sup[arr.pipe_to]
    r_in, r_out = t_ret[arr.pipe_to], t_ret[arr.pipe_from]
    return _Iterate(t_sup, t_ret, s_in, s_out, r_in, r_out, chords_s, chords_r)


def _fill(values: FloatArray, default: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), values, default)


def _mean_cp(t_a: FloatArray, t_b: FloatArray) -> FloatArray:
    """Heat capacity of an element between two temperatures (mean of the two, as pandapipes)."""
    return 0.5 * (heat_capacity_j_kgk(t_a) + heat_capacity_j_kgk(t_b))


def _set_point_flows(
    net: HydraulicNetwork, arr: _Arrays, state: _Iterate
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Consumer flows, non-slack producer flows [kg/s] and consumer outlet temperatures [°C]."""
    c, g = net.consumers, net.producers
    t_in = state.t_supply[arr.cons_local]
    fixed_return = np.isfinite(c.return_temp_c[arr.cons])
    t_out = np.where(fixed_return, c.return_temp_c[arr.cons], t_in - c.delta_t_k[arr.cons])
    heat = c.heat_w[arr.cons]
    drop = t_in - t_out
    short = (heat > 0) & (drop < MIN_DELTA_T_K)
    if np.any(short):
        i = np.flatnonzero(short)[0]
        raise NotConvergedError(
            f"consumer '{c.id[arr.cons[i]]}': supply temperature {t_in[i]:.2f} °C at its node is "
            f"not above its return temperature {t_out[i]:.2f} °C (plus {MIN_DELTA_T_K} K); "
            f"{int(short.sum())} consumer(s) affected. Raise the supply temperature, shorten "
            "stagnant branches or lower return_temp_c"
        )
    drawing = heat > 0
    m_cons = np.where(drawing, heat / (_mean_cp(t_in, t_out) * np.where(drawing, drop, 1.0)), 0.0)

    mode = g.mode[arr.prod]
    m_prod = np.where(mode == MASS_FLOW, g.mass_flow_kg_s[arr.prod], 0.0)
    is_heat = mode == HEAT
    if np.any(is_heat):
        t_sup = g.supply_temp_c[arr.prod]
        t_back = state.t_return[arr.prod_local]
        lift = t_sup - t_back
        bad = is_heat & (g.heat_w[arr.prod] > 0) & (lift < MIN_DELTA_T_K)
        if np.any(bad):
            i = np.flatnonzero(bad)[0]
            raise NotConvergedError(
                f"producer '{g.id[arr.prod[i]]}': return temperature {t_back[i]:.2f} °C at its node "
                f"is not below its supply temperature {t_sup[i]:.2f} °C; it cannot inject heat there"
            )
        q = g.heat_w[arr.prod]
        m_heat = np.where(q > 0, q / (_mean_cp(t_sup, t_back) * np.maximum(lift, MIN_DELTA_T_K)), 0.0)
        m_prod = np.where(is_heat, m_heat, m_prod)
    return m_cons, m_prod, t_out


def _pipe_properties(
    t_in: FloatArray, t_out: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Density (mean of inlet and outlet) and viscosity (at the mean temperature) per pipe."""
    rho = 0.5 * (density_kg_m3(t_in) + density_kg_m3(t_out))
    return rho, viscosity_pa_s(0.5 * (t_in + t_out))


def _hydraulics(
    net: HydraulicNetwork,
    arr: _Arrays,
    state: _Iterate,
    injection: FloatArray,
    tol: float,
    max_iter: int,
) -> tuple[FlowSolution, FlowSolution, FloatArray, FloatArray]:
    """Flows and pressures of the supply and the return network."""
    topo = arr.topo
    rows = topo.row_of_local
    s_rows = np.zeros(topo.n_rows)
    s_rows[rows[rows >= 0]] = injection[rows >= 0]
    fricts = [
        PipeFriction(arr.length_m, arr.diameter_m, arr.roughness_m, *_pipe_properties(t_in, t_out))
        for t_in, t_out in ((state.supply_in, state.supply_out), (state.return_in, state.return_out))
    ]
    sup = solve_flows(topo, s_rows, fricts[0], state.chords_supply, arr.nominal_flow_kg_s, tol,
                      max_iter, "supply", arr.chord_names)  # fmt: skip
    if topo.n_loops:
        chords_init = (
            state.chords_return if state.chords_return is not None
            else sup.mass_flow_kg_s[topo.chords]
        )  # fmt: skip
        ret = solve_flows(topo, s_rows, fricts[1], chords_init, arr.nominal_flow_kg_s, tol,
                          max_iter, "return", arr.chord_names)  # fmt: skip
    else:  # a tree: the mirrored return network carries the same flows
        dp_r, _ = fricts[1](sup.mass_flow_kg_s)
        ret = FlowSolution(sup.mass_flow_kg_s, dp_r, 0, 0.0)
    g = net.producers
    p_s = node_pressures(topo, sup.pressure_drop_pa, g.p_supply_pa[arr.slack])
    p_r = node_pressures(topo, -ret.pressure_drop_pa, g.p_return_pa[arr.slack])
    return sup, ret, p_s, p_r


def _temperatures(
    net: HydraulicNetwork,
    arr: _Arrays,
    state: _Iterate,
    sup: FlowSolution,
    ret: FlowSolution,
    p_s: FloatArray,
    p_r: FloatArray,
    m_cons: FloatArray,
    t_cons_out: FloatArray,
    m_prod: FloatArray,
    m_slack: FloatArray,
) -> tuple[ThermalState, ThermalState]:
    """Supply then return temperatures for the flows of this iteration."""
    g = net.producers
    slack_local = arr.topo.slack_local
    feed_t = np.concatenate([g.supply_temp_c[arr.prod], g.supply_temp_c[arr.slack]])
    feed_m = np.concatenate([m_prod, m_slack])
    feed_node = np.concatenate([arr.prod_local, slack_local])
    into_supply = feed_m > 0
    th_s = solve_temperatures(
        arr.n_local, arr.pipe_from, arr.pipe_to, sup.mass_flow_kg_s,
        _mean_cp(state.supply_in, state.supply_out), arr.u_l_w_k, arr.ground_c,
        feed_node[into_supply], feed_m[into_supply] * heat_capacity_j_kgk(feed_t[into_supply]),
        feed_t[into_supply], arr.node_ground_c, p_s,
    )  # fmt: skip
    # return network: consumer outflows, and a slack pushed backwards (more feed than demand)
    back = feed_m < 0
    inj_node = np.concatenate([arr.cons_local, feed_node[back]])
    inj_m = np.concatenate([m_cons, -feed_m[back]])
    inj_t = np.concatenate([t_cons_out, th_s.node_c[feed_node[back]]])
    th_r = solve_temperatures(
        arr.n_local, arr.pipe_to, arr.pipe_from, ret.mass_flow_kg_s,
        _mean_cp(state.return_in, state.return_out), arr.u_l_w_k, arr.ground_c,
        inj_node, inj_m * heat_capacity_j_kgk(inj_t), inj_t, arr.node_ground_c, p_r,
    )  # fmt: skip
    return th_s, th_r


def _change(x: FloatArray, gx: FloatArray, old: _Iterate, new: _Iterate) -> float:
    """Largest relative change: set-point flows over one iteration, and node temperatures."""
    flow_scale = max(float(np.max(np.abs(gx))) if gx.size else 0.0, 1e-12)
    d_flow = float(np.max(np.abs(gx - x))) / flow_scale if gx.size else 0.0
    temps = np.concatenate([new.t_supply, new.t_return])
    prev = np.concatenate([old.t_supply, old.t_return])
    t_scale = max(float(np.max(np.abs(temps))) if temps.size else 0.0, 1.0)
    d_temp = float(np.max(np.abs(temps - prev))) / t_scale if temps.size else 0.0
    return max(d_flow, d_temp)


def _result(
    net: HydraulicNetwork,
    arr: _Arrays,
    sup: FlowSolution,
    ret: FlowSolution,
    p_s: FloatArray,
    p_r: FloatArray,
    m_cons: FloatArray,
    t_cons_out: FloatArray,
    m_prod: FloatArray,
    m_slack: FloatArray,
    th_s: ThermalState,
    th_r: ThermalState,
    iterations: int,
    newton: int,
    change: float,
    loop_res: float,
) -> HydraulicResult:
    """Scatter the local solution into arrays over all pipes, nodes, producers, consumers."""
    topo = arr.topo
    n_pipes, n_nodes = len(net.pipes), net.n_nodes
    act, nodes = topo.active_pipe, topo.active_node

    def on_pipes(values: FloatArray, fill: FloatArray | float) -> FloatArray:
        out = np.array(np.broadcast_to(fill, n_pipes), dtype=np.float64)
        out[act] = values
        return out

    def on_nodes(values: FloatArray) -> FloatArray:
        out = np.full(n_nodes, np.nan)
        out[nodes] = values
        return out

    ground = np.where(topo.node_supplied[net.pipes.from_node], net.pipes.ground_temp_c, np.nan)
    rho_s, mu_s = _pipe_properties(th_s.pipe_in_c, th_s.pipe_out_c)
    rho_r, mu_r = _pipe_properties(th_r.pipe_in_c, th_r.pipe_out_c)
    pipe = PipeResults(
        supply_mass_flow_kg_s=on_pipes(sup.mass_flow_kg_s, 0.0),
        return_mass_flow_kg_s=on_pipes(ret.mass_flow_kg_s, 0.0),
        supply_velocity_m_s=on_pipes(sup.mass_flow_kg_s / (rho_s * arr.area_m2), 0.0),
        return_velocity_m_s=on_pipes(ret.mass_flow_kg_s / (rho_r * arr.area_m2), 0.0),
        supply_reynolds=on_pipes(reynolds(sup.mass_flow_kg_s, arr.diameter_m, mu_s), 0.0),
        return_reynolds=on_pipes(reynolds(ret.mass_flow_kg_s, arr.diameter_m, mu_r), 0.0),
        supply_pressure_drop_pa=on_pipes(sup.pressure_drop_pa, 0.0),
        return_pressure_drop_pa=on_pipes(ret.pressure_drop_pa, 0.0),
        supply_t_in_c=on_pipes(th_s.pipe_in_c, ground),
        supply_t_out_c=on_pipes(th_s.pipe_out_c, ground),
        return_t_in_c=on_pipes(th_r.pipe_in_c, ground),
        return_t_out_c=on_pipes(th_r.pipe_out_c, ground),
        supply_heat_loss_w=on_pipes(th_s.pipe_heat_loss_w, 0.0),
        return_heat_loss_w=on_pipes(th_r.pipe_heat_loss_w, 0.0),
        active=topo.pipe_active.copy(),
    )
    node = NodeResults(
        p_supply_pa=on_nodes(p_s),
        p_return_pa=on_nodes(p_r),
        t_supply_c=on_nodes(th_s.node_c),
        t_return_c=on_nodes(th_r.node_c),
        supplied=topo.node_supplied.copy(),
    )
    return HydraulicResult(
        pipe=pipe,
        node=node,
        producer=_producer_results(net, arr, node, m_prod, m_slack),
        consumer=_consumer_results(net, arr, node, m_cons, t_cons_out),
        iterations=iterations,
        newton_iterations=newton,
        converged=True,
        residual=change,
        loop_residual_pa=loop_res,
        n_loops=topo.n_loops,
        pipe_id=net.pipes.id,
        node_id=net.node_id,
        producer_id=net.producers.id,
        consumer_id=net.consumers.id,
        topology=topo,
    )


def _producer_results(
    net: HydraulicNetwork, arr: _Arrays, node: NodeResults, m_prod: FloatArray, m_slack: FloatArray
) -> ProducerResults:
    g = net.producers
    n = len(g)
    mass = np.zeros(n)
    mass[arr.prod] = m_prod
    mass[arr.slack] = m_slack
    supplied = arr.topo.producer_supplied.copy()
    t_back = np.where(supplied, node.t_return_c[g.node], np.nan)
    p_sup = np.where(supplied, node.p_supply_pa[g.node], np.nan)
    p_ret = np.where(supplied, node.p_return_pa[g.node], np.nan)
    heat = np.where(supplied, mass * _mean_cp(g.supply_temp_c, t_back) * (g.supply_temp_c - t_back), 0.0)
    lift = np.where(supplied, p_sup - p_ret, 0.0)
    power = np.maximum(mass * lift, 0.0) / (density_kg_m3(np.nan_to_num(t_back)) * g.pump_efficiency)
    return ProducerResults(
        mass_flow_kg_s=mass,
        heat_w=heat,
        supply_temp_c=np.where(supplied, g.supply_temp_c, np.nan),
        return_temp_c=t_back,
        p_supply_pa=p_sup,
        p_return_pa=p_ret,
        pump_power_w=np.where(supplied, power, 0.0),
        supplied=supplied,
    )


def _consumer_results(
    net: HydraulicNetwork, arr: _Arrays, node: NodeResults, m_cons: FloatArray, t_out: FloatArray
) -> ConsumerResults:
    c = net.consumers
    n = len(c)
    mass = np.zeros(n)
    mass[arr.cons] = m_cons
    t_ret = np.full(n, np.nan)
    t_ret[arr.cons] = t_out
    supplied = arr.topo.consumer_supplied.copy()
    t_in = np.where(supplied, node.t_supply_c[c.node], np.nan)
    p_sup, p_ret = node.p_supply_pa[c.node], node.p_return_pa[c.node]
    dp = p_sup - p_ret
    heat = np.where(supplied, mass * _mean_cp(t_in, t_ret) * (t_in - t_ret), 0.0)
    return ConsumerResults(
        mass_flow_kg_s=mass,
        heat_supplied_w=np.nan_to_num(heat),
        t_supply_c=t_in,
        t_return_c=t_ret,
        p_supply_pa=p_sup,
        p_return_pa=p_ret,
        dp_pa=dp,
        dp_ok=supplied & (np.nan_to_num(dp, nan=-np.inf) >= c.min_dp_pa),
        supplied=supplied,
    )
