"""What the threat board costs and what it gives: engine share and alert rows per threat.

Run by hand (not by CI)::

    .venv/bin/python benchmarks/bench_threat_board.py examples/joint-exercise.yaml --seed 1
    .venv/bin/python benchmarks/bench_threat_board.py examples/large-raid.yaml --until 600

Runs the scenario once under cProfile and reports, measured in that one run:

* the engine's step time and the share of it spent in the threat board
  (:mod:`skyweave.warning.threats`, its rows and its air-breathing evaluation),
  in the launch detector and in the whole warning stage;
* the alert rows per threat and partner (median, largest) and the launch alerts
  (``new_threat`` rows) per truth object and partner.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
from collections import Counter
from pathlib import Path

from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario


def _cumulative_s(
    stats: pstats.Stats, parts: tuple[str, ...], names: set[str] | None = None
) -> float:
    """Time spent in the files matching any of ``parts``: the cumulative time of their
    functions' calls from outside those files (nested calls are not counted twice)."""

    def inside(file: str) -> bool:
        return any(p in file for p in parts)

    total = 0.0
    for (file, _line, name), (_cc, _nc, _tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if not inside(file) or (names is not None and name not in names):
            continue
        total += sum(v[3] for c, v in callers.items() if not inside(c[0])) if callers else ct
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    profile = cProfile.Profile()
    profile.enable()
    result = run_scenario(scenario, args.seed, until_s=args.until)
    profile.disable()
    stats = pstats.Stats(profile)
    step_s = _cumulative_s(stats, ("engine/simulation.py",), {"step"})
    board_s = _cumulative_s(stats, ("warning/threat", "warning/air_threats.py"))
    detector_s = _cumulative_s(stats, ("warning/launch.py",))
    warning_s = _cumulative_s(stats, ("warning/",))
    alerts = result.tables["alerts"].to_pylist()
    per = Counter((a["partner"], a["threat_id"]) for a in alerts)
    labels = {(a["partner"], a["threat_id"]): a["truth_object_id"] for a in alerts}
    launches = Counter(
        (a["partner"], labels[(a["partner"], a["threat_id"])])
        for a in alerts
        if a["alert_kind"] == "new_threat"
    )
    print(f"scenario {args.scenario} seed {args.seed}, simulated {result.summary['simulated_s']} s")
    print(f"engine steps (profiled): {step_s:.2f} s")
    print(f"  threat board:          {board_s:.2f} s ({100 * board_s / step_s:.1f} %)")
    print(f"  launch detector:       {detector_s:.2f} s ({100 * detector_s / step_s:.1f} %)")
    print(f"  whole warning stage:   {warning_s:.2f} s ({100 * warning_s / step_s:.1f} %)")
    print(
        f"alert rows: {len(alerts)} for {len(per)} threat entries; per threat and partner "
        f"median {statistics.median(per.values())}, largest {max(per.values())}"
    )
    counts = Counter(launches.values())
    print(f"launch alerts per truth object and partner: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
