"""Screening agrees with the full hydraulic check where both run (issue #6).

A small designed network (two sites, each with its own supply area) is stress-tested
by screening; the same losses are then given to the hydraulic check, which solves
the network with the lost sites' producers removed. Where a site is lost, both say
its buildings get nothing and every other building is untouched; where a unit is
lost, the network still carries the heat (hydraulic fraction 1), so the supply is
limited by capacity alone, exactly screening's answer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from teplo.network.design import design_network
from teplo.resilience import run_stress
from teplo.resilience.hydraulic_check import hydraulic_check
from teplo.resilience.network_check import IslandView, ScenarioMask
from tests.network.conftest import block_buildings, grid_streets, sites_at


@pytest.fixture(scope="module")
def designed() -> dict[str, object]:
    b = block_buildings(5, 5, 2)
    b["heated"] = True
    b["design_load_kw"] = 400.0
    b["dhw_mean_kw"] = 30.0
    b["h_w_k"] = (
        (b["design_load_kw"] - b["dhw_mean_kw"]) * 1e3 / 43.0
    )  # H·(20 − (−23)) = space load
    b["tau_h"] = 28.0  # 9-storey panel, kharkiv-figures §2.6
    b["typology"] = "panel_9"
    b["residents"] = 100.0
    b["priority"] = "residential"
    sites = sites_at([(0.0, 0.0), (400.0, 400.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = design_network(b, grid_streets(5, 5), sites)
    nodes = d.nodes[d.nodes["kind"] == "building"]
    site_of = pd.Series(
        nodes["node_id"].astype(str).str.split(":").str[0].to_numpy(),
        index=nodes["building_id"].to_numpy(),
    )
    b["site_id"] = b["building_id"].map(site_of).fillna("")
    b["district_id"] = b["site_id"]
    units = pd.DataFrame(
        {
            "unit_id": ["u0", "u1", "u2", "u3"],
            "site_id": ["s0", "s0", "s1", "s1"],
            "unit_type": "bmk_4mw",
            "kind": "bmk",
            "heat_kw": 4000.0,  # two per site: the base case is fully supplied, one is not
            "power_kw": 0.0,
            "aux_power_kw": 45.0,
        }
    )
    result = run_stress(
        b, units, sites, pipes=d.pipes, network_nodes=d.nodes, families=("n-1",), temp_c=-20.0
    )
    check = hydraulic_check(
        *d.hydraulic_tables,
        pipe_order=d.pipes["pipe_id"].astype(str).to_numpy(),
        site_order=np.array(["s0", "s1"]),
    )
    return {"b": b, "d": d, "result": result, "check": check}


def _hydraulic_fraction(designed: dict[str, object], lost_sites: set[str]) -> pd.Series:
    """The hydraulic check's supplied fraction per building, capacity not limiting (proxy 1)."""
    b = designed["b"]
    d = designed["d"]
    check = designed["check"]
    assert isinstance(b, pd.DataFrame)
    out = []
    for site in ("s0", "s1"):
        members = b[b["site_id"] == site]
        mask = ScenarioMask(
            scenario_id="x",
            time_h=0.0,
            temp_c=-20.0,
            units_available=np.ones(4, dtype=bool),
            pipes_available=np.ones(len(d.pipes), dtype=bool),  # type: ignore[attr-defined]
            sites_available=np.array([s not in lost_sites for s in ("s0", "s1")]),
        )
        island = IslandView(
            island=0,
            building_index=np.arange(len(members)),
            building_ids=members["building_id"].to_numpy(),
            demand_kw=members["design_load_kw"].to_numpy(float) * 40.0 / 43.0,
            site_ids=np.array([site]),
            pipe_index=np.arange(0),
            proxy_fraction=np.ones(len(members)),
        )
        out.append(pd.Series(check(mask, island), index=members["building_id"].to_numpy()))  # type: ignore[operator]
    return pd.concat(out)


def _screening_fraction(designed: dict[str, object], scenario_id: str) -> pd.Series:
    result = designed["result"]
    b = designed["b"]
    assert isinstance(b, pd.DataFrame)
    detail = result.detail(scenario_id)  # type: ignore[attr-defined]
    frac = pd.Series(1.0, index=b["building_id"].to_numpy())
    frac[detail["building_id"].to_numpy()] = detail["min_fraction"].to_numpy()
    return frac


@pytest.mark.parametrize("site", ["s0", "s1"])
def test_site_loss_agrees(designed: dict[str, object], site: str) -> None:
    screening = _screening_fraction(designed, f"n-1:site:{site}")
    hydraulic = _hydraulic_fraction(designed, {site})
    cold_s = set(screening.index[screening == 0.0])
    cold_h = set(hydraulic.index[hydraulic == 0.0])
    assert cold_s and cold_s == cold_h
    others = hydraulic.index.difference(sorted(cold_h))
    assert (hydraulic[others] == 1.0).all() and (screening[others] == 1.0).all()


def test_unit_loss_is_a_capacity_limit_the_network_carries(designed: dict[str, object]) -> None:
    result = designed["result"]
    statuses = result.scenarios.set_index("scenario_id")["status"]  # type: ignore[attr-defined]
    assert statuses["n-1:unit:u0"] == "screening"
    hydraulic = _hydraulic_fraction(designed, set())
    assert (hydraulic == 1.0).all()  # every building gets its heat through the network
    assert (_screening_fraction(designed, "base") == 1.0).all()
    screening = _screening_fraction(designed, "n-1:unit:u0")
    b = designed["b"]
    assert isinstance(b, pd.DataFrame)
    s0 = set(b.loc[b["site_id"] == "s0", "building_id"])
    # one 4 MW unit left for site s0's buildings: capacity, not the network, limits them
    short = screening[screening < 1.0]
    assert set(short.index) == s0
    assert short.nunique() == 1 and 0.0 < short.iloc[0] < 1.0
