"""Objective of the siting MILP: total annual cost [EUR/a].

annualised CAPEX + fixed O&M of modules and generators, annualised site works,
annualised connection and backup pipes (distance x EUR/m), fuel and variable O&M
of the annual heat less CHP electricity revenue, plus (relaxation only) the
penalty on slack.
"""

from __future__ import annotations

import linopy
import xarray as xr
from linopy.expressions import LinearExpression

from teplo.supply.model.inputs import SitingProblem
from teplo.supply.model.variables import arc_index, backup_index, gen_index, site_index, type_index

SLACKS = ("slack-nk", "slack-pair", "slack-dispersion", "slack-circle", "slack-blackout", "slack-unserved")
SLACK_WEIGHT = {"slack-unserved": 10.0, "slack-circle": 0.01}
"""Penalty multiple per slack: leaving a district without heat weighs more than any broken resilience rule.
The per-circle excess weighs 1 % of the penalty (1e4 EUR/kW/a at the default), still far above any
module's cost, so the one excess e (min-max) decides the least cap and the per-circle term keeps the
excess to the circles that need it, fewest kW first [E]."""
SECONDARY_SLACKS = ("slack-circle",)
"""Slacks that only refine another (a circle's excess is within the area's one excess e)."""


def cost_expression(m: linopy.Model, p: SitingProblem) -> LinearExpression:
    """Annual cost [EUR/a] without the slack penalty."""
    n = m.variables["units-count"]
    y = m.variables["sites-open"]
    x = m.variables["arcs-assign"]
    q = m.variables["units-heat"]
    tidx = type_index(p)
    expr = (n * xr.DataArray(p.heat["annual_cost_eur_a"].to_numpy(), coords=[tidx])).sum()
    expr = expr + (y * xr.DataArray(p.sites["fixed_cost_eur_a"].to_numpy(), coords=[site_index(p)])).sum()
    expr = expr + (x * xr.DataArray(p.arcs["cost_eur_a"].to_numpy(), coords=[arc_index(p)])).sum()
    expr = expr + (q * xr.DataArray(p.heat["heat_cost_eur_mwh"].to_numpy(), coords=[tidx])).sum()
    if "units-generators" in m.variables:
        g = m.variables["units-generators"]
        expr = expr + (g * xr.DataArray(p.gens["annual_cost_eur_a"].to_numpy(), coords=[gen_index(p)])).sum()
    if "backups-choose" in m.variables:
        w = m.variables["backups-choose"]
        expr = expr + (w * xr.DataArray(p.backups["cost_eur_a"].to_numpy(), coords=[backup_index(p)])).sum()
    return expr


def define_objective(m: linopy.Model, p: SitingProblem) -> None:
    """Minimise annual cost (+ penalty x slack in the relaxation)."""
    expr = cost_expression(m, p)
    for name in SLACKS:
        if name in m.variables:
            expr = expr + p.penalty_eur_per_kw * SLACK_WEIGHT.get(name, 1.0) * m.variables[name].sum()
    m.add_objective(expr)
