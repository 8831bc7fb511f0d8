"""Compiled parts of :class:`skyweave.tracking.tracker.Tracker`: M-of-N counts and gating.

The tracker runs its bookkeeping after every scan, on arrays of a few tracks, where
the fixed cost of some fifteen small NumPy operations outweighed the work. This loop
does the same integer and boolean updates track by track (the one floating-point
operation, the coast time ``time_s - last_update_s``, is the same subtraction), so
it gives exactly what the NumPy form gave (``tests/test_tracker_kernel.py``). The
state-only deletion tests (position sigma, height above the ellipsoid) follow it the
same way: :func:`skyweave.tracking.tracker._pos_sigma` and
:meth:`skyweave.kinematics.earth.Ground.altitude_m`, operation for operation.

The gate's (track, report) pairs and their squared distances are likewise one loop
over the candidate windows instead of some twenty-five small NumPy calls: the same
pair order and the same per-pair formula, operation for operation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.kinematics.kernels import height_m
from skyweave.tracking.linalg_kernel import dot3_einsum, dot3_gemm, dot3_gemv, inv3
from skyweave.tracking.measurement import _predict_polar_rows
from skyweave.tracking.motion_kernel import ekf_polar_update

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TWO_PI = 2.0 * np.pi


@njit(cache=True)
def manage_counts(
    track_id: IntArray,
    hits: IntArray,
    opps: IntArray,
    misses: IntArray,
    last_update_s: FloatArray,
    hit: BoolArray,
    in_cover: BoolArray,
    time_s: float,
    confirm_hits: int,
    max_tentative_misses: int,
    delete_after_misses: int,
    max_coast_s: float,
    next_id: int,
) -> tuple[BoolArray, int]:
    """Update the M-of-N counters in place after a scan; return ``(dead, next_id)``.

    Parameters
    ----------
    track_id, hits, opps, misses : (T,) int64
        Updated in place: a hit counts a hit (and an opportunity for a tentative
        track) and clears the misses; a track in cover but not hit counts a miss (and
        an opportunity if tentative). A tentative track that reaches
        ``confirm_hits`` gets the next id.
    last_update_s : (T,) float64
        Set to ``time_s`` where hit.
    hit, in_cover : (T,) bool
    time_s : float
        The scan time.
    confirm_hits, max_tentative_misses, delete_after_misses : int
        M, ``N - M`` and the confirmed tracks' consecutive-miss limit.
    max_coast_s : float
    next_id : int
        The id the next confirmed track gets.

    Returns
    -------
    dead : (T,) bool
        Tentative tracks past ``N - M`` missed opportunities, confirmed tracks at
        the miss limit and tracks coasted longer than ``max_coast_s`` (the tests on
        the state itself are the caller's).
    next_id : int
    """
    n = track_id.shape[0]
    dead = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        tentative = track_id[t] < 0
        if hit[t]:
            hits[t] += 1
            misses[t] = 0
            if tentative:
                opps[t] += 1
            last_update_s[t] = time_s
        elif in_cover[t]:
            misses[t] += 1
            if tentative:
                opps[t] += 1
        if tentative and hits[t] >= confirm_hits:
            track_id[t] = next_id
            next_id += 1
            tentative = False
        if tentative:
            dead[t] = opps[t] - hits[t] > max_tentative_misses
        else:
            dead[t] = misses[t] >= delete_after_misses
        if time_s - last_update_s[t] > max_coast_s:
            dead[t] = True
    return dead, next_id


@njit(cache=True)
def gate_pairs(
    z: FloatArray,
    order: IntArray,
    lo: IntArray,
    hi: IntArray,
    h: FloatArray,
    sinv: NDArray[np.floating[Any]],
    gate: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """The (track, report) pairs of the candidate windows inside the gate.

    Parameters
    ----------
    z : (M, 3) float64
        Reports.
    order : (M,) int64
        Reports sorted by range; track ``t``'s candidates are ``order[lo[t]:hi[t]]``.
    lo, hi : (T,) int64
    h : (T, 3) float64
        Predicted measurements.
    sinv : (T, 3, 3) float64
        ``S^-1`` (read for the tracks with a candidate only).
    gate : float
        Chi-square gate on the squared Mahalanobis distance.

    Returns
    -------
    pt, pm : (P,) int64
        Track and report of each gated pair, by track then window order.
    d2 : (P,) float64
        ``nu^T S^-1 nu`` with the azimuth innovation wrapped to ``[-pi, pi)``, in the
        NumPy form's order of operations.
    """
    total = 0
    for t in range(lo.shape[0]):
        total += hi[t] - lo[t]
    pt = np.empty(total, dtype=np.int64)
    pm = np.empty(total, dtype=np.int64)
    d2 = np.empty(total)
    k = 0
    for t in range(lo.shape[0]):
        for j in range(lo[t], hi[t]):
            m = order[j]
            n0 = z[m, 0] - h[t, 0]
            n1 = (z[m, 1] - h[t, 1] + np.pi) % TWO_PI - np.pi  # wrap_pi
            n2 = z[m, 2] - h[t, 2]
            cross = sinv[t, 0, 1] * n0 * n1 + sinv[t, 0, 2] * n0 * n2 + sinv[t, 1, 2] * n1 * n2
            v = (
                sinv[t, 0, 0] * n0 * n0
                + sinv[t, 1, 1] * n1 * n1
                + sinv[t, 2, 2] * n2 * n2
                + 2.0 * cross
            )
            if v < gate:
                pt[k] = t
                pm[k] = m
                d2[k] = v
                k += 1
    return pt[:k], pm[:k], d2[:k]


@njit(cache=True)
def in_cover(
    h: FloatArray,
    max_range_m: float,
    min_elevation_rad: float,
    max_elevation_rad: float,
    boresight_azimuth_rad: float,
    half_width_azimuth_rad: float,
) -> BoolArray:
    """Tracks whose predicted measurement ``h`` (T, 3) a scan was expected to see: in
    range, between the elevation limits and, for a sector radar, within the azimuth
    half-width of the boresight (the wrapped offset, ``wrap_pi``'s formula)."""
    n = h.shape[0]
    sector = half_width_azimuth_rad < np.pi  # |wrap_pi(a)| <= pi: all-round passes all
    out = np.empty(n, dtype=np.bool_)
    for t in range(n):
        ok = h[t, 0] <= max_range_m and min_elevation_rad <= h[t, 2] <= max_elevation_rad
        if ok and sector:
            off = (h[t, 1] - boresight_azimuth_rad + np.pi) % TWO_PI - np.pi
            ok = abs(off) <= half_width_azimuth_rad
        out[t] = ok
    return out


@njit(cache=True)
def scan_prediction(
    x: FloatArray,
    sensor_pos_m: FloatArray,
    rot: FloatArray,
    max_range_m: float,
    min_elevation_rad: float,
    max_elevation_rad: float,
    boresight_azimuth_rad: float,
    half_width_azimuth_rad: float,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The tracks' (``x`` (T, 6)) predicted polar measurements and Jacobians
    (:func:`skyweave.tracking.measurement.predict_polar`) and which of them the scan was
    expected to see (:func:`in_cover` of those measurements), in one call."""
    h, hp = _predict_polar_rows(np.ascontiguousarray(x[:, :3]), sensor_pos_m, rot)
    cover = in_cover(
        h,
        max_range_m,
        min_elevation_rad,
        max_elevation_rad,
        boresight_azimuth_rad,
        half_width_azimuth_rad,
    )
    return h, hp, cover


@njit(cache=True)
def ellipsoid_altitude_m(pos: FloatArray) -> FloatArray:
    """Heights of rows ``(x, y, z, ...)`` above the WGS84 ground (``Ground().altitude_m``)."""
    n = pos.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = height_m(pos[i, 0], pos[i, 1], pos[i, 2])
    return out


@njit(cache=True)
def state_dead(
    x: FloatArray,
    p: FloatArray,
    start: int,
    max_pos_sigma_m: float,
    min_altitude_m: float,
    dead: BoolArray,
) -> bool:
    """Mark rows ``start:`` whose position sigma exceeds ``max_pos_sigma_m`` or whose
    position is below ``min_altitude_m`` (not tested for -inf) dead, in place; return
    whether any row of ``dead`` is."""
    below = math.isfinite(min_altitude_m)
    for i in range(start, x.shape[0]):
        if math.sqrt(p[i, 0, 0] + p[i, 1, 1] + p[i, 2, 2]) > max_pos_sigma_m:
            dead[i] = True
        elif below and height_m(x[i, 0], x[i, 1], x[i, 2]) < min_altitude_m:
            dead[i] = True
    for i in range(dead.shape[0]):
        if dead[i]:
            return True
    return False


@njit(cache=True)
def innovation_cov(
    p: FloatArray, hp: FloatArray, r_diag: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``P H^T`` (T, 6, 3) and ``S = H P H^T + R`` (T, 3, 3) of every track.

    ``H``'s velocity columns are zero, so ``P H^T = P[:, :, :3] Hp^T`` and
    ``S = Hp (P H^T)[:, :3] + R``: the two stacked products of the NumPy form, each
    element in ``dgemm``'s order (:func:`~skyweave.tracking.linalg_kernel.dot3_gemm`),
    then ``R``'s diagonal added.
    """
    n = p.shape[0]
    pht = np.empty((n, 6, 3))
    s = np.empty((n, 3, 3))
    for t in range(n):
        for a in range(6):
            for i in range(3):
                pht[t, a, i] = dot3_gemm(
                    p[t, a, 0], p[t, a, 1], p[t, a, 2], hp[t, i, 0], hp[t, i, 1], hp[t, i, 2]
                )
        for i in range(3):
            for j in range(3):
                s[t, i, j] = dot3_gemm(
                    hp[t, i, 0], hp[t, i, 1], hp[t, i, 2], pht[t, 0, j], pht[t, 1, j], pht[t, 2, j]
                )
            s[t, i, i] += r_diag[i]
    return pht, s


@njit(cache=True)
def gated_pairs(
    z: FloatArray, h: FloatArray, s: FloatArray, gate: float
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """All (track, report) pairs inside the chi-square gate (``Tracker``'s gate).

    A pair can pass only if the report range lies within ``+- sqrt(gate S_rr)`` of
    the predicted range: reports sorted by range (stable), each track's window found
    by binary search, ``S^-1`` of the tracks with a candidate only (``np.linalg.inv``'s
    LAPACK call), then :func:`gate_pairs` on the windows.

    Returns
    -------
    pt, pm : (P,) int64
    d2 : (P,) float64
    sinv : (T, 3, 3) float64
        ``S^-1`` of the tracks with a candidate report (zero elsewhere, never read).
    """
    order = np.argsort(z[:, 0], kind="mergesort")
    zr = np.empty(order.shape[0])
    for j in range(order.shape[0]):
        zr[j] = z[order[j], 0]
    n = h.shape[0]
    lo = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    sinv = np.zeros((n, 3, 3))
    for t in range(n):
        half = np.sqrt(gate * s[t, 0, 0])
        lo[t] = np.searchsorted(zr, h[t, 0] - half, side="left")
        hi[t] = np.searchsorted(zr, h[t, 0] + half, side="right")
        if hi[t] != lo[t]:
            sinv[t] = inv3(s[t])
    pt, pm, d2 = gate_pairs(z, order, lo, hi, h, sinv, gate)
    return pt, pm, d2, sinv


@njit(cache=True)
def _far_rows(
    x_pred: FloatArray, x_upd: FloatArray, sensor_pos_m: FloatArray, sigmas: FloatArray
) -> IntArray:
    """Rows whose one-step update moved them so far that the neglected second-order
    term ``d^2 / (2 r)`` exceeds a tenth of the measurement noise (``_iekf_refine``)."""
    n = x_pred.shape[0]
    keep = np.empty(n, dtype=np.int64)
    k = 0
    ang = min(sigmas[1], sigmas[2])
    for t in range(n):
        r0 = x_pred[t, 0] - sensor_pos_m[0]
        r1 = x_pred[t, 1] - sensor_pos_m[1]
        r2 = x_pred[t, 2] - sensor_pos_m[2]
        rng = np.sqrt(dot3_einsum(r0, r1, r2, r0, r1, r2))
        d0 = x_upd[t, 0] - x_pred[t, 0]
        d1 = x_upd[t, 1] - x_pred[t, 1]
        d2 = x_upd[t, 2] - x_pred[t, 2]
        second_order = dot3_einsum(d0, d1, d2, d0, d1, d2) / (2.0 * rng)
        v = rng * ang
        noise = sigmas[0] if sigmas[0] <= v else v  # np.minimum (NaN from v kept)
        if second_order > 0.1 * noise:
            keep[k] = t
            k += 1
    return keep[:k]


@njit(cache=True)
def iekf_refine(
    x_pred: FloatArray,
    p_pred: FloatArray,
    z: FloatArray,
    x_upd: FloatArray,
    p_upd: FloatArray,
    sensor_pos_m: FloatArray,
    rot: FloatArray,
    sigmas: FloatArray,
    max_iter: int,
) -> tuple[FloatArray, FloatArray]:
    """``Tracker._iekf_refine`` compiled: the rows :func:`_far_rows` picks get the
    Gauss-Newton iterations of the iterated EKF, all rows together until the largest
    position step is under a millimetre; the other rows keep the one-step update.

    Every product is in the NumPy form's order (:mod:`~skyweave.tracking.linalg_kernel`)
    and ``S^-1`` is its LAPACK call, so the result is the NumPy form's bit for bit
    (``tests/test_tracker_kernel.py``).
    """
    idx = _far_rows(x_pred, x_upd, sensor_pos_m, sigmas)
    k = idx.shape[0]
    if k == 0:
        return x_upd, p_upd
    r_full = np.diag(sigmas * sigmas)
    xi = np.empty((k, 6))
    pos = np.empty((k, 3))
    for t in range(k):
        for a in range(6):
            xi[t, a] = x_upd[idx[t], a]
    pht = np.empty((k, 6, 3))
    gain = np.empty((k, 6, 3))
    s = np.empty((3, 3))
    nu = np.empty(3)
    for _ in range(max_iter):
        for t in range(k):
            pos[t, 0], pos[t, 1], pos[t, 2] = xi[t, 0], xi[t, 1], xi[t, 2]
        h, hp = _predict_polar_rows(pos, sensor_pos_m, rot)
        x_new = np.empty((k, 6))
        step = 0.0
        for t in range(k):
            r = idx[t]
            dx0 = x_pred[r, 0] - xi[t, 0]
            dx1 = x_pred[r, 1] - xi[t, 1]
            dx2 = x_pred[r, 2] - xi[t, 2]
            for i in range(3):  # nu_i = z - h(x_i) - H_i (x_pred - x_i), azimuth wrapped
                res = z[r, i] - h[t, i]
                if i == 1:
                    res = (res + np.pi) % TWO_PI - np.pi
                nu[i] = res - dot3_gemv(hp[t, i, 0], hp[t, i, 1], hp[t, i, 2], dx0, dx1, dx2)
            for a in range(6):
                for i in range(3):
                    pht[t, a, i] = dot3_gemm(
                        p_pred[r, a, 0],
                        p_pred[r, a, 1],
                        p_pred[r, a, 2],
                        hp[t, i, 0],
                        hp[t, i, 1],
                        hp[t, i, 2],
                    )
            for i in range(3):
                for j in range(3):
                    s[i, j] = (
                        dot3_gemm(
                            hp[t, i, 0],
                            hp[t, i, 1],
                            hp[t, i, 2],
                            pht[t, 0, j],
                            pht[t, 1, j],
                            pht[t, 2, j],
                        )
                        + r_full[i, j]
                    )
            sinv = inv3(s)
            for a in range(6):
                for j in range(3):
                    gain[t, a, j] = dot3_gemm(
                        pht[t, a, 0], pht[t, a, 1], pht[t, a, 2], sinv[0, j], sinv[1, j], sinv[2, j]
                    )
                x_new[t, a] = x_pred[r, a] + dot3_gemv(
                    gain[t, a, 0], gain[t, a, 1], gain[t, a, 2], nu[0], nu[1], nu[2]
                )
            for a in range(3):  # np.max(np.abs(...)): a NaN stays
                v = abs(x_new[t, a] - xi[t, a])
                if v > step or v != v:
                    step = v
        xi = x_new
        if step < 1e-3:
            break
    x_out = x_upd.copy()
    p_out = p_upd.copy()
    pn = np.empty((6, 6))
    for t in range(k):
        r = idx[t]
        for a in range(6):
            x_out[r, a] = xi[t, a]
            for b in range(6):
                g0, g1, g2 = gain[t, a, 0], gain[t, a, 1], gain[t, a, 2]
                kp = dot3_gemm(g0, g1, g2, pht[t, b, 0], pht[t, b, 1], pht[t, b, 2])
                pn[a, b] = p_pred[r, a, b] - kp
        for a in range(6):
            for b in range(6):
                p_out[r, a, b] = 0.5 * (pn[a, b] + pn[b, a])
    return x_out, p_out


@njit(cache=True)
def new_tracks(
    z: FloatArray,
    trig: FloatArray,
    sigmas: FloatArray,
    sensor_pos_m: FloatArray,
    rot: FloatArray,
    velocity_var: float,
    mu0: FloatArray,
    gemv_order: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """States of single-point tracks from polar reports ``z`` (M, 3): the position and
    its linearised covariance of :func:`~skyweave.tracking.measurement.polar_to_cartesian`,
    zero velocity of variance ``velocity_var`` per axis; and the same in every IMM mode.

    ``trig`` (4, M) holds ``cos(az), sin(az), cos(el), sin(el)`` (NumPy's, whose last
    bits a compiled ``cos`` need not share). The products are the NumPy form's:
    ``R J`` and ``(J' S) J'^T`` in ``dgemm``'s order, and ``enu R^T`` (one ``(M, 3)``
    product) in ``dgemm``'s order, or in ``dgemv``'s where ``gemv_order`` (NumPy's call
    for a single report with ``R`` C-contiguous; with ``R`` Fortran-ordered, as a
    site's rotation is, its ``dgemv`` sums in ``dgemm``'s order).

    Returns
    -------
    x : (M, 6)
    p : (M, 6, 6)
    xm : (M, r, 6)
    pm : (M, r, 6, 6)
        ``x`` and ``p`` in each of the ``r = len(mu0)`` modes.
    mu : (M, r)
        ``mu0`` per track.
    """
    n = z.shape[0]
    n_modes = mu0.shape[0]
    x = np.zeros((n, 6))
    p = np.zeros((n, 6, 6))
    jac = np.empty((3, 3))
    jf = np.empty((3, 3))
    var = sigmas * sigmas
    for m in range(n):
        r = z[m, 0]
        ca, sa, ce, se = trig[0, m], trig[1, m], trig[2, m], trig[3, m]
        e0, e1, e2 = r * ce * sa, r * ce * ca, r * se
        for j in range(3):
            if gemv_order:
                v = dot3_gemv(e0, e1, e2, rot[j, 0], rot[j, 1], rot[j, 2])
            else:
                v = dot3_gemm(e0, e1, e2, rot[j, 0], rot[j, 1], rot[j, 2])
            x[m, j] = v + sensor_pos_m[j]
        jac[0, 0], jac[0, 1], jac[0, 2] = ce * sa, r * ce * ca, -r * se * sa
        jac[1, 0], jac[1, 1], jac[1, 2] = ce * ca, -r * ce * sa, -r * se * ca
        jac[2, 0], jac[2, 1], jac[2, 2] = se, 0.0, r * ce
        for i in range(3):  # d pos_frame / d (r, az, el)
            for j in range(3):
                jf[i, j] = dot3_gemm(
                    rot[i, 0], rot[i, 1], rot[i, 2], jac[0, j], jac[1, j], jac[2, j]
                )
        for i in range(3):
            w0, w1, w2 = jf[i, 0] * var[0], jf[i, 1] * var[1], jf[i, 2] * var[2]
            for j in range(3):
                p[m, i, j] = dot3_gemm(w0, w1, w2, jf[j, 0], jf[j, 1], jf[j, 2])
        p[m, 3, 3] = p[m, 4, 4] = p[m, 5, 5] = velocity_var
    xm = np.empty((n, n_modes, 6))
    pm = np.empty((n, n_modes, 6, 6))
    mu = np.empty((n, n_modes))
    for m in range(n):
        for j in range(n_modes):
            xm[m, j] = x[m]
            pm[m, j] = p[m]
            mu[m, j] = mu0[j]
    return x, p, xm, pm, mu


@njit(cache=True)
def imm_update(
    xm: FloatArray,
    pm: FloatArray,
    tr: IntArray,
    z: FloatArray,
    me: IntArray,
    sensor_pos_m: FloatArray,
    rot: FloatArray,
    sigmas: FloatArray,
    max_iter: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The IMM update of tracks ``tr`` with reports ``me``, every mode on its own
    linearisation: :func:`~skyweave.tracking.motion_kernel.ekf_polar_update` of each
    (track, mode) row, then :func:`iekf_refine` of the rows, gathered here.

    Returns
    -------
    xm, pm : (K, r, 6), (K, r, 6, 6)
        Updated mode states and covariances of the ``K`` tracks.
    log_likelihood : (K, r)
    """
    k = tr.shape[0]
    r = xm.shape[1]
    xf = np.empty((k * r, 6))
    pf = np.empty((k * r, 6, 6))
    zf = np.empty((k * r, 3))
    for i in range(k):
        for j in range(r):
            xf[i * r + j] = xm[tr[i], j]
            pf[i * r + j] = pm[tr[i], j]
            zf[i * r + j] = z[me[i]]
    xu, pu, ll = ekf_polar_update(xf, pf, zf, sensor_pos_m, rot, sigmas * sigmas)
    xu, pu = iekf_refine(xf, pf, zf, xu, pu, sensor_pos_m, rot, sigmas, max_iter)
    return xu.reshape((k, r, 6)), pu.reshape((k, r, 6, 6)), ll.reshape((k, r))


@njit(cache=True)
def keep_and_append_states(
    rows: IntArray,
    x: FloatArray,
    p: FloatArray,
    xm: FloatArray,
    pm: FloatArray,
    mu: FloatArray,
    new_x: FloatArray,
    new_p: FloatArray,
    new_xm: FloatArray,
    new_pm: FloatArray,
    new_mu: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The track states' rows ``rows``, then the new tracks' rows, in one copy each
    (what ``take`` then ``concatenate`` gave). A tracker without IMM modes keeps its
    empty mode arrays (``xm.shape[1] == 0``)."""
    m, n = rows.shape[0], new_x.shape[0]
    r = xm.shape[1]
    m_modes, n_modes = (m, n) if r else (0, 0)
    xo = np.empty((m + n, 6))
    po = np.empty((m + n, 6, 6))
    xmo = np.empty((m_modes + n_modes, r, 6))
    pmo = np.empty((m_modes + n_modes, r, 6, 6))
    muo = np.empty((m_modes + n_modes, r))
    for i in range(m):
        xo[i] = x[rows[i]]
        po[i] = p[rows[i]]
    for i in range(m_modes):
        xmo[i] = xm[rows[i]]
        pmo[i] = pm[rows[i]]
        muo[i] = mu[rows[i]]
    for i in range(n):
        xo[m + i] = new_x[i]
        po[m + i] = new_p[i]
    for i in range(n_modes):
        xmo[m + i] = new_xm[i]
        pmo[m + i] = new_pm[i]
        muo[m + i] = new_mu[i]
    return xo, po, xmo, pmo, muo


@njit(cache=True)
def keep_and_append_counts(
    rows: IntArray,
    track_id: IntArray,
    hits: IntArray,
    opps: IntArray,
    misses: IntArray,
    last_update_s: FloatArray,
    sources: BoolArray,
    n_new: int,
    time_s: float,
    sensor_column: int,
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, BoolArray]:
    """The bookkeeping arrays' rows ``rows``, then ``n_new`` new tentative tracks seen
    once, at ``time_s``, by sensor column ``sensor_column``."""
    m = rows.shape[0]
    t = m + n_new
    tid = np.empty(t, dtype=np.int64)
    hit = np.empty(t, dtype=np.int64)
    opp = np.empty(t, dtype=np.int64)
    mis = np.empty(t, dtype=np.int64)
    last = np.empty(t)
    src = np.zeros((t, sources.shape[1]), dtype=np.bool_)
    for i in range(m):
        k = rows[i]
        tid[i], hit[i], opp[i], mis[i] = track_id[k], hits[k], opps[k], misses[k]
        last[i] = last_update_s[k]
        src[i] = sources[k]
    for i in range(m, t):
        tid[i], hit[i], opp[i], mis[i] = -1, 1, 1, 0
        last[i] = time_s
        src[i, sensor_column] = True
    return tid, hit, opp, mis, last, src


@njit(cache=True)
def manage_scan(
    track_id: IntArray,
    hits: IntArray,
    opps: IntArray,
    misses: IntArray,
    last_update_s: FloatArray,
    sources: BoolArray,
    x: FloatArray,
    p: FloatArray,
    assigned_tr: IntArray,
    sensor_column: int,
    in_cover: BoolArray,
    time_s: float,
    confirm_hits: int,
    max_tentative_misses: int,
    delete_after_misses: int,
    max_coast_s: float,
    next_id: int,
    checked: int,
    max_pos_sigma_m: float,
    min_altitude_m: float,
) -> tuple[IntArray, bool, bool, int]:
    """A scan's track management in one call: the assigned tracks marked hit and fed by
    ``sensor_column`` (in place), :func:`manage_counts`, then :func:`state_dead` on the
    rows from ``checked`` on.

    Returns
    -------
    keep : (K,) int64
        The rows not dead (all rows when ``any_dead`` is False).
    any_dead : bool
    confirmed_dead : bool
        A confirmed track is among the dead.
    next_id : int
    """
    n = track_id.shape[0]
    hit = np.zeros(n, dtype=np.bool_)
    for t in assigned_tr:
        hit[t] = True
        sources[t, sensor_column] = True
    dead, next_id = manage_counts(
        track_id,
        hits,
        opps,
        misses,
        last_update_s,
        hit,
        in_cover,
        time_s,
        confirm_hits,
        max_tentative_misses,
        delete_after_misses,
        max_coast_s,
        next_id,
    )
    any_dead = state_dead(x, p, checked, max_pos_sigma_m, min_altitude_m, dead)
    confirmed_dead = False
    keep = np.empty(n, dtype=np.int64)
    k = 0
    for t in range(n):
        if dead[t]:
            confirmed_dead = confirmed_dead or track_id[t] >= 0
        else:
            keep[k] = t
            k += 1
    return keep[:k], any_dead, confirmed_dead, next_id


@njit(cache=True)
def confirmed_rows(
    track_id: IntArray, x: FloatArray, p: FloatArray, sources: BoolArray
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """The confirmed tracks' ids, states, covariances, ``pos_sigma_m`` (``_pos_sigma``'s
    ``sqrt(P_xx + P_yy + P_zz)``) and sources rows, gathered in one pass."""
    n = 0
    for t in range(track_id.shape[0]):
        n += track_id[t] >= 0
    ids = np.empty(n, dtype=np.int64)
    xo = np.empty((n, 6))
    po = np.empty((n, 6, 6))
    sigma = np.empty(n)
    src = np.empty((n, sources.shape[1]), dtype=np.bool_)
    k = 0
    for t in range(track_id.shape[0]):
        if track_id[t] >= 0:
            ids[k] = track_id[t]
            xo[k] = x[t]
            po[k] = p[t]
            sigma[k] = np.sqrt(p[t, 0, 0] + p[t, 1, 1] + p[t, 2, 2])
            src[k] = sources[t]
            k += 1
    return ids, xo, po, sigma, src
