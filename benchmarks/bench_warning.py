"""Benchmark: early-warning impact prediction, launch events and the alert stream.

Run by hand: ``.venv/bin/python benchmarks/bench_warning.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pymap3d

from skyweave.kinematics.truth import Truth
from skyweave.sensors import InfraredSatelliteParams, concat_detections, simulate_infrared
from skyweave.warning import (
    AlertGenerator,
    DefendedAssets,
    LaunchDetector,
    estimate_launch_events,
    predict_impacts,
)


def mid_course_states(n: int, seed: int = 0) -> np.ndarray:
    """n ECEF states 80-300 km up, 2.5-5 km/s, 20-45 deg above the horizon, any azimuth."""
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(20, 50, n), rng.uniform(20, 60, n)
    r = np.stack(pymap3d.geodetic2ecef(lat, lon, rng.uniform(80e3, 300e3, n)), axis=-1)
    e, nn, u = pymap3d.aer2enu(rng.uniform(0, 360, n), rng.uniform(-45, 45, n),
                               rng.uniform(2500, 5000, n))  # fmt: skip
    v = np.stack(pymap3d.enu2uvw(e, nn, u, lat, lon), axis=-1)
    return np.concatenate([r, v], axis=1)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def boost_truth(n: int, seed: int = 0) -> Truth:
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, 400.0, 1.0)
    lat, lon, az = rng.uniform(25, 45, n), rng.uniform(35, 60, n), rng.uniform(0, 360, n)
    t_l = rng.uniform(0, 250, n)
    states = np.full((len(times), n, 6), np.nan)
    p0 = np.stack(pymap3d.geodetic2ecef(lat, lon, 0.0), -1)
    up = np.stack(pymap3d.enu2uvw(0.0, 0.0, 1.0, lat, lon), -1)
    a = np.radians(az)
    down = np.stack(pymap3d.enu2uvw(np.sin(a), np.cos(a), 0.0, lat, lon), -1)
    tau = np.maximum(times[:, None] - t_l[None, :], 0.0)[..., None]
    states[..., :3] = p0 + up * 12.5 * tau**2 + down * 0.05 * tau**3
    states[..., 3:] = up * 25.0 * tau + down * 0.15 * tau**2
    states[times[:, None] < t_l[None, :]] = np.nan
    return Truth(times, tuple(f"m{k}" for k in range(n)), ("ballistic",) * n, states,
                 t_l + 100.0, ("small",) * n)  # fmt: skip


def main() -> None:
    cov = np.diag([300.0] * 3 + [5.0] * 3) ** 2
    assets = DefendedAssets.from_lists(
        [f"a{i}" for i in range(50)], np.linspace(20, 50, 50), np.linspace(20, 60, 50),
        np.full(50, 10e3),
    )  # fmt: skip
    print("| case | tracks | sample points | time (ms) | per track (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for n in (10, 100, 1000):
        x = mid_course_states(n)
        c = np.broadcast_to(cov, (n, 6, 6))
        dt = best_of(lambda x=x, c=c: predict_impacts(0.0, x, c, assets))
        print(f"| unscented, 50 assets | {n} | {13 * n} | {dt * 1e3:.1f} | {dt * 1e3 / n:.2f} |")
    for n, s in ((1, 10_000), (10, 1_000)):
        x = mid_course_states(n)
        c = np.broadcast_to(cov, (n, 6, 6))
        dt = best_of(lambda x=x, c=c, s=s: predict_impacts(
            0.0, x, c, assets, method="monte_carlo", n_samples=s))  # fmt: skip
        print(f"| Monte Carlo, 50 assets | {n} | {n * s} | {dt * 1e3:.1f} | {dt * 1e3 / n:.2f} |")

    # Launch events: 2 geostationary satellites, 2 s frames, n launches in 250 s.
    sats = [
        InfraredSatelliteParams.geostationary("irA", "N", 20.0, frame_period_s=2.0,
                                              sigma_los_rad=20e-6, processing_delay_s=1.0),
        InfraredSatelliteParams.geostationary("irB", "E", 75.0, frame_period_s=2.0,
                                              sigma_los_rad=20e-6, processing_delay_s=1.5),
    ]  # fmt: skip
    print()
    print("| launches | IR rows | batch call (ms) | incremental, 1 s steps (ms total) |")
    print("| ---: | ---: | ---: | ---: |")
    for n in (5, 20):
        truth = boost_truth(n)
        rng = np.random.default_rng(1)
        det = concat_detections([simulate_infrared(s, truth, rng) for s in sats])
        t_batch = best_of(lambda det=det: estimate_launch_events(det, 400.0))

        def incremental(det=det) -> None:  # type: ignore[no-untyped-def]
            ld = LaunchDetector()
            for t in np.arange(0.0, 400.0, 1.0):
                ld.add(det.take((det.report_time_s >= t) & (det.report_time_s < t + 1.0)))
                ld.events()

        t_inc = best_of(incremental, repeat=1)
        print(f"| {n} | {len(det)} | {t_batch * 1e3:.1f} | {t_inc * 1e3:.0f} |")

    # Alert stream: 100 tracks updated every 5 s for 300 s.
    x0 = mid_course_states(100)
    ids = np.arange(100)

    def stream() -> None:
        gen = AlertGenerator("N", assets)
        for k in range(60):
            gen.track_update(5.0 * k, ids, x0, np.broadcast_to(cov, (100, 6, 6)))

    t_stream = best_of(stream, repeat=1)
    print()
    print(f"Alert stream, 100 tracks x 60 updates: {t_stream:.2f} s total, "
          f"{t_stream / 60 * 1e3:.0f} ms per update")  # fmt: skip


if __name__ == "__main__":
    main()
