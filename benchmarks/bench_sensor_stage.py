"""Benchmark: the sensors stage replaying a scenario's truth, old code against new.

Run by hand (one benchmark at a time on a shared machine), for example::

    nice .venv/bin/python benchmarks/bench_sensor_stage.py examples/large-raid.yaml \\
        --until 300 --old-rev 8e8c50c

Builds the scenario's truth once (no kills), then steps ``SensorStage`` over the
engine's ticks up to ``--until``: the working tree's stage and the one of
``sensors/stream.py`` at ``--old-rev`` (loaded from git; it calls the per-scan
``scan_radar``, which is unchanged), alternated ``--repeat`` times in one process.
Prints the CPU time (``time.process_time``) of each and their ratio, and checks
the two give the same scans: same rows and objects, and counts the measurements
that differ (none expected: the new path is bit for bit the old one's).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from old_source import module_at  # a sibling script (benchmarks/ is on sys.path)


def _old_stream(rev: str) -> ModuleType:
    return module_at(rev, "src/skyweave/sensors/stream.py", "skyweave_bench_stream_old")


def _replay(stage: Any, ticks: np.ndarray, dt_s: float, truth: Any, killed: np.ndarray) -> list:
    taken_all = []
    for t in ticks:
        taken, _ = stage.step(float(t) - dt_s, float(t), truth, killed)
        taken_all.append(taken)
    return taken_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=300.0)
    parser.add_argument("--old-rev", default="main")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--radars-only", action="store_true", help="leave the infrared out")
    args = parser.parse_args()

    from skyweave.engine.params import sensor_params
    from skyweave.engine.simulation import time_grid
    from skyweave.kinematics.from_scenario import build_truth
    from skyweave.scenario.load import load_scenario
    from skyweave.sensors.radar import RadarParams
    from skyweave.sensors.stream import SensorStage

    old = _old_stream(args.old_rev)
    scenario = load_scenario(args.scenario)
    times = time_grid(scenario)
    truth, _ = build_truth(scenario, times, seed=args.seed)
    killed = np.full(len(truth.object_ids), np.inf)
    dt_s = float(scenario.time_step_s)
    ticks = times[times <= args.until]
    params = sensor_params(scenario)
    if args.radars_only:
        params = [p for p in params if isinstance(p, RadarParams)]
    # warm up the kernel (compiled or loaded from the cache) outside the timing
    _replay(SensorStage(params, args.seed), ticks[:3], dt_s, truth, killed)

    cpu: dict[str, list[float]] = {"old": [], "new": []}
    runs: dict[str, list] = {}
    for _ in range(args.repeat):
        for name, cls in (("old", old.SensorStage), ("new", SensorStage)):
            stage = cls(params, args.seed)
            t0 = time.process_time()
            runs[name] = _replay(stage, ticks, dt_s, truth, killed)
            cpu[name].append(time.process_time() - t0)

    n_scans = n_rows = n_differ = 0
    max_rel = 0.0
    for a_tick, b_tick in zip(runs["old"], runs["new"], strict=True):
        assert len(a_tick) == len(b_tick)
        for a, b in zip(a_tick, b_tick, strict=True):
            key_a = (a.sensor_id, a.time_s, a.report_time_s)
            assert key_a == (b.sensor_id, b.time_s, b.report_time_s)
            da, db = a.detections, b.detections
            assert da.object_id.tolist() == db.object_id.tolist(), a.sensor_id
            for col in ("range_m", "azimuth_rad", "elevation_rad", "los_angle1_rad"):
                x, y = getattr(da, col), getattr(db, col)
                same = (x == y) | (np.isnan(x) & np.isnan(y))
                if not same.all():
                    n_differ += int(np.count_nonzero(~same))
                    rel = np.abs(x - y)[~same] / np.abs(x)[~same]
                    max_rel = max(max_rel, float(rel.max()))
            n_scans += 1
            n_rows += len(da)
    old_s, new_s = min(cpu["old"]), min(cpu["new"])
    print(
        f"{args.scenario} seed {args.seed}, ticks to {args.until:g} s: {len(ticks)} ticks, "
        f"{n_scans} scans/frames, {n_rows} rows; same rows and objects; "
        f"{n_differ} measurements differ (max rel {max_rel:.2e})"
    )
    print(
        f"sensors stage CPU s: old {old_s:.2f} (runs {cpu['old']}), new {new_s:.2f} "
        f"(runs {cpu['new']}); old/new {old_s / new_s:.2f}x"
    )


if __name__ == "__main__":
    main()
