"""One partner's early-warning stream during a run: own infrared and own tracks in, alerts out.

It listens to the partner's tracker after each scan (throttled: predicting impacts
for every scan of a 2 s fire-control radar would add nothing a staff could use)
and to the partner's own infrared reports as they arrive.
"""

from __future__ import annotations

import numpy as np

from skyweave.sensors.detections import Detections
from skyweave.tracking.tracker import TrackBatch
from skyweave.warning.alerts import AlertGenerator, Alerts, concat_alerts
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.launch import LaunchDetector


class PartnerWarning:
    """Feeds a :class:`LaunchDetector` and an :class:`AlertGenerator` in time order.

    Parameters
    ----------
    partner : str
    assets : DefendedAssets
        The partner's own defended assets.
    infrared : Detections
        The partner's own infrared reports (any order; taken by report time).
    update_interval_s : float
        Shortest time between two impact-prediction passes over the tracks.
    """

    def __init__(
        self,
        partner: str,
        assets: DefendedAssets,
        infrared: Detections,
        update_interval_s: float = 5.0,
    ) -> None:
        self.partner = partner
        self._detector = LaunchDetector(id_prefix=f"{partner}-launch")
        self._alerts = AlertGenerator(partner, assets)
        order = np.argsort(infrared.report_time_s, kind="stable")
        self._ir = infrared.take(order)
        self._ir_next = 0
        self._update_interval_s = update_interval_s
        self._last_update_s = -np.inf
        self._live_ids = np.zeros(0, dtype=np.int64)
        self._out: list[Alerts] = []

    def _feed_infrared(self, time_s: float) -> None:
        end = int(np.searchsorted(self._ir.report_time_s, time_s, side="right"))
        if end > self._ir_next:
            self._detector.add(self._ir.take(np.arange(self._ir_next, end)))
            self._ir_next = end
            self._out.append(self._alerts.launch_events(time_s, self._detector.events()))

    def on_tracks(self, batch: TrackBatch) -> None:
        """Called with the confirmed tracks after every scan."""
        t = batch.time_s
        self._feed_infrared(t)
        gone = np.setdiff1d(self._live_ids, batch.track_id)
        if gone.size:
            self._out.append(self._alerts.delete_tracks(t, gone))
        self._live_ids = batch.track_id.copy()
        if len(batch) and t - self._last_update_s >= self._update_interval_s:
            self._last_update_s = t
            self._out.append(
                self._alerts.track_update(t, batch.track_id, batch.state, batch.covariance)
            )
        else:
            self._out.append(self._alerts.advance(t))

    def finish(self, end_s: float) -> Alerts:
        """Take the remaining infrared reports up to ``end_s``; return every alert issued."""
        self._feed_infrared(max(end_s, self._alerts.time_s))
        self._out.append(self._alerts.advance(max(end_s, self._alerts.time_s)))
        return concat_alerts(self._out)
