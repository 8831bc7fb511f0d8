"""The pair matrix built for every ready battery at once against the form it replaced
(each battery, then each track, tested one by one), on every cycle of a real run."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from skyweave.c2.coalition_status import BatteryReport
from skyweave.c2.decision_log import Reason, Verdict, Verdicts
from skyweave.c2.feasibility import EngagementWindows
from skyweave.c2.pairs import MIN_COVERAGE, PairMatrix, PairRules
from skyweave.engagement import salvo_kill_probability
from skyweave.scenario.load import load_scenario
from skyweave.scenario.schema import Battery
from skyweave.simulation import run_scenario
from skyweave.tracking.fusion import FusedPicture

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _one_by_one(
    rules: PairRules,
    batteries: Sequence[Battery],
    told_of: Mapping[str, BatteryReport | None],
    waiting_bty: Collection[str],
    picture: FusedPicture,
    idx: np.ndarray,
    sel: np.ndarray,
    ids: Sequence[str],
    coverage: np.ndarray,
    kinds: Sequence[str],
    windows: EngagementWindows,
    can_look: np.ndarray,
    value: np.ndarray,
    nearest_m: np.ndarray,
    t: float,
    verdicts: Verdicts,
) -> PairMatrix:
    """PairRules.matrix as it was: every pair tested and noted in turn."""
    model = rules.model
    m, n = len(batteries), sel.size
    out = PairMatrix(
        np.zeros((m, n)),
        np.zeros((m, n), dtype=np.int64),
        np.zeros((m, n), dtype=bool),
        np.zeros((m, n), dtype=bool),
        np.zeros((m, n), dtype=bool),
    )
    tids = [ids[s] for s in sel.tolist()]
    rows = idx[sel]
    for i, b in enumerate(batteries):
        st = model.states[b.id]
        told = told_of.get(b.id)
        if b.id in waiting_bty or (told is None and st.free_channels(t) < 1):
            for tid in tids:
                verdicts.note(tid, Verdict("battery_busy", b.id))
            continue
        col = picture.origins.index(b.partner) if b.partner in picture.origins else -1
        held = (picture.contributor_id[rows, col] >= 0).tolist() if col >= 0 else [False] * n
        go = 0 if told is None else 1
        at = rules.consent_launch[b.partner] + go
        d, o = rules.defends[b.partner], rules.own_assets[b.partner]
        feasible = windows.feasible[i]
        n_launch = feasible.shape[-1]
        awaiting, killed = model.blocked_tracks(b.id, tids, t)
        for j, tid in enumerate(tids):
            why: Reason | None = None
            use_reserve = bool(coverage[j, o].sum() >= MIN_COVERAGE)
            k = min(
                st.doctrine_shots(),
                st.usable(use_reserve)
                if told is None
                else (told.inventory if use_reserve else told.inventory - st.reserve),
            )
            if (b.id, tid) in rules.refused:
                why = "consent_denied"
            elif not bool(coverage[j, d].sum() >= MIN_COVERAGE):
                why = "not_defended"
            elif not (held[j] or rules.rules[b.partner].engage_on_remote):
                why = "remote_track_only"
            elif awaiting[j]:
                why = "engaged"
            elif killed[j]:
                why = "killed"
            elif k < 1:
                why = "inventory_exhausted"
            elif told is None and st.free_launchers(t) < k:
                why = "battery_busy"
            if why is not None:
                verdicts.note(tid, Verdict(why, b.id))
                continue
            p_kill = salvo_kill_probability(st.pk(kinds[j]), k)
            now_f = go < n_launch and bool(feasible[j, go])
            at_f = at < n_launch and bool(feasible[j, at])
            out.shots[i, j], out.reserve[i, j] = k, use_reserve
            out.now_ok[i, j] = now_f and p_kill > 0.0
            out.later_ok[i, j] = bool(feasible[j, go + 1 :].any()) and p_kill > 0.0
            if p_kill <= 0.0:
                verdicts.note(tid, Verdict("no_kill_probability", b.id))
            elif at_f and not can_look[j]:
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
            elif at_f:
                verdicts.note(tid, Verdict("engaged", b.id))
            elif at < n_launch and feasible[j, at:].any():
                first = at + int(np.argmax(feasible[j, at:]))
                launch_s = float(windows.launch_times_s[first])
                verdicts.note(tid, Verdict("no_window_yet", b.id, earliest_launch_s=launch_s))
            else:
                verdicts.note(
                    tid,
                    Verdict(
                        "no_battery_in_reach",
                        b.id,
                        nearest_km=float(nearest_m[i, sel[j]]) / 1e3,
                        max_range_km=b.max_range_km,
                    ),
                )
    return out


@pytest.mark.parametrize("mode", ["shared-warning", "integrated"])
def test_pair_matrix_is_the_one_by_one_form(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = PairRules.matrix
    seen = {"calls": 0, "pairs": 0}

    def both(self: PairRules, *args: object) -> PairMatrix:
        *head, verdicts = args
        ref_verdicts, fast_verdicts = Verdicts(), Verdicts()
        ref = _one_by_one(self, *head, ref_verdicts)  # type: ignore[arg-type]
        got = fast(self, *head, fast_verdicts)  # type: ignore[arg-type]
        for name in ("pk", "shots", "reserve", "now_ok", "later_ok"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
        assert fast_verdicts.best == ref_verdicts.best
        batteries, sel, ids = head[0], head[5], head[6]
        for b in batteries:  # type: ignore[attr-defined]
            for s in sel.tolist():  # type: ignore[attr-defined]
                tid = ids[s]  # type: ignore[index]
                assert fast_verdicts.pair(b.id, tid) == ref_verdicts.pair(b.id, tid)
        seen["calls"] += 1
        seen["pairs"] += got.pk.size
        return fast(self, *head, verdicts)  # type: ignore[arg-type]

    monkeypatch.setattr(PairRules, "matrix", both)
    scenario = load_scenario(EXAMPLE)
    run_scenario(scenario.model_copy(update={"coordination_mode": mode}), 1)
    assert seen["calls"] > 20 and seen["pairs"] > seen["calls"]
