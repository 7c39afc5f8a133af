"""Simultaneity (diversity) factor of the design loads of n buildings on one network.

Winter, Haslauer and Obernberger (2001), "Untersuchungen der Gleichzeitigkeit
in kleinen und mittleren Nahwärmenetzen", Euroheat & Power 30 (9/10),
fitted on measured Austrian district-heating networks (space heat and DHW):

    GLF(n) = a + b / (1 + (n / c)^d)

with a = 0.449677646267461, b = 0.551234688, c = 53.84382392,
d = 1.762743268. The constants were taken from
``GreenDelta/Sophena:sophena/src/sophena/io/thermos/pipes/Hydraulics.java@6f669ba7``
and agree with several other independent open implementations in the code
index (one cites https://www.verenum.ch/Dokumente/2001_Winter-Gleichzeitig.pdf
and gives the fitted range as 1 < n < 200). GLF tends to a ≈ 0.45 for large n.
Because a + b slightly exceeds 1, the formula is capped at 1 (and n = 1 is 1).
"""

from __future__ import annotations

from typing import overload

import numpy as np
import numpy.typing as npt

from teplo.errors import InputError

WINTER_A = 0.449677646267461
WINTER_B = 0.551234688
WINTER_C = 53.84382392
WINTER_D = 1.762743268


@overload
def simultaneity_factor(n: int | float) -> float: ...
@overload
def simultaneity_factor(n: npt.ArrayLike) -> float | np.ndarray: ...
def simultaneity_factor(n: npt.ArrayLike) -> float | np.ndarray:
    """Winter et al. (2001) simultaneity factor for ``n`` connected buildings (n >= 1).

    A scalar gives a float, an array an array of the same shape. The peak of
    a group is ``GLF(n) · Σ design loads``.
    """
    arr = np.asarray(n, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 1):
        raise InputError(
            "simultaneity_factor: the number of buildings must be finite and at least 1"
        )
    glf = WINTER_A + WINTER_B / (1.0 + (arr / WINTER_C) ** WINTER_D)
    glf = np.minimum(glf, 1.0)
    if arr.ndim == 0:
        return float(glf)
    return glf
