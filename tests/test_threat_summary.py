"""The threat rows show the flown flight: flown end times, outcomes, kill points.

Checked against the planned flights of the example (``build_truth``), a hand
count of impacts within asset radii on the mean sphere, and kill points on a
straight-line truth whose position at any time is known in closed form.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pymap3d
import pytest

from skyweave.analysis.engagement_measures import engagement_measures
from skyweave.analysis.threat_summary import OUTCOMES, state_at, threat_rows
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.from_scenario import ThreatFlight, build_truth
from skyweave.kinematics.truth import Truth
from skyweave.scenario import Scenario, load_scenario
from skyweave.simulation import engagements_table

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


@pytest.fixture(scope="module")
def example() -> tuple[Scenario, Truth, list[ThreatFlight]]:
    scenario = load_scenario(EXAMPLE)
    truth, flights = build_truth(scenario, np.arange(0.0, 1801.0, 1.0))
    return scenario, truth, flights


def _sphere_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R_EARTH_MEAN_M * math.acos(max(-1.0, min(1.0, c)))


def test_flown_end_is_min_of_planned_kill_and_run_end(
    example: tuple[Scenario, Truth, list[ThreatFlight]],
) -> None:
    scenario, truth, flights = example
    killed = {"raid-n-1": 817.3, "cm-e-2": 1299.6}
    rows = threat_rows(flights, killed, 1800.0, scenario.defended_assets, truth)
    by = {r["object_id"]: r for r in rows}
    planned = {f.object_id: f for f in flights}
    assert [r["object_id"] for r in rows] == [f.object_id for f in flights]
    for oid, r in by.items():
        f = planned[oid]
        expect_end = min(f.end_time_s, killed.get(oid, math.inf), 1800.0)
        assert r["end_time_s"] == pytest.approx(expect_end)
        assert r["flight_time_s"] == pytest.approx(expect_end - f.launch_time_s)
        assert r["planned_end_time_s"] == f.end_time_s
        assert r["outcome"] in OUTCOMES
    # the aircraft's route takes 3181 s: in an 1800 s run it is still flying at the end
    assert planned["air-1"].end_time_s > 3000.0
    assert by["air-1"]["outcome"] == "in_flight"
    assert by["air-1"]["end_time_s"] == 1800.0
    assert by["air-1"]["impact_lat_deg"] is None
    # killed threats keep no impact point; they get a kill point
    for oid in killed:
        assert by[oid]["outcome"] == "killed"
        assert by[oid]["impact_lat_deg"] is None and by[oid]["impact_lon_deg"] is None
        assert by[oid]["killed_s"] == killed[oid]
        assert by[oid]["kill_lat_deg"] is not None
    assert by["raid-n-1"]["kill_alt_m"] > 10_000.0  # ballistic, killed in the upper tier
    assert by["cm-e-2"]["kill_alt_m"] == pytest.approx(60.0, abs=1.0)  # sea-skimmer
    # every other munition reached its aim point: an impact on the asset counted by hand
    for r in by.values():
        if r["outcome"] not in ("impact", "landed_elsewhere"):
            continue
        near = [
            a.id
            for a in scenario.defended_assets
            if _sphere_m(a.lat_deg, a.lon_deg, r["impact_lat_deg"], r["impact_lon_deg"])
            <= a.radius_m
        ]
        assert r["outcome"] == ("impact" if near else "landed_elsewhere")
        assert r["asset_hit"] == (near[0] if near else None)


def test_short_run_leaves_threats_in_flight(
    example: tuple[Scenario, Truth, list[ThreatFlight]],
) -> None:
    scenario, truth, flights = example
    rows = threat_rows(flights, {}, 850.0, scenario.defended_assets, truth)
    by = {r["object_id"]: r for r in rows}
    # raid-n-1 (834 s) and raid-e-1 (817 s) have landed; raid-n-2 (874 s) has not
    assert by["raid-n-1"]["outcome"] == "impact"
    assert by["raid-e-1"]["outcome"] == "impact"
    assert by["raid-n-2"]["outcome"] == "in_flight"
    assert by["raid-n-2"]["end_time_s"] == 850.0
    assert by["raid-n-2"]["end_alt_m"] > 0.0  # still above the ground at the end
    m = engagement_measures(scenario, rows, engagements_table([]), {}, [], end_s=850.0)
    assert m["leaker_ids"] == ["raid-n-1", "raid-e-1", "raid-e-2"]
    assert set(m["in_flight_ids"]) == {
        "raid-n-2",
        "raid-n-3",
        "loft-f",
        "cm-e-1",
        "cm-e-2",
        "air-1",
    }
    # stray-1 launches at 1000 s: not in flight, not launched yet
    assert by["stray-1"]["outcome"] == "not_launched"
    assert by["stray-1"]["end_time_s"] is None


def test_ballistic_into_the_sea_lands_elsewhere() -> None:
    scenario = load_scenario(EXAMPLE)
    flight = ThreatFlight(
        "sea", "ballistic", 0.0, -40.0, 125.0, 500.0, -38.0, 135.0, 2e5, 0.0, False
    )
    (row,) = threat_rows([flight], {}, 1800.0, scenario.defended_assets)
    assert row["outcome"] == "landed_elsewhere"
    assert (row["impact_lat_deg"], row["impact_lon_deg"]) == (-38.0, 135.0)
    assert row["asset_hit"] is None
    m = engagement_measures(scenario, [row], engagements_table([]), {}, [], end_s=1800.0)
    assert m["leakers"] == 0 and m["impacts_elsewhere"] == 1 and m["value_hit"] == 0.0


def test_kill_point_on_a_straight_line_truth() -> None:
    """An object at constant ECEF velocity: its kill point is known in closed form."""
    times = np.arange(0.0, 101.0, 2.0)
    p0 = np.array(pymap3d.geodetic2ecef(-30.0, 135.0, 20_000.0))
    v = np.array([300.0, -150.0, 80.0])
    states = np.full((times.size, 1, 6), np.nan)
    live = times <= 90.0
    states[live, 0, :3] = p0 + times[live, None] * v
    states[live, 0, 3:] = v
    truth = Truth(times, ("t",), ("cruise",), states, np.array([np.nan]), ("medium",))
    flight = ThreatFlight("t", "cruise", 0.0, -30.0, 135.0, 90.0, -29.0, 136.0, 2e4, 0.0, False)
    (row,) = threat_rows([flight], {"t": 37.3}, 100.0, [], truth)
    lat, lon, alt = pymap3d.ecef2geodetic(*(p0 + 37.3 * v))
    assert row["outcome"] == "killed"
    assert row["kill_lat_deg"] == pytest.approx(float(lat), abs=1e-9)
    assert row["kill_lon_deg"] == pytest.approx(float(lon), abs=1e-9)
    assert row["kill_alt_m"] == pytest.approx(float(alt), abs=1e-3)
    # past the last sample in flight the last one is used; unknown objects give None
    np.testing.assert_allclose(state_at(truth, "t", 95.0), p0 + 90.0 * v)  # type: ignore[arg-type]
    assert state_at(truth, "nope", 10.0) is None
