"""The network check of the stress tests, done by the thermo-hydraulic solver.

Screening decides most scenarios by capacity alone. Where it cannot (a pipe
lost inside a ring, supply from another site than designed), this check
solves the island with the lost pipes closed and the lost sites' producers
removed, and returns each building's supplied fraction: 0 if no path to a
working producer remains; below 1 if its differential pressure falls short,
as the flow through a substation's control valve goes with the square root
of the pressure across it (so the fraction is sqrt(dp / dp_min), a standard
valve characteristic, e.g. kv relation in EN 60534); never more than the
capacity-based fraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from teplo.network.hydraulics import HydraulicNetwork, solve
from teplo.resilience.network_check import IslandView, NetworkCheck, ScenarioMask


def hydraulic_check(
    nodes: pd.DataFrame,
    pipes: pd.DataFrame,
    consumers: pd.DataFrame,
    producers: pd.DataFrame,
    *,
    pipe_order: np.ndarray,
    site_order: np.ndarray,
) -> NetworkCheck:
    """A :data:`NetworkCheck` over the four hydraulic tables of the designed network.

    ``pipe_order`` / ``site_order``: the pipe ids and site ids in the stress
    system's element order (to read the scenario masks); ``consumers`` are keyed
    by ``consumer_id`` = building id and ``producers`` by ``producer_id`` = site id.
    """
    pipe_pos = pd.Index(pipes["pipe_id"].astype(str)).get_indexer(pd.Index(pipe_order).astype(str))
    min_dp = consumers.set_index("consumer_id")["min_dp_pa"].astype(float)

    def check(mask: ScenarioMask, island: IslandView) -> np.ndarray:
        open_ = np.ones(len(pipes), dtype=bool)
        known = pipe_pos >= 0
        open_[pipe_pos[known]] = mask.pipes_available[known]
        lost_sites = set(np.asarray(site_order)[~mask.sites_available].astype(str))
        p = pipes.assign(valve_open=open_)
        prod = producers[~producers["producer_id"].astype(str).isin(lost_sites)]
        c = consumers.set_index("consumer_id")
        ids = pd.Index(island.building_ids).astype(str)
        in_island = c.index.isin(ids)
        heat = c["heat_w"].to_numpy(float).copy()
        heat[in_island] = pd.Series(island.demand_kw * 1e3, index=ids).reindex(c.index[in_island]).to_numpy()
        cons = c.assign(heat_w=heat).reset_index()
        if prod.empty:
            return np.zeros(len(ids))
        net = HydraulicNetwork.from_frames(nodes, p, cons, prod, allow_unsupplied=True)
        res = solve(net, allow_unsupplied=True).consumers.reindex(ids)
        dp = res["dp_pa"].to_numpy(float)
        ratio = np.sqrt(np.clip(np.nan_to_num(dp, nan=0.0), 0.0, None) / min_dp.reindex(ids).to_numpy())
        frac = np.where(res["supplied"].fillna(False).to_numpy(bool), np.minimum(ratio, 1.0), 0.0)
        return np.minimum(frac, island.proxy_fraction)

    return check
