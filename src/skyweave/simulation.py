"""One run of a scenario, stage after stage down the kill chain.

This module only wires the stages together: it maps the scenario onto each
stage's parameter dataclasses, calls the stages in data-flow order and gathers
their tables and measures. The physics and logic live in the stage packages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyweave import __version__
from skyweave.analysis.engagement_measures import engagement_measures
from skyweave.analysis.metrics_run import compute_run_metrics
from skyweave.analysis.warning_times import ThreatTiming, warning_measures
from skyweave.c2.decision import (
    ConsentDecision,
    ConsentPolicy,
    DecisionLog,
    ReplayMismatch,
    ScenarioConsent,
    ThreatObjects,
    run_decision_cycles,
)
from skyweave.engagement import (
    Engagement,
    apply_kills,
    engagement_columns,
    interceptor_truth,
    merge_truth,
)
from skyweave.io.console import stage_progress
from skyweave.io.run_folder import output_indices, truth_table
from skyweave.kinematics.from_scenario import ThreatFlight, build_truth
from skyweave.kinematics.truth import Truth
from skyweave.network import LinkBoundary, Messages, release_alerts
from skyweave.rng import component_rng
from skyweave.scenario.schema import InfraredSatellite, Radar, Scenario
from skyweave.scenario.timeline import inject_windows
from skyweave.sensors import (
    Detections,
    InfraredSatelliteParams,
    RadarParams,
    concat_detections,
    detections_to_arrow_table,
    simulate_infrared,
    simulate_radar,
)
from skyweave.tracking.fusion import FusedPicture
from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm
from skyweave.tracking.partner_picture import RadarSite, build_scans, run_partner_tracker
from skyweave.tracking.shared_picture import fused_pictures
from skyweave.tracking.tracker import TrackBatch, TrackerConfig
from skyweave.warning.alerts import Alerts, alerts_to_arrow_table
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.partner_stream import PartnerWarning

STAGES = ["kinematics", "sensors", "tracking, warning and engagement", "writing tables"]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, ready to be written to its folder."""

    truth: Truth
    detections: Detections
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    wall_s: float = 0.0
    engagements: tuple[Engagement, ...] = ()


def time_grid(scenario: Scenario, until_s: float | None = None) -> np.ndarray:
    """Simulation times from 0 to the end (``until_s`` caps the duration)."""
    end_s = scenario.duration_s if until_s is None else min(until_s, scenario.duration_s)
    steps = int(math.floor(end_s / scenario.time_step_s + 1e-9))
    return np.arange(steps + 1, dtype=np.float64) * scenario.time_step_s


def sensor_outages(
    scenario: Scenario, sensor_id: str, end_s: float
) -> tuple[tuple[float, float], ...]:
    """Outages of one sensor: its own list plus failure/repair injects on the timeline.

    A failure never repaired lasts past the end of the run (the sensor models
    want finite windows).
    """
    spec = next(s for s in scenario.sensors if s.id == sensor_id)
    windows = [(w.start_s, w.end_s) for w in spec.outages]
    windows += inject_windows(scenario, sensor_id, "sensor_failure", "sensor_repair")
    return tuple(sorted((s, min(e, end_s + 1.0)) for s, e in windows if min(e, end_s + 1.0) > s))


def radar_params(spec: Radar, outages: Sequence[tuple[float, float]]) -> RadarParams:
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
    spec: InfraredSatellite, outages: Sequence[tuple[float, float]]
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


def simulate_sensors(scenario: Scenario, truth: Truth, seed: int) -> Detections:
    """Every sensor's detections over the run, each from its own random generator."""
    end_s = float(truth.times_s[-1])
    batches = []
    for spec in scenario.sensors:
        outages = sensor_outages(scenario, spec.id, end_s)
        rng = component_rng(seed, f"sensor/{spec.id}")
        if isinstance(spec, Radar):
            batches.append(simulate_radar(radar_params(spec, outages), truth, rng))
        else:
            batches.append(simulate_infrared(infrared_params(spec, outages), truth, rng))
    return concat_detections(batches)


def radar_site(spec: Radar, outages: Sequence[tuple[float, float]]) -> RadarSite:
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
        outages=tuple(outages),
        boresight_azimuth_rad=math.radians(spec.boresight_az_deg),
        half_width_azimuth_rad=math.radians(spec.sector_half_width_deg),
        min_elevation_rad=math.radians(spec.min_elevation_deg),
        max_elevation_rad=math.radians(spec.max_elevation_deg),
    )


# Two modes: free flight under gravity (ballistic missiles; the process noise
# absorbs drag and thrust tail-off) and constant velocity (cruise missiles and
# aircraft, which a gravity model would see sinking and drop or duplicate).
TRACKER_CONFIG = TrackerConfig(
    motion=Imm(
        models=(Ballistic(q_m2_s3=20.0, frame="ecef"), ConstantVelocity(q_m2_s3=5.0)),
        switch_rate_per_s=(0.01, 0.01),
        initial_probabilities=(0.5, 0.5),
    ),
    init_velocity_sigma_mps=2000,
    max_pos_sigma_m=100_000.0,
    confirm_hits=4,
    confirm_window=6,
    max_coast_s=35.0,
)


@dataclass(frozen=True)
class Pictures:
    """What the tracking and warning stage hands on: its tables and the fused pictures."""

    tables: dict[str, pa.Table]
    fused: dict[str, list[FusedPicture]]


def track_and_warn(
    scenario: Scenario,
    truth: Truth,
    detections: Detections,
    seed: int,
    boundary: LinkBoundary | None = None,
) -> Pictures:
    """Own pictures, shared data across the link boundary, fused pictures and alerts.

    Data flows one way: each partner's own tracker reads only its own radars;
    infrared lines of sight and tracks released by others arrive through the
    link boundary (policy, latency, loss, outages) and feed the receiver's
    launch detection and fused picture; alerts are released last.

    Returns the ``tracks`` (own trackers), ``picture`` (fused), ``alerts`` and
    ``events`` tables (an alert row's ``origin_partner`` says whose sensors
    produced it) and each partner's fused pictures at the report times.
    """
    end_s = float(truth.times_s[-1])
    report_times = truth.times_s[output_indices(truth.times_s, scenario.output_interval_s)]
    boundary = boundary or LinkBoundary(scenario, seed)
    infrared = detections.take(detections.sensor_type == "infrared")
    shared_ir = boundary.deliver(
        Messages.build(
            infrared.report_time_s,
            infrared.partner,
            "detections",
            payload_row=np.arange(len(infrared)),
        )
    )
    track_tables = []
    own_alerts: dict[str, Alerts] = {}
    snapshots: dict[str, list[tuple[float, TrackBatch]]] = {}
    for partner in scenario.partners:
        sites = [
            radar_site(s, sensor_outages(scenario, s.id, end_s))
            for s in scenario.sensors
            if isinstance(s, Radar) and s.partner == partner.id
        ]
        assets = [a for a in scenario.defended_assets if a.partner == partner.id]
        received_ir = shared_ir.for_receiver(partner.id, "detections")
        remote_ir = replace(
            infrared.take(received_ir.payload_row), report_time_s=received_ir.arrival_time_s
        )
        warning = PartnerWarning(
            partner.id,
            DefendedAssets.from_lists(
                [a.id for a in assets],
                [a.lat_deg for a in assets],
                [a.lon_deg for a in assets],
                [a.radius_m for a in assets],
            ),
            concat_detections([infrared.take(infrared.partner == partner.id), remote_ir]),
        )
        scans = build_scans(sites, detections, truth.times_s)
        mine: list[tuple[float, TrackBatch]] = []
        track_tables.append(
            run_partner_tracker(
                partner.id,
                scans,
                TRACKER_CONFIG,
                report_times,
                on_update=warning.on_tracks,
                on_report=_collector(mine),
            )
        )
        snapshots[partner.id] = mine
        own_alerts[partner.id] = warning.finish(end_s)
    picture, fused = fused_pictures([p.id for p in scenario.partners], snapshots, boundary)
    alert_tables = [_with_origin(alerts, origin) for origin, alerts in own_alerts.items()]
    for received in release_alerts(scenario, own_alerts, seed=seed).values():
        alert_tables += [_with_origin(alerts, origin) for origin, alerts in received]
    alerts_table = pa.concat_tables(alert_tables)
    order = pc.sort_indices(
        alerts_table, sort_keys=[("time_s", "ascending"), ("partner", "ascending")]
    )
    tables = {
        "tracks": pa.concat_tables(track_tables),
        "picture": picture,
        "alerts": alerts_table.take(order),
    }
    return Pictures(tables, fused)


def _collector(
    into: list[tuple[float, TrackBatch]],
) -> Callable[[float, TrackBatch], None]:
    def collect(time_s: float, batch: TrackBatch) -> None:
        into.append((time_s, batch))

    return collect


EVENTS_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("target", pa.string()),
        ("text", pa.string()),
    ]
)


def events_table(
    scenario: Scenario,
    boundary: LinkBoundary,
    end_s: float,
    decisions: Sequence[ConsentDecision] = (),
) -> pa.Table:
    """``events.parquet``: white-cell injects, the network's state changes and the
    operators' consent decisions (at the time they were answered), in time order."""
    rows: list[tuple[float, str, str, str | None, str]] = [
        (i.time_s, "inject", str(i.kind), i.target, i.text)
        for i in scenario.injects
        if i.time_s <= end_s
    ]
    rows += [
        (t, "network", kind, str(subject), "")
        for t, kind, subject in boundary.state_changes()
        if t <= end_s
    ]
    rows += [
        (
            d.answered_s,
            "c2",
            "consent_granted" if d.granted else "consent_denied",
            d.battery_id,
            d.event_text(),
        )
        for d in decisions
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3] or "", r[4]))
    return pa.table(
        {f.name: pa.array([r[k] for r in rows], f.type) for k, f in enumerate(EVENTS_SCHEMA)}
    )


def _with_origin(alerts: Alerts, origin: str) -> pa.Table:
    table = alerts_to_arrow_table(alerts)
    return table.append_column("origin_partner", pa.array([origin] * len(alerts), pa.string()))


def _threat_timings(flights: Sequence[ThreatFlight]) -> list[ThreatTiming]:
    return [
        ThreatTiming(
            object_id=f.object_id,
            kind=f.kind,
            launch_time_s=f.launch_time_s,
            launch_lat_deg=f.launch_lat_deg,
            launch_lon_deg=f.launch_lon_deg,
            impact_time_s=f.end_time_s if f.kind != "aircraft" else float("nan"),
        )
        for f in flights
    ]


def _threat_rows(
    flights: Sequence[ThreatFlight], killed_at_s: Mapping[str, float]
) -> list[dict[str, Any]]:
    return [
        {
            "object_id": f.object_id,
            "kind": f.kind,
            "launch_time_s": f.launch_time_s,
            "end_time_s": f.end_time_s,
            "flight_time_s": f.end_time_s - f.launch_time_s,
            "apogee_km": f.apogee_alt_m / 1e3,
            "impact_lat_deg": f.end_lat_deg,
            "impact_lon_deg": f.end_lon_deg,
            "miss_to_aim_m": f.miss_to_aim_m,
            "accidental": f.accidental,
            "killed_s": killed_at_s.get(f.object_id),
        }
        for f in flights
    ]


def track_quality_summary(run_dir: Path) -> dict[str, Any]:
    """GOSPA and SIAP per partner, computed from the run's own Parquet files."""
    metrics = compute_run_metrics(run_dir)
    per_partner = {}
    for partner, m in metrics["partners"].items():
        gospa = m["gospa"]
        per_partner[partner] = {
            "gospa_mean_m": gospa.get("mean_distance_m"),
            "gospa_mean_missed_targets": gospa.get("mean_missed_count"),
            "gospa_mean_false_tracks": gospa.get("mean_false_count"),
            "siap": m["siap"],
        }
    return {"track_quality": {"parameters": metrics["parameters"], "partners": per_partner}}


ENGAGEMENTS_EXTRA = ("intercept", "launch")


def engagements_table(engagements: Sequence[Engagement]) -> pa.Table:
    """``engagements.parquet``: one row per engagement, in engagement id order.

    The columns of :data:`~skyweave.engagement.ENGAGEMENT_COLUMNS`, plus the
    planned intercept point and the launch point in ECEF
    (``intercept_x_m`` ... ``launch_z_m``).
    """
    cols: dict[str, Any] = dict(engagement_columns(engagements))
    rows = sorted(engagements, key=lambda e: e.engagement_id)
    for name in ENGAGEMENTS_EXTRA:
        xyz = np.array([getattr(e, f"{name}_ecef_m") for e in rows], dtype=np.float64)
        xyz = xyz.reshape(len(rows), 3)
        for k, axis in enumerate("xyz"):
            cols[f"{name}_{axis}_m"] = xyz[:, k]
    arrays = {}
    for name, values in cols.items():
        if values.dtype == object:
            arrays[name] = pa.array(values.tolist(), pa.string())
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def threat_objects(truth: Truth, flights: Sequence[ThreatFlight]) -> ThreatObjects:
    """The threat truth the decision cycle labels tracks with."""
    end = {f.object_id: f.end_time_s for f in flights}
    return ThreatObjects(
        times_s=truth.times_s,
        object_ids=truth.object_ids,
        kinds=truth.kinds,
        positions_ecef_m=truth.states[..., :3],
        end_time_s=np.array([end.get(o, np.inf) for o in truth.object_ids]),
    )


def censor_detections(detections: Detections, killed_at_s: Mapping[str, float]) -> Detections:
    """Detections without those of killed objects after their kill time.

    Sensing the uncensored truth once and removing what a destroyed object can
    no longer produce is the same as sensing the truth with the kills applied,
    and it keeps every other detection's noise draw unchanged.
    """
    if not killed_at_s:
        return detections
    kill = np.array(
        [killed_at_s.get(o, np.inf) if o is not None else np.inf for o in detections.object_id]
    )
    return detections.take(detections.time_s <= kill)


@dataclass(frozen=True)
class Engaged:
    """The tracking, warning and engagement stages run to a consistent outcome."""

    pictures: Pictures
    log: DecisionLog
    detections: Detections
    boundary: LinkBoundary
    passes: int


def track_warn_and_engage(
    scenario: Scenario,
    truth: Truth,
    flights: Sequence[ThreatFlight],
    detections: Detections,
    seed: int,
    consent: ConsentPolicy,
) -> Engaged:
    """Tracking, warning and the decision cycle until the kills feed back consistently.

    Kills change what the sensors see from the kill time on, so the run is
    repeated with the detections of the killed objects removed after their
    kills, until a pass kills exactly what the previous pass assumed. Every
    stage is causal (nothing before a time depends on anything after it) and
    every random draw is tied to its component and its place in time, so each
    pass reproduces the previous one up to its first changed kill and settles
    at least one more kill: the loop ends after at most one pass per kill
    (typically two or three passes in all) with the outcome a step-by-step
    simulation would give.
    """
    end_s = float(truth.times_s[-1])
    boundary = LinkBoundary(scenario, seed)
    objects = threat_objects(truth, flights)
    killed: dict[str, float] = {}
    for passes in range(1, len(truth.object_ids) + 3):
        consent.begin_pass()
        seen = censor_detections(detections, killed)
        pictures = track_and_warn(scenario, truth, seen, seed, boundary)
        log = run_decision_cycles(scenario, seed, pictures.fused, objects, boundary, consent, end_s)
        if log.killed_at_s == killed:
            missing = consent.unanswered()
            if missing:
                raise ReplayMismatch(missing[0])
            return Engaged(pictures, log, seen, boundary, passes)
        killed = log.killed_at_s
    raise RuntimeError("the engagement feedback did not settle; please report this scenario")


def run_scenario(
    scenario: Scenario,
    seed: int,
    until_s: float | None = None,
    progress: bool = False,
    consent: ConsentPolicy | None = None,
) -> RunResult:
    """Run ``scenario`` with ``seed``; return its tables and summary (nothing written).

    ``consent`` answers engagement orders (default: the scenario's policies;
    a replay passes the recorded decisions).
    """
    wall_start = time.perf_counter()
    times_s = time_grid(scenario, until_s)
    with stage_progress(STAGES, progress) as advance:
        threats_truth, flights = build_truth(scenario, times_s)
        advance("kinematics")
        sensed = simulate_sensors(scenario, threats_truth, seed)
        advance("sensors")
        engaged = track_warn_and_engage(
            scenario, threats_truth, flights, sensed, seed, consent or ScenarioConsent(scenario)
        )
        log, detections = engaged.log, engaged.detections
        advance("tracking, warning and engagement")
        truth = merge_truth(
            apply_kills(threats_truth, log.killed_at_s),
            interceptor_truth(times_s, log.engagements),
        )
        shared = engaged.pictures.tables
        tables = {
            "truth": truth_table(truth, scenario.output_interval_s),
            "detections": detections_to_arrow_table(detections),
            **shared,
            "events": events_table(scenario, engaged.boundary, float(times_s[-1]), log.decisions),
            "engagements": engagements_table(log.engagements),
        }
        summary_warning = warning_measures(
            _threat_timings(flights),
            [p.id for p in scenario.partners],
            tables["truth"],
            tables["detections"],
            shared["tracks"],
            shared["alerts"],
        )
        threat_rows = _threat_rows(flights, log.killed_at_s)
        engagement = engagement_measures(
            scenario,
            threat_rows,
            tables["engagements"],
            log.killed_at_s,
            summary_warning["per_threat"],
            end_s=float(times_s[-1]),
        )
        advance("writing tables")
    kinds: dict[str, int] = {}
    for kind in threats_truth.kinds:
        kinds[kind] = kinds.get(kind, 0) + 1
    granted = sum(d.granted for d in log.decisions)
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": seed,
        "skyweave_version": __version__,
        "coordination_mode": scenario.coordination_mode,
        "simulated_s": float(times_s[-1]),
        "counts": {
            "partners": len(scenario.partners),
            "defended_assets": len(scenario.defended_assets),
            "sensors": len(scenario.sensors),
            "batteries": len(scenario.batteries),
            "threats": len(threats_truth.object_ids),
            "threats_by_kind": kinds,
            "detections": int(len(detections.time_s)),
            "false_alarms": int(sum(1 for o in detections.object_id if o is None)),
        },
        "threats": threat_rows,
        "warning": summary_warning,
        "engagement": {
            **engagement,
            "decision_cycles": log.cycles,
            "consent": {"granted": granted, "denied": len(log.decisions) - granted},
            "orders_refused": log.refusals,
            "feedback_passes": engaged.passes,
        },
    }
    wall_s = round(time.perf_counter() - wall_start, 3)
    return RunResult(
        truth=truth,
        detections=detections,
        tables=tables,
        summary=summary,
        wall_s=wall_s,
        engagements=tuple(log.engagements),
    )
