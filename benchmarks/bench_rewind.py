"""How long the white cell's rewind takes, and what the snapshots behind it cost.

Run by hand (not by CI)::

    .venv/bin/python benchmarks/bench_rewind.py examples/joint-exercise.yaml --seed 1

Plays the scenario to its end as a live exercise does, snapshotting the engine every
``--period`` simulated seconds (:class:`~skyweave.engine.snapshots.SnapshotStore`),
then rewinds to the worst instants (one tick before each next snapshot, so the most
ticks are stepped again) and to a few others, timing each rewind: the newest
snapshot's engine rebuilt and stepped on to the instant
(:func:`~skyweave.engine.snapshots.restore`). Reports the snapshots' cost (time to
take, bytes held), the rewinds' times, and checks that every rewound engine holds
the same state as the played one did at that instant (its events and alerts so far).
"""

from __future__ import annotations

import argparse
import statistics
import time

from skyweave.engine.simulation import Simulation
from skyweave.engine.snapshots import MAIN, SNAPSHOT_PERIOD_S, SnapshotStore, restore
from skyweave.scenario import load_scenario


def main() -> None:
    """Play, snapshot, rewind; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--period", type=float, default=SNAPSHOT_PERIOD_S, help="simulated s between snapshots"
    )
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    # every period, whatever the wall clock (a paced exercise at 1x to 10x is never held back)
    store = SnapshotStore(period_s=args.period, wall_share=1e9)
    sim = Simulation(scenario, args.seed)
    costs: list[float] = []
    checkpoints: dict[float, tuple[int, int]] = {}
    targets = sorted(
        {
            *(
                k * args.period - scenario.time_step_s
                for k in range(1, 1 + int(sim.end_s // args.period))
            ),
            sim.end_s,
            sim.end_s / 3.0,
        }
    )
    targets = [float(sim.times_s[sim.times_s <= t + 1e-9][-1]) for t in targets]
    started = time.perf_counter()
    while not sim.done:
        sim.step()
        before = time.perf_counter()
        if store.maybe_take(MAIN, sim):
            costs.append(time.perf_counter() - before)
        if sim.time_s in targets:
            checkpoints[sim.time_s] = (len(sim.events), sum(len(a) for a in sim.alerts))
    played_s = time.perf_counter() - started
    print(f"played {sim.end_s:g} s of {scenario.name} in {played_s:.1f} s wall")
    print(
        f"snapshots: {store.count()} every {args.period:g} s, "
        f"{store.size_bytes() / 2**20:.1f} MiB held; to take one: median "
        f"{statistics.median(costs):.2f} s, largest {max(costs):.2f} s"
    )
    times = []
    for target in targets:
        before = time.perf_counter()
        snap = store.nearest(MAIN, target)
        back = restore(scenario, args.seed, [], target, snap)
        took = time.perf_counter() - before
        times.append(took)
        state = (len(back.events), sum(len(a) for a in back.alerts))
        same = "same state" if state == checkpoints[target] else f"DIFFERS {state}"
        from_s = "start" if snap is None else f"{snap.time_s:g} s"
        print(f"rewind to {target:7.1f} s (from the snapshot at {from_s}): {took:.2f} s, {same}")
    print(
        f"rewinds: {len(times)}, median {statistics.median(times):.2f} s, "
        f"largest {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
