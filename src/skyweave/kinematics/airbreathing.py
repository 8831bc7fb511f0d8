"""Air-breathing threats (cruise missiles, aircraft): waypoints at set speed and altitude.

Model
-----
Each object starts at its first waypoint at ``start_time_s`` and flies the legs
between consecutive waypoints at constant altitude above the ground. A leg is
the *great circle of surface normals* between its two waypoints (the normal,
or n-vector, is rotated uniformly from one waypoint's to the next's, as in
Gade 2010); the position is the ground point with that normal raised by
``altitude_m`` along it, so latitude, longitude and height are exact
everywhere on the path. On a spherical ground this is an ordinary great circle.

Leg durations are the path length of the leg in ECEF (Gauss-Legendre
quadrature, exact to well below a metre) divided by ``speed_mps``, so arrival
times are exact. Within a leg the normal turns at a constant rate, so on the
WGS84 ellipsoid the instantaneous ground speed varies by at most about 0.3 %
around ``speed_mps`` (exactly ``speed_mps`` on a sphere). Velocities are the
exact time derivative of the positions. Turns at waypoints are instantaneous
(velocity changes direction there); no climb or descent. States are NaN before
the start and after arrival at the last waypoint (for a cruise missile, its
target: ``arrival_time_s`` is its impact time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.earth import WGS84_B_M, central_angle, n_vector

FloatArray = NDArray[np.float64]

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(16)


@dataclass(frozen=True)
class WaypointResult:
    """Output of :func:`propagate_waypoints` (times in seconds since scenario start).

    Attributes
    ----------
    times_s : (T,) float64
        The requested time grid.
    states : (T, N, 6) float64
        ECEF (WGS84) position m and velocity m/s; NaN before start and after
        arrival at the last waypoint.
    start_time_s : (N,) float64
        Time at the first waypoint.
    waypoint_time_s : (N, W) float64
        Time at each waypoint (NaN for padding).
    arrival_time_s : (N,) float64
        Time at the last waypoint (a cruise missile's impact time).
    path_length_m : (N,) float64
        Length of the whole flown path.
    """

    times_s: FloatArray
    states: FloatArray
    start_time_s: FloatArray
    waypoint_time_s: FloatArray
    arrival_time_s: FloatArray
    path_length_m: FloatArray


def pad_waypoints(
    lat_deg: Sequence[Sequence[float]], lon_deg: Sequence[Sequence[float]]
) -> tuple[FloatArray, FloatArray]:
    """Ragged per-object waypoint lists to (N, W) arrays padded with NaN."""
    if len(lat_deg) != len(lon_deg):
        raise ValueError("lat_deg and lon_deg must list the same number of objects")
    width = max((len(w) for w in lat_deg), default=0)
    lat = np.full((len(lat_deg), width), np.nan)
    lon = np.full((len(lon_deg), width), np.nan)
    for k, (la, lo) in enumerate(zip(lat_deg, lon_deg, strict=True)):
        if len(la) != len(lo):
            raise ValueError(f"object {k}: lat and lon waypoint lists differ in length")
        lat[k, : len(la)] = la
        lon[k, : len(lo)] = lo
    return lat, lon


@dataclass(frozen=True)
class WaypointBatch:
    """N air-breathing objects as arrays (scalars broadcast to N).

    Attributes
    ----------
    start_time_s : (N,) float64
        Time each object is at its first waypoint (seconds since scenario start).
    waypoint_lat_deg, waypoint_lon_deg : (N, W) float64
        Waypoints (geodetic; geocentric on a spherical ground), each row padded
        at the end with NaN (see :func:`pad_waypoints`); at least 2 per object.
    speed_mps : (N,) float64
        Speed along the path.
    altitude_m : (N,) float64
        Height above the ground.
    """

    start_time_s: FloatArray
    waypoint_lat_deg: FloatArray
    waypoint_lon_deg: FloatArray
    speed_mps: FloatArray
    altitude_m: FloatArray

    def __post_init__(self) -> None:
        lat = np.atleast_2d(np.asarray(self.waypoint_lat_deg, dtype=np.float64))
        lon = np.atleast_2d(np.asarray(self.waypoint_lon_deg, dtype=np.float64))
        if lat.ndim != 2 or lat.shape != lon.shape:
            raise ValueError("waypoint latitude and longitude arrays must share one (N, W) shape")
        n = lat.shape[0]
        object.__setattr__(self, "waypoint_lat_deg", lat.copy())
        object.__setattr__(self, "waypoint_lon_deg", lon.copy())
        for name in ("start_time_s", "speed_mps", "altitude_m"):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            object.__setattr__(self, name, np.broadcast_to(value, (n,)).copy())

    @classmethod
    def from_lists(
        cls,
        start_time_s: ArrayLike,
        waypoint_lat_deg: Sequence[Sequence[float]],
        waypoint_lon_deg: Sequence[Sequence[float]],
        speed_mps: ArrayLike,
        altitude_m: ArrayLike,
    ) -> WaypointBatch:
        """Build a batch from ragged per-object waypoint lists."""
        lat, lon = pad_waypoints(waypoint_lat_deg, waypoint_lon_deg)
        return cls(
            start_time_s=np.asarray(start_time_s, dtype=np.float64),
            waypoint_lat_deg=lat,
            waypoint_lon_deg=lon,
            speed_mps=np.asarray(speed_mps, dtype=np.float64),
            altitude_m=np.asarray(altitude_m, dtype=np.float64),
        )

    @property
    def n(self) -> int:
        """Number of objects."""
        return int(self.waypoint_lat_deg.shape[0])


def _point_and_derivative(
    n: FloatArray, dn: FloatArray, alt_m: FloatArray, spherical_radius_m: float | None
) -> tuple[FloatArray, FloatArray]:
    """ECEF point with surface normal n at height alt_m, and its derivative along dn."""
    if spherical_radius_m is not None:
        radius = spherical_radius_m + alt_m
        return radius * n, radius * dn
    # the ellipsoid point with normal n is lambda D n, D = diag(a^2, a^2, b^2)
    d = np.array([WGS84_A_M**2, WGS84_A_M**2, WGS84_B_M**2]).reshape(3, *([1] * (n.ndim - 1)))
    ndn = np.sum(n * d * n, axis=0)
    lam = 1.0 / np.sqrt(ndn)
    dlam = -(lam**3) * np.sum(n * d * dn, axis=0)
    point = lam * d * n + alt_m * n
    deriv = dlam * d * n + lam * d * dn + alt_m * dn
    return point, deriv


def _slerp(n0: FloatArray, tangent: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Normal at angle theta along the great circle, and its theta-derivative."""
    c, s = np.cos(theta), np.sin(theta)
    return c * n0 + s * tangent, -s * n0 + c * tangent


def propagate_waypoints(
    batch: WaypointBatch,
    times_s: ArrayLike,
    spherical_radius_m: float | None = None,
) -> WaypointResult:
    """Fly N objects along their waypoints at constant speed and altitude.

    Parameters
    ----------
    batch : WaypointBatch
        Start times, NaN-padded (N, W) waypoints, speeds and altitudes.
    times_s : array_like, shape (T,)
        Output time grid, seconds since scenario start.
    spherical_radius_m : float or None
        None: WGS84 ground. Set: a sphere of that radius.

    Returns
    -------
    WaypointResult
        States (T, N, 6) ECEF, waypoint and arrival times, path lengths. See
        the module docstring for the path model.

    Raises
    ------
    ValueError
        Fewer than 2 waypoints, a gap in the padding, a non-positive speed, a
        latitude out of range or a leg between antipodal points.
    """
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    lat, lon = batch.waypoint_lat_deg, batch.waypoint_lon_deg
    n_obj, width = lat.shape
    start, speed, alt = batch.start_time_s, batch.speed_mps, batch.altitude_m

    valid = ~np.isnan(lat) & ~np.isnan(lon)
    count = valid.sum(axis=1)
    if np.any(count < 2):
        raise ValueError("every object needs at least 2 waypoints")
    if np.any(valid != (np.arange(width)[None, :] < count[:, None])):
        raise ValueError("waypoint rows must be padded with NaN at the end only")
    if np.any(np.abs(lat[valid]) > 90.0):
        raise ValueError("waypoint latitude out of [-90, 90]")
    if np.any(~(speed > 0.0)) or np.any(~np.isfinite(start)) or np.any(~np.isfinite(alt)):
        raise ValueError("speed_mps must be > 0; start_time_s and altitude_m finite")

    # legs (N, L), L = W - 1; n-vectors (3, N, W)
    nv = n_vector(np.nan_to_num(lat), np.nan_to_num(lon)).reshape(3, n_obj, width)
    n0, n1 = nv[:, :, :-1], nv[:, :, 1:]
    leg_valid = valid[:, 1:]
    theta = central_angle(n0.reshape(3, -1), n1.reshape(3, -1)).reshape(n_obj, width - 1)
    if np.any(leg_valid & (theta > np.pi - 1e-6)):
        raise ValueError("a leg joins antipodal waypoints: its great circle is undefined")
    sin_t = np.sin(theta)
    with np.errstate(invalid="ignore", divide="ignore"):
        tangent = np.where(sin_t > 1e-12, (n1 - np.cos(theta) * n0) / sin_t, 0.0)

    # path length of each leg: Gauss-Legendre over theta of |dr/dtheta|
    nodes = 0.5 * (_GAUSS_NODES[:, None, None] + 1.0) * theta[None]  # (G, N, L)
    nq, dnq = _slerp(n0[:, None], tangent[:, None], nodes[None])
    _, drq = _point_and_derivative(nq, dnq, alt[None, None, :, None], spherical_radius_m)
    length = 0.5 * theta * np.einsum("g,gnl->nl", _GAUSS_WEIGHTS, np.linalg.norm(drq, axis=0))
    length = np.where(leg_valid, length, 0.0)
    duration = length / speed[:, None]
    wp_time = start[:, None] + np.concatenate([np.zeros((n_obj, 1)), np.cumsum(duration, 1)], 1)
    wp_time = np.where(valid, wp_time, np.nan)
    arrival = wp_time[np.arange(n_obj), count - 1]

    states = np.full((times.size, n_obj, 6), np.nan)
    for leg in range(width - 1):  # loop over leg index, vectorised over objects
        t0 = wp_time[:, leg]
        t1 = wp_time[:, leg + 1]
        last = leg == count - 2
        inside = (times[:, None] >= t0) & ((times[:, None] < t1) | (last & (times[:, None] <= t1)))
        inside &= leg_valid[:, leg] & (duration[:, leg] > 0.0)
        j, k = np.nonzero(inside)
        if j.size == 0:
            continue
        rate = theta[k, leg] / duration[k, leg]
        ang = (times[j] - t0[k]) * rate
        n_s, dn_s = _slerp(n0[:, k, leg], tangent[:, k, leg], ang)
        r, dr = _point_and_derivative(n_s, dn_s, alt[k], spherical_radius_m)
        states[j, k, :3] = r.T
        states[j, k, 3:] = (dr * rate).T
    return WaypointResult(
        times_s=times,
        states=states,
        start_time_s=start,
        waypoint_time_s=wp_time,
        arrival_time_s=arrival,
        path_length_m=length.sum(axis=1),
    )
