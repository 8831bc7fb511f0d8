"""The one validator of commands, whatever their source: a console, the API or a log file.

Every command goes through :func:`validate_record` before it can reach the engine.
The fields each command kind takes are a table (``skyweave.engine.commands.COMMAND_FIELDS``)
of the field types defined here, so a new kind is one entry of that table:

* :class:`Id`: a short name (battery, track, partner, question): a string of at most
  :data:`MAX_ID_CHARS` characters;
* :class:`Text`: free text (notes, messages): at most :data:`MAX_TEXT_CHARS`;
* :class:`Flag`: ``true`` or ``false``;
* :class:`Choice`: one of a fixed set of strings;
* :class:`Schema`: an object checked by a scenario schema model (an inject, a threat),
  with the keys the command's own time decides refused (an inject happens at the
  command's ``time_s``, never at a time its body names).

Before any field is looked at, the whole record is walked once: it must be nested at
most :data:`MAX_DEPTH` levels and every string in it, keys included, must be valid
Unicode (a lone surrogate such as ``"\\ud800"`` decodes from JSON but cannot be written
as UTF-8: accepted, it broke every console's frames and the run folder).
:func:`parse_json_text` decodes a request body or a log line within the size, depth and
number limits, so a hostile body is refused as an :class:`~skyweave.errors.InputError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import MAX_SCENARIO_S

#: longest free text (a note, a message), characters
MAX_TEXT_CHARS = 2_000
#: longest id (a battery, a track, a question, a seat), characters
MAX_ID_CHARS = 64
#: largest request body or command-log line, bytes
MAX_COMMAND_BYTES = 64 * 1024
#: deepest nesting of objects and lists in one command (a threat needs four)
MAX_DEPTH = 16
#: largest ``time_s`` magnitude, seconds (a scenario lasts at most a day)
MAX_TIME_S = MAX_SCENARIO_S


class FieldType:
    """One field's type: :meth:`check` returns what is wrong with a value, or None."""

    def check(self, value: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Text(FieldType):
    """A string of ``min_chars`` to ``max_chars`` characters (free text by default)."""

    max_chars: int = MAX_TEXT_CHARS
    min_chars: int = 0
    what: str = "text"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str) or len(value) < self.min_chars:
            return f"expected {self.what}, got {_shown(value)}"
        if len(value) > self.max_chars:
            return f"expected at most {self.max_chars:,} characters, got {len(value):,}"
        return None


def Id() -> Text:  # noqa: N802 - reads as the field type it returns
    """A short name: 1 to :data:`MAX_ID_CHARS` characters (a battery, track, question)."""
    return Text(MAX_ID_CHARS, 1, f"a name (text of 1 to {MAX_ID_CHARS} characters)")


@dataclass(frozen=True)
class Flag(FieldType):
    """``true`` or ``false``."""

    def check(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"expected true or false, got {_shown(value)}"


@dataclass(frozen=True)
class Choice(FieldType):
    """One of ``options``."""

    options: tuple[str, ...]

    def check(self, value: Any) -> str | None:
        if isinstance(value, str) and value in self.options:
            return None
        return f"expected one of {', '.join(self.options)}, got {_shown(value)}"


@dataclass(frozen=True)
class Schema(FieldType):
    """An object a scenario schema model checks; ``timed`` is the key the command's own
    ``time_s`` fills (refused in the body: the command's time is the only time)."""

    adapter: TypeAdapter[Any]
    timed: str | None = None
    time_key: bool = False  # the model takes the time as a field of its own

    def check(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"expected an object, got {_shown(value)}"
        if self.timed is not None and self.timed in value:
            return (
                f"{self.timed} is not allowed: it happens at the command's time_s "
                "(stamp the command with that time)"
            )
        return None

    def problems(self, value: dict[str, Any], time_s: float) -> list[tuple[str, str]]:
        """``(field path, message)`` for each schema error of ``value`` at ``time_s``."""
        data = {self.timed: max(time_s, 0.0), **value} if self.time_key and self.timed else value
        try:
            self.adapter.validate_python(data)
        except ValidationError as exc:
            return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        return []


@dataclass(frozen=True)
class KindFields:
    """The fields one command kind takes beyond ``time_s``, ``seat`` and ``kind``."""

    required: Mapping[str, FieldType] = field(default_factory=dict)
    optional: Mapping[str, FieldType] = field(default_factory=dict)
    #: groups of optional fields of which exactly one must be given
    exactly_one: tuple[tuple[str, ...], ...] = ()


def _shown(value: Any) -> str:
    """A value in a message: its type, and the value itself when short."""
    if isinstance(value, bool | int | float) or value is None:
        text = json.dumps(value) if not isinstance(value, int) or abs(value) < 10**18 else "…"
        return text if len(text) <= 40 else f"a number of {len(text)} characters"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"text of {len(value):,} characters"
    return f"a JSON {'object' if isinstance(value, dict) else 'list'}"


def _walk_problem(record: Any) -> tuple[str, str] | None:
    """``(path, message)`` of the first string that is not valid Unicode, or of nesting
    deeper than :data:`MAX_DEPTH`; walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(record, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if not _valid_unicode(node):
                return path, "not valid Unicode text (a lone surrogate)"
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                return path, f"nested more than {MAX_DEPTH} levels deep"
            if isinstance(node, list):
                stack += [(child, f"{path}[{k}]", depth + 1) for k, child in enumerate(node)]
                continue
            for key, child in node.items():
                if not _valid_unicode(key):
                    return path or "(key)", "a key is not valid Unicode text (a lone surrogate)"
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
    return None


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _time_problem(time_s: Any) -> str | None:
    if isinstance(time_s, bool) or not isinstance(time_s, int | float):
        return f"expected a number of seconds, got {_shown(time_s)}"
    # compared before any float(): a 400-digit integer must not overflow
    if isinstance(time_s, float) and not math.isfinite(time_s):
        return "expected a finite number of seconds"
    if not -MAX_TIME_S <= time_s <= MAX_TIME_S:
        return f"expected seconds within ±{MAX_TIME_S:g} (a scenario lasts at most a day)"
    return None


def validate_record(
    record: Any,
    kinds: Mapping[str, KindFields],
    source: str = "<command>",
    line: int | None = None,
) -> tuple[float, str, str, dict[str, Any]]:
    """Check one decoded command against the table ``kinds``.

    Parameters
    ----------
    record
        The decoded JSON value.
    kinds
        Command kind to its fields.
    source, line
        Where the command came from, for messages.

    Returns
    -------
    tuple
        ``(time_s, seat, kind, body)``, ``body`` holding the kind's fields.

    Raises
    ------
    InputError
        Naming the source, the line and the field path of every problem.
    """

    def fail(items: Sequence[tuple[str, str]]) -> InputError:
        return InputError([Problem(source, msg, path, line) for path, msg in items])

    if not isinstance(record, dict):
        raise fail([("", "expected a JSON object")])
    walked = _walk_problem(record)
    if walked is not None:
        raise fail([walked])
    problems: list[tuple[str, str]] = []
    time_s, seat, kind = record.get("time_s"), record.get("seat"), record.get("kind")
    wrong_time = _time_problem(time_s)
    if wrong_time:
        problems.append(("time_s", wrong_time))
    wrong_seat = Id().check(seat)
    if wrong_seat:
        problems.append(("seat", wrong_seat))
    if not isinstance(kind, str) or kind not in kinds:
        problems.append(("kind", f"expected one of {', '.join(kinds)}, got {_shown(kind)}"))
    if problems:
        raise fail(problems)
    assert isinstance(kind, str) and isinstance(time_s, int | float) and isinstance(seat, str)
    spec = kinds[kind]
    body = {k: v for k, v in record.items() if k not in ("time_s", "seat", "kind")}
    allowed = {**spec.required, **spec.optional}
    for name in spec.required:
        if name not in body:
            problems.append((name, f"required for a {kind} command"))
    for name, value in body.items():
        if name not in allowed:
            hint = f"; expected one of {', '.join(sorted(allowed))}" if allowed else ""
            problems.append((name, f"unknown field for {kind}{hint}"))
            continue
        wrong = allowed[name].check(value)
        if wrong:
            problems.append((name, wrong))
    for group in spec.exactly_one:
        if sum(name in body for name in group) != 1:
            problems.append((group[0], f"give exactly one of {' or '.join(group)}"))
    if problems:
        raise fail(problems)
    for name, value in body.items():
        kind_field = allowed[name]
        if isinstance(kind_field, Schema):
            found = kind_field.problems(value, float(time_s))
            problems += [(f"{name}.{path}" if path else name, msg) for path, msg in found]
    if problems:
        raise fail(problems)
    return float(time_s), seat, kind, body


def parse_json_text(text: str | bytes, source: str, line: int | None = None) -> Any:
    """Decode one command's JSON (a request body, a log line) within the limits.

    At most :data:`MAX_COMMAND_BYTES`; no ``NaN`` or ``Infinity`` literal; no integer of
    more digits than Python converts; nesting beyond :data:`MAX_DEPTH` is refused by
    :func:`validate_record` (and deep enough to break the decoder, here).

    Raises
    ------
    InputError
        Naming the source and line.
    """
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_COMMAND_BYTES:
        message = f"{size:,} bytes; a command is at most {MAX_COMMAND_BYTES:,} bytes"
        raise InputError([Problem(source, message, "", line)])
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        message = f"not JSON: nested more than {MAX_DEPTH} levels deep"
    except json.JSONDecodeError as exc:
        message = f"not JSON ({exc.msg}, column {exc.colno})"
    except (ValueError, UnicodeDecodeError) as exc:  # NaN, a 5,000-digit integer, bad UTF-8
        message = f"not JSON ({exc})"
    raise InputError([Problem(source, message, "", line)])


def _refuse_constant(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON number")


__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_DEPTH",
    "MAX_ID_CHARS",
    "MAX_TEXT_CHARS",
    "Choice",
    "FieldType",
    "Flag",
    "Id",
    "KindFields",
    "Schema",
    "Text",
    "parse_json_text",
    "validate_record",
]
