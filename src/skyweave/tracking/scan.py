"""The tracker's input: one radar scan (all reports of one sensor at one time).

The tracker works in a caller-chosen Cartesian frame (the simulator uses ECEF
metres, the benchmark a flat local frame). A scan carries what is needed to map
the sensor's polar measurements into that frame: the sensor position and the
rotation from the sensor's local East-North-Up axes to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from skyweave.sensors.detections import Detections

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RadarScan:
    """Range/azimuth/elevation reports of one sensor at one time.

    Attributes
    ----------
    time_s : float
        Measurement time, seconds since scenario start. Scans must be given to
        a tracker in non-decreasing time order.
    sensor_id : str
        Stable sensor name; recorded in each track's ``sources``.
    sensor_pos_m : (3,) float64
        Sensor position in the tracker frame, metres.
    enu_to_frame : (3, 3) float64
        Rotation whose columns are the sensor's East, North and Up unit vectors
        in the tracker frame (``v_frame = enu_to_frame @ v_enu``).
    z : (M, 3) float64
        Measurements ``(range_m, azimuth_rad, elevation_rad)``; azimuth
        clockwise from North (any branch, the tracker wraps innovations),
        elevation above the local horizontal plane.
    sigmas : (3,) float64
        One-sigma noise of range (m), azimuth (rad) and elevation (rad).
    max_range_m : float
        Instrumented range. A track predicted beyond it is not expected to be
        seen in this scan, so a missing report does not count as a miss.
    boresight_azimuth_rad, half_width_azimuth_rad : float
        Azimuth sector (clockwise from North; a half-width of pi or more is
        all-round). Outside it a missing report is not a miss either.
    min_elevation_rad, max_elevation_rad : float
        Elevation limits; a track predicted below the radar's lowest beam
        (behind the horizon, say) is not expected to be seen.
    """

    time_s: float
    sensor_id: str
    sensor_pos_m: FloatArray
    enu_to_frame: FloatArray
    z: FloatArray
    sigmas: FloatArray
    max_range_m: float = float("inf")
    boresight_azimuth_rad: float = 0.0
    half_width_azimuth_rad: float = float(np.pi)
    min_elevation_rad: float = float(-np.pi / 2)
    max_elevation_rad: float = float(np.pi / 2)

    def __post_init__(self) -> None:
        pos = _float_array(self.sensor_pos_m, (3,))
        rot = _float_array(self.enu_to_frame, (3, 3))
        z = _float_array(self.z, (-1, 3))
        sig = _float_array(self.sigmas, (3,))
        s0, s1, s2 = sig.tolist()
        if not (s0 > 0.0 and s1 > 0.0 and s2 > 0.0):
            raise ValueError(f"scan {self.sensor_id}@{self.time_s}: sigmas must be > 0, got {sig}")
        if z.size and not np.isfinite(z).all():
            raise ValueError(f"scan {self.sensor_id}@{self.time_s}: non-finite measurement")
        object.__setattr__(self, "time_s", float(self.time_s))
        object.__setattr__(self, "sensor_pos_m", pos)
        object.__setattr__(self, "enu_to_frame", rot)
        object.__setattr__(self, "z", z)
        object.__setattr__(self, "sigmas", sig)

    @classmethod
    def of_checked_frame(
        cls,
        frame: RadarScan,
        time_s: float,
        z: FloatArray,
    ) -> RadarScan:
        """A look of the sensor of ``frame`` (a scan already checked, of any time and
        reports) at ``time_s`` with reports ``z``: the frame's arrays and limits are
        shared, only the reports are checked (a scan per radar look, thousands a run;
        the dataclass's construction and checks of the unchanged frame cost more than
        the rest of taking an empty look).
        """
        z = _float_array(z, (-1, 3))
        if z.size and not np.isfinite(z).all():
            raise ValueError(f"scan {frame.sensor_id}@{time_s}: non-finite measurement")
        scan = object.__new__(cls)
        scan.__dict__.update(frame.__dict__)  # frozen: the fields set as __init__ sets them
        scan.__dict__["time_s"] = float(time_s)
        scan.__dict__["z"] = z
        return scan

    @classmethod
    def flat(
        cls,
        time_s: float,
        sensor_id: str,
        sensor_pos_m: ArrayLike,
        z: ArrayLike,
        sigmas: ArrayLike,
        max_range_m: float = float("inf"),
    ) -> RadarScan:
        """Build a scan for a flat local frame whose axes are East, North, Up."""
        return cls(
            time_s=time_s,
            sensor_id=sensor_id,
            sensor_pos_m=np.asarray(sensor_pos_m, dtype=np.float64),
            enu_to_frame=np.eye(3),
            z=np.asarray(z, dtype=np.float64),
            sigmas=np.asarray(sigmas, dtype=np.float64),
            max_range_m=max_range_m,
        )

    @property
    def n_measurements(self) -> int:
        """Number of reports in the scan."""
        return int(self.z.shape[0])


def _float_array(value: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    """``value`` as a float64 array of ``shape`` (a leading -1 for any length): itself
    when it already is one (a scan per radar look: no conversion to redo)."""
    if type(value) is np.ndarray and value.dtype == np.float64:
        if value.shape == shape or (shape[0] < 0 and value.shape[1:] == shape[1:]):
            return value
    return np.asarray(value, dtype=np.float64).reshape(shape)


def enu_to_ecef_from_position(sensor_ecef_m: FloatArray) -> FloatArray:
    """ENU-to-ECEF rotation (3, 3) at an ECEF position (WGS84 geodetic normal).

    Columns are the East, North and Up unit vectors in ECEF, the frame in which
    the sensors stage measures azimuth and elevation.
    """
    lat_deg, lon_deg, _ = pymap3d.ecef2geodetic(*np.asarray(sensor_ecef_m, dtype=np.float64))
    lat = np.radians(float(lat_deg))
    lon = np.radians(float(lon_deg))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    return np.array(
        [[-so, -sl * co, cl * co], [co, -sl * so, cl * so], [0.0, cl, sl]], dtype=np.float64
    )


def scans_from_detections(
    det: Detections, max_range_m: dict[str, float] | None = None
) -> list[RadarScan]:
    """Group radar rows of a detections batch into ECEF scans, one per (time, sensor).

    Rows without a range (infrared line-of-sight reports) are skipped. Scans are
    ordered by time, then sensor id, so a tracker can take them in turn.

    Parameters
    ----------
    det : Detections
        The sensors stage's batch (ECEF sensor positions, radar columns).
    max_range_m : dict, optional
        Instrumented range per sensor id (see :attr:`RadarScan.max_range_m`).

    Returns
    -------
    list of RadarScan
        Frame ECEF; the sigmas of a scan are those of its first row.
    """
    radar = np.isfinite(det.range_m)
    if not radar.any():
        return []
    idx = np.flatnonzero(radar)
    sensor = np.asarray(det.sensor_id[idx], dtype=str)
    time_s = det.time_s[idx]
    order = np.lexsort((sensor, time_s))
    idx, sensor, time_s = idx[order], sensor[order], time_s[order]
    new_group = np.ones(len(idx), dtype=bool)
    new_group[1:] = (time_s[1:] != time_s[:-1]) | (sensor[1:] != sensor[:-1])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], len(idx))
    z_all = np.column_stack([det.range_m, det.azimuth_rad, det.elevation_rad])
    pos_all = np.column_stack([det.sensor_x_m, det.sensor_y_m, det.sensor_z_m])
    sig_all = np.column_stack([det.sigma_range_m, det.sigma_azimuth_rad, det.sigma_elevation_rad])
    ranges = max_range_m or {}
    rotations: dict[tuple[float, float, float], FloatArray] = {}
    scans = []
    for a, b in zip(starts, ends, strict=True):  # one iteration per scan, not per target
        rows = idx[a:b]
        site = pos_all[rows[0]]
        key = (float(site[0]), float(site[1]), float(site[2]))
        if key not in rotations:
            rotations[key] = enu_to_ecef_from_position(site)
        sid = str(sensor[a])
        scans.append(
            RadarScan(
                time_s=float(time_s[a]),
                sensor_id=sid,
                sensor_pos_m=site,
                enu_to_frame=rotations[key],
                z=z_all[rows],
                sigmas=sig_all[rows[0]],
                max_range_m=ranges.get(sid, float("inf")),
            )
        )
    return scans
