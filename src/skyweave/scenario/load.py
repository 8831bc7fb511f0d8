"""Read a scenario file and report every user mistake with file, line and field path.

Loading happens in three passes, each turning failures into :class:`Problem` rows
rather than exceptions: read the bytes, parse the YAML (line numbers kept with
ruamel's round-trip loader), validate against the schema, then check the
cross-references the schema cannot see (ids that must exist or be unique).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import Scenario

Loc = tuple[str | int, ...]

# Discriminator tags pydantic inserts into error locations of tagged unions; they are
# not keys of the user's file, so the field path and the line lookup skip them.
_UNION_TAGS = {"infrared_satellite", "radar", "ballistic", "cruise", "aircraft"}

_INJECT_TARGETS = {
    "sensor_failure": "sensors",
    "sensor_repair": "sensors",
    "link_cut": "links",
    "link_restore": "links",
    "battery_empty": "batteries",
    "command_post_silent": "partners",
    "command_post_restore": "partners",
}


_SINGULAR = {"sensors": "sensor", "links": "link", "batteries": "battery", "partners": "partner"}


def _all_field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every key the schema knows, for 'did you mean' suggestions on unknown keys."""
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        for arg in _nested_models(field.annotation):
            names |= _all_field_names(arg, seen)
    return names


def _nested_models(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _nested_models(arg)
    origin = getattr(annotation, "__origin__", None)  # Annotated[Model, ...]
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        yield origin


_KNOWN_KEYS = sorted(_all_field_names(Scenario, set()))


def format_loc(loc: Loc) -> str:
    """Render a location tuple as ``threats[3].launch.lat_deg``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _user_loc(raw: Any, loc: Sequence[str | int]) -> tuple[Loc, int | None]:
    """Drop union tags from a pydantic location and find the deepest YAML line for it."""
    node = raw
    kept: list[str | int] = []
    line: int | None = None
    for part in loc:
        if isinstance(node, dict):
            if part not in node:
                if isinstance(part, str) and part in _UNION_TAGS:
                    continue
                kept.append(part)
                node = None
                continue
            line = _line_of(node, part) or line
            kept.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line = _line_of(node, part) or line
            kept.append(part)
            node = node[part]
        else:
            if isinstance(part, str) and part in _UNION_TAGS:
                continue
            kept.append(part)
            node = None
    return tuple(kept), line


def _line_of(container: Any, key: str | int) -> int | None:
    lc = getattr(container, "lc", None)
    if lc is None:
        return None
    try:
        pos = lc.key(key) if isinstance(container, dict) else lc.item(key)
    except (KeyError, IndexError, TypeError):
        return None
    return int(pos[0]) + 1 if pos else None


def _message(error: Any) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    got = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1]) if error["loc"] else "?"
        close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'{hint}"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"unknown type {error['ctx']['tag']!r}; expected one of {expected}"
    if kind == "literal_error":
        return f"{msg} (got {got!r})"
    if isinstance(got, dict | list):
        return f"{msg} (got a {'mapping' if isinstance(got, dict) else 'list'})"
    return f"{msg} (got {got!r})"


def read_yaml(path: Path) -> Any:
    """Read and parse one YAML file, raising :class:`InputError` with its line on failure."""
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, "file not found")])
    if path.is_dir():
        raise InputError([Problem(name, "is a directory; expected a YAML scenario file")])
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise InputError([Problem(name, "permission denied: cannot read the file")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise InputError([Problem(name, f"cannot read the file: {exc.strerror}")]) from None
    if not text.strip():
        raise InputError([Problem(name, "file is empty; expected a scenario mapping")])
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return _raise(Problem(name, f"not valid YAML: {detail}", line=line))
    except YAMLError as exc:
        return _raise(Problem(name, f"not valid YAML: {exc}"))
    except (ValueError, TypeError, OverflowError) as exc:
        # ruamel constructs timestamps and numbers eagerly; a malformed one lands here.
        return _raise(Problem(name, f"not valid YAML: {exc}"))


def _raise(problem: Problem) -> Any:
    raise InputError([problem])


def load_scenario(path: str | Path) -> Scenario:
    """Load and fully check a scenario file.

    Raises
    ------
    InputError
        With one :class:`Problem` per mistake (file, line, field path, expectation).
    """
    path = Path(path)
    name = str(path)
    raw = read_yaml(path)
    if raw is None:
        raise InputError([Problem(name, "file is empty (only comments); expected a scenario")])
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"a {type(raw).__name__} value"
        raise InputError([Problem(name, f"expected a mapping of scenario fields, got {kind}")])
    try:
        scenario = Scenario.model_validate(_plain(raw))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc, line = _user_loc(raw, error["loc"])
            problems.append(Problem(name, _message(error), format_loc(loc), line))
        raise InputError(problems) from None
    problems = [
        Problem(name, message, format_loc(loc), _user_loc(raw, loc)[1])
        for loc, message in check_references(scenario)
    ]
    if problems:
        raise InputError(problems)
    return scenario


def _plain(node: Any) -> Any:
    """Round-trip YAML containers to plain dicts and lists (pydantic sees ordinary data)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def check_references(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Cross-reference checks: unique ids, partners and targets that exist, timing."""
    problems: list[tuple[Loc, str]] = []
    partner_ids: set[str] = set()
    for i, partner in enumerate(scenario.partners):
        if partner.id in partner_ids:
            problems.append((("partners", i, "id"), f"duplicate partner id '{partner.id}'"))
        partner_ids.add(partner.id)

    # One namespace for everything an inject or a report can name.
    seen: dict[str, str] = {}
    sections: list[tuple[str, Sequence[Any]]] = [
        ("defended_assets", scenario.defended_assets),
        ("sensors", scenario.sensors),
        ("batteries", scenario.batteries),
        ("links", scenario.links),
        ("threats", scenario.threats),
    ]
    for section, items in sections:
        for i, item in enumerate(items):
            ids = [item.id]
            salvo = getattr(item, "salvo", None)
            if salvo is not None and salvo.count > 1:
                ids += [f"{item.id}-{k}" for k in range(1, salvo.count + 1)]
            for object_id in ids:
                if object_id in seen:
                    problems.append(
                        ((section, i, "id"), f"duplicate id '{object_id}' (also {seen[object_id]})")
                    )
                else:
                    seen[object_id] = format_loc((section, i))

    def need_partner(loc: Loc, pid: str) -> None:
        if pid not in partner_ids:
            problems.append((loc, f"unknown partner '{pid}'; partners are {sorted(partner_ids)}"))

    for section, items in sections[:3]:
        for i, item in enumerate(items):
            need_partner((section, i, "partner"), item.partner)
    for i, link in enumerate(scenario.links):
        for k, end in enumerate(link.between):
            need_partner(("links", i, "between", k), end)
    for i, partner in enumerate(scenario.partners):
        for k, other in enumerate(partner.engagement.defend):
            need_partner(("partners", i, "engagement", "defend", k), other)
    if scenario.c2.coalition_cell is not None:
        need_partner(("c2", "coalition_cell"), scenario.c2.coalition_cell)
    for i, rule in enumerate(scenario.policy):
        need_partner(("policy", i, "from"), rule.from_partner)
        for k, to in enumerate(rule.to):
            need_partner(("policy", i, "to", k), to)

    ids_by_section = {
        "sensors": {s.id for s in scenario.sensors},
        "links": {link.id for link in scenario.links},
        "batteries": {b.id for b in scenario.batteries},
        "partners": partner_ids,
    }
    for i, inject in enumerate(scenario.injects):
        target_section = _INJECT_TARGETS.get(inject.kind)
        if target_section is None:
            continue
        if inject.target is None:
            problems.append((("injects", i, "target"), f"{inject.kind} needs a target id"))
        elif inject.target not in ids_by_section[target_section]:
            problems.append(
                (
                    ("injects", i, "target"),
                    f"unknown {_SINGULAR[target_section]} '{inject.target}'",
                )
            )
        if inject.time_s > scenario.duration_s:
            problems.append(
                (("injects", i, "time_s"), f"after the scenario ends at {scenario.duration_s:g} s")
            )

    for i, threat in enumerate(scenario.threats):
        if threat.launch_time_s >= scenario.duration_s:
            problems.append(
                (
                    ("threats", i, "launch_time_s"),
                    f"launch at {threat.launch_time_s:g} s is not before the scenario ends "
                    f"at {scenario.duration_s:g} s",
                )
            )
    return problems


def validate_paths(paths: Sequence[str | Path]) -> list[Problem]:
    """Check several scenario files; return every problem found (empty when all valid)."""
    problems: list[Problem] = []
    for path in paths:
        try:
            load_scenario(path)
        except InputError as exc:
            problems.extend(exc.problems)
    return problems
