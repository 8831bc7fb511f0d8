"""Profile one run: the engine (``run_scenario``) and the run folder's writing, apart.

Run by hand (one profile at a time on a shared machine), for example::

    nice .venv/bin/python benchmarks/profile_run.py examples/large-raid.yaml \\
        --until 300 --out /tmp/raid300 --stats /tmp/raid300.pstats

Prints the CPU time of the engine and of the writing, then the top functions by
cumulative and by own time of each phase. ``--no-write`` profiles the engine only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import time
from pathlib import Path


def _top(profile: cProfile.Profile, sort: str, n: int) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(sort).print_stats(n)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument("--out", type=Path, default=None, help="run folder to write")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--stats", type=Path, default=None, help="save the engine's pstats")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from skyweave.io.run_output import write_run_output
    from skyweave.scenario.load import load_scenario
    from skyweave.simulation import run_scenario

    spec = load_scenario(args.scenario)
    engine = cProfile.Profile()
    cpu0 = time.process_time()
    engine.enable()
    result = run_scenario(spec, args.seed, until_s=args.until, progress=False)
    engine.disable()
    cpu_engine = time.process_time() - cpu0
    print(f"engine: {cpu_engine:.1f} CPU s (profiled)")
    if args.stats is not None:
        engine.dump_stats(str(args.stats))
    print(_top(engine, "cumulative", args.top))
    print(_top(engine, "tottime", args.top))
    if args.no_write:
        return
    out = args.out or Path("/tmp/profile_run_out")
    if out.exists():
        shutil.rmtree(out)
    writer = cProfile.Profile()
    cpu0 = time.process_time()
    writer.enable()
    write_run_output(out, spec, result)
    writer.disable()
    print(f"write: {time.process_time() - cpu0:.1f} CPU s (profiled)")
    if args.stats is not None:
        writer.dump_stats(str(args.stats.with_suffix(".write.pstats")))
    print(_top(writer, "cumulative", args.top))
    print(_top(writer, "tottime", args.top))


if __name__ == "__main__":
    main()
