"""Warnings for legal but implausible scenario values (printed; they never stop a run).

The schema's bounds say what the models can run; these checks say what is probably a
mistake: a missile slower than a car, a flight that outlasts the scenario many times over,
a defended asset thousands of km from every radar (latitude and longitude swapped?).
"""

from __future__ import annotations

import math

from skyweave.scenario.schema import AirBreathingThreat, Radar, Scenario

Loc = tuple[str | int, ...]

#: slowest plausible cruise missile or aircraft, m/s
MIN_PLAUSIBLE_SPEED_MPS = 50.0
#: a flight longer than this many times the scenario is probably a unit mistake
MAX_FLIGHT_OVER_DURATION = 10.0
#: an asset farther than this from every radar is probably misplaced, km
FAR_FROM_RADARS_KM = 3_000.0

_EARTH_RADIUS_KM = 6_371.0


def ground_distance_km(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Great-circle distance on the mean sphere (haversine), km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2.0 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _route_km(threat: AirBreathingThreat) -> float:
    points = threat.waypoints
    return sum(
        ground_distance_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)
        for a, b in zip(points[:-1], points[1:], strict=True)
    )


def scenario_warnings(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Implausible but legal values of a validated scenario, as (field location, message)."""
    out: list[tuple[Loc, str]] = []
    for i, threat in enumerate(scenario.threats):
        if not isinstance(threat, AirBreathingThreat):
            continue
        if threat.speed_mps < MIN_PLAUSIBLE_SPEED_MPS:
            out.append(
                (
                    ("threats", i, "speed_mps"),
                    f"{threat.speed_mps:g} m/s is slower than any {threat.type} "
                    f"({MIN_PLAUSIBLE_SPEED_MPS:g} m/s); km/h or knots meant?",
                )
            )
        flight_s = _route_km(threat) * 1e3 / threat.speed_mps
        if flight_s > MAX_FLIGHT_OVER_DURATION * scenario.duration_s:
            out.append(
                (
                    ("threats", i, "waypoints"),
                    f"the flight takes {flight_s:,.0f} s, more than "
                    f"{MAX_FLIGHT_OVER_DURATION:g} times the scenario's {scenario.duration_s:g} s",
                )
            )
    radars = [s for s in scenario.sensors if isinstance(s, Radar)]
    if radars:
        for i, asset in enumerate(scenario.defended_assets):
            distance_km, nearest = min(
                (ground_distance_km(asset.lat_deg, asset.lon_deg, r.lat_deg, r.lon_deg), r.id)
                for r in radars
            )
            if distance_km > FAR_FROM_RADARS_KM:
                out.append(
                    (
                        ("defended_assets", i),
                        f"{distance_km:,.0f} km from the nearest radar ({nearest}); "
                        "latitude and longitude swapped?",
                    )
                )
    return out
