"""Parameter sweeps for batch runs: ``--sweep PARAM=V1,V2,...`` applied to a scenario.

A sweep names one scenario field by a dotted path, the way a scenario file nests
it: ``coordination_mode``, ``earth.drag``, ``batteries[0].interceptors`` or, by id,
``batteries[north-bty-1].pk.ballistic``. Each value is read as a YAML scalar
(``8`` is an int, ``0.5`` a float, ``true`` a bool, ``independent`` a string).
Several sweeps form their Cartesian product, the last one varying fastest.

Every sweep point is applied to the validated scenario and validated again
(schema and cross-references) before any run starts, so a bad path or value is
an :class:`~skyweave.errors.InputError` naming the file, the field and the
``--sweep`` that caused it.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from skyweave.errors import InputError, Problem
from skyweave.scenario.load import check_references, format_loc
from skyweave.scenario.schema import Scenario

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]+\])*)$")
_INDEX = re.compile(r"\[([^\[\]]+)\]")

# Fields a sweep must not touch: the run seed comes from ``--seed``, and the name
# identifies the scenario in every output.
_NOT_SWEEPABLE = {"seed", "name"}


@dataclass(frozen=True)
class Sweep:
    """One ``--sweep``: a scenario field path and the values it takes."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepPoint:
    """One combination of swept values and the scenario it gives."""

    index: int
    params: dict[str, Any]
    scenario: Scenario


def parse_value(text: str) -> Any:
    """Read one sweep value as a YAML scalar (int, float, bool, null or string)."""
    text = text.strip()
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return text
    # A value like "[1" or "a: b" is not a scalar; keep the user's text.
    return value if isinstance(value, str | int | float | bool) or value is None else text


def parse_sweep(text: str, source: str = "--sweep") -> Sweep:
    """Parse ``PARAM=V1,V2,...`` (values split on commas, each a YAML scalar)."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        expected = "expected PARAM=V1,V2,... (e.g. earth.drag=true,false)"
        raise InputError([Problem(source, f"--sweep {text!r}: {expected}")])
    parts = raw.split(",")
    if not raw.strip() or any(not p.strip() for p in parts):
        raise InputError(
            [Problem(source, f"--sweep {text!r}: expected one or more comma-separated values")]
        )
    parse_path(path, source)
    values = tuple(parse_value(p) for p in parts)
    if len(set(map(repr, values))) != len(values):
        raise InputError([Problem(source, f"--sweep {text!r}: a value is repeated")])
    return Sweep(path=path, values=values)


def parse_path(path: str, source: str = "--sweep") -> list[str | int]:
    """Split ``batteries[0].pk.ballistic`` into keys and indices (an id stays a string
    wrapped as ``"[id]"`` until it is resolved against the scenario)."""
    keys: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment.strip())
        if match is None:
            raise InputError(
                [
                    Problem(
                        source,
                        f"--sweep path {path!r}: cannot read {segment!r}; expected "
                        "field names joined by dots, with [index] or [id] after a list",
                    )
                ]
            )
        keys.append(match.group(1))
        for index in _INDEX.findall(match.group(2)):
            index = index.strip()
            keys.append(int(index) if re.fullmatch(r"\d+", index) else f"[{index}]")
    if keys and keys[0] in _NOT_SWEEPABLE:
        raise InputError(
            [Problem(source, f"--sweep path {path!r}: '{keys[0]}' cannot be swept", str(keys[0]))]
        )
    return keys


def _set_path(data: dict[str, Any], keys: Sequence[str | int], value: Any, path: str) -> None:
    """Set ``value`` at ``keys`` in the dumped scenario, refusing paths that do not exist."""
    node: Any = data
    where: list[str | int] = []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        here = format_loc(tuple(where)) or "the scenario"
        if isinstance(key, int) or key.startswith("["):
            if not isinstance(node, list):
                raise _path_error(path, f"{here} is not a list")
            if isinstance(key, str):
                wanted = key[1:-1]
                ids = [item.get("id") for item in node if isinstance(item, dict)]
                if wanted not in ids:
                    raise _path_error(path, f"no item with id '{wanted}' in {here} (ids: {ids})")
                key = ids.index(wanted)
            if key >= len(node):
                raise _path_error(path, f"index {key} is out of range ({here} has {len(node)})")
        else:
            if not isinstance(node, dict):
                raise _path_error(path, f"{here} is a value, not a mapping with field '{key}'")
            if key not in node:
                close = difflib.get_close_matches(key, [str(k) for k in node], n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise _path_error(path, f"{here} has no field '{key}'{hint}")
        where.append(key)
        if last:
            node[key] = value
        else:
            node = node[key]


def _path_error(path: str, message: str) -> InputError:
    return InputError([Problem("--sweep", f"path {path!r}: {message}")])


def apply_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], source: str = "scenario"
) -> Scenario:
    """Return ``scenario`` with each ``path -> value`` set, validated like a loaded file.

    Raises
    ------
    InputError
        For a path that does not exist or a value the schema or the cross-reference
        checks reject; each problem names ``source``, the field and the override.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    for path, value in overrides.items():
        _set_path(data, parse_path(path), value, path)
    where = ", ".join(f"{p}={v!r}" for p, v in overrides.items())
    try:
        swept = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                source,
                f"{_error_text(e)} (from --sweep {where})",
                format_loc(tuple(k for k in e["loc"] if not _is_union_tag(k))),
            )
            for e in exc.errors()
        ]
        raise InputError(problems) from None
    problems = [
        Problem(source, f"{message} (from --sweep {where})", format_loc(loc))
        for loc, message in check_references(swept)
    ]
    if problems:
        raise InputError(problems)
    return swept


def _is_union_tag(key: str | int) -> bool:
    # Discriminated unions add the tag ("radar", "ballistic", ...) to error locations.
    return key in {"infrared_satellite", "radar", "ballistic", "cruise", "aircraft"}


def _error_text(error: Any) -> str:
    msg = str(error["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = error.get("input")
    if isinstance(got, dict | list):
        return msg
    return f"{msg} (got {got!r})"


def sweep_points(
    scenario: Scenario, sweeps: Sequence[Sweep], source: str = "scenario"
) -> list[SweepPoint]:
    """Every combination of the sweeps' values, each applied and validated.

    With no sweeps there is one point, the scenario itself. Problems from all
    points are gathered and raised together as one :class:`InputError`.
    """
    paths = [s.path for s in sweeps]
    duplicated = sorted({p for p in paths if paths.count(p) > 1})
    if duplicated:
        raise InputError([Problem("--sweep", f"path {duplicated[0]!r} is swept twice")])
    points: list[SweepPoint] = []
    problems: list[Problem] = []
    for index, combo in enumerate(itertools.product(*(s.values for s in sweeps))):
        params = dict(zip(paths, combo, strict=True))
        try:
            swept = apply_overrides(scenario, params, source) if params else scenario
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
            continue
        points.append(SweepPoint(index=index, params=params, scenario=swept))
    if problems:
        raise InputError(problems)
    return points
