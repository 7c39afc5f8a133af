"""The worst k strikes: which strike centres leave the most residents below 12 °C after 24 h.

Enumerating strikes answers "what if here?"; an attacker picks the worst
few. For k = 1…3 strikes of a given radius, over a candidate set of centres
(every site's point, where the damage concentrates, plus grid points; those
hitting nothing, or exactly what another hits, are dropped):

* **exhaustive**: every k-subset of candidates is a scenario; all are
  screened and cooled as one vectorised batch — exact over the candidate set
  (with pipes, topology and cooling as in every other scenario);
* **greedy + swap**: starting from each of the few best single strikes, add
  the candidate that adds the most until k are chosen, then swap one chosen
  centre for another while that improves (best swap over all positions and
  candidates per round); keep the best. This is the city-scale method: each
  round is one batch of at most k·n scenarios.

* **MILP** (:mod:`teplo.resilience.interdiction`): exact without
  enumeration when strikes destroy sites (pipe damage left out).

The objective is not monotone when pipes are hit (cutting a branch can
leave more capacity for the rest), so no candidate is pruned by dominance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from teplo.errors import InputError
from teplo.resilience.availability import expand
from teplo.resilience.evaluate import evaluate, plan
from teplo.resilience.generators import (
    Temperature,
    capped_combinations,
    scenario_meta,
    strike_grid,
    strike_masks,
    valve_sections,
)
from teplo.resilience.scenarios import Outages, ScenarioSet
from teplo.resilience.settings import StressSettings
from teplo.resilience.system import StressSystem


@dataclass(frozen=True)
class StrikePlan:
    """The best set of k strike centres found."""

    k: int
    method: str
    candidates: tuple[int, ...]  # indices into the candidate centres
    centres_xy: np.ndarray  # (k, 2) [m]
    residents_cold: float  # residents below 12 °C after ``hours``
    evaluations: int
    seconds: float


class StrikeObjective:
    """Residents below 12 °C after ``hours`` for unions of candidate strikes, evaluated in batches."""

    def __init__(
        self,
        system: StressSystem,
        centres_xy: np.ndarray,
        radius_m: float,
        *,
        temp_c: Temperature = -20.0,
        duration_h: float = 48.0,
        hours: float = 24.0,
        settings: StressSettings | None = None,
    ) -> None:
        self.system = system
        self.centres = np.asarray(centres_xy, dtype=float).reshape(-1, 2)
        st = settings or StressSettings()
        if hours not in st.cooling.report_hours:
            report = tuple(sorted({*st.cooling.report_hours, float(hours)}))
            st = st.model_copy(update={"cooling": st.cooling.model_copy(update={"report_hours": report})})
        self.settings = st
        self.hours = float(hours)
        self.column = f"residents_below_12c_{hours:g}h"
        sections = (
            valve_sections(system, st.generators.valve_spacing_m, st.generators.valve_nodes)
            if system.network.n_pipes else None
        )
        self.site_hit, self.pipe_hit = strike_masks(system, self.centres, radius_m, sections)
        self.temp_c = temp_c
        self.duration_h = duration_h
        self.evaluations = 0

    def scenarios(self, combos: np.ndarray) -> ScenarioSet:
        """One scenario per row of candidate indices: the union of their strikes."""
        combos = np.asarray(combos, dtype=np.int64).reshape(len(combos), -1)
        m, k = combos.shape
        rows = np.repeat(np.arange(m), k)
        out = {}
        for kind, hit in (("sites", self.site_hit), ("pipes", self.pipe_hit)):
            r, c, _ = expand(rows, combos.ravel(), sparse.csr_array(hit))
            out[kind] = Outages.from_entries(r, c, (m, int(hit.shape[1])))
        ids = ["strikes:" + "+".join(map(str, row)) for row in combos]
        meta, prof = scenario_meta(ids, "strike", ids, self.temp_c, self.duration_h)
        return ScenarioSet.build(self.system, meta, out, prof)

    def __call__(self, combos: np.ndarray) -> np.ndarray:
        """Residents below 12 °C after ``hours`` for each row of ``combos``."""
        combos = np.asarray(combos, dtype=np.int64)
        if combos.shape[0] == 0:
            return np.zeros(0)
        values = []
        size = self.settings.chunk_size
        for a in range(0, combos.shape[0], size):
            s = self.scenarios(combos[a : a + size])
            r = evaluate(self.system, s, plan(self.system, s, self.settings), self.settings)
            values.append(r.scenarios[self.column].to_numpy(dtype=float))
        self.evaluations += combos.shape[0]
        return np.concatenate(values)


def strike_candidates(
    system: StressSystem,
    radius_m: float,
    spacing_m: float | None = None,
    *,
    include_sites: bool = True,
    include_grid: bool = True,
) -> np.ndarray:
    """Candidate centres [m]: site points and grid points that hit something, one per distinct hit."""
    parts = []
    if include_sites:
        parts.append(system.sites.xy_m)
    if include_grid:
        parts.append(strike_grid(system, radius_m, spacing_m))
    if not parts:
        raise InputError("strike_candidates: include sites or a grid")
    pts = np.vstack(parts)
    site_hit, pipe_hit = strike_masks(system, pts, radius_m)
    sig = [
        site_hit.indices[site_hit.indptr[r] : site_hit.indptr[r + 1]].tobytes() + b"|"
        + pipe_hit.indices[pipe_hit.indptr[r] : pipe_hit.indptr[r + 1]].tobytes()
        for r in range(pts.shape[0])
    ]
    hits = (np.diff(site_hit.indptr) + np.diff(pipe_hit.indptr)) > 0
    _, first = np.unique(np.array(sig, dtype=object), return_index=True)
    keep = np.sort(first)
    return pts[keep[hits[keep]]]


def exhaustive(objective: StrikeObjective, k: int, max_evaluations: int = 50_000) -> StrikePlan:
    """Exact best k-subset of the candidates, by evaluating all of them."""
    n = objective.centres.shape[0]
    total = math.comb(n, k)
    if total > max_evaluations:
        raise InputError(
            f"exhaustive search over C({n}, {k}) = {total} strike sets exceeds {max_evaluations}; "
            "use greedy_swap or fewer candidates"
        )
    t0, e0 = time.perf_counter(), objective.evaluations
    combos = capped_combinations(n, k, total, 0)
    values = objective(combos)
    best = int(np.argmax(values))  # first maximum: lowest candidate indices on ties
    return _plan(objective, k, "exhaustive", combos[best], float(values[best]), e0, t0)


def greedy_swap(objective: StrikeObjective, k: int, max_rounds: int = 20, starts: int = 3) -> StrikePlan:
    """Greedy additions then best-improvement swaps, from each of the ``starts`` best single strikes."""
    n = objective.centres.shape[0]
    if k > n:
        raise InputError(f"k = {k} strikes but only {n} candidates")
    t0, e0 = time.perf_counter(), objective.evaluations
    singles = objective(np.arange(n)[:, None])
    firsts = np.argsort(-singles, kind="stable")[: max(1, min(starts, n))]
    if k == 1:  # the best single strike is exact
        return _plan(objective, k, "greedy+swap", firsts[:1], float(singles[firsts[0]]), e0, t0)
    results = []
    for first in firsts:
        chosen, value = _greedy(objective, [int(first)], float(singles[first]), k)
        results.append(_swap(objective, chosen, value, max_rounds))
    best_set, best_value = max(results, key=lambda r: r[1])  # first best on ties
    return _plan(objective, k, "greedy+swap", np.asarray(best_set), best_value, e0, t0)


def _greedy(objective: StrikeObjective, chosen: list[int], value: float, k: int) -> tuple[list[int], float]:
    """Add the candidate that adds the most until ``k`` are chosen."""
    n = objective.centres.shape[0]
    while len(chosen) < k:
        free = np.setdiff1d(np.arange(n), chosen)
        values = objective(np.column_stack([np.tile(chosen, (free.size, 1)), free]))
        best = int(np.argmax(values))
        chosen = [*chosen, int(free[best])]
        value = float(values[best])
    return chosen, value


def _swap(objective: StrikeObjective, chosen: list[int], value: float, max_rounds: int) -> tuple[list[int], float]:
    """Best-improvement single swaps (one chosen centre for a free one) until none improves."""
    n, k = objective.centres.shape[0], len(chosen)
    for _ in range(max_rounds):
        free = np.setdiff1d(np.arange(n), chosen)
        if free.size == 0:
            break
        trial = np.tile(np.asarray(chosen), (k * free.size, 1))
        trial[np.arange(trial.shape[0]), np.repeat(np.arange(k), free.size)] = np.tile(free, k)
        values = objective(trial)
        best = int(np.argmax(values))
        if values[best] <= value + 1e-9:
            break
        chosen, value = [int(c) for c in trial[best]], float(values[best])
    return chosen, value


def _plan(objective: StrikeObjective, k: int, method: str, combo: np.ndarray, value: float, e0: int, t0: float) -> StrikePlan:
    combo = np.sort(np.asarray(combo, dtype=np.int64))
    return StrikePlan(
        k=k, method=method, candidates=tuple(int(c) for c in combo), centres_xy=objective.centres[combo],
        residents_cold=value, evaluations=objective.evaluations - e0, seconds=time.perf_counter() - t0,
    )


def worst_strikes(
    system: StressSystem,
    k_max: int = 3,
    radius_m: float = 300.0,
    *,
    method: str = "auto",
    candidates: np.ndarray | None = None,
    temp_c: Temperature = -20.0,
    duration_h: float = 48.0,
    hours: float = 24.0,
    settings: StressSettings | None = None,
    max_exhaustive: int = 20_000,
) -> pd.DataFrame:
    """The worst 1…``k_max`` strikes; one row per k with the centres and residents below 12 °C.

    ``method``: 'exhaustive', 'greedy' (greedy + swap), 'milp' (exact for
    site damage, :mod:`teplo.resilience.interdiction`) or 'auto' (exhaustive
    while C(n, k) ≤ ``max_exhaustive``, else greedy + swap).
    """
    if method not in ("auto", "exhaustive", "greedy", "milp"):
        raise InputError(f"worst_strikes: method must be auto, exhaustive, greedy or milp (got '{method}')")
    if not radius_m > 0:
        raise InputError(f"strike radius must be > 0 m (got {radius_m})")
    st = settings or StressSettings()
    centres = strike_candidates(system, radius_m, st.generators.strike_spacing_m) if candidates is None else candidates
    obj = StrikeObjective(system, centres, radius_m, temp_c=temp_c, duration_h=duration_h, hours=hours, settings=st)
    rows = []
    for k in range(1, k_max + 1):
        if k > obj.centres.shape[0]:
            break
        total = math.comb(obj.centres.shape[0], k)
        if method == "milp":
            from teplo.resilience.interdiction import milp_strikes

            p = milp_strikes(obj, k)
        elif method == "exhaustive" or (method == "auto" and total <= max_exhaustive):
            p = exhaustive(obj, k, max_evaluations=total if method == "exhaustive" else max_exhaustive)
        else:
            p = greedy_swap(obj, k)
        rows.append(
            {
                "k": k, "method": p.method, "residents_below_12c": p.residents_cold,
                "centres_xy": [tuple(map(float, c)) for c in p.centres_xy], "candidates": p.candidates,
                "evaluations": p.evaluations, "seconds": p.seconds,
            }
        )
    return pd.DataFrame(rows)


def compare(objective: StrikeObjective, ks: Sequence[int] = (1, 2, 3)) -> pd.DataFrame:
    """Greedy + swap against the exact optimum, per k (ratio = heuristic / exact)."""
    rows = []
    for k in ks:
        ex = exhaustive(objective, k)
        gr = greedy_swap(objective, k)
        rows.append(
            {"k": k, "exact": ex.residents_cold, "heuristic": gr.residents_cold,
             "ratio": gr.residents_cold / ex.residents_cold if ex.residents_cold > 0 else 1.0,
             "exact_evaluations": ex.evaluations, "heuristic_evaluations": gr.evaluations}
        )
    return pd.DataFrame(rows)
