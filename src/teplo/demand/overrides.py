"""A user's known values per building, keyed by ``building_id``, taking precedence over the model.

An overrides table (CSV) has a ``building_id`` column and any of:

- ``typology``: a key of the typology table (e.g. ``khrushchyovka_brick``);
- ``heated_area_m2``: the heated floor area, replacing footprint × storeys × 0.75;
- ``annual_heat_mwh``: metered annual heat (space + DHW). The building's whole
  heat balance (H, internal gains, DHW) is scaled by one factor so that the
  model's annual heat in the study's climate equals it; the balance
  temperature, and so the shape of the load, stays that of the typology;
- ``design_load_kw``: a known design (contract) load. Alone, it scales the
  heat balance the same way; with ``annual_heat_mwh`` it is taken as given
  for sizing and the energy follows the metered value.

Empty cells leave the model's value. :func:`apply_overrides` writes these
values into the buildings table (``typology``, ``heated_area_m2``,
``annual_heat_mwh_given``, ``design_load_kw_given``) and drops any demand
computed earlier; :func:`teplo.demand.compute_demand` honours them.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from teplo.demand.typology import load_typologies
from teplo.errors import InputError, InputFileNotFound

OVERRIDE_COLUMNS: tuple[str, ...] = (
    "typology",
    "heated_area_m2",
    "annual_heat_mwh",
    "design_load_kw",
)
_NUMERIC = ("heated_area_m2", "annual_heat_mwh", "design_load_kw")
#: Where apply_overrides stores given energy and load (the computed columns keep their names).
GIVEN_COLUMNS = {
    "annual_heat_mwh": "annual_heat_mwh_given",
    "design_load_kw": "design_load_kw_given",
}
#: Columns compute_demand produces from the inputs; dropped when inputs change.
COMPUTED_COLUMNS: tuple[str, ...] = (
    "h_w_k",
    "design_load_kw",
    "space_heat_mwh",
    "dhw_mwh",
    "annual_heat_mwh",
    "residents",
    "priority",
    "heated",
    "tau_h",
    "dhw_mean_kw",
    "internal_gains_kw",
    "balance_temp_c",
    "c_m_wh_k",
    "demand_source",
)


def read_overrides_csv(
    path: str | Path, *, known_typologies: Collection[str] | None = None
) -> pd.DataFrame:
    """Read an overrides CSV (``building_id`` + any of :data:`OVERRIDE_COLUMNS`) and check it.

    ``known_typologies`` defaults to the bundled typology table's keys.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileNotFound(f"{path}: overrides file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise InputError(
            f"{path}: the overrides file is empty; expected a header with building_id"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the overrides file: {exc}") from exc
    df.columns = [c.strip() for c in df.columns]
    return check_overrides(df, where=str(path), first_line=2, known_typologies=known_typologies)


def check_overrides(
    overrides: pd.DataFrame,
    *,
    where: str = "overrides",
    first_line: int = 0,
    known_typologies: Collection[str] | None = None,
) -> pd.DataFrame:
    """Validate an overrides table; return a clean copy (numbers as float, blanks as NaN/None).

    ``first_line`` is the file line of the first data row, for messages
    (0: report table row positions instead).
    """
    if "building_id" not in overrides.columns:
        raise InputError(f"{where}: needs a 'building_id' column")
    unknown = [c for c in overrides.columns if c != "building_id" and c not in OVERRIDE_COLUMNS]
    if unknown:
        raise InputError(
            f"{where}: unknown column(s) {', '.join(unknown)}; allowed: building_id, "
            + ", ".join(OVERRIDE_COLUMNS)
        )
    out = overrides.reset_index(drop=True).copy()

    def row_name(i: int) -> str:
        return f"line {i + first_line}" if first_line else f"row {i}"

    ids = out["building_id"].astype("string").str.strip()
    blank = ids.isna() | (ids == "")
    if blank.any():
        raise InputError(f"{where}: {row_name(int(np.flatnonzero(blank)[0]))}: empty building_id")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{where}: building_id {dup.iloc[0]!r} appears more than once")
    out["building_id"] = ids.astype(object)
    for col in _NUMERIC:
        if col not in out.columns:
            continue
        raw = out[col]
        text = raw.astype("string").str.strip()
        num = pd.to_numeric(text.mask(text == ""), errors="coerce").astype(np.float64)
        bad = (num.isna() & text.notna() & (text != "")).to_numpy() | (num < 0).to_numpy()
        bad |= np.isinf(num.to_numpy())
        if col != "heated_area_m2":
            bad |= (num == 0).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            need = "a number >= 0" if col == "heated_area_m2" else "a positive number"
            raise InputError(f"{where}: {row_name(i)}, column {col}: {raw.iloc[i]!r} is not {need}")
        out[col] = num
    if "typology" in out.columns:
        typ = out["typology"].astype("string").str.strip()
        typ = typ.mask(typ == "")
        known = set(load_typologies().index if known_typologies is None else known_typologies)
        bad_typ = typ.notna() & ~typ.isin(known)
        if bad_typ.any():
            i = int(np.flatnonzero(bad_typ.to_numpy(dtype=bool))[0])
            raise InputError(
                f"{where}: {row_name(i)}: unknown typology {typ.iloc[i]!r}; known: {', '.join(sorted(known))}"
            )
        values = typ.to_numpy(dtype=object)
        values[~typ.notna().to_numpy(dtype=bool)] = None
        out["typology"] = pd.Series(values, index=typ.index, dtype=object)
    return out


def apply_overrides(
    buildings: pd.DataFrame,
    overrides: pd.DataFrame,
    *,
    known_typologies: Collection[str] | None = None,
) -> pd.DataFrame:
    """Write a user's known values into a copy of ``buildings`` (see the module docstring).

    Unknown building ids or columns are an :class:`InputError` naming them.
    Only the overridden cells change; demand columns computed earlier are
    dropped, so the result must go through ``compute_demand`` again.
    """
    if "building_id" not in buildings.columns:
        raise InputError("buildings: column 'building_id' is needed to apply overrides")
    ov = check_overrides(overrides, known_typologies=known_typologies)
    ids = buildings["building_id"].astype(str)
    pos = pd.Index(ids).get_indexer(pd.Index(ov["building_id"]))
    if (pos < 0).any():
        missing = ov["building_id"][pos < 0].tolist()
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise InputError(
            f"overrides: {len(missing)} building_id(s) not among the buildings: {shown}"
        )
    out = buildings.drop(columns=[c for c in COMPUTED_COLUMNS if c in buildings.columns])
    if "typology" in ov.columns:
        if "typology" not in out.columns:
            out["typology"] = pd.Series(None, index=out.index, dtype=object)
        if "typology_source" not in out.columns:
            out["typology_source"] = pd.Series(None, index=out.index, dtype=object)
        out["typology"] = out["typology"].astype(object)
        out["typology_source"] = out["typology_source"].astype(object)
        given = ov["typology"].notna().to_numpy()
        rows = out.index[pos[given]]
        out.loc[rows, "typology"] = ov["typology"].to_numpy()[given]
        out.loc[rows, "typology_source"] = "override"
    for col in _NUMERIC:
        if col not in ov.columns:
            continue
        target = GIVEN_COLUMNS.get(col, col)
        if target not in out.columns:
            out[target] = np.nan
        out[target] = pd.to_numeric(out[target], errors="coerce").astype(np.float64)
        given = ov[col].notna().to_numpy()
        out.loc[out.index[pos[given]], target] = ov[col].to_numpy()[given]
    return out
