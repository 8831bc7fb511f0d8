"""Benchmark: what closing the kill chain costs a run of the joint exercise.

Run by hand: ``.venv/bin/python benchmarks/bench_engagement_run.py [--repeats 3]``.

The same scenario and seed are run with its batteries (threat evaluation,
feasibility, WTA and consent every decision cycle, interceptors, kills taking
effect in the tick they happen) and with no batteries (sensing,
tracking, warning and fusion only), alternately, in one process. The ratio of
the medians is the figure that counts; the per-stage split comes from one
profiled run with batteries.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from pathlib import Path

from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with_batteries = load_scenario(EXAMPLE)
    without = with_batteries.model_copy(update={"batteries": []})
    times: dict[str, list[float]] = {"with batteries": [], "no batteries": []}
    for _ in range(args.repeats):
        for name, spec in (("with batteries", with_batteries), ("no batteries", without)):
            start = time.perf_counter()
            result = run_scenario(spec, args.seed)
            times[name].append(time.perf_counter() - start)
            if name == "with batteries":
                cycles = result.summary["engagement"]["decision_cycles"]
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"example, seed {args.seed}, {args.repeats} repeats (median wall seconds)")
    print("| configuration | median s | runs |")
    print("| --- | ---: | --- |")
    for name, values in times.items():
        print(f"| {name} | {med[name]:.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    print(
        f"ratio with/without: {med['with batteries'] / med['no batteries']:.2f} "
        f"({cycles} decision cycles)"
    )

    profile = cProfile.Profile()
    profile.enable()
    run_scenario(with_batteries, args.seed)
    profile.disable()
    stats = pstats.Stats(profile)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    print("\nshare of one run with batteries (cumulative, profiled):")
    for label, fn in (
        ("sensors (scans and frames)", "scan"),
        ("own trackers + warning", "on_scans"),
        ("impact prediction (warning and C2)", "predict_impacts"),
        ("fusion", "fuse"),
        ("decision cycles", "cycle"),
        ("WTA", "solve_wta"),
        ("feasibility", "engagement_windows"),
    ):
        cum = sum(v[3] for k, v in stats.stats.items() if k[2] == fn)  # type: ignore[attr-defined]
        print(f"  {label:40s} {100 * cum / total:5.1f} %")


if __name__ == "__main__":
    main()
