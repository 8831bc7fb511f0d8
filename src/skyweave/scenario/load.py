"""Read a scenario file and report every user mistake with file, line and field path.

Loading happens in three passes, each turning failures into :class:`Problem` rows
rather than exceptions: read the bytes, parse the YAML (line numbers kept with
ruamel's round-trip loader), validate against the schema, then check the
cross-references the schema cannot see (ids that must exist or be unique).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from skyweave.errors import InputError, Problem
from skyweave.scenario.deployment import deployment_problems
from skyweave.scenario.hints import unknown_key_message
from skyweave.scenario.plausibility import scenario_warnings
from skyweave.scenario.run_size import check_run_size
from skyweave.scenario.safe_read import read_document
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    got = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return unknown_key_message(error["loc"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"unknown type {_short(error['ctx']['tag'])}; expected one of {expected}"
    if kind == "literal_error":
        return f"{msg} (got {_short(got)})"
    if isinstance(got, dict | list):
        return f"{msg} (got a {'mapping' if isinstance(got, dict) else 'list'})"
    return f"{msg} (got {_short(got)})"


def load_scenario_checked(path: str | Path) -> tuple[Scenario, list[Problem]]:
    """Load and fully check a scenario file; also return warnings on implausible values.

    Returns
    -------
    scenario : Scenario
        The validated scenario.
    warnings : list of Problem
        Legal but implausible values (a missile slower than 50 m/s, an asset thousands
        of km from every radar), each with file, line and field path; see
        :func:`skyweave.scenario.plausibility.scenario_warnings`.

    Raises
    ------
    InputError
        With one :class:`Problem` per mistake (file, line, field path, expectation):
        schema errors and cross-reference errors (unknown partners, inject targets,
        duplicate ids) together, in one round.
    """
    path = Path(path)
    name = str(path)
    raw = read_document(path, "YAML scenario file")
    if raw is None:
        raise InputError([Problem(name, "file is empty (only comments); expected a scenario")])
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"a {type(raw).__name__} value"
        raise InputError([Problem(name, f"expected a mapping of scenario fields, got {kind}")])
    plain = _plain(raw)

    def located(loc: Loc, message: str) -> Problem:
        return Problem(name, message, format_loc(loc), _user_loc(raw, loc)[1])

    references = [located(loc, message) for loc, message in check_references(plain)]
    try:
        scenario = Scenario.model_validate(plain)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc, line = _user_loc(raw, error["loc"])
            problems.append(Problem(name, _message(error), format_loc(loc), line))
        # A reference on a field the schema already refused would be said twice.
        refused = {p.field_path for p in problems}
        raise InputError(
            problems + [p for p in references if p.field_path not in refused]
        ) from None
    references += [located(loc, msg) for loc, msg in deployment_problems(scenario)]
    if references:
        raise InputError(references)
    return scenario, [located(loc, message) for loc, message in scenario_warnings(scenario)]


def load_scenario(path: str | Path) -> Scenario:
    """Load and fully check a scenario file (see :func:`load_scenario_checked`).

    Raises
    ------
    InputError
        With one :class:`Problem` per mistake (file, line, field path, expectation).
    """
    return load_scenario_checked(path)[0]


def _plain(node: Any) -> Any:
    """Round-trip YAML containers to plain dicts and lists (pydantic sees ordinary data)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _items(data: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    """The mapping entries of a list section, with their indices (others the schema reports)."""
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def check_references(data: dict[str, Any] | Scenario) -> list[tuple[Loc, str]]:
    """Cross-reference checks: unique ids, partners and targets that exist, timing.

    Works on the plain parsed document (a :class:`Scenario` is dumped to one first), so
    that these problems are reported in the same round as the schema's own: entries the
    schema refuses (not a mapping, an id that is not a string) are skipped here.
    """
    if isinstance(data, Scenario):
        data = data.model_dump(by_alias=True, mode="json")
    problems: list[tuple[Loc, str]] = []
    partner_ids: set[str] = set()
    for i, partner in _items(data, "partners"):
        pid = partner.get("id")
        if not isinstance(pid, str):
            continue
        if pid in partner_ids:
            problems.append((("partners", i, "id"), f"duplicate partner id '{pid}'"))
        partner_ids.add(pid)

    # One namespace for everything an inject or a report can name.
    seen: dict[str, str] = {}
    sections = ["defended_assets", "sensors", "batteries", "links", "threats"]
    for section in sections:
        for i, item in _items(data, section):
            object_id = item.get("id")
            if not isinstance(object_id, str):
                continue
            ids = [object_id]
            salvo = item.get("salvo")
            count = salvo.get("count") if isinstance(salvo, dict) else None
            if isinstance(count, int) and not isinstance(count, bool) and 1 < count <= 1_000:
                ids += [f"{object_id}-{k}" for k in range(1, count + 1)]
            for one in ids:
                if one in seen:
                    problems.append(
                        ((section, i, "id"), f"duplicate id '{one}' (also {seen[one]})")
                    )
                else:
                    seen[one] = format_loc((section, i))

    def need_partner(loc: Loc, pid: Any) -> None:
        if isinstance(pid, str) and pid not in partner_ids:
            problems.append((loc, f"unknown partner '{pid}'; partners are {sorted(partner_ids)}"))

    def need_partners(loc: Loc, pids: Any) -> None:
        if isinstance(pids, list):
            for k, pid in enumerate(pids):
                need_partner((*loc, k), pid)

    for section in sections[:3]:
        for i, item in _items(data, section):
            need_partner((section, i, "partner"), item.get("partner"))
    for i, link in _items(data, "links"):
        need_partners(("links", i, "between"), link.get("between"))
    for i, partner in _items(data, "partners"):
        engagement = partner.get("engagement")
        if isinstance(engagement, dict):
            need_partners(("partners", i, "engagement", "defend"), engagement.get("defend"))
    c2 = data.get("c2")
    if isinstance(c2, dict):
        need_partner(("c2", "coalition_cell"), c2.get("coalition_cell"))
    for i, rule in _items(data, "policy"):
        need_partner(("policy", i, "from"), rule.get("from"))
        need_partners(("policy", i, "to"), rule.get("to"))

    ids_by_section = {
        section: {
            item["id"] for _, item in _items(data, section) if isinstance(item.get("id"), str)
        }
        for section in ("sensors", "links", "batteries")
    }
    ids_by_section["partners"] = set(partner_ids)
    duration_s = _number(data.get("duration_s"))
    for i, inject in _items(data, "injects"):
        kind = inject.get("kind")
        target_section = _INJECT_TARGETS.get(kind) if isinstance(kind, str) else None
        target = inject.get("target")
        if target_section is not None:
            if target is None:
                problems.append((("injects", i, "target"), f"{kind} needs a target id"))
            elif isinstance(target, str) and target not in ids_by_section[target_section]:
                problems.append(
                    (("injects", i, "target"), f"unknown {_SINGULAR[target_section]} '{target}'")
                )
        time_s = _number(inject.get("time_s"))
        if duration_s is not None and time_s is not None and time_s > duration_s:
            problems.append(
                (("injects", i, "time_s"), f"after the scenario ends at {duration_s:g} s")
            )

    for i, threat in _items(data, "threats"):
        launch_s = _number(threat.get("launch_time_s", 0.0))
        if duration_s is not None and launch_s is not None and launch_s >= duration_s:
            problems.append(
                (
                    ("threats", i, "launch_time_s"),
                    f"launch at {launch_s:g} s is not before the scenario ends at {duration_s:g} s",
                )
            )
    return problems


def check_paths(paths: Sequence[str | Path]) -> tuple[list[Problem], list[Problem]]:
    """Check several scenario files, as ``skyweave validate`` does.

    Returns
    -------
    problems : list of Problem
        Every mistake found, including a run too large to hold in memory
        (:func:`skyweave.scenario.run_size.check_run_size`); empty when all are valid.
    warnings : list of Problem
        Implausible but legal values.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for path in paths:
        try:
            scenario, found = load_scenario_checked(path)
            check_run_size(scenario, source=str(path))
        except InputError as exc:
            problems.extend(exc.problems)
        else:
            warnings.extend(found)
    return problems, warnings


def validate_paths(paths: Sequence[str | Path]) -> list[Problem]:
    """Check several scenario files; return every problem found (empty when all valid)."""
    return check_paths(paths)[0]
