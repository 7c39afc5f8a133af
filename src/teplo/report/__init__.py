"""The offline HTML report, its maps and plots, and the summary tables as CSV.

* :mod:`.settings` — :class:`ReportSettings` (exchange rate, what to tabulate);
* :mod:`.tables` — summary tables (SI and EUR beside Gcal and UAH);
* :mod:`.context` — :class:`ReportContext`: layers, climate, tables computed once;
* :mod:`.maps` — the study map as plotly scatter traces, no tiles;
* :mod:`.plots` — load-duration curve, gas against temperature, cooling curves;
* :mod:`.assumptions` — every default with its source;
* :mod:`.formatting` and :mod:`.embed` — numbers, HTML tables, plotly divs;
* :mod:`.sections` — one builder per section of the page;
* :mod:`.html` — :func:`write_report`; :mod:`.export` — :func:`export_tables`.
"""

from teplo.report.export import export_tables
from teplo.report.html import render_report, write_report
from teplo.report.settings import ReportSettings

__all__ = ["ReportSettings", "export_tables", "render_report", "write_report"]
