"""One line of play of a played exercise, read back: what a replay, a review or a
counterfactual batch of that line needs.

The folder is a run folder (its main line, plus the branches it keeps, checked
against ``summary.json``'s hashes) or an exercise's staging folder (its journal,
every line to the last tick the journal records for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skyweave.engine.commands import Command
from skyweave.engine.snapshots import MAIN
from skyweave.errors import InputError, Problem
from skyweave.exercise.branches import Branch, find_branch, read_branches
from skyweave.scenario.schema import Scenario


@dataclass(frozen=True)
class PlayedLine:
    """A line of play: scenario, seed, how far it was played and its command log."""

    folder: Path
    scenario: Scenario
    seed: int
    until_s: float
    commands: list[Command]
    branch: Branch
    #: every line the folder keeps, the main line first
    lines: tuple[Branch, ...]


def read_played(folder: Path, branch: str | None = None) -> PlayedLine:
    """The line ``branch`` (the main line if None) of a run or staging folder.

    Raises
    ------
    InputError
        A damaged folder (named by file), an unknown branch (the known ones listed),
        or a line whose clock never ran.
    """
    from skyweave.exercise.journal import is_staging_dir, read_journal
    from skyweave.io.replay_input import check_run_folder

    folder = Path(folder)
    name = MAIN if branch is None else branch
    if is_staging_dir(folder):
        journal = read_journal(folder)
        lines = journal.branches or (
            Branch(MAIN, None, 0.0, tuple(journal.commands), journal.last_time_s),
        )
        line = find_branch(lines, name, str(folder))
        on = "" if name == MAIN else f" on {name}"
        if line.played_to_s is None or line.played_to_s <= 0:
            raise InputError(
                [Problem(str(folder), f"the exercise's clock never ran{on}: no tick to replay")]
            )
        return PlayedLine(
            folder,
            journal.scenario,
            journal.seed,
            line.played_to_s,
            list(line.commands),
            line,
            tuple(lines),
        )
    recorded = check_run_folder(folder)
    main = Branch(MAIN, None, 0.0, tuple(recorded.commands), recorded.simulated_s)
    lines = (main, *read_branches(folder, recorded.hashes))
    line = find_branch(lines, name, str(folder))
    until_s = recorded.simulated_s if line.played_to_s is None else line.played_to_s
    if until_s < 0:  # 0: ended (or rewound and ended) at the first tick, which it holds
        raise InputError([Problem(str(folder), f"{name} was never played: no tick to replay")])
    return PlayedLine(
        folder, recorded.scenario, recorded.seed, until_s, list(line.commands), line, lines
    )


__all__ = ["PlayedLine", "read_played"]
