"""Settings of the stress tests: pydantic models with units, bounds and sources.

Every default cites its source; the labels ([N] norm, [D] data, [R] report,
[E] derived, [U] unverified) and section numbers refer to
``reference/kharkiv-figures.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Indoor design temperature [°C]; §2.5 [R/N].
INDOOR_DESIGN_C = 20.0
#: Outdoor design temperature of Kharkiv [°C]; §1 (−23 °C, [U] brief + SNiP practice).
DESIGN_OUTDOOR_C = -23.0


class _Strict(BaseModel):
    """Base: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class FeederPoint(_Strict):
    """A feeder's supply point (a gas distribution station, a 10 kV substation)."""

    feeder_id: str = Field(min_length=1, description="Feeder id, e.g. 'GRP-7' or 'PS-110-3'.")
    x_m: float = Field(description="Easting in the area's metric CRS [m].")
    y_m: float = Field(description="Northing in the area's metric CRS [m].")


class CoolingSettings(_Strict):
    """Lumped RC cooling of a building and the temperatures that matter."""

    start_c: float = Field(
        INDOOR_DESIGN_C, description="Indoor temperature when the scenario starts [°C]; §2.5 design indoor 20 °C."
    )
    comfort_c: float = Field(18.0, description="Regulatory minimum in dwellings [°C]; §2.5 [R].")
    emergency_c: float = Field(12.0, description="Emergency floor: a flat below it is 'cold' [°C]; §2.5 [R].")
    drain_c: float = Field(
        5.0, description="Heating must be drained before the water approaches this [°C]; §2.5 [R] (inkorr.com)."
    )
    gains_w_m2: float = Field(
        4.0, ge=0.0, le=20.0,
        description="Internal gains per heated m² (people, cooking, electric heaters) [W/m²]; §2.6: 3–5 W/m².",
    )
    gains_k: float = Field(
        2.15, ge=0.0, le=20.0,
        description=(
            "Internal gains per unit of heat-loss coefficient, G/H [K], used when a building has no "
            "heated_area_m2: 4 W/m² ÷ 1.86 W/(m²K) [E] (80 W/m² design load ÷ 43 K, §0 and §2.1)."
        ),
    )
    report_hours: tuple[float, ...] = Field(
        (6.0, 12.0, 24.0, 48.0),
        description="Times after the start at which buildings below 18 / 12 °C are counted [h] (brief).",
    )

    @field_validator("report_hours")
    @classmethod
    def _positive_sorted(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(h <= 0 for h in v):
            raise ValueError("report_hours must be a non-empty tuple of positive hours")
        return tuple(sorted(set(float(h) for h in v)))

    @model_validator(mode="after")
    def _ordered(self) -> CoolingSettings:
        if not self.start_c > self.comfort_c > self.emergency_c > self.drain_c:
            raise ValueError("need start_c > comfort_c > emergency_c > drain_c")
        return self


class DemandSettings(_Strict):
    """How a building's load scales with the outdoor temperature during a scenario."""

    design_outdoor_c: float = Field(
        DESIGN_OUTDOOR_C, description="Outdoor temperature of design_load_kw [°C]; §1 (−23 °C)."
    )
    indoor_c: float = Field(INDOOR_DESIGN_C, description="Indoor design temperature [°C]; §2.5.")

    @model_validator(mode="after")
    def _delta(self) -> DemandSettings:
        if self.indoor_c - self.design_outdoor_c <= 0:
            raise ValueError("indoor_c must exceed design_outdoor_c")
        return self


class PowerSettings(_Strict):
    """Electric side: backup generators, islanding CHP, storage and feeders."""

    backup_fuel_h: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Site id -> fuel autonomy of its backup generator [h]; overrides the sites table "
            "(has_backup, backup_fuel_h)."
        ),
    )
    islanding_sites: list[str] = Field(
        default_factory=list,
        description="Site ids whose CHP units can run islanded; added to the sites table's chp_islanding.",
    )
    default_backup_fuel_h: float = Field(
        8.0, gt=0.0, le=720.0,
        description=(
            "Fuel autonomy of a backup generator whose site gives none [h]; [U] assumption (a genset base "
            "tank for one shift at ≈ 0.26 l/kWh, §3.4); set per site."
        ),
    )
    storage_autonomy_h: float = Field(
        8.0, gt=0.0, le=240.0,
        description=(
            "Hours a heat-storage unit can deliver its heat_kw in a sustained frost [h]; "
            "§3.3: Danish decentralized CHP plants hold 8–12 h [R]."
        ),
    )
    power_feeders: list[FeederPoint] = Field(
        default_factory=list,
        description="Power feeder points; a site without power_feeder is assigned to the nearest one.",
    )
    gas_feeders: list[FeederPoint] = Field(
        default_factory=list,
        description="Gas feeder points; a site without gas_feeder is assigned to the nearest one.",
    )

    @field_validator("backup_fuel_h")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, h in v.items() if not h >= 0]
        if bad:
            raise ValueError(f"backup_fuel_h must be >= 0 h (sites {', '.join(bad)})")
        return v


class GeneratorSettings(_Strict):
    """Scenario families: counts, sampling, strike grid, valves, blackout lengths."""

    max_per_family: int = Field(
        50_000, ge=1, description="Cap on scenarios per generator; above it a seeded uniform sample is drawn [-]."
    )
    seed: int = Field(0, ge=0, description="Seed of every sampled choice [-].")
    strike_spacing_m: float | None = Field(
        None, gt=0.0, description="Spacing of the strike grid [m]; default: the strike radius."
    )
    strike_samples: int = Field(
        0, ge=0, description="Monte Carlo strike centres instead of a grid when > 0 [-]."
    )
    strike_at_sites: bool = Field(True, description="Also strike at every site's point [-].")
    valve_spacing_m: float = Field(
        1000.0, gt=0.0,
        description=(
            "Sectioning valves at most this far apart along a main [m]; [N] SNiP 41-02-2003 / FNP on "
            "hot-water pipelines: sectioning valves on water networks ≥ DN100 at most every 1000 m "
            "([U] read through a secondary summary)."
        ),
    )
    valve_nodes: list[str] = Field(
        default_factory=list, description="Network node ids holding valves; added to branch points and sites."
    )
    blackout_hours: tuple[float, ...] = Field(
        (12.0, 48.0),
        description=(
            "Lengths of the grid blackouts tested [h]; [E] a half-day outage and one lasting the whole "
            "default 48 h window, as after the 3 Feb 2026 strike at −20 °C (§1 [R])."
        ),
    )
    per_feeder_blackouts: bool = Field(True, description="Also black out each power feeder alone [-].")
    repair_h: float | None = Field(
        None, gt=0.0,
        description="Repair time of struck/lost elements [h]; None: not repaired within the scenario.",
    )

    @field_validator("blackout_hours")
    @classmethod
    def _positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(h <= 0 for h in v):
            raise ValueError("blackout_hours must be positive")
        return tuple(float(h) for h in v)


class StressSettings(_Strict):
    """All settings of a stress run."""

    cooling: CoolingSettings = Field(default_factory=CoolingSettings)
    demand: DemandSettings = Field(default_factory=DemandSettings)
    power: PowerSettings = Field(default_factory=PowerSettings)
    generators: GeneratorSettings = Field(default_factory=GeneratorSettings)
    chunk_size: int = Field(
        4_000, ge=1, description="Scenarios evaluated together (memory ∝ chunk × affected buildings) [-]."
    )
    top_n: int = Field(20, ge=1, description="Scenarios kept in StressResult.worst [-].")
    objective_hours: float = Field(
        24.0, gt=0.0, description="Worst scenarios rank by residents below 12 °C after this time [h] (brief)."
    )

    @model_validator(mode="after")
    def _objective_reported(self) -> StressSettings:
        if self.objective_hours not in self.cooling.report_hours:
            raise ValueError(
                f"objective_hours {self.objective_hours:g} must be one of cooling.report_hours "
                f"{self.cooling.report_hours}"
            )
        return self
