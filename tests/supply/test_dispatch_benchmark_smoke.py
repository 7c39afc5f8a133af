"""Smoke run of the PyPSA dispatch benchmark at a tiny size, so it cannot rot."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("pypsa")

from benchmarks import dispatch as bench

LINE = re.compile(
    r"model=(district|city2) teplo_s=\d+\.\d\d pypsa_s=\d+\.\d\d speedup=\d+\.\d "
    r"objective_rel_diff=\d\.\d\de[-+]\d+"
)


def test_dispatch_benchmark_runs_tiny(capsys: pytest.CaptureFixture[str]) -> None:
    rows = bench.main(["--hours", "48", "--city-hours", "24", "--districts", "2", "--workers", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(LINE.fullmatch(x) for x in lines), lines
    assert all(float(r["objective_rel_diff"]) < 1e-3 for r in rows)  # the same problem
