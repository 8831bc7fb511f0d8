"""CPU seconds of the decision cycle's and the link stage's parts in whole runs; by hand.

Each part is timed by process time around its calls (no profiler: the small
per-call costs that dominate a run with few tracks are not inflated), per run,
after one short warm-up run (Numba's cache loading is not counted)::

    PYTHONPATH=src nice .venv/bin/python benchmarks/bench_c2_network_stages.py \\
        examples/joint-exercise.yaml --mode independent --runs 3
    PYTHONPATH=src nice .venv/bin/python benchmarks/bench_c2_network_stages.py \\
        examples/large-raid.yaml --until 600 --runs 1

Nested parts are each counted whole (``valuation`` includes its
``va.predict_impacts``).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skyweave.c2 import decision, pairs, valuation
from skyweave.engine import simulation
from skyweave.network import links, stream
from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario

#: (owner, attribute, label) of every timed part
PARTS: tuple[tuple[Any, str, str], ...] = (
    (simulation.Simulation, "_decide", "sim._decide"),
    (simulation.Simulation, "_deliver", "sim._deliver"),
    (simulation.Simulation, "_status_messages", "sim._status_messages"),
    (simulation.Simulation, "_engagements_to_boards", "sim._engagements_to_boards"),
    (simulation.Simulation, "_kills_now", "sim._kills_now"),
    (stream.LinkStream, "offer", "links.offer"),
    (stream.LinkStream, "arrived", "links.arrived"),
    (links.LinkBoundary, "transmit", "links.transmit"),
    (valuation.ThreatValuation, "__call__", "valuation"),
    (valuation, "predict_impacts", "va.predict_impacts"),
    (valuation, "evaluate_threats", "va.evaluate_threats"),
    (valuation, "airbreathing_threat", "va.airbreathing_threat"),
    (valuation, "reach_matrix", "va.reach_matrix"),
    (valuation, "note_reach", "va.note_reach"),
    (decision.DecisionStage, "_pairs", "decision._pairs"),
    (decision, "engagement_windows", "de.engagement_windows"),
    (pairs.PairRules, "matrix", "pairs.matrix"),
    (decision, "cycle_rows", "de.cycle_rows"),
)


def _timed(fn: Callable[..., Any], label: str, spent: Counter[str]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--mode", default=None, help="coordination mode override")
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument("--runs", type=int, default=3, help="seeds 1..runs")
    args = parser.parse_args()

    spent: Counter[str] = Counter()
    for owner, name, label in PARTS:
        setattr(owner, name, _timed(getattr(owner, name), label, spent))
    spec = load_scenario(args.scenario)
    if args.mode:
        spec = spec.model_copy(update={"coordination_mode": args.mode})
    run_scenario(spec, 0, until_s=min(args.until or 200.0, 200.0))  # warm-up
    spent.clear()
    start = time.process_time()
    for seed in range(1, args.runs + 1):
        run_scenario(spec, seed, until_s=args.until)
    total = (time.process_time() - start) / args.runs
    print(f"{args.scenario.name} ({spec.coordination_mode}): {total:.2f} CPU s per run")
    for _, _, label in PARTS:
        print(f"  {label:28s} {spent[label] / args.runs:7.3f}")


if __name__ == "__main__":
    main()
