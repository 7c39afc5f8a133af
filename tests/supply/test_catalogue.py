"""Unit catalogue: bundled defaults and validation of a user's CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.errors import InputError
from teplo.supply.catalogue import UNIT_COLUMNS, load_unit_catalogue


def test_bundled_catalogue_has_every_kind_and_a_source_on_every_row():
    cat = load_unit_catalogue()
    assert set(cat["kind"]) == {"bmk", "chp", "storage", "diesel"}
    assert {1000.0, 2000.0, 6000.0, 10000.0} <= set(cat.loc[cat["kind"] == "bmk", "heat_kw"])
    assert set(cat.loc[cat["kind"] == "chp", "power_kw"]) == {70.0, 500.0, 1000.0, 2000.0, 4500.0}
    assert (cat["source"].str.len() > 20).all()
    bmk = cat.loc[cat["kind"] == "bmk"]
    assert np.allclose(bmk["aux_power_kw"], 0.015 * bmk["heat_kw"])  # 1.5 % (kharkiv-figures §0)
    chp = cat.loc[cat["kind"] == "chp"]
    assert np.allclose(chp["heat_kw"] / chp["power_kw"], chp["eff_th"] / chp["eff_el"], rtol=1e-3)
    tank = cat.loc["tank_1000m3"]
    assert tank["capex_eur"] / 1000 == pytest.approx(7450 * 1000 ** -0.47, rel=0.01)  # DEA formula, §3.3


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    return path


def _row(**kw: object) -> dict[str, object]:
    base = load_unit_catalogue().loc[["bmk_1mw"]].reset_index().iloc[0].to_dict()
    base.update(kw)
    return base


def test_user_rows_add_and_replace_types(tmp_path):
    extra = pd.DataFrame([_row(type="bmk_1mw", capex_eur=1.0), _row(type="bmk_4mw", heat_kw=4000.0)])
    cat = load_unit_catalogue(extra=_write(tmp_path, extra))
    assert cat.at["bmk_1mw", "capex_eur"] == 1.0
    assert cat.at["bmk_4mw", "heat_kw"] == 4000.0
    assert cat.index.is_unique


def test_negative_capacity_names_row_and_column(tmp_path):
    extra = pd.DataFrame([_row(type="ok"), _row(type="bad", heat_kw=-5.0)])
    with pytest.raises(InputError, match=r"row 3 \(type 'bad'\), column 'heat_kw'.*negative"):
        load_unit_catalogue(extra=_write(tmp_path, extra))


def test_missing_column_is_named(tmp_path):
    extra = pd.DataFrame([_row(type="x")]).drop(columns=["footprint_m2"])
    with pytest.raises(InputError, match=r"missing column.*footprint_m2"):
        load_unit_catalogue(extra=_write(tmp_path, extra))


def test_duplicate_type_is_named(tmp_path):
    extra = pd.DataFrame([_row(type="twin"), _row(type="twin")])
    with pytest.raises(InputError, match=r"row 3 \(type 'twin'\), column 'type'.*duplicate"):
        load_unit_catalogue(extra=_write(tmp_path, extra))


def test_non_numeric_and_missing_source_are_named(tmp_path):
    with pytest.raises(InputError, match=r"column 'capex_eur'.*not a number"):
        load_unit_catalogue(extra=_write(tmp_path, pd.DataFrame([_row(type="x", capex_eur="cheap")])))
    with pytest.raises(InputError, match="column 'source'"):
        load_unit_catalogue(extra=_write(tmp_path, pd.DataFrame([_row(type="x", source="")])))


def test_columns_are_declared_once():
    names = [c.name for c in UNIT_COLUMNS]
    assert len(names) == len(set(names))
    assert list(load_unit_catalogue().reset_index().columns) == names
