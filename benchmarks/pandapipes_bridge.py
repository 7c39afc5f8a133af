"""Build the pandapipes model of a teplo :class:`HydraulicNetwork` and read its results back.

Test and benchmark helper only (pandapipes is not a runtime dependency).
Mapping, element by element:

* a junction → two pandapipes junctions (supply and return);
* a pipe pair → two pipes (supply from→to, return to→from) with
  ``u_w_per_m2k = U / (π d)`` (pandapipes multiplies by π and the outer
  diameter, which defaults to the inner one) and ``text_k`` the ground
  temperature; a closed valve → an extra junction and a closed pandapipes
  valve in each pipe;
* a consumer → a heat consumer (supply → return junction) with ``qext_w`` and
  ``treturn_k`` or ``deltat_k``;
* the pressure-holding producer → ``circ_pump_const_pressure`` (p_flow, plift,
  t_flow);
* a ``mass_flow`` producer → a heat consumer turned round (return → supply
  junction) with ``controlled_mdot_kg_per_s`` and ``treturn_k`` = its supply
  temperature: pandapipes then computes the (negative) heat that lifts the
  water to that temperature. pandapipes 0.16 has no heat producer element;
  its mass sources and sinks carry no temperature, so this is the only way to
  inject water at a set temperature. ``heat``-mode producers cannot be
  expressed (pandapipes' heat consumer with a heat set point rejects an outlet
  hotter than its inlet) and raise ``NotImplementedError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandapipes as pp

from teplo.network.hydraulics import HydraulicNetwork

KELVIN = 273.15  # [K] at 0 °C
BAR = 1e5  # [Pa]


@dataclass
class PandapipesModel:
    """A pandapipes net and the element indices that mirror a teplo network."""

    net: Any
    supply_junction: np.ndarray
    return_junction: np.ndarray
    supply_pipe: np.ndarray
    return_pipe: np.ndarray
    consumer: np.ndarray
    producer_pump: dict[int, int]
    producer_consumer: dict[int, int]
    ambient_k: float  # temperature pandapipes gives stagnant water: teplo's ground temperature


def build(net: HydraulicNetwork) -> PandapipesModel:
    """The pandapipes net of ``net`` (see module docstring for the mapping)."""
    p, c, g = net.pipes, net.consumers, net.producers
    t_sup = float(np.max(g.supply_temp_c)) + KELVIN
    ppn = pp.create_empty_network(fluid="water")
    n = net.n_nodes
    js = np.asarray(pp.create_junctions(ppn, n, pn_bar=5.0, tfluid_k=t_sup))
    jr = np.asarray(pp.create_junctions(ppn, n, pn_bar=3.0, tfluid_k=t_sup - 25.0))
    u_m2k = p.u_w_per_m_k / (np.pi * p.inner_diameter_m)
    text = p.ground_temp_c + KELVIN
    s_from, s_to = js[p.from_node].copy(), js[p.to_node].copy()
    r_from, r_to = jr[p.to_node].copy(), jr[p.from_node].copy()
    closed = np.flatnonzero(~p.valve_open)
    valve_js = np.asarray(pp.create_junctions(ppn, len(closed), pn_bar=5.0, tfluid_k=t_sup))
    valve_jr = np.asarray(pp.create_junctions(ppn, len(closed), pn_bar=3.0, tfluid_k=t_sup - 25))
    for k, i in enumerate(closed):
        pp.create_valve(
            ppn,
            valve_js[k],
            s_to[i],
            et="ju",
            inner_diameter_mm=p.inner_diameter_m[i] * 1e3,
            opened=False,
        )
        pp.create_valve(
            ppn,
            valve_jr[k],
            r_to[i],
            et="ju",
            inner_diameter_mm=p.inner_diameter_m[i] * 1e3,
            opened=False,
        )
    s_to[closed], r_to[closed] = valve_js, valve_jr
    common = dict(
        length_km=p.length_m / 1e3,
        inner_diameter_mm=p.inner_diameter_m * 1e3,
        k_mm=p.roughness_mm,
        u_w_per_m2k=u_m2k,
        text_k=text,
    )
    sp = np.asarray(pp.create_pipes_from_parameters(ppn, s_from, s_to, **common))
    rp = np.asarray(pp.create_pipes_from_parameters(ppn, r_from, r_to, **common))
    fixed_tr = np.isfinite(c.return_temp_c)
    cons = (
        np.asarray(
            pp.create_heat_consumers(
                ppn,
                js[c.node],
                jr[c.node],
                qext_w=c.heat_w,
                treturn_k=np.where(fixed_tr, c.return_temp_c + KELVIN, np.nan),
                deltat_k=np.where(fixed_tr, np.nan, c.delta_t_k),
            )
        )
        if len(c)
        else np.zeros(0, dtype=int)
    )
    pumps, feeds = {}, {}
    for i in range(len(g)):
        if g.mode[i] == "pressure":
            pumps[i] = pp.create_circ_pump_const_pressure(
                ppn,
                jr[g.node[i]],
                js[g.node[i]],
                p_flow_bar=g.p_supply_pa[i] / BAR,
                plift_bar=(g.p_supply_pa[i] - g.p_return_pa[i]) / BAR,
                t_flow_k=g.supply_temp_c[i] + KELVIN,
                type="pt",
            )
        elif g.mode[i] == "mass_flow":
            feeds[i] = pp.create_heat_consumer(
                ppn,
                jr[g.node[i]],
                js[g.node[i]],
                controlled_mdot_kg_per_s=g.mass_flow_kg_s[i],
                treturn_k=g.supply_temp_c[i] + KELVIN,
            )
        else:
            raise NotImplementedError(
                f"producer {g.id[i]!r}: pandapipes 0.16 cannot inject a set heat at a set temperature"
            )
    return PandapipesModel(ppn, js, jr, sp, rp, cons, pumps, feeds, float(np.mean(text)))


def run(model: PandapipesModel, tol: float | None = 1e-8, max_iter: int = 200) -> None:
    """Bidirectional (coupled hydraulic and thermal) steady pipeflow with Colebrook–White.

    ``tol`` sets pandapipes' tolerances on pressure, mass flow and temperature
    (and 10·tol on the residual); ``None`` keeps pandapipes' defaults (1e-4).
    """
    tols = {} if tol is None else {"tol_p": tol, "tol_m": tol, "tol_T": tol, "tol_res": tol * 10}
    pp.pipeflow(
        model.net, mode="bidirectional", friction_model="colebrook", transient=False,
        max_iter_bidirect=max_iter, ambient_temperature=model.ambient_k, **tols,
    )  # fmt: skip


def results(model: PandapipesModel) -> dict[str, np.ndarray]:
    """pandapipes results in teplo's units and orientation (°C, Pa, kg/s)."""
    rp, rj = model.net.res_pipe, model.net.res_junction
    return {
        "supply_mass_flow_kg_s": rp["mdot_from_kg_per_s"].to_numpy()[model.supply_pipe],
        "return_mass_flow_kg_s": rp["mdot_from_kg_per_s"].to_numpy()[model.return_pipe],
        "supply_pressure_drop_pa": (rp["p_from_bar"] - rp["p_to_bar"]).to_numpy()[model.supply_pipe]
        * BAR,
        "return_pressure_drop_pa": (rp["p_from_bar"] - rp["p_to_bar"]).to_numpy()[model.return_pipe]
        * BAR,
        "p_supply_pa": rj["p_bar"].to_numpy()[model.supply_junction] * BAR,
        "p_return_pa": rj["p_bar"].to_numpy()[model.return_junction] * BAR,
        "t_supply_c": rj["t_k"].to_numpy()[model.supply_junction] - KELVIN,
        "t_return_c": rj["t_k"].to_numpy()[model.return_junction] - KELVIN,
        "consumer_mass_flow_kg_s": model.net.res_heat_consumer["mdot_from_kg_per_s"].to_numpy()[
            model.consumer
        ]
        if len(model.consumer)
        else np.zeros(0),
    }
