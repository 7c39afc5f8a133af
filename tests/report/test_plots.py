"""Charts: aligned MW and Gcal/h axes, the cooling closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.report.plots import (
    closed_form_curves,
    cooling_figure,
    gas_temperature_figure,
    load_duration_figure,
)
from teplo.units import MW_PER_GCAL_H


def test_load_duration_is_sorted_and_the_gcal_axis_matches_the_mw_axis() -> None:
    fig = load_duration_figure(np.array([100.0, 5000.0, 2500.0, 0.0]), design_kw=6000.0)
    y = np.asarray(fig.data[0].y, dtype=float)
    np.testing.assert_allclose(y, [5.0, 2.5, 0.1, 0.0], rtol=1e-6)
    mw_top = fig.layout.yaxis.range[1]
    assert mw_top >= 6.0
    assert fig.layout.yaxis2.range[1] == pytest.approx(mw_top / MW_PER_GCAL_H)
    assert "Gcal/h" in fig.layout.annotations[0].text


def test_closed_form_cooling() -> None:
    curves = closed_form_curves(["a", "b"], [10.0, 40.0], -20.0, 40.0)
    a = curves[curves["building_id"] == "a"].set_index("hour")["indoor_c"]
    assert a[0.0] == pytest.approx(20.0)
    assert a[10.0] == pytest.approx(-20.0 + 40.0 / np.e)
    b = curves[curves["building_id"] == "b"].set_index("hour")["indoor_c"]
    assert (b >= a).all()


def test_cooling_figure_has_a_line_per_building_and_the_thresholds() -> None:
    curves = closed_form_curves(["a", "b"], [10.0, 40.0], -20.0, 24.0)
    fig = cooling_figure(curves, pd.Series({"a": "A (panel)", "b": "B"}), [(12.0, "floor"), (5.0, "drain")])
    assert [t.name for t in fig.data] == ["A (panel)", "B"]
    assert len(fig.layout.shapes) == 2


def test_gas_figure_in_thousand_m3() -> None:
    daily = pd.DataFrame({"gas_m3": [5000.0, 0.0, 12000.0], "mean_temp_c": [2.0, 10.0, -8.0]},
                         index=pd.Index(["2016-01-01", "2016-05-01", "2016-01-02"], name="date"))
    fig = gas_temperature_figure(daily)
    assert list(fig.data[0].y) == [5.0, 12.0]
