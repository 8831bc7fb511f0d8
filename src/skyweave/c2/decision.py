"""The decision cycle: from a command post's picture to engagement orders, cycle by cycle.

At every decision time (every ``decision_interval_s``, by default the output
interval) the engine calls :meth:`DecisionStage.cycle`, and each deciding
command post, in scenario order, looks at its fused picture at that time and:

1. **evaluates the threats**: tracks on a ballistic arc by their predicted
   impact against the defended assets it may defend
   (:func:`~skyweave.c2.threat_evaluation.evaluate_threats`); air-breathing
   tracks by the assets their straight-line ground track passes within
   :data:`AIRBREATHING_MARGIN_M` of, urgency from the time to that point;
2. **finds the feasible engagements** of its batteries with a launch now
   (:func:`~skyweave.c2.feasibility.engagement_windows` against each track's
   predicted trajectory: free flight for ballistic tracks, level flight for
   the others);
3. **assigns** batteries to threats (:mod:`skyweave.c2.assignment`) by one
   weapon-target assignment (:func:`~skyweave.c2.wta.solve_wta`, each ready
   battery one engagement, ``p_ij`` its doctrine's salvo kill probability) and
   keeps an engagement only while it raises the expected value saved by
   ``c2.min_value_saved`` (the price of an interceptor: without it a static
   WTA would fire every ready battery every cycle);
4. **asks for consent** where the battery's partner requires it
   (:class:`~skyweave.exercise.consent.ConsentDesk`: at once by policy, or an
   open question its staff answer before a deadline), and orders the launch
   when granted (:class:`~skyweave.engagement.EngagementModel`); a grant that
   comes later is carried out at the next cycle if the launch is still feasible.

Operators' orders arrive as commands: ``hold_fire``/``weapons_free`` take
batteries out of (and back into) the assignment, and ``engage`` asks for one
battery on one picture track at the next cycle, carried out only if feasible.

Who decides depends on the coordination mode. ``independent`` and
``shared-warning``: each partner's command post, with its own batteries, on its
own fused picture (which holds remote tracks only when the links carry them),
defending its own assets and those of the partners its ``engagement.defend``
names. ``integrated``: one coalition cell (at ``c2.coalition_cell``, by default
the first partner) assigns every partner's batteries over its fused picture;
a battery fires only at threats to assets its partner may defend, dips into its
reserve only for its own partner's assets, and fires on a track its partner does
not hold itself only with ``engagement.engage_on_remote``.

In integrated mode the cell commands another partner's battery only over the
links (:mod:`skyweave.c2.coalition_status`): it must hold that partner's
released ``battery_status`` (inventory and readiness, as of when sent) and
release ``engagement_orders`` to it; its orders then cross the link and are
carried out at the first decision time after they arrive
(:mod:`skyweave.c2.cell_orders`). A battery the cell cannot command that way is
commanded by its own partner's post, on its own picture, for the assets that
partner defends; so is one whose link to the cell is cut, after its fallback wait,
under the fallback doctrine (:mod:`skyweave.c2.fallback`).

Every cycle each post notes, per threat it holds, why it was or was not engaged
(the decision log, :mod:`skyweave.c2.decision_log`: ``decisions.parquet``).

Kill assessments reach the battery's own command post after the battery's
delay; other posts learn of engagements and kills from the partner's released
``engagement_status`` reports (:meth:`DecisionStage.report_arrived`): a track
near a reported intercept is taken as engaged (or killed) by that partner. A
silent command post decides nothing and, in integrated mode, its batteries
take no orders.

Which truth object a track follows (for the kill draw and the scoring only) is
the nearest threat object within :data:`ASSOCIATION_GATE_M` plus four times
the track's position sigma; a track that follows none (a false track) can
still draw fire, and its interceptors are aborted at the intercept time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.assignment import TOO_LATE, assign
from skyweave.c2.authority import (
    Authority,
    CycleOutcome,
    EngageRequest,
    authorities,
)
from skyweave.c2.cell_orders import CellOrders
from skyweave.c2.coalition_status import (
    BatteryReport,
    EngagementOrder,
    EngagementReport,
    RemoteEngagements,
)
from skyweave.c2.decision_log import (
    DecisionRow,
    Reason,
    ThreatsHeld,
    Verdict,
    Verdicts,
    cycle_rows,
    refusal_reason,
)
from skyweave.c2.fallback import Cut, FallbackDoctrine
from skyweave.c2.feasibility import (
    BatteryEnvelopes,
    EngagementWindows,
    engagement_windows,
    tabulated_trajectory,
)
from skyweave.c2.pairs import PairMatrix, PairRules, Pairs, can_look_again
from skyweave.c2.params import C2Params
from skyweave.c2.prediction import (
    AIRBREATHING_FLOOR_M,
    ThreatObjects,
    airbreathing_threat,
    predict_positions,
)
from skyweave.c2.reengage import Mandate, Reengagements, mandated_picture
from skyweave.c2.valuation import ThreatValuation, ValuedThreats
from skyweave.engagement import (
    Engagement,
    EngagementModel,
    Refusal,
    battery_ecef_m,
)
from skyweave.exercise.consent import ConsentDecision, ConsentDesk, ConsentQuestion
from skyweave.scenario.schema import Battery
from skyweave.tracking.fusion import FusedPicture
from skyweave.warning.impact import DefendedAssets, ballistic_mask

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: how far ahead a track's trajectory is predicted for the feasibility search
PREDICTION_HORIZON_S = 400.0
#: step of that prediction (Hermite-interpolated in between)
PREDICTION_STEP_S = 8.0
#: a track follows the nearest threat object within this (plus 4 position sigmas)
ASSOCIATION_GATE_M = 5_000.0


# -- the cycle --------------------------------------------------------------------------


@dataclass
class DecisionLog:
    """What the decision cycle produced over a run."""

    engagements: list[Engagement]
    in_flight: list[Engagement]
    decisions: list[ConsentDecision]
    killed_at_s: dict[str, float]
    refusals: int
    cycles: int


class DecisionStage:
    """Every deciding command post's decision cycle, one cycle at a time.

    The engine calls :meth:`cycle` at each decision time with each authority's
    fused picture at that time; kill assessments reach other partners through
    :meth:`status_arrived` (their ``engagement_status`` reports as the links
    deliver them); consent goes through a :class:`ConsentDesk`.
    """

    def __init__(
        self,
        c2: C2Params,
        seed: int,
        consent: ConsentDesk,
        commanded: frozenset[str] = frozenset(),
    ) -> None:
        self.c2 = c2
        self.model = EngagementModel(c2.batteries, seed)
        self.bosses = authorities(c2, commanded)
        self.integrated = c2.integrated
        self.cell = c2.cell
        # who commands other partners' batteries when the cell cannot reach them
        self.fallback = FallbackDoctrine(c2, commanded)
        # the cell's orders and the battery status it holds (stale after the fallback wait)
        self.orders = CellOrders(
            self.integrated,
            self.cell,
            commanded,
            {b: r.after_s for b, r in self.fallback.rules.items()},
            list(c2.partners),
        )
        self.batteries_told = self.orders.batteries_told
        # misses of batteries under the cell's command: their own post looks and shoots again
        self.reengage = Reengagements()
        self._mandated: dict[str, set[str]] = {p: set() for p in c2.partners}
        self.log: list[DecisionRow] = []  # decisions.parquet
        #: the last cycle's rows per deciding post, by threat id (for the consoles)
        self.latest: dict[str, dict[str, DecisionRow]] = {}
        # what each post learned from the links
        self.remote = {p: RemoteEngagements() for p in c2.partners}
        self.lineage: dict[int, tuple[str, ...]] = {}  # engagement id -> originators
        self.consent = consent
        self.rules = dict(c2.rules)
        self.consent_delay = {
            p: r.consent.delay_s if r.consent.policy == "after_delay" else 0.0
            for p, r in self.rules.items()
        }
        a = c2.assets
        self.assets = DefendedAssets.from_lists(
            [x.id for x in a],
            [x.lat_deg for x in a],
            [x.lon_deg for x in a],
            [x.radius_m for x in a],
        )
        self.values = np.array([x.value for x in a], dtype=np.float64)
        owner = np.array([x.partner for x in a], dtype=object)
        self.own_assets = {p: owner == p for p in c2.partners}
        self.defends = {p: np.isin(owner, [p, *self.rules[p].defend]) for p in c2.partners}
        self.decisions: list[ConsentDecision] = []
        # granted orders waiting for the next cycle of their authority
        self.granted: list[tuple[ConsentDecision, str]] = []
        self.refused: set[tuple[str, str]] = set()
        self.held: set[str] = set()  # batteries under hold fire
        self.requests: list[EngageRequest] = []
        # per post (any partner may come to decide under the fallback doctrine)
        self.known_kill: dict[str, dict[str, float]] = {p: {} for p in c2.partners}
        #: every (post, track id) whose ``known_kill`` time was set, in order (a reader
        #: keeps its place in it instead of rereading every kill known so far)
        self.kill_news: list[tuple[str, str]] = []
        self._kills_seen = 0
        self.cycles = 0
        cycle_s = c2.decision_period_s
        # Long enough for the slowest flyout to the far corner of its envelope.
        reach_s = max(
            (
                math.hypot(b.max_range_km, b.max_alt_km) * 1e3 / b.flyout_speed_mps
                for b in c2.batteries
            ),
            default=0.0,
        )
        horizon_s = min(PREDICTION_HORIZON_S, reach_s + 2.0 * PREDICTION_STEP_S)
        self.offsets = np.arange(0.0, horizon_s + 0.5 * PREDICTION_STEP_S, PREDICTION_STEP_S)
        self.launch_offsets = np.arange(0.0, horizon_s - cycle_s, cycle_s)
        # A new order launches once consent is in: the launch-grid index it is feasible at.
        self.consent_launch = {
            p: int(np.searchsorted(self.launch_offsets, delay - 1e-9))
            for p, delay in self.consent_delay.items()
        }
        self.pair_rules = PairRules(
            self.model, self.rules, self.defends, self.own_assets, self.consent_launch, self.refused
        )
        self._battery_ecef = {
            b.id: np.asarray(battery_ecef_m(b), dtype=np.float64) for b in c2.batteries
        }
        self.valuation = ThreatValuation(self.offsets, self._battery_ecef, self.assets, self.values)
        self._silent: set[str] = set()
        self._objects = ThreatObjects(np.zeros(1), (), (), np.zeros((1, 0, 3)), np.zeros(0))
        self._ends: dict[str, float] = {}
        # the envelopes of each set of batteries a post has assigned (scenario constants)
        self._envelopes: dict[tuple[str, ...], BatteryEnvelopes] = {}

    def _not_ready_reason(self, battery_id: str, t: float) -> str:
        """Why a battery cannot take an engage order now, in a staff's words."""
        if battery_id in self.held:
            return "battery held (hold fire): give weapons free first"
        state = self.model.states.get(battery_id)
        if state is not None and state.inventory <= 0:
            return "battery empty: no interceptors left"
        partner = state.battery.partner if state is not None else None
        if partner is not None and self.is_silent(partner, t):
            return f"{partner}'s command post is silent"
        return "battery not ready: its fire channels or launchers are busy, or out of reach"

    def is_silent(self, partner: str, t: float) -> bool:
        """The partner's command post is silent (no orders from or to it)."""
        return partner in self._silent

    def cycle(
        self,
        t: float,
        pictures: Mapping[str, FusedPicture],
        objects: ThreatObjects,
        silent: set[str],
        cuts: Mapping[str, Cut] | None = None,
        threats: Mapping[str, ThreatsHeld] | None = None,
    ) -> CycleOutcome:
        """One decision cycle at ``t`` over each authority's fused picture at ``t``.

        ``cuts``: partners cut off from the coalition cell now (integrated mode's
        fallback doctrine); ``threats``: each post's threat board, for the decision log.
        """
        cycle = self.cycles
        self.cycles += 1
        self._silent = silent
        changes = []
        if self.integrated:
            told = self.orders.batteries_told[self.cell]
            heard = {b: r.time_s for b, r in told.items()}
            changes = self.fallback.update(t, cuts or {}, heard)
        if changes:
            self.orders.commanded = self.fallback.commanded
            self.bosses = authorities(self.c2, self.orders.commanded)
            for c in changes:
                self.orders.pending.pop(c.battery_id, None)
        boards = threats or {}
        self.latest = {}
        mandates = self.reengage.due(t, self.orders.commanded) if self.integrated else {}
        self._mandated = {p: {m.battery_id for m in mandates.get(p, ())} for p in self.c2.partners}
        if objects is not self._objects:
            self._objects, self._ends = objects, objects.end_times()
        self.step(t)
        for q, d in self.consent.due(t):
            self.decisions.append(d)
            if d.granted:
                self.granted.append((d, q.asker))
            else:
                self.refused.add((d.battery_id, d.track_id))
        requests, self.requests = self.requests, []
        rejected: list[tuple[EngageRequest, str]] = []
        for boss in self.bosses:
            mine = [r for r in requests if any(b.id == r.battery_id for b in boss.batteries)]
            if self.is_silent(boss.name, t):
                rejected += [(r, f"{boss.name}'s command post is silent") for r in mine]
                silent_post = Verdicts()
                held = boards.get(boss.name)
                for tid in held.by_picture if held is not None else ():
                    silent_post.note(f"{boss.name}:{tid}", Verdict("command_post_silent"))
                self._record(cycle_rows(t, cycle, boss.name, silent_post, held))
                continue
            picture = pictures.get(boss.name)
            if picture is None:
                continue
            held = boards.get(boss.name)
            board = held.by_picture if held is not None else ()
            verdicts = Verdicts(shown={f"{boss.name}:{n}" for n in board})
            rejected += self._decide(boss, picture, t, cycle, mine, verdicts)
            self._record(cycle_rows(t, cycle, boss.name, verdicts, held, verdicts.valued))
        if self.integrated:
            self._look_shoot(t, cycle, pictures, mandates)
        return CycleOutcome(tuple(rejected), tuple(changes))

    def _look_shoot(
        self,
        t: float,
        cycle: int,
        pictures: Mapping[str, FusedPicture],
        due: Mapping[str, list[Mandate]],
    ) -> None:
        """Delegated shoot-look-shoot (:mod:`skyweave.c2.reengage`): after a miss of a
        battery under the cell's command, its own post may fire it again at the same
        threat, on its own picture (its rows in the decision log are those tracks')."""
        for partner, mandates in due.items():
            picture = pictures.get(partner)
            if picture is None or not len(picture) or self.is_silent(partner, t):
                continue
            mine = mandated_picture(picture, mandates, ballistic_mask(picture.state))
            if not len(mine):
                continue
            ids = {m.battery_id for m in mandates}
            boss = Authority(partner, tuple(b for b in self.c2.batteries if b.id in ids))
            verdicts = Verdicts(shown=())  # (no board: its valued tracks' rows only)
            self._decide(boss, mine, t, cycle, [], verdicts, delegated=True)
            self._record(cycle_rows(t, cycle, partner, verdicts, None, verdicts.valued))
            rows = {f"{partner}:{n}": k for k, n in enumerate(mine.picture_number.tolist())}
            for tid, v in verdicts.best.items():
                if v.reason == "assigned" and v.battery_id in ids and tid in rows:
                    self.reengage.fired(t, v.battery_id, mine, rows[tid])

    def _record(self, rows: list[DecisionRow]) -> None:
        self.log += rows
        if rows:  # one post's rows
            latest = self.latest.setdefault(rows[0].command_post, {})
            latest.update((r.threat_id, r) for r in rows)

    def step(self, t: float) -> list[Engagement]:
        """Flyouts and kill draws due by ``t``; returns the newly resolved engagements."""
        done = self.model.step(t, self._ends)
        self._learn_kills()
        return done

    def report_arrived(
        self,
        receiver: str,
        report: EngagementReport,
        point_m: FloatArray,
        added_var_m2: float,
        arrival_s: float,
        sent_s: float,
    ) -> None:
        """Another partner's engagement report reached ``receiver``'s post at ``arrival_s``."""
        self.remote[receiver].arrived(report, point_m, added_var_m2, arrival_s, sent_s)
        if receiver in self.known_kill and report.outcome == "kill":
            # the cell's own track ids (its orders to other partners' batteries)
            self._know_kill(receiver, report.track_id, arrival_s)

    def battery_arrived(self, receiver: str, report: BatteryReport) -> None:
        """A battery's status reached ``receiver``'s post (the latest sent is kept)."""
        self.orders.battery_arrived(receiver, report)

    def order_arrived(self, receiver: str, order: EngagementOrder, arrival_s: float) -> None:
        """The cell's order reached a partner's post (only the battery's own acts on it)."""
        self.orders.order_arrived(receiver, order, arrival_s)

    def take_orders(self) -> list[EngagementOrder]:
        """The cell's orders to other partners' batteries given since the last call."""
        return self.orders.take()

    def finish(self, end_s: float) -> DecisionLog:
        """The run's engagements (those still in flight keep outcome ``in_flight``)."""
        self.model.step(end_s, self._ends)
        return DecisionLog(
            engagements=sorted(self.model.engagements, key=lambda e: e.engagement_id),
            in_flight=self.model.in_flight(),
            decisions=self.decisions,
            killed_at_s=dict(self.model.killed),
            refusals=len(self.model.refusals),
            cycles=self.cycles,
        )

    def _drop(self, granted: Sequence[ConsentDecision], t: float, cycle: int, reason: str) -> None:
        """Granted orders that can no longer be carried out: recorded as refusals."""
        self.model.refusals += [
            Refusal(t, d.battery_id, d.track_id, reason, cycle) for d in granted
        ]

    def _learn_kills(self) -> None:
        """Kills assessed by a partner's batteries: known to its own command post at once."""
        new = self.model.engagements[self._kills_seen :]
        self._kills_seen = len(self.model.engagements)
        for e in new:
            if (
                e.outcome == "miss"
                and self.integrated
                and e.partner != self.cell
                and e.battery_id in self.orders.commanded
            ):
                self.reengage.missed(e)
            if e.outcome != "kill":
                continue
            if e.partner in self.known_kill:
                self._know_kill(e.partner, e.track_id, e.assessment_time_s)

    def _know_kill(self, post: str, track_id: str, time_s: float) -> None:
        """The post knows of a kill of the track from ``time_s`` (the earliest word wins)."""
        known = self.known_kill[post]
        known[track_id] = min(known.get(track_id, math.inf), time_s)
        self.kill_news.append((post, track_id))

    def _decide(
        self,
        boss: Authority,
        picture: FusedPicture,
        t: float,
        cycle: int,
        requests: Sequence[EngageRequest],
        verdicts: Verdicts,
        delegated: bool = False,
    ) -> list[tuple[EngageRequest, str]]:
        """One command post's decision at one time (steps 1-4 of the module docstring).

        Notes in ``verdicts`` why each track was or was not engaged (the decision
        log); returns the operators' engage requests it could not carry out, with the
        reason. ``delegated``: a look-shoot of a battery under the cell's command
        (:meth:`_look_shoot`): the post's granted consents wait for its own cycle.
        """
        arrived = self.orders.arrived(boss.name, t)
        executing = {o.battery_id for o in arrived}
        excluded = {
            b.id: why
            for b in boss.batteries
            if (why := self._not_taskable(boss, b.partner, b.id, t, executing)) is not None
        }
        batteries = [b for b in boss.batteries if b.id not in excluded]
        due = self._due_consents(boss, t, cycle, delegated)
        asked = self.consent.waiting(boss.name)
        track_ids = [f"{boss.name}:{n}" for n in picture.picture_number.tolist()]
        self._note_standing(boss, asked, track_ids, t, verdicts)

        def give_up(dropped: str) -> list[tuple[EngageRequest, str]]:
            self._drop(due, t, cycle, dropped)
            self._drop_orders(arrived, t, cycle)
            return [(r, self._why_not(r, verdicts, t)) for r in requests]

        known = self.known_kill[boss.name]
        # tracks known killed by now or awaiting a consent answer are no candidates
        skip = {tid for tid, s in known.items() if not s > t} | {q.track_id for q in asked}
        cand = [k for k, tid in enumerate(track_ids) if tid not in skip]
        if not cand or not boss.batteries or not len(self.assets):
            none: Reason = "no_asset_threatened" if not len(self.assets) else "no_battery_in_reach"
            for tid in track_ids:
                verdicts.note(tid, Verdict(none))
            return give_up("not ordered: no track or battery")
        allowed = (
            np.ones(len(self.assets), dtype=bool)
            if self.integrated and boss.name == self.cell
            else self.defends[boss.name]
        )
        in_flight = (
            self.model.open_engagements([b.id for b in boss.batteries], t),
            known,
            self.remote[boss.name],
        )
        valued = self.valuation(
            boss.name,
            boss.batteries,
            excluded,
            allowed,
            picture,
            t,
            track_ids,
            np.asarray(cand),
            in_flight,
            verdicts,
        )
        if isinstance(valued, str):
            dropped = valued if batteries else "not ordered: no track or battery"
            return give_up(dropped)
        pairs = self._pairs(
            boss, picture, t, batteries, executing, {q.battery_id for q in asked}, valued, verdicts
        )
        step3 = assign(
            self.c2,
            t,
            batteries,
            set(track_ids),
            due,
            arrived,
            requests,
            valued,
            pairs,
            verdicts,
            lambda r: self._why_not(r, verdicts, t),
        )
        self.granted += [(d, boss.name) for d in step3.regranted]
        self._drop(step3.dropped, t, cycle, "window closed awaiting consent")
        for o in step3.deferred:
            self.orders.defer(o, t)
        for o, refusal in step3.refused_orders:
            self._drop_orders([o], t, cycle, refusal)
        chosen, rejected = step3.chosen, step3.rejected
        self._carry_out(
            boss,
            picture,
            t,
            cycle,
            batteries,
            chosen,
            executing,
            valued.idx,
            valued.sel,
            valued.ids,
            pairs.objects,
            pairs.kinds,
            pairs.windows,
            pairs.matrix,
            verdicts,
        )
        return rejected

    def _due_consents(
        self, boss: Authority, t: float, cycle: int, delegated: bool
    ) -> list[ConsentDecision]:
        """The post's granted consents to carry out this cycle (those on hold dropped).

        Granted consents of batteries under a look-shoot mandate wait for it.
        """
        mandated = {b.id for b in boss.batteries} if delegated else self._mandated[boss.name]
        ours = [
            (d, w)
            for d, w in self.granted
            if w == boss.name and (d.battery_id in mandated) == delegated
        ]
        due = [d for d, _ in ours]
        self.granted = [g for g in self.granted if g not in ours]
        on_hold = [d for d in due if d.battery_id in self.held]
        if on_hold:
            self._drop(on_hold, t, cycle, "hold fire")
            due = [d for d in due if d.battery_id not in self.held]
        return due

    def _note_standing(
        self,
        boss: Authority,
        asked: Sequence[ConsentQuestion],
        track_ids: Sequence[str],
        t: float,
        verdicts: Verdicts,
    ) -> None:
        """Log what stands before any evaluation: consent asked, orders unanswered, kills."""
        for q in asked:
            verdicts.note(q.track_id, Verdict("consent_pending", q.battery_id))
        for b_id, (_, tid) in self.orders.pending.items():
            if boss.name == self.cell:
                verdicts.note(tid, Verdict("order_unacknowledged", b_id))
        dead = {tid for tid, s in self.known_kill[boss.name].items() if s <= t}
        for tid in track_ids if dead else ():
            if tid in dead:
                verdicts.note(tid, Verdict("killed"))

    def _pairs(
        self,
        boss: Authority,
        picture: FusedPicture,
        t: float,
        batteries: Sequence[Battery],
        executing: set[str],
        waiting_bty: set[str],
        v: ValuedThreats,
        verdicts: Verdicts,
    ) -> Pairs:
        """Step 2: the feasible launches now and on later cycles, and each pair's rules."""
        key = tuple(b.id for b in batteries)
        envelopes = self._envelopes.get(key)
        if envelopes is None:
            envelopes = self._envelopes[key] = BatteryEnvelopes.from_scenario(batteries)
        windows = engagement_windows(
            envelopes,
            tabulated_trajectory(t + self.offsets, v.traj),
            [v.ids[j] for j in v.sel],
            t + self.offsets,
            launch_times_s=t + self.launch_offsets,
        )
        delay_s = np.array([self.consent_delay[b.partner] for b in batteries])
        can_look = can_look_again(windows, v.look_s, delay_s)
        objects = self._objects.associate(t, v.states[:, :3], ASSOCIATION_GATE_M + 4.0 * v.sigma_m)
        kinds = [
            self._objects.kind_of(o) if o else ("ballistic" if ok else "aircraft")
            for o, ok in zip(objects, v.valid, strict=True)
        ]
        row_of = {b.id: r for r, b in enumerate(boss.batteries)}
        m = self.pair_rules.matrix(
            batteries,
            {b.id: self.orders.told(boss.name, b.id) for b in batteries if b.id not in executing},
            waiting_bty,
            picture,
            v.idx,
            v.sel,
            v.ids,
            v.coverage,
            kinds,
            windows,
            can_look,
            v.value,
            v.nearest_m[[row_of[b.id] for b in batteries]],
            t,
            verdicts,
        )
        # a battery whose own post shot again after a miss: that threat is its post's
        withheld = np.zeros_like(m.now_ok)
        if self.integrated and boss.name == self.cell:
            withheld = self.reengage.withheld(t, [b.id for b in batteries], v.states, v.sigma_m)
            for i, j in zip(*np.nonzero(withheld), strict=True):
                m.pk[i, j] = 0.0
                m.now_ok[i, j] = m.later_ok[i, j] = False
                b = batteries[int(i)]
                verdicts.note(
                    v.ids[int(v.sel[j])],
                    Verdict("engaged", b.id, text=f"look-shoot delegated to {b.partner}'s post"),
                )
        return Pairs(windows, objects, kinds, m, withheld)

    def _carry_out(
        self,
        boss: Authority,
        picture: FusedPicture,
        t: float,
        cycle: int,
        batteries: Sequence[Battery],
        chosen: Sequence[tuple[int, int, bool]],
        executing: set[str],
        idx: IntArray,
        sel: IntArray,
        ids: Sequence[str],
        objects: Sequence[str],
        kinds: Sequence[str],
        windows: EngagementWindows,
        m: PairMatrix,
        verdicts: Verdicts,
    ) -> None:
        """Step 4: consent and orders for the chosen (battery, target) pairs."""
        for i, j, ask in chosen:
            b, tid = batteries[i], ids[int(sel[j])]
            if ask:
                at = min(self.consent_launch[b.partner], windows.feasible.shape[-1] - 1)
                point = windows.intercept_ecef_m[i, j, at]
                answer = self.consent.ask(
                    boss.name,
                    b.partner,
                    cycle,
                    b.id,
                    tid,
                    t,
                    float(windows.intercept_time_s[i, j, at]),
                    (float(point[0]), float(point[1]), float(point[2])),
                )
                if isinstance(answer, ConsentQuestion):
                    verdicts.set(tid, Verdict("consent_pending", b.id))
                    continue
                self.decisions.append(answer)
                if not answer.granted:
                    self.refused.add((b.id, tid))
                    verdicts.set(tid, Verdict("consent_denied", b.id))
                    continue
            row = int(idx[sel[j]])
            lineage = tuple(
                sorted(
                    {picture.origins[o] for o in np.flatnonzero(picture.contributor_id[row] >= 0)}
                    | {boss.name}
                )
            )
            if b.id in self.orders.commanded and boss.name == self.cell and b.id not in executing:
                # another partner's battery: the order crosses the link first
                self.orders.send(EngagementOrder(t, boss.name, b.partner, b.id, tid, lineage))
                verdicts.set(
                    tid,
                    Verdict(
                        "assigned",
                        b.id,
                        shots=int(m.shots[i, j]),
                        # launched at the battery's next decision time
                        intercept_time_s=float(
                            windows.intercept_time_s[i, j, min(1, windows.feasible.shape[-1] - 1)]
                        ),
                        kill_probability=float(m.pk[i, j]),
                        text=f"order sent over the link to {b.partner}",
                    ),
                )
                continue
            launch = self.model.order(
                t,
                b.id,
                tid,
                objects[j],
                kinds[j],
                float(windows.intercept_time_s[i, j, 0]),
                windows.intercept_ecef_m[i, j, 0],
                cycle,
                shots=int(m.shots[i, j]),
                use_reserve=bool(m.reserve[i, j]),
            )
            if isinstance(launch, Refusal):
                verdicts.set(tid, Verdict(refusal_reason(launch.reason), b.id, text=launch.reason))
                continue
            self.lineage[launch.engagement_id] = lineage
            verdicts.set(
                tid,
                Verdict(
                    "assigned",
                    b.id,
                    shots=launch.shots,
                    intercept_time_s=launch.intercept_time_s,
                    kill_probability=launch.kill_probability,
                ),
            )

    def _why_not(self, r: EngageRequest, verdicts: Verdicts, t: float) -> str:
        """An engage order that cannot be carried out: what is wrong, in a staff's words."""
        return verdicts.why_not(r.battery_id, r.track_id) or self._not_ready_reason(r.battery_id, t)

    def _not_taskable(
        self, boss: Authority, partner: str, battery_id: str, t: float, executing: set[str]
    ) -> Reason | None:
        """Why ``boss`` cannot give the battery an order this cycle (None: it can)."""
        if self.is_silent(partner, t):
            return "command_post_silent"
        if battery_id in self.held:
            return "battery_held"
        if battery_id in executing or self.orders.can_task(boss.name, battery_id, t):
            return None
        return self.orders.why_not(battery_id, t)

    def _drop_orders(
        self,
        orders: Sequence[EngagementOrder],
        t: float,
        cycle: int,
        why: str = TOO_LATE,
    ) -> None:
        """Orders that arrived but can no longer be carried out: recorded as refusals."""
        self.model.refusals += [Refusal(t, o.battery_id, o.track_id, why, cycle) for o in orders]


__all__ = [
    "AIRBREATHING_FLOOR_M",
    "ASSOCIATION_GATE_M",
    "Authority",
    "CycleOutcome",
    "DecisionLog",
    "DecisionStage",
    "EngageRequest",
    "ThreatObjects",
    "airbreathing_threat",
    "authorities",
    "predict_positions",
]
