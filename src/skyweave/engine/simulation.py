"""The engine: one clock that advances every stage tick by tick, in data-flow order.

:class:`Simulation` maps the scenario onto each stage's parameters once, then
each :meth:`Simulation.step` advances one tick ``(t - dt, t]``:

1. **commands** stamped in the tick apply (injects, consent answers, orders;
   :mod:`skyweave.engine.commands` gives the ordering rule);
2. **flyouts and kill draws** due by ``t`` resolve: a kill takes effect at its
   intercept time, so no sensor sees the object after it;
3. **sensors** take the scans and frames due in the tick;
4. each partner's **tracker** takes its radars' reports due by ``t``;
5. the **link boundary** hands on what arrived by ``t`` (infrared lines of
   sight, tracks, alerts, engagement status);
6. **early warning** takes the infrared that reached each partner (every tick,
   whether or not a radar sees anything) and issues alerts;
7. at report times each partner reports its tracks and **fuses** its picture;
   at decision times the **command posts decide** (threat evaluation,
   feasibility, assignment, consent, orders);
8. what the partners produced in the tick is **offered to the links**.

Nothing reads the future: every stage works on what earlier stages delivered
by ``t``, and every random draw is keyed by its component and its time, so a
run to ``t1`` is a bit-identical prefix of a run to ``t2 > t1``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from skyweave.c2.coalition_status import battery_reports, engagement_reports
from skyweave.c2.decision import (
    DecisionLog,
    DecisionStage,
    EngageRequest,
    ThreatObjects,
)
from skyweave.c2.decision_log import refusal_reason, threats_held
from skyweave.c2.fallback import Cut
from skyweave.engagement import Engagement, merge_truth
from skyweave.engine.commands import Command, in_apply_order, scripted_injects
from skyweave.engine.params import (
    TRACKER_CONFIG,
    c2_params,
    coalition_cell,
    radar_site,
    sensor_params,
    warning_assets,
)
from skyweave.engine.partner import PartnerStage
from skyweave.engine.truth_labels import TruthLabels
from skyweave.exercise.consent import ConsentDesk, ConsentQuestion
from skyweave.kinematics.from_scenario import ThreatFlight, build_truth
from skyweave.network import LinkBoundary, Messages
from skyweave.network.links import in_windows
from skyweave.network.stream import (
    LinkStream,
    alert_messages,
    detection_messages,
    object_key,
    received_alerts,
    received_detections,
)
from skyweave.scenario.schema import Inject, Radar, Scenario, Threat
from skyweave.sensors.detections import Detections, concat_detections, empty_detections
from skyweave.sensors.stream import ScanReport, SensorStage
from skyweave.tracking.fusion import FusedPicture
from skyweave.tracking.shared_picture import remote_tracks, track_messages
from skyweave.tracking.tracker import TrackBatch
from skyweave.warning.alerts import Alerts
from skyweave.warning.impact import ballistic_mask

_THREAT: TypeAdapter[Threat] = TypeAdapter(Threat)

#: times within this of a grid point are on it
_EPS_S = 1e-6
#: a track within this of a truth object follows it (scoring labels only)
_TRUTH_GATE_M = 20_000.0


def time_grid(scenario: Scenario, until_s: float | None = None) -> np.ndarray:
    """Tick times from 0 to the end of the scenario (``until_s`` caps the duration)."""
    end_s = scenario.duration_s if until_s is None else min(until_s, scenario.duration_s)
    steps = int(math.floor(end_s / scenario.time_step_s + 1e-9))
    return np.arange(steps + 1, dtype=np.float64) * scenario.time_step_s


def on_grid(time_s: float, interval_s: float) -> bool:
    """``time_s`` is a whole multiple of ``interval_s`` (within rounding)."""
    k = round(time_s / interval_s)
    return abs(time_s - k * interval_s) < _EPS_S * max(interval_s, 1.0)


@dataclass(frozen=True)
class EventRow:
    """One row of ``events.parquet``."""

    time_s: float
    source: str
    kind: str
    target: str | None
    text: str


@dataclass(frozen=True)
class PartnerView:
    """What one partner's staff sees at the current tick."""

    time_s: float
    partner: str
    picture: FusedPicture | None
    alerts: tuple[Alerts, ...]
    questions: tuple[ConsentQuestion, ...]
    batteries: dict[str, dict[str, Any]]
    engagements: tuple[Engagement, ...]
    held: frozenset[str]
    messages: tuple[tuple[float, str, str], ...] = ()  # (arrival s, from, text)
    #: other partners' batteries as their released ``battery_status`` last told this
    #: partner: battery id -> {"partner", "inventory", "ready", "as_of_s"}
    remote_batteries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the partner's threat board: one dict per open threat, by time to go
    #: (:meth:`skyweave.warning.threats.ThreatBoard.board_rows`)
    threats: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class TruthView:
    """What the white cell sees: every object in flight at the current tick."""

    time_s: float
    object_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    states_ecef: np.ndarray  # (N, 6), NaN where not in flight


class Simulation:
    """One run of a scenario, advanced tick by tick (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    seed : int
    commands : iterable of Command
        The operators' command log (the scenario's scripted injects are added).
    """

    def __init__(self, scenario: Scenario, seed: int, commands: Iterable[Command] = ()) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.times_s = time_grid(scenario)
        self.dt_s = float(scenario.time_step_s)
        self.tick = -1
        self.time_s = -self.dt_s
        self.output_interval_s = float(scenario.output_interval_s)
        self.decision_interval_s = float(scenario.decision_period_s)
        self.partners = [p.id for p in scenario.partners]

        self.truth, self.flights = build_truth(scenario, self.times_s, seed=self.seed)
        self.killed_at_s = np.full(len(self.truth.object_ids), np.inf)
        self._objects = self._threat_objects()
        self._truth_labels: TruthLabels | None = None

        self.sensors = SensorStage(sensor_params(scenario), self.seed)
        self.sensor_partner = {s.id: s.partner for s in scenario.sensors}
        # injects act as the run goes: the boundary starts with the schedules only
        self.boundary = LinkBoundary(scenario.model_copy(update={"injects": []}), self.seed)
        self.links = LinkStream(self.boundary)
        assets, asset_info = warning_assets(scenario)
        self.stages = {
            p: PartnerStage(
                p,
                [
                    radar_site(s)
                    for s in scenario.sensors
                    if isinstance(s, Radar) and s.partner == p
                ],
                assets,
                TRACKER_CONFIG,
                asset_info=asset_info,
            )
            for p in self.partners
        }
        self.consent = ConsentDesk({p.id: p.engagement.consent for p in scenario.partners})
        commanded = commanded_batteries(scenario, self.boundary)
        self.decision = DecisionStage(c2_params(scenario), self.seed, self.consent, commanded)
        self._cell_links = bool(self.decision.fallback.eligible)  # fallback doctrine applies
        self._refusals_seen = 0
        self._kills_read = 0  # place in the engagement model's kill log
        self.batteries = {b.id: b for b in scenario.batteries}
        self._own_batteries = {
            p: tuple(b.id for b in scenario.batteries if b.partner == p) for p in self.partners
        }
        # (origin, data class) pairs the policy releases to someone: nothing else is
        # built into messages (the boundary would drop it unsent, with no draw)
        self._released = {(o, c) for o, _, c in self.boundary.policy.grants()}

        self._pending = in_apply_order([*scripted_injects(scenario), *commands])
        self.applied: list[Command] = []
        self.events: list[EventRow] = []
        self.detections: list[Detections] = []
        self.alerts: list[Alerts] = []  # the partners' threat boards' alerts, as raised
        # the same batches per partner holding them (each batch has one holder)
        self._alerts_held: dict[str, list[Alerts]] = {p: [] for p in self.partners}
        self._last_report: dict[str, TrackBatch] = {}
        self._kills_told: set[tuple[str, str]] = set()
        self._kills_checked: dict[str, tuple[float, int]] = {}
        # the decision stage's kill news read so far, and per post the picture tracks
        # known killed but not yet told to its board (in the order they became known)
        self._kill_news_read = 0
        self._kills_untold: dict[str, dict[str, None]] = {}
        self._outbox: list[tuple[Messages, Any]] = []  # staff messages sent this tick
        self.inbox: dict[str, list[tuple[float, str, str]]] = {p: [] for p in self.partners}

    # -- the clock ---------------------------------------------------------------------

    @property
    def end_s(self) -> float:
        """The scenario's last tick time."""
        return float(self.times_s[-1])

    @property
    def done(self) -> bool:
        """True once the last tick of the scenario has run."""
        return self.tick >= len(self.times_s) - 1

    def submit(self, command: Command) -> str | None:
        """Queue a live command; the reason it is refused (time already past), or None."""
        if command.time_s <= self.time_s:
            return f"time_s {command.time_s:g} is not after the current tick ({self.time_s:g} s)"
        self._pending = in_apply_order([*self._pending, command])
        return None

    def run_until(self, until_s: float | None = None) -> None:
        """Step until the tick at ``until_s`` (the scenario's end if None) has run."""
        end = self.end_s if until_s is None else min(until_s, self.end_s)
        while not self.done and self.times_s[self.tick + 1] <= end + _EPS_S:
            self.step()

    def step(self) -> None:
        """Advance one tick (see the module docstring for the order of the stages)."""
        if self.done:
            raise RuntimeError("the scenario has ended")
        self.tick += 1
        t0, t = self.time_s, float(self.times_s[self.tick])
        self.time_s = t
        self._apply_commands(t)
        self.decision.step(t)
        self._learn_kills()
        taken, delivered = self.sensors.step(t0, t, self.truth, self.killed_at_s)
        self.detections += [r.detections for r in taken if len(r.detections)]
        outgoing: list[tuple[Messages, Any]] = []
        for p, stage in self.stages.items():
            stage.on_scans([r for r in delivered if r.partner == p and r.sensor_type == "radar"])
        remote_ir = self._deliver(t)
        for p, numbers in self._kills_now(t).items():
            self.stages[p].kills_assessed(t, numbers)
        for p, stage in self.stages.items():
            own_ir = [r.detections for r in delivered if r.partner == p and _is_ir(r)]
            stage.on_infrared(t, own_ir, remote_ir.get(p, empty_detections()))
            if (p, "detections") in self._released:
                outgoing += [detection_messages(p, det) for det in own_ir if len(det)]
        report = on_grid(t, self.output_interval_s)
        decide = on_grid(t, self.decision_interval_s)
        if report or decide:
            for p, stage in self.stages.items():
                own = stage.report(t) if report else stage.tracker.confirmed()
                if report:
                    self._last_report[p] = own
                    if (p, "tracks") in self._released:
                        outgoing.append((track_messages(p, t, own), own))
                stage.fuse(t, own, record=report, label=self._label_truth)
        if decide:
            self._decide(t)
            outgoing += self._status_messages(t)
        if report or decide:
            self._engagements_to_boards(t)
        for p, stage in self.stages.items():
            alerts = stage.new_alerts()
            if len(alerts):
                self._record_alerts(alerts)
                mine = alerts.take(alerts.origin_partner == p)
                if len(mine) and (p, "launch_alerts") in self._released:
                    outgoing.append(alert_messages(p, mine))
        outgoing += self._outbox
        self._outbox = []
        self.links.offer(self.tick, outgoing)

    # -- stages that need the engine's state -----------------------------------------

    def _deliver(self, t: float) -> dict[str, Detections]:
        """Hand on what the links delivered by ``t``; returns remote infrared per receiver."""
        remote_ir: dict[str, list[Detections]] = {}
        for got in self.links.arrived(t):
            d = got.deliveries
            receiver = str(d.receiver[0])
            if got.data_class == "detections":
                # read by the receiver's warning stage at this tick: one batch per
                # tick, not one per arrival time (the launch detector loops over them)
                det = received_detections(got.payload, d)
                remote_ir.setdefault(receiver, []).append(
                    replace(det, report_time_s=np.full(len(det), t))
                )
            elif got.data_class == "tracks":
                self.stages[receiver].receive_tracks(remote_tracks(got.origin, d, got.payload))
            elif got.data_class == "launch_alerts":
                self.stages[receiver].receive_alerts(t, got.origin, received_alerts(got.payload, d))
            elif got.data_class == "messages":
                to, text, _ = got.payload
                for arrival_s in d.arrival_time_s[d.receiver == to].tolist():
                    self.inbox[to].append((arrival_s, got.origin, text))
                    self._event(arrival_s, to, "message_received", got.origin, text)
            elif got.data_class == "engagement_status":
                xyz = d.xyz_m()
                for k, (row, var_m2, arrival_s, sent_s) in enumerate(
                    zip(
                        d.payload_row.tolist(),
                        d.added_position_var_m2.tolist(),
                        d.arrival_time_s.tolist(),
                        d.send_time_s.tolist(),
                        strict=True,
                    )
                ):
                    self.decision.report_arrived(
                        receiver, got.payload[row], xyz[k], var_m2, arrival_s, sent_s
                    )
            elif got.data_class == "battery_status":
                for row in d.payload_row.tolist():
                    self.decision.battery_arrived(receiver, got.payload[row])
            elif got.data_class == "engagement_orders":
                for row, arrived in zip(
                    d.payload_row.tolist(), d.arrival_time_s.tolist(), strict=True
                ):
                    self.decision.order_arrived(receiver, got.payload[row], arrived)
        out = {}
        for receiver, parts in remote_ir.items():
            det = parts[0] if len(parts) == 1 else concat_detections(parts)
            out[receiver] = det.take(np.argsort(det.time_s, kind="stable"))
        return out

    def _record_alerts(self, alerts: Alerts) -> None:
        """Alerts a partner's threat board raised (one holder per batch)."""
        self.alerts.append(alerts)
        self._alerts_held[str(alerts.partner[0])].append(alerts)

    def _label_truth(self, time_s: float, positions_m: np.ndarray) -> list[str]:
        """The truth object each position follows (scoring only: threats.parquet's and
        alerts.parquet's ``truth_object_id``; never read by a decision)."""
        labels = self._truth_labels
        if labels is None or labels.objects is not self._objects:
            # one k-d tree per report time, shared by every partner's queries
            labels = self._truth_labels = TruthLabels(self._objects, _TRUTH_GATE_M)
        return labels(time_s, positions_m)

    def _engagements_to_boards(self, t: float) -> None:
        """Each partner's board learns the engagements on its picture tracks (its own
        batteries' and the coalition cell's orders on its picture), outcomes as assessed."""
        model = self.decision.model
        rows: dict[str, list[dict[str, Any]]] = {p: [] for p in self.partners}
        for e in [*model.engagements, *model.in_flight()]:
            owner, _, number = e.track_id.rpartition(":")
            if owner not in rows or not number.isdigit():
                continue
            rows[owner].append(
                {
                    "engagement_id": e.engagement_id,
                    "battery": e.battery_id,
                    "partner": e.partner,
                    "intercept_s": round(float(e.intercept_time_s), 1),
                    "outcome": e.outcome,
                    "assessed": e.outcome != "in_flight" and e.assessment_time_s <= t,
                    "picture_number": int(number),
                }
            )
        for p, mine in rows.items():
            if mine:
                self.stages[p].engagements(t, mine)

    def _status_messages(self, t: float) -> list[tuple[Messages, Any]]:
        """What the command posts tell each other at a decision time: engagement status
        and battery status per partner, and the cell's orders to other partners' batteries."""
        out: list[tuple[Messages, Any]] = []
        model = self.decision.model
        for p in self.partners:
            reports = (
                engagement_reports(model, p, t, self.decision.lineage)
                if (p, "engagement_status") in self._released
                else []
            )
            if reports:
                out.append(
                    (
                        Messages.build(
                            np.full(len(reports), t),
                            p,
                            "engagement_status",
                            xyz_m=np.array([r.intercept_ecef_m for r in reports]),
                            originators=[r.originators for r in reports],
                            object_key=[
                                object_key(f"engagement/{p}/{r.engagement_id}") for r in reports
                            ],
                        ),
                        reports,
                    )
                )
            own = self._own_batteries[p]
            if own and (p, "battery_status") in self._released:
                told = battery_reports(model, own, t)
                out.append((Messages.build(np.full(len(told), t), p, "battery_status"), told))
        orders = self.decision.take_orders()
        for cell in dict.fromkeys(o.cell for o in orders):
            mine = [o for o in orders if o.cell == cell]
            out.append(
                (
                    Messages.build(
                        np.full(len(mine), t),
                        cell,
                        "engagement_orders",
                        originators=[o.originators for o in mine],
                    ),
                    mine,
                )
            )
        return out

    def _decide(self, t: float) -> None:
        silent = {p for p in self.partners if in_windows(self.boundary.silent(p), np.array([t]))[0]}
        pictures = {p: s.picture for p, s in self.stages.items() if s.picture is not None}
        boards = {
            p: threats_held(s.warning.board.open_threats(), s.fusion.picture_numbers_of_own())
            for p, s in self.stages.items()
        }
        cuts = coalition_cuts(self.scenario, self.boundary, t) if self._cell_links else {}
        outcome = self.decision.cycle(t, pictures, self._objects, silent, cuts, boards)
        for change in outcome.changes:
            self._event(t, change.partner, change.kind, change.battery_id, change.reason)
        for r in self.decision.model.refusals[self._refusals_seen :]:
            text = f"track={r.track_id} {refusal_reason(r.reason)}: {r.reason}"
            self._event(
                r.time_s, self.batteries[r.battery_id].partner, "order_refused", r.battery_id, text
            )
        self._refusals_seen = len(self.decision.model.refusals)
        for request, reason in outcome.rejected:
            self._event(
                t,
                request.seat,
                "engage_rejected",
                request.battery_id,
                f"track={request.track_id} {reason}",
            )
        self._learn_kills()

    def _kills_now(self, t: float) -> dict[str, list[int]]:
        """Picture tracks whose kill assessment reached their command post by ``t``."""
        out: dict[str, list[int]] = {}
        for p, stage in self.stages.items():
            # kills another partner reported on objects this partner's picture holds
            pic, remote = stage.picture, self.decision.remote[p]
            if pic is None or not len(pic) or not len(remote):
                continue
            # only when the picture or the kills reported to this post changed
            checked = (pic.time_s, remote.kills_version)
            if self._kills_checked.get(p) == checked:
                continue
            self._kills_checked[p] = checked
            dead, _, _ = remote.marks(
                t,
                pic.state,
                pic.pos_sigma_m,
                ballistic_mask(pic.state),
                exclude_batteries=self._own_batteries[p],
                kills_only=True,
            )
            for n in pic.picture_number[dead].tolist():
                if (p, f"{p}:{n}") not in self._kills_told:
                    self._kills_told.add((p, f"{p}:{n}"))
                    out.setdefault(p, []).append(int(n))
        self._kills_known(t, out)
        return out

    def _kills_known(self, t: float, out: dict[str, list[int]]) -> None:
        """Kills the decision stage knows a post's picture tracks by ``t`` (onto ``out``).

        Reads only the news since the last call; a track stays untold until its known
        time (which later news may lower) comes, so every (post, track) is told once,
        in the order the post's kills became known, as a scan of all would.
        """
        news = self.decision.kill_news
        for p, track_id in news[self._kill_news_read :]:
            # decision authorities are partner ids (a coalition cell sits with one);
            # another partner's track ids name its own picture, not this one's
            if p in self.stages and track_id.startswith(f"{p}:"):
                self._kills_untold.setdefault(p, {})[track_id] = None
        self._kill_news_read = len(news)
        for p, known in self.decision.known_kill.items():
            untold = self._kills_untold.get(p)
            if not untold:
                continue
            for track_id in [k for k in untold if known[k] <= t]:
                del untold[track_id]
                if (p, track_id) not in self._kills_told:
                    self._kills_told.add((p, track_id))
                    out.setdefault(p, []).append(int(track_id.rsplit(":", 1)[1]))

    def _learn_kills(self) -> None:
        # the kills drawn since the last call (a kill time is only ever lowered, so
        # the earliest written is the one the table holds)
        log = self.decision.model.kill_log
        for object_id, t_kill in log[self._kills_read :]:
            k = self._index.get(object_id)
            if k is not None and t_kill < self.killed_at_s[k]:
                self.killed_at_s[k] = t_kill
        self._kills_read = len(log)

    def _threat_objects(self) -> ThreatObjects:
        end = {f.object_id: f.end_time_s for f in self.flights}
        self._index = {o: k for k, o in enumerate(self.truth.object_ids)}
        self._kills_read = 0  # (new objects: every kill read again)
        return ThreatObjects(
            times_s=self.truth.times_s,
            object_ids=self.truth.object_ids,
            kinds=self.truth.kinds,
            positions_ecef_m=self.truth.states[..., :3],
            end_time_s=np.array([end.get(o, np.inf) for o in self.truth.object_ids]),
        )

    # -- commands ----------------------------------------------------------------------

    def _apply_commands(self, t: float) -> None:
        while self._pending and self._pending[0].time_s <= t + _EPS_S:
            command = self._pending.pop(0)
            reason = self._apply(command, t)
            if reason is None:
                self.applied.append(command)
            else:
                self.applied.append(command)
                self._event(t, command.seat, "command_rejected", command.kind, reason)

    def _apply(self, c: Command, t: float) -> str | None:
        """Carry out one command at tick ``t``; the reason it cannot be, or None."""
        if c.seat != "white" and c.seat not in self.partners:
            return f"unknown seat {c.seat!r}"
        body = c.body
        if c.kind == "inject":
            if c.seat != "white":
                return "only the white cell injects"
            if "threat" in body:
                return self._launch(body["threat"], c, t)
            # the command's time is the inject's: a time_s in the body never overrides it
            inject = Inject.model_validate({**body["inject"], "time_s": max(c.time_s, 0.0)})
            return self._inject(inject, c, t)
        if c.kind == "consent":
            reason = self.consent.answer(body["question_id"], body["granted"], c.time_s, c.seat)
            return reason
        if c.kind in ("hold_fire", "weapons_free"):
            ids = self._batteries_of(c)
            if isinstance(ids, str):
                return ids
            if c.kind == "hold_fire":
                self.decision.held |= set(ids)
            else:
                self.decision.held -= set(ids)
            self._event(c.time_s, c.seat, c.kind, body.get("battery") or body.get("partner"), "")
            return None
        if c.kind == "engage":
            battery = self.batteries.get(body["battery"])
            if battery is None:
                return f"unknown battery {body['battery']!r}"
            if c.seat not in ("white", battery.partner):
                return f"battery {battery.id} belongs to {battery.partner}"
            self.decision.requests.append(
                EngageRequest(c.time_s, c.seat, battery.id, body["track"])
            )
            self._event(c.time_s, c.seat, "engage", battery.id, f"track={body['track']}")
            return None
        if c.kind == "message":
            return self._message(c)
        if c.kind == "classify":
            return self._classify(c)
        self._event(c.time_s, c.seat, "note", None, body["text"])
        return None

    def _classify(self, c: Command) -> str | None:
        """The staff's classification of a threat on its board (``track`` names the
        threat; an older log's picture track id is logged as it was)."""
        target, label = c.body["track"], c.body["as"]
        stage = self.stages.get(c.seat)
        if stage is not None and stage.warning.board.threat(target) is not None:
            reason = stage.warning.board.classify(c.time_s, target, label)
            if reason is not None:
                return reason
        self._event(c.time_s, c.seat, "classify", target, label)
        return None

    def _message(self, c: Command) -> str | None:
        """A staff message to another partner: it crosses the links as ``messages``."""
        to = c.body["to"]
        if c.seat == "white":
            return "the white cell does not send partner messages (use a note)"
        if to not in self.partners or to == c.seat:
            return f"no partner {to!r} to send to"
        text = c.body["text"][:2_000]
        self._outbox.append((Messages.build([c.time_s], c.seat, "messages"), (to, text, c.time_s)))
        self._event(c.time_s, c.seat, "message_sent", to, text)
        return None

    def _batteries_of(self, c: Command) -> list[str] | str:
        if "battery" in c.body:
            b = self.batteries.get(c.body["battery"])
            if b is None:
                return f"unknown battery {c.body['battery']!r}"
            if c.seat not in ("white", b.partner):
                return f"battery {b.id} belongs to {b.partner}"
            return [b.id]
        partner = c.body["partner"]
        if partner not in self.partners:
            return f"unknown partner {partner!r}"
        if c.seat not in ("white", partner):
            return f"{c.seat} cannot order {partner}'s batteries"
        return [b.id for b in self.batteries.values() if b.partner == partner]

    def _inject(self, inject: Inject, c: Command, t: float) -> str | None:
        kind, target = str(inject.kind), inject.target
        source = "inject" if c.scripted else c.seat
        sensors = {s.id for s in self.scenario.sensors}
        if kind in ("sensor_failure", "sensor_repair"):
            if target not in sensors:
                return f"unknown sensor {target!r}"
            self.sensors.set_down(target, kind == "sensor_failure")
        elif kind in ("link_cut", "link_restore"):
            if target not in self.boundary.links:
                return f"unknown link {target!r}"
            # the boundary's state changes give the network's rows of the events table
            self.boundary.set_link_down(target, kind == "link_cut", inject.time_s)
        elif kind in ("command_post_silent", "command_post_restore"):
            if target not in self.partners:
                return f"unknown partner {target!r}"
            self.boundary.set_silent(target, kind == "command_post_silent", inject.time_s)
        elif kind == "battery_empty":
            if target not in self.batteries:
                return f"unknown battery {target!r}"
            self.decision.model.set_inventory(target, 0)
        self._event(inject.time_s, source, kind, target, inject.text)
        return None

    def _launch(self, body: dict[str, Any], c: Command, t: float) -> str | None:
        """A threat launched by the white cell (an accidental launch, a salvo)."""
        # it launches at the tick the command applies at, whatever launch time the body names
        threat = _THREAT.validate_python({**body, "launch_time_s": max(c.time_s, t)})
        extra = self.scenario.model_copy(update={"threats": [threat], "injects": []})
        truth, flights = build_truth(extra, self.times_s, seed=self.seed)
        if set(truth.object_ids) & set(self.truth.object_ids):
            return f"threat id {threat.id!r} is already in the run"
        self.truth = merge_truth(self.truth, truth)
        self.flights = [*self.flights, *flights]
        self.killed_at_s = np.concatenate([self.killed_at_s, np.full(len(flights), np.inf)])
        self._objects = self._threat_objects()
        self._event(c.time_s, c.seat, "launch", threat.id, "")
        return None

    def _event(self, time_s: float, source: str, kind: str, target: str | None, text: str) -> None:
        self.events.append(EventRow(float(time_s), source, kind, target, text))

    # -- views for consoles --------------------------------------------------------------

    def partner_view(self, partner: str) -> PartnerView:
        """One partner's picture, alerts, consent questions and batteries, now."""
        stage = self.stages[partner]
        model = self.decision.model
        batteries = {
            b.id: {
                "inventory": model.states[b.id].inventory,
                "held": b.id in self.decision.held,
            }
            for b in self.scenario.batteries
            if b.partner == partner
        }
        return PartnerView(
            self.time_s,
            partner,
            stage.picture,
            tuple(self._alerts_held[partner]),
            tuple(self.consent.open_questions(partner)),
            batteries,
            tuple(e for e in model.in_flight() if e.partner == partner),
            frozenset(b for b in self.decision.held if b in batteries),
            tuple(self.inbox[partner]),
            {
                b: {
                    "partner": r.partner,
                    "inventory": r.inventory,
                    "ready": r.ready,
                    "as_of_s": r.time_s,
                }
                for b, r in sorted(self.decision.batteries_told[partner].items())
            },
            tuple(stage.board_rows(self.time_s)),
        )

    def truth_view(self) -> TruthView:
        """Every object's true state at the current tick (kills applied)."""
        i = max(self.tick, 0)
        states = self.truth.states[i].copy()
        states[self.killed_at_s <= self.time_s] = np.nan
        return TruthView(self.time_s, self.truth.object_ids, self.truth.kinds, states)

    # -- the end -----------------------------------------------------------------------

    def finish(self) -> DecisionLog:
        """The decision log at the current tick (engagements still flying stay ``in_flight``)."""
        return self.decision.finish(self.time_s)

    def threat_flights(self) -> Sequence[ThreatFlight]:
        """Every threat's planned flight (scenario threats, then launched by inject)."""
        return self.flights


def commanded_batteries(scenario: Scenario, boundary: LinkBoundary) -> frozenset[str]:
    """Other partners' batteries the coalition cell commands over the links (integrated
    mode): their partner releases ``battery_status`` to the cell, the cell releases
    ``engagement_orders`` to it, and a link joins them."""
    if scenario.coordination_mode != "integrated":
        return frozenset()
    cell, policy = coalition_cell(scenario), boundary.policy
    return frozenset(
        b.id
        for b in scenario.batteries
        if b.partner != cell
        and policy.releases(b.partner, cell, "battery_status")
        and policy.releases(cell, b.partner, "engagement_orders")
        and boundary.link_between(cell, b.partner) is not None
    )


def coalition_cuts(scenario: Scenario, boundary: LinkBoundary, time_s: float) -> dict[str, Cut]:
    """Partners whose orders and battery status cannot flow to and from the coalition
    cell at ``time_s`` (the fallback doctrine, :mod:`skyweave.c2.fallback`): the link
    to the cell's host is down, or the cell's command post is silent; with since when."""
    cell = coalition_cell(scenario)
    at = np.array([time_s])
    silent = [w for w in boundary.silent(cell) if w[0] <= time_s < w[1]]
    out = {}
    for p in scenario.partners:
        link = boundary.link_between(cell, p.id) if p.id != cell else None
        if link is None:
            continue
        why = []
        if not boundary.link_up(link.id, at)[0]:
            start = max(w[0] for w in boundary.link_down(link.id) if w[0] <= time_s)
            why.append((float(start), f"link {link.id} to the coalition cell's host down"))
        if silent:
            why.append((float(silent[0][0]), "the coalition cell's command post silent"))
        if why:
            out[p.id] = Cut(min(w[0] for w in why), "; ".join(w[1] for w in why))
    return out


def _is_ir(report: ScanReport) -> bool:
    return report.sensor_type == "infrared"
