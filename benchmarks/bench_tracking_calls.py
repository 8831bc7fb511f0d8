"""Benchmark: the tracking stage's per-call cost in a run, replayed without the rest.

Runs a scenario once, recording what every partner tracker was given (its radar
scans, in order) and what every fused picture was given (received tracks and
updates, in order). Then replays each recording alone, several times, and prints
the least CPU time of a replay: the tracker's ``process`` calls and the pictures'
``receive``/``update`` calls, apart from the sensors, warning and C2 stages. A
change to the tracker or to fusion can be timed in a few seconds this way, on a
quiet or a busy machine alike (compare two source trees in one session).

Run by hand::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_tracking_calls.py \\
        examples/joint-exercise.yaml
    PYTHONPATH=src .venv/bin/python benchmarks/bench_tracking_calls.py \\
        examples/large-raid.yaml --until 600 --repeat 3
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skyweave.io.run_output import write_run_output  # noqa: F401  (import order)
from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario
from skyweave.tracking import fusion, tracker

Recording = dict[int, tuple[Any, ...]]


def _record(scenario: Path, seed: int, until_s: float | None) -> tuple[Recording, Recording]:
    """Run once; return each tracker's (config, start, scans) and each picture's
    (class, owner, config, calls)."""
    trackers: Recording = {}
    pictures: Recording = {}
    process = tracker.Tracker.process

    def recorded_process(self: tracker.Tracker, scan: Any) -> Any:
        entry = trackers.setdefault(id(self), (self.config, self.time_s, []))
        entry[2].append(scan)
        return process(self, scan)

    originals = {name: getattr(fusion.PartnerPicture, name) for name in ("receive", "update")}

    def recorder(name: str) -> Callable[..., Any]:
        def call(self: fusion.PartnerPicture, *args: Any, **kwargs: Any) -> Any:
            entry = pictures.setdefault(id(self), (type(self), self.owner, self.config, []))
            entry[3].append((name, args, kwargs))
            return originals[name](self, *args, **kwargs)

        return call

    tracker.Tracker.process = recorded_process  # type: ignore[method-assign]
    for name in originals:
        setattr(fusion.PartnerPicture, name, recorder(name))
    try:
        run_scenario(load_scenario(scenario), seed, until_s=until_s, progress=False)
    finally:
        tracker.Tracker.process = process  # type: ignore[method-assign]
        for name, method in originals.items():
            setattr(fusion.PartnerPicture, name, method)
    return trackers, pictures


def _replay_trackers(trackers: Recording) -> None:
    for config, start_s, scans in trackers.values():
        trk = tracker.Tracker(config, start_time_s=start_s)
        for scan in scans:
            trk.process(scan)


def _replay_pictures(pictures: Recording) -> None:
    for cls, owner, config, calls in pictures.values():
        pic = cls.__new__(cls)
        fusion.PartnerPicture.__init__(pic, owner, config)
        for name, args, kwargs in calls:
            getattr(pic, name)(*args, **kwargs)


def _least_cpu_s(replay: Callable[[], None], repeat: int) -> float:
    replay()  # warm: kernels loaded, caches filled
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        replay()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    trackers, pictures = _record(args.scenario, args.seed, args.until)
    n_scans = sum(len(entry[2]) for entry in trackers.values())
    n_calls = sum(len(entry[3]) for entry in pictures.values())
    t_trk = _least_cpu_s(lambda: _replay_trackers(trackers), args.repeat)
    t_fus = _least_cpu_s(lambda: _replay_pictures(pictures), args.repeat)
    print(f"trackers: {n_scans} scans, {t_trk:.3f} CPU s ({1e6 * t_trk / n_scans:.0f} us a scan)")
    print(f"pictures: {n_calls} calls, {t_fus:.3f} CPU s ({1e6 * t_fus / n_calls:.0f} us a call)")


if __name__ == "__main__":
    main()
