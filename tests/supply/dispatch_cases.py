"""Small dispatch cases shared by the dispatch tests (hand-sized, deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from teplo.supply.dispatch import DispatchSettings

START = "2026-01-05"


def hours(n: int) -> pd.DatetimeIndex:
    """``n`` consecutive hours from a Monday in January."""
    return pd.date_range(START, periods=n, freq="h")


def frame(values: dict[str, np.ndarray | list[float]], n: int | None = None) -> pd.DataFrame:
    """Demand (kW) per district over consecutive hours."""
    length = n or len(next(iter(values.values())))
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in values.items()}, index=hours(length))


def temps_for(demand: pd.DataFrame, design_kw: float = 5_000.0) -> pd.Series:
    """Outdoor temperature that would give ``demand`` at ``design_kw`` (20 °C − load share · 43 K)."""
    total = demand.sum(axis=1).to_numpy()
    return pd.Series(20.0 - 43.0 * total / design_kw, index=demand.index)


def no_losses(demand: pd.DataFrame) -> pd.DataFrame:
    """Zero network losses for every district and hour."""
    return demand * 0.0


def serial(**solver: object) -> DispatchSettings:
    """Default settings, one process, exact MIP gap."""
    s = DispatchSettings()
    s.solver.max_workers = 1
    s.solver.mip_rel_gap = 1e-6
    for k, v in solver.items():
        setattr(s.solver, k, v)
    return s


def chp(uid: str, district: str = "A", heat_kw: float = 1_000.0, **kw: object) -> dict[str, object]:
    """A gas-engine CHP module row."""
    return dict(unit_id=uid, district_id=district, kind="chp", heat_kw=heat_kw, **kw)


def bmk(uid: str, district: str = "A", heat_kw: float = 2_000.0, **kw: object) -> dict[str, object]:
    """A boiler module row."""
    return dict(unit_id=uid, district_id=district, kind="bmk", heat_kw=heat_kw, **kw)


def tank(uid: str, district: str = "A", heat_kw: float = 1_000.0, kwh: float = 4_000.0) -> dict[str, object]:
    """A hot-water tank row."""
    return dict(unit_id=uid, district_id=district, kind="storage", heat_kw=heat_kw, storage_kwh=kwh)


def season(n_days: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A seeded cold spell: hourly demand of one district (kW) and temperature (°C)."""
    rng = np.random.default_rng(seed)
    n = 24 * n_days
    x = np.arange(n)
    temp = 2.0 - 12.0 * np.sin(np.pi * x / n) + 3.0 * np.sin(2 * np.pi * (x % 24 - 9) / 24)
    temp = temp + rng.normal(0.0, 1.0, n)
    demand = 4_000.0 / 43.0 * np.clip(20.0 - temp, 0.0, None) + 300.0
    idx = hours(n)
    return pd.DataFrame({"A": demand}, index=idx), pd.Series(temp, index=idx)
