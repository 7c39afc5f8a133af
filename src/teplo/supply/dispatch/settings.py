"""Settings of the hourly dispatch: prices, economics, commitment, horizon, solver.

Nested pydantic models with ``extra="forbid"``, bounds and the unit in every
description (topotherm ``settings.py`` style). Every default cites its source;
section numbers (§) refer to ``reference/kharkiv-figures.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from teplo.errors import InputError


class _Strict(BaseModel):
    """Base: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class GasPrices(_Strict):
    """Natural gas prices per user class and the gas calorific value."""

    pso_uah_per_1000m3: float = Field(
        7_420.0,
        gt=0,
        description="Gas for heat producers under the PSO, UAH per 1000 m³ incl. VAT "
        "(§3.5, rbc.ua / ukrinform.ua, fixed to 30 Sep 2026). Default class of BMK.",
    )
    budget_uah_per_1000m3: float = Field(
        16_390.0,
        gt=0,
        description="Gas for budget institutions, UAH per 1000 m³ incl. VAT (§3.5, same sources).",
    )
    chp_uah_per_1000m3: float = Field(
        21_000.0,
        gt=0,
        description="Gas for CHP / gas-piston units making heat and power, UAH per 1000 m³ "
        "incl. VAT (§3.5, CMU res. 1306, Oct 2025). Default class of CHP.",
    )
    calorific_kwh_per_m3: float = Field(
        9.6,
        gt=5.0,
        lt=15.0,
        description="Calorific value, kWh per m³ (§3.5: Kharkiv oblast 8 309–8 315 kcal/m³, finance.ua).",
    )


class ElectricityPrices(_Strict):
    """Value of CHP electricity by hour, when no hourly series is given."""

    mode: Literal["flat", "bands"] = Field(
        "flat",
        description="'flat': one price every hour; 'bands': the DAM hour-band price caps below.",
    )
    flat_uah_mwh: float = Field(
        5_349.0,
        ge=0,
        description="Flat price, UAH/MWh: DAM base index, first 10 days of Aug 2025 (§3.5, interfax.com.ua/1095009).",
    )
    night_uah_mwh: float = Field(
        5_600.0,
        ge=0,
        description="Band price 00–07 h and 11–17 h, UAH/MWh: DAM cap from 1 Jun 2024, NEURC res. 949 "
        "(§3.5, oppb.com.ua/news/pro-taryfy-na-elektroenergiyu-dlya-biznesu).",
    )
    shoulder_uah_mwh: float = Field(
        6_900.0,
        ge=0,
        description="Band price 07–11 h and 23–24 h, UAH/MWh (same source).",
    )
    peak_uah_mwh: float = Field(
        9_000.0,
        ge=0,
        description="Band price 17–23 h, UAH/MWh (same source; 15 000 from 31 Mar 2026, radnuk.com.ua/?p=314189).",
    )


class Economics(_Strict):
    """Exchange rate, emissions, annualisation and the unserved-heat penalty."""

    eur_uah: float = Field(
        50.4, gt=0, description="Exchange rate, UAH per EUR (§3.5, Jan 2026, delo.ua)."
    )
    co2_t_per_tj: float = Field(
        56.1,
        gt=0,
        description="CO₂ emission factor of natural gas, t/TJ of fuel (IPCC 2006 Guidelines, "
        "Vol. 2, Ch. 2, Table 2.2 default).",
    )
    discount_rate: float = Field(
        0.08,
        ge=0,
        lt=1,
        description="Real discount rate for annualising CAPEX, 1/a. [U] The reference figures give "
        "none; set the lender's rate.",
    )
    unserved_penalty_eur_mwh: float = Field(
        3_000.0,
        gt=0,
        description="Penalty on heat not served, EUR/MWh. Chosen ≈ 10× the dearest emergency heat "
        "(diesel electricity ≈ 16 UAH/kWh ≈ 320 EUR/MWh, §3.4), so slack is used only when "
        "capacity is short.",
    )


class Commitment(_Strict):
    """Unit commitment (on/off and start-up) of gas engines and boiler modules."""

    mode: Literal["integer", "relaxed"] = Field(
        "integer",
        description="'integer': exact on/off (MILP); 'relaxed': the LP relaxation (fast lower bound).",
    )
    aggregate_identical: bool = Field(
        True,
        description="Model identical modules of a district as one group with an integer count "
        "of modules on (exact for identical modules; removes symmetry).",
    )
    initially_on: bool = Field(
        False, description="Whether every module is on in the hour before the first hour."
    )


class StorageOptions(_Strict):
    """State of heat storage at the start and end of the period."""

    initial_soc: float = Field(
        0.5, ge=0, le=1, description="State of charge before the first hour, fraction of capacity."
    )
    final_soc_at_least_initial: bool = Field(
        True,
        description="Require the state of charge after the last hour to be at least the initial one "
        "(so stored heat is not free).",
    )


class Horizon(_Strict):
    """Whole period as one model, or a rolling horizon with overlap."""

    window_h: int | None = Field(
        336,
        ge=24,
        description="Hours per rolling-horizon window, overlap included; None solves the whole "
        "period as one model per district. [E] Two weeks: on the 4 000-h season of "
        "benchmarks/dispatch.py the stitched schedule costs within 1e-5 of the whole-season "
        "optimum at a tenth of the time.",
    )
    overlap_h: int = Field(
        48,
        ge=0,
        description="Look-ahead hours solved but not kept at the end of each window, h. [E] Two "
        "days: longer than a tank's cycle (8–12 h of heat, §3.3) and a weekend's price pattern.",
    )

    certify: bool = Field(
        False,
        description="After a rolling horizon, solve the whole period once more with the stitched "
        "schedule as MIP start: HiGHS then proves (or improves) the gap to the whole-period "
        "optimum, at the cost of about one root LP of the whole period.",
    )

    @model_validator(mode="after")
    def _overlap_below_window(self) -> Horizon:
        if self.window_h is not None and self.overlap_h >= self.window_h:
            raise ValueError(
                f"overlap_h ({self.overlap_h} h) must be less than window_h ({self.window_h} h)"
            )
        return self


class SolverOptions(_Strict):
    """HiGHS options and parallelism."""

    mip_rel_gap: float = Field(
        1e-4, ge=0, le=0.5, description="Relative MIP gap at which HiGHS stops, fraction."
    )
    time_limit_s: float = Field(
        600.0, gt=0, description="Time limit per model (district or window), s."
    )
    threads: int = Field(1, ge=1, description="HiGHS threads per model (1: deterministic).")
    max_workers: int | None = Field(
        None,
        ge=1,
        description="Districts solved at once: this process plus max_workers − 1 worker "
        "processes; None: one per CPU core when the work is large enough (see "
        "parallel_min_district_hours); 1: serial in this process.",
    )
    parallel_min_district_hours: int = Field(
        4_000,
        ge=0,
        description="With max_workers None, use processes only from this many district-hours, "
        "h. [E] Starting workers costs ≈ 1.5–2 s (importing linopy); serial dispatch runs "
        "≈ 1 000 district-hours per second (benchmarks/dispatch.py).",
    )
    verbose: bool = Field(False, description="Print HiGHS' log.")


class DispatchSettings(_Strict):
    """All settings of ``teplo operate``."""

    gas: GasPrices = Field(default_factory=GasPrices)
    electricity: ElectricityPrices = Field(default_factory=ElectricityPrices)
    economics: Economics = Field(default_factory=Economics)
    commitment: Commitment = Field(default_factory=Commitment)
    storage: StorageOptions = Field(default_factory=StorageOptions)
    horizon: Horizon = Field(default_factory=Horizon)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    network_loss_fraction: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Network heat losses as a fraction of consumer demand, used when no hourly "
        "losses are given. [E] From §4.3: a micro-district of ≈ 1 km trench of DN150 loses "
        "61–173 W/m (new–pre-1989 pipe) ≈ 60–170 kW, i.e. 1.5–7 % of a 6 MW area's mean load.",
    )


def load_settings(data: dict[str, object] | None) -> DispatchSettings:
    """Validate a (possibly nested) dict into :class:`DispatchSettings`; raise :class:`InputError`."""
    try:
        return DispatchSettings.model_validate(data or {})
    except ValueError as exc:  # pydantic.ValidationError subclasses ValueError
        raise InputError(f"dispatch settings: {exc}") from exc
