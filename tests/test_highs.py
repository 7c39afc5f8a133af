"""HiGHS's banner stays out of the command line's output."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = "import highspy\nfrom teplo.highs import silence_banner\n{}\nhighspy.Highs()\nprint('done')\n"


def _stdout(silence: bool) -> str:
    code = SCRIPT.format("silence_banner()" if silence else "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_banner_is_silenced_for_the_process():
    assert _stdout(silence=True) == "done\n"


def test_banner_shows_without_it():
    # the check above can fail: without the call, highspy prints its banner on standard output
    assert "HiGHS" in _stdout(silence=False)
