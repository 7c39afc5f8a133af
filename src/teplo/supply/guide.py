"""The city-wide LP relaxation: a certificate of what no plan can meet, and the guide of the decomposition.

One LP of the whole area's penalised model (:func:`teplo.supply.model.create_model`
with every integer and binary relaxed) is small enough to solve at city scale
(≈ 65 000 columns for 8 500 buildings with N-1 and dispersion: 10–15 s with
HiGHS' interior point) where the MILP is not. It serves three ends:

1. **Certificate.** Slack left at the LP optimum is needed by *every* plan over
   the offered sites and arcs, fractional or not: the dispersion excess e* is
   the least amount by which the cap must be raised in some circle, and the
   unserved load cannot be placed at all. The plan reports both, so a relaxed
   plan says whether the area (density, candidate sites) or the solver is short.
2. **Dispersion split.** A circle shared by several clusters is split between
   them by the capacity the LP installs in each cluster's sites, plus a
   load-weighted part of what the LP leaves free. The LP's own capacities then
   fit every cluster's share, so a cluster's share is no longer the reason it
   ends relaxed (as a split by load alone often was).
3. **Clusters.** Districts are grouped with the sites the LP sends their load
   to, and a site belongs to the cluster whose districts the LP sends the most
   load to, so the decomposition keeps the LP's assignments.

Site-loss options (district × primary × backup) are kept: dropping them would
leave out the spare capacity that backup sites need and understate every
circle's load. Interior point without crossover is used because the LP is
large and degenerate (simplex took ≈ 3× longer on the 8 500-building city with
every constraint); the guide does not need a vertex solution.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pandas as pd

from teplo.supply.model import SitingProblem, create_model
from teplo.supply.model.objective import SECONDARY_SLACKS, SLACKS
from teplo.supply.model.variables import type_index
from teplo.supply.settings import SolverSettings

__all__ = ["DISPERSION_MARGIN", "CityLP", "caps_the_area_allows", "solve_city_lp"]

DISPERSION_MARGIN = 0.05
"""Share of the dispersion cap [-] the LP leaves free in every circle for whole modules: about one
150 kW module of rounding per chosen site and 2-4 chosen sites per 300 m circle at the 10 MW default
(units.csv, benchmarks/siting.py) [E]."""


@dataclass(frozen=True)
class CityLP:
    """The LP optimum of the whole area's penalised siting model.

    capacity_kw: heat capacity per site [kW] (index site_id).
    arc_share: share of each district's load sent along each arc of the
        problem (aligned with ``p.arcs``) [-].
    dispersion_excess_kw: least uniform excess over the dispersion cap any plan
        over these sites needs [kW] (0: the cap can be met).
    other_slack_kw: other slack left (unserved load, N-k, site loss, blackout) [kW].
    objective_eur_a: the LP objective (cost + penalised slack): a lower bound of
        the monolithic problem's penalised objective [EUR/a].
    solve_time_s: wall time of building and solving the LP [s].
    """

    capacity_kw: pd.Series
    arc_share: np.ndarray
    dispersion_excess_kw: float
    other_slack_kw: float
    objective_eur_a: float
    solve_time_s: float


def solve_city_lp(
    p: SitingProblem, solver: SolverSettings, time_limit_s: float, margin: float = DISPERSION_MARGIN
) -> CityLP | None:
    """Solve the LP relaxation of ``p`` (penalised) within ``time_limit_s`` [s]; None if it does not finish.

    The LP keeps every circle ``margin`` x its cap below the cap, so that its
    capacities leave room for whole modules; the certificate is corrected back
    to the full cap (the least uniform raise over the full cap is the raise over
    the lowered one less the margin).
    """
    from teplo.supply.model import _HighsModel  # the same HiGHS handle the MILP uses

    t0 = time.perf_counter()
    margin_kw = float(margin * p.circle_cap_kw.mean()) if len(p.circle_cap_kw) else 0.0
    hm = _HighsModel(create_model(replace(p, dispersion_extra_kw=p.dispersion_extra_kw - margin_kw).relaxed()),
                     solver)
    for key, value in (("solve_relaxation", True), ("solver", "ipm"), ("run_crossover", "off"),
                       ("time_limit", max(float(time_limit_s) - (time.perf_counter() - t0), 1.0))):
        hm.h.setOptionValue(key, value)
    hm.h.run()
    if hm.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.asarray(hm.h.getSolution().col_value, dtype=float)

    def of(name: str) -> np.ndarray:
        cols = hm.columns(name)
        return np.where(cols >= 0, values[np.maximum(cols, 0)], 0.0)

    slack = {name: float(np.clip(of(name), 0.0, None).sum()) for name in SLACKS
             if name in hm.m.variables and name not in SECONDARY_SLACKS}
    counts = pd.DataFrame(np.clip(of("units-count"), 0.0, None), index=p.sites.index, columns=type_index(p))
    capacity = (counts * p.heat["heat_kw"].to_numpy()).sum(axis=1).rename("capacity_kw")
    info = hm.h.getInfo()
    return CityLP(
        capacity_kw=capacity,
        arc_share=np.clip(of("arcs-assign"), 0.0, 1.0),
        dispersion_excess_kw=max(slack.pop("slack-dispersion", 0.0) - margin_kw, 0.0),
        other_slack_kw=float(sum(slack.values())),
        objective_eur_a=float(info.objective_function_value) if math.isfinite(info.objective_function_value)
        else math.nan,
        solve_time_s=time.perf_counter() - t0,
    )


def caps_the_area_allows(p: SitingProblem, lp: CityLP, margin: float = DISPERSION_MARGIN) -> pd.Series:
    """Dispersion cap [kW] per circle that a plan can aim for when the area is too dense for the required one.

    Where the LP installs more than (1 - ``margin``) x C in a circle, that
    circle's cap becomes the LP's capacity there plus the margin (rounded up to
    ``DISPERSION_STEP_KW``); every other circle keeps C. The LP's capacities
    then fit every circle with the same room for whole modules as elsewhere, so
    the clusters solve a problem the LP shows can be met, and only the circles
    the area needs go above C (by at most e* plus the margin). Returns the
    required caps unchanged when the LP meets them (``lp.dispersion_excess_kw`` 0).
    """
    from teplo.supply.model import DISPERSION_STEP_KW, SLACK_TOL_KW

    cap = p.circle_cap_kw.astype(float)
    if lp.dispersion_excess_kw <= SLACK_TOL_KW or len(p.circles) == 0:
        return cap
    inside = pd.Series(lp.capacity_kw.reindex(p.circles["site_id"]).fillna(0.0).to_numpy(),
                       index=p.circles["circle_id"].to_numpy()).groupby(level=0).sum().reindex(cap.index).fillna(0.0)
    raised = np.ceil((inside + margin * cap) / DISPERSION_STEP_KW - 1e-9) * DISPERSION_STEP_KW
    return cap.where(inside <= (1.0 - margin) * cap + SLACK_TOL_KW, np.maximum(cap, raised))
