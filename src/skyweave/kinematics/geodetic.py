"""ECEF to WGS84 geodetic coordinates, bit for bit pymap3d's, at a fraction of its cost.

:func:`ecef_to_geodetic` evaluates the closed form pymap3d 3.2's ``ecef2geodetic``
uses (You 2000, no iteration) with the same NumPy operations in the same order, so
its results are identical to the last bit. It drops what costs time on the small
arrays the engine converts thousands of times per run (a 7-threat example makes
about 3,000 calls): the ellipsoid lookup on every call, three ``isclose`` tests and
the masked assignments of the degenerate cases. Points where those cases apply (on
the polar axis or at the Earth's centre) are handed to pymap3d itself.
``tests/test_geodetic.py`` holds the two to equality.
"""

from __future__ import annotations

from math import pi

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

_ELL = pymap3d.Ellipsoid.from_name("wgs84")
_A_M: float = _ELL.semimajor_axis
_B_M: float = _ELL.semiminor_axis
# the constants as pymap3d forms them (a NumPy scalar E, and E**2 by NumPy's scalar power)
_E_M = np.sqrt(_A_M**2 - _B_M**2)
_E2_M2 = _E_M**2
_A2_M2 = _A_M**2
_B2_M2 = _B_M**2
_A_OVER_B = _A_M / _B_M
_B_OVER_A_SQUARED = (_B_M / _A_M) ** 2  # as pymap3d's geodetic2ecef forms it
# pymap3d's latitude clamp for float precision loss near the poles
_LIM_PI2 = pi / 2 - np.finfo(np.float64).eps
# isclose(v, 0) with NumPy's default tolerances is |v| <= atol
_ATOL = 1e-8


def ecef_to_geodetic(
    x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike, deg: bool = True
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Geodetic latitude, longitude and height (m) on WGS84 of ECEF points.

    Parameters
    ----------
    x_m, y_m, z_m : array_like
        ECEF coordinates (m), float64, of equal shape.
    deg : bool
        Latitude and longitude in degrees (else radians).

    Returns
    -------
    lat, lon, alt_m : ndarray
        As ``pymap3d.ecef2geodetic(x_m, y_m, z_m, deg=deg)`` returns them, bit for
        bit and of the same types (NumPy scalars for 0-d inputs).
    """
    x = np.asarray(x_m)
    y = np.asarray(y_m)
    z = np.asarray(z_m)
    x2, y2, z2 = x**2, y**2, z**2
    r = np.sqrt(x2 + y2 + z2)
    r2e = r**2 - _E2_M2
    u = np.sqrt(0.5 * r2e + 0.5 * np.hypot(r2e, 2 * _E_M * z))
    hxy = np.hypot(x, y)
    if ((np.abs(u) <= _ATOL) | (np.abs(hxy) <= _ATOL)).any():
        # on the polar axis or at the centre: pymap3d's masked special cases
        lat, lon, alt = pymap3d.ecef2geodetic(x, y, z, deg=deg)
        return lat, lon, alt
    hue = np.hypot(u, _E_M)
    beta = np.arctan(hue / u * z / hxy)
    cos0 = np.cos(beta)  # pymap3d takes it twice; one is the same number (and `* 1` is exact)
    beta += ((_B_M * u - _A_M * hue + _E2_M2) * np.sin(beta)) / (_A_M * hue / cos0 - _E2_M2 * cos0)
    lat = np.arctan(_A_OVER_B * np.tan(beta))
    lon = np.arctan2(y, x)
    cos_beta = np.cos(beta)
    # |beta| >= lim is beta >= lim or beta <= -lim: the clamps change nothing elsewhere
    if (np.abs(beta) >= _LIM_PI2).any():
        lat = np.where(beta >= _LIM_PI2, pi / 2, lat)
        lat = np.where(beta <= -_LIM_PI2, -pi / 2, lat)
        cos_beta = np.where(beta >= _LIM_PI2, 0, cos_beta)
        cos_beta = np.where(beta <= -_LIM_PI2, 0, cos_beta)
    alt = np.hypot(z - _B_M * np.sin(beta), hxy - _A_M * cos_beta)
    inside = x2 / _A2_M2 + y2 / _A2_M2 + z2 / _B2_M2 < 1
    if inside.any():
        alt = np.where(inside, -alt, alt) if alt.ndim else -alt
    if deg:
        return np.degrees(lat), np.degrees(lon), alt
    return lat.squeeze()[()], lon, alt  # pymap3d squeezes the latitude alone


def geodetic_to_ecef(
    lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: FloatArray | float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF x, y, z (m) of WGS84 geodetic points (degrees, height in m).

    ``pymap3d.geodetic2ecef(lat_deg, lon_deg, alt_m)`` bit for bit and of the same
    types: the same NumPy operations in the same order, without the ellipsoid
    lookup on every call (its repeated cosines and sines taken once: the same numbers).
    """
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    cos_lat = np.cos(lat)
    sin_lat = np.sin(lat)
    # radius of curvature of the prime vertical section
    n = _A_M**2 / np.hypot(_A_M * cos_lat, _B_M * sin_lat)
    x = (n + alt_m) * cos_lat * np.cos(lon)
    y = (n + alt_m) * cos_lat * np.sin(lon)
    z = (n * _B_OVER_A_SQUARED + alt_m) * sin_lat
    return x, y, z


def ecef_to_enu_velocity(
    states_ecef: FloatArray, lat_deg: FloatArray, lon_deg: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """East, North and Up velocity (m/s, (M,)) of ECEF states (M, 6) at their points.

    ``pymap3d.ecef2enuv(vx, vy, vz, lat_deg, lon_deg)`` bit for bit: its operations in
    its order, each sine and cosine taken once (it takes each twice: the same numbers).
    """
    u, v, w = states_ecef[:, 3], states_ecef[:, 4], states_ecef[:, 5]
    lat0, lon0 = np.radians(lat_deg), np.radians(lon_deg)
    cos_lon, sin_lon = np.cos(lon0), np.sin(lon0)
    cos_lat, sin_lat = np.cos(lat0), np.sin(lat0)
    t = cos_lon * u + sin_lon * v
    east = -sin_lon * u + cos_lon * v
    up = cos_lat * t + sin_lat * w
    north = -sin_lat * t + cos_lat * w
    return east, north, up
