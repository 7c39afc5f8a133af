"""One entry point for every area format, and the bundled sample extract."""

from __future__ import annotations

import atexit
import contextlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

from teplo.area import Area
from teplo.errors import InputError, InputFileNotFound
from teplo.io.gis import GIS_SUFFIXES, read_gis
from teplo.io.osm import OSM_SUFFIXES, read_osm

SAMPLE_NAME = "moscow.osm.gz"
_resource_stack = contextlib.ExitStack()
atexit.register(_resource_stack.close)


def _suffix(path: Path) -> str:
    """The format suffix, including the compression one: ``.osm.gz``, ``.osm.pbf``, ``.gpkg``."""
    name = path.name.lower()
    for suffix in sorted(OSM_SUFFIXES + GIS_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return "".join(path.suffixes[-2:]).lower() or "(none)"


def load_area(path: str | os.PathLike[str], **kwargs: Any) -> Area:
    """Read an area from an OSM (.osm, .osm.gz, .osm.bz2, .osm.pbf) or GIS (.gpkg, .geojson, .json) file.

    Keyword arguments go to :func:`teplo.io.gis.read_gis` (``buildings_layer``,
    ``streets_layer``, ``field_map``, ``streets_path``); OSM takes none.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileNotFound(f"{p}: no such file")
    suffix = _suffix(p)
    if suffix in OSM_SUFFIXES:
        if kwargs:
            raise InputError(f"{p}: options {', '.join(sorted(kwargs))} apply to GIS files, not OSM")
        return read_osm(p)
    if suffix in GIS_SUFFIXES:
        return read_gis(p, **kwargs)
    raise InputError(
        f"{p}: unknown file type '{suffix}'; teplo reads OSM "
        f"({', '.join(OSM_SUFFIXES)}) and GIS ({', '.join(GIS_SUFFIXES)}) files"
    )


def sample_path() -> Path:
    """Path of the bundled sample extract (OSM XML of north Moscow; see data/sample/ATTRIBUTION.md).

    A stand-in with the same micro-district layout as Kharkiv, not Kharkiv itself.
    """
    resource = resources.files("teplo").joinpath("data", "sample", SAMPLE_NAME)
    if isinstance(resource, Path):
        return resource
    # Installed in a zip: extract once, kept until the interpreter exits.
    return Path(_resource_stack.enter_context(resources.as_file(resource)))
