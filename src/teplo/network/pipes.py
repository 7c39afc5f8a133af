"""Pre-insulated pipe catalogue, pipe sizing and heat loss per metre.

The bundled catalogue (``teplo/data/pipe_catalogue.csv``) holds supply + return
pairs of EN 253 bonded steel pipe, DN25…DN500, one row per DN with its
``source``: steel service pipe dimensions, roughness, installed cost per metre
of trench (pair) and the heat-loss coefficient ``u_w_per_m_k`` of one pipe.

Sizing follows topotherm's precalculation (``topotherm/hydraulic.py``): each DN
gets a capacity, the mass flow at which its pressure gradient reaches the limit
(Darcy–Weisbach with Colebrook–White, the solver's own friction model) or its
velocity reaches the limit, whichever is lower, at both the supply and the
return temperature; a pipe gets the smallest DN whose capacity covers its
design flow.

Heat loss of existing pipes follows the Minenergo Order 325 norms by laying
year (``teplo/data/m325_heat_loss.csv``), interpolated like pipenostics'
``m325nhl`` (linear in temperature with linear extrapolation from the two
nearest columns, linear in DN).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from teplo.errors import InputError, InputFileNotFound
from teplo.network.hydraulics.friction import pressure_drop
from teplo.network.water import FloatArray, density_kg_m3, viscosity_pa_s

TemperatureRegime = Literal["95/70", "105/70", "130/70"]
"""Supply/return design temperatures [°C] of a network (kharkiv-figures.md §4.1)."""

REGIME_TEMPERATURES_C: dict[TemperatureRegime, tuple[float, float]] = {
    "95/70": (95.0, 70.0),  # secondary networks, Soviet practice (grazit.ru note, §4.1)
    "105/70": (105.0, 70.0),  # secondary alternative (§4.1)
    "130/70": (130.0, 70.0),  # primary, the brief's value [U] (§4.1)
}
DEFAULT_REGIME: TemperatureRegime = "95/70"

MAX_DP_PA_PER_M = 150.0  # sizing gradient, middle of 100-200 Pa/m (vicus pipe-dimensioning, §4.1)
MAX_VELOCITY_M_S = 2.5  # sizing velocity limit (vicus pipe-dimensioning, §4.1)
NORM_GROUND_TEMP_C = 5.0  # ground temperature of the Minenergo-325 norm tables [°C] [U]

CATALOGUE_COLUMNS: dict[str, str] = {
    "dn": "nominal diameter [-]",
    "outer_diameter_mm": "steel service pipe outer diameter [mm]",
    "wall_mm": "steel service pipe wall [mm]",
    "inner_diameter_mm": "inner diameter [mm]",
    "roughness_mm": "equivalent sand roughness [mm]",
    "cost_eur_per_m": "installed cost of the supply+return pair per metre of trench [EUR/m]",
    "u_w_per_m_k": "heat-loss coefficient of one pipe to the ground [W/(m K)]",
    "source": "where the row's figures come from",
}
_NUMERIC = [c for c in CATALOGUE_COLUMNS if c != "source"]


def _data_path(name: str) -> Path:
    return Path(str(resources.files("teplo") / "data" / name))


def load_pipe_catalogue(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate a pipe catalogue; the bundled EN 253 one if ``path`` is None.

    Returns a frame sorted by ``dn`` with the columns of :data:`CATALOGUE_COLUMNS`.
    A user's CSV replaces the bundled one and must have the same columns; a
    missing, non-numeric, negative or zero value raises :class:`InputError`
    naming the row (1-based, after the header) and the column.
    """
    file = _data_path("pipe_catalogue.csv") if path is None else Path(path)
    if not file.exists():
        raise InputFileNotFound(f"pipe catalogue {file} does not exist")
    frame = pd.read_csv(file)
    return validate_pipe_catalogue(frame, where=str(file))


def validate_pipe_catalogue(frame: pd.DataFrame, where: str = "pipe catalogue") -> pd.DataFrame:
    """Check columns and values of a catalogue frame; return it sorted by ``dn``."""
    missing = [c for c in CATALOGUE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}")
    out = frame.reset_index(drop=True).copy()
    for col in _NUMERIC:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | (values <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{where}: row {row + 1}, column '{col}': value {out[col].iloc[row]!r} "
                f"is missing, not a number or not positive ({CATALOGUE_COLUMNS[col]})"
            )
        out[col] = values.astype(np.float64)
    blank = out["source"].isna() | (out["source"].astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError(f"{where}: row {row + 1}, column 'source': every row needs a source")
    if out["dn"].duplicated().any():
        dup = out.loc[out["dn"].duplicated(), "dn"].tolist()
        raise InputError(f"{where}: column 'dn': duplicate DN {dup}")
    thick = out["inner_diameter_mm"] >= out["outer_diameter_mm"]
    if thick.any():
        row = int(np.flatnonzero(thick.to_numpy())[0])
        raise InputError(
            f"{where}: row {row + 1}, column 'inner_diameter_mm': not smaller than the outer diameter"
        )
    out["dn"] = out["dn"].astype(np.int64)
    out = out.sort_values("dn", kind="stable").reset_index(drop=True)
    if not np.all(np.diff(out["inner_diameter_mm"].to_numpy()) > 0):
        raise InputError(f"{where}: column 'inner_diameter_mm' must grow with 'dn'")
    return out


def regime_temperatures_c(regime: TemperatureRegime) -> tuple[float, float]:
    """Supply and return design temperatures [°C] of a regime such as ``"95/70"``."""
    try:
        return REGIME_TEMPERATURES_C[regime]
    except KeyError:
        raise InputError(
            f"unknown temperature regime {regime!r}; use one of {sorted(REGIME_TEMPERATURES_C)}"
        ) from None


def _flow_at_gradient(
    gradient_pa_per_m: float, d_m: FloatArray, k_m: FloatArray, rho: FloatArray, mu: FloatArray
) -> FloatArray:
    """Mass flow [kg/s] at which each pipe's friction gradient equals ``gradient_pa_per_m``.

    Bisection on log(mass flow) with the solver's friction model (monotone in flow).
    """
    lo = np.full_like(d_m, np.log(1e-9))  # bracket 1e-9 ... 1e6 kg/s
    hi = np.full_like(d_m, np.log(1e6))
    one = np.ones_like(d_m)
    for _ in range(64):  # bracket width 35 in log -> 35/2^64, far below float resolution
        mid = 0.5 * (lo + hi)
        dp, _ = pressure_drop(np.exp(mid), one, d_m, k_m, rho, mu)
        above = dp > gradient_pa_per_m
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.exp(0.5 * (lo + hi))


def pipe_capacity_kg_s(
    catalogue: pd.DataFrame,
    max_dp_pa_per_m: float = MAX_DP_PA_PER_M,
    max_velocity_m_s: float = MAX_VELOCITY_M_S,
    supply_c: float = 95.0,
    return_c: float = 70.0,
) -> FloatArray:
    """Largest mass flow [kg/s] per catalogue row meeting both limits in supply and return pipe."""
    if max_dp_pa_per_m <= 0 or max_velocity_m_s <= 0:
        raise InputError("max_dp_pa_per_m and max_velocity_m_s must be positive")
    d = catalogue["inner_diameter_mm"].to_numpy(np.float64) / 1e3
    k = catalogue["roughness_mm"].to_numpy(np.float64) / 1e3
    area = 0.25 * np.pi * d**2
    caps = []
    for t_c in (supply_c, return_c):
        rho = np.full_like(d, density_kg_m3(t_c))
        mu = np.full_like(d, viscosity_pa_s(t_c))
        caps.append(_flow_at_gradient(max_dp_pa_per_m, d, k, rho, mu))
        caps.append(rho * area * max_velocity_m_s)
    return np.minimum.reduce(caps)


def size_pipes(
    design_flow_kg_s: ArrayLike | pd.Series,
    catalogue: pd.DataFrame | None = None,
    max_dp_pa_per_m: float = MAX_DP_PA_PER_M,
    max_velocity_m_s: float = MAX_VELOCITY_M_S,
    supply_c: float = 95.0,
    return_c: float = 70.0,
) -> NDArray[np.int64]:
    """Smallest DN per pipe whose capacity covers ``|design_flow_kg_s|`` [kg/s].

    Vectorised: one capacity per DN (:func:`pipe_capacity_kg_s`), then a search
    per pipe. A flow beyond the largest DN raises :class:`InputError` listing
    the pipes (by the Series index if a Series is given, else by position).
    """
    cat = load_pipe_catalogue() if catalogue is None else catalogue
    flow = np.abs(np.asarray(design_flow_kg_s, dtype=np.float64))
    if np.any(~np.isfinite(flow)):
        raise InputError("size_pipes: design flows must be finite numbers")
    cap = pipe_capacity_kg_s(cat, max_dp_pa_per_m, max_velocity_m_s, supply_c, return_c)
    idx = np.searchsorted(cap, flow, side="left")
    too_big = idx >= len(cap)
    if np.any(too_big):
        labels = (
            design_flow_kg_s.index[too_big].tolist()
            if isinstance(design_flow_kg_s, pd.Series)
            else np.flatnonzero(too_big).tolist()
        )
        shown = ", ".join(str(x) for x in labels[:20]) + (" …" if len(labels) > 20 else "")
        raise InputError(
            f"size_pipes: {len(labels)} pipe(s) carry more than DN{int(cat['dn'].iloc[-1])} can "
            f"({cap[-1]:.1f} kg/s at {max_dp_pa_per_m:g} Pa/m, {max_velocity_m_s:g} m/s): {shown}; "
            "split the network or add producers"
        )
    return cat["dn"].to_numpy(np.int64)[idx]


def pipe_parameters(dn: ArrayLike, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Catalogue rows for each DN in ``dn`` (in order); unknown DN raises :class:`InputError`."""
    cat = load_pipe_catalogue() if catalogue is None else catalogue
    dn_arr = np.asarray(dn, dtype=np.int64)
    pos = pd.Index(cat["dn"]).get_indexer(dn_arr)
    if np.any(pos < 0):
        unknown = sorted(set(dn_arr[pos < 0].tolist()))
        raise InputError(f"DN {unknown} not in the pipe catalogue (has {cat['dn'].tolist()})")
    return cat.iloc[pos].reset_index(drop=True)


@lru_cache(maxsize=1)
def _m325_tables() -> dict[str, tuple[int, int, FloatArray, FloatArray, FloatArray]]:
    """Minenergo-325 tables: name -> (first_year, last_year, dn grid, T grid, W/m [dn, T])."""
    frame = pd.read_csv(_data_path("m325_heat_loss.csv"))
    tables = {}
    for name, tab in frame.groupby("table", sort=True):
        grid = tab.pivot(index="dn", columns="temperature_c", values="w_per_m").sort_index()
        grid = grid.reindex(sorted(grid.columns), axis=1)
        tables[str(name)] = (
            int(tab["first_year"].min()),
            int(tab["last_year"].max()),
            grid.index.to_numpy(np.float64),
            grid.columns.to_numpy(np.float64),
            grid.to_numpy(np.float64),
        )
    return tables


def _bracket(x: FloatArray, xp: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
    """Left grid index and weight for piecewise-linear interpolation with linear extrapolation.

    Beyond the grid ends the two nearest points are extended (pipenostics ``extra=2``).
    """
    i = np.clip(np.searchsorted(xp, x) - 1, 0, len(xp) - 2)
    return i, (x - xp[i]) / (xp[i + 1] - xp[i])


def heat_loss_w_per_m(
    dn: ArrayLike,
    supply_c: ArrayLike,
    return_c: ArrayLike,
    ground_c: ArrayLike,
    laying_year: int | None = None,
    catalogue: pd.DataFrame | None = None,
) -> FloatArray:
    """Heat loss of a supply+return pair per metre of trench [W/m].

    ``laying_year=None``: a new pre-insulated pipe, ``u·(T_s − T_g) + u·(T_r − T_g)``
    with the catalogue's ``u_w_per_m_k``. Otherwise the Minenergo-325 norm of
    that laying epoch, per pipe at its temperature: laid up to 1997, table
    t1p3 (the ≤ 1989 norm; the 1990–1997 table is not in the reference set,
    so the older, higher norm is used); laid 1998 or later, table t3p4
    (1998–2003; the ≥ 2004 table's layout is unverified, §4.3). The norms hold
    for a ground temperature of :data:`NORM_GROUND_TEMP_C`; other ground
    temperatures scale each pipe's loss by ``(T − T_g)/(T − 5 °C)``, and below
    the coolest column (50 °C) the loss falls linearly with ``T − T_g``.
    Arrays broadcast; below DN50 the tables are extrapolated linearly.
    """
    dn_a, ts, tr, tg = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(v, dtype=np.float64))
            for v in (dn, supply_c, return_c, ground_c)
        )
    )
    if laying_year is None:
        params = pipe_parameters(dn_a.astype(np.int64), catalogue)
        u = params["u_w_per_m_k"].to_numpy(np.float64)
        return u * ((ts - tg) + (tr - tg))
    table = None
    for first, last, dn_grid, t_grid, w in _m325_tables().values():
        if first <= laying_year <= last:
            table = (dn_grid, t_grid, w)
    if table is None:
        raise InputError(f"heat_loss_w_per_m: no Minenergo-325 table for laying year {laying_year}")
    dn_grid, t_grid, w = table
    total = np.zeros_like(ts)
    cols = np.arange(ts.size)
    i_dn, w_dn = _bracket(dn_a, dn_grid)
    for t_pipe in (ts, tr):
        t_tab = np.maximum(t_pipe, t_grid[0])  # below the coolest column: linear in T - T_g
        i_t, w_t = _bracket(t_tab, t_grid)
        at_t = w[:, i_t] * (1.0 - w_t) + w[:, i_t + 1] * w_t  # [dn grid, pipe]
        per_pipe = at_t[i_dn, cols] * (1.0 - w_dn) + at_t[i_dn + 1, cols] * w_dn
        total += per_pipe * np.maximum(t_pipe - tg, 0.0) / (t_tab - NORM_GROUND_TEMP_C)
    return total
