"""Compiled pre-gate of track-to-track fusion (:func:`skyweave.tracking.fusion_math.gated_pairs`).

Fusion gates every fused track against every incoming track at every report time,
and the picture numbering gates the fused tracks against the previous picture: on
the large raid about 100,000 pairs a call, of which a few hundred pass. NumPy built
a dense ``(A, B, 3)`` difference array for the cheap position pre-gate on every
call; here one compiled double loop keeps the pairs that pass it, in row-major order,
without any array of all pairs.

The numbering's test of whether the contributors' votes settle every number is one
integer loop here too (instead of two ``ufunc.at`` reductions and three whole-array
tests): the same answer.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.tracking.linalg_kernel import fma

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@njit(cache=True)
def position_gate_pairs(
    pos_a: FloatArray, trace_a: FloatArray, pos_b: FloatArray, trace_b: FloatArray, gate: float
) -> tuple[IntArray, IntArray]:
    """Row-major ``(i, j)`` with ``|pos_a[i] - pos_b[j]|^2 < gate * (trace_a[i] + trace_b[j])``.

    Parameters
    ----------
    pos_a : (A, 3) float64
    trace_a : (A,) float64
        Traces of the position blocks of the A covariances.
    pos_b : (B, 3) float64
    trace_b : (B,) float64
    gate : float
        Chi-square gate of the full distance.

    Returns
    -------
    ia, ib : (N,) int64
        Ordered by ``i``, then ``j``, as ``np.nonzero`` of the dense test orders them.
    """
    na, nb = pos_a.shape[0], pos_b.shape[0]
    ia = np.empty(0, dtype=np.int64)
    ib = np.empty(0, dtype=np.int64)
    for fill in (False, True):  # count, then fill: no array of all pairs
        k = 0
        for i in range(na):
            ax, ay, az, ta = pos_a[i, 0], pos_a[i, 1], pos_a[i, 2], trace_a[i]
            for j in range(nb):
                dx = ax - pos_b[j, 0]
                dy = ay - pos_b[j, 1]
                dz = az - pos_b[j, 2]
                if dx * dx + dy * dy + dz * dz < gate * (ta + trace_b[j]):
                    if fill:
                        ia[k] = i
                        ib[k] = j
                    k += 1
        if not fill:
            ia = np.empty(k, dtype=np.int64)
            ib = np.empty(k, dtype=np.int64)
    return ia, ib


@njit(cache=True)
def votes_settle(n_f: int, vote_g: IntArray, vote_n: IntArray) -> bool:
    """Every fused track ``0 .. n_f - 1`` has a vote, all its votes name one number
    ``>= 0``, and no two tracks' numbers are the same (see
    :meth:`skyweave.tracking.fusion.PartnerPicture._votes_settle`)."""
    lo = np.full(n_f, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n_f, -1, dtype=np.int64)
    for i in range(vote_g.shape[0]):
        g = vote_g[i]
        lo[g] = min(lo[g], vote_n[i])
        hi[g] = max(hi[g], vote_n[i])
    for g in range(n_f):
        if hi[g] < 0 or lo[g] != hi[g]:
            return False
    lo.sort()
    for g in range(1, n_f):
        if lo[g] == lo[g - 1]:
            return False
    return True


@njit(cache=True)
def sorted_in(sorted_keys: IntArray, keys: IntArray) -> NDArray[np.bool_]:
    """``np.isin(sorted_keys, keys)`` for ``sorted_keys`` in ascending order: a binary
    search per key (a few dozen keys against the correlation table at every picture,
    where ``np.isin``'s set machinery cost more than the test)."""
    n = sorted_keys.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for k in keys:
        i = np.searchsorted(sorted_keys, k)
        while i < n and sorted_keys[i] == k:
            out[i] = True
            i += 1
    return out


@njit(cache=True)
def ci_mix(ib: FloatArray, d: FloatArray, lo: FloatArray, half: float, out: FloatArray) -> None:
    """``B^-1 + w D`` of each pair at ``w = lo + half`` into ``out`` (the NumPy form's
    ``ib + mid[:, None, None] * d``, element by element)."""
    for k in range(ib.shape[0]):
        w = lo[k] + half
        for i in range(6):
            for j in range(6):
                out[k, i, j] = ib[k, i, j] + w * d[k, i, j]


@njit(cache=True)
def ci_halve(
    p: FloatArray, d: FloatArray, ib: FloatArray, lo: FloatArray, half: float, out: FloatArray
) -> None:
    """One halving of the trace criterion's bisection, given ``P = (B^-1 + w D)^-1`` at
    ``w = lo + half``: ``lo`` moves up to ``w`` (in place) where ``tr(P D P) > 0`` (the
    slope ``-tr(P D P)`` is negative); the next step's :func:`ci_mix` goes to ``out``
    (the bisection's two buffers serve every halving).

    ``P D P`` as the stacked matmul computes it (each element a ``dgemm`` chain of
    fused multiply-adds), of which only the diagonal is needed, summed in
    ``ndarray.trace``'s order.
    """
    n = p.shape[0]
    pd = np.empty((6, 6))
    for k in range(n):
        for i in range(6):
            for j in range(6):
                acc = p[k, i, 0] * d[k, 0, j]
                for q in range(1, 6):
                    acc = fma(p[k, i, q], d[k, q, j], acc)
                pd[i, j] = acc
        tr = 0.0
        for i in range(6):
            acc = pd[i, 0] * p[k, 0, i]
            for q in range(1, 6):
                acc = fma(pd[i, q], p[k, q, i], acc)
            tr = acc if i == 0 else tr + acc
        if tr > 0.0:
            lo[k] = lo[k] + half
    ci_mix(ib, d, lo, 0.5 * half, out)
