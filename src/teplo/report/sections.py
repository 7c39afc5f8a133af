"""The report's sections, one builder each: ReportContext -> Section (id, title, HTML body).

A section whose layer is missing says plainly which stage to run
(:func:`teplo.report.formatting.not_computed`); nothing is left blank.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from teplo.report import assumptions as a
from teplo.report import plots
from teplo.report.context import STAGE_COMMANDS, ReportContext
from teplo.report.embed import figure_div
from teplo.report.formatting import figures_table, fmt_number, html_table, not_computed, paragraph
from teplo.report.maps import MAP_DIV_ID, map_figure
from teplo.resilience.settings import CoolingSettings
from teplo.units import MW_PER_GCAL_H, MWH_PER_GCAL


@dataclass(frozen=True)
class Section:
    """One section of the page: its anchor id, heading and HTML body."""

    id: str
    title: str
    body: str


def map_section(ctx: ReportContext) -> Section:
    """Buildings by design load (switchable to hours to 12 °C), sites with units, pipes, districts."""
    b = ctx.buildings
    if not isinstance(b, gpd.GeoDataFrame):
        return Section("map", "Map", not_computed("Buildings with heat demand", STAGE_COMMANDS["demand"]))
    m = map_figure(
        b, pipes=ctx.layer("pipes"), sites=ctx.layer("sites"), units=ctx.layer("units"),
        districts=ctx.layer("districts"), streets=ctx.layer("streets"), outcomes=ctx.layer("building_outcomes"),
        network_nodes=ctx.layer("network_nodes"), polygon_limit=ctx.settings.map_polygon_limit,
    )
    notes = [
        paragraph(
            "Hover over a building, pipe or site for its figures; drag to pan, scroll to zoom, click a "
            "legend entry to hide or show it. "
            + ("Buildings are drawn as their outlines." if m.polygons else
               "Buildings are drawn as points at their centres (too many for outlines).")
            + f" Coordinates are km east and north of x = {fmt_number(m.origin_m[0])} m, "
            f"y = {fmt_number(m.origin_m[1])} m in {m.crs}."
        ),
    ]
    if not m.has_cold:
        notes.append(not_computed("Worst-case hours to 12 °C per building", STAGE_COMMANDS["stress"]))
    if ctx.layer("sites") is None:
        notes.append(not_computed("Sites, units and micro-districts", STAGE_COMMANDS["plan"]))
    if ctx.layer("pipes") is None:
        notes.append(not_computed("Pipes", STAGE_COMMANDS["network"]))
    return Section("map", "Map", "".join(notes) + figure_div(m.figure, MAP_DIV_ID, scroll_zoom=True))


def demand_section(ctx: ReportContext) -> Section:
    """Demand by typology and the load-duration curve."""
    title = "Heat demand"
    table = ctx.tables.get("demand_by_typology")
    if table is None:
        return Section("demand", title, not_computed("Heat demand", STAGE_COMMANDS["demand"]))
    typologies = a.typology_assumptions()
    labels = typologies["label"] if "label" in typologies.columns else pd.Series(dtype=str)
    shown = table.copy()
    shown.insert(0, "label", [labels.get(i, "") if i != "total" else "all heated buildings" for i in shown.index])
    total = table.loc["total"]
    parts = [
        paragraph(
            f"{fmt_number(total['buildings'])} buildings, {fmt_number(total['heated_area_m2'])} m² heated, "
            f"{fmt_number(total['residents'])} residents. Design load {fmt_number(total['design_mw'], 1)} MW "
            f"= {fmt_number(total['design_gcal_h'], 1)} Gcal/h at the design outdoor temperature; "
            f"{fmt_number(total['annual_gwh'], 1)} GWh = {fmt_number(total['annual_thousand_gcal'], 1)} thousand "
            "Gcal of heat a year (space heat and hot water). The total row counts heated buildings only."
        ),
        html_table(shown, table_id="table-demand-by-typology", index_label="Typology",
                   caption="Heat demand by building typology"),
        "<h3>Load-duration curve</h3>",
    ]
    b = ctx.buildings
    if ctx.hourly_kw is None or b is None:
        parts.append(not_computed("Hourly demand columns (h_w_k, balance_temp_c, dhw_mean_kw)",
                                  STAGE_COMMANDS["demand"]))
    else:
        climate, note = ctx.resolved_climate
        design_kw = float(b["design_load_kw"][b["heated"].astype(bool)].sum())
        peak = float(ctx.hourly_kw.max()) / 1e3
        ratio = 100.0 * (peak * 1e3 / design_kw - 1.0) if design_kw > 0 else float("nan")
        parts.append(paragraph(
            f"Heat load of all buildings, hour by hour over the year {climate.name}, sorted from the highest "
            f"hour down. Highest hour {fmt_number(peak, 1)} MW = {fmt_number(peak / MW_PER_GCAL_H, 1)} Gcal/h "
            f"({'+' if ratio >= 0 else ''}{fmt_number(ratio, 1)} % against the sum of design loads, the dashed "
            f"line: space heat at {fmt_number(climate.design_temp_c)} °C plus mean hot water); heat in the "
            f"year {fmt_number(ctx.hourly_kw.sum() / 1e6, 1)} GWh."
            + (f" Note: {note}." if note else "")
        ))
        parts.append(figure_div(plots.load_duration_figure(ctx.hourly_kw, design_kw),
                                plots.LOAD_DURATION_DIV_ID))
    return Section("demand", title, "".join(parts))


def supply_section(ctx: ReportContext) -> Section:
    """The supply plan: key figures, units by type, micro-districts and sites."""
    title = "Supply plan"
    plan = ctx.meta_dict("plan_summary")
    units = ctx.tables.get("units_by_type")
    if plan is None and units is None and "sites" not in ctx.tables:
        return Section("supply", title, not_computed("Sites, units and micro-districts", STAGE_COMMANDS["plan"]))
    parts = []
    if "plan_figures" in ctx.tables:
        parts.append(figures_table(ctx.tables["plan_figures"], table_id="table-plan",
                                   caption="Supply plan in figures"))
    binding = ctx.study.meta.get("plan_binding")
    if isinstance(binding, list) and binding:
        status = html.escape(str((plan or {}).get("status", "relaxed")))
        items = "".join(f"<li>{html.escape(str(line))}</li>" for line in binding[:50])
        more = f"<li>… and {len(binding) - 50} more</li>" if len(binding) > 50 else ""
        parts.append(
            f'<div class="warning" id="plan-binding"><p><strong>Plan status {status}:</strong> '
            f"{len(binding)} resilience requirement(s) could not be met here; this is the best relaxation "
            "(what is short, where, and by how much):</p>"
            + "".join(f"<p>Why: {html.escape(str(line))}</p>" for line in (plan or {}).get("diagnosis", []) or [])
            + f"<details><summary>Requirements not met</summary><ul>{items}{more}</ul></details></div>"
        )
    if units is not None:
        parts.append(html_table(units, table_id="table-units-by-type", index_label="Unit type",
                                caption="Units by type"))
    else:
        parts.append(not_computed("Units", STAGE_COMMANDS["plan"]))
    if "districts" in ctx.tables:
        parts.append(html_table(ctx.tables["districts"], table_id="table-districts", index_label="Micro-district",
                                caption="Micro-districts: design load against installed heat"))
    if "sites" in ctx.tables:
        parts.append(f"<details><summary>All {len(ctx.tables['sites'])} sites</summary>"
                     + html_table(ctx.tables["sites"], table_id="table-sites", index_label="Site",
                                  caption="Sites and their units", text_columns=["district_id", "unit_list"])
                     + "</details>")
    return Section("supply", title, "".join(parts))


def network_section(ctx: ReportContext) -> Section:
    """Network key figures and km by DN."""
    title = "Heat networks"
    if "network_by_dn" not in ctx.tables:
        return Section("network", title, not_computed("Pipes", STAGE_COMMANDS["network"]))
    body = (
        paragraph("Design state: every building at its design load. Heat losses are for the design "
                  "supply temperature; costs are for the supply-and-return pair, installed.")
        + figures_table(ctx.tables["network_figures"], table_id="table-network-figures",
                        caption="Network in figures")
        + html_table(ctx.tables["network_by_dn"], table_id="table-network-by-dn", index_label="Diameter",
                     caption="Pipes by nominal diameter")
    )
    return Section("network", title, body)


def operation_section(ctx: ReportContext) -> Section:
    """Season totals of the hourly operation and daily gas against temperature."""
    title = "Winter operation"
    if "operation_figures" not in ctx.tables:
        return Section("operation", title, not_computed("Hourly operation", STAGE_COMMANDS["operation"]))
    body = (
        figures_table(ctx.tables["operation_figures"], table_id="table-operation",
                      caption="Operation over the heating season")
        + "<h3>Daily gas use against outdoor temperature</h3>"
        + paragraph("One point per day of the season: gas burnt by all units against the day's mean "
                    "outdoor temperature; colour shows the month.")
        + figure_div(plots.gas_temperature_figure(ctx.tables["operation_city_daily"]), plots.GAS_DIV_ID)
    )
    return Section("operation", title, body)


def resilience_section(ctx: ReportContext) -> Section:
    """Stress tests by family, the worst scenarios and how fast the worst-hit buildings cool."""
    title = "Resilience: losses, strikes, blackouts"
    if "resilience_by_family" not in ctx.tables:
        return Section("resilience", title, not_computed("Stress scenarios", STAGE_COMMANDS["stress"]))
    hours = ", ".join(f"{h:g}" for h in ctx.settings.report_hours)
    body = [
        paragraph(
            "Each row is the worst scenario of a family: N-1 and N-2 lose any one or two units, a strike "
            "destroys what stands within its radius, a blackout cuts the power feeders, gas loses its "
            "pressure, a pipe break isolates a valve section. People and buildings are counted once they "
            f"fall below 12 °C (the emergency floor) after {hours} h; a building must be drained before its "
            "water approaches 5 °C. Priority consumers are hospitals, schools, kindergartens and shelters."
        ),
        html_table(ctx.tables["resilience_by_family"], table_id="table-resilience",
                   index_label="Scenario family", caption="Worst scenario of each family"),
        html_table(ctx.tables["worst_scenarios"], table_id="table-worst-scenarios", index_label="Scenario",
                   caption=f"The {len(ctx.tables['worst_scenarios'])} scenarios leaving most people cold",
                   text_columns=["family", "description"]),
        "<h3>How fast the worst-hit buildings cool</h3>",
        _cooling_block(ctx),
    ]
    return Section("resilience", title, "".join(body))


def costs_section(ctx: ReportContext) -> Section:
    """CAPEX, annual cost and cost of heat; the cost of resilience."""
    title = "Costs"
    parts = []
    if "cost_figures" in ctx.tables:
        rate = fmt_number(ctx.eur_uah, 1)
        parts.append(paragraph(f"UAH at {rate} UAH/EUR; 1 Gcal = 1.163 MWh."))
        parts.append(figures_table(ctx.tables["cost_figures"], table_id="table-costs", caption="Costs"))
    else:
        parts.append(not_computed("Costs", STAGE_COMMANDS["plan"]))
    parts.append("<h3>Cost of resilience</h3>")
    if "resilience_cost" in ctx.tables:
        parts.append(paragraph("The same city planned with the resilience constraints, without them, and "
                               "served by one central plant; 'covered' is the share of the design load still "
                               "supplied after losing any one unit or any one site."))
        parts.append(html_table(ctx.tables["resilience_cost"], table_id="table-resilience-cost",
                                index_label="Variant", caption="Cost of resilience"))
    else:
        parts.append(not_computed("Cost of resilience (plan variants)", STAGE_COMMANDS["plan"]))
    return Section("costs", title, "".join(parts))


def assumptions_section(ctx: ReportContext) -> Section:
    """Every default used, with its source."""
    climate, note = ctx.resolved_climate
    parts = [paragraph("Every default the study rests on, with its source. [E] marks an engineering estimate, "
                       "[R] a report, [N] a norm, [D] a datasheet, [U] an unverified figure.")]
    parts.append(_sourced("Climate", a.climate_assumptions(climate, note), "assumptions-climate"))
    parts.append(_sourced("Building typologies (teplo/data/typologies.csv)", a.typology_assumptions(),
                          "assumptions-typologies", text_columns=["label", "design_w_m2", "priority"]))
    parts.append(_sourced("Pipe catalogue (teplo/data/pipe_catalogue.csv)", a.pipe_assumptions(),
                          "assumptions-pipes"))
    units = a.unit_assumptions()
    if units is not None:
        parts.append(_sourced("Unit catalogue (teplo/data/units.csv)", units, "assumptions-units",
                              text_columns=["kind"]))
    else:
        parts.append("<h3>Unit catalogue</h3>" + paragraph("Not bundled in this version of teplo."))
    parts.append(_sourced("Conversions and report settings", a.report_assumptions(ctx.settings),
                          "assumptions-report", text_columns=["value"]))
    used = ctx.settings_used if ctx.settings_used is not None else ctx.study.settings
    table = a.settings_table(used)
    if table.empty:
        parts.append("<h3>Settings of the stages</h3>" + paragraph("No settings were recorded with this study."))
    else:
        parts.append(_sourced("Settings of the stages", table, "assumptions-settings", text_columns=["value"]))
    return Section("assumptions", "Assumptions and sources", "".join(parts))


#: The sections in page order.
SECTION_BUILDERS: tuple[Callable[[ReportContext], Section], ...] = (
    map_section, demand_section, supply_section, network_section, operation_section,
    resilience_section, costs_section, assumptions_section,
)


def _sourced(title: str, frame: pd.DataFrame, table_id: str, text_columns: list[str] | None = None) -> str:
    """A table whose ``source`` column becomes numbered notes listed under it."""
    shown, sources = a.footnote_sources(frame)
    notes = "".join(f"<li>{html.escape(s)}</li>" for s in sources)
    return (
        f"<h3>{html.escape(title)}</h3>"
        + html_table(shown, table_id=f"table-{table_id}", index_label=_index_label(frame),
                     text_columns=[*(text_columns or []), "ref", "unit"], digits={"value": None})
        + f'<ol class="sources" id="sources-{table_id}">{notes}</ol>'
    )


def _index_label(frame: pd.DataFrame) -> str:
    return {"typology": "Typology", "dn": "Diameter", "unit_type": "Unit type"}.get(str(frame.index.name), "Name")


def _cooling_block(ctx: ReportContext) -> str:
    """The cooling plot: the stress stage's curves, else the closed form from τ; says which."""
    c = CoolingSettings()
    thresholds = [(c.comfort_c, "regulatory minimum"), (c.emergency_c, "emergency floor"),
                  (c.drain_c, "drain the heating")]
    outcomes, curves, b = ctx.layer("building_outcomes"), ctx.layer("cooling_curves"), ctx.buildings
    n = ctx.settings.cooling_buildings
    worst = _worst_buildings(outcomes, n)
    if curves is not None:
        ids = _rank_by_hours(list(dict.fromkeys(curves["building_id"].astype(str))), outcomes)[:n]
        data = curves[curves["building_id"].astype(str).isin(ids)]
        note = ("Indoor temperature as computed by the stress stage (layer cooling_curves), with internal "
                "gains and partial supply, for the buildings that reach 12 °C soonest.")
    elif worst and b is not None and "tau_h" in b.columns:
        tau = pd.to_numeric(b.set_index(b["building_id"].astype(str))["tau_h"], errors="coerce")
        tau = tau[~tau.index.duplicated()]
        ids = [i for i in worst if i in tau.index and np.isfinite(tau[i])]
        t_out = _worst_temperature(ctx, outcomes, ids)
        data = plots.closed_form_curves(ids, tau[ids].to_numpy(dtype=float), t_out, ctx.settings.cooling_span_h,
                                        start_c=c.start_c)
        note = ("No cooling curves were stored (layer cooling_curves), so the report computes them from each "
                "building's time constant τ with the closed form T(t) = T_out + (20 − T_out)·e^(−t/τ) at "
                f"T_out = {fmt_number(t_out)} °C, the temperature of the worst scenario: no heat at all and no "
                "internal gains, so they fall faster than the stress stage's hours, which count both.")
    else:
        return not_computed("Cooling of the worst-hit buildings", STAGE_COMMANDS["stress"])
    labels = _cooling_labels(b, outcomes, ids)
    return paragraph(note) + figure_div(plots.cooling_figure(data, labels, thresholds), plots.COOLING_DIV_ID)


def _rank_by_hours(ids: list[str], outcomes: pd.DataFrame | None) -> list[str]:
    """``ids`` ordered by their worst-case hours to 12 °C (unknown last), ties by id."""
    if outcomes is None or "worst_hours_to_12c" not in outcomes.columns:
        return sorted(ids)
    h = pd.Series(pd.to_numeric(outcomes["worst_hours_to_12c"], errors="coerce").to_numpy(),
                  index=outcomes["building_id"].astype(str).to_numpy())
    h = h[~h.index.duplicated()]
    return sorted(ids, key=lambda i: (float(h.get(i, np.inf)), i))


def _worst_buildings(outcomes: pd.DataFrame | None, n: int) -> list[str]:
    """Ids of the ``n`` buildings reaching 12 °C soonest (ties by id)."""
    if outcomes is None or "worst_hours_to_12c" not in outcomes.columns:
        return []
    h = pd.to_numeric(outcomes["worst_hours_to_12c"], errors="coerce")
    o = pd.DataFrame({"id": outcomes["building_id"].astype(str), "h": h})
    o = o[np.isfinite(o["h"])].sort_values(["h", "id"], kind="stable")
    return o["id"].head(n).tolist()


def _worst_temperature(ctx: ReportContext, outcomes: pd.DataFrame | None, ids: list[str]) -> float:
    """Coldest outdoor temperature of these buildings' worst scenarios; of all scenarios; else the design one."""
    scenarios = ctx.layer("scenarios")
    if scenarios is not None and "temp_c" in scenarios.columns:
        temp = pd.to_numeric(scenarios["temp_c"], errors="coerce")
        by_id = pd.Series(temp.to_numpy(), index=scenarios["scenario_id"].astype(str).to_numpy())
        if outcomes is not None and "worst_scenario_id" in outcomes.columns:
            o = outcomes[outcomes["building_id"].astype(str).isin(ids)]
            found = o["worst_scenario_id"].astype(str).map(by_id).dropna()
            if not found.empty:
                return float(found.min())
        if temp.notna().any():
            return float(temp.min())
    return ctx.resolved_climate[0].design_temp_c


def _cooling_labels(b: pd.DataFrame | None, outcomes: pd.DataFrame | None, ids: list[str]) -> pd.Series:
    """Legend text per building: id, typology, τ, worst-case hours to 12 °C."""
    labels = pd.Series(ids, index=ids, dtype=object)
    if b is not None:
        bb = b.set_index(b["building_id"].astype(str))
        bb = bb[~bb.index.duplicated()]
        for i in ids:
            if i in bb.index:
                tau = f", τ {float(bb['tau_h'].loc[i]):.0f} h" if "tau_h" in bb.columns else ""
                labels[i] = f"{i} ({bb['typology'].loc[i]}{tau})"
    if outcomes is not None and "worst_hours_to_12c" in outcomes.columns:
        h = pd.Series(pd.to_numeric(outcomes["worst_hours_to_12c"], errors="coerce").to_numpy(),
                      index=outcomes["building_id"].astype(str).to_numpy())
        for i in ids:
            if i in h.index and np.isfinite(h[i]):
                labels[i] = f"{labels[i]}: 12 °C after {h[i]:.0f} h"
    return labels


def key_figures(ctx: ReportContext) -> list[tuple[str, str, str]]:
    """(label, value, second unit) cards for the page header."""
    cards: list[tuple[str, str, str]] = []
    demand = ctx.tables.get("demand_by_typology")
    if demand is not None:
        total = demand.loc["total"]
        heated = int(ctx.buildings["heated"].astype(bool).sum()) if ctx.buildings is not None else 0
        cards += [
            ("Heated buildings", fmt_number(heated), f"of {fmt_number(total['buildings'])} mapped"),
            ("Residents", fmt_number(total["residents"]), "estimated from heated area"),
            ("Design load", f"{fmt_number(total['design_mw'], 1)} MW", f"{fmt_number(total['design_gcal_h'], 1)} Gcal/h"),
            ("Heat a year", f"{fmt_number(total['annual_gwh'], 1)} GWh",
             f"{fmt_number(total['annual_gwh'] / MWH_PER_GCAL, 1)} thousand Gcal"),
        ]
    plan = ctx.meta_dict("plan_summary")
    if plan is not None:
        mw = float(plan.get("mw_thermal", np.nan))
        cards.append(("Sites", fmt_number(plan.get("n_sites")), f"{fmt_number(mw, 1)} MW = "
                      f"{fmt_number(mw / MW_PER_GCAL_H, 1)} Gcal/h installed"))
        capex = float(plan.get("capex_eur", np.nan)) / 1e6
        cards.append(("Supply CAPEX", f"{fmt_number(capex, 1)} M EUR", f"{fmt_number(capex * ctx.eur_uah, 0)} M UAH"))
    if "network_by_dn" in ctx.tables:
        km = ctx.tables["network_by_dn"].loc["total", "length_km"]
        cards.append(("Heat networks", f"{fmt_number(km, 1)} km", "trench length"))
    if "resilience_by_family" in ctx.tables:
        fam = ctx.tables["resilience_by_family"]
        longest = max(ctx.settings.report_hours)
        col = f"residents_below_12c_{longest:g}h"
        if "n-1" in fam.index and col in fam.columns:
            cards.append(("Worst single loss (N-1)", f"{fmt_number(fam.loc['n-1', col])} people",
                          f"below 12 °C after {longest:g} h"))
    return cards


def stage_status(ctx: ReportContext) -> list[tuple[str, bool, str]]:
    """(stage, computed?, command) for the page header."""
    return [
        ("demand", ctx.buildings is not None, STAGE_COMMANDS["demand"]),
        ("plan", ctx.layer("sites") is not None or ctx.meta_dict("plan_summary") is not None, STAGE_COMMANDS["plan"]),
        ("network", ctx.layer("pipes") is not None, STAGE_COMMANDS["network"]),
        ("operation", ctx.layer("operation_daily") is not None, STAGE_COMMANDS["operation"]),
        ("stress", ctx.layer("scenarios") is not None, STAGE_COMMANDS["stress"]),
    ]
