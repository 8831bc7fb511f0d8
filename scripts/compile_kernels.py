"""Compile the engine's Numba kernels into their on-disk cache (``make setup``).

The kernels are compiled on first use and cached beside their sources; compiling them
all takes about 30 CPU s. Done once at set-up, the first run, the demo and every test
process load them from the cache instead of each compiling them again. The shipped
example's first 400 s call every kernel; nothing is written but the cache.
"""

from __future__ import annotations

import time
from pathlib import Path

from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def main() -> None:
    start_s = time.process_time()
    run_scenario(load_scenario(EXAMPLE), seed=1, until_s=400.0)
    print(f"kernels compiled and cached ({time.process_time() - start_s:.0f} CPU s)")


if __name__ == "__main__":
    main()
