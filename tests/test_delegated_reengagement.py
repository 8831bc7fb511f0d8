"""Delegated shoot-look-shoot in integrated mode (issue 21, ``examples/cueing.yaml``).

Two of the cueing raid's missiles, integrated mode: North hosts the coalition cell
and orders East's battery over the link on North's early-warning tracks. The first
shot at raid-d-1 misses (the seed's kill draw); the cell holds the missile after
that only through East's released fire-control track, a link crossing late, and
its order would cross the link again: too late in the missile's last seconds.
East's own post, which knows the miss at its kill assessment, fires again on its
own track within one decision cycle (as it does in shared-warning mode).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from skyweave.c2.reengage import (
    MANDATE_S,
    MATCH_GATE_M,
    REENTRY_ERROR_FRACTION,
    Reengagements,
    passed_near,
)
from skyweave.engagement import Engagement
from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cueing.yaml"
SEED = 3707578075464142492  # a seed whose first kill draw on raid-d-1 misses

# a missile 20 km up over the equator at 0 deg E, diving at 2 km/s
UP_M = 6_378_137.0 + 20_000.0
SPEED_MPS = 2_000.0


def _miss(intercept_s: float, assessed_s: float, battery: str = "b1") -> Engagement:
    return Engagement(
        0, intercept_s - 20.0, "east", battery, "north:1", "m", "ballistic", 1,
        intercept_s, (UP_M, 0.0, 0.0), (UP_M - 20_000.0, 0.0, 0.0), 0.7, "miss", 0,
        intercept_s, assessed_s,
    )  # fmt: skip


def test_a_track_matches_the_missed_intercept_within_the_gate() -> None:
    # 10 s after the missed intercept the missile flew 20 km on along y; moved back
    # with gravity it was half g dt^2 lower (along -x, to 2.5e-3 rad) than in a line
    dt = 10.0
    gate = MATCH_GATE_M + 3.0 * 50.0 + REENTRY_ERROR_FRACTION * SPEED_MPS * dt
    drop = 0.5 * 9.80665 * dt * dt
    states = np.array(
        [
            # on the way: moved back, exactly at the point
            [UP_M + drop, SPEED_MPS * dt, 0.0, 0.0, SPEED_MPS, 0.0],
            # the same path shifted sideways by just under and just over the gate
            [UP_M + drop, SPEED_MPS * dt, gate - 10.0, 0.0, SPEED_MPS, 0.0],
            [UP_M + drop, SPEED_MPS * dt, gate + 10.0, 0.0, SPEED_MPS, 0.0],
        ]
    )
    near = passed_near(
        np.array([UP_M, 0.0, 0.0]), 100.0, 100.0 + dt, states, np.full(3, 50.0),
        np.ones(3, dtype=bool),
    )  # fmt: skip
    assert near.tolist() == [True, True, False]


def test_a_mandate_holds_from_the_assessment_while_the_cell_commands_the_battery() -> None:
    r = Reengagements()
    r.missed(_miss(intercept_s=100.0, assessed_s=105.0))
    commanded = frozenset({"b1"})
    assert r.due(104.0, commanded) == {}  # the post does not know the miss yet
    assert [m.battery_id for m in r.due(105.0, commanded)["east"]] == ["b1"]
    assert r.due(110.0, frozenset()) == {}  # reverted: its post commands it anyway
    # the cell leaves the battery off the threat only once its post has shot again
    track = np.array([[UP_M, 0.0, 0.0, 0.0, 0.0, -SPEED_MPS]])  # at the point at 100 s
    sigma = np.array([50.0])
    assert not r.withheld(100.0, ["b1"], track, sigma).any()
    r.due(105.0, commanded)["east"][0].fired = True
    assert r.withheld(100.0, ["b1"], track, sigma).tolist() == [[True]]
    assert r.due(100.0 + MANDATE_S + 1.0, commanded) == {}  # expired
    assert not r.withheld(100.0 + MANDATE_S + 1.0, ["b1"], track, sigma).any()


def test_battery_under_the_cell_looks_and_shoots_again_on_its_own_track() -> None:
    full = load_scenario(EXAMPLE)
    raid = full.threats[0]
    raid = raid.model_copy(
        update={
            "launch_time_s": 60.0,
            "salvo": raid.salvo.model_copy(update={"count": 2, "over_s": 30.0}),
        }
    )
    scenario = full.model_copy(
        update={"duration_s": 578.0, "coordination_mode": "integrated", "threats": [raid]}
    )
    result = run_scenario(scenario, SEED)
    shots = [
        e
        for e in result.tables["engagements"].to_pylist()
        if e["object_id"] == "raid-d-1" and e["battery_id"] == "east-bty"
    ]
    assert len(shots) == 2, shots
    first, second = shots
    # the cell's order (on its own picture track) missed
    assert first["track_id"].startswith("north:")
    assert first["outcome"] == "miss"
    # East's post fires again on its own track at its first decision time after the
    # kill assessment (decisions every output interval, 5 s)
    assert second["track_id"].startswith("east:")
    assert first["assessment_time_s"] <= second["time_s"]
    assert second["time_s"] <= first["assessment_time_s"] + scenario.decision_period_s
    assert second["outcome"] == "kill"
    # the decision log has East's row for that re-engagement
    rows = [
        r
        for r in result.tables["decisions"].to_pylist()
        if r["command_post"] == "east" and r["time_s"] == second["time_s"]
    ]
    assert [(r["track_id"], r["reason"], r["battery_id"]) for r in rows] == [
        (second["track_id"], "assigned", "east-bty")
    ]
