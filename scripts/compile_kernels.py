"""Compile the engine's Numba kernels into their on-disk cache (``make setup``).

The kernels are compiled on first use and cached beside their sources; compiling them
all takes about 30 CPU s. Done once at set-up, the first run, the demo and every test
process load them from the cache instead of each compiling them again. The shipped
example's first 400 s call every kernel; nothing is written but the cache.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from skyweave.c2.feasibility_kernel import illinois_hermite
from skyweave.c2.reach_kernel import reach_box
from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario
from skyweave.tracking.tracker_kernel import iekf_refine

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _feasibility_kernel() -> None:
    """The decision cycle's intercept search: the example's first 400 s engage nothing."""
    one = np.ones(1)
    index = np.zeros(1, dtype=np.int64)
    illinois_hermite(
        np.arange(2.0), np.zeros((1, 2, 6)), index, index, index, *(one,) * 4,
        np.zeros((1, 3)), one, one, 1e-9, 1,
    )  # fmt: skip


def _reach_kernel() -> None:
    """The decision cycle's reach box (whether or not the example's cycles reach it)."""
    grid = np.zeros((1, 2))
    reach_box(grid, grid, grid, grid, np.zeros((1, 3)), np.ones(1), np.ones(1))


def _iekf_kernel() -> None:
    """The iterated-EKF refinement called on its own (a tracker without IMM modes; the
    example's IMM trackers reach it inside their update kernel)."""
    x, p = np.zeros((1, 6)), np.zeros((1, 6, 6))
    rows = np.ones((1, 3))
    iekf_refine(x, p, rows, x, p, np.ones(3), np.eye(3), np.ones(3), 1)


def main() -> None:
    start_s = time.process_time()
    run_scenario(load_scenario(EXAMPLE), seed=1, until_s=400.0)
    _feasibility_kernel()
    _reach_kernel()
    _iekf_kernel()
    print(f"kernels compiled and cached ({time.process_time() - start_s:.0f} CPU s)")


if __name__ == "__main__":
    main()
