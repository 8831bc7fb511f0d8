"""Timing of threat evaluation (disc coverage) and engagement windows; run by hand.

.venv/bin/python benchmarks/bench_c2_feasibility.py
"""

from __future__ import annotations

import time

import numpy as np
import pymap3d

from skyweave.c2.feasibility import BatteryEnvelopes, engagement_windows, tabulated_trajectory
from skyweave.c2.threat_evaluation import disc_coverage_probability

LAT0, LON0 = 45.0, 15.0


def _best(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def coverage(n: int, a: int) -> float:
    rng = np.random.default_rng(0)
    off = rng.normal(size=(n, a, 2)) * 5e3
    m = rng.normal(size=(n, 1, 2, 2)) * 2e3
    cov = m @ np.swapaxes(m, -1, -2)
    r = rng.uniform(500, 5e3, size=(1, a))
    return _best(lambda: disc_coverage_probability(off, cov, r))


def windows(b: int, k: int, m: int, l_: int) -> float:
    rng = np.random.default_rng(1)
    e, n = rng.uniform(-50e3, 50e3, b), rng.uniform(-50e3, 50e3, b)
    lat, lon, alt = pymap3d.enu2geodetic(e, n, np.zeros(b), LAT0, LON0, 0.0)
    bats = BatteryEnvelopes.from_arrays(
        [f"b{i}" for i in range(b)],
        lat,
        lon,
        alt,
        np.full(b, 3e3),
        np.full(b, 100e3),
        np.full(b, 50.0),
        np.full(b, 30e3),
        np.full(b, 1_200.0),
    )
    t = np.arange(m, dtype=float)
    az = rng.uniform(0, 2 * np.pi, k)
    d0 = rng.uniform(200e3, 400e3, k)
    p0 = np.stack([d0 * np.sin(az), d0 * np.cos(az), rng.uniform(40e3, 90e3, k)], -1)
    v0 = -p0 / np.linalg.norm(p0, axis=-1, keepdims=True) * rng.uniform(1.5e3, 3e3, k)[:, None]
    pe = p0[:, None] + v0[:, None] * t[:, None]
    pe[..., 2] -= 0.5 * 9.81 * t**2
    ve = np.broadcast_to(v0[:, None], pe.shape).copy()
    ve[..., 2] -= 9.81 * t
    x, y, z = pymap3d.enu2ecef(pe[..., 0], pe[..., 1], pe[..., 2], LAT0, LON0, 0.0)
    vx, vy, vz = pymap3d.enu2uvw(ve[..., 0], ve[..., 1], ve[..., 2], LAT0, LON0)
    states = np.stack([x, y, z, vx, vy, vz], axis=-1)
    states[pe[..., 2] < 0.0] = np.nan
    traj = tabulated_trajectory(t, states)
    ids = [f"t{i}" for i in range(k)]
    launch = np.linspace(0.0, m * 0.8, l_)
    return _best(lambda: engagement_windows(bats, traj, ids, t, launch), repeat=3)


if __name__ == "__main__":
    print("| case | size | seconds |")
    print("| --- | --- | ---: |")
    for n, a in [(50, 10), (200, 50), (1000, 50)]:
        print(f"| disc coverage | {n} tracks x {a} assets (96 nodes) | {coverage(n, a):.4f} |")
    for b, k, m, l_ in [(4, 20, 300, 60), (10, 100, 600, 150), (20, 200, 600, 300)]:
        print(
            f"| engagement windows | {b} batteries x {k} tracks x {l_} launch times, "
            f"{m} samples | {windows(b, k, m, l_):.3f} |"
        )
