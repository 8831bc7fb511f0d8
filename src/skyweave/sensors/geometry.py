"""Sensor-site geometry: local ENU frames, AER conversions and the 4/3-Earth horizon.

Conventions (shared with the tracker):

* ENU is the local East-North-Up frame tangent to the WGS84 ellipsoid at the
  sensor's geodetic position (the same frame as ``pymap3d.ecef2enu``).
* Azimuth is measured clockwise from North towards East, in ``[0, 2*pi)``.
* Elevation is the geometric angle above the local horizontal plane (no
  refraction), in ``[-pi/2, pi/2]``, except for the *apparent* elevation of
  :func:`apparent_elevation_rad` (4/3-Earth refraction), which radar
  elevation limits use so that they agree with the 4/3-Earth horizon.
* Range is the straight-line (slant) distance in metres.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

EFFECTIVE_EARTH_FACTOR = 4.0 / 3.0
"""Standard-atmosphere refraction factor k of the effective Earth radius k*R."""

DEFAULT_MIN_ELEVATION_DEG = -1.0
"""Proposed default lower elevation limit of a radar (apparent elevation).

Above the effective horizon a target's apparent elevation is at least the
horizon's dip ``-acos(kR / (kR + h_site))`` (:func:`horizon_dip_rad`): -0.48
deg from a 300 m site, -1.0 deg from 1.29 km. So -1 deg leaves the 4/3-Earth
horizon as the only low limit for sites up to 1.29 km (a sea skimmer inside
the horizon stays visible); a higher site wants a lower limit.
"""


class LocalFrame(NamedTuple):
    """A sensor's position and local frame.

    Attributes
    ----------
    position_ecef_m : (3,) float64
        Sensor position, ECEF WGS84, metres.
    enu_to_ecef : (3, 3) float64
        Rotation whose columns are the East, North and Up unit vectors in ECEF:
        ``v_ecef = enu_to_ecef @ v_enu`` and ``v_enu = enu_to_ecef.T @ v_ecef``.
    """

    position_ecef_m: FloatArray
    enu_to_ecef: FloatArray


def enu_to_ecef_rotation(lat_deg: float, lon_deg: float) -> FloatArray:
    """Return the 3x3 rotation from local ENU to ECEF at a geodetic latitude/longitude.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Geodetic latitude and longitude in degrees.

    Returns
    -------
    (3, 3) float64
        Columns are the East, North and Up unit vectors expressed in ECEF.
    """
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    east = [-so, co, 0.0]
    north = [-sl * co, -sl * so, cl]
    up = [cl * co, cl * so, sl]
    return np.array([east, north, up], dtype=np.float64).T


def radar_local_frame(lat_deg: float, lon_deg: float, alt_m: float) -> LocalFrame:
    """Return a ground sensor's ECEF position and its ENU-to-ECEF rotation.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Geodetic latitude and longitude (WGS84) in degrees.
    alt_m : float
        Height above the WGS84 ellipsoid in metres.

    Returns
    -------
    LocalFrame
        ``(position_ecef_m (3,), enu_to_ecef (3, 3))``; unpacks as a tuple.
    """
    x, y, z = pymap3d.geodetic2ecef(lat_deg, lon_deg, alt_m)
    pos = np.array([x, y, z], dtype=np.float64)
    return LocalFrame(pos, enu_to_ecef_rotation(lat_deg, lon_deg))


def ecef_to_aer(
    points_ecef_m: ArrayLike, frame: LocalFrame
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Slant range, azimuth and elevation of ECEF points seen from a sensor.

    Parameters
    ----------
    points_ecef_m : (..., 3) array
        ECEF positions in metres (NaN propagates).
    frame : LocalFrame
        The sensor frame from :func:`radar_local_frame`.

    Returns
    -------
    range_m, azimuth_rad, elevation_rad : (...) float64
        Azimuth clockwise from North in ``[0, 2*pi)``; elevation above the
        local horizontal.
    """
    rel = np.asarray(points_ecef_m, dtype=np.float64) - frame.position_ecef_m
    enu = rel @ frame.enu_to_ecef  # row-vector form of enu_to_ecef.T @ rel
    return enu_to_aer(enu)


def enu_to_aer(enu_m: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Convert local ENU vectors (..., 3) to (range_m, azimuth_rad, elevation_rad)."""
    enu = np.asarray(enu_m, dtype=np.float64)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    range_m = np.hypot(horiz, u)
    azimuth = wrap_to_2pi(np.arctan2(e, n))
    elevation = np.arctan2(u, horiz)
    return range_m, azimuth, elevation


def aer_to_enu(range_m: ArrayLike, azimuth_rad: ArrayLike, elevation_rad: ArrayLike) -> FloatArray:
    """Convert (range, azimuth clockwise from North, elevation) to ENU vectors (..., 3)."""
    r = np.asarray(range_m, dtype=np.float64)
    az = np.asarray(azimuth_rad, dtype=np.float64)
    el = np.asarray(elevation_rad, dtype=np.float64)
    horiz = r * np.cos(el)
    return np.stack([horiz * np.sin(az), horiz * np.cos(az), r * np.sin(el)], axis=-1)


def aer_to_ecef(
    range_m: ArrayLike, azimuth_rad: ArrayLike, elevation_rad: ArrayLike, frame: LocalFrame
) -> FloatArray:
    """Convert sensor-relative (range, azimuth, elevation) to ECEF points (..., 3)."""
    enu = aer_to_enu(range_m, azimuth_rad, elevation_rad)
    return enu @ frame.enu_to_ecef.T + frame.position_ecef_m


def _mod_finite(a: FloatArray, offset: float) -> FloatArray:
    """``np.mod(a + offset, 2 pi)``, NaN where ``a`` is not finite, as fast on arrays
    that are mostly NaN (objects not in flight) as on finite ones: ``np.mod`` of a
    NaN costs ten times a number's, and it is elementwise, so the finite entries
    alone give the same values bit for bit."""
    x = a + offset if offset else a
    if a.ndim == 0 or a.size < 64:
        return np.asarray(np.mod(x, 2.0 * np.pi))
    finite = np.isfinite(a)
    if finite.all():
        return np.asarray(np.mod(x, 2.0 * np.pi))
    out = np.full(a.shape, np.nan)
    out[finite] = np.mod(x[finite], 2.0 * np.pi)
    return out


def wrap_to_2pi(angle_rad: ArrayLike) -> FloatArray:
    """Wrap angles to ``[0, 2*pi)`` (a tiny negative angle maps to 0, not to 2*pi)."""
    a = _mod_finite(np.asarray(angle_rad, dtype=np.float64), 0.0)
    return np.where(a >= 2.0 * np.pi, 0.0, a)


def wrap_to_pi(angle_rad: ArrayLike) -> FloatArray:
    """Wrap angles to ``[-pi, pi)``."""
    return _mod_finite(np.asarray(angle_rad, dtype=np.float64), np.pi) - np.pi


def radar_horizon_range_m(
    sensor_height_m: ArrayLike,
    target_height_m: ArrayLike,
    earth_radius_m: float,
    k_factor: float = EFFECTIVE_EARTH_FACTOR,
) -> FloatArray:
    """Greatest ground distance at which a target is above the effective-Earth horizon.

    The exact form on a sphere of radius ``k * R``:
    ``k R [acos(kR / (kR + h1)) + acos(kR / (kR + h2))]``, which tends to the
    textbook ``sqrt(2 k R h1) + sqrt(2 k R h2)`` for heights small against R.

    Parameters
    ----------
    sensor_height_m, target_height_m : array_like
        Heights above the Earth's surface in metres (negative heights are
        clipped to zero).
    earth_radius_m : float
        True Earth radius R at the sensor.
    k_factor : float
        Effective-Earth factor k (4/3 for the standard atmosphere).

    Returns
    -------
    float64 array
        Ground (arc) distance on the true Earth, metres.
    """
    re = k_factor * earth_radius_m
    h1 = np.maximum(np.asarray(sensor_height_m, dtype=np.float64), 0.0)
    h2 = np.maximum(np.asarray(target_height_m, dtype=np.float64), 0.0)
    # An arc of the effective Earth of angle phi has the ground length re * phi
    # (the effective-Earth model keeps ground distances, it scales curvature).
    return re * (np.arccos(re / (re + h1)) + np.arccos(re / (re + h2)))


def above_effective_horizon(
    sensor_ecef_m: ArrayLike,
    sensor_height_m: float,
    targets_ecef_m: ArrayLike,
    target_height_m: ArrayLike,
    k_factor: float = EFFECTIVE_EARTH_FACTOR,
) -> NDArray[np.bool_]:
    """Line-of-sight test over the k-times-enlarged Earth (4/3-Earth model).

    The true Earth is replaced locally by a sphere of radius ``R`` equal to the
    geocentric radius of the ellipsoid below the sensor; the ground distance to
    a target is ``R * theta`` with ``theta`` the angle between the geocentric
    vectors. A target is visible when that distance does not exceed
    :func:`radar_horizon_range_m` for the sensor and target geodetic heights.

    Parameters
    ----------
    sensor_ecef_m : (3,)
    sensor_height_m : float
        Sensor height above the ellipsoid.
    targets_ecef_m : (..., 3)
    target_height_m : (...)
        Target heights above the ellipsoid.
    k_factor : float

    Returns
    -------
    (...) bool
        False for NaN targets.
    """
    s = np.asarray(sensor_ecef_m, dtype=np.float64)
    t = np.asarray(targets_ecef_m, dtype=np.float64)
    earth_radius = float(np.linalg.norm(s)) - float(sensor_height_m)
    # atan2(|s x t|, s . t) keeps precision at small angles, unlike arccos.
    theta = np.arctan2(np.linalg.norm(np.cross(t, s), axis=-1), t @ s)
    ground_m = earth_radius * theta
    limit = radar_horizon_range_m(sensor_height_m, target_height_m, earth_radius, k_factor)
    with np.errstate(invalid="ignore"):
        return np.asarray(ground_m <= limit)


def apparent_elevation_rad(
    range_m: ArrayLike,
    sensor_height_m: ArrayLike,
    target_height_m: ArrayLike,
    earth_radius_m: ArrayLike,
    k_factor: float = EFFECTIVE_EARTH_FACTOR,
) -> FloatArray:
    """Elevation of a target as refraction makes it appear (4/3-Earth model).

    On the effective Earth of radius ``Re = k R`` rays are straight, so the
    triangle Earth centre - sensor - target has sides ``Re + h0``, ``Re + h``
    and the slant range ``R``; the law of cosines gives::

        sin(el) = ((Re + h)^2 - (Re + h0)^2 - R^2) / (2 R (Re + h0))

    which tends to ``(h - h0) / R - R / (2 Re)`` for short ranges. With
    ``k = 1`` it is the geometric elevation over a sphere.

    Parameters
    ----------
    range_m : array_like
        Slant range, metres (> 0).
    sensor_height_m, target_height_m : array_like
        Heights above the Earth's surface, metres.
    earth_radius_m : array_like
        True Earth radius R at the sensor.
    k_factor : float
        Effective-Earth factor k (4/3 for the standard atmosphere).

    Returns
    -------
    float64 array
        Apparent elevation, radians, in ``[-pi/2, pi/2]`` (NaN propagates).
    """
    re = k_factor * np.asarray(earth_radius_m, dtype=np.float64)
    r = np.asarray(range_m, dtype=np.float64)
    s0 = re + np.asarray(sensor_height_m, dtype=np.float64)
    st = re + np.asarray(target_height_m, dtype=np.float64)
    # (st^2 - s0^2) as (st - s0)(st + s0): no cancellation between two ~1e13 numbers
    num = (st - s0) * (st + s0) - r * r
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_el = num / (2.0 * r * s0)
    return np.asarray(np.arcsin(np.clip(sin_el, -1.0, 1.0)), dtype=np.float64)


def horizon_dip_rad(
    sensor_height_m: ArrayLike,
    earth_radius_m: ArrayLike,
    k_factor: float = EFFECTIVE_EARTH_FACTOR,
) -> FloatArray:
    """Apparent elevation of the effective-Earth horizon, ``-acos(kR / (kR + h0))`` (<= 0).

    Every target above the 4/3-Earth horizon appears at or above this angle,
    so a radar's lower elevation limit at or below it hides nothing the
    horizon does not.
    """
    re = k_factor * np.asarray(earth_radius_m, dtype=np.float64)
    h0 = np.maximum(np.asarray(sensor_height_m, dtype=np.float64), 0.0)
    return np.asarray(-np.arccos(re / (re + h0)), dtype=np.float64)
