"""The truth flight compiled: the stages of its RK4 step (``ballistic._fly``), its sampling.

The truth flight steps its threats together, each with its own step. As NumPy on
(3, n) arrays a step costs some two hundred small calls whatever the number of
threats; here one compiled call does each stage's arithmetic for every threat, in
scalar code with the operations, and their order, of the NumPy form (so the flight
is the same to the last bit). Two things stay with NumPy between the stages:

* the exponential of the air density: NumPy's ``exp`` (a SIMD routine on some
  CPUs) and libm's ``math.exp`` differ in the last bit for a few per cent of
  arguments, so each stage leaves the exponent in row ``ARG`` and the caller
  writes ``np.exp`` of it into row ``EXP`` before the next stage;
* nothing else: the altitude rate's dot products are summed as ``np.einsum``
  sums them (for a single column it adds the z term before the y term).

State lives in one (``N_ROWS``, n) float64 table, one column per threat, so that
dropping the landed threats is one column selection. :func:`sample_steps` then
samples the steps on the output grid (cubic Hermite, turned to ECEF), as
``ballistic._sample_free_flight`` did in NumPy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.constants import J2_EARTH, MU_EARTH_M3_S2, WGS84_A_M
from skyweave.kinematics.earth import WGS84_B_M

FloatArray = NDArray[np.float64]

RHO0_KG_M3 = 1.225
"""Sea-level density of the exponential atmosphere."""

SCALE_HEIGHT_M = 7_200.0
"""Scale height of the exponential atmosphere."""

ATMOSPHERE_TOP_M = 120_000.0  # above this, drag never limits the step

# the constants as the NumPy form writes them (Python floats, evaluated left to right)
_A2 = WGS84_A_M**2
_B2 = WGS84_B_M**2
_NEG_MU = -MU_EARTH_M3_S2
_KJ2 = -1.5 * J2_EARTH * MU_EARTH_M3_S2 * WGS84_A_M**2

# Rows of the state table. R, V, A: the step's start; RN, VN, AN: its end.
R, V, A = 0, 3, 6
RN, VN, AN = 9, 12, 15
ALT, ALT_NEW, T, T_NEW, RATE, RATE_NEW = 18, 19, 20, 21, 22, 23
DT, HIB, DT_VAC, APOGEE = 24, 25, 26, 27
_P, _ALT_S = 28, 31  # a stage's position (then a4) and height
ARG, EXP = 32, 33  # the density's exponent, and np.exp of it
_V2, _V3, _V4, _A2ROW, _A3ROW = 34, 37, 40, 43, 46  # the stages' velocities, accelerations
N_ROWS = 49

# Stages, in the order the caller runs them (START then END once, at the start)
BEGIN, SECOND, THIRD, FOURTH, END, START = 0, 1, 2, 3, 4, 5

# Settings vector
CFG_OMEGA, CFG_J2, CFG_DRAG, CFG_SPHERE_R, CFG_FRACTION, CFG_MIN_STEP = 0, 1, 2, 3, 4, 5
N_CFG = 6


@njit(cache=True)
def _max(a: float, b: float) -> float:
    """``np.maximum`` of two floats (NaN propagates)."""
    return a if (a >= b or a != a) else b


@njit(cache=True)
def _min(a: float, b: float) -> float:
    """``np.minimum`` of two floats (NaN propagates)."""
    return a if (a <= b or a != a) else b


@njit(cache=True)
def _height(x: float, y: float, z: float, sphere_r: float) -> float:
    """``Ground.altitude_m``: radial height above the sphere (``sphere_r``) or WGS84 (NaN)."""
    r = math.sqrt(x * x + y * y + z * z)
    if sphere_r == sphere_r:
        return r - sphere_r
    q = (x * x + y * y) / _A2 + z * z / _B2
    return r * (1.0 - 1.0 / math.sqrt(q))


@njit(cache=True)
def _stage_point(w: FloatArray, j: int, p: int, sphere_r: float) -> None:
    """Height of the position in rows ``p`` of column ``j`` and its density exponent."""
    h = _height(w[p, j], w[p + 1, j], w[p + 2, j], sphere_r)
    w[_ALT_S, j] = h
    w[ARG, j] = -_max(h, -20_000.0) / SCALE_HEIGHT_M


@njit(cache=True)
def _accel(w: FloatArray, j: int, p: int, q: int, cfg: FloatArray, out: int) -> None:
    """``ballistic._accel`` of position rows ``p`` and velocity rows ``q`` into rows ``out``
    (the density from row ``EXP``)."""
    x, y, z = w[p, j], w[p + 1, j], w[p + 2, j]
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    g = _NEG_MU / (r2 * rn)
    ax, ay, az = g * x, g * y, g * z
    if cfg[CFG_J2] != 0.0:
        zr2 = 5.0 * z * z / r2
        k = _KJ2 / (r2 * r2 * rn)
        ax = ax + k * x * (1.0 - zr2)
        ay = ay + k * y * (1.0 - zr2)
        az = az + k * z * (3.0 - zr2)
    if cfg[CFG_DRAG] != 0.0:
        # velocity relative to the atmosphere, which turns with the Earth
        omega = cfg[CFG_OMEGA]
        wx = w[q, j] + omega * y
        wy = w[q + 1, j] - omega * x
        wz = w[q + 2, j]
        speed = math.sqrt(wx * wx + wy * wy + wz * wz)
        c = -(RHO0_KG_M3 * w[EXP, j]) * speed * w[HIB, j]
        ax = ax + c * wx
        ay = ay + c * wy
        az = az + c * wz
    w[out, j] = ax
    w[out + 1, j] = ay
    w[out + 2, j] = az


@njit(cache=True)
def _dot(w: FloatArray, j: int, a: int, b: int, single: bool) -> float:
    """``np.einsum("ij,ij->j")`` of rows ``a`` and ``b`` at column ``j``."""
    p0 = w[a, j] * w[b, j]
    p1 = w[a + 1, j] * w[b + 1, j]
    p2 = w[a + 2, j] * w[b + 2, j]
    return (p0 + p2) + p1 if single else (p0 + p1) + p2


@njit(cache=True)
def _altitude_rate(w: FloatArray, j: int, single: bool, sphere_r: float) -> float:
    """``Ground.altitude_rate_mps`` of the step's end (rows RN, VN)."""
    rn = math.sqrt(_dot(w, j, RN, RN, single))
    r_dot = _dot(w, j, RN, VN, single) / rn
    if sphere_r == sphere_r:
        return r_dot
    x, y, z = w[RN, j], w[RN + 1, j], w[RN + 2, j]
    q = (x * x + y * y) / _A2 + z * z / _B2
    q_dot = 2.0 * ((x * w[VN, j] + y * w[VN + 1, j]) / _A2 + z * w[VN + 2, j] / _B2)
    inv_sqrt_q = 1.0 / math.sqrt(q)
    return r_dot * (1.0 - inv_sqrt_q) + 0.5 * rn * inv_sqrt_q / q * q_dot


@njit(cache=True)
def _step_size(w: FloatArray, j: int, cfg: FloatArray) -> float:
    """``ballistic._step_size`` of column ``j`` (row ``EXP``: the density at the start)."""
    dtv = w[DT_VAC, j]
    if cfg[CFG_DRAG] == 0.0:
        return dtv
    omega = cfg[CFG_OMEGA]
    vx = w[V, j] + omega * w[R + 1, j]
    vy = w[V + 1, j] - omega * w[R, j]
    vz = w[V + 2, j]
    speed = _max(math.sqrt(vx * vx + vy * vy + vz * vz), 1.0)
    rho = RHO0_KG_M3 * w[EXP, j]
    hib = w[HIB, j]
    # Two time scales: drag changes the speed by a factor e over 2 beta / (rho v),
    # and the density changes by e over H / v. The density scale only matters
    # where drag is felt: eps is the fraction of speed lost per scale height, and
    # where it is small the step may be longer than H / v (by up to 10x).
    eps = rho * SCALE_HEIGHT_M * hib
    tau_h = SCALE_HEIGHT_M / speed / math.sqrt(_min(_max(eps / 0.01, 0.01), 1.0))
    tau_d = 1.0 / _max(2.0 * rho * speed * hib, 1e-12)
    dt = _min(_max(cfg[CFG_FRACTION] * _min(tau_h, tau_d), cfg[CFG_MIN_STEP]), dtv)
    return dt if w[ALT, j] < ATMOSPHERE_TOP_M else dtv


@njit(cache=True)
def _apogee_top(w: FloatArray, j: int) -> float:
    """Top of the step's cubic Hermite of altitude, sampled at 33 points (NaN propagates)."""
    p0, d0, p1, d1, h = w[ALT, j], w[RATE, j], w[ALT_NEW, j], w[RATE_NEW, j], w[DT, j]
    top = -math.inf
    for i in range(33):
        s = i / 32.0  # np.linspace(0, 1, 33), exactly
        s2 = s * s
        s3 = s2 * s
        f = (
            (2 * s3 - 3 * s2 + 1) * p0
            + (s3 - 2 * s2 + s) * h * d0
            + (-2 * s3 + 3 * s2) * p1
            + (s3 - s2) * h * d1
        )
        if i == 0 or f != f or f > top:
            top = f
            if f != f:
                return f
    return top


@njit(cache=True)
def flight_stage(stage: int, w: FloatArray, cfg: FloatArray) -> None:
    """Run one stage of the RK4 step on every column of the state table ``w``."""
    sphere_r = cfg[CFG_SPHERE_R]
    single = w.shape[1] == 1
    for j in range(w.shape[1]):
        if stage == START:
            _stage_point(w, j, RN, sphere_r)
            w[ALT_NEW, j] = w[_ALT_S, j]
        elif stage == BEGIN:
            for k in range(9):  # the last step's end is this step's start
                w[R + k, j] = w[RN + k, j]
            w[ALT, j], w[T, j], w[RATE, j] = w[ALT_NEW, j], w[T_NEW, j], w[RATE_NEW, j]
            dt = _step_size(w, j, cfg)
            half = 0.5 * dt
            w[DT, j] = dt
            for k in range(3):
                w[_V2 + k, j] = w[V + k, j] + half * w[A + k, j]
                w[_P + k, j] = w[R + k, j] + half * w[V + k, j]
            _stage_point(w, j, _P, sphere_r)
        elif stage == SECOND:
            _accel(w, j, _P, _V2, cfg, _A2ROW)
            half = 0.5 * w[DT, j]
            for k in range(3):
                w[_V3 + k, j] = w[V + k, j] + half * w[_A2ROW + k, j]
                w[_P + k, j] = w[R + k, j] + half * w[_V2 + k, j]
            _stage_point(w, j, _P, sphere_r)
        elif stage == THIRD:
            _accel(w, j, _P, _V3, cfg, _A3ROW)
            dt = w[DT, j]
            for k in range(3):
                w[_V4 + k, j] = w[V + k, j] + dt * w[_A3ROW + k, j]
                w[_P + k, j] = w[R + k, j] + dt * w[_V3 + k, j]
            _stage_point(w, j, _P, sphere_r)
        elif stage == FOURTH:
            _accel(w, j, _P, _V4, cfg, _P)  # a4 over the stage position
            dt = w[DT, j]
            sixth = dt / 6.0
            for k in range(3):
                v, v2, v3, v4 = w[V + k, j], w[_V2 + k, j], w[_V3 + k, j], w[_V4 + k, j]
                a, a2, a3 = w[A + k, j], w[_A2ROW + k, j], w[_A3ROW + k, j]
                w[RN + k, j] = w[R + k, j] + sixth * (v + 2.0 * (v2 + v3) + v4)
                w[VN + k, j] = v + sixth * (a + 2.0 * (a2 + a3) + w[_P + k, j])
            w[T_NEW, j] = w[T, j] + dt
            _stage_point(w, j, RN, sphere_r)
            w[ALT_NEW, j] = w[_ALT_S, j]
        else:  # END: the acceleration, altitude rate and apogee at the step's end
            alt_new = w[ALT_NEW, j]
            _accel(w, j, RN, VN, cfg, AN)
            w[APOGEE, j] = _max(w[APOGEE, j], alt_new)
            rate_new = _altitude_rate(w, j, single, sphere_r)
            w[RATE_NEW, j] = rate_new
            if w[RATE, j] > 0.0 and rate_new <= 0.0:
                w[APOGEE, j] = _max(w[APOGEE, j], _apogee_top(w, j))


@njit(cache=True)
def sample_steps(
    times: FloatArray,
    cos_t: FloatArray,
    sin_t: FloatArray,
    omega: float,
    t_h: FloatArray,
    rva_h: FloatArray,
    n_valid: NDArray[np.int64],
    t_burnout: FloatArray,
    t_end: FloatArray,
    offset: FloatArray,
    span: float,
    cols: NDArray[np.int64],
    states: FloatArray,
) -> None:
    """The free-flight samples of ``ballistic._sample_free_flight``, written to ``states``.

    Threat ``i`` (column ``cols[i]`` of ``states`` (T, N, 6)) is sampled at every
    time in ``[t_burnout[i], t_end[i]]`` on the cubic Hermite of its steps (``t_h``
    (K, m) since burnout, ``rva_h`` (K, m, 9) inertial), then turned to ECEF by the
    angle whose cosine and sine at each time are ``cos_t``, ``sin_t``. The step of a
    sample is the one NumPy's search finds over the threats' step times offset by
    ``offset`` (padded with ``span``): the same sums, compared the same way.
    """
    n_steps, m = t_h.shape
    o = np.empty(6)
    for i in range(m):
        tb, te, off = t_burnout[i], t_end[i], offset[i]
        last = max(n_valid[i] - 2, 0)
        count = 0  # step times (offset) at or before the sample's
        for j in range(times.shape[0]):
            if not (times[j] >= tb and times[j] <= te):
                continue
            tau = times[j] - tb
            q = tau + off
            while count < n_steps:
                t_k = t_h[count, i]
                if not (t_k if math.isfinite(t_k) else span) + off <= q:
                    break
                count += 1
            k0 = min(max(count - 1, 0), last)
            k1 = min(k0 + 1, n_valid[i] - 1)
            t0 = t_h[k0, i]
            h = t_h[k1, i] - t0
            s = (tau - t0) / h if h > 0.0 else 0.0
            s2 = s * s
            s3 = s2 * s
            c00 = 2 * s3 - 3 * s2 + 1
            c10 = (s3 - 2 * s2 + s) * h
            c01 = -2 * s3 + 3 * s2
            c11 = (s3 - s2) * h
            y0 = rva_h[k0, i]
            y1 = rva_h[k1, i]
            for c in range(6):
                o[c] = c00 * y0[c] + c10 * y0[c + 3] + c01 * y1[c] + c11 * y1[c + 3]
            # inertial -> ECEF at the sample time (see earth.inertial_to_ecef)
            cs, sn = cos_t[j], sin_t[j]
            x, y = cs * o[0] - sn * o[1], sn * o[0] + cs * o[1]
            vx, vy = cs * o[3] - sn * o[4], sn * o[3] + cs * o[4]
            out = states[j, cols[i]]
            out[0], out[1], out[2] = x, y, o[2]
            out[3], out[4], out[5] = vx + omega * y, vy - omega * x, o[5]
