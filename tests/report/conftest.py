"""Fixtures of the report tests: the bundled sample area as the CLI makes it, and the same with fake layers.

``sample_study`` runs the real demand and network stages on the bundled OSM
sample (≈ 3 s, once per session) and round-trips it through a GeoPackage, so
the report sees the types a saved study has. ``full_study`` adds the TEST-ONLY
fake plan, operation and stress layers of :mod:`tests.report.fake_layers`.
"""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from teplo.errors import TeploWarning
from teplo.pipeline import run_demand_stage, run_network_stage
from teplo.study import Study, open_study
from tests.report.fake_layers import add_fake_layers

N_SITES = 30  # as many as the network needs so that no pipe exceeds DN500 on this sample


def spread_sites(buildings: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """``n`` plant sites at buildings spread by farthest-point sampling from the largest load."""
    b = buildings[buildings["heated"].astype(bool)]
    pts = b.geometry.representative_point()
    xy = np.c_[pts.x.to_numpy(), pts.y.to_numpy()]
    pick = [int(np.argmax(b["design_load_kw"].to_numpy()))]
    dist = np.hypot(*(xy - xy[pick[0]]).T)
    for _ in range(n - 1):
        pick.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.hypot(*(xy - xy[pick[-1]]).T))
    return gpd.GeoDataFrame({"site_id": [f"S{i:02d}" for i in range(n)], "chosen": True},
                            geometry=pts.iloc[pick].to_numpy(), crs=b.crs)


@pytest.fixture(scope="session")
def sample_study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """The bundled sample after `teplo demand` and `teplo network` (no plan, operation or stress)."""
    area = resources.files("teplo") / "data" / "sample" / "moscow.osm.gz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TeploWarning)  # a few buildings far from any street
        with resources.as_file(area) as path:
            study = run_demand_stage(Path(path))
        study.layers["sites"] = spread_sites(study.layers["buildings"], N_SITES)
        run_network_stage(study)
    del study.layers["sites"]  # the sites came from a file, not from `teplo plan`
    path = study.save(tmp_path_factory.mktemp("sample") / "sample.gpkg")
    return open_study(path)


@pytest.fixture(scope="session")
def full_study(sample_study: Study, tmp_path_factory: pytest.TempPathFactory) -> Study:
    """``sample_study`` with fake plan, operation and stress layers (TEST ONLY), saved and reopened."""
    path = add_fake_layers(sample_study).save(tmp_path_factory.mktemp("full") / "full.gpkg")
    return open_study(path)


@pytest.fixture(scope="session")
def demand_only_study(sample_study: Study) -> Study:
    """Only buildings and streets: what `teplo demand` writes."""
    keep = {k: v for k, v in sample_study.layers.items() if k in ("buildings", "streets")}
    meta = {k: v for k, v in sample_study.meta.items() if k != "network_totals"}
    return Study(layers=keep, meta=meta)
