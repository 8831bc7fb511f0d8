"""Compiled track management of :class:`skyweave.tracking.tracker.Tracker` (M-of-N counts).

The tracker runs its bookkeeping after every scan, on arrays of a few tracks, where
the fixed cost of some fifteen small NumPy operations outweighed the work. This loop
does the same integer and boolean updates track by track (the one floating-point
operation, the coast time ``time_s - last_update_s``, is the same subtraction), so
it gives exactly what the NumPy form gave (``tests/test_tracker_kernel.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


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
