"""Branches of a played exercise: the lines of play a white cell's rewinds made.

A **branch** is a command log with a parent and a branch time: its commands up to
the branch time are the parent's (the engine's prefix property makes its run up to
there the parent's, bit for bit), the ones after are its own. The main line is the
run folder itself (its ``commands.jsonl`` and tables); every other line is kept
beside it:

* ``branches.json``: one entry per branch, in the order they were made:
  ``name``, ``parent``, ``branch_time_s``, ``played_to_s`` (how far it was played)
  and ``commands`` (the file of its whole command log);
* ``commands.<name>.jsonl``: the branch's whole command log (prefix included), so
  ``skyweave run --replay RUN --branch NAME`` reproduces it on its own.

Both are recorded inputs: ``summary.json``'s ``hashes`` block holds their SHA-256.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyweave.engine.commands import Command, parse_command_lines
from skyweave.engine.snapshots import MAIN
from skyweave.errors import InputError, Problem
from skyweave.io import safe_files

BRANCHES_NAME = "branches.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_MAX_BRANCHES = 1_000
_MAX_INDEX_BYTES = 1 << 20


@dataclass(frozen=True)
class Branch:
    """One line of play (the main line has no parent)."""

    name: str
    parent: str | None
    branch_time_s: float
    commands: tuple[Command, ...]
    #: how far the line was played (None: not recorded)
    played_to_s: float | None = None


def log_name(name: str) -> str:
    """The file of a branch's command log in a run folder."""
    return f"commands.{name}.jsonl"


def check_name(name: Any, source: str, taken: Sequence[str] = ()) -> str:
    """A new branch's name, checked: 1 to 40 letters, digits, ``_`` or ``-``, not taken."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            [
                Problem(
                    source,
                    "expected 1 to 40 letters, digits, _ or - (a letter or digit first)",
                    "branch",
                )
            ]
        )
    if name == MAIN or name in taken:
        raise InputError([Problem(source, f"a branch named {name!r} exists already", "branch")])
    return name


def branch_files(branches: Sequence[Branch]) -> dict[str, str]:
    """The run folder's branch files (name -> text): ``branches.json`` and one command
    log per branch; nothing for an exercise never rewound."""
    others = [b for b in branches if b.name != MAIN]
    if not others:
        return {}
    files = {log_name(b.name): "".join(c.to_json() + "\n" for c in b.commands) for b in others}
    index = {
        "format": 1,
        "branches": [
            {
                "name": b.name,
                "parent": b.parent,
                "branch_time_s": b.branch_time_s,
                "played_to_s": b.played_to_s,
                "commands": log_name(b.name),
            }
            for b in others
        ],
    }
    files[BRANCHES_NAME] = json.dumps(index, indent=2) + "\n"
    return files


def read_branches(run_dir: Path, hashes: Mapping[str, str]) -> list[Branch]:
    """The branches a run folder keeps (not the main line), checked: every file must
    be one ``summary.json``'s ``hashes`` vouches for (the caller verified them)."""
    path = safe_files.safe_path(run_dir, BRANCHES_NAME)
    if not path.exists():
        return []
    source = str(path)
    if BRANCHES_NAME not in hashes:
        raise InputError([Problem(source, "not recorded in summary.json's hashes")])
    text = safe_files.read_text(path)
    try:
        index = json.loads(text) if len(text) <= _MAX_INDEX_BYTES else None
    except ValueError as exc:
        raise InputError([Problem(source, f"not valid JSON ({exc})")]) from None
    entries = index.get("branches") if isinstance(index, dict) else None
    if not isinstance(entries, list) or len(entries) > _MAX_BRANCHES:
        raise InputError([Problem(source, 'expected {"branches": [...]}')])
    out: list[Branch] = []
    for k, entry in enumerate(entries):
        where = f"branches[{k}]"
        if not isinstance(entry, dict):
            raise InputError([Problem(source, "expected an object", where)])
        name = check_name(entry.get("name"), source, [b.name for b in out])
        parent = entry.get("parent")
        if parent != MAIN and parent not in [b.name for b in out]:
            raise InputError([Problem(source, f"unknown parent {parent!r}", f"{where}.parent")])
        times: list[float] = []
        for key in ("branch_time_s", "played_to_s"):
            t = entry.get(key)
            if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t):
                raise InputError([Problem(source, "expected seconds", f"{where}.{key}")])
            if t < 0:
                raise InputError([Problem(source, "expected seconds >= 0", f"{where}.{key}")])
            times.append(float(t))
        log = log_name(name)
        if entry.get("commands") != log or log not in hashes:
            raise InputError([Problem(source, f"expected {log}, recorded", f"{where}.commands")])
        log_path = safe_files.safe_path(run_dir, log)
        commands = parse_command_lines(safe_files.read_text(log_path), str(log_path))
        out.append(Branch(name, str(parent), times[0], tuple(commands), times[1]))
    return out


def find_branch(branches: Sequence[Branch], name: str, source: str) -> Branch:
    """The branch named ``name`` (a clear error listing the known ones if none)."""
    for b in branches:
        if b.name == name:
            return b
    known = ", ".join([MAIN, *(b.name for b in branches if b.name != MAIN)])
    raise InputError([Problem(source, f"no branch {name!r}; the run has {known}", "--branch")])


__all__ = [
    "BRANCHES_NAME",
    "Branch",
    "branch_files",
    "check_name",
    "find_branch",
    "log_name",
    "read_branches",
]
