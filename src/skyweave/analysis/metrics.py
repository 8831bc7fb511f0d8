"""Track-quality metrics: GOSPA and SIAP, with Stone Soup's conventions.

GOSPA
    Generalised optimal sub-pattern assignment (Rahmathullah, Garcia-Fernandez
    and Svensson 2017) with ``alpha = 2``, cut-off ``c`` and order ``p``. The
    parts follow ``stonesoup.metricgenerator.ospametric.GOSPAMetric``:

    * ``localisation``: sum of ``d**p`` over assigned truth/track pairs closer
      than ``c``;
    * ``missed``: ``c**p / 2`` per truth left unassigned (or assigned at ``d >= c``);
    * ``false``: ``c**p / 2`` per track left unassigned (or assigned at ``d >= c``);
    * ``distance = (localisation + missed + false) ** (1 / p)`` in metres.

    The three parts are therefore in m**p; ``missed_count`` and ``false_count``
    give the numbers of objects.

SIAP
    Single Integrated Air Picture attribute measures as in
    ``stonesoup.metricgenerator.tracktotruthmetrics.SIAPMetrics``, over
    associations formed exactly like ``stonesoup.dataassociator.tracktotrack.TrackToTruth``
    (a track follows its nearest truth closer than the threshold; the
    association is confirmed after ``consec_pairs_confirm`` consecutive track
    reports and ended after ``consec_misses_end`` consecutive misses; one truth
    at a time per track, many tracks per truth).

Everything works on *rows*: one row per object per time step, given as a time
(or step index) column, an id column and position/velocity columns, so that
whole runs are processed with array operations instead of one Python object per
state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# --------------------------------------------------------------------------- GOSPA


@dataclass(frozen=True, eq=False)
class GospaResult:
    """GOSPA (alpha = 2) between one set of truths and one set of tracks.

    Attributes
    ----------
    distance : float
        ``(localisation + missed + false) ** (1 / p)``, metres.
    localisation : float
        Sum of ``d**p`` over assigned pairs with ``d < c`` (m**p).
    missed : float
        ``c**p / 2`` times the number of missed truths (m**p).
    false : float
        ``c**p / 2`` times the number of false tracks (m**p).
    assignment : (K, 2) int64
        ``(truth_index, track_index)`` of the assigned pairs closer than ``c``,
        sorted by truth index.
    missed_count, false_count : int
        Numbers of missed truths and false tracks.
    """

    distance: float
    localisation: float
    missed: float
    false: float
    assignment: IntArray
    missed_count: int
    false_count: int


@dataclass(frozen=True, eq=False)
class GospaSeries:
    """GOSPA (alpha = 2) at each of a series of time steps.

    Attributes
    ----------
    times_s : (T,) float64
        Evaluation times.
    distance, localisation, missed, false : (T,) float64
        As in :class:`GospaResult`, one value per time.
    missed_count, false_count : (T,) int64
        Numbers of missed truths and false tracks per time.
    c_m, p : float
        Cut-off distance (m) and order.
    """

    times_s: FloatArray
    distance: FloatArray
    localisation: FloatArray
    missed: FloatArray
    false: FloatArray
    missed_count: IntArray
    false_count: IntArray
    c_m: float
    p: float

    @property
    def mean_distance(self) -> float:
        """Mean of ``distance`` over the evaluation times (NaN when there are none)."""
        return float(np.mean(self.distance)) if self.distance.size else float("nan")


def _check_gospa_parameters(c_m: float, p: float) -> None:
    if not (np.isfinite(c_m) and c_m > 0):
        raise ValueError(f"GOSPA cut-off c must be positive and finite, got {c_m}")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"GOSPA order p must satisfy 1 <= p < inf, got {p}")


def _as_points(points: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 0)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, d), got shape {arr.shape}")
    return arr


def gospa(truth_pos: ArrayLike, track_pos: ArrayLike, c_m: float, p: float) -> GospaResult:
    """GOSPA distance (alpha = 2) between truths and tracks at one time.

    Parameters
    ----------
    truth_pos : (N, d) array_like
        True positions, metres.
    track_pos : (M, d) array_like
        Track positions, metres (same ``d``).
    c_m : float
        Cut-off distance, metres.
    p : float
        Order, ``1 <= p < inf``.

    Returns
    -------
    GospaResult
        Distance and its parts, in Stone Soup's ``GOSPAMetric`` convention.
    """
    _check_gospa_parameters(c_m, p)
    x = _as_points(truth_pos, "truth_pos")
    y = _as_points(track_pos, "track_pos")
    n, m = x.shape[0], y.shape[0]
    if n and m and x.shape[1] != y.shape[1]:
        raise ValueError(f"dimension mismatch: truth d={x.shape[1]}, track d={y.shape[1]}")
    half = c_m**p / 2.0
    assignment = np.zeros((0, 2), dtype=np.int64)
    localisation = 0.0
    if n and m:
        d = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2))
        cost = np.where(d < c_m, d, c_m) ** p
        rows, cols = linear_sum_assignment(cost)
        close = d[rows, cols] < c_m
        rows, cols = rows[close], cols[close]
        localisation = float(np.sum(d[rows, cols] ** p))
        assignment = np.stack([rows, cols], axis=1).astype(np.int64)
    k = assignment.shape[0]
    missed = (n - k) * half
    false = (m - k) * half
    distance = float((localisation + missed + false) ** (1.0 / p))
    return GospaResult(distance, localisation, missed, false, assignment, n - k, m - k)


def _steps_of(times_s: FloatArray, row_times_s: ArrayLike, name: str) -> IntArray:
    """Index of each row's time in ``times_s`` (exact match required)."""
    t = np.asarray(row_times_s, dtype=np.float64)
    idx = np.searchsorted(times_s, t)
    idx_c = np.minimum(idx, max(times_s.size - 1, 0))
    ok = (idx < times_s.size) & (times_s[idx_c] == t) if times_s.size else np.zeros(t.shape, bool)
    if not np.all(ok):
        bad = t[~ok][0]
        raise ValueError(f"{name}: row time {bad!r} is not one of the evaluation times")
    return idx.astype(np.int64)


def _columns(points: FloatArray) -> list[FloatArray]:
    """Contiguous coordinate columns: gathering 1-D columns is several times
    faster than gathering rows of an (N, d) array."""
    return [np.ascontiguousarray(points[:, k]) for k in range(points.shape[1])]


def _pair_distance(
    a_cols: list[FloatArray], b_cols: list[FloatArray], ia: IntArray, ib: IntArray
) -> FloatArray:
    """Euclidean distance between rows ``ia`` of A and ``ib`` of B (same result,
    to the bit, as ``sqrt(((A[ia] - B[ib]) ** 2).sum(axis=1))``)."""
    acc = np.zeros(ia.size)
    for a, b in zip(a_cols, b_cols, strict=True):
        diff = a[ia]
        diff -= b[ib]
        diff *= diff
        acc += diff
    return np.sqrt(acc)


def _near_pairs(
    a_step: IntArray, a_pos: FloatArray, b_step: IntArray, b_pos: FloatArray, radius_m: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (A row, B row) pair at the same step strictly closer than ``radius_m``.

    Returns the row indices and distances, ordered by A row then B row (by step
    first when the rows are sorted by step). The distances are those of
    :func:`_pair_distance`, to the bit; a k-d tree over (position, step) finds the
    candidates, so the cost follows the near pairs rather than all pairs of a step
    (a large raid has hundreds of truths and tracks per step, nearly all far apart).
    """
    empty = np.zeros(0, dtype=np.int64)
    a_ok = np.flatnonzero(np.isfinite(a_pos).all(axis=1))
    b_ok = np.flatnonzero(np.isfinite(b_pos).all(axis=1))
    if not a_ok.size or not b_ok.size or not radius_m > 0.0:
        return empty, empty, np.zeros(0)
    search_m = radius_m
    if not np.isfinite(radius_m):  # every pair of a step: wider than the points' span
        both = np.concatenate([a_pos[a_ok], b_pos[b_ok]])
        search_m = 2.0 * float(np.max(both.max(axis=0) - both.min(axis=0))) + 1.0
    # the step as one more coordinate, far enough apart that no two steps meet
    sep = 4.0 * search_m + 1.0
    tree_a = cKDTree(np.column_stack([a_pos[a_ok], a_step[a_ok] * sep]))
    tree_b = cKDTree(np.column_stack([b_pos[b_ok], b_step[b_ok] * sep]))
    # a hair wider than the radius: the tree's own rounding must not lose a pair
    found = tree_a.sparse_distance_matrix(
        tree_b, search_m * (1.0 + 1e-9) + 1e-6, output_type="ndarray"
    )
    ia, ib = a_ok[found["i"]], b_ok[found["j"]]
    same = a_step[ia] == b_step[ib]
    ia, ib = ia[same], ib[same]
    order = np.lexsort((ib, ia))
    ia, ib = ia[order], ib[order]
    d = _pair_distance(_columns(a_pos), _columns(b_pos), ia, ib)
    near = d < radius_m
    return ia[near], ib[near], d[near]


def _gospa_on_steps(
    n_steps: int,
    truth_step: IntArray,
    truth_pos: FloatArray,
    track_step: IntArray,
    track_pos: FloatArray,
    c_m: float,
    p: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray]:
    """GOSPA parts per step for rows given as step indices (any order)."""
    _check_gospa_parameters(c_m, p)
    ta = np.argsort(truth_step, kind="stable")
    tb = np.argsort(track_step, kind="stable")
    a_step, a_pos = truth_step[ta], truth_pos[ta]
    b_step, b_pos = track_step[tb], track_pos[tb]
    na = np.bincount(a_step, minlength=n_steps).astype(np.int64)
    nb = np.bincount(b_step, minlength=n_steps).astype(np.int64)

    # Only pairs closer than c can be assigned at less than the cut-off's cost.
    ia, ib, d = _near_pairs(a_step, a_pos, b_step, b_pos, c_m)
    # A step is "simple" when every truth and every track has at most one
    # neighbour closer than c: the optimal assignment then takes exactly those
    # pairs (each saves c**p - d**p > 0 and none compete), no solver needed.
    busy = np.zeros(n_steps, dtype=bool)
    busy[a_step[np.bincount(ia, minlength=a_step.size) > 1]] = True
    busy[b_step[np.bincount(ib, minlength=b_step.size) > 1]] = True
    pair_step = a_step[ia]
    simple = ~busy[pair_step]
    localisation: FloatArray = np.asarray(
        np.bincount(pair_step[simple], weights=d[simple] ** p, minlength=n_steps), dtype=np.float64
    )
    n_assigned = np.asarray(np.bincount(pair_step[simple], minlength=n_steps), dtype=np.int64)
    # A busy step's assignment needs only the truths and tracks with a near pair:
    # every other entry of its cost matrix is the cut-off (their distance is >= c).
    for k in np.flatnonzero(busy):
        lo, hi = np.searchsorted(pair_step, [k, k + 1])
        rows, r_of = np.unique(ia[lo:hi], return_inverse=True)
        cols, c_of = np.unique(ib[lo:hi], return_inverse=True)
        block = np.full((rows.size, cols.size), c_m)
        block[r_of, c_of] = d[lo:hi]
        r, c = linear_sum_assignment(np.where(block < c_m, block, c_m) ** p)
        dd = block[r, c]
        dd = dd[dd < c_m]
        localisation[k] = np.sum(dd**p)
        n_assigned[k] = dd.size

    half = c_m**p / 2.0
    missed_count: IntArray = na - n_assigned
    false_count: IntArray = nb - n_assigned
    missed = missed_count * half
    false = false_count * half
    distance = (localisation + missed + false) ** (1.0 / p)
    return distance, localisation, missed, false, missed_count, false_count


def gospa_series(
    times_s: ArrayLike,
    truth_time_s: ArrayLike,
    truth_pos: ArrayLike,
    track_time_s: ArrayLike,
    track_pos: ArrayLike,
    c_m: float,
    p: float,
) -> GospaSeries:
    """GOSPA (alpha = 2) at every evaluation time, for rows keyed by time.

    Parameters
    ----------
    times_s : (T,) array_like
        Evaluation times, strictly increasing. Every truth and track row time
        must be one of them exactly (a time with no rows of one kind has an
        empty set of that kind).
    truth_time_s : (R,) array_like
        Time of each truth row.
    truth_pos : (R, d) array_like
        Position of each truth row, metres.
    track_time_s : (Q,) array_like
        Time of each track row.
    track_pos : (Q, d) array_like
        Position of each track row, metres.
    c_m, p : float
        Cut-off distance (m) and order.

    Returns
    -------
    GospaSeries
        One GOSPA value and its parts per evaluation time.

    Notes
    -----
    Cost grows with the number of truth/track pairs per step; steps where no
    object has two neighbours closer than ``c`` are resolved without an
    assignment solver, the others with ``scipy.optimize.linear_sum_assignment``.
    """
    times = np.asarray(times_s, dtype=np.float64)
    if times.ndim != 1 or np.any(np.diff(times) <= 0):
        raise ValueError("times_s must be a strictly increasing 1-D array")
    x = _as_points(truth_pos, "truth_pos")
    y = _as_points(track_pos, "track_pos")
    a_step = _steps_of(times, truth_time_s, "truth_time_s")
    b_step = _steps_of(times, track_time_s, "track_time_s")
    if a_step.size != x.shape[0] or b_step.size != y.shape[0]:
        raise ValueError("each row needs one time and one position")
    if x.shape[0] and y.shape[0] and x.shape[1] != y.shape[1]:
        raise ValueError(f"dimension mismatch: truth d={x.shape[1]}, track d={y.shape[1]}")
    parts = _gospa_on_steps(times.size, a_step, x, b_step, y, float(c_m), float(p))
    return GospaSeries(times, *parts, c_m=float(c_m), p=float(p))


# --------------------------------------------------------------------------- association


@dataclass(frozen=True, eq=False)
class TrackTruthAssociations:
    """Track-to-truth associations, one row per association (time range).

    Attributes
    ----------
    track : (A,) int64
        Track index (into the track id codes).
    truth : (A,) int64
        Truth index.
    start_step, end_step : (A,) int64
        First and last evaluation step of the association, inclusive.
    """

    track: IntArray
    truth: IntArray
    start_step: IntArray
    end_step: IntArray

    def __len__(self) -> int:
        return int(self.track.size)


def nearest_truth_labels(
    n_steps: int,
    truth_step: IntArray,
    truth_obj: IntArray,
    truth_pos: FloatArray,
    track_step: IntArray,
    track_pos: FloatArray,
    threshold_m: float,
) -> IntArray:
    """For each track row, the label (``truth_obj``) of the nearest truth row at the same
    step strictly closer than the threshold, the lower label on a tie, or -1."""
    labels = np.full(track_step.size, -1, dtype=np.int64)
    ia, ib, d = _near_pairs(truth_step, truth_pos, track_step, track_pos, threshold_m)
    if ia.size:
        # Nearest first within each track row; ties go to the lower truth index.
        order = np.lexsort((truth_obj[ia], d, ib))
        ib_sorted = ib[order]
        first = np.ones(ib_sorted.size, dtype=bool)
        first[1:] = ib_sorted[1:] != ib_sorted[:-1]
        labels[ib_sorted[first]] = truth_obj[ia[order][first]]
    return labels


def associate_tracks_to_truth(
    n_steps: int,
    truth_step: IntArray,
    truth_obj: IntArray,
    truth_pos: FloatArray,
    track_step: IntArray,
    track_obj: IntArray,
    track_pos: FloatArray,
    threshold_m: float,
    consec_pairs_confirm: int = 3,
    consec_misses_end: int = 2,
) -> TrackTruthAssociations:
    """Associate tracks with truths over time, reproducing Stone Soup's ``TrackToTruth``.

    At each report of a track, its candidate is the nearest truth reported at the
    same step and strictly closer than ``threshold_m``. Without a current truth,
    a candidate seen at ``consec_pairs_confirm`` consecutive reports becomes the
    current truth from the first of them. With one, a report whose candidate
    differs is a miss; after ``consec_misses_end`` consecutive misses the
    association (first confirmed report to last matching report) is closed, and
    a competing candidate that has itself been seen ``consec_pairs_confirm``
    times takes over from the report it was first seen at. Open associations are
    closed at the track's last report. The bookkeeping, including Stone Soup's
    quirks (a taking-over association may start before the previous one ended),
    is the same as in ``stonesoup.dataassociator.tracktotrack.TrackToTruth``.

    Parameters
    ----------
    n_steps : int
        Number of evaluation steps.
    truth_step, truth_obj : (R,) int
        Step index and truth index (0..J-1) of each truth row.
    truth_pos : (R, d) float
        Truth positions, metres.
    track_step, track_obj : (Q,) int
        Step index and track index (0..K-1) of each track row; at most one row
        per (step, track).
    track_pos : (Q, d) float
        Track positions, metres.
    threshold_m : float
        Association distance threshold, metres.
    consec_pairs_confirm, consec_misses_end : int
        Stone Soup's confirmation and termination counts (defaults 3 and 2).

    Returns
    -------
    TrackTruthAssociations
        Sorted by track, then start step.

    Notes
    -----
    The state machine advances once per evaluation step, vectorised over the
    tracks reported at that step.
    """
    if consec_pairs_confirm < 1 or consec_misses_end < 1:
        raise ValueError("consec_pairs_confirm and consec_misses_end must be at least 1")
    ta = np.argsort(truth_step, kind="stable")
    tb = np.lexsort((track_obj, track_step))
    b_step, b_obj = track_step[tb], track_obj[tb]
    labels = nearest_truth_labels(
        n_steps, truth_step[ta], truth_obj[ta], truth_pos[ta], b_step, track_pos[tb], threshold_m
    )
    n_tracks = int(b_obj.max()) + 1 if b_obj.size else 0
    # Per-track machine state, one row per field: current truth, candidate truth,
    # candidate count, consecutive misses, candidate first step, association
    # start and end steps (-1 for "none").
    state = np.zeros((7, n_tracks), dtype=np.int64)
    state[[0, 1, 4, 5, 6]] = -1
    out: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []

    b_off = np.concatenate([[0], np.cumsum(np.bincount(b_step, minlength=n_steps))])
    for s in np.flatnonzero(np.diff(b_off)).tolist():
        k = b_obj[b_off[s] : b_off[s + 1]]
        m = labels[b_off[s] : b_off[s + 1]]
        c0 = state[0, k]
        held = c0 >= 0
        if np.all(np.where(held, m == c0, m < 0)):
            # Steady state (every held track hits its truth, every free track
            # sees none): only the miss count, end step and candidate reset.
            state[3, k[held]] = 0
            state[6, k[held]] = s
            state[np.array([[1], [2], [4]]), k[~held]] = np.array([[-1], [0], [-1]])
            continue
        c0, p_, n_, f_, ps, st, en = state[:, k]
        c_ = c0.copy()
        free = ~held
        # No current truth: build up a candidate until it is confirmed.
        none = free & (m < 0)
        new = free & (m >= 0) & (p_ != m)
        same = free & (m >= 0) & (p_ == m)
        n_ = np.where(none, 0, np.where(new, 1, np.where(same, n_ + 1, n_)))
        p_ = np.where(none, -1, np.where(new, m, p_))
        ps = np.where(none, -1, np.where(new, s, ps))
        conf = free & (n_ >= consec_pairs_confirm)
        c_ = np.where(conf, m, c_)
        st = np.where(conf, ps, st)
        en = np.where(conf, s, en)
        ps = np.where(conf, -1, ps)
        p_ = np.where(conf, -1, p_)
        n_ = np.where(conf, 0, n_)
        # Current truth held: count misses and the competing candidate.
        hit = held & (m == c0)
        miss = held & (m != c0)
        f_ = np.where(hit, 0, np.where(miss, f_ + 1, f_))
        en = np.where(hit, s, en)
        again = miss & (m >= 0) & (m == p_)
        other = miss & ~again
        n_ = np.where(again, n_ + 1, np.where(other, 1, n_))
        p_ = np.where(other, m, p_)
        ps = np.where(other, s, ps)
        ended = held & (f_ >= consec_misses_end)
        if np.any(ended):
            out.append((k[ended], c0[ended], st[ended], en[ended]))
            take = ended & (n_ >= consec_pairs_confirm)
            drop = ended & ~take
            c_ = np.where(take, p_, np.where(drop, -1, c_))
            st = np.where(take, ps, np.where(drop, -1, st))
            en = np.where(take, s, np.where(drop, -1, en))
        state[:, k] = np.stack([c_, p_, n_, f_, ps, st, en])
    still = np.flatnonzero(state[0] >= 0)
    out.append((still, state[0, still], state[5, still], state[6, still]))
    track, truth, s0, s1 = (np.concatenate(col).astype(np.int64) for col in zip(*out, strict=True))
    order = np.lexsort((s1, s0, truth, track))
    return TrackTruthAssociations(track[order], truth[order], s0[order], s1[order])


# --------------------------------------------------------------------------- SIAP


@dataclass(frozen=True)
class SiapResult:
    """SIAP attribute measures over a run (Stone Soup ``SIAPMetrics`` definitions).

    Attributes
    ----------
    completeness : float
        Sum over time of associated truths / sum of truths (target 1).
    ambiguity : float
        Sum of associated tracks / sum of associated truths (target 1; 1 when
        nothing is associated).
    spuriousness : float
        Sum of unassociated tracks / sum of tracks (target 0).
    position_accuracy_m : float
        Mean track-truth position error over associations in force (target 0).
    velocity_accuracy_mps : float
        Mean track-truth velocity error over associations in force (target 0).
    rate_of_track_number_change_per_s : float
        Sum over truths of (tracks needed - 1) / total time tracked (target 0).
    longest_track_segment : float
        Sum over truths of the longest association / sum of truth lifetimes
        (target 1).
    n_associations : int
        Number of track-to-truth associations (time ranges).
    """

    completeness: float
    ambiguity: float
    spuriousness: float
    position_accuracy_m: float
    velocity_accuracy_mps: float
    rate_of_track_number_change_per_s: float
    longest_track_segment: float
    n_associations: int


def _codes(ids: ArrayLike) -> tuple[NDArray[np.generic], IntArray]:
    uniques, inverse = np.unique(np.asarray(ids), return_inverse=True)
    return uniques, inverse.reshape(-1).astype(np.int64)


def _expand_ranges(s0: IntArray, s1: IntArray) -> tuple[IntArray, IntArray]:
    """(range index, step) for every step of every inclusive range ``[s0, s1]``."""
    length = s1 - s0 + 1
    which = np.repeat(np.arange(s0.size, dtype=np.int64), length)
    first = np.cumsum(length) - length
    step = s0[which] + np.arange(which.size, dtype=np.int64) - np.repeat(first, length)
    return which, step


def _tracks_needed(steps: IntArray, a_s0: IntArray, a_s1: IntArray, pair_last: IntArray) -> int:
    """Stone Soup's ``min_num_tracks_needed_to_track`` for one truth.

    ``steps``: the truth's report steps (sorted); ``a_s0``/``a_s1``: its
    association ranges; ``pair_last``: for each range, the last end step of all
    ranges of the same track (Stone Soup merges one track's ranges with a truth
    into one association and ranks associations by that last end). Greedy: at
    each time take the covering association that ends last overall, count it
    and jump past the end of its range that covers the time. Stone Soup's early
    stop when that range ends at the current time is reproduced; ties in the
    ranking (left to set order in Stone Soup) go to the range that ends last.
    """
    if a_s0.size == 0:
        return 0
    first_idx = np.searchsorted(steps, a_s0)
    first_idx_c = np.minimum(first_idx, steps.size - 1)
    covers = (first_idx < steps.size) & (steps[first_idx_c] <= a_s1)
    count = 0
    idx = 0
    while idx < steps.size:
        t = steps[idx]
        inside = np.flatnonzero((a_s0 <= t) & (a_s1 >= t))
        if inside.size == 0:
            later = covers & (steps[first_idx_c] > t)
            if not np.any(later):
                break
            idx = int(first_idx[later].min())
            continue
        best = inside[np.lexsort((a_s1[inside], pair_last[inside]))[-1]]
        end_step = int(a_s1[best])
        count += 1
        pos = int(np.searchsorted(steps, end_step))
        if pos <= idx or pos >= steps.size or steps[pos] != end_step:
            break
        idx = pos + 1
    return count


def siap_on_steps(
    times_s: FloatArray,
    truth_step: IntArray,
    truth_obj: IntArray,
    truth_pos: FloatArray,
    truth_vel: FloatArray,
    track_step: IntArray,
    track_obj: IntArray,
    track_pos: FloatArray,
    track_vel: FloatArray,
    threshold_m: float,
    consec_pairs_confirm: int = 3,
    consec_misses_end: int = 2,
) -> SiapResult:
    """SIAP measures for rows given as step indices into ``times_s``.

    ``truth_obj`` and ``track_obj`` are dense indices (0..J-1, 0..K-1); at most
    one row per (step, object). See :func:`siap` for the definitions.
    """
    n_steps = times_s.size
    assoc = associate_tracks_to_truth(
        n_steps,
        truth_step,
        truth_obj,
        truth_pos,
        track_step,
        track_obj,
        track_pos,
        threshold_m,
        consec_pairs_confirm,
        consec_misses_end,
    )
    n_truths = int(truth_obj.max()) + 1 if truth_obj.size else 0
    n_tracks = int(track_obj.max()) + 1 if track_obj.size else 0

    # Keys (step, object) of the rows, for membership tests and look-ups.
    truth_key = truth_step * max(n_truths, 1) + truth_obj
    track_key = track_step * max(n_tracks, 1) + track_obj
    t_order = np.argsort(truth_key)
    k_order = np.argsort(track_key)
    truth_key_sorted = truth_key[t_order]
    track_key_sorted = track_key[k_order]

    which, step = _expand_ranges(assoc.start_step, assoc.end_step)
    a_truth = assoc.truth[which]
    a_track = assoc.track[which]

    def lookup(sorted_keys: IntArray, keys: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
        pos = np.searchsorted(sorted_keys, keys)
        pos_c = np.minimum(pos, max(sorted_keys.size - 1, 0))
        found = (
            (pos < sorted_keys.size) & (sorted_keys[pos_c] == keys)
            if sorted_keys.size
            else (np.zeros(keys.shape, dtype=bool))
        )
        return pos_c, found

    t_pos, t_found = lookup(truth_key_sorted, step * max(n_truths, 1) + a_truth)
    k_pos, k_found = lookup(track_key_sorted, step * max(n_tracks, 1) + a_track)

    # JT(t): truths present at t and covered by an association; NA(t): tracks
    # reported at t and covered by one of their associations.
    jt_keys = np.unique((step * max(n_truths, 1) + a_truth)[t_found])
    na_keys = np.unique((step * max(n_tracks, 1) + a_track)[k_found])
    sum_j = truth_step.size
    sum_n = track_step.size
    sum_jt = jt_keys.size
    sum_na = na_keys.size

    # PA/VA: one error per association in force at t (as Stone Soup sums over
    # associations, not over tracks), where both states exist.
    both = t_found & k_found
    ti = t_order[t_pos[both]]
    ki = k_order[k_pos[both]]
    pa_sum = float(np.sqrt(((track_pos[ki] - truth_pos[ti]) ** 2).sum(axis=1)).sum())
    va_sum = float(np.sqrt(((track_vel[ki] - truth_vel[ti]) ** 2).sum(axis=1)).sum())

    # Continuity. Truth lifetimes from first to last report.
    t_first = np.full(n_truths, np.iinfo(np.int64).max, dtype=np.int64)
    t_last = np.full(n_truths, -1, dtype=np.int64)
    np.minimum.at(t_first, truth_obj, truth_step)
    np.maximum.at(t_last, truth_obj, truth_step)
    lifetime_sum = float(np.sum(times_s[t_last] - times_s[t_first])) if n_truths else 0.0
    # Stone Soup merges all ranges of one (track, truth) pair into one
    # association; its "longest segment" is the longest such pair's total time.
    pair = assoc.track * max(n_truths, 1) + assoc.truth
    pair_ids, pair_inv = np.unique(pair, return_inverse=True)
    pair_time = np.bincount(pair_inv, weights=times_s[assoc.end_step] - times_s[assoc.start_step])
    pair_last_end = np.zeros(pair_ids.size, dtype=np.int64)
    np.maximum.at(pair_last_end, pair_inv, assoc.end_step)
    longest = np.zeros(n_truths)
    np.maximum.at(longest, pair_ids % max(n_truths, 1), pair_time)
    # Total time tracked: union of each truth's association ranges, segment by
    # segment between consecutive steps.
    seg_which, seg = _expand_ranges(assoc.start_step, assoc.end_step - 1)
    seg_keys = np.unique(seg * max(n_truths, 1) + assoc.truth[seg_which])
    seg_steps = seg_keys // max(n_truths, 1)
    tracked_sum = float(np.sum(times_s[seg_steps + 1] - times_s[seg_steps]))

    truth_rows_sorted = np.lexsort((truth_step, truth_obj))
    t_bounds = np.searchsorted(truth_obj[truth_rows_sorted], np.arange(n_truths + 1))
    a_by_truth = np.argsort(assoc.truth, kind="stable")
    a_bounds = np.searchsorted(assoc.truth[a_by_truth], np.arange(n_truths + 1))
    changes = 0
    for j in np.unique(assoc.truth).tolist():  # only truths with associations
        steps_j = truth_step[truth_rows_sorted[t_bounds[j] : t_bounds[j + 1]]]
        sel = a_by_truth[a_bounds[j] : a_bounds[j + 1]]
        needed = _tracks_needed(
            steps_j, assoc.start_step[sel], assoc.end_step[sel], pair_last_end[pair_inv[sel]]
        )
        if needed > 0:
            changes += needed - 1

    return SiapResult(
        completeness=sum_jt / sum_j if sum_j else 0.0,
        ambiguity=sum_na / sum_jt if sum_jt else 1.0,
        spuriousness=(sum_n - sum_na) / sum_n if sum_n else 0.0,
        position_accuracy_m=pa_sum / sum_na if sum_na else 0.0,
        velocity_accuracy_mps=va_sum / sum_na if sum_na else 0.0,
        rate_of_track_number_change_per_s=changes / tracked_sum if tracked_sum else 0.0,
        longest_track_segment=float(longest.sum()) / lifetime_sum if lifetime_sum else 0.0,
        n_associations=len(assoc),
    )


def siap(
    times_s: ArrayLike,
    truth_time_s: ArrayLike,
    truth_id: ArrayLike,
    truth_pos: ArrayLike,
    truth_vel: ArrayLike,
    track_time_s: ArrayLike,
    track_id: ArrayLike,
    track_pos: ArrayLike,
    track_vel: ArrayLike,
    threshold_m: float,
    consec_pairs_confirm: int = 3,
    consec_misses_end: int = 2,
) -> SiapResult:
    """SIAP attribute measures of a set of tracks against truth over a run.

    Definitions are those of Stone Soup's ``SIAPMetrics`` (Votruba et al. 2001)
    with associations from Stone Soup's ``TrackToTruth`` (see
    :func:`associate_tracks_to_truth`). Sums run over ``times_s``:

    * completeness ``C = sum JT(t) / sum J(t)``;
    * ambiguity ``A = sum NA(t) / sum JT(t)``;
    * spuriousness ``S = sum (N(t) - NA(t)) / sum N(t)``;
    * positional accuracy ``PA = sum over associations in force of |dx| / sum NA(t)``
      (velocity accuracy alike with velocities);
    * rate of track number change ``R = sum_j (NU_j - 1) / sum_j TT_j``;
    * longest track segment ``LS = sum_j TL_j / sum_j T_j``;

    with ``J`` truths, ``JT`` truths associated, ``N`` tracks, ``NA`` tracks
    associated, ``NU_j`` tracks needed to cover truth ``j`` (Stone Soup's greedy
    count, early stop included), ``TT_j`` its time tracked (union of its
    associations), ``T_j`` its lifetime (first to last report) and ``TL_j`` its
    "longest segment". As in Stone Soup, all association ranges of one
    (track, truth) pair are merged into one association, so ``TL_j`` is the
    largest *total* time one track spent associated with truth ``j``, not the
    longest unbroken range.

    Parameters
    ----------
    times_s : (T,) array_like
        Evaluation times, strictly increasing; each row time must be one of them.
    truth_time_s, truth_id : (R,) array_like
        Time and object id of each truth row.
    truth_pos, truth_vel : (R, d) array_like
        Truth position (m) and velocity (m/s).
    track_time_s, track_id : (Q,) array_like
        Time and track id of each track row (at most one row per time and id).
    track_pos, track_vel : (Q, d) array_like
        Track position (m) and velocity (m/s).
    threshold_m : float
        Association threshold, metres.
    consec_pairs_confirm, consec_misses_end : int
        Association confirmation and termination counts.

    Returns
    -------
    SiapResult

    Notes
    -----
    Stone Soup counts a track in ``NA(t)`` whenever an association's time range
    covers ``t``, even at a time the track did not report (and then fails in
    the accuracy step). Here ``NA(t)`` counts covered tracks *that reported at
    t*, and accuracies use pairs where both states exist; the two agree
    whenever tracks report at every step of their lifetime.
    """
    times = np.asarray(times_s, dtype=np.float64)
    if times.ndim != 1 or np.any(np.diff(times) <= 0):
        raise ValueError("times_s must be a strictly increasing 1-D array")
    _, truth_obj = _codes(truth_id)
    _, track_obj = _codes(track_id)
    return siap_on_steps(
        times,
        _steps_of(times, truth_time_s, "truth_time_s"),
        truth_obj,
        _as_points(truth_pos, "truth_pos"),
        _as_points(truth_vel, "truth_vel"),
        _steps_of(times, track_time_s, "track_time_s"),
        track_obj,
        _as_points(track_pos, "track_pos"),
        _as_points(track_vel, "track_vel"),
        float(threshold_m),
        consec_pairs_confirm,
        consec_misses_end,
    )
