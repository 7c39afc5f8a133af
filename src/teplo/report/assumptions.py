"""The defaults a study rests on, each with its source, as tables for the report.

Reads the bundled catalogues (``teplo/data/typologies.csv``,
``pipe_catalogue.csv`` and, when present, ``units.csv``), the climate's
design values and the settings the stages ran with. Every row keeps its
``source``; :func:`footnote_sources` turns the long source texts into
numbered notes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib import resources
from typing import Any

import pandas as pd
from pydantic import BaseModel

from teplo.climate import Climate
from teplo.report.settings import ReportSettings
from teplo.units import MWH_PER_GCAL

#: Column-name suffix -> unit, following the project's naming convention (DESIGN.md).
SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_pa_per_m", "Pa/m"), ("_w_per_m2", "W/m²"), ("_kwh_m2a", "kWh/(m²·a)"), ("_eur_per_mwh", "EUR/MWh"),
    ("_m_s", "m/s"), ("_kg_s", "kg/s"), ("_degc", "°C"), ("_c", "°C"), ("_kw", "kW"), ("_mw", "MW"),
    ("_mwh", "MWh"), ("_kwh", "kWh"), ("_m2", "m²"), ("_m3", "m³"), ("_km", "km"), ("_mm", "mm"),
    ("_m", "m"), ("_h", "h"), ("_s", "s"), ("_pa", "Pa"), ("_eur", "EUR"), ("_uah", "UAH"),
    ("_pct", "%"), ("_share", "-"), ("_kd", "K·d"), ("_a", "a"),
)

#: Sources of the climate's design values (the comments of teplo.climate.Climate).
CLIMATE_SOURCES: dict[str, str] = {
    "design_temp_c": "kharkiv-figures §0/§1: coldest 5-day period at 0.92 probability (DBN V.2.5-67 "
    "rule; the Kharkiv value is SNiP 2.01.01-82 practice) [U]",
    "indoor_temp_c": "kharkiv-figures §0: 20 °C for design (18 °C is the regulatory minimum, §2.5)",
    "heating_limit_c": "kharkiv-figures §0/§1: the heating period is the ≤ +8 °C period (DSTU-N B V.1.1-27)",
    "reference_degree_days_kd": "kharkiv-figures §0: 3 780 K·d, base 20 °C, 180 d at −1.0 °C "
    "(DSTU-N B V.1.1-27 via bilux-calc)",
    "season_rule": "kharkiv-figures §1: start and stop on the 3-day mean (Minregion)",
}
_CLIMATE_LABELS: dict[str, tuple[str, str]] = {
    "design_temp_c": ("Design outdoor temperature", "°C"),
    "indoor_temp_c": ("Design indoor temperature", "°C"),
    "heating_limit_c": ("Heating limit (daily mean)", "°C"),
    "reference_degree_days_kd": ("Reference degree-days (for specific demand)", "K·d"),
    "season_rule": ("Season start/stop rule", ""),
}


def bundled_csv(name: str) -> pd.DataFrame | None:
    """A CSV bundled in ``teplo/data``, or None if this version does not ship it."""
    ref = resources.files("teplo") / "data" / name
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        return pd.read_csv(path)


def typology_assumptions() -> pd.DataFrame:
    """The typology table (``data/typologies.csv``): specific demand, design W/m², DHW, τ, source."""
    t = bundled_csv("typologies.csv")
    if t is None:  # pragma: no cover - the package always ships it
        return pd.DataFrame()
    t = t.set_index("typology")
    t["design_w_m2"] = [f"{lo:g}–{hi:g}" for lo, hi in zip(t["design_w_m2_min"], t["design_w_m2_max"], strict=True)]
    cols = ["label", "heated", "space_heat_kwh_m2a", "design_w_m2", "dhw_kwh_m2a", "internal_gains_w_m2",
            "m2_per_resident", "tau_h_ref", "floor_height_m", "priority", "source"]
    return t[[c for c in cols if c in t.columns]]


def pipe_assumptions() -> pd.DataFrame:
    """The pipe catalogue (``data/pipe_catalogue.csv``): diameters, roughness, cost, heat loss, source."""
    t = bundled_csv("pipe_catalogue.csv")
    if t is None:  # pragma: no cover
        return pd.DataFrame()
    t = t.set_index(t["dn"].map(lambda dn: f"DN {dn}"))
    t.index.name = "dn"
    cols = ["outer_diameter_mm", "inner_diameter_mm", "roughness_mm", "cost_eur_per_m", "u_w_per_m_k", "source"]
    return t[[c for c in cols if c in t.columns]]


def unit_assumptions() -> pd.DataFrame | None:
    """The unit catalogue (``data/units.csv``) if bundled: output, efficiencies, cost, lead time, source."""
    t = bundled_csv("units.csv")
    if t is None:
        return None
    key = "type" if "type" in t.columns else "unit_type"
    t = t.set_index(t[key].astype(str))
    t.index.name = "unit_type"
    cols = ["kind", "heat_kw", "power_kw", "storage_kwh", "eff_th", "eff_el", "capex_eur", "fixed_om_eur_a",
            "lifetime_a", "lead_time_months", "source"]
    return t[[c for c in cols if c in t.columns]]


def climate_assumptions(climate: Climate, note: str = "") -> pd.DataFrame:
    """Design values of ``climate`` with their sources, then the figures computed from its hourly series."""
    defaults = {f.name: f.default for f in dataclasses.fields(Climate)}
    rows: list[tuple[str, Any, str, str]] = [
        ("Hourly outdoor temperature", climate.name, "",
         "winteR measured series, CC BY 4.0 (teplo/data/weather/ATTRIBUTION.md)"
         if climate.name.startswith("Kharkiv") else "given weather file"),
    ]
    for name, (label, unit) in _CLIMATE_LABELS.items():
        value = getattr(climate, name)
        source = CLIMATE_SOURCES[name] if value == defaults.get(name) else "set for this study"
        rows.append((label, value, unit, source))
    computed = "computed by teplo.climate from the hourly series"
    rows += [
        ("Heating season", round(climate.season_days, 1), "d/a", computed),
        ("Mean outdoor temperature of the season", round(climate.season_mean_temp_c, 2), "°C", computed),
        ("Degree-days of the season (base 20 °C)", round(climate.degree_days_kd(), 0), "K·d/a", computed),
    ]
    frame = pd.DataFrame(rows, columns=["name", "value", "unit", "source"]).set_index("name")
    if note:
        frame.loc["Note", ["value", "unit", "source"]] = [note, "", ""]
    return frame


def report_assumptions(settings: ReportSettings) -> pd.DataFrame:
    """Unit conversions and the report's own settings, with sources."""
    rows: list[tuple[str, Any, str, str]] = [
        ("1 Gcal/h", MWH_PER_GCAL, "MW", "definition: 1 Gcal = 10⁹ cal_IT × 4.1868 J = 1.163 MWh (teplo.units)"),
    ]
    frame = pd.DataFrame(rows, columns=["name", "value", "unit", "source"]).set_index("name")
    return pd.concat([frame, settings_table(settings, prefix="report.")])


def settings_table(settings: Mapping[str, Any] | BaseModel | None, prefix: str = "") -> pd.DataFrame:
    """Flatten settings into rows name -> (value, unit, source/description).

    Accepts a pydantic model (field descriptions become the source), or a
    mapping whose values are scalars, nested mappings or models, or
    ``{"value": ..., "unit": ..., "description"/"source": ...}``. Units come
    from the given ``unit``, else from the name's suffix (``_kw`` -> kW).
    """
    rows: list[tuple[str, Any, str, str]] = []
    _flatten(settings, prefix, rows)
    return pd.DataFrame(rows, columns=["name", "value", "unit", "source"]).set_index("name")


def footnote_sources(frame: pd.DataFrame, column: str = "source") -> tuple[pd.DataFrame, list[str]]:
    """Replace the texts of ``column`` by ``[n]`` references; return the frame and the distinct texts in order."""
    texts = frame[column].fillna("").astype(str)
    order: list[str] = []
    for text in texts:
        if text and text not in order:
            order.append(text)
    number = {t: i + 1 for i, t in enumerate(order)}
    out = frame.drop(columns=[column])
    out["ref"] = [f"[{number[t]}]" if t else "" for t in texts]
    return out, order


def unit_from_name(name: str) -> str:
    """The unit a column or setting name declares by its suffix ('' if none)."""
    lower = name.lower()
    for suffix, unit in SUFFIX_UNITS:
        if lower.endswith(suffix):
            return unit
    return ""


def _flatten(obj: Any, prefix: str, rows: list[tuple[str, Any, str, str]]) -> None:
    if obj is None:
        return
    if isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            if isinstance(value, BaseModel | Mapping):
                _flatten(value, f"{prefix}{name}.", rows)
            else:
                rows.append((prefix + name, _show(value), unit_from_name(name), info.description or ""))
        return
    for key in sorted(obj, key=str):
        value = obj[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "value" in value:
            unit = str(value.get("unit") or unit_from_name(str(key)))
            source = str(value.get("description") or value.get("source") or "")
            rows.append((name, _show(value["value"]), unit, source))
        elif isinstance(value, BaseModel | Mapping):
            _flatten(value, f"{name}.", rows)
        else:
            rows.append((name, _show(value), unit_from_name(str(key)), ""))


def _show(value: Any) -> Any:
    """Numbers stay numbers; sequences become comma lists; anything else its text."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)
