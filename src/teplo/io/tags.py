"""Parsing free-text OSM (and GIS attribute) values: heights, levels, years.

OSM values are typed by hand, so the same fact arrives as ``"12"``, ``"12 m"``,
``"12,5"`` or ``"40'"``. Each parser returns ``None`` for a value it cannot
read rather than guessing; the importer counts those in its report.
"""

from __future__ import annotations

import math
import re

# A number with either decimal separator (",": common in Ukrainian/Russian input).
_NUM = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_HEIGHT_RE = re.compile(
    rf"^~?\s*{_NUM}\s*(m|meters?|metres?|м|ft|feet|foot|'|′)?"
    rf"(?:\s*{_NUM}\s*(?:\"|in|inch|inches|″))?$",
    re.IGNORECASE,
)
_FOOT_M = 0.3048  # international foot (exact, by definition)
_INCH_M = 0.0254  # international inch (exact, by definition)

# Sanity bounds. 828 m is the tallest building in the world (Burj Khalifa) and
# 163 its storey count; anything beyond is a typo, not a building.
MAX_HEIGHT_M = 830.0
MAX_LEVELS = 163

_LEVELS_RE = re.compile(r"\d+(?:[.,]\d+)?")
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Years outside this window are typos or not construction years (the oldest
# standing buildings of Kharkiv are 17th-18th century; 2100 leaves room for plans).
_YEAR_MIN, _YEAR_MAX = 1000, 2100


def _to_float(text: str) -> float:
    return float(text.replace(",", "."))


def parse_height(value: object) -> float | None:
    """Height in metres from an OSM ``height``-style value, ``None`` if unreadable.

    Accepts ``12``, ``12 m``, ``12.5m``, ``12,5``, ``~12``, ``40'``, ``40 ft``,
    ``12'6"``; with several values (``12;15``) the first is used. Non-positive
    or implausible (> 830 m) heights give ``None``.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        h = float(value)
    else:
        text = str(value).strip().split(";")[0].strip()
        if not text:
            return None
        m = _HEIGHT_RE.match(text)
        if m is None:
            return None
        number, unit, inches = m.group(1), (m.group(2) or "").lower(), m.group(3)
        h = _to_float(number)
        if unit in ("ft", "feet", "foot", "'", "′"):
            h = h * _FOOT_M + (_to_float(inches) * _INCH_M if inches else 0.0)
        elif inches:
            return None  # inches after metres: not a height we understand
    if not math.isfinite(h) or h <= 0.0 or h > MAX_HEIGHT_M:
        return None
    return h


def parse_levels(value: object) -> int | None:
    """Storeys above ground from a ``building:levels``-style value, ``None`` if unreadable.

    ``"9"`` gives 9; fractional levels (``"2.5"``, a mansard) round half up;
    several values (``"5;9"``, ``"5-9"``) give the largest, the height of the
    tallest part. Zero, negative or more than 163 levels give ``None``.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        numbers = [float(value)] if math.isfinite(float(value)) else []
    else:
        text = str(value).strip()
        # Empty, negative, or words/letters ("five", "5a"): not a level count.
        if not text or text.startswith("-") or re.search(r"[^\d\s.,;\-–/+]", text):
            return None
        numbers = [_to_float(t) for t in _LEVELS_RE.findall(text)]
    if not numbers:
        return None
    levels = math.floor(max(numbers) + 0.5)
    if levels < 1 or levels > MAX_LEVELS:
        return None
    return levels


def parse_year(value: object) -> float | None:
    """Construction year from a ``start_date``-style value, ``None`` if unknown.

    Takes the first four-digit year: ``"1975"``, ``"1975-06-01"``, ``"~1970"``,
    ``"1970s"``, ``"1960..1965"`` (1960). Centuries (``"C19"``) and vague text
    give ``None``: no year is invented.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        year = float(value)
        if not math.isfinite(year):
            return None
        year = float(math.floor(year))
    else:
        m = _YEAR_RE.search(str(value))
        if m is None:
            return None
        year = float(m.group(1))
    if year < _YEAR_MIN or year > _YEAR_MAX:
        return None
    return year
