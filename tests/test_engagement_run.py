"""The kill chain closed in a run: engagements, kills fed back, consent, injects, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pymap3d
import pytest
from click.testing import CliRunner

from short_example import STRAY, short_example
from skyweave.cli import main
from skyweave.engagement import ENGAGEMENT_COLUMNS
from skyweave.engine import Simulation, parse_command
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import BallisticThreat

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
RAID_END_S = 900.0  # the ballistic raid is over by then


@pytest.fixture(scope="module")
def run_dir(example_run: Path) -> Path:
    """The example's run, seed 1 (shared by the session: read only)."""
    return example_run


def _table(run_dir: Path, name: str) -> dict[str, list[Any]]:
    return pq.read_table(run_dir / f"{name}.parquet").to_pydict()


def test_replay_reproduces_every_file_bit_for_bit(run_dir: Path, tmp_path: Path) -> None:
    replay = tmp_path / "replayed"
    result = CliRunner().invoke(
        main, ["run", "--replay", str(run_dir), "--out", str(replay), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == sorted(p.name for p in replay.iterdir())
    assert {"engagements.parquet", "events.parquet", "scenario.json", "summary.json"} <= set(names)
    for name in names:
        assert (run_dir / name).read_bytes() == (replay / name).read_bytes(), name


def test_staff_deny_a_consent_question_live_and_the_battery_holds() -> None:
    # The example's first question to East comes at 1245 s (seed 1): stepping there with
    # a partner view every tick cost most of this file. The example's forces cut to
    # 300 s with only the stray launch on Port Delta ask East the same kind of question
    # (q1 at 200 s, east-bty-1, which the policy grants at its deadline unless denied:
    # test_exercise_rewind.py), so the deny and the hold are checked as before.
    stray = BallisticThreat.model_validate({**STRAY, "launch_time_s": 0.0})
    spec = short_example(300.0).model_copy(update={"threats": [stray]})
    sim = Simulation(spec, 1)
    question = None
    while not sim.done and question is None:
        sim.step()
        open_ = sim.partner_view("east").questions
        question = open_[0] if open_ else None
    assert question is not None, "East is asked for consent on the stray launch"
    assert question.deadline_s == question.asked_s + 5.0  # East's policy: after_delay 5 s
    # the question shows the planned intercept of a launch at the deadline: a straight
    # flyout at the battery's average speed from the battery to the intercept point
    battery = next(b for b in spec.batteries if b.id == question.battery_id)
    site = np.array(pymap3d.geodetic2ecef(battery.lat_deg, battery.lon_deg, battery.alt_m))
    flight_s = question.intercept_time_s - question.deadline_s
    distance_m = float(np.linalg.norm(np.array(question.intercept_ecef_m) - site))
    assert flight_s > 0 and distance_m / flight_s == pytest.approx(battery.flyout_speed_mps, 1e-6)
    deny = parse_command(
        {
            "time_s": sim.time_s + 1.0,
            "seat": "east",
            "kind": "consent",
            "question_id": question.question_id,
            "granted": False,
        }
    )
    assert sim.submit(deny) is None
    sim.run_until(question.deadline_s + 60.0)
    answered = [d for d in sim.decision.decisions if d.question_id == question.question_id]
    assert len(answered) == 1 and not answered[0].granted and answered[0].by == "east"
    assert answered[0].answered_s == deny.time_s
    fired = [
        e
        for e in sim.decision.model.engagements + sim.decision.model.in_flight()
        if e.battery_id == question.battery_id and e.track_id == question.track_id
    ]
    assert fired == []


def test_replay_needs_a_run_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--replay", str(tmp_path)])
    assert result.exit_code == 2
    assert "scenario.json" in result.output and "Traceback" not in result.output
    both = CliRunner().invoke(main, ["run", str(EXAMPLE), "--replay", str(tmp_path)])
    assert both.exit_code == 2 and "--replay" in both.output


def test_engagements_table_and_interceptors_in_truth(run_dir: Path) -> None:
    eng = _table(run_dir, "engagements")
    assert set(ENGAGEMENT_COLUMNS) <= set(eng)
    n = len(eng["time_s"])
    assert n > 0
    batteries = {b.id: b for b in load_scenario(EXAMPLE).batteries}
    for k in range(n):
        b = batteries[eng["battery_id"][k]]
        assert eng["partner"][k] == b.partner
        assert eng["outcome"][k] in ("kill", "miss", "aborted", "in_flight")
        assert eng["intercept_time_s"][k] > eng["time_s"][k]
        assert 1 <= eng["shots"][k] <= (b.salvo_size if b.doctrine == "salvo" else 1)
        # the straight flyout at the battery's average speed reaches the intercept point
        launch = np.array([eng[f"launch_{c}_m"][k] for c in "xyz"])
        point = np.array([eng[f"intercept_{c}_m"][k] for c in "xyz"])
        flight = eng["intercept_time_s"][k] - eng["time_s"][k]
        assert np.linalg.norm(point - launch) / flight == pytest.approx(b.flyout_speed_mps, 1e-6)
    truth = _table(run_dir, "truth")
    interceptors = {
        o
        for o, kind in zip(truth["object_id"], truth["kind"], strict=True)
        if kind == "interceptor"
    }
    assert len(interceptors) == sum(eng["shots"])
    summary = json.loads((run_dir / "summary.json").read_text())["engagement"]
    assert summary["interceptors_used_total"] == sum(eng["shots"])
    assert summary["engagements"] == n
    assert summary["decision_cycles"] > 0


def test_kills_feed_back_into_truth_and_sensors(run_dir: Path) -> None:
    eng = _table(run_dir, "engagements")
    killed = {
        o: t
        for o, t, out in zip(eng["object_id"], eng["intercept_time_s"], eng["outcome"], strict=True)
        if out == "kill"
    }
    assert killed, "the example kills something"
    truth = _table(run_dir, "truth")
    det = _table(run_dir, "detections")
    for obj, t_kill in killed.items():
        after = [
            t
            for t, o in zip(truth["time_s"], truth["object_id"], strict=True)
            if o == obj and t > t_kill
        ]
        assert after == []
        seen_after = [
            t
            for t, o in zip(det["time_s"], det["object_id"], strict=True)
            if o == obj and t > t_kill
        ]
        assert seen_after == []
    summary = json.loads((run_dir / "summary.json").read_text())
    ends = {t["object_id"]: t for t in summary["threats"]}
    expected_leakers = sorted(
        o for o, t in ends.items() if t["kind"] in ("ballistic", "cruise") and o not in killed
    )
    assert sorted(summary["engagement"]["leaker_ids"]) == expected_leakers
    # an engagement at an object already killed is aborted, never a second kill
    assert len(killed) == summary["engagement"]["outcomes"]["kill"]


def test_consent_decisions_recorded_with_their_times(run_dir: Path) -> None:
    ev = _table(run_dir, "events")
    rows = [
        (t, k, b, text)
        for t, src, k, b, text in zip(
            ev["time_s"], ev["source"], ev["kind"], ev["target"], ev["text"], strict=True
        )
        if src == "c2"
    ]
    assert rows
    delay = {p.id: p.engagement.consent for p in load_scenario(EXAMPLE).partners}
    for t, kind, _battery, text in rows:
        assert kind in ("consent_granted", "consent_denied")
        fields = dict(part.split("=", 1) for part in text.split())
        asked = float(fields["asked_s"])
        rule = delay[fields["partner"]]
        wait = rule.delay_s if rule.policy == "after_delay" else 0.0
        assert t == pytest.approx(asked + wait)
    eng = _table(run_dir, "engagements")
    granted = sum(k == "consent_granted" for _, k, _, _ in rows)
    assert len(eng["time_s"]) <= granted


def test_an_assessed_kill_ends_the_threat_at_once(run_dir: Path) -> None:
    # Before, a killed threat's all-clear waited for its predicted impact time plus
    # its uncertainty; the kill assessment reaching the command post now ends the
    # threat on its board: one engagement_result row, "kill".
    eng = _table(run_dir, "engagements")
    alerts = _table(run_dir, "alerts")
    kills = [
        (p, a)
        for p, a, out, kind in zip(
            eng["partner"],
            eng["assessment_time_s"],
            eng["outcome"],
            eng["threat_class"],
            strict=True,
        )
        if out == "kill" and kind == "ballistic"
    ]
    assert kills, "the example kills ballistic threats"
    clears = [
        (p, t)
        for p, o, t, k, change in zip(
            alerts["partner"],
            alerts["origin_partner"],
            alerts["time_s"],
            alerts["alert_kind"],
            alerts["change"],
            strict=True,
        )
        if k == "engagement_result" and change.startswith("kill") and p == o
    ]
    step_s = load_scenario(EXAMPLE).time_step_s
    for partner, assessed_s in kills:
        assert any(p == partner and assessed_s <= t <= assessed_s + step_s for p, t in clears), (
            partner,
            assessed_s,
        )
