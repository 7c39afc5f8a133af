"""User overrides: only the overridden rows change, metered values are met, bad input is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.climate import Climate
from teplo.demand import apply_overrides, compute_demand, read_overrides_csv
from teplo.errors import InputError, InputFileNotFound
from tests.demand.helpers import make_buildings

DEMAND = [
    "typology",
    "heated_area_m2",
    "h_w_k",
    "design_load_kw",
    "space_heat_mwh",
    "dhw_mwh",
    "annual_heat_mwh",
    "tau_h",
]


@pytest.fixture
def buildings() -> pd.DataFrame:
    return make_buildings(
        [{"storeys": s} for s in (5, 9, 16, 5, 9)] + [{"use": "garage", "storeys": 1}]
    )


def test_only_overridden_rows_change(buildings: pd.DataFrame, reference_climate: Climate) -> None:
    ov = pd.DataFrame(
        {
            "building_id": ["s0", "s1", "s2"],
            "typology": ["khrushchyovka_brick", None, None],
            "heated_area_m2": [np.nan, 4000.0, np.nan],
            "annual_heat_mwh": [np.nan, np.nan, 1234.5],
        }
    )
    base = compute_demand(buildings, reference_climate)
    d = compute_demand(buildings, reference_climate, ov)
    same = (d[DEMAND] == base[DEMAND]) | (d[DEMAND].isna() & base[DEMAND].isna())
    changed = ~same.all(axis=1)
    assert changed.tolist() == [True, True, True, False, False, False]
    assert (
        d.loc[0, "typology"] == "khrushchyovka_brick" and d.loc[0, "typology_source"] == "override"
    )
    # same q for brick and panel: same loads, different time constant (§2.6: 45 h vs 30 h)
    assert d.loc[0, "design_load_kw"] == base.loc[0, "design_load_kw"]
    assert d.loc[0, "tau_h"] == pytest.approx(base.loc[0, "tau_h"] * 45 / 30)
    assert d.loc[1, "heated_area_m2"] == 4000.0
    assert d.loc[2, "annual_heat_mwh"] == pytest.approx(1234.5)
    assert d["demand_source"].tolist() == ["model", "model", "metered", "model", "model", "model"]


def test_metered_rescales_heat_balance(buildings: pd.DataFrame, reference_climate: Climate) -> None:
    base = compute_demand(buildings, reference_climate).loc[2]
    d = compute_demand(
        buildings,
        reference_climate,
        pd.DataFrame({"building_id": ["s2"], "annual_heat_mwh": [base["annual_heat_mwh"] * 0.8]}),
    ).loc[2]
    for c in ("h_w_k", "space_heat_mwh", "dhw_mwh", "design_load_kw", "internal_gains_kw"):
        assert d[c] == pytest.approx(0.8 * base[c]), c
    assert d["balance_temp_c"] == pytest.approx(base["balance_temp_c"])
    assert d["tau_h"] == pytest.approx(base["tau_h"] / 0.8)


def test_design_load_alone_and_with_metered(
    buildings: pd.DataFrame, reference_climate: Climate
) -> None:
    base = compute_demand(buildings, reference_climate)
    ov = pd.DataFrame(
        {
            "building_id": ["s1", "s3"],
            "design_load_kw": [500.0, 400.0],
            "annual_heat_mwh": [np.nan, 900.0],
        }
    )
    d = compute_demand(buildings, reference_climate, ov)
    k = 500.0 / base.loc[1, "design_load_kw"]
    assert d.loc[1, "design_load_kw"] == pytest.approx(500.0)
    assert d.loc[1, "annual_heat_mwh"] == pytest.approx(k * base.loc[1, "annual_heat_mwh"])
    assert d.loc[3, "design_load_kw"] == 400.0 and d.loc[3, "annual_heat_mwh"] == pytest.approx(
        900.0
    )
    assert d.loc[[1, 3], "demand_source"].tolist() == ["design_given", "metered+design_given"]


def test_metered_heat_for_unheated_building_is_an_error(
    buildings: pd.DataFrame, reference_climate: Climate
) -> None:
    ov = pd.DataFrame({"building_id": ["s5"], "annual_heat_mwh": [10.0]})
    with pytest.raises(InputError, match=r"s5.*garage"):
        compute_demand(buildings, reference_climate, ov)
    ov["typology"] = ["office_commercial"]
    d = compute_demand(buildings, reference_climate, ov)
    assert d.loc[5, "annual_heat_mwh"] == pytest.approx(10.0) and d.loc[5, "heated"]


@pytest.mark.parametrize(
    ("ov", "message"),
    [
        (
            pd.DataFrame(
                {"building_id": ["s0", "nope", "gone"], "heated_area_m2": [1.0, 2.0, 3.0]}
            ),
            "2 building_id.*nope, gone",
        ),
        (pd.DataFrame({"building_id": ["s0"], "colour": ["red"]}), "unknown column.*colour"),
        (pd.DataFrame({"id": ["s0"]}), "building_id"),
        (pd.DataFrame({"building_id": ["s0"], "typology": ["igloo"]}), "igloo"),
        (
            pd.DataFrame({"building_id": ["s0", "s0"], "heated_area_m2": [1.0, 2.0]}),
            "more than once",
        ),
        (pd.DataFrame({"building_id": ["s0"], "annual_heat_mwh": [-5.0]}), "annual_heat_mwh"),
        (pd.DataFrame({"building_id": ["s0"], "design_load_kw": ["lots"]}), "design_load_kw"),
    ],
)
def test_bad_overrides_are_named(buildings: pd.DataFrame, ov: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        apply_overrides(buildings, ov)


def test_apply_overrides_drops_stale_demand(
    buildings: pd.DataFrame, reference_climate: Climate
) -> None:
    d = compute_demand(buildings, reference_climate)
    marked = apply_overrides(d, pd.DataFrame({"building_id": ["s4"], "typology": ["panel_16"]}))
    assert "h_w_k" not in marked.columns and "annual_heat_mwh" not in marked.columns
    again = compute_demand(marked, reference_climate)
    assert again.loc[4, "typology"] == "panel_16"
    pd.testing.assert_series_equal(again.loc[:3, "annual_heat_mwh"], d.loc[:3, "annual_heat_mwh"])


def test_read_overrides_csv(
    tmp_path: Path, buildings: pd.DataFrame, reference_climate: Climate
) -> None:
    p = tmp_path / "ov.csv"
    p.write_text(
        "building_id,typology,annual_heat_mwh\ns0,stalinka,\ns1,,812.5\n", encoding="utf-8"
    )
    ov = read_overrides_csv(p)
    assert ov["typology"].tolist() == ["stalinka", None]
    assert np.isnan(ov["annual_heat_mwh"].iloc[0]) and ov["annual_heat_mwh"].iloc[1] == 812.5
    d = compute_demand(buildings, reference_climate, ov)
    assert d.loc[0, "typology"] == "stalinka" and d.loc[1, "annual_heat_mwh"] == pytest.approx(
        812.5
    )


def test_read_overrides_csv_errors(tmp_path: Path) -> None:
    p = tmp_path / "ov.csv"
    with pytest.raises(InputFileNotFound):
        read_overrides_csv(p)
    p.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_overrides_csv(p)
    p.write_text("building_id,heated_area_m2\ns0,100\ns1,abc\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3, column heated_area_m2: 'abc'"):
        read_overrides_csv(p)
