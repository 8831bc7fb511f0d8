"""Counterfactual batches: the rest of a played exercise from a branch time, over many seeds.

``skyweave batch --from-run RUN_DIR --branch-at T`` takes one line of play of a
played exercise (the main line or ``--branch NAME``) and runs it on from the tick
at ``T`` (or just before it) ``--runs`` times:

* **the prefix is the played one**: the engine is run once to ``T`` with the
  played seed and the played commands, frozen
  (:func:`~skyweave.engine.snapshots.freeze`), and every run starts from that
  state, so every run's tables up to ``T`` are the played run's, bit for bit;
* **the draws after T vary**: at ``T`` every component's run seed switches to the
  run's batch seed (:func:`~skyweave.engine.snapshots.reseed`; draws are keyed by
  component and time, so draws at ticks after ``T`` come from the batch seed);
* **two arms, paired**: point 1 continues with the played commands after ``T``
  (``as played``), point 2 with the alternative: the commands after ``T`` of
  ``--commands ALT.jsonl`` or, without it, none of the staffs' orders (the
  policies answer; the white cell's injects of the played line stay). Run ``i``
  of both arms has the same batch seed, so the batch report's paired differences
  are the alternative's effect, run by run.

The played line's own outcome (its commands, the played seed after ``T`` too, to
the tick it was played to) is run once and recorded beside the arms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyweave.analysis.batch_sweep import SweepPoint
from skyweave.engine.commands import Command, load_commands
from skyweave.engine.simulation import Simulation
from skyweave.engine.snapshots import Snapshot, freeze, prefix, tick_at
from skyweave.errors import InputError, Problem
from skyweave.exercise.played import read_played
from skyweave.scenario.schema import Scenario

#: the one "swept" parameter of a counterfactual batch: which commands follow T
ARM_PARAM = "after_branch"
PLAYED_ARM = "as played"
POLICY_ARM = "policies answer"
_EPS_S = 1e-6


@dataclass(frozen=True)
class Arm:
    """One way to go on after the branch time: its label and its commands after it."""

    label: str
    after: tuple[Command, ...]


@dataclass(frozen=True)
class Counterfactual:
    """A played line frozen at its branch time, and the arms run from there."""

    run_dir: str
    branch: str
    branch_time_s: float
    played_seed: int
    played_to_s: float
    start: Snapshot
    arms: tuple[Arm, ...]
    ignored: int = 0  # alternative commands at or before the branch time (left out)

    def points(self, scenario: Scenario) -> list[SweepPoint]:
        """The arms as the batch's points (one parameter: :data:`ARM_PARAM`)."""
        return [SweepPoint(k, {ARM_PARAM: arm.label}, scenario) for k, arm in enumerate(self.arms)]

    def identity(self) -> dict[str, Any]:
        """What must match for ``--resume`` to continue this batch."""
        return {
            "run_dir": self.run_dir,
            "branch": self.branch,
            "branch_time_s": self.branch_time_s,
            "played_seed": self.played_seed,
            "arms": [
                {"label": a.label, "commands_sha256": _commands_sha256(a.after)} for a in self.arms
            ],
        }

    def describe(self) -> dict[str, Any]:
        """The batch summary's ``from_run`` block."""
        return {
            **self.identity(),
            "played_to_s": self.played_to_s,
            "arms": [
                {"point": k, "label": a.label, "commands_after": len(a.after)}
                for k, a in enumerate(self.arms)
            ],
            "alternative_commands_ignored": self.ignored,
            "seeds": "up to branch_time_s the played seed; after it, run i's batch seed",
        }


def _commands_sha256(commands: Sequence[Command]) -> str:
    text = "".join(c.to_json() + "\n" for c in commands)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_counterfactual(
    run_dir: Path,
    branch_at_s: float,
    branch: str | None = None,
    alternative: Path | None = None,
) -> tuple[Scenario, Counterfactual]:
    """Read the played line, check the branch time, run the prefix once and freeze it.

    Raises
    ------
    InputError
        A damaged run folder, an unknown branch, a branch time outside the played
        line, or a bad alternative command log (file, line, field).
    """
    line = read_played(run_dir, branch)
    if not 0 <= branch_at_s < line.until_s:
        raise InputError(
            [
                Problem(
                    "--branch-at",
                    f"expected seconds from 0 to before {line.until_s:g} (the tick "
                    f"{line.branch.name} was played to); got {branch_at_s:g}",
                )
            ]
        )
    alt = None if alternative is None else load_commands(alternative)
    sim = Simulation(line.scenario, line.seed, prefix(line.commands, branch_at_s))
    t_s = tick_at(sim, branch_at_s)
    sim.run_until(t_s)
    start = Snapshot(line.branch.name, t_s, freeze(sim))
    arms = [Arm(PLAYED_ARM, _after(line.commands, t_s))]
    ignored = 0
    if alt is None:
        staff_free = [c for c in line.commands if c.seat == "white" and c.kind == "inject"]
        arms.append(Arm(POLICY_ARM, _after(staff_free, t_s)))
    else:
        ignored = len(alt) - len(_after(alt, t_s))
        arms.append(Arm(Path(alternative or "").name, _after(alt, t_s)))
    return line.scenario, Counterfactual(
        run_dir=str(Path(run_dir).resolve()),
        branch=line.branch.name,
        branch_time_s=t_s,
        played_seed=line.seed,
        played_to_s=line.until_s,
        start=start,
        arms=tuple(arms),
        ignored=ignored,
    )


def _after(commands: Sequence[Command], time_s: float) -> tuple[Command, ...]:
    return tuple(c for c in commands if c.time_s > time_s + _EPS_S)


__all__ = [
    "ARM_PARAM",
    "PLAYED_ARM",
    "POLICY_ARM",
    "Arm",
    "Counterfactual",
    "plan_counterfactual",
]
