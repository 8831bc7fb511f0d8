"""Benchmark: radar and space-based infrared sensor models over a synthetic raid.

Run by hand: ``.venv/bin/python benchmarks/bench_sensors.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pymap3d

from skyweave.kinematics.truth import Truth
from skyweave.rng import component_rng
from skyweave.sensors import (
    InfraredSatelliteParams,
    RadarParams,
    detections_to_arrow_table,
    simulate_infrared,
    simulate_radar,
)


def synthetic_truth(n_objects: int, duration_s: float, dt_s: float, seed: int = 0) -> Truth:
    """Straight climbing lines from random launch points, each in flight for 600 s."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, duration_s + dt_s / 2, dt_s)
    launch = rng.uniform(0.0, duration_s - 600.0, n_objects)
    start = np.stack(
        pymap3d.geodetic2ecef(
            rng.uniform(30, 40, n_objects), rng.uniform(40, 50, n_objects), np.zeros(n_objects)
        ),
        axis=-1,
    )
    vel = (
        rng.normal(0.0, 1500.0, (n_objects, 3))
        + start / np.linalg.norm(start, axis=1)[:, None] * 800
    )
    tau = times[:, None] - launch[None, :]
    pos = start[None] + tau[..., None] * vel[None]
    flying = (tau >= 0) & (tau <= 600.0)
    pos[~flying] = np.nan
    vel_t = np.where(flying[..., None], vel[None], np.nan)
    return Truth(
        times_s=times,
        object_ids=tuple(f"t{i}" for i in range(n_objects)),
        kinds=("ballistic",) * n_objects,
        states=np.concatenate([pos, vel_t], axis=-1),
        burnout_time_s=launch + 90.0,
        rcs_class=tuple(rng.choice(["small", "medium", "large"], n_objects).tolist()),
    )


def best_of(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    radar = RadarParams(
        "ew-1",
        "North",
        35.0,
        45.0,
        30.0,
        max_range_m=2_000e3,
        revisit_period_s=1.0,
        snr_ref=20.0,
        ref_range_m=1_000e3,
        pfa=1e-6,
        sigma_range_m=100.0,
        sigma_azimuth_rad=2e-3,
        sigma_elevation_rad=2e-3,
        mean_false_alarms_per_scan=2.0,
    )
    ir = InfraredSatelliteParams.geostationary(
        "ir-1", "North", 40.0, frame_period_s=1.0, sigma_los_rad=20e-6, processing_delay_s=5.0
    )
    print("| objects | truth samples | scans | radar s | radar rows | IR s | IR rows | Arrow s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (100, 500, 2000):
        truth = synthetic_truth(n, 1800.0, 0.5)
        rd = simulate_radar(radar, truth, component_rng(1, "ew-1"))
        irdet = simulate_infrared(ir, truth, component_rng(1, "ir-1"))
        t_r = best_of(lambda t=truth: simulate_radar(radar, t, component_rng(1, "ew-1")))
        t_i = best_of(lambda t=truth: simulate_infrared(ir, t, component_rng(1, "ir-1")))
        t_a = best_of(lambda b=[rd, irdet]: detections_to_arrow_table(b))
        print(
            f"| {n} | {len(truth.times_s)} | 1801 | {t_r:.3f} | {len(rd)} | {t_i:.3f} "
            f"| {len(irdet)} | {t_a:.3f} |"
        )


if __name__ == "__main__":
    main()
