"""One partner's early-warning stream, tick by tick: evidence in, the threat board's alerts out.

It listens to the partner's tracker after each scan (throttled: predicting impacts
for every scan of a 2 s fire-control radar would add nothing a staff could use),
takes the infrared lines of sight that reached the partner in each tick (its
own satellites' reports and those released to it over the links), whether or
not any radar sees anything, and the threat alerts other partners released to it.
All of it is correlated into the partner's :class:`~skyweave.warning.threats.ThreatBoard`,
whose state changes are the partner's alerts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skyweave.sensors.detections import Detections
from skyweave.tracking.tracker import TrackBatch
from skyweave.warning.alerts import AlertGenerator, Alerts
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.launch import LaunchDetector
from skyweave.warning.threat_model import AssetInfo
from skyweave.warning.threats import ThreatBoard


class PartnerWarning:
    """Feeds a :class:`LaunchDetector`, an :class:`AlertGenerator` (per-track impact
    predictions) and the partner's :class:`ThreatBoard` in time order.

    Parameters
    ----------
    partner : str
    assets : DefendedAssets
        Every defended asset a threat may threaten, whoever owns it.
    asset_info : sequence of AssetInfo
        Name, owner and value of each asset (order of ``assets``).
    update_interval_s : float
        Shortest time between two impact-prediction passes over the tracks.
    """

    def __init__(
        self,
        partner: str,
        assets: DefendedAssets,
        asset_info: Sequence[AssetInfo] = (),
        update_interval_s: float = 5.0,
    ) -> None:
        self.partner = partner
        self._detector = LaunchDetector(id_prefix=f"{partner}-launch")
        self._tracks = AlertGenerator(partner, assets)
        self.board = ThreatBoard(partner, assets, asset_info)
        self._update_interval_s = update_interval_s
        self._last_update_s = -np.inf
        self._live_ids = np.zeros(0, dtype=np.int64)

    def on_tracks(self, batch: TrackBatch) -> None:
        """Called with the confirmed tracks after every scan."""
        t = max(batch.time_s, self._tracks.time_s)
        # most scans keep the same tracks: then none is gone (no set difference to build)
        if not np.array_equal(self._live_ids, batch.track_id):
            gone = np.setdiff1d(self._live_ids, batch.track_id)
            if gone.size:
                self._tracks.delete_tracks(t, gone)
                self.board.tracks_gone(gone.tolist())
            self._live_ids = batch.track_id.copy()
        if len(batch) and t - self._last_update_s >= self._update_interval_s:
            self._last_update_s = t
            rows = self._tracks.track_update(t, batch.track_id, batch.state, batch.covariance)
        else:
            rows = self._tracks.advance(t)
        if len(rows):  # the board has nothing to do with no rows
            self.board.track_rows(t, rows)

    def on_infrared(self, time_s: float, infrared: Detections) -> None:
        """Infrared reports that reached the partner by ``time_s`` (own and released)."""
        if len(infrared):
            self._detector.add(infrared)
            events = self._detector.events()
            # the generator keeps the events to tie tracks to; its launch rows are not used
            self._tracks.launch_events(time_s, events)
            self.board.launch_events(
                time_s, events, self._detector.lineage(), self._detector.truth_label
            )

    def received(self, time_s: float, origin: str, alerts: Alerts) -> None:
        """Threat alerts ``origin`` released to this partner, as received."""
        if len(alerts):
            self.board.received(time_s, origin, alerts)

    def threat_killed(self, time_s: float, track_ids: np.ndarray) -> None:
        """Kills assessed on these own tracks reached the partner: their threats end."""
        if len(track_ids):
            t = max(time_s, self._tracks.time_s)
            self.board.killed(t, self.board.threat_of_tracks(track_ids.tolist()))
            self.board.track_rows(t, self._tracks.threat_killed(t, track_ids))

    def advance(self, time_s: float) -> None:
        """Move the clock to ``time_s`` (threats whose end has come)."""
        t = max(time_s, self._tracks.time_s)
        self.board.track_rows(t, self._tracks.advance(t))
        self.board.advance(t)

    def take_new(self) -> Alerts:
        """The threat board's alerts raised since the last call, in order."""
        return self.board.take_alerts()
