"""Smoke run of the pandapipes benchmark at its smallest size, so it cannot rot."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("pandapipes")

from benchmarks import hydraulics as bench

LINE = re.compile(
    r"consumers=100 teplo_s=\d+\.\d+ pandapipes_s=\d+\.\d+ speedup=\d+\.\d "
    r"max_flow_dev=\d\.\d\de[-+]\d+ max_temp_dev_k=\d+\.\d{3}"
)


def test_benchmark_runs_for_100_consumers(capsys: pytest.CaptureFixture[str]) -> None:
    rows = bench.main(["--sizes", "100", "--repeats", "1", "--pp-repeats", "1"])
    out = capsys.readouterr().out.strip()
    assert LINE.fullmatch(out), out
    assert rows[0].max_flow_dev <= 0.01
    assert rows[0].max_temp_dev_k <= 0.5
