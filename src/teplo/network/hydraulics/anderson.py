"""Anderson acceleration of a fixed-point iteration ``x = G(x)``.

Used on the outer loop of the solve, where ``x`` are the set-point mass flows
(consumers, heat producers) and ``G`` is one hydraulic + thermal pass. Plain
iteration contracts by the share of the temperature drop lost on the way to
a consumer, which in large, lightly loaded networks is slow; Anderson mixing
of the last few iterates (Walker & Ni 2011, SIAM J. Numer. Anal. 49(4),
"type II", undamped) typically halves the number of passes.
"""

from __future__ import annotations

import numpy as np

from teplo.network.water import FloatArray

FLOW_WEIGHT_FLOOR_KG_S = 1e-9  # flows below this weigh as this in the least-squares fit [kg/s]
MAX_JUMP_SHARE = 0.5  # extrapolations moving a flow by more than this share of G(x) are rejected


class AndersonAccelerator:
    """Mixes the last ``depth`` iterates; falls back to ``G(x)`` (forgetting its history)
    when an extrapolation leaves the physical range (a negative flow, or a jump of more
    than half of ``G(x)``)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.d_x: list[FloatArray] = []
        self.d_f: list[FloatArray] = []
        self.prev: tuple[FloatArray, FloatArray] | None = None

    def step(self, x: FloatArray, gx: FloatArray) -> FloatArray:
        """The next iterate from the current one ``x`` and its image ``gx = G(x)``."""
        f = gx - x
        if self.prev is not None:
            self.d_x.append(x - self.prev[0])
            self.d_f.append(f - self.prev[1])
            del self.d_x[: -self.depth], self.d_f[: -self.depth]
        self.prev = (x, f)
        if not self.d_f or x.size == 0:
            return gx
        weight = 1.0 / np.maximum(np.abs(gx), FLOW_WEIGHT_FLOOR_KG_S)  # relative residuals
        d_f = np.stack(self.d_f, axis=1)
        d_x = np.stack(self.d_x, axis=1)
        gamma = np.linalg.lstsq(d_f * weight[:, None], f * weight, rcond=None)[0]
        nxt = np.asarray(gx - (d_x + d_f) @ gamma, dtype=np.float64)
        jump = np.abs(nxt - gx) > MAX_JUMP_SHARE * np.abs(gx) + 1e-12
        if not np.all(np.isfinite(nxt)) or np.any(nxt < 0) or np.any(jump):
            self.d_x.clear()
            self.d_f.clear()
            return gx
        return nxt
