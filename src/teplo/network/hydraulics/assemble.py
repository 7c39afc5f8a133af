"""Scatter the local solution of a solve into a :class:`HydraulicResult` over all
pipes, nodes, producers and consumers (unsupplied parts: zero flow, NaN state)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teplo.network.hydraulics.flows import FlowSolution
from teplo.network.hydraulics.friction import reynolds
from teplo.network.hydraulics.local import LocalNetwork, mean_cp, pipe_properties
from teplo.network.hydraulics.model import HydraulicNetwork
from teplo.network.hydraulics.results import (
    ConsumerResults,
    HydraulicResult,
    NodeResults,
    PipeResults,
    ProducerResults,
)
from teplo.network.hydraulics.thermal import ThermalState
from teplo.network.water import FloatArray, density_kg_m3


@dataclass(eq=False)
class LocalSolution:
    """The converged state on the local arrays, and how it was reached."""

    supply: FlowSolution
    ret: FlowSolution
    p_supply_pa: FloatArray  # [local node]
    p_return_pa: FloatArray
    th_supply: ThermalState
    th_return: ThermalState
    m_cons: FloatArray  # [supplied consumer]
    t_cons_out: FloatArray
    m_prod: FloatArray  # [supplied non-slack producer]
    m_slack: FloatArray  # [slack producer]
    iterations: int
    newton_iterations: int
    residual: float


def assemble(net: HydraulicNetwork, local: LocalNetwork, sol: LocalSolution) -> HydraulicResult:
    """The result of ``net`` from its local solution."""
    topo = local.topo
    n_pipes = len(net.pipes)
    act = topo.active_pipe

    def on_pipes(values: FloatArray, fill: FloatArray | float) -> FloatArray:
        out = np.array(np.broadcast_to(fill, n_pipes), dtype=np.float64)
        out[act] = values
        return out

    def on_nodes(values: FloatArray) -> FloatArray:
        out = np.full(net.n_nodes, np.nan)
        out[topo.active_node] = values
        return out

    ground = np.where(topo.node_supplied[net.pipes.from_node], net.pipes.ground_temp_c, np.nan)
    s, r, ts, tr = sol.supply, sol.ret, sol.th_supply, sol.th_return
    rho_s, mu_s = pipe_properties(ts.pipe_in_c, ts.pipe_out_c)
    rho_r, mu_r = pipe_properties(tr.pipe_in_c, tr.pipe_out_c)
    pipe = PipeResults(
        supply_mass_flow_kg_s=on_pipes(s.mass_flow_kg_s, 0.0),
        return_mass_flow_kg_s=on_pipes(r.mass_flow_kg_s, 0.0),
        supply_velocity_m_s=on_pipes(s.mass_flow_kg_s / (rho_s * local.area_m2), 0.0),
        return_velocity_m_s=on_pipes(r.mass_flow_kg_s / (rho_r * local.area_m2), 0.0),
        supply_reynolds=on_pipes(reynolds(s.mass_flow_kg_s, local.diameter_m, mu_s), 0.0),
        return_reynolds=on_pipes(reynolds(r.mass_flow_kg_s, local.diameter_m, mu_r), 0.0),
        supply_pressure_drop_pa=on_pipes(s.pressure_drop_pa, 0.0),
        return_pressure_drop_pa=on_pipes(r.pressure_drop_pa, 0.0),
        supply_t_in_c=on_pipes(ts.pipe_in_c, ground),
        supply_t_out_c=on_pipes(ts.pipe_out_c, ground),
        return_t_in_c=on_pipes(tr.pipe_in_c, ground),
        return_t_out_c=on_pipes(tr.pipe_out_c, ground),
        supply_heat_loss_w=on_pipes(ts.pipe_heat_loss_w, 0.0),
        return_heat_loss_w=on_pipes(tr.pipe_heat_loss_w, 0.0),
        active=topo.pipe_active.copy(),
    )
    node = NodeResults(
        p_supply_pa=on_nodes(sol.p_supply_pa),
        p_return_pa=on_nodes(sol.p_return_pa),
        t_supply_c=on_nodes(ts.node_c),
        t_return_c=on_nodes(tr.node_c),
        supplied=topo.node_supplied.copy(),
    )
    return HydraulicResult(
        pipe=pipe,
        node=node,
        producer=_producers(net, local, node, sol),
        consumer=_consumers(net, local, node, sol),
        iterations=sol.iterations,
        newton_iterations=sol.newton_iterations,
        converged=True,
        residual=sol.residual,
        loop_residual_pa=max(s.loop_residual_pa, r.loop_residual_pa),
        n_loops=topo.n_loops,
        pipe_id=net.pipes.id,
        node_id=net.node_id,
        producer_id=net.producers.id,
        consumer_id=net.consumers.id,
        topology=topo,
    )


def _producers(
    net: HydraulicNetwork, local: LocalNetwork, node: NodeResults, sol: LocalSolution
) -> ProducerResults:
    """Heat ``ṁ c_p (T_feed − T_back)`` and pump power ``ṁ Δp / (ρ η)`` per producer."""
    g = net.producers
    mass = np.zeros(len(g))
    mass[local.prod] = sol.m_prod
    mass[local.slack] = sol.m_slack + 0.0  # no negative zero for an idle slack
    supplied = local.topo.producer_supplied.copy()
    t_back = np.where(supplied, node.t_return_c[g.node], np.nan)
    # water leaves at the set point, or, for a slack pushed backwards, at the supply node's
    t_feed = np.where(
        supplied, np.where(mass >= 0, g.supply_temp_c, node.t_supply_c[g.node]), np.nan
    )
    p_sup = np.where(supplied, node.p_supply_pa[g.node], np.nan)
    p_ret = np.where(supplied, node.p_return_pa[g.node], np.nan)
    lift = np.where(supplied, p_sup - p_ret, 0.0)
    power = np.maximum(mass * lift, 0.0) / (
        density_kg_m3(np.nan_to_num(t_back)) * g.pump_efficiency
    )
    return ProducerResults(
        mass_flow_kg_s=mass,
        heat_w=np.where(supplied, mass * mean_cp(t_feed, t_back) * (t_feed - t_back), 0.0),
        supply_temp_c=t_feed,
        return_temp_c=t_back,
        p_supply_pa=p_sup,
        p_return_pa=p_ret,
        pump_power_w=np.where(supplied, power, 0.0),
        supplied=supplied,
    )


def _consumers(
    net: HydraulicNetwork, local: LocalNetwork, node: NodeResults, sol: LocalSolution
) -> ConsumerResults:
    """Flow, heat drawn and differential pressure per consumer."""
    c = net.consumers
    mass = np.zeros(len(c))
    mass[local.cons] = sol.m_cons
    t_out = np.full(len(c), np.nan)
    t_out[local.cons] = sol.t_cons_out
    supplied = local.topo.consumer_supplied.copy()
    t_in = np.where(supplied, node.t_supply_c[c.node], np.nan)
    p_sup, p_ret = node.p_supply_pa[c.node], node.p_return_pa[c.node]
    dp = p_sup - p_ret
    heat = np.where(supplied, mass * mean_cp(t_in, t_out) * (t_in - t_out), 0.0)
    return ConsumerResults(
        mass_flow_kg_s=mass,
        heat_supplied_w=np.nan_to_num(heat),
        t_supply_c=t_in,
        t_return_c=t_out,
        p_supply_pa=p_sup,
        p_return_pa=p_ret,
        dp_pa=dp,
        dp_ok=supplied & (np.nan_to_num(dp, nan=-np.inf) >= c.min_dp_pa),
        supplied=supplied,
    )
