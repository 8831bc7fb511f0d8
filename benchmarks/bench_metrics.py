"""Benchmark: GOSPA series and run-folder metrics (GOSPA + SIAP) cost.

Cases (ECEF-like metres, notional):

* ``sparse``: J truths 100 km apart, one track per truth at 500 m error plus a
  few false tracks; no object has two neighbours within ``c`` = 10 km, so every
  step takes the closed-form path.
* ``clustered``: truths in clusters of 4 within 2 km (a threat and its
  companions), tracks near each; every step needs the assignment solver.

For each, ``gospa_series`` over T steps is timed against a Python loop of
``gospa`` (one call per step) and against Stone Soup's
``GOSPAMetric.compute_gospa_metric`` on the first 200 steps (scaled to T).
Then ``compute_run_metrics`` on a synthetic run folder (3 partners, J truths
on a 1 s grid for ``--duration`` s, each partner reporting every 2 s).

Run by hand::

    .venv/bin/python benchmarks/bench_metrics.py
    .venv/bin/python benchmarks/bench_metrics.py --steps 500 --truths 10   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skyweave.analysis.metrics import gospa, gospa_series
from skyweave.analysis.metrics_run import compute_run_metrics

C_M, P = 10_000.0, 1.0


def _case(kind: str, steps: int, truths: int, rng: np.random.Generator):
    if kind == "sparse":
        centres = np.arange(truths)[:, None] * np.array([100_000.0, 0.0, 0.0])
    else:
        cluster = np.repeat(np.arange(truths // 4 + 1), 4)[:truths]
        centres = cluster[:, None] * np.array([100_000.0, 0.0, 0.0]) + rng.uniform(
            -1000, 1000, (truths, 3)
        )
    t_truth = np.repeat(np.arange(steps, dtype=float), truths)
    x_truth = np.tile(centres, (steps, 1)) + rng.normal(0, 10.0, (steps * truths, 3))
    n_false = max(1, truths // 10)
    y = x_truth + rng.normal(0, 500.0 / np.sqrt(3), x_truth.shape)
    t_false = np.repeat(np.arange(steps, dtype=float), n_false)
    y_false = rng.uniform(-1e6, 1e6, (steps * n_false, 3))
    return t_truth, x_truth, np.concatenate([t_truth, t_false]), np.concatenate([y, y_false])


def _time(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_gospa(steps: int, truths: int) -> list[str]:
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    rng = np.random.default_rng(0)
    lines = []
    for kind in ("sparse", "clustered"):
        tt, xt, tk, yk = _case(kind, steps, truths, rng)
        times = np.arange(steps, dtype=float)
        t_series = _time(lambda: gospa_series(times, tt, xt, tk, yk, C_M, P))  # noqa: B023
        by_step_x = [xt[tt == k] for k in range(steps)]
        by_step_y = [yk[tk == k] for k in range(steps)]
        t_loop = _time(
            lambda: [gospa(by_step_x[k], by_step_y[k], C_M, P) for k in range(steps)],  # noqa: B023
            repeat=1,
        )
        metric = GOSPAMetric(c=C_M, p=P, measure=Euclidean())
        n_ss = min(steps, 200)
        epoch = dt.datetime(2024, 1, 1)
        ss_x = [
            [State(v.reshape(-1, 1), timestamp=epoch) for v in by_step_x[k]] for k in range(n_ss)
        ]
        ss_y = [
            [State(v.reshape(-1, 1), timestamp=epoch) for v in by_step_y[k]] for k in range(n_ss)
        ]
        t0 = time.perf_counter()
        for k in range(n_ss):
            metric.compute_gospa_metric(ss_y[k], ss_x[k])
        t_ss = (time.perf_counter() - t0) * steps / n_ss
        n_tracks = yk.shape[0] // steps
        lines.append(
            f"| {kind} | {steps} | {truths} | {n_tracks} | {t_series * 1e3:.1f} | "
            f"{t_loop * 1e3:.0f} | {t_ss:.1f} | {t_ss / t_series:.0f}x |"
        )
    return lines


def _write_run(folder: Path, truths: int, duration_s: float, rng: np.random.Generator) -> int:
    t = np.arange(0.0, duration_s + 1.0)
    x0 = rng.uniform(-2e6, 2e6, (truths, 3)) + np.array([6.0e6, 0.0, 0.0])
    v = rng.normal(0, 1500.0, (truths, 3))
    obj = np.repeat(np.arange(truths), t.size)
    tt = np.tile(t, truths)
    pos = x0[obj] + v[obj] * tt[:, None]
    truth = {
        "time_s": tt,
        "object_id": [f"T{i}" for i in obj],
        "kind": ["ballistic"] * obj.size,
    }
    for i, c in enumerate(("x_m", "y_m", "z_m")):
        truth[c] = pos[:, i]
    for i, c in enumerate(("vx_mps", "vy_mps", "vz_mps")):
        truth[c] = v[obj, i]
    pq.write_table(pa.table(truth), folder / "truth.parquet")
    reports = np.arange(0.5, duration_s, 2.0)
    cols: dict[str, list] = {k: [] for k in ("time_s", "partner", "track_id")}
    states = []
    for partner in ("North", "East", "South"):
        ro = np.repeat(np.arange(truths), reports.size)
        rt = np.tile(reports, truths)
        keep = rng.random(ro.size) < 0.9
        ro, rt = ro[keep], rt[keep]
        cols["time_s"] += rt.tolist()
        cols["partner"] += [partner] * ro.size
        # Track numbers change every 300 s to exercise continuity measures.
        cols["track_id"] += [f"{partner}-{o}-{int(s // 300)}" for o, s in zip(ro, rt, strict=True)]
        p = x0[ro] + v[ro] * rt[:, None] + rng.normal(0, 700.0, (ro.size, 3))
        states.append(np.hstack([p, v[ro] + rng.normal(0, 20.0, (ro.size, 3))]))
    s = np.vstack(states)
    tracks: dict[str, object] = dict(cols)
    for i, c in enumerate(("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps")):
        tracks[c] = s[:, i]
    pq.write_table(pa.table(tracks), folder / "tracks.parquet")
    return int(s.shape[0])


def bench_run(truths: int, duration_s: float) -> str:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        rows = _write_run(Path(tmp), truths, duration_s, rng)
        t_run = _time(lambda: compute_run_metrics(tmp), repeat=2)
    return f"| {truths} | {duration_s:.0f} | {rows} | {t_run:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3600)
    parser.add_argument("--truths", type=int, default=20)
    parser.add_argument("--duration", type=float, default=1800.0)
    args = parser.parse_args()
    print(
        "| case | steps | truths/step | tracks/step | gospa_series ms | loop of gospa ms "
        "| Stone Soup s (scaled) | speed-up vs Stone Soup |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for line in bench_gospa(args.steps, args.truths):
        print(line)
    print()
    print("| truths | duration s | track rows (3 partners) | compute_run_metrics s |")
    print("| ---: | ---: | ---: | ---: |")
    print(bench_run(args.truths, args.duration))


if __name__ == "__main__":
    main()
