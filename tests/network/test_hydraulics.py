"""Analytic and consistency tests of the hydraulic solver (no reference engine needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from teplo.errors import InputError, NotConvergedError
from teplo.network.hydraulics import HydraulicNetwork, HydraulicResult, solve
from teplo.network.hydraulics.friction import RE_LAMINAR, RE_TURBULENT, colebrook, pressure_drop
from teplo.network.water import density_kg_m3, heat_capacity_j_kgk, viscosity_pa_s

from .conftest import (
    GROUND_C,
    MESH_CONSUMERS,
    P_RETURN_PA,
    P_SUPPLY_PA,
    SUPPLY_C,
    TREE_CONSUMERS,
    TREE_PIPES,
    frames,
    network,
    pressure_producer,
)


def _cp(t_a: float, t_b: float) -> float:
    return 0.5 * float(heat_capacity_j_kgk(t_a) + heat_capacity_j_kgk(t_b))


# --- friction -----------------------------------------------------------------------------


def test_colebrook_solves_its_equation() -> None:
    re = np.array([4e3, 1e4, 1e5, 1e6, 1e7])
    rr = np.array([1e-3, 1e-4, 5e-4, 1e-5, 0.0])
    lam, _ = colebrook(re, rr)
    lhs = 1 / np.sqrt(lam)
    rhs = -2 * np.log10(rr / 3.71 + 2.51 / (re * np.sqrt(lam)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_pressure_drop_laminar_is_hagen_poiseuille() -> None:
    d, length, rho, mu = 0.05, 100.0, 970.0, 3.5e-4
    m = RE_LAMINAR / 2 * mu * np.pi * d / 4  # Re = 1160
    dp, ddp = pressure_drop(*(np.array([x]) for x in (m, length, d, 5e-5, rho, mu)))
    area = np.pi * d**2 / 4
    expected = 128 * mu * length * (m / rho) / (np.pi * d**4)  # Hagen–Poiseuille
    assert dp[0] == pytest.approx(expected, rel=1e-12)
    assert ddp[0] == pytest.approx(expected / m, rel=1e-12)
    assert dp[0] == pytest.approx(
        64 / RE_LAMINAR * 2 * length / d * m**2 / (2 * rho * area**2), rel=1e-9
    )


def test_pressure_drop_continuous_across_regimes_and_derivative_exact() -> None:
    d, k, rho, mu = 0.0539, 5e-5, 965.0, 3.15e-4
    area = np.pi * d**2 / 4
    re = np.array([1e-3, 1000, RE_LAMINAR, 3000, RE_TURBULENT, 5e4])
    m = re * area * mu / d
    args = [np.full(len(m), v) for v in (100.0, d, k, rho, mu)]
    for eps in (1e-9, -1e-9):  # no jump at the regime boundaries
        dp0, _ = pressure_drop(m, *args)
        dp1, _ = pressure_drop(m * (1 + eps), *args)
        np.testing.assert_allclose(dp1, dp0, rtol=1e-6)
    smooth = np.array([0, 1, 3, 5])  # away from the kinks at the regime boundaries
    m, args = m[smooth], [a[smooth] for a in args]
    _, ddp = pressure_drop(m, *args)
    h = 1e-6 * m
    fd = (pressure_drop(m + h, *args)[0] - pressure_drop(m - h, *args)[0]) / (2 * h)
    np.testing.assert_allclose(ddp, fd, rtol=1e-5)
    assert np.all(ddp > 0)


def test_colebrook_model_everywhere_is_regular_at_rest() -> None:
    """The pandapipes-like model: Colebrook–White at any Re, finite resistance at zero flow."""
    d, k, rho, mu = 0.0539, 5e-5, 965.0, 3.15e-4
    area = np.pi * d**2 / 4
    re = np.array([0.0, 5.0, 50.0, 1000.0, 3000.0, 5e4])
    m = re * area * mu / d
    args = [np.full(len(m), v) for v in (100.0, d, k, rho, mu)]
    dp, ddp = pressure_drop(m, *args, model="colebrook")
    assert dp[0] == 0.0 and np.all(np.isfinite(ddp)) and np.all(ddp > 0)
    lam, _ = colebrook(re[3:], np.full(3, k / d))
    np.testing.assert_allclose(
        dp[3:], lam * 100.0 / d * m[3:] ** 2 / (2 * rho * area**2), rtol=1e-12
    )
    h = 1e-6 * m[2:]
    fd = (pressure_drop(m[2:] + h, *[a[2:] for a in args], model="colebrook")[0]
          - pressure_drop(m[2:] - h, *[a[2:] for a in args], model="colebrook")[0]) / (2 * h)  # fmt: skip
    np.testing.assert_allclose(ddp[2:], fd, rtol=1e-5)


# --- single pipe, analytic -----------------------------------------------------------------


def test_single_pipe_darcy_weisbach_colebrook_by_hand() -> None:
    """Adiabatic pipe, fixed-ΔT consumer: flow and pressure drop computed here by hand."""
    length, d, q_w, dt = 500.0, 0.0825, 800e3, 25.0
    net = network([("p", 0, 1, length, d)], [("c", 1, q_w)], u_w_per_m_k=0.0, delta_t={"c": dt})
    res = solve(net)
    m = q_w / (_cp(SUPPLY_C, SUPPLY_C - dt) * dt)
    rho, mu = 961.89, 0.297e-3  # water at 95 °C (IAPWS, as tabulated)
    area = np.pi * d**2 / 4
    re = m * d / (area * mu)
    lam = brentq(
        lambda x: 1 / np.sqrt(x) + 2 * np.log10(0.05e-3 / d / 3.71 + 2.51 / (re * np.sqrt(x))),
        1e-3, 0.2, xtol=1e-15,
    )  # fmt: skip
    dp = lam * length / d * m**2 / (2 * rho * area**2)
    assert res.consumer.mass_flow_kg_s[0] == pytest.approx(m, rel=1e-9)
    assert res.pipe.supply_pressure_drop_pa[0] == pytest.approx(dp, rel=1e-9)
    assert res.node.p_supply_pa[1] == pytest.approx(P_SUPPLY_PA - dp, rel=1e-12)
    assert res.pipe.supply_velocity_m_s[0] == pytest.approx(m / (rho * area), rel=1e-12)
    assert res.consumer.dp_pa[0] == pytest.approx(
        P_SUPPLY_PA - P_RETURN_PA - dp - res.pipe.return_pressure_drop_pa[0], rel=1e-12
    )


def test_temperature_decay_is_exponential() -> None:
    u, length = 0.6, 800.0
    net = network([("p", 0, 1, length, 0.0539)], [("c", 1, 150e3)], u_w_per_m_k=u)
    res = solve(net, tol=1e-10)
    m = res.pipe.supply_mass_flow_kg_s[0]
    t_in, t_out = res.pipe.supply_t_in_c[0], res.pipe.supply_t_out_c[0]
    assert t_in == SUPPLY_C
    expected = GROUND_C + (t_in - GROUND_C) * np.exp(-u * length / (m * _cp(t_in, t_out)))
    assert t_out == pytest.approx(expected, abs=1e-6)
    assert res.pipe.supply_heat_loss_w[0] == pytest.approx(m * _cp(t_in, t_out) * (t_in - t_out))
    # the consumer draws exactly its heat at the temperature that arrives
    assert res.consumer.heat_supplied_w[0] == pytest.approx(150e3, rel=1e-8)
    assert res.consumer.t_supply_c[0] == pytest.approx(t_out)


# --- conservation ----------------------------------------------------------------------------


def _node_imbalance(net: HydraulicNetwork, res: HydraulicResult) -> tuple[np.ndarray, np.ndarray]:
    n, p = net.n_nodes, net.pipes
    q_s, q_r = res.pipe.supply_mass_flow_kg_s, res.pipe.return_mass_flow_kg_s
    m_c, m_p = res.consumer.mass_flow_kg_s, res.producer.mass_flow_kg_s
    c_node = np.bincount(net.consumers.node, m_c, n)
    p_node = np.bincount(net.producers.node, m_p, n)
    supply = np.bincount(p.to_node, q_s, n) - np.bincount(p.from_node, q_s, n) + p_node - c_node
    ret = np.bincount(p.from_node, q_r, n) - np.bincount(p.to_node, q_r, n) + c_node - p_node
    return supply, ret


@pytest.mark.parametrize("name", ["tree", "mesh"])
def test_mass_is_conserved_at_every_node(name: str, request: pytest.FixtureRequest) -> None:
    net = request.getfixturevalue(name)
    res = solve(net)
    supply, ret = _node_imbalance(net, res)
    scale = res.producer.mass_flow_kg_s.sum()
    np.testing.assert_allclose(supply, 0, atol=1e-12 * scale)
    np.testing.assert_allclose(ret, 0, atol=1e-12 * scale)


@pytest.mark.parametrize("name", ["tree", "mesh"])
def test_energy_balance(name: str, request: pytest.FixtureRequest) -> None:
    res = solve(request.getfixturevalue(name))
    bal = res.energy_balance_w()
    assert bal["losses_w"] > 0
    assert bal["producers_w"] == pytest.approx(bal["consumers_w"] + bal["losses_w"], rel=1e-3)
    np.testing.assert_allclose(
        res.consumer.heat_supplied_w, [c[2] for c in (MESH_CONSUMERS if name == "mesh" else TREE_CONSUMERS)],
        rtol=1e-5,
    )  # fmt: skip


def test_loop_pressure_drops_sum_to_zero(mesh: HydraulicNetwork) -> None:
    res = solve(mesh)
    p = mesh.pipes
    # every pipe's drop equals the difference of its end pressures, in both networks
    ps, pr = res.node.p_supply_pa, res.node.p_return_pa
    np.testing.assert_allclose(
        ps[p.from_node] - ps[p.to_node], res.pipe.supply_pressure_drop_pa, atol=1e-6 * P_SUPPLY_PA
    )
    np.testing.assert_allclose(
        pr[p.to_node] - pr[p.from_node], res.pipe.return_pressure_drop_pa, atol=1e-6 * P_SUPPLY_PA
    )
    assert res.n_loops == 2 and res.newton_iterations > 0


def test_pump_power_is_flow_times_lift_over_density_and_efficiency(tree: HydraulicNetwork) -> None:
    res = solve(tree)
    m = res.producer.mass_flow_kg_s[0]
    rho = density_kg_m3(res.producer.return_temp_c[0])
    expected = m * (P_SUPPLY_PA - P_RETURN_PA) / (rho * 0.8)
    assert res.producer.pump_power_w[0] == pytest.approx(expected, rel=1e-12)


# --- special cases ---------------------------------------------------------------------------


def test_zero_demand_consumer_draws_nothing() -> None:
    consumers = [*TREE_CONSUMERS[:-1], ("idle", 5, 0.0)]
    res = solve(network(TREE_PIPES, consumers))
    assert res.consumer.mass_flow_kg_s[-1] == 0.0
    assert res.consumer.heat_supplied_w[-1] == 0.0
    assert res.pipe.supply_mass_flow_kg_s[-1] == 0.0  # the pipe to it is stagnant ...
    assert res.node.t_supply_c[5] == pytest.approx(GROUND_C)  # ... and cold
    assert res.consumer.supplied[-1]


def test_closed_valve_isolating_a_branch_flags_consumers_unsupplied() -> None:
    args = (TREE_PIPES, TREE_CONSUMERS)
    with pytest.raises(InputError, match="c4, c5"):
        network(*args, valve_open={"d": False})
    net = network(*args, valve_open={"d": False}, allow_unsupplied=True)
    with pytest.raises(InputError, match="no path to a pressure-holding producer"):
        solve(net)
    res = solve(net, allow_unsupplied=True)
    supplied = dict(zip(res.consumer_id, res.consumer.supplied, strict=True))
    assert supplied == {"c2": True, "c3": True, "c4": False, "c5": False}
    assert np.all(res.consumer.mass_flow_kg_s[2:] == 0) and np.all(~res.consumer.dp_ok[2:])
    assert np.isnan(res.node.p_supply_pa[[4, 5]]).all()
    assert res.pipe.supply_mass_flow_kg_s[3] == 0 and not res.pipe.active[3]
    # the supplied part is solved as if the branch were absent
    ref = solve(network(TREE_PIPES[:3], TREE_CONSUMERS[:2]))
    np.testing.assert_allclose(res.pipe.supply_mass_flow_kg_s[:3], ref.pipe.supply_mass_flow_kg_s)


def test_closed_valve_turning_a_mesh_into_a_tree(mesh: HydraulicNetwork) -> None:
    open_ = np.ones(len(mesh.pipes), dtype=bool)
    open_[[list(mesh.pipes.id).index("d24"), list(mesh.pipes.id).index("s34")]] = False
    res = solve(mesh.with_valves(open_))
    assert res.n_loops == 0 and res.newton_iterations == 0
    assert res.pipe.supply_mass_flow_kg_s[~open_].tolist() == [0.0, 0.0]
    assert res.consumer.supplied.all()


def test_symmetric_loop_carries_no_flow_in_its_middle_pipe() -> None:
    """Zero flow in a loop pipe (laminar regularisation at rest) must not break Newton."""
    pipes = [("f", 0, 1, 100.0, 0.1071), ("l", 1, 2, 100.0, 0.0825), ("r", 1, 3, 100.0, 0.0825),
             ("mid", 2, 3, 80.0, 0.0539)]  # fmt: skip
    res = solve(network(pipes, [("c2", 2, 300e3), ("c3", 3, 300e3)]))
    assert abs(res.pipe.supply_mass_flow_kg_s[3]) < 1e-9
    assert res.pipe.supply_mass_flow_kg_s[1] == pytest.approx(res.pipe.supply_mass_flow_kg_s[2])


def test_parallel_pipes_share_flow_by_resistance() -> None:
    pipes = [("a", 0, 1, 200.0, 0.0825), ("b", 0, 1, 200.0, 0.0825), ("c", 0, 1, 200.0, 0.0539)]
    res = solve(network(pipes, [("c", 1, 500e3)]))
    q = res.pipe.supply_mass_flow_kg_s
    assert q[0] == pytest.approx(q[1], rel=1e-9)
    assert q[2] < q[0]
    dp = res.pipe.supply_pressure_drop_pa
    np.testing.assert_allclose(dp, dp[0], rtol=1e-6)


def test_two_separate_networks_each_with_its_own_producer() -> None:
    pipes = [*TREE_PIPES, ("x", 6, 7, 100.0, 0.0825)]
    consumers = [*TREE_CONSUMERS, ("x7", 7, 200e3)]
    producers = pd.concat([pressure_producer(0, "A"), pressure_producer(6, "B")], ignore_index=True)
    res = solve(network(pipes, consumers, producers=producers))
    solo = solve(network(TREE_PIPES, TREE_CONSUMERS))
    np.testing.assert_allclose(
        res.consumer.mass_flow_kg_s[:4], solo.consumer.mass_flow_kg_s, rtol=1e-5
    )
    assert res.producer.heat_w[1] > 200e3


def test_low_differential_pressure_is_flagged() -> None:
    nodes, pipes, cons, prod = frames(TREE_PIPES, TREE_CONSUMERS)
    cons["min_dp_pa"] = [0.5e5, 0.5e5, 0.5e5, 10e5]  # c5 asks for more than the pump lifts
    res = solve(HydraulicNetwork.from_frames(nodes, pipes, cons, prod))
    assert res.consumer.dp_ok.tolist() == [True, True, True, False]


def test_heat_producer_matches_equivalent_mass_flow_producer() -> None:
    """pandapipes cannot express a heat set point, so 'heat' mode is checked here: the
    producer delivers exactly its heat, and a 'mass_flow' producer fed with the flow it
    chose (validated against pandapipes) gives the same state."""
    second = {"producer_id": "chp", "node": 5, "supply_temp_c": 90.0}
    heat = pd.concat(
        [pressure_producer(), pd.DataFrame([{**second, "mode": "heat", "heat_w": 200e3}])],
        ignore_index=True,
    )
    res_h = solve(network(TREE_PIPES, TREE_CONSUMERS, producers=heat), tol=1e-10)
    assert res_h.producer.heat_w[1] == pytest.approx(200e3, rel=1e-8)
    m = res_h.producer.mass_flow_kg_s[1]
    t_back = res_h.producer.return_temp_c[1]
    assert m == pytest.approx(200e3 / (_cp(90.0, t_back) * (90.0 - t_back)), rel=1e-12)
    flow = pd.concat(
        [pressure_producer(), pd.DataFrame([{**second, "mode": "mass_flow", "mass_flow_kg_s": m}])],
        ignore_index=True,
    )
    res_m = solve(network(TREE_PIPES, TREE_CONSUMERS, producers=flow), tol=1e-10)
    np.testing.assert_allclose(
        res_m.pipe.supply_mass_flow_kg_s, res_h.pipe.supply_mass_flow_kg_s, rtol=1e-7
    )
    np.testing.assert_allclose(res_m.node.t_return_c, res_h.node.t_return_c, atol=1e-6)
    assert res_m.producer.heat_w[1] == pytest.approx(200e3, rel=1e-6)


def test_feed_beyond_demand_pushes_the_slack_backwards() -> None:
    """A fixed-flow producer feeding more than the demand: the pressure holder takes the
    surplus back (negative flow, hot water bypassed into the return) and energy balances."""
    chp = {"producer_id": "chp", "node": 5, "mode": "mass_flow", "supply_temp_c": 90.0,
           "mass_flow_kg_s": 12.0}  # fmt: skip
    prod = pd.concat([pressure_producer(), pd.DataFrame([chp])], ignore_index=True)
    res = solve(network(TREE_PIPES, TREE_CONSUMERS, producers=prod))
    assert res.producer.mass_flow_kg_s[0] < 0
    assert res.producer.supply_temp_c[0] == pytest.approx(res.node.t_supply_c[0])
    bal = res.energy_balance_w()
    assert bal["producers_w"] == pytest.approx(bal["consumers_w"] + bal["losses_w"], rel=1e-3)
    supply, ret = _node_imbalance(network(TREE_PIPES, TREE_CONSUMERS, producers=prod), res)
    np.testing.assert_allclose(supply, 0, atol=1e-10)
    np.testing.assert_allclose(ret, 0, atol=1e-10)


# --- iteration control -----------------------------------------------------------------------


def test_warm_start_reduces_iterations(mesh: HydraulicNetwork) -> None:
    cold = solve(mesh)
    warm = solve(mesh, warm_start=cold)
    assert warm.iterations < cold.iterations
    assert warm.newton_iterations < cold.newton_iterations
    assert warm.topology is cold.topology
    np.testing.assert_allclose(
        warm.pipe.supply_mass_flow_kg_s, cold.pipe.supply_mass_flow_kg_s, rtol=1e-5
    )
    # a changed demand still starts from the old state and converges
    changed = solve(mesh.with_heat(mesh.consumers.heat_w * 1.1), warm_start=cold)
    assert changed.iterations <= cold.iterations
    assert changed.newton_iterations < cold.newton_iterations
    assert changed.consumer.heat_supplied_w == pytest.approx(mesh.consumers.heat_w * 1.1, rel=1e-5)


def test_warm_start_from_a_state_where_a_consumer_was_idle() -> None:
    """An idle consumer's node held stagnant, cold water; switched on, it must not be
    mistaken for one whose supply is colder than its return."""
    idle = network(TREE_PIPES, [*TREE_CONSUMERS[:-1], ("c5", 5, 0.0)])
    before = solve(idle)
    assert before.node.t_supply_c[5] == pytest.approx(GROUND_C)
    after = solve(idle.with_heat([300e3, 200e3, 150e3, 100e3]), warm_start=before)
    assert after.consumer.heat_supplied_w[-1] == pytest.approx(100e3, rel=1e-5)


def test_non_convergence_raises(mesh: HydraulicNetwork, tree: HydraulicNetwork) -> None:
    with pytest.raises(
        NotConvergedError,
        match=r"supply network: loop flows did not converge in 1 "
        r"Newton iteration.*loop closed by pipe '\w+'.*imbalance of [\d.e+-]+ Pa",
    ):
        solve(mesh, max_iter=1)
    with pytest.raises(NotConvergedError, match=r"did not settle in 1 outer iteration.*change"):
        solve(tree, max_iter=1)


def test_long_lightly_loaded_branch_recovers_from_a_starved_first_pass() -> None:
    """The first pass guesses the flow from 95 °C and starves the consumer (water arrives at
    51 °C, below its 70 °C return); the steady state, T_in ≈ 78 °C, is found regardless."""
    net = network([("long", 0, 1, 2000.0, 0.0539)], [("far", 1, 30e3)], u_w_per_m_k=0.4)
    res = solve(net)
    t_in = res.consumer.t_supply_c[0]
    m = 30e3 / (_cp(t_in, 70.0) * (t_in - 70.0))
    expected = GROUND_C + (SUPPLY_C - GROUND_C) * np.exp(-0.4 * 2000.0 / (m * _cp(SUPPLY_C, t_in)))
    assert t_in == pytest.approx(expected, abs=1e-4)
    assert 77.0 < t_in < 79.0
    assert res.consumer.heat_supplied_w[0] == pytest.approx(30e3, rel=1e-5)


def test_supply_too_cold_for_return_temperature_raises() -> None:
    prod = pressure_producer()
    prod["supply_temp_c"] = 69.0  # below the consumers' 70 °C return
    with pytest.raises(NotConvergedError, match=r"4 consumer\(s\) cannot draw their heat.*c2, c3"):
        solve(network(TREE_PIPES, TREE_CONSUMERS, producers=prod))


# --- bad input ---------------------------------------------------------------------------------


def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return frames(TREE_PIPES, TREE_CONSUMERS)


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        (1, "length_m", -5.0, "length_m must be positive: a"),
        (1, "inner_diameter_m", 0.0, "inner_diameter_m must be positive: a"),
        (1, "to_node", 99, r"unknown node\(s\): a -> '99'"),
        (1, "u_w_per_m_k", np.nan, "u_w_per_m_k' is missing or not a number for: a"),
        (2, "node", 42, r"unknown node\(s\): c2 -> '42'"),
        (2, "heat_w", -1.0, "heat_w must be >= 0: c2"),
        (2, "delta_t_k", 20.0, "exactly one of return_temp_c and delta_t_k: c2"),
        (3, "mode", "pump", "mode must be one of"),
        (3, "p_supply_pa", np.nan, "needs p_supply_pa and p_return_pa"),
        (3, "p_return_pa", 7e5, "p_supply_pa > p_return_pa"),
    ],
)
def test_bad_input_names_the_row(table: int, column: str, value: object, message: str) -> None:
    tables = list(_tables())
    tables[table] = tables[table].copy()
    tables[table].loc[0, column] = value
    with pytest.raises(InputError, match=message):
        HydraulicNetwork.from_frames(*tables)


def test_missing_column_and_duplicate_ids() -> None:
    nodes, pipes, cons, prod = _tables()
    with pytest.raises(InputError, match="lacks required column"):
        HydraulicNetwork.from_frames(nodes, pipes.drop(columns="length_m"), cons, prod)
    with pytest.raises(InputError, match="duplicate ids"):
        HydraulicNetwork.from_frames(nodes, pipes.assign(pipe_id="same"), cons, prod)


def test_producer_structure_errors() -> None:
    nodes, pipes, cons, prod = _tables()
    flow_only = prod.assign(mode="mass_flow", mass_flow_kg_s=1.0)
    with pytest.raises(InputError, match="no producer holds the pressure"):
        HydraulicNetwork.from_frames(nodes, pipes, cons, flow_only)
    two = pd.concat([prod, pressure_producer(5, "second")], ignore_index=True)
    with pytest.raises(
        InputError, match=r"more than one pressure-holding producer.*boiler, second"
    ):
        HydraulicNetwork.from_frames(nodes, pipes, cons, two)
    with pytest.raises(InputError, match="pump_efficiency"):
        HydraulicNetwork.from_frames(nodes, pipes, cons, prod.assign(pump_efficiency=1.5))


def test_pump_lift_can_be_given_as_dp_and_valves_default_open() -> None:
    nodes, pipes, cons, prod = _tables()
    ref = solve(HydraulicNetwork.from_frames(nodes, pipes, cons, prod))
    lift = prod.drop(columns="p_return_pa").assign(dp_pa=P_SUPPLY_PA - P_RETURN_PA)
    net = HydraulicNetwork.from_frames(nodes, pipes.drop(columns="valve_open"), cons, lift)
    assert net.pipes.valve_open.all()
    res = solve(net)
    np.testing.assert_allclose(res.node.p_return_pa, ref.node.p_return_pa)


def test_result_tables_are_labelled(tree: HydraulicNetwork) -> None:
    res = solve(tree)
    assert list(res.pipes.index) == ["a", "b", "c", "d", "e"]
    assert list(res.consumers.index) == ["c2", "c3", "c4", "c5"]
    assert {"supply_mass_flow_kg_s", "return_t_out_c", "supply_heat_loss_w"} <= set(res.pipes)
    assert {"dp_pa", "dp_ok", "heat_supplied_w"} <= set(res.consumers)
    assert res.converged and res.residual <= 1e-6
    assert viscosity_pa_s(SUPPLY_C) > 0
