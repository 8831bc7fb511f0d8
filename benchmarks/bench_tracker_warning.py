"""CPU time of the partner trackers and their early warning inside one engine run.

Wraps ``Tracker.process`` and ``PartnerWarning.on_tracks`` with CPU timers
(``time.process_time``; no profiler, whose overhead falls mostly on the many
small NumPy calls and would flatter compiled code) and runs the engine only
(nothing written). Run the same command against the code before a change, e.g.
an untouched checkout on ``PYTHONPATH``, alternating, on the same machine::

    nice .venv/bin/python benchmarks/bench_tracker_warning.py examples/joint-exercise.yaml
    PYTHONPATH=/tmp/old/src nice .venv/bin/python benchmarks/bench_tracker_warning.py \\
        examples/large-raid.yaml --until 300
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(owner: type, name: str, totals: dict[str, float]) -> None:
    """Replace ``owner.name`` with a wrapper that adds its CPU time to ``totals[name]``."""
    inner: Callable[..., Any] = getattr(owner, name)
    totals[name] = 0.0

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - t0

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="start Numba (one flight to the ground) before timing, so that its one-time "
        "start-up, paid by old and new code alike, is charged to neither stage",
    )
    args = parser.parse_args()

    import skyweave
    from skyweave.scenario.load import load_scenario
    from skyweave.simulation import run_scenario
    from skyweave.tracking.tracker import Tracker
    from skyweave.warning.partner_stream import PartnerWarning

    if args.warm:
        import numpy as np

        from skyweave.warning.propagate import free_flight_to_ground

        free_flight_to_ground(np.array([[6.5e6, 0.0, 0.0, 0.0, 1000.0, 3000.0]]))
    totals: dict[str, float] = {}
    _timed(Tracker, "process", totals)
    _timed(PartnerWarning, "on_tracks", totals)
    spec = load_scenario(args.scenario)
    cpu0 = time.process_time()
    run_scenario(spec, args.seed, until_s=args.until, progress=False)
    engine = time.process_time() - cpu0
    part = totals["process"] + totals["on_tracks"]
    print(
        f"{Path(skyweave.__file__).parent}: engine {engine:.2f} CPU s; "
        f"Tracker.process {totals['process']:.2f} s, on_tracks {totals['on_tracks']:.2f} s, "
        f"together {part:.2f} s ({100.0 * part / engine:.0f} %)" + (" [warm]" if args.warm else "")
    )


if __name__ == "__main__":
    main()
