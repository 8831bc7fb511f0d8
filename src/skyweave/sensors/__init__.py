"""sensors stage of the kill chain: ground truth in, detections out.

* :mod:`~skyweave.sensors.radar`: early-warning and fire-control radars
  (one model): :class:`RadarParams`, :func:`simulate_radar`.
* :mod:`~skyweave.sensors.infrared`: space-based infrared launch detection:
  :class:`InfraredSatelliteParams`, :func:`simulate_infrared`,
  :func:`triangulate_los`, :func:`los_ground_intersection`.
* :mod:`~skyweave.sensors.detections`: the :class:`Detections` column batch and
  its Arrow table.
* :mod:`~skyweave.sensors.geometry`: sensor frames (ENU, azimuth clockwise from
  North), the 4/3-Earth horizon and the apparent (refracted) elevation.
"""

from skyweave.sensors.detections import (
    Detections,
    concat_detections,
    detections_schema,
    detections_to_arrow_table,
    empty_detections,
    sort_detections,
)
from skyweave.sensors.geometry import (
    LocalFrame,
    aer_to_ecef,
    apparent_elevation_rad,
    ecef_to_aer,
    enu_to_ecef_rotation,
    radar_horizon_range_m,
    radar_local_frame,
)
from skyweave.sensors.infrared import (
    InfraredSatelliteParams,
    geostationary_position_ecef_m,
    los_angles,
    los_from_detections,
    los_ground_bearing,
    los_ground_intersection,
    los_unit_vector,
    simulate_infrared,
    triangulate_los,
)
from skyweave.sensors.radar import RadarParams, simulate_radar, swerling1_pd
from skyweave.sensors.sampling import overlaps_outage, positions_at, scan_times

__all__ = [
    "Detections",
    "InfraredSatelliteParams",
    "LocalFrame",
    "RadarParams",
    "aer_to_ecef",
    "concat_detections",
    "detections_schema",
    "detections_to_arrow_table",
    "ecef_to_aer",
    "empty_detections",
    "enu_to_ecef_rotation",
    "geostationary_position_ecef_m",
    "los_angles",
    "los_from_detections",
    "los_ground_bearing",
    "los_ground_intersection",
    "los_unit_vector",
    "overlaps_outage",
    "positions_at",
    "radar_horizon_range_m",
    "apparent_elevation_rad",
    "radar_local_frame",
    "scan_times",
    "simulate_infrared",
    "simulate_radar",
    "sort_detections",
    "swerling1_pd",
    "triangulate_los",
]
