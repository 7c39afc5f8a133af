"""Tables of the stress stage: the input contract it reads and the two tables it writes.

The input tables are declared (for validation and docs) but not registered:
the stages that produce them own their names. The outputs ``scenarios`` and
``building_outcomes`` are registered with :func:`teplo.schema.register`.
"""

from __future__ import annotations

from teplo.schema import Column, Table, register

PRIORITIES: tuple[str, ...] = ("hospital", "school", "kindergarten", "shelter", "residential", "other")
"""Priority classes of buildings, in code order (index = code)."""

PRIORITY_CLASSES: tuple[str, ...] = ("hospital", "school", "kindergarten", "shelter")
"""Priority consumers counted in the scenario metrics."""

UNIT_KINDS: tuple[str, ...] = ("bmk", "chp", "diesel", "storage")
"""Unit kinds, in code order."""

STRESS_BUILDINGS = Table(
    name="stress_buildings",
    description="Buildings as the stress stage reads them (a subset of 'buildings').",
    geometry="Polygon",
    columns=(
        Column("building_id", "str", "-", "Building id."),
        Column("heated", "bool", "-", "Whether the building is heated; unheated rows are ignored."),
        Column("design_load_kw", "float", "kW", "Space heat at the design temperature plus mean DHW."),
        Column("h_w_k", "float", "W/K", "Heat-loss coefficient H."),
        Column("tau_h", "float", "h", "Time constant C/H."),
        Column("typology", "str", "-", "Typology key."),
        Column("residents", "float", "persons", "Residents."),
        Column("priority", "str", "-", "One of " + ", ".join(PRIORITIES) + "."),
        Column("site_id", "str", "-", "Serving site; empty if unserved."),
        Column("district_id", "str", "-", "Micro-district id."),
        Column("heated_area_m2", "float", "m2", "Heated area, for internal gains.", required=False),
        Column("dhw_kw", "float", "kW", "Mean DHW load within design_load_kw.", required=False),
    ),
)

STRESS_UNITS = Table(
    name="stress_units",
    description="Heat and power units at the sites.",
    columns=(
        Column("unit_id", "str", "-", "Unit id."),
        Column("site_id", "str", "-", "Site the unit stands at."),
        Column("unit_type", "str", "-", "Catalogue type."),
        Column("kind", "str", "-", "One of " + ", ".join(UNIT_KINDS) + "."),
        Column("heat_kw", "float", "kW", "Heat output."),
        Column("power_kw", "float", "kW", "Electric output (chp, diesel); NaN read as 0."),
        Column("aux_power_kw", "float", "kW", "Electric need incl. pump share (bmk, storage); NaN read as 0."),
    ),
)

STRESS_SITES = Table(
    name="stress_sites",
    description="Sites (boiler houses, CHP yards).",
    geometry="Point",
    columns=(
        Column("site_id", "str", "-", "Site id."),
        Column("gas_feeder", "str", "-", "Gas feeder id.", required=False),
        Column("power_feeder", "str", "-", "Power feeder id.", required=False),
        Column("has_backup", "bool", "-", "Has a backup generator.", required=False),
        Column("backup_fuel_h", "float", "h", "Fuel autonomy of the backup generator.", required=False),
        Column("chp_islanding", "bool", "-", "Its CHP units can run islanded.", required=False),
    ),
)

STRESS_PIPES = Table(
    name="stress_pipes",
    description="Routed pipes (supply/return pair as one edge).",
    geometry="LineString",
    columns=(
        Column("pipe_id", "str", "-", "Pipe id."),
        Column("from_node", "str", "-", "Start node id."),
        Column("to_node", "str", "-", "End node id."),
        Column("length_m", "float", "m", "Trench length."),
        Column("site_id", "str", "-", "Site whose network the pipe belongs to.", required=False),
    ),
)

STRESS_NODES = Table(
    name="stress_network_nodes",
    description="Nodes of the routed networks.",
    geometry="Point",
    columns=(
        Column("node_id", "str", "-", "Node id."),
        Column("kind", "str", "-", "street, tap, building or site."),
        Column("building_id", "str", "-", "Building at a 'building' node.", required=False),
        Column("site_id", "str", "-", "Site at a 'site' node.", required=False),
    ),
)


def scenario_columns(report_hours: tuple[float, ...] = (6.0, 12.0, 24.0, 48.0)) -> tuple[Column, ...]:
    """Columns of the ``scenarios`` table for the given report times [h]."""
    cols = [
        Column("scenario_id", "str", "-", "Scenario id, e.g. 'n-1:unit:U3' or 'strike:grid:17'."),
        Column("family", "str", "-", "base, n-1, n-2, strike, blackout, gas, pipe or user."),
        Column("description", "str", "-", "What is lost."),
        Column("temp_c", "float", "degC", "Outdoor temperature (coldest hour if a profile)."),
        Column("duration_h", "float", "h", "Scenario window."),
        Column("status", "str", "-", "screening, network or undecided: who decided the supply."),
        Column("units_lost", "int", "-", "Units out within the window (after resolving sites, gas, power)."),
        Column("pipes_lost", "int", "-", "Pipes out within the window (whole valve sections)."),
        Column("capacity_lost_kw", "float", "kW", "Most heat capacity out at once within the window."),
        Column("unserved_heat_mwh", "float", "MWh", "Heat demand not supplied within the window."),
        Column("buildings_affected", "int", "-", "Buildings with reduced supply within the window."),
        Column("residents_affected", "float", "persons", "Residents of those buildings."),
    ]
    for limit in ("18c", "12c"):
        for h in report_hours:
            tag = f"{limit}_{h:g}h"
            cols.append(Column(f"buildings_below_{tag}", "int", "-", f"Buildings below {limit[:-1]} °C after {h:g} h."))
            cols.append(Column(f"residents_below_{tag}", "float", "persons", "Their residents."))
    cols += [
        Column("buildings_must_drain", "int", "-", "Buildings reaching 5 °C within the window."),
        Column("residents_must_drain", "float", "persons", "Their residents."),
        *(
            Column(f"{p}s_affected", "int", "-", f"Buildings of priority '{p}' with reduced supply.")
            for p in PRIORITY_CLASSES
        ),
        Column("priority_below_12c", "int", "-", "Priority buildings reaching 12 °C within the window."),
        Column("min_hours_to_12c", "float", "h", "Soonest any building reaches 12 °C (inf: none)."),
        Column("restore_supply_h", "float", "h", "When every building has full supply again (inf: not repaired)."),
        Column("restore_comfort_h", "float", "h", "When every affected building is back at 18 °C (inf: never)."),
    ]
    return tuple(cols)


SCENARIOS = register(
    Table(
        name="scenarios",
        description="Stress scenarios, one row each, with their metrics (columns follow cooling.report_hours).",
        columns=scenario_columns(),
    )
)

BUILDING_OUTCOMES = register(
    Table(
        name="building_outcomes",
        description="Per building, its worst outcome over all stress scenarios.",
        columns=(
            Column("building_id", "str", "-", "Building id."),
            Column("worst_hours_to_12c", "float", "h", "Soonest it reaches 12 °C in any scenario (inf: never)."),
            Column("scenarios_cold", "int", "-", "Scenarios in which it falls below 12 °C within the window."),
            Column("must_drain_in_worst", "bool", "-", "It reaches 5 °C within the window of its worst scenario."),
            Column("worst_scenario_id", "str", "-", "Its worst scenario (empty if never below 12 °C).", required=False),
        ),
    )
)
