"""Summary tables shared by the CLI and the HTML report (SI units next to Gcal)."""

from __future__ import annotations

import pandas as pd

from teplo.units import MW_PER_GCAL_H


def demand_by_typology(buildings: pd.DataFrame) -> pd.DataFrame:
    """Buildings, heated m², design MW and Gcal/h, annual GWh, W/m² and residents per typology.

    The last row, ``total``, sums the heated buildings (W/m² is area-weighted).
    """
    is_heated = buildings["heated"].astype(bool)
    heated = buildings[is_heated]
    grouped = buildings.groupby("typology", sort=True)
    table = pd.DataFrame(
        {
            "buildings": grouped.size(),
            "heated_area_m2": buildings["heated_area_m2"].where(is_heated, 0.0).groupby(buildings["typology"]).sum(),
            "design_mw": grouped["design_load_kw"].sum() / 1e3,
            "annual_gwh": grouped["annual_heat_mwh"].sum() / 1e3,
            "residents": grouped["residents"].sum(),
        }
    )
    total = pd.DataFrame(
        {
            "buildings": [len(buildings)],
            "heated_area_m2": [heated["heated_area_m2"].sum()],
            "design_mw": [heated["design_load_kw"].sum() / 1e3],
            "annual_gwh": [heated["annual_heat_mwh"].sum() / 1e3],
            "residents": [heated["residents"].sum()],
        },
        index=pd.Index(["total"], name="typology"),
    )
    table = pd.concat([table, total])
    table["design_gcal_h"] = table["design_mw"] / MW_PER_GCAL_H
    area = table["heated_area_m2"].where(table["heated_area_m2"] > 0)
    table["w_per_m2"] = (table["design_mw"] * 1e6 / area).fillna(0.0)
    table.index.name = "typology"
    return table[
        ["buildings", "heated_area_m2", "design_mw", "design_gcal_h", "annual_gwh", "w_per_m2", "residents"]
    ]
