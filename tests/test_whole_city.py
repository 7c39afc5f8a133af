"""The synthetic Kharkiv-size city (8 500 heated buildings) builds and its demand computes."""

from __future__ import annotations

import numpy as np

from teplo.climate import kharkiv_climate
from teplo.demand import compute_demand, hourly_heat_total_kw
from teplo.report.tables import demand_by_typology
from teplo.synth import make_city
from teplo.units import MW_PER_GCAL_H


def test_whole_city_demand_totals() -> None:
    climate = kharkiv_climate()
    area = make_city(8500, seed=1)
    b = compute_demand(area.buildings, climate)
    heated = b[b["heated"]]
    assert len(heated) == 8500
    table = demand_by_typology(b)
    total = table.loc["total"]
    print(
        f"\nwhole synthetic city: {int(total['buildings'])} buildings, "
        f"{total['heated_area_m2'] / 1e6:.1f} Mm² heated, design {total['design_mw']:.0f} MW "
        f"({total['design_mw'] / MW_PER_GCAL_H:.0f} Gcal/h), {total['annual_gwh']:.0f} GWh/a, "
        f"{total['w_per_m2']:.0f} W/m², {total['residents']:,.0f} residents"
    )
    # kharkiv-figures §5.1 estimates 2.5–3.5 GW connected load for ≈ 32 Mm².
    assert 2_000 <= total["design_mw"] <= 3_800
    assert 60 <= total["w_per_m2"] <= 120
    hourly = hourly_heat_total_kw(b, climate.hourly_temp_c)
    assert hourly.shape == (len(climate.hourly_temp_c),)
    assert np.isclose(hourly.sum() / 1e3, heated["annual_heat_mwh"].sum(), rtol=0.01)
