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
        n_launch = windows.feasible.shape[-1]
        for i, b in enumerate(batteries):
            st = model.states[b.id]
            # a battery the cell knows only from its status reports (not carrying out an order)
            told = told_of.get(b.id)
            if b.id in waiting_bty or (told is None and st.free_channels(t) < 1):
                for s in sel.tolist():
                    verdicts.note(ids[s], Verdict("battery_busy", b.id))
                continue
            col = picture.origins.index(b.partner) if b.partner in picture.origins else -1
            # the cell's order to another partner's battery crosses the link and is
            # carried out at that battery's next decision time: its launch is a cycle
            # later than ordered (also after a consent that came in)
            go = 0 if told is None else 1
            at = self.consent_launch[b.partner] + go
            for j, s in enumerate(sel.tolist()):
                tid = ids[s]
                why = self.blocked(b, tid, coverage[j], col, picture, int(idx[s]), t)
                if why is not None:
                    verdicts.note(tid, Verdict(why, b.id))
                    continue
                use_reserve = bool(coverage[j, self.own_assets[b.partner]].sum() >= MIN_COVERAGE)
                if told is None:
                    usable = st.usable(use_reserve)
                else:
                    usable = told.inventory - (0 if use_reserve else st.reserve)
                k = min(st.doctrine_shots(), usable)
                if k < 1:
                    verdicts.note(tid, Verdict("inventory_exhausted", b.id))
                    continue
                if told is None and st.free_launchers(t) < k:
                    verdicts.note(tid, Verdict("battery_busy", b.id))
                    continue
                p_kill = salvo_kill_probability(st.pk(kinds[j]), k)
                out.shots[i, j] = k
                out.reserve[i, j] = use_reserve
                feasible = windows.feasible[i, j]
                out.now_ok[i, j] = go < n_launch and bool(feasible[go]) and p_kill > 0.0
                out.later_ok[i, j] = bool(feasible[go + 1 :].any()) and p_kill > 0.0
                if p_kill <= 0.0:
                    verdicts.note(tid, Verdict("no_kill_probability", b.id))
                elif at < n_launch and feasible[at] and not can_look[j]:
                    out.pk[i, j] = p_kill
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
                elif at < n_launch and feasible[at]:
                    verdicts.note(tid, Verdict("engaged", b.id))  # waits for the assessment
                elif at < n_launch and feasible[at:].any():
                    first = at + int(np.argmax(feasible[at:]))
                    launch_s = float(windows.launch_times_s[first])
                    verdicts.note(tid, Verdict("no_window_yet", b.id, earliest_launch_s=launch_s))
                else:
                    verdicts.note(
                        tid,
                        Verdict(
                            "no_battery_in_reach",
                            b.id,
                            nearest_km=float(nearest_m[i, s]) / 1e3,
                            max_range_km=b.max_range_km,
                        ),
                    )
        return out

    def blocked(
        self,
        b: Battery,
        track_id: str,
        coverage: FloatArray,
        col: int,
        picture: FusedPicture,
        row: int,
        t: float,
    ) -> Reason | None:
        """Why this battery may not fire at this track at all (None: it may)."""
        if (b.id, track_id) in self.refused:
            return "consent_denied"
        if coverage[self.defends[b.partner]].sum() < MIN_COVERAGE:
            return "not_defended"
        held = col >= 0 and picture.contributor_id[row, col] >= 0
        if not held and not self.rules[b.partner].engage_on_remote:
            return "remote_track_only"
        if self.model.awaiting_assessment(b.id, track_id, t):
            return "engaged"
        if self.model.assessed_killed(b.id, track_id, t):
            return "killed"
        return None


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
