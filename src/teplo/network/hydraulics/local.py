"""The supplied part of a network as local arrays, and the state one outer iteration
hands to the next.

``local`` indices number the supplied nodes (``Topology.active_node``) and the
open pipes inside supplied networks (``Topology.active_pipe``); the solve works
on these only and scatters back to all nodes and pipes at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teplo.network.hydraulics.model import HydraulicNetwork
from teplo.network.hydraulics.results import HydraulicResult
from teplo.network.hydraulics.topology import PRESSURE, IntArray, Topology
from teplo.network.water import FloatArray, density_kg_m3, heat_capacity_j_kgk, viscosity_pa_s

NOMINAL_VELOCITY_M_S = 1.0  # linearisation point of idle pipes for the loop-flow start [m/s],
#                             mid-range of 0.5-2.5 m/s (vicus pipe-dimensioning, figures §4.1)
NOMINAL_DENSITY_KG_M3 = 970.0  # water near 80 °C, only used for that linearisation point
INITIAL_DELTA_T_K = 25.0  # return below supply before the first pass, if no consumer says [K]
#                           (95/70, kharkiv-figures.md §4.1)


@dataclass(eq=False)
class LocalNetwork:
    """Arrays of the supplied part of a network, fixed during a solve."""

    topo: Topology
    n_nodes: int  # supplied nodes
    pipe_from: IntArray  # [active pipe] local node
    pipe_to: IntArray
    length_m: FloatArray
    diameter_m: FloatArray
    roughness_m: FloatArray
    area_m2: FloatArray
    u_l_w_k: FloatArray  # U * L per pipe
    ground_c: FloatArray
    node_ground_c: FloatArray  # [local node] temperature of stagnant water
    island_of_node: IntArray  # [local node] index into topo.slack_producer
    cons: IntArray  # supplied consumers (global index)
    cons_node: IntArray  # their local node
    prod: IntArray  # supplied producers not holding pressure (global index)
    prod_node: IntArray  # their local node
    slack: IntArray  # pressure-holding producers (global index), one per supplied network
    nominal_flow_kg_s: FloatArray  # [active pipe] flow at NOMINAL_VELOCITY_M_S
    chord_names: list[str]  # pipe id closing each loop

    @classmethod
    def of(cls, net: HydraulicNetwork, topo: Topology) -> LocalNetwork:
        """The supplied part of ``net`` under ``topo``."""
        p = net.pipes
        act = topo.active_pipe
        n = len(topo.active_node)
        a_from, a_to = topo.pipe_from_local, topo.pipe_to_local
        ground = p.ground_temp_c[act]
        count = np.bincount(a_from, minlength=n) + np.bincount(a_to, minlength=n)
        ground_sum = np.bincount(a_from, ground, n) + np.bincount(a_to, ground, n)
        # a node without pipes: ground temperature of the network, or (no pipes at all) feed water
        fallback = float(np.mean(p.ground_temp_c if len(p) else net.producers.supply_temp_c))
        slack_pos = np.full(len(net.producers), -1, dtype=np.int64)
        slack_pos[topo.slack_producer] = np.arange(len(topo.slack_producer))
        cons = np.flatnonzero(topo.consumer_supplied)
        prod = np.flatnonzero(topo.producer_supplied & (net.producers.mode != PRESSURE))
        d = p.inner_diameter_m[act]
        area = 0.25 * np.pi * d**2
        return cls(
            topo=topo,
            n_nodes=n,
            pipe_from=a_from,
            pipe_to=a_to,
            length_m=p.length_m[act],
            diameter_m=d,
            roughness_m=p.roughness_mm[act] / 1e3,
            area_m2=area,
            u_l_w_k=p.u_w_per_m_k[act] * p.length_m[act],
            ground_c=ground,
            node_ground_c=np.where(count > 0, ground_sum / np.maximum(count, 1), fallback),
            island_of_node=slack_pos[topo.node_slack[topo.active_node]],
            cons=cons,
            cons_node=topo.local_of_node[net.consumers.node[cons]],
            prod=prod,
            prod_node=topo.local_of_node[net.producers.node[prod]],
            slack=topo.slack_producer,
            nominal_flow_kg_s=NOMINAL_DENSITY_KG_M3 * area * NOMINAL_VELOCITY_M_S,
            chord_names=[str(x) for x in p.id[act[topo.chords]]],
        )


@dataclass(eq=False)
class Iterate:
    """Temperatures and loop flows one outer iteration hands to the next."""

    t_supply: FloatArray  # [local node]
    t_return: FloatArray
    supply_in: FloatArray  # [active pipe] temperatures along the flow
    supply_out: FloatArray
    return_in: FloatArray
    return_out: FloatArray
    chords_supply: FloatArray | None  # [loop] chord flows, None before the first solve
    chords_return: FloatArray | None
    order_supply: IntArray | None = None  # node order the last pass's supply flow respected
    order_return: IntArray | None = None


def initial_iterate(
    net: HydraulicNetwork, local: LocalNetwork, warm: HydraulicResult | None
) -> Iterate:
    """Supply at the slack's temperature and return at the consumers' mean return, or the
    temperatures and loop flows of ``warm`` (a result of a network with the same nodes
    and pipes). A consumer whose warm supply temperature is no longer above its return
    temperature (it was idle and stagnant) starts from the cold guess."""
    c = net.consumers
    cold_sup = net.producers.supply_temp_c[local.slack][local.island_of_node]
    fixed_return = np.isfinite(c.return_temp_c[local.cons])
    if len(local.cons):
        guess = np.where(
            fixed_return,
            c.return_temp_c[local.cons],
            cold_sup[local.cons_node] - c.delta_t_k[local.cons],
        )
        t_ret = np.full(local.n_nodes, float(np.mean(guess)))
    else:
        t_ret = cold_sup - INITIAL_DELTA_T_K
    t_sup = cold_sup
    chords_s = chords_r = None
    if (
        warm is not None
        and len(warm.node_id) == net.n_nodes
        and len(warm.pipe_id) == len(net.pipes)
    ):
        nodes, topo = local.topo.active_node, local.topo
        t_sup = _fill(warm.node.t_supply_c[nodes], cold_sup)
        t_ret = _fill(warm.node.t_return_c[nodes], t_ret)
        too_cold = fixed_return & (t_sup[local.cons_node] <= c.return_temp_c[local.cons] + 1.0)
        t_sup[local.cons_node[too_cold]] = cold_sup[local.cons_node[too_cold]]
        chord_pipes = topo.active_pipe[topo.chords]
        chords_s = warm.pipe.supply_mass_flow_kg_s[chord_pipes].copy()
        chords_r = warm.pipe.return_mass_flow_kg_s[chord_pipes].copy()
    return Iterate(
        t_sup, t_ret,
        t_sup[local.pipe_from], t_sup[local.pipe_to], t_ret[local.pipe_to], t_ret[local.pipe_from],
        chords_s, chords_r,
    )  # fmt: skip


def _fill(values: FloatArray, default: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), values, default)


def mean_cp(t_a: FloatArray, t_b: FloatArray) -> FloatArray:
    """Heat capacity [J/(kg K)] of water between two temperatures: the mean of the two
    (pandapipes' convention, ``properties_toolbox.get_branch_cp``)."""
    return 0.5 * (heat_capacity_j_kgk(t_a) + heat_capacity_j_kgk(t_b))


def pipe_properties(t_in: FloatArray, t_out: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Density [kg/m3] (mean of inlet and outlet) and viscosity [Pa s] (at the mean
    temperature) per pipe, as pandapipes evaluates them."""
    rho = 0.5 * (density_kg_m3(t_in) + density_kg_m3(t_out))
    return rho, viscosity_pa_s(0.5 * (t_in + t_out))
