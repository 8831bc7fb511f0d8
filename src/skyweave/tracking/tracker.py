"""Multi-target tracker: EKF on polar reports, GNN association, M-of-N track management.

One :class:`Tracker` per partner. It keeps all tracks as arrays (``x (T, 6)``,
``P (T, 6, 6)``, counters) and processes one :class:`~.RadarScan` at a time:

1. predict every track to the scan time (one shared clock, so one ``dt``);
2. predicted polar measurement, Jacobian and innovation covariance ``S`` per
   track; Mahalanobis distance for every (track, report) pair, azimuth
   innovation wrapped to ``[-pi, pi)``;
3. global nearest neighbour: ``scipy.optimize.linear_sum_assignment`` on the
   gated cost, confirmed tracks first and tentative tracks on the remaining
   reports (so a clutter-born tentative track cannot steal a confirmed
   track's report);
4. EKF update of the assigned tracks (``P - K H P``, symmetrised), re-done
   as an iterated EKF for the few tracks whose update moved them far from
   the linearisation point (new tracks seen again after a long revisit);
5. bookkeeping: M-of-N confirmation, deletion after K consecutive misses,
   a position-sigma cap, a coasting time limit or a track gone below the
   ground; new tentative tracks from
   unassigned reports (single-point initiation: position from the report,
   zero velocity with a wide covariance).

Why an EKF on the polar report rather than a converted-measurement filter:
with the polar model the innovation covariance ``S`` depends on the track only,
so the full gating matrix costs one 3x3 inverse per track plus a quadratic form
per pair; a converted measurement's covariance depends on the report, which
would need one 3x3 inverse per (track, report) pair. Accuracy is the same in
practice: the cross-range error ``r * sigma_az`` of a surveillance radar is a
tiny fraction of the range, where the linearisation is excellent (the
debiased-conversion literature shows bias only for ``r sigma_az^2 / sigma_r``
of order one). The NEES test checks consistency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from skyweave.tracking import motion_kernel, tracker_kernel
from skyweave.tracking.measurement import chi2_gate, wrap_pi
from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm
from skyweave.tracking.scan import RadarScan

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
AnyFloatArray = NDArray[np.floating[Any]]  # what np.linalg.inv is typed to return

_LOG_2PI = math.log(2.0 * math.pi)

# one empty index shared by every call (nothing in it to write; writable, so that the
# kernels it is passed to are compiled once, not again for a read-only array)
_NO_ROWS = np.zeros(0, dtype=np.int64)

#: largest sources mask (tracks x sensors) TrackBatch.sources reads in plain Python
_SMALL_MASK = 256

#: distinct steps whose IMM transition matrix a tracker keeps
_MAX_PI_CACHED = 64

#: Gauss-Newton iterations of the iterated-EKF refinement
_IEKF_MAX_ITER = 4


@dataclass(frozen=True)
class TrackerConfig:
    """Tuning of one partner tracker.

    Attributes
    ----------
    motion : ConstantVelocity | Ballistic | Imm
        Motion model shared by all tracks of this tracker.
    gate_probability : float
        Probability mass of the chi-square (3 dof) validation gate.
    init_velocity_sigma_mps : float
        One-sigma of each velocity component of a new (single-point) track.
    confirm_hits, confirm_window : int
        M-of-N confirmation: a tentative track is confirmed at ``confirm_hits``
        associated reports; it is deleted once it has missed more than
        ``confirm_window - confirm_hits`` of its scan opportunities.
    delete_after_misses : int
        A confirmed track is deleted after this many consecutive scans that
        should have seen it (range within ``RadarScan.max_range_m``) but did not.
    max_pos_sigma_m : float
        Any track whose ``pos_sigma_m`` exceeds this is deleted.
    max_coast_s : float
        Any track not updated for longer than this is deleted.
    min_altitude_m : float
        For ECEF states: any track below this height (the ground, less a margin
        for measurement noise) is deleted: nothing flies underground, and a track
        that went under is a threat that has ended. Reports predicted to a later
        time leave out the tracks that would be under it by then. The default,
        -inf, is for trackers in a local frame.
    """

    motion: ConstantVelocity | Ballistic | Imm = field(default_factory=ConstantVelocity)
    gate_probability: float = 0.9997
    init_velocity_sigma_mps: float = 300.0
    confirm_hits: int = 3
    confirm_window: int = 5
    delete_after_misses: int = 6
    max_pos_sigma_m: float = 20_000.0
    max_coast_s: float = float("inf")
    min_altitude_m: float = float("-inf")

    def __post_init__(self) -> None:
        if not 0.0 < self.gate_probability < 1.0:
            raise ValueError("gate_probability must be in (0, 1)")
        if not 1 <= self.confirm_hits <= self.confirm_window:
            raise ValueError("need 1 <= confirm_hits <= confirm_window")
        if self.delete_after_misses < 1:
            raise ValueError("delete_after_misses must be >= 1")

    @property
    def gate_d2(self) -> float:
        """Chi-square (3 dof) gate on the squared Mahalanobis distance."""
        return chi2_gate(self.gate_probability, 3)


@dataclass(frozen=True)
class TrackBatch:
    """Confirmed tracks at one time.

    Attributes
    ----------
    time_s : float
        Time the states refer to.
    track_id : (K,) int64
        Stable ids, numbered 1, 2, ... in order of confirmation.
    state : (K, 6) float64
        ``(x, y, z, vx, vy, vz)`` in the tracker frame.
    covariance : (K, 6, 6) float64
    pos_sigma_m : (K,) float64
        ``sqrt(trace(P_pos))``: the RMS 3-D position error the filter claims.
    sources_mask : (K, S) bool
        ``sources_mask[k, s]``: sensor ``sensor_ids[s]`` has fed track ``k``.
    sensor_ids : tuple of str
    """

    time_s: float
    track_id: IntArray
    state: FloatArray
    covariance: FloatArray
    pos_sigma_m: FloatArray
    sources_mask: BoolArray
    sensor_ids: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @property
    def sources(self) -> list[list[str]]:
        """Sorted sensor ids that fed each track (at every report, for the tracks table
        and each release): plain Python for a small batch; else the names of all rows
        gathered at once, then one slice a row."""
        ids = self.sensor_ids
        order = sorted(range(len(ids)), key=ids.__getitem__)
        mask = self.sources_mask[:, order]
        sorted_ids = [ids[i] for i in order]
        if mask.size <= _SMALL_MASK:
            return [
                [sid for sid, fed in zip(sorted_ids, row, strict=True) if fed]
                for row in mask.tolist()
            ]
        names = np.asarray(sorted_ids, dtype=object)[np.nonzero(mask)[1]].tolist()
        out: list[list[str]] = []
        start = 0
        for end in np.cumsum(np.count_nonzero(mask, axis=1)).tolist():
            out.append(names[start:end])
            start = end
        return out

    def rows(self, partner: str) -> dict[str, object]:
        """Columns of ``tracks.parquet`` for this batch.

        Returns
        -------
        dict
            ``time_s, partner, track_id, x_m, y_m, z_m, vx_mps, vy_mps, vz_mps,
            pos_sigma_m`` as arrays and ``sources`` as a list of lists of str.
        """
        k = len(self)
        return {
            "time_s": np.full(k, self.time_s),
            "partner": np.full(k, partner, dtype=object),
            "track_id": self.track_id.copy(),
            "x_m": self.state[:, 0].copy(),
            "y_m": self.state[:, 1].copy(),
            "z_m": self.state[:, 2].copy(),
            "vx_mps": self.state[:, 3].copy(),
            "vy_mps": self.state[:, 4].copy(),
            "vz_mps": self.state[:, 5].copy(),
            "pos_sigma_m": self.pos_sigma_m.copy(),
            "sources": self.sources,
        }

    def to_arrow(self, partner: str) -> pa.Table:
        """The rows as a ``pyarrow.Table`` (``sources`` is ``list<string>``)."""
        cols = self.rows(partner)
        arrays = {
            name: pa.array(
                list(val) if isinstance(val, np.ndarray) and val.dtype == object else val,
                type=pa.list_(pa.string()) if name == "sources" else None,
            )
            for name, val in cols.items()
        }
        return pa.table(arrays)


class Tracker:
    """Multi-target tracker for one partner (see the module docstring).

    Parameters
    ----------
    config : TrackerConfig
        Tuning; the default is a constant-velocity tracker.
    start_time_s : float
        Initial clock; scans earlier than the clock are rejected.
    """

    def __init__(self, config: TrackerConfig | None = None, start_time_s: float = 0.0) -> None:
        self.config = config if config is not None else TrackerConfig()
        self._gate_d2 = self.config.gate_d2
        self._time_s = float(start_time_s)
        motion = self.config.motion
        self._imm = motion if isinstance(motion, Imm) else None
        self._model = None if isinstance(motion, Imm) else motion
        self._kernel_modes = self._imm.kernel_modes() if self._imm is not None else None
        # mode transition matrices by step: radars revisit at a few fixed periods
        self._pi_by_dt: dict[float, FloatArray] = {}
        self._sensor_index: dict[str, int] = {}
        self._next_id = 1
        n_modes = self._imm.n_modes if self._imm is not None else 0
        # a new track's mode probabilities (normalised), a pure function of the config
        mu0 = np.asarray(self._imm.initial_probabilities if self._imm else (), dtype=np.float64)
        self._mu0 = mu0 / mu0.sum()
        # Track arrays (T = number of live tracks, tentative and confirmed).
        self._x = np.zeros((0, 6))
        self._p = np.zeros((0, 6, 6))
        self._xm = np.zeros((0, n_modes, 6))
        self._pm = np.zeros((0, n_modes, 6, 6))
        self._mu = np.zeros((0, n_modes))
        self._track_id = np.zeros(0, dtype=np.int64)  # -1 while tentative
        self._hits = np.zeros(0, dtype=np.int64)
        self._opps = np.zeros(0, dtype=np.int64)
        self._misses = np.zeros(0, dtype=np.int64)
        self._last_update_s = np.zeros(0)
        self._sources = np.zeros((0, 0), dtype=bool)
        # Rows [0, _checked) passed the state-only deletion tests (position sigma, ground)
        # and their state has not changed since; later rows are new (appended).
        self._checked = 0
        # confirmed() as of the last change of clock, states, ids or sources
        self._batch: TrackBatch | None = None

    # ------------------------------------------------------------------ state
    @property
    def time_s(self) -> float:
        """The tracker clock: time of the last processed scan or prediction."""
        return self._time_s

    @property
    def n_tracks(self) -> int:
        """Live tracks, tentative and confirmed."""
        return int(self._x.shape[0])

    @property
    def sensor_ids(self) -> tuple[str, ...]:
        """Sensors seen so far, in order of first appearance."""
        return tuple(self._sensor_index)

    def confirmed(self) -> TrackBatch:
        """Confirmed tracks at the tracker clock.

        Built once per change of the tracker (the engine asks after every scan and
        again at report and decision times): callers share it and must not modify it.
        """
        if self._batch is None:
            ids, x, p, sigma, src = tracker_kernel.confirmed_rows(
                self._track_id, self._x, self._p, self._sources
            )
            self._batch = TrackBatch(
                time_s=self._time_s,
                track_id=ids,
                state=x,
                covariance=p,
                pos_sigma_m=sigma,
                sources_mask=src,
                sensor_ids=self.sensor_ids,
            )
        return self._batch

    def rows(self, partner: str, time_s: float | None = None) -> dict[str, object]:
        """``tracks.parquet`` columns of the confirmed tracks.

        Parameters
        ----------
        partner : str
            Value of the ``partner`` column.
        time_s : float, optional
            If given (not earlier than the clock), tracks are first predicted
            to this time; the tracker's own state is left untouched.
        """
        if time_s is None or time_s == self._time_s:
            return self.confirmed().rows(partner)
        if time_s < self._time_s:
            raise ValueError(f"cannot report at {time_s} s, before the clock {self._time_s} s")
        rows = np.flatnonzero(self._track_id >= 0)
        x, p = self._predict_arrays(rows, time_s - self._time_s)
        up = np.flatnonzero(~_below(x, self.config.min_altitude_m))
        rows = rows.take(up)
        p = p.take(up, axis=0)
        batch = TrackBatch(
            time_s=float(time_s),
            track_id=self._track_id.take(rows),
            state=x.take(up, axis=0),
            covariance=p,
            pos_sigma_m=_pos_sigma(p),
            sources_mask=self._sources.take(rows, axis=0),
            sensor_ids=self.sensor_ids,
        )
        return batch.rows(partner)

    # ------------------------------------------------------------- prediction
    def _predict_arrays(self, rows: IntArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Predicted combined ``(x, P)`` of the tracks ``rows``, without storing it."""
        if self._model is not None:
            return self._model.predict(self._x.take(rows, axis=0), self._p.take(rows, axis=0), dt_s)
        _, _, _, x, p = self._imm_predict(
            self._xm.take(rows, axis=0),
            self._pm.take(rows, axis=0),
            self._mu.take(rows, axis=0),
            dt_s,
        )
        return x, p

    def _imm_predict(
        self, xm: FloatArray, pm: FloatArray, mu: FloatArray, dt_s: float
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        assert self._imm is not None and self._kernel_modes is not None
        pi = self._pi_by_dt.get(dt_s)
        if pi is None:  # a pure function of the step: kept for the next scan at it
            if len(self._pi_by_dt) >= _MAX_PI_CACHED:
                self._pi_by_dt.clear()
            pi = self._pi_by_dt[dt_s] = self._imm.transition_matrix(dt_s)
        # compiled mixing, models and combination in one call (the einsum formulas and
        # the NumPy models are their reference: tests/test_motion_kernel.py)
        return motion_kernel.imm_predict(
            np.ascontiguousarray(mu),
            pi,
            np.ascontiguousarray(xm),
            np.ascontiguousarray(pm),
            float(dt_s),
            *self._kernel_modes,
        )

    def predict_to(self, time_s: float) -> None:
        """Advance every track (and the clock) to ``time_s``."""
        dt = float(time_s) - self._time_s
        if dt < 0.0:
            raise ValueError(
                f"scan at {time_s} s is earlier than the tracker clock {self._time_s} s"
            )
        if dt > 0.0:
            self._batch = None
        if dt > 0.0 and self.n_tracks:
            self._checked = 0
            if self._model is not None:
                self._x, self._p = self._model.predict(self._x, self._p, dt)
            else:
                self._xm, self._pm, self._mu, self._x, self._p = self._imm_predict(
                    self._xm, self._pm, self._mu, dt
                )
        self._time_s = float(time_s)

    # ----------------------------------------------------------------- update
    def process(self, scan: RadarScan) -> TrackBatch:
        """Predict to the scan, associate, update, manage tracks; return confirmed tracks."""
        self.predict_to(scan.time_s)
        s_idx = self._sensor_column(scan.sensor_id)
        z = scan.z
        n_meas = z.shape[0]
        if not self.n_tracks:  # nothing to gate or age: every report starts a track
            if n_meas:
                self._rebuild(_NO_ROWS, z, scan, s_idx)
            return self.confirmed()
        # predicted measurements and the cover test on them, before the update
        h, hp, in_cover = _scan_prediction(self._x, scan)
        assigned_tr = assigned_meas = _NO_ROWS
        if n_meas:  # an empty scan only counts misses: no gate, no update
            assigned_tr, assigned_meas = self._gate_and_update(z, h, hp, scan)
        keep = self._manage(scan, s_idx, in_cover, assigned_tr)
        new_z = None
        if n_meas:
            free = np.ones(n_meas, dtype=bool)
            free[assigned_meas] = False
            if free.any():
                new_z = z[free]
        if keep is not None or new_z is not None:
            # the deleted tracks dropped and the new ones appended in one copy
            self._rebuild(np.arange(self.n_tracks) if keep is None else keep, new_z, scan, s_idx)
        return self.confirmed()

    def _gate_and_update(
        self, z: FloatArray, h: FloatArray, hp: FloatArray, scan: RadarScan
    ) -> tuple[IntArray, IntArray]:
        """Gate, associate and update the tracks with the scan's reports; return the
        assigned (track, report) indices."""
        # S = Hp P_pos Hp^T + R and P H^T, then the gated pairs, compiled (the NumPy
        # forms' products and LAPACK inverse: tests/test_tracker_kernel.py)
        pht, s = tracker_kernel.innovation_cov(self._p, hp, scan.sigmas * scan.sigmas)
        pt, pm, d2, sinv = tracker_kernel.gated_pairs(z, h, s, self._gate_d2)
        assigned_tr, assigned_meas = self._associate(pt, pm, d2)
        if assigned_tr.size:
            self._update(assigned_tr, assigned_meas, h, pht, sinv, scan)
        return assigned_tr, assigned_meas

    def _manage(
        self, scan: RadarScan, s_idx: int, in_cover: BoolArray, assigned_tr: IntArray
    ) -> IntArray | None:
        """M-of-N confirmation and deletion, compiled per track
        (:func:`skyweave.tracking.tracker_kernel.manage_scan`). Returns the rows to keep
        when a track is to be deleted (the caller drops the others), else None."""
        cfg = self.config
        # the counts, then the state-only tests (position sigma, ground) on the rows
        # whose state changed since they were last passed (none after a scan at the
        # clock that updated nothing): the same result
        keep, any_dead, confirmed_dead, next_id = tracker_kernel.manage_scan(
            self._track_id,
            self._hits,
            self._opps,
            self._misses,
            self._last_update_s,
            self._sources,
            self._x,
            self._p,
            assigned_tr,
            s_idx,
            in_cover,
            scan.time_s,
            cfg.confirm_hits,
            cfg.confirm_window - cfg.confirm_hits,
            cfg.delete_after_misses,
            float(cfg.max_coast_s),
            self._next_id,
            self._checked,
            float(cfg.max_pos_sigma_m),
            float(cfg.min_altitude_m),
        )
        if next_id != self._next_id:  # tracks confirmed
            self._next_id = next_id
            self._batch = None
        if not any_dead:
            self._checked = self.n_tracks
            return None
        if confirmed_dead:
            self._batch = None
        self._checked = keep.size
        return keep

    def _associate(self, pt: IntArray, pm: IntArray, d2: FloatArray) -> tuple[IntArray, IntArray]:
        """GNN: confirmed tracks first, then tentative tracks on the leftover reports.

        ``(pt, pm, d2)`` are the gated (track, report, squared distance) pairs.
        """
        conf = self._track_id[pt] >= 0
        if len(set(pt.tolist())) == pt.size and len(set(pm.tolist())) == pm.size:
            # no track or report in two pairs (the usual scan): each _gnn below would
            # return its pairs as given, and no tentative pair's report is taken
            if conf.all() or not conf.any():
                return pt, pm
            tent = ~conf
            return np.concatenate([pt[conf], pt[tent]]), np.concatenate([pm[conf], pm[tent]])
        tr1, me1 = _gnn(pt[conf], pm[conf], d2[conf], self._gate_d2)
        tent = ~conf
        if tent.any():
            if me1.size:
                tent &= ~np.isin(pm, me1)
            tr2, me2 = _gnn(pt[tent], pm[tent], d2[tent], self._gate_d2)
            return np.concatenate([tr1, tr2]), np.concatenate([me1, me2])
        return tr1, me1

    def _update(
        self,
        tr: IntArray,
        me: IntArray,
        h: FloatArray,
        pht_all: FloatArray,
        sinv_all: AnyFloatArray,
        scan: RadarScan,
    ) -> None:
        self._batch = None
        self._checked = 0
        if self._imm is None:
            nu = scan.z[me] - h[tr]
            nu[:, 1] = wrap_pi(nu[:, 1])
            x0 = self._x.take(tr, axis=0)
            p0 = self._p.take(tr, axis=0)
            x, p = _ekf_update(x0, p0, nu, pht_all.take(tr, axis=0), sinv_all.take(tr, axis=0))
            self._x[tr], self._p[tr] = _iekf_refine(x0, p0, scan.z[me], x, p, scan)
            return
        # IMM: update every mode of the assigned tracks with its own linearisation, then
        # the iterated refinement, compiled (their NumPy forms, which the tests hold
        # them to, are in tests/tracker_reference.py)
        xm_u, pm_u, ll = tracker_kernel.imm_update(
            self._xm,
            self._pm,
            tr,
            scan.z,
            me,
            np.ascontiguousarray(scan.sensor_pos_m, dtype=np.float64),
            np.ascontiguousarray(scan.enu_to_frame, dtype=np.float64),
            np.ascontiguousarray(scan.sigmas, dtype=np.float64),
            _IEKF_MAX_ITER,
        )
        logw = np.log(np.maximum(self._mu[tr], 1e-300)) + ll
        logw -= logw.max(axis=1, keepdims=True)
        mu = np.exp(logw)
        mu /= mu.sum(axis=1, keepdims=True)
        # the modes, probabilities and their mixture of the assigned (distinct) tracks
        # stored, compiled (the scatters and imm_combine: tests/test_motion_kernel.py)
        motion_kernel.imm_store(tr, xm_u, pm_u, mu, self._xm, self._pm, self._mu, self._x, self._p)

    # ------------------------------------------------------ track management
    def _sensor_column(self, sensor_id: str) -> int:
        idx = self._sensor_index.get(sensor_id)
        if idx is None:
            idx = len(self._sensor_index)
            self._sensor_index[sensor_id] = idx
            self._batch = None  # one more sources column
            self._sources = np.concatenate(
                [self._sources, np.zeros((self._sources.shape[0], 1), dtype=bool)], axis=1
            )
        return idx

    def _rebuild(self, rows: IntArray, z: FloatArray | None, scan: RadarScan, s_idx: int) -> None:
        """Keep the tracks ``rows`` (in order) and start tentative tracks from the
        unassigned reports ``z`` (single-point initiation), every array copied once."""
        n = 0 if z is None else z.shape[0]
        x, p, xm, pm, mu = self._x[:0], self._p[:0], self._xm[:0], self._pm[:0], self._mu[:0]
        if z is not None:
            az, el = z[:, 1], z[:, 2]
            rot = scan.enu_to_frame
            if not (rot.flags.c_contiguous or rot.flags.f_contiguous):
                rot = rot.copy()  # the BLAS call's orders are known for these two layouts
            # the states compiled (polar_to_cartesian's products:
            # tests/test_tracker_kernel.py), from NumPy's cosines and sines
            x, p, xm, pm, mu = tracker_kernel.new_tracks(
                z,
                np.stack([np.cos(az), np.sin(az), np.cos(el), np.sin(el)]),
                scan.sigmas,
                scan.sensor_pos_m,
                rot,
                self.config.init_velocity_sigma_mps**2,
                self._mu0,
                n == 1 and rot.flags.c_contiguous,
            )
        self._x, self._p, self._xm, self._pm, self._mu = tracker_kernel.keep_and_append_states(
            rows, self._x, self._p, self._xm, self._pm, self._mu, x, p, xm, pm, mu
        )
        (
            self._track_id,
            self._hits,
            self._opps,
            self._misses,
            self._last_update_s,
            self._sources,
        ) = tracker_kernel.keep_and_append_counts(
            rows,
            self._track_id,
            self._hits,
            self._opps,
            self._misses,
            self._last_update_s,
            self._sources,
            n,
            scan.time_s,
            s_idx,
        )


def _scan_prediction(x: FloatArray, scan: RadarScan) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Predicted measurements ``h`` (T, 3) and Jacobians of the tracks ``x`` (T, 6), and
    which of them the scan was expected to see, compiled
    (:func:`skyweave.tracking.tracker_kernel.scan_prediction`: ``predict_polar``'s rows
    and :func:`skyweave.tracking.tracker_kernel.in_cover`)."""
    return tracker_kernel.scan_prediction(
        x,
        scan.sensor_pos_m,
        scan.enu_to_frame,
        scan.max_range_m,
        scan.min_elevation_rad,
        scan.max_elevation_rad,
        scan.boresight_azimuth_rad,
        scan.half_width_azimuth_rad,
    )


def _pos_sigma(p: FloatArray) -> FloatArray:
    """``sqrt(trace(P_pos))`` of covariances (N, 6, 6): the diagonal summed in
    ``np.trace``'s order, without its per-call overhead."""
    return np.sqrt(p[:, 0, 0] + p[:, 1, 1] + p[:, 2, 2])


def _below(x: FloatArray, min_altitude_m: float) -> BoolArray:
    """ECEF states (N, 6) whose position is below ``min_altitude_m`` (none for -inf):
    heights above the WGS84 ground as ``Ground().altitude_m`` gives them, compiled."""
    if not np.isfinite(min_altitude_m):
        return np.zeros(len(x), dtype=bool)
    return tracker_kernel.ellipsoid_altitude_m(x) < min_altitude_m


def _gnn(pt: IntArray, pm: IntArray, d2: FloatArray, gate: float) -> tuple[IntArray, IntArray]:
    """Optimal assignment over gated pairs (global nearest neighbour).

    Each track may stay unassigned at cost ``gate`` (as if it took a report at
    the gate edge), so the assignment maximises ``sum(gate - d2)`` over gated
    pairs; pairs outside the gate get cost 0 in the dense matrix given to
    ``linear_sum_assignment`` and are dropped afterwards. The matrix holds only
    the tracks and reports that have at least one gated pair.
    """
    if pt.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    rows, ri = np.unique(pt, return_inverse=True)
    cols, ci = np.unique(pm, return_inverse=True)
    if rows.size == pt.size and cols.size == pm.size:
        return pt, pm  # every track and report in exactly one pair: nothing to solve
    cost = np.zeros((rows.size, cols.size))
    cost[ri, ci] = d2 - gate
    r, c = linear_sum_assignment(cost)
    good = cost[r, c] < 0.0
    return rows[r[good]], cols[c[good]]


def _ekf_update(
    x: FloatArray,
    p: FloatArray,
    nu: FloatArray,
    pht: FloatArray,
    sinv: AnyFloatArray,
) -> tuple[FloatArray, FloatArray]:
    """EKF update with precomputed innovation, ``P H^T`` and ``S^-1``."""
    gain = pht @ sinv  # (K, 6, 3)
    xn = x + (gain @ nu[:, :, None])[:, :, 0]
    # P - K H P = P - K (P H^T)^T. With the optimal gain this equals the Joseph
    # form algebraically; float64 and symmetrisation keep it positive definite
    # at the covariance ratios met here (checked by the NEES test).
    pn = p - gain @ np.swapaxes(pht, 1, 2)
    pn = 0.5 * (pn + np.swapaxes(pn, 1, 2))
    return xn, pn


def _iekf_refine(
    x_pred: FloatArray,
    p_pred: FloatArray,
    z: FloatArray,
    x_upd: FloatArray,
    p_upd: FloatArray,
    scan: RadarScan,
    max_iter: int = _IEKF_MAX_ITER,
) -> tuple[FloatArray, FloatArray]:
    """Iterated-EKF re-linearisation where the one-step EKF linearised too far away,
    compiled (:func:`skyweave.tracking.tracker_kernel.iekf_refine`, which documents the
    method; its NumPy form, held to it bit for bit, is in ``tests/tracker_reference.py``)."""
    return tracker_kernel.iekf_refine(
        np.ascontiguousarray(x_pred),
        np.ascontiguousarray(p_pred),
        np.ascontiguousarray(z),
        np.ascontiguousarray(x_upd),
        np.ascontiguousarray(p_upd),
        np.ascontiguousarray(scan.sensor_pos_m, dtype=np.float64),
        np.ascontiguousarray(scan.enu_to_frame, dtype=np.float64),
        np.ascontiguousarray(scan.sigmas, dtype=np.float64),
        max_iter,
    )
