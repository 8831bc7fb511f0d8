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

from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cueing.yaml"
SEED = 3707578075464142492  # a seed whose first kill draw on raid-d-1 misses


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
