"""Engagement feasibility: when can each battery launch at each track, and where would it meet it.

The interceptor is an abstract flyout model: it leaves the battery at launch time
``t_L`` and flies a straight line at the battery's average flyout speed ``v`` to
the predicted intercept point. It meets track ``k`` at time ``t_i >= t_L`` when::

    |p_k(t_i) - b| = v (t_i - t_L)        <=>        h(t_i) = t_L,   h(t) = t - |p_k(t) - b| / v

``h(t)`` is the latest launch time that still reaches the point the track
occupies at ``t``. For a launch at ``t_L`` the **earliest intercept** is the
first ``t`` with ``h(t) = t_L``. Since ``h(t) <= t``, no ``t < t_L`` satisfies
``h(t) >= t_L``, so the earliest intercept is the first crossing of ``t_L`` by
``h`` over the whole prediction, found in three vectorised steps over batteries
x tracks x launch times:

1. ``h`` on the prediction's sample grid (one call of the trajectory function),
   and its running maximum ``H`` (nondecreasing);
2. a batched binary search of ``H`` for the first sample with ``H >= t_L``; the
   sample before it has ``h < t_L``, so the crossing is bracketed;
3. the Illinois variant of regula falsi inside each bracket (one trajectory
   call per iteration for all brackets at once) to ``tolerance_s``.

A crossing that begins and ends between two samples (``h`` rising above
``t_L`` and falling back within one step) is not seen: the sample grid sets the
resolution. The end of each track's prediction (its predicted impact, where the
trajectory function starts returning NaN) is located by bisection and used as a
sample, so an intercept just before impact is found.

An intercept is **feasible** when its point lies inside the battery's
envelope: ground range (great-circle distance on the mean sphere between the
sub-points of battery and intercept point) within
``[min_range, max_range]`` and geodetic altitude within ``[min_alt, max_alt]``,
and the launch is not before ``available_from_s`` (e.g. a launcher free).
Inventory and fire channels are the engagement model's business
(:mod:`skyweave.engagement`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

from skyweave.c2.feasibility_kernel import illinois_hermite
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.geodetic import ecef_to_geodetic

if TYPE_CHECKING:
    from skyweave.scenario.schema import Battery

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

PredictedTrajectory = Callable[[FloatArray], FloatArray]
"""Predicted ECEF positions of K tracks: times ``(K, Q)`` s -> positions ``(K, Q, 3)`` m.

Row ``k`` of the times belongs to track ``k``; NaN where there is no prediction
(e.g. after the predicted impact)."""


class TabulatedTrajectory:
    """A :data:`PredictedTrajectory` interpolating tabulated predictions of K tracks.

    Built by :func:`tabulated_trajectory`. Besides the ``(K, Q)`` call it
    evaluates at (track, time) pairs (:meth:`at`) with the same arithmetic, so
    a caller needing a few tracks at a few times does not evaluate them all.
    """

    def __init__(self, times_s: FloatArray, states: FloatArray) -> None:
        self.times_s = times_s
        self.states = states
        self.hermite = states.shape[2] == 6

    @property
    def n_tracks(self) -> int:
        """K, the number of tabulated tracks."""
        return int(self.states.shape[0])

    def __call__(self, q: FloatArray) -> FloatArray:
        """Positions at times ``(K, Q)`` (row k for track k) -> ``(K, Q, 3)``."""
        q = np.asarray(q, dtype=np.float64)
        rows = np.arange(self.n_tracks).reshape((-1,) + (1,) * (q.ndim - 1))
        return self._interpolate(rows, q)

    def at(self, track: IntArray, q: FloatArray) -> FloatArray:
        """Positions of tracks ``track`` (N,) at times ``q`` (N,) -> ``(N, 3)``."""
        return self._interpolate(np.asarray(track), np.asarray(q, dtype=np.float64))

    def _interpolate(self, track: IntArray, q: FloatArray) -> FloatArray:
        t, x = self.times_s, self.states
        i = np.clip(np.searchsorted(t, q, side="right") - 1, 0, t.size - 2)
        t0, t1 = t[i], t[i + 1]
        h = t1 - t0
        s = ((q - t0) / h)[..., None]
        a = x[track, i]
        b = x[track, i + 1]
        if self.hermite:
            s2, s3 = s * s, s * s * s
            p = (
                (2 * s3 - 3 * s2 + 1) * a[..., :3]
                + (s3 - 2 * s2 + s) * h[..., None] * a[..., 3:]
                + (-2 * s3 + 3 * s2) * b[..., :3]
                + (s3 - s2) * h[..., None] * b[..., 3:]
            )
        else:
            p = (1.0 - s) * a + s * b
        # At a table time the sample itself, even when its neighbour has no prediction.
        p = np.where(s == 0.0, a[..., :3], np.where(s == 1.0, b[..., :3], p))
        inside = (q >= t[0]) & (q <= t[-1])
        return np.where(inside[..., None], p, np.nan)


def tabulated_trajectory(times_s: ArrayLike, states: ArrayLike) -> TabulatedTrajectory:
    """A :data:`PredictedTrajectory` interpolating tabulated predictions of K tracks.

    Parameters
    ----------
    times_s : (M,)
        Strictly increasing table times.
    states : (K, M, 6) or (K, M, 3)
        ECEF positions and velocities (cubic Hermite interpolation, exact for
        polynomials up to degree 3), or positions only (linear). NaN where
        there is no prediction.

    Returns
    -------
    TabulatedTrajectory
        NaN outside ``[times_s[0], times_s[-1]]`` and in any interval with a NaN end.
    """
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    x = np.asarray(states, dtype=np.float64)
    if t.size < 2 or not np.all(np.diff(t) > 0.0):
        raise ValueError("times_s: expected at least 2 strictly increasing times")
    if x.ndim != 3 or x.shape[1] != t.size or x.shape[2] not in (3, 6):
        raise ValueError(f"states: expected (K, {t.size}, 6 or 3), got {x.shape}")
    return TabulatedTrajectory(t, x)


@dataclass(frozen=True)
class BatteryEnvelopes:
    """B batteries' positions, envelopes and flyout speeds as column arrays (SI).

    Attributes
    ----------
    battery_id : tuple of str
    lat_deg, lon_deg, alt_m : (B,) float64
    ecef_m : (B, 3) float64
    min_range_m, max_range_m : (B,) float64
        Ground range limits of the intercept point.
    min_alt_m, max_alt_m : (B,) float64
        Geodetic altitude limits of the intercept point.
    flyout_speed_mps : (B,) float64
        Average interceptor speed along its straight flyout.
    """

    battery_id: tuple[str, ...]
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_m: FloatArray
    ecef_m: FloatArray
    min_range_m: FloatArray
    max_range_m: FloatArray
    min_alt_m: FloatArray
    max_alt_m: FloatArray
    flyout_speed_mps: FloatArray

    def __len__(self) -> int:
        return len(self.battery_id)

    @classmethod
    def from_arrays(
        cls,
        battery_id: Sequence[str],
        lat_deg: ArrayLike,
        lon_deg: ArrayLike,
        alt_m: ArrayLike,
        min_range_m: ArrayLike,
        max_range_m: ArrayLike,
        min_alt_m: ArrayLike,
        max_alt_m: ArrayLike,
        flyout_speed_mps: ArrayLike,
    ) -> BatteryEnvelopes:
        """From plain sequences (SI units); validates shapes and values."""
        ids = tuple(str(i) for i in battery_id)
        n = len(ids)
        cols = [
            np.asarray(c, dtype=np.float64).reshape(-1)
            for c in (
                lat_deg,
                lon_deg,
                alt_m,
                min_range_m,
                max_range_m,
                min_alt_m,
                max_alt_m,
                flyout_speed_mps,
            )
        ]
        for c in cols:
            if c.shape != (n,):
                raise ValueError(f"BatteryEnvelopes: expected ({n},) columns, got {c.shape}")
            if not np.all(np.isfinite(c)):
                raise ValueError("BatteryEnvelopes: expected finite numbers")
        lat, lon, alt, rmin, rmax, amin, amax, speed = cols
        if np.any(speed <= 0.0):
            raise ValueError("BatteryEnvelopes: flyout_speed_mps must be > 0")
        x, y, z = pymap3d.geodetic2ecef(lat, lon, alt)
        ecef = np.stack([np.asarray(x), np.asarray(y), np.asarray(z)], axis=-1).reshape(n, 3)
        return cls(ids, lat, lon, alt, ecef, rmin, rmax, amin, amax, speed)

    @classmethod
    def from_scenario(cls, batteries: Sequence[Battery]) -> BatteryEnvelopes:
        """From scenario batteries (km at the edge, metres inside)."""
        return cls.from_arrays(
            [b.id for b in batteries],
            [b.lat_deg for b in batteries],
            [b.lon_deg for b in batteries],
            [b.alt_m for b in batteries],
            [b.min_range_km * 1e3 for b in batteries],
            [b.max_range_km * 1e3 for b in batteries],
            [b.min_alt_km * 1e3 for b in batteries],
            [b.max_alt_km * 1e3 for b in batteries],
            [b.flyout_speed_mps for b in batteries],
        )


@dataclass(frozen=True)
class LaunchOpportunity:
    """One feasible launch of one battery at one track."""

    battery_id: str
    track_id: str
    launch_time_s: float
    intercept_time_s: float
    intercept_ecef_m: tuple[float, float, float]


@dataclass(frozen=True)
class EngagementWindows:
    """Feasible engagements of B batteries against K tracks on a launch-time grid of L.

    Attributes
    ----------
    battery_ids, track_ids : tuple of str
    launch_times_s : (L,) float64
    intercept_time_s : (B, K, L) float64
        Earliest intercept of a launch at each grid time (NaN where none is
        found within the prediction), whether or not inside the envelope.
    intercept_ecef_m : (B, K, L, 3) float64
    ground_range_m, intercept_alt_m : (B, K, L) float64
        Of the intercept point, relative to the battery.
    feasible : (B, K, L) bool
        Intercept found, inside the envelope, launch not before the battery
        is available.
    earliest_launch_s, latest_launch_s : (B, K) float64
        First and last feasible grid launch time (NaN where none); the feasible
        launch times in between need not be contiguous (see ``feasible``).
    earliest_intercept_time_s, latest_intercept_time_s : (B, K) float64
        Intercept time of those launches.
    earliest_intercept_ecef_m, latest_intercept_ecef_m : (B, K, 3) float64

    The earliest and latest picks are computed when first read (the decision
    cycle reads none of them).
    """

    battery_ids: tuple[str, ...]
    track_ids: tuple[str, ...]
    launch_times_s: FloatArray
    intercept_time_s: FloatArray
    intercept_ecef_m: FloatArray
    ground_range_m: FloatArray
    intercept_alt_m: FloatArray
    feasible: BoolArray

    @functools.cached_property
    def _earliest(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        return self._picked("first")

    @functools.cached_property
    def _latest(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        return self._picked("last")

    def _picked(self, which: str) -> tuple[FloatArray, FloatArray, FloatArray]:
        ok, launch = self.feasible, self.launch_times_s
        return _pick(ok, launch, self.intercept_time_s, self.intercept_ecef_m, which)

    @property
    def earliest_launch_s(self) -> FloatArray:
        """(B, K) first feasible grid launch time (NaN where none)."""
        return self._earliest[0]

    @property
    def latest_launch_s(self) -> FloatArray:
        """(B, K) last feasible grid launch time (NaN where none)."""
        return self._latest[0]

    @property
    def earliest_intercept_time_s(self) -> FloatArray:
        """(B, K) intercept time of the earliest feasible launch."""
        return self._earliest[1]

    @property
    def latest_intercept_time_s(self) -> FloatArray:
        """(B, K) intercept time of the latest feasible launch."""
        return self._latest[1]

    @property
    def earliest_intercept_ecef_m(self) -> FloatArray:
        """(B, K, 3) intercept point of the earliest feasible launch."""
        return self._earliest[2]

    @property
    def latest_intercept_ecef_m(self) -> FloatArray:
        """(B, K, 3) intercept point of the latest feasible launch."""
        return self._latest[2]

    @property
    def any_feasible(self) -> BoolArray:
        """(B, K): some grid launch time is feasible."""
        return np.asarray(self.feasible.any(axis=-1))

    def next_launch(self, after_s: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """First feasible launch at or after ``after_s`` (broadcast to (B, K)).

        Returns
        -------
        launch_time_s, intercept_time_s : (B, K) float64
            NaN where no feasible launch remains.
        intercept_ecef_m : (B, K, 3) float64
        """
        b, k, _ = self.feasible.shape
        after = np.broadcast_to(np.asarray(after_s, dtype=np.float64), (b, k))
        ok = self.feasible & (self.launch_times_s[None, None, :] >= after[..., None])
        return _pick(ok, self.launch_times_s, self.intercept_time_s, self.intercept_ecef_m, "first")

    def opportunity(
        self, battery_id: str, track_id: str, after_s: float
    ) -> LaunchOpportunity | None:
        """The first feasible launch of one battery at one track at or after ``after_s``."""
        bi = self.battery_ids.index(battery_id)
        ki = self.track_ids.index(track_id)
        ok = self.feasible[bi, ki] & (self.launch_times_s >= after_s)
        if not ok.any():
            return None
        li = int(np.argmax(ok))
        p = self.intercept_ecef_m[bi, ki, li]
        return LaunchOpportunity(
            battery_id,
            track_id,
            float(self.launch_times_s[li]),
            float(self.intercept_time_s[bi, ki, li]),
            (float(p[0]), float(p[1]), float(p[2])),
        )


def _pick(
    ok: BoolArray, launch: FloatArray, t_int: FloatArray, p_int: FloatArray, which: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Launch time, intercept time and point of the first or last True along the last axis."""
    n = ok.shape[-1]
    if n == 0:  # no launch time: nothing feasible
        nan = np.full(ok.shape[:-1], np.nan)
        return nan, nan.copy(), np.full((*ok.shape[:-1], 3), np.nan)
    if which == "first":
        idx = np.argmax(ok, axis=-1)
    else:
        idx = n - 1 - np.argmax(ok[..., ::-1], axis=-1)
    has = np.asarray(ok.any(axis=-1), dtype=bool)
    lt = np.where(has, launch[idx], np.nan)
    ti = np.where(has, np.take_along_axis(t_int, idx[..., None], axis=-1)[..., 0], np.nan)
    pi = np.take_along_axis(p_int, idx[..., None, None], axis=-2)[..., 0, :]
    pi = np.where(has[..., None], pi, np.nan)
    return lt, ti, pi


def ground_range_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray:
    """Great-circle distance on the mean sphere between sub-points (haversine), broadcast."""
    la1, lo1 = np.radians(lat1_deg), np.radians(lon1_deg)
    la2, lo2 = np.radians(lat2_deg), np.radians(lon2_deg)
    s = np.sin(0.5 * (la2 - la1)) ** 2 + np.cos(la1) * np.cos(la2) * np.sin(0.5 * (lo2 - lo1)) ** 2
    return np.asarray(2.0 * R_EARTH_MEAN_M * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0))))


def _first_at_least(running_max: FloatArray, targets: FloatArray) -> IntArray:
    """Batched searchsorted-left: first index m with running_max[r, m] >= targets[l].

    running_max : (R, M), nondecreasing along M, no NaN; targets : (L,), shared by
    every row. Returns (R, L) in [0, M] (0 for a NaN target, which nothing reaches
    first). Counted, not searched: each sample reaches the smallest few targets,
    and the samples below a target are a prefix of the row, so its first index is
    their count (integers throughout: exact).
    """
    r, m = running_max.shape
    nl = targets.size
    order = np.argsort(targets, kind="stable")
    # per sample, how many of the sorted targets it reaches (NaN targets sort last:
    # none is reached)
    reached = np.searchsorted(targets[order], running_max, side="right")
    counts = np.bincount(
        (np.arange(r)[:, None] * (nl + 1) + reached).reshape(-1), minlength=r * (nl + 1)
    ).reshape(r, nl + 1)
    out = np.empty((r, nl), dtype=np.int64)
    out[:, order] = np.cumsum(counts, axis=1)[:, :nl]
    out[:, np.isnan(targets)] = 0
    return out


def _locate_prediction_end(
    at: PairEvaluator, tau: FloatArray, p_grid: FloatArray, iterations: int, table_grid: bool
) -> tuple[FloatArray, FloatArray]:
    """Per-track sample times (K, M): the first unpredicted sample moved to the prediction's end.

    A track's prediction typically ends at its predicted impact, between two
    samples; an intercept just before it would otherwise fall outside every
    bracket. The first sample without a prediction that follows one with a
    prediction is replaced by the last predicted time (bisection), and its
    position by the prediction there.

    ``table_grid``: the samples are the times of a tabulated trajectory. Between
    the last predicted table time and the next (a sample with some NaN
    coordinate) every interpolated point has that NaN, so the bisection would
    end where it starts, on the last predicted sample: it is skipped.
    """
    nk, nm = p_grid.shape[:2]
    times = np.array(np.broadcast_to(tau, (nk, nm)))
    fin = np.all(np.isfinite(p_grid), axis=-1)
    trans = fin[:, :-1] & ~fin[:, 1:]
    rows = np.flatnonzero(trans.any(axis=1))  # only these tracks are bisected
    if rows.size == 0:
        return times, p_grid
    j = np.argmax(trans[rows], axis=1) + 1  # first unpredicted sample after a predicted one
    lo, hi = tau[j - 1], tau[j]
    if table_grid:
        times[rows, j] = lo
        p_grid = p_grid.copy()
        p_grid[rows, j] = p_grid[rows, j - 1]
        return times, p_grid
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        ok = np.all(np.isfinite(at(rows, mid)), axis=-1)
        lo = np.where(ok, mid, lo)
        hi = np.where(~ok, mid, hi)
    p_grid = p_grid.copy()
    times[rows, j] = lo
    p_grid[rows, j] = at(rows, lo)
    return times, p_grid


def engagement_windows(
    batteries: BatteryEnvelopes,
    trajectory: PredictedTrajectory,
    track_ids: Sequence[str],
    sample_times_s: ArrayLike,
    launch_times_s: ArrayLike | None = None,
    *,
    available_from_s: ArrayLike | None = None,
    tolerance_s: float = 1e-9,
    max_iterations: int = 60,
    end_iterations: int = 40,
) -> EngagementWindows:
    """Feasible launch windows and intercept points of every battery against every track.

    Parameters
    ----------
    batteries : BatteryEnvelopes
        B batteries.
    trajectory : PredictedTrajectory
        Predicted ECEF positions of the K tracks at given times.
    track_ids : sequence of str
        K track ids (row k of the trajectory function is ``track_ids[k]``).
    sample_times_s : (M,)
        Strictly increasing times at which the prediction is sampled to bracket
        intercepts (its step is the resolution; see the module docstring).
    launch_times_s : (L,) or None
        Launch-time grid (default: the sample times). Launches before the first
        sample time find no intercept.
    available_from_s : (B,) or None
        No launch before this time (e.g. when a launcher is free); default none.
    tolerance_s : float
        Stop refining an intercept time when its residual ``|h(t) - t_L|`` is
        at most this.
    max_iterations : int
        Cap on regula falsi iterations (all brackets iterate together).
    end_iterations : int
        Bisection steps locating the end of each track's prediction between
        the last predicted sample and the next (40 halve a 1 s step below 1 ns).

    Returns
    -------
    EngagementWindows
    """
    tau = np.asarray(sample_times_s, dtype=np.float64).reshape(-1)
    if tau.size < 2 or not np.all(np.diff(tau) > 0.0):
        raise ValueError("sample_times_s: expected at least 2 strictly increasing times")
    t_launch = tau.copy() if launch_times_s is None else np.asarray(launch_times_s, np.float64)
    t_launch = t_launch.reshape(-1)
    kids = tuple(str(k) for k in track_ids)
    nb, nk, nl, nm = len(batteries), len(kids), t_launch.size, tau.size
    avail = (
        np.full(nb, -np.inf)
        if available_from_s is None
        else np.broadcast_to(np.asarray(available_from_s, dtype=np.float64), (nb,))
    )
    shape = (nb, nk, nl)
    if nb == 0 or nk == 0 or nl == 0:
        return _empty_windows(batteries.battery_id, kids, t_launch)

    b_pos = batteries.ecef_m  # (B, 3)
    speed = batteries.flyout_speed_mps
    at = _pair_evaluator(trajectory, nk, float(tau[0]))

    # 1. h on the sample grid (one trajectory call for all tracks) and its running max.
    table_grid = isinstance(trajectory, TabulatedTrajectory) and np.array_equal(
        trajectory.times_s, tau
    )
    if table_grid and isinstance(trajectory, TabulatedTrajectory) and trajectory.n_tracks == nk:
        # at its own table times a tabulated trajectory is its table (interpolation
        # takes the sample itself there)
        p_grid = trajectory.states[:, :, :3]
    else:
        p_grid = np.asarray(trajectory(np.ascontiguousarray(np.broadcast_to(tau, (nk, nm)))))
    if p_grid.shape != (nk, nm, 3):
        raise ValueError(f"trajectory: expected ({nk}, {nm}, 3), got {p_grid.shape}")
    times, p_grid = _locate_prediction_end(at, tau, p_grid, end_iterations, table_grid)
    # (B, K, M) distances, coordinates apart on contiguous arrays: np.linalg.norm's
    # own arithmetic (squares summed in axis order), several times faster
    px, py, pz = (np.ascontiguousarray(p_grid[None, :, :, c]) for c in range(3))
    ex, ey, ez = (b_pos[:, c, None, None] for c in range(3))
    dx, dy, dz = px - ex, py - ey, pz - ez
    dist = np.sqrt((dx * dx + dy * dy) + dz * dz)
    h = times[None, :, :] - dist / speed[:, None, None]
    h = np.where(np.isfinite(h), h, -np.inf)
    running = np.maximum.accumulate(h, axis=-1)

    # 2. first sample with H >= t_L; the one before has h < t_L.
    m_hi = _first_at_least(running.reshape(nb * nk, nm), t_launch).reshape(shape)
    found = (m_hi > 0) & (m_hi < nm)
    m_hi_c = np.clip(m_hi, 1, nm - 1)
    m_lo_c = m_hi_c - 1
    # (battery, track) index grids: each sample picked as take_along_axis would
    bi, ki = np.arange(nb)[:, None, None], np.arange(nk)[None, :, None]
    h_lo = h[bi, ki, m_lo_c]
    found &= np.isfinite(h_lo)  # bracket must start on a predicted point
    a = np.where(found, times[ki, m_lo_c], tau[0])
    b = np.where(found, times[ki, m_hi_c], tau[0])
    fa = np.where(found, h_lo - t_launch, -1.0)
    fb = np.where(found, h[bi, ki, m_hi_c] - t_launch, 0.0)

    # 3. Illinois regula falsi in each bracket (flat index over B x K x L).
    c = np.where(fb <= tolerance_s, b, a).reshape(-1)
    open_ = np.flatnonzero(found & (fb > tolerance_s))
    brackets = (a.reshape(-1)[open_], b.reshape(-1)[open_], fa.reshape(-1)[open_])
    search = (
        np.unravel_index(open_, shape),
        brackets + (fb.reshape(-1)[open_],),
        b_pos,
        speed,
        t_launch,
        tolerance_s,
        max_iterations,
    )
    compiled = (
        isinstance(trajectory, TabulatedTrajectory)
        and trajectory.hermite
        and trajectory.n_tracks == nk
    )
    c[open_] = _illinois_tabulated(trajectory, *search) if compiled else _illinois(at, *search)
    c = c.reshape(shape)

    # The intercept point, and the envelope test, only where an intercept was found.
    t_int = np.where(found, c, np.nan)
    p_int = np.full((*shape, 3), np.nan)
    hit = np.flatnonzero(found)
    p_int.reshape(-1, 3)[hit] = at(np.unravel_index(hit, shape)[1], c.reshape(-1)[hit])
    found &= np.all(np.isfinite(p_int), axis=-1)
    t_int = np.where(found, t_int, np.nan)
    rng_m, alt = _ground_range_and_altitude(batteries, p_int, found)
    feasible = (
        found
        & (rng_m >= batteries.min_range_m[:, None, None])
        & (rng_m <= batteries.max_range_m[:, None, None])
        & (alt >= batteries.min_alt_m[:, None, None])
        & (alt <= batteries.max_alt_m[:, None, None])
        & (t_launch[None, None, :] >= avail[:, None, None])
    )
    return EngagementWindows(
        battery_ids=batteries.battery_id,
        track_ids=kids,
        launch_times_s=t_launch,
        intercept_time_s=t_int,
        intercept_ecef_m=p_int,
        ground_range_m=rng_m,
        intercept_alt_m=alt,
        feasible=np.asarray(feasible),
    )


PairEvaluator = Callable[[IntArray, FloatArray], FloatArray]
"""Positions of tracks ``(N,)`` (indices) at times ``(N,)`` -> ``(N, 3)``."""


def _pair_evaluator(trajectory: PredictedTrajectory, nk: int, pad_s: float) -> PairEvaluator:
    """The trajectory at (track, time) pairs.

    A tabulated trajectory evaluates the pairs directly. Any other is called
    with each track's times in its row, padded to the longest row with
    ``pad_s`` (its values there are dropped); its rows must be elementwise.
    """
    if isinstance(trajectory, TabulatedTrajectory) and trajectory.n_tracks == nk:
        return trajectory.at

    def at(track: IntArray, q: FloatArray) -> FloatArray:
        order = np.argsort(track, kind="stable")
        ks = track[order]
        counts = np.bincount(ks, minlength=nk)
        first = np.cumsum(counts) - counts  # of each track's run in the sorted pairs
        col = np.arange(ks.size) - first[ks]
        width = max(int(counts.max(initial=0)), 1)
        grid = np.full((nk, width), pad_s)
        grid[ks, col] = q[order]
        p = np.asarray(trajectory(grid), dtype=np.float64)
        if p.shape != (nk, width, 3):
            raise ValueError(f"trajectory: expected ({nk}, {width}, 3), got {p.shape}")
        out = np.empty((ks.size, 3))
        out[order] = p[ks, col]
        return out

    return at


def _illinois_tabulated(
    trajectory: PredictedTrajectory,
    index: tuple[IntArray, ...],
    bracket: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    b_pos: FloatArray,
    speed: FloatArray,
    t_launch: FloatArray,
    tolerance_s: float,
    max_iterations: int,
) -> FloatArray:
    """:func:`_illinois` on a Hermite :class:`TabulatedTrajectory`, compiled
    (:func:`skyweave.c2.feasibility_kernel.illinois_hermite`: the same iterates)."""
    assert isinstance(trajectory, TabulatedTrajectory)
    bi, ki, li = (np.ascontiguousarray(v, dtype=np.int64) for v in index)
    a, b, fa, fb = (np.ascontiguousarray(v, dtype=np.float64) for v in bracket)
    return np.asarray(
        illinois_hermite(
            np.ascontiguousarray(trajectory.times_s, dtype=np.float64),
            np.ascontiguousarray(trajectory.states, dtype=np.float64),
            ki,
            bi,
            li,
            a,
            b,
            fa,
            fb,
            np.ascontiguousarray(b_pos, dtype=np.float64),
            np.ascontiguousarray(speed, dtype=np.float64),
            np.ascontiguousarray(t_launch, dtype=np.float64),
            float(tolerance_s),
            int(max_iterations),
        )
    )


def _illinois(
    at: PairEvaluator,
    index: tuple[IntArray, ...],
    bracket: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    b_pos: FloatArray,
    speed: FloatArray,
    t_launch: FloatArray,
    tolerance_s: float,
    max_iterations: int,
) -> FloatArray:
    """Illinois regula falsi on N open brackets; returns their last iterates (N,).

    ``at`` evaluates the trajectory at (track, time) pairs. ``index`` is the
    (battery, track, launch) index of each bracket and
    ``bracket`` its ends and their residuals ``(a, b, f(a), f(b))``, with
    ``f(a) < 0 < f(b)``. Each iteration works on the brackets still open only:
    a bracket's iterates do not depend on the others'.
    """
    bi, ki, li = index
    a, b, fa, fb = bracket
    c_out = a.copy()
    live = np.arange(a.size)  # positions in the output of the brackets still open
    side = np.zeros(a.size, dtype=np.int8)
    for _ in range(max_iterations):
        if live.size == 0:
            break
        denom = fb - fa
        c = np.where(denom > 0.0, b - fb * (b - a) / np.where(denom > 0, denom, 1.0), b)
        c = np.clip(c, a, b)
        c_out[live] = c
        dist = np.linalg.norm(at(ki, c) - b_pos[bi], axis=-1)
        fc = c - dist / speed[bi] - t_launch[li]
        # No prediction inside a bracket (not expected between two predicted
        # samples): move the left end there and keep its old residual.
        fc = np.where(~np.isfinite(fc), fa, fc)
        neg = fc < 0.0
        pos = fc >= 0.0
        # Illinois: halve the stale end's value when the same end moves twice.
        fb = np.where(neg & (side == -1), 0.5 * fb, fb)
        fa = np.where(pos & (side == 1), 0.5 * fa, fa)
        a = np.where(neg, c, a)
        fa = np.where(neg, fc, fa)
        b = np.where(pos, c, b)
        fb = np.where(pos, fc, fb)
        side = np.where(neg, -1, np.where(pos, 1, side)).astype(np.int8)
        keep = ~((np.abs(fc) <= tolerance_s) | (b - a <= tolerance_s * 1e-3))
        if not keep.all():
            live, bi, ki, li = live[keep], bi[keep], ki[keep], li[keep]
            a, b, fa, fb, side = a[keep], b[keep], fa[keep], fb[keep], side[keep]
    return c_out


def _ground_range_and_altitude(
    batteries: BatteryEnvelopes, p_int: FloatArray, found: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Ground range from the battery and geodetic altitude of intercept points (B, K, L, 3).

    NaN where not ``found``; converted only where found.
    """
    rng_m = np.full(found.shape, np.nan)
    alt = np.full(found.shape, np.nan)
    hit = np.flatnonzero(found)
    if hit.size == 0:
        return rng_m, alt
    p = p_int.reshape(-1, 3)[hit]
    # contiguous columns, as whole-array conversion would see them
    lat_f, lon_f, alt_f = ecef_to_geodetic(
        np.ascontiguousarray(p[:, 0]), np.ascontiguousarray(p[:, 1]), np.ascontiguousarray(p[:, 2])
    )
    bi = np.unravel_index(hit, found.shape)[0]
    rng_m.reshape(-1)[hit] = ground_range_m(
        batteries.lat_deg[bi], batteries.lon_deg[bi], np.asarray(lat_f), np.asarray(lon_f)
    )
    alt.reshape(-1)[hit] = np.asarray(alt_f, dtype=np.float64)
    return rng_m, alt


def _empty_windows(
    battery_ids: tuple[str, ...], track_ids: tuple[str, ...], launch: FloatArray
) -> EngagementWindows:
    b, k, n = len(battery_ids), len(track_ids), launch.size
    nan3 = np.full((b, k, n), np.nan)
    return EngagementWindows(
        battery_ids=battery_ids,
        track_ids=track_ids,
        launch_times_s=launch,
        intercept_time_s=nan3,
        intercept_ecef_m=np.full((b, k, n, 3), np.nan),
        ground_range_m=nan3.copy(),
        intercept_alt_m=nan3.copy(),
        feasible=np.zeros((b, k, n), dtype=bool),
    )


__all__ = [
    "BatteryEnvelopes",
    "EngagementWindows",
    "LaunchOpportunity",
    "PredictedTrajectory",
    "engagement_windows",
    "ground_range_m",
    "tabulated_trajectory",
]
