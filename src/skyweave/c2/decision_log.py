"""Why each threat was or was not engaged: one row per decision cycle, command post and threat.

Every decision cycle, each deciding command post gives every threat it holds one
**outcome** from a small fixed vocabulary (:data:`REASONS`): ``assigned`` (with
the battery, shots, planned intercept time and kill probability) or the reason
no battery was. Within a cycle the decision stage notes, per picture track and
battery, what kept that battery from that track (:class:`Verdicts`); a track's
outcome is the one closest to a shot (the order of :data:`REASONS`: a battery
that could fire but went to a more valuable threat says more than one out of
reach). A threat on the post's threat board is one row (its best track); a
valued picture track on no board threat is a row of its own.

The rows make ``decisions.parquet`` (:func:`decisions_table`); ``summary.json``
counts them by reason (:func:`reason_counts`); every refused order's reason is
mapped onto the same vocabulary (:func:`refusal_reason`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol, get_args

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

Reason = Literal[
    "assigned",
    "consent_pending",
    "order_unacknowledged",
    "engaged",
    "killed",
    "lower_priority",
    "consent_denied",
    "no_window_yet",
    "battery_busy",
    "battery_held",
    "inventory_exhausted",
    "battery_status_unknown",
    "command_post_silent",
    "remote_track_only",
    "no_kill_probability",
    "not_defended",
    "no_battery_in_reach",
    "no_asset_threatened",
    "not_tracked",
]
#: the outcomes, closest to a shot first (a track's outcome is the first that applies)
REASONS: tuple[Reason, ...] = get_args(Reason)
_RANK = {r: k for k, r in enumerate(REASONS)}
#: a block's rank of a pair with no verdict (after every reason)
NO_VERDICT = len(REASONS)


def reason_rank(reason: Reason) -> int:
    """The rank of a reason in :data:`REASONS` (0: closest to a shot)."""
    return _RANK[reason]


#: what each outcome means (the README and the scenario reference show this table)
REASON_TEXT: dict[Reason, str] = {
    "assigned": "a battery was assigned (battery, shots, planned intercept, kill probability)",
    "consent_pending": "a consent question on it is open (its staff have not answered)",
    "order_unacknowledged": "the coalition cell's order was sent and not heard of yet",
    "engaged": "an engagement on it is in flight (or awaiting its kill assessment)",
    "killed": "a kill on it was reported; it has not left the board yet",
    "lower_priority": "a battery could fire but the assignment gave it to a more "
    "valuable threat, or a shot would not save min_value_saved (value: its priority)",
    "consent_denied": "its staff denied the engagement of the battery that could fire",
    "no_window_yet": "a battery reaches it later: the earliest launch is given",
    "battery_busy": "the battery that reaches it has no free fire channel or launchers",
    "battery_held": "the battery that reaches it is under hold fire",
    "inventory_exhausted": "the battery that reaches it has no interceptors left "
    "(or only its reserve, kept for its own partner's assets)",
    "battery_status_unknown": "the cell has no fresh status of the battery that reaches it",
    "command_post_silent": "the command post (or the battery's) is silent",
    "remote_track_only": "the only battery in reach may not fire on a track its partner "
    "does not hold (engage_on_remote: false)",
    "no_kill_probability": "the batteries in reach have no kill probability against its class",
    "not_defended": "it threatens no asset the batteries' partners may defend",
    "no_battery_in_reach": "no battery's envelope reaches it: the nearest distance is given",
    "no_asset_threatened": "it threatens no defended asset (nothing at stake)",
    "not_tracked": "on the threat board but held by none of the post's own tracks (a "
    "track it holds only from another partner is a row of its own, by picture track id)",
}


@dataclass(slots=True)
class Verdict:
    """What kept (or did not keep) one battery from one track in one cycle."""

    reason: Reason
    battery_id: str | None = None
    shots: int = 0
    intercept_time_s: float = math.nan
    kill_probability: float = math.nan
    value: float = math.nan
    nearest_km: float = math.nan
    max_range_km: float = math.nan
    earliest_launch_s: float = math.nan
    text: str = ""


def order_text(v: Verdict) -> str:
    """A staff-readable sentence of a verdict (also an engage order's rejection reason)."""
    if v.text:
        return v.text
    if v.reason == "no_battery_in_reach":
        if math.isfinite(v.nearest_km):
            return (
                f"out of reach: the track's predicted path passes {v.nearest_km:.0f} km from "
                f"the battery at its nearest, the battery's max range is {v.max_range_km:g} km"
            )
        return "out of reach: no feasible intercept within the prediction horizon"
    if v.reason == "no_window_yet":
        return f"no feasible window yet: the earliest launch is at {v.earliest_launch_s:.0f} s"
    if v.reason == "inventory_exhausted":
        return "battery empty: no interceptors left (or only its reserve)"
    if v.reason == "battery_held":
        return "battery held (hold fire): give weapons free first"
    if v.reason == "lower_priority":
        return f"lower priority in the assignment (value {v.value:.3g})"
    return REASON_TEXT[v.reason]


class PairBlock(Protocol):
    """Verdicts of every (battery, track) pair of a block, noted at once
    (:meth:`Verdicts.note_block`): each pair's rank in :data:`REASONS`, and its
    verdict built on demand."""

    @property
    def track_ids(self) -> Sequence[str]:
        """The block's tracks (its columns)."""
        ...

    @property
    def ranks(self) -> NDArray[np.int64]:
        """(battery, track): the rank of the pair's verdict in :data:`REASONS`
        (:data:`NO_VERDICT`: none)."""
        ...

    def verdict(self, i: int, j: int) -> Verdict:
        """The verdict of battery row ``i`` on track column ``j``."""
        ...

    def pair(self, battery_id: str, track_id: str) -> Verdict | None:
        """The verdict of this battery on this track (None: not in the block)."""
        ...


class Verdicts:
    """One command post's notes in one cycle: per (battery, track) and per track the
    outcome closest to a shot.

    ``shown``: the tracks whose row the log shows whatever their verdict (those on
    the post's threat board; None: every track). Off it, a track without a shot in
    reach gets no verdict (no row shows it; :meth:`pair` still says how far).
    """

    def __init__(self, shown: Container[str] | None = None) -> None:
        self.best: dict[str, Verdict] = {}
        self.shown = shown
        # every (battery, track) note and set in order (``True``: a set), and blocks:
        # replayed only when a pair is asked of (an operator's order, a few a run)
        self._pair_log: list[tuple[str, str, Verdict, bool] | PairBlock] = []
        #: tracks worth a shot (a row even when on no board threat)
        self.valued: set[str] = set()
        #: (battery, track) -> (nearest km, max range km) where the reach box missed
        self._far: Callable[[str, str], tuple[float, float] | None] = lambda b, t: None

    def set_far(self, far: Callable[[str, str], tuple[float, float] | None]) -> None:
        """How far each battery's envelope is from each track it does not reach."""
        self._far = far

    def pair(self, battery_id: str, track_id: str) -> Verdict | None:
        """What kept this battery from this track (None if nothing was noted)."""
        v: Verdict | None = None
        for entry in self._pair_log:
            if isinstance(entry, tuple):
                b, tid, new, is_set = entry
                if b != battery_id or tid != track_id:
                    continue
            else:
                got = entry.pair(battery_id, track_id)
                if got is None:
                    continue
                new, is_set = got, False
            if is_set or v is None or _RANK[new.reason] < _RANK[v.reason]:
                v = new
        if v is not None:
            return v
        far = self._far(battery_id, track_id)
        if far is None:
            return None
        return Verdict("no_battery_in_reach", battery_id, nearest_km=far[0], max_range_km=far[1])

    def note(self, track_id: str, verdict: Verdict) -> None:
        """Note a verdict on a track (a battery's, if ``battery_id``); the closest to a
        shot wins, the first of equals stays."""
        if verdict.battery_id is not None:
            self._pair_log.append((verdict.battery_id, track_id, verdict, False))
        old = self.best.get(track_id)
        if old is None or _RANK[verdict.reason] < _RANK[old.reason]:
            self.best[track_id] = verdict

    def note_block(self, block: PairBlock) -> None:
        """Note every pair of a block: the same as noting its battery rows in turn
        (per track the first of the closest to a shot wins), one verdict per track
        built."""
        self._pair_log.append(block)
        ranks = block.ranks
        if not ranks.size:
            return
        first = np.argmin(ranks, axis=0)  # the first battery of the best rank
        top = ranks[first, np.arange(ranks.shape[1])]
        noted = np.flatnonzero(top < NO_VERDICT)  # the tracks with some verdict
        best, tids = self.best, block.track_ids
        for j, rank, i in zip(
            noted.tolist(), top[noted].tolist(), first[noted].tolist(), strict=True
        ):
            old = best.get(tids[j])
            if old is None or rank < _RANK[old.reason]:
                best[tids[j]] = block.verdict(i, j)

    def why_not(self, battery_id: str, track_id: str) -> str | None:
        """Why an order for this battery on this track cannot be carried out, in a
        staff's words (None: nothing noted that says so)."""
        v = self.pair(battery_id, track_id)
        if v is not None:
            return order_text(v)
        best = self.best.get(track_id)
        if best is None:
            return "track not held or not a threat to a defended asset"
        if best.reason in ("killed", "no_asset_threatened", "not_defended", "consent_pending"):
            return order_text(best)
        return None

    def set(self, track_id: str, verdict: Verdict) -> None:
        """The track's outcome is this, whatever was noted before (an assignment, an
        order out, a question asked this cycle)."""
        self.best[track_id] = verdict
        if verdict.battery_id is not None:
            self._pair_log.append((verdict.battery_id, track_id, verdict, True))


@functools.lru_cache(maxsize=4096)
def plain_verdict(reason: Reason, battery_id: str | None) -> Verdict:
    """The verdict with no detail of this reason and battery (one object serves every
    pair: verdicts are values, never changed)."""
    return Verdict(reason, battery_id)


@dataclass(frozen=True)
class PlainVerdicts:
    """A :class:`PairBlock` of verdicts with no detail: per (battery, track) a reason
    (its rank, :data:`NO_VERDICT` for none) and the battery."""

    battery_ids: Sequence[str]
    track_ids: Sequence[str]
    ranks: NDArray[np.int64]

    def verdict(self, i: int, j: int) -> Verdict:
        return plain_verdict(REASONS[int(self.ranks[i, j])], self.battery_ids[i])

    def pair(self, battery_id: str, track_id: str) -> Verdict | None:
        i = next((i for i, b in enumerate(self.battery_ids) if b == battery_id), -1)
        j = next((j for j, tid in enumerate(self.track_ids) if tid == track_id), -1)
        if i < 0 or j < 0 or self.ranks[i, j] == NO_VERDICT:
            return None
        return self.verdict(i, j)


@dataclass(frozen=True)
class ThreatsHeld:
    """A post's threat board at a decision time: its open threats and which of its
    picture tracks (by picture number) belong to which threat."""

    open_ids: tuple[str, ...] = ()
    by_picture: Mapping[int, str] = field(default_factory=dict)


def threats_held(threats: Iterable[object], picture_of: Mapping[int, int]) -> ThreatsHeld:
    """Open board threats (``Threat`` objects of :mod:`skyweave.warning.threats`) and
    their picture numbers (``picture_of``: own track id -> picture number)."""
    ids: list[str] = []
    by_picture: dict[int, str] = {}
    for t in threats:
        tid = str(t.threat_id)  # type: ignore[attr-defined]
        ids.append(tid)
        number = t.picture_number  # type: ignore[attr-defined]
        if number is not None:
            by_picture.setdefault(int(number), tid)
        for k in t.live_tracks:  # type: ignore[attr-defined]
            n = picture_of.get(int(k))
            if n is not None:
                by_picture.setdefault(int(n), tid)
    return ThreatsHeld(tuple(ids), by_picture)


class DecisionRow(NamedTuple):
    """One row of ``decisions.parquet`` (a named tuple: a long run makes millions)."""

    time_s: float
    cycle: int
    command_post: str
    threat_id: str
    track_id: str | None
    verdict: Verdict


_NO_BOARD = ThreatsHeld()


def cycle_rows(
    time_s: float,
    cycle: int,
    post: str,
    verdicts: Verdicts,
    held: ThreatsHeld | None,
    valued: Iterable[str] = (),
) -> list[DecisionRow]:
    """The cycle's rows for one post: each open board threat (its best track's
    outcome, ``not_tracked`` without one), then each track in ``valued`` (tracks worth
    a shot) that belongs to no board threat."""
    board = held if held is not None else _NO_BOARD
    # the post's own track ids are ``post:number`` (numbers written as ints), so one
    # lookup by id finds what parsing the number would
    by_track = {f"{post}:{n}": threat for n, threat in board.by_picture.items()}
    by_threat: dict[str, tuple[str, Verdict]] = {}
    loose: list[tuple[str, Verdict]] = []
    valued_set = valued if isinstance(valued, set) else set(valued)
    for track_id, v in verdicts.best.items():
        threat = by_track.get(track_id)
        if threat is None:
            if track_id in valued_set or v.reason in _ALWAYS_SHOWN:
                loose.append((track_id, v))
            continue
        old = by_threat.get(threat)
        if old is None or _RANK[v.reason] < _RANK[old[1].reason]:
            by_threat[threat] = (track_id, v)
    rows = []
    untracked = Verdict("not_tracked")  # (verdicts are values: one serves every row)
    for threat in board.open_ids:
        got = by_threat.get(threat)
        if got is None:
            rows.append(DecisionRow(time_s, cycle, post, threat, None, untracked))
        else:
            rows.append(DecisionRow(time_s, cycle, post, threat, got[0] or None, got[1]))
    rows += [DecisionRow(time_s, cycle, post, tid, tid, v) for tid, v in loose]
    return rows


#: outcomes of a picture track shown even when it is on no board threat and not valued
_ALWAYS_SHOWN = frozenset(("assigned", "engaged", "consent_pending", "order_unacknowledged"))

DECISIONS_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("cycle", pa.int64()),
        ("command_post", pa.string()),
        ("threat_id", pa.string()),
        ("track_id", pa.string()),
        ("reason", pa.string()),
        ("battery_id", pa.string()),
        ("shots", pa.int64()),
        ("intercept_time_s", pa.float64()),
        ("kill_probability", pa.float64()),
        ("value", pa.float64()),
        ("nearest_km", pa.float64()),
        ("max_range_km", pa.float64()),
        ("earliest_launch_s", pa.float64()),
        ("text", pa.string()),
    ]
)


def decisions_table(rows: Sequence[DecisionRow]) -> pa.Table:
    """``decisions.parquet``: one row per decision cycle, command post and threat held."""
    verdicts = [r.verdict for r in rows]
    cols: dict[str, list[object]] = {
        "time_s": [r.time_s for r in rows],
        "cycle": [r.cycle for r in rows],
        "command_post": [r.command_post for r in rows],
        "threat_id": [r.threat_id for r in rows],
        "track_id": [r.track_id for r in rows],
        "reason": [v.reason for v in verdicts],
        "battery_id": [v.battery_id for v in verdicts],
        "shots": [v.shots for v in verdicts],
        "intercept_time_s": [v.intercept_time_s for v in verdicts],
        "kill_probability": [v.kill_probability for v in verdicts],
        "value": [v.value for v in verdicts],
        "nearest_km": [v.nearest_km for v in verdicts],
        "max_range_km": [v.max_range_km for v in verdicts],
        "earliest_launch_s": [v.earliest_launch_s for v in verdicts],
        "text": [order_text(v) if v.reason != "assigned" else v.text for v in verdicts],
    }
    return pa.table(
        {f.name: pa.array(cols[f.name], f.type) for f in DECISIONS_SCHEMA},
        schema=DECISIONS_SCHEMA,
    )


def reason_counts(rows: Iterable[DecisionRow]) -> dict[str, int]:
    """Rows per outcome, every outcome of the vocabulary listed (zeros included)."""
    out: dict[str, int] = dict.fromkeys(REASONS, 0)
    for r in rows:
        out[r.verdict.reason] += 1
    return out


#: a refused order's reason (engagement model, decision stage) in the vocabulary
_REFUSALS: dict[str, Reason] = {
    "awaiting kill assessment": "engaged",
    "track assessed killed": "killed",
    "no interceptors": "inventory_exhausted",
    "reserve kept": "inventory_exhausted",
    "fire channels busy": "battery_busy",
    "launchers busy": "battery_busy",
    "hold fire": "battery_held",
    "window closed awaiting consent": "no_battery_in_reach",
    "not ordered: no track or battery": "not_tracked",
    "threat no longer evaluated": "no_asset_threatened",
    "order arrived too late": "no_battery_in_reach",
    "battery reverted to its own command post": "command_post_silent",
    "look-shoot delegated to the battery's post": "engaged",
}


def refusal_reason(text: str) -> Reason:
    """The vocabulary's reason for a refused order's text (``battery_busy`` if unknown)."""
    return _REFUSALS.get(text, "battery_busy")


def reasons_markdown() -> str:
    """The vocabulary as a Markdown table (README, scenario reference)."""
    lines = ["| reason | meaning |", "| --- | --- |"]
    lines += [f"| `{r}` | {REASON_TEXT[r]} |" for r in REASONS]
    return "\n".join(lines)


__all__ = [
    "DECISIONS_SCHEMA",
    "REASONS",
    "REASON_TEXT",
    "NO_VERDICT",
    "DecisionRow",
    "PairBlock",
    "PlainVerdicts",
    "Reason",
    "ThreatsHeld",
    "Verdict",
    "Verdicts",
    "cycle_rows",
    "decisions_table",
    "order_text",
    "plain_verdict",
    "reason_counts",
    "reason_rank",
    "reasons_markdown",
    "refusal_reason",
    "threats_held",
]
