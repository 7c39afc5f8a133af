"""Darcy–Weisbach pressure drop with the Colebrook–White friction factor, vectorised.

The pressure drop of a pipe carrying mass flow ``m`` is written as

    dp = phi(Re) * mu * L * m / (2 * rho * A * d**2),   phi = lambda * Re,

which equals Darcy–Weisbach ``lambda * L/d * m|m| / (2 rho A^2)`` and stays finite
and smooth at zero flow: in laminar flow ``phi = 64`` (Hagen–Poiseuille), so a
stagnant or closed-loop pipe has a finite linear resistance instead of a
singular Jacobian. Regimes:

* Re <= 2320: laminar, lambda = 64/Re (critical Reynolds number of pipe flow,
  Schiller 1922, as used in VDI Heat Atlas 2010, Lab 1).
* Re >= 4000: Colebrook–White, solved to machine precision by Newton's method
  on x = 1/sqrt(lambda), written with the constants pandapipes uses
  (2.51, 3.71; ``pandapipes/pf/derivative_toolbox.py``) so that validation
  compares models, not constants.
* between: lambda blended linearly in Re from the laminar to the Colebrook
  value (EPANET interpolates the same gap with a cubic, Rossman 2000, EPANET 2
  Users Manual, Appendix D; the linear blend keeps phi continuous).

That is the default model, ``"colebrook_laminar"``. The model ``"colebrook"``
applies Colebrook–White at every Reynolds number, as pandapipes does, so that
both engines can be compared on the same physics in networks with many slow
pipes; below Re = 10, where the Colebrook factor grows without bound, it holds
``phi`` at its Re = 10 value (a linear resistance) so that zero flow stays
regular.

The derivative ``d(dp)/dm`` is exact (implicit differentiation of Colebrook),
so Newton's method on loop flows converges quadratically.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from teplo.errors import NotConvergedError
from teplo.network.water import FloatArray

RE_LAMINAR = 2320.0  # upper Reynolds number of laminar pipe flow [-] (Schiller 1922)
RE_TURBULENT = 4000.0  # lower Reynolds number of fully turbulent flow [-] (Moody 1944)
LAMINAR_PHI = 64.0  # lambda * Re in laminar flow [-] (Hagen–Poiseuille)
COLEBROOK_A = 2.51  # Colebrook–White constant [-] (as in pandapipes)
COLEBROOK_B = 3.71  # Colebrook–White constant [-] (as in pandapipes)
COLEBROOK_TOL = 1e-12  # convergence of x = 1/sqrt(lambda) [-]
COLEBROOK_MAX_ITER = 50

COLEBROOK_RE_FLOOR = 10.0  # "colebrook" model: phi is held constant below this Re [-]

FrictionModel = Literal["colebrook_laminar", "colebrook"]
"""Friction factor model: laminar/blend/Colebrook (default) or Colebrook at every Re."""

_LN10 = float(np.log(10.0))


def colebrook(re: FloatArray, rel_roughness: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Colebrook–White friction factor and its log-derivative.

    ``re`` Reynolds number [-] (> 0), ``rel_roughness`` k/d [-]. Returns
    ``(lambda, dln(lambda)/dln(Re))``. Newton on ``x = 1/sqrt(lambda)`` from the
    Swamee–Jain estimate (Swamee & Jain 1976, within 1 % of Colebrook for
    Re 5e3–1e8), converging in 2–4 steps.
    """
    a = rel_roughness / COLEBROOK_B
    b = COLEBROOK_A / re
    # Swamee–Jain start: 1/sqrt(lambda) = -2 log10(k/(3.7d) + 5.74/Re^0.9)
    x = -2.0 * np.log10(a + 5.74 / re**0.9)
    for _ in range(COLEBROOK_MAX_ITER):
        arg = a + b * x
        g = x + 2.0 * np.log10(arg)
        dg = 1.0 + 2.0 * b / (_LN10 * arg)
        step = g / dg
        x = x - step
        if np.all(np.abs(step) <= COLEBROOK_TOL * np.abs(x)):
            break
    else:  # pragma: no cover - Newton from Swamee–Jain converges for any Re > 0, k >= 0
        raise NotConvergedError(
            f"Colebrook–White did not converge in {COLEBROOK_MAX_ITER} iterations "
            f"(largest step {np.max(np.abs(step)):.3g})"
        )
    arg = a + b * x
    dg = 1.0 + 2.0 * b / (_LN10 * arg)
    dlnlam_dlnre = -4.0 * b / (_LN10 * arg * dg)
    return 1.0 / (x * x), dlnlam_dlnre


def phi_and_slope(
    re: FloatArray, rel_roughness: FloatArray, model: FrictionModel = "colebrook_laminar"
) -> tuple[FloatArray, FloatArray]:
    """``phi = lambda*Re`` [-] and ``d(phi*Re)/dRe = phi + Re*dphi/dRe`` [-] for all regimes.

    ``d(phi*Re)/dRe`` is what makes ``d(dp)/dm = C * (phi + Re*phi')``.
    """
    if model == "colebrook":
        re_eff = np.maximum(re, COLEBROOK_RE_FLOOR)
        lam, dlnlam = colebrook(re_eff, rel_roughness)
        phi_cb = lam * re_eff
        return phi_cb, np.where(re > COLEBROOK_RE_FLOOR, phi_cb * (2.0 + dlnlam), phi_cb)
    phi = np.full_like(re, LAMINAR_PHI)
    slope = np.full_like(re, LAMINAR_PHI)
    turb = re > RE_LAMINAR
    if np.any(turb):
        re_t = re[turb]
        lam_cw, dlnlam = colebrook(re_t, rel_roughness[turb])
        phi_cw = lam_cw * re_t
        slope_cw = phi_cw * (2.0 + dlnlam)  # phi + Re*dphi/dRe for phi = lambda*Re
        w = np.clip((re_t - RE_LAMINAR) / (RE_TURBULENT - RE_LAMINAR), 0.0, 1.0)
        blend = w < 1.0
        phi_t = phi_cw.copy()
        slope_t = slope_cw.copy()
        if np.any(blend):
            wb = w[blend]
            dw = 1.0 / (RE_TURBULENT - RE_LAMINAR)
            # phi = (1-w)*64 + w*phi_cw;  d(phi*Re)/dRe = phi + Re*dphi/dRe
            phi_b = (1.0 - wb) * LAMINAR_PHI + wb * phi_cw[blend]
            dphi_cw = (slope_cw[blend] - phi_cw[blend]) / re_t[blend]
            dphi = dw * (phi_cw[blend] - LAMINAR_PHI) + wb * dphi_cw
            phi_t[blend] = phi_b
            slope_t[blend] = phi_b + re_t[blend] * dphi
        phi[turb] = phi_t
        slope[turb] = slope_t
    return phi, slope


def pressure_drop(
    mass_flow_kg_s: FloatArray,
    length_m: FloatArray,
    inner_diameter_m: FloatArray,
    roughness_m: FloatArray,
    density_kg_m3: FloatArray,
    viscosity_pa_s: FloatArray,
    model: FrictionModel = "colebrook_laminar",
) -> tuple[FloatArray, FloatArray]:
    """Friction pressure drop [Pa] along the flow and its derivative [Pa/(kg/s)].

    Signed: a negative mass flow gives a negative drop. The derivative is
    positive everywhere, also at zero flow (laminar resistance).
    """
    area = 0.25 * np.pi * inner_diameter_m**2
    re = np.abs(mass_flow_kg_s) * inner_diameter_m / (area * viscosity_pa_s)
    phi, slope = phi_and_slope(re, roughness_m / inner_diameter_m, model)
    coef = viscosity_pa_s * length_m / (2.0 * density_kg_m3 * area * inner_diameter_m**2)
    return coef * phi * mass_flow_kg_s, coef * slope


def reynolds(
    mass_flow_kg_s: FloatArray, inner_diameter_m: FloatArray, viscosity_pa_s: FloatArray
) -> FloatArray:
    """Reynolds number [-] of pipe flow ``|m| d / (A mu)``."""
    area = 0.25 * np.pi * inner_diameter_m**2
    return np.abs(mass_flow_kg_s) * inner_diameter_m / (area * viscosity_pa_s)


class PipeFriction:
    """Friction of a set of pipes at fixed water properties: ``self(q)`` gives the signed
    drop [Pa] and its derivative [Pa/(kg/s)] for flows ``q`` [kg/s] of all of them."""

    def __init__(
        self,
        length_m: FloatArray,
        inner_diameter_m: FloatArray,
        roughness_m: FloatArray,
        density_kg_m3: FloatArray,
        viscosity_pa_s: FloatArray,
        model: FrictionModel = "colebrook_laminar",
    ) -> None:
        self.model: FrictionModel = model
        self.length_m = length_m
        self.inner_diameter_m = inner_diameter_m
        self.roughness_m = roughness_m
        self.density_kg_m3 = density_kg_m3
        self.viscosity_pa_s = viscosity_pa_s

    def __call__(self, mass_flow_kg_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        return pressure_drop(
            mass_flow_kg_s, self.length_m, self.inner_diameter_m, self.roughness_m,
            self.density_kg_m3, self.viscosity_pa_s, self.model,
        )  # fmt: skip

    def subset(self, index: NDArray[np.int64]) -> PipeFriction:
        """The same pipes restricted to ``index``."""
        return PipeFriction(
            self.length_m[index], self.inner_diameter_m[index], self.roughness_m[index],
            self.density_kg_m3[index], self.viscosity_pa_s[index], self.model,
        )  # fmt: skip
