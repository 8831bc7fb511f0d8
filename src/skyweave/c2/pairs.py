"""Which battery may fire at which threat in one decision cycle, and why not.

:class:`PairRules` holds a run's rules per battery and partner (whom it may defend,
whether it fires on another partner's tracks, its reserve, its consent delay) and
builds, per decision cycle, the matrices the weapon-target assignment works on
(:class:`PairMatrix`), noting for the decision log
(:mod:`skyweave.c2.decision_log`) what kept each battery from each track.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.coalition_status import BatteryReport
from skyweave.c2.decision_log import Reason, Verdict, Verdicts
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
        rows = idx[sel]
        flags = _CoverageFlags(coverage, self.defends, self.own_assets)
        for i, b in enumerate(batteries):
            st = model.states[b.id]
            # a battery the cell knows only from its status reports (not carrying out an order)
            told = told_of.get(b.id)
            if b.id in waiting_bty or (told is None and st.free_channels(t) < 1):
                busy = Verdict("battery_busy", b.id)  # (verdicts are values: one serves all)
                for tid in tids:
                    verdicts.note(tid, busy)
                continue
            col = picture.origins.index(b.partner) if b.partner in picture.origins else -1
            held = (picture.contributor_id[rows, col] >= 0).tolist() if col >= 0 else [False] * n
            self._battery_row(
                out,
                i,
                b,
                told,
                tids,
                held,
                flags,
                kinds,
                windows,
                can_look,
                value,
                nearest_m,
                t,
                verdicts,
                sel,
            )
        return out

    def _battery_row(
        self,
        out: PairMatrix,
        i: int,
        b: Battery,
        told: BatteryReport | None,
        tids: Sequence[str],
        held: Sequence[bool],
        flags: _CoverageFlags,
        kinds: Sequence[str],
        windows: EngagementWindows,
        can_look: BoolArray,
        value: FloatArray,
        nearest_m: FloatArray,
        t: float,
        verdicts: Verdicts,
        sel: IntArray,
    ) -> None:
        """Row ``i`` of :meth:`matrix`: one ready battery against every valued track."""
        st = self.model.states[b.id]
        # the cell's order to another partner's battery crosses the link and is
        # carried out at that battery's next decision time: its launch is a cycle
        # later than ordered (also after a consent that came in)
        go = 0 if told is None else 1
        at = self.consent_launch[b.partner] + go
        # per battery, not per pair: nothing below changes within one cycle's matrix
        doctrine = st.doctrine_shots()
        free_launchers = st.free_launchers(t) if told is None else 0
        defended, reserve_ok = flags.of(b.partner)
        remote_ok = self.rules[b.partner].engage_on_remote
        feasible = windows.feasible[i]  # (K, L)
        n_launch = feasible.shape[-1]
        now_f = (feasible[:, go] if go < n_launch else np.zeros(len(tids), bool)).tolist()
        later_f = feasible[:, go + 1 :].any(axis=-1).tolist()
        at_f = (feasible[:, at] if at < n_launch else np.zeros(len(tids), bool)).tolist()
        tail = feasible[:, at:] if at < n_launch else feasible[:, :0]
        waits = tail.any(axis=-1).tolist()  # a feasible launch at ``at`` or later
        first = (at + np.argmax(tail, axis=-1)).tolist() if tail.shape[-1] else []
        nearest_row = nearest_m[i, sel].tolist()
        if told is None:
            usable_of = {True: st.usable(True), False: st.usable(False)}
        else:
            usable_of = {True: told.inventory, False: told.inventory - st.reserve}
        n = len(tids)
        p_kills: dict[tuple[str, int], float] = {}
        # the row's plain verdicts, one of each (verdicts are values, never changed)
        plain: dict[Reason, Verdict] = {}
        # the row as lists, written into the matrices at once
        shots, reserve, now_ok, later_ok = [0] * n, [False] * n, [False] * n, [False] * n
        pk = [0.0] * n
        blocked = _blocked(
            self.refused,
            b.id,
            tids,
            defended,
            [h or remote_ok for h in held],
            *self.model.blocked_tracks(b.id, tids, t),
        )
        for j, tid in enumerate(tids):
            why = blocked[j]
            if why is None:
                use_reserve = reserve_ok[j]
                k = min(doctrine, usable_of[use_reserve])
                if k < 1:
                    why = "inventory_exhausted"
                elif told is None and free_launchers < k:
                    why = "battery_busy"
            if why is not None:
                v = plain.get(why)
                if v is None:
                    v = plain[why] = Verdict(why, b.id)
                verdicts.note(tid, v)
                continue
            p_kill = p_kills.get((kinds[j], k))
            if p_kill is None:
                p_kill = p_kills[kinds[j], k] = salvo_kill_probability(st.pk(kinds[j]), k)
            shots[j] = k
            reserve[j] = use_reserve
            now_ok[j] = now_f[j] and p_kill > 0.0
            later_ok[j] = later_f[j] and p_kill > 0.0
            if p_kill <= 0.0:
                verdicts.note(tid, Verdict("no_kill_probability", b.id))
            elif at_f[j] and not can_look[j]:
                pk[j] = p_kill
                verdicts.note(
                    tid,
                    Verdict(
                        "lower_priority",
                        b.id,
                        shots=k,
                        intercept_time_s=float(windows.intercept_time_s[i, j, at]),
                        kill_probability=p_kill,
                        value=float(value[j]),
                    ),
                )
            elif at_f[j]:
                verdicts.note(tid, Verdict("engaged", b.id))  # waits for the assessment
            elif waits[j]:
                launch_s = float(windows.launch_times_s[first[j]])
                verdicts.note(tid, Verdict("no_window_yet", b.id, earliest_launch_s=launch_s))
            else:
                verdicts.note(
                    tid,
                    Verdict(
                        "no_battery_in_reach",
                        b.id,
                        nearest_km=nearest_row[j] / 1e3,
                        max_range_km=b.max_range_km,
                    ),
                )
        out.shots[i], out.reserve[i], out.pk[i] = shots, reserve, pk
        out.now_ok[i], out.later_ok[i] = now_ok, later_ok


def _blocked(
    refused: set[tuple[str, str]],
    battery_id: str,
    tids: Sequence[str],
    defended: Sequence[bool],
    may_fire_on: Sequence[bool],
    awaiting: Sequence[bool],
    killed: Sequence[bool],
) -> list[Reason | None]:
    """Per track: why the battery may not fire at it at all (None: it may).

    ``refused``: the (battery, track) pairs whose consent was denied; ``defended``:
    the track threatens assets the battery's partner may defend; ``may_fire_on``: the
    partner holds the track or engages on remote tracks; ``awaiting``, ``killed``: as
    :meth:`EngagementModel.blocked_tracks` answers.
    """
    out: list[Reason | None] = []
    for tid, d, m, a, k in zip(tids, defended, may_fire_on, awaiting, killed, strict=True):
        if (battery_id, tid) in refused:
            out.append("consent_denied")
        elif not d:
            out.append("not_defended")
        elif not m:
            out.append("remote_track_only")
        elif a:
            out.append("engaged")
        elif k:
            out.append("killed")
        else:
            out.append(None)
    return out


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
        self._flags: dict[str, tuple[list[bool], list[bool]]] = {}

    def of(self, partner: str) -> tuple[list[bool], list[bool]]:
        flags = self._flags.get(partner)
        if flags is None:
            cov, d, o = self.coverage, self.defends[partner], self.own_assets[partner]
            flags = self._flags[partner] = (
                [bool(cov[j, d].sum() >= MIN_COVERAGE) for j in range(cov.shape[0])],
                [bool(cov[j, o].sum() >= MIN_COVERAGE) for j in range(cov.shape[0])],
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
