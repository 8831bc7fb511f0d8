"""Fallback doctrine and the decision log on a one-missile slice of the example.

East's battery east-bty-1 defends Port Delta with its own fire-control radar; a short
ballistic pair (3 s apart) flies at the port. In integrated mode North hosts the
coalition cell, which knows East's battery and tracks only over the link
north-east. A few runs, each with a command log built to produce some outcomes of the decision
log, cover the vocabulary.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pymap3d
import pytest

from skyweave.c2.decision_log import REASONS, DecisionRow
from skyweave.engine.commands import Command
from skyweave.engine.simulation import Simulation
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Consent, Scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
CUT_S = 264.5  # the link to the cell's host goes down: the cell's 265 s order is lost
RESTORE_S = 291.0


def _slice(mode: str, fallback: str = "revert") -> Scenario:
    full = load_scenario(EXAMPLE)
    north, east = full.partners
    east = east.model_copy(
        update={
            "engagement": east.engagement.model_copy(
                # integrated: East consents at once (the cell's orders are East's consent)
                update={"fallback": fallback}
                if mode != "integrated"
                else {"fallback": fallback, "consent": Consent(policy="always")}
            )
        }
    )
    raid = full.threats[1]
    raid = raid.model_copy(
        update={
            "launch_time_s": 5.0,
            "burn_time_s": 40.0,
            "launch": raid.launch.model_copy(update={"lat_deg": -37.4, "lon_deg": 135.9}),
            "salvo": raid.salvo.model_copy(update={"count": 2, "over_s": 3.0}),
        }
    )
    battery = next(b for b in full.batteries if b.id == "east-bty-1")
    return full.model_copy(
        update={
            "duration_s": 300.0,
            "coordination_mode": mode,
            "partners": [north, east],
            "defended_assets": [a for a in full.defended_assets if a.id == "port-delta"],
            "sensors": [s for s in full.sensors if s.id == "east-fcr-1"],
            "batteries": [battery.model_copy(update={"fire_channels": 1})],
            "threats": [raid],
            "injects": [],
        }
    )


def _white(t: float, kind: str, target: str) -> Command:
    return Command(t, "white", "inject", {"inject": {"kind": kind, "target": target}})


def _run(spec: Scenario, until_s: float, *commands: Command) -> Simulation:
    sim = Simulation(spec, seed=1, commands=commands)
    sim.run_until(until_s)
    return sim


def _rows(sim: Simulation, post: str, t0: float = 0.0, t1: float = math.inf) -> list[DecisionRow]:
    return [r for r in sim.decision.log if r.command_post == post and t0 <= r.time_s <= t1]


def _reasons(sim: Simulation, post: str, t0: float = 0.0, t1: float = math.inf) -> set[str]:
    return {r.verdict.reason for r in _rows(sim, post, t0, t1)}


def _engage(t: float, track: str) -> Command:
    return Command(t, "east", "engage", {"battery": "east-bty-1", "track": track})


TRACK = "east:1"  # East's first picture track (its fire-control radar's first track)


@pytest.fixture(scope="module")
def shared() -> Simulation:
    """Shared warning: East commands its own battery. Its staff give an engage order
    while the track is out of reach and one before the window opens, and deny the first
    consent question (asked at 265 s for a launch at 270 s; East's staff take 5 s)."""
    return _run(
        _slice("shared-warning"),
        281.0,
        _engage(176.5, TRACK),
        _engage(240.5, TRACK),
        Command(266.5, "east", "consent", {"question_id": "q1", "granted": False}),
    )


@pytest.fixture(scope="module")
def faults() -> Simulation:
    """Shared warning: hold fire before the window, then weapons free on an empty
    battery, then a silent command post."""
    return _run(
        _slice("shared-warning"),
        281.0,
        Command(266.5, "east", "hold_fire", {"battery": "east-bty-1"}),
        Command(270.5, "east", "weapons_free", {"battery": "east-bty-1"}),
        _white(270.5, "battery_empty", "east-bty-1"),
        _white(275.5, "command_post_silent", "east"),
    )


def _cut(fallback: str) -> Simulation:
    """Integrated: the link to the cell's host goes down during the raid, then back."""
    return _run(
        _slice("integrated", fallback),
        306.0,
        _white(CUT_S, "link_cut", "north-east"),
        _white(RESTORE_S, "link_restore", "north-east"),
    )


# -- fallback ---------------------------------------------------------------------------


def test_revert_engages_within_fallback_after_plus_a_cycle_and_comes_back() -> None:
    sim = _cut("revert")
    after_s = sim.decision.fallback.rules["east-bty-1"].after_s
    assert after_s == 2 * sim.decision_interval_s  # the default: two decision cycles
    launches = [la for la in sim.decision.model.launches if la.time_s > CUT_S]
    assert launches, "the cut-off battery never fired"
    assert launches[0].battery_id == "east-bty-1"
    assert launches[0].time_s <= CUT_S + after_s + sim.decision_interval_s
    assert launches[0].track_id.startswith("east:")  # on East's own picture
    changes = [(e.time_s, e.kind, e.source) for e in sim.events if e.kind.startswith("command_")]
    assert [c[1:] for c in changes] == [("command_reverted", "east"), ("command_restored", "east")]
    assert CUT_S + after_s <= changes[0][0] <= CUT_S + after_s + sim.decision_interval_s
    # back at the first decision time once a status report sent after the restore (at
    # the 295 s decision time, 2 s on the link) has reached the cell
    assert changes[1][0] == 300.0
    assert "north-east" in next(e.text for e in sim.events if e.kind == "command_reverted")
    # the cell's order sent at 265 s was lost on the link
    assert "order_unacknowledged" in _reasons(sim, "north", 270.0, 270.0)


def test_hold_never_engages_while_cut() -> None:
    sim = _cut("hold")
    assert not [la for la in sim.decision.model.launches if CUT_S < la.time_s <= RESTORE_S]
    assert not [e for e in sim.events if e.kind.startswith("command_")]
    # the cell ordered East's battery at 265 s, one decision cycle before its window
    # opens (the order is carried out at East's next decision time), into the cut link
    sent = [r for r in _rows(sim, "north", 265.0, 265.0) if r.verdict.reason == "assigned"]
    assert sent and sent[0].verdict.text.startswith("order sent over the link to east")
    # the order in flight was lost: the cell waits for news of it through the cut
    for t in np.arange(270.0, RESTORE_S, sim.decision_interval_s):
        assert "order_unacknowledged" in _reasons(sim, "north", t, t)


# -- the decision log --------------------------------------------------------------------


def test_rows_are_one_per_threat_and_cycle_in_the_vocabulary(shared: Simulation) -> None:
    rows = shared.decision.log
    assert rows and {r.verdict.reason for r in rows} <= set(REASONS)
    for t in {r.time_s for r in rows}:
        ids = [r.threat_id for r in rows if r.time_s == t]
        assert len(ids) == len(set(ids))
    # East's board holds the pair as two threats from launch on
    assert {r.threat_id for r in _rows(shared, "east")} >= {"east:T1", "east:T2"}


def test_consent_pending_denied_then_the_other_missile_assigned(shared: Simulation) -> None:
    assert "consent_pending" in _reasons(shared, "east", 265.0, 265.0)
    assert "consent_denied" in _reasons(shared, "east", 270.0)
    assigned = [r for r in _rows(shared, "east") if r.verdict.reason == "assigned"]
    launches = shared.decision.model.launches
    assert assigned and launches
    la, first = launches[0], assigned[0]
    assert (first.time_s, first.verdict.battery_id, first.track_id) == (
        la.time_s,
        la.battery_id,
        la.track_id,
    )
    assert first.verdict.intercept_time_s == la.intercept_time_s
    assert first.verdict.kill_probability == la.kill_probability
    assert first.verdict.shots == la.shots
    # one fire channel, two missiles: the other is engaged, busy or of lower priority
    assert _reasons(shared, "east", la.time_s) & {"engaged", "battery_busy", "lower_priority"}


def test_no_window_yet_names_the_window(shared: Simulation) -> None:
    waits = [r for r in _rows(shared, "east") if r.verdict.reason == "no_window_yet"]
    assert waits
    # the consent question (asked when a launch after the 5 s consent is feasible) came
    # at the first decision time at or after the announced window less the consent
    asked = min(r.time_s for r in _rows(shared, "east") if r.verdict.reason == "consent_pending")
    earliest = waits[-1].verdict.earliest_launch_s
    assert earliest - 5.0 <= asked <= earliest


def test_no_battery_in_reach_gives_the_nearest_distance(shared: Simulation) -> None:
    far = [r for r in _rows(shared, "east") if r.verdict.reason == "no_battery_in_reach"]
    assert far
    row = far[0]
    b = shared.batteries["east-bty-1"]
    bxyz = np.array(pymap3d.geodetic2ecef(b.lat_deg, b.lon_deg, b.alt_m))
    # independent: the missiles' true nearest approach over the prediction horizon
    times = shared.truth.times_s
    span = (times >= row.time_s) & (times <= row.time_s + shared.decision.offsets[-1])
    xyz = shared.truth.states[span][..., :3]
    nearest_km = np.nanmin(np.linalg.norm(xyz - bxyz, axis=-1)) / 1e3
    assert row.verdict.nearest_km == pytest.approx(nearest_km, rel=0.05, abs=5.0)
    assert row.verdict.max_range_km == b.max_range_km


def test_engage_orders_say_what_is_wrong(shared: Simulation) -> None:
    texts = [e.text for e in shared.events if e.kind == "engage_rejected"]
    assert len(texts) == 2
    far, wait = texts
    row = next(r for r in _rows(shared, "east", 180.0, 180.0) if r.track_id == TRACK)
    assert far.startswith(f"track={TRACK} out of reach")
    assert f"{row.verdict.nearest_km:.0f} km" in far and "max range is 120 km" in far
    assert wait.startswith(f"track={TRACK} no feasible window yet: the earliest launch is at")


def test_held_empty_silent(faults: Simulation) -> None:
    assert "battery_held" in _reasons(faults, "east", 270.0, 270.0)
    assert "inventory_exhausted" in _reasons(faults, "east", 275.0, 275.0)
    assert _reasons(faults, "east", 280.0, 280.0) == {"command_post_silent"}
    assert not faults.decision.model.launches


def test_refused_orders_have_their_reason_in_events(shared: Simulation) -> None:
    refused = [e for e in shared.events if e.kind == "order_refused"]
    assert len(refused) == len(shared.decision.model.refusals)
    for e in refused:
        assert e.text.split(" ", 2)[1].rstrip(":") in REASONS


def test_every_decision_cycle_of_the_example_has_a_row_per_threat_held(example_run: Path) -> None:
    import pyarrow.parquet as pq

    decisions = pq.read_table(example_run / "decisions.parquet").to_pylist()
    board = pq.read_table(example_run / "threats.parquet").to_pylist()
    rows: dict[tuple[float, str], set[str]] = {}
    for d in decisions:
        rows.setdefault((d["time_s"], d["command_post"]), set()).add(d["threat_id"])
        assert d["reason"] in REASONS
    # threats.parquet: each partner's board at each report time (= decision time here)
    held: dict[tuple[float, str], set[str]] = {}
    for b in board:
        held.setdefault((b["time_s"], b["partner"]), set()).add(b["threat_id"])
    assert held
    for key, ids in held.items():
        assert ids <= rows.get(key, set()), key
    summary = json.loads((example_run / "summary.json").read_text())
    assert sum(summary["engagement"]["decision_reasons"].values()) == len(decisions)


def test_the_partner_console_board_says_why_not_engaged(faults: Simulation) -> None:
    from skyweave.exercise.frames import _board_with_reasons

    rows = _board_with_reasons(faults, "east", faults.partner_view("east").threats)
    assert rows and all(r["decision"]["reason"] == "command_post_silent" for r in rows)
    assert all("silent" in r["decision"]["text"] for r in rows)


def test_the_report_timeline_spans_a_reverted_battery(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from skyweave.io.report_timeline import fallback_spans

    rows = [
        (40.0, "network", "link_down", "north-east"),
        (50.0, "east", "command_reverted", "east-bty-1"),
        (90.0, "east", "command_restored", "east-bty-1"),
        (95.0, "east", "command_reverted", "east-bty-2"),
    ]
    names = ["time_s", "source", "kind", "target"]
    pq.write_table(
        pa.table(dict(zip(names, zip(*rows, strict=True), strict=True))),
        tmp_path / "events.parquet",
    )
    spans = fallback_spans(tmp_path, 120.0)
    assert [(s.label, s.start_s, s.end_s) for s in spans] == [
        ("east-bty-1 reverted to east", 50.0, 90.0),
        ("east-bty-2 reverted to east", 95.0, 120.0),
    ]


def test_the_three_partner_outage_scenario_cuts_west_off_from_the_cell() -> None:
    spec = load_scenario(Path(__file__).parent / "data" / "three-partner-outage.yaml")
    west = next(p for p in spec.partners if p.id == "west")
    assert spec.coordination_mode == "integrated" and west.engagement.fallback == "revert"
    link = next(k for k in spec.links if set(k.between) == {"north", "west"})
    assert [(w.start_s, w.end_s) for w in link.outages] == [(380.0, 560.0)]
