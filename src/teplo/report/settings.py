"""Settings of the report: exchange rate, what to tabulate and how much to draw.

Every default cites its source; section numbers refer to
``reference/kharkiv-figures.md`` ([R] report, [E] engineering choice).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: UAH per EUR, January 2026; kharkiv-figures §3.5 [R] (delo.ua, NBU rate).
EUR_UAH_RATE = 50.4


class ReportSettings(BaseModel):
    """What the report converts, tabulates and draws; units in the descriptions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eur_uah: float = Field(
        EUR_UAH_RATE,
        gt=0,
        description="Exchange rate [UAH/EUR] for the UAH columns; kharkiv-figures §3.5 (Jan 2026) [R].",
    )
    report_hours: tuple[float, ...] = Field(
        (12.0, 24.0, 48.0),
        description=(
            "Hours after a loss at which cold buildings and people are tabulated [h]; a subset "
            "of the stress stage's cooling.report_hours (6, 12, 24, 48 h) [E]."
        ),
    )
    cooling_buildings: int = Field(
        8, ge=1, le=50, description="Worst-hit buildings drawn in the cooling plot [-] [E]."
    )
    cooling_span_h: float = Field(
        72.0, gt=0, le=720, description="Time span of the cooling plot [h] [E]."
    )
    worst_scenarios: int = Field(
        10, ge=1, le=200, description="Scenarios listed in the worst-scenario table [-] [E]."
    )
    map_polygon_limit: int = Field(
        10_000,
        ge=0,
        description=(
            "Above this many buildings the map draws building centroids instead of outlines, "
            "which keeps the offline page responsive [-] [E]: 9 260 outlines drew in 6.4 s in headless "
            "Chromium without a GPU, centroids in 5.1 s."
        ),
    )

    @field_validator("report_hours")
    @classmethod
    def _positive_sorted(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(h <= 0 for h in v):
            raise ValueError("report_hours must be a non-empty tuple of positive hours")
        return tuple(sorted({float(h) for h in v}))
