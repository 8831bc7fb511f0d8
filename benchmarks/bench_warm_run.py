"""Benchmark: ``run_scenario``'s CPU time after start-up (issue 23's "after start-up").

Loads the scenario, runs it once (which loads the compiled kernels from Numba's cache and
warms NumPy), then times further runs in the same process, seed by seed, in process CPU
time. Compare two source trees by running it twice, one after the other::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_warm_run.py examples/joint-exercise.yaml
    PYTHONPATH=<old>/src .venv/bin/python benchmarks/bench_warm_run.py examples/joint-exercise.yaml
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario


def main() -> None:
    """Time the warm runs and print each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seeds", default="2,3,1", help="seeds timed after a first run of 1")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    run_scenario(scenario, 1, progress=False)
    for seed in (int(s) for s in args.seeds.split(",")):
        start = time.process_time()
        run_scenario(scenario, seed, progress=False)
        print(f"seed {seed}: {time.process_time() - start:.2f} CPU s in run_scenario", flush=True)


if __name__ == "__main__":
    main()
