"""A partner's own picture: its radars' scans fed to its tracker, in time order.

Glue between the sensors' detections table and :class:`~skyweave.tracking.tracker.Tracker`:
detections are grouped into scans on each radar's schedule (a scan that saw
nothing still counts as a look, so unseen tracks age and die), and the confirmed
tracks are reported on the output grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from skyweave.sensors.detections import Detections
from skyweave.sensors.geometry import radar_local_frame
from skyweave.sensors.sampling import overlaps_outage, scan_times
from skyweave.tracking.scan import RadarScan
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig


@dataclass(frozen=True)
class RadarSite:
    """What the tracker needs of one radar: where it is and when it looks."""

    sensor_id: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    revisit_period_s: float
    max_range_m: float
    sigmas: tuple[float, float, float]  # range m, azimuth rad, elevation rad
    outages: tuple[tuple[float, float], ...] = ()
    processing_delay_s: float = 0.0
    boresight_azimuth_rad: float = 0.0
    half_width_azimuth_rad: float = float(np.pi)
    min_elevation_rad: float = float(-np.pi / 2)
    max_elevation_rad: float = float(np.pi / 2)


TRACKS_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("partner", pa.string()),
        ("track_id", pa.int64()),
        ("x_m", pa.float64()),
        ("y_m", pa.float64()),
        ("z_m", pa.float64()),
        ("vx_mps", pa.float64()),
        ("vy_mps", pa.float64()),
        ("vz_mps", pa.float64()),
        ("pos_sigma_m", pa.float64()),
        ("sources", pa.list_(pa.string())),
    ]
)


def build_scans(
    sites: Sequence[RadarSite], detections: Detections, times_s: np.ndarray
) -> list[RadarScan]:
    """Every scan of ``sites`` over ``times_s``, with its detections, in time order.

    Ties in time are broken by sensor id, so the order (and the tracker's output)
    is deterministic.
    """
    scans: list[RadarScan] = []
    radar_rows = detections.sensor_type == "radar"
    for site in sites:
        frame = radar_local_frame(site.lat_deg, site.lon_deg, site.alt_m)
        looks = scan_times(times_s, site.revisit_period_s)
        if site.outages:
            looks = looks[~overlaps_outage(looks, looks + site.processing_delay_s, site.outages)]
        mine = np.flatnonzero(radar_rows & (detections.sensor_id == site.sensor_id))
        det_t = detections.time_s[mine]
        order = np.argsort(det_t, kind="stable")
        mine, det_t = mine[order], det_t[order]
        starts = np.searchsorted(det_t, looks, side="left")
        ends = np.searchsorted(det_t, looks, side="right")
        z_all = np.column_stack(
            [detections.range_m[mine], detections.azimuth_rad[mine], detections.elevation_rad[mine]]
        )
        for t, a, b in zip(looks, starts, ends, strict=True):
            scans.append(
                RadarScan(
                    time_s=float(t),
                    sensor_id=site.sensor_id,
                    sensor_pos_m=frame.position_ecef_m,
                    enu_to_frame=frame.enu_to_ecef,
                    z=z_all[a:b],
                    sigmas=np.asarray(site.sigmas),
                    max_range_m=site.max_range_m,
                    boresight_azimuth_rad=site.boresight_azimuth_rad,
                    half_width_azimuth_rad=site.half_width_azimuth_rad,
                    min_elevation_rad=site.min_elevation_rad,
                    max_elevation_rad=site.max_elevation_rad,
                )
            )
    scans.sort(key=lambda s: (s.time_s, s.sensor_id))
    return scans


def run_partner_tracker(
    partner: str,
    scans: Sequence[RadarScan],
    config: TrackerConfig,
    report_times_s: np.ndarray,
    on_update: Callable[[TrackBatch], None] | None = None,
    on_report: Callable[[float, TrackBatch], None] | None = None,
) -> pa.Table:
    """Feed ``scans`` to one tracker; return its confirmed tracks at ``report_times_s``.

    ``on_update`` sees the confirmed tracks after every scan (the early-warning
    stage listens there); ``on_report`` sees them at each report time, as of the
    last scan before it (what the partner would release over its links).
    """
    tracker = Tracker(config, start_time_s=float(report_times_s[0]) if len(report_times_s) else 0.0)
    columns: dict[str, list[object]] = {name: [] for name in TRACKS_SCHEMA.names}
    next_report = 0

    def report_until(t_s: float) -> None:
        nonlocal next_report
        while next_report < len(report_times_s) and report_times_s[next_report] <= t_s:
            report_s = float(report_times_s[next_report])
            rows = tracker.rows(partner, report_s)
            if on_report is not None:
                on_report(report_s, tracker.confirmed())
            for name in TRACKS_SCHEMA.names:
                values = rows[name]
                columns[name].extend(
                    values.tolist() if isinstance(values, np.ndarray) else list(values)  # type: ignore[call-overload]
                )
            next_report += 1

    for scan in scans:
        # Report times strictly before the scan see the picture as it was then.
        report_until(np.nextafter(scan.time_s, -np.inf))
        batch = tracker.process(scan)
        if on_update is not None:
            on_update(batch)
    report_until(np.inf)
    return pa.Table.from_pydict(columns, schema=TRACKS_SCHEMA)
