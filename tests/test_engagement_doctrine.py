"""Engagement doctrine in whole runs: a raid draws fire from both partners, consent
and battery-empty injects, a silent cell, engage-on-remote and the reserve."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Inject, Scenario
from skyweave.simulation import RunResult, run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
RAID_END_S = 900.0  # the ballistic raid is over by then


def _variant(update: dict[str, Any], partners: dict[str, dict[str, Any]] | None = None) -> Scenario:
    spec = load_scenario(EXAMPLE)
    if partners:
        spec = spec.model_copy(
            update={
                "partners": [
                    p.model_copy(
                        update={
                            "engagement": type(p.engagement).model_validate(
                                {**p.engagement.model_dump(), **partners.get(p.id, {})}
                            )
                        }
                    )
                    for p in spec.partners
                ]
            }
        )
    return spec.model_copy(update=update)


def _run(spec: Scenario, seed: int = 1, until_s: float = RAID_END_S) -> RunResult:
    return run_scenario(spec, seed, until_s=until_s)


@pytest.fixture(scope="module")
def raid() -> RunResult:
    # seed 2: North's upper tier misses raid-e-1 twice, so East's battery joins in
    # (kill draws are keyed by battery, threat and engagement number)
    return _run(_variant({}), seed=2)


def _shooters(result: RunResult) -> list[str]:
    return list(result.tables["engagements"].column("battery_id").to_pylist())


def test_a_raid_draws_fire_from_both_partners(raid: RunResult) -> None:
    shooters = set(_shooters(raid))
    assert {"north-bty-1", "north-bty-3", "east-bty-1"} <= shooters
    # a run cut short does not count threats still in flight as leakers
    e = raid.summary["engagement"]
    ended = {
        t["object_id"]
        for t in raid.summary["threats"]
        if t["end_time_s"] is not None and t["end_time_s"] <= RAID_END_S
    }
    assert set(e["leaker_ids"]) <= ended


def test_consent_never_means_no_launch(raid: RunResult) -> None:
    never = {"consent": {"policy": "never", "delay_s": 0.0}}
    result = _run(_variant({}, {"north": never, "east": never}))
    assert result.tables["engagements"].num_rows == 0
    e = result.summary["engagement"]
    assert e["consent"]["granted"] == 0 and e["consent"]["denied"] > 0
    assert e["leakers"] >= raid.summary["engagement"]["leakers"]
    denied = [
        k for k in result.tables["events"].column("kind").to_pylist() if k == "consent_denied"
    ]
    assert len(denied) == e["consent"]["denied"]


def test_battery_empty_inject_stops_that_battery(raid: RunResult) -> None:
    first = min(
        t
        for t, b in zip(
            raid.tables["engagements"].column("time_s").to_pylist(), _shooters(raid), strict=True
        )
        if b == "north-bty-1"
    )
    spec = load_scenario(EXAMPLE)
    inject = Inject(time_s=first - 1.0, kind="battery_empty", target="north-bty-1")
    result = _run(spec.model_copy(update={"injects": [*spec.injects, inject]}), seed=2)
    times = result.tables["engagements"].column("time_s").to_pylist()
    assert all(
        t < first - 1.0 for t, b in zip(times, _shooters(result), strict=True) if b == "north-bty-1"
    )
    assert "battery_empty" in result.tables["events"].column("kind").to_pylist()


def test_a_silent_coalition_cell_orders_nothing() -> None:
    spec = _variant({"coordination_mode": "integrated"})
    silent = Inject(time_s=0.0, kind="command_post_silent", target="north")
    # fallback hold: the other partners' batteries stay under the silent cell (with the
    # default, revert, East's batteries go back to East's post: see
    # test_fallback_and_decision_log.py)
    hold = [
        p.model_copy(update={"engagement": p.engagement.model_copy(update={"fallback": "hold"})})
        for p in spec.partners
    ]
    # to 700 s: the integrated cell, when not silent, orders North's battery in the East
    # to fire at 620 s and 645 s (seed 1), so "nothing" is checked against those orders
    result = _run(
        spec.model_copy(update={"injects": [*spec.injects, silent], "partners": hold}),
        until_s=700.0,
    )
    assert result.tables["engagements"].num_rows == 0
    kinds = result.tables["events"].column("kind").to_pylist()
    assert "command_reverted" not in kinds


def test_engage_on_remote_lets_north_fire_on_east_tracks() -> None:
    # Without its early-warning radar North holds no track in the East: its battery
    # there can fire only on the tracks East releases to it.
    spec = load_scenario(EXAMPLE)
    blind = Inject(time_s=0.0, kind="sensor_failure", target="north-ewr")
    spec = spec.model_copy(update={"injects": [*spec.injects, blind]})
    # to 760 s: blind, North's battery in the East fires at 720 s and 725 s (seed 1)
    remote = _run(spec, until_s=760.0)
    assert "north-bty-3" in _shooters(remote)
    partners = [
        p.model_copy(
            update={"engagement": p.engagement.model_copy(update={"engage_on_remote": False})}
        )
        for p in spec.partners
    ]
    own_only = _run(spec.model_copy(update={"partners": partners}), until_s=760.0)
    assert "north-bty-3" not in _shooters(own_only)


def test_reserve_is_kept_for_own_assets() -> None:
    spec = load_scenario(EXAMPLE)
    batteries = [
        b.model_copy(update={"reserve_interceptors": b.interceptors})
        if b.id == "north-bty-3"
        else b
        for b in spec.batteries
    ]
    # to 700 s: without the reserve this battery fires at 620 s and 645 s (seed 1, the
    # example's run)
    result = _run(spec.model_copy(update={"batteries": batteries}), until_s=700.0)
    # North's battery in the East defends only East's assets there: all in reserve, no shot
    assert "north-bty-3" not in _shooters(result)
    assert math.isfinite(result.summary["engagement"]["leakers"])
