"""Bad input raises InputError naming the object at fault."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from teplo.errors import InputError
from teplo.resilience.generators import generate, strike_masks
from teplo.resilience.run import run_stress
from teplo.resilience.settings import PowerSettings, StressSettings
from teplo.resilience.system import StressSystem, build_system
from teplo.resilience.worst_case import worst_strikes

from .conftest import buildings_table, sites_table, units_table


def _ok() -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    b = buildings_table([{"id": "B1", "site_id": "S1"}])
    u = units_table([("U1", "S1", "bmk", 200.0)])
    s = sites_table([("S1", 0.0, 0.0)])
    return b, u, s


def test_unit_at_unknown_site() -> None:
    b, _, s = _ok()
    with pytest.raises(InputError, match=r"U7 \(site 'S9'\)"):
        build_system(b, units_table([("U7", "S9", "bmk", 100.0)]), s)


def test_negative_capacity_names_the_unit() -> None:
    b, _, s = _ok()
    with pytest.raises(InputError, match=r"heat_kw.*U1"):
        build_system(b, units_table([("U1", "S1", "bmk", -5.0)]), s)


def test_radius_must_be_positive(two_islands: StressSystem) -> None:
    with pytest.raises(InputError, match="radius"):
        strike_masks(two_islands, np.zeros((1, 2)), 0.0)
    with pytest.raises(InputError, match="radius"):
        generate(two_islands, ("strike",), radius_m=-1.0)
    with pytest.raises(InputError, match="radius"):
        worst_strikes(two_islands, 1, radius_m=0.0)
    b, u, s = _ok()
    with pytest.raises(InputError, match="radius"):
        run_stress(b, u, s, families=("strike",), radius_m=0.0)


def test_other_bad_inputs_name_the_object() -> None:
    b, u, s = _ok()
    with pytest.raises(InputError, match="unknown kind for U1"):
        build_system(b, u.assign(kind="nuclear"), s)
    with pytest.raises(InputError, match="duplicate unit_id U1"):
        build_system(b, pd.concat([u, u]), s)
    with pytest.raises(InputError, match=r"B1 \(site 'S5'\)"):
        build_system(b.assign(site_id="S5"), u, s)
    with pytest.raises(InputError, match=r"tau_h.*B1"):
        build_system(b.assign(tau_h=0.0), u, s)
    with pytest.raises(InputError, match="unknown priority for B1"):
        build_system(b.assign(priority="palace"), u, s)
    with pytest.raises(InputError, match=r"lacks required column.*heat_kw"):
        build_system(b, u.drop(columns="heat_kw"), s)
    with pytest.raises(InputError, match="unknown site 'S3'"):
        build_system(b, u, s, settings=StressSettings(power=PowerSettings(backup_fuel_h={"S3": 4.0})))
    pipes = pd.DataFrame({"pipe_id": ["p1"], "from_node": ["x"], "to_node": ["y"], "length_m": [10.0]})
    nodes = pd.DataFrame({"node_id": ["x"], "kind": ["street"], "building_id": [""], "site_id": [""]})
    with pytest.raises(InputError, match="unknown node: p1"):
        build_system(b, u, s, pipes, nodes)
    with pytest.raises(InputError, match="both pipes and network_nodes"):
        build_system(b, u, s, pipes, None)
