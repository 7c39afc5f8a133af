"""Choosing the metric CRS of an area.

Geometry is read in any CRS, computed in the UTM zone of the area (metres)
and written back in the input CRS (DESIGN.md, conventions).
"""

from __future__ import annotations

import math

from pyproj import CRS

from teplo.errors import InputError


def utm_crs_for(lon: float, lat: float) -> CRS:
    """Return the WGS 84 / UTM CRS whose zone contains ``(lon, lat)`` (degrees).

    Kharkiv (36.2 E, 50.0 N) gives EPSG:32637: zone 37 spans 36–42 E (zone 36 ends at 36 E).
    """
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 84 or abs(lon) > 180:
        raise InputError(
            f"cannot choose a UTM zone for lon={lon}, lat={lat}: coordinates are not "
            "valid WGS 84 degrees (is the input in a projected CRS without a .prj/CRS tag?)"
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    epsg = (32600 if lat >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)
