"""Everything ``skyweave run --replay`` reads from a run folder, checked before the run.

A replay re-runs a folder's ``scenario.json`` with its seed and duration from
``summary.json`` and the operators' commands recorded in ``commands.jsonl``.
:func:`check_run_folder` reads those files without following links, validates
them, and compares each recorded input with the SHA-256 that ``summary.json``'s
``hashes`` block recorded when the run was written, so an edited scenario or
edited commands are reported (naming the file) instead of replayed silently.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyweave.engine.commands import Command, parse_command_lines
from skyweave.errors import InputError, Problem
from skyweave.io import safe_files
from skyweave.io.run_folder import RECORDED_INPUTS
from skyweave.scenario.schema import Scenario

SCENARIO_NAME = "scenario.json"
SUMMARY_NAME = "summary.json"
COMMANDS_NAME = "commands.jsonl"
_SUMMARY_MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class ReplayInputs:
    """A run folder's replay inputs, all checked.

    Attributes
    ----------
    run_dir
        The folder.
    scenario
        ``scenario.json``, parsed and validated like any scenario file.
    seed
        The run's seed (a non-negative integer).
    simulated_s
        The run's simulated duration, finite and non-negative: the replay's ``until_s``.
    commands
        ``commands.jsonl``: the operators' commands the run was given, parsed.
    hashes
        ``summary.json``'s ``hashes`` block (file name to SHA-256), all verified.
    summary
        The whole parsed ``summary.json``.
    """

    run_dir: Path
    scenario: Scenario
    seed: int
    simulated_s: float
    commands: list[Command]
    hashes: dict[str, str]
    summary: dict[str, Any]


def _read_summary(path: Path) -> dict[str, Any]:
    name = str(path)
    if path.is_file() and path.stat().st_size > _SUMMARY_MAX_BYTES:
        raise InputError([Problem(name, f"larger than {_SUMMARY_MAX_BYTES >> 20} MiB")])
    text = safe_files.read_text(path)
    try:
        summary = json.loads(text)  # NaN parses: the field checks below name it
    except (ValueError, RecursionError) as exc:
        raise InputError([Problem(name, f"not valid JSON ({exc})")]) from None
    if not isinstance(summary, dict):
        raise InputError([Problem(name, "expected a JSON object")])
    problems = []
    seed = summary.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append(Problem(name, f"expected a non-negative integer (got {seed!r})", "seed"))
    simulated_s = summary.get("simulated_s")
    if (
        not isinstance(simulated_s, int | float)
        or isinstance(simulated_s, bool)
        or not math.isfinite(simulated_s)
        or simulated_s < 0
    ):
        # 0 is an exercise ended (or rewound and ended) at its first tick
        problems.append(
            Problem(
                name, f"expected finite non-negative seconds (got {simulated_s!r})", "simulated_s"
            )
        )
    hashes = summary.get("hashes")
    if hashes is None:
        problems.append(
            Problem(
                name,
                "missing: the SHA-256 of the recorded inputs (a run written by an older "
                "Skyweave, or an edited summary); --replay cannot check the folder",
                "hashes",
            )
        )
    elif not isinstance(hashes, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()
    ):
        problems.append(Problem(name, "expected file name: SHA-256 text pairs", "hashes"))
    if problems:
        raise InputError(problems)
    return summary


def _changed_files(run_dir: Path, hashes: Mapping[str, str]) -> list[Problem]:
    problems = []
    for name, recorded in hashes.items():
        path = safe_files.safe_path(run_dir, name)
        if not path.exists():
            problems.append(Problem(str(path), "missing: summary.json records its SHA-256"))
            continue
        actual = hashlib.sha256(safe_files.read_bytes(path)).hexdigest()
        if actual != recorded:
            problems.append(
                Problem(
                    str(path),
                    "changed since the run was written (its SHA-256 differs from the one "
                    "in summary.json's hashes); --replay replays a run folder as written",
                )
            )
    return problems


def check_run_folder(
    run_dir: str | Path, recorded: Sequence[str] = RECORDED_INPUTS
) -> ReplayInputs:
    """Read and check everything a replay of ``run_dir`` needs.

    Parameters
    ----------
    run_dir
        A folder written by ``skyweave run``.
    recorded
        The files the replay reads as recorded inputs: ``summary.json`` must hold
        the SHA-256 of each, and each must still match it.

    Returns
    -------
    ReplayInputs
        The parsed scenario, seed, duration, commands and verified hashes.

    Raises
    ------
    InputError
        Naming the file: a missing file, a symbolic link, unparsable JSON or
        Parquet, a scenario that does not validate, a seed or ``simulated_s``
        that is not a valid number, a malformed command line, or a file whose
        SHA-256 no longer matches ``summary.json``.
    """
    from skyweave.scenario import load_scenario

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError([Problem(str(run_dir), "run folder not found")])
    paths = {
        n: safe_files.safe_path(run_dir, n) for n in (SCENARIO_NAME, SUMMARY_NAME, COMMANDS_NAME)
    }
    missing = [p for p in paths.values() if not p.is_file()]
    if missing:
        raise InputError(
            [
                Problem(str(p), "missing: --replay needs a run folder written by skyweave run")
                for p in missing
            ]
        )
    summary = _read_summary(paths[SUMMARY_NAME])
    hashes = dict(summary["hashes"])
    unhashed = [n for n in recorded if n not in hashes]
    if unhashed:
        raise InputError(
            [
                Problem(str(paths[SUMMARY_NAME]), f"no SHA-256 recorded for {n}", "hashes")
                for n in unhashed
            ]
        )
    changed = _changed_files(run_dir, hashes)
    if changed:
        raise InputError(changed)
    safe_files.read_bytes(paths[SCENARIO_NAME])  # a FIFO or unreadable file fails here, named
    scenario = load_scenario(paths[SCENARIO_NAME])
    commands = parse_command_lines(
        safe_files.read_text(paths[COMMANDS_NAME]), str(paths[COMMANDS_NAME])
    )
    return ReplayInputs(
        run_dir=run_dir,
        scenario=scenario,
        seed=int(summary["seed"]),
        simulated_s=float(summary["simulated_s"]),
        commands=commands,
        hashes=hashes,
        summary=summary,
    )
