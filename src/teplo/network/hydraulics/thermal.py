"""Steady-state temperatures of one (supply or return) network for given flows.

Along a pipe the fluid cools exponentially towards the ground,

    T_out = T_g + (T_in − T_g) · exp(−U·L / (ṁ·c_p)),   U in W/(m K) per pipe,

and at a node the incoming streams mix, weighted by their heat capacity rate
ṁ·c_p (pandapipes' node energy balance; with c_p equal it is the mass-weighted
mean). Node temperatures follow from one sparse triangular solve: in the
supply (or return) network water flows from higher to lower pressure, so
nodes sorted by falling pressure are a topological order of the flow graph
and the mixing equations are lower triangular in that order. Should rounding
ever put a pipe with real flow against that order, a general sparse LU solve
is used instead. A node that receives no flow holds stagnant water at the
ground temperature (the steady state of an unheated pipe).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.sparse import SparseEfficiencyWarning
from scipy.sparse.linalg import spsolve, spsolve_triangular

from teplo.network.hydraulics.topology import IntArray
from teplo.network.water import FloatArray

STAGNANT_KG_S = 1e-12  # flows below this carry no heat in the mixing balance [kg/s]
DENSE_NODES = 400  # up to this many nodes the triangular solve is dense (1.3 MB)


@dataclass(frozen=True)
class ThermalState:
    """Temperatures of one network: nodes and pipes (in flow direction)."""

    node_c: FloatArray  # [local node] temperature
    pipe_in_c: FloatArray  # [active pipe] inlet temperature along the flow
    pipe_out_c: FloatArray  # [active pipe] outlet temperature along the flow
    pipe_heat_loss_w: FloatArray  # [active pipe] heat lost to the ground
    order: IntArray  # local nodes in an order the flow respects (reusable as the next hint)


def _lower_triangular_solve(
    n: int, rows: IntArray, cols: IntArray, values: FloatArray, rhs: FloatArray
) -> FloatArray:
    """Solve ``(I + M) x = rhs`` with ``M[rows, cols] = values`` strictly lower triangular.

    Small systems go to LAPACK as a dense matrix, where SciPy's sparse
    machinery would cost more than the solve.
    """
    if n <= DENSE_NODES:
        dense = np.eye(n)
        np.add.at(dense, (rows, cols), values)
        return np.asarray(
            solve_triangular(dense, rhs, lower=True, unit_diagonal=True, check_finite=False),
            dtype=np.float64,
        )
    diagonal = np.arange(n)
    matrix = sp.csc_matrix(
        (np.concatenate([np.ones(n), values]),
         (np.concatenate([diagonal, rows]), np.concatenate([diagonal, cols]))),
        shape=(n, n),
    )  # fmt: skip
    with warnings.catch_warnings():  # the unit diagonal is rewritten in place, as intended
        warnings.simplefilter("ignore", SparseEfficiencyWarning)
        x = spsolve_triangular(
            matrix, rhs, lower=True, overwrite_A=True, overwrite_b=True, unit_diagonal=True
        )
    return np.asarray(x, dtype=np.float64)


def solve_temperatures(
    n_nodes: int,
    pipe_from: IntArray,
    pipe_to: IntArray,
    mass_flow_kg_s: FloatArray,
    cp_pipe: FloatArray,
    u_l_w_k: FloatArray,
    ground_c: FloatArray,
    inj_node: IntArray,
    inj_w_k: FloatArray,
    inj_t_c: FloatArray,
    node_ground_c: FloatArray,
    node_pressure_pa: FloatArray,
    order_hint: IntArray | None = None,
) -> ThermalState:
    """Node and pipe temperatures for given flows (local indices).

    ``mass_flow_kg_s`` is signed along ``pipe_from → pipe_to``; ``cp_pipe``
    [J/(kg K)] the heat capacity used along each pipe; ``u_l_w_k`` = U·L [W/K]
    per pipe; injections add ``inj_w_k`` = ṁ·c_p [W/K] of water at ``inj_t_c``
    to ``inj_node``; ``node_pressure_pa`` gives the flow order, unless
    ``order_hint`` (the order of a previous pass) still fits every flowing pipe.
    """
    flowing = np.abs(mass_flow_kg_s) > STAGNANT_KG_S
    fwd = mass_flow_kg_s >= 0
    src = np.where(fwd, pipe_from, pipe_to)[flowing]
    dst = np.where(fwd, pipe_to, pipe_from)[flowing]
    m = np.abs(mass_flow_kg_s[flowing])
    w = m * cp_pipe[flowing]
    decay = np.exp(-u_l_w_k[flowing] / w)
    tg = ground_c[flowing]

    inflow = np.bincount(dst, weights=w, minlength=n_nodes) + np.bincount(
        inj_node, weights=inj_w_k, minlength=n_nodes
    )
    rhs = np.bincount(dst, weights=w * (1.0 - decay) * tg, minlength=n_nodes) + np.bincount(
        inj_node, weights=inj_w_k * inj_t_c, minlength=n_nodes
    )
    fed = inflow > 0.0
    diag = np.where(fed, inflow, 1.0)
    rhs = np.where(fed, rhs, node_ground_c)
    off = -w * decay

    order, r_src, r_dst = _flow_order(order_hint, node_pressure_pa, src, dst)
    if np.all(r_src < r_dst):
        t_node = np.empty(n_nodes)
        t_node[order] = _lower_triangular_solve(
            n_nodes, r_dst, r_src, off / diag[dst], rhs[order] / diag[order]
        )
    else:  # rounding put a flowing pipe against the pressure order: solve the general system
        matrix = sp.csc_matrix(
            (
                np.concatenate([diag, off]),
                (
                    np.concatenate([np.arange(n_nodes), dst]),
                    np.concatenate([np.arange(n_nodes), src]),
                ),
            ),
            shape=(n_nodes, n_nodes),
        )
        t_node = np.asarray(spsolve(matrix, rhs), dtype=np.float64)

    n_pipes = len(mass_flow_kg_s)
    t_in = ground_c.copy()
    t_out = ground_c.copy()
    loss = np.zeros(n_pipes)
    t_in[flowing] = t_node[src]
    t_out[flowing] = tg + decay * (t_node[src] - tg)
    loss[flowing] = w * (t_in[flowing] - t_out[flowing])
    return ThermalState(t_node, t_in, t_out, loss, order)


def _flow_order(
    hint: IntArray | None, pressure_pa: FloatArray, src: IntArray, dst: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Node order with every flowing pipe's source before its destination, and the ranks
    of sources and destinations: the hint if it fits, else nodes by falling pressure."""
    if hint is not None:
        rank = _ranks(hint)
        if np.all(rank[src] < rank[dst]):
            return hint, rank[src], rank[dst]
    order = np.argsort(-pressure_pa, kind="stable")
    rank = _ranks(order)
    return order, rank[src], rank[dst]


def _ranks(order: IntArray) -> IntArray:
    """Position of each node in ``order``."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank
