"""Parsing free-text tag values."""

from __future__ import annotations

import math

import pytest

from teplo.io.tags import parse_height, parse_levels, parse_year


@pytest.mark.parametrize(
    ("text", "metres"),
    [("12", 12.0), ("12 m", 12.0), ("12.5m", 12.5), ("12,5", 12.5), ("~12", 12.0), ("12;15", 12.0),
     ("40'", 12.192), ("40 ft", 12.192), ("12'6\"", 3.81), (7, 7.0),
     ("abc", None), ("-3", None), ("0", None), ("1000", None), ("", None), (None, None), (math.nan, None)],
)
def test_parse_height(text, metres):
    result = parse_height(text)
    assert result == (None if metres is None else pytest.approx(metres))


@pytest.mark.parametrize(
    ("text", "levels"),
    [("9", 9), (" 12 ", 12), ("2.5", 3), ("5;9", 9), ("5-9", 9), (16.0, 16),
     ("0", None), ("-1", None), ("five", None), ("5a", None), ("200", None), ("", None)],
)
def test_parse_levels(text, levels):
    assert parse_levels(text) == levels


@pytest.mark.parametrize(
    ("text", "year"),
    [("1975", 1975.0), ("1975-06-01", 1975.0), ("~1970", 1970.0), ("1970s", 1970.0), ("1960..1965", 1960.0),
     (1980, 1980.0), ("C19", None), ("19th century", None), ("", None), (3000, None), (None, None)],
)
def test_parse_year(text, year):
    assert parse_year(text) == year
