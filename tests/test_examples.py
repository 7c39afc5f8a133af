"""The examples run as written (so they cannot rot)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.filterwarnings("ignore::teplo.errors.TeploWarning")  # the dense sample cannot meet every rule
@pytest.mark.slow  # the whole job on the sample: ~6 min (plan and season dispatch of ~120 sites)
@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path / "out")])
    runpy.run_path(str(script), run_name="__main__")
    assert (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / "study.gpkg").exists()
