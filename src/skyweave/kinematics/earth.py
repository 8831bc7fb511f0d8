"""Earth geometry shared by the kinematics models: ground model, n-vectors, frames.

Arrays are component-major, shape (3, n), so that each component is a
contiguous row (faster elementwise NumPy in the integrator's hot loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import OMEGA_EARTH_RAD_S, WGS84_A_M
from skyweave.kinematics.geodetic import ecef_to_geodetic, geodetic_to_ecef

FloatArray = NDArray[np.float64]

WGS84_F = 1.0 / 298.257223563
"""WGS84 flattening."""

WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
"""WGS84 semi-minor axis."""


@dataclass(frozen=True)
class Ground:
    """The ground surface: the WGS84 ellipsoid, or a sphere of a given radius.

    On the sphere, latitudes are geocentric; on the ellipsoid, geodetic.
    """

    spherical_radius_m: float | None = None

    @property
    def is_sphere(self) -> bool:
        return self.spherical_radius_m is not None

    def altitude_m(self, x: FloatArray, y: FloatArray, z: FloatArray) -> FloatArray:
        """Height above the ground along the geocentric radial.

        Exact on the sphere. On the ellipsoid it is the radial distance to the
        surface, which is zero exactly where the geodetic height is zero (so
        ground crossings are exact) and differs from the geodetic height by
        well under 0.1 % at altitude; cheap enough for the integrator loop.
        """
        r = np.sqrt(x * x + y * y + z * z)
        if self.spherical_radius_m is not None:
            return r - self.spherical_radius_m
        q = (x * x + y * y) / WGS84_A_M**2 + z * z / WGS84_B_M**2
        return np.asarray(r * (1.0 - 1.0 / np.sqrt(q)), dtype=np.float64)

    def altitude_rate_mps(self, r: FloatArray, v: FloatArray) -> FloatArray:
        """Time derivative of :meth:`altitude_m` for (3, n) position and velocity.

        The ground is symmetric about z, so this holds in the inertial frame too.
        """
        rn = np.sqrt(np.einsum("ij,ij->j", r, r))
        r_dot = np.einsum("ij,ij->j", r, v) / rn
        if self.spherical_radius_m is not None:
            return np.asarray(r_dot, dtype=np.float64)
        x, y, z = r[0], r[1], r[2]
        q = (x * x + y * y) / WGS84_A_M**2 + z * z / WGS84_B_M**2
        q_dot = 2.0 * ((x * v[0] + y * v[1]) / WGS84_A_M**2 + z * v[2] / WGS84_B_M**2)
        inv_sqrt_q = 1.0 / np.sqrt(q)
        return np.asarray(
            r_dot * (1.0 - inv_sqrt_q) + 0.5 * rn * inv_sqrt_q / q * q_dot, dtype=np.float64
        )

    def to_ecef(self, lat_deg: FloatArray, lon_deg: FloatArray, alt_m: FloatArray) -> FloatArray:
        """(3, n) ECEF position of latitude, longitude and height."""
        if self.spherical_radius_m is not None:
            return (self.spherical_radius_m + np.asarray(alt_m)) * n_vector(lat_deg, lon_deg)
        x, y, z = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
        return np.array([x, y, z], dtype=np.float64).reshape(3, -1)

    def to_lat_lon_alt(self, r: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Latitude (deg), longitude (deg) and height (m) of (3, n) ECEF points."""
        if self.spherical_radius_m is not None:
            rn = np.linalg.norm(r, axis=0)
            with np.errstate(invalid="ignore"):
                lat = np.degrees(np.arcsin(r[2] / rn))
            lon = np.degrees(np.arctan2(r[1], r[0]))
            return lat, lon, rn - self.spherical_radius_m
        lat, lon, alt = ecef_to_geodetic(r[0], r[1], r[2])
        return (
            np.asarray(lat, dtype=np.float64),
            np.asarray(lon, dtype=np.float64),
            np.asarray(alt, dtype=np.float64),
        )

    def surface_normal(self, r: FloatArray) -> FloatArray:
        """(3, n) unit normal (n-vector) at points on (or near) the surface."""
        if self.spherical_radius_m is not None:
            g = r
        else:
            g = r * np.array([1.0 / WGS84_A_M**2, 1.0 / WGS84_A_M**2, 1.0 / WGS84_B_M**2])[:, None]
        return np.asarray(g / np.linalg.norm(g, axis=0), dtype=np.float64)


def n_vector(lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
    """(3, n) unit vector of the local vertical (geodetic on the ellipsoid)."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def east_north(lat_deg: FloatArray, lon_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(3, n) local east and north unit vectors (defined at the poles through lon)."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    zero = np.zeros_like(lat)
    east = np.array([-np.sin(lon), np.cos(lon), zero])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    return east, north


def central_angle(n1: FloatArray, n2: FloatArray) -> FloatArray:
    """Angle (rad) between (3, n) unit vectors, accurate for small and large angles."""
    cross = np.linalg.norm(np.cross(n1, n2, axis=0), axis=0)
    return np.asarray(np.arctan2(cross, np.sum(n1 * n2, axis=0)), dtype=np.float64)


def azimuth(east: FloatArray, north: FloatArray, n1: FloatArray, n2: FloatArray) -> FloatArray:
    """Initial great-circle azimuth (rad, from north through east) from n1 toward n2."""
    d = n2 - np.sum(n1 * n2, axis=0) * n1
    return np.asarray(
        np.arctan2(np.sum(d * east, axis=0), np.sum(d * north, axis=0)), dtype=np.float64
    )


def wrap_pi(angle_rad: FloatArray) -> FloatArray:
    """Wrap angles to [-pi, pi)."""
    return np.asarray((angle_rad + np.pi) % (2.0 * np.pi) - np.pi, dtype=np.float64)


def rotate_z(vec: FloatArray, angle_rad: FloatArray) -> FloatArray:
    """Rotate (3, n) vectors by +angle about z (angle shape broadcastable to (n,))."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([c * vec[0] - s * vec[1], s * vec[0] + c * vec[1], vec[2] + 0.0 * c])


def ecef_to_inertial(
    r_ecef: FloatArray, v_ecef: FloatArray, time_s: FloatArray, omega_rad_s: float
) -> tuple[FloatArray, FloatArray]:
    """ECEF state at ``time_s`` to the inertial frame aligned with ECEF at t = 0.

    ``v_inertial = R(w t) (v_ecef + w x r_ecef)``; ``omega_rad_s`` is 0 for a
    non-rotating Earth.
    """
    v_abs = v_ecef + np.array([-omega_rad_s * r_ecef[1], omega_rad_s * r_ecef[0], 0 * r_ecef[2]])
    angle = omega_rad_s * np.asarray(time_s)
    return rotate_z(r_ecef, angle), rotate_z(v_abs, angle)


def inertial_to_ecef(
    r_inertial: FloatArray, v_inertial: FloatArray, time_s: FloatArray, omega_rad_s: float
) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`ecef_to_inertial`."""
    angle = -omega_rad_s * np.asarray(time_s)
    r_e = rotate_z(r_inertial, angle)
    v_e = rotate_z(v_inertial, angle)
    v_e = v_e - np.array([-omega_rad_s * r_e[1], omega_rad_s * r_e[0], 0 * r_e[2]])
    return r_e, v_e


__all__ = [
    "OMEGA_EARTH_RAD_S",
    "Ground",
    "azimuth",
    "central_angle",
    "east_north",
    "ecef_to_inertial",
    "inertial_to_ecef",
    "n_vector",
    "rotate_z",
    "wrap_pi",
]
