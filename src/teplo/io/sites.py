"""Reading user-given plant sites and existing pipes (GeoJSON / GeoPackage)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from teplo.errors import InputError, InputFileNotFound


def _read(path: str | os.PathLike[str], what: str) -> gpd.GeoDataFrame:
    p = Path(path)
    if not p.exists():
        raise InputFileNotFound(f"{p}: no such file ({what})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(p)
    except Exception as exc:  # pyogrio/GDAL raise several types for unreadable files
        raise InputError(f"{p}: cannot read {what} ({exc})") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise InputError(f"{p}: {what} file has no geometry")
    if frame.crs is None:
        raise InputError(f"{p}: {what} layer has no CRS; set one (e.g. EPSG:4326) and retry")
    return frame


def read_sites(path: str | os.PathLike[str], crs: CRS | str) -> gpd.GeoDataFrame:
    """Plant sites (points; polygons are reduced to a point inside) with a ``site_id``.

    Rows without ``site_id`` get ``site-<row>``; duplicate ids are an error.
    """
    frame = _read(path, "sites").to_crs(crs)
    if "site_id" not in frame.columns:
        frame["site_id"] = [f"site-{i}" for i in range(len(frame))]
    ids = frame["site_id"].astype("string").fillna("")
    ids = ids.where(
        ids != "", pd.Series([f"site-{i}" for i in range(len(frame))], index=frame.index)
    )
    frame["site_id"] = ids.astype(str)
    dup = frame["site_id"][frame["site_id"].duplicated()].unique().tolist()
    if dup:
        raise InputError(f"{path}: duplicate site_id {', '.join(map(str, dup[:10]))}")
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        raise InputError(
            f"{path}: site(s) without geometry: {', '.join(frame.loc[empty, 'site_id'][:10])}"
        )
    frame = frame.set_geometry(frame.geometry.representative_point())
    return frame


def read_existing_pipes(path: str | os.PathLike[str], crs: CRS | str) -> gpd.GeoDataFrame:
    """Existing pipes: lines with ``dn`` [mm] and optional ``laying_year``, in ``crs``."""
    frame = _read(path, "existing pipes").to_crs(crs)
    if "dn" not in frame.columns:
        raise InputError(f"{path}: existing pipes need a 'dn' column (nominal diameter, mm)")
    return frame
