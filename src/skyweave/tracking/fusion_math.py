"""The arithmetic of track-to-track fusion: gating, assignment, covariance intersection.

Split from :mod:`skyweave.tracking.fusion` (which documents the method); every
function here is vectorised over track pairs.

Covariance intersection bisects on the sign of the criterion's slope for the
pairs whose minimiser is inside ``(0, 1)`` only; the 52 LAPACK inversions per
such pair are its floor (a Numba inverse would change the rounding).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from skyweave.tracking.fusion_kernel import ci_halve, ci_mix, position_gate_pairs

try:  # the gufunc behind np.linalg.inv (private; np.linalg.inv if it moves)
    from numpy.linalg import _umath_linalg

    _INV_GUFUNC: Any = _umath_linalg.inv
except (ImportError, AttributeError):  # pragma: no cover
    _INV_GUFUNC = None

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
AnyFloatArray = NDArray[np.floating[Any]]

#: bisection halvings of [0, 1]: w to machine precision
CI_STEPS = 52


def _singular(err: str, flag: int) -> None:
    raise np.linalg.LinAlgError("Singular matrix")


def _inv(a: AnyFloatArray) -> AnyFloatArray:
    """``np.linalg.inv`` of float64 stacks, its gufunc called directly (the same LAPACK
    call, without the per-call checks); inside :func:`_lapack_errors`."""
    if _INV_GUFUNC is None:  # pragma: no cover
        return np.linalg.inv(a)
    return np.asarray(_INV_GUFUNC(a, signature="d->d"))


def _inv_into(a: FloatArray, out: FloatArray) -> None:
    """:func:`_inv` of a float64 stack written into ``out`` (C-contiguous, a's shape)."""
    if _INV_GUFUNC is None:  # pragma: no cover
        out[...] = np.linalg.inv(a)
    else:
        _INV_GUFUNC(a, out=out, signature="d->d")


def _lapack_errors() -> Any:
    """The floating-point error handling ``np.linalg.inv`` sets around its gufunc."""
    return np.errstate(
        call=_singular, invalid="call", over="ignore", divide="ignore", under="ignore"
    )


def _slope(
    ib: AnyFloatArray, d: AnyFloatArray, w: FloatArray, criterion: Literal["trace", "det"]
) -> FloatArray:
    """Derivative of the criterion at ``w`` (increasing in ``w``: convex criterion)."""
    p = _inv(ib + w[:, None, None] * d)
    if criterion == "det":
        return np.asarray(-np.einsum("kij,kji->k", p, d), dtype=np.float64)
    pdp = p @ d @ p
    return np.asarray(-pdp.trace(axis1=1, axis2=2), dtype=np.float64)


def _bisect(
    ib: AnyFloatArray, d: AnyFloatArray, criterion: Literal["trace", "det"]
) -> tuple[FloatArray, FloatArray]:
    """``(lo, hi)`` after :data:`CI_STEPS` halvings of ``[0, 1]`` on the slope's sign
    (a fixed number of halvings: no data-dependent loop count, so the result is
    reproducible bit for bit; each pair's slope is its own 6x6 arithmetic, so the
    pairs that need no bisection are left out without changing the others).

    The bracket's ends are multiples of ``2**-k`` after ``k`` halvings, so
    ``0.5 * (lo + hi)`` is exactly ``lo + 2**-(k+1)`` and ``hi`` exactly
    ``lo + 2**-k``: only ``lo`` is carried, and each step adds its half-width.
    """
    n = ib.shape[0]
    lo = np.zeros(n)
    with _lapack_errors():
        if criterion == "det":
            half = 1.0
            for _ in range(CI_STEPS):
                half *= 0.5
                mid = lo + half
                np.copyto(lo, mid, where=_slope(ib, d, mid, criterion) < 0.0)
            return lo, lo + half
        # the trace: _slope's in its order (-tr < 0 exactly when tr > 0), compiled around
        # the LAPACK inverse (one call a halving, not eight), each step's matrix and its
        # inverse in two buffers (the same LAPACK call on the same numbers)
        half = 0.5
        ibc = np.ascontiguousarray(ib, dtype=np.float64)
        dc = np.ascontiguousarray(d, dtype=np.float64)
        m = np.empty_like(ibc)
        p = np.empty_like(ibc)
        ci_mix(ibc, dc, lo, half, m)
        for _ in range(CI_STEPS):
            _inv_into(m, p)
            ci_halve(p, dc, ibc, lo, half, m)
            half *= 0.5
    return lo, lo + 2.0 * half


def covariance_intersection(
    xa: FloatArray,
    pa_: FloatArray,
    xb: FloatArray,
    pb: FloatArray,
    criterion: Literal["trace", "det"] = "trace",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Covariance intersection of pairs of estimates, vectorised over pairs.

    Parameters
    ----------
    xa, xb : (K, n) float64
        Means of the two estimates of each pair.
    pa_, pb : (K, n, n) float64
        Their covariances (positive definite); the cross-covariance is unknown.
    criterion : {"trace", "det"}
        ``w`` minimises the trace or the determinant of the fused covariance.

    Returns
    -------
    x : (K, n) float64
    p : (K, n, n) float64
        Fused mean and covariance.
    w : (K,) float64
        Weight of estimate ``a`` (``P^-1 = w A^-1 + (1 - w) B^-1``).
    """
    xa = np.asarray(xa, dtype=np.float64)
    xb = np.asarray(xb, dtype=np.float64)
    pa_ = np.asarray(pa_, dtype=np.float64)
    pb = np.asarray(pb, dtype=np.float64)
    k = xa.shape[0]
    if k == 0:
        return xa.copy(), pa_.copy(), np.zeros(0)
    # both inverses in one stack, and below the slope at both ends in one batch (the
    # same per-matrix arithmetic as apart: the gufunc inverts each matrix on its own)
    with _lapack_errors():
        inv_ab = _inv(np.concatenate([pa_, pb]))
    ia, ib = inv_ab[:k], inv_ab[k:]
    ia = 0.5 * (ia + np.swapaxes(ia, 1, 2))
    ib = 0.5 * (ib + np.swapaxes(ib, 1, 2))
    d = ia - ib

    with _lapack_errors():
        ends = _slope(
            np.concatenate([ib, ib]), np.concatenate([d, d]), np.repeat([0.0, 1.0], k), criterion
        )
    s0, s1 = ends[:k], ends[k:]
    inner = (s0 < 0.0) & (s1 > 0.0)
    mid_w = np.zeros(k)
    if inner.any():
        lo, hi = _bisect(ib[inner], d[inner], criterion)
        mid_w[inner] = 0.5 * (lo + hi)
    w = np.where(inner, mid_w, np.where(s1 <= 0.0, 1.0, 0.0))
    w = np.where(s0 >= 0.0, 0.0, w)
    p_inv = ib + w[:, None, None] * d
    with _lapack_errors():
        p: AnyFloatArray = _inv(p_inv)
    p = 0.5 * (p + np.swapaxes(p, 1, 2))
    # x = b + w P A^-1 (a - b): algebraically P(w A^-1 a + (1-w) B^-1 b), without
    # cancellation of the large ECEF coordinates.
    x = xb + w[:, None] * (p @ (ia @ (xa - xb)[:, :, None]))[:, :, 0]
    # End points: return the input itself (exactly), e.g. fusing identical copies.
    at_a = w >= 1.0
    at_b = w <= 0.0
    x = np.where(at_a[:, None], xa, np.where(at_b[:, None], xb, x))
    p = np.where(at_a[:, None, None], pa_, np.where(at_b[:, None, None], pb, p))
    return np.asarray(x, dtype=np.float64), np.asarray(p, dtype=np.float64), w


def gated_pairs(
    xa: FloatArray, pa_: FloatArray, xb: FloatArray, pb: FloatArray, gate: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """All ``(i, j)`` with ``d^T (P_a,i + P_b,j)^-1 d < gate``, ``d = xa_i - xb_j``.

    A pair can pass only if its position distance is below
    ``sqrt(gate * (tr Pa_pos + tr Pb_pos))`` (the largest eigenvalue of the summed
    position block bounds the position part of the distance), so the 6x6 solve
    is done for the pairs that pass that cheap test only (a compiled loop over all pairs).
    """
    na, nb = xa.shape[0], xb.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if na == 0 or nb == 0:
        return empty, empty, np.zeros(0)
    ta = np.trace(pa_[:, :3, :3], axis1=1, axis2=2)
    tb = np.trace(pb[:, :3, :3], axis1=1, axis2=2)
    ia, ib = position_gate_pairs(
        np.ascontiguousarray(xa[:, :3]), ta, np.ascontiguousarray(xb[:, :3]), tb, float(gate)
    )
    if ia.size == 0:
        return empty, empty, np.zeros(0)
    diff = xa[ia] - xb[ib]
    s = pa_[ia] + pb[ib]
    sol = np.linalg.solve(s, diff[:, :, None])[:, :, 0]
    d2 = np.einsum("ki,ki->k", diff, sol)
    ok = d2 < gate
    return ia[ok].astype(np.int64), ib[ok].astype(np.int64), d2[ok]


def assign_pairs(ia: IntArray, ib: IntArray, cost: FloatArray) -> tuple[IntArray, IntArray]:
    """Min-cost one-to-one assignment over candidate pairs with negative cost only."""
    if ia.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if (
        (ia.size == 1 or bool((ia[1:] > ia[:-1]).all()))
        and len(set(ib.tolist())) == ib.size
        and bool((cost < 0.0).all())
    ):
        # every row and column in one pair (rows in order), each pair's cost negative:
        # the one optimum takes every pair, and the solver returns them in row order
        return ia.astype(np.int64), ib.astype(np.int64)
    rows, ri = np.unique(ia, return_inverse=True)
    cols, ci = np.unique(ib, return_inverse=True)
    mat = np.zeros((rows.size, cols.size))
    mat[ri, ci] = cost
    r, c = linear_sum_assignment(mat)
    good = mat[r, c] < 0.0
    return rows[r[good]].astype(np.int64), cols[c[good]].astype(np.int64)
