"""TEST ONLY: plausible made-up plan, operation and stress layers for developing the report.

Nothing here is a model of anything: the numbers only have the right shape,
units and order of magnitude so that every report section has something to
draw. Never use it for a real study. The layers follow the contracts of the
stages still being finished (plan, operate, stress); see the report brief.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from teplo.climate import kharkiv_climate
from teplo.demand import hourly_heat_total_kw
from teplo.study import Study

#: Unit types used by the fakes: (heat kW, power kW, capex EUR), copied from the
#: siting branch's teplo/data/units.csv so the numbers look like a real plan.
FAKE_UNITS: dict[str, tuple[float, float, float]] = {
    "bmk_1mw": (1000.0, 0.0, 140_000.0),
    "bmk_2mw": (2000.0, 0.0, 240_000.0),
    "bmk_3mw": (3000.0, 0.0, 330_000.0),
    "chp_1mw": (1125.0, 1000.0, 1_000_000.0),
}
GAS_KWH_PER_M3 = 9.57  # kharkiv-figures §3.5
HOURS = (6.0, 12.0, 24.0, 48.0)


def add_fake_layers(study: Study, *, seed: int = 0, n_districts: int = 4, cooling_curves: bool = True) -> Study:
    """A copy of ``study`` with fake districts, sites, units, operation and stress layers (TEST ONLY)."""
    rng = np.random.default_rng(seed)
    layers = {k: v.copy() for k, v in study.layers.items()}
    meta = dict(study.meta)
    b = layers["buildings"]
    sites = _sites(layers)
    b["site_id"] = _assignment(b, layers.get("network_nodes"), layers.get("pipes"), sites)
    district_of_site = _district_of_site(sites, n_districts)
    b["district_id"] = b["site_id"].map(district_of_site).fillna("")
    load = b.loc[b["heated"].astype(bool)].groupby("site_id")["design_load_kw"].sum()
    units = _units(sites["site_id"], load)
    heat = units.groupby("site_id")["heat_kw"].sum()
    power = units.groupby("site_id")["power_kw"].sum()
    sites["heat_kw"] = sites["site_id"].map(heat).fillna(0.0)
    sites["power_kw"] = sites["site_id"].map(power).fillna(0.0)
    sites["chosen"] = True
    candidates = sites.head(3).assign(
        site_id=lambda f: "cand-" + f["site_id"], chosen=False, heat_kw=0.0, power_kw=0.0,
        geometry=lambda f: f.geometry.translate(150.0, 150.0))
    layers["sites"] = gpd.GeoDataFrame(pd.concat([sites, candidates], ignore_index=True), crs=sites.crs)
    layers["units"] = units
    layers["districts"] = _districts(b, district_of_site)
    layers["buildings"] = b
    capex = float(units["capex_eur"].sum()) * 1.15
    meta["plan_summary"] = {
        "n_sites": len(sites), "mw_thermal": float(units["heat_kw"].sum()) / 1e3,
        "mw_electric": float(units["power_kw"].sum()) / 1e3, "capex_eur": capex,
        "annual_cost_eur": capex * 0.09 + 6.0e6, "eur_per_mwh": 48.5, "solve_s": 12.3, "gap": 0.004,
    }
    meta["resilience_cost"] = [
        {"variant": "with resilience", "capex_eur": capex, "annual_cost_eur": capex * 0.09 + 6.0e6,
         "eur_per_mwh": 48.5, "n1_covered_share": 0.92, "site_loss_covered_share": 0.71},
        {"variant": "without", "capex_eur": capex * 0.78, "annual_cost_eur": capex * 0.07 + 5.9e6,
         "eur_per_mwh": 44.1, "n1_covered_share": 0.55, "site_loss_covered_share": 0.31},
        {"variant": "central plant", "capex_eur": capex * 0.66, "annual_cost_eur": capex * 0.06 + 6.6e6,
         "eur_per_mwh": 43.0, "n1_covered_share": 0.0, "site_loss_covered_share": 0.0},
    ]
    layers["operation_daily"], meta["operation_summary"] = _operation(b, units, rng)
    scen, outcomes, curves = _stress(b, units, sites, rng)
    layers["scenarios"], layers["building_outcomes"] = scen, outcomes
    if cooling_curves:
        layers["cooling_curves"] = curves
    return Study(layers=layers, settings=dict(study.settings), meta=meta)


def _sites(layers: dict[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    nodes = layers.get("network_nodes")
    b = layers["buildings"]
    if nodes is not None and "kind" in nodes.columns and (nodes["kind"] == "site").any():
        feed = nodes[nodes["kind"] == "site"]
        return gpd.GeoDataFrame({"site_id": feed["site_id"].astype(str).to_numpy()},
                                geometry=feed.geometry.to_numpy(), crs=nodes.crs)
    pts = b.geometry.representative_point()
    pick = np.linspace(0, len(b) - 1, max(3, len(b) // 25)).astype(int)
    return gpd.GeoDataFrame({"site_id": [f"S{i:02d}" for i in range(len(pick))]},
                            geometry=pts.iloc[pick].to_numpy(), crs=b.crs)


def _assignment(
    b: gpd.GeoDataFrame, nodes: pd.DataFrame | None, pipes: pd.DataFrame | None, sites: gpd.GeoDataFrame
) -> pd.Series:
    """Site of each building: the site of the pipe ending at its network node, else the nearest site."""
    pts = b.geometry.representative_point()
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    nearest = np.argmin(np.hypot(pts.x.to_numpy()[:, None] - sx, pts.y.to_numpy()[:, None] - sy), axis=1)
    out = pd.Series(sites["site_id"].to_numpy()[nearest], index=b.index)
    if nodes is not None and pipes is not None and "building_id" in nodes.columns:
        site_of_node = pipes.set_index("to_node")["site_id"]
        site_of_node = site_of_node[~site_of_node.index.duplicated()]
        at = nodes[nodes["kind"] == "building"].set_index("building_id")["node_id"].map(site_of_node)
        at = at[~at.index.duplicated()].replace("", np.nan)
        out = b["building_id"].map(at).fillna(out)
    return out.where(b["heated"].astype(bool), "").astype(str)


def _district_of_site(sites: gpd.GeoDataFrame, k: int) -> pd.Series:
    """k-means on site coordinates (fixed start, 20 rounds) -> D1..Dk."""
    xy = np.c_[sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()]
    k = min(k, len(xy))
    centres = xy[np.argsort(xy[:, 0], kind="stable")[np.linspace(0, len(xy) - 1, k).astype(int)]]
    label = np.zeros(len(xy), dtype=int)
    for _ in range(20):
        label = np.argmin(((xy[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        centres = np.array([xy[label == j].mean(axis=0) if (label == j).any() else centres[j] for j in range(k)])
    return pd.Series([f"D{j + 1}" for j in label], index=sites["site_id"].to_numpy())


def _districts(b: gpd.GeoDataFrame, district_of_site: pd.Series) -> gpd.GeoDataFrame:
    rows = []
    for d, g in b[b["district_id"] != ""].groupby("district_id", sort=True):
        main_site = g.groupby("site_id")["design_load_kw"].sum().idxmax()
        rows.append({"district_id": d, "design_load_kw": float(g["design_load_kw"].sum()), "site_id": main_site,
                     "geometry": g.geometry.union_all().convex_hull.buffer(25.0)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=b.crs)


def _units(site_ids: pd.Series, load_kw: pd.Series) -> pd.DataFrame:
    """Boiler modules so that any one can fail with 80 % of the load covered; a CHP at every third site."""
    rows = []
    for k, s in enumerate(site_ids):
        load = float(load_kw.get(s, 0.0))
        kind = "bmk_1mw" if load < 6000 else ("bmk_2mw" if load < 15000 else "bmk_3mw")
        size = FAKE_UNITS[kind][0]
        n = max(2, int(np.ceil(0.8 * load / size)) + 1)
        types = [kind] * n + (["chp_1mw"] if k % 3 == 0 else [])
        for j, t in enumerate(types):
            heat, power, capex = FAKE_UNITS[t]
            rows.append({"unit_id": f"{s}-U{j + 1}", "site_id": s, "unit_type": t, "heat_kw": heat,
                         "power_kw": power, "capex_eur": capex})
    return pd.DataFrame(rows)


def _operation(b: pd.DataFrame, units: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    climate = kharkiv_climate()
    hourly = pd.Series(hourly_heat_total_kw(b, climate), index=climate.hourly_temp_c.index)
    daily_mwh = hourly.groupby(hourly.index.normalize()).sum() / 1e3
    days = climate.heating_days[climate.heating_days].index
    share = b[b["heated"].astype(bool)].groupby("district_id")["design_load_kw"].sum()
    share = share[share.index != ""] / share[share.index != ""].sum()
    chp_share = float(units["power_kw"].gt(0).mean())
    rows = []
    for day in days:
        for d, s in share.items():
            heat = float(daily_mwh[day]) * float(s) * rng.uniform(0.97, 1.03)
            power = heat * chp_share * 0.6
            gas = (heat / 0.92 + power / 0.4 * 0.2) * 1e3 / GAS_KWH_PER_M3
            rows.append({"district_id": d, "date": day.date().isoformat(), "heat_mwh": heat, "gas_m3": gas,
                         "power_mwh": power, "fuel_cost_eur": gas * 7.42 / 50.4,
                         "revenue_eur": power * 5350.0 / 50.4, "mean_temp_c": float(climate.daily_mean_c[day]),
                         "unserved_mwh": 0.0})
    daily = pd.DataFrame(rows)
    summary = {"gas_m3_season": float(daily["gas_m3"].sum()), "power_mwh": float(daily["power_mwh"].sum()),
               "cost_eur_per_mwh": 46.2}
    return daily, summary


def _stress(
    b: pd.DataFrame, units: pd.DataFrame, sites: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scenarios × buildings supplied fraction -> closed-form cooling -> metrics (fake, vectorised)."""
    heated = b[b["heated"].astype(bool)].reset_index(drop=True)
    site_ids = sites["site_id"].astype(str).to_numpy()
    cap = units.groupby("site_id")["heat_kw"].sum().reindex(site_ids).fillna(0.0).to_numpy()
    biggest = units.groupby("site_id")["heat_kw"].max().reindex(site_ids).fillna(0.0).to_numpy()
    has_chp = units.groupby("site_id")["power_kw"].sum().reindex(site_ids).fillna(0.0).to_numpy() > 0
    load = heated.groupby("site_id")["design_load_kw"].sum().reindex(site_ids).fillna(1.0).to_numpy()
    xy = np.c_[sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()]
    lost: list[np.ndarray] = []  # capacity lost per site [kW]
    meta: list[tuple[str, str, str, float, float]] = []
    for i, s in enumerate(site_ids):
        lost.append(np.eye(len(site_ids))[i] * biggest[i])
        meta.append((f"n-1:unit:{s}-U1", "n-1", f"largest unit at site {s}", -20.0, 12.0))
    for _ in range(12):
        i, j = rng.choice(len(site_ids), 2, replace=False)
        v = np.zeros(len(site_ids))
        v[i], v[j] = biggest[i], cap[j] * 0.5
        meta.append((f"n-2:{site_ids[i]}+{site_ids[j]}", "n-2", f"units at sites {site_ids[i]} and {site_ids[j]}",
                     -20.0, 24.0))
        lost.append(v)
    for k in range(8):
        centre = xy[rng.integers(len(xy))] + rng.normal(0, 200, 2)
        hit = np.hypot(*(xy - centre).T) < 400.0
        lost.append(np.where(hit, cap, 0.0))
        meta.append((f"strike:{k}", "strike", f"strike within 400 m of ({centre[0]:.0f}, {centre[1]:.0f})",
                     -20.0, 48.0))
    for k in range(3):
        lost.append(np.where(~has_chp & (rng.random(len(cap)) < 0.6), cap, 0.0))
        meta.append((f"blackout:{k}", "blackout", f"power feeder {k + 1} dark, sites without CHP stop", -15.0, 24.0))
    for k in range(2):
        lost.append(np.where(rng.random(len(cap)) < 0.3, cap, 0.0))
        meta.append((f"gas:{k}", "gas", f"gas pressure lost on distribution line {k + 1}", -10.0, 48.0))
    for k in range(6):
        v = np.zeros(len(cap))
        v[rng.integers(len(cap))] = cap.max()
        lost.append(np.minimum(v, cap) * rng.uniform(0.2, 0.6))
        meta.append((f"pipe:{k}", "pipe", f"main break, valve section {k + 1}", -20.0, 12.0))
    lost_kw = np.vstack(lost)  # scenarios × sites
    supplied = np.clip((cap - lost_kw) / np.maximum(load, 1.0), 0.0, 1.0)  # fraction of each site's load
    site_pos = pd.Series(np.arange(len(site_ids)), index=site_ids)
    bpos = heated["site_id"].map(site_pos).fillna(0).astype(int).to_numpy()
    f = supplied[:, bpos]  # scenarios × buildings
    t_out = np.array([m[3] for m in meta])[:, None]
    dur = np.array([m[4] for m in meta])
    tau = pd.to_numeric(heated["tau_h"], errors="coerce").fillna(30.0).to_numpy()[None, :]
    t_eq = t_out + f * (20.0 - t_out) + 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        to12 = np.where(t_eq < 12.0, tau * np.log((20.0 - t_eq) / (12.0 - t_eq)), np.inf)
        to18 = np.where(t_eq < 18.0, tau * np.log((20.0 - t_eq) / (18.0 - t_eq)), np.inf)
        to5 = np.where(t_eq < 5.0, tau * np.log((20.0 - t_eq) / (5.0 - t_eq)), np.inf)
    res = pd.to_numeric(heated["residents"], errors="coerce").fillna(0.0).to_numpy()
    prio = heated["priority"].isin(["hospital", "school", "kindergarten", "shelter"]).to_numpy()
    dload = heated["design_load_kw"].to_numpy(dtype=float)[None, :]
    scen = pd.DataFrame({
        "scenario_id": [m[0] for m in meta], "family": [m[1] for m in meta], "description": [m[2] for m in meta],
        "temp_c": t_out[:, 0], "duration_h": dur,
        "unserved_mwh": ((1.0 - f) * dload * (20.0 - t_out) / 43.0).sum(axis=1) * dur / 1e3,
    })
    for h in HOURS:
        scen[f"buildings_below_18c_{h:g}h"] = (to18 <= h).sum(axis=1)
        scen[f"residents_below_18c_{h:g}h"] = ((to18 <= h) * res).sum(axis=1)
        scen[f"buildings_below_12c_{h:g}h"] = (to12 <= h).sum(axis=1)
        scen[f"residents_below_12c_{h:g}h"] = ((to12 <= h) * res).sum(axis=1)
    scen["buildings_drained"] = (to5 <= dur[:, None]).sum(axis=1)
    scen["priority_affected"] = ((f < 1.0) & prio).sum(axis=1)
    scen["restore_h"] = np.where(scen["family"] == "strike", 72.0, np.where(scen["family"] == "n-1", 6.0, 24.0))
    cold = to12 <= dur[:, None]
    worst = np.argmin(to12, axis=0)
    cols = np.arange(to12.shape[1])
    outcomes = pd.DataFrame({
        "building_id": heated["building_id"].astype(str),
        "worst_hours_to_12c": to12.min(axis=0),
        "scenarios_cold": cold.sum(axis=0),
        "must_drain_in_worst": to5[worst, cols] <= dur[worst],
        "worst_scenario_id": np.where(np.isfinite(to12.min(axis=0)), scen["scenario_id"].to_numpy()[worst], ""),
    })
    # the coldest building of each of six typologies, so that the curves differ
    ranked = np.argsort(outcomes["worst_hours_to_12c"].to_numpy(), kind="stable")
    first_of_type = pd.Series(ranked, index=heated["typology"].to_numpy()[ranked])
    order = first_of_type[~first_of_type.index.duplicated()].to_numpy()[:6]
    t = np.arange(0.0, 73.0, 2.0)
    teq = t_eq[worst[order], order][:, None]
    temp = teq + (20.0 - teq) * np.exp(-t[None, :] / tau[0, order][:, None])
    curves = pd.DataFrame({
        "building_id": np.repeat(outcomes["building_id"].to_numpy()[order], len(t)),
        "hour": np.tile(t, len(order)), "indoor_c": temp.ravel(),
    })
    return scen, outcomes, curves
