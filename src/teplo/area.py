"""The imported area: buildings, the street graph and candidate-site features, in a metric CRS.

Every importer (OSM, GIS, synthetic city) returns an :class:`Area`, so every
later stage takes any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
from pyproj import CRS

from teplo.schema import SITE_FEATURES


@dataclass
class ImportReport:
    """What an importer read, repaired, defaulted and dropped (counts by reason)."""

    source: str
    read: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def count(self, bucket: str, reason: str, n: int = 1) -> None:
        """Add ``n`` to ``reason`` in ``bucket`` ('read', 'dropped' or 'repaired')."""
        target: dict[str, int] = getattr(self, bucket)
        target[reason] = target.get(reason, 0) + n

    def summary(self) -> str:
        """One line per non-empty bucket, for the CLI."""
        parts = [f"source: {self.source}"]
        for bucket in ("read", "repaired", "dropped"):
            items: dict[str, int] = getattr(self, bucket)
            if items:
                text = ", ".join(f"{k} {v}" for k, v in sorted(items.items()))
                parts.append(f"{bucket}: {text}")
        return "; ".join(parts)


@dataclass
class Area:
    """Buildings, streets and candidate-site features of an area.

    ``buildings`` follows :data:`teplo.schema.BUILDINGS_IMPORTED`, ``streets``
    :data:`teplo.schema.STREETS` and ``site_features`` (OSM features that can
    hold a plant: parking, industrial land, existing boiler houses, ...)
    :data:`teplo.schema.SITE_FEATURES`; all are in ``crs`` (metric, the area's
    UTM zone). ``input_crs`` is the CRS the data came in, used when writing back.
    Importers without site features (GIS files, the synthetic city) leave
    ``site_features`` empty, with its columns and ``crs``.
    """

    buildings: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    crs: CRS
    input_crs: CRS
    report: ImportReport
    site_features: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)

    def __post_init__(self) -> None:
        if len(self.site_features) == 0 and "kind" not in self.site_features.columns:
            from teplo.io._common import empty_frame  # io imports this module

            self.site_features = empty_frame(SITE_FEATURES, self.crs)

    def street_graph(self) -> nx.MultiGraph:
        """The street network as an undirected multigraph; edge attribute ``length_m``.

        Node ids are the ``u``/``v`` of the streets table; node attributes ``x``, ``y``
        are metric coordinates of the edge ends.
        """
        graph: nx.MultiGraph = nx.MultiGraph(crs=self.crs)
        if len(self.streets) == 0:
            return graph
        starts = self.streets.geometry.apply(lambda g: g.coords[0])
        ends = self.streets.geometry.apply(lambda g: g.coords[-1])
        for u, v, sid, length, (x0, y0), (x1, y1) in zip(
            self.streets["u"], self.streets["v"], self.streets["street_id"],
            self.streets["length_m"], starts, ends, strict=True,
        ):
            graph.add_node(int(u), x=x0, y=y0)
            graph.add_node(int(v), x=x1, y=y1)
            graph.add_edge(int(u), int(v), key=str(sid), length_m=float(length))
        return graph
