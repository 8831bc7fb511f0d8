"""Compiled per-row helpers of :mod:`skyweave.warning.impact`.

``ballistic_mask`` runs for every track at every warning update, decision cycle
and picture: thousands of calls on a few rows each, where ``pymap3d``'s
array code (three ``isclose`` and some forty small NumPy operations per call)
cost a hundred times the arithmetic. Here the same formulas run per row,
compiled: the geodetic conversion is pymap3d's (You 2000, as in
``pymap3d.ecef2geodetic`` 3.x, with its special cases), on the same WGS84
axes. ``tests/test_impact_kernel.py`` holds the two together.
"""

from __future__ import annotations

import math

import numpy as np
import pymap3d
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_ELL = pymap3d.Ellipsoid.from_name("wgs84")
#: pymap3d's WGS84 semi-axes, so that the conversion is its own
_A = float(_ELL.semimajor_axis)
_B = float(_ELL.semiminor_axis)
_E2 = _A * _A - _B * _B
_LIM_PI2 = math.pi / 2.0 - float(np.finfo(np.float64).eps)


@njit(cache=True)
def _isclose0(a: float) -> bool:
    # numpy.isclose(a, 0) with its default tolerances: |a| <= atol
    return abs(a) <= 1e-8


@njit(cache=True)
def geodetic_rad(x: float, y: float, z: float) -> tuple[float, float, float]:
    """``pymap3d.ecef2geodetic(x, y, z, deg=False)`` of one point: lat, lon (rad), alt (m)."""
    e = math.sqrt(_E2)
    r = math.sqrt(x * x + y * y + z * z)
    r2e2 = r * r - e * e
    u = math.sqrt(0.5 * r2e2 + 0.5 * math.hypot(r2e2, 2.0 * e * z))
    hxy = math.hypot(x, y)
    hue = math.hypot(u, e)
    if _isclose0(u) or _isclose0(hxy):
        if _isclose0(z):
            beta = 0.0
        elif z > 0.0:
            beta = math.pi / 2.0
        else:
            beta = -math.pi / 2.0
    else:
        beta = math.atan(hue / u * z / hxy)
        beta += ((_B * u - _A * hue + e * e) * math.sin(beta)) / (
            _A * hue * 1.0 / math.cos(beta) - e * e * math.cos(beta)
        )
    lat = math.atan(_A / _B * math.tan(beta))
    cos_beta = math.cos(beta)
    if beta >= _LIM_PI2:
        lat = math.pi / 2.0
        cos_beta = 0.0
    elif beta <= -_LIM_PI2:
        lat = -math.pi / 2.0
        cos_beta = 0.0
    lon = math.atan2(y, x)
    alt = math.hypot(z - _B * math.sin(beta), hxy - _A * cos_beta)
    if x * x / (_A * _A) + y * y / (_A * _A) + z * z / (_B * _B) < 1.0:
        alt = -alt
    return lat, lon, alt


@njit(cache=True)
def ballistic_mask_rows(
    x: FloatArray, min_speed_mps: float, min_altitude_m: float, min_vertical_speed_mps: float
) -> BoolArray:
    """``impact.ballistic_mask`` of rows ``x`` (N, 6), row by row."""
    n = x.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        finite = True
        for i in range(6):
            if not math.isfinite(x[t, i]):
                finite = False
        if not finite:
            continue
        lat, lon, alt = geodetic_rad(x[t, 0], x[t, 1], x[t, 2])
        vx, vy, vz = x[t, 3], x[t, 4], x[t, 5]
        v_up = math.cos(lat) * math.cos(lon) * vx + math.cos(lat) * math.sin(lon) * vy
        v_up += math.sin(lat) * vz
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        high_or_steep = alt >= min_altitude_m or abs(v_up) >= min_vertical_speed_mps
        out[t] = speed >= min_speed_mps and high_or_steep and alt > 0.0
    return out


@njit(cache=True)
def distance_to_ellipse_rows(
    east_m: FloatArray,
    north_m: FloatArray,
    semi_major_m: FloatArray,
    semi_minor_m: FloatArray,
    orientation_deg: FloatArray,
) -> FloatArray:
    """``impact.distance_to_ellipse_m`` of flat, equal-length arrays, element by element
    (the same bisection, 64 halvings, and the same 1 mm floor on the semi-axes)."""
    n = east_m.shape[0]
    out = np.empty(n)
    for k in range(n):
        th = math.radians(orientation_deg[k])
        e, nn = east_m[k], north_m[k]
        u = abs(e * math.sin(th) + nn * math.cos(th))
        w = abs(e * math.cos(th) - nn * math.sin(th))
        a = max(semi_major_m[k], 1.0e-3)
        b = min(max(semi_minor_m[k], 1.0e-3), a)
        ua = u / a
        wb = w / b
        if ua * ua + wb * wb <= 1.0:
            out[k] = 0.0
            continue
        au = a * u
        bw = b * w
        lo = 0.0
        hi = max(math.sqrt(au * au + bw * bw) - b * b, 0.0)
        for _ in range(64):
            t = 0.5 * (lo + hi)
            fa = a * u / (t + a * a)
            fb = b * w / (t + b * b)
            if fa * fa + fb * fb > 1.0:
                if t == lo:  # the bracket no longer moves: the rest would repeat this
                    break
                lo = t
            else:
                if t == hi:
                    break
                hi = t
        t = 0.5 * (lo + hi)
        du = u - a * a * u / (t + a * a)
        dw = w - b * b * w / (t + b * b)
        out[k] = math.hypot(du, dw)
    return out


@njit(cache=True)
def _ground_ecef(lat_deg: float, lon_deg: float) -> tuple[float, float, float]:
    # pymap3d.geodetic2ecef(lat, lon, 0) in degrees
    la = math.radians(lat_deg)
    lo = math.radians(lon_deg)
    n = _A * _A / math.hypot(_A * math.cos(la), _B * math.sin(la))
    ratio = _B / _A
    return (
        n * math.cos(la) * math.cos(lo),
        n * math.cos(la) * math.sin(lo),
        n * (ratio * ratio) * math.sin(la),
    )


@njit(cache=True)
def impact_statistics(
    imp: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Mean impact point and the impact points' East-North covariance there.

    ``imp`` (G, S, 3) ECEF impact points of each track's S sample points,
    ``w`` (S,) their weights. Returns the weighted mean's geodetic latitude and
    longitude (deg, G), its ground point (G, 3) and the weighted covariance
    (G, 2, 2) of the points' local East and North at it (pymap3d's
    ``ecef2geodetic``, ``geodetic2ecef`` and ``ecef2enu`` on WGS84).
    """
    g, s = imp.shape[0], imp.shape[1]
    lat_deg = np.empty(g)
    lon_deg = np.empty(g)
    ground = np.empty((g, 3))
    cov = np.empty((g, 2, 2))
    en = np.empty((s, 2))
    for k in range(g):
        mx = my = mz = 0.0
        for j in range(s):
            mx += w[j] * imp[k, j, 0]
            my += w[j] * imp[k, j, 1]
            mz += w[j] * imp[k, j, 2]
        lat, lon, _ = geodetic_rad(mx, my, mz)
        lat_deg[k] = math.degrees(lat)
        lon_deg[k] = math.degrees(lon)
        x0, y0, z0 = _ground_ecef(lat_deg[k], lon_deg[k])
        ground[k, 0], ground[k, 1], ground[k, 2] = x0, y0, z0
        la = math.radians(lat_deg[k])
        lo = math.radians(lon_deg[k])
        me = mn = 0.0
        for j in range(s):
            u = imp[k, j, 0] - x0
            v = imp[k, j, 1] - y0
            ww = imp[k, j, 2] - z0
            t = math.cos(lo) * u + math.sin(lo) * v
            en[j, 0] = -math.sin(lo) * u + math.cos(lo) * v
            en[j, 1] = -math.sin(la) * t + math.cos(la) * ww
            me += w[j] * en[j, 0]
            mn += w[j] * en[j, 1]
        cee = cen = cnn = 0.0
        for j in range(s):
            de = en[j, 0] - me
            dn = en[j, 1] - mn
            cee += w[j] * de * de
            cen += w[j] * de * dn
            cnn += w[j] * dn * dn
        cov[k, 0, 0] = cee
        cov[k, 0, 1] = cov[k, 1, 0] = cen
        cov[k, 1, 1] = cnn
    return lat_deg, lon_deg, ground, cov
