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
