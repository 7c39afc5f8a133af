"""Reading areas (OSM, GIS, synthetic) and writing studies (GeoPackage)."""

from __future__ import annotations

from teplo.io.gis import read_gis
from teplo.io.load import load_area, sample_path
from teplo.io.osm import read_osm

__all__ = ["load_area", "read_gis", "read_osm", "sample_path"]
