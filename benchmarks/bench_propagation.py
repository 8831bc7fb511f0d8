"""Benchmark: propagate 1000 ballistic threats with targeting, rotation and drag on.

Random launch and aim points (ranges 300-3000 km), launch times spread over
10 minutes, states sampled every second for 30 simulated minutes. Run by hand:

    .venv/bin/python benchmarks/bench_propagation.py [--profile] [--write]

Target: under 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import time

import numpy as np

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.ballistic import BallisticBatch, BallisticOptions, propagate_ballistic
from skyweave.rng import component_rng

N_THREATS = 1000
SIM_DURATION_S = 1800.0
OUTPUT_STEP_S = 1.0


def make_batch(n: int, seed: int = 1) -> BallisticBatch:
    """Random launches: ranges uniform in 300-3000 km, any azimuth, |lat| < 60 deg."""
    rng = component_rng(seed, "bench-propagation")
    lat0 = rng.uniform(-60.0, 60.0, n)
    lon0 = rng.uniform(-180.0, 180.0, n)
    range_m = rng.uniform(300e3, 3000e3, n)
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    # aim point by the great-circle direct problem on the mean sphere
    d = range_m / R_EARTH_MEAN_M
    phi0 = np.radians(lat0)
    phi1 = np.arcsin(np.sin(phi0) * np.cos(d) + np.cos(phi0) * np.sin(d) * np.cos(az))
    dlon = np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(phi0), np.cos(d) - np.sin(phi0) * np.sin(phi1)
    )
    return BallisticBatch(
        launch_lat_deg=lat0,
        launch_lon_deg=lon0,
        launch_alt_m=0.0,
        launch_time_s=rng.uniform(0.0, 600.0, n),
        aim_lat_deg=np.degrees(phi1),
        aim_lon_deg=(lon0 + np.degrees(dlon) + 180.0) % 360.0 - 180.0,
        gamma_deg=np.nan,
        burn_time_s=rng.uniform(40.0, 90.0, n),
        ballistic_coeff_kg_m2=rng.uniform(2000.0, 8000.0, n),
    )


def run_once(batch: BallisticBatch, sample: bool = True) -> tuple[float, object]:
    """Time one propagation; ``sample=False`` asks for a single output time."""
    times = np.arange(0.0, SIM_DURATION_S + OUTPUT_STEP_S, OUTPUT_STEP_S)
    if not sample:
        times = times[:1]
    opts = BallisticOptions(rotation=True, drag=True, boost=True)
    t0 = time.perf_counter()
    res = propagate_ballistic(batch, times, opts)
    return time.perf_counter() - t0, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/")
    args = parser.parse_args()

    batch = make_batch(N_THREATS)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_once(batch)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
        return

    timings = []
    res = None
    for _ in range(args.repeat):
        dt, res = run_once(batch)
        timings.append(dt)
    assert res is not None
    no_sampling = min(run_once(batch, sample=False)[0] for _ in range(args.repeat))
    miss = res.miss_m  # type: ignore[attr-defined]
    its = res.iterations  # type: ignore[attr-defined]
    lines = [
        f"| threats | {N_THREATS} |",
        f"| output samples (T x N) | {int(SIM_DURATION_S / OUTPUT_STEP_S) + 1} x {N_THREATS} |",
        f"| wall time, best of {args.repeat} | {min(timings):.3f} s |",
        f"| wall time, median | {float(np.median(timings)):.3f} s |",
        f"| of which integration + targeting (no output grid) | {no_sampling:.3f} s |",
        f"| targeting propagations, mean / max | {its.mean():.2f} / {its.max()} |",
        f"| miss, median / max | {np.median(miss):.1f} m / {np.max(miss):.1f} m |",
        f"| threats landed within 30 min | {int(np.sum(np.isfinite(res.impact_time_s)))} |",  # type: ignore[attr-defined]
    ]
    print("\n".join(lines))
    if args.write:
        cores = os.cpu_count()
        text = (
            "## Ballistic propagation (kinematics)\n\n"
            f"Machine: {cores}-core shared VM, Python {platform.python_version()}, "
            f"NumPy {np.__version__}.\n\n"
            "Command: `.venv/bin/python benchmarks/bench_propagation.py --write`\n\n"
            "1000 ballistic threats, random launch/aim points (300-3000 km), launch times "
            "over 10 min, rotation + drag + boost on, targeting to 100 m, states sampled "
            "every 1 s for 30 simulated minutes.\n\n"
            "| measure | value |\n| --- | --- |\n" + "\n".join(lines) + "\n\n"
            f"Target < 2 s: {'met' if min(timings) < 2.0 else 'NOT met'}. "
            "Vectorised over threats (per-threat RK4 steps, active set compacted as "
            "threats land); the cost is about 4 propagations of the whole salvo for "
            "targeting plus Hermite sampling of 1.8 M output states. Profiling the "
            "first version (1.96 s) led to about 100 steps per vacuum flight instead "
            "of 150 up to 10 s, solving all ground crossings in one batch after the "
            "loop, stacked (K, N, 9) step histories and one fused (P, 6) Hermite "
            "for the output samples.\n"
        )
        out = os.path.join(os.path.dirname(__file__), "results", "propagation.md")
        with open(out, "w") as fh:
            fh.write(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
