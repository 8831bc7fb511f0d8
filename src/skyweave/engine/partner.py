"""One partner's stages in a run: its tracker, its early warning and its fused picture.

The engine feeds a :class:`PartnerStage` what reached the partner in each tick
(its radars' scans, infrared lines of sight, other partners' released tracks)
and reads back what the partner produced (alerts, tracks to release, the fused
picture its command post decides from).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from skyweave.sensors.detections import Detections, concat_detections
from skyweave.sensors.stream import ScanReport
from skyweave.tracking.fusion import FusedPicture, PartnerPicture, RemoteTracks
from skyweave.tracking.partner_picture import TRACKS_SCHEMA, RadarSite, radar_scan
from skyweave.tracking.presets import fusion_config
from skyweave.tracking.shared_picture import PictureRecorder
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig
from skyweave.warning.alerts import Alerts
from skyweave.warning.impact import DefendedAssets, ballistic_mask
from skyweave.warning.partner_stream import PartnerWarning
from skyweave.warning.threat_model import AssetInfo
from skyweave.warning.threat_table import ThreatTableRecorder

#: truth object each of K positions (K, 3) follows, "" for none (scoring only)
TruthLabeller = Callable[[float, np.ndarray], list[str]]


class PartnerStage:
    """A partner's tracker, warning and fusion, advanced by the engine."""

    def __init__(
        self,
        partner: str,
        sites: Sequence[RadarSite],
        assets: DefendedAssets,
        config: TrackerConfig,
        start_time_s: float = 0.0,
        asset_info: Sequence[AssetInfo] = (),
    ) -> None:
        self.partner = partner
        self.sites = {s.sensor_id: s for s in sites}
        self.tracker = Tracker(config, start_time_s=start_time_s)
        self.warning = PartnerWarning(partner, assets, asset_info)
        self.threat_table = ThreatTableRecorder()
        self.fusion = PartnerPicture(partner, fusion_config())
        self.picture: FusedPicture | None = None
        # tracks.parquet's columns of each report, joined once at the end
        self._track_reports: list[dict[str, Any]] = []
        self._pictures = PictureRecorder()

    def on_scans(self, reports: Sequence[ScanReport]) -> None:
        """The partner's own radar scans reported in this tick, in time order."""
        for report in reports:
            site = self.sites.get(report.sensor_id)
            if site is None:
                continue
            # a report delayed past the tracker clock is taken at the clock
            time_s = max(report.time_s, self.tracker.time_s)
            batch = self.tracker.process(radar_scan(site, time_s, report.detections))
            self.warning.on_tracks(batch)

    def kills_assessed(self, time_s: float, picture_numbers: Sequence[int]) -> None:
        """Kill assessments on these picture tracks reached the partner's command post:
        the own tracks last fused into them get their all-clear (a track dropped since,
        its alert still open, included)."""
        if not picture_numbers:
            return
        self.warning.threat_killed(time_s, self.fusion.own_tracks_of(picture_numbers))
        self.warning.board.killed_picture(time_s, picture_numbers)

    def board_rows(self, time_s: float) -> list[dict[str, Any]]:
        """The partner's threat board now, its tracks named by picture number."""
        return self.warning.board.board_rows(time_s, self.fusion.picture_numbers_of_own())

    def receive_alerts(self, time_s: float, origin: str, alerts: Alerts) -> None:
        """Threat alerts another partner released to this one, as delivered."""
        self.warning.received(time_s, origin, alerts)

    def engagements(self, time_s: float, rows: Sequence[dict[str, Any]]) -> None:
        """Engagements on this partner's picture tracks (``picture_number`` per row):
        the board learns who engages which threat and the assessed outcomes."""
        board_rows = [
            {**r, "tracks": self.fusion.own_tracks_of([r["picture_number"]]).tolist()} for r in rows
        ]
        self.warning.board.engagements(time_s, board_rows)

    def on_infrared(self, time_s: float, own: Sequence[Detections], remote: Detections) -> None:
        """Infrared reports that reached the partner in this tick, and the clock."""
        batches = [*own, remote] if len(remote) else list(own)
        if batches:
            self.warning.on_infrared(time_s, concat_detections(batches))
        self.warning.advance(time_s)

    def new_alerts(self) -> Alerts:
        """Alerts the partner issued since the last call."""
        return self.warning.take_new()

    def report(self, time_s: float) -> TrackBatch:
        """Record the confirmed tracks at a report time; return them as of the last scan."""
        self._track_reports.append(self.tracker.rows(self.partner, time_s))
        return self.tracker.confirmed()

    def receive_tracks(self, remote: RemoteTracks) -> None:
        """Tracks another partner released to this one, as delivered."""
        self.fusion.receive(remote)

    def fuse(
        self, time_s: float, own: TrackBatch, record: bool, label: TruthLabeller | None = None
    ) -> FusedPicture:
        """The fused picture at ``time_s`` (recorded in ``picture.parquet`` if ``record``).

        At a report time (``record``) the board also takes the picture's
        air-breathing tracks and, with ``label``, the truth its threats follow,
        and the threat board is recorded in ``threats.parquet``.
        """
        self.picture = pic = self.fusion.update(time_s, own)
        if not record:
            return pic
        self._pictures.add(pic, self.partner)
        board = self.warning.board
        labels = [""] * len(pic)
        own_labels: list[str] = []
        if label is not None:
            # one truth query for the picture's and the own tracks' positions
            both = label(time_s, np.concatenate([pic.state[:, :3], own.state[:, :3]]))
            labels, own_labels = both[: len(pic)], both[len(pic) :]
        # the partner holding each picture track: this one if it has its own track in
        # it, else the first origin (column order) that contributed, else this one
        held = pic.contributor_id >= 0
        first = np.asarray(pic.origins + (self.partner,), dtype=object)[
            np.where(held.any(axis=1), np.argmax(held, axis=1), len(pic.origins))
        ]
        if self.partner in pic.origins:
            first[held[:, pic.origins.index(self.partner)]] = self.partner
        holder: list[str] = first.tolist()
        board.air_picture(
            time_s,
            pic.picture_number,
            pic.state,
            pic.pos_sigma_m,
            ~ballistic_mask(pic.state),
            holder,
            labels,
        )
        if len(own) and label is not None:
            threats = board.threat_of_tracks(own.track_id.tolist())
            by_track = {k: t for t in threats for k in t.live_tracks}
            pairs = [
                (by_track[k], lab)
                for k, lab in zip(own.track_id.tolist(), own_labels, strict=True)
                if k in by_track
            ]
            board.label_truth([t for t, _ in pairs], [lab for _, lab in pairs])
        self.threat_table.record(time_s, board, self.fusion.picture_numbers_of_own())
        return pic

    def tracks_table(self) -> pa.Table:
        """``tracks.parquet`` rows of this partner."""
        columns: dict[str, Any] = {}
        for name in TRACKS_SCHEMA.names:
            parts = [rows[name] for rows in self._track_reports]
            if name == "sources":  # a list of str per row
                columns[name] = [row for part in parts for row in part]
            else:
                columns[name] = np.concatenate(parts) if parts else []
        return pa.Table.from_pydict(columns, schema=TRACKS_SCHEMA)

    def picture_tables(self) -> list[pa.Table]:
        """``picture.parquet`` rows of this partner (one table; none before a report)."""
        return [self._pictures.table()] if len(self._pictures) else []
