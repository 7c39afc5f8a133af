"""Hourly operation of each district's CHP and boiler modules with heat storage.

``run_operation(units, demand_kw, temps_c, settings) -> OperationResult`` is
the stage; :func:`season_summary` gives the season table for ``teplo operate``.
The model is a linopy MILP solved with HiGHS (see :mod:`.model`).
"""

from __future__ import annotations

from teplo.supply.dispatch.operate import run_operation
from teplo.supply.dispatch.results import (
    DistrictResult,
    OperationResult,
    gas_temperature_slope,
    gas_vs_temperature,
    operation_daily,
    operation_summary,
    season_summary,
    solve_stats,
    unserved_events,
)
from teplo.supply.dispatch.settings import DispatchSettings, load_settings
from teplo.supply.dispatch.solve import SolveStats, SolveStatus

__all__ = [
    "DispatchSettings",
    "DistrictResult",
    "OperationResult",
    "SolveStats",
    "SolveStatus",
    "gas_temperature_slope",
    "gas_vs_temperature",
    "load_settings",
    "operation_daily",
    "operation_summary",
    "run_operation",
    "season_summary",
    "solve_stats",
    "unserved_events",
]
