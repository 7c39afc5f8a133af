"""Tables of the dispatch stage: the units it reads and the operation tables it writes.

Input columns (:data:`DISPATCH_UNITS`) are declared here for validation and
docs; the output tables are registered with :func:`teplo.schema.register`.
Defaults by kind, with their sources (§ = ``reference/kharkiv-figures.md``),
are in :data:`UNIT_DEFAULTS`.
"""

from __future__ import annotations

import math

from teplo.schema import Column, Table, register

#: Unit kinds the dispatch knows.
KINDS = ("chp", "bmk", "storage")

DISPATCH_UNITS = Table(
    name="dispatch_units",
    description="Heat units of each district, one row per module (plain-table contract of the "
    "siting stage with the dispatch).",
    columns=(
        Column("unit_id", "str", "-", "Unique id of the module."),
        Column("district_id", "str", "-", "Micro-district the module feeds (a column of the demand table)."),
        Column("kind", "str", "-", "'chp' (gas engine), 'bmk' (gas boiler module) or 'storage' (hot-water tank)."),
        Column("heat_kw", "float", "kW", "Rated heat output; for storage the max charge/discharge power."),
        Column("power_kw", "float", "kW", "Rated electric output of a CHP (default heat_kw·eff_el/eff_th).", required=False),
        Column("eff_th", "float", "-", "Thermal efficiency at rated load, heat/fuel (LHV).", required=False),
        Column("eff_el", "float", "-", "Electric efficiency of a CHP at rated load, power/fuel.", required=False),
        Column("eff_el_50", "float", "-", "CHP electric efficiency at 50 % load (part-load curve), NaN if unknown.", required=False),
        Column("eff_el_75", "float", "-", "CHP electric efficiency at 75 % load, NaN if unknown.", required=False),
        Column("min_load", "float", "-", "Minimum stable load when on, fraction of rated output.", required=False),
        Column("start_cost_eur", "float", "EUR", "Cost of one start-up.", required=False),
        Column("var_om_eur_mwh", "float", "EUR/MWh", "Variable O&M per MWh of main output (CHP: electricity, DEA; BMK: heat).", required=False),
        Column("min_up_h", "int", "h", "Minimum hours on after a start (0: none).", required=False),
        Column("min_down_h", "int", "h", "Minimum hours off after a stop (0: none).", required=False),
        Column("gas_class", "str", "-", "Gas price class: 'pso', 'budget' or 'chp'.", required=False),
        Column("storage_kwh", "float", "kWh", "Storage capacity (storage only).", required=False),
        Column("storage_loss_per_day", "float", "1/d", "Standing loss of storage, fraction of content per day.", required=False),
        Column("capex_eur", "float", "EUR", "Installed cost of the module, for the levelised cost of heat.", required=False),
        Column("lifetime_a", "float", "a", "Economic lifetime for annualising capex_eur.", required=False),
        Column("fixed_om_eur_a", "float", "EUR/a", "Fixed O&M per year.", required=False),
    ),
)

#: Default value of each optional column by kind, with its source. NaN: not applicable.
UNIT_DEFAULTS: dict[str, dict[str, float | str]] = {
    "chp": {
        "eff_th": 0.45,  # §0 / §3.2 suggested defaults, 1–2 MWe gas engine
        "eff_el": 0.40,  # §0 / §3.2 suggested defaults, 1–2 MWe gas engine
        "min_load": 0.5,  # §3.2 DEA gas engines: min load 50 %
        "start_cost_eur": 0.0,  # no figure in the reference: give it per unit
        "var_om_eur_mwh": 5.4,  # §3.2 DEA gas engines: 5.4 EUR/MWh_el
        "gas_class": "chp",  # §3.5 CMU res. 1306: CHP gas class
        "lifetime_a": 25.0,  # §3.2 DEA gas engines: life 25 y
    },
    "bmk": {
        "eff_th": 0.92,  # §0 / §3.1 non-condensing BMK
        "eff_el": math.nan,
        "min_load": 0.15,  # §3.1 DEA "44 Natural Gas DH Only": min load 15 %
        "start_cost_eur": 0.0,  # no figure in the reference: give it per unit
        "var_om_eur_mwh": 0.0,  # [U] no figure in the reference: give it per unit
        "gas_class": "pso",  # §3.5 PSO gas for heat producers
        "lifetime_a": 25.0,  # [U] DEA gas boiler technical lifetime, not in the reference
    },
    "storage": {
        "eff_th": 1.0,
        "eff_el": math.nan,
        "min_load": 0.0,
        "start_cost_eur": 0.0,
        "var_om_eur_mwh": 0.0,
        "gas_class": "",
        "storage_loss_per_day": 0.00186,  # §3.3 DEA large hot-water tank: 0.186 %/day
        "lifetime_a": 40.0,  # §3.3 DEA large hot-water tank: life 40 y
    },
}
#: Defaults shared by every kind.
COMMON_DEFAULTS: dict[str, float] = {
    "eff_el_50": math.nan,
    "eff_el_75": math.nan,
    "min_up_h": 0.0,
    "min_down_h": 0.0,
    "storage_kwh": math.nan,
    "storage_loss_per_day": math.nan,
    "capex_eur": math.nan,
    "fixed_om_eur_a": 0.0,
}

OPERATION_DAILY = register(
    Table(
        name="operation_daily",
        description="Daily operation of each district's heat units (dispatch result).",
        columns=(
            Column("district_id", "str", "-", "Micro-district."),
            Column("date", "str", "-", "Day (ISO date, local time of the demand table)."),
            Column("heat_mwh", "float", "MWh", "Heat produced by CHP and boilers."),
            Column("gas_m3", "float", "m3", "Gas burnt."),
            Column("power_mwh", "float", "MWh", "Electricity made by CHP."),
            Column("fuel_cost_eur", "float", "EUR", "Gas cost."),
            Column("revenue_eur", "float", "EUR", "Value of the electricity made."),
            Column("mean_temp_c", "float", "degC", "Daily mean outdoor temperature."),
            Column("unserved_mwh", "float", "MWh", "Heat demand not served."),
            Column("demand_mwh", "float", "MWh", "Heat demand of consumers."),
            Column("losses_mwh", "float", "MWh", "Network heat losses."),
            Column("storage_net_mwh", "float", "MWh", "Heat taken from storage less heat put into it: "
                   "heat_mwh + storage_net_mwh + unserved_mwh = demand_mwh + losses_mwh."),
            Column("om_cost_eur", "float", "EUR", "Variable O&M and start-up cost (fixed O&M and CAPEX "
                   "are in operation_districts)."),
        ),
    )
)

OPERATION_DISTRICTS = register(
    Table(
        name="operation_districts",
        description="Season totals of the dispatch per district (and 'city').",
        columns=(
            Column("district_id", "str", "-", "Micro-district, or 'city' for the total."),
            Column("heat_mwh", "float", "MWh", "Heat produced."),
            Column("demand_mwh", "float", "MWh", "Heat demand of consumers."),
            Column("losses_mwh", "float", "MWh", "Network losses."),
            Column("unserved_mwh", "float", "MWh", "Heat demand not served."),
            Column("unserved_h", "int", "h", "Hours with heat not served."),
            Column("gas_m3", "float", "m3", "Gas burnt."),
            Column("peak_gas_m3_h", "float", "m3/h", "Highest hourly gas use."),
            Column("peak_gas_hour", "str", "-", "Hour of the highest gas use (ISO timestamp)."),
            Column("power_mwh", "float", "MWh", "Electricity made."),
            Column("fuel_cost_eur", "float", "EUR", "Gas cost."),
            Column("om_cost_eur", "float", "EUR", "Variable and fixed O&M cost."),
            Column("start_cost_eur", "float", "EUR", "Start-up cost."),
            Column("revenue_eur", "float", "EUR", "Value of the electricity made."),
            Column("capex_annual_eur", "float", "EUR", "Annualised CAPEX charged to the period (0 if no capex_eur)."),
            Column("co2_t", "float", "t", "CO2 from gas burnt."),
            Column("lcoh_eur_mwh", "float", "EUR/MWh", "Levelised cost of heat delivered to consumers."),
            Column("lcoh_uah_mwh", "float", "UAH/MWh", "The same in UAH/MWh."),
            Column("lcoh_eur_gcal", "float", "EUR/Gcal", "The same in EUR/Gcal."),
            Column("lcoh_uah_gcal", "float", "UAH/Gcal", "The same in UAH/Gcal."),
        ),
    )
)
