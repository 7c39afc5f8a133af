"""Properties of liquid water as functions of temperature (°C), vectorised.

Linear interpolation in a table of IAPWS values, in the same form pandapipes
uses for its fluid "water", so that teplo and the reference engine evaluate the
same physics:

* 0–95 °C: the values pandapipes ships (``pandapipes/properties/water/
  density.txt``, ``viscosity.txt``, ``heat_capacity.txt``, pandapipes 0.16,
  BSD-3), which are IAPWS-95 (density, heat capacity) and IAPWS 2008
  (viscosity) values at atmospheric pressure rounded to 4–5 digits.
  pandapipes labels its rows in integer kelvin (363 K for 90 °C); teplo labels
  them in °C, i.e. 0.15 K apart. At 90 °C that shifts density by 0.01 % and
  viscosity by 0.2 %, which moves a turbulent pressure drop by < 0.05 %.
  pandapipes' heat-capacity table stops at 90 °C and is extrapolated; at
  95 °C it lies 0.06 % below IAPWS-95, which shows as a 0.03 % difference in
  consumer mass flows.
* 100–150 °C, where pandapipes extrapolates its tables linearly: saturated
  liquid values computed from IAPWS-95 / IAPWS 2008, as tabulated in Çengel &
  Ghajar, *Heat and Mass Transfer*, 5th ed., Table A-9. (Above 95 °C teplo and
  pandapipes therefore differ: at 130 °C pandapipes' extrapolated viscosity is
  ≈ 20 % low. Validation against pandapipes stays at ≤ 95 °C.)

Pressure dependence is neglected: at 6 bar liquid water density changes by
< 0.03 % (isothermal compressibility 4.5e-10 1/Pa, IAPWS-95).
Outside 0–150 °C values are held at the table ends.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Temperature grid of the tables below [°C].
TABLE_T_C = np.array(
    [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95,
     100, 110, 120, 130, 140, 150],
    dtype=np.float64,
)  # fmt: skip

# Density [kg/m3]. 0 °C: 999.84 (IAPWS-95, 0.1 MPa); 5-95 °C pandapipes density.txt (its
# 277 K row is the 4 °C value 999.97, equal to the 5 °C value within rounding);
# >= 100 °C Çengel A-9.
TABLE_DENSITY_KG_M3 = np.array(
    [999.84, 999.97, 999.70, 999.10, 998.21, 997.05, 995.65, 994.03, 992.22, 990.21,
     988.04, 985.69, 983.20, 980.55, 977.77, 974.84, 971.79, 968.61, 965.31, 961.89,
     958.35, 950.95, 943.11, 934.83, 926.13, 917.01],
    dtype=np.float64,
)  # fmt: skip

# Dynamic viscosity [Pa s]. 0-95 °C pandapipes viscosity.txt; >= 100 °C Çengel A-9.
TABLE_VISCOSITY_PA_S = 1e-3 * np.array(
    [1.793, 1.519, 1.306, 1.138, 1.002, 0.890, 0.798, 0.720, 0.653, 0.596,
     0.547, 0.504, 0.467, 0.433, 0.404, 0.378, 0.354, 0.333, 0.315, 0.297,
     0.282, 0.255, 0.232, 0.213, 0.197, 0.183],
    dtype=np.float64,
)  # fmt: skip

# Isobaric heat capacity [J/(kg K)]. 10-90 °C pandapipes heat_capacity.txt (its grid is
# 10, 20, 25, 30, 40, ..., 90 °C; intermediate 5 °C points linearly interpolated from it);
# 0 and 5 °C IAPWS-95 at 0.1 MPa; 95-150 °C Çengel A-9.
TABLE_HEAT_CAPACITY_J_KGK = np.array(
    [4219.9, 4204.8, 4195.5, 4189.95, 4184.4, 4181.6, 4180.1, 4179.85, 4179.6, 4180.55,
     4181.5, 4183.3, 4185.1, 4187.65, 4190.2, 4193.55, 4196.9, 4201.1, 4205.3, 4212.0,
     4217.0, 4229.0, 4244.0, 4263.0, 4286.0, 4311.0],
    dtype=np.float64,
)  # fmt: skip


def density_kg_m3(t_c: ArrayLike) -> FloatArray:
    """Density of liquid water [kg/m3] at temperature ``t_c`` [°C]."""
    return np.interp(np.asarray(t_c, dtype=np.float64), TABLE_T_C, TABLE_DENSITY_KG_M3)


def viscosity_pa_s(t_c: ArrayLike) -> FloatArray:
    """Dynamic viscosity of liquid water [Pa s] at temperature ``t_c`` [°C]."""
    return np.interp(np.asarray(t_c, dtype=np.float64), TABLE_T_C, TABLE_VISCOSITY_PA_S)


def heat_capacity_j_kgk(t_c: ArrayLike) -> FloatArray:
    """Isobaric specific heat capacity of liquid water [J/(kg K)] at ``t_c`` [°C]."""
    return np.interp(np.asarray(t_c, dtype=np.float64), TABLE_T_C, TABLE_HEAT_CAPACITY_J_KGK)
