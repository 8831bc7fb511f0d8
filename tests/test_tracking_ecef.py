"""Tracking in ECEF: the sensors stage's detections in, a ballistic arc tracked."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from skyweave.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from skyweave.sensors.detections import Detections
from skyweave.sensors.geometry import ecef_to_aer, enu_to_ecef_rotation, radar_local_frame
from skyweave.tracking import (
    Ballistic,
    ConstantVelocity,
    Tracker,
    TrackerConfig,
    enu_to_ecef_from_position,
    scans_from_detections,
)

SIG = np.array([30.0, 1e-3, 1e-3])


def _rhs(_t: float, y: np.ndarray) -> np.ndarray:
    r, v = y[:3], y[3:]
    w = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])
    a = -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3
    a = a - 2.0 * np.cross(w, v) - np.cross(w, np.cross(w, r))
    return np.concatenate([v, a])


def _detections(times: np.ndarray, truth: np.ndarray, sites: dict, seed: int) -> Detections:
    """A detections batch as the sensors stage writes it (radar rows only)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list] = {k: [] for k in Detections.__dataclass_fields__}
    for name, (lat, lon, alt) in sites.items():
        frame = radar_local_frame(lat, lon, alt)
        rng_m, az, el = ecef_to_aer(truth, frame)
        n = len(times)
        noise = rng.standard_normal((n, 3)) * SIG
        values = {
            "time_s": times, "report_time_s": times + 0.5,
            "sensor_id": [name] * n, "sensor_type": ["radar"] * n, "partner": ["North"] * n,
            "object_id": ["t1"] * n,
            "range_m": rng_m + noise[:, 0], "azimuth_rad": np.mod(az + noise[:, 1], 2 * np.pi),
            "elevation_rad": el + noise[:, 2],
            "los_angle1_rad": [np.nan] * n, "los_angle2_rad": [np.nan] * n,
            "sensor_x_m": [frame.position_ecef_m[0]] * n,
            "sensor_y_m": [frame.position_ecef_m[1]] * n,
            "sensor_z_m": [frame.position_ecef_m[2]] * n,
            "sigma_range_m": [SIG[0]] * n, "sigma_azimuth_rad": [SIG[1]] * n,
            "sigma_elevation_rad": [SIG[2]] * n, "sigma_los_rad": [np.nan] * n,
        }  # fmt: skip
        for k, v in values.items():
            cols[k].extend(list(v))
    out = {}
    for k, v in cols.items():
        out[k] = np.array(
            v,
            dtype=object
            if k in {"sensor_id", "sensor_type", "partner", "object_id"}
            else np.float64,
        )
    return Detections(**out)


def test_rotation_matches_sensors_stage() -> None:
    frame = radar_local_frame(47.5, -12.0, 300.0)
    np.testing.assert_allclose(
        enu_to_ecef_from_position(frame.position_ecef_m), enu_to_ecef_rotation(47.5, -12.0),
        atol=1e-12,
    )  # fmt: skip


def test_ballistic_arc_tracked_in_ecef_from_detections() -> None:
    """Two radars, 5 s revisit: the ballistic model tracks the arc; plain CV lags far behind."""
    start = radar_local_frame(49.5, 8.3, 30_000.0)
    vel = start.enu_to_ecef @ np.array([1_500.0, 1_500.0, 1_800.0])
    x0 = np.concatenate([start.position_ecef_m, vel])
    times = np.arange(0.0, 300.0, 5.0)
    sol = solve_ivp(_rhs, (0.0, times[-1]), x0, t_eval=times, rtol=1e-11, atol=1e-6)
    truth = sol.y.T
    alt = np.linalg.norm(truth[:, :3], axis=1) - np.linalg.norm(start.position_ecef_m)
    assert alt.min() > -1.0 and alt.max() > 150_000.0  # climbs, never below its start
    sites = {"north-a": (49.0, 8.0, 200.0), "north-b": (51.0, 12.0, 100.0)}
    det = _detections(times, truth[:, :3], sites, seed=4)
    scans = scans_from_detections(det)
    assert len(scans) == 2 * len(times)
    assert [s.time_s for s in scans] == sorted(s.time_s for s in scans)
    errs = {}
    for name, model in (("ballistic", Ballistic(q_m2_s3=0.1)), ("cv", ConstantVelocity(0.1))):
        tracker = Tracker(TrackerConfig(motion=model, init_velocity_sigma_mps=3_000.0))
        e = []
        for scan in scans:
            batch = tracker.process(scan)
            k = int(round(scan.time_s / 5.0))
            if scan.time_s >= 100.0 and len(batch):
                e.append(np.linalg.norm(batch.state[0, :3] - truth[k, :3]))
        errs[name] = float(np.sqrt(np.mean(np.square(e))))
        if name == "ballistic":
            # One track, fed by both radars, present at every scan from 100 s.
            assert batch.track_id.tolist() == [1]
            assert batch.sources == [["north-a", "north-b"]]
            assert len(e) == 2 * (len(times) - 20)
    assert errs["ballistic"] < 100.0
    assert errs["ballistic"] < 0.5 * errs["cv"]
