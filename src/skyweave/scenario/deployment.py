"""Deployment areas: is each battery and ground radar where its partner may place it?

The areas (``deployment_areas`` in a scenario, :class:`~skyweave.scenario.schema.DeploymentArea`)
bound the planning phase: a unit of a kind its partner has areas for must lie inside one
of them. Used by scenario loading (a unit outside is an error naming its field path) and
by the planning console, which refuses a placement outside before it reaches the plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from skyweave.scenario.schema import DeploymentArea, Radar, Scenario

Loc = tuple[str | int, ...]
#: mean Earth radius for great-circle distances to a circle's centre, metres
EARTH_RADIUS_M = 6_371_008.8


def great_circle_km(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Haversine distance between two points on the mean sphere, km."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp, dl = p2 - p1, math.radians(lon2_deg - lon1_deg)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) / 1e3


def _wrap(lon_deg: float, around_deg: float) -> float:
    """``lon_deg`` shifted by whole turns to within 180 degrees of ``around_deg``."""
    return around_deg + (lon_deg - around_deg + 180.0) % 360.0 - 180.0


def inside_area(area: DeploymentArea, lat_deg: float, lon_deg: float) -> bool:
    """Whether a point lies inside ``area`` (a polygon's edge counts as inside).

    A polygon is tested by ray casting in latitude and longitude (edges straight in
    those coordinates, as drawn on the planning map), longitudes unwrapped around its
    first corner so an area across the antimeridian works; a circle by great-circle
    distance to its centre.
    """
    if area.circle is not None:
        c = area.circle
        return great_circle_km(c.lat_deg, c.lon_deg, lat_deg, lon_deg) <= c.radius_km + 1e-9
    assert area.polygon is not None
    ref = area.polygon[0].lon_deg
    xs = [_wrap(p.lon_deg, ref) for p in area.polygon]
    ys = [p.lat_deg for p in area.polygon]
    x, y = _wrap(lon_deg, ref), lat_deg
    inside = False
    n = len(xs)
    for k in range(n):
        x1, y1, x2, y2 = xs[k], ys[k], xs[(k + 1) % n], ys[(k + 1) % n]
        # on an edge: inside (a unit placed on the drawn boundary is allowed)
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if (
            abs(cross) <= 1e-9 * max(1.0, abs(x2 - x1) + abs(y2 - y1))
            and min(x1, x2) - 1e-12 <= x <= max(x1, x2) + 1e-12
            and min(y1, y2) - 1e-12 <= y <= max(y1, y2) + 1e-12
        ):
            return True
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def areas_for(areas: Sequence[DeploymentArea], partner: str, kind: str) -> list[DeploymentArea]:
    """The areas where ``partner`` may place units of ``kind`` (batteries or radars)."""
    return [a for a in areas if a.partner == partner and kind in a.kinds]


def placement_problem(
    areas: Sequence[DeploymentArea], partner: str, kind: str, lat_deg: float, lon_deg: float
) -> str | None:
    """Why a unit of ``partner`` and ``kind`` may not stand at a point, or None if it may."""
    mine = areas_for(areas, partner, kind)
    if not mine or any(inside_area(a, lat_deg, lon_deg) for a in mine):
        return None
    names = ", ".join(a.id for a in mine)
    return (
        f"({lat_deg:.3f}, {lon_deg:.3f}) lies outside {partner}'s deployment areas for "
        f"{kind} ({names})"
    )


def deployment_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """``(field path, message)`` for each area of an unknown partner and each battery or
    ground radar outside its partner's areas (none when the scenario gives no areas)."""
    areas = scenario.deployment_areas
    if not areas:
        return []
    problems: list[tuple[Loc, str]] = []
    partners = {p.id for p in scenario.partners}
    seen: set[str] = set()
    for i, area in enumerate(areas):
        if area.partner not in partners:
            problems.append(
                (
                    ("deployment_areas", i, "partner"),
                    f"unknown partner '{area.partner}'; partners are {sorted(partners)}",
                )
            )
        if area.id in seen:
            problems.append((("deployment_areas", i, "id"), f"duplicate area id '{area.id}'"))
        seen.add(area.id)
    for i, battery in enumerate(scenario.batteries):
        wrong = placement_problem(
            areas, battery.partner, "batteries", battery.lat_deg, battery.lon_deg
        )
        if wrong:
            problems.append((("batteries", i, "lat_deg"), f"battery '{battery.id}' at {wrong}"))
    for i, sensor in enumerate(scenario.sensors):
        if isinstance(sensor, Radar):
            wrong = placement_problem(
                areas, sensor.partner, "radars", sensor.lat_deg, sensor.lon_deg
            )
            if wrong:
                problems.append((("sensors", i, "lat_deg"), f"radar '{sensor.id}' at {wrong}"))
    return problems


__all__ = [
    "areas_for",
    "deployment_problems",
    "great_circle_km",
    "inside_area",
    "placement_problem",
]
