"""Benchmark: the launch detector on a run's real infrared feed, old code against new.

Records the infrared reports each partner's warning stream received in a run
(``PartnerWarning.on_infrared``: the batch of one tick, own and released), then
feeds the same batches to the detector of this checkout and to the one of a git
revision (default ``main``; its ``warning/launch.py`` and the
``los_ground_intersection`` of its ``sensors/infrared.py``), alternated, in one
process, calling ``add``, ``events`` and ``lineage`` per batch as the stream does.
Prints the CPU time (``time.process_time``) of each, their ratio, and whether
every ``events()`` answer was bit-identical.

Run by hand (one at a time on a shared machine), for example::

    nice .venv/bin/python benchmarks/bench_launch_detector.py examples/large-raid.yaml \\
        --until 300 --feed /tmp/raid300-ir.pkl

``--feed`` keeps the recorded feed (the run is skipped when the file exists).
``--in-run`` also runs the scenario once with each detector in the engine and
prints the CPU time spent inside the detector's calls and in the whole run.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from old_source import module_at  # a sibling script (benchmarks/ is on sys.path)

Feed = list[tuple[str, float, Any]]  # (partner, time_s, Detections)


def record_feed(scenario: Path, seed: int, until_s: float | None) -> Feed:
    """The (partner, time, infrared batch) calls of every partner's warning stream."""
    from skyweave.scenario.load import load_scenario
    from skyweave.simulation import run_scenario
    from skyweave.warning.partner_stream import PartnerWarning

    feed: Feed = []
    original = PartnerWarning.on_infrared

    def spy(self: PartnerWarning, time_s: float, infrared: Any) -> None:
        if len(infrared):
            feed.append((self.partner, float(time_s), infrared))
        original(self, time_s, infrared)

    PartnerWarning.on_infrared = spy  # type: ignore[method-assign]
    try:
        run_scenario(load_scenario(scenario), seed, until_s=until_s, progress=False)
    finally:
        PartnerWarning.on_infrared = original  # type: ignore[method-assign]
    return feed


def old_detector_class(rev: str, folder: Path) -> Any:
    """``LaunchDetector`` of git revision ``rev``, with that revision's ground intersection."""
    infrared = module_at(rev, "src/skyweave/sensors/infrared.py", "_old_infrared", folder)
    launch = module_at(rev, "src/skyweave/warning/launch.py", "_old_launch", folder)
    launch.los_ground_intersection = infrared.los_ground_intersection  # type: ignore[attr-defined]
    return launch.LaunchDetector


def play(cls: Any, feed: Feed) -> tuple[float, list[Any]]:
    """CPU seconds to feed ``feed`` to one ``cls`` detector per partner, and the answers."""
    detectors: dict[str, Any] = {}
    answers = []
    cpu0 = time.process_time()
    for partner, _, det in feed:
        ld = detectors.get(partner)
        if ld is None:
            ld = detectors[partner] = cls(id_prefix=f"{partner}-launch")
        ld.add(det)
        answers.append((ld.events(), ld.lineage()))
    cpu = time.process_time() - cpu0
    return cpu, answers


def same_answers(a: list[Any], b: list[Any]) -> bool:
    """Every events() column and lineage equal, bit for bit (NaN equal to NaN)."""
    if len(a) != len(b):
        return False
    for (ev_a, lin_a), (ev_b, lin_b) in zip(a, b, strict=True):
        if lin_a != lin_b:
            return False
        for name, col in ev_a.__dict__.items():
            other = getattr(ev_b, name)
            if col.dtype.kind == "f":
                if col.tobytes() != np.asarray(other, dtype=col.dtype).tobytes():
                    return False
            elif not np.array_equal(col, other):
                return False
    return True


def timed_run(cls: Any, scenario: Path, seed: int, until_s: float | None) -> tuple[float, float]:
    """CPU seconds inside ``cls``'s add/events/lineage and in the whole run, with
    ``cls`` as every partner's launch detector."""
    from skyweave.scenario.load import load_scenario
    from skyweave.simulation import run_scenario
    from skyweave.warning import partner_stream

    spent = [0.0]

    class Timed(cls):
        def add(self, det: Any) -> None:
            cpu0 = time.process_time()
            super().add(det)
            spent[0] += time.process_time() - cpu0

        def events(self) -> Any:
            cpu0 = time.process_time()
            out = super().events()
            spent[0] += time.process_time() - cpu0
            return out

        def lineage(self) -> Any:
            cpu0 = time.process_time()
            out = super().lineage()
            spent[0] += time.process_time() - cpu0
            return out

    original = partner_stream.LaunchDetector
    partner_stream.LaunchDetector = Timed  # type: ignore[misc]
    try:
        cpu0 = time.process_time()
        run_scenario(load_scenario(scenario), seed, until_s=until_s, progress=False)
        total = time.process_time() - cpu0
    finally:
        partner_stream.LaunchDetector = original  # type: ignore[misc]
    return spent[0], total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument("--feed", type=Path, default=None, help="recorded feed (pickle)")
    parser.add_argument("--rev", default="main", help="git revision of the old code")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-run", action="store_true", help="also time it inside a run")
    args = parser.parse_args()

    from skyweave.warning.launch import LaunchDetector

    if args.feed is not None and args.feed.exists():
        feed = pickle.loads(args.feed.read_bytes())
    else:
        feed = record_feed(args.scenario, args.seed, args.until)
        if args.feed is not None:
            args.feed.write_bytes(pickle.dumps(feed))
    rows = sum(len(det) for _, _, det in feed)
    print(f"feed: {len(feed)} batches, {rows} rows ({args.scenario}, seed {args.seed})")
    with tempfile.TemporaryDirectory() as folder:
        old_cls = old_detector_class(args.rev, Path(folder))
        play(LaunchDetector, feed[:50])  # compile / warm caches before timing
        play(old_cls, feed[:50])
        old_s, new_s = [], []
        identical = True
        for _ in range(args.rounds):
            cpu, old_answers = play(old_cls, feed)
            old_s.append(cpu)
            cpu, new_answers = play(LaunchDetector, feed)
            new_s.append(cpu)
            identical &= same_answers(old_answers, new_answers)
        if args.in_run:
            for label, cls in (("old", old_cls), ("new", LaunchDetector)):
                inside, total = timed_run(cls, args.scenario, args.seed, args.until)
                print(f"in a run, {label}: detector {inside:.2f} CPU s of {total:.1f} CPU s")
    print(f"old ({args.rev}): {' '.join(f'{s:.2f}' for s in old_s)} CPU s")
    print(f"new (checkout): {' '.join(f'{s:.2f}' for s in new_s)} CPU s")
    print(f"ratio old/new (best of each): {min(old_s) / min(new_s):.1f}x")
    print(f"answers bit-identical: {identical}")


if __name__ == "__main__":
    main()
