"""The sensors stage, tick by tick: the scans and frames that fall in one tick.

Each radar scans at ``first_scan_s + k * revisit_period_s`` and each infrared
satellite takes a frame at ``first_frame_s + k * frame_period_s``. At a tick
``(t - dt, t]`` the stage takes every scan or frame due in it, looks at the
objects in flight at that instant (positions interpolated between the two truth
samples that bracket the tick, killed objects removed from their kill time on)
and draws its reports from the generator of that sensor and that scan index
(:func:`skyweave.rng.tick_rng`), so a scan's draws never depend on anything
else. Reports are held for the sensor's processing delay and handed on when
they are due; a sensor that fails loses the reports it has not yet delivered,
and a scan taken while it is down reports nothing.

All radar scans of a tick are simulated in one call
(:meth:`skyweave.sensors.radar_kernel.RadarSet.scan`: compiled geometry and
detection probability, then each scan's own draws), with the rows
:func:`skyweave.sensors.radar.scan_radar` gives scan by scan, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from skyweave.kinematics.truth import Truth
from skyweave.rng import TickRngs
from skyweave.sensors.detections import Detections, empty_detections
from skyweave.sensors.infrared import InfraredSatelliteParams, burn_end_times_s, infrared_frame
from skyweave.sensors.radar import RadarParams, rcs_factor_per_object
from skyweave.sensors.radar_kernel import RadarSet
from skyweave.sensors.sampling import overlaps_outage

FloatArray = NDArray[np.float64]

#: scan times within this of a tick boundary belong to the tick that ends there
_TIME_EPS_S = 1e-9


@dataclass(frozen=True)
class ScanReport:
    """One scan (radar) or frame (infrared): what it reported and when it is delivered.

    A radar scan with no detection is still a report: the tracker counts it as a
    look that saw nothing.
    """

    sensor_id: str
    partner: str
    sensor_type: str
    time_s: float
    report_time_s: float
    detections: Detections


def _snapshot_states(truth: Truth, time_s: float, killed_at_s: FloatArray) -> FloatArray:
    """Truth states (N, 6) at one instant: linear interpolation inside the tick, kills
    applied (NaN rows)."""
    times = truth.times_s
    i = int(np.searchsorted(times, time_s, side="left"))
    if i < len(times) and abs(times[i] - time_s) <= _TIME_EPS_S:
        states = truth.states[i].copy()
    else:
        i = min(max(i, 1), len(times) - 1)
        w = (time_s - times[i - 1]) / (times[i] - times[i - 1])
        states = (1.0 - w) * truth.states[i - 1] + w * truth.states[i]
    states[killed_at_s <= time_s] = np.nan
    return states


class _Objects:
    """The truth's object ids and the radars' RCS factors of each object: computed
    once per truth (the engine hands the same truth every tick), not once per scan."""

    def __init__(self, truth: Truth, radars: RadarSet) -> None:
        self.object_ids = truth.object_ids
        self.rcs_class = truth.rcs_class
        self.burnout = truth.burnout_time_s
        self.ids = np.asarray(truth.object_ids, dtype=object)
        n = len(truth.object_ids)
        # the infrared burn test's end of burn (no motor: never burning), and its latest
        self.burn_end_s = burn_end_times_s(truth.burnout_time_s)
        self.last_burn_end_s = float(self.burn_end_s.max()) if n else -math.inf
        # (R, N); raises on an unknown class, as rcs_factor_per_object does
        self.rcs = np.zeros((len(radars.params), n))
        for r, params in enumerate(radars.params):
            self.rcs[r] = rcs_factor_per_object(params, self.rcs_class)

    def matches(self, truth: Truth) -> bool:
        """Same objects (the tuples are compared by identity first, so this is cheap)."""
        return (
            self.object_ids == truth.object_ids
            and self.rcs_class == truth.rcs_class
            and self.burnout is truth.burnout_time_s
        )


class _Sensor:
    def __init__(self, params: RadarParams | InfraredSatelliteParams, seed: int) -> None:
        self.params = params
        self.seed = seed
        self.is_radar = isinstance(params, RadarParams)
        self.period_s = (
            params.revisit_period_s if isinstance(params, RadarParams) else params.frame_period_s
        )
        phase = params.first_scan_s if isinstance(params, RadarParams) else params.first_frame_s
        self.phase_s = 0.0 if phase is None else float(phase)
        # no scan before the scenario starts (the tick engine's first tick is (-dt, 0])
        self.k_first = math.ceil(-self.phase_s / self.period_s - _TIME_EPS_S)
        self.delay_s = float(params.processing_delay_s)
        self.scheduled = tuple(params.outages)
        # the scan model must not apply the schedule again: the stage does
        self.bare = replace(params, outages=())
        self.down = False
        self.pending: list[ScanReport] = []
        self._rngs = TickRngs()
        self._rng_name = f"sensor/{params.sensor_id}"

    def scan_indices(self, t0_s: float, t1_s: float) -> range:
        """Indices k with ``t0 < phase + k period <= t1``, none before ``k_first``."""
        k0 = math.floor((t0_s - self.phase_s) / self.period_s + _TIME_EPS_S) + 1
        k1 = math.floor((t1_s - self.phase_s) / self.period_s + _TIME_EPS_S)
        return range(max(k0, self.k_first), k1 + 1)

    def report(self, time_s: float, det: Detections) -> ScanReport:
        """The report of the scan at ``time_s`` that saw ``det``."""
        return ScanReport(
            self.params.sensor_id,
            self.params.partner,
            "radar" if self.is_radar else "infrared",
            time_s,
            time_s + self.delay_s,
            det,
        )

    def rng(self, k: int) -> np.random.Generator:
        """The generator of scan ``k``: ``tick_rng(seed, "sensor/<id>", k)``, reused
        (:class:`~skyweave.rng.TickRngs`): valid until the next call."""
        return self._rngs.get(self.seed, self._rng_name, k)

    def frame(self, k: int, time_s: float, states: FloatArray, objects: _Objects) -> ScanReport:
        """Infrared frame ``k`` at ``time_s``, of the truth ``states`` (N, 6) at that time.

        :func:`simulate_infrared` on the one-sample truth at ``time_s``, row for row
        (:func:`infrared_frame`); nothing is computed when no object still burns.
        """
        assert isinstance(self.bare, InfraredSatelliteParams)
        det = None
        if time_s <= objects.last_burn_end_s:
            det = infrared_frame(
                self.bare,
                time_s,
                states[:, :3],
                objects.burn_end_s,
                objects.ids,
                lambda: self.rng(k),
            )
        return self.report(time_s, empty_detections() if det is None else det)


class SensorStage:
    """Every sensor of a run, advanced one tick at a time.

    Parameters
    ----------
    sensors : sequence of RadarParams or InfraredSatelliteParams
        In scenario order (reports of one tick come out in this order, then
        by time).
    seed : int
        Run seed; the scan ``k`` of sensor ``s`` draws from
        ``tick_rng(seed, f"sensor/{s}", k)``.
    """

    def __init__(self, sensors: Sequence[RadarParams | InfraredSatelliteParams], seed: int) -> None:
        self._sensors = {p.sensor_id: _Sensor(p, int(seed)) for p in sensors}
        # the scan model must not apply the schedule again: the stage does (bare params)
        radars = [s.bare for s in self._sensors.values() if isinstance(s.bare, RadarParams)]
        self._radars = RadarSet(radars)
        self._radar_index = {p.sensor_id: i for i, p in enumerate(radars)}
        self._objects: _Objects | None = None

    def set_down(self, sensor_id: str, down: bool) -> None:
        """Fail (``down=True``) or repair a sensor now; a failure drops undelivered reports."""
        sensor = self._sensors[sensor_id]
        sensor.down = down
        if down:
            sensor.pending.clear()

    def is_down(self, sensor_id: str) -> bool:
        """The sensor is failed by an inject and not yet repaired."""
        return self._sensors[sensor_id].down

    def step(
        self, t0_s: float, t1_s: float, truth: Truth, killed_at_s: FloatArray
    ) -> tuple[list[ScanReport], list[ScanReport]]:
        """Scan the tick ``(t0_s, t1_s]``.

        Returns
        -------
        taken : list of ScanReport
            Every scan or frame taken in the tick (for ``detections.parquet``).
        delivered : list of ScanReport
            Reports due by ``t1_s`` (taken now or earlier), sorted by
            (measurement time, sensor id).
        """
        if self._objects is None or not self._objects.matches(truth):
            self._objects = _Objects(truth, self._radars)
        # every scan due in the tick, in sensor order then time
        due: list[tuple[_Sensor, int, float]] = []
        for sensor in self._sensors.values():
            if not sensor.down:
                for k in sensor.scan_indices(t0_s, t1_s):
                    time_s = sensor.phase_s + k * sensor.period_s
                    if not sensor.scheduled or not overlaps_outage(
                        time_s, time_s + sensor.delay_s, sensor.scheduled
                    ):
                        due.append((sensor, k, time_s))
        # sensors scanning at the same instant share one snapshot of the truth
        snap_of: dict[float, int] = {}
        for _, _, time_s in due:
            snap_of.setdefault(time_s, len(snap_of))
        states = [_snapshot_states(truth, time_s, killed_at_s) for time_s in snap_of]
        radar_due = [d for d in due if d[0].is_radar]
        radar_det = iter(self._scan_radars(radar_due, states, snap_of))
        taken: list[ScanReport] = []
        for sensor, k, time_s in due:
            if sensor.is_radar:
                report = sensor.report(time_s, next(radar_det))
            else:
                report = sensor.frame(k, time_s, states[snap_of[time_s]], self._objects)
            taken.append(report)
            sensor.pending.append(report)
        delivered: list[ScanReport] = []
        due_by_s = t1_s + _TIME_EPS_S
        for sensor in self._sensors.values():
            # a sensor's reports are pending in time order with one delay: the ones
            # due now are a prefix
            pending = sensor.pending
            if pending and pending[0].report_time_s <= due_by_s:
                n = 1
                while n < len(pending) and pending[n].report_time_s <= due_by_s:
                    n += 1
                delivered += pending[:n]
                sensor.pending = pending[n:]
        delivered.sort(key=lambda r: (r.time_s, r.sensor_id))
        return taken, delivered

    def _scan_radars(
        self,
        due: list[tuple[_Sensor, int, float]],
        states: list[FloatArray],
        snap_of: dict[float, int],
    ) -> list[Detections]:
        """The radar scans ``due`` in one call (:meth:`RadarSet.scan`)."""
        if not due:
            return []
        assert self._objects is not None
        positions = np.stack([st[:, :3] for st in states])
        scans = [(self._radar_index[s.params.sensor_id], t, snap_of[t]) for s, _, t in due]
        return self._radars.scan(
            self._objects.rcs,
            positions,
            scans,
            lambda i: due[i][0].rng(due[i][1]),
            self._objects.ids,
        )
