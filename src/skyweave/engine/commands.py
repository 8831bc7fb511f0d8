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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import Inject, Scenario, Threat

KINDS = ("inject", "consent", "hold_fire", "weapons_free", "engage", "classify", "note", "message")
CLASSIFICATIONS = ("accidental", "deliberate", "unknown")

#: fields each kind requires (beyond time_s, seat, kind) and the Python type of each
_REQUIRED: dict[str, dict[str, type]] = {
    "inject": {},
    "consent": {"question_id": str, "granted": bool},
    "hold_fire": {},
    "weapons_free": {},
    "engage": {"battery": str, "track": str},
    "classify": {"track": str, "as": str},
    "note": {"text": str},
    "message": {"to": str, "text": str},
}
_OPTIONAL: dict[str, dict[str, type]] = {
    "inject": {"inject": dict, "threat": dict, "note": str, "expected_response": str},
    "hold_fire": {"battery": str, "partner": str},
    "weapons_free": {"battery": str, "partner": str},
}


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


def _problem(source: str, line: int | None, path: str, message: str) -> Problem:
    return Problem(source, message, path, line)


def parse_command(record: Any, source: str = "<command>", line: int | None = None) -> Command:
    """A command from one decoded JSON record; :class:`InputError` naming the field if not."""
    problems: list[Problem] = []
    if not isinstance(record, dict):
        raise InputError([_problem(source, line, "", "expected a JSON object per line")])
    time_s = record.get("time_s")
    if isinstance(time_s, bool) or not isinstance(time_s, int | float) or time_s != time_s:
        problems.append(_problem(source, line, "time_s", f"expected a number, got {time_s!r}"))
    elif abs(time_s) == float("inf"):
        problems.append(_problem(source, line, "time_s", "expected a finite number"))
    seat = record.get("seat")
    if not isinstance(seat, str) or not seat:
        problems.append(_problem(source, line, "seat", f"expected a seat name, got {seat!r}"))
    kind = record.get("kind")
    if kind not in KINDS:
        problems.append(
            _problem(source, line, "kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        )
    if problems:
        raise InputError(problems)
    assert isinstance(kind, str) and isinstance(seat, str) and isinstance(time_s, int | float)
    body = {k: v for k, v in record.items() if k not in ("time_s", "seat", "kind")}
    required, optional = _REQUIRED[kind], _OPTIONAL.get(kind, {})
    for name, typ in required.items():
        if name not in body:
            problems.append(_problem(source, line, name, f"required for a {kind} command"))
        elif not isinstance(body[name], typ):
            problems.append(
                _problem(source, line, name, f"expected {typ.__name__}, got {body[name]!r}")
            )
    for name, value in body.items():
        if name not in required and name not in optional:
            allowed = sorted({*required, *optional})
            hint = f"; expected one of {', '.join(allowed)}" if allowed else ""
            problems.append(_problem(source, line, name, f"unknown field for {kind}{hint}"))
        elif name in optional and not isinstance(value, optional[name]):
            problems.append(
                _problem(source, line, name, f"expected {optional[name].__name__}, got {value!r}")
            )
    if kind == "inject" and ("inject" in body) == ("threat" in body):
        problems.append(_problem(source, line, "inject", "give exactly one of inject or threat"))
    if kind in ("hold_fire", "weapons_free") and ("battery" in body) == ("partner" in body):
        problems.append(_problem(source, line, "battery", "give exactly one of battery or partner"))
    if kind == "classify" and body.get("as") not in CLASSIFICATIONS:
        problems.append(
            _problem(source, line, "as", f"expected one of {', '.join(CLASSIFICATIONS)}")
        )
    if problems:
        raise InputError(problems)
    try:
        if kind == "inject" and "inject" in body:
            _INJECT.validate_python({"time_s": max(float(time_s), 0.0), **body["inject"]})
        if kind == "inject" and "threat" in body:
            _THREAT.validate_python(body["threat"])
    except ValidationError as exc:
        raise InputError(
            [
                _problem(
                    source,
                    line,
                    ".".join(["inject" if "inject" in body else "threat", *map(str, e["loc"])]),
                    e["msg"],
                )
                for e in exc.errors()
            ]
        ) from None
    return Command(float(time_s), seat, kind, body)


_INJECT: TypeAdapter[Inject] = TypeAdapter(Inject)
_THREAT: TypeAdapter[Threat] = TypeAdapter(Threat)


def load_commands(path: str | Path) -> list[Command]:
    """Read a JSON Lines command log; every bad line is reported (file, line, field)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(source, f"cannot read: {exc}")]) from None
    return parse_command_lines(text, source)


def parse_command_lines(text: str, source: str) -> list[Command]:
    """Commands from the text of a JSON Lines log (``source`` names it in errors)."""
    commands: list[Command] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, f"not JSON ({exc.msg})", "", number))
            continue
        try:
            commands.append(parse_command(record, source, number))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return commands


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
