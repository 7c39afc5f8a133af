"""Bad input raises InputError naming the unit, district or setting at fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from teplo.errors import InputError
from teplo.schema import TABLES
from teplo.supply.dispatch import DispatchSettings, load_settings, run_operation
from teplo.supply.dispatch.problem import build_groups, normalise_units
from teplo.supply.dispatch.tables import OPERATION_DAILY

from .dispatch_cases import bmk, chp, frame, serial, tank, temps_for


def _run(units: list[dict[str, object]], demand: pd.DataFrame | None = None) -> None:
    demand = demand if demand is not None else frame({"A": [1_000.0] * 4})
    run_operation(pd.DataFrame(units), demand, temps_for(demand), serial())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (bmk("b1", heat_kw=-500.0), r"unit 'b1' \(district 'A'\): heat_kw must be a positive"),
        (bmk("b1", heat_kw=np.nan), r"unit 'b1' .*heat_kw"),
        (bmk("b1", min_load=1.2), r"unit 'b1' .*min_load must be a fraction"),
        (chp("c1", min_load=-0.1), r"unit 'c1' .*min_load"),
        (chp("c1", eff_el=0.7, eff_th=0.5), r"unit 'c1' .*eff_el"),
        (chp("c1", power_kw=2_000.0, eff_el=0.4), r"unit 'c1' .*power_kw 2000 disagrees"),
        (bmk("b1", gas_class="cheap"), r"unit 'b1' .*gas_class 'cheap'"),
        (dict(unit_id="x", district_id="A", kind="heatpump", heat_kw=1.0), r"unit 'x' .*kind 'heatpump'"),
        (tank("t1", kwh=0.0), r"unit 't1' .*storage_kwh > 0"),
        (bmk("b1", start_cost_eur=-5.0), r"unit 'b1' .*start_cost_eur must be >= 0"),
    ],
)
def test_bad_unit_names_the_unit(row: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _run([row, bmk("spare")] if row.get("unit_id") != "spare" else [row])


def test_district_with_demand_but_no_units() -> None:
    demand = frame({"A": [1_000.0] * 4, "B": [500.0] * 4})
    with pytest.raises(InputError, match="district 'B' has heat demand but no CHP or boiler"):
        _run([bmk("b1")], demand)


def test_storage_alone_is_not_enough() -> None:
    with pytest.raises(InputError, match="district 'A' has heat demand but no CHP"):
        _run([tank("t1")])


def test_unit_in_unknown_district() -> None:
    with pytest.raises(InputError, match="unit 'z1' is in district 'Z'"):
        _run([bmk("b1"), bmk("z1", district="Z")])


def test_duplicate_unit_id() -> None:
    with pytest.raises(InputError, match="unit_id 'b1' appears more than once"):
        _run([bmk("b1"), bmk("b1")])


def test_missing_required_column() -> None:
    with pytest.raises(InputError, match="lacks required column"):
        _run([dict(unit_id="b1", district_id="A", kind="bmk")])


def test_demand_must_be_hourly_and_non_negative() -> None:
    idx = pd.DatetimeIndex(["2026-01-05 00:00", "2026-01-05 01:00", "2026-01-05 03:00"])
    with pytest.raises(InputError, match="1 h apart"):
        _run([bmk("b1")], pd.DataFrame({"A": [1.0, 1.0, 1.0]}, index=idx))
    with pytest.raises(InputError, match="DatetimeIndex"):
        _run([bmk("b1")], pd.DataFrame({"A": [1.0, 1.0]}))
    with pytest.raises(InputError, match=r"district 'A'.*value -5\.0"):
        _run([bmk("b1")], frame({"A": [1.0, -5.0]}))


def test_settings_are_strict() -> None:
    with pytest.raises(ValidationError):
        DispatchSettings.model_validate({"gas": {"pso_uah_per_1000m3": -1}})
    with pytest.raises(ValidationError):
        DispatchSettings.model_validate({"solver": {"mip_gap": 0.1}})  # unknown key
    with pytest.raises(InputError, match="overlap_h"):
        load_settings({"horizon": {"window_h": 48, "overlap_h": 48}})
    assert load_settings({"horizon": {"window_h": 48, "overlap_h": 12}}).horizon.window_h == 48


def test_defaults_by_kind_and_grouping() -> None:
    units = normalise_units(pd.DataFrame([chp("c1"), chp("c2"), bmk("b1"), bmk("b2", heat_kw=3_000.0)]))
    c1 = units.iloc[0]
    assert c1["min_load"] == 0.5 and c1["eff_el"] == 0.40 and c1["gas_class"] == "chp"
    assert c1["power_kw"] == pytest.approx(1_000 * 0.40 / 0.45)
    assert units.iloc[2]["min_load"] == 0.15 and units.iloc[2]["gas_class"] == "pso"
    derived = normalise_units(pd.DataFrame([chp("j", heat_kw=400.0, power_kw=330.0)])).iloc[0]
    assert derived["eff_el"] == pytest.approx(330.0 / 400.0 * 0.45)  # from power_kw, not the default
    groups = build_groups(units, DispatchSettings())
    assert list(groups.count) == [2, 1, 1]  # identical CHPs grouped, different boilers not
    s = DispatchSettings()
    s.commitment.aggregate_identical = False
    assert list(build_groups(units, s).count) == [1, 1, 1, 1]


def test_operation_tables_are_registered() -> None:
    assert TABLES["operation_daily"] is OPERATION_DAILY
    assert "operation_districts" in TABLES
