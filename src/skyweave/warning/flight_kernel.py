"""The compiled inner loop of :func:`skyweave.warning.propagate.free_flight_to_ground`.

Impact prediction flies every sigma point of every track to the ground at every
warning update and decision cycle: the run's hottest loop (a third of a large
raid's time as NumPy operations on small arrays). Here each row is flown on its
own, in scalar code compiled by Numba: the same model and the same step rule as
the documentation of ``free_flight_to_ground`` states (inertial frame aligned
with ECEF at the row's time, central gravity, optional J2, the exponential
atmosphere of :func:`skyweave.kinematics.ballistic.air_density_kg_m3` on the
velocity relative to the turning air, RK4, ground crossing by Illinois regula
falsi on the step's cubic Hermite interpolant).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.constants import J2_EARTH, MU_EARTH_M3_S2, WGS84_A_M
from skyweave.kinematics.kernels import air_density as _density
from skyweave.kinematics.kernels import height_m as _height

FloatArray = NDArray[np.float64]

_J2K = -1.5 * J2_EARTH * MU_EARTH_M3_S2 * WGS84_A_M * WGS84_A_M
_ROOT_ITERATIONS = 40


@njit(cache=True)
def _acc(
    x: float,
    y: float,
    z: float,
    vx: float,
    vy: float,
    vz: float,
    j2: bool,
    hib: float,
    omega: float,
) -> tuple[float, float, float]:
    rho = _density(_height(x, y, z)) if hib > 0.0 else 0.0
    return _acc_at(x, y, z, vx, vy, vz, j2, hib, omega, rho)


@njit(cache=True)
def _acc_at(
    x: float,
    y: float,
    z: float,
    vx: float,
    vy: float,
    vz: float,
    j2: bool,
    hib: float,
    omega: float,
    rho: float,
) -> tuple[float, float, float]:
    """:func:`_acc` given the air density ``rho`` at the point (used when ``hib > 0``)."""
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    g = -MU_EARTH_M3_S2 / (r2 * rn)
    ax, ay, az = g * x, g * y, g * z
    if j2:
        z2 = z * z / r2
        k = _J2K / (r2 * r2 * rn)
        ax += k * x * (1.0 - 5.0 * z2)
        ay += k * y * (1.0 - 5.0 * z2)
        az += k * z * (3.0 - 5.0 * z2)
    if hib > 0.0:
        # drag on the velocity relative to the air, which turns with the Earth
        wx, wy, wz = vx + omega * y, vy - omega * x, vz
        c = -rho * math.sqrt(wx * wx + wy * wy + wz * wz) * hib
        ax += c * wx
        ay += c * wy
        az += c * wz
    return ax, ay, az


@njit(cache=True)
def _hermite(
    r0: FloatArray,
    v0: FloatArray,
    r1: FloatArray,
    v1: FloatArray,
    dt: float,
    s: float,
    out: FloatArray,
) -> None:
    s2, s3 = s * s, s * s * s
    h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
    for k in range(3):
        out[k] = h00 * r0[k] + h10 * dt * v0[k] + h01 * r1[k] + h11 * dt * v1[k]


@njit(cache=True)
def fly_rows(
    r_in: FloatArray,
    v_in: FloatArray,
    hib: FloatArray,
    j2: bool,
    omega: float,
    horizon_s: float,
    dt_min_s: float,
    dt_max_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Inertial positions (M, 3) and velocities (M, 3) flown to the ground, row by row.

    ``hib`` holds ``1 / (2 beta)`` per row (0: vacuum). Returns the ground point
    in the inertial frame rotated back to ECEF at the impact time, and the time
    of flight; NaN for rows that start underground or do not land in time.
    """
    m = r_in.shape[0]
    impact = np.full((m, 3), np.nan)
    tti = np.full(m, np.nan)
    r = np.empty(3)
    v = np.empty(3)
    r1 = np.empty(3)
    v1 = np.empty(3)
    p = np.empty(3)
    for i in range(m):
        for k in range(3):
            r[k] = r_in[i, k]
            v[k] = v_in[i, k]
        h = _height(r[0], r[1], r[2])
        if not (math.isfinite(h) and h > 0.0):
            continue
        if not (math.isfinite(v[0]) and math.isfinite(v[1]) and math.isfinite(v[2])):
            continue
        t = 0.0
        while t < horizon_s:
            speed = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
            dt = 0.5 * h / max(speed, 1.0)
            rho = 0.0
            if hib[i] > 0.0:
                # a tenth of the time drag takes to change the speed by a factor e
                rho = _density(h)
                rate = 2.0 * rho * speed * hib[i]
                dt = min(dt, 0.1 / max(rate, 1e-12))
            dt = min(min(max(dt, dt_min_s), dt_max_s), horizon_s - t)
            x, y, z, vx, vy, vz = r[0], r[1], r[2], v[0], v[1], v[2]
            # the step's first stage is at r, where h and rho are already known
            # (h is _height(r): the same function of the same numbers)
            a1x, a1y, a1z = _acc_at(x, y, z, vx, vy, vz, j2, hib[i], omega, rho)
            k2rx, k2ry, k2rz = vx + 0.5 * dt * a1x, vy + 0.5 * dt * a1y, vz + 0.5 * dt * a1z
            k2vx, k2vy, k2vz = _acc(
                x + 0.5 * dt * vx,
                y + 0.5 * dt * vy,
                z + 0.5 * dt * vz,
                k2rx,
                k2ry,
                k2rz,
                j2,
                hib[i],
                omega,
            )
            k3rx, k3ry, k3rz = vx + 0.5 * dt * k2vx, vy + 0.5 * dt * k2vy, vz + 0.5 * dt * k2vz
            k3vx, k3vy, k3vz = _acc(
                x + 0.5 * dt * k2rx,
                y + 0.5 * dt * k2ry,
                z + 0.5 * dt * k2rz,
                k3rx,
                k3ry,
                k3rz,
                j2,
                hib[i],
                omega,
            )
            k4rx, k4ry, k4rz = vx + dt * k3vx, vy + dt * k3vy, vz + dt * k3vz
            k4vx, k4vy, k4vz = _acc(
                x + dt * k3rx,
                y + dt * k3ry,
                z + dt * k3rz,
                k4rx,
                k4ry,
                k4rz,
                j2,
                hib[i],
                omega,
            )
            r1[0] = x + dt / 6.0 * (vx + 2.0 * k2rx + 2.0 * k3rx + k4rx)
            r1[1] = y + dt / 6.0 * (vy + 2.0 * k2ry + 2.0 * k3ry + k4ry)
            r1[2] = z + dt / 6.0 * (vz + 2.0 * k2rz + 2.0 * k3rz + k4rz)
            v1[0] = vx + dt / 6.0 * (a1x + 2.0 * k2vx + 2.0 * k3vx + k4vx)
            v1[1] = vy + dt / 6.0 * (a1y + 2.0 * k2vy + 2.0 * k3vy + k4vy)
            v1[2] = vz + dt / 6.0 * (a1z + 2.0 * k2vz + 2.0 * k3vz + k4vz)
            h1 = _height(r1[0], r1[1], r1[2])
            if h1 <= 0.0:
                # Illinois regula falsi on the Hermite interpolant, h(0) > 0 >= h(1)
                lo, hi, f_lo, f_hi, side, s = 0.0, 1.0, h, h1, 0, 1.0
                for _ in range(_ROOT_ITERATIONS):
                    denom = f_lo - f_hi
                    s = lo + f_lo / denom * (hi - lo) if denom > 0.0 else 0.5 * (lo + hi)
                    _hermite(r, v, r1, v1, dt, s, p)
                    f_s = _height(p[0], p[1], p[2])
                    if f_s > 0.0:
                        if side == 1:
                            f_hi *= 0.5
                        lo, f_lo, side = s, f_s, 1
                    else:
                        if side == -1:
                            f_lo *= 0.5
                        hi, f_hi, side = s, f_s, -1
                    if (hi - lo) * dt < 1e-9 or abs(f_s) < 1e-6:
                        break
                _hermite(r, v, r1, v1, dt, s, p)
                tau = t + s * dt
                c, sn = math.cos(-omega * tau), math.sin(-omega * tau)
                impact[i, 0] = c * p[0] - sn * p[1]
                impact[i, 1] = sn * p[0] + c * p[1]
                impact[i, 2] = p[2]
                tti[i] = tau
                break
            for k in range(3):
                r[k] = r1[k]
                v[k] = v1[k]
            t += dt
            h = h1
    return impact, tti


@njit(cache=True)
def fly_grid(
    r_in: FloatArray,
    v_in: FloatArray,
    gravity: NDArray[np.bool_],
    offsets_s: FloatArray,
    omega: float,
) -> FloatArray:
    """ECEF states (K, Q, 6) of K rows at ``offsets_s`` (Q,), by RK4 on the offset grid.

    In the rotating frame: rows with ``gravity`` fly under central gravity with
    the Coriolis and centrifugal terms (vacuum); the others fly straight at
    constant velocity. A gravity row is NaN from its first sample at or below the
    ellipsoid on.
    """
    k_rows, q = r_in.shape[0], offsets_s.shape[0]
    out = np.empty((k_rows, q, 6))
    for i in range(k_rows):
        x, y, z = r_in[i, 0], r_in[i, 1], r_in[i, 2]
        vx, vy, vz = v_in[i, 0], v_in[i, 1], v_in[i, 2]
        g = 1.0 if gravity[i] else 0.0
        down = False
        out[i, 0, 0], out[i, 0, 1], out[i, 0, 2] = x, y, z
        out[i, 0, 3], out[i, 0, 4], out[i, 0, 5] = vx, vy, vz
        if gravity[i] and _height(x, y, z) <= 0.0:
            down = True
            for c in range(6):
                out[i, 0, c] = np.nan
        for s in range(1, q):
            if down:
                for c in range(6):
                    out[i, s, c] = np.nan
                continue
            dt = offsets_s[s] - offsets_s[s - 1]
            a1 = _rotating_acc(x, y, z, vx, vy, vz, omega, g)
            k2r = (vx + 0.5 * dt * a1[0], vy + 0.5 * dt * a1[1], vz + 0.5 * dt * a1[2])
            a2 = _rotating_acc(
                x + 0.5 * dt * vx,
                y + 0.5 * dt * vy,
                z + 0.5 * dt * vz,
                k2r[0],
                k2r[1],
                k2r[2],
                omega,
                g,
            )
            k3r = (vx + 0.5 * dt * a2[0], vy + 0.5 * dt * a2[1], vz + 0.5 * dt * a2[2])
            a3 = _rotating_acc(
                x + 0.5 * dt * k2r[0],
                y + 0.5 * dt * k2r[1],
                z + 0.5 * dt * k2r[2],
                k3r[0],
                k3r[1],
                k3r[2],
                omega,
                g,
            )
            k4r = (vx + dt * a3[0], vy + dt * a3[1], vz + dt * a3[2])
            a4 = _rotating_acc(
                x + dt * k3r[0],
                y + dt * k3r[1],
                z + dt * k3r[2],
                k4r[0],
                k4r[1],
                k4r[2],
                omega,
                g,
            )
            x, y, z, vx, vy, vz = (
                x + dt / 6.0 * (vx + 2.0 * k2r[0] + 2.0 * k3r[0] + k4r[0]),
                y + dt / 6.0 * (vy + 2.0 * k2r[1] + 2.0 * k3r[1] + k4r[1]),
                z + dt / 6.0 * (vz + 2.0 * k2r[2] + 2.0 * k3r[2] + k4r[2]),
                vx + dt / 6.0 * (a1[0] + 2.0 * a2[0] + 2.0 * a3[0] + a4[0]),
                vy + dt / 6.0 * (a1[1] + 2.0 * a2[1] + 2.0 * a3[1] + a4[1]),
                vz + dt / 6.0 * (a1[2] + 2.0 * a2[2] + 2.0 * a3[2] + a4[2]),
            )
            if gravity[i] and _height(x, y, z) <= 0.0:
                down = True
                for c in range(6):
                    out[i, s, c] = np.nan
                continue
            out[i, s, 0], out[i, s, 1], out[i, s, 2] = x, y, z
            out[i, s, 3], out[i, s, 4], out[i, s, 5] = vx, vy, vz
    return out


@njit(cache=True)
def _rotating_acc(
    x: float, y: float, z: float, vx: float, vy: float, vz: float, w: float, g: float
) -> tuple[float, float, float]:
    # gravity, Coriolis -2 w x v and centrifugal -w x (w x r), w along z
    if g == 0.0:
        return 0.0, 0.0, 0.0
    inv3 = (x * x + y * y + z * z) ** -1.5
    ax = -MU_EARTH_M3_S2 * x * inv3 + 2.0 * w * vy + w * w * x
    ay = -MU_EARTH_M3_S2 * y * inv3 - 2.0 * w * vx + w * w * y
    az = -MU_EARTH_M3_S2 * z * inv3
    return ax, ay, az
