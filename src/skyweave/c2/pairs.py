"""Which battery may fire at which threat in one decision cycle, and why not.

:class:`PairRules` holds a run's rules per battery and partner (whom it may defend,
whether it fires on another partner's tracks, its reserve, its consent delay) and
builds, per decision cycle, the matrices the weapon-target assignment works on
(:class:`PairMatrix`), noting for the decision log
(:mod:`skyweave.c2.decision_log`) what kept each battery from each track.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.coalition_status import BatteryReport
from skyweave.c2.decision_log import REASONS, Verdict, Verdicts, plain_verdict, reason_rank
from skyweave.c2.feasibility import EngagementWindows
from skyweave.engagement import EngagementModel, salvo_kill_probability
from skyweave.scenario.schema import Battery, EngagementRules
from skyweave.tracking.fusion import FusedPicture

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: a track's share of an asset's value must be at least this to count as a threat to it
MIN_COVERAGE = 0.01


@dataclass(frozen=True)
class PairMatrix:
    """Per ready battery (rows) and valued track (columns) in one cycle."""

    pk: FloatArray  # kill probability of an order now (0: not a WTA candidate)
    shots: IntArray
    reserve: BoolArray  # the order may use the reserve
    #: a launch now is feasible (orders whose consent came in); for a battery the
    #: cell orders over the link, a launch at the next decision time
    now_ok: BoolArray
    later_ok: BoolArray  # ... or on a later cycle


@dataclass(frozen=True)
class PairRules:
    """A run's rules per battery and partner (see the module docstring).

    ``refused`` is the decision stage's own set of (battery, track) pairs whose
    consent was denied (shared, not copied).
    """

    model: EngagementModel
    rules: Mapping[str, EngagementRules]
    defends: Mapping[str, BoolArray]  # per partner: the assets it may defend
    own_assets: Mapping[str, BoolArray]
    consent_launch: Mapping[str, int]  # per partner: launch-grid index after consent
    refused: set[tuple[str, str]]

    def matrix(
        self,
        batteries: Sequence[Battery],
        told_of: Mapping[str, BatteryReport | None],
        waiting_bty: Collection[str],
        picture: FusedPicture,
        idx: IntArray,
        sel: IntArray,
        ids: Sequence[str],
        coverage: FloatArray,
        kinds: Sequence[str],
        windows: EngagementWindows,
        can_look: BoolArray,
        value: FloatArray,
        nearest_m: FloatArray,
        t: float,
        verdicts: Verdicts,
    ) -> PairMatrix:
        """Per ready battery and valued track: shots, kill probability if ordered now
        (0: not a WTA candidate) and whether the launch is feasible now or later; each
        pair's reason noted in ``verdicts``."""
        model = self.model
        m, n = len(batteries), sel.size
        out = PairMatrix(
            pk=np.zeros((m, n)),
            shots=np.zeros((m, n), dtype=np.int64),
            reserve=np.zeros((m, n), dtype=bool),
            now_ok=np.zeros((m, n), dtype=bool),  # for orders whose consent came in
            later_ok=np.zeros((m, n), dtype=bool),  # ... and those that may wait
        )
        tids = [ids[s] for s in sel.tolist()]
        block = _RowVerdicts(
            batteries,
            tids,
            ranks=np.full((m, n), reason_rank("battery_busy"), dtype=np.int64),
            p_kill=np.zeros((m, n)),
            at=np.zeros(m, dtype=np.int64),
            first=np.zeros((m, n), dtype=np.int64),
            shots=out.shots,
            windows=windows,
            value=value,
            nearest_m=nearest_m[:, sel],
        )
        live = [
            i
            for i, b in enumerate(batteries)
            # a battery the cell knows only from its status reports (not carrying out
            # an order) is taken as ready; the others need a free fire channel
            if b.id not in waiting_bty
            and not (told_of.get(b.id) is None and model.states[b.id].free_channels(t) < 1)
        ]  # the other rows stay battery_busy
        if live and n:
            flags = _CoverageFlags(coverage, self.defends, self.own_assets)
            self._rows(out, block, live, told_of, picture, idx[sel], flags, kinds, can_look, t)
        verdicts.note_block(block)
        return out

    def _rows(
        self,
        out: PairMatrix,
        block: _RowVerdicts,
        live: list[int],
        told_of: Mapping[str, BatteryReport | None],
        picture: FusedPicture,
        rows: IntArray,
        flags: _CoverageFlags,
        kinds: Sequence[str],
        can_look: BoolArray,
        t: float,
    ) -> None:
        """The rows ``live`` of :meth:`matrix` (ready batteries) against every valued
        track, at once: each pair's reason the first that applies, as the pairs were
        once tested one by one."""
        tids = block.track_ids
        ml, n = len(live), len(tids)
        per = _PerBattery(ml, n)
        for r, i in enumerate(live):
            per.fill(r, self, block.batteries[i], told_of, picture, rows, flags, tids, t)
        # the cell's order to another partner's battery crosses the link and is
        # carried out at that battery's next decision time: its launch is a cycle
        # later than ordered (also after a consent that came in)
        go, at = per.go[:, None, None], per.at[:, None, None]
        feasible = block.windows.feasible[live]  # (B, K, L)
        grid = np.arange(feasible.shape[-1])
        now_f = (feasible & (grid == go)).any(axis=-1)
        later_f = (feasible & (grid > go)).any(axis=-1)
        at_f = (feasible & (grid == at)).any(axis=-1)
        tail = feasible & (grid >= at)
        waits: BoolArray = np.any(tail, axis=-1)  # a feasible launch at ``at`` or later
        if grid.size:
            block.first[live] = np.argmax(tail, axis=-1)
        block.at[live] = per.at
        usable = np.where(per.reserve_ok, per.usable[:, :1], per.usable[:, 1:])
        k = np.minimum(per.doctrine[:, None], usable)
        why = _first_of(
            [
                per.refused,
                ~per.defended,
                ~per.may_fire_on,
                per.awaiting,
                per.killed,
                k < 1,
                per.told_none[:, None] & (k > per.free_launchers[:, None]),
            ],
            _BLOCKED_RANKS,
            default=-1,
        )
        ok = why < 0
        p_kill = _salvo_kill_probabilities(ok, k, per.pk, kinds)
        can = ok & (p_kill > 0.0)
        lower = can & at_f & ~can_look[None, :]
        block.ranks[live] = np.where(
            ok,
            _first_of([~can, lower, at_f, waits], _OUTCOME_RANKS, default=_OUT_OF_REACH),
            why,
        )
        block.p_kill[live] = p_kill
        out.shots[live] = np.where(ok, k, 0)
        out.reserve[live] = ok & per.reserve_ok
        out.pk[live] = np.where(lower, p_kill, 0.0)
        out.now_ok[live], out.later_ok[live] = can & now_f, can & later_f


class _PerBattery:
    """The ready batteries' rules and state in one cycle, a row each (see ``fill``)."""

    def __init__(self, m: int, n: int) -> None:
        self.go = np.zeros(m, dtype=np.int64)  # launch-grid index of an order now
        self.at = np.zeros(m, dtype=np.int64)  # ... of a new order (after consent)
        self.doctrine = np.zeros(m, dtype=np.int64)
        self.usable = np.zeros((m, 2), dtype=np.int64)  # with the reserve, without
        self.free_launchers = np.zeros(m, dtype=np.int64)
        self.told_none = np.zeros(m, dtype=bool)
        self.pk: list[Callable[[str], float]] = []
        (
            self.refused,
            self.defended,
            self.reserve_ok,
            self.may_fire_on,
            self.awaiting,
            self.killed,
        ) = (np.zeros((m, n), dtype=bool) for _ in range(6))

    def fill(
        self,
        r: int,
        rules: PairRules,
        b: Battery,
        told_of: Mapping[str, BatteryReport | None],
        picture: FusedPicture,
        rows: IntArray,
        flags: _CoverageFlags,
        tids: Sequence[str],
        t: float,
    ) -> None:
        st = rules.model.states[b.id]
        told = told_of.get(b.id)
        self.go[r] = 0 if told is None else 1
        self.at[r] = rules.consent_launch[b.partner] + self.go[r]
        self.doctrine[r] = st.doctrine_shots()
        if told is None:
            self.usable[r] = st.usable(True), st.usable(False)
            self.free_launchers[r] = st.free_launchers(t)
            self.told_none[r] = True
        else:
            self.usable[r] = told.inventory, told.inventory - st.reserve
        self.pk.append(st.pk)
        mine = {tid for bid, tid in rules.refused if bid == b.id}
        if mine:
            self.refused[r] = [tid in mine for tid in tids]
        self.defended[r], self.reserve_ok[r] = flags.of(b.partner)
        col = picture.origins.index(b.partner) if b.partner in picture.origins else -1
        held = picture.contributor_id[rows, col] >= 0 if col >= 0 else False
        self.may_fire_on[r] = held | rules.rules[b.partner].engage_on_remote
        self.awaiting[r], self.killed[r] = rules.model.blocked_tracks(b.id, tids, t)


def _first_of(conditions: list[BoolArray], ranks: list[int], default: int) -> IntArray:
    """Per element the rank of the first condition that holds (``default``: none);
    ``np.select``'s answer, cheaper on small arrays."""
    out = np.full(conditions[0].shape, default, dtype=np.int64)
    for cond, rank in zip(reversed(conditions), reversed(ranks), strict=True):
        out[cond] = rank
    return out


def _salvo_kill_probabilities(
    ok: BoolArray, shots: IntArray, pk: Sequence[Callable[[str], float]], kinds: Sequence[str]
) -> FloatArray:
    """(battery, track) salvo kill probability where ``ok`` (0 elsewhere): one
    :func:`salvo_kill_probability` per battery, threat class and shots."""
    out = np.zeros(ok.shape)
    rr, cc = np.nonzero(ok)
    if not rr.size:
        return out
    names = list(dict.fromkeys(kinds))
    kind_of = np.array([names.index(c) for c in kinds], dtype=np.int64)
    k = shots[rr, cc]
    top = int(k.max()) + 1
    p_of: dict[int, float] = {}  # (battery, class, shots) coded as one int
    vals = []
    for c in ((rr * len(names) + kind_of[cc]) * top + k).tolist():
        p = p_of.get(c)
        if p is None:
            pk_of, kind = pk[c // top // len(names)], names[c // top % len(names)]
            p = p_of[c] = salvo_kill_probability(pk_of(kind), c % top)
        vals.append(p)
    out[rr, cc] = vals
    return out


#: why a battery may not fire at a track at all, in the order tested
_BLOCKED_RANKS = [
    reason_rank(r)
    for r in (
        "consent_denied",
        "not_defended",
        "remote_track_only",
        "engaged",
        "killed",
        "inventory_exhausted",
        "battery_busy",
    )
]
#: a battery that may fire: without kill probability, able now, waiting on an
#: assessment, able later (in the order tested; none: out of reach)
_OUTCOME_RANKS = [
    reason_rank(r) for r in ("no_kill_probability", "lower_priority", "engaged", "no_window_yet")
]
_OUT_OF_REACH = reason_rank("no_battery_in_reach")


@dataclass(frozen=True)
class _RowVerdicts:
    """A matrix's (battery, track) verdicts, noted at once; a pair's verdict is built
    when asked (:class:`~skyweave.c2.decision_log.PairBlock`)."""

    batteries: Sequence[Battery]
    track_ids: list[str]
    ranks: IntArray  # (battery, track): rank in REASONS
    p_kill: FloatArray
    at: IntArray  # per battery: the launch-grid index a new order launches at
    first: IntArray  # the first feasible launch index from ``at`` on
    shots: IntArray
    windows: EngagementWindows
    value: FloatArray
    nearest_m: FloatArray  # (battery, track)

    def verdict(self, i: int, j: int) -> Verdict:
        reason = REASONS[int(self.ranks[i, j])]
        b = self.batteries[i]
        if reason == "lower_priority":
            return Verdict(
                reason,
                b.id,
                shots=int(self.shots[i, j]),
                intercept_time_s=float(self.windows.intercept_time_s[i, j, self.at[i]]),
                kill_probability=float(self.p_kill[i, j]),
                value=float(self.value[j]),
            )
        if reason == "no_window_yet":
            launch_s = float(self.windows.launch_times_s[self.first[i, j]])
            return Verdict(reason, b.id, earliest_launch_s=launch_s)
        if reason == "no_battery_in_reach":
            return Verdict(
                reason,
                b.id,
                nearest_km=float(self.nearest_m[i, j]) / 1e3,
                max_range_km=b.max_range_km,
            )
        return plain_verdict(reason, b.id)

    def pair(self, battery_id: str, track_id: str) -> Verdict | None:
        i = next((i for i, b in enumerate(self.batteries) if b.id == battery_id), -1)
        j = next((j for j, tid in enumerate(self.track_ids) if tid == track_id), -1)
        return self.verdict(i, j) if i >= 0 and j >= 0 else None


class _CoverageFlags:
    """Per partner and valued track: the track threatens assets the partner may defend,
    and its own assets (an order may then use the reserve); computed once per partner.

    Row by row, as the sums were always taken (a 2-D sum may round differently).
    """

    def __init__(
        self,
        coverage: FloatArray,
        defends: Mapping[str, BoolArray],
        own_assets: Mapping[str, BoolArray],
    ) -> None:
        self.coverage, self.defends, self.own_assets = coverage, defends, own_assets
        self._flags: dict[str, tuple[BoolArray, BoolArray]] = {}

    def of(self, partner: str) -> tuple[BoolArray, BoolArray]:
        flags = self._flags.get(partner)
        if flags is None:
            cov, d, o = self.coverage, self.defends[partner], self.own_assets[partner]
            flags = self._flags[partner] = (
                np.array([cov[j, d].sum() >= MIN_COVERAGE for j in range(cov.shape[0])], bool),
                np.array([cov[j, o].sum() >= MIN_COVERAGE for j in range(cov.shape[0])], bool),
            )
        return flags


@dataclass(frozen=True)
class Pairs:
    """A cycle's (ready battery, valued track) pairs (step 2)."""

    windows: EngagementWindows
    objects: list[str]  # truth object each valued track follows ("" for none)
    kinds: list[str]
    matrix: PairMatrix
    withheld: BoolArray  # left to the battery's own post after a miss (look-shoot)


def can_look_again(
    windows: EngagementWindows, look_s: FloatArray, delay_s: FloatArray
) -> BoolArray:
    """Per valued track: a launch after its awaited kill assessment (``look_s``, -inf
    for none awaited) plus the battery's consent delay (``delay_s`` per battery) is
    still feasible for some battery: waiting to look, then shooting, is possible."""
    later = np.any(
        windows.feasible
        & (windows.launch_times_s[None, None, :] >= look_s[None, :, None] + delay_s[:, None, None]),
        axis=-1,
    )
    return np.asarray(later.any(axis=0) & np.isfinite(look_s), dtype=bool)


__all__ = ["MIN_COVERAGE", "PairMatrix", "PairRules", "Pairs", "can_look_again"]
