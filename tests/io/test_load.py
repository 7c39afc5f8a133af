"""Dispatch on file type, and the bundled sample."""

from __future__ import annotations

import pytest

from teplo.errors import InputError, InputFileNotFound
from teplo.io import load_area, sample_path


def test_sample_is_bundled_with_attribution():
    path = sample_path()
    assert path.name == "moscow.osm.gz" and path.is_file()
    attribution = (path.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in attribution and "ODbL" in attribution


def test_unknown_suffix(tmp_path):
    path = tmp_path / "buildings.csv"
    path.write_text("id\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"buildings\.csv: unknown file type '\.csv'"):
        load_area(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileNotFound, match=r"city\.osm\.pbf: no such file"):
        load_area(tmp_path / "city.osm.pbf")


def test_osm_takes_no_gis_options(tmp_path):
    path = tmp_path / "a.osm"
    path.write_text("<osm/>", encoding="utf-8")
    with pytest.raises(InputError, match="apply to GIS files"):
        load_area(path, buildings_layer="b")
