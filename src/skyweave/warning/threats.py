"""The threat: one entry per threat in one partner's picture, and the alerts it raises.

People command threats, not detections. A :class:`ThreatBoard` holds one
partner's threats, each with a stable id ``"<partner>:T<n>"``, and correlates
into it everything the partner learns about that threat:

* its **infrared launch events** (own satellites and lines of sight released
  to it, grouped by :class:`~skyweave.warning.launch.LaunchDetector`);
* its **own ballistic tracks**, through the per-track predictions of
  :class:`~skyweave.warning.alerts.AlertGenerator` (impact point, 95 %
  ellipse, impact time, tie to a launch event);
* **alerts received over the links** (another partner's threat changes);
* the **air-breathing tracks of its fused picture** that approach a defended
  asset (:mod:`~skyweave.warning.air_threats`);
* **engagements** of its batteries and **kill assessments**.

Correlation rules (each a gate that the thresholds in :class:`ThreatConfig` set):

1. A launch event, a track or a received threat already tied to a threat stays
   with it.
2. A new own launch event joins an open ballistic threat that another partner
   reported and no own event holds yet, when the launch points are within
   ``launch_gate_m`` and the first-seen times within ``launch_time_gate_s``;
   otherwise it is a new threat.
3. A new own track tied to a launch event joins, among the threats launched
   from that event's site that hold no live own track, the one whose launch
   time fits the track's predicted impact time best (the site's flight time
   taken from its threats already tracked): a salvo's missiles share a launch
   point but not a launch time; otherwise an open ballistic threat with no
   live own track whose predicted impact is within ``impact_gate_m`` (or the two ellipses) and
   ``impact_time_gate_s``; otherwise it is a new
   threat. Two tracks live at once in the partner's tracker are two objects and
   never one threat.
4. A received threat joins the open threat of the same class that holds no
   threat of that sender yet and fits best within the launch gates (ballistic
   with a launch point) or the impact gates; otherwise it is a new threat.
   Rows another partner relayed (their ``origin_partner`` is not the sender)
   are ignored: a partner offers only what its own data found.
5. An air-breathing picture track is one threat while its picture number
   lives; a new picture number continues a threat whose picture track is gone
   when it is where that track, flown on, would be (``air_continuation_m``).

Alert rules. A threat raises an alert row only when it changes:
``new_threat`` once; ``threat_change`` when its impact is first predicted,
when the set of threatened assets changes (an asset leaves it only after
``threatened_hold_s`` out of the predictions), when the predicted impact point
leaves the ellipse of the last alert, or when the predicted impact time moves by
more than ``impact_time_change_s`` from the last alert; ``engagement_result``
for each assessed engagement (a kill ends the threat); ``impact`` when its
predicted impact time plus ``impact_grace_s`` has passed; ``all_clear`` when
it ends otherwise (another partner's all-clear, an air-breathing track that
no longer threatens anything or has not been seen for ``air_lost_s``, or
``detected_timeout_s`` after it was first seen with nothing ever predicting an
impact). Each threat has one closing row. A threat that has ended leaves the
board.

Lifecycle: ``detected`` (a launch seen, nothing predicted), ``tracked`` (an own
track, no prediction yet), ``impact_predicted``, ``engaged`` (interceptors in
the air), then ``killed``, ``impacted`` or ``all_clear``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.warning.air_threats import evaluate_air_tracks
from skyweave.warning.alerts import Alerts
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.launch import LaunchEvents
from skyweave.warning.threat_columns import ThreatColumns
from skyweave.warning.threat_model import (
    CLASSIFICATIONS,
    LIFECYCLES,
    THREAT_ALERT_KINDS,
    AssetInfo,
    PredictedImpact,
    Threat,
    ThreatConfig,
    adopt_launch,
    as_float,
    cpa_impact,
    impact_of_row,
    inside_ellipse,
    is_finite,
    median,
    site_distances_m,
    site_groups,
    threat_rules_markdown,
    untracked,
)
from skyweave.warning.threat_rows import (
    BoardRowCache,
    alert_row,
    alerts_from_rows,
    board_order,
    copied_row,
)

FloatArray = NDArray[np.float64]


class ThreatBoard:
    """One partner's threats (see the module docstring).

    Parameters
    ----------
    partner : str
    assets : DefendedAssets
        Every defended asset a threat may threaten, whoever owns it.
    asset_info : sequence of AssetInfo
        Name, owner and value of each asset, in the order of ``assets``.
    config : ThreatConfig or None
    """

    def __init__(
        self,
        partner: str,
        assets: DefendedAssets,
        asset_info: Sequence[AssetInfo],
        config: ThreatConfig | None = None,
    ) -> None:
        self.partner = partner
        self.assets = assets
        self.asset_info = {a.asset_id: a for a in asset_info}
        self._asset_order = {a: k for k, a in enumerate(self.asset_info)}
        self.config = config if config is not None else ThreatConfig()
        self.threats: list[Threat] = []
        self._by_event: dict[str, Threat] = {}
        self._by_track: dict[int, Threat] = {}
        self._by_remote: dict[tuple[str, str], Threat] = {}
        self._by_picture: dict[int, Threat] = {}
        self._rows: list[dict[str, Any]] = []
        # the open threats by number (a big raid's board searches these, not every
        # threat it ever held)
        self._open: dict[int, Threat] = {}
        # what the board tests against every open threat, as arrays by threat number
        self._cols = ThreatColumns()
        # :meth:`advance` ends nothing up to this time while the columns stay at this
        # version (no air threat open; the ballistic ones' end times all later)
        self._quiet_until_s = -np.inf
        self._quiet_version = -1
        # per launch event: the detections its estimate was made of when last read
        self._event_size: dict[str, int] = {}
        # the ready events' ids and sizes at the last call (:meth:`_grown_events`)
        self._ready_ids = np.zeros(0, dtype=object)
        self._ready_sizes = np.zeros(0, dtype=np.int64)
        self._board_cache = BoardRowCache(partner, self.asset_info)
        # an unchanged prediction moved 0 m and 0 s (or NaN): no change unless a gate is < 0
        cfg = self.config
        self._still_same = min(cfg.min_move_m, cfg.impact_time_change_s, cfg.air_time_change_s) >= 0

    # -- reading ------------------------------------------------------------------------

    def open_threats(self) -> list[Threat]:
        """Threats on the board now (not ended), in order of first sight."""
        return list(self._open.values())

    def threat(self, threat_id: str) -> Threat | None:
        """The threat with this id (open or ended), or None."""
        prefix = f"{self.partner}:T"
        if not threat_id.startswith(prefix) or not threat_id[len(prefix) :].isdigit():
            return None
        k = int(threat_id[len(prefix) :]) - 1
        return self.threats[k] if 0 <= k < len(self.threats) else None

    def threat_of_tracks(self, track_ids: Iterable[int]) -> list[Threat]:
        """Threats holding any of these own track ids."""
        found = {id(t): t for k in track_ids if (t := self._by_track.get(int(k))) is not None}
        return list(found.values())

    # -- evidence -----------------------------------------------------------------------

    def launch_events(
        self,
        time_s: float,
        events: LaunchEvents,
        lineage: dict[str, tuple[str, ...]],
        truth: Callable[[str], str | None],
    ) -> None:
        """The partner's infrared launch events as of ``time_s`` (own and released LOS);
        ``truth`` labels an event with its truth object (scoring only)."""
        ready = np.flatnonzero(events.first_report_time_s <= time_s)
        grown = ready[self._grown_events(events, ready)]
        e = events
        columns = (e.event_id, e.n_detections, e.launch_lat_deg, e.launch_lon_deg,
                   e.first_time_s, e.triangulated)  # fmt: skip
        for ev, size, lat, lon, first_s, triangulated in zip(
            *(c[grown].tolist() for c in columns), strict=True
        ):
            if self._event_size.get(ev) == size:
                continue  # nothing new about this launch
            self._event_size[ev] = size
            threat = self._by_event.get(ev)
            if threat is None:
                threat = self._match_launch(lat, lon, first_s, lambda t: not t.events)
                if threat is None:
                    threat = self._new(time_s, "ballistic", self.partner)
                threat.events.add(ev)
                threat.launch_time_s = first_s
                self._by_event[ev] = threat
            names = lineage.get(ev, ())
            threat.sources.update(names)
            threat.originators.update(names)
            label = truth(ev) if not threat.truth else None
            if label is not None:
                threat.truth[label] += 1
            source = "triangulated" if triangulated else "bearing"
            if (threat.launch_source != "triangulated" or triangulated) and not (
                # most keep their fix (set again only if zero: its sign may differ)
                source == threat.launch_source
                and lat == threat.launch_lat_deg != 0.0
                and lon == threat.launch_lon_deg != 0.0
            ):
                threat.launch_lat_deg, threat.launch_lon_deg = lat, lon
                threat.launch_source = source
            self._flush_new(time_s, threat, self.partner)

    def _grown_events(self, events: LaunchEvents, ready: NDArray[np.intp]) -> NDArray[np.intp]:
        """Positions in ``ready`` of the events whose size may differ from the one last
        read: where the ready events begin with those of the last call (events keep
        their order), the others' sizes are the ones read then."""
        ids, sizes = events.event_id[ready], events.n_detections[ready]
        m = len(self._ready_ids)
        if m <= len(ids) and np.array_equal(ids[:m], self._ready_ids):
            grown = np.concatenate(
                [np.flatnonzero(sizes[:m] != self._ready_sizes), np.arange(m, len(ids))]
            )
        else:
            grown = np.arange(len(ids))
        self._ready_ids, self._ready_sizes = ids, sizes
        return grown

    def _match_launch(self, lat: float, lon: float, first_s: float, free: Any) -> Threat | None:
        """Best open ballistic threat within the launch gates, among those ``free`` accepts."""
        cfg, cols = self.config, self._cols
        rows = self._site_rows()
        # a launch time unknown on either side (a track's launch point) is no gate
        dt = np.abs(first_s - cols.launch_time_s[rows])
        dt[~np.isfinite(dt)] = 0.0
        # distances only within the time gate (each element as over every row)
        timely = dt <= cfg.launch_time_gate_s
        rows, dt = rows[timely], dt[timely]
        d = site_distances_m(lat, lon, cols.launch_lat_deg[rows], cols.launch_lon_deg[rows])
        gated = np.flatnonzero(d <= cfg.launch_gate_m)
        cost = (d[gated] / cfg.launch_gate_m + dt[gated] / cfg.launch_time_gate_s).tolist()
        best, best_cost = None, np.inf
        for k, c in zip(rows[gated].tolist(), cost, strict=True):
            if c < best_cost and free(self.threats[k]):
                best, best_cost = self.threats[k], c
        return best

    def _site_rows(self) -> NDArray[np.intp]:
        """The rows of the open ballistic threats with a launch point, in board order."""
        rows = self._cols.open_ballistic_rows()
        return rows[np.isfinite(self._cols.launch_lat_deg[rows])]

    def track_rows(self, time_s: float, rows: Alerts) -> None:
        """Per-track evidence from the partner's :class:`AlertGenerator`, in order."""
        if not len(rows):
            return  # most ticks raise nothing
        for r in rows.to_pylist():
            if r["track_id"] is None:
                continue  # launch events come through :meth:`launch_events`
            track = int(r["track_id"])
            if r["alert_kind"] == "all_clear":
                self.tracks_gone([track])
                continue
            threat = self._threat_for_track(time_s, track, r)
            threat.tracks.add(track)
            threat.live_tracks.add(track)
            threat.sources.add(self.partner)
            threat.originators.add(self.partner)
            threat.last_seen_s = time_s
            if threat.lifecycle == "detected":
                threat.lifecycle = "tracked"
            adopt_launch(threat, r)
            if r["alert_kind"] == "impact_update" and math.isfinite(r["impact_time_s"]):
                threat.impact = impact_of_row(r, "own")
                self._set_threatened(time_s, threat, r["threatened_assets"] or ())
            self._flush_new(time_s, threat, self.partner)
            self._check_change(time_s, threat, self.partner)
        self._resort_salvos(time_s)

    def _set_threatened(self, time_s: float, threat: Threat, assets: Sequence[str]) -> None:
        """New threatened assets count at once; one that drops out counts as gone only
        once it has been out for ``threatened_hold_s`` (an asset near the ellipse's
        edge would otherwise raise an alert at every prediction)."""
        now = set(assets)
        for a in now:
            threat.out_since.pop(a, None)
        kept = []
        for a in threat.threatened:
            if a in now:
                continue
            since = threat.out_since.setdefault(a, time_s)
            if time_s - since < self.config.threatened_hold_s:
                kept.append(a)
            else:
                del threat.out_since[a]
        order = self._asset_order
        threat.threatened = tuple(sorted(now | set(kept), key=lambda a: order.get(a, len(order))))

    def _resort_salvos(self, time_s: float) -> None:
        """Within each launch site, the earlier-launched threat holds the track that
        impacts earlier (same site, same flight: a salvo keeps its order). A track's
        first predictions are too rough to tell two launches tens of seconds apart;
        later ones are not, so tracks are swapped back into order while no threat of
        the group has been engaged. Threat ids stay; predictions follow their tracks."""
        cols = self._cols
        rows = cols.open_ballistic_rows()
        rows = rows[cols.own_impact[rows] & np.isfinite(cols.launch_time_s[rows])]
        movable = [
            t
            for t in map(self.threats.__getitem__, rows.tolist())
            if len(t.live_tracks) == 1 and not t.engagements
        ]
        for site in site_groups(movable, self.config.launch_gate_m):
            if len(site) < 2:
                continue
            by_launch = sorted(site, key=lambda t: t.launch_time_s)
            held = sorted(
                ((t.impact, t.threatened, t.live_tracks.copy()) for t in site),
                key=lambda h: h[0].time_s if h[0] is not None else np.inf,
            )
            for threat, (impact, threatened, tracks) in zip(by_launch, held, strict=True):
                if tracks == threat.live_tracks:
                    continue
                threat.live_tracks = tracks
                threat.tracks |= tracks
                threat.impact, threat.threatened = impact, threatened
                for k in tracks:
                    self._by_track[k] = threat
                self._check_change(time_s, threat, self.partner)

    def _threat_for_track(self, time_s: float, track: int, row: dict[str, Any]) -> Threat:
        held = self._by_track.get(track)
        if held is not None:
            return held
        threat: Threat | None = None
        ev = row["launch_event_id"]
        imp_t = as_float(row["impact_time_s"])
        site = self._by_event.get(ev) if ev is not None else None
        if (site is None or not site.open) and is_finite(row["launch_lat_deg"]):
            # no launch event: the launch point flown back from the track (time unknown)
            site = self._match_launch(
                float(row["launch_lat_deg"]), float(row["launch_lon_deg"]), np.nan, untracked
            )
        if site is not None and site.open:
            threat = self._salvo_member(site, imp_t, untracked)
        if threat is None and math.isfinite(imp_t):
            threat = self._match_impact(impact_of_row(row, "own"), untracked)
        if threat is None:
            threat = self._new(time_s, "ballistic", self.partner)
            adopt_launch(threat, row)
        self._by_track[track] = threat
        return threat

    def _salvo_member(self, site: Threat, impact_time_s: float, free: Any) -> Threat | None:
        """The threat launched from ``site``'s launch point (itself included) that
        ``free`` accepts and whose launch time plus the site's flight time (from its
        other threats with a prediction) is nearest ``impact_time_s``; the earliest
        launched when no flight time is known yet. A launch point cannot tell two
        launches from one site apart: their times can."""
        rows, lat, lon = self._site_rows(), self._cols.launch_lat_deg, self._cols.launch_lon_deg
        d = site_distances_m(site.launch_lat_deg, site.launch_lon_deg, lat[rows], lon[rows])
        near = [self.threats[k] for k in rows[d <= self.config.launch_gate_m].tolist()]
        candidates = [t for t in near if math.isfinite(t.launch_time_s) and free(t)]
        if not candidates:
            return None
        chosen = {id(t) for t in candidates}
        flights = [
            t.impact.time_s - t.launch_time_s
            for t in near
            if id(t) not in chosen and t.impact is not None and math.isfinite(t.launch_time_s)
        ]
        if not flights or not math.isfinite(impact_time_s):
            return min(candidates, key=lambda t: t.launch_time_s)
        flight_s = median(flights)
        return min(candidates, key=lambda t: abs(t.launch_time_s + flight_s - impact_time_s))

    def _match_impact(self, imp: PredictedImpact, free: Any) -> Threat | None:
        """Best open ballistic threat whose prediction fits ``imp`` within the impact gates."""
        cfg = self.config
        gate_s = cfg.impact_time_gate_s
        cols = self._cols
        rows = cols.open_ballistic_rows()
        rows = rows[cols.has_impact[rows]]
        dts = np.abs(cols.impact_time_s[rows] - imp.time_s)
        # the time gate first: the distance only where it can matter
        timely = dts <= gate_s
        best, best_cost = None, np.inf
        for k, dt in zip(rows[timely].tolist(), dts[timely].tolist(), strict=True):
            t = self.threats[k]
            if not free(t) or t.impact is None:
                continue
            d = float(np.linalg.norm(t.impact.ecef_m - imp.ecef_m))
            gate_m = max(cfg.impact_gate_m, t.impact.semi_major_m + imp.semi_major_m)
            if d <= gate_m and dt <= gate_s:
                cost = d / gate_m + dt / gate_s
                if cost < best_cost:
                    best, best_cost = t, cost
        return best

    def tracks_gone(self, track_ids: Iterable[int]) -> None:
        """Own tracks the tracker dropped (their threats keep their last prediction)."""
        for k in track_ids:
            t = self._by_track.get(int(k))
            if t is not None:
                t.live_tracks.discard(int(k))

    def received(self, time_s: float, origin: str, rows: Alerts) -> None:
        """Threat alerts another partner's board raised, as this partner received them
        (each row's ``time_s`` its arrival, at or before ``time_s``: a change it causes
        happens then)."""
        for r in rows.to_pylist():
            self._received_row(min(float(r["time_s"]), time_s), origin, r)

    def _received_row(self, time_s: float, origin: str, r: dict[str, Any]) -> None:
        """One received row (see :meth:`received`)."""
        sender_id = r["threat_id"]
        if sender_id is None or r["origin_partner"] != origin:
            return  # a relay: the sender's own data found nothing here
        key = (origin, str(sender_id))
        threat = self._by_remote.get(key)
        ending = r["alert_kind"] in ("impact", "all_clear") or (
            r["alert_kind"] == "engagement_result" and r["change"].startswith("kill")
        )
        if threat is None:
            if ending:
                return
            threat = self._match_received(r, origin)
            if threat is None:
                threat = self._new(time_s, r["threat_class"] or "ballistic", origin)
                threat.launch_time_s = as_float(r["first_seen_s"])
            threat.remote[origin] = str(sender_id)
            self._by_remote[key] = threat
        if not threat.open:
            return
        threat.sources.add(origin)
        threat.originators.update(r["originators"] or (origin,))
        if r["truth_object_id"] is not None and not threat.truth:
            threat.truth[r["truth_object_id"]] += 1
        adopt_launch(threat, r)
        if is_finite(r["impact_time_s"]) and not self._own_prediction_current(threat, time_s):
            threat.impact = impact_of_row(r, origin)
            self._set_threatened(time_s, threat, r["threatened_assets"] or ())
        self._flush_new(time_s, threat, origin)
        if ending:
            self._remote_end(time_s, threat, r, origin)
        else:
            self._check_change(time_s, threat, origin)

    def _own_prediction_current(self, threat: Threat, time_s: float) -> bool:
        """The threat's prediction is the partner's own, from a track it still holds
        (another partner's report then adds nothing to it)."""
        if threat.impact is None or threat.impact.source != "own":
            return False
        if threat.picture_number is not None:
            return time_s - threat.last_seen_s <= self.config.air_lost_s
        return bool(threat.live_tracks)

    def _match_received(self, row: dict[str, Any], origin: str) -> Threat | None:
        """My open threat that a first report from ``origin`` is about, if any."""
        cls = row["threat_class"] or "ballistic"

        def free(t: Threat) -> bool:
            return origin not in t.remote and t.threat_class == cls

        if cls == "ballistic" and is_finite(row["launch_lat_deg"]):
            # a launch time is known only where the sender saw the launch itself
            seen_s = as_float(row["first_seen_s"]) if row["launch_source"] != "track" else np.nan
            site = self._match_launch(
                float(row["launch_lat_deg"]), float(row["launch_lon_deg"]), seen_s, free
            )
            if site is not None:
                return self._salvo_member(site, as_float(row["impact_time_s"]), free)
        if is_finite(row["impact_time_s"]):
            imp = impact_of_row(row, origin)
            if cls == "ballistic":
                return self._match_impact(imp, free)
            return self._match_air(imp, free)
        return None

    def _match_air(self, imp: PredictedImpact, free: Any) -> Threat | None:
        cfg = self.config
        best, best_cost = None, np.inf
        for t in self._open.values():
            if not (t.threat_class in ("cruise", "aircraft") and free(t) and t.impact):
                continue
            d = float(np.linalg.norm(t.impact.ecef_m - imp.ecef_m))
            dt = abs(t.impact.time_s - imp.time_s)
            gate_m = cfg.air.threat_radius_m
            gate_s = 3.0 * cfg.impact_time_gate_s
            if d <= gate_m and dt <= gate_s and d / gate_m + dt / gate_s < best_cost:
                best, best_cost = t, d / gate_m + dt / gate_s
        return best

    def _remote_end(self, time_s: float, threat: Threat, row: dict[str, Any], origin: str) -> None:
        """Another partner's threat ended: a kill or impact ends mine unless my own live
        tracks still predict an impact to come; an all-clear only when I track nothing."""
        if row["alert_kind"] == "engagement_result":
            self._close(time_s, threat, "killed", "engagement_result", row["change"], origin)
            return
        if threat.live_tracks:
            return
        if row["alert_kind"] == "impact":
            self._close(time_s, threat, "impacted", "impact", row["change"], origin)
        else:
            self._close(time_s, threat, "all_clear", "all_clear", row["change"], origin)

    def air_picture(
        self,
        time_s: float,
        picture_number: NDArray[np.int64],
        states: FloatArray,
        pos_sigma_m: FloatArray,
        non_ballistic: NDArray[np.bool_],
        first_source: Sequence[str],
        truth: Sequence[str],
    ) -> None:
        """The partner's fused picture: air-breathing tracks that approach an asset.

        ``first_source`` names, per picture track, the partner whose track it
        holds (the partner itself when it has its own); ``truth`` labels each
        track with the truth object it follows (scoring only, "" for none).
        """
        ev = evaluate_air_tracks(
            time_s, states, pos_sigma_m, non_ballistic, self.assets, self.config.air
        )
        ids = np.asarray(self.assets.asset_id, dtype=object)
        present = {int(n) for n in picture_number.tolist()}
        for k in np.flatnonzero(ev.evaluated).tolist():
            number = int(picture_number[k])
            threat = self._by_picture.get(number)
            threatening = bool(np.any(ev.threatened[k]))
            if threat is None:
                if not threatening:
                    continue
                threat = self._continued_air(time_s, states[k], float(pos_sigma_m[k]), present)
                if threat is None:  # reported by another partner before this picture held it
                    threat = self._match_air(cpa_impact(ev, k), lambda t: t.picture_number is None)
                if threat is None:
                    threat = self._new(time_s, str(ev.threat_class[k]), first_source[k])
                threat.picture_number = number
                self._by_picture[number] = threat
            if not threat.open:
                continue
            threat.last_seen_s = time_s
            threat.last_state = (
                time_s,
                np.array(states[k], dtype=np.float64),
                float(pos_sigma_m[k]),
            )
            threat.sources.add(first_source[k])
            threat.originators.add(first_source[k])
            if truth[k]:
                threat.truth[truth[k]] += 1
            if threatening:
                threat.last_threat_s = time_s
                threat.impact = cpa_impact(ev, k)
                self._set_threatened(time_s, threat, [str(a) for a in ids[ev.threatened[k]]])
            if threat.lifecycle == "detected":
                threat.lifecycle = "impact_predicted" if threatening else "tracked"
            self._flush_new(time_s, threat, first_source[k])
            self._check_change(time_s, threat, first_source[k])

    def _continued_air(
        self, time_s: float, state: FloatArray, sigma_m: float, present: set[int]
    ) -> Threat | None:
        """The open air threat a new picture track continues: its own picture track is
        gone and its last state, flown on, is within three combined sigmas (plus
        ``air_continuation_m``) of the new track."""
        best, best_m = None, np.inf
        for t in self._open.values():
            if not (t.last_state is not None and t.picture_number not in present):
                continue
            then_s, last, last_sigma = t.last_state
            predicted = last[:3] + last[3:] * (time_s - then_s)
            miss_m = float(np.linalg.norm(predicted - state[:3]))
            gate_m = 3.0 * float(np.hypot(sigma_m, last_sigma)) + self.config.air_continuation_m
            if miss_m <= gate_m and miss_m < best_m:
                best, best_m = t, miss_m
        return best

    def engagements(self, time_s: float, rows: Sequence[dict[str, Any]]) -> None:
        """Engagements on this partner's threats: dicts with ``engagement_id``,
        ``battery``, ``partner``, ``intercept_s``, ``outcome`` (``in_flight``, ``kill``,
        ``miss``), ``assessed`` (the outcome reached the partner) and either
        ``tracks`` (own track ids) or ``picture_number``."""
        for row in rows:
            threats = self.threat_of_tracks(row.get("tracks", ()))
            number = row.get("picture_number")
            if number is not None and (t := self._by_picture.get(int(number))) is not None:
                threats.append(t)
            for threat in threats:
                if not threat.open:
                    continue
                known = threat.engagements.get(row["engagement_id"])
                shown = row["outcome"] if row["assessed"] else "in_flight"
                if known is not None and known["outcome"] == shown:
                    continue
                threat.engagements[row["engagement_id"]] = {
                    "battery": row["battery"],
                    "partner": row["partner"],
                    "intercept_s": row["intercept_s"],
                    "outcome": shown,
                }
                if shown == "in_flight":
                    threat.lifecycle = "engaged"
                elif shown == "miss":
                    self._emit(time_s, threat, "engagement_result",
                               f"miss by {row['battery']}", self.partner)  # fmt: skip
                    if not any(e["outcome"] == "in_flight" for e in threat.engagements.values()):
                        threat.lifecycle = "impact_predicted" if threat.impact else "tracked"

    def killed(self, time_s: float, threats: Iterable[Threat], by: str = "") -> None:
        """Kill assessed on these threats: each ends with one ``engagement_result`` row."""
        for t in threats:
            if t.open:
                text = f"kill by {by}" if by else "kill"
                self._close(time_s, t, "killed", "engagement_result", text, self.partner)

    def killed_picture(self, time_s: float, picture_numbers: Iterable[int]) -> None:
        """Kill assessed on these picture tracks (air-breathing threats held by number)."""
        hit = [t for n in picture_numbers if (t := self._by_picture.get(int(n))) is not None]
        self.killed(time_s, hit)

    def classify(self, time_s: float, threat_id: str, label: str) -> str | None:
        """The staff's classification of a threat; the reason it is refused, or None."""
        threat = self.threat(threat_id)
        if threat is None:
            return f"no threat {threat_id!r} on {self.partner}'s board"
        if label not in CLASSIFICATIONS:
            return f"classification {label!r}: expected one of {', '.join(CLASSIFICATIONS)}"
        threat.classification = label
        threat.last_change_s = time_s
        return None

    def advance(self, time_s: float) -> None:
        """End threats whose time has come (impact passed, lost, timed out)."""
        if not self._open:
            return  # a quiet board (most ticks of a small exercise): nothing can end
        cfg, cols = self.config, self._cols
        if time_s <= self._quiet_until_s and cols.version == self._quiet_version:
            return  # (most ticks)
        n = cols.size
        end_s = np.where(
            cols.has_impact[:n],
            cols.impact_time_s[:n] + cfg.impact_grace_s,
            cols.first_seen_s[:n] + cfg.detected_timeout_s,
        )
        ended = time_s > end_s
        # the ballistic threats whose end has come, and every air threat, in board order
        # (closing one changes no other's test)
        due = np.flatnonzero((cols.open_ballistic[:n] & ended) | cols.open_air[:n])
        if not due.size:
            # nothing can end before the earliest end time (NaN: never) unless a column
            # changes
            waiting = end_s[cols.open_ballistic[:n]]
            waiting = waiting[~np.isnan(waiting)]
            self._quiet_until_s = float(waiting.min()) if waiting.size else np.inf
            self._quiet_version = cols.version
        for t in map(self.threats.__getitem__, due.tolist()):
            if t.threat_class != "ballistic":
                self._advance_air(time_s, t)
            elif t.impact is not None:
                self._close(time_s, t, "impacted", "impact", "impact", self.partner)
            else:
                self._close(time_s, t, "all_clear", "all_clear", "nothing predicted",
                            self.partner)  # fmt: skip

    def _advance_air(self, time_s: float, t: Threat) -> None:
        cfg = self.config
        gone_s = time_s - t.last_seen_s
        if gone_s > cfg.air_lost_s:
            reached = (
                t.impact is not None
                and t.threat_class == "cruise"
                and time_s >= t.impact.time_s - cfg.air_lost_s
            )
            if reached:
                self._close(time_s, t, "impacted", "impact", "reached its target", self.partner)
            else:
                self._close(time_s, t, "all_clear", "all_clear", "track lost", self.partner)
        elif time_s - t.last_threat_s > cfg.air_lost_s:
            self._close(time_s, t, "all_clear", "all_clear", "no longer threatening",
                        self.partner)  # fmt: skip

    # -- rows ---------------------------------------------------------------------------

    def _new(self, time_s: float, threat_class: str, source: str) -> Threat:
        t = Threat(
            number=len(self.threats) + 1,
            partner=self.partner,
            threat_class=threat_class,
            first_seen_s=time_s,
            first_source=source,
            last_seen_s=time_s,
            last_threat_s=time_s,
        )
        t.sources.add(source)
        t.originators.update((self.partner, source))
        self.threats.append(t)
        self._open[t.number] = t
        self._cols.add(t)
        return t

    def _flush_new(self, time_s: float, threat: Threat, origin: str) -> None:
        """The ``new_threat`` row, once, when the threat first has what it can show."""
        if math.isfinite(threat.last_change_s):
            return
        threat.alerted = threat.impact
        threat.alerted_threatened = threat.threatened
        if threat.impact is not None:
            threat.lifecycle = "impact_predicted"
        self._emit(time_s, threat, "new_threat", "new threat", origin)

    def _check_change(self, time_s: float, threat: Threat, origin: str) -> None:
        """A ``threat_change`` row when the prediction or the threatened assets changed."""
        cfg = self.config
        imp, last = threat.impact, threat.alerted
        reasons: list[str] = []
        if imp is not None and last is None:
            reasons.append("impact predicted")
            if threat.lifecycle in ("detected", "tracked"):
                threat.lifecycle = "impact_predicted"
        elif imp is not None and last is not None and not (imp is last and self._still_same):
            moved_m = float(np.linalg.norm(imp.ecef_m - last.ecef_m))
            if moved_m > cfg.min_move_m and not inside_ellipse(imp, last):
                reasons.append(f"impact moved {moved_m / 1e3:.0f} km")
            dt = imp.time_s - last.time_s
            air = threat.threat_class != "ballistic"
            if abs(dt) > (cfg.air_time_change_s if air else cfg.impact_time_change_s):
                reasons.append(f"impact time {dt:+.0f} s")
        if threat.threatened != threat.alerted_threatened:
            added = sorted(set(threat.threatened) - set(threat.alerted_threatened))
            gone = sorted(set(threat.alerted_threatened) - set(threat.threatened))
            reasons.append(" ".join([*(f"+{a}" for a in added), *(f"-{a}" for a in gone)]))
        if reasons:
            threat.alerted = imp
            threat.alerted_threatened = threat.threatened
            self._emit(time_s, threat, "threat_change", "; ".join(reasons), origin)

    def _close(
        self, time_s: float, t: Threat, lifecycle: str, kind: str, change: str, origin: str
    ) -> None:
        t.lifecycle = lifecycle
        self._emit(time_s, t, kind, change, origin)
        t.ended_s = time_s
        t.live_tracks.clear()
        self._open.pop(t.number, None)

    def _emit(self, time_s: float, t: Threat, kind: str, change: str, origin: str) -> None:
        t.last_change_s = time_s
        self._rows.append(alert_row(self.partner, time_s, t, kind, change, origin))

    def take_alerts(self) -> Alerts:
        """The alert rows raised since the last call, in order."""
        rows, self._rows = self._rows, []
        return alerts_from_rows(rows)

    def board_rows(
        self, time_s: float, picture_of: Mapping[int, int] | None = None
    ) -> list[dict[str, Any]]:
        """The board now: one JSON-ready dict per open threat, by time to go
        (``picture_of``: own track id -> picture number, for the tracks it names)."""
        pic = {} if picture_of is None else picture_of
        rows = self._board_cache.rows(time_s, list(self._open.values()), pic)
        rows.sort(key=lambda r: board_order(r["time_to_go_s"]))
        return [copied_row(r) for r in rows]

    def label_truth(self, threats: Sequence[Threat], labels: Sequence[str]) -> None:
        """Vote the truth object each threat's track follows now (scoring only)."""
        for t, label in zip(threats, labels, strict=True):
            if label:
                t.truth[label] += 1


__all__ = [
    "CLASSIFICATIONS",
    "LIFECYCLES",
    "THREAT_ALERT_KINDS",
    "AssetInfo",
    "Threat",
    "ThreatBoard",
    "ThreatConfig",
    "threat_rules_markdown",
]
