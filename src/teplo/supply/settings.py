"""Settings of the supply-siting stage: districts, candidate sites, costs, resilience, solver.

Nested pydantic models with ``extra="forbid"``, bounds, the unit in every
description and the source of every default (topotherm ``settings.py`` style).
Labels follow ``reference/kharkiv-figures.md``: [N] norm, [D] data, [R] report,
[E] derived, [U] unverified.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DistrictSettings(_Model):
    """How heated buildings are grouped into micro-districts, each served by one site."""

    min_load_kw: float = Field(
        1000.0, ge=0,
        description="kW. Smallest district design load; smaller groups are merged into a "
        "neighbour when reach and max load allow. Kharkiv BMKs are 1-10 MW (kharkiv-figures §3.1) [R].",
    )
    max_load_kw: float = Field(
        6000.0, gt=0,
        description="kW. Largest district design load. A 6 MW BMK serves 7 high-rises + school + "
        "kindergarten (kharkiv-figures §3.1) [R]; must not exceed the dispersion cap.",
    )
    max_radius_m: float = Field(
        450.0, gt=0,
        description="m. Largest street distance from a district's street node to its buildings; the "
        "site must then lie within pipe_reach_m - radius_m of that node. 450 m leaves >= 550 m of the "
        "1 km reach for the site connection: on the 500-building synthetic city 600 m left 8 of 123 "
        "districts without a candidate in reach, 450 m 1 of 204 (benchmarks/siting.py) [E].",
    )
    detour_factor: float = Field(
        1.3, ge=1.0, le=3.0,
        description="-. Street distance / straight-line distance used where no street graph is "
        "given (urban circuity is typically 1.2-1.4) [U].",
    )
    seed: int = Field(0, ge=0, description="-. Seed of the k-means initialisation.")


class SiteSettings(_Model):
    """Candidate sites: spacing from buildings, capacity per plot area, generated candidates."""

    min_distance_homes_m: float = Field(
        15.0, ge=0,
        description="m. Minimum distance from a site to residential and other buildings. Ukrainian "
        "practice for free-standing gas BMK (sanitary zone set by emission calculation under "
        "DSP 173-96) is commonly 15-25 m [U]; confirm with the local sanitary service.",
    )
    min_distance_sensitive_m: float = Field(
        25.0, ge=0,
        description="m. Minimum distance to schools, kindergartens and hospitals (upper end of the "
        "15-25 m practice) [U].",
    )
    exempt_existing: bool = Field(
        True, description="-. Existing boiler-house sites keep their permit and skip the distance check."
    )
    plot_m2_per_mw: float = Field(
        25.0, gt=0,
        description="m2/MW. Plot area per MW of heat: a 6 MW container BMK (kharkiv-figures §3.1) "
        "on a 40-ft body (30 m2) x 2.5 for clearance, chimney and access ~ 74 m2 = 12 m2/MW, "
        "doubled for the gas regulator, genset and crane access [E].",
    )
    max_site_heat_kw: float = Field(
        20000.0, gt=0, description="kW. Cap on the heat capacity of any one site whatever its area [E]."
    )
    point_site_m2: float = Field(
        600.0, gt=0,
        description="m2. Area assumed for sites given as points (chimney, generator, user points) [E].",
    )
    generate: Literal["auto", "always", "never"] = Field(
        "auto",
        description="-. Generate candidates on open land along streets: 'auto' only where buildings "
        "have fewer than min_sites_in_reach candidates within the pipe reach.",
    )
    generated_plot_m2: float = Field(
        400.0, gt=0, description="m2. Plot area assumed for a generated candidate (20 m x 20 m) [E]."
    )
    spacing_m: float = Field(
        150.0, gt=0,
        description="m. Sampling step along streets and minimum spacing of generated candidates: half the "
        "default 300 m strike radius, since closer candidates are interchangeable for dispersion and only "
        "enlarge the MILP [E].",
    )
    street_offset_m: float = Field(
        15.0, ge=0,
        description="m. Offset of generated candidates from the street centreline to the kerb-side plot "
        "(half a 2-lane street + verge + half the plot) [E].",
    )
    min_sites_in_reach: int = Field(
        3, ge=1, le=20, description="-. Candidates a building should have within the pipe reach ('auto')."
    )
    density_radius_m: float = Field(
        250.0, gt=0, description="m. Radius over which heat demand density is summed for generated candidates."
    )
    min_density_kw: float = Field(
        0.0, ge=0,
        description="kW. Design load within density_radius_m a generated candidate needs (0: any "
        "point near a building lacking candidates).",
    )


class EconomicSettings(_Model):
    """Prices and financial parameters of the annual-cost objective."""

    discount_rate: float = Field(
        0.155, ge=0, le=0.5,
        description="1/a. Real discount rate of the annuity: 15.5 % in the Ukraine whole-energy-system "
        "model (EnergySystemsModellingLab/osemosys_ukraine_wesm:docs/source/datainputs.rst@682cd7b) [D]; "
        "grant-financed plans may use less (PyPSA technology-data uses 4 % for decentral heat).",
    )
    gas_price_boiler_uah_per_1000m3: float = Field(
        7420.0, ge=0,
        description="UAH per 1000 m3 incl. VAT. PSO gas price for heat producers, to 30 Sep 2026 "
        "(kharkiv-figures §3.5) [R].",
    )
    gas_price_chp_uah_per_1000m3: float = Field(
        21000.0, ge=0,
        description="UAH per 1000 m3 incl. VAT. Gas for CHP / gas-piston units (CMU res. 1306, Oct 2025; "
        "kharkiv-figures §3.5) [R].",
    )
    diesel_price_uah_per_l: float = Field(
        57.5, ge=0, description="UAH/l. Winter diesel 57-58 UAH/l (kharkiv-figures §3.4) [R]; reporting only."
    )
    gas_kwh_per_m3: float = Field(
        9.6, gt=0, description="kWh/m3. Calorific value of Kharkiv gas, 8 309-8 315 kcal/m3 (kharkiv-figures §3.5) [R]."
    )
    electricity_price_uah_per_mwh: float = Field(
        5349.0, ge=0,
        description="UAH/MWh. DAM base index, first 10 days of Aug 2025 (kharkiv-figures §3.5) [R]; "
        "value of CHP electricity.",
    )
    uah_per_eur: float = Field(50.4, gt=0, description="UAH/EUR. Exchange rate Jan 2026 (kharkiv-figures §3.5) [R].")
    chp_revenue: bool = Field(True, description="-. Credit CHP electricity at the DAM price in the objective.")
    chp_max_full_load_h: float = Field(
        4000.0, ge=0, le=8760,
        description="h/a. Upper bound on a CHP module's full-load hours: 180-day season x 24 h = 4 320 h "
        "(kharkiv-figures §1) less maintenance [E]. Dispatch refines the heat split.",
    )
    network_cost_eur_per_m: float = Field(
        780.0, ge=0,
        description="EUR per m of trench. Installed supply+return pair, DN100-DN150 = 670-886 EUR/m "
        "(topotherm data, kharkiv-figures §4.2) [D], midpoint.",
    )
    network_lifetime_a: float = Field(
        40.0, gt=0, description="a. Economic lifetime of pre-insulated pipes for the annuity [U]."
    )
    site_fixed_capex_eur: float = Field(
        50000.0, ge=0,
        description="EUR per opened site: gas connection node ('millions of UAH', Berdychiv, "
        "kharkiv-figures §3.2), foundation, chimney, power connection [E].",
    )

    def eur_per_mwh_fuel(self, fuel: str) -> float:
        """Fuel price in EUR per MWh of fuel (LHV) for a catalogue fuel class."""
        if fuel == "gas_boiler":
            return self.gas_price_boiler_uah_per_1000m3 / (1000.0 * self.gas_kwh_per_m3) * 1000.0 / self.uah_per_eur
        if fuel == "gas_chp":
            return self.gas_price_chp_uah_per_1000m3 / (1000.0 * self.gas_kwh_per_m3) * 1000.0 / self.uah_per_eur
        if fuel == "diesel":
            # 10 kWh/l diesel LHV [D, handbook value]
            return self.diesel_price_uah_per_l / 10.0 * 1000.0 / self.uah_per_eur
        return 0.0

    @property
    def electricity_eur_per_mwh(self) -> float:
        """Electricity value in EUR/MWh."""
        return self.electricity_price_uah_per_mwh / self.uah_per_eur


class NkSettings(_Model):
    """N-k modules: losing the k largest modules of a site leaves alpha of its design load."""

    enabled: bool = Field(True, description="-. Apply the N-k constraint (issue #5 default: on).")
    k: int = Field(1, ge=0, le=5, description="-. Modules lost at once per site.")
    alpha: float = Field(0.7, ge=0, le=1, description="-. Share of design load still covered (brief default).")


class SiteLossSettings(_Model):
    """Losing one whole site leaves beta of each district's load, via a backup site and a pipe."""

    enabled: bool = Field(True, description="-. Apply the site-loss constraint (issue #5 default: on).")
    beta: float = Field(0.5, ge=0, le=1, description="-. Share of design load a backup site must carry.")


class DispersionSettings(_Model):
    """Heat capacity inside any circle of radius R around a candidate site is capped."""

    enabled: bool = Field(True, description="-. Apply the dispersion constraint (issue #5 default: on).")
    radius_m: float = Field(300.0, gt=0, description="m. Strike radius (brief default).")
    cap_kw: float = Field(10000.0, gt=0, description="kW. Capacity allowed inside one circle (brief default).")


class BlackoutSettings(_Model):
    """In a grid blackout each site runs its auxiliaries from its own CHP or diesel gensets."""

    enabled: bool = Field(True, description="-. Apply the blackout constraint (issue #5 default: on).")


class PrioritySettings(_Model):
    """Priority consumers are connected to two sites."""

    enabled: bool = Field(True, description="-. Serve priority consumers from two sites (issue #5 default: on).")
    classes: tuple[str, ...] = Field(
        ("hospital",), description="-. Building priority classes that need a second site."
    )
    share: float = Field(
        1.0, ge=0, le=1, description="-. Share of the priority buildings' design load the second site carries."
    )


class ResilienceSettings(_Model):
    """Switchable resilience constraints and the penalty used when they must be relaxed."""

    nk: NkSettings = Field(NkSettings(), description="N-k modules.")
    site_loss: SiteLossSettings = Field(SiteLossSettings(), description="Loss of one whole site.")
    dispersion: DispersionSettings = Field(DispersionSettings(), description="Capacity per strike circle.")
    blackout: BlackoutSettings = Field(BlackoutSettings(), description="Grid blackout.")
    priority: PrioritySettings = Field(PrioritySettings(), description="Priority consumers.")
    slack_penalty_eur_per_kw: float = Field(
        1.0e6, gt=0,
        description="EUR/(kW a). Cost of one kW of violated resilience requirement. Far above the "
        "annual cost of any module (< 1e3 EUR/kW/a), so slack appears only where the strict "
        "problem is infeasible.",
    )

    @classmethod
    def none(cls) -> ResilienceSettings:
        """All resilience constraints off (least-cost plan)."""
        return cls(
            nk=NkSettings(enabled=False), site_loss=SiteLossSettings(enabled=False),
            dispersion=DispersionSettings(enabled=False), blackout=BlackoutSettings(enabled=False),
            priority=PrioritySettings(enabled=False),
        )


class SolverSettings(_Model):
    """MILP solver and decomposition."""

    time_limit_s: float = Field(
        600.0, gt=0,
        description="s. Wall-clock budget for all subproblems together (the brief's 10 minutes for a whole city).",
    )
    subproblem_time_limit_s: float = Field(
        6.0, gt=0,
        description="s. Most time one subproblem may take (it stops earlier at mip_gap). Strict subproblems "
        "of <= max_cluster_districts districts mostly close the gap in 1-5 s; the cap bounds the relaxed "
        "ones of areas too dense for the resilience rules, whose plan is then reported with its gap [E].",
    )
    mip_gap: float = Field(0.05, ge=0, le=1, description="-. Relative MIP gap at which a subproblem stops "
                           "(5 %: below the uncertainty of the cost data, e.g. BMK CAPEX EUR 0.06-0.25 M/MW, "
                           "kharkiv-figures §3.1) [E].")
    seed: int = Field(0, ge=0, description="-. HiGHS random_seed (deterministic with threads=1).")
    threads: int = Field(1, ge=1, le=64, description="-. HiGHS threads per subproblem (1 = deterministic).")
    workers: int = Field(
        2, ge=1, le=64,
        description="-. Subproblems solved in parallel processes (2: the cores of the reference machine). "
        "Subproblems are independent, so the plan does not depend on it.",
    )
    max_cluster_districts: int = Field(
        8, ge=1, description="-. Largest number of districts in one subproblem (8 keeps each MILP to "
        "seconds with all resilience constraints on, measured in benchmarks/siting.py) [E]."
    )
    n_candidate_sites: int = Field(
        5, ge=1, le=30, description="-. Nearest candidate sites (along streets) offered to each district."
    )
    candidate_spacing_m: float = Field(
        150.0, ge=0,
        description="m. Sites offered to one district are at least this far apart (half the default "
        "strike radius), so the offer is not all inside one dispersion circle [E].",
    )
    city_lp_share: float = Field(
        0.25, ge=0, lt=1,
        description="-. Most of time_limit_s the city-wide LP relaxation may take before the clusters solve "
        "(0: no city LP). It certifies what no plan can meet and splits shared dispersion circles by its "
        "capacities; 10-60 s for 8 500 buildings (benchmarks/siting.py) [E].",
    )
    coordination_passes: int = Field(
        1, ge=0, le=10, description="-. Gauss-Seidel passes re-solving clusters whose shared dispersion caps bind."
    )
    repair_share: float = Field(
        0.5, ge=0, lt=1,
        description="-. Share of the time left after pass 1 kept for the repair pass (0: no repair); the "
        "coordination gets the rest. The repair re-solves merged neighbourhoods of clusters that still break "
        "a requirement (teplo.supply.repair); it removed every shortfall of the 2 000-building city "
        "(benchmarks/siting.py) [E].",
    )
    repair_max_districts: int = Field(
        24, ge=1, description="-. Most districts in one repair neighbourhood in the first round (3 x "
        "max_cluster_districts: a strict MILP of that size mostly solves within repair_time_limit_s, "
        "measured); a second round, while time is left, allows twice as many [E]."
    )
    repair_time_limit_s: float = Field(
        20.0, gt=0, description="s. Most time one repair neighbourhood may take (half of it for the strict "
        "MILP, as for every subproblem) [E]."
    )
    decompose: Literal["auto", "always", "never"] = Field(
        "auto", description="-. 'auto' solves in one model when districts <= max_cluster_districts."
    )
    on_infeasible: Literal["raise", "relax"] = Field(
        "raise",
        description="-. 'raise' raises SitingInfeasibleError carrying the relaxed plan; 'relax' returns "
        "the relaxed plan flagged infeasible.",
    )


class SitingSettings(_Model):
    """All settings of :func:`teplo.supply.siting.plan_supply`."""

    pipe_reach_m: float = Field(
        1000.0, gt=0,
        description="m. Longest street distance from a site to any building it serves (brief; "
        "Kharkiv micro-district networks) [E].",
    )
    districts: DistrictSettings = DistrictSettings()
    sites: SiteSettings = SiteSettings()
    economics: EconomicSettings = EconomicSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    solver: SolverSettings = SolverSettings()

    @model_validator(mode="after")
    def _consistent(self) -> SitingSettings:
        if self.districts.max_radius_m >= self.pipe_reach_m:
            raise ValueError(
                f"districts.max_radius_m ({self.districts.max_radius_m} m) must be below pipe_reach_m "
                f"({self.pipe_reach_m} m): the site connection needs part of the reach"
            )
        if self.districts.min_load_kw > self.districts.max_load_kw:
            raise ValueError("districts.min_load_kw must not exceed districts.max_load_kw")
        disp = self.resilience.dispersion
        if disp.enabled and self.districts.max_load_kw > disp.cap_kw:
            raise ValueError(
                f"districts.max_load_kw ({self.districts.max_load_kw} kW) exceeds the dispersion cap "
                f"({disp.cap_kw} kW): a district served by one site could never be supplied; lower "
                "max_load_kw or raise resilience.dispersion.cap_kw"
            )
        return self
