"""Launch-point estimates: from space-based infrared lines of sight, or from a track.

Infrared (:class:`LaunchDetector`, :func:`estimate_launch_events`)
------------------------------------------------------------------
The lines of sight (LOS) a partner holds are grouped into **launch events**
without using ``object_id`` (truth, kept for scoring only). Rows are taken in
order of ``report_time_s`` (then ``time_s``, ``sensor_id``), one report time
at a time, so the events found from a prefix of the rows never change when
later rows arrive: event ids are stable and incremental feeding equals one
batch call. A new LOS joins the event holding the most compatible recent LOS
(``time_s`` within ``gap_s``), where compatibility is

* same sensor: the distance between the two LOS's points at the cloud-top
  height (the plume's apparent ground track moves little between frames);
* different sensors: the closest-approach distance of the two lines, counted
  only when the closest points are at a plausible plume height (-20 km to
  1000 km), so that lines that cross in space or underground do not join;

and is accepted when the distance is at most
``association_distance_m + apparent_speed_mps * |dt|``. A continuation of the
same sensor's track is preferred to a crossing with another sensor's LOS
(two sensors' lines of different plumes can cross by chance: ghosts). One
sensor's frame sees each plume once, so an event takes at most one LOS of a
sensor's frame: the LOS of one frame are assigned to events as a linear
assignment (least total distance ratio), and those left over open new events.
This is what separates a salvo from one site into one event per missile: a
second plume rising while the first still burns is a second LOS in the same
frames. LOS that join no
event are grouped among themselves by the same rule (connected components)
and open new events ``"<prefix>-1"``, ``"<prefix>-2"``, ... in order.

Estimate per event:

* **triangulated** (two or more sensors): at each of the first ``n_fixes``
  (default 3) frame times of the second sensor to see the event, each
  sensor's LOS nearest in time is triangulated
  (:func:`~skyweave.sensors.triangulate_los`, weights ``1 / sigma_los**2``);
  the launch point is the sub-point (geodetic latitude and longitude) of the
  mean plume position. The early boost is nearly vertical, so the bias is the
  horizontal drift of the rocket between launch and those frames (a few km).
  ``sigma_m`` is the horizontal RMS error ``sqrt(trace(P_EN) / n)`` of the
  mean triangulation covariance over ``n`` distinct fixes (noise only, the
  drift bias is not in it).
* **single bearing** (one sensor): the event's first LOS meets the cloud-top
  height (the plume is first seen just above the clouds), and that point's
  sub-point is the estimate. Where along the bearing the launch was is not
  observable: ``bearing_azimuth_deg`` gives the azimuth (clockwise from North)
  from the estimate towards the satellite's sub-point; the true point lies
  near that great circle. ``sigma_m`` is NaN.

Cost
----
Each report time compares its new LOS with the recent ones (``gap_s``) in one
compiled pass over the pairs (:mod:`skyweave.warning.launch_kernel`): the time
window first, a division-free bound on the distance of two lines next, the
closest approach only for pairs that can still match, and each row's best score
per event kept as it goes. :meth:`LaunchDetector.events` looks again only at the
events that took new LOS, keeps the fixes those rows cannot change and estimates
the rest together (:mod:`skyweave.warning.launch_fix`). The events are those of
the dense NumPy formulas the detector used before (bit for bit on the large
raid's first 300 s: ``benchmarks/bench_launch_detector.py``).

From a track (:func:`launch_point_from_track`)
----------------------------------------------
A crude fallback for partners without infrared: the track state flown
backwards in vacuum free flight to the ground (the boost is short, so this
lands within some tens of km of the launch for a mid-course track), or, when
that fails (slow or non-ballistic track), the track position's sub-point.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.sensors.detections import Detections
from skyweave.sensors.infrared import (
    los_from_detections,
    los_ground_intersection,
)
from skyweave.warning.impact import ballistic_mask
from skyweave.warning.launch_fix import FixBases, LosRows, estimate_fixes
from skyweave.warning.launch_kernel import (
    event_scores,
    keep_fixes,
    pair_distance,
    track_plume_motion,
)
from skyweave.warning.propagate import free_flight_to_ground

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
ObjectArray = NDArray[np.object_]


@dataclass(frozen=True)
class LaunchEvents:
    """Launch events as column arrays (E rows, in order of first report).

    Attributes
    ----------
    event_id : (E,) object (str)
        ``"<prefix>-k"``, k = 1, 2, ... in order of first report.
    first_time_s : (E,) float64
        Frame time of the event's first LOS.
    first_report_time_s : (E,) float64
        Report time of its first LOS: when a launch alert can go out.
    estimate_time_s : (E,) float64
        Report time of the latest LOS used in the estimate.
    launch_lat_deg, launch_lon_deg : (E,) float64
        Estimated launch point (geodetic).
    triangulated : (E,) bool
        True when two or more sensors triangulated it; False: single bearing.
    sigma_m : (E,) float64
        Horizontal RMS error of a triangulated estimate; NaN for a bearing.
    bearing_azimuth_deg : (E,) float64
        Single bearing: azimuth from the estimate towards the satellite's
        sub-point (the line the launch lies near); NaN when triangulated.
    n_sensors, n_detections : (E,) int64
        Sensors and LOS rows grouped into the event so far.
    last_time_s : (E,) float64
        Frame time of the event's latest LOS.
    """

    event_id: ObjectArray
    first_time_s: FloatArray
    first_report_time_s: FloatArray
    estimate_time_s: FloatArray
    launch_lat_deg: FloatArray
    launch_lon_deg: FloatArray
    triangulated: BoolArray
    sigma_m: FloatArray
    bearing_azimuth_deg: FloatArray
    n_sensors: IntArray
    n_detections: IntArray
    last_time_s: FloatArray

    def __len__(self) -> int:
        return len(self.event_id)

    def take(self, index: NDArray[np.intp] | BoolArray) -> LaunchEvents:
        """Rows selected by an integer index or a boolean mask."""
        return LaunchEvents(**{k: np.asarray(v)[index] for k, v in self.__dict__.items()})


class LaunchDetector:
    """Groups one partner's infrared lines of sight into launch events, incrementally.

    Feed detections with :meth:`add` in order of ``report_time_s`` (each
    batch's rows no earlier than the previous batch's); read :meth:`events`.
    Non-infrared rows and rows with non-finite angles are ignored.

    Parameters
    ----------
    cloud_top_altitude_m : float
        Height at which a plume is first seen (single-bearing estimates and
        same-sensor association).
    association_distance_m : float
        Base association distance (see the module docstring).
    apparent_speed_mps : float
        Growth of the association distance with the time between two LOS
        (the plume's apparent motion along the ground, climb included).
    gap_s : float
        An event takes no new LOS after this long without one.
    n_fixes : int
        Triangulated fixes averaged into a launch estimate.
    id_prefix : str
        Event ids are ``f"{id_prefix}-{k}"``.
    """

    #: rows of the LOS column buffers when first made (they double when full)
    _MIN_BUFFER_ROWS = 256

    def __init__(
        self,
        *,
        cloud_top_altitude_m: float = 10_000.0,
        association_distance_m: float = 50_000.0,
        apparent_speed_mps: float = 5_000.0,
        gap_s: float = 30.0,
        n_fixes: int = 3,
        id_prefix: str = "launch",
    ) -> None:
        self.cloud_top_altitude_m = float(cloud_top_altitude_m)
        self.association_distance_m = float(association_distance_m)
        self.apparent_speed_mps = float(apparent_speed_mps)
        self.gap_s = float(gap_s)
        if n_fixes < 1:
            raise ValueError(f"n_fixes: expected >= 1, got {n_fixes}")
        self.n_fixes = int(n_fixes)
        self.id_prefix = id_prefix
        self._last_report_s = -np.inf
        # One entry per accepted LOS row.
        self._p = np.zeros((0, 3))
        self._u = np.zeros((0, 3))
        self._c = np.zeros((0, 3))
        self._t = np.zeros(0)
        self._rt = np.zeros(0)
        self._sig = np.zeros(0)
        self._s = np.zeros(0, dtype=object)
        self._code: dict[str, int] = {}  # sensor id -> its code (order of first sight)
        self._rank = np.zeros(0, dtype=np.int64)  # per code: its id's place in name order
        self._sc = np.zeros(0, dtype=np.int64)  # sensor code per LOS row
        self._partners_of: list[set[str]] = []  # per event: partners whose LOS joined it
        # lineage() as of the last call, and the events whose partners grew since
        self._lineage: dict[str, tuple[str, ...]] = {}
        self._lineage_stale: set[int] = set()
        self._rows_of: list[list[int]] = []  # per event: its LOS rows, in order
        # the estimates as LaunchEvents columns (one row per event, grown as events
        # open), the LOS rows already taken into them, and per event what its fix was
        # taken from: a new LOS that changes none of it leaves the fix as it was
        self._est = _empty_events(0)
        self._rows_estimated = 0
        self._bases = FixBases.empty(self.n_fixes)
        # truth object of each LOS, for scoring only: never used to group or estimate
        self._truth: list[str | None] = []
        self._ev = np.zeros(0, dtype=np.int64)
        self._buffers: dict[str, np.ndarray] = {}  # the room behind these columns
        self._n_events = 0
        # [event, sensor code]: the cloud-top point of its first LOS, and the largest
        # distance from it of the event's later LOS (how far the plume has moved);
        # NaN where the sensor never saw the event (rows grown as events open)
        self._start = np.full((0, 1, 3), np.nan)
        self._moved_m = np.full((0, 1), np.nan)

    def add(self, det: Detections) -> None:
        """Take new detections (any sensor types; infrared rows are used)."""
        sel = (
            (np.asarray(det.sensor_type, dtype=object) == "infrared")
            & np.isfinite(det.los_angle1_rad)
            & np.isfinite(det.los_angle2_rad)
        )
        rows = np.flatnonzero(sel)
        if not rows.size:
            return
        sensor = np.asarray(det.sensor_id[rows], dtype=str)
        d = det.take(rows[np.lexsort((sensor, det.time_s[rows], det.report_time_s[rows]))])
        if d.report_time_s[0] < self._last_report_s:
            raise ValueError(
                "LaunchDetector.add: rows must come in order of report_time_s "
                f"({d.report_time_s[0]} < {self._last_report_s})"
            )
        p, u = los_from_detections(d)
        c = los_ground_intersection(p, u, self.cloud_top_altitude_m)
        sig = np.where(np.isfinite(d.sigma_los_rad) & (d.sigma_los_rad > 0), d.sigma_los_rad, 1e-5)
        keep = np.all(np.isfinite(c), axis=-1)  # a LOS that misses the Earth is no launch
        if not np.all(keep):
            p, u, c, sig, d = p[keep], u[keep], c[keep], sig[keep], d.take(keep)
        # One report time at a time; a loop over report times, not over objects.
        bounds = np.flatnonzero(np.diff(d.report_time_s)) + 1
        for blk in np.split(np.arange(len(d)), bounds):
            if blk.size:
                self._add_batch(
                    p[blk],
                    u[blk],
                    c[blk],
                    d.time_s[blk],
                    d.report_time_s[blk],
                    sig[blk],
                    np.asarray(d.sensor_id[blk], dtype=object),
                    np.asarray(d.partner[blk], dtype=object),
                )
                self._truth += [None if o is None else str(o) for o in d.object_id[blk].tolist()]
        self._last_report_s = float(d.report_time_s[-1]) if len(d) else self._last_report_s

    def _allowed(self, ta: FloatArray, tb: FloatArray) -> FloatArray:
        dt = np.abs(ta[:, None] - tb[None, :])
        return self.association_distance_m + self.apparent_speed_mps * dt

    def _sensor_codes(self, s: ObjectArray) -> IntArray:
        """Codes of the sensor ids ``s``, new ids numbered in order of first sight."""
        n_known = len(self._code)
        for name in dict.fromkeys(s.tolist()):
            self._code.setdefault(str(name), len(self._code))
        if len(self._code) > n_known:
            names = np.array(list(self._code), dtype=str)
            self._rank = np.empty(len(names), dtype=np.int64)
            self._rank[np.argsort(names, kind="stable")] = np.arange(len(names))
        return np.fromiter((self._code[str(name)] for name in s.tolist()), np.int64, len(s))

    def _reserve(self, n_events: int) -> None:
        """Room in the per (event, sensor) arrays for ``n_events`` and every known sensor."""
        rows, cols = self._moved_m.shape
        if n_events <= rows and len(self._code) <= cols:
            return
        rows = max(n_events, 2 * rows, 64)
        cols = max(len(self._code), cols)
        start = np.full((rows, cols, 3), np.nan)
        moved = np.full((rows, cols), np.nan)
        start[: self._start.shape[0], : self._start.shape[1]] = self._start
        moved[: self._moved_m.shape[0], : self._moved_m.shape[1]] = self._moved_m
        self._start, self._moved_m = start, moved
        self._bases.reserve(rows, cols)

    def _add_batch(
        self,
        p: FloatArray,
        u: FloatArray,
        c: FloatArray,
        t: FloatArray,
        rt: FloatArray,
        sig: FloatArray,
        s: ObjectArray,
        o: ObjectArray,
    ) -> None:
        sc = self._sensor_codes(s)
        self._reserve(self._n_events + len(t))
        ev = np.full(len(t), -1, dtype=np.int64)
        # only LOS recent enough to match: older ones are past gap_s for every new row
        pool = np.flatnonzero(self._t >= t.min() - self.gap_s)
        if pool.size:
            events, column = np.unique(self._ev[pool], return_inverse=True)
            # among acceptable pairs the most recent wins (the score grows with the
            # time gap): a plume that has gone unseen for frames has more likely
            # burnt out than moved on
            best_same, best_cross = event_scores(
                p,
                u,
                c,
                t,
                sc,
                self._p[pool],
                self._u[pool],
                self._c[pool],
                self._t[pool],
                self._sc[pool],
                self._ev[pool],
                column.reshape(-1).astype(np.int64),
                len(events),
                self._start,
                self._moved_m,
                self.association_distance_m,
                self.apparent_speed_mps,
                self.gap_s,
            )
            ev = self._assign_to_events(best_same, best_cross, events, sc, t)
        new = np.flatnonzero(ev < 0)
        if new.size:
            dist = pair_distance(p[new], u[new], c[new], sc[new], p[new], u[new], c[new], sc[new])
            adj = dist <= self._allowed(t[new], t[new])
            # two LOS of one sensor's frame are two plumes, never one event
            same_frame = (sc[new][:, None] == sc[new][None, :]) & (
                t[new][:, None] == t[new][None, :]
            )
            adj &= ~same_frame | np.eye(new.size, dtype=bool)
            # Number components in order of their first row (deterministic).
            first = _first_row_of_component(adj)
            numbers = np.unique(first)
            ev[new] = self._n_events + np.searchsorted(numbers, first)
            self._n_events += len(numbers)
        first_row = len(self._ev)
        self._append_rows(p=p, u=u, c=c, t=t, rt=rt, sig=sig, s=s, sc=sc, ev=ev)
        self._partners_of += [set() for _ in range(self._n_events - len(self._partners_of))]
        for k, name in zip(ev.tolist(), o.tolist(), strict=True):
            if str(name) not in self._partners_of[k]:
                self._partners_of[k].add(str(name))
                self._lineage_stale.add(k)
        self._rows_of += [[] for _ in range(self._n_events - len(self._rows_of))]
        for row, k in enumerate(ev.tolist()):
            self._rows_of[k].append(first_row + row)
        track_plume_motion(ev, sc, c, self._start, self._moved_m)

    def _append_rows(self, **columns: np.ndarray) -> None:
        """Append LOS rows to the per-row columns (``self._p`` for ``p`` ...).

        The columns are prefixes of buffers that double when full: a raid's
        partner takes tens of thousands of LOS, and copying every column at
        every batch cost more than grouping them.
        """
        n_old = len(self._ev)
        n = n_old + len(columns["ev"])
        for name, rows in columns.items():
            buf = self._buffers.get(name)
            if buf is None or len(buf) < n:
                old = getattr(self, f"_{name}")
                size = (max(n, 2 * n_old, self._MIN_BUFFER_ROWS), *rows.shape[1:])
                grown = np.empty(size, dtype=np.result_type(old, rows))
                grown[:n_old] = old
                self._buffers[name] = buf = grown
            buf[n_old:n] = rows
            setattr(self, f"_{name}", buf[:n])

    def _assign_to_events(
        self,
        best_same: FloatArray,
        best_cross: FloatArray,
        events: IntArray,
        sc: IntArray,
        t: FloatArray,
    ) -> IntArray:
        """Event of each new LOS (-1: none), at most one LOS per event and sensor frame.

        ``best_same`` and ``best_cross`` (rows, events) are each row's best score
        for each pool event over that event's rows of the same sensor and of other
        sensors (see :func:`~skyweave.warning.launch_kernel.event_scores`; inf: not
        acceptable, finite scores are at most 2). A row's cost for an event is its
        best same-sensor score, or else 2 + its best cross-sensor score, so a
        continuation of the sensor's own track wins over a crossing line.
        """
        cost = np.where(np.isfinite(best_same), best_same, 2.0 + best_cross)
        ev = np.full(len(t), -1, dtype=np.int64)
        # a loop over the batch's sensor frames (a few per report time), each frame's
        # rows in row order (a stable sort)
        order = np.lexsort((t, sc))
        cut = np.flatnonzero((np.diff(sc[order]) != 0) | (np.diff(t[order]) != 0)) + 1
        for rows in np.split(order, cut):
            sub = cost[rows]
            cols = np.flatnonzero(np.any(np.isfinite(sub), axis=0))
            if not cols.size:
                continue
            r, k = linear_sum_assignment(np.where(np.isfinite(sub[:, cols]), sub[:, cols], 1e9))
            ok = np.isfinite(sub[r, cols[k]])
            ev[rows[r[ok]]] = events[cols[k[ok]]]
        return ev

    def truth_label(self, event_id: str) -> str | None:
        """The truth object most of an event's LOS came from (scoring only; None if
        the event is unknown or its LOS were all false alarms)."""
        prefix = f"{self.id_prefix}-"
        number = event_id[len(prefix) :] if event_id.startswith(prefix) else ""
        if not number.isdigit() or not 1 <= int(number) <= self._n_events:
            return None
        votes = Counter(self._truth[i] for i in self._rows_of[int(number) - 1])
        votes.pop(None, None)
        return votes.most_common(1)[0][0] if votes else None

    def lineage(self) -> dict[str, tuple[str, ...]]:
        """Event id -> the partners whose sensors' lines of sight joined it (sorted)."""
        for k in sorted(self._lineage_stale):  # new events last, in order
            self._lineage[f"{self.id_prefix}-{k + 1}"] = tuple(sorted(self._partners_of[k]))
        self._lineage_stale.clear()
        return dict(self._lineage)

    def events(self) -> LaunchEvents:
        """The launch events found so far, with their current estimates."""
        n = self._n_events
        if len(self._est) < n:
            grow = _empty_events(n - len(self._est))
            self._est = LaunchEvents(
                **{
                    name: np.concatenate([getattr(self._est, name), getattr(grow, name)])
                    for name in self._est.__dict__
                }
            )
            self._est.event_id[:] = [f"{self.id_prefix}-{k + 1}" for k in range(n)]
        # only the events that took new lines of sight since the last call are looked
        # at again (an event's estimate depends on its rows only), and of those only
        # the ones whose fix the new rows change are estimated again
        new = slice(self._rows_estimated, len(self._ev))
        self._rows_estimated = len(self._ev)
        changed = np.unique(self._ev[new])
        if changed.size:
            out = self._est
            kept = keep_fixes(
                changed,
                np.fromiter((len(self._rows_of[k]) for k in changed.tolist()), np.int64),
                self._ev[new],
                self._t[new],
                self._rt[new],
                self._sc[new],
                self._bases.kind,
                self._bases.in_basis,
                self._bases.second,
                self._bases.t_refs,
                self._bases.n_refs,
                self._bases.best_dt,
                self.n_fixes,
                out.first_time_s,
                out.first_report_time_s,
                out.last_time_s,
                out.n_detections,
            )
            los = LosRows(self._p, self._u, self._c, self._t, self._rt, self._sig, self._sc)
            estimate_fixes(changed[~kept], self._rows_of, los, self._rank, self._bases, out)
        return LaunchEvents(**{name: value.copy() for name, value in self._est.__dict__.items()})


def _first_row_of_component(adj: BoolArray) -> IntArray:
    """Per node of the undirected graph ``adj`` (n, n; True on the diagonal), the
    first (least) node of its connected component."""
    adj = adj | adj.T
    n = len(adj)
    label = np.arange(n)
    while True:  # least label among neighbours, then pointer jumping: a few rounds
        least = np.minimum(label, np.where(adj, label[None, :], n).min(axis=1))
        least = least[least]
        if np.array_equal(least, label):
            return label
        label = least


def _empty_events(n: int) -> LaunchEvents:
    """``n`` event rows with nothing estimated yet (ids filled in by the caller)."""
    return LaunchEvents(
        event_id=np.full(n, "", dtype=object),
        first_time_s=np.full(n, np.nan),
        first_report_time_s=np.full(n, np.nan),
        estimate_time_s=np.full(n, np.nan),
        launch_lat_deg=np.full(n, np.nan),
        launch_lon_deg=np.full(n, np.nan),
        triangulated=np.zeros(n, dtype=bool),
        sigma_m=np.full(n, np.nan),
        bearing_azimuth_deg=np.full(n, np.nan),
        n_sensors=np.zeros(n, dtype=np.int64),
        n_detections=np.zeros(n, dtype=np.int64),
        last_time_s=np.full(n, np.nan),
    )


def estimate_launch_events(det: Detections, time_s: float, **kwargs: Any) -> LaunchEvents:
    """Launch events from the infrared detections a partner holds at ``time_s``.

    Parameters
    ----------
    det : Detections
        Detections available to the partner (own and received); rows reported
        after ``time_s`` are ignored, as are non-infrared rows.
    time_s : float
        Current time.
    **kwargs
        :class:`LaunchDetector` options.

    Returns
    -------
    LaunchEvents
        Same as feeding :class:`LaunchDetector` the rows incrementally.
    """
    detector = LaunchDetector(**kwargs)
    detector.add(det.take(det.report_time_s <= time_s))
    return detector.events()


def launch_point_from_track(
    states: ArrayLike, *, backward: bool = True, horizon_s: float = 3_600.0
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Crude launch points (N,) from track states (N, 6), ECEF.

    Parameters
    ----------
    states : (N, 6)
        ECEF track states (the first state of each track is best).
    backward : bool
        Fly ballistic states backwards to the ground (vacuum); otherwise, or
        where that fails, use the sub-point of the track position.
    horizon_s : float
        Longest backward flight.

    Returns
    -------
    lat_deg, lon_deg : (N,) float64
    backtracked : (N,) bool
        True where the backward flight gave the point.
    """
    x = np.asarray(states, dtype=np.float64).reshape(-1, 6)
    n = x.shape[0]
    point = x[:, :3].copy()
    back = np.zeros(n, dtype=bool)
    if backward and n:
        ok = ballistic_mask(x)
        if np.any(ok):
            imp, _ = free_flight_to_ground(x[ok], horizon_s, backward=True)
            good = np.all(np.isfinite(imp), axis=-1)
            rows = np.flatnonzero(ok)[good]
            point[rows] = imp[good]
            back[rows] = True
    lat, lon, _ = ecef_to_geodetic(point[:, 0], point[:, 1], point[:, 2])
    return (
        np.asarray(lat, dtype=np.float64).reshape(n),
        np.asarray(lon, dtype=np.float64).reshape(n),
        back,
    )


__all__ = [
    "LaunchDetector",
    "LaunchEvents",
    "estimate_launch_events",
    "launch_point_from_track",
]
