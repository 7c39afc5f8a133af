"""Anderson acceleration of a fixed-point iteration ``x = G(x)``.

Used on the outer loop of the solve, where ``x`` are the set-point mass flows
(consumers, heat producers) and ``G`` is one hydraulic + thermal pass. Plain
iteration contracts by the share of the temperature drop lost on the way to
a consumer, which in large, lightly loaded networks is slow; Anderson mixing
of the last few iterates (Walker & Ni 2011, SIAM J. Numer. Anal. 49(4),
"type II") typically halves the number of passes, and converges where a plain
iteration oscillates (a starved consumer asks for much flow, gets hot water,
asks for little, ...): in one dimension it is the secant method.
"""

from __future__ import annotations

import numpy as np

from teplo.network.water import FloatArray

FLOW_WEIGHT_FLOOR_KG_S = 1e-9  # flows below this weigh as this in the least-squares fit [kg/s]
MIN_DAMPING = 1.0 / 16  # smallest share of the plain update taken after repeated failures


class AndersonAccelerator:
    """Mixes the last ``depth`` iterates (with damping ``beta``, 1 = undamped).

    An extrapolation that leaves the physical range (a negative or non-finite
    flow) is replaced by a damped plain step ``x + beta (G(x) - x)`` and the
    history is forgotten; :meth:`slow_down` halves ``beta`` (down to
    :data:`MIN_DAMPING`) when the caller sees the iteration diverge.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.beta = 1.0
        self.d_x: list[FloatArray] = []
        self.d_f: list[FloatArray] = []
        self.prev: tuple[FloatArray, FloatArray] | None = None

    def reset(self) -> None:
        """Forget the history (after the iteration took a turn for the worse)."""
        self.d_x.clear()
        self.d_f.clear()
        self.prev = None

    def slow_down(self) -> None:
        """Halve the damping and forget the history."""
        self.beta = max(self.beta / 2, MIN_DAMPING)
        self.reset()

    def step(self, x: FloatArray, gx: FloatArray) -> FloatArray:
        """The next iterate from the current one ``x`` and its image ``gx = G(x)``."""
        f = gx - x
        if self.prev is not None:
            self.d_x.append(x - self.prev[0])
            self.d_f.append(f - self.prev[1])
            del self.d_x[: -self.depth], self.d_f[: -self.depth]
        self.prev = (x, f)
        plain = x + self.beta * f
        if not self.d_f or x.size == 0:
            return plain
        weight = 1.0 / np.maximum(np.abs(gx), FLOW_WEIGHT_FLOOR_KG_S)  # relative residuals
        d_f = np.stack(self.d_f, axis=1)
        d_x = np.stack(self.d_x, axis=1)
        gamma = np.linalg.lstsq(d_f * weight[:, None], f * weight, rcond=None)[0]
        nxt = np.asarray(plain - (d_x + self.beta * d_f) @ gamma, dtype=np.float64)
        if not np.all(np.isfinite(nxt)) or np.any(nxt < 0):
            self.reset()
            return plain
        return nxt
