"""Numbers and tables as HTML: thousands separators, labels with units, escaping.

Every summary column is declared once in :data:`COLUMNS` (label, unit,
decimals); tables keep machine names with the unit in the name (``design_mw``)
for CSV and get their human headers here. Numbers use a narrow no-break space
as the thousands separator (ISO 80000-1), unambiguous for English and
Ukrainian readers alike.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Number

import pandas as pd

THOUSANDS = "\u202f"  # narrow no-break space
DASH = "–"


@dataclass(frozen=True)
class ColumnFormat:
    """How one summary column is shown: header label, unit and decimals."""

    label: str
    unit: str = ""
    digits: int | None = 0  # None: as given, up to 10 significant digits

    @property
    def header(self) -> str:
        """Label with the unit in brackets (no brackets for counts)."""
        return f"{self.label}, {self.unit}" if self.unit else self.label


COLUMNS: dict[str, ColumnFormat] = {
    # demand
    "label": ColumnFormat("Description"),
    "buildings": ColumnFormat("Buildings"),
    "heated_area_m2": ColumnFormat("Heated area", "m²"),
    "design_mw": ColumnFormat("Design load", "MW", 2),
    "design_gcal_h": ColumnFormat("Design load", "Gcal/h", 2),
    "annual_gwh": ColumnFormat("Annual heat", "GWh", 2),
    "annual_thousand_gcal": ColumnFormat("Annual heat", "thousand Gcal", 2),
    "w_per_m2": ColumnFormat("Specific load", "W/m²"),
    "residents": ColumnFormat("Residents"),
    # supply
    "units": ColumnFormat("Units"),
    "sites": ColumnFormat("Sites"),
    "heat_mw": ColumnFormat("Heat output", "MW", 2),
    "heat_gcal_h": ColumnFormat("Heat output", "Gcal/h", 2),
    "power_mw": ColumnFormat("Electric output", "MW", 2),
    "capex_meur": ColumnFormat("CAPEX", "M EUR", 2),
    "capex_muah": ColumnFormat("CAPEX", "M UAH", 1),
    "unit_list": ColumnFormat("Units installed"),
    "district_id": ColumnFormat("Micro-district"),
    "installed_mw": ColumnFormat("Installed heat", "MW", 2),
    "installed_gcal_h": ColumnFormat("Installed heat", "Gcal/h", 2),
    "reserve_pct": ColumnFormat("Installed ÷ design load", "%"),
    # network
    "pipes": ColumnFormat("Pipe sections"),
    "length_km": ColumnFormat("Trench length", "km", 2),
    "length_pct": ColumnFormat("Share of length", "%", 1),
    "existing_km": ColumnFormat("Of which existing", "km", 2),
    "heat_loss_kw": ColumnFormat("Heat loss at design", "kW", 0),
    "heat_loss_w_per_m": ColumnFormat("Heat loss", "W/m", 1),
    "cost_meur": ColumnFormat("Cost", "M EUR", 2),
    "cost_muah": ColumnFormat("Cost", "M UAH", 1),
    "max_velocity_m_s": ColumnFormat("Max velocity", "m/s", 2),
    "max_dp_pa_per_m": ColumnFormat("Max pressure gradient", "Pa/m", 0),
    "too_small": ColumnFormat("Too small"),
    # key-figure tables
    "value": ColumnFormat("Value", "", 2),
    "unit": ColumnFormat("Unit"),
    "value_ua": ColumnFormat("Value (Ukrainian units)", "", 2),
    "unit_ua": ColumnFormat("Unit"),
    "note": ColumnFormat("Note"),
    # resilience
    "scenarios": ColumnFormat("Scenarios"),
    "family": ColumnFormat("Family"),
    "description": ColumnFormat("What is lost"),
    "temp_c": ColumnFormat("Outdoor", "°C", 0),
    "duration_h": ColumnFormat("Duration", "h", 0),
    "unserved_mwh": ColumnFormat("Unserved heat", "MWh", 0),
    "unserved_gcal": ColumnFormat("Unserved heat", "Gcal", 0),
    "buildings_drained": ColumnFormat("Buildings to drain (5 °C)"),
    "priority_affected": ColumnFormat("Priority consumers affected"),
    "restore_h": ColumnFormat("Supply restored after", "h", 0),
    # cost of resilience
    "annual_meur": ColumnFormat("Annual cost", "M EUR/a", 2),
    "annual_muah": ColumnFormat("Annual cost", "M UAH/a", 1),
    "eur_per_mwh": ColumnFormat("Cost of heat", "EUR/MWh", 1),
    "uah_per_gcal": ColumnFormat("Cost of heat", "UAH/Gcal", 0),
    "n1_covered_pct": ColumnFormat("Covered, any 1 unit lost", "%", 0),
    "site_loss_covered_pct": ColumnFormat("Covered, any 1 site lost", "%", 0),
    # assumptions
    "name": ColumnFormat("Name"),
    "source": ColumnFormat("Source"),
    "ref": ColumnFormat("Source"),
    "heated": ColumnFormat("Heated"),
    "priority": ColumnFormat("Priority class"),
    "space_heat_kwh_m2a": ColumnFormat("Space heat", "kWh/(m²·a)", None),
    "design_w_m2": ColumnFormat("Design load", "W/m²"),
    "dhw_kwh_m2a": ColumnFormat("Hot water", "kWh/(m²·a)", None),
    "internal_gains_w_m2": ColumnFormat("Internal gains", "W/m²", None),
    "m2_per_resident": ColumnFormat("Heated area per resident", "m²", None),
    "tau_h_ref": ColumnFormat("Time constant τ", "h", None),
    "floor_height_m": ColumnFormat("Floor height", "m", None),
    "outer_diameter_mm": ColumnFormat("Outer diameter", "mm", None),
    "inner_diameter_mm": ColumnFormat("Inner diameter", "mm", None),
    "roughness_mm": ColumnFormat("Roughness", "mm", None),
    "cost_eur_per_m": ColumnFormat("Cost (pair, installed)", "EUR/m", None),
    "u_w_per_m_k": ColumnFormat("Heat loss coefficient", "W/(m·K)", None),
    "kind": ColumnFormat("Kind"),
    "heat_kw": ColumnFormat("Heat output", "kW", None),
    "power_kw": ColumnFormat("Electric output", "kW", None),
    "storage_kwh": ColumnFormat("Storage", "kWh", None),
    "eff_th": ColumnFormat("Thermal efficiency", "", None),
    "eff_el": ColumnFormat("Electric efficiency", "", None),
    "capex_eur": ColumnFormat("CAPEX", "EUR", None),
    "fixed_om_eur_a": ColumnFormat("Fixed O&M", "EUR/a", None),
    "lifetime_a": ColumnFormat("Lifetime", "a", None),
    "lead_time_months": ColumnFormat("Lead time", "months", None),
}

_COLD = re.compile(r"^(buildings|residents)_below_(\d+)c_([\d.]+)h$")


def column_format(name: str) -> ColumnFormat:
    """The declared format of ``name``; ``{buildings,residents}_below_{T}c_{H}h`` by pattern."""
    if name in COLUMNS:
        return COLUMNS[name]
    m = _COLD.match(name)
    if m:
        who = "People" if m.group(1) == "residents" else "Buildings"
        return ColumnFormat(f"{who} below {m.group(2)} °C after {m.group(3)} h")
    return ColumnFormat(name.replace("_", " "), digits=None)


def fmt_number(value: object, digits: int | None = 0) -> str:
    """``value`` with ``digits`` decimals and narrow-space thousands; NaN/None -> '–', inf -> '∞'.

    ``digits=None`` shows the number as given (up to 10 significant digits).
    """
    if value is None or value is pd.NA:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Number):
        x = float(value)  # type: ignore[arg-type]
        if math.isnan(x):
            return DASH
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if digits is None:
            text = f"{x:,.10g}" if abs(x) < 1e15 else f"{x:.4g}"
        else:
            if round(x, digits) == 0:
                x = 0.0  # no "-0"
            text = f"{x:,.{digits}f}"
        text = text.replace(",", THOUSANDS)
        return text.replace("-", "−")
    return str(value)


def fmt_cell(value: object, digits: int | None = 0) -> str:
    """A table cell's HTML: numbers formatted, text escaped."""
    if isinstance(value, str):
        return html.escape(value)
    return html.escape(fmt_number(value, digits))


def html_table(
    frame: pd.DataFrame,
    *,
    table_id: str,
    columns: Sequence[str] | None = None,
    index_label: str | None = None,
    caption: str | None = None,
    text_columns: Sequence[str] = (),
    digits: Mapping[str, int | None] | None = None,
) -> str:
    """``frame`` as an HTML table with declared headers; the index is the first column.

    Numeric cells are right-aligned; ``text_columns`` (and any non-numeric
    column) are left-aligned. A row whose index is ``total`` is emphasised.
    ``digits`` overrides the declared decimals of some columns.
    """
    cols = list(frame.columns if columns is None else columns)
    formats = [column_format(c) for c in cols]
    if digits:
        formats = [
            ColumnFormat(f.label, f.unit, digits[c]) if c in digits else f
            for c, f in zip(cols, formats, strict=True)
        ]
    index_name = index_label if index_label is not None else column_format(str(frame.index.name or "")).label
    head = "".join(
        f'<th class="{_cell_class(frame[c], c, text_columns)}">{html.escape(f.header)}</th>'
        for c, f in zip(cols, formats, strict=True)
    )
    rows = []
    for idx, row in zip(frame.index, frame[cols].itertuples(index=False, name=None), strict=True):
        cells = "".join(
            f'<td class="{_cell_class(frame[c], c, text_columns)}">{fmt_cell(v, f.digits)}</td>'
            for c, f, v in zip(cols, formats, row, strict=True)
        )
        cls = ' class="total"' if str(idx) == "total" else ""
        rows.append(f"<tr{cls}><th class=\"text\">{html.escape(fmt_number(idx))}</th>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table id="{html.escape(table_id)}">{cap}'
        f'<thead><tr><th class="text">{html.escape(index_name)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def figures_table(frame: pd.DataFrame, *, table_id: str, caption: str | None = None) -> str:
    """A key-figure table (index = quantity; ``value``/``unit``, ``value_ua``/``unit_ua``).

    Each value is shown with its unit; decimals per row come from the
    optional ``digits`` and ``digits_ua`` columns (default 2).
    """
    has_ua = "value_ua" in frame.columns
    head = '<th class="text">Quantity</th><th class="num">SI / EUR</th>'
    head += '<th class="num">Ukrainian units</th>' if has_ua else ""
    has_note = "note" in frame.columns
    head += '<th class="text">Note</th>' if has_note else ""
    rows = []
    for idx, row in frame.iterrows():
        digits = int(row["digits"]) if "digits" in frame.columns else 2
        digits_ua = int(row["digits_ua"]) if "digits_ua" in frame.columns else digits
        cells = f'<td class="num">{_with_unit(row["value"], row["unit"], digits)}</td>'
        if has_ua:
            same = not row["unit_ua"] and not isinstance(row["value_ua"], str) and pd.isna(row["value_ua"])
            ua = "" if same else _with_unit(row["value_ua"], row["unit_ua"], digits_ua)
            cells += f'<td class="num">{ua}</td>'
        if has_note:
            cells += f'<td class="text note">{fmt_cell(row["note"] if isinstance(row["note"], str) else "")}</td>'
        rows.append(f'<tr><th class="text">{html.escape(str(idx))}</th>{cells}</tr>')
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table id="{html.escape(table_id)}" class="figures">{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def not_computed(what: str, command: str) -> str:
    """The plain notice for a section whose input is missing."""
    return (
        f'<p class="missing">{html.escape(what)}: not yet computed: run '
        f"<code>{html.escape(command)}</code>.</p>"
    )


def paragraph(text: str, cls: str | None = None) -> str:
    """An escaped paragraph."""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def _with_unit(value: object, unit: object, digits: int) -> str:
    if isinstance(value, str):
        return html.escape(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    u = f" {unit}" if isinstance(unit, str) and unit else ""
    return html.escape(fmt_number(value, digits) + u)


def _cell_class(series: pd.Series, name: str, text_columns: Sequence[str]) -> str:
    """'num' or 'text', plus ``col-<name>`` so that CSS can size particular columns."""
    kind = "text" if _is_text(series, name, text_columns) else "num"
    return f"{kind} col-{re.sub(r'[^a-z0-9_-]', '', name.lower())}"


def _is_text(series: pd.Series, name: str, text_columns: Sequence[str]) -> bool:
    return name in text_columns or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    )
