"""The engagement model: battery state, doctrine, probabilistic kill and kill assessment.

Command-level and abstract: an engagement is a number of interceptors (``shots``)
launched together by one battery at one track, flying straight at the
battery's average flyout speed to a predicted intercept point (computed by
:mod:`skyweave.c2.feasibility`); no guidance, no seeker.

* **Resources.** A battery has ``launchers`` (each shot needs a free launcher,
  which is then busy for ``launcher_cycle_s``), ``fire_channels`` (an
  engagement holds one channel from launch to intercept, whatever its number of
  shots) and ``interceptors`` in inventory, of which ``reserve_interceptors`` are
  kept for the defence of the partner's own assets (an order may dip into the
  reserve only with ``use_reserve=True``).
* **Doctrine.** ``shoot-look-shoot``: one shot per engagement; ``salvo``:
  ``salvo_size`` shots at once (fewer when the usable inventory is smaller). With
  either, a battery does not engage a track again until its previous engagement
  of that track has been assessed; after a miss it may re-engage while a later
  feasible launch remains (:func:`plan_reengagements`).
* **Kill.** At the intercept time one uniform draw ``u`` decides the engagement:
  kill when ``u < 1 - (1 - pk)^shots`` (independent shots, the battery's
  single-shot ``pk`` for the threat class). The draw is keyed by the battery, the
  threat and the engagement's number among that battery's engagements of that
  threat (``component_rng(seed, f"battery/{id}/kill/{object}/{n}")``), not taken
  from a sequential per-battery stream: the same battery's first shot at the same
  threat gets the same ``u`` in every coordination mode and sweep point of a seed
  (common random numbers on a meaningful event), whatever the battery did before
  and whatever the tick it fired on, while two different engagements never share
  a draw. An engagement whose object was already killed, or had ended its flight
  (impact), before the intercept time is **aborted**: it uses its number but
  draws nothing.
* **Kill assessment.** Delivered at the intercept (or abort) time plus the
  battery's ``kill_assessment_delay_s``; the run loop routes it through the
  links like any other data.

Engagements resolve in the order of (intercept time, engagement id), so a run is
deterministic whatever the order of calls within one time step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.rng import component_rng
from skyweave.scenario.schema import Battery

if TYPE_CHECKING:
    from skyweave.c2.feasibility import EngagementWindows

Outcome = Literal["kill", "miss", "aborted", "in_flight"]
ThreatClass = Literal["ballistic", "cruise", "aircraft"]
THREAT_CLASSES: tuple[str, ...] = ("ballistic", "cruise", "aircraft")

#: notional time a launcher needs between two launches (reload, re-lay)
LAUNCHER_CYCLE_S = 5.0

Vec3 = tuple[float, float, float]


def kill_draw(seed: int, battery_id: str, object_id: str, number: int) -> float:
    """The uniform draw deciding battery ``battery_id``'s ``number``-th engagement
    (from 0) of ``object_id`` in the run seeded ``seed``."""
    return float(component_rng(seed, f"battery/{battery_id}/kill/{object_id}/{number}").random())


def salvo_kill_probability(pk: float, shots: int) -> float:
    """``1 - (1 - pk)^shots``: at least one of ``shots`` independent shots kills."""
    if not 0.0 <= pk <= 1.0:
        raise ValueError(f"pk: expected within [0, 1], got {pk}")
    if shots < 0:
        raise ValueError(f"shots: expected >= 0, got {shots}")
    return 1.0 - (1.0 - pk) ** shots


def battery_ecef_m(battery: Battery) -> Vec3:
    """ECEF position of a scenario battery."""
    x, y, z = pymap3d.geodetic2ecef(battery.lat_deg, battery.lon_deg, battery.alt_m)
    return (float(x), float(y), float(z))


@dataclass(frozen=True)
class Launch:
    """Interceptors ordered into the air (the outcome comes later)."""

    engagement_id: int
    time_s: float
    partner: str
    battery_id: str
    track_id: str
    object_id: str
    threat_class: str
    shots: int
    intercept_time_s: float
    intercept_ecef_m: Vec3
    launch_ecef_m: Vec3
    kill_probability: float
    decision_cycle: int


@dataclass(frozen=True)
class Engagement:
    """A resolved engagement: one row of ``engagements.parquet``.

    ``time_s`` is the launch time; ``end_time_s`` when the interceptors stopped
    flying (the intercept, or the abort); ``assessment_time_s`` when the kill
    assessment reaches the battery's command post. ``object_id`` is the truth
    object the track followed (for scoring; the battery never sees it).
    """

    engagement_id: int
    time_s: float
    partner: str
    battery_id: str
    track_id: str
    object_id: str
    threat_class: str
    shots: int
    intercept_time_s: float
    intercept_ecef_m: Vec3
    launch_ecef_m: Vec3
    kill_probability: float
    outcome: Outcome
    decision_cycle: int
    end_time_s: float
    assessment_time_s: float


#: a launch's field names, in order (an engagement is its launch plus how it ended)
_LAUNCH_FIELDS = tuple(f.name for f in fields(Launch))


@dataclass(frozen=True)
class KillAssessment:
    """What the battery's command post learns about one engagement, at ``time_s``."""

    time_s: float
    engagement_id: int
    partner: str
    battery_id: str
    track_id: str
    outcome: Outcome


@dataclass(frozen=True)
class Refusal:
    """An order the battery could not carry out, and why."""

    time_s: float
    battery_id: str
    track_id: str
    reason: str
    decision_cycle: int


@dataclass
class BatteryState:
    """Mutable state of one battery: inventory, launchers and fire channels.

    Attributes
    ----------
    battery : Battery
        The scenario definition (envelope, doctrine, pk, delays).
    inventory : int
        Interceptors left (never negative).
    launcher_busy_until_s : (launchers,) float64
        Each launcher is free from this time on.
    channel_busy_until_s : (fire_channels,) float64
        Each fire channel is free from this time on.
    """

    battery: Battery
    inventory: int = -1
    launcher_busy_until_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    channel_busy_until_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.inventory < 0:
            self.inventory = self.battery.interceptors
        if self.launcher_busy_until_s.size == 0:
            self.launcher_busy_until_s = np.full(self.battery.launchers, -np.inf)
        if self.channel_busy_until_s.size == 0:
            self.channel_busy_until_s = np.full(self.battery.fire_channels, -np.inf)

    @property
    def reserve(self) -> int:
        """Interceptors kept for the defence of the partner's own assets."""
        return self.battery.reserve_interceptors

    def usable(self, use_reserve: bool = False) -> int:
        """Interceptors an order may use (the reserve only with ``use_reserve``)."""
        return self.inventory if use_reserve else max(self.inventory - self.reserve, 0)

    def free_launchers(self, time_s: float) -> int:
        """Launchers free at ``time_s``."""
        return int(np.count_nonzero(self.launcher_busy_until_s <= time_s))

    def free_channels(self, time_s: float) -> int:
        """Fire channels free at ``time_s``."""
        return int(np.count_nonzero(self.channel_busy_until_s <= time_s))

    def pk(self, threat_class: str) -> float:
        """Single-shot kill probability against a threat class."""
        if threat_class not in THREAT_CLASSES:
            raise ValueError(
                f"threat_class: expected one of {THREAT_CLASSES}, got {threat_class!r}"
            )
        return float(getattr(self.battery.pk, threat_class))

    def doctrine_shots(self) -> int:
        """Shots per engagement under the battery's doctrine."""
        return 1 if self.battery.doctrine == "shoot-look-shoot" else self.battery.salvo_size


@dataclass
class _InFlight:
    launch: Launch
    channel: int
    assessment_delay_s: float


class EngagementModel:
    """All batteries' engagements in one run (see the module docstring).

    Parameters
    ----------
    batteries : sequence of Battery
        Scenario batteries (ids unique).
    seed : int
        The run seed; battery ``b``'s ``n``-th engagement of object ``o`` draws from
        ``component_rng(seed, f"battery/{b}/kill/{o}/{n}")`` (``n`` from 0).
    launcher_cycle_s : float
        Time a launcher is busy after each launch.
    """

    def __init__(
        self, batteries: Sequence[Battery], seed: int, *, launcher_cycle_s: float = LAUNCHER_CYCLE_S
    ) -> None:
        ids = [b.id for b in batteries]
        if len(set(ids)) != len(ids):
            raise ValueError("batteries: ids must be unique")
        if not launcher_cycle_s >= 0.0:
            raise ValueError(f"launcher_cycle_s: expected >= 0, got {launcher_cycle_s}")
        self.states: dict[str, BatteryState] = {b.id: BatteryState(b) for b in batteries}
        self.seed = int(seed)
        # engagements resolved so far per (battery, object): the kill draw's key
        self._resolved_count: dict[tuple[str, str], int] = {}
        self._ecef = {b.id: battery_ecef_m(b) for b in batteries}
        self.launcher_cycle_s = float(launcher_cycle_s)
        self._in_flight: list[_InFlight] = []
        self.launches: list[Launch] = []
        self.engagements: list[Engagement] = []
        # the same per partner (a partner's status report reads its own only)
        self._engagements_of: dict[str, list[Engagement]] = {}
        self.refusals: list[Refusal] = []
        self._assessments: list[KillAssessment] = []
        self._delivered = 0
        # truth: object id -> time it was killed (for scoring and aborts)
        self.killed: dict[str, float] = {}
        #: every write to ``killed``, in order (a reader keeps its place in it)
        self.kill_log: list[tuple[str, float]] = []
        # indices that keep the doctrine checks O(1) per order
        self._flying_pairs: dict[tuple[str, str], int] = {}
        self._last_assessment: dict[tuple[str, str], float] = {}
        self._kill_known: dict[tuple[str, str], float] = {}  # (partner, track) -> first time
        # the same by battery and by partner (a cycle asks them of every pair)
        self._tracks_of: dict[str, set[str]] = {}  # battery -> tracks it ever engaged
        self._kills_of: dict[str, dict[str, float]] = {}  # partner -> track -> first time
        self._next_id = 0

    # -- orders -------------------------------------------------------------------------

    def order(
        self,
        time_s: float,
        battery_id: str,
        track_id: str,
        object_id: str,
        threat_class: str,
        intercept_time_s: float,
        intercept_ecef_m: Sequence[float],
        decision_cycle: int,
        *,
        shots: int | None = None,
        use_reserve: bool = False,
    ) -> Launch | Refusal:
        """Launch at ``time_s`` on a track, if the battery can; else a :class:`Refusal`.

        Parameters
        ----------
        time_s : float
            Launch time (a feasible launch time from the engagement windows).
        battery_id, track_id : str
        object_id : str
            Truth object the track follows (scoring only; pass it in).
        threat_class : {"ballistic", "cruise", "aircraft"}
        intercept_time_s : float
            Predicted intercept time (after ``time_s``).
        intercept_ecef_m : (3,)
            Predicted intercept point.
        decision_cycle : int
            The decision cycle that ordered it (recorded).
        shots : int or None
            Shots to fire; default the doctrine's (1, or ``salvo_size``). Capped
            at the usable inventory.
        use_reserve : bool
            The track threatens the battery's own partner's assets: the reserve
            may be used.
        """
        state = self.states.get(battery_id)
        if state is None:
            raise KeyError(f"unknown battery {battery_id!r}")
        pk = state.pk(threat_class)
        if not intercept_time_s > time_s:
            raise ValueError("intercept_time_s must be after the launch time")
        want = state.doctrine_shots() if shots is None else int(shots)
        if want < 1:
            raise ValueError(f"shots: expected >= 1, got {want}")
        p = tuple(float(c) for c in intercept_ecef_m)
        if len(p) != 3 or not all(math.isfinite(c) for c in p):
            raise ValueError("intercept_ecef_m: expected 3 finite coordinates")

        def refuse(reason: str) -> Refusal:
            r = Refusal(float(time_s), battery_id, track_id, reason, int(decision_cycle))
            self.refusals.append(r)
            return r

        if self.awaiting_assessment(battery_id, track_id, time_s):
            return refuse("awaiting kill assessment")
        if self.assessed_killed(battery_id, track_id, time_s):
            return refuse("track assessed killed")
        usable = state.usable(use_reserve)
        if usable <= 0:
            return refuse("no interceptors" if state.inventory == 0 else "reserve kept")
        n = min(want, usable)
        if state.free_channels(time_s) < 1:
            return refuse("fire channels busy")
        if state.free_launchers(time_s) < n:
            return refuse("launchers busy")

        # Commit: the earliest-free launchers and channel (stable order: deterministic).
        lau = np.flatnonzero(state.launcher_busy_until_s <= time_s)[:n]
        state.launcher_busy_until_s[lau] = time_s + self.launcher_cycle_s
        ch = int(np.flatnonzero(state.channel_busy_until_s <= time_s)[0])
        state.channel_busy_until_s[ch] = intercept_time_s
        state.inventory -= n
        launch = Launch(
            engagement_id=self._next_id,
            time_s=float(time_s),
            partner=state.battery.partner,
            battery_id=battery_id,
            track_id=track_id,
            object_id=object_id,
            threat_class=threat_class,
            shots=n,
            intercept_time_s=float(intercept_time_s),
            intercept_ecef_m=(p[0], p[1], p[2]),
            launch_ecef_m=self._ecef[battery_id],
            kill_probability=salvo_kill_probability(pk, n),
            decision_cycle=int(decision_cycle),
        )
        self._next_id += 1
        self.launches.append(launch)
        pair = (battery_id, track_id)
        self._flying_pairs[pair] = self._flying_pairs.get(pair, 0) + 1
        self._tracks_of.setdefault(battery_id, set()).add(track_id)
        self._in_flight.append(_InFlight(launch, ch, state.battery.kill_assessment_delay_s))
        return launch

    def set_inventory(self, battery_id: str, interceptors: int) -> None:
        """Set a battery's inventory (e.g. the ``battery_empty`` inject sets 0)."""
        if interceptors < 0:
            raise ValueError("interceptors: expected >= 0")
        self.states[battery_id].inventory = int(interceptors)

    def abort(self, engagement_id: int, time_s: float) -> Engagement | None:
        """Abort an engagement still in flight at ``time_s`` (None if it is not)."""
        for k, f in enumerate(self._in_flight):
            if f.launch.engagement_id == engagement_id and f.launch.intercept_time_s > time_s:
                del self._in_flight[k]
                state = self.states[f.launch.battery_id]
                state.channel_busy_until_s[f.channel] = max(float(time_s), f.launch.time_s)
                return self._resolve(f, "aborted", max(float(time_s), f.launch.time_s))
        return None

    # -- time ---------------------------------------------------------------------------

    def step(
        self, time_s: float, object_end_time_s: Mapping[str, float] | None = None
    ) -> list[Engagement]:
        """Resolve every engagement whose intercept time is at or before ``time_s``.

        Parameters
        ----------
        time_s : float
        object_end_time_s : mapping or None
            Truth: time each object's flight ended (impact or arrival). An
            intercept at or after it is aborted.

        Returns
        -------
        list of Engagement
            Newly resolved, in (intercept time, engagement id) order.
        """
        due = sorted(
            (f for f in self._in_flight if f.launch.intercept_time_s <= time_s),
            key=lambda f: (f.launch.intercept_time_s, f.launch.engagement_id),
        )
        if not due:
            return []
        done = {f.launch.engagement_id for f in due}
        self._in_flight = [f for f in self._in_flight if f.launch.engagement_id not in done]
        ends = object_end_time_s or {}
        out = []
        for f in due:
            la = f.launch
            t_i = la.intercept_time_s
            pair = (la.battery_id, la.object_id)
            number = self._resolved_count.get(pair, 0)
            self._resolved_count[pair] = number + 1
            killed_at = self.killed.get(la.object_id, math.inf)
            if killed_at <= t_i or ends.get(la.object_id, math.inf) <= t_i:
                out.append(self._resolve(f, "aborted", t_i))
                continue
            u = kill_draw(self.seed, la.battery_id, la.object_id, number)
            outcome: Outcome = "kill" if u < la.kill_probability else "miss"
            if outcome == "kill":
                self.killed[la.object_id] = t_i
                self.kill_log.append((la.object_id, t_i))
            out.append(self._resolve(f, outcome, t_i))
        return out

    def in_flight(self, partner: str | None = None) -> list[Engagement]:
        """Engagements still flying (``partner``'s only, if given), as rows with
        outcome ``in_flight`` and no end yet."""
        return [
            Engagement(
                **{k: getattr(f.launch, k) for k in _LAUNCH_FIELDS},
                outcome="in_flight",
                end_time_s=math.nan,
                assessment_time_s=math.nan,
            )
            for f in sorted(self._in_flight, key=lambda f: f.launch.engagement_id)
            if partner is None or f.launch.partner == partner
        ]

    def engagements_of(self, partner: str) -> Sequence[Engagement]:
        """The partner's resolved engagements, in the order of :attr:`engagements`."""
        return self._engagements_of.get(partner, ())

    def close(self, time_s: float) -> list[Engagement]:
        """End of run: every engagement still in flight is aborted at ``time_s``."""
        ids = sorted(f.launch.engagement_id for f in self._in_flight)
        return [e for i in ids if (e := self.abort(i, time_s)) is not None]

    def _resolve(self, f: _InFlight, outcome: Outcome, end_time_s: float) -> Engagement:
        # An engagement is its launch plus how it ended.
        e = Engagement(
            **{k: getattr(f.launch, k) for k in _LAUNCH_FIELDS},
            outcome=outcome,
            end_time_s=float(end_time_s),
            assessment_time_s=float(end_time_s) + f.assessment_delay_s,
        )
        self.engagements.append(e)
        self._engagements_of.setdefault(e.partner, []).append(e)
        pair = (e.battery_id, e.track_id)
        self._flying_pairs[pair] -= 1
        self._last_assessment[pair] = max(
            self._last_assessment.get(pair, -math.inf), e.assessment_time_s
        )
        if outcome == "kill":
            key = (e.partner, e.track_id)
            self._kill_known[key] = min(self._kill_known.get(key, math.inf), e.assessment_time_s)
            self._kills_of.setdefault(e.partner, {})[e.track_id] = self._kill_known[key]
        self._assessments.append(
            KillAssessment(
                e.assessment_time_s, e.engagement_id, e.partner, e.battery_id, e.track_id, outcome
            )
        )
        return e

    # -- knowledge ----------------------------------------------------------------------

    def assessments_due(self, time_s: float) -> list[KillAssessment]:
        """Kill assessments reaching their command posts by ``time_s``, not returned before.

        In (delivery time, engagement id) order.
        """
        pending = [a for a in self._assessments if a.time_s <= time_s]
        self._assessments = [a for a in self._assessments if a.time_s > time_s]
        return sorted(pending, key=lambda a: (a.time_s, a.engagement_id))

    def awaiting_assessment(self, battery_id: str, track_id: str, time_s: float) -> bool:
        """The battery has an engagement of this track in flight or not yet assessed."""
        pair = (battery_id, track_id)
        if self._flying_pairs.get(pair, 0) > 0:
            return True
        return self._last_assessment.get(pair, -math.inf) > time_s

    def assessed_killed(self, battery_id: str, track_id: str, time_s: float) -> bool:
        """A battery of the same partner has had a kill of this track assessed by ``time_s``."""
        partner = self.states[battery_id].battery.partner
        return self._kill_known.get((partner, track_id), math.inf) <= time_s

    def blocked_tracks(
        self, battery_id: str, track_ids: Sequence[str], time_s: float
    ) -> tuple[list[bool], list[bool]]:
        """:meth:`awaiting_assessment` and :meth:`assessed_killed` of one battery and
        many tracks at once (a decision cycle asks them of every pair).

        Returns
        -------
        tuple of list of bool
            Per track: awaiting an assessment, and a kill assessed by ``time_s``.
        """
        flying, last = self._flying_pairs, self._last_assessment
        # the battery's few engaged tracks tested once each, not every track asked
        waiting = {
            tid
            for tid in self._tracks_of.get(battery_id, ())
            if flying.get((battery_id, tid), 0) > 0
            or last.get((battery_id, tid), -math.inf) > time_s
        }
        awaiting = [tid in waiting for tid in track_ids]
        kills = self._kills_of.get(self.states[battery_id].battery.partner)
        if not kills:
            return awaiting, [False] * len(track_ids)
        killed = [kills.get(tid, math.inf) <= time_s for tid in track_ids]
        return awaiting, killed

    def open_engagements(
        self, battery_ids: Sequence[str], time_s: float
    ) -> dict[str, list[tuple[float, float]]]:
        """Engagements of these batteries whose outcome their command posts do not know yet.

        Track id -> ``(kill probability, expected assessment time)`` of each
        engagement in flight, or resolved with its assessment still on the way.
        """
        mine = set(battery_ids)
        out: dict[str, list[tuple[float, float]]] = {}
        for f in self._in_flight:
            la = f.launch
            if la.battery_id in mine:
                out.setdefault(la.track_id, []).append(
                    (la.kill_probability, la.intercept_time_s + f.assessment_delay_s)
                )
        for e in self.engagements:
            if e.battery_id in mine and e.assessment_time_s > time_s:
                out.setdefault(e.track_id, []).append((e.kill_probability, e.assessment_time_s))
        return out

    def reengagement_candidates(self, time_s: float) -> list[Engagement]:
        """Misses assessed by ``time_s`` that their battery may follow up.

        The battery's latest engagement of the track was a miss, its assessment
        has arrived, no kill of the track is known to the partner, and the
        battery has usable interceptors (reserve excluded). Whether a feasible
        launch remains is the windows' question (:func:`plan_reengagements`).
        """
        latest: dict[tuple[str, str], Engagement] = {}
        for e in self.engagements:
            latest[(e.battery_id, e.track_id)] = e  # engagements are appended in id order
        busy = {(f.launch.battery_id, f.launch.track_id) for f in self._in_flight}
        out = []
        for key, e in sorted(latest.items(), key=lambda kv: kv[1].engagement_id):
            if e.outcome != "miss" or e.assessment_time_s > time_s or key in busy:
                continue
            if self.assessed_killed(e.battery_id, e.track_id, time_s):
                continue
            if self.states[e.battery_id].usable() <= 0:
                continue
            out.append(e)
        return out


def plan_reengagements(
    model: EngagementModel,
    windows: EngagementWindows,
    time_s: float,
    decision_cycle: int,
) -> list[Launch | Refusal]:
    """Re-engage assessed misses where a feasible launch remains (either doctrine).

    For each candidate of :meth:`EngagementModel.reengagement_candidates`, the
    first feasible launch of that battery at that track at or after ``time_s``
    in ``windows`` is ordered (with the same object id and threat class). A
    candidate whose battery or track is not in the windows, or with no feasible
    launch left, is not re-engaged.
    """
    out: list[Launch | Refusal] = []
    for e in model.reengagement_candidates(time_s):
        if e.battery_id not in windows.battery_ids or e.track_id not in windows.track_ids:
            continue
        opp = windows.opportunity(e.battery_id, e.track_id, time_s)
        if opp is None:
            continue
        out.append(
            model.order(
                opp.launch_time_s,
                e.battery_id,
                e.track_id,
                e.object_id,
                e.threat_class,
                opp.intercept_time_s,
                opp.intercept_ecef_m,
                decision_cycle,
            )
        )
    return out


ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "time_s",
    "partner",
    "battery_id",
    "track_id",
    "object_id",
    "shots",
    "intercept_time_s",
    "outcome",
    "decision_cycle",
    "engagement_id",
    "threat_class",
    "kill_probability",
    "end_time_s",
    "assessment_time_s",
)


def engagement_columns(engagements: Sequence[Engagement]) -> dict[str, NDArray[np.generic]]:
    """Column arrays for ``engagements.parquet``, in engagement id order."""
    rows = sorted(engagements, key=lambda e: e.engagement_id)
    ints = {"shots", "decision_cycle", "engagement_id"}
    floats = {"time_s", "intercept_time_s", "kill_probability", "end_time_s", "assessment_time_s"}
    out: dict[str, NDArray[np.generic]] = {}
    for name in ENGAGEMENT_COLUMNS:
        vals = [getattr(e, name) for e in rows]
        if name in ints:
            out[name] = np.asarray(vals, dtype=np.int64)
        elif name in floats:
            out[name] = np.asarray(vals, dtype=np.float64)
        else:
            out[name] = np.asarray(vals, dtype=object)
    return out


__all__ = [
    "ENGAGEMENT_COLUMNS",
    "LAUNCHER_CYCLE_S",
    "THREAT_CLASSES",
    "BatteryState",
    "Engagement",
    "EngagementModel",
    "KillAssessment",
    "Launch",
    "Outcome",
    "Refusal",
    "ThreatClass",
    "battery_ecef_m",
    "engagement_columns",
    "plan_reengagements",
    "salvo_kill_probability",
]
