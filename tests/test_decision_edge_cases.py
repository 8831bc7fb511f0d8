"""The decision cycle on a one-partner, one-battery slice of the example: edge cases never crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Inject, Scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _slice() -> Scenario:
    """North alone: its radars and satellite, Base Alpha, one battery, one missile."""
    full = load_scenario(EXAMPLE)
    north = full.partners[0].model_copy(
        update={"engagement": full.partners[0].engagement.model_copy(update={"defend": []})}
    )
    raid = full.threats[0].model_copy(update={"salvo": None})
    return full.model_copy(
        update={
            "duration_s": 900.0,
            "partners": [north],
            "defended_assets": [a for a in full.defended_assets if a.id == "base-alpha"],
            "sensors": [s for s in full.sensors if s.partner == "north"],
            "batteries": [b for b in full.batteries if b.id == "north-bty-1"],
            "links": [],
            "policy": [],
            "threats": [raid],
            "injects": [],
            "c2": full.c2.model_copy(update={"coalition_cell": None}),
        }
    )


SLICE = _slice()


def _engagement(spec: Scenario) -> dict[str, Any]:
    result = run_scenario(spec, 1)
    assert result.tables["engagements"].num_rows == result.summary["engagement"]["engagements"]
    return dict(result.summary["engagement"])


def test_the_slice_engages_its_one_threat() -> None:
    e = _engagement(SLICE)
    assert e["engagements"] >= 1
    assert set(e["engagements_per_threat"]) == {"raid-n"}


@pytest.mark.parametrize(
    "change",
    [
        {"defended_assets": []},
        {"batteries": []},
        {"threats": []},
        {"coordination_mode": "integrated"},
        {"coordination_mode": "independent"},
    ],
    ids=["no assets", "no batteries", "no threats", "integrated alone", "independent"],
)
def test_degenerate_scenarios_run(change: dict[str, Any]) -> None:
    e = _engagement(SLICE.model_copy(update=change))
    if "defended_assets" in change or "batteries" in change or "threats" in change:
        assert e["engagements"] == 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    interceptors=st.integers(0, 3),
    reserve=st.integers(0, 3),
    salvo=st.integers(1, 3),
    doctrine=st.sampled_from(["shoot-look-shoot", "salvo"]),
    channels=st.integers(1, 2),
    policy=st.sampled_from(["always", "never", "after_delay"]),
    delay_s=st.sampled_from([0.0, 3.0, 30.0]),
    empty_at=st.one_of(st.none(), st.floats(0.0, 900.0)),
    price=st.sampled_from([0.0, 15.0, 1000.0]),
)
def test_any_battery_and_consent_settings_keep_the_books_straight(
    interceptors: int,
    reserve: int,
    salvo: int,
    doctrine: str,
    channels: int,
    policy: str,
    delay_s: float,
    empty_at: float | None,
    price: float,
) -> None:
    battery = SLICE.batteries[0].model_copy(
        update={
            "interceptors": interceptors,
            "reserve_interceptors": reserve,
            "salvo_size": salvo,
            "doctrine": doctrine,
            "fire_channels": channels,
        }
    )
    rules = SLICE.partners[0].engagement
    partner = SLICE.partners[0].model_copy(
        update={
            "engagement": rules.model_copy(
                update={
                    "consent": rules.consent.model_copy(
                        update={"policy": policy, "delay_s": delay_s}
                    )
                }
            )
        }
    )
    injects = (
        []
        if empty_at is None
        else [Inject(time_s=empty_at, kind="battery_empty", target=battery.id)]
    )
    spec = SLICE.model_copy(
        update={
            "batteries": [battery],
            "partners": [partner],
            "injects": injects,
            "c2": SLICE.c2.model_copy(update={"min_value_saved": price}),
        }
    )
    result = run_scenario(spec, 1)
    eng = result.tables["engagements"].to_pydict()
    e = result.summary["engagement"]
    used = sum(eng["shots"])
    # never more interceptors than the battery holds (its assets are all its own: reserve usable)
    assert used <= interceptors
    assert e["interceptors_used_total"] == used
    if policy == "never":
        assert used == 0
    if empty_at is not None:
        assert all(t < empty_at for t in eng["time_s"])
    for shots in eng["shots"]:
        assert 1 <= shots <= (salvo if doctrine == "salvo" else 1)
    # a channel is held from launch to intercept: never more engagements in flight
    spans = sorted(zip(eng["time_s"], eng["end_time_s"], strict=True))
    for t, _ in spans:
        assert sum(1 for a, b in spans if a <= t < b) <= channels
    if price >= 1000.0:
        assert used == 0  # no engagement saves that much value
