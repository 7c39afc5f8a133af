"""Summary tables shared by the CLI, the HTML report and the CSV export.

Pure functions from the study's tables to small DataFrames with the unit in
every column name; Ukrainian utility units (Gcal/h, thousand Gcal, UAH) sit
next to the SI and EUR ones. 1 Gcal/h = 1.163 MW (:mod:`teplo.units`); the
EUR/UAH rate is a report setting (kharkiv-figures §3.5).

Key-figure tables (``network_figures``, ``cost_figures``, ``operation_figures``)
have one row per quantity and the columns ``value``, ``unit``, ``value_ua``,
``unit_ua``, ``digits`` and ``digits_ua`` (decimals shown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from teplo.units import MW_PER_GCAL_H, MWH_PER_GCAL

#: Order of the stress-scenario families in tables (teplo.resilience.generators.FAMILIES).
FAMILY_ORDER: tuple[str, ...] = ("base", "n-1", "n-2", "strike", "blackout", "gas", "pipe", "user")

#: Report name -> accepted column names of the ``scenarios`` table, first found wins
#: (the report contract's name, then the stress stage's, teplo.resilience.tables).
SCENARIO_ALIASES: dict[str, tuple[str, ...]] = {
    "unserved_mwh": ("unserved_mwh", "unserved_heat_mwh"),
    "buildings_drained": ("buildings_drained", "buildings_must_drain"),
    "restore_h": ("restore_h", "restore_supply_h"),
}
#: Priority classes whose ``{class}s_affected`` columns the stress stage writes.
PRIORITY_CLASSES: tuple[str, ...] = ("hospital", "school", "kindergarten", "shelter")

FIGURE_COLUMNS = ["value", "unit", "value_ua", "unit_ua", "digits", "digits_ua"]
#: One key figure: quantity, value, unit, Ukrainian value, its unit, decimals (and decimals of the second).
Figure = tuple[str, float, str, float, str, int] | tuple[str, float, str, float, str, int, int]


def demand_by_typology(buildings: pd.DataFrame) -> pd.DataFrame:
    """Buildings, heated m², design MW and Gcal/h, annual GWh and thousand Gcal, W/m², residents.

    One row per typology; the last row, ``total``, sums the heated buildings
    (W/m² is area-weighted).
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
    table["annual_thousand_gcal"] = table["annual_gwh"] / MWH_PER_GCAL
    area = table["heated_area_m2"].where(table["heated_area_m2"] > 0)
    table["w_per_m2"] = (table["design_mw"] * 1e6 / area).fillna(0.0)
    table.index.name = "typology"
    return table[
        ["buildings", "heated_area_m2", "design_mw", "design_gcal_h", "annual_gwh",
         "annual_thousand_gcal", "w_per_m2", "residents"]
    ]


def units_by_type(units: pd.DataFrame, eur_uah: float) -> pd.DataFrame:
    """Units per ``unit_type``: count, heat MW and Gcal/h, electric MW, CAPEX M EUR and M UAH; a ``total`` row."""
    u = units.assign(
        power_kw=numeric_column(units, "power_kw"), capex_eur=numeric_column(units, "capex_eur"),
        heat_kw=numeric_column(units, "heat_kw"),
    )
    g = u.groupby(u["unit_type"].astype(str), sort=True)
    table = pd.DataFrame(
        {
            "units": g.size(),
            "heat_mw": g["heat_kw"].sum() / 1e3,
            "power_mw": g["power_kw"].sum() / 1e3,
            "capex_meur": g["capex_eur"].sum(min_count=1) / 1e6,
        }
    )
    table.loc["total"] = table.sum(min_count=1)
    table.index.name = "unit_type"
    table["heat_gcal_h"] = table["heat_mw"] / MW_PER_GCAL_H
    table["capex_muah"] = table["capex_meur"] * eur_uah
    table["units"] = table["units"].astype(int)
    return table[["units", "heat_mw", "heat_gcal_h", "power_mw", "capex_meur", "capex_muah"]]


def site_districts(
    buildings: pd.DataFrame | None, districts: pd.DataFrame | None
) -> pd.Series:
    """site_id -> its micro-district(s), comma-separated: from ``districts.site_id``, else from the buildings.

    One site may serve several districts (the siting MILP assigns districts to sites).
    """
    def joined(ids: pd.Series) -> str:
        return ", ".join(sorted({str(v) for v in ids}))

    out = pd.Series(dtype=object)
    if buildings is not None and {"site_id", "district_id"} <= set(buildings.columns):
        served = buildings[_present(buildings["site_id"]) & _present(buildings["district_id"])]
        if not served.empty:
            out = served.groupby("site_id")["district_id"].agg(joined)
    if districts is not None and "site_id" in districts.columns:
        given = districts[_present(districts["site_id"])].groupby("site_id")["district_id"].agg(joined)
        out = given.combine_first(out)
    out.index = out.index.astype(str)
    return out.astype(str)


def _district_site_loads(buildings: pd.DataFrame | None, districts: pd.DataFrame | None) -> pd.Series:
    """Design load [kW] per (district_id, site_id): from the buildings, else ``districts.site_id``."""
    names = ["district_id", "site_id"]
    if buildings is not None and {"site_id", "district_id"} <= set(buildings.columns):
        served = buildings[_present(buildings["site_id"]) & _present(buildings["district_id"])]
        if not served.empty:
            load = numeric_column(served, "design_load_kw").fillna(0.0) + 1e-9  # count load-less buildings
            out = load.groupby([served["district_id"].astype(str), served["site_id"].astype(str)]).sum()
            out.index.names = names
            return out
    if districts is not None and "site_id" in districts.columns:
        given = districts[_present(districts["site_id"])]
        index = pd.MultiIndex.from_arrays([given["district_id"].astype(str), given["site_id"].astype(str)],
                                          names=names)
        return pd.Series(numeric_column(given, "design_load_kw").fillna(0.0).to_numpy() + 1e-9, index=index)
    return pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []], names=names))


def sites_table(
    sites: pd.DataFrame,
    units: pd.DataFrame | None,
    buildings: pd.DataFrame | None,
    districts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Chosen sites: micro-district, buildings served, design MW served, installed heat and power, unit list."""
    chosen = sites[sites["chosen"].astype(bool)] if "chosen" in sites.columns else sites
    ids = chosen["site_id"].astype(str)
    table = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="site_id"))
    table["district_id"] = site_districts(buildings, districts).reindex(table.index).fillna("")
    if buildings is not None and "site_id" in buildings.columns:
        b = buildings[_present(buildings["site_id"])]
        g = b.groupby(b["site_id"].astype(str))
        table["buildings"] = g.size().reindex(table.index).fillna(0).astype(int)
        table["design_mw"] = (g["design_load_kw"].sum() / 1e3).reindex(table.index).fillna(0.0)
    if units is not None and not units.empty:
        u = units.assign(site_id=units["site_id"].astype(str), power_kw=numeric_column(units, "power_kw"))
        gu = u.groupby("site_id")
        table["heat_mw"] = (gu["heat_kw"].sum() / 1e3).reindex(table.index).fillna(0.0)
        table["power_mw"] = (gu["power_kw"].sum() / 1e3).reindex(table.index).fillna(0.0)
        table["unit_list"] = unit_lists(u).reindex(table.index).fillna("")
    else:
        table["heat_mw"] = numeric_column(chosen, "heat_kw").to_numpy() / 1e3
        table["power_mw"] = numeric_column(chosen, "power_kw").to_numpy() / 1e3
    table["heat_gcal_h"] = table["heat_mw"] / MW_PER_GCAL_H
    order = ["district_id", "buildings", "design_mw", "heat_mw", "heat_gcal_h", "power_mw", "unit_list"]
    return table[[c for c in order if c in table.columns]].sort_index()


def unit_lists(units: pd.DataFrame) -> pd.Series:
    """site_id -> '3 × bmk_1mw, 1 × chp_1mwe' (types in name order)."""
    counts = units.groupby(["site_id", "unit_type"]).size()
    text = counts.index.get_level_values("unit_type").astype(str)
    parts = pd.Series([f"{n} × {t}" for n, t in zip(counts.to_numpy(), text, strict=True)], index=counts.index)
    return parts.groupby(level="site_id").agg(", ".join)


def districts_table(
    districts: pd.DataFrame,
    buildings: pd.DataFrame | None,
    units: pd.DataFrame | None,
) -> pd.DataFrame:
    """Micro-districts: buildings, residents, design MW/Gcal/h, sites, installed heat and its ratio to design."""
    ids = districts["district_id"].astype(str)
    table = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="district_id"))
    design = numeric_column(districts, "design_load_kw").to_numpy() / 1e3
    table["design_mw"] = design
    pairs = _district_site_loads(buildings, districts)  # design kW per (district_id, site_id)
    if buildings is not None and "district_id" in buildings.columns:
        b = buildings[_present(buildings["district_id"])]
        g = b.groupby(b["district_id"].astype(str))
        table["buildings"] = g.size().reindex(table.index).fillna(0).astype(int)
        table["residents"] = g["residents"].sum().reindex(table.index).fillna(0.0)
    table["sites"] = pairs.groupby(level="district_id").size().reindex(table.index).fillna(0).astype(int)
    table["design_gcal_h"] = table["design_mw"] / MW_PER_GCAL_H
    if units is not None and not units.empty:
        # a site serving several districts: its capacity shared in proportion to their design load there
        site_cap = units["heat_kw"].groupby(units["site_id"].astype(str)).sum() / 1e3
        site_total = pairs.groupby(level="site_id").sum()
        sites = pairs.index.get_level_values("site_id")
        share = pairs.to_numpy() / site_total.reindex(sites).where(lambda v: v > 0).to_numpy()
        part = pd.Series(site_cap.reindex(sites).to_numpy() * share, index=pairs.index)
        table["installed_mw"] = part.groupby(level="district_id").sum().reindex(table.index).fillna(0.0)
        table["installed_gcal_h"] = table["installed_mw"] / MW_PER_GCAL_H
        table["reserve_pct"] = 100.0 * table["installed_mw"] / table["design_mw"].where(table["design_mw"] > 0)
    order = ["buildings", "residents", "design_mw", "design_gcal_h", "sites", "installed_mw",
             "installed_gcal_h", "reserve_pct"]
    return table[[c for c in order if c in table.columns]].sort_index()


def plan_figures(plan: Mapping[str, Any]) -> pd.DataFrame:
    """Key figures of the supply plan (``meta['plan_summary']``): sites, capacities, solver."""
    mw = _get(plan, "mw_thermal")
    rows: list[Figure] = [
        ("Sites", _get(plan, "n_sites"), "", np.nan, "", 0),
        ("Heat capacity installed", mw, "MW", mw / MW_PER_GCAL_H, "Gcal/h", 1),
        ("Electric capacity (CHP)", _get(plan, "mw_electric"), "MW", np.nan, "", 1),
        ("Solver time", _get(plan, "solve_s"), "s", np.nan, "", 1),
        ("Optimality gap", 100.0 * _get(plan, "gap"), "%", np.nan, "", 2),
    ]
    return _figures(rows)


def network_by_dn(pipes: pd.DataFrame, eur_uah: float) -> pd.DataFrame:
    """Per DN: sections, trench km and share, existing km, design heat loss, cost, worst velocity and gradient."""
    p = pipes.assign(
        length_m=numeric_column(pipes, "length_m"),
        heat_loss_kw=numeric_column(pipes, "heat_loss_kw"),
        cost_eur=numeric_column(pipes, "cost_eur"),
        velocity_m_s=numeric_column(pipes, "velocity_m_s").abs(),
        dp_pa_per_m=numeric_column(pipes, "dp_pa_per_m").abs(),
        existing=_flag(pipes, "existing"),
        too_small=_flag(pipes, "too_small"),
    )
    p["existing_m"] = p["length_m"].where(p["existing"], 0.0)
    g = p.groupby(p["dn"].astype(int), sort=True)
    table = pd.DataFrame(
        {
            "pipes": g.size(),
            "length_km": g["length_m"].sum() / 1e3,
            "existing_km": g["existing_m"].sum() / 1e3,
            "heat_loss_kw": g["heat_loss_kw"].sum(min_count=1),
            "cost_meur": g["cost_eur"].sum(min_count=1) / 1e6,
            "max_velocity_m_s": g["velocity_m_s"].max(),
            "max_dp_pa_per_m": g["dp_pa_per_m"].max(),
            "too_small": g["too_small"].sum(),
        }
    )
    total = pd.DataFrame(
        {
            "pipes": [len(p)],
            "length_km": [p["length_m"].sum() / 1e3],
            "existing_km": [p["existing_m"].sum() / 1e3],
            "heat_loss_kw": [p["heat_loss_kw"].sum(min_count=1)],
            "cost_meur": [p["cost_eur"].sum(min_count=1) / 1e6],
            "max_velocity_m_s": [p["velocity_m_s"].max()],
            "max_dp_pa_per_m": [p["dp_pa_per_m"].max()],
            "too_small": [int(p["too_small"].sum())],
        },
        index=pd.Index(["total"]),
    )
    table.index = table.index.map(lambda dn: f"DN {dn}")
    table = pd.concat([table, total])
    table.index.name = "dn"
    total_km = float(table["length_km"].iloc[-1])
    table["length_pct"] = 100.0 * table["length_km"] / total_km if total_km > 0 else np.nan
    table["heat_loss_w_per_m"] = table["heat_loss_kw"] / table["length_km"].where(table["length_km"] > 0)
    table["cost_muah"] = table["cost_meur"] * eur_uah
    table["pipes"] = table["pipes"].astype(int)
    table["too_small"] = table["too_small"].astype(int)
    return table[
        ["pipes", "length_km", "length_pct", "existing_km", "heat_loss_kw", "heat_loss_w_per_m",
         "cost_meur", "cost_muah", "max_velocity_m_s", "max_dp_pa_per_m", "too_small"]
    ]


def network_figures(
    pipes: pd.DataFrame, totals: Mapping[str, Any] | None, eur_uah: float
) -> pd.DataFrame:
    """Key figures of the network design state (``meta['network_totals']``, else from the pipes)."""
    t = dict(totals or {})
    length_km = float(numeric_column(pipes, "length_m").sum()) / 1e3
    loss_kw = float(numeric_column(pipes, "heat_loss_kw").sum())
    cost_eur = float(numeric_column(pipes, "cost_eur").sum())
    rows: list[Figure] = [
        ("Route length", float(t.get("route_km", length_km)), "km", np.nan, "", 2),
    ]
    if "new_trench_km" in t:
        rows.append(("of which new trench", float(t["new_trench_km"]), "km", np.nan, "", 2))
    if "reused_km" in t:
        rows.append(("of which existing pipes reused", float(t["reused_km"]), "km", np.nan, "", 2))
    if "sites" in t:
        rows.append(("Sites (networks)", float(t["sites"]), "", np.nan, "", 0))
    if "buildings_connected" in t:
        rows.append(("Buildings connected", float(t["buildings_connected"]), "", np.nan, "", 0))
    if "buildings_unsupplied" in t:
        rows.append(("Buildings not supplied", float(t["buildings_unsupplied"]), "", np.nan, "", 0))
    if "delivered_kw" in t:
        mw = float(t["delivered_kw"]) / 1e3
        rows.append(("Heat delivered at design", mw, "MW", mw / MW_PER_GCAL_H, "Gcal/h", 2))
    loss_mw = float(t.get("heat_loss_kw", loss_kw)) / 1e3
    rows.append(("Heat loss at design", loss_mw, "MW", loss_mw / MW_PER_GCAL_H, "Gcal/h", 2))
    if "loss_share" in t:
        rows.append(("Heat loss share", 100.0 * float(t["loss_share"]), "%", np.nan, "", 2))
    if "pump_power_kw" in t:
        rows.append(("Pump power at design", float(t["pump_power_kw"]), "kW", np.nan, "", 0))
    if "max_velocity_m_s" in t:
        rows.append(("Highest velocity", float(t["max_velocity_m_s"]), "m/s", np.nan, "", 2))
    meur = float(t.get("cost_eur", cost_eur)) / 1e6
    rows.append(("Network cost (installed)", meur, "M EUR", meur * eur_uah, "M UAH", 2))
    if float(t.get("interconnectors", 0.0)) > 0:
        ic_meur = float(t["interconnector_cost_eur"]) / 1e6
        rows.append(("Site-loss interconnectors (normally closed)", float(t["interconnectors"]), "", np.nan, "", 0))
        rows.append(("of which interconnector route", float(t["interconnector_km"]), "km", np.nan, "", 2))
        rows.append(("of which interconnector cost", ic_meur, "M EUR", ic_meur * eur_uah, "M UAH", 2))
    return _figures(rows)


def cost_figures(
    plan: Mapping[str, Any] | None,
    pipes: pd.DataFrame | None,
    operation: Mapping[str, Any] | None,
    eur_uah: float,
) -> pd.DataFrame:
    """CAPEX, annual cost and cost of heat in EUR and UAH (per MWh and per Gcal)."""
    rows: list[Figure] = []
    p = dict(plan or {})
    capex = _get(p, "capex_eur") / 1e6
    net = float(numeric_column(pipes, "cost_eur").sum()) / 1e6 if pipes is not None and "cost_eur" in pipes else np.nan
    if p:
        rows.append(("Supply CAPEX (units, sites)", capex, "M EUR", capex * eur_uah, "M UAH", 2))
    if not np.isnan(net):
        rows.append(("Network CAPEX (pipes, installed)", net, "M EUR", net * eur_uah, "M UAH", 2))
    if p and not np.isnan(net):
        both = capex + net
        rows.append(("CAPEX, supply + network", both, "M EUR", both * eur_uah, "M UAH", 2))
    if p:
        mw = _get(p, "mw_thermal")
        if mw > 0:
            per = capex / mw
            rows.append(("Supply CAPEX per MW of heat", per, "M EUR/MW", per * eur_uah * MW_PER_GCAL_H,
                         "M UAH per Gcal/h", 3))
        annual = _get(p, "annual_cost_eur") / 1e6
        rows.append(("Annual cost (plan)", annual, "M EUR/a", annual * eur_uah, "M UAH/a", 2))
        lcoh = _get(p, "eur_per_mwh")
        rows.append(("Cost of heat (plan)", lcoh, "EUR/MWh", lcoh * eur_uah * MWH_PER_GCAL, "UAH/Gcal", 1))
    o = dict(operation or {})
    if "cost_eur_per_mwh" in o:
        c = _get(o, "cost_eur_per_mwh")
        rows.append(("Cost of heat (winter operation)", c, "EUR/MWh", c * eur_uah * MWH_PER_GCAL, "UAH/Gcal", 1))
    return _figures(rows)


def operation_figures(
    daily: pd.DataFrame, summary: Mapping[str, Any] | None, eur_uah: float
) -> pd.DataFrame:
    """Season totals of the dispatch: heat, gas, power, money, unserved heat (SI/EUR and utility units)."""
    s = dict(summary or {})
    city = city_daily(daily)
    heat_gwh = float(city["heat_mwh"].sum()) / 1e3
    gas_m3 = float(s.get("gas_m3_season", city["gas_m3"].sum()))
    power_mwh = float(s.get("power_mwh", city["power_mwh"].sum()))
    fuel = float(city["fuel_cost_eur"].sum()) / 1e6
    revenue = float(city["revenue_eur"].sum()) / 1e6
    unserved = float(city["unserved_mwh"].sum())
    peak = float(city["gas_m3"].max()) / 1e3 if len(city) else np.nan
    rows: list[Figure] = [
        ("Days operated", float((city["heat_mwh"] > 0).sum()), "d", np.nan, "", 0),
        ("Heat produced", heat_gwh, "GWh", heat_gwh / MWH_PER_GCAL, "thousand Gcal", 2),
        ("Gas burnt in the season", gas_m3 / 1e6, "million m³", gas_m3 / 1e3, "thousand m³", 2, 0),
        ("Gas on the peak day", peak, "thousand m³/d", np.nan, "", 1),
        ("Electricity made by CHP", power_mwh / 1e3, "GWh", power_mwh, "MWh", 2, 0),
        ("Gas cost", fuel, "M EUR", fuel * eur_uah, "M UAH", 2),
        ("Value of the electricity made", revenue, "M EUR", revenue * eur_uah, "M UAH", 2),
        ("Heat not served", unserved, "MWh", unserved / MWH_PER_GCAL, "Gcal", 1),
    ]
    if "cost_eur_per_mwh" in s:
        c = _get(s, "cost_eur_per_mwh")
        rows.append(("Cost of heat", c, "EUR/MWh", c * eur_uah * MWH_PER_GCAL, "UAH/Gcal", 1))
    known = {"gas_m3_season", "power_mwh", "cost_eur_per_mwh"}
    for key in sorted(set(s) - known):
        value = s[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((key, float(value), "", np.nan, "", 2))
    return _figures(rows)


def city_daily(daily: pd.DataFrame) -> pd.DataFrame:
    """``operation_daily`` summed over districts per date; mean_temp_c is the districts' mean."""
    cols = ["heat_mwh", "gas_m3", "power_mwh", "fuel_cost_eur", "revenue_eur", "unserved_mwh"]
    d = daily.assign(**{c: numeric_column(daily, c) for c in [*cols, "mean_temp_c"]})
    g = d.groupby(d["date"].astype(str), sort=True)
    out = g[cols].sum()
    out["mean_temp_c"] = g["mean_temp_c"].mean()
    out.index.name = "date"
    return out


def normalise_scenarios(scenarios: pd.DataFrame) -> pd.DataFrame:
    """The ``scenarios`` table with the report's column names (see :data:`SCENARIO_ALIASES`).

    ``priority_affected`` is taken as given, else the sum of the stress
    stage's ``{class}s_affected`` columns, else its ``priority_below_12c``.
    """
    out = scenarios.copy()
    for name, options in SCENARIO_ALIASES.items():
        found = next((c for c in options if c in out.columns), None)
        out[name] = numeric_column(out, found)
    if "priority_affected" not in out.columns:
        per_class = [f"{p}s_affected" for p in PRIORITY_CLASSES if f"{p}s_affected" in out.columns]
        if per_class:
            out["priority_affected"] = out[per_class].apply(pd.to_numeric, errors="coerce").sum(axis=1)
        elif "priority_below_12c" in out.columns:
            out["priority_affected"] = numeric_column(out, "priority_below_12c")
        else:
            out["priority_affected"] = np.nan
    return out


def resilience_by_family(scenarios: pd.DataFrame, hours: Sequence[float]) -> pd.DataFrame:
    """Worst scenario of each family: unserved heat, people and buildings below 12 °C after each hour, drains, priority."""
    s = normalise_scenarios(scenarios)
    cold = [c for h in hours for c in (f"residents_below_12c_{h:g}h", f"buildings_below_12c_{h:g}h")
            if c in s.columns]
    cols = ["unserved_mwh", *cold, "buildings_drained", "priority_affected", "restore_h"]
    s = s.assign(**{c: numeric_column(s, c) for c in cols})
    g = s.groupby(s["family"].astype(str), sort=False)
    table = g[cols].max()
    table.insert(0, "scenarios", g.size())
    table.insert(2, "unserved_gcal", table["unserved_mwh"] / MWH_PER_GCAL)
    rank = {f: i for i, f in enumerate(FAMILY_ORDER)}
    table = table.loc[sorted(table.index, key=lambda f: (rank.get(f, len(rank)), f))]
    table.index.name = "family"
    return table


def worst_scenarios(scenarios: pd.DataFrame, hours: Sequence[float], n: int) -> pd.DataFrame:
    """The ``n`` scenarios leaving most people below 12 °C (at the longest of ``hours`` present), then most unserved heat."""
    s = normalise_scenarios(scenarios)
    people = [f"residents_below_12c_{h:g}h" for h in hours if f"residents_below_12c_{h:g}h" in s.columns]
    keys = [*people[::-1], "unserved_mwh"]
    s = s.assign(**{c: numeric_column(s, c) for c in keys})
    s = s.sort_values(keys, ascending=False, kind="stable").head(n)
    cols = ["family", "description", "temp_c", "duration_h", "unserved_mwh", *people,
            "buildings_drained", "priority_affected", "restore_h"]
    out = s.set_index(s["scenario_id"].astype(str))[[c for c in cols if c in s.columns]]
    out.index.name = "scenario_id"
    return out


def resilience_cost_table(rows: Sequence[Mapping[str, Any]], eur_uah: float) -> pd.DataFrame:
    """``meta['resilience_cost']`` per variant, with M UAH, UAH/Gcal and shares in %."""
    t = pd.DataFrame(list(rows))
    out = pd.DataFrame(index=pd.Index(t["variant"].astype(str).to_numpy(), name="variant"))
    out["capex_meur"] = numeric_column(t, "capex_eur").to_numpy() / 1e6
    out["capex_muah"] = out["capex_meur"] * eur_uah
    out["annual_meur"] = numeric_column(t, "annual_cost_eur").to_numpy() / 1e6
    out["annual_muah"] = out["annual_meur"] * eur_uah
    out["eur_per_mwh"] = numeric_column(t, "eur_per_mwh").to_numpy()
    out["uah_per_gcal"] = out["eur_per_mwh"] * eur_uah * MWH_PER_GCAL
    out["n1_covered_pct"] = 100.0 * numeric_column(t, "n1_covered_share").to_numpy()
    out["site_loss_covered_pct"] = 100.0 * numeric_column(t, "site_loss_covered_share").to_numpy()
    return out


def _figures(rows: list[Figure]) -> pd.DataFrame:
    full = [(*r, r[5]) if len(r) == 6 else r for r in rows]
    return pd.DataFrame(full, columns=["quantity", *FIGURE_COLUMNS]).set_index("quantity")


def _get(d: Mapping[str, Any], key: str) -> float:
    value = d.get(key)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def numeric_column(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """``frame[column]`` as float (NaN where missing or not numeric); NaN if the column is absent."""
    if column is None or column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna(False).astype(bool)


def _present(ids: pd.Series) -> pd.Series:
    """Non-missing, non-empty ids."""
    return ids.notna() & (ids.astype(str).str.len() > 0) & (ids.astype(str) != "nan")
