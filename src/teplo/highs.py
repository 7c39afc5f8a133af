"""HiGHS, once per process: keep its copyright banner out of the command line's output.

``highspy`` prints "Running HiGHS …" on standard output (from C++, so Python's
``sys.stdout`` cannot catch it) the first time a solver object is built in a
process, before any ``output_flag`` can be set. Building that first object
with file descriptor 1 pointed at ``/dev/null`` leaves later ones silent, in
this process and in worker processes forked from it.
"""

from __future__ import annotations

import os
import sys

_silenced = False


def silence_banner() -> None:
    """Build the process's first HiGHS object with standard output discarded (no-op after the first call)."""
    global _silenced
    if _silenced:
        return
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _silenced = True
