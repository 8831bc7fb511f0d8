"""The planning phase without a browser: deployment areas in the scenario (loading names
the unit outside), the plan's edits through the one validator, release agreements
(a release in force only when offered and accepted), lock, coverage, the HTTP routes'
answers to hostile bodies, and the report's plan section."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from plan_scenario import plan_scenario
from skyweave.errors import InputError
from skyweave.exercise.plan_assess import coverage_rows
from skyweave.exercise.planning import (
    PlanLocked,
    PlanningSession,
    PlanRefused,
    initial_state,
    scenario_of,
)
from skyweave.exercise.session import Seat, SeatError
from skyweave.io.report_plan import plan_section_html
from skyweave.scenario import load_scenario
from skyweave.scenario.deployment import inside_area
from skyweave.scenario.schema import DeploymentArea, Scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
#: metres per degree of latitude on the mean sphere (R = 6 371 008.8 m), an independent
#: figure for the circle tests: 2 pi R / 360
KM_PER_DEG = 2 * math.pi * 6_371.0088 / 360


def _example_with(areas: list[dict[str, Any]], tmp_path: Path) -> Path:
    yaml = YAML()
    data = yaml.load(EXAMPLE.read_text())
    data["deployment_areas"] = areas
    path = tmp_path / "s.yaml"
    with path.open("w") as f:
        yaml.dump(data, f)
    return path


# -- deployment areas in the scenario -------------------------------------------------------


def test_the_example_places_every_unit_inside_its_areas() -> None:
    s = load_scenario(EXAMPLE)
    assert {a.partner for a in s.deployment_areas} == {"north", "east"}


def test_a_battery_outside_its_partners_areas_is_named_with_its_field_and_line(
    tmp_path: Path,
) -> None:
    square = [
        {"lat_deg": -20.0, "lon_deg": 129.0},
        {"lat_deg": -20.0, "lon_deg": 137.0},
        {"lat_deg": -30.0, "lon_deg": 137.0},
        {"lat_deg": -30.0, "lon_deg": 129.0},
    ]
    # North's home square holds its home units, but not north-bty-3 at (-33.6, 138.1)
    path = _example_with([{"id": "n", "partner": "north", "polygon": square}], tmp_path)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    (problem,) = caught.value.problems
    assert problem.field_path == "batteries[4].lat_deg"
    assert (
        "north-bty-3" in problem.message and "outside north's deployment areas" in problem.message
    )
    assert problem.line is not None
    # areas for radars only leave batteries free
    path = _example_with(
        [{"id": "n", "partner": "north", "kinds": ["radars"], "polygon": square}], tmp_path
    )
    load_scenario(path)


def test_areas_of_an_unknown_partner_or_of_two_shapes_are_refused(tmp_path: Path) -> None:
    circle = {"lat_deg": -25.0, "lon_deg": 133.0, "radius_km": 100}
    with pytest.raises(InputError) as caught:
        load_scenario(_example_with([{"id": "w", "partner": "west", "circle": circle}], tmp_path))
    assert any(p.field_path == "deployment_areas[0].partner" for p in caught.value.problems)
    corner = {"lat_deg": -25.0, "lon_deg": 133.0}
    both = {"id": "n", "partner": "north", "circle": circle, "polygon": [corner] * 3}
    with pytest.raises(InputError) as caught:
        load_scenario(_example_with([both], tmp_path))
    assert "exactly one of polygon or circle" in str(caught.value)


def test_inside_a_circle_is_within_its_great_circle_radius() -> None:
    area = DeploymentArea.model_validate(
        {"id": "c", "partner": "p", "circle": {"lat_deg": 0.0, "lon_deg": 10.0, "radius_km": 200}}
    )
    # along a meridian one degree is KM_PER_DEG km: 1.79 deg north is inside, 1.81 not
    assert 1.79 * KM_PER_DEG < 200 < 1.81 * KM_PER_DEG
    assert inside_area(area, 1.79, 10.0) and not inside_area(area, 1.81, 10.0)


def test_inside_a_polygon_concave_and_across_the_antimeridian() -> None:
    # an L shape: the notch (the upper right square) is outside
    ell = [(0, 0), (0, 2), (1, 2), (1, 1), (2, 1), (2, 0)]
    area = DeploymentArea.model_validate(
        {
            "id": "l",
            "partner": "p",
            "polygon": [{"lat_deg": la, "lon_deg": lo} for lo, la in ell],
        }
    )
    assert inside_area(area, 0.5, 0.5) and inside_area(area, 1.5, 0.5)
    assert not inside_area(area, 1.5, 1.5) and not inside_area(area, 0.5, 2.5)
    assert inside_area(area, 1.0, 0.5)  # on an edge
    dateline = DeploymentArea.model_validate(
        {
            "id": "d",
            "partner": "p",
            "polygon": [
                {"lat_deg": -10, "lon_deg": 179},
                {"lat_deg": -10, "lon_deg": -179},
                {"lat_deg": -20, "lon_deg": -179},
                {"lat_deg": -20, "lon_deg": 179},
            ],
        }
    )
    assert inside_area(dateline, -15, 180.0) and inside_area(dateline, -15, -179.5)
    assert not inside_area(dateline, -15, 178.5)


# -- the plan -------------------------------------------------------------------------------


@pytest.fixture
def plan() -> PlanningSession:
    return PlanningSession(plan_scenario(), seed=1, workers=1)


def seat(plan: PlanningSession, name: str) -> Seat:
    return next(s for s in plan.seats.values() if s.name == name)


def test_an_untouched_plan_gives_the_scenario_back() -> None:
    base = load_scenario(EXAMPLE)
    assert scenario_of(base, initial_state(base)) == base


def test_a_placement_is_checked_against_owner_areas_and_fields(plan: PlanningSession) -> None:
    north, white = seat(plan, "north"), seat(plan, "white")
    v = plan.edit(north, {"kind": "place", "unit": "north-bty-2", "lat_deg": -24.6, "lon_deg": 132})
    assert v == 1
    moved = {b.id: b for b in plan.scenario().batteries}["north-bty-2"]
    assert (moved.lat_deg, moved.lon_deg) == (-24.6, 132.0)
    # North's expeditionary circle is for batteries: its radar may not go there
    with pytest.raises(PlanRefused, match="outside north's deployment areas for radars"):
        plan.edit(
            north, {"kind": "place", "unit": "north-fcr-1", "lat_deg": -33.6, "lon_deg": 138.1}
        )
    with pytest.raises(SeatError, match="east's"):
        plan.edit(north, {"kind": "place", "unit": "east-bty-1", "lat_deg": -24.6, "lon_deg": 132})
    with pytest.raises(SeatError):
        plan.edit(white, {"kind": "place", "unit": "north-bty-2", "lat_deg": -24, "lon_deg": 132})
    with pytest.raises(PlanRefused, match="no battery or ground radar 'north-ir-1'"):
        plan.edit(north, {"kind": "place", "unit": "north-ir-1", "lat_deg": -24, "lon_deg": 132})
    for body, field in [
        ({"kind": "place", "unit": "north-bty-2", "lat_deg": "x", "lon_deg": 132}, "lat_deg"),
        ({"kind": "place", "unit": "north-bty-2", "lat_deg": 91, "lon_deg": 132}, "lat_deg"),
        ({"kind": "place", "unit": "north-bty-2", "lat_deg": -24}, "lon_deg"),
        ({"kind": "place", "unit": "", "lat_deg": -24, "lon_deg": 132}, "unit"),
        ({"kind": "fly", "unit": "north-bty-2"}, "kind"),
        ({"kind": "asset_value", "asset": "base-alpha", "value": 0}, "value"),
        ({"kind": "asset_value", "asset": "base-alpha", "value": 10**400}, "value"),
        ({"kind": "consent", "policy": "sometimes"}, "policy"),
        ({"kind": "offer", "to": "east", "data_class": "tracks", "release": 1}, "release"),
        ({"kind": "offer", "to": "east", "data_class": "secrets", "release": True}, "data_class"),
        ({"kind": "place", "unit": "north-bty-2", "lat_deg": -24, "lon_deg": 132, "x": 1}, "x"),
    ]:
        with pytest.raises(InputError) as caught:
            plan.edit(north, body)
        assert caught.value.problems[0].field_path == field, body
    assert plan.version == 1  # nothing refused made a version


def test_a_release_is_in_force_only_when_offered_and_accepted(plan: PlanningSession) -> None:
    north, east = seat(plan, "north"), seat(plan, "east")

    def alerts(scenario: Scenario) -> list[tuple[str, list[str]]]:
        return [(r.from_partner, r.to) for r in scenario.policy if r.data_class == "launch_alerts"]

    def row(who: Seat, origin: str, to: str) -> dict[str, Any]:
        return next(
            r
            for r in plan.view(who)["releases"]
            if (r["from"], r["to"], r["data_class"]) == (origin, to, "launch_alerts")
        )

    assert alerts(plan.scenario()) == []
    plan.edit(
        north, {"kind": "offer", "to": "east", "data_class": "launch_alerts", "release": True}
    )
    assert alerts(plan.scenario()) == []  # offered, not accepted
    assert row(east, "north", "east") == {
        "from": "north", "to": "east", "data_class": "launch_alerts",
        "offered": True, "accepted": False, "agreed": False,
    }  # fmt: skip
    plan.edit(
        east, {"kind": "accept", "from": "north", "data_class": "launch_alerts", "accept": True}
    )
    assert alerts(plan.scenario()) == [("north", ["east"])]
    assert row(north, "north", "east")["agreed"] and row(east, "north", "east")["agreed"]
    # East accepts North's... but an acceptance alone releases nothing the other way
    plan.edit(east, {"kind": "accept", "from": "north", "data_class": "tracks", "accept": False})
    plan.edit(
        north, {"kind": "accept", "from": "east", "data_class": "launch_alerts", "accept": True}
    )
    assert alerts(plan.scenario()) == [("north", ["east"])]
    # tracks: in the base both ways; East declining North's tracks ends that release only,
    # keeping the base rule's delay for the other direction
    tracks = [r for r in plan.scenario().policy if r.data_class == "tracks"]
    assert [(r.from_partner, r.to, r.delay_s) for r in tracks] == [("east", ["north"], 1.0)]
    # withdrawn: out of force again
    plan.edit(
        north, {"kind": "offer", "to": "east", "data_class": "launch_alerts", "release": False}
    )
    assert alerts(plan.scenario()) == []
    with pytest.raises(PlanRefused, match="itself"):
        plan.edit(north, {"kind": "offer", "to": "north", "data_class": "tracks", "release": True})
    with pytest.raises(PlanRefused, match="unknown partner"):
        plan.edit(north, {"kind": "accept", "from": "west", "data_class": "tracks", "accept": True})


def test_lock_freezes_the_plan_and_only_the_white_cell_locks(plan: PlanningSession) -> None:
    north, white = seat(plan, "north"), seat(plan, "white")
    plan.edit(north, {"kind": "asset_value", "asset": "base-alpha", "value": 250})
    plan.edit(north, {"kind": "consent", "policy": "after_delay", "delay_s": 12})
    with pytest.raises(SeatError):
        plan.set_lock(north, True)
    assert plan.set_lock(white, True) == {"locked": True, "locked_version": 2}
    with pytest.raises(PlanLocked):
        plan.edit(north, {"kind": "asset_value", "asset": "base-alpha", "value": 10})
    locked = plan.locked_scenario()
    assert {a.id: a.value for a in locked.defended_assets}["base-alpha"] == 250
    consent = {p.id: p.engagement.consent for p in locked.partners}["north"]
    assert (consent.policy, consent.delay_s) == ("after_delay", 12)
    record = plan.record()
    assert record["locked_version"] == 2 and len(record["versions"]) == 3
    plan.set_lock(white, False)
    plan.edit(north, {"kind": "asset_value", "asset": "base-alpha", "value": 10})


def test_a_partner_sees_its_own_units_and_releases_only(plan: PlanningSession) -> None:
    view = plan.view(seat(plan, "east"))
    assert {u["partner"] for u in view["units"]} == {"east"}
    assert all("east" in (r["from"], r["to"]) for r in view["releases"])
    assert set(view["consent"]) == {"east"}
    assert {a["partner"] for a in view["areas"]} == {"east"}
    white = plan.view(seat(plan, "white"))
    assert {u["partner"] for u in white["units"]} == {"north", "east"}


def test_coverage_by_great_circle_range_and_radar_sector() -> None:
    s = load_scenario(EXAMPLE)
    rows = {r["asset"]: r for r in coverage_rows(s, [a.id for a in s.defended_assets], {
        "north-bty-3", "east-fcr-2", "north-fcr-1"})}  # fmt: skip
    # north-bty-3 (-33.6, 138.1; 400 km): City Foxtrot (-32.5, 141.4) is 330 km away,
    # Air Base Alpha 1 100 km
    assert rows["city-foxtrot"]["batteries"] == ["north-bty-3"]
    assert rows["base-alpha"]["batteries"] == []
    # east-fcr-2 at (-31.6, 137.7; 400 km) looks 220 deg +- 90, from 130 to 310 deg: Port
    # Delta (-34.9, 138.55) lies 3.3 deg south and 0.72 deg-of-arc east, 376 km away on
    # bearing atan2(0.72, -3.3) = 168 deg: covered. Base Echo (-31.5, 137.8), 14 km to
    # the north-east (bearing ~ 40 deg), is behind it
    assert rows["port-delta"]["radars"] == ["east-fcr-2"]
    assert rows["base-echo"]["radars"] == []


# -- the routes -----------------------------------------------------------------------------


def test_hostile_bodies_get_a_reason_never_a_server_error(plan: PlanningSession) -> None:
    from fastapi.testclient import TestClient

    from skyweave.exercise.plan_routes import create_plan_app

    client = TestClient(create_plan_app(plan), raise_server_exceptions=False)
    token = {s.name: s.token for s in plan.seats.values()}
    url = f"/api/plan/edit?token={token['north']}"
    assert client.get("/api/plan").status_code == 401
    assert client.get("/api/plan?token=nope").status_code == 401
    for body, status in [
        (b"{", 400),
        (b"[]", 400),
        (b'"x"', 400),
        (b'{"kind": "place", "unit": "north-bty-2", "lat_deg": NaN, "lon_deg": 1}', 400),
        (b'{"kind": "place", "unit": "\\ud800", "lat_deg": 1, "lon_deg": 1}', 400),
        (b"[" * 100 + b"]" * 100, 400),
        (b'{"kind": "place", "unit": "north-bty-2", "lat_deg": 1e308, "lon_deg": 1}', 400),
        (b'{"kind": "place", "unit": "north-bty-2", "lat_deg": -40, "lon_deg": 100}', 422),
        (b'{"kind": "place", "unit": "east-bty-1", "lat_deg": -34, "lon_deg": 138}', 403),
        (b'{"kind": "consent", "policy": "never"}' + b" " * 70_000, 413),
    ]:
        answer = client.post(url, content=body)
        assert answer.status_code == status, (body[:60], answer.text)
        assert answer.json()["error"]
    white = token["white"]
    assert client.post(f"/api/plan/lock?token={white}", json={"locked": "yes"}).status_code == 400
    assert client.post(f"/api/plan/assess?token={white}", json={"runs": 10**9}).status_code == 400
    assert client.post(f"/api/plan/start?token={white}", json={}).status_code == 409
    assert (
        client.post(f"/api/plan/lock?token={token['east']}", json={"locked": True}).status_code
        == 403
    )
    assert client.post(f"/api/plan/lock?token={white}", json={"locked": True}).status_code == 200
    assert client.post(url, json={"kind": "consent", "policy": "never"}).status_code == 409
    page = client.get("/plan")
    assert (
        page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    )


# -- the report -----------------------------------------------------------------------------


def test_the_report_compares_the_assessment_with_the_played_outcome(tmp_path: Path) -> None:
    plan = {
        "locked_version": 4,
        "versions": [{}] * 5,
        "asset_values": {"a": 100, "b": 60},
        "releases": [{"from": "n", "to": "e", "data_class": "tracks", "agreed": True}],
        "assessment_of_locked": True,
        "assessment": {
            "version": 4,
            "runs": 8,
            "done": 8,
            "leakers": {"mean": 1.25, "ci95": [0.5, 2.0]},
            "value_protected": {"mean": 120.0, "ci95": [100.0, 140.0]},
            "interceptors_used": {"mean": 6.0, "ci95": [5.0, 7.0]},
        },
    }
    assert plan_section_html(tmp_path, {}) == ""
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    summary = {"engagement": {"leakers": 3, "value_hit": 60.0, "interceptors_used_total": 6}}
    html = plan_section_html(tmp_path, summary)
    assert "version 4" in html and "4 edits" in html and "1 releases agreed" in html
    # leakers 3 above [0.5, 2.0]; value protected 160 - 60 = 100 within [100, 140]
    assert "<td>1.25 [0.50, 2.00]</td><td>3</td><td>above</td>" in html
    assert "<td>120.0 [100.0, 140.0]</td><td>100</td><td>within</td>" in html


def test_an_assessment_reports_value_protected_with_t_intervals(plan: PlanningSession) -> None:
    from scipy import stats

    from skyweave.exercise.plan_assess import Assessment

    scenario = plan.scenario()
    total = sum(a.value for a in scenario.defended_assets)
    a = Assessment(scenario, plan.version, 1, runs=4, workers=1)
    hits, leakers = [0.0, 100.0, 60.0, 0.0], [0.0, 1.0, 1.0, 0.0]
    a.rows = [
        {
            "status": "ok",
            "seed": k,
            "measures": {"engagement.leakers": n, "engagement.value_hit": h},
        }
        for k, (n, h) in enumerate(zip(leakers, hits, strict=True))
    ] + [{"status": "error", "seed": 9, "measures": {}}]
    view = a.view()
    assert (view["done"], view["failed"]) == (5, 1)
    protected = [total - h for h in hits]
    mean = sum(protected) / 4
    half = stats.t.ppf(0.975, 3) * stats.tstd(protected) / 2.0  # s / sqrt(4)
    assert view["value_protected"]["mean"] == pytest.approx(mean)
    assert view["value_protected"]["ci95"] == pytest.approx([mean - half, mean + half])
    assert view["leakers"]["mean"] == pytest.approx(0.5)
    # one assessment at a time
    plan.assessment = a
    a.running = True
    with pytest.raises(PlanLocked, match="running"):
        plan.assess(seat(plan, "white"), 8)
    with pytest.raises(SeatError):
        plan.assess(seat(plan, "observer"), 8)
