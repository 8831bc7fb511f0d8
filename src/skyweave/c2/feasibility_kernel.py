"""The compiled intercept search of :func:`skyweave.c2.feasibility.engagement_windows`.

Every decision cycle refines each (battery, track, launch time) bracket by Illinois
regula falsi on the track's tabulated prediction (cubic Hermite). As NumPy
operations that is a few dozen calls on small arrays per iteration, most of the
search's time in a run with few tracks. Here each bracket is refined on its own,
in scalar code compiled by Numba, with the arithmetic of the NumPy version
(:func:`skyweave.c2.feasibility._illinois` on
:meth:`~skyweave.c2.feasibility.TabulatedTrajectory.at`) operation for
operation, in the same order, so the iterates are the same to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@njit(cache=True)
def _table_index(t: FloatArray, q: float) -> int:
    """``clip(searchsorted(t, q, side="right") - 1, 0, t.size - 2)`` (NaN sorts last)."""
    n = t.size
    if math.isnan(q):
        i = n
    else:
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if t[mid] <= q:
                lo = mid + 1
            else:
                hi = mid
        i = lo
    i -= 1
    if i < 0:
        i = 0
    if i > n - 2:
        i = n - 2
    return i


@njit(cache=True)
def _hermite_at(t: FloatArray, x: FloatArray, k: int, q: float, out: FloatArray) -> None:
    """Position of tabulated track ``k`` at ``q`` into ``out`` (3,): NaN outside the table."""
    i = _table_index(t, q)
    t0, t1 = t[i], t[i + 1]
    h = t1 - t0
    s = (q - t0) / h
    s2 = s * s
    s3 = s * s * s
    c0 = 2 * s3 - 3 * s2 + 1
    c1 = (s3 - 2 * s2 + s) * h
    c2 = -2 * s3 + 3 * s2
    c3 = (s3 - s2) * h
    inside = (q >= t[0]) and (q <= t[t.size - 1])
    for c in range(3):
        a_p, a_v = x[k, i, c], x[k, i, 3 + c]
        b_p, b_v = x[k, i + 1, c], x[k, i + 1, 3 + c]
        p = c0 * a_p + c1 * a_v + c2 * b_p + c3 * b_v
        if s == 0.0:
            p = a_p
        elif s == 1.0:
            p = b_p
        out[c] = p if inside else np.nan


@njit(cache=True)
def _clip(v: float, lo: float, hi: float) -> float:
    """``np.clip`` of one float: NaN propagates, max then min."""
    if not math.isnan(v):
        v = v if v > lo else lo
    if not math.isnan(v):
        v = v if v < hi else hi
    return v


@njit(cache=True)
def illinois_hermite(
    times_s: FloatArray,
    states: FloatArray,
    ki: IntArray,
    bi: IntArray,
    li: IntArray,
    a0: FloatArray,
    b0: FloatArray,
    fa0: FloatArray,
    fb0: FloatArray,
    b_pos: FloatArray,
    speed: FloatArray,
    t_launch: FloatArray,
    tolerance_s: float,
    max_iterations: int,
) -> FloatArray:
    """Last Illinois iterate of each open bracket (N,) on Hermite-tabulated tracks.

    ``times_s`` (M,) and ``states`` (K, M, 6) are the table; ``ki``, ``bi``,
    ``li`` each bracket's track, battery and launch index; ``a0, b0, fa0, fb0``
    its ends and their residuals.
    """
    n = a0.size
    c_out = a0.copy()
    p = np.empty(3)
    stop = tolerance_s * 1e-3
    for j in range(n):
        a, b, fa, fb = a0[j], b0[j], fa0[j], fb0[j]
        k, bt, lt = ki[j], bi[j], li[j]
        side = 0
        for _ in range(max_iterations):
            denom = fb - fa
            if denom > 0.0:
                c = b - fb * (b - a) / denom
            else:
                c = b
            c = _clip(c, a, b)
            c_out[j] = c
            _hermite_at(times_s, states, k, c, p)
            dx = p[0] - b_pos[bt, 0]
            dy = p[1] - b_pos[bt, 1]
            dz = p[2] - b_pos[bt, 2]
            dist = math.sqrt((dx * dx + dy * dy) + dz * dz)
            fc = c - dist / speed[bt] - t_launch[lt]
            if not math.isfinite(fc):
                fc = fa
            neg = fc < 0.0
            pos = fc >= 0.0
            if neg and side == -1:
                fb = 0.5 * fb
            if pos and side == 1:
                fa = 0.5 * fa
            if neg:
                a = c
                fa = fc
            if pos:
                b = c
                fb = fc
            if neg:
                side = -1
            elif pos:
                side = 1
            if abs(fc) <= tolerance_s or b - a <= stop:
                break
    return c_out
