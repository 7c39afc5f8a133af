"""Inputs of the operation stage from a study's plan: units, hourly demand and losses per site.

Each chosen site feeds its own network, so each site is one dispatch
"district" (``district_id`` = ``site_id``). This module turns the plan's
layers into the tables :func:`teplo.supply.dispatch.run_operation` reads:

- :func:`dispatch_units`: the ``units`` layer (one row per module) joined to
  the unit catalogue by ``unit_type``; diesel gensets make no heat and are
  left out (listed, not dropped silently).
- :func:`site_demand_kw`: hours × sites, the sum of
  :func:`teplo.demand.hourly_heat_total_kw` over each site's buildings.
- :func:`site_losses_kw`: hours × sites, the design-state loss of each site's
  pipes (``pipes.heat_loss_kw``) held constant, or a share of demand.
- :func:`study_climate`, :func:`parse_season`, :func:`season_hours`: which
  weather and which hours.

Sources: § = ``reference/kharkiv-figures.md``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from teplo.climate import KHARKIV_YEARS, Climate, climate_from_file, kharkiv_climate
from teplo.errors import InputError, InputFileNotFound

#: Hours a hot-water tank takes to charge at full power, when the units layer gives
#: no charge power: DEA "141 Large hot water tank", 175 MWh charged at 2.9 MW ≈ 60 h
#: (§3.3) [D]. A tank with a bigger connection: give its ``heat_kw`` in ``units``.
STORAGE_CHARGE_H = 60.0

#: Catalogue fuel class -> dispatch gas price class (§3.5: PSO gas for heat
#: producers, the higher CHP price for units making heat and power).
GAS_CLASS_OF_FUEL = {"gas_boiler": "pso", "gas_chp": "chp"}

#: Kinds the dispatch runs; others (diesel gensets) make no heat and are left out.
HEAT_KINDS = ("bmk", "chp", "storage")

#: Columns of the dispatch contract the catalogue lacks, taken from ``units`` when given
#: there per unit (e.g. gas_class 'budget' for a school's boiler, start costs).
_UNIT_OVERRIDES = (
    "eff_el_50", "eff_el_75", "start_cost_eur", "min_up_h", "min_down_h", "gas_class",
    "storage_loss_per_day",
)  # fmt: skip

_UNITS_REQUIRED = ("unit_id", "site_id", "unit_type")


# --------------------------------------------------------------------------- weather and season


def _fill_dropped_days(climate: Climate) -> Climate:
    """The climate with holes of at most 24 h (a dropped 29 February) filled by the day before.

    The bundled Kharkiv years and 8 760-h EPW files leave out 29 February; the
    dispatch needs consecutive hours. A longer hole is an :class:`InputError`.
    """
    s = climate.hourly_temp_c
    full = pd.date_range(s.index[0], s.index[-1], freq="h")
    if len(full) == len(s):
        return climate
    filled = s.reindex(full)
    filled = filled.fillna(filled.shift(24))
    if filled.isna().any():
        first = full[filled.isna().to_numpy()][0]
        raise InputError(
            f"weather '{climate.name}': hours missing from {first} for more than a day; "
            "give a weather file with consecutive hours over the season"
        )
    return dataclasses.replace(climate, hourly_temp_c=filled.rename("temp_c"))


def study_climate(study: Any, weather: str | os.PathLike[str] | None = None) -> Climate:
    """The climate to operate in: ``weather`` (CSV or EPW) if given, else the study's own.

    The study's own is the weather file its settings name (``[demand] weather``
    of ``teplo run``), else the bundled Kharkiv year its demand used
    (``meta['climate']``), else the bundled Kharkiv 2015–16 year.
    """
    if weather is not None:
        climate = climate_from_file(Path(weather))
    else:
        given = (study.settings.get("demand") or {}).get("weather")
        name = str(study.meta.get("climate") or "")
        year = re.match(r"Kharkiv (\d{4}-\d{4}) ", name)
        if given:
            path = Path(given)
            if not path.exists():
                raise InputFileNotFound(
                    f"the study's demand used weather file '{given}', which does not exist here; "
                    "give it with --weather FILE"
                )
            climate = climate_from_file(path)
        elif year and year.group(1) in KHARKIV_YEARS:
            climate = kharkiv_climate(year.group(1))
        elif not name:
            climate = kharkiv_climate()
        else:
            raise InputError(
                f"the study's demand used weather '{name}', which is not bundled; "
                "give the same file with --weather FILE"
            )
    return _fill_dropped_days(climate)


def parse_season(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of ``'START:END'`` (ISO dates, both days included).

    >>> parse_season("2025-10-15:2026-04-10")
    (Timestamp('2025-10-15 00:00:00'), Timestamp('2026-04-10 00:00:00'))
    """
    m = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})\s*:\s*(\d{4}-\d{2}-\d{2})\s*", text)
    if m is None:
        raise InputError(
            f"season '{text}': expected START:END as two dates, e.g. 2025-10-15:2026-04-10"
        )
    days = []
    for part in m.groups():
        try:
            days.append(pd.Timestamp(part))
        except ValueError:
            raise InputError(f"season '{text}': '{part}' is not a valid date") from None
    start, end = days
    if end < start:
        raise InputError(f"season '{text}': the end {end:%Y-%m-%d} is before the start {start:%Y-%m-%d}")
    return start, end


def default_season(climate: Climate) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The longest run of heating-season days of ``climate`` (its 3-day +8 °C rule, §1).

    A short restart after the season ended (three cold days in late April) is
    not part of the run; give ``--season`` to include it.
    """
    on = climate.heating_season.to_numpy(dtype=bool)
    if not on.any():
        raise InputError(
            f"weather '{climate.name}' has no heating season (never 3 days at or below "
            f"{climate.heating_limit_c:g} °C); give the period with --season START:END"
        )
    edges = np.diff(np.concatenate([[0], on.astype(int), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    k = int(np.argmax(stops - starts))
    days = climate.heating_season.index
    return pd.Timestamp(days[starts[k]]), pd.Timestamp(days[stops[k] - 1])


def season_hours(
    climate: Climate, season: str | tuple[Any, Any] | None = None
) -> pd.DatetimeIndex:
    """Hours of the season (``'START:END'``, a pair of dates, or the heating season).

    Raises :class:`InputError` when the season is not inside the weather series.
    """
    if season is None:
        start, end = default_season(climate)
    elif isinstance(season, str):
        start, end = parse_season(season)
    else:
        start, end = pd.Timestamp(season[0]).normalize(), pd.Timestamp(season[1]).normalize()
    idx = pd.DatetimeIndex(climate.hourly_temp_c.index)
    last = end + pd.Timedelta(hours=23)
    if start < idx[0] or last > idx[-1]:
        raise InputError(
            f"season {start:%Y-%m-%d}:{end:%Y-%m-%d} is outside the weather '{climate.name}', "
            f"which runs from {idx[0]:%Y-%m-%d %H:%M} to {idx[-1]:%Y-%m-%d %H:%M}; choose dates "
            "within it, or give --weather FILE covering the season"
        )
    return idx[(idx >= start) & (idx <= last)]


# --------------------------------------------------------------------------- units


def dispatch_units(units: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of :data:`~teplo.supply.dispatch.tables.DISPATCH_UNITS` for the plan's ``units``.

    Efficiencies, minimum load, O&M, lifetime and the storage content come from
    ``catalogue`` (indexed by type) by ``unit_type``; ``heat_kw``, ``power_kw``
    and ``capex_eur`` from the units layer where given. The catalogue's CHP
    variable O&M is per MWh of heat and becomes per MWh of electricity (the
    dispatch's DEA convention). Gas class: CHP 'chp', BMK 'pso' (§3.5), unless
    the layer gives ``gas_class`` per unit. Returns (dispatch rows, units left
    out with the reason).
    """
    missing = [c for c in _UNITS_REQUIRED if c not in units.columns]
    if missing:
        raise InputError(
            f"the 'units' layer lacks column(s) {', '.join(missing)}; it is written by `teplo plan`"
        )
    u = units.reset_index(drop=True)
    types = u["unit_type"].astype(str).str.strip()
    unknown = sorted(set(types) - set(catalogue.index))
    if unknown:
        unit = u.loc[types == unknown[0], "unit_id"].iloc[0]
        raise InputError(
            f"unit '{unit}': unit_type '{unknown[0]}' is not in the unit catalogue; give the "
            "catalogue the plan used (--catalogue FILE)"
        )
    cat = catalogue.loc[list(types)].reset_index(drop=True)
    kind = cat["kind"].astype(str)
    if "kind" in u:
        given = u["kind"].fillna("").astype(str).str.strip().str.lower()
        kind = given.where(given != "", kind)
    left = ~kind.isin(HEAT_KINDS)
    left_out = pd.DataFrame(
        {
            "unit_id": u.loc[left, "unit_id"].astype(str),
            "site_id": u.loc[left, "site_id"].astype(str),
            "unit_type": types[left],
            "kind": kind[left],
            "reason": np.where(kind[left] == "diesel", "diesel genset: makes no heat",
                               "kind not dispatched"),
        }
    ).reset_index(drop=True)

    def from_layer(col: str, positive: bool = True) -> pd.Series:
        """The layer's value where given (> 0, or >= 0 if not ``positive``), else the catalogue's."""
        cat_values = cat[col].astype(float)
        if col not in u:
            return cat_values
        values = pd.to_numeric(u[col], errors="coerce")
        return values.where(values > 0 if positive else values >= 0, cat_values)

    heat = from_layer("heat_kw")
    power = from_layer("power_kw")
    is_chp, is_store = kind == "chp", kind == "storage"
    storage_kwh = cat["storage_kwh"].astype(float)
    heat = heat.where(~is_store | (heat > 0), storage_kwh / STORAGE_CHARGE_H)
    var_om = cat["var_om_eur_mwh"].astype(float)
    var_om = var_om.where(~is_chp, var_om * heat / power)  # per MWh_th -> per MWh_el
    rows = pd.DataFrame(
        {
            "unit_id": u["unit_id"].astype(str),
            "district_id": u["site_id"].astype(str),
            "kind": kind,
            "heat_kw": heat,
            "power_kw": power.where(is_chp, np.nan),
            "eff_th": cat["eff_th"].astype(float),
            "min_load": cat["min_load"].astype(float),
            "var_om_eur_mwh": var_om,
            "gas_class": cat["fuel"].map(GAS_CLASS_OF_FUEL).fillna(""),
            "storage_kwh": storage_kwh.where(is_store, np.nan),
            "capex_eur": from_layer("capex_eur", positive=False),  # 0: a donated unit
            "lifetime_a": cat["lifetime_a"].astype(float),
            "fixed_om_eur_a": cat["fixed_om_eur_a"].astype(float),
            "unit_type": types,
        }
    )
    for col in _UNIT_OVERRIDES:
        if col in u:
            given_values = u[col].replace("", np.nan)
            rows[col] = given_values if col not in rows else given_values.where(given_values.notna(), rows[col])
    return rows.loc[~left].reset_index(drop=True), left_out


def dispatched_sites(buildings: pd.DataFrame, units: pd.DataFrame) -> list[str]:
    """Sites to dispatch: those with heat units (``units`` are dispatch rows), sorted.

    Raises :class:`InputError` if a site serves buildings but has no heat units.
    """
    site = site_ids(buildings)
    served = site.to_numpy() != ""
    no_units = sorted(set(site[served]) - set(units["district_id"]))
    if no_units:
        load = pd.to_numeric(buildings.loc[served & site.isin(no_units).to_numpy(), "design_load_kw"],
                             errors="coerce").sum()
        raise InputError(
            f"site(s) {', '.join(no_units[:10])} serve buildings ({load:,.0f} kW design load) but have "
            "no CHP or boiler units in the 'units' layer; re-run `teplo plan` or add units"
        )
    sites = sorted(set(units["district_id"]))
    if not sites:
        raise InputError("the 'units' layer has no CHP, boiler or storage units; nothing to dispatch")
    return sites


# --------------------------------------------------------------------------- demand and losses


def site_ids(buildings: pd.DataFrame) -> pd.Series:
    """Each building's ``site_id`` as text; '' where it is not served."""
    if "site_id" not in buildings:
        raise InputError("buildings carry no site_id; run `teplo plan` first")
    s = buildings["site_id"].astype("string").fillna("").str.strip()
    return s.mask(s.isin(["nan", "None", "<NA>"]), "").astype(str)


def site_demand_kw(
    buildings: pd.DataFrame, climate: Climate, hours: pd.DatetimeIndex, sites: list[str]
) -> pd.DataFrame:
    """Consumer heat demand per site and hour, kW (hours × ``sites``).

    The sum of :func:`teplo.demand.hourly_heat_kw` over each site's buildings,
    computed on the whole weather series (so the heating-season rule sees every
    day) and cut to ``hours``. A site without buildings gets zeros.
    """
    from teplo.demand import hourly_heat_total_kw

    where = pd.DatetimeIndex(climate.hourly_temp_c.index).get_indexer(hours)
    if (where < 0).any():
        raise InputError(f"hour {hours[where < 0][0]} is not in the weather '{climate.name}'")
    site = site_ids(buildings)
    out = pd.DataFrame(0.0, index=hours, columns=pd.Index(sites, name="site_id"))
    for sid, rows in buildings.groupby(site.to_numpy(), sort=True):
        if sid in out.columns:
            out[sid] = hourly_heat_total_kw(rows, climate)[where]
    return out


def pipe_losses_by_site(pipes: pd.DataFrame) -> pd.Series:
    """Design-state heat loss of each site's pipes, kW (``pipes.heat_loss_kw`` summed by site).

    Ring pipes carry no ``site_id``; they are charged to the site of the pipes they
    join. Sites whose losses are all missing are left out.
    """
    if "heat_loss_kw" not in pipes or "site_id" not in pipes:
        return pd.Series(dtype=float)
    site = site_ids(pipes)
    loss = pd.to_numeric(pipes["heat_loss_kw"], errors="coerce")
    if {"from_node", "to_node"} <= set(pipes.columns) and (site == "").any():
        has = site != ""
        node_site = pd.concat(
            [pd.Series(site[has].to_numpy(), index=pipes.loc[has, c].astype(str).to_numpy())
             for c in ("from_node", "to_node")]
        )
        node_site = node_site[~node_site.index.duplicated()]
        for c in ("from_node", "to_node"):
            guess = pipes[c].astype(str).map(node_site).fillna("")
            site = site.where(site != "", guess)
    frame = pd.DataFrame({"site_id": site.to_numpy(), "loss": loss.to_numpy()})
    frame = frame[(frame["site_id"] != "") & frame["loss"].notna()]
    return frame.groupby("site_id")["loss"].sum()


def site_losses_kw(
    demand_kw: pd.DataFrame, pipes: pd.DataFrame | None, loss_fraction: float
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Network heat losses per site and hour, kW, and where each site's figure comes from.

    With a designed network (``pipes`` with ``heat_loss_kw``), a site loses its
    design-state loss every hour: the supply and return pipes' loss at the
    regime's design temperatures against the ground (Minenergo-325 norms, §4.3).
    This is an upper bound: the loss scales with (mean water − ground
    temperature) and the water runs cooler in mild weather. Sites without pipes
    lose ``loss_fraction`` × demand (``[operation] network_loss_fraction``, 5 %:
    §4.3, 61–173 W/m on ≈ 1 km of DN150 trench ≈ 1.5–7 % of a 6 MW area's mean load).
    """
    by_pipe = pipe_losses_by_site(pipes) if pipes is not None else pd.Series(dtype=float)
    losses = demand_kw * loss_fraction
    source: dict[str, str] = {}
    for sid in demand_kw.columns:
        if sid in by_pipe.index:
            losses[sid] = float(by_pipe[sid])
            source[sid] = f"pipes: design-state loss {float(by_pipe[sid]):.1f} kW every hour"
        else:
            source[sid] = f"{100 * loss_fraction:g} % of demand (no designed pipes)"
    return losses, source


# --------------------------------------------------------------------------- stage result


@dataclasses.dataclass(frozen=True)
class OperationRun:
    """What :func:`teplo.pipeline.run_operation_stage` did: the dispatch and its inputs' provenance."""

    result: Any  # teplo.supply.dispatch.OperationResult
    summary: pd.DataFrame  # operation_districts: season totals per site and 'city'
    start: pd.Timestamp  # first day of the season
    end: pd.Timestamp  # last day (included)
    climate: str  # name of the weather used
    units: pd.DataFrame  # the dispatch rows
    left_out: pd.DataFrame  # units not dispatched (diesel gensets), with the reason
    loss_source: dict[str, str]  # site -> where its network losses come from
    unassigned_buildings: int  # heated buildings with no site (not in the dispatch)
    unassigned_design_kw: float  # their design load
    unserved: pd.DataFrame  # sites with heat not served (see unserved_by_site)


def unserved_by_site(result: Any, units: pd.DataFrame) -> pd.DataFrame:
    """Sites with heat not served, indexed by site: MWh, hours, and why.

    Columns: ``unserved_mwh``, ``unserved_h``, ``demand_mwh``; ``short_capacity_h``
    (hours when demand plus losses exceeded the site's heat units and storage
    power) and ``below_min_load_h`` (the other hours: the load was below what
    the units can make at their minimum load, e.g. the night DHW draw on a mild
    day, and the tank could not take or give the rest). Empty if all was served.
    """
    rows = []
    for sid, r in result.districts.items():
        short = r.unserved_kw > 1e-3
        if not short.any():
            continue
        mine = units[units["district_id"] == sid]
        capacity = float(mine["heat_kw"].sum())  # producers' rating and tanks' discharge power
        need = r.demand_kw + r.losses_kw
        over = short & (need > capacity - 1e-6)
        rows.append(
            {
                "site_id": sid,
                "unserved_mwh": float(r.unserved_kw.sum() / 1e3),
                "unserved_h": int(short.sum()),
                "demand_mwh": float(r.demand_kw.sum() / 1e3),
                "short_capacity_h": int(over.sum()),
                "below_min_load_h": int((short & ~over).sum()),
            }
        )
    cols = ["unserved_mwh", "unserved_h", "demand_mwh", "short_capacity_h", "below_min_load_h"]
    return pd.DataFrame(rows, columns=["site_id", *cols]).set_index("site_id")


def unserved_message(site: str, row: pd.Series) -> str:
    """One line for a site with heat not served (a row of :func:`unserved_by_site`)."""
    why = []
    if row["short_capacity_h"]:
        why.append(f"{int(row['short_capacity_h'])} h when the load exceeded its units")
    if row["below_min_load_h"]:
        why.append(f"{int(row['below_min_load_h'])} h when the load was below its units' minimum load")
    share = 100 * row["unserved_mwh"] / max(float(row["demand_mwh"]), 1e-9)
    return (
        f"site {site}: {row['unserved_mwh']:,.2f} MWh of heat not served in {int(row['unserved_h'])} h "
        f"({share:.2f} % of demand): " + "; ".join(why)
    )
