"""One partner's early-warning stream, tick by tick: tracks and infrared in, alerts out.

It listens to the partner's tracker after each scan (throttled: predicting impacts
for every scan of a 2 s fire-control radar would add nothing a staff could use)
and takes the infrared lines of sight that reached the partner in each tick (its
own satellites' reports and those released to it over the links), whether or
not any radar sees anything.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from skyweave.lineage import lineage_column
from skyweave.sensors.detections import Detections
from skyweave.tracking.tracker import TrackBatch
from skyweave.warning.alerts import AlertGenerator, Alerts, concat_alerts, empty_alerts
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.launch import LaunchDetector


class PartnerWarning:
    """Feeds a :class:`LaunchDetector` and an :class:`AlertGenerator` in time order.

    Parameters
    ----------
    partner : str
    assets : DefendedAssets
        The partner's own defended assets.
    update_interval_s : float
        Shortest time between two impact-prediction passes over the tracks.
    """

    def __init__(
        self, partner: str, assets: DefendedAssets, update_interval_s: float = 5.0
    ) -> None:
        self.partner = partner
        self._detector = LaunchDetector(id_prefix=f"{partner}-launch")
        self._alerts = AlertGenerator(partner, assets)
        self._update_interval_s = update_interval_s
        self._last_update_s = -np.inf
        self._live_ids = np.zeros(0, dtype=np.int64)
        self._new: list[Alerts] = []

    def on_tracks(self, batch: TrackBatch) -> None:
        """Called with the confirmed tracks after every scan."""
        t = max(batch.time_s, self._alerts.time_s)
        gone = np.setdiff1d(self._live_ids, batch.track_id)
        if gone.size:
            self._new.append(self._alerts.delete_tracks(t, gone))
        self._live_ids = batch.track_id.copy()
        if len(batch) and t - self._last_update_s >= self._update_interval_s:
            self._last_update_s = t
            self._new.append(
                self._alerts.track_update(t, batch.track_id, batch.state, batch.covariance)
            )
        else:
            self._new.append(self._alerts.advance(t))

    def on_infrared(self, time_s: float, infrared: Detections) -> None:
        """Infrared reports that reached the partner by ``time_s`` (own and released)."""
        if len(infrared):
            self._detector.add(infrared)
            self._new.append(self._alerts.launch_events(time_s, self._detector.events()))

    def threat_killed(self, time_s: float, track_ids: np.ndarray) -> None:
        """Kills assessed on these own tracks reached the partner: all clear now."""
        if len(track_ids):
            self._new.append(
                self._alerts.threat_killed(max(time_s, self._alerts.time_s), track_ids)
            )

    def advance(self, time_s: float) -> None:
        """Move the clock to ``time_s`` (all-clears whose time has come)."""
        self._new.append(self._alerts.advance(max(time_s, self._alerts.time_s)))

    def take_new(self) -> Alerts:
        """Alerts issued since the last call, in the order issued, with their lineage:
        the partner's own data plus every partner whose lines of sight joined the
        launch event a row carries (its launch point derives from them)."""
        new = [a for a in self._new if len(a)]
        self._new = []
        if not new:
            return empty_alerts()
        out = concat_alerts(new)
        lineage = self._detector.lineage()
        return replace(
            out,
            originators=lineage_column(
                (self.partner, *lineage.get(str(e), ())) if e is not None else (self.partner,)
                for e in out.launch_event_id.tolist()
            ),
        )
