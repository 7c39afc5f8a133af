"""Variables of the siting MILP, one ``define_*`` function per table (PyPSA ``optimization/variables.py`` style).

Every function takes ``(m, p)``: the linopy model and the :class:`SitingProblem`.
Names are ``"{table}-{what}"``. Coordinates are ``pandas.Index`` objects named
after the dimension (linopy 0.10 needs them so).
"""

from __future__ import annotations

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from teplo.supply.model.inputs import SitingProblem


def site_index(p: SitingProblem) -> pd.Index:
    """Dimension ``site``."""
    return pd.Index(p.sites.index.to_numpy(), name="site")


def type_index(p: SitingProblem) -> pd.Index:
    """Dimension ``type`` (heat module types)."""
    return pd.Index(p.heat.index.to_numpy(), name="type")


def gen_index(p: SitingProblem) -> pd.Index:
    """Dimension ``gen`` (diesel generator types)."""
    return pd.Index(p.gens.index.to_numpy(), name="gen")


def arc_index(p: SitingProblem) -> pd.Index:
    """Dimension ``arc`` (allowed district-site connections)."""
    return pd.RangeIndex(len(p.arcs), name="arc")


def backup_index(p: SitingProblem) -> pd.Index:
    """Dimension ``backup`` (district, primary site, backup site) options."""
    return pd.RangeIndex(len(p.backups), name="backup")


def level_index(p: SitingProblem) -> pd.Index:
    """Dimension ``level``: distinct module sizes [kW], the candidate caps of the N-k formulation."""
    return pd.Index(np.unique(p.heat["heat_kw"].to_numpy(dtype=float)), name="level")


def pair_table(p: SitingProblem) -> pd.DataFrame:
    """Distinct (failed site, backup site) pairs of the backup options, indexed by ``pair``."""
    pairs = p.backups[["site_id", "backup_site_id"]].drop_duplicates().sort_values(["site_id", "backup_site_id"])
    pairs = pairs.reset_index(drop=True)
    pairs.index.name = "pair"
    return pairs


def max_modules(p: SitingProblem) -> xr.DataArray:
    """Most modules of each type a site can hold (area and capacity) [-], dims (site, type)."""
    area = p.sites["area_m2"].to_numpy()[:, None] / p.heat["footprint_m2"].to_numpy()[None, :].clip(min=1e-9)
    cap = p.sites["max_heat_kw"].to_numpy()[:, None] / p.heat["heat_kw"].to_numpy()[None, :]
    n = np.floor(np.minimum(area, cap) + 1e-9)
    return xr.DataArray(n, coords=[site_index(p), type_index(p)])


def max_generators(p: SitingProblem) -> xr.DataArray:
    """Most generators of each type a site's area holds [-], dims (site, gen)."""
    area = p.sites["area_m2"].to_numpy()[:, None] / p.gens["footprint_m2"].to_numpy()[None, :].clip(min=1e-9)
    return xr.DataArray(np.floor(area + 1e-9), coords=[site_index(p), gen_index(p)])


def define_site_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``sites-open``: 1 if the site is built."""
    m.add_variables(binary=True, coords=[site_index(p)], name="sites-open")


def define_unit_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``units-count``: integer number of heat modules of each type per site."""
    m.add_variables(lower=0, upper=max_modules(p), integer=True, coords=[site_index(p), type_index(p)],
                    name="units-count")


def define_generator_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``units-generators``: integer number of diesel generators per site (blackout only)."""
    if p.blackout and len(p.gens):
        m.add_variables(lower=0, upper=max_generators(p), integer=True, coords=[site_index(p), gen_index(p)],
                        name="units-generators")


def define_assignment_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``arcs-assign``: 1 if the district of the arc is served (primarily) by the arc's site."""
    m.add_variables(binary=True, coords=[arc_index(p)], name="arcs-assign")


def define_backup_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``backups-choose``: 1 for the (primary, backup) site pair a district uses."""
    if len(p.backups):
        m.add_variables(binary=True, coords=[backup_index(p)], name="backups-choose")


def level_allow(p: SitingProblem) -> xr.DataArray:
    """1 where a module type fits under a level (P_t <= P_level), dims (type, level)."""
    size = p.heat["heat_kw"].to_numpy(dtype=float)
    levels = level_index(p)
    return xr.DataArray((size[:, None] <= levels.to_numpy()[None, :] + 1e-9).astype(float),
                        coords=[type_index(p), levels])


def define_level_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``units-level`` (binary, site x level): the largest module size installed at the site.

    Exactly one level per open site; module types larger than the chosen level
    are not allowed there (``units-level-allow``), so the level bounds the size of
    every module the N-k constraint may lose.
    """
    if p.nk_k > 0 and p.nk_alpha > 0:
        m.add_variables(binary=True, coords=[site_index(p), level_index(p)], name="units-level")


def define_production_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``units-heat``: annual heat produced per site and module type [MWh/a]."""
    m.add_variables(lower=0, coords=[site_index(p), type_index(p)], name="units-heat")


def define_slack_variables(m: linopy.Model, p: SitingProblem) -> None:
    """``slack-*`` [kW]: violation of each resilience constraint, only in the relaxation."""
    if not p.relax:
        return
    if p.nk_k > 0 and p.nk_alpha > 0:
        m.add_variables(lower=0, coords=[site_index(p)], name="slack-nk")
    if len(p.backups):
        m.add_variables(lower=0, coords=[pair_table(p).index], name="slack-pair")
    if len(p.circles):
        # one excess for all circles (min-max): the relaxed plan then tells the smallest cap C + e this
        # area allows, rather than a sum over overlapping circles that counts one site many times
        m.add_variables(lower=0, name="slack-dispersion")
        # each circle's own excess (<= the one above), penalised lightly: excess only where it is needed
        m.add_variables(lower=0, coords=[pd.Index(p.circle_cap_kw.index.to_numpy(), name="circle")],
                        name="slack-circle")
    if p.blackout:
        m.add_variables(lower=0, coords=[site_index(p)], name="slack-blackout")
    # load [kW] of a district left unserved: when no offered site can take it (area, capacity, shared sites)
    load = xr.DataArray(p.districts["load_kw"].to_numpy(dtype=float),
                        coords=[pd.Index(p.districts.index.to_numpy(), name="district")])
    m.add_variables(lower=0, upper=load, name="slack-unserved")


VARIABLE_RECIPE = (
    define_site_variables,
    define_unit_variables,
    define_generator_variables,
    define_assignment_variables,
    define_backup_variables,
    define_level_variables,
    define_production_variables,
    define_slack_variables,
)
"""Order in which :func:`teplo.supply.model.create_model` defines the variables."""
