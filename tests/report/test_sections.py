"""Each section builder: what it shows when its layers exist, and the plain notice when they do not."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from teplo.report.context import ReportContext
from teplo.report.plots import COOLING_DIV_ID, GAS_DIV_ID, LOAD_DURATION_DIV_ID
from teplo.report.sections import (
    SECTION_BUILDERS,
    costs_section,
    demand_section,
    map_section,
    network_section,
    operation_section,
    resilience_section,
    supply_section,
)
from teplo.study import Study


def _missing(command: str) -> str:
    return f"not yet computed: run <code>{command}</code>"


def test_demand_only_study_names_the_stage_to_run_in_every_later_section(demand_only_study: Study) -> None:
    ctx = ReportContext(demand_only_study)
    assert _missing("teplo plan") in supply_section(ctx).body
    assert _missing("teplo network") in network_section(ctx).body
    assert _missing("teplo operate") in operation_section(ctx).body
    assert _missing("teplo stress") in resilience_section(ctx).body
    assert _missing("teplo plan") in costs_section(ctx).body
    body = map_section(ctx).body
    assert 'id="map-plot"' in body
    assert _missing("teplo stress") in body and _missing("teplo network") in body


def test_study_without_pipes_says_network_not_computed(sample_study: Study) -> None:
    layers = {k: v for k, v in sample_study.layers.items() if k != "pipes"}
    body = network_section(ReportContext(Study(layers=layers, meta=sample_study.meta))).body
    assert _missing("teplo network") in body
    assert "table-network-by-dn" not in body


def test_study_with_pipes_shows_the_network(sample_study: Study) -> None:
    body = network_section(ReportContext(sample_study)).body
    assert 'id="table-network-by-dn"' in body and 'id="table-network-figures"' in body
    assert "not yet computed" not in body
    assert "M UAH" in body and "Gcal/h" in body


def test_empty_study_and_study_without_demand() -> None:
    bare = gpd.GeoDataFrame({"building_id": ["a"]}, geometry=[box(0, 0, 10, 10)], crs="EPSG:32637")
    for study in (Study(), Study(layers={"buildings": bare})):
        ctx = ReportContext(study)
        sections = [build(ctx) for build in SECTION_BUILDERS]
        assert [s.id for s in sections] == ["map", "demand", "supply", "network", "operation", "resilience",
                                            "costs", "assumptions"]
        assert _missing("teplo demand") in sections[0].body and _missing("teplo demand") in sections[1].body


def test_demand_section_has_gcal_and_the_load_duration_curve(sample_study: Study) -> None:
    body = demand_section(ReportContext(sample_study)).body
    assert "Design load, Gcal/h" in body and "Annual heat, thousand Gcal" in body
    assert f'id="{LOAD_DURATION_DIV_ID}"' in body
    assert "Khrushchyovka 5-storey panel" in body  # typology labels next to the keys


def test_full_study_sections_have_their_tables_and_plots(full_study: Study) -> None:
    ctx = ReportContext(full_study)
    supply = supply_section(ctx).body
    assert all(f'id="{i}"' in supply for i in ("table-plan", "table-units-by-type", "table-districts", "table-sites"))
    assert "CAPEX, M UAH" in supply and "Heat output, Gcal/h" in supply
    operation = operation_section(ctx).body
    assert f'id="{GAS_DIV_ID}"' in operation and "thousand m³" in operation
    resilience = resilience_section(ctx).body
    assert 'id="table-resilience"' in resilience and 'id="table-worst-scenarios"' in resilience
    for hours in (12, 24, 48):
        assert f"People below 12 °C after {hours} h" in resilience
    costs = costs_section(ctx).body
    assert "UAH/Gcal" in costs and 'id="table-resilience-cost"' in costs
    for body in (supply, operation, resilience, costs):
        assert "not yet computed" not in body


def test_cooling_uses_stored_curves_and_says_so(full_study: Study) -> None:
    body = resilience_section(ReportContext(full_study)).body
    assert f'id="{COOLING_DIV_ID}"' in body
    assert "as computed by the stress stage" in body


def test_cooling_falls_back_to_the_closed_form_and_says_so(full_study: Study) -> None:
    layers = {k: v for k, v in full_study.layers.items() if k != "cooling_curves"}
    body = resilience_section(ReportContext(Study(layers=layers, meta=full_study.meta))).body
    assert f'id="{COOLING_DIV_ID}"' in body
    assert "closed form T(t) = T_out + (20 − T_out)·e^(−t/τ)" in body
    assert "T_out = −20 °C" in body  # the fake scenarios' temperature


@pytest.mark.parametrize("drop", ["units", "sites"])
def test_supply_without_one_layer_still_reports_the_rest(full_study: Study, drop: str) -> None:
    layers = {k: v for k, v in full_study.layers.items() if k != drop}
    body = supply_section(ReportContext(Study(layers=layers, meta=full_study.meta))).body
    assert 'id="table-plan"' in body
