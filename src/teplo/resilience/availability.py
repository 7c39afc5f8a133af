"""From what is lost to which units are out when: sites, gas and power resolved to units.

A lost site takes its units with it. A gas feeder interruption stops the
gas-burning units (bmk, chp) of its sites. A power feeder outage (grid
blackout) works per unit kind:

* a CHP unit at a site that can island keeps running; other CHP units trip
  with the grid (grid-parallel gas engines disconnect on loss of mains) and
  stay off until the power returns;
* a BMK or storage unit needs auxiliary power (burners, pumps). It keeps
  running if its island's islanding CHP power covers the auxiliary need of the
  island's powerless units; otherwise it runs on its site's backup generator
  until the fuel runs out (``backup_h`` after the outage starts) and then
  stops until the power returns; without a backup it stops at once;
* diesel units are power sources and are not affected.

The islanding CHP power counts every islanding CHP unit of the island that is
not itself lost (directly, with its site or by gas) at any time of the
scenario — conservative when such a loss begins later than the blackout.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from teplo.resilience.scenarios import Outages, ScenarioSet, concat_ranges
from teplo.resilience.system import BMK, CHP, STORAGE, StressSystem


def expand(rows: np.ndarray, cols: np.ndarray, mapping: sparse.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map entries (row, col) through ``mapping`` (col -> several targets).

    Returns (rows, targets, source entry index), one output per target.
    """
    starts = mapping.indptr[cols]
    counts = mapping.indptr[cols + 1] - starts
    pos = concat_ranges(starts, counts)
    src = np.repeat(np.arange(cols.size), counts)
    return rows[src], mapping.indices[pos].astype(np.int64), src


def _feeder_sites(feeder_of_site: np.ndarray, n_feeders: int) -> sparse.csr_array:
    n = feeder_of_site.size
    return sparse.csr_array((np.ones(n, dtype=bool), (feeder_of_site, np.arange(n))), shape=(n_feeders, n))


def resolve_units(system: StressSystem, scenarios: ScenarioSet) -> Outages:
    """Effective unit outages of every scenario (see the module docstring)."""
    n, n_units = len(scenarios), len(system.units)
    kind = system.units.kind
    site_units = system.sites.units
    rows, cols, off, on = [], [], [], []

    def add(r: np.ndarray, c: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        rows.append(r)
        cols.append(c)
        off.append(a)
        on.append(b)

    r, c = scenarios.units.entries()
    add(r, c, scenarios.units.t_off_h, scenarios.units.t_on_h)
    r, s = scenarios.sites.entries()
    rr, uu, k = expand(r, s, site_units)
    add(rr, uu, scenarios.sites.t_off_h[k], scenarios.sites.t_on_h[k])
    r, f = scenarios.gas_feeders.entries()
    rs, ss, k = expand(r, f, _feeder_sites(system.sites.gas_feeder, len(system.gas_feeders)))
    rr, uu, k2 = expand(rs, ss, site_units)
    gas = (kind[uu] == BMK) | (kind[uu] == CHP)
    src = k[k2][gas]
    add(rr[gas], uu[gas], scenarios.gas_feeders.t_off_h[src], scenarios.gas_feeders.t_on_h[src])

    direct = Outages.from_entries(
        np.concatenate(rows), np.concatenate(cols), (n, n_units), np.concatenate(off), np.concatenate(on)
    )
    if scenarios.power_feeders.lost.nnz == 0:
        return direct
    pr, pu, poff, pon = _power_outages(system, scenarios, direct)
    return Outages.from_entries(
        np.concatenate([*rows, pr]), np.concatenate([*cols, pu]), (n, n_units),
        np.concatenate([*off, poff]), np.concatenate([*on, pon]),
    )


def _power_outages(
    system: StressSystem, scenarios: ScenarioSet, direct: Outages
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit outages caused by power feeder outages (entries: rows, units, t_off, t_on)."""
    u = system.units
    n_isl = max(system.islands.n, 1)
    r, f = scenarios.power_feeders.entries()
    rs, ss, k = expand(r, f, _feeder_sites(system.sites.power_feeder, len(system.power_feeders)))
    rr, uu, k2 = expand(rs, ss, system.sites.units)
    t_off = scenarios.power_feeders.t_off_h[k[k2]]
    t_on = scenarios.power_feeders.t_on_h[k[k2]]
    site = u.site[uu]
    island = u.island[uu]
    needs_aux = (u.kind[uu] == BMK) | (u.kind[uu] == STORAGE)
    chp_trips = (u.kind[uu] == CHP) & ~system.sites.islanding[site]
    # islanding CHP power per (scenario, island), less the CHP units lost directly
    islanding_chp = (u.kind == CHP) & system.sites.islanding[u.site] & (u.island >= 0)
    base_power = np.bincount(u.island[islanding_chp], weights=u.power_kw[islanding_chp], minlength=n_isl)
    dr, du = direct.entries()
    lost_chp = islanding_chp[du]
    keys_lost = dr[lost_chp] * n_isl + u.island[du[lost_chp]]
    keys = rr * n_isl + np.maximum(island, 0)
    uniq, inv = np.unique(np.concatenate([keys, keys_lost]), return_inverse=True)
    lost_power = np.bincount(inv[keys.size:], weights=u.power_kw[du[lost_chp]], minlength=uniq.size)
    aux = np.bincount(inv[: keys.size], weights=np.where(needs_aux, u.aux_kw[uu], 0.0), minlength=uniq.size)
    avail_power = base_power[uniq % n_isl] - lost_power
    supported_key = (avail_power > 0) & (avail_power >= aux)
    supported = supported_key[inv[: keys.size]] & (island >= 0)
    backup = system.sites.backup_h[site]
    stops = needs_aux & ~supported
    start = np.where(backup > 0, t_off + backup, t_off)
    take = chp_trips | stops
    return rr[take], uu[take], np.where(chp_trips, t_off, start)[take], t_on[take]


def resolve_pipes(scenarios: ScenarioSet) -> Outages:
    """Pipe outages (pipes are lost only directly, by a break or a strike)."""
    return scenarios.pipes
