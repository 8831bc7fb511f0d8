"""Closed-form ballistic shots on a spherical, non-rotating, airless Earth.

Bate, Mueller & White (1971), *Fundamentals of Astrodynamics*, section 6.2.
Burnout and re-entry are both on the surface (radius ``radius_m``), so the
trajectory is a Kepler ellipse symmetric about its apogee. With
``Q = v**2 r / mu`` (BMW's non-dimensional burnout parameter), free-flight range
angle ``psi`` and flight-path angle ``gamma`` (above the local horizontal):

* flight-path angle equation (BMW 6.2-18): ``sin(2 gamma + psi/2) = (2 - Q)/Q sin(psi/2)``
* minimum energy for a given ``psi`` (BMW 6.2-19, 6.2-20):
  ``gamma = (pi - psi)/4`` and ``Q = 2 sin(psi/2) / (1 + sin(psi/2))``
* time of free flight from Kepler's equation, twice the time from burnout to
  apogee (BMW 6.2-21 with equal burnout and re-entry radii).

Everything is vectorised over ranges (any array shape).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import MU_EARTH_M3_S2, R_EARTH_MEAN_M

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BallisticShot:
    """Closed-form burnout state and free flight of a surface-to-surface shot.

    Attributes
    ----------
    range_m : float64 array
        Ground range along the sphere's surface.
    burnout_speed_mps : float64 array
        Inertial speed at burnout (on the surface).
    gamma_rad : float64 array
        Flight-path angle at burnout, above the local horizontal.
    flight_time_s : float64 array
        Time of free flight from burnout to re-entry at the surface.
    apogee_altitude_m : float64 array
        Apogee height above the sphere.

    All arrays share the broadcast shape of the inputs; NaN where no elliptic
    trajectory exists (range not in (0, pi R), or gamma impossible).
    """

    range_m: FloatArray
    burnout_speed_mps: FloatArray
    gamma_rad: FloatArray
    flight_time_s: FloatArray
    apogee_altitude_m: FloatArray


def _range_angle(range_m: ArrayLike, radius_m: float) -> FloatArray:
    psi = np.asarray(range_m, dtype=np.float64) / radius_m
    # outside (0, pi) there is no single-ellipse surface-to-surface shot
    return np.where((psi > 0.0) & (psi < np.pi), psi, np.nan)


def _shot(
    range_m: FloatArray,
    psi: FloatArray,
    q: FloatArray,
    gamma_rad: FloatArray,
    radius_m: float,
    mu: float,
) -> BallisticShot:
    """Speed, flight time and apogee from (psi, Q, gamma) on the sphere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where((q > 0.0) & (q < 2.0), q, np.nan)  # elliptic only
        cos2g = np.cos(gamma_rad) ** 2
        speed = np.sqrt(q * mu / radius_m)
        a = radius_m / (2.0 - q)  # vis-viva
        ecc = np.sqrt(np.maximum(1.0 + q * (q - 2.0) * cos2g, 0.0))
        # burnout true anomaly is pi - psi/2 (apogee at nu = pi, symmetric ellipse)
        nu = np.pi - psi / 2.0
        ecc_anom = 2.0 * np.arctan(np.sqrt((1.0 - ecc) / (1.0 + ecc)) * np.tan(nu / 2.0))
        time = 2.0 * np.sqrt(a**3 / mu) * (np.pi - ecc_anom + ecc * np.sin(ecc_anom))
        apogee = a * (1.0 + ecc) - radius_m
    return BallisticShot(
        range_m=np.asarray(range_m, dtype=np.float64) + 0.0 * psi,
        burnout_speed_mps=speed,
        gamma_rad=gamma_rad + 0.0 * speed,
        flight_time_s=time,
        apogee_altitude_m=apogee,
    )


def minimum_energy(
    range_m: ArrayLike,
    radius_m: float = R_EARTH_MEAN_M,
    mu: float = MU_EARTH_M3_S2,
) -> BallisticShot:
    """Minimum-energy shot over a ground range (BMW 1971 sec. 6.2).

    Parameters
    ----------
    range_m : array_like
        Ground range(s) along the sphere in metres, in (0, pi * radius_m).
    radius_m : float
        Sphere radius; burnout and re-entry are on this surface.
    mu : float
        Gravitational parameter in m^3/s^2.

    Returns
    -------
    BallisticShot
        Arrays shaped like ``range_m``: burnout_speed_mps, gamma_rad,
        flight_time_s, apogee_altitude_m (NaN for ranges out of bounds).

    Examples
    --------
    >>> round(float(minimum_energy(1_000e3).flight_time_s), 1)
    474.4
    """
    range_arr = np.asarray(range_m, dtype=np.float64)
    psi = _range_angle(range_arr, radius_m)
    s = np.sin(psi / 2.0)
    q = 2.0 * s / (1.0 + s)
    gamma = (np.pi - psi) / 4.0
    return _shot(range_arr, psi, q, gamma, radius_m, mu)


def fixed_gamma(
    range_m: ArrayLike,
    gamma_rad: ArrayLike,
    radius_m: float = R_EARTH_MEAN_M,
    mu: float = MU_EARTH_M3_S2,
) -> BallisticShot:
    """Shot over a ground range with a given burnout flight-path angle.

    Solves BMW's flight-path angle equation for Q:
    ``Q = 2 / (1 + sin(2 gamma + psi/2) / sin(psi/2))``. A lofted
    (gamma above the minimum-energy angle) or depressed trajectory needs more
    speed than the minimum-energy one; both branches are covered.

    Parameters
    ----------
    range_m, gamma_rad : array_like
        Ground range in metres and flight-path angle in radians (broadcast).
    radius_m, mu : float
        Sphere radius and gravitational parameter.

    Returns
    -------
    BallisticShot
        NaN where no elliptic trajectory through both points has that angle
        (``2 gamma + psi/2 >= pi`` or ``gamma <= 0``).
    """
    range_arr, gamma = np.broadcast_arrays(
        np.asarray(range_m, dtype=np.float64), np.asarray(gamma_rad, dtype=np.float64)
    )
    psi = _range_angle(range_arr, radius_m)
    gamma = np.where((gamma > 0.0) & (gamma < np.pi / 2.0), gamma, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sin(2.0 * gamma + psi / 2.0) / np.sin(psi / 2.0)
        q = 2.0 / (1.0 + ratio)
    return _shot(range_arr, psi, q, gamma, radius_m, mu)


def range_angle_from_burnout(
    q: ArrayLike,
    gamma_rad: ArrayLike,
) -> FloatArray:
    """Free-flight range angle psi (rad) from burnout Q and gamma (BMW 6.2-16).

    ``cos(psi/2) = (1 - Q cos^2 gamma) / sqrt(1 + Q (Q - 2) cos^2 gamma)``,
    valid for burnout and re-entry at the same radius and Q < 2.
    """
    q_arr = np.asarray(q, dtype=np.float64)
    cos2g = np.cos(np.asarray(gamma_rad, dtype=np.float64)) ** 2
    with np.errstate(invalid="ignore"):
        c = (1.0 - q_arr * cos2g) / np.sqrt(1.0 + q_arr * (q_arr - 2.0) * cos2g)
    return np.asarray(2.0 * np.arccos(np.clip(c, -1.0, 1.0)), dtype=np.float64)
