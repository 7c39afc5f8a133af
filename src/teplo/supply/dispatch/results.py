"""Results of the dispatch: per-unit hourly arrays, daily and season tables, costs, CO₂.

Hourly values stay numpy arrays in :class:`DistrictResult` (hours × units,
kW); tables are built from them on request: ``operation_daily`` (one row per
district and day), ``operation_districts`` (season totals, with a ``city``
row), daily gas against temperature, unserved-heat events and solve stats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teplo.supply.dispatch.prices import annuity_factor, co2_t_per_mwh_fuel
from teplo.supply.dispatch.problem import DistrictProblem
from teplo.supply.dispatch.settings import DispatchSettings
from teplo.supply.dispatch.solve import GroupSolution, SolveStats
from teplo.supply.dispatch.tables import OPERATION_DAILY, OPERATION_DISTRICTS
from teplo.units import MWH_PER_GCAL

HOURS_PER_YEAR = 8_760.0


@dataclass(frozen=True)
class DistrictResult:
    """Hourly operation of one district. Arrays: hours first; kW, kWh, EUR/MWh."""

    district_id: str
    hours: pd.DatetimeIndex
    unit_ids: np.ndarray  # producing units (CHP, BMK)
    unit_kind: np.ndarray
    heat_kw: np.ndarray  # (T, U)
    power_kw: np.ndarray  # (T, U)
    fuel_kw: np.ndarray  # (T, U) gas burnt, kW of fuel
    on: np.ndarray  # (T, U) bool
    starts: np.ndarray  # (T, U) 1 where the unit started
    store_ids: np.ndarray
    charge_kw: np.ndarray  # (T, S)
    discharge_kw: np.ndarray  # (T, S)
    soc_kwh: np.ndarray  # (T, S) after each hour
    demand_kw: np.ndarray  # (T,)
    losses_kw: np.ndarray  # (T,)
    unserved_kw: np.ndarray  # (T,)
    temps_c: np.ndarray  # (T,)
    power_price_eur_mwh: np.ndarray  # (T,)
    gas_price_eur_mwh: np.ndarray  # (U,) per MWh fuel
    om_eur_per_mwh_heat: np.ndarray  # (U,)
    start_cost_eur: np.ndarray  # (U,)
    capex_annual_eur: float  # annualised CAPEX + fixed O&M charged to the period
    fixed_om_eur: float
    stats: SolveStats

    # ------------------------------------------------------------------ hourly money
    @property
    def fuel_cost_eur(self) -> np.ndarray:
        """Gas cost per hour and unit, EUR."""
        return self.fuel_kw / 1e3 * self.gas_price_eur_mwh[None, :]

    @property
    def revenue_eur(self) -> np.ndarray:
        """Value of electricity per hour and unit, EUR."""
        return self.power_kw / 1e3 * self.power_price_eur_mwh[:, None]

    @property
    def var_om_eur(self) -> np.ndarray:
        """Variable O&M per hour and unit, EUR."""
        return self.heat_kw / 1e3 * self.om_eur_per_mwh_heat[None, :]

    @property
    def start_cost_hourly_eur(self) -> np.ndarray:
        """Start-up cost per hour and unit, EUR."""
        return self.starts * self.start_cost_eur[None, :]

    def unit_frame(self, what: str) -> pd.DataFrame:
        """One hourly array (e.g. ``'heat_kw'``) as a DataFrame, hours × unit ids."""
        values = getattr(self, what)
        cols = self.store_ids if what in ("charge_kw", "discharge_kw", "soc_kwh") else self.unit_ids
        return pd.DataFrame(values, index=self.hours, columns=pd.Index(cols, name="unit_id"))


@dataclass(frozen=True)
class OperationResult:
    """Dispatch of every district, with the settings that made it."""

    districts: dict[str, DistrictResult]
    settings: DispatchSettings

    def __getitem__(self, district_id: str) -> DistrictResult:
        return self.districts[district_id]

    @property
    def objective_eur(self) -> float:
        """Sum of the districts' objectives (fuel + O&M + starts − revenue + penalty), EUR."""
        return float(sum(r.stats.objective_eur for r in self.districts.values()))

    def daily(self) -> pd.DataFrame:
        """The ``operation_daily`` table."""
        return operation_daily(self)

    def summary(self) -> pd.DataFrame:
        """The ``operation_districts`` table (season totals, last row ``city``)."""
        return season_summary(self)

    def layers(self) -> dict[str, pd.DataFrame]:
        """The registered output tables, keyed by name, for a :class:`~teplo.study.Study`."""
        return {OPERATION_DAILY.name: self.daily(), OPERATION_DISTRICTS.name: self.summary()}


# --------------------------------------------------------------------------- disaggregation


def _module_status(on: np.ndarray, count: int, before: float) -> np.ndarray:
    """Which of ``count`` identical modules are on each hour, given how many are on.

    Starts the module off longest and stops the one on longest, so a clustered
    schedule that meets min up/down times (``Unit-up-time``, ``Unit-down-time``)
    is met by every module.
    """
    nt = len(on)
    n = np.rint(np.nan_to_num(on)).astype(int)
    status = np.zeros((nt, count), dtype=bool)
    if nt == 0:
        return status
    changes = np.flatnonzero(np.diff(np.concatenate([[round(before)], n])) != 0)
    state = np.zeros(count, dtype=bool)
    state[: round(before)] = True
    since = np.full(count, -(10**6))  # hour of the last switch of each module
    last = 0
    for t in changes.tolist():
        status[last:t] = state
        k = int(n[t] - state.sum())
        if k > 0:
            off = np.flatnonzero(~state)
            pick = off[np.argsort(since[off], kind="stable")[:k]]
        else:
            ons = np.flatnonzero(state)
            pick = ons[np.argsort(since[ons], kind="stable")[: -k]]
        state[pick] = ~state[pick]
        since[pick] = t
        last = t
    status[last:] = state
    return status


def disaggregate(p: DistrictProblem, sol: GroupSolution, settings: DispatchSettings) -> DistrictResult:
    """Per-unit hourly arrays (kW) from a group solution (MW)."""
    g, s, units = p.groups, p.stores, p.units
    prod = np.concatenate(g.members) if len(g) else np.array([], dtype=int)
    order = np.argsort(prod, kind="stable")
    nt, nu = p.n_hours, len(prod)
    heat = np.zeros((nt, nu))
    fuel = np.zeros((nt, nu))
    on = np.zeros((nt, nu), dtype=bool)
    col = 0
    unit_price = np.zeros(nu)
    unit_om = np.zeros(nu)
    unit_start = np.zeros(nu)
    unit_pph = np.zeros(nu)
    for i, members in enumerate(g.members):
        k = len(members)
        cols = slice(col, col + k)
        q = np.clip(sol.heat_mw[:, i], 0.0, None)
        if g.committed[i]:
            n = sol.on[:, i] if p.integer else np.ceil(sol.on[:, i] - 1e-6)
            status = _module_status(n, k, k * float(p.initially_on))
            n_on = status.sum(axis=1)
            share = np.divide(q, n_on, out=np.zeros(nt), where=n_on > 0)
            per = status * share[:, None]
        else:
            per = np.repeat((q / k)[:, None], k, axis=1)
            status = per > 1e-9
        heat[:, cols] = per
        on[:, cols] = status
        if g.has_curve[i]:
            lines = g.curve_a[i][None, None, :] * g.heat_max_mw[i] + g.curve_b[i][None, None, :] * per[:, :, None]
            fuel[:, cols] = np.where(status, lines.max(axis=2), 0.0)
        else:
            fuel[:, cols] = per * g.fuel_per_heat[i]
        unit_price[cols] = g.gas_price_eur_mwh[i]
        unit_om[cols] = g.om_eur_per_mwh_heat[i]
        unit_start[cols] = g.start_cost_eur[i]
        unit_pph[cols] = g.power_per_heat[i]
        col += k
    before = np.full(nu, float(p.initially_on))
    prev = np.vstack([before[None, :], on[:-1]]) if nt else on
    starts = (on & ~prev.astype(bool)).astype(float)
    # restore the units table's row order
    heat, fuel, on, starts = heat[:, order], fuel[:, order], on[:, order], starts[:, order]
    unit_price, unit_om, unit_start, unit_pph = (x[order] for x in (unit_price, unit_om, unit_start, unit_pph))
    prod_sorted = prod[order]
    net = sol.discharge_mw - sol.charge_mw  # tanks have no conversion loss: only the net flow matters
    capex, fixed = _annual_costs(units, settings, nt)
    return DistrictResult(
        district_id=p.district_id,
        hours=p.hours,
        unit_ids=units["unit_id"].to_numpy()[prod_sorted],
        unit_kind=units["kind"].to_numpy()[prod_sorted],
        heat_kw=heat * 1e3,
        power_kw=heat * unit_pph[None, :] * 1e3,
        fuel_kw=fuel * 1e3,
        on=on,
        starts=starts,
        store_ids=np.asarray(s.name, dtype=object),
        charge_kw=np.clip(-net, 0.0, None) * 1e3,
        discharge_kw=np.clip(net, 0.0, None) * 1e3,
        soc_kwh=sol.soc_mwh * 1e3,
        demand_kw=p.demand_mw * 1e3,
        losses_kw=p.losses_mw * 1e3,
        unserved_kw=np.clip(sol.unserved_mw, 0.0, None) * 1e3,
        temps_c=p.temps_c,
        power_price_eur_mwh=p.power_price_eur_mwh,
        gas_price_eur_mwh=unit_price,
        om_eur_per_mwh_heat=unit_om,
        start_cost_eur=unit_start,
        capex_annual_eur=capex,
        fixed_om_eur=fixed,
        stats=sol.stats,
    )


def _annual_costs(units: pd.DataFrame, settings: DispatchSettings, n_hours: int) -> tuple[float, float]:
    """Annualised CAPEX and fixed O&M charged to a period of ``n_hours``, EUR.

    The period is taken as one year's operation (a heating season or a year);
    a period longer than a year is charged per year.
    """
    years = max(n_hours / HOURS_PER_YEAR, 1.0)
    rate = settings.economics.discount_rate
    capex = 0.0
    for cost, life in zip(units["capex_eur"], units["lifetime_a"], strict=True):
        if np.isfinite(cost) and cost > 0:
            capex += cost * annuity_factor(rate, float(life))
    fixed = float(units["fixed_om_eur_a"].fillna(0.0).sum())
    return capex * years, fixed * years


# --------------------------------------------------------------------------- tables


def _gas_m3(fuel_kwh: np.ndarray, settings: DispatchSettings) -> np.ndarray:
    return fuel_kwh / settings.gas.calorific_kwh_per_m3


def operation_daily(result: OperationResult) -> pd.DataFrame:
    """The ``operation_daily`` table: per district and day, heat, gas, power, money, weather.

    Per day ``heat_mwh + storage_net_mwh + unserved_mwh = demand_mwh + losses_mwh``.
    """
    frames = []
    for r in result.districts.values():
        day = r.hours.normalize()
        hourly = pd.DataFrame(
            {
                "heat_mwh": r.heat_kw.sum(axis=1) / 1e3,
                "gas_m3": _gas_m3(r.fuel_kw.sum(axis=1), result.settings),
                "power_mwh": r.power_kw.sum(axis=1) / 1e3,
                "fuel_cost_eur": r.fuel_cost_eur.sum(axis=1),
                "revenue_eur": r.revenue_eur.sum(axis=1),
                "mean_temp_c": r.temps_c,
                "unserved_mwh": r.unserved_kw / 1e3,
                "demand_mwh": r.demand_kw / 1e3,
                "losses_mwh": r.losses_kw / 1e3,
                "storage_net_mwh": (r.discharge_kw - r.charge_kw).sum(axis=1) / 1e3,
                "om_cost_eur": r.var_om_eur.sum(axis=1) + r.start_cost_hourly_eur.sum(axis=1),
            },
            index=day,
        )
        agg = hourly.groupby(level=0, sort=True).agg(
            {c: ("mean" if c == "mean_temp_c" else "sum") for c in hourly.columns}
        )
        agg.insert(0, "date", pd.DatetimeIndex(agg.index).strftime("%Y-%m-%d"))
        agg.insert(0, "district_id", r.district_id)
        frames.append(agg.reset_index(drop=True))
    cols = [c.name for c in OPERATION_DAILY.columns]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def _totals(
    district_id: str,
    hours: pd.DatetimeIndex,
    arrays: dict[str, np.ndarray],
    money: dict[str, float],
    settings: DispatchSettings,
) -> dict[str, object]:
    gas = _gas_m3(arrays["fuel_kw"], settings)
    peak = int(np.argmax(gas)) if len(gas) else 0
    heat_delivered = float(np.clip(arrays["demand_kw"] - arrays["unserved_kw"], 0, None).sum() / 1e3)
    cost = (
        money["fuel"] + money["om"] + money["start"] + money["capex"] - money["revenue"]
    )
    lcoh = cost / heat_delivered if heat_delivered > 0 else float("nan")
    fx = settings.economics.eur_uah
    return {
        "district_id": district_id,
        "heat_mwh": float(arrays["heat_kw"].sum() / 1e3),
        "demand_mwh": float(arrays["demand_kw"].sum() / 1e3),
        "losses_mwh": float(arrays["losses_kw"].sum() / 1e3),
        "unserved_mwh": float(arrays["unserved_kw"].sum() / 1e3),
        "unserved_h": int((arrays["unserved_kw"] > 1e-3).sum()),
        "gas_m3": float(gas.sum()),
        "peak_gas_m3_h": float(gas[peak]) if len(gas) else 0.0,
        "peak_gas_hour": hours[peak].isoformat() if len(gas) else "",
        "power_mwh": float(arrays["power_kw"].sum() / 1e3),
        "fuel_cost_eur": money["fuel"],
        "om_cost_eur": money["om"],
        "start_cost_eur": money["start"],
        "revenue_eur": money["revenue"],
        "capex_annual_eur": money["capex"],
        "co2_t": float(arrays["fuel_kw"].sum() / 1e3 * co2_t_per_mwh_fuel(settings)),
        "lcoh_eur_mwh": lcoh,
        "lcoh_uah_mwh": lcoh * fx,
        "lcoh_eur_gcal": lcoh * MWH_PER_GCAL,
        "lcoh_uah_gcal": lcoh * MWH_PER_GCAL * fx,
    }


def _district_arrays(r: DistrictResult) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    arrays = {
        "heat_kw": r.heat_kw.sum(axis=1),
        "power_kw": r.power_kw.sum(axis=1),
        "fuel_kw": r.fuel_kw.sum(axis=1),
        "demand_kw": r.demand_kw,
        "losses_kw": r.losses_kw,
        "unserved_kw": r.unserved_kw,
    }
    money = {
        "fuel": float(r.fuel_cost_eur.sum()),
        "om": float(r.var_om_eur.sum() + r.fixed_om_eur),
        "start": float(r.start_cost_hourly_eur.sum()),
        "revenue": float(r.revenue_eur.sum()),
        "capex": float(r.capex_annual_eur),
    }
    return arrays, money


def season_summary(result: OperationResult) -> pd.DataFrame:
    """Season totals per district and for the city (``operation_districts`` table).

    Gas m³ and its peak hour, electricity, fuel cost, O&M, revenue, annualised
    CAPEX, CO₂ and the levelised cost of heat delivered (EUR and UAH per MWh and
    per Gcal); for the ``CLI teplo operate``.
    """
    rows = []
    city_arrays: dict[str, np.ndarray] = {}
    city_money: dict[str, float] = {}
    hours = None
    for r in result.districts.values():
        arrays, money = _district_arrays(r)
        rows.append(_totals(r.district_id, r.hours, arrays, money, result.settings))
        hours = r.hours
        for k, v in arrays.items():
            city_arrays[k] = city_arrays.get(k, 0.0) + v
        for k, f in money.items():
            city_money[k] = city_money.get(k, 0.0) + f
    if hours is not None:
        rows.append(_totals("city", hours, city_arrays, city_money, result.settings))
    cols = [c.name for c in OPERATION_DISTRICTS.columns]
    return pd.DataFrame(rows, columns=cols)


def operation_summary(result: OperationResult) -> dict[str, float]:
    """City totals as the Study ``meta['operation_summary']`` entry the HTML report reads.

    Keys: ``gas_m3_season`` (m³), ``power_mwh`` (MWh), ``cost_eur_per_mwh`` (levelised
    cost of heat delivered, EUR/MWh); the report prints any further numeric key as is.
    """
    city = season_summary(result).set_index("district_id").loc["city"]
    return {
        "gas_m3_season": float(city["gas_m3"]),
        "power_mwh": float(city["power_mwh"]),
        "cost_eur_per_mwh": float(city["lcoh_eur_mwh"]),
    }


def gas_vs_temperature(result: OperationResult) -> pd.DataFrame:
    """Plot-ready: city gas use per day against the day's mean outdoor temperature.

    Columns: date, mean_temp_c (mean over districts), gas_m3, heat_mwh.
    """
    daily = operation_daily(result)
    out = daily.groupby("date", sort=True).agg(
        mean_temp_c=("mean_temp_c", "mean"), gas_m3=("gas_m3", "sum"), heat_mwh=("heat_mwh", "sum")
    )
    return out.reset_index()


def gas_temperature_slope(table: pd.DataFrame) -> float:
    """Least-squares slope of daily gas use on daily mean temperature, m³/day per K.

    Negative when gas use rises as it gets colder.
    """
    if len(table) < 2 or np.ptp(table["mean_temp_c"].to_numpy(float)) == 0:
        return float("nan")
    slope, _ = np.polyfit(table["mean_temp_c"].to_numpy(float), table["gas_m3"].to_numpy(float), 1)
    return float(slope)


def unserved_events(result: OperationResult) -> pd.DataFrame:
    """Where and when heat was not served: one row per run of consecutive short hours."""
    rows = []
    for r in result.districts.values():
        short = r.unserved_kw > 1e-3
        if not short.any():
            continue
        edges = np.diff(np.concatenate([[0], short.astype(int), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
            rows.append(
                {
                    "district_id": r.district_id,
                    "start": r.hours[a],
                    "end": r.hours[b - 1],
                    "hours": int(b - a),
                    "unserved_mwh": float(r.unserved_kw[a:b].sum() / 1e3),
                    "peak_unserved_kw": float(r.unserved_kw[a:b].max()),
                }
            )
    return pd.DataFrame(
        rows, columns=["district_id", "start", "end", "hours", "unserved_mwh", "peak_unserved_kw"]
    )


def solve_stats(result: OperationResult) -> pd.DataFrame:
    """Solve time, MIP gap and model size per district."""
    rows = [
        {
            "district_id": r.stats.district_id,
            "status": r.stats.status.value,
            "windows": r.stats.windows,
            "variables": r.stats.n_vars,
            "constraints": r.stats.n_cons,
            "integers": r.stats.n_int,
            "build_s": r.stats.build_s,
            "solve_s": r.stats.solve_s,
            "total_s": r.stats.total_s,
            "mip_gap": r.stats.mip_gap,
            "objective_eur": r.stats.objective_eur,
        }
        for r in result.districts.values()
    ]
    return pd.DataFrame(rows)
