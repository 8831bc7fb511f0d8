"""Commands: everything a person or the white cell does, stamped with simulation time.

A command log is JSON Lines, one command per line::

    {"time_s": 400, "seat": "white", "kind": "inject",
     "inject": {"kind": "sensor_failure", "target": "east-ewr"}}
    {"time_s": 1000, "seat": "white", "kind": "inject",
     "threat": {"type": "ballistic", "id": "stray", ...}}

(each command on one line in the file; wrapped here).
    {"time_s": 731, "seat": "east", "kind": "consent", "question_id": "q3", "granted": false}
    {"time_s": 500, "seat": "north", "kind": "hold_fire", "battery": "north-bty-1"}
    {"time_s": 520, "seat": "north", "kind": "weapons_free", "partner": "north"}
    {"time_s": 800, "seat": "east", "kind": "engage", "battery": "east-bty-1", "track": "east:12"}
    {"time_s": 1010, "seat": "east", "kind": "classify", "track": "east:40", "as": "accidental"}
    {"time_s": 1020, "seat": "white", "kind": "note", "text": "East hesitated"}
    {"time_s": 1030, "seat": "north", "kind": "message", "to": "east", "text": "we hold bty-3"}

``seat`` is ``white`` (the white cell) or a partner id (its staff). Ordering
rule: a command stamped ``time_s`` applies at the start of the tick whose
interval ``(t - dt, t]`` holds ``time_s`` (at the first tick if ``time_s <= 0``),
before any stage of that tick runs; commands of one tick apply in order of
``time_s``, then in log order. Scripted injects of the scenario are commands of
the ``white`` seat too. A command that cannot apply (an unknown battery, a
question already answered, a partner acting for another) is rejected with its
reason, recorded in ``events.parquet`` and otherwise ignored.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from skyweave.engine.command_validation import (
    Choice,
    Flag,
    Id,
    KindFields,
    Schema,
    Text,
    parse_json_text,
    validate_record,
)
from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import Inject, Scenario, Threat

CLASSIFICATIONS = ("accidental", "deliberate", "unknown")

_ID, _TEXT, _FLAG = Id(), Text(), Flag()
#: what an inject names: the command's time_s is its time (refused in the body)
_INJECT = Schema(TypeAdapter(Inject), timed="time_s", time_key=True)
#: a threat the white cell launches: it launches at the command's time_s
_THREAT = Schema(TypeAdapter(Threat), timed="launch_time_s")

#: the fields of every command kind (beyond time_s, seat and kind): one entry per kind
COMMAND_FIELDS: dict[str, KindFields] = {
    "inject": KindFields(
        optional={"inject": _INJECT, "threat": _THREAT, "note": _TEXT, "expected_response": _TEXT},
        exactly_one=(("inject", "threat"),),
    ),
    "consent": KindFields(required={"question_id": _ID, "granted": _FLAG}),
    "hold_fire": KindFields(
        optional={"battery": _ID, "partner": _ID}, exactly_one=(("battery", "partner"),)
    ),
    "weapons_free": KindFields(
        optional={"battery": _ID, "partner": _ID}, exactly_one=(("battery", "partner"),)
    ),
    "engage": KindFields(required={"battery": _ID, "track": _ID}),
    "classify": KindFields(required={"track": _ID, "as": Choice(CLASSIFICATIONS)}),
    "note": KindFields(required={"text": _TEXT}),
    "message": KindFields(required={"to": _ID, "text": _TEXT}),
}
KINDS = tuple(COMMAND_FIELDS)

#: largest command log, bytes, and most lines in it (a day of four staffs' orders fits)
MAX_LOG_BYTES = 16 * 2**20
MAX_LOG_LINES = 100_000


@dataclass(frozen=True)
class Command:
    """One command: when, from which seat, what (``body`` holds the kind's fields)."""

    time_s: float
    seat: str
    kind: str
    body: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    scripted: bool = False

    def to_json(self) -> str:
        """One line of a command log (scripted injects are not written: the scenario has them)."""
        return json.dumps(
            {"time_s": self.time_s, "seat": self.seat, "kind": self.kind, **self.body},
            sort_keys=True,
        )


def parse_command(record: Any, source: str = "<command>", line: int | None = None) -> Command:
    """A command from one decoded JSON record, checked by the one validator
    (:func:`~skyweave.engine.command_validation.validate_record`); :class:`InputError`
    naming the source, line and field if not."""
    time_s, seat, kind, body = validate_record(record, COMMAND_FIELDS, source, line)
    return Command(time_s, seat, kind, body)


def load_commands(path: str | Path) -> list[Command]:
    """Read a JSON Lines command log; every bad line is reported (file, line, field).

    The log must be a regular file (not a FIFO or a device) of at most
    :data:`MAX_LOG_BYTES` and :data:`MAX_LOG_LINES` lines, each line at most
    :data:`~skyweave.engine.command_validation.MAX_COMMAND_BYTES`.
    """
    from skyweave.scenario.safe_read import read_text_limited

    source = str(path)
    try:
        info = Path(path).stat()
    except OSError as exc:
        raise InputError([Problem(source, f"cannot read: {exc.strerror or exc}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(source, "not a regular file; expected a JSON Lines command log")])
    if info.st_size > MAX_LOG_BYTES:
        limit = f"the limit is {MAX_LOG_BYTES >> 20} MiB"
        raise InputError([Problem(source, f"file is {info.st_size / 2**20:.1f} MiB; {limit}")])
    return parse_command_lines(read_text_limited(Path(path), "JSON Lines command log"), source)


def parse_command_lines(text: str, source: str) -> list[Command]:
    """Commands from the text of a JSON Lines log (``source`` names it in errors)."""
    commands: list[Command] = []
    problems: list[Problem] = []
    lines = text.splitlines()
    if len(lines) > MAX_LOG_LINES:
        limit = f"{len(lines):,} lines; a command log holds at most {MAX_LOG_LINES:,}"
        raise InputError([Problem(source, limit)])
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            commands.append(parse_command(parse_json_text(raw, source, number), source, number))
        except InputError as exc:
            problems += exc.problems
        if len(problems) >= _MAX_PROBLEMS:
            problems.append(Problem(source, "more problems not shown"))
            break
    if problems:
        raise InputError(problems)
    return commands


#: problems reported from one log before the rest are left out
_MAX_PROBLEMS = 50


def write_commands(path: Path, commands: Iterable[Command]) -> None:
    """Write the operators' commands of a run (not the scenario's scripted injects)."""
    lines = [c.to_json() for c in commands if not c.scripted]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def scripted_injects(scenario: Scenario) -> list[Command]:
    """The scenario's white-cell injects as commands of the ``white`` seat."""
    return [
        Command(
            float(i.time_s),
            "white",
            "inject",
            {"inject": i.model_dump(mode="json", exclude={"time_s"})},
            scripted=True,
        )
        for i in scenario.injects
    ]


def in_apply_order(commands: Iterable[Command]) -> list[Command]:
    """Commands sorted by time, ties kept in log order (scripted injects first)."""
    indexed = list(enumerate(commands))
    indexed.sort(key=lambda ic: (ic[1].time_s, not ic[1].scripted, ic[0]))
    return [c for _, c in indexed]


def with_injected_threats(scenario: Scenario, commands: Iterable[Command]) -> Scenario:
    """``scenario`` with the threats the commands launch added (for the memory guard:
    a log of 1,000-missile salvos must be refused before it is run, not during)."""
    adapter: TypeAdapter[Threat] = _THREAT.adapter
    launched = [
        adapter.validate_python({**c.body["threat"], "launch_time_s": max(c.time_s, 0.0)})
        for c in commands
        if c.kind == "inject" and "threat" in c.body
    ]
    if not launched:
        return scenario
    return scenario.model_copy(update={"threats": [*scenario.threats, *launched]})
