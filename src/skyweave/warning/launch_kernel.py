"""The compiled inner loops of :class:`skyweave.warning.launch.LaunchDetector`.

Each report time, every new line of sight (LOS) is compared with every recent LOS
of the partner's picture: on a large raid a few tens of new rows against one to
two thousand recent ones, 377 times in 300 s. As NumPy on (rows, pool) arrays
that was the detector's largest cost (dense distances for pairs that cannot
match because they are too far apart in time). Here each pair is one scalar
pass that stops at the first test it fails, and the per-event minima are kept
as it goes. The association rule is the one the launch module's docstring
states; only the rounding of a sum of three products may differ from the NumPy
formulas (the tests check the two against each other).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.earth import WGS84_B_M

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_A2 = WGS84_A_M**2
_B2 = WGS84_B_M**2
MIN_PLUME_HEIGHT_M = -20_000.0
"""Lowest height of the closest points of two sensors' LOS that may be one plume."""
MAX_PLUME_HEIGHT_M = 1_000_000.0
"""Highest such height."""
_R2_ABOVE = (WGS84_A_M + MAX_PLUME_HEIGHT_M + 1_000.0) ** 2
_R2_BELOW = (WGS84_B_M + MIN_PLUME_HEIGHT_M - 1_000.0) ** 2


# The helpers take scalars: passing arrays to a compiled function costs reference
# counting on every call, more than the arithmetic of a pair.


@njit(cache=True, error_model="numpy")
def _point_distance(ax: float, ay: float, az: float, bx: float, by: float, bz: float) -> float:
    dx = ax - bx
    dy = ay - by
    dz = az - bz
    return math.sqrt(dx * dx + dy * dy + dz * dz)


@njit(cache=True, error_model="numpy")
def _lines_far(
    pax: float,
    pay: float,
    paz: float,
    uax: float,
    uay: float,
    uaz: float,
    pbx: float,
    pby: float,
    pbz: float,
    ubx: float,
    uby: float,
    ubz: float,
    allowed_m: float,
) -> bool:
    """True when lines a and b pass clearly further apart than ``allowed_m``: a cheap
    test, no division, before the closest-approach points. The distance of two
    lines is ``|w0 . n| / |n|`` with ``n = u_a x u_b``; the margin (1 % and 1 km)
    is far above the rounding of either form, and nearly parallel lines are never
    rejected here."""
    nx = uay * ubz - uaz * uby
    ny = uaz * ubx - uax * ubz
    nz = uax * uby - uay * ubx
    n2 = nx * nx + ny * ny + nz * nz
    if not n2 > 1e-6:
        return False
    w = (pax - pbx) * nx + (pay - pby) * ny + (paz - pbz) * nz
    bound = 1.01 * allowed_m + 1_000.0
    return w * w > bound * bound * n2


@njit(cache=True, error_model="numpy")
def _crossing_distance(
    pax: float,
    pay: float,
    paz: float,
    uax: float,
    uay: float,
    uaz: float,
    pbx: float,
    pby: float,
    pbz: float,
    ubx: float,
    uby: float,
    ubz: float,
) -> float:
    """Closest-approach distance of the lines p + t u (unit u) of two sensors; inf
    unless the closest points are ahead of both satellites and their midpoint is at a
    plausible plume height."""
    w0x = pax - pbx
    w0y = pay - pby
    w0z = paz - pbz
    b = uax * ubx + uay * uby + uaz * ubz
    d = w0x * uax + w0y * uay + w0z * uaz
    e = w0x * ubx + w0y * uby + w0z * ubz
    den = 1.0 - b * b
    if not den > 1e-12:
        return np.inf
    ta = (b * e - d) / den
    tb = (e - b * d) / den
    if not (ta > 0.0 and tb > 0.0):
        return np.inf
    qax = pax + ta * uax
    qay = pay + ta * uay
    qaz = paz + ta * uaz
    qbx = pbx + tb * ubx
    qby = pby + tb * uby
    qbz = pbz + tb * ubz
    # height of the midpoint: Ground.altitude_m (radial distance to the ellipsoid)
    x = 0.5 * (qax + qbx)
    y = 0.5 * (qay + qby)
    z = 0.5 * (qaz + qbz)
    r2 = x * x + y * y + z * z
    # the height is between r - a and r - b: most pairs that fail it fail it by far,
    # and are told here without the roots and divisions (1 km margins)
    if r2 > _R2_ABOVE or r2 < _R2_BELOW:
        return np.inf
    r = math.sqrt(r2)
    q = (x * x + y * y) / _A2 + z * z / _B2
    h = r * (1.0 - 1.0 / math.sqrt(q))
    if not (h >= MIN_PLUME_HEIGHT_M and h <= MAX_PLUME_HEIGHT_M):
        return np.inf
    return _point_distance(qax, qay, qaz, qbx, qby, qbz)


@njit(cache=True, error_model="numpy")
def pair_distance(
    p_a: FloatArray,
    u_a: FloatArray,
    c_a: FloatArray,
    s_a: IntArray,
    p_b: FloatArray,
    u_b: FloatArray,
    c_b: FloatArray,
    s_b: IntArray,
) -> FloatArray:
    """(A, B) association distances between two LOS sets.

    ``p`` satellite positions, ``u`` unit LOS, ``c`` cloud-top points (ECEF, m),
    ``s`` sensor codes. Same sensor: distance of the cloud-top points; different
    sensors: closest-approach distance of the lines, inf unless the closest points
    are ahead of both satellites and their midpoint is at a plausible plume height.
    """
    out = np.empty((p_a.shape[0], p_b.shape[0]))
    for i in range(p_a.shape[0]):
        for j in range(p_b.shape[0]):
            if s_a[i] == s_b[j]:
                # one sensor: the distance between the cloud-top points
                out[i, j] = _point_distance(
                    c_a[i, 0], c_a[i, 1], c_a[i, 2], c_b[j, 0], c_b[j, 1], c_b[j, 2]
                )
            else:
                out[i, j] = _crossing_distance(
                    p_a[i, 0], p_a[i, 1], p_a[i, 2], u_a[i, 0], u_a[i, 1], u_a[i, 2],
                    p_b[j, 0], p_b[j, 1], p_b[j, 2], u_b[j, 0], u_b[j, 1], u_b[j, 2],
                )  # fmt: skip
    return out


@njit(cache=True, error_model="numpy")
def event_scores(
    p: FloatArray,
    u: FloatArray,
    c: FloatArray,
    t: FloatArray,
    s: IntArray,
    pool_p: FloatArray,
    pool_u: FloatArray,
    pool_c: FloatArray,
    pool_t: FloatArray,
    pool_s: IntArray,
    pool_event: IntArray,
    pool_column: IntArray,
    n_columns: int,
    start: FloatArray,
    moved_m: FloatArray,
    association_distance_m: float,
    apparent_speed_mps: float,
    gap_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Best score of each new LOS for each event of the pool, same sensor and other sensors.

    A pair's score is its distance over its allowance
    (``association_distance_m + apparent_speed_mps * dt``) plus ``dt / gap_s``,
    when that ratio is at most 1, ``dt`` at most ``gap_s`` and the new LOS is not
    back near where its sensor first saw the pool row's event (``start[event,
    sensor]``, closer than ``moved_m[event, sensor]`` less half the association
    distance: the plume has since moved away; NaN: never seen); else inf.

    Returns ``best_same`` and ``best_cross``, (rows, n_columns): per new row and
    event column (``pool_column`` of each pool row) the least score over the pool
    rows of the same sensor, and over those of other sensors.
    """
    n = p.shape[0]
    best_same = np.full((n, n_columns), np.inf)
    best_cross = np.full((n, n_columns), np.inf)
    for i in range(n):
        for j in range(pool_p.shape[0]):
            dt = abs(t[i] - pool_t[j])
            if not dt <= gap_s:
                continue
            allowed_m = association_distance_m + apparent_speed_mps * dt
            same = s[i] == pool_s[j]
            if same:
                dist = _point_distance(
                    c[i, 0], c[i, 1], c[i, 2], pool_c[j, 0], pool_c[j, 1], pool_c[j, 2]
                )
            else:
                pax, pay, paz = p[i, 0], p[i, 1], p[i, 2]
                uax, uay, uaz = u[i, 0], u[i, 1], u[i, 2]
                pbx, pby, pbz = pool_p[j, 0], pool_p[j, 1], pool_p[j, 2]
                ubx, uby, ubz = pool_u[j, 0], pool_u[j, 1], pool_u[j, 2]
                if _lines_far(
                    pax, pay, paz, uax, uay, uaz, pbx, pby, pbz, ubx, uby, ubz, allowed_m
                ):
                    continue
                dist = _crossing_distance(
                    pax, pay, paz, uax, uay, uaz, pbx, pby, pbz, ubx, uby, ubz
                )
            ratio = dist / allowed_m
            if not ratio <= 1.0:
                continue
            e = pool_event[j]
            lim = moved_m[e, s[i]] - 0.5 * association_distance_m
            if lim == lim:  # the sensor saw this event: a plume never comes back
                k = s[i]
                back_m = _point_distance(
                    c[i, 0], c[i, 1], c[i, 2], start[e, k, 0], start[e, k, 1], start[e, k, 2]
                )
                if back_m < lim:
                    continue
            score = ratio + dt / gap_s
            k = pool_column[j]
            if same:
                if score < best_same[i, k]:
                    best_same[i, k] = score
            elif score < best_cross[i, k]:
                best_cross[i, k] = score
    return best_same, best_cross


@njit(cache=True, error_model="numpy")
def track_plume_motion(
    event: IntArray, s: IntArray, c: FloatArray, start: FloatArray, moved_m: FloatArray
) -> None:
    """Per (event, sensor), in row order: the cloud-top point of its first LOS
    (``start``, NaN until seen) and the largest distance of its LOS from it
    (``moved_m``), updated in place."""
    for i in range(event.shape[0]):
        e, k = event[i], s[i]
        if moved_m[e, k] != moved_m[e, k]:
            start[e, k, 0] = c[i, 0]
            start[e, k, 1] = c[i, 1]
            start[e, k, 2] = c[i, 2]
            moved_m[e, k] = 0.0
        moved = _point_distance(
            c[i, 0], c[i, 1], c[i, 2], start[e, k, 0], start[e, k, 1], start[e, k, 2]
        )
        if moved > moved_m[e, k]:
            moved_m[e, k] = moved


@njit(cache=True, error_model="numpy")
def _sorted_distinct(x: NDArray[Any]) -> NDArray[Any]:
    """The distinct values of a short array, ascending (no np.unique: its compiled
    form costs seconds of compilation for a handful of values)."""
    out = np.empty_like(x)
    n = 0
    for v in x:
        at = n
        for m in range(n):
            if out[m] >= v:
                at = m
                break
        if at < n and out[at] == v:
            continue
        for m in range(n, at, -1):
            out[m] = out[m - 1]
        out[at] = v
        n += 1
    return out[:n].copy()


@njit(cache=True, error_model="numpy")
def fix_rows(
    t: FloatArray, rank: IntArray, n_fixes: int
) -> tuple[IntArray, int, FloatArray, IntArray, FloatArray, int]:
    """The rows one event's launch fix is taken from (see the launch module).

    ``t`` frame times and ``rank`` sensor ranks (order of the sensor ids' names)
    of the event's rows, in row order. Returns the event's sensor ranks sorted
    (K,); the column of the second sensor to see it (the one whose first row is
    second in time, ties to the lower rank; -1 with one sensor); that sensor's
    first ``n_fixes`` distinct frame times (F,); per fix and sensor the row nearest
    in time (the first one on a tie) (F, K) and its time from the fix (F, K); and
    the least number of distinct rows a sensor gives the fixes.
    """
    # plain loops (no np.unique, whose compilation costs seconds): few sensors and
    # frames per event
    ranks = _sorted_distinct(rank)
    n_k = ranks.shape[0]
    first_t = np.full(n_k, np.inf)
    for i in range(t.shape[0]):
        for j in range(n_k):
            if rank[i] == ranks[j] and first_t[j] == np.inf:
                first_t[j] = t[i]
    if n_k < 2:
        return ranks, -1, np.zeros(0), np.zeros((0, n_k), np.int64), np.zeros((0, n_k)), 0
    # stable order by first time: the first, then the second sensor
    a = 0
    for j in range(1, n_k):
        if first_t[j] < first_t[a]:
            a = j
    second = -1
    for j in range(n_k):
        if j != a and (second < 0 or first_t[j] < first_t[second]):
            second = j
    n_mine = 0
    mine = np.empty(t.shape[0])
    for i in range(t.shape[0]):
        if rank[i] == ranks[second]:
            mine[n_mine] = t[i]
            n_mine += 1
    times = _sorted_distinct(mine[:n_mine])
    t_refs = times[: min(n_fixes, times.shape[0])].copy()
    n_f = t_refs.shape[0]
    pick = np.empty((n_f, n_k), np.int64)
    best_dt = np.empty((n_f, n_k))
    for f in range(n_f):
        for j in range(n_k):
            best = -1
            for i in range(t.shape[0]):
                if rank[i] == ranks[j]:
                    dt = abs(t[i] - t_refs[f])
                    if best < 0 or dt < best_dt[f, j]:
                        best = i
                        best_dt[f, j] = dt
            pick[f, j] = best
    n_eff = n_f
    for j in range(n_k):
        distinct = 0
        for f in range(n_f):
            seen = False
            for g in range(f):
                if pick[g, j] == pick[f, j]:
                    seen = True
            if not seen:
                distinct += 1
        n_eff = min(n_eff, distinct)
    return ranks, second, t_refs, pick, best_dt, n_eff


@njit(cache=True, error_model="numpy")
def keep_fixes(
    changed: IntArray,
    n_rows: IntArray,
    ev_new: IntArray,
    t_new: FloatArray,
    rt_new: FloatArray,
    s_new: IntArray,
    kind: IntArray,
    in_basis: NDArray[np.bool_],
    second: IntArray,
    t_refs: FloatArray,
    n_refs: IntArray,
    best_dt: FloatArray,
    n_fixes: int,
    first_time_s: FloatArray,
    first_report_time_s: FloatArray,
    last_time_s: FloatArray,
    n_detections: IntArray,
) -> NDArray[np.bool_]:
    """Per event in ``changed`` (with ``n_rows`` rows in all, its new ones among
    ``ev_new``, ...): True when its new rows leave its fix as it was; their times and
    counts are then written to the event's columns (nothing is written otherwise).

    The fix depends on the event's sensors, the first-seen order of the sensors (a
    sensor's first row never changes once the sensor is in), the reference frames
    of the second sensor and, per sensor and reference frame, the row nearest in
    time (the first one on a tie). New rows of known sensors leave it unchanged
    unless one adds a reference frame or is strictly nearer to one than the row
    picked. ``kind`` per event: 0 no fix yet, 1 a bearing, 2 triangulated.
    """
    keep = np.zeros(changed.shape[0], np.bool_)
    for m in range(changed.shape[0]):
        k = changed[m]
        n_new = 0
        for i in range(ev_new.shape[0]):
            if ev_new[i] == k:
                n_new += 1
        if kind[k] == 0 or n_rows[m] - n_new <= 0:
            continue
        ok = True
        n_r = n_refs[k]
        for i in range(ev_new.shape[0]):
            if ev_new[i] != k:
                continue
            sk = s_new[i]
            if sk >= in_basis.shape[1] or not in_basis[k, sk]:
                ok = False
                break
            if kind[k] != 2:
                continue
            if sk == second[k]:
                if n_r < n_fixes:
                    known = False
                    for f in range(n_r):
                        if t_new[i] == t_refs[k, f]:
                            known = True
                    if not known:
                        ok = False
                        break
                elif t_new[i] < t_refs[k, n_r - 1]:
                    ok = False
                    break
            for f in range(n_r):
                if abs(t_new[i] - t_refs[k, f]) < best_dt[k, f, sk]:
                    ok = False
            if not ok:
                break
        if not ok:
            continue
        keep[m] = True
        for i in range(ev_new.shape[0]):
            if ev_new[i] == k:
                first_time_s[k] = min(first_time_s[k], t_new[i])
                first_report_time_s[k] = min(first_report_time_s[k], rt_new[i])
                last_time_s[k] = max(last_time_s[k], t_new[i])
        n_detections[k] = n_rows[m]
    return keep
