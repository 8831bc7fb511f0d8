"""Compiled scalar helpers shared by the kernels that fly states (Numba).

The same operations, in the same order, as their array forms
(:meth:`skyweave.kinematics.earth.Ground.altitude_m`,
:func:`skyweave.kinematics.ballistic.air_density_kg_m3`), so a kernel built on them
gives what the NumPy path gives.
"""

from __future__ import annotations

import math

from numba import njit

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.ballistic import RHO0_KG_M3, SCALE_HEIGHT_M
from skyweave.kinematics.earth import WGS84_B_M

_A2 = WGS84_A_M * WGS84_A_M
_B2 = WGS84_B_M * WGS84_B_M


@njit(cache=True)
def height_m(x: float, y: float, z: float) -> float:
    """Radial distance above the WGS84 ellipsoid (``Ground.altitude_m``) of one point."""
    return height_at_radius_m(math.sqrt(x * x + y * y + z * z), x, y, z)


@njit(cache=True)
def height_at_radius_m(r: float, x: float, y: float, z: float) -> float:
    """:func:`height_m` given ``r = sqrt(x * x + y * y + z * z)``, for callers that have
    it already (the same number: one square root fewer)."""
    q = (x * x + y * y) / _A2 + z * z / _B2
    return r * (1.0 - 1.0 / math.sqrt(q))


@njit(cache=True)
def air_density(h: float) -> float:
    """``air_density_kg_m3`` of one height, kg/m^3."""
    return RHO0_KG_M3 * math.exp(-max(h, -20_000.0) / SCALE_HEIGHT_M)
