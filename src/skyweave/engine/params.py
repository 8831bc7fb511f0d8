"""The scenario mapped onto each stage's parameters, once, before a run starts.

Degrees, km and dB at the edge (the scenario file); SI inside (the stages).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from skyweave.c2.params import C2Params
from skyweave.scenario.schema import InfraredSatellite, Radar, Scenario
from skyweave.scenario.timeline import inject_windows
from skyweave.sensors import InfraredSatelliteParams, RadarParams
from skyweave.tracking.partner_picture import RadarSite
from skyweave.tracking.presets import threat_tracker_config
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.threat_model import AssetInfo


def scheduled_outages(spec: Radar | InfraredSatellite) -> tuple[tuple[float, float], ...]:
    """A sensor's own outage schedule (injected failures act on the run as it goes)."""
    return tuple(sorted((w.start_s, w.end_s) for w in spec.outages if w.end_s > w.start_s))


def sensor_outages(
    scenario: Scenario, sensor_id: str, end_s: float
) -> tuple[tuple[float, float], ...]:
    """A sensor's outages over a run: its schedule plus the scenario's failure/repair
    injects (for measures computed after the run; a failure never repaired lasts
    past ``end_s``)."""
    spec = next(s for s in scenario.sensors if s.id == sensor_id)
    windows = list(scheduled_outages(spec))
    windows += inject_windows(scenario, sensor_id, "sensor_failure", "sensor_repair")
    return tuple(sorted((s, min(e, end_s + 1.0)) for s, e in windows if min(e, end_s + 1.0) > s))


def radar_params(spec: Radar, outages: Sequence[tuple[float, float]] = ()) -> RadarParams:
    """Scenario radar (degrees, km, dB at the edge) to the sensor model's SI parameters."""
    return RadarParams(
        sensor_id=spec.id,
        partner=spec.partner,
        lat_deg=spec.lat_deg,
        lon_deg=spec.lon_deg,
        alt_m=spec.alt_m,
        max_range_m=spec.max_range_km * 1e3,
        revisit_period_s=spec.revisit_s,
        snr_ref=10.0 ** (spec.reference_snr_db / 10.0),
        ref_range_m=spec.reference_range_km * 1e3,
        pfa=spec.false_alarm_probability,
        sigma_range_m=spec.sigma_range_m,
        sigma_azimuth_rad=spec.sigma_azimuth_mrad * 1e-3,
        sigma_elevation_rad=spec.sigma_elevation_mrad * 1e-3,
        boresight_azimuth_rad=math.radians(spec.boresight_az_deg),
        half_width_azimuth_rad=math.radians(spec.sector_half_width_deg),
        min_elevation_rad=math.radians(spec.min_elevation_deg),
        max_elevation_rad=math.radians(spec.max_elevation_deg),
        mean_false_alarms_per_scan=spec.false_alarms_per_scan,
        outages=tuple(outages),
    )


def infrared_params(
    spec: InfraredSatellite, outages: Sequence[tuple[float, float]] = ()
) -> InfraredSatelliteParams:
    """Scenario infrared satellite to the sensor model's SI parameters."""
    common: dict[str, Any] = {
        "frame_period_s": spec.frame_period_s,
        "sigma_los_rad": spec.los_sigma_urad * 1e-6,
        "processing_delay_s": spec.processing_delay_s,
        "cloud_top_altitude_m": spec.cloud_top_alt_m,
        "outages": tuple(outages),
    }
    if spec.geo_lon_deg is not None:
        return InfraredSatelliteParams.geostationary(
            spec.id, spec.partner, spec.geo_lon_deg, **common
        )
    assert spec.position is not None
    p = spec.position
    return InfraredSatelliteParams.at_geodetic(
        spec.id, spec.partner, p.lat_deg, p.lon_deg, p.alt_m, **common
    )


def sensor_params(scenario: Scenario) -> list[RadarParams | InfraredSatelliteParams]:
    """Every sensor's model parameters, in scenario order, with its own outage schedule."""
    return [
        radar_params(s, scheduled_outages(s))
        if isinstance(s, Radar)
        else infrared_params(s, scheduled_outages(s))
        for s in scenario.sensors
    ]


def radar_site(spec: Radar) -> RadarSite:
    """What a partner's tracker needs to know of one of its radars."""
    return RadarSite(
        sensor_id=spec.id,
        lat_deg=spec.lat_deg,
        lon_deg=spec.lon_deg,
        alt_m=spec.alt_m,
        revisit_period_s=spec.revisit_s,
        max_range_m=spec.max_range_km * 1e3,
        sigmas=(
            spec.sigma_range_m,
            spec.sigma_azimuth_mrad * 1e-3,
            spec.sigma_elevation_mrad * 1e-3,
        ),
        outages=scheduled_outages(spec),
        boresight_azimuth_rad=math.radians(spec.boresight_az_deg),
        half_width_azimuth_rad=math.radians(spec.sector_half_width_deg),
        min_elevation_rad=math.radians(spec.min_elevation_deg),
        max_elevation_rad=math.radians(spec.max_elevation_deg),
    )


def warning_assets(scenario: Scenario) -> tuple[DefendedAssets, list[AssetInfo]]:
    """Every defended asset a partner's threat board reports threats against, whoever
    owns it (a coalition shares where its assets are), with name, owner and value."""
    assets = scenario.defended_assets
    columns = DefendedAssets.from_lists(
        [a.id for a in assets],
        [a.lat_deg for a in assets],
        [a.lon_deg for a in assets],
        [a.radius_m for a in assets],
    )
    return columns, [AssetInfo(a.id, a.name or a.id, a.partner, float(a.value)) for a in assets]


# The partner tracker: coast, boost and constant velocity, tuned to be consistent
# (see skyweave.tracking.presets for each number and why).
TRACKER_CONFIG = threat_tracker_config()


def coalition_cell(scenario: Scenario) -> str:
    """The partner whose command post hosts the coalition cell (integrated mode)."""
    return scenario.c2.coalition_cell or scenario.partners[0].id


def c2_params(scenario: Scenario) -> C2Params:
    """The scenario's command and control, for the decision stage."""
    return C2Params(
        partners=tuple(p.id for p in scenario.partners),
        rules={p.id: p.engagement for p in scenario.partners},
        batteries=tuple(scenario.batteries),
        assets=tuple(scenario.defended_assets),
        integrated=scenario.coordination_mode == "integrated",
        cell=coalition_cell(scenario),
        decision_period_s=float(scenario.decision_period_s),
        wta_method=scenario.c2.wta_method,
        wta_time_limit_s=float(scenario.c2.wta_time_limit_s),
        min_value_saved=float(scenario.c2.min_value_saved),
    )
