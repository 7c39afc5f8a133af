"""The bundled typology table and the typology rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.demand import assign_typology, assign_typology_with_source, load_typologies
from teplo.demand.typology import TYPOLOGY_COLUMNS
from teplo.errors import InputError
from tests.demand.helpers import TYPOLOGY_BUILDINGS, make_buildings

REQUIRED_TYPOLOGIES = {
    "stalinka",
    "khrushchyovka_brick",
    "khrushchyovka_panel",
    "panel_9",
    "panel_16",
    "post2000",
    "school",
    "kindergarten",
    "hospital",
    "office_commercial",
    "public",
    "garage",
    "shed",
    "industrial",
}


def test_bundled_table_complete_and_sourced() -> None:
    t = load_typologies()
    assert set(t.index) >= REQUIRED_TYPOLOGIES
    assert list(t.columns) == list(TYPOLOGY_COLUMNS)
    assert (t["source"].str.len() > 20).all()
    heated = t[t["heated"]]
    assert (heated["space_heat_kwh_m2a"] > 0).all()
    # central values lie inside their ranges
    assert (heated["space_heat_kwh_m2a"] >= heated["space_heat_kwh_m2a_min"]).all()
    assert (heated["space_heat_kwh_m2a"] <= heated["space_heat_kwh_m2a_max"]).all()
    res = t[t["residential"]]
    assert (res["m2_per_resident"] == 20.6).all()
    assert set(t.loc[~t["heated"], "space_heat_kwh_m2a"]) == {0.0}


def test_rules_pick_the_expected_typology() -> None:
    b = make_buildings([row for _, row in TYPOLOGY_BUILDINGS])
    typ, src = assign_typology_with_source(b)
    assert typ.tolist() == [name for name, _ in TYPOLOGY_BUILDINGS]
    assert src.iloc[0] == "year_built" and src.iloc[2] == "storeys" and src.iloc[6] == "use"
    assert typ.index.equals(b.index)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"storeys": 5}, "khrushchyovka_panel"),
        ({"storeys": 4}, "khrushchyovka_panel"),
        ({"storeys": 1}, "khrushchyovka_brick"),
        ({"storeys": 6}, "panel_9"),
        ({"storeys": 10}, "panel_9"),
        ({"storeys": 11}, "panel_16"),
        ({"storeys": 25}, "panel_16"),
        ({"storeys": 9, "year_built": 1936.0}, "stalinka"),
        ({"storeys": 16, "year_built": 2015.0}, "post2000"),
        ({"storeys": 5, "year_built": 1965.0}, "khrushchyovka_panel"),
        # tagged height 4 × 3.6 m: a stalinka by its tall floors
        ({"storeys": 4, "height_m": 14.4, "defaulted": ""}, "stalinka"),
        # the same height, but defaulted: no evidence, storeys rule
        ({"storeys": 4, "height_m": 14.4, "defaulted": "height_m"}, "khrushchyovka_panel"),
        # storeys defaulted: floor height unknown
        ({"storeys": 4, "height_m": 14.4, "defaulted": "storeys"}, "khrushchyovka_panel"),
        # known post-war year wins over tall floors
        (
            {"storeys": 4, "height_m": 14.4, "defaulted": "", "year_built": 1970.0},
            "khrushchyovka_panel",
        ),
        ({"use": "commercial", "storeys": 2}, "office_commercial"),
        ({"use": "industrial", "storeys": 2}, "industrial"),
        ({"use": "other", "storeys": 2}, "office_commercial"),
    ],
)
def test_rule_cases(row: dict[str, object], expected: str) -> None:
    assert assign_typology(make_buildings([row])).iloc[0] == expected


def test_vectorised_on_many_rows() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    b = pd.DataFrame(
        {
            "use": rng.choice(["residential", "school", "garage"], n),
            "storeys": rng.integers(1, 25, n),
            "year_built": np.where(rng.random(n) < 0.3, rng.integers(1900, 2024, n), np.nan),
        }
    )
    typ = assign_typology(b)
    assert len(typ) == n and typ.notna().all()
    assert (typ[b["use"] == "garage"] == "garage").all()
    assert (typ[(b["use"] == "residential") & (b["year_built"] >= 2000)] == "post2000").all()


def test_unknown_use_is_an_error() -> None:
    b = make_buildings([{"use": "spaceport"}, {"use": "Residential"}])
    with pytest.raises(InputError, match="spaceport"):
        assign_typology(b)


def test_missing_column_is_an_error() -> None:
    with pytest.raises(InputError, match="storeys"):
        assign_typology(pd.DataFrame({"use": ["residential"]}))


def test_user_table_is_checked(tmp_path: Path) -> None:
    good = load_typologies()
    path = tmp_path / "t.csv"
    bad = good.astype({"heated": object})
    bad.loc["school", "heated"] = "maybe"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="heated"):
        load_typologies(path)
    bad = good.copy()
    bad.loc["school", "source"] = ""
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="source"):
        load_typologies(path)
    good.drop(columns=["c_m_wh_m2k"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="c_m_wh_m2k"):
        load_typologies(path)
    good.to_csv(path, index=False)
    assert load_typologies(path).equals(good)
