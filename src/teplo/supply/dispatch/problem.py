"""From the input tables to one array bundle per district (the "pit").

Units are converted once here: kW → MW, kWh → MWh, UAH → EUR, per-day losses
→ per-hour retention. Identical modules of a district are grouped so the
model carries one integer "modules on" count per group and hour instead of one
binary per module (exact for identical modules, and free of symmetry).
Every check raises :class:`~teplo.errors.InputError` naming the unit or district.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from teplo.errors import InputError
from teplo.supply.dispatch.prices import (
    GAS_CLASSES,
    electricity_price_eur_mwh,
    fuel_curve_segments,
    gas_price_eur_per_mwh,
)
from teplo.supply.dispatch.settings import DispatchSettings
from teplo.supply.dispatch.tables import COMMON_DEFAULTS, DISPATCH_UNITS, KINDS, UNIT_DEFAULTS

#: Columns that make two modules identical (and so groupable).
_GROUP_KEY = (
    "kind",
    "heat_kw",
    "power_kw",
    "eff_th",
    "eff_el",
    "eff_el_50",
    "eff_el_75",
    "min_load",
    "start_cost_eur",
    "var_om_eur_mwh",
    "min_up_h",
    "min_down_h",
    "gas_class",
)
_FLOAT_COLUMNS = tuple(c.name for c in DISPATCH_UNITS.columns if c.dtype in ("float", "int"))


@dataclass(frozen=True)
class Groups:
    """Producing modules of one district, grouped; arrays have one entry per group (MW, EUR)."""

    name: tuple[str, ...]
    kind: np.ndarray  # 'chp' | 'bmk'
    count: np.ndarray  # modules in the group
    heat_max_mw: np.ndarray  # rated heat per module [MW]
    min_load: np.ndarray  # fraction of rated heat when on [-]
    power_per_heat: np.ndarray  # electricity per heat [MW_el/MW_th]
    fuel_per_heat: np.ndarray  # fuel per heat at rated load, 1/eff_th [MW/MW]
    gas_price_eur_mwh: np.ndarray  # [EUR/MWh fuel]
    om_eur_per_mwh_heat: np.ndarray  # variable O&M per heat [EUR/MWh_th]
    start_cost_eur: np.ndarray  # per start [EUR]
    min_up_h: np.ndarray  # [h]
    min_down_h: np.ndarray  # [h]
    committed: np.ndarray  # bool: has an on/off decision
    has_curve: np.ndarray  # bool: part-load fuel curve
    curve_a: np.ndarray  # (group, segment) fuel per rated heat when on [MW/MW]
    curve_b: np.ndarray  # (group, segment) fuel per heat [MW/MW]
    members: tuple[np.ndarray, ...]  # positions of each group's modules in DistrictProblem.units

    def __len__(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class Stores:
    """Heat stores of one district (MW, MWh)."""

    name: tuple[str, ...]
    power_mw: np.ndarray  # max charge and discharge [MW]
    energy_mwh: np.ndarray  # capacity [MWh]
    retention_per_h: np.ndarray  # share of content kept after one hour [-]
    members: np.ndarray  # positions in DistrictProblem.units

    def __len__(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class DistrictProblem:
    """Everything the dispatch of one district needs, as arrays (time axis first)."""

    district_id: str
    hours: pd.DatetimeIndex
    demand_mw: np.ndarray  # consumer demand [MW]
    losses_mw: np.ndarray  # network losses [MW]
    temps_c: np.ndarray  # outdoor temperature [degC]
    power_price_eur_mwh: np.ndarray  # value of electricity [EUR/MWh]
    units: pd.DataFrame  # normalised unit rows of the district (defaults filled)
    groups: Groups
    stores: Stores
    penalty_eur_mwh: float
    integer: bool
    initially_on: bool
    initial_soc: float
    final_soc_at_least_initial: bool

    @property
    def n_hours(self) -> int:
        """Number of hours."""
        return len(self.hours)

    def window(self, start: int, stop: int) -> DistrictProblem:
        """The same district restricted to hours ``start:stop``."""
        sl = slice(start, stop)
        return replace(
            self,
            hours=self.hours[sl],
            demand_mw=self.demand_mw[sl],
            losses_mw=self.losses_mw[sl],
            temps_c=self.temps_c[sl],
            power_price_eur_mwh=self.power_price_eur_mwh[sl],
        )


# --------------------------------------------------------------------------- units


def _where(row: pd.Series) -> str:
    return f"unit '{row['unit_id']}' (district '{row['district_id']}')"


def normalise_units(units: pd.DataFrame) -> pd.DataFrame:
    """Check the units table and fill the optional columns with their defaults by kind.

    Raises :class:`InputError` naming the unit and district at fault.
    """
    if not isinstance(units, pd.DataFrame):
        raise InputError(f"units: expected a DataFrame, got {type(units).__name__}")
    missing = [c for c in DISPATCH_UNITS.required if c not in units.columns]
    if missing:
        raise InputError(f"units table lacks required column(s) {', '.join(missing)}")
    unknown = [c for c in units.columns if c not in {c.name for c in DISPATCH_UNITS.columns}]
    df = units.drop(columns=unknown).copy().reset_index(drop=True)
    df["unit_id"] = df["unit_id"].astype(str)
    df["district_id"] = df["district_id"].astype(str)
    df["kind"] = df["kind"].astype(str).str.lower().str.strip()
    dup = df["unit_id"][df["unit_id"].duplicated()]
    if len(dup):
        raise InputError(f"units: unit_id '{dup.iloc[0]}' appears more than once; ids must be unique")
    bad_kind = df[~df["kind"].isin(KINDS)]
    if len(bad_kind):
        row = bad_kind.iloc[0]
        raise InputError(f"{_where(row)}: kind '{row['kind']}' is not one of {', '.join(KINDS)}")
    for col in _FLOAT_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    if "gas_class" not in df.columns:
        df["gas_class"] = ""
    df["gas_class"] = df["gas_class"].fillna("").astype(str).str.lower().str.strip()
    chp = df["kind"] == "chp"
    from_power = chp & df["power_kw"].notna() & df["eff_el"].isna()  # eff_el follows power_kw
    for kind, defaults in UNIT_DEFAULTS.items():
        rows = df["kind"] == kind
        for col, value in {**COMMON_DEFAULTS, **defaults}.items():
            if col == "gas_class":
                empty = rows & (df["gas_class"] == "")
                df.loc[empty, "gas_class"] = str(value)
            else:
                df.loc[rows & df[col].isna(), col] = value
    df.loc[from_power, "eff_el"] = df["power_kw"] / df["heat_kw"] * df["eff_th"]
    derived = chp & df["power_kw"].isna()
    df.loc[derived, "power_kw"] = df["heat_kw"] * df["eff_el"] / df["eff_th"]
    df.loc[~chp, "power_kw"] = 0.0
    for _, row in df.iterrows():
        _check_unit(row)
    return df


def _check_unit(row: pd.Series) -> None:
    """Raise :class:`InputError` if one normalised unit row is not physical."""
    w, kind = _where(row), row["kind"]
    heat = row["heat_kw"]
    if not (math.isfinite(heat) and heat > 0):
        raise InputError(f"{w}: heat_kw must be a positive number of kW, got {heat}")
    if not 0 <= row["min_load"] <= 1:
        raise InputError(f"{w}: min_load must be a fraction in [0, 1], got {row['min_load']}")
    for col in ("start_cost_eur", "var_om_eur_mwh", "min_up_h", "min_down_h", "fixed_om_eur_a"):
        if not row[col] >= 0:
            raise InputError(f"{w}: {col} must be >= 0, got {row[col]}")
    if row["capex_eur"] < 0:
        raise InputError(f"{w}: capex_eur must be >= 0, got {row['capex_eur']}")
    if kind == "storage":
        if not (math.isfinite(row["storage_kwh"]) and row["storage_kwh"] > 0):
            raise InputError(f"{w}: storage needs storage_kwh > 0, got {row['storage_kwh']}")
        if not 0 <= row["storage_loss_per_day"] < 1:
            raise InputError(
                f"{w}: storage_loss_per_day must be a fraction in [0, 1), got {row['storage_loss_per_day']}"
            )
        return
    if not 0 < row["eff_th"] <= 1.1:
        raise InputError(f"{w}: eff_th must be in (0, 1.1], got {row['eff_th']}")
    if row["gas_class"] not in GAS_CLASSES:
        raise InputError(
            f"{w}: gas_class '{row['gas_class']}' is not one of {', '.join(GAS_CLASSES)}"
        )
    if kind == "chp":
        eff_el = row["eff_el"]
        if not 0 < eff_el < 1 or eff_el + row["eff_th"] > 1.1:
            raise InputError(
                f"{w}: eff_el must be in (0, 1) with eff_el + eff_th <= 1.1, got {eff_el} + {row['eff_th']}"
            )
        ratio = row["heat_kw"] * eff_el / row["eff_th"]
        if abs(row["power_kw"] - ratio) > 0.01 * ratio:
            raise InputError(
                f"{w}: power_kw {row['power_kw']:.0f} disagrees with heat_kw·eff_el/eff_th = {ratio:.0f} kW; "
                "give consistent values or leave one of power_kw, eff_el empty"
            )
        for col in ("eff_el_50", "eff_el_75"):
            v = row[col]
            if not math.isnan(v) and not 0 < v < 1:
                raise InputError(f"{w}: {col} must be in (0, 1), got {v}")


def _curve(row: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Fuel-curve segments of a CHP row with part-load points, or None."""
    points = [(f, row[c]) for f, c in ((0.5, "eff_el_50"), (0.75, "eff_el_75")) if not math.isnan(row[c])]
    if row["kind"] != "chp" or not points:
        return None
    loads = np.array([f for f, _ in points] + [1.0])
    effs = np.array([e for _, e in points] + [row["eff_el"]])
    return fuel_curve_segments(loads, effs, float(row["eff_el"]), float(row["eff_th"]))


def build_groups(units: pd.DataFrame, settings: DispatchSettings) -> Groups:
    """Group identical producing modules (rows of ``units``, positions kept)."""
    prod_pos = np.flatnonzero(units["kind"].to_numpy() != "storage")
    if settings.commitment.aggregate_identical:
        keys = units.iloc[prod_pos][list(_GROUP_KEY)].astype(str).agg("|".join, axis=1).to_numpy()
        members = tuple(prod_pos[keys == k] for k in pd.unique(keys))
    else:
        members = tuple(prod_pos[[i]] for i in range(len(prod_pos)))
    first = units.iloc[[int(m[0]) for m in members]] if members else units.iloc[[]]
    prices = gas_price_eur_per_mwh(settings)
    curves = [_curve(row) for _, row in first.iterrows()]
    n_seg = max([len(c[0]) for c in curves if c is not None], default=1)
    curve_a = np.zeros((len(members), n_seg))
    curve_b = np.zeros((len(members), n_seg))
    for i, c in enumerate(curves):
        if c is not None:
            a, b = c
            curve_a[i] = np.pad(a, (0, n_seg - len(a)), mode="edge")
            curve_b[i] = np.pad(b, (0, n_seg - len(b)), mode="edge")
    has_curve = np.array([c is not None for c in curves], dtype=bool)
    kind = first["kind"].to_numpy(dtype=object)
    heat = first["heat_kw"].to_numpy(float) / 1e3
    eff_th = first["eff_th"].to_numpy(float)
    p_per_h = np.where(kind == "chp", first["power_kw"].to_numpy(float) / 1e3 / heat, 0.0)
    var_om = first["var_om_eur_mwh"].to_numpy(float)
    om_heat = np.where(kind == "chp", var_om * p_per_h, var_om)  # CHP O&M is per MWh_el (DEA)
    min_load = first["min_load"].to_numpy(float)
    start = first["start_cost_eur"].to_numpy(float)
    up = first["min_up_h"].to_numpy(float).round().astype(int)
    down = first["min_down_h"].to_numpy(float).round().astype(int)
    committed = (min_load > 0) | (start > 0) | has_curve | (up > 0) | (down > 0)
    names = tuple(
        f"{k}-{units['unit_id'].iloc[int(m[0])]}" + (f"x{len(m)}" if len(m) > 1 else "")
        for k, m in zip(kind, members, strict=True)
    )
    return Groups(
        name=names,
        kind=kind,
        count=np.array([len(m) for m in members], dtype=int),
        heat_max_mw=heat,
        min_load=min_load,
        power_per_heat=p_per_h,
        fuel_per_heat=1.0 / eff_th,
        gas_price_eur_mwh=np.array([prices[g] for g in first["gas_class"]], dtype=float),
        om_eur_per_mwh_heat=om_heat,
        start_cost_eur=start,
        min_up_h=up,
        min_down_h=down,
        committed=committed,
        has_curve=has_curve,
        curve_a=curve_a,
        curve_b=curve_b,
        members=members,
    )


def build_stores(units: pd.DataFrame) -> Stores:
    """Heat stores among ``units`` (positions kept)."""
    pos = np.flatnonzero((units["kind"] == "storage").to_numpy())
    s = units.iloc[pos]
    return Stores(
        name=tuple(s["unit_id"]),
        power_mw=s["heat_kw"].to_numpy(float) / 1e3,
        energy_mwh=s["storage_kwh"].to_numpy(float) / 1e3,
        retention_per_h=(1.0 - s["storage_loss_per_day"].to_numpy(float)) ** (1.0 / 24.0),
        members=pos,
    )


# --------------------------------------------------------------------------- time series


def check_hourly_frame(frame: pd.DataFrame, name: str) -> pd.DatetimeIndex:
    """Raise :class:`InputError` unless ``frame`` has an hourly DatetimeIndex; return it."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name}: expected a DataFrame of hours x districts, got {type(frame).__name__}")
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex) or len(idx) == 0:
        raise InputError(f"{name}: the index must be a non-empty pandas DatetimeIndex of hours")
    if len(idx) > 1:
        step = np.diff(idx.to_numpy(dtype="datetime64[ns]").astype(np.int64))
        if not np.all(step == 3_600 * 10**9):
            bad = int(np.flatnonzero(step != 3_600 * 10**9)[0])
            raise InputError(
                f"{name}: hours must be consecutive and 1 h apart; the gap after {idx[bad]} is "
                f"{pd.Timedelta(int(step[bad]))}"
            )
    return idx


def _check_values(values: np.ndarray, hours: pd.DatetimeIndex, what: str) -> None:
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what}: value {values[i]} at {hours[i]} is missing or negative")


def _series_for(
    data: pd.Series | pd.DataFrame, district: str, hours: pd.DatetimeIndex, name: str
) -> np.ndarray:
    """Hourly values of ``data`` (a city-wide Series or a per-district DataFrame) for a district."""
    if isinstance(data, pd.DataFrame):
        if district not in data.columns:
            raise InputError(f"{name}: no column for district '{district}'")
        s = data[district]
    else:
        s = data
    s = s.reindex(hours)
    if s.isna().any():
        first = hours[s.isna().to_numpy()][0]
        raise InputError(f"{name}: no value for district '{district}' at {first}")
    return s.to_numpy(dtype=float)


def build_problems(
    units: pd.DataFrame,
    demand_kw: pd.DataFrame,
    temps_c: pd.Series | pd.DataFrame,
    settings: DispatchSettings,
    *,
    losses_kw: pd.DataFrame | pd.Series | None = None,
    power_price_uah_mwh: pd.Series | None = None,
) -> list[DistrictProblem]:
    """One :class:`DistrictProblem` per demand column, in column order."""
    hours = check_hourly_frame(demand_kw, "demand_kw")
    table = normalise_units(units)
    districts = [str(c) for c in demand_kw.columns]
    if len(set(districts)) != len(districts):
        raise InputError("demand_kw: district columns must be unique")
    stray = sorted(set(table["district_id"]) - set(districts))
    if stray:
        unit = table.loc[table["district_id"] == stray[0], "unit_id"].iloc[0]
        raise InputError(
            f"unit '{unit}' is in district '{stray[0]}', which has no column in demand_kw"
        )
    price = electricity_price_eur_mwh(hours, settings, power_price_uah_mwh)
    problems = []
    for col, district in zip(demand_kw.columns, districts, strict=True):
        demand = demand_kw[col].to_numpy(dtype=float)
        _check_values(demand, hours, f"demand_kw, district '{district}'")
        if losses_kw is None:
            losses = demand * settings.network_loss_fraction
        elif isinstance(losses_kw, pd.DataFrame):
            losses = _series_for(losses_kw, district, hours, "losses_kw")
        else:
            if district not in losses_kw.index:
                raise InputError(f"losses_kw: no value for district '{district}'")
            losses = np.full(len(hours), float(losses_kw[district]))
        _check_values(losses, hours, f"losses_kw, district '{district}'")
        temps = _series_for(temps_c, district, hours, "temps_c")
        rows = table[table["district_id"] == district].reset_index(drop=True)
        if (rows["kind"] != "storage").sum() == 0 and (demand + losses).max() > 0:
            raise InputError(
                f"district '{district}' has heat demand but no CHP or boiler units; "
                "add units for it or drop its demand column"
            )
        problems.append(
            DistrictProblem(
                district_id=district,
                hours=hours,
                demand_mw=demand / 1e3,
                losses_mw=losses / 1e3,
                temps_c=temps,
                power_price_eur_mwh=price,
                units=rows,
                groups=build_groups(rows, settings),
                stores=build_stores(rows),
                penalty_eur_mwh=settings.economics.unserved_penalty_eur_mwh,
                integer=settings.commitment.mode == "integer",
                initially_on=settings.commitment.initially_on,
                initial_soc=settings.storage.initial_soc,
                final_soc_at_least_initial=settings.storage.final_soc_at_least_initial,
            )
        )
    return problems
