"""Independent checks of the defence outcome measures and the fire/detonation events.

``engagement_measures`` on a hand-made set of threat end points and
engagements, with the expected numbers counted by hand and the distances from
pymap3d (Vincenty on the ellipsoid, haversine angular separation);
``engagement_events`` counted shot by shot.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pymap3d
import pymap3d.haversine
import pymap3d.vincenty
import pytest

from skyweave.analysis.engagement_measures import (
    LEAKER_KINDS,
    engagement_measures,
    great_circle_m,
)
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.engagement.model import Engagement, Outcome
from skyweave.io.exports import engagement_events
from skyweave.scenario import Scenario, load_scenario
from skyweave.simulation import engagements_table

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    base = load_scenario(EXAMPLE)
    # a wider port (5 km) to check that each asset's own radius is used
    assets = [
        a.model_copy(update={"radius_m": 5_000.0}) if a.id == "port-delta" else a
        for a in base.defended_assets
    ]
    return base.model_copy(update={"defended_assets": assets})


# -- great-circle distance --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat1", "lon1", "lat2", "lon2"),
    [
        (-23.80, 133.90, -23.81, 133.92),  # ~2 km
        (-23.80, 133.90, -25.30, 131.00),  # ~340 km
        (-34.90, 138.55, -12.0, 131.0),  # ~2,600 km
        (60.0, -179.5, 61.0, 179.5),  # across the antimeridian
        (0.0, 0.0, 0.0, 90.0),  # a quarter of the equator
    ],
)
def test_great_circle_against_vincenty_and_haversine(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    d = great_circle_m(lat1, lon1, lat2, lon2)
    # the ellipsoid's geodesic: the mean sphere is within 0.5 % of it
    ellipsoid, _ = pymap3d.vincenty.vdist(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(float(ellipsoid), rel=5e-3)
    # the same sphere through pymap3d's angular separation (note: longitude first)
    sep_deg = pymap3d.haversine.anglesep(lon1, lat1, lon2, lat2, deg=True)
    assert d == pytest.approx(math.radians(float(sep_deg)) * R_EARTH_MEAN_M, rel=1e-9)
    assert great_circle_m(lat2, lon2, lat1, lon1) == pytest.approx(d, rel=1e-12)


def test_great_circle_zero_and_antipodal() -> None:
    assert great_circle_m(-23.8, 133.9, -23.8, 133.9) == 0.0
    assert great_circle_m(10.0, 20.0, -10.0, -160.0) == pytest.approx(math.pi * R_EARTH_MEAN_M)


# -- the measures -----------------------------------------------------------------------


def _end_near(asset: Any, distance_m: float, azimuth_deg: float) -> tuple[float, float]:
    """A point ``distance_m`` from the asset's centre along the ellipsoid's geodesic."""
    lat, lon = pymap3d.vincenty.vreckon(asset.lat_deg, asset.lon_deg, distance_m, azimuth_deg)
    return float(lat), float(lon)


def _threat(object_id: str, kind: str, end: tuple[float, float], end_s: float) -> dict[str, Any]:
    return {
        "object_id": object_id,
        "kind": kind,
        "end_time_s": end_s,
        "impact_lat_deg": end[0],
        "impact_lon_deg": end[1],
    }


def _engagement(
    eid: int,
    time_s: float,
    battery: str,
    partner: str,
    obj: str,
    shots: int,
    outcome: Outcome,
    *,
    track: str = "",
    threat_class: str = "ballistic",
) -> Engagement:
    return Engagement(
        engagement_id=eid,
        time_s=time_s,
        partner=partner,
        battery_id=battery,
        track_id=track or f"{partner}:{eid + 1}",
        object_id=obj,
        threat_class=threat_class,
        shots=shots,
        intercept_time_s=time_s + 30.0 + eid,
        intercept_ecef_m=(-4.0e6 + eid, 4.0e6, -2.6e6),
        launch_ecef_m=(-4.01e6, 4.01e6 + eid, -2.61e6),
        kill_probability=1.0 - 0.3**shots,
        outcome=outcome,
        decision_cycle=eid // 2,
        end_time_s=time_s + 30.0 + eid,
        assessment_time_s=time_s + 35.0 + eid,
    )


def _case(scenario: Scenario) -> dict[str, Any]:
    a = {x.id: x for x in scenario.defended_assets}
    alpha, depot, port, foxtrot = (
        a["base-alpha"],
        a["depot-bravo"],
        a["port-delta"],
        a["city-foxtrot"],
    )
    threats = [
        # ballistic leakers: 0.97 and 0.5 of alpha's radius (hit), 1.03 of it (no hit)
        _threat("b1", "ballistic", _end_near(alpha, 0.97 * alpha.radius_m, 80.0), 300.0),
        _threat("b4", "ballistic", _end_near(alpha, 0.5 * alpha.radius_m, 200.0), 310.0),
        _threat("b2", "ballistic", _end_near(alpha, 1.03 * alpha.radius_m, 100.0), 305.0),
        # killed: no leaker, no hit, even on the centre of an asset
        _threat("b3", "ballistic", (foxtrot.lat_deg, foxtrot.lon_deg), 400.0),
        _threat("c1", "cruise", (depot.lat_deg, depot.lon_deg), 900.0),
        # an aircraft is never a leaker, wherever it ends
        _threat("a1", "aircraft", (port.lat_deg, port.lon_deg), 1_200.0),
        # a cruise leaker 4.8 km from the port: inside its 5 km radius
        _threat("c2", "cruise", _end_near(port, 4_800.0, 300.0), 950.0),
    ]
    killed = {"b3": 180.0, "c1": 150.0}
    engagements = [
        _engagement(0, 100.0, "north-bty-1", "north", "b1", 2, "miss"),
        _engagement(1, 130.0, "east-bty-1", "east", "b1", 1, "miss"),
        _engagement(2, 90.0, "north-bty-3", "north", "c1", 1, "kill", threat_class="cruise"),
        _engagement(3, 95.0, "east-bty-2", "east", "", 2, "aborted"),  # a false track
        _engagement(4, 120.0, "north-bty-1", "north", "c1", 1, "aborted", threat_class="cruise"),
        _engagement(5, 170.0, "east-bty-2", "east", "b3", 1, "kill"),
    ]
    warning = [
        {"object_id": "b1", "partner": "north", "first_alert_s": 40.0},
        {"object_id": "b1", "partner": "east", "first_alert_s": 35.0},
        {"object_id": "c1", "partner": "north", "first_alert_s": None},
        {"object_id": "c1", "partner": "east", "first_alert_s": None},
        {"object_id": "b3", "partner": "north", "first_alert_s": float("nan")},
        {"object_id": "b3", "partner": "east", "first_alert_s": 100.0},
        {"object_id": "b2", "partner": "east", "first_alert_s": 10.0},  # never engaged
    ]
    return {"threats": threats, "killed": killed, "engagements": engagements, "warning": warning}


def test_engagement_measures_hand_counted(scenario: Scenario) -> None:
    c = _case(scenario)
    table = engagements_table(c["engagements"])
    m = engagement_measures(scenario, c["threats"], table, c["killed"], c["warning"])

    # leakers: ballistic and cruise threats not killed that ended within an asset's
    # radius (hand count below, from independent distances); b2 landed 3 % outside
    # Alpha's radius: an impact elsewhere, not a leaker
    assert m["leaker_ids"] == ["b1", "b4", "c2"]
    assert m["leakers"] == 3
    assert m["impact_elsewhere_ids"] == ["b2"]
    assert m["impacts_elsewhere"] == 1
    assert m["in_flight_at_end"] == 0
    assert set(LEAKER_KINDS) == {"ballistic", "cruise"}
    assert m["threats_killed"] == 2
    assert m["leaker_ids"] == _hand_count(scenario, c["threats"], set(c["killed"]))

    # hits: from the ellipsoid's geodesic (vdist), independent of the module's sphere
    expect_hits = []
    for asset in scenario.defended_assets:
        by = []
        for t in c["threats"]:
            if t["kind"] == "aircraft" or t["object_id"] in c["killed"]:
                continue
            d, _ = pymap3d.vincenty.vdist(
                asset.lat_deg, asset.lon_deg, t["impact_lat_deg"], t["impact_lon_deg"]
            )
            if float(d) <= asset.radius_m:
                by.append(t["object_id"])
        if by:
            expect_hits.append(
                {"asset_id": asset.id, "partner": asset.partner, "value": asset.value, "by": by}
            )
    assert m["defended_assets_hit"] == expect_hits
    assert [(h["asset_id"], h["by"]) for h in expect_hits] == [
        ("base-alpha", ["b1", "b4"]),
        ("port-delta", ["c2"]),
    ]
    value = {a.id: a.value for a in scenario.defended_assets}
    assert m["value_hit"] == value["base-alpha"] + value["port-delta"]

    # interceptors: shots summed per partner (a salvo of two is two)
    assert m["interceptors_used"] == {"north": 2 + 1 + 1, "east": 1 + 2 + 1}
    assert m["interceptors_used_total"] == 8
    assert m["engagements"] == 6
    assert m["outcomes"] == {"kill": 2, "miss": 2, "aborted": 2, "in_flight": 0}
    assert m["engagements_per_threat"] == {"(no object)": 1, "b1": 2, "b3": 1, "c1": 2}

    # alert to first shot: first launch minus the earliest finite alert of any partner;
    # c1 (no alert) and b2 (no shot) have none
    assert m["alert_to_first_shot_s"] == {"b1": 100.0 - 35.0, "b3": 170.0 - 100.0}
    assert m["alert_to_first_shot_median_s"] == pytest.approx((65.0 + 70.0) / 2.0)


def test_engagement_measures_no_engagements(scenario: Scenario) -> None:
    c = _case(scenario)
    m = engagement_measures(scenario, c["threats"], engagements_table([]), {}, c["warning"])
    # nothing killed: b3 on Foxtrot's centre and c1 on Depot Bravo's centre now leak
    # and hit them too; b2 still lands outside every radius
    assert m["leaker_ids"] == ["b1", "b4", "b3", "c1", "c2"]
    assert m["leaker_ids"] == _hand_count(scenario, c["threats"], set())
    assert m["impact_elsewhere_ids"] == ["b2"]
    hit = {h["asset_id"]: h["by"] for h in m["defended_assets_hit"]}
    assert hit == {
        "base-alpha": ["b1", "b4"],
        "depot-bravo": ["c1"],
        "port-delta": ["c2"],
        "city-foxtrot": ["b3"],
    }
    assert m["interceptors_used"] == {p.id: 0 for p in scenario.partners}
    assert m["interceptors_used_total"] == 0
    assert m["outcomes"] == {"kill": 0, "miss": 0, "aborted": 0, "in_flight": 0}
    assert m["alert_to_first_shot_s"] == {}
    assert m["alert_to_first_shot_median_s"] is None


def test_engagement_measures_threat_still_flying_at_end_is_no_leaker(scenario: Scenario) -> None:
    c = _case(scenario)
    table = engagements_table(c["engagements"])
    # at 302 s b1 (300 s) has landed; b4, b2 (310, 305 s), c2 (950 s) and the aircraft
    # (1,200 s) are still flying; b3 and c1 were killed
    m = engagement_measures(scenario, c["threats"], table, c["killed"], c["warning"], end_s=302.0)
    assert m["leaker_ids"] == ["b1"]
    assert m["in_flight_ids"] == ["b4", "b2", "a1", "c2"]
    assert m["in_flight_at_end"] == 4
    assert m["impacts_elsewhere"] == 0
    assert [(h["asset_id"], h["by"]) for h in m["defended_assets_hit"]] == [("base-alpha", ["b1"])]


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean sphere, written out here (independent of the module)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R_EARTH_MEAN_M * math.acos(max(-1.0, min(1.0, c)))


def _hand_count(scenario: Scenario, threats: list[dict[str, Any]], killed: set[str]) -> list[str]:
    """Leakers counted by hand: a munition not killed within an asset radius, on the sphere.

    The sphere differs from the ellipsoid by under 0.5 %; every end point of the cases
    lies at least 3 % off a radius, so both distances classify it alike.
    """
    out = []
    for t in threats:
        if t["kind"] not in ("ballistic", "cruise") or t["object_id"] in killed:
            continue
        for a in scenario.defended_assets:
            d = _haversine_m(a.lat_deg, a.lon_deg, t["impact_lat_deg"], t["impact_lon_deg"])
            assert abs(d - a.radius_m) > 0.01 * a.radius_m  # far from the boundary
            if d <= a.radius_m:
                out.append(t["object_id"])
                break
    return out


def test_engagement_measures_sea_impacts_are_no_leakers(scenario: Scenario) -> None:
    """Three ballistic missiles in the sea, 50-300 km from every asset: no leaker, no hit."""
    sea = [(-38.0, 135.0), (-36.5, 133.0), (-40.0, 139.5)]
    threats = [_threat(f"s{k}", "ballistic", p, 500.0 + k) for k, p in enumerate(sea)]
    alpha = next(a for a in scenario.defended_assets if a.id == "base-alpha")
    threats.append(_threat("hit", "ballistic", _end_near(alpha, 100.0, 10.0), 600.0))
    m = engagement_measures(scenario, threats, engagements_table([]), {}, [], end_s=1_800.0)
    assert m["leaker_ids"] == _hand_count(scenario, threats, set()) == ["hit"]
    assert m["impact_elsewhere_ids"] == ["s0", "s1", "s2"]
    for lat, lon in sea:
        nearest = min(
            _haversine_m(a.lat_deg, a.lon_deg, lat, lon) for a in scenario.defended_assets
        )
        assert nearest > 50_000.0
    assert m["value_hit"] == alpha.value


# -- fire and detonation events ---------------------------------------------------------


def test_engagement_events_one_fire_per_shot_one_detonation_per_arrival(
    scenario: Scenario,
) -> None:
    engagements = _case(scenario)["engagements"]
    # given out of order: events come in engagement id order
    fires, dets = engagement_events(list(reversed(engagements)))

    expect_fires, expect_dets = [], []
    for e in sorted(engagements, key=lambda e: e.engagement_id):
        for shot in range(1, e.shots + 1):
            iid = f"{e.battery_id}/e{e.engagement_id}/{shot}"
            expect_fires.append((e.time_s, e.battery_id, iid, e.object_id, e.launch_ecef_m))
            if e.outcome != "aborted":
                expect_dets.append(
                    (e.intercept_time_s, iid, e.object_id, e.intercept_ecef_m, e.outcome == "kill")
                )
    assert len(fires) == sum(e.shots for e in engagements) == 8
    assert len(dets) == 8 - 2 - 1 == 5  # the aborted salvo of two and single shot
    assert list(fires.time_s) == [f[0] for f in expect_fires]
    assert fires.shooter_ids == tuple(f[1] for f in expect_fires)
    assert fires.interceptor_ids == tuple(f[2] for f in expect_fires)
    assert fires.target_ids == tuple(f[3] for f in expect_fires)
    np.testing.assert_array_equal(fires.position_ecef_m, [f[4] for f in expect_fires])
    assert fires.interceptor_ids[:3] == ("north-bty-1/e0/1", "north-bty-1/e0/2", "east-bty-1/e1/1")
    assert list(dets.time_s) == [d[0] for d in expect_dets]
    assert dets.interceptor_ids == tuple(d[1] for d in expect_dets)
    assert dets.target_ids == tuple(d[2] for d in expect_dets)
    np.testing.assert_array_equal(dets.position_ecef_m, [d[3] for d in expect_dets])
    assert dets.kill.dtype == np.bool_
    assert dets.kill.tolist() == [False, False, False, True, True]
    # every detonating interceptor was fired, none of the aborted engagements' were
    assert set(dets.interceptor_ids) <= set(fires.interceptor_ids)
    assert not any("/e3/" in i or "/e4/" in i for i in dets.interceptor_ids)


def test_engagement_events_empty() -> None:
    fires, dets = engagement_events([])
    assert len(fires) == 0 and len(dets) == 0
    assert fires.position_ecef_m.shape == (0, 3)
    assert dets.position_ecef_m.shape == (0, 3)
