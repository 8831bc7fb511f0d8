"""The journal of a live exercise: every accepted command and clock action, on disk at once.

An exercise writes into a **staging folder** beside its output folder
(``runs/ex1.journal`` for ``--out runs/ex1``) from its first moment:

* ``scenario.json``: the scenario as it runs (the same text a run folder holds);
* ``exercise.json``: the seed, the output folder and the SHA-256 of ``scenario.json``;
* ``commands.jsonl``: one JSON object per line, flushed and fsynced before the
  console's order is acknowledged: every accepted command (as in a run folder's
  ``commands.jsonl``) and every clock action (``{"clock": "start", "time_s": ...}``;
  ``"tick"`` lines mark how far the clock ran, about once a wall second), and every
  rewind of the white cell (``{"branch": "b1", "parent": "main", "time_s": 731}``: the
  lines after it belong to branch ``b1``, whose commands up to 731 s are its parent's;
  see :mod:`skyweave.exercise.branches`). Nothing is ever taken out of the journal,
  so every branch played is kept, and a resume continues the branch played last.

A crash, a kill or a failed final write leaves the folder behind, and
``skyweave exercise --resume STAGING`` replays its commands to the last journaled tick
and continues live (``skyweave run --replay STAGING`` writes the run folder of the
journal as it stands). A lock file held with ``flock`` while the exercise runs tells a
second exercise that the folder is in use; the operating system releases it when the
process dies, however it dies. The staging folder is removed once the run folder is
written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyweave.engine.command_validation import parse_json_text
from skyweave.engine.commands import MAX_LOG_BYTES, Command, parse_command
from skyweave.engine.snapshots import MAIN
from skyweave.errors import InputError, Problem
from skyweave.exercise.branches import Branch, check_name
from skyweave.exercise.plan_record import read_plan_text
from skyweave.io import safe_files
from skyweave.io.report_plan import PLAN_NAME
from skyweave.scenario.schema import Scenario

STAGING_SUFFIX = ".journal"
JOURNAL_NAME = "commands.jsonl"
STATE_NAME = "exercise.json"
SCENARIO_NAME = "scenario.json"
LOCK_NAME = ".lock"
FORMAT = 1
#: the clock actions a journal records (``tick``: how far the clock ran)
CLOCK_ACTIONS = ("start", "resume", "pause", "step", "rate", "tick", "end")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def staging_dir_for(out_dir: Path) -> Path:
    """The staging folder of an exercise whose run folder is ``out_dir``."""
    out = Path(os.path.abspath(out_dir))
    return out.with_name(out.name + STAGING_SUFFIX)


def is_staging_dir(folder: Path) -> bool:
    """``folder`` looks like a staging folder (it holds ``exercise.json``)."""
    return (Path(folder) / STATE_NAME).is_file()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _holder(lock_path: Path) -> str:
    """Who holds the lock, as its file says (the pid written when it was taken)."""
    with contextlib.suppress(OSError, ValueError):
        return f" (process {int(lock_path.read_text().strip())})"
    return ""


class Journal:
    """An open, locked staging folder whose ``commands.jsonl`` grows line by line.

    Use :meth:`create` for a new exercise and :meth:`reopen` for one resumed.
    """

    def __init__(self, folder: Path, lock_fd: int) -> None:
        self.folder = folder
        self._lock_fd = lock_fd
        path = safe_files.safe_path(folder, JOURNAL_NAME)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC
        try:
            self._fd = os.open(path, flags, 0o600)
        except OSError as exc:
            raise InputError([Problem(str(path), f"cannot write: {exc.strerror}")]) from None
        self.path = path

    @staticmethod
    def _lock(folder: Path) -> int:
        lock_path = folder / LOCK_NAME
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
        except OSError as exc:
            raise InputError([Problem(str(lock_path), f"cannot open: {exc.strerror}")]) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError(
                    [
                        Problem(
                            str(folder),
                            f"in use by another running exercise{_holder(lock_path)}; "
                            "choose another --out, or end that exercise first",
                        )
                    ]
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    @classmethod
    def check_free(cls, out_dir: Path) -> None:
        """Refuse to start an exercise whose staging folder is taken (start-up check).

        Raises
        ------
        InputError
            Another exercise journals there now, or an unfinished exercise's journal
            is there (resume it, or move it away: it is never deleted for you).
        """
        folder = staging_dir_for(out_dir)
        if not os.path.lexists(folder):
            return
        if folder.is_dir() and (folder / LOCK_NAME).is_file():
            os.close(cls._lock(folder))  # raises when a live exercise holds it
        raise InputError(
            [
                Problem(
                    str(folder),
                    "holds the journal of an unfinished exercise: continue it with "
                    f"skyweave exercise --resume {folder}, or move the folder away",
                )
            ]
        )

    @classmethod
    def create(
        cls,
        out_dir: Path,
        scenario_text: str,
        seed: int,
        commands: Sequence[Command] = (),
        played_to_s: float | None = None,
    ) -> Journal:
        """Make and lock the staging folder of a new exercise writing ``out_dir``.

        ``commands`` and ``played_to_s`` start the journal of an exercise resumed from
        a run folder: what was played before, and how far.
        """
        folder = staging_dir_for(out_dir)
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            cls.check_free(out_dir)
            raise
        lock_fd = cls._lock(folder)
        scenario_bytes = scenario_text.encode("utf-8")
        safe_files.write_bytes(folder / SCENARIO_NAME, scenario_bytes)
        state = {
            "format": FORMAT,
            "seed": int(seed),
            "out_dir": str(Path(os.path.abspath(out_dir))),
            "scenario_sha256": _sha256(scenario_bytes),
        }
        safe_files.write_text(folder / STATE_NAME, json.dumps(state, indent=2) + "\n")
        journal = cls(folder, lock_fd)
        for command in commands:
            journal.command(command)
        if played_to_s is not None:
            journal.clock("tick", played_to_s)
        _fsync_dir(folder)
        return journal

    @classmethod
    def reopen(cls, folder: Path) -> Journal:
        """Lock an existing staging folder to go on appending to its journal."""
        return cls(Path(folder), cls._lock(Path(folder)))

    def keep_plan(self, text: str) -> None:
        """Keep the locked plan's ``plan.json`` (``text``) beside the journal, so an
        exercise resumed from this folder still adds it to its run folder."""
        safe_files.write_text(safe_files.safe_path(self.folder, PLAN_NAME), text)
        _fsync_dir(self.folder)

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        os.write(self._fd, line)
        os.fsync(self._fd)  # on disk before the console is told "accepted"

    def command(self, command: Command) -> None:
        """Journal an accepted command (as its run-folder line)."""
        self._append(json.loads(command.to_json()))

    def branch(self, name: str, parent: str, time_s: float) -> None:
        """Journal a rewind: the lines after this one belong to branch ``name``."""
        self._append({"branch": name, "parent": parent, "time_s": float(time_s)})

    def clock(self, action: str, time_s: float, rate: float | None = None) -> None:
        """Journal a clock action at simulation time ``time_s``."""
        record: dict[str, Any] = {"clock": action, "time_s": float(time_s)}
        if rate is not None:
            record["rate"] = float(rate)
        self._append(record)

    def close(self) -> None:
        """Close the journal and release the lock (the folder stays)."""
        for fd in (self._fd, self._lock_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fd = self._lock_fd = -1

    def remove(self) -> None:
        """Delete the staging folder (once the run folder is safely written)."""
        self.close()
        for name in (JOURNAL_NAME, STATE_NAME, SCENARIO_NAME, PLAN_NAME, LOCK_NAME):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.folder / name)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)


@dataclass(frozen=True)
class JournalInputs:
    """What a staging folder holds, checked: enough to replay or resume the exercise."""

    folder: Path
    scenario: Scenario
    seed: int
    out_dir: Path
    #: the commands of the branch played last (the main line if never rewound)
    commands: list[Command]
    #: the last simulation time the journal records the clock at on that branch (None
    #: if it never ran)
    last_time_s: float | None
    #: the rate the clock ran at last
    rate: float
    #: every line of play, the main line first, each to the time it was played to
    branches: tuple[Branch, ...] = ()
    #: the locked plan's ``plan.json`` of an exercise started from a plan (else None)
    plan_text: str | None = None

    @property
    def current(self) -> str:
        """The branch played last."""
        return self.branches[-1].name if self.branches else MAIN


def read_journal(folder: str | Path) -> JournalInputs:
    """Read and check a staging folder (every line through the one command validator).

    A last line cut short by a kill (no newline at its end, not JSON) is dropped;
    any other bad line is reported with its number.

    Raises
    ------
    InputError
        Naming the file and line.
    """
    from skyweave.scenario import load_scenario

    folder = Path(folder)
    state_path = safe_files.safe_path(folder, STATE_NAME)
    state_text = safe_files.read_text(state_path)
    state = parse_json_text(state_text, str(state_path)) if len(state_text) < 4096 else None
    seed = state.get("seed") if isinstance(state, dict) else None
    if not isinstance(state, dict) or not isinstance(seed, int) or isinstance(seed, bool):
        raise InputError([Problem(str(state_path), "expected the exercise's seed and out_dir")])
    scenario_path = safe_files.safe_path(folder, SCENARIO_NAME)
    if _sha256(safe_files.read_bytes(scenario_path)) != state.get("scenario_sha256"):
        raise InputError(
            [Problem(str(scenario_path), "changed since the exercise wrote it (SHA-256 differs)")]
        )
    scenario = load_scenario(scenario_path)
    journal_path = safe_files.safe_path(folder, JOURNAL_NAME)
    if journal_path.exists() and journal_path.stat().st_size > MAX_LOG_BYTES:
        raise InputError([Problem(str(journal_path), f"larger than {MAX_LOG_BYTES >> 20} MiB")])
    text = safe_files.read_text(journal_path) if journal_path.exists() else ""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines:
        lines.pop()  # cut short by a kill while it was written: never acknowledged
    commands: list[Command] = []
    problems: list[Problem] = []
    last_time_s: float | None = None
    rate = 1.0
    branches: list[Branch] = []
    line = Branch(MAIN, None, 0.0, ())
    for number, raw in enumerate(lines, start=1):
        try:
            record = parse_json_text(raw, str(journal_path), number)
            if isinstance(record, dict) and "branch" in record:
                branches.append(_played(line, commands, last_time_s))
                line = _branch_line(record, branches, str(journal_path), number)
                commands = list(line.commands)
                last_time_s = line.branch_time_s
                continue
            if isinstance(record, dict) and "clock" in record:
                action, time_s = record.get("clock"), record.get("time_s")
                if action not in CLOCK_ACTIONS or isinstance(time_s, bool):
                    raise InputError([Problem(str(journal_path), "bad clock line", "", number)])
                if not isinstance(time_s, int | float) or not 0 <= time_s <= scenario.duration_s:
                    raise InputError(
                        [Problem(str(journal_path), "expected seconds", "time_s", number)]
                    )
                last_time_s = max(last_time_s or 0.0, float(time_s))
                if isinstance(record.get("rate"), int | float):
                    rate = float(record["rate"])
                continue
            commands.append(parse_command(record, str(journal_path), number))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    branches.append(_played(line, commands, last_time_s))
    return JournalInputs(
        folder=folder,
        scenario=scenario,
        seed=seed,
        out_dir=Path(str(state.get("out_dir") or folder.with_suffix(""))),
        commands=commands,
        last_time_s=last_time_s,
        rate=rate,
        branches=tuple(branches),
        plan_text=read_plan_text(folder),
    )


def _played(line: Branch, commands: list[Command], last_time_s: float | None) -> Branch:
    return Branch(line.name, line.parent, line.branch_time_s, tuple(commands), last_time_s)


def _branch_line(record: dict[str, Any], before: list[Branch], source: str, number: int) -> Branch:
    """A rewind line: the new branch, its commands up to its time taken from its parent."""
    name = check_name(record.get("branch"), f"{source}:{number}", [b.name for b in before])
    parents = {b.name: b for b in before}
    parent, time_s = parents.get(str(record.get("parent"))), record.get("time_s")
    if parent is None:
        raise InputError([Problem(source, "unknown parent branch", "parent", number)])
    if isinstance(time_s, bool) or not isinstance(time_s, int | float) or not time_s >= 0:
        raise InputError([Problem(source, "expected seconds", "time_s", number)])
    kept = tuple(c for c in parent.commands if c.time_s <= float(time_s) + 1e-6)
    return Branch(name, parent.name, float(time_s), kept)


__all__ = [
    "JOURNAL_NAME",
    "Journal",
    "JournalInputs",
    "is_staging_dir",
    "read_journal",
    "staging_dir_for",
]
