"""Building typologies: the bundled table and the rules that assign one to each building.

The table (``data/typologies.csv``) holds one row per typology with central
values of the ranges in ``reference/kharkiv-figures.md`` §2 and a ``source``
on every row. The rules map the importer's ``use``, storeys, year of
construction and (tagged) floor height to a typology, vectorised.

Residential rules, first match wins:

1. ``year_built >= 2000`` -> ``post2000``;
2. ``year_built < 1958`` -> ``stalinka`` (pre-war and Stalin era; mass
   panel/brick housing started with the 1957 decree, §2.1 "1957–1970");
3. year unknown, height *and* storeys tagged, floor-to-floor height
   >= 3.3 m and <= 10 storeys -> ``stalinka`` (§2.4: 3.3–4.2 m stalinka,
   ≈ 2.8 m panel);
4. 1–3 storeys -> ``khrushchyovka_brick`` (small brick walk-ups; no panel
   series this low);
5. 4–5 storeys -> ``khrushchyovka_panel``. Panel or brick is not in OSM;
   both have the same specific demand in §2.1, they differ only in heat
   capacity, and panel (τ 30 h vs 45 h) is the conservative choice for
   outage planning. Correct it per building with an overrides file;
6. 6–10 storeys -> ``panel_9``; 11 and more -> ``panel_16``.

Other uses map one-to-one (``office`` and ``commercial`` share
``office_commercial``; ``other`` (no evidence) -> ``office_commercial``, heated,
with ``typology_source`` ``use_other_assumed``; the ``unknown`` typology, not
heated, is only reached through an overrides file).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from teplo.errors import InputError, InputFileNotFound

#: Columns every typology table must have (numbers in the units of their suffix).
TYPOLOGY_COLUMNS: tuple[str, ...] = (
    "typology",
    "label",
    "heated",
    "residential",
    "space_heat_kwh_m2a",
    "space_heat_kwh_m2a_min",
    "space_heat_kwh_m2a_max",
    "design_w_m2_min",
    "design_w_m2_max",
    "dhw_kwh_m2a",
    "internal_gains_w_m2",
    "m2_per_resident",
    "c_m_wh_m2k",
    "tau_h_ref",
    "tau_h_min",
    "tau_h_max",
    "floor_height_m",
    "priority",
    "source",
)
_NUMERIC = TYPOLOGY_COLUMNS[4:17]
PRIORITIES = ("hospital", "school", "kindergarten", "shelter", "residential", "other")

#: Non-residential ``use`` -> typology (the importer's vocabulary, schema.BUILDINGS_IMPORTED).
USE_TYPOLOGY: dict[str, str] = {
    "school": "school",
    "kindergarten": "kindergarten",
    "hospital": "hospital",
    "office": "office_commercial",
    "commercial": "office_commercial",
    "public": "public",
    "industrial": "industrial",
    "garage": "garage",
    "shed": "shed",
    # No evidence either way: planners size for the building being heated (an over-estimate
    # is found at commissioning; an under-estimate leaves people cold). typology_source says
    # "use_other_assumed" so the report and an overrides file can correct it.
    "other": "office_commercial",
}
USES: tuple[str, ...] = ("residential", *USE_TYPOLOGY)

# Rule thresholds, sources in the module docstring.
POST2000_FROM_YEAR = 2000
STALINKA_BEFORE_YEAR = 1958
STALINKA_MIN_FLOOR_HEIGHT_M = 3.3  # §2.4 stalinka floor-to-floor 3.3–4.2 m
STALINKA_MAX_STOREYS = 10


def load_typologies(path: str | Path | None = None) -> pd.DataFrame:
    """The typology table indexed by ``typology`` (bundled, or a user's CSV of the same columns)."""
    if path is None:
        return _bundled_typologies().copy()
    return _read_typologies(Path(path))


@lru_cache(maxsize=1)
def _bundled_typologies() -> pd.DataFrame:
    ref = resources.files("teplo") / "data" / "typologies.csv"
    with resources.as_file(ref) as p:
        return _read_typologies(p)


def _read_typologies(path: Path) -> pd.DataFrame:
    """Read and check a typology CSV; errors name the file, row and column."""
    if not path.is_file():
        raise InputFileNotFound(f"{path}: typology table not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the typology table: {exc}") from exc
    missing = [c for c in TYPOLOGY_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: typology table lacks column(s) {', '.join(missing)}")
    dup = df["typology"][df["typology"].duplicated()]
    if len(dup):
        raise InputError(f"{path}: typology {dup.iloc[0]!r} appears more than once")
    for col in ("heated", "residential"):
        val = df[col].str.strip().str.lower()
        bad = ~val.isin(["true", "false"])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: row {i + 2}, column {col}: {df[col].iloc[i]!r} is not true/false"
            )
        df[col] = val == "true"
    for col in _NUMERIC:
        num = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
        bad = num.isna() & (df[col] != "")
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: row {i + 2}, column {col}: {df[col].iloc[i]!r} is not a number"
            )
        df[col] = num.astype(np.float64)
    bad_prio = ~df["priority"].isin(PRIORITIES)
    if bad_prio.any():
        i = int(np.flatnonzero(bad_prio)[0])
        raise InputError(
            f"{path}: row {i + 2}: priority {df['priority'].iloc[i]!r} not one of {', '.join(PRIORITIES)}"
        )
    no_source = df["source"].str.strip() == ""
    if no_source.any():
        raise InputError(
            f"{path}: row {int(np.flatnonzero(no_source)[0]) + 2}: every typology needs a source"
        )
    heated = df["heated"].to_numpy(dtype=bool)
    needed = ["space_heat_kwh_m2a", "dhw_kwh_m2a", "internal_gains_w_m2", "c_m_wh_m2k"]
    holes = heated & df[needed].isna().any(axis=1).to_numpy()
    holes |= (
        heated & df["residential"].to_numpy(dtype=bool) & df["m2_per_resident"].isna().to_numpy()
    )
    if holes.any():
        i = int(np.flatnonzero(holes)[0])
        raise InputError(
            f"{path}: row {i + 2}: a heated typology needs {', '.join(needed)} (and m2_per_resident if residential)"
        )
    return df.set_index("typology", drop=False)


def assign_typology(buildings: pd.DataFrame) -> pd.Series:
    """Typology key per building from use, storeys, year_built and tagged height (vectorised)."""
    typology, _ = assign_typology_with_source(buildings)
    return typology


def assign_typology_with_source(buildings: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Typology per building and the rule that chose it (use, year_built, floor_height, storeys)."""
    for col in ("use", "storeys"):
        if col not in buildings.columns:
            raise InputError(f"buildings: column {col!r} is needed to assign typologies")
    use = buildings["use"].astype("string").str.strip().str.lower().fillna("")
    unknown = sorted(set(use.unique()) - set(USES))
    if unknown:
        raise InputError(
            f"buildings: unknown use value(s) {', '.join(map(repr, unknown))}; "
            f"expected one of {', '.join(USES)}"
        )
    storeys = pd.to_numeric(buildings["storeys"], errors="coerce").to_numpy(dtype=np.float64)
    year = (
        pd.to_numeric(buildings["year_built"], errors="coerce").to_numpy(dtype=np.float64)
        if "year_built" in buildings.columns
        else np.full(len(buildings), np.nan)
    )
    floor_h = _tagged_floor_height(buildings, storeys)
    res = (use == "residential").to_numpy()
    known_year = ~np.isnan(year)
    with np.errstate(invalid="ignore"):
        conditions = [
            res & known_year & (year >= POST2000_FROM_YEAR),
            res & known_year & (year < STALINKA_BEFORE_YEAR),
            res
            & ~known_year
            & (floor_h >= STALINKA_MIN_FLOOR_HEIGHT_M)
            & (storeys <= STALINKA_MAX_STOREYS),
            res & (storeys <= 3),
            res & (storeys <= 5),
            res & (storeys <= 10),
            res,
        ]
    choices = [
        "post2000",
        "stalinka",
        "stalinka",
        "khrushchyovka_brick",
        "khrushchyovka_panel",
        "panel_9",
        "panel_16",
    ]
    sources = [
        "year_built",
        "year_built",
        "floor_height",
        "storeys",
        "storeys",
        "storeys",
        "storeys",
    ]
    other = use.map(USE_TYPOLOGY).fillna("unknown").to_numpy(dtype=object)
    typ = np.select(conditions, choices, default=other)
    src = np.select(conditions, sources, default="use")
    src = np.where((use.to_numpy(dtype=object) == "other") & (src == "use"), "use_other_assumed", src)
    return (
        pd.Series(typ, index=buildings.index, name="typology", dtype=object),
        pd.Series(src, index=buildings.index, name="typology_source", dtype=object),
    )


def _tagged_floor_height(buildings: pd.DataFrame, storeys: np.ndarray) -> np.ndarray:
    """Height ÷ storeys where both were read from the data (not defaulted), else NaN."""
    n = len(buildings)
    if "height_m" not in buildings.columns:
        return np.full(n, np.nan)
    height = pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(dtype=np.float64)
    tagged = np.ones(n, dtype=bool)
    if "defaulted" in buildings.columns:
        fields = buildings["defaulted"].astype("string").fillna("").str.replace(" ", "")
        padded = "," + fields + ","
        tagged = ~(padded.str.contains(",height_m,") | padded.str.contains(",storeys,")).to_numpy(
            dtype=bool
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        fh = np.where(tagged & (storeys > 0), height / storeys, np.nan)
    return fh
