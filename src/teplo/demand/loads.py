"""Per-building heat demand: heat-loss coefficient, design load, annual energy, residents, priority.

The model (``reference/kharkiv-figures.md`` §2; every number in the typology
table has its source):

- heated area A = footprint × storeys × 0.75 (§2.4), unless given;
- heat-loss coefficient H = q·A / (HDD_ref·24) with q the typology's specific
  annual space-heat demand (kWh/m²·a) and HDD_ref the climate's reference
  degree-days (3 780 K·d for Kharkiv): the §2.1 derivation, which puts the
  design W/m² of each typology inside its §2.1 range;
- design load = H·(t_in − t_design) + mean DHW load. The DHW allowance is the
  *mean* load because DHW peaks are short and buffered (storage, network
  inertia) and are spread over many flats; §2.3 puts the mean DHW load at
  ≈ 8–12 % of the design space load, which sizing must include;
- space heat in the climate's year = Σ_h H·max(0, t_bal − t_h) over the hours
  with heating (see :mod:`teplo.demand.profiles`), t_bal = t_in − gains/H with
  internal gains from the typology (≈ 4 W/m², §2.6). The §2.1 derivation of H
  ignores gains, so the modelled space heat in the reference climate is below
  q by the utilised gains (≈ 17 kWh/m²·a over 180 days, 8–12 % for Soviet
  stock). Calibrate with metered values (overrides) where known;
- DHW per year = typology DHW (kWh/m²·a) × A, the same every day;
- residents = residential heated area / 20.6 m² (§2.4);
- τ = C_m·A / H with C_m from the DSTU 9190 class of the typology (§2.6).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from teplo.climate import HOURS_PER_YEAR, Climate
from teplo.demand.overrides import GIVEN_COLUMNS, apply_overrides
from teplo.demand.profiles import degree_hours
from teplo.demand.typology import assign_typology_with_source, load_typologies
from teplo.errors import InputError, TeploWarning

#: Heated (total) floor area ÷ (footprint × storeys), §2.4: ≈ 0.75 (0.7–0.8) [E].
HEATED_AREA_RATIO = 0.75

#: OSM amenity values that raise a building's priority (DESIGN: who is a priority).
HOSPITAL_AMENITIES = frozenset({"hospital", "clinic", "doctors"})
SCHOOL_AMENITIES = frozenset({"school"})
KINDERGARTEN_AMENITIES = frozenset({"kindergarten", "childcare"})
SHELTER_AMENITIES = frozenset({"shelter", "social_facility"})

_REQUIRED = ("building_id", "use", "storeys", "footprint_m2")


def compute_demand(
    buildings: gpd.GeoDataFrame,
    climate: Climate,
    overrides: pd.DataFrame | None = None,
    *,
    typologies: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """A copy of ``buildings`` with the demand columns (schema.DEMAND_COLUMNS) added.

    ``overrides`` (see :mod:`teplo.demand.overrides`) take precedence over the
    model; so do non-empty ``typology`` and ``heated_area_m2`` columns already
    in ``buildings``. ``typologies`` replaces the bundled typology table.
    Non-heated typologies get zero loads and energy (τ and balance
    temperature undefined: NaN).
    """
    _check_buildings(buildings)
    table = (
        load_typologies() if typologies is None else typologies.set_index("typology", drop=False)
    )
    out = (
        buildings.copy()
        if overrides is None
        else apply_overrides(buildings, overrides, known_typologies=table.index)
    )
    n = len(out)

    typ, typ_src = _typology(out, table)
    out["typology"] = typ.to_numpy()
    out["typology_source"] = typ_src.to_numpy()
    t = table.loc[typ.to_numpy()]

    def col(name: str) -> np.ndarray:
        return t[name].to_numpy(dtype=np.float64)

    heated = t["heated"].to_numpy(dtype=bool)
    residential = t["residential"].to_numpy(dtype=bool)
    area = _heated_area(out)

    q = np.where(heated, col("space_heat_kwh_m2a"), 0.0)
    h_w_k = q * area * 1000.0 / (climate.reference_degree_days_kd * 24.0)
    gains_w = np.where(heated, col("internal_gains_w_m2"), 0.0) * area
    dhw_mwh = np.where(heated, col("dhw_kwh_m2a"), 0.0) * area / 1000.0
    has_h = h_w_k > 0
    safe_h = np.where(has_h, h_w_k, 1.0)
    # Time constant by typology from kharkiv-figures §2.6 (issue: "a time constant by
    # typology"); C = tau * H. Where §2.6 gives none (non-residential), C from the DSTU 9190
    # heat-capacity class (c_m_wh_m2k) and tau = C / H.
    tau_ref = col("tau_h_ref")
    c_m_wh_k = np.where(
        np.isfinite(tau_ref) & has_h,
        tau_ref * safe_h,
        np.where(heated, col("c_m_wh_m2k"), 0.0) * area,
    )
    balance_c = np.where(has_h, climate.indoor_temp_c - gains_w / safe_h, np.nan)
    temps = climate.hourly_temp_c.to_numpy(dtype=np.float64)[climate.hourly_heating_mask]
    colder = float(temps.min()) - 1.0 if temps.size else 0.0  # placeholder: no degree-hours
    dh = degree_hours(temps, np.where(has_h, balance_c, colder)) / climate.n_years
    space_mwh = np.where(has_h, h_w_k * dh / 1e6, 0.0)
    dhw_mean_kw = dhw_mwh * 1000.0 / HOURS_PER_YEAR
    design_kw = h_w_k * climate.design_delta_k / 1000.0 + dhw_mean_kw

    m2_per_res = np.where(residential & heated, col("m2_per_resident"), np.nan)
    residents = np.where(
        residential & heated, area / np.where(np.isnan(m2_per_res), 1.0, m2_per_res), 0.0
    )

    demand = pd.DataFrame(
        {
            "heated_area_m2": area,
            "h_w_k": h_w_k,
            "design_load_kw": design_kw,
            "space_heat_mwh": space_mwh,
            "dhw_mwh": dhw_mwh,
            "annual_heat_mwh": space_mwh + dhw_mwh,
            "residents": residents,
            "priority": _priority(out, t["priority"].to_numpy(dtype=object)),
            "heated": heated,
            "tau_h": np.where(has_h, c_m_wh_k / safe_h, np.nan),
            "dhw_mean_kw": dhw_mean_kw,
            "internal_gains_kw": gains_w / 1000.0,
            "balance_temp_c": balance_c,
            "c_m_wh_k": c_m_wh_k,
            "demand_source": np.full(n, "model", dtype=object),
        },
        index=out.index,
    )
    _apply_given(out, demand)
    for name in demand.columns:
        out[name] = demand[name]
    n_unknown = int((typ == "unknown").sum())
    if n_unknown:
        warnings.warn(
            TeploWarning(
                f"{n_unknown} building(s) of use 'other' have typology 'unknown' and no heat demand; "
                "give their typology in an overrides file if they are heated"
            ),
            stacklevel=2,
        )
    return out


def _check_buildings(buildings: pd.DataFrame) -> None:
    """Required columns present, ids unique, storeys and footprint usable."""
    missing = [c for c in _REQUIRED if c not in buildings.columns]
    if missing:
        raise InputError(f"buildings: missing column(s) {', '.join(missing)} needed for demand")
    ids = buildings["building_id"].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"buildings: building_id {dup.iloc[0]!r} appears more than once")
    for name, minimum in (("storeys", 1.0), ("footprint_m2", 0.0)):
        v = pd.to_numeric(buildings[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(v) | (v < minimum)
        if bad.any():
            shown = ", ".join(ids[bad].tolist()[:5])
            raise InputError(
                f"buildings: column {name} must be a number >= {minimum:g}; "
                f"{int(bad.sum())} bad row(s), e.g. building_id {shown}"
            )


def _typology(out: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Rule-based typology, replaced by given values where the column holds them."""
    typ, src = assign_typology_with_source(out)
    if "typology" in out.columns:
        given = out["typology"].notna() & (out["typology"].astype(str).str.strip() != "")
        if given.any():
            typ = typ.where(~given, out["typology"].astype(str).str.strip())
            given_src = (
                out["typology_source"].where(out["typology_source"].notna(), "given")
                if "typology_source" in out.columns
                else pd.Series("given", index=out.index)
            )
            src = src.where(~given, given_src)
    unknown = sorted(set(typ.unique()) - set(table.index))
    if unknown:
        raise InputError(
            f"buildings: typology value(s) {', '.join(map(repr, unknown))} not in the typology table "
            f"({', '.join(table.index)})"
        )
    return typ, src


def _heated_area(out: pd.DataFrame) -> np.ndarray:
    """Given heated area where present, else footprint × storeys × 0.75 (§2.4)."""
    default = (
        pd.to_numeric(out["footprint_m2"]).to_numpy(dtype=np.float64)
        * pd.to_numeric(out["storeys"]).to_numpy(dtype=np.float64)
        * HEATED_AREA_RATIO
    )
    if "heated_area_m2" not in out.columns:
        return default
    given = pd.to_numeric(out["heated_area_m2"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isfinite(given) & (given < 0)
    if bad.any():
        raise InputError(
            f"buildings: heated_area_m2 must be >= 0, e.g. building_id {out['building_id'].astype(str)[bad].iloc[0]}"
        )
    return np.where(np.isfinite(given), given, default)


def _priority(out: pd.DataFrame, typology_priority: np.ndarray) -> np.ndarray:
    """Priority class: hospital > school > kindergarten > shelter > residential > other."""
    if "amenity" in out.columns:
        amenity = (
            out["amenity"]
            .astype("string")
            .str.strip()
            .str.lower()
            .fillna("")
            .to_numpy(dtype=object)
        )
    else:
        amenity = np.full(len(out), "", dtype=object)
    tp = typology_priority
    conditions = [
        (tp == "hospital") | np.isin(amenity, list(HOSPITAL_AMENITIES)),
        (tp == "school") | np.isin(amenity, list(SCHOOL_AMENITIES)),
        (tp == "kindergarten") | np.isin(amenity, list(KINDERGARTEN_AMENITIES)),
        np.isin(amenity, list(SHELTER_AMENITIES)),
        tp == "residential",
    ]
    choices = ["hospital", "school", "kindergarten", "shelter", "residential"]
    return np.select(conditions, choices, default="other").astype(object)


def _apply_given(out: pd.DataFrame, d: pd.DataFrame) -> None:
    """Scale the heat balance of buildings with metered annual heat or a given design load (in place)."""
    ids = out["building_id"].astype(str)
    annual = _given(out, GIVEN_COLUMNS["annual_heat_mwh"])
    design = _given(out, GIVEN_COLUMNS["design_load_kw"])
    has_a = np.isfinite(annual)
    has_d = np.isfinite(design)
    model_annual = d["annual_heat_mwh"].to_numpy()
    model_design = d["design_load_kw"].to_numpy()
    for label, has, model in (
        ("annual_heat_mwh", has_a, model_annual),
        ("design_load_kw", has_d, model_design),
    ):
        bad = has & ~(model > 0)
        if bad.any():
            raise InputError(
                f"overrides: {label} given for {int(bad.sum())} building(s) whose typology is not heated "
                f"(e.g. {ids[bad].iloc[0]}, typology {out['typology'][bad].iloc[0]}); give a heated typology too"
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(has_a, annual / model_annual, np.where(has_d, design / model_design, 1.0))
    scaled = has_a | has_d
    if not scaled.any():
        return
    for name in (
        "h_w_k",
        "space_heat_mwh",
        "dhw_mwh",
        "annual_heat_mwh",
        "dhw_mean_kw",
        "internal_gains_kw",
        "design_load_kw",
    ):
        d[name] = np.where(scaled, d[name].to_numpy() * k, d[name].to_numpy())
    d["tau_h"] = np.where(scaled, d["tau_h"].to_numpy() / k, d["tau_h"].to_numpy())
    d["design_load_kw"] = np.where(has_a & has_d, design, d["design_load_kw"].to_numpy())
    src = np.select(
        [has_a & has_d, has_a, has_d],
        ["metered+design_given", "metered", "design_given"],
        default="model",
    )
    d["demand_source"] = src.astype(object)


def _given(out: pd.DataFrame, name: str) -> np.ndarray:
    """A given-value column as float (NaN where absent)."""
    if name not in out.columns:
        return np.full(len(out), np.nan)
    return pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=np.float64)
