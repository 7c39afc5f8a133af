"""Every default listed with its source: typologies, pipes, units, climate, settings."""

from __future__ import annotations

import html
from importlib import resources

import pandas as pd
import pytest

from teplo.climate import kharkiv_climate
from teplo.network.design import NetworkSettings
from teplo.report import assumptions as a
from teplo.report.context import ReportContext
from teplo.report.sections import assumptions_section
from teplo.report.settings import ReportSettings
from teplo.study import Study


@pytest.fixture(scope="module")
def section_body(demand_only_study: Study) -> str:
    return assumptions_section(ReportContext(demand_only_study, settings_used=NetworkSettings())).body


def test_every_typology_and_its_source_is_listed(section_body: str) -> None:
    table = pd.read_csv(resources.files("teplo") / "data" / "typologies.csv")
    for typology, source in zip(table["typology"], table["source"], strict=True):
        assert f">{typology}<" in section_body
        assert html.escape(source) in section_body, f"source of {typology} missing"


def test_every_pipe_source_is_listed(section_body: str) -> None:
    table = pd.read_csv(resources.files("teplo") / "data" / "pipe_catalogue.csv")
    for source in table["source"].unique():
        assert html.escape(source) in section_body
    assert "DN 500" in section_body


def test_unit_catalogue_listed_when_bundled(monkeypatch: pytest.MonkeyPatch, demand_only_study: Study) -> None:
    units = pd.DataFrame({"type": ["bmk_1mw"], "kind": ["bmk"], "heat_kw": [1000.0], "power_kw": [0.0],
                          "capex_eur": [140000.0], "source": ["Izium 10 x 1 MW for UAH 60 M [R]"]})
    real = a.bundled_csv
    monkeypatch.setattr(a, "bundled_csv", lambda name: units.copy() if name == "units.csv" else real(name))
    body = assumptions_section(ReportContext(demand_only_study)).body
    assert "Unit catalogue (teplo/data/units.csv)" in body and "Izium 10 x 1 MW for UAH 60 M [R]" in body


def test_climate_rows_cite_their_sources_unless_changed() -> None:
    rows = a.climate_assumptions(kharkiv_climate())
    assert rows.loc["Design outdoor temperature", "value"] == -23.0
    assert "§0/§1" in rows.loc["Design outdoor temperature", "source"]
    assert rows.loc["Reference degree-days (for specific demand)", "unit"] == "K·d"
    changed = a.climate_assumptions(kharkiv_climate(design_temp_c=-26.0))
    assert changed.loc["Design outdoor temperature", "source"] == "set for this study"


def test_report_settings_cite_the_exchange_rate() -> None:
    rows = a.report_assumptions(ReportSettings())
    assert rows.loc["report.eur_uah", "value"] == 50.4
    assert "§3.5" in rows.loc["report.eur_uah", "source"]
    assert rows.loc["1 Gcal/h", "value"] == 1.163


def test_settings_table_flattens_models_and_dicts() -> None:
    rows = a.settings_table({
        "network": NetworkSettings(),
        "plan": {"k_lost": 1, "strike_radius_m": {"value": 300, "unit": "m", "description": "brief [E]"}},
        "seed": 7,
    })
    assert rows.loc["network.max_dp_pa_per_m", "value"] == 150.0
    assert rows.loc["network.max_dp_pa_per_m", "unit"] == "Pa/m"
    assert "§4.1" in rows.loc["network.max_dp_pa_per_m", "source"]
    assert rows.loc["plan.strike_radius_m", "source"] == "brief [E]"
    assert rows.loc["plan.k_lost", "value"] == 1 and rows.loc["seed", "value"] == 7


def test_settings_used_appear_in_the_section(section_body: str) -> None:
    assert "max_dp_pa_per_m" in section_body and "Settings of the stages" in section_body


def test_footnotes_number_distinct_sources_once() -> None:
    frame = pd.DataFrame({"v": [1, 2, 3], "source": ["x", "y", "x"]})
    shown, sources = a.footnote_sources(frame)
    assert sources == ["x", "y"] and list(shown["ref"]) == ["[1]", "[2]", "[1]"]


def test_unit_from_name() -> None:
    assert a.unit_from_name("temp_c") == "°C" and a.unit_from_name("dp_pa_per_m") == "Pa/m"
    assert a.unit_from_name("velocity_m_s") == "m/s" and a.unit_from_name("seed") == ""
