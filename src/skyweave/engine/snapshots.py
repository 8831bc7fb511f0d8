"""Snapshots of the engine, rewinds and branches: going back to an earlier tick.

The engine guarantees that a run to ``t1`` is a bit-identical prefix of a run to
``t2 > t1`` and that the command log replays bit for bit. So the state at any tick
``t`` of a line of play (the main line, or a branch: a command log with a parent
and a branch time) is the state of the newest snapshot at or before ``t`` on that
line or its ancestors (up to their branch times), stepped on with the line's
commands after the snapshot's time. :class:`SnapshotStore` keeps those snapshots
(pickled :class:`~skyweave.engine.simulation.Simulation` objects, taken every
``period_s`` simulated seconds, less often when pickling would take more than a
share of the wall clock) and :func:`restore` builds the engine at ``t``.

:func:`reseed` is the other half of a counterfactual: from the tick it is called
at on, every random draw of the run comes from another seed (draws are keyed by
component and time, so the prefix keeps the played seed's draws).
"""

from __future__ import annotations

import copyreg
import pickle
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from skyweave.engine.commands import Command, in_apply_order
from skyweave.engine.simulation import Simulation
from skyweave.kinematics.from_scenario import build_truth
from skyweave.scenario.schema import Scenario

#: the main line of play (a run folder's own command log)
MAIN = "main"
#: simulated seconds between two snapshots of a line of play
SNAPSHOT_PERIOD_S = 30.0
#: the largest share of the wall clock snapshots may take (the pacing thread waits)
SNAPSHOT_WALL_SHARE = 0.1
#: the most memory snapshots may hold; past it every other older snapshot is dropped
#: (rewinds then step further, but a long exercise of a large raid fits in memory)
SNAPSHOT_MAX_BYTES = 768 * 2**20
#: times within this of a tick are on it (as the engine's command rule)
_EPS_S = 1e-6


def _mapping_proxy(items: dict[str, Any]) -> types.MappingProxyType[str, Any]:
    return types.MappingProxyType(items)


# Parameters hold read-only mappings (a radar's RCS factors); a snapshot copies them
# as new read-only mappings of the same items.
copyreg.pickle(types.MappingProxyType, lambda m: (_mapping_proxy, (dict(m),)))


def freeze(sim: Simulation) -> bytes:
    """The whole engine as bytes (:func:`thaw` gives back an engine that steps on
    bit-identically)."""
    return pickle.dumps(sim, protocol=pickle.HIGHEST_PROTOCOL)


def thaw(blob: bytes) -> Simulation:
    """An engine from :func:`freeze`'s bytes (a new, independent object)."""
    sim = pickle.loads(blob)  # noqa: S301 - our own bytes, never read from outside
    if not isinstance(sim, Simulation):
        raise TypeError("not a frozen Simulation")
    return sim


@dataclass(frozen=True)
class Snapshot:
    """The engine of one line of play just after the tick at ``time_s`` ran."""

    line: str
    time_s: float
    blob: bytes


@dataclass(frozen=True)
class Line:
    """A line of play: its parent and the tick it branched at (None for the main line)."""

    name: str
    parent: str | None
    branch_time_s: float


class SnapshotStore:
    """Snapshots of every line of play of one exercise (see the module docstring).

    Parameters
    ----------
    period_s : float
        Simulated seconds between two snapshots of a line.
    wall_share : float
        Snapshots wait until the wall time since the last one is at least the last
        one's cost divided by this (at a high rate they are taken less often).
    wall_clock : callable
        Wall clock in seconds (tests pass their own).
    max_bytes : int
        Memory the snapshots may hold: past it, every second snapshot of each line
        except its newest is dropped, as often as needed.
    """

    def __init__(
        self,
        period_s: float = SNAPSHOT_PERIOD_S,
        wall_share: float = SNAPSHOT_WALL_SHARE,
        wall_clock: Callable[[], float] = time.perf_counter,
        max_bytes: int = SNAPSHOT_MAX_BYTES,
    ) -> None:
        self.period_s = float(period_s)
        self.wall_share = float(wall_share)
        self.max_bytes = int(max_bytes)
        self._wall = wall_clock
        self.lines: dict[str, Line] = {MAIN: Line(MAIN, None, 0.0)}
        self._snapshots: dict[str, list[Snapshot]] = {MAIN: []}
        self._last_cost_s = 0.0
        self._last_wall_s = -float("inf")

    def add_line(self, name: str, parent: str, branch_time_s: float) -> None:
        """A new branch of ``parent`` at the tick ``branch_time_s``."""
        if name in self.lines:
            raise ValueError(f"a line named {name!r} exists")
        if parent not in self.lines:
            raise ValueError(f"no line named {parent!r}")
        self.lines[name] = Line(name, parent, float(branch_time_s))
        self._snapshots[name] = []

    def take(self, line: str, sim: Simulation) -> Snapshot:
        """Snapshot ``sim`` (stepped on ``line``) now."""
        started = self._wall()
        snap = Snapshot(line, float(sim.time_s), freeze(sim))
        kept = self._snapshots[line]
        self._snapshots[line] = [s for s in kept if s.time_s < snap.time_s] + [snap]
        self._thin()
        self._last_wall_s = self._wall()
        self._last_cost_s = self._last_wall_s - started
        return snap

    def _thin(self) -> None:
        """Halve the older snapshots of every line until they fit in ``max_bytes``."""
        while self.size_bytes() > self.max_bytes and self.count() > len(self._snapshots):
            for name, kept in self._snapshots.items():
                # keep the newest, and every second one counting back from it
                self._snapshots[name] = kept[::-1][::2][::-1] if len(kept) > 1 else kept

    def maybe_take(self, line: str, sim: Simulation) -> bool:
        """Snapshot ``sim`` if ``period_s`` simulated seconds passed since the line's last
        one (or its branch time) and the wall clock allows; True if one was taken."""
        if sim.tick < 0:
            return False
        kept = self._snapshots[line]
        branch_s = self.lines[line].branch_time_s
        if kept:
            due = sim.time_s - kept[-1].time_s >= self.period_s - _EPS_S
        elif line != MAIN and sim.time_s > branch_s + _EPS_S:
            # a branch just made: its parent's snapshot or the rewind itself is that near
            due = sim.time_s - branch_s >= self.period_s - _EPS_S
        else:
            due = True  # the first tick (or a resume's replay): never back to the start
        if not due:
            return False
        if self._wall() - self._last_wall_s < self._last_cost_s / self.wall_share:
            return False
        self.take(line, sim)
        return True

    def nearest(self, line: str, time_s: float) -> Snapshot | None:
        """The newest snapshot valid for ``line`` at or before ``time_s``: on the line,
        or on an ancestor at or before the tick the line (or the line between) branched."""
        limit = float(time_s)
        name: str | None = line
        while name is not None:
            for snap in reversed(self._snapshots[name]):
                if snap.time_s <= limit + _EPS_S:
                    return snap
            entry = self.lines[name]
            limit = min(limit, entry.branch_time_s)
            name = entry.parent
        return None

    def count(self) -> int:
        """Snapshots held, over every line."""
        return sum(len(s) for s in self._snapshots.values())

    def size_bytes(self) -> int:
        """Bytes the snapshots hold."""
        return sum(len(s.blob) for v in self._snapshots.values() for s in v)


def prefix(commands: Iterable[Command], time_s: float) -> list[Command]:
    """The commands applied by the tick at ``time_s`` (stamped at or before it)."""
    return [c for c in commands if c.time_s <= time_s + _EPS_S]


def restore(
    scenario: Scenario,
    seed: int,
    commands: Iterable[Command],
    time_s: float,
    snapshot: Snapshot | None = None,
) -> Simulation:
    """The engine of the line whose command log is ``commands``, just after its tick at
    ``time_s`` ran: from ``snapshot`` (taken on that line or on an ancestor at or
    before the branch time) stepped on, or from the start without one.

    The commands after the snapshot's time are the line's own: what the snapshot had
    queued beyond it (a later line's scheduled orders) is replaced, the scenario's
    scripted injects kept.
    """
    log = list(commands)
    if snapshot is None or snapshot.time_s > time_s + _EPS_S:
        sim = Simulation(scenario, seed, log)
    else:
        sim = thaw(snapshot.blob)
        later = [c for c in log if c.time_s > snapshot.time_s + _EPS_S]
        # the engine's queue of commands not yet applied (scripted injects first)
        scripted = [c for c in sim._pending if c.scripted]
        sim._pending = in_apply_order([*scripted, *later])
    sim.run_until(time_s)
    return sim


def tick_at(sim: Simulation, time_s: float) -> float:
    """The tick time at or just before ``time_s`` (the first tick for earlier times)."""
    k = int(np.searchsorted(sim.times_s, float(time_s) + _EPS_S, side="right")) - 1
    return float(sim.times_s[max(k, 0)])


def reseed(sim: Simulation, seed: int) -> None:
    """From the next tick on, draw every random number from ``seed`` instead.

    Every draw is keyed by its component and its time (scan, tick, engagement), so
    switching the run seed of every component switches the draws after now and
    leaves the draws already made. Ballistic threats not launched yet are re-aimed
    with the new seed (their aim dispersion is drawn at launch).
    """
    seed = int(seed)
    sim.seed = seed
    sim.boundary.seed = seed
    sim.decision.model.seed = seed
    for sensor in sim.sensors._sensors.values():
        sensor.seed = seed
    later = [t for t in sim.scenario.threats if t.launch_time_s > sim.time_s + _EPS_S]
    if any(getattr(t, "cep_m", 0.0) > 0.0 for t in later):
        _reaim(sim, later, seed)


def _reaim(sim: Simulation, threats: list[Any], seed: int) -> None:
    """Rebuild the truth of threats not launched yet with ``seed`` (their aims)."""
    extra = sim.scenario.model_copy(update={"threats": threats, "injects": []})
    truth, flights = build_truth(extra, sim.times_s, seed=seed)
    index = {o: k for k, o in enumerate(sim.truth.object_ids)}
    states = sim.truth.states.copy()
    for k, object_id in enumerate(truth.object_ids):
        states[:, index[object_id]] = truth.states[:, k]
    by_id = {f.object_id: f for f in flights}
    sim.truth = replace(sim.truth, states=states)
    sim.flights = [by_id.get(f.object_id, f) for f in sim.flights]
    sim._objects = sim._threat_objects()


def seeds_of(sim: Simulation) -> Mapping[str, int]:
    """Every component's run seed (for checks: all equal after :func:`reseed`)."""
    out = {
        "simulation": sim.seed,
        "links": sim.boundary.seed,
        "engagements": sim.decision.model.seed,
    }
    out.update({f"sensor/{k}": s.seed for k, s in sim.sensors._sensors.items()})
    return out


__all__ = [
    "MAIN",
    "SNAPSHOT_PERIOD_S",
    "Line",
    "Snapshot",
    "SnapshotStore",
    "freeze",
    "prefix",
    "reseed",
    "restore",
    "seeds_of",
    "thaw",
    "tick_at",
]
