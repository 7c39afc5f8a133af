"""The map figure: classes as few traces, the load/cold switch, sites and their fallback."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from teplo.report.maps import LOAD_BINS_KW, map_figure
from teplo.study import Study


def _kw(study: Study) -> dict:
    names = ("pipes", "sites", "units", "districts", "streets", "network_nodes")
    return {n: study.layers.get(n) for n in names} | {"outcomes": study.layers.get("building_outcomes")}


def test_buildings_are_one_trace_per_class_with_rings_separated_by_nan(sample_study: Study) -> None:
    b = sample_study.layers["buildings"]
    m = map_figure(b, **_kw(sample_study))
    assert m.polygons and not m.has_cold
    load = [t for t in m.figure.data if t.legendgroup == "load"]
    assert 2 <= len(load) <= len(LOAD_BINS_KW) + 2
    rings = sum(int(np.isnan(np.asarray(t.x, dtype=float)).sum()) + 1 for t in load)
    assert rings == len(shapely.get_parts(b.geometry.to_numpy()))
    hover = [t for t in m.figure.data if t.name == "buildings (hover)"]
    assert len(hover) == 1 and len(hover[0].text) == len(b)
    assert not m.figure.layout.updatemenus  # nothing to switch to without stress results


def test_map_switches_between_load_and_hours_to_12c(full_study: Study) -> None:
    m = map_figure(full_study.layers["buildings"], **_kw(full_study))
    assert m.has_cold
    groups = [t.legendgroup for t in m.figure.data]
    load_button, cold_button = m.figure.layout.updatemenus[0].buttons
    for button, shown, hidden in ((load_button, "load", "cold"), (cold_button, "cold", "load")):
        visible = button.args[0]["visible"]
        assert len(visible) == len(groups)
        assert all(v for v, g in zip(visible, groups, strict=True) if g == shown)
        assert not any(v for v, g in zip(visible, groups, strict=True) if g == hidden)
        assert all(v for v, g in zip(visible, groups, strict=True) if g not in ("load", "cold"))
    assert all(t.visible is False for t in m.figure.data if t.legendgroup == "cold")


def test_sites_list_their_units_in_the_hover(full_study: Study) -> None:
    m = map_figure(full_study.layers["buildings"], **_kw(full_study))
    sites = [t for t in m.figure.data if t.legendgroup == "sites"]
    text = " ".join(s for t in sites for s in t.text)
    assert "bmk_" in text and "Gcal/h" in text
    n_chosen = int(full_study.layers["sites"]["chosen"].astype(bool).sum())
    assert sum(len(t.x) for t in sites) == n_chosen


def test_without_a_plan_the_network_feed_points_are_drawn(sample_study: Study) -> None:
    m = map_figure(sample_study.layers["buildings"], **_kw(sample_study))
    names = [t.name for t in m.figure.data]
    assert "network feed point (no plan yet)" in names
    assert any(n.startswith("DN ") for n in names)


@pytest.mark.parametrize("limit", [0, 10])
def test_many_buildings_are_drawn_as_points(full_study: Study, limit: int) -> None:
    b = full_study.layers["buildings"]
    m = map_figure(b, outcomes=full_study.layers["building_outcomes"], polygon_limit=limit)
    assert not m.polygons
    load = [t for t in m.figure.data if t.legendgroup == "load"]
    assert all(t.mode == "markers" and t.fill is None for t in load)
    assert sum(len(t.x) for t in load) == len(b)
    assert all(len(t.text) == len(t.x) for t in load)
