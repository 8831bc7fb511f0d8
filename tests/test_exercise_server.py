"""The live exercise's server: seats and tokens, what each partner is sent, the clock,
and a played exercise replayed bit for bit (Starlette's test client, no browser)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from replays import assert_replays_bit_for_bit  # noqa: E402
from short_example import STRAY, short_example  # noqa: E402
from skyweave.exercise.pacing import Pacer  # noqa: E402
from skyweave.exercise.server import create_app  # noqa: E402
from skyweave.exercise.session import ExerciseSession  # noqa: E402
from skyweave.scenario.schema import Scenario  # noqa: E402
from skyweave.warning.alerts import concat_alerts  # noqa: E402


#: an accidental launch close to Port Delta: alerts within a minute, East's consent at ~205 s
def short_scenario(duration_s: float = 300.0) -> Scenario:
    """The shipped example cut to its first ``duration_s`` (threat times as they are)."""
    return short_example(duration_s)


def _tokens(session: ExerciseSession) -> dict[str, str]:
    return {seat.name: token for token, seat in session.seats.items()}


@pytest.fixture
def served(tmp_path: Path) -> Any:
    session = ExerciseSession(short_scenario(), seed=1, rate=10.0)
    app = create_app(session, tmp_path / "run", frame_period_s=0.005)
    with TestClient(app) as client:
        yield session, client, _tokens(session), tmp_path
    session.stop_pacing()


def test_no_token_no_data(served: Any) -> None:
    session, client, tokens, _ = served
    for path in ("/api/setup", "/api/frame", "/api/frame?token=not-a-seat"):
        assert client.get(path).status_code == 401
    assert client.post("/api/command", json={"kind": "note", "text": "x"}).status_code == 401
    assert client.post("/api/clock?token=nope", json={"action": "start"}).status_code == 401
    for url in ("/ws", "/ws?token=nope"):
        with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect(url) as ws:
            ws.receive_json()
        assert exc.value.code == 4401
    # a valid token opens its seat
    assert client.get(f"/api/setup?token={tokens['north']}").json()["partner"] == "north"


def test_a_partner_cannot_act_as_white_or_another_partner(served: Any) -> None:
    session, client, tokens, _ = served
    north, observer = tokens["north"], tokens["observer"]
    forbidden = [
        ("/api/clock", {"action": "start"}),
        ("/api/clock", {"action": "pause"}),
        ("/api/end", {}),
        ("/api/command", {"kind": "inject", "threat": STRAY}),
        (
            "/api/command",
            {"kind": "inject", "inject": {"kind": "link_cut", "target": "north-east"}},
        ),
        ("/api/command", {"kind": "note", "text": "hi", "seat": "white"}),
        ("/api/command", {"kind": "note", "text": "hi", "seat": "east"}),
        ("/api/command", {"kind": "hold_fire", "partner": "east"}),
        ("/api/command", {"kind": "weapons_free", "battery": "east-bty-1"}),
        ("/api/command", {"kind": "engage", "battery": "east-bty-2", "track": "north:1"}),
    ]
    for path, body in forbidden:
        r = client.post(f"{path}?token={north}", json=body)
        assert r.status_code == 403, (path, body, r.text)
    r = client.post(f"/api/command?token={observer}", json={"kind": "note", "text": "x"})
    assert r.status_code == 403
    r = client.post(
        f"/api/command?token={tokens['white']}",
        json={"kind": "consent", "question_id": "q1", "granted": True},
    )
    assert r.status_code == 403  # the white cell injects and notes; staffs answer
    # nothing refused reached the engine
    assert session.sim._pending == [c for c in session.sim._pending if c.scripted]
    # a partner's own order is accepted, stamped with the seat and the next tick
    r = client.post(
        f"/api/command?token={north}", json={"kind": "hold_fire", "battery": "north-bty-2"}
    )
    assert r.status_code == 202 and r.json()["time_s"] == 0.0
    mine = [c for c in session.sim._pending if not c.scripted]
    assert [(c.seat, c.kind, c.time_s) for c in mine] == [("north", "hold_fire", 0.0)]


def _check_partner_frame(frame: dict[str, Any], session: ExerciseSession, partner: str) -> None:
    """Every track, alert, question, battery and engagement in ``frame`` is one the
    partner's own view holds now (the view built here, independently of the frame)."""
    sim = session.sim
    assert frame["clock"]["tick"] == sim.tick
    view = sim.partner_view(partner)
    numbers = [] if view.picture is None else view.picture.picture_number.tolist()
    assert [t["id"] for t in frame["tracks"]] == [f"{partner}:{n}" for n in numbers]
    rows = concat_alerts([a for a in view.alerts if len(a)])
    assert frame["alert_count"] == len(rows)
    assert all(p == partner for p in rows.partner)
    sent = frame["alerts"][::-1]  # newest first on the wire
    first = len(rows) - len(sent)
    for k, a in enumerate(sent):
        assert a["time_s"] == pytest.approx(rows.time_s[first + k], abs=1e-3)
        assert a["kind"] == rows.alert_kind[first + k]
    assert {q["id"] for q in frame["questions"]} == {q.question_id for q in view.questions}
    assert all(q.partner == partner for q in view.questions)
    own_batteries = {b.id for b in sim.scenario.batteries if b.partner == partner}
    assert {b["id"] for b in frame["batteries"]} == set(view.batteries) == own_batteries
    assert {e["id"] for e in frame["engagements"]} == {e.engagement_id for e in view.engagements}
    text = json.dumps(frame)
    # nothing of the truth or of another partner
    for object_id in sim.truth.object_ids:
        assert f'"{object_id}"' not in text
    others = [p for p in sim.partners if p != partner]
    for other in others:
        assert f'"{other}:' not in text
    released = set(view.remote_batteries)  # other partners' batteries as released to it
    assert {b["id"] for b in frame["remote_batteries"]} == released
    for b in sim.scenario.batteries:
        if b.partner != partner and b.id not in released:
            assert b.id not in text
    touching = {ln.id for ln in sim.scenario.links if partner in ln.between}
    assert {ln["id"] for ln in frame["links"]} == touching
    assert '"object"' not in text


def test_partner_frames_hold_only_their_view_and_the_played_log_replays(served: Any) -> None:
    session, client, tokens, tmp_path = served
    white, east = tokens["white"], tokens["east"]
    r = client.post(f"/api/command?token={white}", json={"kind": "inject", "threat": STRAY})
    assert r.status_code == 202
    granted = None
    with (
        client.websocket_connect(f"/ws?token={tokens['north']}") as ws_north,
        client.websocket_connect(f"/ws?token={east}") as ws_east,
    ):
        assert ws_north.receive_json()["type"] == "setup"
        assert ws_east.receive_json()["type"] == "setup"
        checked_ticks = 0
        while session.sim.time_s < 215.0:
            if 65.0 <= session.sim.time_s < 195.0:  # nothing new to look at: run on
                with session.lock:
                    session.sim.run_until(195.0)
            assert client.post(f"/api/clock?token={white}", json={"action": "step"}).is_success
            for ws, partner in ((ws_north, "north"), (ws_east, "east")):
                frame = ws.receive_json()
                while frame["clock"]["tick"] != session.sim.tick:
                    frame = ws.receive_json()
                _check_partner_frame(frame, session, partner)
                checked_ticks += 1
                if partner == "east" and frame["questions"] and granted is None:
                    granted = frame["questions"][0]["id"]
                    body = {"kind": "consent", "question_id": granted, "granted": True}
                    assert client.post(f"/api/command?token={east}", json=body).status_code == 202
            if session.sim.time_s == 40.0:
                # acknowledging an alert is a note in the command log
                body = {"kind": "note", "text": "ack east-a0"}
                assert client.post(f"/api/command?token={east}", json=body).status_code == 202
    assert checked_ticks > 2 * 80
    assert granted is not None, "East was never asked to consent"
    r = client.post(f"/api/end?token={white}")
    assert r.status_code == 200, r.text
    run_dir = Path(r.json()["run_dir"])
    events = [json.loads(line) for line in (run_dir / "commands.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in events] == ["inject", "note", "consent"]
    assert events[2]["seat"] == "east" and events[2]["question_id"] == granted
    # the exercise replays bit for bit from its folder
    assert_replays_bit_for_bit(run_dir, tmp_path / "replay")


def test_white_pause_stops_the_clock(served: Any) -> None:
    session, client, tokens, _ = served
    white = tokens["white"]
    session.start_pacing()
    assert client.post(f"/api/clock?token={white}", json={"action": "start"}).is_success
    deadline = time.monotonic() + 20.0
    while session.sim.time_s < 8.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    clock = client.get(f"/api/frame?token={white}").json()["clock"]
    assert clock["running"] and clock["achieved_rate"] is not None
    paused = client.post(f"/api/clock?token={white}", json={"action": "pause"}).json()
    assert not paused["running"]
    time.sleep(0.4)
    with client.websocket_connect(f"/ws?token={tokens['east']}") as ws:
        ws.receive_json()
        seen = {ws.receive_json()["clock"]["time_s"] for _ in range(2)}
    assert seen == {paused["time_s"]} and session.sim.time_s == paused["time_s"]


def test_pacer_follows_the_wall_clock_and_reports_a_rate_it_cannot_hold() -> None:
    pacer = Pacer()
    pacer.set_rate(10.0, 0.0, 0.0)
    assert pacer.target_s(5.0, 0.0) == 0.0  # not started: no time passes
    pacer.start(100.0, 0.0)
    assert pacer.target_s(100.5, 0.0) == pytest.approx(5.0)
    # a machine that manages 4 simulated seconds per wall second
    for k in range(8):
        pacer.record(100.0 + 0.5 * k, 2.0 * k)
    assert pacer.achieved_rate() == pytest.approx(4.0)
    assert not pacer.holding()
    # far behind: it does not race to catch up, it runs from where it is
    assert pacer.target_s(200.0, 14.0) == pytest.approx(14.0 + 10.0)
    pacer.pause(201.0, 20.0)
    assert pacer.target_s(300.0, 20.0) == 20.0 and pacer.achieved_rate() is None


def test_a_staff_grant_before_the_deadline_leads_to_an_engagement() -> None:
    from skyweave.engine.commands import parse_command
    from skyweave.engine.simulation import Simulation

    inject = {"time_s": 0.0, "seat": "white", "kind": "inject", "threat": STRAY}
    sim = Simulation(short_scenario(), 1, [parse_command(inject)])
    question = None
    while not sim.done and sim.time_s < 230.0:
        sim.step()
        open_ = sim.partner_view("east").questions
        if open_ and question is None:
            question = open_[0]
            answer = {"kind": "consent", "question_id": question.question_id, "granted": True}
            sim.submit(parse_command({"time_s": sim.time_s + 1, "seat": "east", **answer}))
    assert question is not None
    log = sim.finish()
    # the order East's staff granted is carried out; the policy's answer is not needed
    staff = [d for d in log.decisions if d.by == "east"]
    assert staff and staff[0].question_id == question.question_id
    assert log.refusals == 0
    # no second question on the same pair: the granted order waits for its launch window
    pair = [
        d
        for d in log.decisions
        if (d.battery_id, d.track_id) == (question.battery_id, question.track_id)
    ]
    assert pair == staff[:1]
    assert any(
        e.battery_id == question.battery_id
        and e.track_id == question.track_id
        and e.time_s >= staff[0].answered_s
        for e in [*log.engagements, *log.in_flight]
    )


def test_a_staff_message_reaches_the_other_partner_over_the_link(served: Any) -> None:
    session, client, tokens, _ = served
    r = client.post(
        f"/api/command?token={tokens['north']}",
        json={"kind": "message", "to": "east", "text": "North holds bty-3 for Delta"},
    )
    assert r.status_code == 202
    sent_s = r.json()["time_s"]
    r = client.post(
        f"/api/command?token={tokens['white']}",
        json={"kind": "message", "to": "east", "text": "x"},
    )
    assert r.status_code == 403  # the white cell notes; it sends no partner messages
    with session.lock:
        session.sim.run_until(sent_s + 4.0)
    east = client.get(f"/api/frame?token={tokens['east']}").json()
    north = client.get(f"/api/frame?token={tokens['north']}").json()
    [msg] = east["messages"]
    link = session.scenario.links[0]
    assert msg["from"] == "north" and msg["text"] == "North holds bty-3 for Delta"
    assert sent_s + link.latency_s <= msg["time_s"] <= sent_s + link.latency_s + link.jitter_s + 0.1
    assert north["messages"] == []  # the sender's own console shows it in its log only


def test_a_partner_frame_carries_only_the_links_touching_it_and_their_state_now() -> None:
    from dataclasses import replace

    from skyweave.engine.commands import parse_command
    from skyweave.engine.simulation import Simulation
    from skyweave.exercise.frames import partner_frame

    # a third partner, South, linked to East only: North-East and East-South
    raw = short_scenario(60.0).model_dump(mode="json", by_alias=True, exclude_unset=True)
    raw["partners"].append({"id": "south", "name": "South"})
    raw["links"].append({"id": "east-south", "between": ["east", "south"]})
    raw["links"][0]["outages"] = [{"start_s": 10.0, "end_s": 20.0}]  # scheduled
    scenario = Scenario.model_validate(raw)
    cut = {"time_s": 30.0, "seat": "white", "kind": "inject"}
    cut["inject"] = {"kind": "link_cut", "target": "east-south"}
    sim = Simulation(scenario, 1, [parse_command(cut)])

    def links(partner: str) -> dict[str, tuple[str, bool, float | None]]:
        return {
            r["id"]: (r["to"], r["up"], r["since_s"]) for r in partner_frame(sim, partner)["links"]
        }

    sim.run_until(5.0)
    assert links("north") == {"north-east": ("east", True, None)}
    assert links("south") == {"east-south": ("east", True, None)}
    assert links("east") == {
        "north-east": ("north", True, None),
        "east-south": ("south", True, None),
    }
    sim.run_until(15.0)  # inside the scheduled outage [10, 20)
    assert links("north") == {"north-east": ("east", False, 10.0)}
    assert links("south") == {"east-south": ("east", True, None)}
    sim.run_until(35.0)  # outage over; the white cell cut East-South at 30 s
    assert links("north") == {"north-east": ("east", True, 20.0)}
    assert links("south") == {"east-south": ("east", False, 30.0)}
    assert links("east")["east-south"] == ("south", False, 30.0)
    # other partners' batteries: East releases its battery status to North (and South
    # releases nothing): North's frame holds East's batteries, as of a report time
    released = partner_frame(sim, "north")["remote_batteries"]
    east_batteries = {b.id for b in scenario.batteries if b.partner == "east"}
    assert {r["id"] for r in released} == east_batteries
    assert all(r["partner"] == "east" and r["as_of_s"] <= sim.time_s for r in released)
    assert partner_frame(sim, "south")["remote_batteries"] == []
    told = {"east-bty-1": {"partner": "east", "inventory": 7, "ready": True, "as_of_s": 33.0}}
    view = replace(sim.partner_view("north"), remote_batteries=told)
    rows = partner_frame(sim, "north", view)["remote_batteries"]
    assert rows == [{"id": "east-bty-1", **told["east-bty-1"]}]


def test_an_unexpected_failure_at_end_is_told_to_every_console_and_play_goes_on(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, client, tokens, _ = served

    def broken(*args: Any, **kwargs: Any) -> Path:
        raise ValueError("a bug while writing")

    with client.websocket_connect(f"/ws?token={tokens['east']}") as ws:
        assert ws.receive_json()["type"] == "setup"
        monkeypatch.setattr(session, "end", broken)
        r = client.post(f"/api/end?token={tokens['white']}")
        assert r.status_code == 500
        assert "could not be written: ValueError: a bug while writing" in r.json()["error"]
        kinds = []
        while "end_failed" not in kinds:
            kinds.append(ws.receive_json()["type"])
        assert "ending" in kinds
        # told, the console is given frames again: the play goes on
        while ws.receive_json()["type"] != "frame":
            pass
    monkeypatch.undo()
    assert client.post(f"/api/end?token={tokens['white']}").status_code == 200


def test_an_exercise_ended_at_its_first_tick_replays(served: Any) -> None:
    """Ended before the clock ran (or rewound to the start and ended): the folder holds
    the first tick, t = 0, and replays bit for bit."""
    session, client, tokens, tmp_path = served
    r = client.post(f"/api/end?token={tokens['white']}")
    assert r.status_code == 200, r.text
    run_dir = Path(r.json()["run_dir"])
    assert json.loads((run_dir / "summary.json").read_text())["simulated_s"] == 0.0
    assert_replays_bit_for_bit(run_dir, tmp_path / "replay")
