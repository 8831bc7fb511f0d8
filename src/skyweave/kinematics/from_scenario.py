"""Build the run's :class:`Truth` from the scenario's threat list."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymap3d
from pymap3d.vincenty import vdist

from skyweave.kinematics.airbreathing import WaypointBatch, pad_waypoints, propagate_waypoints
from skyweave.kinematics.ballistic import BallisticBatch, BallisticOptions, propagate_ballistic
from skyweave.kinematics.truth import Truth
from skyweave.rng import component_rng
from skyweave.scenario.expand import AirBreathingFlight, BallisticLaunch, expand_threats
from skyweave.scenario.schema import Scenario


@dataclass(frozen=True)
class ThreatFlight:
    """One threat's flight summary, for ``summary.json`` and later stages."""

    object_id: str
    kind: str
    launch_time_s: float
    launch_lat_deg: float
    launch_lon_deg: float
    end_time_s: float
    end_lat_deg: float
    end_lon_deg: float
    apogee_alt_m: float
    miss_to_aim_m: float
    accidental: bool


CEP_TO_SIGMA = 1.0 / math.sqrt(2.0 * math.log(2.0))
"""Per-axis sigma of a circular normal over its circular error probable (CEP = 1.1774 sigma)."""


def dispersed_aims(
    launches: Sequence[BallisticLaunch], seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Aim (lat, lon) of each launch after its aim dispersion.

    A launch with ``cep_m > 0`` aims at its aim point offset east and north by two
    normal draws of sigma ``cep_m / 1.1774`` from ``component_rng(seed,
    f"aim/{object_id}")``: keyed by the threat, so the offset is the same in every
    mode and sweep point of a seed and does not depend on other threats. Without a
    seed (a planning tool, not a run) nothing is dispersed.
    """
    lat = np.array([b.aim_lat_deg for b in launches], dtype=np.float64)
    lon = np.array([b.aim_lon_deg for b in launches], dtype=np.float64)
    if seed is None:
        return lat, lon
    for k, b in enumerate(launches):
        if b.cep_m > 0.0:
            east_m, north_m = component_rng(seed, f"aim/{b.object_id}").normal(
                0.0, b.cep_m * CEP_TO_SIGMA, size=2
            )
            lat_k, lon_k, _ = pymap3d.enu2geodetic(east_m, north_m, 0.0, lat[k], lon[k], 0.0)
            lat[k], lon[k] = float(lat_k), float(lon_k)
    return lat, lon


def _ballistic(
    launches: Sequence[BallisticLaunch],
    times_s: np.ndarray,
    scenario: Scenario,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, list[ThreatFlight]]:
    aim_lat_deg, aim_lon_deg = dispersed_aims(launches, seed)
    batch = BallisticBatch(
        launch_lat_deg=np.array([b.launch_lat_deg for b in launches]),
        launch_lon_deg=np.array([b.launch_lon_deg for b in launches]),
        launch_alt_m=np.array([b.launch_alt_m for b in launches]),
        launch_time_s=np.array([b.launch_time_s for b in launches]),
        aim_lat_deg=aim_lat_deg,
        aim_lon_deg=aim_lon_deg,
        gamma_deg=np.array([np.nan if b.gamma_deg is None else b.gamma_deg for b in launches]),
        burn_time_s=np.array([b.burn_time_s for b in launches]),
        ballistic_coeff_kg_m2=np.array([b.ballistic_coeff_kg_m2 for b in launches]),
    )
    earth = scenario.earth
    result = propagate_ballistic(
        batch, times_s, BallisticOptions(rotation=earth.rotation, j2=earth.j2, drag=earth.drag)
    )
    flights = [
        ThreatFlight(
            object_id=b.object_id,
            kind="ballistic",
            launch_time_s=b.launch_time_s,
            launch_lat_deg=b.launch_lat_deg,
            launch_lon_deg=b.launch_lon_deg,
            end_time_s=float(result.impact_time_s[i]),
            end_lat_deg=float(result.impact_lat_deg[i]),
            end_lon_deg=float(result.impact_lon_deg[i]),
            apogee_alt_m=float(result.apogee_alt_m[i]),
            # against the aim the scenario gives, dispersion included
            miss_to_aim_m=(
                float(result.miss_m[i])
                if b.cep_m == 0.0
                else float(
                    vdist(
                        b.aim_lat_deg,
                        b.aim_lon_deg,
                        result.impact_lat_deg[i],
                        result.impact_lon_deg[i],
                    )[0]
                )
            ),
            accidental=b.accidental,
        )
        for i, b in enumerate(launches)
    ]
    return result.states, result.burnout_time_s, flights


def _air(
    flights_in: Sequence[AirBreathingFlight], times_s: np.ndarray
) -> tuple[np.ndarray, list[ThreatFlight]]:
    lat, lon = pad_waypoints(
        [f.waypoints_lat_deg for f in flights_in], [f.waypoints_lon_deg for f in flights_in]
    )
    batch = WaypointBatch(
        start_time_s=np.array([f.launch_time_s for f in flights_in]),
        waypoint_lat_deg=lat,
        waypoint_lon_deg=lon,
        speed_mps=np.array([f.speed_mps for f in flights_in]),
        altitude_m=np.array([f.altitude_m for f in flights_in]),
    )
    result = propagate_waypoints(batch, times_s)
    flights = [
        ThreatFlight(
            object_id=f.object_id,
            kind=f.kind,
            launch_time_s=f.launch_time_s,
            launch_lat_deg=f.waypoints_lat_deg[0],
            launch_lon_deg=f.waypoints_lon_deg[0],
            end_time_s=float(result.arrival_time_s[i]),
            end_lat_deg=f.waypoints_lat_deg[-1],
            end_lon_deg=f.waypoints_lon_deg[-1],
            apogee_alt_m=f.altitude_m,
            miss_to_aim_m=0.0,
            accidental=False,
        )
        for i, f in enumerate(flights_in)
    ]
    return result.states, flights


def build_truth(
    scenario: Scenario, times_s: np.ndarray, seed: int | None = None
) -> tuple[Truth, list[ThreatFlight]]:
    """Propagate every threat of ``scenario`` on ``times_s``: ballistic first, then air.

    ``seed`` is the run seed, which draws each ballistic launch's aim dispersion
    (:func:`dispersed_aims`); without it no aim is dispersed.
    """
    ballistic, air = expand_threats(scenario)
    parts: list[np.ndarray] = []
    burnout: list[np.ndarray] = []
    flights: list[ThreatFlight] = []
    rcs: list[str] = []
    if ballistic:
        states, burnout_s, summary = _ballistic(ballistic, times_s, scenario, seed)
        parts.append(states)
        burnout.append(burnout_s)
        flights += summary
        rcs += [b.rcs_class for b in ballistic]
    if air:
        states, summary = _air(air, times_s)
        parts.append(states)
        burnout.append(np.full(len(air), np.nan))
        flights += summary
        rcs += [f.rcs_class for f in air]
    states_all = (
        np.concatenate(parts, axis=1) if parts else np.zeros((len(times_s), 0, 6), np.float64)
    )
    truth = Truth(
        times_s=times_s,
        object_ids=tuple(f.object_id for f in flights),
        kinds=tuple(f.kind for f in flights),
        states=states_all,
        burnout_time_s=np.concatenate(burnout) if burnout else np.zeros(0),
        rcs_class=tuple(rcs),
    )
    return truth, flights
