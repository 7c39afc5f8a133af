"""A Study: the tables of one area and the settings that made them, saved as one GeoPackage.

Stages do not call each other; the pipeline and the CLI compose them and keep
their results here, so any table can be replaced by a user's own before the
next stage runs. The file format is versioned (``meta`` table).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from teplo.errors import InputError
from teplo.io.geopackage import list_layers, read_layer, write_layers

#: Version of the study file layout; bump when a layer's meaning changes.
STUDY_FORMAT_VERSION = 1


@dataclass
class Study:
    """Named tables (GeoDataFrames or DataFrames) plus settings and provenance."""

    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        layers = self.__dict__.get("layers", {})
        if name in layers:
            return layers[name]
        raise AttributeError(
            f"study has no table '{name}' (tables: {', '.join(sorted(layers)) or 'none'})"
        )

    @property
    def crs(self) -> CRS | None:
        """CRS of the buildings layer (the area's metric CRS), if present."""
        b = self.layers.get("buildings")
        if isinstance(b, gpd.GeoDataFrame) and b.crs is not None:
            return CRS(b.crs)
        return None

    def save(self, path: str | os.PathLike[str], *, output_crs: CRS | str | None = None) -> Path:
        """Write every layer and a ``meta`` table atomically to ``path``.

        Geometries are written in ``output_crs`` (default: the input CRS recorded
        in ``meta['input_crs']``, else as held).
        """
        target_crs = output_crs or self.meta.get("input_crs")
        out: dict[str, pd.DataFrame] = {}
        for name, frame in self.layers.items():
            if isinstance(frame, gpd.GeoDataFrame) and target_crs is not None and frame.crs is not None:
                out[name] = frame.to_crs(target_crs)
            else:
                out[name] = frame
        meta = dict(self.meta)
        meta["format_version"] = STUDY_FORMAT_VERSION
        meta["settings"] = self.settings
        out["meta"] = pd.DataFrame(
            {"key": list(meta), "value": [json.dumps(v, sort_keys=True, default=str) for v in meta.values()]}
        )
        return write_layers(path, out, keep_existing=False)


def open_study(path: str | os.PathLike[str]) -> Study:
    """Read a study written by :meth:`Study.save`, reprojecting geometry to the metric CRS."""
    p = Path(path)
    names = list_layers(p)
    meta: dict[str, Any] = {}
    if "meta" in names:
        table = read_layer(p, "meta")
        meta = {str(k): json.loads(v) for k, v in zip(table["key"], table["value"], strict=True)}
        version = int(meta.get("format_version", 0))
        if version > STUDY_FORMAT_VERSION:
            raise InputError(
                f"{p}: study format {version} is newer than this teplo understands "
                f"({STUDY_FORMAT_VERSION}); upgrade teplo"
            )
    metric = meta.get("metric_crs")
    layers: dict[str, pd.DataFrame] = {}
    for name in names:
        if name == "meta":
            continue
        frame = read_layer(p, name)
        if isinstance(frame, gpd.GeoDataFrame) and metric is not None and frame.crs is not None:
            frame = frame.to_crs(metric)
        layers[name] = frame
    settings = meta.pop("settings", {}) if isinstance(meta.get("settings"), dict) else {}
    return Study(layers=layers, settings=settings, meta=meta)
