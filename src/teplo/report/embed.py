"""Plotly in an offline page: the library inlined once, each figure a div with a stable id."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

#: Options of every chart: no plotly logo and no "Share chart" button (plotly.js 3 shows one by
#: default; it uploads the chart to Plotly Cloud: never for a city's heat infrastructure), resizes
#: with the page.
PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendChartToCloud"],
}


def plotly_script() -> str:
    """The plotly.js bundle as an inline ``<script>`` (≈ 4.6 MB; no CDN)."""
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def figure_div(fig: go.Figure, div_id: str, *, scroll_zoom: bool = False) -> str:
    """``fig`` as a ``<div id=div_id>`` plus the script that draws it (plotly.js must be loaded first)."""
    config = {**PLOT_CONFIG, "scrollZoom": scroll_zoom, "toImageButtonOptions": {"filename": div_id}}
    body = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id, config=config,
                       default_width="100%", default_height=f"{fig.layout.height or 450}px")
    return f'<div class="plot">{body}</div>'
