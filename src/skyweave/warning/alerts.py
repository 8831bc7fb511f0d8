"""The alert stream of one partner: launch, impact updates, all clear (``alerts.parquet``).

:class:`AlertGenerator` is fed in time order with launch events (from
:class:`~skyweave.warning.launch.LaunchDetector`) and confirmed-track updates,
and returns :class:`Alerts` column batches. Rules:

* ``launch``: once per infrared launch event when the generator first sees it
  (``track_id`` null, ``launch_event_id`` set), and once more if a
  single-bearing estimate later becomes a triangulated one (a refined launch
  point). A ballistic track that cannot be tied to a known launch event
  (its launch point, flown back from the track, more than
  ``launch_association_m`` from every recent event) gets its own ``launch``
  alert with ``track_id`` and the track-based launch point
  (``launch_source = "track"``). A tied track carries the event's id and
  current launch estimate in its impact updates.
* ``impact_update``: when a track's impact prediction first becomes available;
  then whenever the predicted impact point moves by more than
  ``max(move_fraction * semi-major axis of the last issued ellipse, min_move_m)``
  (no sooner than ``min_interval_s`` after the last one), whenever the set of
  threatened assets changes, and at least every ``heartbeat_s`` while the
  prediction is available.
* ``all_clear`` means the threat is over, never merely that its track was
  lost. For a track that had an alert it comes

  - when its latest predicted impact time, plus ``impact_grace_s`` plus
    ``impact_time_sigmas`` times the prediction's one-sigma time spread, has
    passed, whether the track is still reported or was dropped (a dropped
    track keeps its last prediction); or
  - when the threat is assessed killed: :meth:`AlertGenerator.threat_killed`
    (the run loop calls it with the killed tracks' ids).

  A track that is dropped (missing from a ``complete`` update, or
  :meth:`AlertGenerator.delete_tracks`) and then seen again on a newer track
  (a live track whose prediction matches the dropped one's: impact points
  within ``same_threat_distance_m`` or the two ellipses' semi-major axes
  together, impact times within ``same_threat_time_s`` or
  ``impact_time_sigmas`` combined sigmas) is superseded: closed without an
  all clear, the newer track carries the threat. A dropped track that never
  had a prediction stays open (no all clear): nothing says when it is over.
  A closed track's later updates are ignored.
Within one call rows come as: launch, impact_update, all_clear, each in the
order of the input (all clears by ascending track id). Everything is
deterministic: no randomness unless the Monte Carlo predictor is chosen, and
that has a fixed seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.lineage import lineage_column
from skyweave.warning.impact import (
    DefendedAssets,
    ImpactPrediction,
    ballistic_mask,
    predict_impacts,
    times_per_row,
)
from skyweave.warning.launch import LaunchEvents, launch_point_from_track
from skyweave.warning.propagate import Propagator

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
ObjectArray = NDArray[np.object_]

ALERT_KINDS = ("launch", "impact_update", "all_clear")
LAUNCH_SOURCES = ("triangulated", "bearing", "track")

_STRING_COLUMNS = (
    "partner",
    "alert_kind",
    "launch_event_id",
    "launch_source",
    "threat_id",
    "threat_class",
    "change",
    "origin_partner",
    "truth_object_id",
)


#: marker of alerts built without lineage (their issuing partner's own data)
_NO_LINEAGE: ObjectArray = np.empty(0, dtype=object)
#: marker of a column left to its default (see :class:`Alerts`)
_DEFAULT: ObjectArray = np.empty(0, dtype=object)
_DEFAULT_FLOAT: FloatArray = np.empty(0)


@dataclass(frozen=True)
class Alerts:
    """A batch of alert rows as equal-length columns (the ``alerts.parquet`` table).

    Attributes
    ----------
    time_s : (R,) float64
        When the partner issues the alert.
    partner : (R,) object (str)
    track_id : (R,) object (int or None)
        None for an infrared launch alert.
    alert_kind : (R,) object (str)
        ``"launch"``, ``"impact_update"`` or ``"all_clear"``.
    launch_event_id : (R,) object (str or None)
        Infrared launch event the alert belongs to, if any.
    launch_source : (R,) object (str or None)
        ``"triangulated"``, ``"bearing"`` (single infrared bearing) or
        ``"track"`` (flown back from a track); None when no launch point.
    launch_lat_deg, launch_lon_deg : (R,) float64
        Launch point estimate (NaN if none).
    impact_lat_deg, impact_lon_deg, impact_time_s : (R,) float64
        Predicted impact (NaN for launch alerts and all clears).
    ellipse_semi_major_m, ellipse_semi_minor_m, ellipse_orientation_deg : (R,) float64
        Impact ellipse at the generator's confidence (orientation clockwise
        from North, [0, 180)).
    threatened_assets : (R,) object (list of str)
    originators : (R,) object (tuple of str)
        Every partner whose data the row derives from (its own tracks, the
        infrared lines of sight of its launch event), sorted. Defaults to the
        issuing partner alone; the warning stage sets it from the launch event.
    threat_id : (R,) object (str or None)
        The threat the row is about (``"<partner>:T<n>"``, the threat board's
        id); None for the per-track evidence rows of :class:`AlertGenerator`.
    threat_class : (R,) object (str or None)
        ``"ballistic"``, ``"cruise"`` or ``"aircraft"``.
    change : (R,) object (str)
        What changed, in words (``"impact predicted"``, ``"threatened +port-delta"``).
    first_seen_s : (R,) float64
        When the issuing partner first knew of the threat (NaN if unknown).
    origin_partner : (R,) object (str)
        Whose data caused the row: the issuing partner for its own sensors,
        another partner for a change it reported. Defaults to ``partner``.
    truth_object_id : (R,) object (str or None)
        The truth object the threat is about, for scoring only (never shown to
        a partner nor used by any decision).
    """

    time_s: FloatArray
    partner: ObjectArray
    track_id: ObjectArray
    alert_kind: ObjectArray
    launch_event_id: ObjectArray
    launch_source: ObjectArray
    launch_lat_deg: FloatArray
    launch_lon_deg: FloatArray
    impact_lat_deg: FloatArray
    impact_lon_deg: FloatArray
    impact_time_s: FloatArray
    ellipse_semi_major_m: FloatArray
    ellipse_semi_minor_m: FloatArray
    ellipse_orientation_deg: FloatArray
    threatened_assets: ObjectArray
    originators: ObjectArray = field(default_factory=lambda: _NO_LINEAGE)
    threat_id: ObjectArray = field(default_factory=lambda: _DEFAULT)
    threat_class: ObjectArray = field(default_factory=lambda: _DEFAULT)
    change: ObjectArray = field(default_factory=lambda: _DEFAULT)
    first_seen_s: FloatArray = field(default_factory=lambda: _DEFAULT_FLOAT)
    origin_partner: ObjectArray = field(default_factory=lambda: _DEFAULT)
    truth_object_id: ObjectArray = field(default_factory=lambda: _DEFAULT)

    def __post_init__(self) -> None:
        n = len(self.time_s)
        # the columns read and set in the instance dict (what ``object.__setattr__`` sets):
        # a raid makes tens of thousands of batches
        held = self.__dict__
        if held["originators"] is _NO_LINEAGE:
            held["originators"] = lineage_column((p,) for p in self.partner)
        for name, value in _DEFAULT_VALUES:
            if held[name] is _DEFAULT:
                held[name] = _object([value] * n)
        if held["origin_partner"] is _DEFAULT:
            held["origin_partner"] = self.partner.copy()
        if held["first_seen_s"] is _DEFAULT_FLOAT:
            held["first_seen_s"] = np.full(n, np.nan)
        for name in _ALERT_COLUMNS:
            col = held[name]
            if col.ndim != 1 or len(col) != n:
                raise ValueError(f"Alerts.{name}: expected shape ({n},), got {col.shape}")

    def __len__(self) -> int:
        return len(self.time_s)

    def take(self, index: NDArray[np.intp] | BoolArray) -> Alerts:
        """Rows selected by an integer index or a boolean mask."""
        return Alerts(**{name: getattr(self, name)[index] for name in _ALERT_COLUMNS})

    def to_pylist(self) -> list[dict[str, Any]]:
        """One dict per row (plain Python values)."""
        names = _ALERT_COLUMNS
        cols = [getattr(self, n).tolist() for n in names]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)]


#: the columns an :class:`Alerts` batch fills with one value when not given
_DEFAULT_VALUES: tuple[tuple[str, Any], ...] = (
    ("threat_id", None),
    ("threat_class", None),
    ("change", ""),
    ("truth_object_id", None),
)
# the column names, once: ``dataclasses.fields`` per batch showed in the engine's profile
_ALERT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Alerts))
_FLOAT_COLUMNS = frozenset(n for n in _ALERT_COLUMNS if n.endswith(("_deg", "_m", "_s")))


def _object(values: Sequence[Any]) -> ObjectArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _read_only_empty() -> Alerts:
    cols: dict[str, Any] = {}
    for name in _ALERT_COLUMNS:
        col = np.zeros(0) if name in _FLOAT_COLUMNS else np.zeros(0, dtype=object)
        col.flags.writeable = False
        cols[name] = col
    return Alerts(**cols)


_EMPTY = _read_only_empty()


def empty_alerts() -> Alerts:
    """A batch with no rows (one shared, read-only instance: most ticks raise nothing)."""
    return _EMPTY


def concat_alerts(batches: Sequence[Alerts]) -> Alerts:
    """Concatenate batches, keeping row order."""
    if not batches:
        return empty_alerts()
    return Alerts(
        **{name: np.concatenate([getattr(b, name) for b in batches]) for name in _ALERT_COLUMNS}
    )


def alerts_schema() -> pa.Schema:
    """Arrow schema of the alerts table."""
    out = []
    for f in fields(Alerts):
        if f.name in _STRING_COLUMNS:
            required = ("partner", "alert_kind", "change", "origin_partner")
            out.append(pa.field(f.name, pa.string(), nullable=f.name not in required))
        elif f.name == "track_id":
            out.append(pa.field(f.name, pa.int64(), nullable=True))
        elif f.name in ("threatened_assets", "originators"):
            out.append(pa.field(f.name, pa.list_(pa.string())))
        else:
            out.append(pa.field(f.name, pa.float64()))
    return pa.schema(out)


def alerts_to_arrow_table(alerts: Alerts | Sequence[Alerts]) -> pa.Table:
    """Arrow table of alerts, sorted by time then partner (stable: per-partner order kept)."""
    batch = alerts if isinstance(alerts, Alerts) else concat_alerts(alerts)
    order = np.lexsort((np.asarray(batch.partner, dtype=str), batch.time_s))
    batch = batch.take(order)
    schema = alerts_schema()
    arrays = []
    for f in schema:
        col = getattr(batch, f.name)
        if col.dtype == object:
            arrays.append(pa.array(col.tolist(), type=f.type))
        else:
            arrays.append(pa.array(col, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass(frozen=True)
class AlertConfig:
    """Options of :class:`AlertGenerator` (see the module docstring for the rules).

    Attributes
    ----------
    move_fraction, min_move_m : float
        Impact-point movement that triggers an update.
    min_interval_s : float
        Shortest time between movement-triggered updates of one track.
    heartbeat_s : float
        Longest time between updates while a prediction is available.
    impact_grace_s : float
        All clear this long after the latest predicted impact time (plus
        ``impact_time_sigmas`` of its spread). The default 5 s covers the
        predictor's model error that no covariance holds: the nominal
        ballistic coefficient (impact times within 0.3 s median, 1 s mean in
        the example's last 120 s of flight).
    impact_time_sigmas : float
        Sigmas of the predicted impact time to wait past it before the all
        clear; also the width, in combined sigmas, of the same-threat time gate.
    same_threat_distance_m, same_threat_time_s : float
        Floors of the gate that ties a dropped track to a newer track of the
        same threat (see the module docstring).
    launch_association_m : float
        Largest distance between a track's flown-back launch point and an
        infrared launch estimate for the track to belong to that event.
    launch_association_window_s : float
        Only events first seen at most this long before the track's launch
        alert are candidates.
    predict_options : dict
        Keyword options of :func:`~skyweave.warning.predict_impacts`
        (``confidence``, ``method``, ``horizon_s``, ...; not ``propagator``).
    """

    move_fraction: float = 0.5
    min_move_m: float = 1_000.0
    min_interval_s: float = 0.0
    heartbeat_s: float = 30.0
    impact_grace_s: float = 5.0
    impact_time_sigmas: float = 3.0
    same_threat_distance_m: float = 50_000.0
    same_threat_time_s: float = 10.0
    launch_association_m: float = 300_000.0
    launch_association_window_s: float = 900.0
    predict_options: dict[str, Any] = field(default_factory=dict)


class AlertGenerator:
    """Alert stream of one partner (see the module docstring).

    Parameters
    ----------
    partner : str
    assets : DefendedAssets or None
        The defended assets this partner reports threats against.
    config : AlertConfig or None
    propagator : Propagator or None
        Passed to :func:`~skyweave.warning.predict_impacts`.
    """

    def __init__(
        self,
        partner: str,
        assets: DefendedAssets | None = None,
        config: AlertConfig | None = None,
        propagator: Propagator | None = None,
    ) -> None:
        self.partner = partner
        self.assets = assets if assets is not None else DefendedAssets.empty()
        self.config = config if config is not None else AlertConfig()
        self.propagator = propagator
        self._time_s = -np.inf
        n_a = len(self.assets)
        # Launch events known so far (columns, in order of first sight).
        self._ev_id = np.zeros(0, dtype=object)
        self._ev_str = self._ev_id.astype(str)  # the ids as NumPy strings (searchsorted)
        self._ev_lat = np.zeros(0)
        self._ev_lon = np.zeros(0)
        self._ev_tri = np.zeros(0, dtype=bool)
        self._ev_first = np.zeros(0)
        # Track registry, sorted by id.
        self._ids = np.zeros(0, dtype=np.int64)
        self._closed = np.zeros(0, dtype=bool)
        self._alerted = np.zeros(0, dtype=bool)
        self._launch_done = np.zeros(0, dtype=bool)
        self._has_pred = np.zeros(0, dtype=bool)
        self._last_t = np.zeros(0)
        self._last_ecef = np.zeros((0, 3))
        self._last_major = np.zeros(0)
        self._last_threat = np.zeros((0, n_a), dtype=bool)
        self._pred_impact_t = np.zeros(0)
        self._pred_sigma_t = np.zeros(0)
        self._pred_ecef = np.zeros((0, 3))
        self._pred_major = np.zeros(0)
        self._dropped = np.zeros(0, dtype=bool)
        # no open prediction passes before this time (see _clear): advance skips until then
        self._quiet_until_s = np.inf
        self._launch_ev = np.zeros(0, dtype=object)
        self._launch_lat = np.zeros(0)
        self._launch_lon = np.zeros(0)

    @property
    def time_s(self) -> float:
        """Time of the last input."""
        return float(self._time_s)

    def _advance_clock(self, time_s: float) -> None:
        if time_s < self._time_s:
            raise ValueError(
                f"AlertGenerator({self.partner!r}): time went back ({time_s} < {self._time_s})"
            )
        self._time_s = time_s

    # ----------------------------------------------------------------- launches

    def launch_events(self, time_s: float, events: LaunchEvents) -> Alerts:
        """Launch alerts for new (or newly triangulated) events.

        Parameters
        ----------
        time_s : float
            Current time; events first reported after it are ignored.
        events : LaunchEvents
            The partner's current launch events (cumulative snapshot).
        """
        self._advance_clock(time_s)
        ev = events.take(events.first_report_time_s <= time_s)
        if not len(ev):
            return empty_alerts()
        # _ev_id is kept sorted by string for searchsorted (_ev_str: the same as str)
        ids = ev.event_id.astype(str)
        if len(self._ev_id):
            pos = np.searchsorted(self._ev_str, ids)
            known = self._ev_str[np.minimum(pos, len(self._ev_str) - 1)] == ids
        else:
            pos = np.zeros(len(ev), dtype=np.int64)
            known = np.zeros(len(ev), dtype=bool)
        pos_known = pos[known]
        refined = np.zeros(len(ev), dtype=bool)
        refined[known] = ev.triangulated[known] & ~self._ev_tri[pos_known]
        # Update the table: known rows in place, new rows appended then re-sorted.
        self._ev_lat[pos_known] = ev.launch_lat_deg[known]
        self._ev_lon[pos_known] = ev.launch_lon_deg[known]
        self._ev_tri[pos_known] = ev.triangulated[known]
        new = ~known
        if new.any():  # (most calls only refine known events: the order stays)
            self._ev_id = np.concatenate([self._ev_id, ev.event_id[new]])
            self._ev_lat = np.concatenate([self._ev_lat, ev.launch_lat_deg[new]])
            self._ev_lon = np.concatenate([self._ev_lon, ev.launch_lon_deg[new]])
            self._ev_tri = np.concatenate([self._ev_tri, ev.triangulated[new]])
            self._ev_first = np.concatenate([self._ev_first, ev.first_time_s[new]])
            order = np.argsort(self._ev_id.astype(str), kind="stable")
            for name in ("_ev_id", "_ev_lat", "_ev_lon", "_ev_tri", "_ev_first"):
                setattr(self, name, getattr(self, name)[order])
            self._ev_str = self._ev_id.astype(str)
        emit = np.flatnonzero(new | refined)
        m = len(emit)
        nan = np.full(m, np.nan)
        return Alerts(
            time_s=np.full(m, float(time_s)),
            partner=_object([self.partner] * m),
            track_id=_object([None] * m),
            alert_kind=_object(["launch"] * m),
            launch_event_id=_object([str(e) for e in ev.event_id[emit]]),
            launch_source=_object(
                ["triangulated" if t else "bearing" for t in ev.triangulated[emit]]
            ),
            launch_lat_deg=ev.launch_lat_deg[emit].copy(),
            launch_lon_deg=ev.launch_lon_deg[emit].copy(),
            impact_lat_deg=nan.copy(),
            impact_lon_deg=nan.copy(),
            impact_time_s=nan.copy(),
            ellipse_semi_major_m=nan.copy(),
            ellipse_semi_minor_m=nan.copy(),
            ellipse_orientation_deg=nan.copy(),
            threatened_assets=_object([[] for _ in range(m)]),
        )

    # ------------------------------------------------------------------- tracks

    def _register(self, ids: IntArray) -> IntArray:
        """Registry rows of ``ids``, adding the unknown ones."""
        pos = np.searchsorted(self._ids, ids)
        if pos.size and pos.max() < self._ids.size and np.array_equal(self._ids[pos], ids):
            return pos.astype(np.int64)  # all known (most updates): nothing to add
        new = np.setdiff1d(ids, self._ids)
        if new.size:
            k, n_a = new.size, len(self.assets)
            self._ids = np.concatenate([self._ids, new])
            for name, fill in (
                ("_closed", False), ("_alerted", False), ("_launch_done", False),
                ("_has_pred", False), ("_last_t", np.nan), ("_last_major", np.nan),
                ("_pred_impact_t", np.nan), ("_pred_sigma_t", np.nan), ("_pred_major", np.nan),
                ("_dropped", False), ("_launch_lat", np.nan), ("_launch_lon", np.nan),
            ):  # fmt: skip
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.full(k, fill, dtype=old.dtype)]))
            self._last_ecef = np.concatenate([self._last_ecef, np.full((k, 3), np.nan)])
            self._pred_ecef = np.concatenate([self._pred_ecef, np.full((k, 3), np.nan)])
            self._last_threat = np.concatenate([self._last_threat, np.zeros((k, n_a), bool)])
            self._launch_ev = np.concatenate([self._launch_ev, _object([None] * k)])
            order = np.argsort(self._ids, kind="stable")
            for name in (
                "_ids", "_closed", "_alerted", "_launch_done", "_has_pred", "_last_t",
                "_last_ecef", "_last_major", "_last_threat", "_pred_impact_t", "_pred_sigma_t",
                "_pred_ecef", "_pred_major", "_dropped", "_launch_ev", "_launch_lat",
                "_launch_lon",
            ):  # fmt: skip
                setattr(self, name, getattr(self, name)[order])
        return np.searchsorted(self._ids, ids).astype(np.int64)

    def _launch_of(self, rows: IntArray) -> tuple[ObjectArray, ObjectArray, FloatArray, FloatArray]:
        """Launch event id, source, lat, lon of registry rows (current event estimates)."""
        ev = self._launch_ev[rows]
        lat, lon = self._launch_lat[rows].copy(), self._launch_lon[rows].copy()
        src = _object(["track" if np.isfinite(v) else None for v in lat])
        tied = np.flatnonzero(ev != None)  # noqa: E711 (elementwise on an object array)
        if tied.size:
            pos = np.searchsorted(self._ev_str, ev[tied].astype(str))
            lat[tied], lon[tied] = self._ev_lat[pos], self._ev_lon[pos]
            src[tied] = _object(["triangulated" if t else "bearing" for t in self._ev_tri[pos]])
        return ev, src, lat, lon

    def _tie_launches(self, time_s: float, rows: IntArray, states: FloatArray) -> BoolArray:
        """Set launch points of newly ballistic tracks; True where no event explains them."""
        lat, lon, _ = launch_point_from_track(states)
        self._launch_lat[rows], self._launch_lon[rows] = lat, lon
        self._launch_done[rows] = True
        untied = np.ones(len(rows), dtype=bool)
        cand = (self._ev_first <= time_s) & (
            self._ev_first >= time_s - self.config.launch_association_window_s
        )
        if not np.any(cand) or not len(rows):
            return untied
        c = np.flatnonzero(cand)
        dist = _great_circle_m(lat[:, None], lon[:, None], self._ev_lat[c], self._ev_lon[c])
        best = np.argmin(dist, axis=1)
        ok = dist[np.arange(len(rows)), best] <= self.config.launch_association_m
        self._launch_ev[rows[ok]] = self._ev_id[c[best[ok]]]
        untied[ok] = False
        return untied

    def track_update(
        self,
        time_s: float,
        track_id: ArrayLike,
        states: ArrayLike,
        covariances: ArrayLike,
        *,
        state_time_s: ArrayLike | None = None,
        complete: bool = True,
    ) -> Alerts:
        """Alerts from one update of confirmed tracks.

        Parameters
        ----------
        time_s : float
            Current time (alerts are stamped with it).
        track_id : (K,) int
        states : (K, 6)
            ECEF states.
        covariances : (K, 6, 6)
        state_time_s : float or (K,) or None
            Time the states refer to (default ``time_s``).
        complete : bool
            The update lists every confirmed track: those missing are deleted.
        """
        self._advance_clock(time_s)
        ids = np.asarray(track_id, dtype=np.int64).reshape(-1)
        k = ids.size
        x = np.asarray(states, dtype=np.float64).reshape(k, 6)
        p = np.asarray(covariances, dtype=np.float64).reshape(k, 6, 6)
        t_state = times_per_row(time_s if state_time_s is None else state_time_s, k)
        if np.unique(ids).size != k:
            raise ValueError("AlertGenerator.track_update: duplicate track ids")
        rows = self._register(ids)
        live = ~self._closed[rows]
        ids, x, p, t_state, rows = ids[live], x[live], p[live], t_state[live], rows[live]
        self._dropped[rows] = False  # reported again

        parts: list[Alerts] = []
        # Launch: the first time a track looks ballistic.
        fresh = ~self._launch_done[rows] & ballistic_mask(x)
        if np.any(fresh):
            untied = self._tie_launches(time_s, rows[fresh], x[fresh])
            f_rows = rows[fresh][untied]
            if f_rows.size:
                self._alerted[f_rows] = True
                parts.append(self._rows(time_s, "launch", f_rows))

        # Impact predictions for every live track, one vectorised call.
        pred = predict_impacts(
            t_state, x, p, self.assets, propagator=self.propagator, **self.config.predict_options
        )
        issue = self._issue_mask(time_s, rows, pred)
        v = pred.valid
        self._pred_impact_t[rows[v]] = pred.impact_time_s[v]
        self._pred_sigma_t[rows[v]] = pred.impact_time_sigma_s[v]
        self._pred_ecef[rows[v]] = pred.impact_ecef_m[v]
        self._pred_major[rows[v]] = pred.semi_major_m[v]
        if np.any(issue):
            r = rows[issue]
            self._has_pred[r] = True
            self._alerted[r] = True
            self._last_t[r] = time_s
            self._last_ecef[r] = pred.impact_ecef_m[issue]
            self._last_major[r] = pred.semi_major_m[issue]
            self._last_threat[r] = pred.threatened[issue]
            parts.append(self._rows(time_s, "impact_update", r, pred, issue))

        if complete:
            reported = np.zeros(len(self._ids), dtype=bool)
            reported[rows] = True  # the live ids' rows (closed ones are not dropped again)
            self._drop(~reported & ~self._closed)
        # Dropped tracks seen again on a live track are superseded by it.
        self._closed |= self._same_threat(self._dropped & ~self._closed, rows[v])
        parts.append(self._clear(time_s))
        return _joined(parts)

    def _drop(self, gone: BoolArray) -> None:
        """Mark tracks as no longer reported: they keep their last prediction."""
        self._dropped |= gone

    def _same_threat(self, candidates: BoolArray, rows: IntArray) -> BoolArray:
        """Registry mask: ``candidates`` whose prediction matches that of any of ``rows``."""
        out = np.zeros(len(self._ids), dtype=bool)
        c = np.flatnonzero(candidates & np.isfinite(self._pred_impact_t))
        if not c.size:
            return out  # no dropped track with a prediction (most updates)
        rows = rows[np.isfinite(self._pred_impact_t[rows])]
        rows = rows[~np.isin(rows, c)]
        if not c.size or not rows.size:
            return out
        cfg = self.config
        dist = np.linalg.norm(self._pred_ecef[c, None, :] - self._pred_ecef[None, rows, :], axis=-1)
        near_m = np.maximum(
            cfg.same_threat_distance_m,
            np.nan_to_num(self._pred_major[c, None] + self._pred_major[None, rows]),
        )
        dt = np.abs(self._pred_impact_t[c, None] - self._pred_impact_t[None, rows])
        sig = np.hypot(self._pred_sigma_t[c, None], self._pred_sigma_t[None, rows])
        soon_s = np.maximum(cfg.same_threat_time_s, cfg.impact_time_sigmas * np.nan_to_num(sig))
        out[c] = np.any((dist <= near_m) & (dt <= soon_s), axis=1)
        return out

    def _issue_mask(self, time_s: float, rows: IntArray, pred: ImpactPrediction) -> BoolArray:
        cfg = self.config
        v = pred.valid
        first = ~self._has_pred[rows]
        since = time_s - self._last_t[rows]
        moved_m = np.linalg.norm(pred.impact_ecef_m - self._last_ecef[rows], axis=-1)
        limit = np.maximum(cfg.move_fraction * self._last_major[rows], cfg.min_move_m)
        moved = (moved_m > limit) & (since >= cfg.min_interval_s)
        threat = np.any(pred.threatened != self._last_threat[rows], axis=1)
        beat = since >= cfg.heartbeat_s
        return np.asarray(v & (first | moved | threat | beat), dtype=bool)

    def delete_tracks(self, time_s: float, track_id: ArrayLike) -> Alerts:
        """The tracker dropped these tracks: no all clear for that (see the module docstring).

        A dropped track keeps its last prediction and is cleared when its
        predicted impact time has passed, unless a newer track of the same
        threat supersedes it or it is assessed killed.
        """
        self._advance_clock(time_s)
        ids = np.asarray(track_id, dtype=np.int64).reshape(-1)
        self._drop(np.isin(self._ids, ids) & ~self._closed)
        return self._clear(time_s)

    def threat_killed(self, time_s: float, track_ids: ArrayLike) -> Alerts:
        """All clear for threats assessed killed: the given tracks of this generator.

        Tracks that had an alert get an ``all_clear`` now; any dropped track
        of the same threat (matching prediction) is closed with them, silently.
        Unknown or closed ids are ignored.

        Parameters
        ----------
        time_s : float
            Time of the kill assessment.
        track_ids : (K,) int
            This partner's track ids (those given to :meth:`track_update`).
        """
        self._advance_clock(time_s)
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        killed = np.isin(self._ids, ids) & ~self._closed
        same = self._same_threat(self._dropped & ~self._closed & ~killed, np.flatnonzero(killed))
        self._closed |= same
        return _joined([self._close(time_s, killed), self._clear(time_s)])

    def advance(self, time_s: float) -> Alerts:
        """All clear for tracks whose predicted impact time has passed (no track input)."""
        self._advance_clock(time_s)
        if time_s <= self._quiet_until_s:  # nothing can pass yet (called every tick)
            return empty_alerts()
        return self._clear(time_s)

    def _clear(self, time_s: float) -> Alerts:
        """All clear for open tracks whose predicted impact time (plus its spread) has passed.

        Every method that changes the registry ends here, so the time before which
        no open prediction can pass is kept up to date for :meth:`advance`.
        """
        cfg = self.config
        wait_s = cfg.impact_grace_s + cfg.impact_time_sigmas * np.nan_to_num(self._pred_sigma_t)
        clear_at_s = self._pred_impact_t + wait_s
        passed = self._has_pred & (time_s > clear_at_s)
        out = self._close(time_s, passed & ~self._closed)
        pending = clear_at_s[self._has_pred & ~self._closed]
        pending = pending[~np.isnan(pending)]
        self._quiet_until_s = float(pending.min()) if pending.size else np.inf
        return out

    def _close(self, time_s: float, close: BoolArray) -> Alerts:
        """Close registry rows ``close``; all clear for those that had an alert."""
        self._closed |= close
        emit = np.flatnonzero(close & self._alerted)
        return self._rows(time_s, "all_clear", emit) if emit.size else empty_alerts()

    def _rows(
        self,
        time_s: float,
        kind: str,
        rows: IntArray,
        pred: ImpactPrediction | None = None,
        sel: BoolArray | None = None,
    ) -> Alerts:
        m = len(rows)
        ev, src, lat, lon = self._launch_of(rows)
        nan = np.full(m, np.nan)
        if pred is not None and sel is not None:
            imp = (
                pred.impact_lat_deg[sel], pred.impact_lon_deg[sel], pred.impact_time_s[sel],
                pred.semi_major_m[sel], pred.semi_minor_m[sel], pred.orientation_deg[sel],
            )  # fmt: skip
            ids = np.asarray(pred.asset_ids, dtype=object)
            threats = _object([list(ids[t]) for t in pred.threatened[sel]])
        else:
            imp = (nan, nan, nan, nan, nan, nan)
            threats = _object([[] for _ in range(m)])
        return Alerts(
            time_s=np.full(m, float(time_s)),
            partner=_object([self.partner] * m),
            track_id=_object([int(i) for i in self._ids[rows]]),
            alert_kind=_object([kind] * m),
            launch_event_id=ev,
            launch_source=src,
            launch_lat_deg=lat,
            launch_lon_deg=lon,
            impact_lat_deg=imp[0].copy(),
            impact_lon_deg=imp[1].copy(),
            impact_time_s=imp[2].copy(),
            ellipse_semi_major_m=imp[3].copy(),
            ellipse_semi_minor_m=imp[4].copy(),
            ellipse_orientation_deg=imp[5].copy(),
            threatened_assets=threats,
        )


def _joined(parts: Sequence[Alerts]) -> Alerts:
    """The generator's fresh batches as one: most updates issue nothing, so the empty
    ones are skipped rather than concatenated column by column."""
    full = [b for b in parts if len(b)]
    if len(full) == 1:
        return full[0]
    return concat_alerts(full)


def _great_circle_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray:
    """Haversine distance on the mean sphere, metres (arrays broadcast)."""
    la1, lo1 = np.radians(lat1_deg), np.radians(lon1_deg)
    la2, lo2 = np.radians(lat2_deg), np.radians(lon2_deg)
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2.0 * R_EARTH_MEAN_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


__all__ = [
    "ALERT_KINDS",
    "LAUNCH_SOURCES",
    "AlertConfig",
    "AlertGenerator",
    "Alerts",
    "alerts_schema",
    "alerts_to_arrow_table",
    "concat_alerts",
    "empty_alerts",
]
