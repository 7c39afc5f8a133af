"""Fixtures for the demand tests."""

from __future__ import annotations

import geopandas as gpd
import pytest

from teplo.climate import Climate, kharkiv_climate
from tests.demand import helpers


@pytest.fixture(scope="session")
def reference_climate() -> Climate:
    return helpers.reference_climate()


@pytest.fixture(scope="session")
def kharkiv() -> Climate:
    return kharkiv_climate()


@pytest.fixture
def typology_buildings() -> gpd.GeoDataFrame:
    return helpers.typology_buildings()
