"""The ``teplo`` command line: one command per stage, and ``teplo run`` for the whole job.

Errors that the user can fix (:class:`~teplo.errors.TeploError`) are printed
without a traceback and exit with status 1.
"""

from __future__ import annotations

import functools
import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table as RichTable

from teplo.errors import TeploError, TeploWarning
from teplo.highs import silence_banner

app = typer.Typer(
    name="teplo",
    help="Plan and stress-test decentralized heat supply for a city under attack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Wide enough for the summary tables when output goes to a file or a CI log.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(func: F) -> F:
    """Print TeploErrors as one clear line and exit 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        silence_banner()
        def show(message: Any, category: Any, *_: Any, **__: Any) -> None:
            err_console.print(f"[yellow]warning:[/] {message}", highlight=False)

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", TeploWarning)
                warnings.showwarning = show
                return func(*args, **kwargs)
        except TeploError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            err_console.print("[bold red]interrupted[/]: no partial output was written")
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


def print_frame(title: str, frame: Any, formats: dict[str, str] | None = None) -> None:
    """Print a DataFrame as a rich table, index first."""
    formats = formats or {}
    table = RichTable(title=title, title_justify="left")
    table.add_column(str(frame.index.name or ""))
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for idx, row in frame.iterrows():
        cells = [str(idx)]
        for col in frame.columns:
            value = row[col]
            fmt = formats.get(col, "{:,.1f}" if isinstance(value, float) else "{}")
            cells.append(fmt.format(value))
        table.add_row(*cells)
    console.print(table)


@app.command()
@_friendly_errors
def config(
    example: Annotated[bool, typer.Option("--example", help="Print a fully commented settings file.")] = False,
    check: Annotated[Path | None, typer.Option("--check", help="Validate a settings file.")] = None,
) -> None:
    """Print an example settings file, or check one."""
    from teplo.settings import example_toml, load_settings

    if check is not None:
        load_settings(check)
        console.print(f"{check}: settings are valid")
    elif example:
        typer.echo(example_toml())
    else:
        raise TeploError("give --example to print a settings file, or --check FILE to validate one")


@app.command()
@_friendly_errors
def synth(
    out: Annotated[Path, typer.Option("--out", help="GeoPackage to write (layers buildings, streets).")],
    buildings: Annotated[int, typer.Option("--buildings", help="Number of heated buildings.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same city.")] = 0,
) -> None:
    """Generate a synthetic Kharkiv-like city for scale tests and benchmarks."""
    from teplo.synth import make_city, write_city

    t0 = time.perf_counter()
    area = make_city(buildings, seed=seed)
    path = write_city(area, out)
    console.print(
        f"wrote {path}: {len(area.buildings)} buildings, {len(area.streets)} street edges "
        f"in {time.perf_counter() - t0:.1f} s"
    )


@app.command()
@_friendly_errors
def demand(
    area: Annotated[Path, typer.Argument(help="Area: .osm/.osm.gz/.osm.bz2/.osm.pbf, .geojson or .gpkg.")],
    out: Annotated[Path, typer.Option("--out", help="Study GeoPackage to write.")],
    weather: Annotated[
        Path | None, typer.Option("--weather", help="Hourly outdoor temperature CSV or EPW.")
    ] = None,
    overrides: Annotated[
        Path | None,
        typer.Option("--overrides", help="CSV keyed by building_id overriding typology or demand."),
    ] = None,
) -> None:
    """Import an area, compute every building's heat demand and write a study GeoPackage."""
    from teplo.pipeline import run_demand_stage

    if out.resolve() == area.resolve():
        raise TeploError(f"--out {out} is the input file; choose another path so the input is kept")
    study = run_demand_stage(area, weather=weather, overrides=overrides, progress=console)
    study.save(out)
    _print_demand_summary(study)
    console.print(f"wrote {out}")


def _print_demand_summary(study: Any) -> None:
    from teplo.report.tables import demand_by_typology

    console.print(study.meta.get("import_report", ""), highlight=False)
    print_frame(
        "Heat demand by typology",
        demand_by_typology(study.buildings),
        {"buildings": "{:,.0f}", "heated_area_m2": "{:,.0f}", "design_mw": "{:,.2f}",
         "design_gcal_h": "{:,.2f}", "annual_gwh": "{:,.2f}", "w_per_m2": "{:,.0f}",
         "residents": "{:,.0f}"},
    )


@app.command()
@_friendly_errors
def network(
    study_path: Annotated[Path, typer.Argument(metavar="STUDY.gpkg", help="Study written by `teplo demand`.")],
    sites: Annotated[
        Path | None, typer.Option("--sites", help="Plant sites (GeoJSON/GeoPackage points, site_id).")
    ] = None,
    existing: Annotated[
        Path | None, typer.Option("--existing", help="Existing pipes (lines with dn, laying_year).")
    ] = None,
    regime: Annotated[str, typer.Option("--regime", help="Supply/return temperatures: 95/70, 105/70, 130/70.")] = "95/70",
    max_dp_pa_per_m: Annotated[float, typer.Option("--max-dp-pa-per-m", help="Max pressure gradient, Pa/m.")] = 150.0,
    method: Annotated[str, typer.Option("--method", help="Routing: steiner or milp.")] = "steiner",
    rings: Annotated[bool, typer.Option("--rings", help="Close rings for redundancy.")] = False,
) -> None:
    """Route, size and solve the heat networks of a study; writes layers pipes and network_nodes."""
    from pydantic import ValidationError

    from teplo.pipeline import run_network_stage
    from teplo.study import open_study

    try:
        from teplo.network.design import NetworkSettings

        settings = NetworkSettings.model_validate(
            {"regime": regime, "max_dp_pa_per_m": max_dp_pa_per_m, "method": method, "rings": rings}
        )
    except ValidationError as exc:
        raise TeploError(f"invalid network setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    study = open_study(study_path)
    design = run_network_stage(study, sites=sites, existing=existing, settings=settings, progress=console)
    study.save(study_path)
    _print_network_summary(design)
    console.print(f"wrote layers pipes, network_nodes to {study_path}")


def _print_network_summary(design: Any) -> None:
    t = design.totals
    by_dn = design.trench_by_dn.assign(trench_km=lambda f: f["trench_m"] / 1e3)
    print_frame("Trench by DN", by_dn[["trench_km", "cost_eur"]],
                {"trench_km": "{:,.2f}", "cost_eur": "{:,.0f}"})
    console.print(
        f"sites {t['sites']:.0f}, buildings {t['buildings_connected']:.0f}, route {t['route_km']:.1f} km "
        f"(new {t['new_trench_km']:.1f}, reused {t['reused_km']:.1f}), cost EUR {t['cost_eur']:,.0f}; "
        f"design state: delivered {t['delivered_kw'] / 1e3:,.1f} MW, losses {t['heat_loss_kw'] / 1e3:,.2f} MW "
        f"({100 * t['loss_share']:.1f} %), pumps {t['pump_power_kw']:,.0f} kW"
    )
    if t.get("interconnectors", 0) or t.get("interconnectors_not_built", 0):
        console.print(
            f"site-loss interconnectors (normally closed, in the totals above): {t['interconnectors']:.0f} built, "
            f"{t['interconnector_km']:.2f} km, EUR {t['interconnector_cost_eur']:,.0f}; "
            f"{t['interconnectors_not_built']:.0f} not built"
        )
    for w in design.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


@app.command()
@_friendly_errors
def plan(
    study_path: Annotated[Path, typer.Argument(metavar="STUDY.gpkg", help="Study written by `teplo demand`.")],
    sites: Annotated[
        Path | None, typer.Option("--sites", help="Extra candidate sites (GeoJSON/GeoPackage, optional site_id, area_m2).")
    ] = None,
    catalogue: Annotated[
        Path | None, typer.Option("--catalogue", help="CSV of unit types adding to or replacing the bundled ones.")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="N-k: modules lost at once per site (0 = off).")] = None,
    alpha: Annotated[float | None, typer.Option("--alpha", help="N-k: share of design load kept.")] = None,
    beta: Annotated[float | None, typer.Option("--beta", help="Site loss: share kept via a backup site (0 = off).")] = None,
    strike_radius_m: Annotated[
        float | None, typer.Option("--strike-radius-m", help="Dispersion: circle radius, m.")
    ] = None,
    strike_cap_mw: Annotated[
        float | None, typer.Option("--strike-cap-mw", help="Dispersion: capacity allowed in one circle, MW.")
    ] = None,
    no_resilience: Annotated[
        bool, typer.Option("--no-resilience", help="Least-cost plan: every resilience constraint off.")
    ] = False,
    time_limit_s: Annotated[float | None, typer.Option("--time-limit-s", help="Solver wall-time budget, s.")] = None,
    mip_gap: Annotated[float | None, typer.Option("--mip-gap", help="Relative MIP gap per subproblem.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Subproblems solved in parallel.")] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Also plan without resilience and as one central plant; print the cost of resilience.")
    ] = False,
) -> None:
    """Site and size boiler houses and CHP units (MILP); writes districts, sites, units."""
    from pydantic import ValidationError

    from teplo.pipeline import run_plan_stage
    from teplo.study import open_study
    from teplo.supply.settings import SitingSettings

    study = open_study(study_path)
    raw: dict[str, Any] = dict(study.settings.get("plan", {}))
    res: dict[str, Any] = dict(raw.get("resilience", {}))
    solver: dict[str, Any] = dict(raw.get("solver", {}))

    def put(section: dict[str, Any], name: str, values: dict[str, Any]) -> None:
        section[name] = {**dict(section.get(name, {})), **values}

    if k is not None:
        put(res, "nk", {"k": k, "enabled": k > 0})
    if alpha is not None:
        put(res, "nk", {"alpha": alpha})
    if beta is not None:
        put(res, "site_loss", {"beta": beta, "enabled": beta > 0})
    if strike_radius_m is not None:
        put(res, "dispersion", {"radius_m": strike_radius_m})
    if strike_cap_mw is not None:
        put(res, "dispersion", {"cap_kw": strike_cap_mw * 1000.0})
    for key, value in (("time_limit_s", time_limit_s), ("mip_gap", mip_gap), ("workers", workers)):
        if value is not None:
            solver[key] = value
    raw.update(resilience=res, solver=solver)
    try:
        settings = SitingSettings.model_validate(raw)
        if no_resilience:
            settings = settings.model_copy(update={"resilience": settings.resilience.none()})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "plan"
        raise TeploError(f"invalid plan setting {where}: {err['msg']}") from None
    result = run_plan_stage(study, sites=sites, catalogue=catalogue, settings=settings, compare=compare,
                            progress=console)
    study.save(study_path)
    _print_plan_summary(result)
    if compare:
        import pandas as pd

        table = pd.DataFrame(study.meta["resilience_cost"]).set_index("plan")
        cols = ["n_sites", "heat_mw", "capex_eur", "annual_cost_eur", "eur_per_mwh", "n1_city_share",
                "n1_worst_district_share", "site_loss_city_share", "site_loss_worst_district_share"]
        print_frame("Cost of resilience (shares of design load kept after the worst N-1 / site loss)",
                    table[cols], {"n_sites": "{:,.0f}", "heat_mw": "{:,.1f}", "capex_eur": "{:,.0f}",
                                  "annual_cost_eur": "{:,.0f}", "eur_per_mwh": "{:,.1f}",
                                  **{c: "{:.2f}" for c in cols[5:]}})
    console.print(f"wrote layers districts, sites, units and buildings.site_id/district_id to {study_path}")


def _print_plan_summary(result: Any) -> None:
    s = result.summary
    units = result.units.groupby("unit_type").agg(count=("unit_id", "size"), heat_mw=("heat_kw", "sum"),
                                                   power_mw=("power_kw", "sum"))
    units[["heat_mw", "power_mw"]] /= 1000.0
    print_frame("Units by type", units, {"count": "{:,.0f}", "heat_mw": "{:,.1f}", "power_mw": "{:,.2f}"})
    console.print(
        f"status {s.status.value}; sites {s.n_sites}, districts {s.n_districts}, units {len(result.units)}; "
        f"heat {s.heat_mw:,.1f} MW for {s.design_load_mw:,.1f} MW design load, power {s.power_mw:,.2f} MWe; "
        f"CAPEX EUR {s.capex_eur:,.0f} (units {s.capex_units_eur:,.0f}, sites {s.capex_sites_eur:,.0f}, "
        f"pipes {s.capex_network_eur:,.0f}); annual cost EUR {s.annual_cost_eur:,.0f} = "
        f"{s.cost_eur_per_mwh:,.1f} EUR/MWh; solve {s.solve_time_s:,.1f} s in {s.n_subproblems} subproblem(s)"
        + (f" ({s.repaired_neighbourhoods} merged by the repair)" if s.repaired_neighbourhoods else "") + ", "
        f"gap {100 * s.gap:.2f} % (bound EUR/a {s.bound_eur_a:,.0f})",
        highlight=False,
    )
    if not math.isnan(s.lp_time_s):
        console.print(f"city LP ({s.lp_time_s:,.1f} s): dispersion excess no plan avoids "
                      f"{s.lp_dispersion_excess_kw:,.0f} kW, other unavoidable shortfall {s.lp_other_slack_kw:,.0f} kW"
                      + (f", gap to its bound {100 * s.lp_gap:.2f} %" if not math.isnan(s.lp_gap) else ""),
                      highlight=False)
    for line in s.diagnosis:
        console.print(f"[yellow]why relaxed:[/] {line}", highlight=False)
    if s.unreachable_districts:
        console.print(f"[yellow]warning:[/] {len(s.unreachable_districts)} district(s) have no candidate site "
                      "within the pipe reach and are not supplied", highlight=False)


@app.command()
@_friendly_errors
def stress(
    study_path: Annotated[Path, typer.Argument(metavar="STUDY.gpkg", help="Study with a plan (`teplo plan`).")],
    scenarios: Annotated[
        str, typer.Option("--scenarios", help="Families: n-1,n-2,strike,blackout,gas,pipe.")
    ] = "n-1,n-2,strike,blackout,gas,pipe",
    temp_c: Annotated[float, typer.Option("--temp-c", help="Outdoor temperature, °C.")] = -20.0,
    radius_m: Annotated[float, typer.Option("--radius-m", help="Strike radius, m.")] = 300.0,
    duration_h: Annotated[float, typer.Option("--duration-h", help="Scenario window, h.")] = 48.0,
    scheduler: Annotated[
        str | None, typer.Option("--dask", help="'local' or a dask scheduler address for large sweeps.")
    ] = None,
) -> None:
    """Stress-test the plan: strikes, blackouts, gas loss, pipe breaks; who goes cold and how fast."""
    from teplo.pipeline import run_stress_stage
    from teplo.study import open_study

    families = tuple(f.strip() for f in scenarios.split(",") if f.strip())
    study = open_study(study_path)
    result = run_stress_stage(study, families=families, temp_c=temp_c, radius_m=radius_m,
                              duration_h=duration_h, client=scheduler, progress=console)
    study.save(study_path)
    _print_stress_summary(result)
    console.print(f"wrote layers scenarios, building_outcomes to {study_path}")


def _print_stress_summary(result: Any) -> None:
    print_frame("Scenarios by family (who decided them)", result.summary, {})
    table = result.scenarios
    cols = [c for c in ("residents_below_12c_12h", "residents_below_12c_24h", "residents_below_12c_48h",
                        "buildings_drained", "priority_affected", "unserved_heat_mwh") if c in table]
    agg = table.groupby("family")[cols].max()
    agg.index.name = "family (worst case)"
    print_frame("Worst case per family", agg, {c: "{:,.0f}" for c in cols})
    worst = result.worst.set_index("scenario_id")[[c for c in ("description", *cols[:2]) if c in result.worst]]
    print_frame("Worst scenarios", worst.head(5), {c: "{:,.0f}" for c in cols})


@app.command()
@_friendly_errors
def operate(
    study_path: Annotated[Path, typer.Argument(metavar="STUDY.gpkg", help="Study with a plan (`teplo plan`).")],
    weather: Annotated[
        Path | None,
        typer.Option("--weather", help="Hourly temperature CSV or EPW; default: the study's weather."),
    ] = None,
    season: Annotated[
        str | None,
        typer.Option("--season", help="START:END dates, e.g. 2025-10-15:2026-04-10; default: the "
                     "heating season of the weather (3 days at or below +8 °C)."),
    ] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option("--catalogue", help="Unit catalogue CSV adding or replacing bundled unit types."),
    ] = None,
) -> None:
    """Run the winter hour by hour: each site's CHP and boilers dispatched; gas, power, cost."""
    from teplo.pipeline import run_operation_stage
    from teplo.study import open_study

    study = open_study(study_path)
    outcome = run_operation_stage(study, weather=weather, season=season, catalogue=catalogue,
                                  progress=console)
    study.save(study_path)
    _print_operation_summary(outcome)
    console.print(f"wrote layers operation_daily, operation_districts to {study_path}")


def _print_operation_summary(outcome: Any) -> None:
    table = outcome.summary.set_index("district_id")
    table.index.name = "site"
    names = {"demand_mwh": "demand MWh", "losses_mwh": "losses MWh", "heat_mwh": "heat MWh",
             "unserved_mwh": "unserved MWh", "unserved_h": "unserved h", "gas_1000m3": "gas 1000 m³",
             "power_mwh": "power MWh", "fuel_cost_eur": "gas EUR", "revenue_eur": "power EUR",
             "lcoh_eur_mwh": "EUR/MWh", "lcoh_uah_gcal": "UAH/Gcal"}
    shown = table.assign(gas_1000m3=table["gas_m3"] / 1e3)[list(names)].rename(columns=names)
    print_frame(
        f"Season {outcome.start:%Y-%m-%d} to {outcome.end:%Y-%m-%d}, weather {outcome.climate}",
        shown,
        {"unserved h": "{:,.0f}", "gas EUR": "{:,.0f}", "power EUR": "{:,.0f}",
         "UAH/Gcal": "{:,.0f}", "unserved MWh": "{:,.2f}"},
    )
    city = table.loc["city"]
    slope = _gas_slope(outcome)
    console.print(
        f"city: gas {city['gas_m3'] / 1e6:,.3f} million m³, electricity {city['power_mwh']:,.0f} MWh, "
        f"CO₂ {city['co2_t']:,.0f} t, cost of heat {city['lcoh_eur_mwh']:,.1f} EUR/MWh "
        f"({city['lcoh_uah_gcal']:,.0f} UAH/Gcal); "
        f"daily gas {slope:+,.0f} m³ per K of daily mean temperature"
    )
    days = (outcome.end - outcome.start).days + 1
    if days < 150:
        console.print(f"note: the cost of heat charges a whole year's CAPEX and fixed O&M to these "
                      f"{days} days; run the whole season for a season's cost")
    if not outcome.unserved.empty:
        console.print(f"[yellow]heat not served[/] at {len(outcome.unserved)} site(s): "
                      + ", ".join(f"{s} {r['unserved_mwh']:,.2f} MWh in {int(r['unserved_h'])} h"
                                  for s, r in outcome.unserved.iterrows()), highlight=False)
    for reason, rows in outcome.left_out.groupby("reason"):
        console.print(f"not dispatched: {len(rows)} unit(s), {reason}")


def _gas_slope(outcome: Any) -> float:
    from teplo.supply.dispatch import gas_temperature_slope, gas_vs_temperature

    return gas_temperature_slope(gas_vs_temperature(outcome.result))


@app.command()
@_friendly_errors
def run(
    area: Annotated[Path | None, typer.Argument(help="Area file (see `teplo demand`).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory (study.gpkg, report.html, tables/).")] = Path("out"),
    sample: Annotated[bool, typer.Option("--sample", help="Use the bundled sample extract.")] = False,
    config_file: Annotated[Path | None, typer.Option("--config", help="Settings TOML (`teplo config --example`).")] = None,
) -> None:
    """Run the whole job: import, demand, plan, network, operation, stress, report."""
    from teplo.io.load import sample_path
    from teplo.settings import load_settings
    from teplo.workflow import run as run_workflow

    if area is None and not sample:
        raise TeploError("give an AREA file or --sample")
    source = sample_path() if area is None else area
    settings = load_settings(config_file)
    t0 = time.perf_counter()
    study = run_workflow(source, settings, out_dir=out, progress=console)
    _print_demand_summary(study)
    if "network_totals" in study.meta:
        t = study.meta["network_totals"]
        console.print(f"network: {t['route_km']:.1f} km, EUR {t['cost_eur']:,.0f}, losses {100 * t['loss_share']:.1f} %")
    for stage, why in study.meta.get("skipped", {}).items():
        console.print(f"[yellow]{stage}: not computed[/] ({why})")
    console.print(f"study: {out / 'study.gpkg'}")
    console.print(f"report: {out / 'report.html'}  ({time.perf_counter() - t0:.1f} s)")


@app.command()
@_friendly_errors
def report(
    study_path: Annotated[Path, typer.Argument(metavar="STUDY.gpkg", help="A study.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory for report.html and tables/.")] = Path("out"),
) -> None:
    """Write the offline HTML report and CSV tables of a study."""
    from teplo.pipeline import report_stage
    from teplo.study import open_study

    path = report_stage(open_study(study_path), None, out, console)
    console.print(f"report: {path}")


def main() -> None:
    """Entry point for ``python -m teplo``."""
    app()


if __name__ == "__main__":
    main()
