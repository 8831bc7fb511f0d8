"""A partner's own picture: what its tracker needs of its radars, and the tracks table.

A radar's report of one scan becomes one :class:`~skyweave.tracking.scan.RadarScan`
(a scan that saw nothing still counts as a look, so unseen tracks age and die).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from skyweave.sensors.detections import Detections
from skyweave.sensors.radar import site_frame
from skyweave.tracking.scan import RadarScan


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

    @cached_property
    def scan_frame(self) -> RadarScan:
        """An empty scan of the site (ECEF position, ENU-to-ECEF rotation, sigmas and
        cover), built and checked at the first look, not at every one: each look is a
        copy of it with its own time and reports (its arrays read only, shared)."""
        frame = site_frame(self.lat_deg, self.lon_deg, self.alt_m)
        sigmas = np.asarray(self.sigmas, dtype=np.float64)
        sigmas.flags.writeable = False
        return RadarScan(
            time_s=0.0,
            sensor_id=self.sensor_id,
            sensor_pos_m=frame.position_ecef_m,
            enu_to_frame=frame.enu_to_ecef,
            z=np.zeros((0, 3)),
            sigmas=sigmas,
            max_range_m=self.max_range_m,
            boresight_azimuth_rad=self.boresight_azimuth_rad,
            half_width_azimuth_rad=self.half_width_azimuth_rad,
            min_elevation_rad=self.min_elevation_rad,
            max_elevation_rad=self.max_elevation_rad,
        )


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


def radar_scan(site: RadarSite, time_s: float, detections: Detections) -> RadarScan:
    """One look of a radar as its partner's tracker takes it (no detection is still a look)."""
    if len(detections):
        z = np.column_stack([detections.range_m, detections.azimuth_rad, detections.elevation_rad])
    else:  # most looks see nothing
        z = np.zeros((0, 3))
    return RadarScan.of_checked_frame(site.scan_frame, time_s, z)
