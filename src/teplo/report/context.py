"""What every section reads: the study, the report settings, the climate and the summary tables.

:class:`ReportContext` looks up layers and meta entries leniently (a missing
or empty layer is ``None``: the section then says which stage to run) and
computes each summary table once, for the HTML and the CSV export alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from teplo.climate import KHARKIV_YEARS, Climate, kharkiv_climate
from teplo.report import tables as t
from teplo.report.settings import ReportSettings
from teplo.study import Study
from teplo.units import MW_PER_GCAL_H

#: The command that computes each stage's layers (the CLI of teplo).
STAGE_COMMANDS: dict[str, str] = {
    "demand": "teplo demand",
    "plan": "teplo plan",
    "network": "teplo network",
    "operation": "teplo operate",
    "stress": "teplo stress",
}
#: Columns the demand section needs in ``buildings``.
DEMAND_COLUMNS = ("building_id", "typology", "heated", "heated_area_m2", "design_load_kw", "annual_heat_mwh",
                  "residents")
#: Columns the hourly load (load-duration curve) needs (teplo.demand.profiles).
HOURLY_COLUMNS = ("h_w_k", "balance_temp_c", "dhw_mean_kw")


@dataclass
class ReportContext:
    """The inputs of one report and the tables computed from them (cached)."""

    study: Study
    settings: ReportSettings = field(default_factory=ReportSettings)
    climate: Climate | None = None
    settings_used: Mapping[str, Any] | BaseModel | None = None

    def layer(self, name: str) -> pd.DataFrame | None:
        """The layer ``name``, or None if it is absent or empty."""
        frame = self.study.layers.get(name)
        if frame is None or len(frame) == 0:
            return None
        return frame

    def meta_dict(self, key: str) -> dict[str, Any] | None:
        """A dict stored in ``meta`` (None if absent or not a dict)."""
        value = self.study.meta.get(key)
        return dict(value) if isinstance(value, Mapping) and value else None

    def meta_rows(self, key: str) -> list[dict[str, Any]] | None:
        """A table stored in ``meta`` as a list of dicts (None if absent or empty)."""
        value = self.study.meta.get(key)
        if isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
            return [dict(r) for r in value]
        return None

    @property
    def buildings(self) -> pd.DataFrame | None:
        """Buildings with the demand columns, else None."""
        b = self.layer("buildings")
        if b is None or any(c not in b.columns for c in DEMAND_COLUMNS):
            return None
        return b

    @property
    def eur_uah(self) -> float:
        """UAH per EUR."""
        return self.settings.eur_uah

    @cached_property
    def resolved_climate(self) -> tuple[Climate, str]:
        """The climate to use and a note on where it comes from."""
        if self.climate is not None:
            return self.climate, ""
        name = str(self.study.meta.get("climate", ""))
        for year in KHARKIV_YEARS:
            if name.startswith("Kharkiv") and year in name:
                return kharkiv_climate(year), ""
        note = (f"the study's climate '{name}' is not bundled; the Kharkiv 2015-2016 year stands in"
                if name else "the study records no climate; the Kharkiv 2015-2016 year is used")
        return kharkiv_climate(), note

    @cached_property
    def hourly_kw(self) -> np.ndarray | None:
        """City heat load per hour of the climate's year [kW] (space heat + DHW), or None."""
        b = self.buildings
        if b is None or any(c not in b.columns for c in HOURLY_COLUMNS):
            return None
        from teplo.demand import hourly_heat_total_kw

        climate, _ = self.resolved_climate
        return hourly_heat_total_kw(b, climate)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every summary table that the study's layers allow, by name (the CSV file stems)."""
        out: dict[str, pd.DataFrame] = {}
        rate = self.eur_uah
        b = self.buildings
        if b is not None:
            out["demand_by_typology"] = t.demand_by_typology(b)
        if self.hourly_kw is not None:
            out["load_duration"] = load_duration_table(self.hourly_kw)
        units, sites, districts = self.layer("units"), self.layer("sites"), self.layer("districts")
        if units is not None and "unit_type" in units.columns:
            out["units_by_type"] = t.units_by_type(units, rate)
        if sites is not None:
            out["sites"] = t.sites_table(sites, units, b, districts)
        if districts is not None:
            out["districts"] = t.districts_table(districts, b, units)
        pipes = self.layer("pipes")
        if pipes is not None:
            out["network_by_dn"] = t.network_by_dn(pipes, rate)
            out["network_figures"] = t.network_figures(pipes, self.meta_dict("network_totals"), rate)
        plan, operation = self.meta_dict("plan_summary"), self.meta_dict("operation_summary")
        if plan is not None:
            out["plan_figures"] = t.plan_figures(plan)
        if plan is not None or pipes is not None:
            costs = t.cost_figures(plan, pipes, operation, rate)
            if not costs.empty:
                out["cost_figures"] = costs
        daily = self.layer("operation_daily")
        if daily is not None:
            out["operation_figures"] = t.operation_figures(daily, operation, rate)
            out["operation_city_daily"] = t.city_daily(daily)
        scenarios = self.layer("scenarios")
        if scenarios is not None:
            hours = self.settings.report_hours
            out["resilience_by_family"] = t.resilience_by_family(scenarios, hours)
            out["worst_scenarios"] = t.worst_scenarios(scenarios, hours, self.settings.worst_scenarios)
        cost_rows = self.meta_rows("resilience_cost")
        if cost_rows is not None:
            out["resilience_cost"] = t.resilience_cost_table(cost_rows, rate)
        return out


def load_duration_table(hourly_kw: np.ndarray) -> pd.DataFrame:
    """The hourly load sorted from the highest hour down: rank, MW, Gcal/h."""
    mw = np.sort(np.asarray(hourly_kw, dtype=float))[::-1] / 1e3
    frame = pd.DataFrame({"load_mw": mw, "load_gcal_h": mw / MW_PER_GCAL_H},
                         index=pd.RangeIndex(1, len(mw) + 1, name="hours_at_or_above"))
    return frame


def slug(text: str) -> str:
    """A lower-case id from ``text`` (letters, digits, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
