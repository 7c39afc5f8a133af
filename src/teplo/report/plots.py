"""Charts of the report: load-duration curve, daily gas against temperature, cooling of buildings.

Each function returns a plotly figure from plain arrays or tables; the
sections decide what to feed them. Heat is shown in MW with Gcal/h on a
second axis aligned to it (1 Gcal/h = 1.163 MW).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from teplo.report.formatting import fmt_number
from teplo.units import MW_PER_GCAL_H

LOAD_DURATION_DIV_ID = "load-duration-plot"
GAS_DIV_ID = "gas-plot"
COOLING_DIV_ID = "cooling-plot"
_BASE = {"template": "simple_white", "margin": {"l": 65, "r": 70, "t": 40, "b": 50}, "height": 430,
         "hoverlabel": {"align": "left"}}


def load_duration_figure(hourly_kw: np.ndarray, design_kw: float | None = None) -> go.Figure:
    """Hourly city heat load sorted from the highest hour down, in MW (left) and Gcal/h (right)."""
    mw = np.sort(np.asarray(hourly_kw, dtype=float))[::-1] / 1e3
    hours = np.arange(1, len(mw) + 1)
    top = max(float(mw.max()) if len(mw) else 0.0, (design_kw or 0.0) / 1e3) * 1.08 or 1.0
    fig = go.Figure(go.Scatter(
        x=hours, y=mw.astype(np.float32), mode="lines", name="heat load", line={"color": "#c0392b", "width": 2},
        fill="tozeroy", fillcolor="rgba(192,57,43,0.12)",
        hovertemplate="%{x:,d} h at or above %{y:,.1f} MW<extra></extra>",
    ))
    # An invisible trace on the right axis so that plotly draws it; both ranges are fixed and aligned.
    fig.add_trace(go.Scatter(x=[hours[0] if len(hours) else 0], y=[0.0], yaxis="y2", showlegend=False,
                             hoverinfo="skip", mode="markers", marker={"opacity": 0}))
    if design_kw:
        d = design_kw / 1e3
        fig.add_hline(y=d, line={"dash": "dash", "color": "#555555", "width": 1},
                      annotation_text=f"sum of design loads {fmt_number(d, 1)} MW = "
                      f"{fmt_number(d / MW_PER_GCAL_H, 1)} Gcal/h", annotation_position="top right")
    fig.update_layout(
        **_BASE,
        showlegend=False,
        xaxis={"title": "hours of the year at or above the load", "range": [0, max(len(mw), 1)],
               "tickformat": ",d"},
        yaxis={"title": "heat load, MW", "range": [0, top], "tickformat": ",.0f"},
        yaxis2={"title": "heat load, Gcal/h", "overlaying": "y", "side": "right", "tickmode": "auto",
                "range": [0, top / MW_PER_GCAL_H], "tickformat": ",.0f", "showgrid": False},
        separators=".\u202f",
    )
    return fig


def gas_temperature_figure(city_daily: pd.DataFrame) -> go.Figure:
    """Daily gas use of the city (thousand m³) against the daily mean outdoor temperature."""
    d = city_daily[city_daily["gas_m3"] > 0]
    dates = pd.to_datetime(pd.Series(d.index, index=d.index), errors="coerce")
    month = dates.dt.month.fillna(0).to_numpy()
    text = [html.escape(str(i)) for i in d.index]
    fig = go.Figure(go.Scatter(
        x=d["mean_temp_c"].to_numpy(dtype=float), y=(d["gas_m3"] / 1e3).to_numpy(dtype=float),
        mode="markers", text=text, name="days",
        marker={"size": 7, "color": month, "colorscale": "Twilight", "cmin": 1, "cmax": 12,
                "line": {"color": "#333333", "width": 0.3},
                "colorbar": {"title": {"text": "month"}, "tickvals": [1, 4, 7, 10, 12], "len": 0.8}},
        hovertemplate="%{text}<br>%{x:.1f} °C, %{y:,.1f} thousand m³<extra></extra>",
    ))
    fig.update_layout(
        **_BASE,
        showlegend=False,
        xaxis={"title": "daily mean outdoor temperature, °C", "zeroline": False},
        yaxis={"title": "gas burnt, thousand m³ per day", "rangemode": "tozero", "tickformat": ",.0f"},
        separators=".\u202f",
    )
    return fig


def cooling_figure(
    curves: pd.DataFrame,
    labels: pd.Series,
    thresholds_c: Sequence[tuple[float, str]],
) -> go.Figure:
    """Indoor temperature against time for some buildings (``curves``: building_id, hour, indoor_c).

    ``labels`` maps building_id to its legend text; ``thresholds_c`` are
    (temperature, meaning) drawn as dashed lines.
    """
    fig = go.Figure()
    palette = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
    for k, (bid, g) in enumerate(curves.groupby(curves["building_id"].astype(str), sort=False)):
        g = g.sort_values("hour")
        fig.add_trace(go.Scatter(
            x=g["hour"].to_numpy(dtype=float), y=g["indoor_c"].to_numpy(dtype=float), mode="lines",
            name=html.escape(str(labels.get(bid, bid))), line={"width": 2, "color": palette[k % len(palette)]},
            hovertemplate="%{x:.0f} h: %{y:.1f} °C<extra>" + html.escape(bid) + "</extra>",
        ))
    for temp, meaning in thresholds_c:
        fig.add_hline(y=temp, line={"dash": "dash", "color": "#888888", "width": 1},
                      annotation_text=f"{temp:g} °C {meaning}", annotation_position="bottom right",
                      annotation_font={"size": 11, "color": "#555555"})
    fig.update_layout(
        **_BASE,
        xaxis={"title": "hours after the heat supply is lost", "rangemode": "tozero"},
        yaxis={"title": "indoor temperature, °C"},
        legend={"x": 1.01, "y": 1.0, "font": {"size": 11}},
    )
    fig.update_layout(margin={"r": 10})
    return fig


def closed_form_curves(
    building_ids: Sequence[str], tau_h: Sequence[float] | np.ndarray, t_out_c: float, span_h: float,
    *, start_c: float = 20.0, step_h: float = 1.0,
) -> pd.DataFrame:
    """Free cooling with no heat and no gains: T(t) = T_out + (T0 − T_out)·e^(−t/τ) (kharkiv-figures §2.6)."""
    t = np.arange(0.0, span_h + step_h / 2, step_h)
    tau = np.asarray(tau_h, dtype=float)[:, None]
    temp = t_out_c + (start_c - t_out_c) * np.exp(-t[None, :] / tau)
    return pd.DataFrame({
        "building_id": np.repeat(np.asarray(building_ids, dtype=object), len(t)),
        "hour": np.tile(t, len(tau)),
        "indoor_c": temp.ravel(),
    })
