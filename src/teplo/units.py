"""Unit conversions used in reports (Ukrainian utilities count heat in Gcal)."""

from __future__ import annotations

#: 1 Gcal = 1.163 MWh (1 cal_IT = 4.1868 J; 1e9 * 4.1868 J / 3.6e9 J/MWh).
MWH_PER_GCAL = 1.163
#: 1 Gcal/h = 1.163 MW, the same factor for rates.
MW_PER_GCAL_H = MWH_PER_GCAL


def mw_to_gcal_h(mw: float) -> float:
    """Convert MW to Gcal/h."""
    return mw / MW_PER_GCAL_H


def mwh_to_gcal(mwh: float) -> float:
    """Convert MWh to Gcal."""
    return mwh / MWH_PER_GCAL
