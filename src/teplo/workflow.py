"""The main job: import -> demand -> plan -> network -> operation -> stress -> report.

:func:`run` composes the stage functions of :mod:`teplo.pipeline` with one
:class:`~teplo.settings.Settings`. Each stage's result is cached in the study:
its key is a hash of the area file, of its own settings and of every earlier
stage's key, so a re-run after changing a later stage's settings redoes only
that stage and the ones after it. The study is saved after every stage,
atomically, so an interrupted run leaves the last complete study.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from teplo.area import Area
from teplo.errors import TeploError
from teplo.settings import Settings
from teplo.study import Study, open_study

#: The stages in order; the report is written last and is not cached.
STAGES = ("demand", "plan", "network", "operation", "stress")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stage_keys(area_key: str, settings: Settings) -> dict[str, str]:
    """Cache key of every stage: hash of the area, its settings and the previous stage's key."""
    from teplo import __version__

    keys: dict[str, str] = {}
    previous = f"{area_key}|teplo {__version__}"
    for stage in STAGES:
        section = getattr(settings, stage, None)
        payload = json.dumps(section.model_dump(mode="json") if section is not None else {}, sort_keys=True)
        previous = hashlib.sha256(f"{previous}|{stage}|{payload}".encode()).hexdigest()[:16]
        keys[stage] = previous
    return keys


def _stage_functions() -> dict[str, Callable[[Study, Settings, Any], Any]]:
    """Stage name -> function(study, settings, progress) that fills the study's layers."""
    from teplo import pipeline

    return {
        "plan": pipeline.plan_stage,
        "network": pipeline.network_stage,
        "operation": pipeline.operation_stage,
        "stress": pipeline.stress_stage,
    }


def run(
    area: str | os.PathLike[str] | Area,
    settings: Settings | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    progress: Any = None,
) -> Study:
    """Run every stage on ``area`` and return the :class:`Study`.

    With ``out_dir`` the study is saved as ``out_dir/study.gpkg`` after every
    stage (reusing cached stages from a previous run there), and the report is
    written as ``out_dir/report.html`` with CSV tables.
    """
    from teplo.pipeline import run_demand_stage

    s = settings or Settings()
    say: Callable[[str], None] = (lambda t: progress.print(t)) if progress is not None else (lambda t: None)
    if isinstance(area, Area):
        area_key = "in-memory:" + hashlib.sha256(area.buildings.to_json().encode()).hexdigest()[:16]
    else:
        area_key = _file_digest(Path(area))
    keys = _stage_keys(area_key, s)
    path = Path(out_dir) / "study.gpkg" if out_dir is not None else None
    cached: dict[str, str] = {}
    study: Study | None = None
    if path is not None and path.exists():
        try:
            previous = open_study(path)
            cached = dict(previous.meta.get("stage_keys", {}))
            study = previous
        except TeploError:
            cached, study = {}, None

    def save(stage: str) -> None:
        assert study is not None
        done = dict(study.meta.get("stage_keys", {}))
        done[stage] = keys[stage]
        study.meta["stage_keys"] = done
        study.settings = s.model_dump(mode="json")
        if path is not None:
            study.save(path)

    def fresh(stage: str) -> bool:
        return study is not None and cached.get(stage) == keys[stage]

    timings: dict[str, float] = {}
    if fresh("demand"):
        say("[bold]·[/] demand: cached")
    else:
        t0 = time.perf_counter()
        study = run_demand_stage(area, weather=s.demand.weather, overrides=s.demand.overrides,
                                 progress=progress, climate_overrides={
                                     "design_temp_c": s.demand.design_temp_c,
                                     "indoor_temp_c": s.demand.indoor_temp_c})
        cached = {}  # everything after a recomputed stage is stale
        timings["demand"] = time.perf_counter() - t0
        save("demand")
    assert study is not None
    functions = _stage_functions()
    for stage in STAGES[1:]:
        if fresh(stage):
            say(f"[bold]·[/] {stage}: cached")
            continue
        cached = {k: v for k, v in cached.items() if STAGES.index(k) < STAGES.index(stage)}
        t0 = time.perf_counter()
        functions[stage](study, s, progress)
        timings[stage] = time.perf_counter() - t0
        save(stage)
    study.meta["stage_seconds"] = timings
    if out_dir is not None:
        from teplo.pipeline import report_stage

        report_stage(study, s, Path(out_dir), progress)
        if path is not None:
            study.save(path)
    return study
