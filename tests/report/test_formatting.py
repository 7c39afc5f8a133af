"""Numbers, headers and HTML tables."""

from __future__ import annotations

import math

import pandas as pd

from teplo.report.formatting import (
    THOUSANDS,
    column_format,
    figures_table,
    fmt_number,
    html_table,
    not_computed,
)


def test_numbers_have_narrow_space_thousands_and_a_true_minus() -> None:
    assert fmt_number(1234567.891, 2) == f"1{THOUSANDS}234{THOUSANDS}567.89"
    assert fmt_number(-3.46, 1) == "−3.5"
    assert fmt_number(-0.0001, 1) == "0.0"
    assert fmt_number(42) == "42"


def test_missing_and_infinite_numbers() -> None:
    assert fmt_number(None) == "–"
    assert fmt_number(math.nan, 2) == "–"
    assert fmt_number(pd.NA) == "–"
    assert fmt_number(math.inf) == "∞"
    assert fmt_number(True) == "yes"


def test_digits_none_keeps_the_number_as_given() -> None:
    assert fmt_number(0.92, None) == "0.92"
    assert fmt_number(3780.0, None) == f"3{THOUSANDS}780"
    assert fmt_number(0.2264, None) == "0.2264"


def test_headers_carry_units_and_patterns_are_understood() -> None:
    assert column_format("design_gcal_h").header == "Design load, Gcal/h"
    assert column_format("capex_muah").header == "CAPEX, M UAH"
    assert column_format("residents_below_12c_24h").label == "People below 12 °C after 24 h"
    assert column_format("buildings_below_18c_6h").label == "Buildings below 18 °C after 6 h"
    assert column_format("something_new").label == "something new"


def test_html_table_formats_escapes_and_marks_the_total() -> None:
    frame = pd.DataFrame(
        {"label": ["<b>x</b>", "all"], "design_mw": [1234.5678, 2.0]},
        index=pd.Index(["a", "total"], name="typology"),
    )
    out = html_table(frame, table_id="t1", caption="Cap")
    assert 'id="t1"' in out and "<caption>Cap</caption>" in out
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "<b>x</b>" not in out
    assert f"1{THOUSANDS}234.57" in out
    assert '<tr class="total">' in out
    assert "Design load, MW" in out


def test_figures_table_shows_each_value_with_its_unit() -> None:
    frame = pd.DataFrame(
        {"value": [82.19, 3.0], "unit": ["million m³", ""], "value_ua": [82190.0, math.nan],
         "unit_ua": ["thousand m³", ""], "digits": [2, 0], "digits_ua": [0, 0]},
        index=pd.Index(["Gas", "Sites"], name="quantity"),
    )
    out = figures_table(frame, table_id="f")
    assert "82.19 million m³" in out
    assert f"82{THOUSANDS}190 thousand m³" in out
    assert "<td class=\"num\"></td>" in out  # no Ukrainian unit: empty, not a dash


def test_not_computed_names_the_command() -> None:
    out = not_computed("Pipes", "teplo network")
    assert "not yet computed: run <code>teplo network</code>" in out
