"""Expand the scenario's threat list: salvo shorthand into single launches, aims into points."""

from __future__ import annotations

from dataclasses import dataclass

from pymap3d.vincenty import vreckon

from skyweave.scenario.schema import AirBreathingThreat, BallisticThreat, Scenario


@dataclass(frozen=True)
class BallisticLaunch:
    """One ballistic launch, with its aim resolved to a point."""

    object_id: str
    launch_lat_deg: float
    launch_lon_deg: float
    launch_alt_m: float
    launch_time_s: float
    aim_lat_deg: float
    aim_lon_deg: float
    gamma_deg: float | None
    burn_time_s: float
    ballistic_coeff_kg_m2: float
    rcs_class: str
    accidental: bool
    cep_m: float = 0.0


@dataclass(frozen=True)
class AirBreathingFlight:
    """One cruise missile or aircraft flight."""

    object_id: str
    kind: str
    launch_time_s: float
    waypoints_lat_deg: tuple[float, ...]
    waypoints_lon_deg: tuple[float, ...]
    speed_mps: float
    altitude_m: float
    rcs_class: str


def _salvo_members(
    threat: BallisticThreat | AirBreathingThreat,
) -> list[tuple[str, float]]:
    """(object id, launch time) of each launch the threat entry stands for."""
    if threat.salvo is None or threat.salvo.count == 1:
        return [(threat.id, threat.launch_time_s)]
    count = threat.salvo.count
    spacing_s = threat.salvo.over_s / (count - 1)
    return [(f"{threat.id}-{k + 1}", threat.launch_time_s + k * spacing_s) for k in range(count)]


def expand_threats(
    scenario: Scenario,
) -> tuple[list[BallisticLaunch], list[AirBreathingFlight]]:
    """Return every single launch of the scenario, in file order, salvos expanded."""
    ballistic: list[BallisticLaunch] = []
    air: list[AirBreathingFlight] = []
    for threat in scenario.threats:
        for object_id, launch_time_s in _salvo_members(threat):
            if isinstance(threat, BallisticThreat):
                aim = threat.aim
                if aim.lat_deg is not None and aim.lon_deg is not None:
                    aim_lat, aim_lon = aim.lat_deg, aim.lon_deg
                else:
                    assert aim.range_km is not None and aim.azimuth_deg is not None
                    # Geodesic on the ellipsoid: the planner's range is along the ground.
                    aim_lat, aim_lon = vreckon(
                        threat.launch.lat_deg,
                        threat.launch.lon_deg,
                        aim.range_km * 1e3,
                        aim.azimuth_deg,
                    )
                ballistic.append(
                    BallisticLaunch(
                        object_id=object_id,
                        launch_lat_deg=threat.launch.lat_deg,
                        launch_lon_deg=threat.launch.lon_deg,
                        launch_alt_m=threat.launch.alt_m,
                        launch_time_s=launch_time_s,
                        aim_lat_deg=float(aim_lat),
                        aim_lon_deg=float(aim_lon),
                        gamma_deg=threat.gamma_deg,
                        burn_time_s=threat.burn_time_s,
                        ballistic_coeff_kg_m2=threat.ballistic_coefficient_kg_m2,
                        rcs_class=threat.rcs_class,
                        accidental=threat.accidental,
                        cep_m=threat.cep_m,
                    )
                )
            else:
                air.append(
                    AirBreathingFlight(
                        object_id=object_id,
                        kind=threat.type,
                        launch_time_s=launch_time_s,
                        waypoints_lat_deg=tuple(w.lat_deg for w in threat.waypoints),
                        waypoints_lon_deg=tuple(w.lon_deg for w in threat.waypoints),
                        speed_mps=threat.speed_mps,
                        altitude_m=threat.altitude_m,
                        rcs_class=threat.rcs_class,
                    )
                )
    return ballistic, air
