"""Out-of-sequence measurements: a reprocessing wrapper around :class:`Tracker`.

Scans that cross a data link arrive in order of arrival, not of measurement.
The :class:`Tracker` only accepts scans in time order, so :class:`OosmTracker`
keeps the scans of the last ``window_s`` seconds and snapshots of the tracker
(``copy.deepcopy``, taken before a scan at most every ``checkpoint_interval_s``).
When a scan arrives that sorts before the last processed one, the tracker is
restored from the last snapshot before it and the buffered scans are processed
again with the late scan inserted in order.

This is exact reprocessing, not approximate retrodiction: the resulting tracks
are bit for bit those of a tracker that got the same scans in order. The order
is canonical, ``(time_s, sensor_id)``, so it does not depend on arrival (two
scans of one sensor at one time keep their arrival order). The cost of a late
scan is one deep copy plus re-running the scans after the snapshot (at most
``window_s`` worth). A scan older than ``window_s`` before the tracker clock
(or than the tracker start) is dropped and counted in :attr:`n_dropped`.

Consumers that act on each update should note that a late scan re-derives the
current picture: the batch returned after it reflects the late data.
"""

from __future__ import annotations

import bisect
import copy

from skyweave.tracking.scan import RadarScan
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig


def _order_key(scan: RadarScan) -> tuple[float, str]:
    return (scan.time_s, scan.sensor_id)


class OosmTracker:
    """A :class:`Tracker` that accepts scans out of time order within a window.

    Parameters
    ----------
    config : TrackerConfig, optional
        Tuning of the wrapped tracker.
    start_time_s : float
        Initial clock; scans before it are dropped.
    window_s : float
        How late (behind the clock) a scan may arrive and still be used.
    checkpoint_interval_s : float, optional
        Least time between tracker snapshots (default ``window_s / 4``). Smaller
        means less reprocessing per late scan and more copies.
    """

    def __init__(
        self,
        config: TrackerConfig | None = None,
        start_time_s: float = 0.0,
        window_s: float = 10.0,
        checkpoint_interval_s: float | None = None,
    ) -> None:
        if not window_s >= 0.0:
            raise ValueError("window_s must be >= 0")
        self.window_s = float(window_s)
        self.checkpoint_interval_s = (
            self.window_s / 4.0 if checkpoint_interval_s is None else float(checkpoint_interval_s)
        )
        self._tracker = Tracker(config, start_time_s)
        self._history: list[RadarScan] = []
        self._keys: list[tuple[float, str]] = []
        # (position in history, tracker state after history[:position]); sorted.
        self._checkpoints: list[tuple[int, Tracker]] = [(0, copy.deepcopy(self._tracker))]
        self.n_late = 0
        self.n_dropped = 0
        self.n_reprocessed = 0

    # ----------------------------------------------------------------- state
    @property
    def tracker(self) -> Tracker:
        """The wrapped tracker (read it; feed scans through :meth:`process`)."""
        return self._tracker

    @property
    def time_s(self) -> float:
        """The clock: time of the latest processed scan."""
        return self._tracker.time_s

    @property
    def n_tracks(self) -> int:
        """Live tracks, tentative and confirmed."""
        return self._tracker.n_tracks

    @property
    def n_buffered(self) -> int:
        """Scans held for reprocessing."""
        return len(self._history)

    def confirmed(self) -> TrackBatch:
        """Confirmed tracks at the clock."""
        return self._tracker.confirmed()

    def rows(self, partner: str, time_s: float | None = None) -> dict[str, object]:
        """``tracks.parquet`` columns (see :meth:`Tracker.rows`)."""
        return self._tracker.rows(partner, time_s)

    # ---------------------------------------------------------------- update
    def process(self, scan: RadarScan) -> TrackBatch:
        """Take one scan, in or out of order; return the confirmed tracks at the clock.

        A scan too late for the window is dropped (:attr:`n_dropped`) and the
        tracks are returned unchanged.
        """
        key = _order_key(scan)
        if not self._keys or key >= self._keys[-1]:
            if scan.time_s < self._tracker.time_s:  # before the start time
                self.n_dropped += 1
                return self._tracker.confirmed()
            self._append(scan, key)
            batch = self._tracker.process(scan)
            self._prune()
            return batch

        self.n_late += 1
        base_pos, base = self._checkpoints[0]
        if (
            scan.time_s < self.time_s - self.window_s
            or scan.time_s < base.time_s
            or (base_pos > 0 and key < self._keys[base_pos - 1])
        ):
            self.n_dropped += 1
            return self._tracker.confirmed()
        insert = bisect.bisect_right(self._keys, key)
        # Last snapshot taken with every scan before it sorting before the late one.
        ci = bisect.bisect_right([pos for pos, _ in self._checkpoints], insert) - 1
        start, snap = self._checkpoints[ci]
        del self._checkpoints[ci + 1 :]
        self._history.insert(insert, scan)
        self._keys.insert(insert, key)
        self._tracker = copy.deepcopy(snap)
        batch = self._tracker.confirmed()
        for pos in range(start, len(self._history)):
            if pos > start:
                self._maybe_checkpoint(pos)
            batch = self._tracker.process(self._history[pos])
            self.n_reprocessed += 1
        self._prune()
        return batch

    def _append(self, scan: RadarScan, key: tuple[float, str]) -> None:
        self._maybe_checkpoint(len(self._history))
        self._history.append(scan)
        self._keys.append(key)

    def _maybe_checkpoint(self, pos: int) -> None:
        """Snapshot the tracker before ``history[pos]`` if the last snapshot is old enough."""
        last_pos, last = self._checkpoints[-1]
        if last_pos == pos:
            return
        if self._tracker.time_s - last.time_s >= self.checkpoint_interval_s:
            self._checkpoints.append((pos, copy.deepcopy(self._tracker)))

    def _prune(self) -> None:
        """Forget scans and snapshots no scan inside the window can need.

        A snapshot at position ``p`` serves every scan later than ``history[p-1]``;
        once that scan is older than the window start, so is anything that could
        sort before it, and everything before the snapshot can go.
        """
        cutoff = self.time_s - self.window_s
        drop_to = 0
        for i in range(1, len(self._checkpoints)):  # few snapshots per window
            pos = self._checkpoints[i][0]
            if self._history[pos - 1].time_s < cutoff:
                drop_to = i
            else:
                break
        if drop_to == 0:
            return
        shift = self._checkpoints[drop_to][0]
        self._checkpoints = [(pos - shift, snap) for pos, snap in self._checkpoints[drop_to:]]
        del self._history[:shift]
        del self._keys[:shift]
