"""``run_operation``: the dispatch stage as one call, from tables to an :class:`OperationResult`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import pandas as pd

from teplo.supply.dispatch.problem import build_problems
from teplo.supply.dispatch.results import OperationResult, disaggregate
from teplo.supply.dispatch.settings import DispatchSettings
from teplo.supply.dispatch.solve import solve_districts


def run_operation(
    units: pd.DataFrame,
    demand_kw: pd.DataFrame,
    temps_c: pd.Series | pd.DataFrame,
    settings: DispatchSettings | None = None,
    *,
    losses_kw: pd.DataFrame | pd.Series | None = None,
    power_price_uah_mwh: pd.Series | None = None,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = None,
) -> OperationResult:
    """Dispatch every district's units hour by hour at least cost.

    Parameters
    ----------
    units
        One row per module (columns of :data:`~teplo.supply.dispatch.tables.DISPATCH_UNITS`).
    demand_kw
        Consumer heat demand, kW: an hourly DatetimeIndex × one column per district.
    temps_c
        Outdoor temperature, °C: a Series over the same hours (city-wide) or a
        DataFrame with one column per district. Reported, not modelled.
    settings
        :class:`DispatchSettings`; defaults cite the Kharkiv reference figures.
    losses_kw
        Network losses, kW: hours × districts, or a constant per district (a
        Series indexed by district); default ``settings.network_loss_fraction`` × demand.
    power_price_uah_mwh
        Hourly value of CHP electricity, UAH/MWh; default from ``settings.electricity``.
    executor
        Any :class:`concurrent.futures.Executor` (e.g. ``dask.distributed.Client.get_executor()``)
        to run districts on; default: a process pool of ``settings.solver.max_workers``.
    progress
        Called with each district id when its dispatch is done (for a progress bar).

    Raises
    ------
    InputError
        A unit, district, time series or setting is malformed; the message names it.
    """
    settings = settings or DispatchSettings()
    problems = build_problems(
        units,
        demand_kw,
        temps_c,
        settings,
        losses_kw=losses_kw,
        power_price_uah_mwh=power_price_uah_mwh,
    )
    solutions = solve_districts(
        problems, settings.solver, settings.horizon, executor=executor, progress=progress
    )
    districts = {
        p.district_id: disaggregate(p, sol, settings) for p, sol in zip(problems, solutions, strict=True)
    }
    return OperationResult(districts=districts, settings=settings)
