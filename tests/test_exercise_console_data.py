"""What the staff consoles are sent, without a browser: a late consent answer refused at
once with its reason, a scheduled inject stamped at its time with its expected response
assessed from the log, the white cell's outcome feed, its messages to one seat, the
consent question's context and the base map as local GeoJSON."""

from __future__ import annotations

from typing import Any

import pytest

from short_example import STRAY, short_example
from skyweave.exercise.injects import assess
from skyweave.exercise.session import ClockError, ExerciseSession
from skyweave.io.report_timeline import inject_spans, played_commands, played_injects
from skyweave.scenario.schema import Scenario


def _with_east_delay(scenario: Scenario, delay_s: float) -> Scenario:
    partners = []
    for p in scenario.partners:
        if p.id == "east":
            consent = p.engagement.consent.model_copy(update={"delay_s": delay_s})
            p = p.model_copy(
                update={"engagement": p.engagement.model_copy(update={"consent": consent})}
            )
        partners.append(p)
    return scenario.model_copy(update={"partners": partners})


def _session(duration_s: float = 300.0, east_delay_s: float = 100.0) -> Any:
    session = ExerciseSession(_with_east_delay(short_example(duration_s), east_delay_s), seed=1)
    seats = {s.name: s for s in session.seats.values()}
    session.command(seats["white"], {"kind": "inject", "threat": STRAY})
    return session, seats


def test_a_consent_answer_after_the_deadline_is_refused_at_once_with_the_reason() -> None:
    session, seats = _session()
    with session.lock:
        while not session.sim.partner_view("east").questions:
            session.sim.step()
        [question] = session.sim.partner_view("east").questions
        frame = session.frame(seats["east"])
        session.sim.run_until(question.deadline_s + 5.0)  # the policy answers it
    [asked] = frame["questions"]
    assert asked["pk_by_class"] == {"ballistic": 0.75, "cruise": 0.85, "aircraft": 0.85}
    assert asked["inventory"] == 12 and asked["shots"] == 1
    with pytest.raises(ClockError, match="already granted by the policy at the deadline"):
        session.command(
            seats["east"],
            {"kind": "consent", "question_id": question.question_id, "granted": False},
        )


def test_a_scheduled_inject_fires_at_its_time_and_its_response_is_assessed() -> None:
    session, seats = _session()
    cut = {"kind": "link_cut", "target": "north-east", "text": "cable"}
    expected = "east message within 60 s"
    command = session.command(
        seats["white"], {"kind": "inject", "inject": cut, "at_s": 30, "expected_response": expected}
    )
    assert command.time_s == 30.0

    def row() -> dict[str, Any]:
        [r] = [r for r in session.frame(seats["white"])["injects"] if "link_cut" in r["what"]]
        return r

    assert row()["status"] == "scheduled"
    with session.lock:
        session.sim.run_until(40.0)
    assert row()["status"] == "waiting" and row()["time_s"] == 30.0
    session.command(seats["east"], {"kind": "message", "to": "north", "text": "link down"})
    with session.lock:
        session.sim.run_until(45.0)
    assert row()["status"] == "met" and row()["response_s"] == 41.0
    with pytest.raises(Exception, match="only the white cell schedules"):
        session.command(seats["east"], {"kind": "note", "text": "x", "at_s": 100})


def test_expected_responses_are_met_late_not_met_or_left_to_the_white_cell() -> None:
    from skyweave.engine.commands import Command

    said = [Command(100.0, "east", "message", {"to": "north", "text": "x"})]
    assert assess(50.0, "east message within 60 s", said, 200.0) == ("met", 100.0)
    assert assess(10.0, "east message within 60 s", said, 200.0) == ("late", 100.0)
    assert assess(150.0, "east message within 60 s", said, 200.0) == ("waiting", None)
    assert assess(150.0, "east message within 30 s", said, 200.0) == ("not met", None)
    assert assess(150.0, "east message within 60 s", said, 160.0, final=True)[0] == "not met"
    assert assess(0.0, "East should warn North", said, 200.0)[0] == "for the white cell to judge"


def test_the_white_cell_sees_outcomes_and_messages_reach_their_seat_only() -> None:
    session, seats = _session()
    session.command(seats["white"], {"kind": "note", "text": "to east: hold your fire"})
    with session.lock:
        session.sim.run_until(250.0)
    white = session.frame(seats["white"])
    kinds = {o["kind"] for o in white["outcomes"]}
    assert {"launch", "consent"} <= kinds
    assert any(o["text"].startswith("wc-1: ballistic (accidental)") for o in white["outcomes"])
    times = [o["time_s"] for o in white["outcomes"]]
    assert times == sorted(times, reverse=True) and max(times) <= 250.0
    east = session.frame(seats["east"])["messages"]
    assert [(m["from"], m["text"]) for m in east] == [("white", "hold your fire")]
    assert session.frame(seats["north"])["messages"] == []


def test_the_setup_carries_the_base_map_as_geojson_and_the_epoch() -> None:
    session, seats = _session()
    setup = session.setup(seats["east"])
    assert setup["epoch_utc"] == "2026-03-14T06:00:00Z"
    geo = setup["geo"]
    assert len(geo["land"]["features"]) > 10 and len(geo["coast"]["features"]) > 10
    assert all(f["geometry"]["type"] == "Polygon" for f in geo["land"]["features"])
    labels = {f["properties"]["label"] for f in geo["graticule"]["features"]}
    assert {"135°E", "30°S"} <= labels


def test_the_report_lists_live_injects_notes_and_assessed_responses(tmp_path: Any) -> None:
    session = ExerciseSession(short_example(120.0), seed=1)
    seats = {s.name: s for s in session.seats.values()}
    cut = {"kind": "link_cut", "target": "north-east", "text": "cable cut"}
    session.command(
        seats["white"],
        {
            "kind": "inject",
            "inject": cut,
            "at_s": 20,
            "expected_response": "east message within 30 s",
        },
    )
    session.command(seats["white"], {"kind": "note", "text": "bookmark: the cut"})
    with session.lock:
        session.sim.run_until(60.0)
    session.command(seats["east"], {"kind": "message", "to": "north", "text": "late word"})
    with session.lock:
        session.sim.run_until(70.0)
    folder = session.end(tmp_path / "run")
    html = (folder / "report.html").read_text()
    injects = html[html.index('<section id="injects">') :]
    injects = injects[: injects.index("</section>")]
    assert "06:00:20Z" in injects and "link cut" in injects and "north-east" in injects
    assert "east message within 30 s" in injects and "late at 06:01:01Z" in injects
    assert "bookmark: the cut" in injects and "East Sensor Failure" not in injects
    # the timeline draws the live cut as an outage from its time, and the note
    played = played_injects(played_commands(folder))
    spans, notes = inject_spans(session.scenario, 120.0, played)
    assert [(s.label, s.start_s, s.end_s) for s in spans if s.target == "north-east"] == [
        ("north-east cut", 20.0, 120.0)
    ]
    assert [n.text for n in notes if n.kind == "note"][-1] == "bookmark: the cut"
