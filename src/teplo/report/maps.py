"""The study map: buildings, sites with their units, pipes by DN, micro-districts and streets.

Plain plotly ``scatter`` traces in the area's metric CRS, shifted to km east
and north of the area's south-west corner, with equal axis scaling on a blank
background: no map tiles, no web fonts, nothing fetched. Shapes of one colour
class are one trace whose rings are separated by NaN, so a city of thousands
of buildings stays a few dozen traces. Buttons switch the building colours
between design load and the worst-case hours to 12 °C.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from teplo.report.formatting import fmt_number
from teplo.report.tables import numeric_column, unit_lists
from teplo.units import MW_PER_GCAL_H

#: Design-load classes [kW] and their colours (ColorBrewer YlOrRd, 6 classes).
LOAD_BINS_KW: tuple[float, ...] = (100.0, 250.0, 500.0, 1000.0, 2000.0)
LOAD_COLOURS: tuple[str, ...] = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
#: Worst-case hours to 12 °C classes [h] (the stress stage's report hours) and colours
#: (ColorBrewer Blues, darkest = coldest soonest), then 'never below 12 °C'.
COLD_BINS_H: tuple[float, ...] = (6.0, 12.0, 24.0, 48.0)
COLD_COLOURS: tuple[str, ...] = ("#08306b", "#2171b5", "#6baed6", "#c6dbef", "#eef5fb", "#e5f5e0")
UNHEATED_COLOUR = "#d9d9d9"
#: Pipe classes by DN (upper bound of each class), line widths [px] and colours.
#: Greys, so that pipes read apart from both building colourings (warm loads, blue cold).
PIPE_CLASSES: tuple[tuple[int, float, str], ...] = (
    (50, 1.0, "#a3a3a3"), (80, 1.5, "#8a8a8a"), (125, 2.0, "#6e6e6e"), (200, 3.0, "#545454"),
    (300, 4.0, "#3b3b3b"), (500, 5.0, "#242424"), (10_000, 6.0, "#000000"),
)
#: Site markers: (legend name, symbol, colour) for boiler-only sites and sites with CHP.
SITE_STYLES: tuple[tuple[str, str, str], ...] = (
    ("boiler house (BMK)", "diamond", "#1b7837"), ("site with gas-engine CHP", "star", "#7b3294"),
)
MAP_DIV_ID = "map-plot"


@dataclass(frozen=True)
class StudyMap:
    """The map figure and what a caption needs to say about it."""

    figure: go.Figure
    origin_m: tuple[float, float]
    crs: str
    polygons: bool
    has_cold: bool


def map_figure(
    buildings: gpd.GeoDataFrame,
    *,
    pipes: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    units: pd.DataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    network_nodes: gpd.GeoDataFrame | None = None,
    polygon_limit: int = 6000,
) -> StudyMap:
    """Build the map; every layer but ``buildings`` is optional."""
    minx, miny, _, _ = buildings.total_bounds
    origin = (float(np.floor(minx / 100.0) * 100.0), float(np.floor(miny / 100.0) * 100.0))
    polygonal = bool(buildings.geom_type.isin(["Polygon", "MultiPolygon"]).all())
    polygons = polygonal and len(buildings) <= polygon_limit
    hours = _worst_hours(buildings, outcomes)
    fig = go.Figure()
    if streets is not None and not streets.empty:
        x, y, _ = _lines(streets.geometry, origin)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="streets", hoverinfo="skip",
                                 line={"color": "#d0d0d0", "width": 0.8}))
    if districts is not None and not districts.empty:
        x, y, _ = _lines(districts.geometry.boundary, origin)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="micro-district boundary", hoverinfo="skip",
                                 line={"color": "#555555", "width": 1.5, "dash": "dash"}))
    load_traces = _building_traces(buildings, origin, polygons, *_load_classes(buildings), "load",
                                   "Design load")
    cold_traces = _building_traces(buildings, origin, polygons, *_cold_classes(buildings, hours), "cold",
                                   "Hours to 12 °C, worst case") if hours is not None else []
    for t in cold_traces:
        t.visible = False
    first = len(fig.data)
    fig.add_traces(load_traces + cold_traces)
    if polygons:
        fig.add_trace(_building_hover(buildings, origin, hours))
    if pipes is not None and not pipes.empty:
        fig.add_traces(_pipe_traces(pipes, origin))
    fig.add_traces(_site_traces(sites, units, buildings, network_nodes, origin))
    if districts is not None and not districts.empty:
        fig.add_trace(_district_labels(districts, buildings, origin))
    _layout(fig, first, len(load_traces), len(cold_traces))
    crs = str(buildings.crs.to_string()) if buildings.crs is not None else "unknown CRS"
    return StudyMap(fig, origin, crs, polygons, hours is not None)


def _layout(fig: go.Figure, first: int, n_load: int, n_cold: int) -> None:
    n = len(fig.data)
    fig.update_layout(
        template="simple_white",
        height=760,
        margin={"l": 55, "r": 10, "t": 50, "b": 45},
        title={"text": "Buildings coloured by design load", "x": 0.01, "font": {"size": 15}},
        xaxis={"title": "km east", "showgrid": False, "zeroline": False, "mirror": True},
        yaxis={"title": "km north", "scaleanchor": "x", "scaleratio": 1, "showgrid": False,
               "zeroline": False, "mirror": True},
        legend={"x": 1.01, "y": 1.0, "itemsizing": "constant", "groupclick": "toggleitem",
                "font": {"size": 11}, "tracegroupgap": 6},
        hovermode="closest",
        hoverlabel={"align": "left"},
        dragmode="pan",
    )
    if n_cold == 0:
        return
    load_vis = [True] * n
    cold_vis = [True] * n
    for i in range(first, first + n_load):
        cold_vis[i] = False
    for i in range(first + n_load, first + n_load + n_cold):
        load_vis[i] = False
    fig.update_layout(
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 0.0, "xanchor": "left", "y": 1.0,
            "yanchor": "bottom", "pad": {"t": 4, "b": 4}, "showactive": True, "active": 0,
            "buttons": [
                {"label": "Design load", "method": "update",
                 "args": [{"visible": load_vis}, {"title.text": "Buildings coloured by design load"}]},
                {"label": "Hours to 12 °C (worst case)", "method": "update",
                 "args": [{"visible": cold_vis},
                          {"title.text": "Buildings coloured by the worst-case hours to 12 °C"}]},
            ],
        }],
        title={"x": 0.42},
    )


def _worst_hours(buildings: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.Series | None:
    """Per building row: worst-case hours to 12 °C (inf: never), or None without outcomes."""
    if outcomes is None or outcomes.empty or "worst_hours_to_12c" not in outcomes.columns:
        return None
    h = pd.to_numeric(outcomes["worst_hours_to_12c"], errors="coerce")
    by_id = pd.Series(h.to_numpy(), index=outcomes["building_id"].astype(str).to_numpy())
    by_id = by_id[~by_id.index.duplicated()]
    return buildings["building_id"].astype(str).map(by_id).fillna(np.inf).set_axis(buildings.index)


def _load_classes(buildings: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
    """Class index per building (−1: unheated), class names and colours."""
    load = pd.to_numeric(buildings["design_load_kw"], errors="coerce").fillna(0.0).to_numpy()
    cls = np.digitize(load, LOAD_BINS_KW)
    cls[~buildings["heated"].astype(bool).to_numpy() | (load <= 0)] = -1
    return cls, _bin_names(LOAD_BINS_KW, "kW"), list(LOAD_COLOURS)


def _cold_classes(buildings: pd.DataFrame, hours: pd.Series) -> tuple[np.ndarray, list[str], list[str]]:
    h = hours.to_numpy(dtype=float)
    cls = np.digitize(h, COLD_BINS_H)
    cls[np.isinf(h)] = len(COLD_BINS_H) + 1
    cls[~buildings["heated"].astype(bool).to_numpy()] = -1
    return cls, [*_bin_names(COLD_BINS_H, "h"), "never below 12 °C"], list(COLD_COLOURS)


def _bin_names(edges: Sequence[float], unit: str) -> list[str]:
    e = [fmt_number(v) for v in edges]
    names = [f"< {e[0]} {unit}"]
    names += [f"{a}–{b} {unit}" for a, b in itertools.pairwise(e)]
    names.append(f"≥ {e[-1]} {unit}")
    return names


def _building_traces(
    buildings: gpd.GeoDataFrame,
    origin: tuple[float, float],
    polygons: bool,
    cls: np.ndarray,
    names: list[str],
    colours: list[str],
    group: str,
    title: str,
) -> list[go.Scatter]:
    """One trace per class (polygons or centroid markers), unheated first; the first carries the group title."""
    traces: list[go.Scatter] = []
    text = None if polygons else _hover_text(buildings, None)
    for k, (name, colour) in enumerate([("unheated", UNHEATED_COLOUR), *zip(names, colours, strict=True)]):
        mask = cls == k - 1
        if not mask.any():
            continue
        common = {"name": name, "legendgroup": group, "showlegend": True}
        if not traces:
            common["legendgrouptitle"] = {"text": title}
        if polygons:
            x, y = _rings(buildings.geometry[mask], origin)
            traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=colour,
                                     line={"color": colour, "width": 0.6}, hoverinfo="skip", **common))
        else:
            pts = buildings.geometry[mask].representative_point()
            traces.append(go.Scatter(
                x=_km(pts.x.to_numpy(), origin[0]), y=_km(pts.y.to_numpy(), origin[1]), mode="markers",
                marker={"color": colour, "size": 5, "line": {"color": "#7a7a7a", "width": 0.3}},
                text=text[mask] if text is not None else None, hoverinfo="text", **common))
    return traces


def _building_hover(buildings: gpd.GeoDataFrame, origin: tuple[float, float], hours: pd.Series | None) -> go.Scatter:
    """Invisible markers at the buildings' inner points carrying their hover text."""
    pts = buildings.geometry.representative_point()
    return go.Scatter(
        x=_km(pts.x.to_numpy(), origin[0]), y=_km(pts.y.to_numpy(), origin[1]), mode="markers",
        name="buildings (hover)", showlegend=False, hoverinfo="text", text=_hover_text(buildings, hours),
        marker={"size": 7, "color": "rgba(0,0,0,0)"},
    )


def _hover_text(buildings: pd.DataFrame, hours: pd.Series | None) -> np.ndarray:
    """Hover text per building: id, typology, load in kW and Gcal/h, residents, site, worst case."""
    b = buildings
    load = pd.to_numeric(b["design_load_kw"], errors="coerce").fillna(0.0)
    name = _esc(b["name"]) if "name" in b.columns else pd.Series("", index=b.index)
    text = (
        "<b>" + _esc(b["building_id"]) + "</b> " + name
        + "<br>" + _esc(b["typology"])
        + "<br>design load " + _num(load, 0) + " kW = " + _num(load / 1e3 / MW_PER_GCAL_H, 3) + " Gcal/h"
    )
    if "residents" in b.columns:
        text = text + "<br>" + _num(numeric_column(b, "residents").fillna(0.0), 0) + " residents"
    if "priority" in b.columns:
        text = text + ", " + _esc(b["priority"])
    for col, label in (("site_id", "site"), ("district_id", "micro-district")):
        if col in b.columns:
            ids = _esc(b[col])
            text = text + ("<br>" + label + " " + ids).where(ids != "", "")
    if hours is not None:
        text = text + "<br>worst case: " + hours.map(
            lambda h: "never below 12 °C" if not np.isfinite(h) else f"below 12 °C after {fmt_number(h, 1)} h")
    return text.to_numpy(dtype=object)


def _pipe_traces(pipes: gpd.GeoDataFrame, origin: tuple[float, float]) -> list[go.Scatter]:
    """One line trace per DN class, an overlay of undersized pipes, and midpoint markers for hover."""
    dn = pd.to_numeric(pipes["dn"], errors="coerce").fillna(0).astype(int).to_numpy()
    traces: list[go.Scatter] = []
    lower = 0
    for upper, width, colour in PIPE_CLASSES:
        mask = (dn > lower) & (dn <= upper)
        if mask.any():
            present = sorted(set(dn[mask].tolist()))
            name = f"DN {present[0]}" if len(present) == 1 else f"DN {present[0]}–{present[-1]}"
            x, y, _ = _lines(pipes.geometry[mask], origin)
            traces.append(go.Scatter(x=x, y=y, mode="lines", name=name, legendgroup="pipes",
                                     line={"color": colour, "width": width}, hoverinfo="skip"))
        lower = upper
    if traces:
        traces[0].legendgrouptitle = {"text": "Pipes"}
    if "too_small" in pipes.columns:
        small = pipes["too_small"].fillna(False).astype(bool).to_numpy()
        if small.any():
            x, y, _ = _lines(pipes.geometry[small], origin)
            traces.append(go.Scatter(x=x, y=y, mode="lines", name="too small for the design flow",
                                     legendgroup="pipes", line={"color": "#e7298a", "width": 3, "dash": "dot"},
                                     hoverinfo="skip"))
    mid = pipes.geometry.interpolate(0.5, normalized=True)
    num = {c: numeric_column(pipes, c) for c in ("length_m", "velocity_m_s", "dp_pa_per_m", "heat_loss_kw")}
    ids = _esc(pipes["pipe_id"]) if "pipe_id" in pipes.columns else pd.Series("", index=pipes.index)
    text = (
        "<b>DN " + pd.Series(dn, index=pipes.index).astype(str) + "</b> " + ids
        + "<br>" + _num(num["length_m"], 0) + " m, " + _num(num["velocity_m_s"].abs(), 2) + " m/s, "
        + _num(num["dp_pa_per_m"].abs(), 0) + " Pa/m"
        + "<br>heat loss " + _num(num["heat_loss_kw"], 1) + " kW"
    )
    if "site_id" in pipes.columns:
        text = text + ", site " + _esc(pipes["site_id"])
    traces.append(go.Scatter(
        x=_km(mid.x.to_numpy(), origin[0]), y=_km(mid.y.to_numpy(), origin[1]), mode="markers",
        name="pipes (hover)", showlegend=False, hoverinfo="text",
        text=text.to_numpy(dtype=object), marker={"size": 6, "color": "rgba(0,0,0,0)"},
    ))
    return traces


def _site_traces(
    sites: gpd.GeoDataFrame | None,
    units: pd.DataFrame | None,
    buildings: pd.DataFrame,
    nodes: gpd.GeoDataFrame | None,
    origin: tuple[float, float],
) -> list[go.Scatter]:
    """Chosen sites (boiler houses; with CHP) sized by heat output, hover listing their units.

    Without a plan, the network's feed points (``network_nodes`` of kind
    'site') are drawn instead.
    """
    if sites is None or sites.empty:
        if nodes is None or "kind" not in nodes.columns:
            return []
        feed = nodes[nodes["kind"].astype(str) == "site"]
        if feed.empty:
            return []
        return [go.Scatter(
            x=_km(feed.geometry.x.to_numpy(), origin[0]), y=_km(feed.geometry.y.to_numpy(), origin[1]),
            mode="markers", name="network feed point (no plan yet)", hoverinfo="text",
            text=("network feed point " + _esc(feed["site_id"])).to_numpy(dtype=object),
            marker={"symbol": "square", "size": 9, "color": "#1f1f1f", "line": {"color": "white", "width": 1}},
        )]
    chosen = sites[sites["chosen"].astype(bool)] if "chosen" in sites.columns else sites
    ids = chosen["site_id"].astype(str)
    if units is not None and not units.empty:
        u = units.assign(site_id=units["site_id"].astype(str), power_kw=numeric_column(units, "power_kw").fillna(0.0))
        heat = (u.groupby("site_id")["heat_kw"].sum()).reindex(ids).fillna(0.0).to_numpy()
        power = (u.groupby("site_id")["power_kw"].sum()).reindex(ids).fillna(0.0).to_numpy()
        listing = unit_lists(u).reindex(ids).fillna("no units").to_numpy()
    else:
        heat = numeric_column(chosen, "heat_kw").fillna(0.0).to_numpy()
        power = numeric_column(chosen, "power_kw").fillna(0.0).to_numpy()
        listing = np.full(len(chosen), "units not yet computed", dtype=object)
    served = (buildings["site_id"].astype(str).value_counts().reindex(ids).fillna(0).astype(int).to_numpy()
              if "site_id" in buildings.columns else np.zeros(len(ids), dtype=int))
    span = 11.0 if len(ids) <= 60 else 6.0  # a whole city's hundreds of sites: smaller markers
    size = 6.0 + span * np.sqrt(heat / heat.max()) if len(heat) and heat.max() > 0 else np.full(len(ids), 8.0)
    text = np.array([
        f"<b>site {html.escape(s)}</b><br>heat {fmt_number(h / 1e3, 2)} MW = "
        f"{fmt_number(h / 1e3 / MW_PER_GCAL_H, 2)} Gcal/h<br>electric {fmt_number(p / 1e3, 2)} MW"
        f"<br>{fmt_number(n)} buildings served<br>units: {html.escape(str(lst))}"
        for s, h, p, n, lst in zip(ids, heat, power, served, listing, strict=True)
    ], dtype=object)
    chp = power > 0
    x = _km(chosen.geometry.x.to_numpy(), origin[0])
    y = _km(chosen.geometry.y.to_numpy(), origin[1])
    traces = []
    for mask, (name, symbol, colour) in zip((~chp, chp), SITE_STYLES, strict=True):
        if mask.any():
            traces.append(go.Scatter(
                x=x[mask], y=y[mask], mode="markers", name=name, legendgroup="sites", hoverinfo="text",
                text=text[mask], marker={"symbol": symbol, "size": size[mask], "color": colour, "opacity": 0.9,
                                         "line": {"color": "white", "width": 1.0}},
            ))
    if traces:
        traces[0].legendgrouptitle = {"text": "Sites (size: heat output)"}
    return traces


def _district_labels(districts: gpd.GeoDataFrame, buildings: pd.DataFrame, origin: tuple[float, float]) -> go.Scatter:
    pts = districts.geometry.representative_point()
    load = numeric_column(districts, "design_load_kw")
    ids = districts["district_id"].astype(str)
    text = [f"<b>micro-district {html.escape(d)}</b><br>design load {fmt_number(v / 1e3, 2)} MW = "
            f"{fmt_number(v / 1e3 / MW_PER_GCAL_H, 2)} Gcal/h" for d, v in zip(ids, load, strict=True)]
    return go.Scatter(
        x=_km(pts.x.to_numpy(), origin[0]), y=_km(pts.y.to_numpy(), origin[1]), mode="text",
        text=ids.to_numpy(dtype=object), hovertext=text, hoverinfo="text", name="micro-district id",
        textfont={"color": "#333333", "size": 12}, showlegend=False,
    )


def _rings(geoms: gpd.GeoSeries, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Exterior rings of (multi)polygons as x, y in km, rings separated by NaN."""
    parts = shapely.get_parts(geoms.to_numpy())
    x, y, _ = _separated(shapely.get_exterior_ring(parts), origin)
    return x, y


def _lines(geoms: gpd.GeoSeries, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Multi)lines as x, y in km separated by NaN, and each vertex's part number."""
    g = geoms[~(geoms.isna() | geoms.is_empty)]
    return _separated(shapely.get_parts(g.to_numpy()), origin)


def _separated(lines: np.ndarray, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords, index = shapely.get_coordinates(lines, return_index=True)
    breaks = np.flatnonzero(np.diff(index)) + 1
    xy = np.insert(coords, breaks, np.nan, axis=0)
    row = np.insert(index.astype(float), breaks, np.nan)
    return _km(xy[:, 0], origin[0]), _km(xy[:, 1], origin[1]), row


def _km(metres: np.ndarray, origin: float) -> np.ndarray:
    """Metres to km from ``origin``, rounded to the metre, as float32 (compact in the page)."""
    return np.round((np.asarray(metres, dtype=float) - origin) / 1e3, 3).astype(np.float32)


def _num(values: pd.Series, digits: int) -> pd.Series:
    """Numbers as report text (narrow-space thousands, '–' for NaN)."""
    return values.map(lambda v: fmt_number(v, digits))


def _esc(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).map(html.escape)
