"""Compiled inner loops of the tracker's prediction (:mod:`skyweave.tracking.motion`).

The tracker predicts every track at every scan, once per IMM mode, and fusion
once per report age: thousands of calls on arrays of a few rows, where the
fixed cost of some twenty small NumPy operations per RK4 derivative dominated.
Here each track is integrated on its own in scalar code compiled by Numba,
with the same model, the same formulas and the same sub-step rule as the NumPy
path of :class:`~skyweave.tracking.motion.Ballistic` (kept as the reference:
``tests/test_motion_kernel.py`` holds the two together to rounding).

The state-transition matrix's derivative ``A(x) Phi`` uses the structure of
``A = [[0, I], [G, D]]`` (``G`` the gravity gradient and drag-height term,
``D`` the Coriolis and drag-velocity term): the same products, without the
zeros.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.constants import G0_MPS2, MU_EARTH_M3_S2
from skyweave.kinematics.ballistic import SCALE_HEIGHT_M
from skyweave.kinematics.kernels import air_density as _density
from skyweave.kinematics.kernels import height_at_radius_m, height_m
from skyweave.tracking.measurement import _predict_polar_rows

FloatArray = NDArray[np.float64]

_N = 42  # a track's RK4 vector: the state (6), then Phi (6x6) row by row


@njit(cache=True)
def _height(x: float, y: float, z: float, flat: bool) -> float:
    # Ground.altitude_m (the radial distance to the WGS84 ellipsoid); z when flat
    return z if flat else height_m(x, y, z)


@njit(cache=True, inline="always")
def _deriv(
    s: FloatArray,
    ds: FloatArray,
    g: FloatArray,
    d: FloatArray,
    hib: float,
    omega: float,
    flat: bool,
) -> None:
    """``ds = f(s)`` of one track's RK4 vector ``s``: its state (6) then ``Phi`` (6x6,
    row-major), whose derivative is ``A(s) Phi`` (Ballistic._deriv).

    ``g`` (d accel / d r) and ``d`` (d accel / d v) are (3, 3) scratch arrays of the
    caller's, zeroed here: allocating them on every call cost more than the arithmetic.
    """
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    for i in range(3):
        for j in range(3):
            g[i, j] = 0.0
            d[i, j] = 0.0
    ds[0], ds[1], ds[2] = vx, vy, vz
    if flat:
        ax, ay, az = 0.0, 0.0, -G0_MPS2
        rn = 1.0
    else:
        rn2 = x * x + y * y + z * z
        rn = math.sqrt(rn2)
        # (-mu) / a is -(mu / a) exactly (rounding is symmetric): one division for both
        k = MU_EARTH_M3_S2 / (rn2 * rn)
        c = -k
        ax, ay, az = x * c, y * c, z * c
        if omega != 0.0:
            ax += 2.0 * omega * vy + omega * omega * x
            ay += -2.0 * omega * vx + omega * omega * y
        k3 = 3.0 * k / rn2
        r3 = (x, y, z)
        for i in range(3):
            for j in range(3):
                g[i, j] = k3 * (r3[i] * r3[j])
            g[i, i] -= k
        if omega != 0.0:
            g[0, 0] += omega * omega
            g[1, 1] += omega * omega
            d[0, 1] = 2.0 * omega
            d[1, 0] = -2.0 * omega
    if hib != 0.0:
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        # rn is the square root height_m takes first (the same operations)
        rho = _density(z if flat else height_at_radius_m(rn, x, y, z))
        m = -hib * rho * speed
        ax += vx * m
        ay += vy * m
        az += vz * m
        speed_c = max(speed, 1e-9)
        cv = -hib * rho
        v3 = (vx, vy, vz)
        if flat:
            up = (0.0, 0.0, 1.0)
        else:
            up = (x / rn, y / rn, z / rn)
        cvs = cv / speed_c
        ch = -cv * speed_c / SCALE_HEIGHT_M
        for i in range(3):
            for j in range(3):
                dv = cvs * (v3[i] * v3[j])
                if i == j:
                    dv += cv * speed_c
                d[i, j] += dv
                g[i, j] += ch * (v3[i] * up[j])
    ds[3], ds[4], ds[5] = ax, ay, az
    for col in range(6):
        for i in range(3):
            ds[6 + 6 * i + col] = s[6 + 6 * (3 + i) + col]
            acc = 0.0
            for j in range(3):
                acc += g[i, j] * s[6 + 6 * j + col]
            for j in range(3):
                acc += d[i, j] * s[6 + 6 * (3 + j) + col]
            ds[6 + 6 * (3 + i) + col] = acc


@njit(cache=True)
def max_step_s(
    x: FloatArray, hib: float, flat: bool, min_step_s: float, max_step_s: float
) -> float:
    """The batch's RK4 sub-step: ``Ballistic._max_step_s`` on rows ``x`` (N, 6)."""
    if hib == 0.0 or x.shape[0] == 0:
        return max_step_s
    tau = math.inf
    for t in range(x.shape[0]):
        rx, ry, rz, vx, vy, vz = x[t, 0], x[t, 1], x[t, 2], x[t, 3], x[t, 4], x[t, 5]
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        rho = _density(_height(rx, ry, rz, flat))
        tau_drag = 1.0 / max(2.0 * hib * rho * speed, 1e-12)
        if flat:
            v_up = abs(vz)
        else:
            v_up = abs(rx * vx + ry * vy + rz * vz) / math.sqrt(rx * rx + ry * ry + rz * rz)
        tau_rho = SCALE_HEIGHT_M / max(v_up, 1e-9) if tau_drag < 1e3 else math.inf
        tau_t = min(tau_drag, tau_rho)
        if math.isfinite(tau_t) and tau_t < tau:
            tau = tau_t
    if not math.isfinite(tau):
        return max_step_s
    return min(max(0.2 * tau, min_step_s), max_step_s)


@njit(cache=True)
def _drag_norm(s: FloatArray, hib: float, flat: bool) -> float:
    """``|drag_mps2|`` of one state."""
    vx, vy, vz = s[3], s[4], s[5]
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    m = -hib * _density(_height(s[0], s[1], s[2], flat)) * speed
    ax, ay, az = vx * m, vy * m, vz * m
    return math.sqrt(ax * ax + ay * ay + az * az)


@njit(cache=True, inline="always")
def _step(s: FloatArray, c: float, k: FloatArray, out: FloatArray) -> None:
    """``out = s + c k``: an RK4 stage's point."""
    for i in range(_N):
        out[i] = s[i] + c * k[i]


@njit(cache=True)
def ballistic_predict(
    x: FloatArray,
    p: FloatArray,
    dt_s: float,
    n_sub: int,
    hib: float,
    omega: float,
    flat: bool,
    q_m2_s3: float,
    drag_sigma_fraction: float,
    drag_correlation_s: float,
) -> tuple[FloatArray, FloatArray]:
    """``Ballistic.predict`` of rows ``x`` (N, 6), ``p`` (N, 6, 6) in ``n_sub`` RK4 sub-steps.

    Per track: RK4 of the state and its transition matrix ``Phi``, the
    process PSD at the larger drag of the step's two ends, then
    ``Phi P Phi^T + Q``.
    """
    n = x.shape[0]
    h = dt_s / n_sub
    adt = abs(dt_s)
    q33 = adt**3 / 3.0
    q32 = adt**2 / 2.0
    xo = np.empty((n, 6))
    po = np.empty((n, 6, 6))
    # per track one vector of the state and Phi, so that each RK4 combination is
    # one loop over 42 numbers (the same formula for the state and for Phi)
    s = np.empty(_N)
    st = np.empty(_N)
    k1, k2, k3, k4 = np.empty(_N), np.empty(_N), np.empty(_N), np.empty(_N)
    phi = s[6:].reshape(6, 6)
    tmp = np.empty((6, 6))
    g = np.empty((3, 3))
    d = np.empty((3, 3))
    drag_q = hib != 0.0 and drag_sigma_fraction != 0.0
    for t in range(n):
        for i in range(6):
            s[i] = x[t, i]
            for j in range(6):
                phi[i, j] = 1.0 if i == j else 0.0
        for _ in range(n_sub):
            _deriv(s, k1, g, d, hib, omega, flat)
            _step(s, 0.5 * h, k1, st)
            _deriv(st, k2, g, d, hib, omega, flat)
            _step(s, 0.5 * h, k2, st)
            _deriv(st, k3, g, d, hib, omega, flat)
            _step(s, h, k3, st)
            _deriv(st, k4, g, d, hib, omega, flat)
            for i in range(_N):
                s[i] = s[i] + (h / 6.0) * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        q = q_m2_s3
        if drag_q:
            a_err = drag_sigma_fraction * max(_drag_norm(x[t], hib, flat), _drag_norm(s, hib, flat))
            q = q_m2_s3 + a_err * a_err * drag_correlation_s
        # Phi P Phi^T in the NumPy order: (Phi P) Phi^T
        for i in range(6):
            for j in range(6):
                acc = 0.0
                for k in range(6):
                    acc += phi[i, k] * p[t, k, j]
                tmp[i, j] = acc
        for i in range(6):
            xo[t, i] = s[i]
            for j in range(6):
                acc = 0.0
                for k in range(6):
                    acc += tmp[i, k] * phi[j, k]
                po[t, i, j] = acc
        for i in range(3):
            po[t, i, i] += q * q33
            po[t, i, i + 3] += q * q32
            po[t, i + 3, i] += q * q32
            po[t, i + 3, i + 3] += q * adt
    return xo, po


@njit(cache=True)
def ballistic_predict_stepped(
    x: FloatArray,
    p: FloatArray,
    dt_s: float,
    hib: float,
    omega: float,
    flat: bool,
    q_m2_s3: float,
    drag_sigma_fraction: float,
    drag_correlation_s: float,
    min_step_s: float,
    max_step: float,
) -> tuple[FloatArray, FloatArray]:
    """``Ballistic.predict``: the batch's sub-step (:func:`max_step_s`), then
    :func:`ballistic_predict` in as many sub-steps as ``dt_s`` needs (one call)."""
    step = max_step_s(x, hib, flat, min_step_s, max_step)
    n_sub = max(1, math.ceil(abs(dt_s) / step))
    return ballistic_predict(
        x, p, dt_s, n_sub, hib, omega, flat, q_m2_s3, drag_sigma_fraction, drag_correlation_s
    )


@njit(cache=True)
def cv_predict(
    x: FloatArray, p: FloatArray, dt_s: float, q_m2_s3: float
) -> tuple[FloatArray, FloatArray]:
    """``ConstantVelocity.predict`` of rows ``x`` (N, 6), ``p`` (N, 6, 6): the same
    blockwise ``F P F^T`` plus the white-acceleration ``Q``."""
    n = x.shape[0]
    # the NumPy path's white_accel_q(q, dt_s): the signed step, as it was
    q33 = q_m2_s3 * (dt_s**3 / 3.0)
    q32 = q_m2_s3 * (dt_s**2 / 2.0)
    q11 = q_m2_s3 * dt_s
    dt2 = dt_s * dt_s
    xo = np.empty((n, 6))
    po = np.empty((n, 6, 6))
    for t in range(n):
        for i in range(3):
            xo[t, i] = x[t, i] + dt_s * x[t, 3 + i]
            xo[t, 3 + i] = x[t, 3 + i]
        for i in range(3):
            for j in range(3):
                b = p[t, i, 3 + j]  # F P F^T blockwise, as the NumPy path writes it
                bt = p[t, j, 3 + i]
                c = p[t, 3 + i, 3 + j]
                po[t, i, j] = p[t, i, j] + dt_s * (b + bt) + dt2 * c
                po[t, i, 3 + j] = b + dt_s * c
                po[t, 3 + i, j] = bt + dt_s * c
                po[t, 3 + i, 3 + j] = c
        for i in range(3):
            po[t, i, i] += q33
            po[t, i, 3 + i] += q32
            po[t, 3 + i, i] += q32
            po[t, 3 + i, 3 + i] += q11
    return xo, po


@njit(cache=True)
def imm_mix(
    mu: FloatArray, pi: FloatArray, xm: FloatArray, pm: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IMM mixing of ``T`` tracks over ``r`` modes (``xm`` (T, r, 6), ``pm`` (T, r, 6, 6)).

    Returns the predicted mode probabilities ``c = mu pi`` (T, r) and the mixed
    initial conditions ``x0`` (T, r, 6), ``P0`` (T, r, 6, 6) of each mode, with
    the weights ``w[i, j] = mu_i pi_ij / c_j``; a mode whose ``c`` has
    underflowed (nothing can switch into it) keeps its own state.
    """
    n, r = mu.shape
    c = np.zeros((n, r))
    x0 = np.zeros((n, r, 6))
    p0 = np.zeros((n, r, 6, 6))
    w = np.empty((r, r))
    spread = np.empty((6, 6))
    d = np.empty(6)
    for t in range(n):
        for j in range(r):
            acc = 0.0
            for i in range(r):
                acc += mu[t, i] * pi[i, j]
            c[t, j] = acc
        for j in range(r):
            cj = max(c[t, j], 1e-300)
            for i in range(r):
                w[i, j] = mu[t, i] * pi[i, j] / cj
            if c[t, j] < 1e-300:
                for i in range(r):
                    w[i, j] = 0.0
                w[j, j] = 1.0
        for j in range(r):
            for a in range(6):
                acc = 0.0
                for i in range(r):
                    acc += w[i, j] * xm[t, i, a]
                x0[t, j, a] = acc
            for a in range(6):
                for b in range(6):
                    spread[a, b] = 0.0
            for i in range(r):
                for a in range(6):
                    d[a] = xm[t, i, a] - x0[t, j, a]
                for a in range(6):
                    for b in range(6):
                        p0[t, j, a, b] += w[i, j] * pm[t, i, a, b]
                        spread[a, b] += w[i, j] * d[a] * d[b]
            for a in range(6):
                for b in range(6):
                    p0[t, j, a, b] += spread[a, b]
    return c, x0, p0


@njit(cache=True)
def imm_combine(xm: FloatArray, pm: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Moment-matched mixture (T, 6), (T, 6, 6) of ``r`` modes weighted by ``mu`` (T, r)."""
    n, r = mu.shape
    x = np.zeros((n, 6))
    p = np.zeros((n, 6, 6))
    spread = np.empty((6, 6))
    d = np.empty(6)
    for t in range(n):
        for a in range(6):
            acc = 0.0
            for j in range(r):
                acc += mu[t, j] * xm[t, j, a]
            x[t, a] = acc
        for a in range(6):
            for b in range(6):
                spread[a, b] = 0.0
        for j in range(r):
            for a in range(6):
                d[a] = xm[t, j, a] - x[t, a]
            for a in range(6):
                for b in range(6):
                    p[t, a, b] += mu[t, j] * pm[t, j, a, b]
                    spread[a, b] += mu[t, j] * d[a] * d[b]
        for a in range(6):
            for b in range(6):
                p[t, a, b] += spread[a, b]
    return x, p


@njit(cache=True)
def imm_store(
    rows: NDArray[np.int64],
    xm_u: FloatArray,
    pm_u: FloatArray,
    mu_u: FloatArray,
    xm: FloatArray,
    pm: FloatArray,
    mu: FloatArray,
    x: FloatArray,
    p: FloatArray,
) -> None:
    """The IMM update's updated modes ``xm_u, pm_u`` and probabilities ``mu_u`` of the
    tracks ``rows`` (distinct) written into the tracker's arrays, with their
    :func:`imm_combine` mixture into ``x, p``, in place (one call for five scatters)."""
    xc, pc = imm_combine(xm_u, pm_u, mu_u)
    for k in range(rows.shape[0]):
        t = rows[k]
        xm[t] = xm_u[k]
        pm[t] = pm_u[k]
        mu[t] = mu_u[k]
        x[t] = xc[k]
        p[t] = pc[k]


#: the kinds of an IMM mode's model in :func:`imm_predict`
MODE_CV = 0
MODE_BALLISTIC = 1


@njit(cache=True)
def imm_predict(
    mu: FloatArray,
    pi: FloatArray,
    xm: FloatArray,
    pm: FloatArray,
    dt_s: float,
    kind: NDArray[np.int64],
    params: FloatArray,
    flat: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """One IMM prediction of ``T`` tracks over ``r`` modes: :func:`imm_mix`, each
    mode's model on its mixed states, then :func:`imm_combine` (one call instead of
    one per step and mode; the same kernels in the same order).

    ``kind[j]`` is :data:`MODE_CV` or :data:`MODE_BALLISTIC`; ``params[j]`` holds
    ``(q_m2_s3, half_inv_beta, omega, min_step_s, max_step_s, drag_sigma_fraction,
    drag_correlation_s)`` (a constant-velocity mode reads only the first) and
    ``flat[j]`` the ballistic frame. Returns ``(xm, pm, c, x, p)`` as
    ``Tracker._imm_predict`` does.
    """
    c, x0, p0 = imm_mix(mu, pi, xm, pm)
    n, r = mu.shape
    xm_n = np.empty((n, r, 6))
    pm_n = np.empty((n, r, 6, 6))
    for j in range(r):
        xj = np.ascontiguousarray(x0[:, j])
        pj = np.ascontiguousarray(p0[:, j])
        if dt_s == 0.0:  # the models' own shortcut: the states as given
            xo, po = xj, pj
        elif kind[j] == MODE_CV:
            xo, po = cv_predict(xj, pj, dt_s, params[j, 0])
        else:
            xo, po = ballistic_predict_stepped(
                xj, pj, dt_s, params[j, 1], params[j, 2], flat[j], params[j, 0],
                params[j, 5], params[j, 6], params[j, 3], params[j, 4],
            )  # fmt: skip
        xm_n[:, j] = xo
        pm_n[:, j] = po
    x, p = imm_combine(xm_n, pm_n, c)
    return xm_n, pm_n, c, x, p


_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True)
def ekf_polar_update(
    x: FloatArray,
    p: FloatArray,
    z: FloatArray,
    sensor_pos_m: FloatArray,
    rot: FloatArray,
    r_diag: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """EKF update of rows ``x`` (N, 6), ``p`` (N, 6, 6) on polar reports ``z`` (N, 3).

    The IMM update of ``Tracker._update`` per (track, mode) row: innovation
    (azimuth wrapped to ``[-pi, pi)``), ``S = H P H^T + R``, the Gaussian
    log-likelihood of the innovation, ``x + K nu`` and the symmetrised
    ``P - K (P H^T)^T``. Returns ``(x, P, log_likelihood)``.
    """
    n = x.shape[0]
    h, hp = _predict_polar_rows(np.ascontiguousarray(x[:, :3]), sensor_pos_m, rot)
    xo = np.empty((n, 6))
    po = np.empty((n, 6, 6))
    ll = np.empty(n)
    nu = np.empty(3)
    pht = np.empty((6, 3))
    s = np.empty((3, 3))
    sinv = np.empty((3, 3))
    gain = np.empty((6, 3))
    for t in range(n):
        for i in range(3):
            nu[i] = z[t, i] - h[t, i]
        nu[1] = (nu[1] + math.pi) % (2.0 * math.pi) - math.pi
        for a in range(6):  # P H^T: the velocity columns of H are zero
            for i in range(3):
                pht[a, i] = p[t, a, 0] * hp[t, i, 0] + p[t, a, 1] * hp[t, i, 1]
                pht[a, i] += p[t, a, 2] * hp[t, i, 2]
        for i in range(3):
            for j in range(3):
                s[i, j] = hp[t, i, 0] * pht[0, j] + hp[t, i, 1] * pht[1, j]
                s[i, j] += hp[t, i, 2] * pht[2, j]
            s[i, i] += r_diag[i]
        # 3 x 3 inverse and determinant by cofactors (S is positive definite)
        c00 = s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]
        c01 = s[1, 2] * s[2, 0] - s[1, 0] * s[2, 2]
        c02 = s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]
        det = s[0, 0] * c00 + s[0, 1] * c01 + s[0, 2] * c02
        sinv[0, 0] = c00 / det
        sinv[1, 0] = c01 / det
        sinv[2, 0] = c02 / det
        sinv[0, 1] = (s[0, 2] * s[2, 1] - s[0, 1] * s[2, 2]) / det
        sinv[1, 1] = (s[0, 0] * s[2, 2] - s[0, 2] * s[2, 0]) / det
        sinv[2, 1] = (s[0, 1] * s[2, 0] - s[0, 0] * s[2, 1]) / det
        sinv[0, 2] = (s[0, 1] * s[1, 2] - s[0, 2] * s[1, 1]) / det
        sinv[1, 2] = (s[0, 2] * s[1, 0] - s[0, 0] * s[1, 2]) / det
        sinv[2, 2] = (s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]) / det
        logdet = math.log(det)
        d2 = 0.0
        for i in range(3):
            for j in range(3):
                d2 += nu[i] * sinv[i, j] * nu[j]
        ll[t] = -0.5 * (d2 + logdet + 3.0 * _LOG_2PI)
        for a in range(6):
            for i in range(3):
                gain[a, i] = pht[a, 0] * sinv[0, i] + pht[a, 1] * sinv[1, i]
                gain[a, i] += pht[a, 2] * sinv[2, i]
            xo[t, a] = x[t, a] + (gain[a, 0] * nu[0] + gain[a, 1] * nu[1] + gain[a, 2] * nu[2])
        for a in range(6):
            for b in range(6):
                kp = gain[a, 0] * pht[b, 0] + gain[a, 1] * pht[b, 1] + gain[a, 2] * pht[b, 2]
                po[t, a, b] = p[t, a, b] - kp
        for a in range(6):
            for b in range(a + 1):
                m = 0.5 * (po[t, a, b] + po[t, b, a])
                po[t, a, b] = m
                po[t, b, a] = m
    return xo, po, ll
