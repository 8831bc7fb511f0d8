"""The tracker's input: one radar scan (all reports of one sensor at one time).

The tracker works in a caller-chosen Cartesian frame (the simulator uses ECEF
metres, the benchmark a flat local frame). A scan carries what is needed to map
the sensor's polar measurements into that frame: the sensor position and the
rotation from the sensor's local East-North-Up axes to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
    """

    time_s: float
    sensor_id: str
    sensor_pos_m: FloatArray
    enu_to_frame: FloatArray
    z: FloatArray
    sigmas: FloatArray
    max_range_m: float = float("inf")

    def __post_init__(self) -> None:
        pos = np.asarray(self.sensor_pos_m, dtype=np.float64).reshape(3)
        rot = np.asarray(self.enu_to_frame, dtype=np.float64).reshape(3, 3)
        z = np.asarray(self.z, dtype=np.float64).reshape(-1, 3)
        sig = np.asarray(self.sigmas, dtype=np.float64).reshape(3)
        if not np.all(sig > 0.0):
            raise ValueError(f"scan {self.sensor_id}@{self.time_s}: sigmas must be > 0, got {sig}")
        if not np.all(np.isfinite(z)):
            raise ValueError(f"scan {self.sensor_id}@{self.time_s}: non-finite measurement")
        object.__setattr__(self, "time_s", float(self.time_s))
        object.__setattr__(self, "sensor_pos_m", pos)
        object.__setattr__(self, "enu_to_frame", rot)
        object.__setattr__(self, "z", z)
        object.__setattr__(self, "sigmas", sig)

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
