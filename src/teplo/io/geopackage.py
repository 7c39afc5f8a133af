"""Writing and reading teplo's GeoPackage layers, atomically.

A study is one GeoPackage file. Writing goes to a temporary file next to the
target, which is renamed over the target only when every layer is written, so
an interrupted run leaves the previous complete file or none (DESIGN.md).
Non-spatial tables are stored as GeoPackage attribute tables.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from teplo.errors import InputError, InputFileNotFound
from teplo.schema import TABLES


def _layer_metadata(name: str) -> dict[str, str]:
    """Layer description for QGIS (from the schema), empty if the table is undeclared."""
    table = TABLES.get(name)
    if table is None:
        return {}
    return {"DESCRIPTION": table.description, "IDENTIFIER": name}


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Make a frame writable: object columns holding only None become strings, bools stay bools."""
    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        if out[col].dtype == object:
            out[col] = out[col].astype("string").fillna("").astype(object)
    return out


def write_layers(
    path: str | os.PathLike[str],
    layers: Mapping[str, pd.DataFrame],
    *,
    keep_existing: bool = True,
) -> Path:
    """Write ``layers`` to the GeoPackage at ``path`` atomically.

    With ``keep_existing`` the layers already in the file and not in ``layers``
    are kept (copied into the new file); layers in ``layers`` replace theirs.
    GeoDataFrames become feature layers, plain DataFrames attribute tables.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp.gpkg", dir=target.parent)
    os.close(fd)
    os.unlink(tmp_name)
    tmp = Path(tmp_name)
    try:
        if keep_existing and target.exists():
            shutil.copyfile(target, tmp)  # untouched layers are kept; given ones are overwritten
        for name, frame in layers.items():
            data = _prepare(frame)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                if isinstance(data, gpd.GeoDataFrame) and data.geometry.name in data.columns:
                    pyogrio.write_dataframe(
                        data,
                        tmp,
                        layer=name,
                        driver="GPKG",
                        append=False,
                        layer_metadata=_layer_metadata(name) or None,
                    )
                else:
                    pyogrio.write_dataframe(
                        pd.DataFrame(data),
                        tmp,
                        layer=name,
                        driver="GPKG",
                        append=False,
                        layer_metadata=_layer_metadata(name) or None,
                    )
        # mkstemp makes 0600 files; give the study the permissions a plain new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Names of the layers in a GeoPackage."""
    p = Path(path)
    if not p.exists():
        raise InputFileNotFound(f"{p}: no such file")
    try:
        return [str(row[0]) for row in pyogrio.list_layers(p)]
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise InputError(f"{p}: not a readable GeoPackage ({exc})") from None


def read_layer(path: str | os.PathLike[str], layer: str) -> pd.DataFrame:
    """Read one layer; a GeoDataFrame for feature layers, a DataFrame for attribute tables."""
    p = Path(path)
    layers = list_layers(p)
    if layer not in layers:
        raise InputError(
            f"{p}: has no layer '{layer}' (layers present: {', '.join(layers) or 'none'}); "
            "run the stage that writes it first"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = pyogrio.read_dataframe(p, layer=layer)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.isna().all() and len(frame):
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame
