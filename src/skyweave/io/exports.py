"""Globe exports of a run: ``scenario.czml`` for Cesium and ``scenario.kml`` for a quick look."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skyweave.engagement import Engagement, interceptor_object_id, shot_rows
from skyweave.io.czml import write_czml
from skyweave.io.dis import DetonationEvents, FireEvents, SitePoints
from skyweave.io.globe_layers import globe_layers
from skyweave.io.kml import write_kml
from skyweave.io.palette import scenario_partner_colours
from skyweave.io.run_folder import output_indices
from skyweave.kinematics.truth import Truth
from skyweave.scenario.schema import InfraredSatellite, Scenario
from skyweave.sensors.infrared import GEOSTATIONARY_ALTITUDE_M


def scenario_sites(scenario: Scenario) -> SitePoints:
    """Sensors, batteries and defended assets of ``scenario`` as fixed sites."""
    ids: list[str] = []
    partners: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    alt: list[float] = []
    kinds: list[str] = []
    for sensor in scenario.sensors:
        ids.append(sensor.id)
        partners.append(sensor.partner)
        if isinstance(sensor, InfraredSatellite):
            kinds.append("space-ir")
            if sensor.geo_lon_deg is not None:
                lat.append(0.0)
                lon.append(sensor.geo_lon_deg)
                alt.append(GEOSTATIONARY_ALTITUDE_M)
            else:
                assert sensor.position is not None
                lat.append(sensor.position.lat_deg)
                lon.append(sensor.position.lon_deg)
                alt.append(sensor.position.alt_m)
        else:
            kinds.append(f"radar ({sensor.role.replace('_', '-')})")
            lat.append(sensor.lat_deg)
            lon.append(sensor.lon_deg)
            alt.append(sensor.alt_m)
    for battery in scenario.batteries:
        ids.append(battery.id)
        partners.append(battery.partner)
        kinds.append("battery")
        lat.append(battery.lat_deg)
        lon.append(battery.lon_deg)
        alt.append(battery.alt_m)
    for asset in scenario.defended_assets:
        ids.append(asset.id)
        partners.append(asset.partner)
        kinds.append("defended asset")
        lat.append(asset.lat_deg)
        lon.append(asset.lon_deg)
        alt.append(asset.alt_m)
    return SitePoints(
        tuple(ids), tuple(partners), np.array(lat), np.array(lon), np.array(alt), tuple(kinds)
    )


def engagement_events(
    engagements: Sequence[Engagement],
) -> tuple[FireEvents, DetonationEvents]:
    """One Fire per interceptor launched, one Detonation per interceptor that reached
    its intercept point (aborted engagements detonate nothing), in engagement order."""
    rows = shot_rows(engagements)
    fires = FireEvents(
        time_s=np.array([e.time_s for e, _ in rows], dtype=np.float64),
        shooter_ids=tuple(e.battery_id for e, _ in rows),
        interceptor_ids=tuple(interceptor_object_id(e, k) for e, k in rows),
        target_ids=tuple(e.object_id for e, _ in rows),
        position_ecef_m=np.array([e.launch_ecef_m for e, _ in rows], dtype=np.float64).reshape(
            -1, 3
        ),
    )
    ended = [(e, k) for e, k in rows if e.outcome != "aborted"]
    detonations = DetonationEvents(
        time_s=np.array([e.intercept_time_s for e, _ in ended], dtype=np.float64),
        interceptor_ids=tuple(interceptor_object_id(e, k) for e, k in ended),
        target_ids=tuple(e.object_id for e, _ in ended),
        position_ecef_m=np.array([e.intercept_ecef_m for e, _ in ended], dtype=np.float64).reshape(
            -1, 3
        ),
        kill=np.array([e.outcome == "kill" for e, _ in ended], dtype=bool),
    )
    return fires, detonations


def write_globe_exports(
    folder: Path, scenario: Scenario, truth: Truth, engagements: Sequence[Engagement] = ()
) -> None:
    """Write ``scenario.czml`` and ``scenario.kml`` into ``folder`` at the output interval.

    Besides truth, each partner's tracks, fused picture, alerts received and radar
    coverage, read from the tables already in ``folder``
    (:func:`skyweave.io.globe_layers.globe_layers`). Partner colours are the
    scenario's (:mod:`skyweave.io.palette`); interceptors take the colour of the
    partner whose battery fired them.
    """
    idx = output_indices(truth.times_s, scenario.output_interval_s)
    end_s = float(truth.times_s[idx][-1]) if len(idx) else scenario.duration_s
    fires, detonations = engagement_events(engagements)
    common = {
        "sites": scenario_sites(scenario),
        "partners": [p.id for p in scenario.partners],
        "colours": scenario_partner_colours(scenario),
        "layers": globe_layers(folder, scenario, end_s),
        "name": scenario.name,
        "fires": fires,
        "detonations": detonations,
    }
    args = (scenario.epoch, truth.times_s[idx], truth.object_ids, truth.kinds, truth.states[idx])
    write_czml(folder / "scenario.czml", *args, **common)  # type: ignore[arg-type]
    write_kml(folder / "scenario.kml", *args, **common)  # type: ignore[arg-type]
