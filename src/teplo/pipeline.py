"""Composing the stages: area -> demand -> (plan -> network -> operation -> stress) -> study.

Each stage is a function from tables to tables in its own subpackage; this
module only wires them and records provenance in the study's ``meta``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from teplo.area import Area
from teplo.study import Study


def run_demand_stage(
    area: str | os.PathLike[str] | Area,
    *,
    weather: str | os.PathLike[str] | None = None,
    overrides: str | os.PathLike[str] | None = None,
    progress: Any = None,
    climate_overrides: dict[str, float] | None = None,
) -> Study:
    """Import ``area`` (a path or an :class:`Area`) and compute every building's demand.

    The study gets layers ``buildings`` and ``streets``, and ``site_features``
    when the area has any (OSM input). ``climate_overrides`` (design_temp_c,
    indoor_temp_c) replace the climate's defaults.
    """
    from teplo.climate import climate_from_file, kharkiv_climate
    from teplo.demand import compute_demand, read_overrides_csv
    from teplo.io.load import load_area

    def say(text: str) -> None:
        if progress is not None:
            progress.print(f"[bold]·[/] {text}")

    if isinstance(area, Area):
        loaded, source = area, "in-memory area"
    else:
        say(f"importing {area}")
        loaded, source = load_area(area), str(Path(area).name)
    extra = climate_overrides or {}
    design = extra.get("design_temp_c", -23.0)  # kharkiv-figures §1
    indoor = extra.get("indoor_temp_c", 20.0)  # kharkiv-figures §2.5
    climate = (
        kharkiv_climate(design_temp_c=design, indoor_temp_c=indoor)
        if weather is None
        else climate_from_file(Path(weather), design_temp_c=design, indoor_temp_c=indoor)
    )
    say(f"computing demand ({len(loaded.buildings)} buildings, climate {climate.name})")
    override_table = read_overrides_csv(Path(overrides)) if overrides is not None else None
    buildings = compute_demand(loaded.buildings, climate, overrides=override_table)
    meta = {
        "source": source,
        "metric_crs": loaded.crs.to_string(),
        "input_crs": loaded.input_crs.to_string(),
        "climate": climate.name,
        "import_report": loaded.report.summary(),
    }
    layers = {"buildings": buildings, "streets": loaded.streets}
    if len(loaded.site_features):  # candidate-site features from OSM, for the plan stage
        layers["site_features"] = loaded.site_features
    return Study(layers=layers, meta=meta)


def run_network_stage(
    study: Study,
    *,
    sites: str | os.PathLike[str] | None = None,
    existing: str | os.PathLike[str] | None = None,
    settings: Any = None,
    progress: Any = None,
) -> Any:
    """Design the networks of ``study`` and put layers ``pipes`` and ``network_nodes`` in it.

    Sites come from ``sites`` (a file) or, when absent, from the study's planned
    ``sites`` layer (rows with ``chosen``), with its building assignment and,
    where the plan gave districts a backup site (``backup_site_id``), the
    site-loss interconnectors sized for the plan's backup requirement
    (:func:`_backup_table`); their length limit defaults to the plan's pipe
    reach. ``meta['network_totals']`` reports interconnector km and cost apart.
    """
    import geopandas as gpd

    from teplo.errors import InputError
    from teplo.io.sites import read_existing_pipes, read_sites
    from teplo.network.design import NetworkSettings, design_network

    buildings = study.layers.get("buildings")
    streets = study.layers.get("streets")
    if not isinstance(buildings, gpd.GeoDataFrame) or "design_load_kw" not in buildings:
        raise InputError("the study has no buildings with demand; run `teplo demand` first")
    if not isinstance(streets, gpd.GeoDataFrame) or streets.empty:
        raise InputError("the study has no streets; the network follows streets")
    assignment = None
    backup = None
    if sites is not None:
        site_table = read_sites(sites, buildings.crs)
    elif "sites" in study.layers:
        planned = study.layers["sites"]
        site_table = planned[planned["chosen"].astype(bool)] if "chosen" in planned else planned
        if "site_id" in buildings:
            assignment = buildings.set_index("building_id")["site_id"].replace("", None).dropna()
        if "backup_site_id" in buildings:
            backup, reach_m = _backup_table(study, buildings)
            net = settings if settings is not None else NetworkSettings()
            if "max_interconnector_m" not in net.model_fields_set:  # tied to the plan's pipe reach
                settings = net.model_copy(update={"max_interconnector_m": reach_m})
    else:
        raise InputError("give --sites SITES.geojson, or run `teplo plan` first to choose sites")
    if progress is not None:
        progress.print(f"[bold]·[/] routing and sizing networks for {len(site_table)} site(s)")
    existing_pipes = read_existing_pipes(existing, buildings.crs) if existing is not None else None
    design = design_network(buildings, streets, site_table, existing=existing_pipes,
                            assignment=assignment, backup=backup, settings=settings)
    study.layers["pipes"] = design.pipes
    study.layers["network_nodes"] = design.nodes
    study.meta["network_totals"] = design.totals
    return design


def _backup_table(study: Study, buildings: Any) -> tuple[Any, float]:
    """Per building its plan's backup site and its share of the district's backup requirement [kW].

    The requirement per district is the siting stage's own
    (:func:`teplo.supply.model.inputs.backup_requirement_kw`: beta x design
    load for a site loss, or the priority share) over the study's
    ``districts`` layer with the plan's settings; each building takes the
    share of its design load in its district. Without a ``districts`` layer,
    beta x the building's load. Also returns the plan's pipe reach [m].
    """
    import warnings

    import numpy as np
    import pandas as pd
    from pydantic import ValidationError

    from teplo.errors import TeploWarning
    from teplo.supply.model.inputs import backup_requirement_kw
    from teplo.supply.settings import SitingSettings

    try:
        plan = SitingSettings.model_validate(study.settings.get("plan", {}))
    except ValidationError as err:  # e.g. a study written by another teplo version
        first = err.errors()[0]
        warnings.warn(
            f"the study's plan settings do not validate ({'.'.join(map(str, first['loc']))}: {first['msg']}); "
            "the interconnectors' backup requirement and length limit use the default plan settings",
            TeploWarning, stacklevel=3,
        )
        plan = SitingSettings()
    b = buildings[buildings["heated"].astype(bool) & (buildings["design_load_kw"] > 0)] \
        if "heated" in buildings else buildings
    load = b["design_load_kw"].to_numpy(dtype=float)
    target = b["backup_site_id"].astype("string").fillna("").astype(str).to_numpy()
    districts = study.layers.get("districts")
    if districts is not None and "district_id" in b and {"district_id", "design_load_kw"} <= set(districts):
        need = pd.Series(backup_requirement_kw(districts, plan), index=districts["district_id"].astype(str))
        district = b["district_id"].astype("string").fillna("").astype(str)
        total = pd.Series(load, index=district.index).groupby(district.to_numpy()).sum()
        d = district.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            share = load / total.reindex(d).to_numpy()
        kw = np.nan_to_num(need.reindex(d).to_numpy() * share, nan=0.0)
    else:
        site_loss = plan.resilience.site_loss
        kw = (site_loss.beta if site_loss.enabled else 0.0) * load
    table = pd.DataFrame(
        {"building_id": b["building_id"].astype(str).to_numpy(), "backup_site_id": target, "backup_kw": kw}
    )
    return table, plan.pipe_reach_m


def run_stress_stage(
    study: Study,
    *,
    families: tuple[str, ...] = ("n-1", "n-2", "strike", "blackout", "gas", "pipe"),
    temp_c: float = -20.0,
    radius_m: float = 300.0,
    duration_h: float = 48.0,
    client: Any = None,
    hydraulic: bool = True,
    progress: Any = None,
) -> Any:
    """Stress-test the study's plan; puts layers ``scenarios`` and ``building_outcomes`` in it.

    Needs the plan's ``units`` and ``sites`` (``teplo plan``) and buildings with
    ``site_id``; uses the designed network (``teplo network``) when present, with
    the hydraulic solver deciding the scenarios screening cannot.
    """
    import numpy as np

    from teplo.errors import InputError
    from teplo.network.design import NetworkSettings, design_state, tables_from_layers
    from teplo.resilience import run_stress
    from teplo.resilience.hydraulic_check import hydraulic_check
    from teplo.resilience.settings import StressSettings

    for name in ("buildings", "units", "sites"):
        if name not in study.layers:
            raise InputError(f"the study has no '{name}' layer; run `teplo plan` first")
    buildings = study.layers["buildings"]
    if "site_id" not in buildings:
        raise InputError("buildings carry no site_id; run `teplo plan` first")
    b = buildings.copy()
    b["site_id"] = b["site_id"].astype("string").fillna("").astype(str)
    if "district_id" not in b:
        b["district_id"] = b["site_id"]
    b["district_id"] = b["district_id"].astype("string").fillna("").astype(str)
    sites = study.layers["sites"]
    if "chosen" in sites:
        sites = sites[sites["chosen"].astype(bool) | sites["site_id"].isin(study.layers["units"]["site_id"])]
    pipes = study.layers.get("pipes")
    nodes = study.layers.get("network_nodes")
    check = None
    if pipes is not None and nodes is not None and hydraulic and len(pipes):
        settings = NetworkSettings.model_validate(study.settings.get("network", {}))
        tables, _ = design_state(*tables_from_layers(pipes, nodes, b), settings)
        check = hydraulic_check(
            *tables,
            pipe_order=pipes["pipe_id"].astype(str).to_numpy(),
            site_order=np.asarray(sites["site_id"].astype(str)),
            units=study.layers["units"],  # capacity shared per network of the valve state
            storage_autonomy_h=StressSettings().power.storage_autonomy_h,
        )
    if progress is not None:
        progress.print(f"[bold]·[/] stress-testing: {', '.join(families)} at {temp_c:g} °C")
    result = run_stress(
        b, study.layers["units"], sites, pipes=pipes, network_nodes=nodes, families=families,
        temp_c=temp_c, radius_m=radius_m, duration_h=duration_h, network_check=check, client=client,
    )
    study.layers["scenarios"] = result.scenarios
    study.layers["building_outcomes"] = result.building_outcomes
    study.meta["stress_summary"] = result.summary.reset_index().to_dict(orient="records")
    return result


def run_plan_stage(
    study: Study,
    *,
    sites: str | os.PathLike[str] | None = None,
    catalogue: str | os.PathLike[str] | None = None,
    settings: Any = None,
    compare: bool = False,
    progress: Any = None,
) -> Any:
    """Site and size the boiler houses and CHP units of ``study``; returns the :class:`SitingResult`.

    With ``compare`` the area is also planned without resilience constraints and
    as one central plant (:func:`teplo.supply.resilience_cost.compare_resilience`);
    the side-by-side costs and N-1 / site-loss shares go to ``meta['resilience_cost']``.

    Candidate sites come from the study's OSM ``site_features``, the user's
    ``sites`` file and generated plots. Writes the layers ``districts``,
    ``sites`` (every candidate, with ``chosen``), ``units`` (one row per module),
    the columns ``district_id``, ``site_id`` and ``backup_site_id`` on
    ``buildings``, and ``meta['plan_summary']``. When the resilience
    requirements cannot all be met the best relaxation is written, flagged
    (``plan_summary.status == 'relaxed'``), and each binding requirement is
    listed in ``meta['plan_binding']`` and shown as a warning.
    """
    import warnings

    from teplo.errors import InputError, TeploWarning
    from teplo.supply.catalogue import load_unit_catalogue
    from teplo.supply.resilience_cost import compare_resilience
    from teplo.supply.result import SitingInfeasibleError
    from teplo.supply.settings import SitingSettings
    from teplo.supply.sites import candidate_sites
    from teplo.supply.siting import plan_supply

    if "buildings" not in study.layers:
        raise InputError("the study has no buildings: run `teplo demand` first")
    settings = settings if settings is not None else SitingSettings.model_validate(study.settings.get("plan", {}))
    buildings = study.layers["buildings"]
    missing = [c for c in ("design_load_kw", "annual_heat_mwh", "heated") if c not in buildings]
    if missing:
        raise InputError(f"buildings: no {', '.join(missing)}; run `teplo demand` first")
    heated = buildings.loc[buildings["heated"].astype(bool) & (buildings["design_load_kw"] > 0)]
    if len(heated) == 0:
        raise InputError("buildings: no heated building with a design load > 0; nothing to supply")
    streets = study.layers.get("streets")
    cat = load_unit_catalogue(extra=Path(catalogue)) if catalogue is not None else load_unit_catalogue()
    found = candidate_sites(heated, osm=study.layers.get("site_features"), user=sites, streets=streets,
                            settings=settings.sites,
                            connection_m=settings.pipe_reach_m - settings.districts.max_radius_m,
                            detour_factor=settings.districts.detour_factor)
    if progress is not None:
        progress.print(f"[bold]·[/] planning supply: {len(heated)} buildings, {len(found.sites)} candidate sites")
    comparison = None
    if compare:
        comparison = compare_resilience(heated, found.sites, cat, streets, settings)
        plan = comparison.resilient
    else:
        try:
            plan = plan_supply(heated, found.sites, cat, streets, settings)
        except SitingInfeasibleError as err:
            plan = err.result
    binding = plan.summary.binding
    if binding:
        more = f"\n  ... and {len(binding) - 8} more (all in the report and the study's meta plan_binding)"
        warnings.warn(
            f"plan: {len(binding)} requirement(s) could not be met (status {plan.summary.status.value}); the best "
            "relaxation is written:\n  " + "\n  ".join(binding[:8]) + (more if len(binding) > 8 else "")
            + "".join(f"\nwhy: {line}" for line in plan.summary.diagnosis),
            TeploWarning, stacklevel=2,
        )
    b = buildings.drop(columns=[c for c in ("district_id", "site_id", "backup_site_id") if c in buildings])
    assign = plan.buildings.set_index("building_id")
    for col in ("district_id", "site_id", "backup_site_id"):
        b[col] = b["building_id"].map(assign[col]).astype(object)
    study.layers["buildings"] = b
    study.layers["districts"] = plan.districts
    study.layers["sites"] = plan.sites
    study.layers["units"] = plan.units
    summary = plan.summary.as_dict()
    # the report's names: supply CAPEX (units + site works), installed MW, cost per MWh, solver time
    summary.update(capex_total_eur=summary["capex_eur"],
                   capex_eur=float(plan.summary.capex_units_eur + plan.summary.capex_sites_eur),
                   mw_thermal=summary["heat_mw"], mw_electric=summary["power_mw"],
                   eur_per_mwh=summary["cost_eur_per_mwh"], solve_s=summary["solve_time_s"])
    study.meta["plan_summary"] = summary
    if comparison is not None:
        table = comparison.table.reset_index()
        study.meta["resilience_cost"] = [
            {**{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()},
             "variant": row["plan"], "n1_covered_share": row["n1_city_share"],
             "site_loss_covered_share": row["site_loss_city_share"]}
            for row in table.to_dict(orient="records")
        ]
    study.meta["plan_binding"] = list(plan.summary.binding)
    study.meta["plan_candidates_dropped"] = dict(found.dropped)
    study.settings["plan"] = settings.model_dump(mode="json")
    return plan


# ---- uniform stage functions for teplo.workflow: (study, settings, progress) -> None


def _skip(study: Study, stage: str, why: str, progress: Any) -> None:
    """Record that ``stage`` was not computed and why (the report shows it)."""
    skipped = dict(study.meta.get("skipped", {}))
    skipped[stage] = why
    study.meta["skipped"] = skipped
    if progress is not None:
        progress.print(f"[bold]·[/] {stage}: not computed ({why})")


def _done(study: Study, stage: str) -> None:
    skipped = dict(study.meta.get("skipped", {}))
    skipped.pop(stage, None)
    study.meta["skipped"] = skipped


def network_stage(study: Study, settings: Any, progress: Any) -> None:
    """Network stage of ``teplo run``: needs the plan's sites."""
    if "sites" not in study.layers:
        _skip(study, "network", "no plant sites: the plan stage did not run", progress)
        return
    run_network_stage(study, settings=settings.network, progress=progress)
    _done(study, "network")


def stress_stage(study: Study, settings: Any, progress: Any) -> None:
    """Stress stage of ``teplo run``: needs the plan's units and sites."""
    if "units" not in study.layers or "sites" not in study.layers:
        _skip(study, "stress", "no units: the plan stage did not run", progress)
        return
    st = settings.stress
    run_stress_stage(study, families=tuple(st.families), temp_c=st.temp_c, radius_m=st.radius_m,
                     duration_h=st.duration_h, client=st.dask, progress=progress)
    _done(study, "stress")


def report_stage(study: Study, settings: Any, out_dir: Path, progress: Any) -> Path:
    """Write ``out_dir/report.html`` and the CSV tables (``out_dir/tables/``)."""
    from teplo.report import export_tables, write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    path = write_report(study, out_dir / "report.html", settings_used=settings)
    export_tables(study, out_dir / "tables")
    if progress is not None:
        progress.print(f"[bold]·[/] report: {path}")
    return path


def plan_stage(study: Study, settings: Any, progress: Any) -> None:
    """Plan stage of ``teplo run`` (siting MILP): writes districts, sites, units."""
    run_plan_stage(study, settings=settings.plan, progress=progress)
    _done(study, "plan")


def operation_stage(study: Study, settings: Any, progress: Any) -> None:
    """Operation stage of ``teplo run`` (hourly dispatch)."""
    if "units" not in study.layers:
        _skip(study, "operation", "no units: the plan stage did not run", progress)
        return
    run_operation_stage(study, weather=settings.demand.weather, settings=settings.operation,
                        progress=progress)
    _done(study, "operation")


def run_operation_stage(
    study: Study,
    *,
    weather: str | os.PathLike[str] | None = None,
    season: str | tuple[Any, Any] | None = None,
    settings: Any = None,
    catalogue: str | os.PathLike[str] | Any = None,
    progress: Any = None,
) -> Any:
    """Dispatch every site's units hour by hour over a season; puts ``operation_daily`` in ``study``.

    Each site feeds its own network and is one dispatch district. Needs the
    plan's ``units`` and buildings with ``site_id`` (``teplo plan``); uses the
    designed ``pipes`` (``teplo network``) for the losses when present.
    ``weather`` is a CSV/EPW file (default: the study's weather); ``season`` is
    ``'START:END'`` (dates, both included) or the climate's heating season;
    ``settings`` a :class:`~teplo.supply.dispatch.DispatchSettings` (default:
    the study's ``[operation]`` settings); ``catalogue`` a unit-catalogue CSV
    adding or replacing bundled types, or a loaded catalogue. Writes layers
    ``operation_daily`` and ``operation_districts`` and
    ``meta['operation_summary']``; warns (:class:`~teplo.errors.TeploWarning`)
    for every site with heat not served. Returns an
    :class:`~teplo.operation.OperationRun`.
    """
    import warnings

    import pandas as pd

    from teplo.errors import InputError, TeploWarning
    from teplo.operation import (
        OperationRun,
        dispatch_units,
        dispatched_sites,
        season_hours,
        site_demand_kw,
        site_ids,
        site_losses_kw,
        study_climate,
        unserved_by_site,
        unserved_message,
    )
    from teplo.supply.catalogue import load_unit_catalogue
    from teplo.supply.dispatch import (
        gas_temperature_slope,
        gas_vs_temperature,
        load_settings,
        operation_summary,
        run_operation,
    )

    if "units" not in study.layers:
        raise InputError("the study has no 'units' layer; run `teplo plan` first")
    buildings = study.layers.get("buildings")
    if buildings is None or "h_w_k" not in buildings:
        raise InputError("the study has no buildings with demand; run `teplo demand` first")
    s = settings if settings is not None else load_settings(study.settings.get("operation"))
    if isinstance(catalogue, pd.DataFrame):
        cat = catalogue
    else:
        cat = load_unit_catalogue(extra=Path(catalogue)) if catalogue is not None else load_unit_catalogue()

    climate = study_climate(study, weather)
    hours = season_hours(climate, season)
    units, left_out = dispatch_units(study.layers["units"], cat)
    sites = dispatched_sites(buildings, units)
    demand = site_demand_kw(buildings, climate, hours, sites)
    losses, loss_source = site_losses_kw(demand, study.layers.get("pipes"), s.network_loss_fraction)
    temps = climate.hourly_temp_c.reindex(hours)
    start, end = hours[0].normalize(), hours[-1].normalize()

    def say(text: str) -> None:
        if progress is not None:
            progress.print(f"[bold]·[/] {text}")

    say(f"operation: {len(sites)} site(s), {len(units)} unit(s), {start:%Y-%m-%d} to {end:%Y-%m-%d} "
        f"({len(hours)} h), weather {climate.name}")
    if len(left_out):
        say(f"operation: {len(left_out)} unit(s) left out of the dispatch "
            f"({', '.join(sorted(set(left_out['reason'])))})")
    bar, done = _site_progress(progress, len(sites))
    with bar:
        result = run_operation(units, demand, temps, s, losses_kw=losses, progress=done)
    layers = result.layers()
    study.layers.update(layers)
    summary = layers["operation_districts"]
    study.meta["operation_summary"] = operation_summary(result)
    site = site_ids(buildings)
    heated = pd.to_numeric(buildings["design_load_kw"], errors="coerce").fillna(0.0) > 0
    lost = heated.to_numpy() & (site.to_numpy() == "")
    run = OperationRun(
        result=result, summary=summary, start=start, end=end, climate=climate.name, units=units,
        left_out=left_out, loss_source=loss_source, unassigned_buildings=int(lost.sum()),
        unassigned_design_kw=float(buildings.loc[lost, "design_load_kw"].sum()),
        unserved=unserved_by_site(result, units),
    )
    study.meta["operation"] = {
        "weather": climate.name,
        "season": [f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"],
        "hours": len(hours),
        "sites": len(sites),
        "units_dispatched": len(units),
        "units_left_out": left_out["unit_id"].tolist(),
        "losses": loss_source,
        "gas_m3_per_day_per_k": gas_temperature_slope(gas_vs_temperature(result)),
        "unserved_by_site": run.unserved.round(3).reset_index().to_dict(orient="records"),
        "unassigned_buildings": run.unassigned_buildings,
    }
    if run.unassigned_buildings:
        say(f"operation: {run.unassigned_buildings} heated building(s) "
            f"({run.unassigned_design_kw:,.0f} kW design load) have no site and are not dispatched")
    for sid, row in run.unserved.iterrows():
        warnings.warn(unserved_message(str(sid), row), TeploWarning, stacklevel=2)
    return run


def _site_progress(progress: Any, n_sites: int) -> tuple[Any, Callable[[str], None] | None]:
    """A rich progress bar over the sites when ``progress`` is a rich Console: (context, callback)."""
    from contextlib import nullcontext

    from rich.console import Console
    from rich.progress import Progress

    if not isinstance(progress, Console):
        return nullcontext(), None
    bar = Progress(console=progress, transient=True)
    task = bar.add_task("dispatching sites", total=n_sites)

    def advance(_site: str) -> None:
        bar.advance(task)

    return bar, advance
