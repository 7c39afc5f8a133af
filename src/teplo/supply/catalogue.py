"""Unit catalogue: modular boiler houses, gas-engine CHP, heat storage tanks, diesel gensets.

One row per module *type* (a BMK container of 1 MW, a 2 MWe gas engine, ...). The
siting model buys integer counts of these modules (PyPSA's ``p_nom_mod`` idea).
The bundled table is ``teplo/data/units.csv``; every row carries its ``source``
(kharkiv-figures §3 and §0; DEA via PyPSA technology-data). Users add or replace
types with their own CSV, validated row by row.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from teplo.errors import InputError, InputFileNotFound
from teplo.schema import Column

KINDS = ("bmk", "chp", "storage", "diesel")
"""Module kinds: gas boiler container, gas-engine CHP, hot-water tank, diesel generator."""

HEAT_KINDS = ("bmk", "chp")
"""Kinds that deliver heat at the design hour (counted for coverage and N-k)."""

POWER_KINDS = ("chp", "diesel")
"""Kinds that deliver electricity in a blackout."""

FUELS = ("gas_boiler", "gas_chp", "diesel", "none")
"""Fuel price classes (kharkiv-figures §3.5: PSO gas for boilers, the higher CHP gas price)."""

DEFAULT_FUEL = {"bmk": "gas_boiler", "chp": "gas_chp", "storage": "none", "diesel": "diesel"}

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("type", "str", "-", "Unique module type name, e.g. bmk_1mw."),
    Column("kind", "str", "-", "bmk, chp, storage or diesel."),
    Column("fuel", "str", "-", "Fuel price class: gas_boiler, gas_chp, diesel or none.", required=False),
    Column("heat_kw", "float", "kW", "Thermal output of one module at full load."),
    Column("power_kw", "float", "kW", "Net electric output of one module at full load."),
    Column("storage_kwh", "float", "kWh", "Heat content of a storage tank (0 for other kinds).", required=False),
    Column("eff_th", "float", "-", "Thermal efficiency on fuel LHV (1 for tanks)."),
    Column("eff_el", "float", "-", "Electric efficiency on fuel LHV."),
    Column("min_load", "float", "-", "Minimum stable load as a share of full load."),
    Column("aux_power_kw", "float", "kW", "Auxiliary electricity incl. network pumps at full load."),
    Column("capex_eur", "float", "EUR", "Installed cost of one module."),
    Column("fixed_om_eur_a", "float", "EUR/a", "Fixed operation and maintenance per module and year."),
    Column("var_om_eur_mwh", "float", "EUR/MWh", "Variable O&M per MWh of heat (per MWh_el for diesel)."),
    Column("lifetime_a", "float", "a", "Economic lifetime for the annuity."),
    Column("lead_time_months", "float", "months", "Order-to-commissioning time."),
    Column("footprint_m2", "float", "m2", "Plot area one module needs incl. clearance and access."),
    Column("source", "str", "-", "Where the numbers come from (required on every row)."),
)

_NUMERIC = [c.name for c in UNIT_COLUMNS if c.dtype == "float"]
_REQUIRED = [c.name for c in UNIT_COLUMNS if c.required]
_POSITIVE = ("lifetime_a",)


def _read(path: Path | str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputFileNotFound(f"unit catalogue '{path}' does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"unit catalogue '{path}': cannot parse as CSV ({exc})") from exc


def _bundled() -> pd.DataFrame:
    ref = resources.files("teplo") / "data" / "units.csv"
    with resources.as_file(ref) as path:
        return _read(path)


def validate_unit_catalogue(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """Check and type a raw (all-string or mixed) catalogue table; return it indexed by ``type``.

    Raises :class:`InputError` naming ``where``, the row (1-based data row, as a
    spreadsheet user counts it after the header) and the column at fault.
    """
    df = raw.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; required: {', '.join(_REQUIRED)}")
    if "fuel" not in df.columns:
        df["fuel"] = ""
    if "storage_kwh" not in df.columns:
        df["storage_kwh"] = "0"
    df = df.reset_index(drop=True)
    rows = pd.Series(np.arange(2, len(df) + 2), index=df.index)  # CSV line numbers (header = 1)
    df["type"] = df["type"].astype(str).str.strip()
    df["kind"] = df["kind"].astype(str).str.strip().str.lower()

    def fail(i: int, col: str, msg: str) -> InputError:
        return InputError(f"{where}: row {rows[i]} (type '{df.at[i, 'type']}'), column '{col}': {msg}")

    for i in df.index[df["type"] == ""]:
        raise fail(i, "type", "empty type name")
    dup = df["type"].duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise fail(i, "type", "duplicate type name; each type may appear once per file")
    bad_kind = ~df["kind"].isin(KINDS)
    if bad_kind.any():
        i = int(np.flatnonzero(bad_kind.to_numpy())[0])
        raise fail(i, "kind", f"'{df.at[i, 'kind']}' is not one of {', '.join(KINDS)}")
    for col in _NUMERIC:
        values = pd.to_numeric(df[col].astype(str).str.strip().replace("", "nan"), errors="coerce")
        bad = values.isna() & ~((col == "storage_kwh") & (df[col].astype(str).str.strip() == ""))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise fail(i, col, f"'{df.at[i, col]}' is not a number")
        neg = values < 0
        if neg.any():
            i = int(np.flatnonzero(neg.to_numpy())[0])
            raise fail(i, col, f"{values[i]} is negative; capacities, costs and times must be >= 0")
        df[col] = values.fillna(0.0).astype(float)
    for col in _POSITIVE:
        zero = df[col] <= 0
        if zero.any():
            i = int(np.flatnonzero(zero.to_numpy())[0])
            raise fail(i, col, "must be > 0")
    over = (df["min_load"] > 1) | (df["eff_th"] > 1.1) | (df["eff_el"] > 0.7)
    if over.any():
        i = int(np.flatnonzero(over.to_numpy())[0])
        raise fail(i, "min_load/eff_th/eff_el", "out of range (min_load <= 1, eff_th <= 1.1, eff_el <= 0.7)")
    heat = df["kind"].isin(HEAT_KINDS)
    no_heat = heat & ((df["heat_kw"] <= 0) | (df["eff_th"] <= 0))
    if no_heat.any():
        i = int(np.flatnonzero(no_heat.to_numpy())[0])
        raise fail(i, "heat_kw", "bmk and chp modules need heat_kw > 0 and eff_th > 0")
    no_power = df["kind"].isin(POWER_KINDS) & ((df["power_kw"] <= 0) | (df["eff_el"] <= 0))
    if no_power.any():
        i = int(np.flatnonzero(no_power.to_numpy())[0])
        raise fail(i, "power_kw", "chp and diesel modules need power_kw > 0 and eff_el > 0")
    df["fuel"] = df["fuel"].astype(str).str.strip().str.lower()
    df.loc[df["fuel"] == "", "fuel"] = df.loc[df["fuel"] == "", "kind"].map(DEFAULT_FUEL)
    bad_fuel = ~df["fuel"].isin(FUELS)
    if bad_fuel.any():
        i = int(np.flatnonzero(bad_fuel.to_numpy())[0])
        raise fail(i, "fuel", f"'{df.at[i, 'fuel']}' is not one of {', '.join(FUELS)}")
    df["source"] = df["source"].astype(str).str.strip()
    no_src = df["source"] == ""
    if no_src.any():
        i = int(np.flatnonzero(no_src.to_numpy())[0])
        raise fail(i, "source", "every row needs a source (document, datasheet or '[U] own estimate')")
    cols = [c.name for c in UNIT_COLUMNS]
    return df[cols].set_index("type")


def load_unit_catalogue(
    path: Path | str | None = None, extra: Path | str | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load the unit catalogue, indexed by ``type``.

    ``path`` replaces the bundled ``teplo/data/units.csv`` entirely; ``extra``
    (a CSV path or a DataFrame with the same columns) adds types or replaces
    bundled types of the same name. Raises :class:`InputError` for a missing
    column, a non-numeric or negative value, or a duplicate type, naming the row.
    """
    base = validate_unit_catalogue(_read(path), str(path)) if path is not None else (
        validate_unit_catalogue(_bundled(), "teplo/data/units.csv")
    )
    if extra is None:
        return base
    if isinstance(extra, pd.DataFrame):
        more = validate_unit_catalogue(extra.astype(str) if len(extra) else extra, "extra unit table")
    else:
        more = validate_unit_catalogue(_read(extra), str(extra))
    kept = base.loc[~base.index.isin(more.index)]
    return pd.concat([kept, more])


def heat_units(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``catalogue`` that deliver heat (BMK and CHP), in catalogue order."""
    return catalogue.loc[catalogue["kind"].isin(HEAT_KINDS)]


def generator_units(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Backup diesel generator rows of ``catalogue``."""
    return catalogue.loc[catalogue["kind"] == "diesel"]
