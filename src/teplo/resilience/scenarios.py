"""Scenarios: what is lost, when, for how long, in what weather.

A scenario is an availability mask over the system's units, sites, pipes,
gas feeders and power feeders, plus an outdoor temperature (constant or an
hourly profile), a start time and a window ``duration_h``. Every lost element
is out over one interval ``[t_off_h, t_on_h)`` measured from the scenario
start (``t_on_h = inf``: not repaired; ``repair_h`` sets it).

Many scenarios are stored together in a :class:`ScenarioSet`: one sparse
boolean matrix (scenarios × elements) per element kind, with the intervals
aligned to the matrix's stored entries, and a metadata table. When an element
is hit twice in one scenario, its intervals are merged into their hull (the
conservative choice when they do not overlap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from teplo.errors import InputError
from teplo.resilience.system import StressSystem

ELEMENT_KINDS: tuple[str, ...] = ("units", "sites", "pipes", "gas_feeders", "power_feeders")
META_COLUMNS: tuple[str, ...] = ("scenario_id", "family", "description", "temp_c", "duration_h", "start", "profile")


@dataclass(frozen=True)
class Outages:
    """Lost elements of many scenarios: sparse scenarios × elements, one interval per entry.

    ``lost`` is a canonical CSR boolean array (sorted indices, no duplicates);
    ``t_off_h[k]`` and ``t_on_h[k]`` belong to its k-th stored entry [h].
    """

    lost: sparse.csr_array
    t_off_h: np.ndarray
    t_on_h: np.ndarray

    @classmethod
    def empty(cls, n_scenarios: int, n_elements: int) -> Outages:
        """No element lost in any scenario."""
        return cls.from_entries(np.zeros(0, np.int64), np.zeros(0, np.int64), (n_scenarios, n_elements))

    @classmethod
    def from_entries(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        shape: tuple[int, int],
        t_off_h: np.ndarray | float = 0.0,
        t_on_h: np.ndarray | float = np.inf,
    ) -> Outages:
        """Build from (scenario, element) entries; duplicates are merged into the hull of their intervals."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        off = np.broadcast_to(np.asarray(t_off_h, dtype=float), rows.shape)
        on = np.broadcast_to(np.asarray(t_on_h, dtype=float), rows.shape)
        if rows.size and (rows.min() < 0 or rows.max() >= shape[0] or cols.min() < 0 or cols.max() >= shape[1]):
            raise InputError(f"outage entry outside a {shape[0]} x {shape[1]} scenario matrix")
        keep = off < on
        rows, cols, off, on = rows[keep], cols[keep], off[keep], on[keep]
        order = np.lexsort((cols, rows))
        rows, cols, off, on = rows[order], cols[order], off[order], on[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        starts = np.flatnonzero(first)
        if rows.size:
            off = np.minimum.reduceat(off, starts)
            on = np.maximum.reduceat(on, starts)
        rows, cols = rows[starts], cols[starts]
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        lost = sparse.csr_array((np.ones(rows.size, dtype=bool), cols, indptr), shape=shape)
        return cls(lost=lost, t_off_h=np.ascontiguousarray(off), t_on_h=np.ascontiguousarray(on))

    @property
    def shape(self) -> tuple[int, int]:
        """(scenarios, elements)."""
        return (int(self.lost.shape[0]), int(self.lost.shape[1]))

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """(scenario, element) index of every stored entry, in storage order."""
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.lost.indptr))
        return rows, self.lost.indices.astype(np.int64)

    def at(self, t_h: float) -> sparse.csr_array:
        """Boolean scenarios × elements of what is out at time ``t_h`` [h]."""
        rows, cols = self.entries()
        out = (self.t_off_h <= t_h) & (t_h < self.t_on_h)
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[out], minlength=self.shape[0]), out=indptr[1:])
        return sparse.csr_array((np.ones(int(out.sum()), dtype=bool), cols[out], indptr), shape=self.shape)

    def take(self, idx: np.ndarray) -> Outages:
        """The rows ``idx`` (scenario indices), in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        starts, stops = self.lost.indptr[idx], self.lost.indptr[idx + 1]
        counts = stops - starts
        pos = concat_ranges(starts, counts)
        rows = np.repeat(np.arange(idx.size), counts)
        return Outages.from_entries(
            rows, self.lost.indices[pos], (idx.size, self.shape[1]), self.t_off_h[pos], self.t_on_h[pos]
        )

    def count(self) -> np.ndarray:
        """Elements lost (at any time) per scenario."""
        return np.diff(self.lost.indptr)

    def breakpoints(self) -> np.ndarray:
        """Distinct finite interval ends [h]."""
        t = np.concatenate([self.t_off_h, self.t_on_h])
        return np.unique(t[np.isfinite(t)])

    @staticmethod
    def vstack(parts: Sequence[Outages]) -> Outages:
        """Stack scenario rows of several outage sets over the same elements."""
        n_el = parts[0].shape[1]
        offset = 0
        rows, cols, off, on = [], [], [], []
        for p in parts:
            r, c = p.entries()
            rows.append(r + offset)
            cols.append(c)
            off.append(p.t_off_h)
            on.append(p.t_on_h)
            offset += p.shape[0]
        return Outages.from_entries(
            np.concatenate(rows), np.concatenate(cols), (offset, n_el), np.concatenate(off), np.concatenate(on)
        )


def concat_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for each (s, c), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(starts - (ends - counts), counts)
    return base + np.arange(total)


@dataclass(frozen=True)
class Scenario:
    """One scenario, by element ids (the user-facing form).

    ``lost`` maps an element kind (units, sites, pipes, gas_feeders,
    power_feeders) to the ids lost at the start; ``repair_h`` maps a kind to
    {id: hours until repaired}; ``temp_c`` is a constant outdoor temperature
    [°C] or an hourly profile starting at the scenario start.
    """

    scenario_id: str
    lost: Mapping[str, Sequence[str]] = field(default_factory=dict)
    temp_c: float | Sequence[float] = -20.0
    duration_h: float = 48.0
    family: str = "user"
    description: str = ""
    start: pd.Timestamp | None = None
    repair_h: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioSet:
    """Many scenarios: one :class:`Outages` per element kind and a metadata table.

    ``meta`` has the columns of :data:`META_COLUMNS`; ``profile`` indexes
    ``profiles_c`` (hourly outdoor temperatures, one row per profile) or is -1
    for a constant ``temp_c``. For a profile, ``temp_c`` holds its coldest hour.
    """

    meta: pd.DataFrame
    units: Outages
    sites: Outages
    pipes: Outages
    gas_feeders: Outages
    power_feeders: Outages
    profiles_c: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        n = len(self.meta)
        for kind in ELEMENT_KINDS:
            if self.outages(kind).shape[0] != n:
                raise InputError(f"scenario set: {kind} has {self.outages(kind).shape[0]} rows, meta {n}")
        if (self.meta["duration_h"] <= 0).any():
            bad = self.meta.loc[self.meta["duration_h"] <= 0, "scenario_id"]
            raise InputError(f"scenario(s) with duration_h <= 0: {', '.join(map(str, bad[:10]))}")

    def __len__(self) -> int:
        return len(self.meta)

    def outages(self, kind: str) -> Outages:
        """The :class:`Outages` of an element kind."""
        if kind not in ELEMENT_KINDS:
            raise InputError(f"unknown element kind '{kind}' (one of {', '.join(ELEMENT_KINDS)})")
        out: Outages = getattr(self, kind)
        return out

    @classmethod
    def build(
        cls,
        system: StressSystem,
        meta: pd.DataFrame,
        outages: Mapping[str, Outages] | None = None,
        profiles_c: np.ndarray | None = None,
    ) -> ScenarioSet:
        """Assemble a set; kinds not given in ``outages`` have no losses; meta is completed."""
        n = len(meta)
        meta = _complete_meta(meta, profiles_c)
        parts = {k: (outages or {}).get(k) or Outages.empty(n, system.size(k)) for k in ELEMENT_KINDS}
        for k, o in parts.items():
            if o.shape != (n, system.size(k)):
                raise InputError(f"scenario set: {k} outages have shape {o.shape}, expected {(n, system.size(k))}")
        prof = np.zeros((0, 0)) if profiles_c is None else np.asarray(profiles_c, dtype=float)
        return cls(meta=meta, profiles_c=prof, **parts)

    @classmethod
    def from_scenarios(cls, system: StressSystem, scenarios: Sequence[Scenario]) -> ScenarioSet:
        """Build a set from :class:`Scenario` objects (ids checked against the system)."""
        rows: dict[str, list[np.ndarray]] = {k: [] for k in ELEMENT_KINDS}
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ELEMENT_KINDS}
        ons: dict[str, list[np.ndarray]] = {k: [] for k in ELEMENT_KINDS}
        profiles: list[np.ndarray] = []
        records = []
        for r, sc in enumerate(scenarios):
            unknown = set(sc.lost) - set(ELEMENT_KINDS)
            if unknown:
                raise InputError(f"scenario {sc.scenario_id}: unknown element kind(s) {', '.join(sorted(unknown))}")
            for kind in ELEMENT_KINDS:
                ids = list(sc.lost.get(kind, ()))
                idx = system.index(kind, ids) if ids else np.zeros(0, np.int64)
                rep = sc.repair_h.get(kind, {})
                on = np.array([float(rep.get(i, np.inf)) for i in ids], dtype=float)
                rows[kind].append(np.full(idx.size, r))
                cols[kind].append(idx)
                ons[kind].append(on)
            temp = np.atleast_1d(np.asarray(sc.temp_c, dtype=float))
            profile = -1
            if temp.size > 1:
                profile = len(profiles)
                profiles.append(temp)
            records.append(
                {"scenario_id": sc.scenario_id, "family": sc.family, "description": sc.description,
                 "temp_c": float(temp.min()), "duration_h": float(sc.duration_h),
                 "start": sc.start, "profile": profile}
            )
        n = len(records)
        out = {
            k: Outages.from_entries(
                np.concatenate(rows[k]) if rows[k] else np.zeros(0, np.int64),
                np.concatenate(cols[k]) if cols[k] else np.zeros(0, np.int64),
                (n, system.size(k)), 0.0,
                np.concatenate(ons[k]) if ons[k] else np.zeros(0),
            )
            for k in ELEMENT_KINDS
        }
        prof = _pad_profiles(profiles)
        return cls.build(system, pd.DataFrame.from_records(records, columns=list(META_COLUMNS)), out, prof)

    def scenario(self, i: int, system: StressSystem) -> Scenario:
        """Scenario ``i`` as a :class:`Scenario` with element ids."""
        row = self.meta.iloc[i]
        lost: dict[str, tuple[str, ...]] = {}
        repair: dict[str, dict[str, float]] = {}
        for kind in ELEMENT_KINDS:
            o = self.outages(kind)
            lo, hi = o.lost.indptr[i], o.lost.indptr[i + 1]
            ids = system._ids(kind)[o.lost.indices[lo:hi]]
            lost[kind] = tuple(map(str, ids))
            finite = np.isfinite(o.t_on_h[lo:hi])
            if finite.any():
                repair[kind] = dict(zip(map(str, ids[finite]), o.t_on_h[lo:hi][finite].tolist(), strict=True))
        temp: float | list[float] = float(row["temp_c"])
        if int(row["profile"]) >= 0:
            temp = self.profiles_c[int(row["profile"])].tolist()
        return Scenario(
            scenario_id=str(row["scenario_id"]), lost=lost, temp_c=temp, duration_h=float(row["duration_h"]),
            family=str(row["family"]), description=str(row["description"]),
            start=None if pd.isna(row["start"]) else row["start"], repair_h=repair,
        )

    def take(self, idx: np.ndarray | slice) -> ScenarioSet:
        """A subset of the scenarios (profiles are kept whole)."""
        if isinstance(idx, slice):
            idx = np.arange(len(self))[idx]
        idx = np.asarray(idx, dtype=np.int64)
        parts = {k: self.outages(k).take(idx) for k in ELEMENT_KINDS}
        return ScenarioSet(meta=self.meta.iloc[idx].reset_index(drop=True), profiles_c=self.profiles_c, **parts)

    @staticmethod
    def concat(sets: Sequence[ScenarioSet]) -> ScenarioSet:
        """Stack sets; profile indices are renumbered, scenario ids must stay unique."""
        sets = [s for s in sets if len(s)] or list(sets[:1])
        metas, profiles, offset = [], [], 0
        for s in sets:
            m = s.meta.copy()
            m.loc[m["profile"] >= 0, "profile"] += offset
            metas.append(m)
            profiles.extend(list(s.profiles_c))
            offset += s.profiles_c.shape[0]
        meta = pd.concat(metas, ignore_index=True)
        dup = meta["scenario_id"].duplicated()
        if dup.any():
            raise InputError(f"duplicate scenario id(s): {', '.join(meta.loc[dup, 'scenario_id'][:10])}")
        parts = {k: Outages.vstack([s.outages(k) for s in sets]) for k in ELEMENT_KINDS}
        return ScenarioSet(meta=meta, profiles_c=_pad_profiles(profiles), **parts)

    def horizon_h(self) -> float:
        """Longest window of the set [h]."""
        return float(self.meta["duration_h"].max()) if len(self) else 0.0


def _pad_profiles(profiles: Sequence[np.ndarray]) -> np.ndarray:
    """Stack hourly profiles of unequal length; shorter ones hold their last hour."""
    if not profiles:
        return np.zeros((0, 0))
    n = max(len(p) for p in profiles)
    return np.vstack([np.concatenate([p, np.full(n - len(p), p[-1])]) for p in profiles])


def _complete_meta(meta: pd.DataFrame, profiles_c: np.ndarray | None) -> pd.DataFrame:
    """Fill optional metadata columns and check the rest."""
    meta = meta.reset_index(drop=True).copy()
    for col, default in (("description", ""), ("start", pd.NaT), ("profile", -1), ("family", "user")):
        if col not in meta.columns:
            meta[col] = default
    for col in ("scenario_id", "temp_c", "duration_h"):
        if col not in meta.columns:
            raise InputError(f"scenario metadata lacks column '{col}'")
    meta["profile"] = meta["profile"].astype(np.int64)
    n_prof = 0 if profiles_c is None else np.asarray(profiles_c).shape[0]
    if (meta["profile"] >= n_prof).any():
        raise InputError("scenario metadata: profile index beyond the given profiles")
    meta["temp_c"] = meta["temp_c"].astype(float)
    if n_prof:
        has = meta["profile"].to_numpy() >= 0
        coldest = np.asarray(profiles_c).min(axis=1)
        meta.loc[has, "temp_c"] = coldest[meta.loc[has, "profile"].to_numpy()]
    meta["duration_h"] = meta["duration_h"].astype(float)
    return meta[list(META_COLUMNS)]
