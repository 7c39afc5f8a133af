"""Winter et al. (2001) simultaneity factor."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.demand import simultaneity_factor
from teplo.demand.simultaneity import WINTER_A
from teplo.errors import InputError


def test_one_building_is_one() -> None:
    assert simultaneity_factor(1) == 1.0
    assert isinstance(simultaneity_factor(3), float)


def test_monotone_and_bounded() -> None:
    n = np.arange(1, 2001)
    f = simultaneity_factor(n)
    assert isinstance(f, np.ndarray) and f.shape == n.shape
    assert (np.diff(f) <= 0).all() and (np.diff(f[:500]) < 0).all()
    assert (f <= 1).all() and (f > WINTER_A).all()
    assert f[-1] == pytest.approx(WINTER_A, abs=0.01)


def test_published_values() -> None:
    # half of the excess over the asymptote at n = c ≈ 54 by construction
    assert simultaneity_factor(53.84382392) == pytest.approx(0.449677646267461 + 0.551234688 / 2)
    assert 0.8 < simultaneity_factor(20) < 0.95
    assert 0.5 < simultaneity_factor(150) < 0.55


@pytest.mark.parametrize("bad", [0, -3, np.nan, [1, 0]])
def test_rejects_fewer_than_one(bad: object) -> None:
    with pytest.raises(InputError):
        simultaneity_factor(bad)  # type: ignore[arg-type]
