"""Geometry for the report's maps: points, sectors and ellipses on the mean-radius sphere."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import R_EARTH_MEAN_M

FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------- geometry


def destination_deg(
    lat_deg: FloatArray | float,
    lon_deg: FloatArray | float,
    azimuth_deg: FloatArray | float,
    distance_m: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """Point at a true bearing and great-circle distance on the mean-radius sphere.

    The direct problem on a sphere of radius ``R_EARTH_MEAN_M``; within 0.5 % of
    the ellipsoidal geodesic, enough for drawing. Vectorised (broadcasts).
    """
    phi1 = np.radians(lat_deg)
    lam1 = np.radians(lon_deg)
    az = np.radians(azimuth_deg)
    d = np.asarray(distance_m, dtype=np.float64) / R_EARTH_MEAN_M
    sin_phi2 = np.sin(phi1) * np.cos(d) + np.cos(phi1) * np.sin(d) * np.cos(az)
    phi2 = np.arcsin(np.clip(sin_phi2, -1.0, 1.0))
    lam2 = lam1 + np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(phi1), np.cos(d) - np.sin(phi1) * sin_phi2
    )
    return np.degrees(phi2), np.degrees(lam2)


def sector_polygon(
    lat_deg: float,
    lon_deg: float,
    boresight_deg: float,
    half_width_deg: float,
    range_m: float,
    n: int = 61,
) -> tuple[FloatArray, FloatArray]:
    """Closed outline (lat, lon) of a coverage sector; a full circle for 180 deg half-width."""
    az = np.linspace(boresight_deg - half_width_deg, boresight_deg + half_width_deg, n)
    lat, lon = destination_deg(lat_deg, lon_deg, az, range_m)
    if half_width_deg >= 180.0:
        return lat, _unwrap(lon, lon_deg)
    return (
        np.concatenate([[lat_deg], lat, [lat_deg]]),
        np.concatenate([[lon_deg], _unwrap(lon, lon_deg), [lon_deg]]),
    )


def ellipse_polygon(
    lat_deg: float,
    lon_deg: float,
    semi_major_m: float,
    semi_minor_m: float,
    orientation_deg: float,
    n: int = 49,
) -> tuple[FloatArray, FloatArray]:
    """Outline (lat, lon) of an impact ellipse (major axis clockwise from North)."""
    s = np.linspace(0.0, 2.0 * np.pi, n)
    th = np.radians(orientation_deg)
    u, v = semi_major_m * np.cos(s), semi_minor_m * np.sin(s)
    east = u * np.sin(th) + v * np.cos(th)
    north = u * np.cos(th) - v * np.sin(th)
    lat, lon = destination_deg(
        lat_deg, lon_deg, np.degrees(np.arctan2(east, north)), np.hypot(east, north)
    )
    return lat, _unwrap(lon, lon_deg)


def _unwrap(lon_deg: FloatArray | float, centre_deg: float) -> FloatArray:
    """Longitudes brought within 180 degrees of ``centre_deg`` (no antimeridian jumps)."""
    return np.asarray((np.asarray(lon_deg) - centre_deg + 180.0) % 360.0 - 180.0 + centre_deg)


def _circular_mean_deg(lon_deg: FloatArray) -> float:
    a = np.radians(lon_deg)
    return float(np.degrees(np.arctan2(np.mean(np.sin(a)), np.mean(np.cos(a)))))


def _bearing_distance(
    lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float
) -> tuple[float, float]:
    """True bearing (deg) and great-circle distance (m) on the mean-radius sphere."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dl = math.radians(lon2_deg - lon1_deg)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    d = 2.0 * R_EARTH_MEAN_M * math.asin(min(1.0, math.sqrt(h)))
    brg = math.degrees(
        math.atan2(
            math.sin(dl) * math.cos(p2),
            math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
        )
    )
    return brg % 360.0, d
