"""Every table's columns, declared once: name (unit in the suffix), dtype, unit, meaning.

Validation, GeoPackage field descriptions and the README's column tables all
come from here, in the spirit of PyPSA's component attribute CSVs. A stage
adds its own table by appending a :class:`Table` to :data:`TABLES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from teplo.errors import InputError


@dataclass(frozen=True)
class Column:
    """One column of a teplo table."""

    name: str
    dtype: str  # "str", "int", "float", "bool"
    unit: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class Table:
    """A named table (a GeoPackage layer) and its columns."""

    name: str
    description: str
    columns: tuple[Column, ...]
    geometry: str | None = None  # "Polygon", "LineString", "Point", "Geometry" (mixed) or None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        """Names of the columns every instance of this table must have."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """Return the declared column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


BUILDINGS_IMPORTED = Table(
    name="buildings",
    description="Buildings of the area, one row per footprint (polygon or multipolygon).",
    geometry="MultiPolygon",
    columns=(
        Column("building_id", "str", "-", "Stable id: OSM 'w123'/'r456', the user's id, or 's123' for synthetic."),
        Column("source", "str", "-", "Where the row came from: osm, gis or synth."),
        Column("building", "str", "-", "OSM building=* value (or mapped use), e.g. apartments, school, yes."),
        Column("amenity", "str", "-", "OSM amenity=* value, empty if none.", required=False),
        Column("name", "str", "-", "Name, empty if none.", required=False),
        Column("address", "str", "-", "addr:street and addr:housenumber, empty if none.", required=False),
        Column("use", "str", "-", "Normalised use: residential, school, kindergarten, hospital, office, commercial, public, industrial, garage, shed, other."),
        Column("storeys", "int", "-", "Storeys above ground (building:levels, or from height, or defaulted)."),
        Column("height_m", "float", "m", "Height above ground (tagged, or storeys times floor height)."),
        Column("year_built", "float", "a", "Year of construction (start_date), NaN where unknown.", required=False),
        Column("footprint_m2", "float", "m2", "Footprint area in the metric CRS."),
        Column("defaulted", "str", "-", "Comma-separated fields that were defaulted, not read from the input."),
    ),
)

DEMAND_COLUMNS = (
    Column("typology", "str", "-", "Building typology key of the bundled typology table."),
    Column("heated_area_m2", "float", "m2", "Heated floor area (footprint x storeys x 0.75, or given)."),
    Column("h_w_k", "float", "W/K", "Heat-loss coefficient H (transmission + ventilation)."),
    Column("design_load_kw", "float", "kW", "Space-heat load at the design outdoor temperature plus mean DHW load."),
    Column("space_heat_mwh", "float", "MWh/a", "Annual space-heating demand in the climate's year."),
    Column("dhw_mwh", "float", "MWh/a", "Annual domestic hot water demand."),
    Column("annual_heat_mwh", "float", "MWh/a", "Annual heat demand, space + DHW."),
    Column("residents", "float", "persons", "Residents, from heated residential area."),
    Column("priority", "str", "-", "Priority class: hospital, school, kindergarten, shelter, residential, other."),
    Column("heated", "bool", "-", "Whether the building is heated (non-heated typologies have zero demand)."),
    Column("tau_h", "float", "h", "Building time constant C/H for cooling (NaN if not heated)."),
    Column("typology_source", "str", "-", "What chose the typology: use, storeys, year_built, floor_height, override or given."),
    Column("dhw_mean_kw", "float", "kW", "Mean domestic hot water load (annual DHW / 8 760 h)."),
    Column("internal_gains_kw", "float", "kW", "Internal heat gains (people, cooking, appliances) during heating."),
    Column("balance_temp_c", "float", "degC", "Outdoor temperature above which gains cover the loss (NaN if not heated)."),
    Column("c_m_wh_k", "float", "Wh/K", "Internal heat capacity C_m (DSTU 9190 class times heated area)."),
    Column("demand_source", "str", "-", "model, metered, design_given or metered+design_given (user overrides)."),
    Column("annual_heat_mwh_given", "float", "MWh/a", "Metered annual heat given by the user (NaN if none).", required=False),
    Column("design_load_kw_given", "float", "kW", "Design load given by the user (NaN if none).", required=False),
)

BUILDINGS = Table(
    name="buildings",
    description="Buildings with their heat demand.",
    geometry="MultiPolygon",
    columns=BUILDINGS_IMPORTED.columns + DEMAND_COLUMNS,
)

STREETS = Table(
    name="streets",
    description="Street graph edges (highway=* ways split at shared nodes), lengths in metres.",
    geometry="LineString",
    columns=(
        Column("street_id", "str", "-", "Edge id."),
        Column("osm_id", "str", "-", "OSM way id ('w123') or the user's id.", required=False),
        Column("highway", "str", "-", "OSM highway=* class."),
        Column("name", "str", "-", "Street name, empty if none.", required=False),
        Column("u", "int", "-", "Start node id."),
        Column("v", "int", "-", "End node id."),
        Column("length_m", "float", "m", "Edge length in the metric CRS."),
    ),
)

SITE_FEATURES = Table(
    name="site_features",
    description=(
        "OSM features that can hold a boiler house or CHP unit, the input of "
        "teplo.supply.sites.sites_from_osm: areas (ways, multipolygon relations) as "
        "multipolygons, nodes as points."
    ),
    geometry="Geometry",  # mixed: MultiPolygon for areas, Point for nodes
    columns=(
        Column("osm_id", "str", "-", "OSM id: 'n123' node, 'w123' way, 'r123' multipolygon relation."),
        Column("kind", "str", "-", "boiler_house, chimney, power_plant, generator, industrial, parking, brownfield, grass or vacant (from the tags, see teplo.io.osm.SITE_TAGS)."),
        Column("name", "str", "-", "OSM name=*, empty if none.", required=False),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (BUILDINGS, STREETS, SITE_FEATURES)}


def check_columns(df: pd.DataFrame, table: Table, where: str) -> None:
    """Raise :class:`InputError` naming the missing required columns of ``table`` in ``df``."""
    missing = [c for c in table.required if c not in df.columns]
    if missing:
        raise InputError(
            f"{where}: table '{table.name}' lacks required column(s) {', '.join(missing)}"
        )


def register(table: Table) -> Table:
    """Add (or replace) a table declaration so I/O and docs know its columns."""
    TABLES[table.name] = table
    return table
