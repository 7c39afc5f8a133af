"""Tables written by the supply-siting stage, declared once (see :mod:`teplo.schema`)."""

from __future__ import annotations

from teplo.schema import Column, Table, register

DISTRICTS = register(Table(
    name="districts",
    description="Micro-districts: groups of heated buildings served by one site (convex hull of the buildings).",
    geometry="Polygon",
    columns=(
        Column("district_id", "str", "-", "District id, D0001 ... ordered south-west to north-east."),
        Column("design_load_kw", "float", "kW", "Sum of the buildings' design loads."),
        Column("annual_heat_mwh", "float", "MWh/a", "Sum of the buildings' annual heat demand."),
        Column("n_buildings", "int", "-", "Number of heated buildings."),
        Column("priority_load_kw", "float", "kW", "Design load of priority consumers (hospitals, marked buildings)."),
        Column("radius_m", "float", "m", "Longest street distance from the district's street node to a building."),
        Column("site_id", "str", "-", "Site serving the district (empty if none in reach)."),
        Column("backup_site_id", "str", "-", "Site that takes over when the primary site is lost.", required=False),
        Column("connection_m", "float", "m", "Street distance from the district to its site."),
        Column("backup_m", "float", "m", "Street distance from the district to its backup site.", required=False),
    ),
))

SITES = register(Table(
    name="sites",
    description="Candidate sites; chosen ones carry the installed capacity.",
    geometry="Point",
    columns=(
        Column("site_id", "str", "-", "Site id: osm-<id>, user id, or gen-<n> for generated plots."),
        Column("source", "str", "-", "osm, user or generated."),
        Column("kind", "str", "-", "boiler_house, parking, industrial, open_land, user, ..."),
        Column("existing", "bool", "-", "An existing boiler-house site."),
        Column("area_m2", "float", "m2", "Plot area."),
        Column("max_heat_kw", "float", "kW", "Heat capacity the plot can hold."),
        Column("chosen", "bool", "-", "Whether units are installed here."),
        Column("heat_kw", "float", "kW", "Installed heat capacity."),
        Column("power_kw", "float", "kW", "Installed electric capacity (CHP + diesel)."),
        Column("load_kw", "float", "kW", "Design load of the districts it serves."),
        Column("chp_islanding", "bool", "-", "Has CHP, designed to run islanded in a blackout."),
        Column("has_backup", "bool", "-", "Has a diesel genset for its auxiliaries."),
    ),
))

UNITS = register(Table(
    name="units",
    description="Installed modules, one row each.",
    columns=(
        Column("unit_id", "str", "-", "<site_id>/<unit_type>/<n>."),
        Column("site_id", "str", "-", "Site of the module."),
        Column("unit_type", "str", "-", "Catalogue type (teplo/data/units.csv)."),
        Column("kind", "str", "-", "bmk, chp or diesel."),
        Column("heat_kw", "float", "kW", "Thermal capacity."),
        Column("power_kw", "float", "kW", "Electric capacity."),
        Column("aux_power_kw", "float", "kW", "Auxiliary electricity incl. pumps at full load."),
        Column("capex_eur", "float", "EUR", "Installed cost."),
    ),
))

BUILDING_SUPPLY = register(Table(
    name="building_supply",
    description="Which district and site supply each heated building.",
    columns=(
        Column("building_id", "str", "-", "Building id."),
        Column("district_id", "str", "-", "District of the building."),
        Column("site_id", "str", "-", "Site serving it (empty if unserved)."),
        Column("backup_site_id", "str", "-", "Backup site, if the district has one.", required=False),
    ),
))
