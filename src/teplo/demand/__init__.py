"""Building heat demand: typology, loads, hourly profiles, simultaneity, user overrides.

Typical use::

    from teplo.climate import kharkiv_climate
    from teplo.demand import compute_demand, hourly_heat_total_kw

    climate = kharkiv_climate()
    buildings = compute_demand(area.buildings, climate)
    city_kw = hourly_heat_total_kw(buildings, climate)
"""

from __future__ import annotations

from teplo.demand.loads import HEATED_AREA_RATIO, compute_demand
from teplo.demand.overrides import OVERRIDE_COLUMNS, apply_overrides, read_overrides_csv
from teplo.demand.profiles import (
    DHW_DAILY_PROFILE,
    degree_hours,
    dhw_profile,
    hourly_heat_kw,
    hourly_heat_total_kw,
)
from teplo.demand.simultaneity import simultaneity_factor
from teplo.demand.typology import assign_typology, assign_typology_with_source, load_typologies

__all__ = [
    "DHW_DAILY_PROFILE",
    "HEATED_AREA_RATIO",
    "OVERRIDE_COLUMNS",
    "apply_overrides",
    "assign_typology",
    "assign_typology_with_source",
    "compute_demand",
    "degree_hours",
    "dhw_profile",
    "hourly_heat_kw",
    "hourly_heat_total_kw",
    "load_typologies",
    "read_overrides_csv",
    "simultaneity_factor",
]
