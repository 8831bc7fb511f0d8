"""Benchmark: batch throughput (runs per second) of the joint exercise, 1 and 2 workers.

Run by hand: ``.venv/bin/python benchmarks/bench_batch.py [--runs 20] [--dask]``.
Each configuration runs a fresh batch of full-length runs (1800 simulated seconds)
into a temporary folder; the time includes starting the worker processes (or the
Dask cluster) and writing ``runs.parquet`` and ``batch_summary.json``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from skyweave.analysis.batch import BatchSpec, run_batch
from skyweave.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def cpu_s() -> float:
    """User + system CPU seconds of this process and its finished child processes."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_batch(runs: int, workers: int, scheduler: str | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (this process and pool workers) and runs ok."""
    spec = BatchSpec(load_scenario(EXAMPLE), runs=runs, base_seed=1, scenario_file=str(EXAMPLE))
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, start = cpu_s(), time.perf_counter()
        outcome = run_batch(spec, Path(tmp) / "batch", workers=workers, scheduler=scheduler)
        return time.perf_counter() - start, cpu_s() - cpu0, outcome.ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dask", action="store_true", help="also a 2-process LocalCluster")
    args = parser.parse_args()
    print(f"cpu_count={os.cpu_count()} runs={args.runs} scenario={EXAMPLE.name}")
    print("| executor | workers | runs | ok | wall (s) | runs/s | speed-up | CPU s per run |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    base = None
    configs: list[tuple[str, int]] = [("in-process", 1), ("process pool", 2)]
    for name, workers in configs:
        wall, cpu, ok = timed_batch(args.runs, workers)
        rate = args.runs / wall
        base = base or rate
        print(f"| {name} | {workers} | {args.runs} | {ok} | {wall:.1f} | {rate:.3f} | "
              f"{rate / base:.2f} | {cpu / args.runs:.2f} |", flush=True)  # fmt: skip
    if args.dask:
        from dask.distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            wall, _, ok = timed_batch(args.runs, 2, cluster.scheduler_address)
        rate = args.runs / wall
        print(f"| Dask LocalCluster (2 processes) | 2 | {args.runs} | {ok} | {wall:.1f} | "
              f"{rate:.3f} | {rate / (base or rate):.2f} | - |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
