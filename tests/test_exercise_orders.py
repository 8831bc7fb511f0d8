"""Orders as a staff gives them: one click is one order, a refused order says why and
sets nothing aside."""

from __future__ import annotations

from pathlib import Path

from short_example import short_example
from skyweave.analysis.staff_measures import _holds_and_overrides
from skyweave.engine.simulation import Simulation
from skyweave.exercise.session import ExerciseSession


def test_the_same_order_twice_in_a_tick_is_one_order() -> None:
    session = ExerciseSession(short_example(60.0), seed=1, rate=10.0)
    north = next(s for s in session.seats.values() if s.name == "north")
    first = session.command(north, {"kind": "hold_fire", "battery": "north-bty-1"})
    again = session.command(north, {"kind": "hold_fire", "battery": "north-bty-1"})
    other = session.command(north, {"kind": "hold_fire", "battery": "north-bty-2"})
    assert again is first and other is not first
    session.sim.run_until(first.time_s)
    holds = [c for c in session.sim.applied if c.kind == "hold_fire"]
    assert [c.body["battery"] for c in holds] == ["north-bty-1", "north-bty-2"]


def test_a_battery_that_cannot_fire_says_why() -> None:
    sim = Simulation(short_example(60.0), seed=1)
    sim.decision.held.add("north-bty-1")
    sim.decision.model.set_inventory("north-bty-2", 0)
    assert "hold fire" in sim.decision._not_ready_reason("north-bty-1", 0.0)
    assert "empty" in sim.decision._not_ready_reason("north-bty-2", 0.0)
    assert "busy" in sim.decision._not_ready_reason("east-bty-1", 0.0)


def test_a_refused_engage_order_is_no_override() -> None:
    def event(t: float, kind: str, target: str, text: str) -> dict:
        return {"time_s": t, "source": "north", "kind": kind, "target": target, "text": text}

    events = [
        event(10.0, "engage", "north-bty-1", "track=north:3"),
        event(15.0, "engage_rejected", "north-bty-1", "track=north:3 battery held"),
        event(20.0, "engage", "north-bty-1", "track=north:4"),
    ]
    holds = _holds_and_overrides(events, "north", {"north-bty-1": "north"}, [])
    assert holds["engage"] == 2
    assert [o["time_s"] for o in holds["override_orders"]] == [20.0]


def test_an_order_acknowledged_just_before_end_is_in_the_run_folder(tmp_path: Path) -> None:
    from skyweave.engine.commands import load_commands

    session = ExerciseSession(short_example(60.0), seed=1, rate=10.0)
    north = next(s for s in session.seats.values() if s.name == "north")
    session.sim.run_until(20.0)
    order = session.command(north, {"kind": "hold_fire", "battery": "north-bty-1"})
    assert order.time_s > session.sim.time_s  # queued for the next tick, which has not run
    out = session.end(tmp_path / "run")
    played = load_commands(out / "commands.jsonl")
    assert [(c.kind, c.time_s) for c in played if c.seat == "north"] == [
        ("hold_fire", order.time_s)
    ]
