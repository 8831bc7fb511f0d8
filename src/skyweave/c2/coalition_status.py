"""What command posts tell each other over the links: engagement status, battery status, orders.

Three data classes cross between command posts, each under the releasability
policy like any other (originator control included):

``engagement_status``
    One :class:`EngagementReport` per engagement of the sending partner's
    batteries that is in flight, or assessed within the last
    :data:`STATUS_REPEAT_S` (repeated every decision cycle, so a lost report is
    made good by the next). It carries the planned intercept point (a position:
    the release degrades it) and, once assessed, the outcome. Its lineage is the
    engaged track's.

    A receiver keeps them in :class:`RemoteEngagements`. In its own decisions a
    picture track that passes within a gate of a reported intercept point at the
    intercept time counts as engaged by that partner (its value drops by the
    salvo's kill probability: the receiver holds fire unless a second shot is
    worth it) or, once a kill is reported, as killed (no fire, and the
    partner's alert on it is cleared).

``battery_status``
    One :class:`BatteryReport` per battery, every decision cycle: interceptors
    left and whether it could fire now. In integrated mode the coalition cell
    knows another partner's battery only from these, as of when they were sent.

``engagement_orders``
    One :class:`EngagementOrder` per order the coalition cell gives another
    partner's battery. The battery carries it out at the first decision time at
    or after it arrives (the cell plans the launch for the next decision time),
    against the cell's track, if the intercept is still feasible then; an order
    lost on the way is not carried out, and the cell may re-task the battery after
    :data:`ORDER_TIMEOUT_S` without news.

A track is moved to the intercept time (ahead: by the caller's trajectory
prediction; back, at most :data:`STATUS_REPEAT_S`: with constant acceleration,
gravity towards the Earth's centre for a ballistic track) and matches when it
passes within :data:`MATCH_GATE_M` plus three sigmas of its own position and of
the report's added degradation, plus :data:`PREDICTION_ERROR_FRACTION` of the
distance it flies in between. Reports about intercepts more than
:data:`STATUS_REPEAT_S` in the past are no longer matched (the object is gone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import G0_MPS2
from skyweave.engagement import Engagement, EngagementModel

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: an assessed engagement is still reported for this long after its assessment
STATUS_REPEAT_S = 60.0
#: the coalition cell re-tasks a battery whose order has not been heard of after this long
ORDER_TIMEOUT_S = 60.0
#: base gate between a picture track and a reported intercept point
MATCH_GATE_M = 2_000.0
#: prediction error allowed per metre flown between now and the intercept
PREDICTION_ERROR_FRACTION = 0.02


@dataclass(frozen=True)
class EngagementReport:
    """One engagement as its partner's command post reports it (``engagement_status``)."""

    partner: str
    engagement_id: int
    battery_id: str
    track_id: str
    intercept_time_s: float
    intercept_ecef_m: tuple[float, float, float]
    kill_probability: float
    outcome: str  # "in_flight" until the assessment reached the post, then "kill"/"miss"
    originators: tuple[str, ...]
    assessment_time_s: float  # when the post learns (or expects to learn) the outcome


@dataclass(frozen=True)
class BatteryReport:
    """One battery's state as its partner reports it (``battery_status``)."""

    battery_id: str
    partner: str
    time_s: float
    inventory: int
    ready: bool


@dataclass(frozen=True)
class EngagementOrder:
    """The coalition cell's order to another partner's battery (``engagement_orders``)."""

    time_s: float
    cell: str
    partner: str
    battery_id: str
    track_id: str
    originators: tuple[str, ...]


def engagement_reports(
    model: EngagementModel,
    partner: str,
    time_s: float,
    lineage: dict[int, tuple[str, ...]],
) -> list[EngagementReport]:
    """What ``partner``'s command post reports of its engagements at ``time_s``.

    An engagement whose assessment has not reached the post yet is reported as in
    flight (the post does not know its outcome).
    """
    out = []
    rows: list[tuple[Engagement, str]] = [
        (
            replace(
                e,
                assessment_time_s=e.intercept_time_s
                + model.states[e.battery_id].battery.kill_assessment_delay_s,
            ),
            "in_flight",
        )
        for e in model.in_flight(partner)
    ]
    for e in model.engagements_of(partner):
        if e.assessment_time_s > time_s:
            rows.append((e, "in_flight"))
        elif time_s - e.assessment_time_s <= STATUS_REPEAT_S:
            rows.append((e, e.outcome))
    for e, outcome in sorted(rows, key=lambda r: r[0].engagement_id):
        out.append(
            EngagementReport(
                partner,
                e.engagement_id,
                e.battery_id,
                e.track_id,
                e.intercept_time_s,
                e.intercept_ecef_m,
                e.kill_probability,
                outcome,
                lineage.get(e.engagement_id, (partner,)),
                e.assessment_time_s,
            )
        )
    return out


def battery_reports(
    model: EngagementModel, batteries: Sequence[str], time_s: float
) -> list[BatteryReport]:
    """Each battery's interceptors left and readiness (a channel and its salvo's
    launchers free) at ``time_s``."""
    out = []
    for b in batteries:
        st = model.states[b]
        ready = st.free_channels(time_s) >= 1 and st.free_launchers(time_s) >= min(
            st.doctrine_shots(), max(st.inventory, 1)
        )
        out.append(BatteryReport(b, st.battery.partner, time_s, st.inventory, bool(ready)))
    return out


@dataclass
class _Known:
    report: EngagementReport
    point_m: FloatArray  # as delivered (degraded)
    added_var_m2: float
    arrival_s: float
    transit_s: float  # how long the report took to arrive


class RemoteEngagements:
    """Other partners' engagements as one command post learned them, by arrival."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], _Known] = {}
        #: counts arrived kill reports (a caller re-checks its picture only when it moves)
        self.kills_version = 0

    def arrived(
        self,
        report: EngagementReport,
        point_m: FloatArray,
        added_var_m2: float,
        arrival_s: float,
        sent_s: float,
    ) -> None:
        """A report sent at ``sent_s`` reached the post at ``arrival_s`` (the latest one
        per engagement wins)."""
        key = (report.partner, report.engagement_id)
        old = self._known.get(key)
        if old is None or old.arrival_s <= arrival_s:
            point = point_m if np.all(np.isfinite(point_m)) else np.array(report.intercept_ecef_m)
            self._known[key] = _Known(
                report, np.asarray(point, float), added_var_m2, arrival_s, arrival_s - sent_s
            )
            if report.outcome == "kill":
                self.kills_version += 1

    def __len__(self) -> int:
        return len(self._known)

    def marks(
        self,
        time_s: float,
        states: FloatArray,
        pos_sigma_m: FloatArray,
        ballistic: BoolArray,
        exclude_batteries: Collection[str] = (),
        predict: Callable[[float], FloatArray] | None = None,
        own_track_prefix: str | None = None,
        kills_only: bool = False,
    ) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Per track (rows of ``states``, ECEF position and velocity): reported killed by
        another partner, and the probability it survives the engagements reported in flight.

        Also returns, per track, when the last outcome of the engagements in flight on
        it is expected here (their assessment plus the reports' transit; -inf if none):
        a battery that can still fire after it waits (shoot-look-shoot across partners).

        ``predict(dt_s)`` gives the tracks' predicted positions ``dt_s`` ahead (K, 3),
        NaN where unknown; without it, or for times past, constant acceleration.
        ``kills_only``: match only kill reports (for a caller that reads ``dead`` only).
        """
        k = states.shape[0]
        dead = np.zeros(k, dtype=bool)
        survive = np.ones(k)
        look = np.full(k, -np.inf)
        if k == 0:
            return dead, survive, look
        # intercepts long past match nothing any more (time only moves forward)
        gone = [
            key
            for key, known in self._known.items()
            if time_s - known.report.intercept_time_s > STATUS_REPEAT_S
            and known.arrival_s <= time_s
        ]
        for key in gone:
            del self._known[key]
        if not self._known:
            return dead, survive, look
        told = [
            known
            for known in self._known.values()
            if not (
                known.arrival_s > time_s
                or known.report.outcome == "miss"
                or kills_only
                and known.report.outcome != "kill"
                # the post's own engagements: it knows them first-hand (with
                # ``own_track_prefix``, only those on its own tracks: a battery it took
                # back from its partner's post after a fallback engaged on that post's)
                or known.report.battery_id in exclude_batteries
                and (own_track_prefix is None or known.report.track_id.startswith(own_track_prefix))
                or time_s - known.report.intercept_time_s > STATUS_REPEAT_S
            )
        ]
        if not told:
            return dead, survive, look
        # the same for every report: the tracks' local down and speed
        r = states[:, :3]
        down = -r / np.linalg.norm(r, axis=1, keepdims=True)
        speed = np.linalg.norm(states[:, 3:], axis=1)
        near_all = self._near_all(
            told, time_s, states, pos_sigma_m, ballistic, predict, down, speed
        )
        for known, near in zip(told, near_all, strict=True):
            if known.report.outcome == "kill":
                dead |= near
            else:
                survive[near] *= 1.0 - known.report.kill_probability
                expected = known.report.assessment_time_s + known.transit_s
                look[near] = np.maximum(look[near], expected)
        return dead, survive, look

    @staticmethod
    def _near_all(
        told: Sequence[_Known],
        time_s: float,
        states: FloatArray,
        sigma_m: FloatArray,
        ballistic: BoolArray,
        predict: Callable[[float], FloatArray] | None,
        down: FloatArray,
        speed: FloatArray,
    ) -> BoolArray:
        """(R, K): track k lies near report r's intercept. Every report at once, each
        element with the arithmetic of one report at a time."""
        dt = np.array([known.report.intercept_time_s - time_s for known in told])[:, None, None]
        r = states[None, :, :3]
        drop = 0.5 * G0_MPS2 * dt * dt
        at_intercept = (
            r + states[None, :, 3:] * dt + np.where(ballistic[None, :, None], down * drop, 0.0)
        )
        if predict is not None:
            for i in np.flatnonzero(dt[:, 0, 0] > 0.0).tolist():
                ahead = predict(float(dt[i, 0, 0]))
                ok = np.all(np.isfinite(ahead), axis=1)
                at_intercept[i, ok] = ahead[ok]
        point = np.array([known.point_m for known in told], dtype=np.float64)
        miss = np.linalg.norm(at_intercept - point[:, None, :], axis=-1)
        flown = speed * np.abs(dt[:, :, 0])
        widen = np.array([3.0 * math.sqrt(3.0 * known.added_var_m2) for known in told])
        gate = (MATCH_GATE_M + 3.0 * sigma_m) + widen[:, None] + PREDICTION_ERROR_FRACTION * flown
        return np.asarray(miss <= gate)
