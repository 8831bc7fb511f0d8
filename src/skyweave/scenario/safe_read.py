"""Read user files (scenario YAML, scenario JSON, WTA instances) within fixed limits.

Every file a user hands us goes through :func:`read_document`, which turns each way a
file can be hostile into an :class:`~skyweave.errors.InputError` naming the file:

- size: at most :data:`MAX_FILE_BYTES` (10 MiB; a large scenario is a few hundred KiB),
  read with a bounded ``read`` so a device or a growing file cannot exhaust memory;
- nesting: at most :data:`MAX_DEPTH` levels (the schema needs six), checked while the
  YAML is composed and after JSON is decoded, so a deep ``[[[[...]]]]`` never reaches
  Python's recursion limit;
- aliases: YAML anchors and aliases are allowed (``pk: *standard_pk``) but the document
  they expand to may hold at most :data:`MAX_NODES` values, counted while composing, so a
  "billion laughs" bomb is refused after a few hundred events; an alias inside its own
  anchor (a recursive structure) is refused;
- parse time: linear in the file size. ruamel's round-trip scanner keeps comments by
  growing a string one character at a time, which is quadratic for a long comment (a
  1 MB comment took 34 s); the plain scanner and parser skip comments, and the
  round-trip composer and constructor still record the line of every key.

JSON is decoded with :mod:`json` (C, fast, no aliases, so only the file size bounds its
values) and checked for the same depth; ``NaN`` and ``Infinity`` literals are refused.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.parser import Parser
from ruamel.yaml.scanner import Scanner

from skyweave.errors import InputError, Problem

#: largest input file read, bytes
MAX_FILE_BYTES = 10 * 1024 * 1024
#: deepest nesting of lists and mappings accepted
MAX_DEPTH = 32
#: most values (scalars, lists, mappings) a YAML document may expand to, aliases counted in
#: full: ten thousand threats of a dozen values each fit; the pure-Python parser takes a few
#: seconds at the limit
MAX_NODES = 250_000


def _fail(name: str, message: str, line: int | None = None) -> Any:
    raise InputError([Problem(name, message, line=line)])


def read_text_limited(path: Path, what: str = "input file") -> str:
    """Read a UTF-8 text file of at most :data:`MAX_FILE_BYTES`.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file should be, for messages ("YAML scenario file").

    Raises
    ------
    InputError
        Missing, a directory or other non-regular file, unreadable, too large, not UTF-8.
    """
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return _fail(name, "file not found; cannot read it")
    except PermissionError:
        return _fail(name, "permission denied: cannot read the file")
    except OSError as exc:
        return _fail(name, f"cannot read the file: {exc.strerror}")
    if stat.S_ISDIR(info.st_mode):
        return _fail(name, f"is a directory; expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        return _fail(name, f"not a regular file; expected a {what}")
    limit_text = f"the limit is {MAX_FILE_BYTES / 2**20:g} MiB"
    if info.st_size > MAX_FILE_BYTES:
        return _fail(name, f"file is {info.st_size / 2**20:.1f} MiB; {limit_text}")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows meanwhile
    except PermissionError:
        return _fail(name, "permission denied: cannot read the file")
    except OSError as exc:
        return _fail(name, f"cannot read the file: {exc.strerror}")
    if len(data) > MAX_FILE_BYTES:
        return _fail(name, f"file is larger than {MAX_FILE_BYTES / 2**20:g} MiB; {limit_text}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fail(name, f"not UTF-8 text ({exc.reason})")


class _LimitedComposer(Composer):
    """A composer that counts the values the document expands to and refuses a bomb.

    Nodes are composed bottom-up; the running count of values composed so far (an alias
    adds the whole size of its anchored node) gives each anchored node's expanded size.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._expanded = 0
        self._anchored_size: dict[int, int] = {}

    def _count(self, size: int, node: Any) -> None:
        self._expanded += size
        if self._expanded > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"the document expands to more than {MAX_NODES:,} values "
                "(aliases counted in full); a scenario needs far fewer",
                node.start_mark,
            )

    def return_alias(self, a: Any) -> Any:
        size = self._anchored_size.get(id(a))
        if size is None:
            raise ComposerError(
                None,
                None,
                "an alias refers to the node that contains it (a recursive structure)",
                a.start_mark,
            )
        self._count(size, a)
        return a

    def _composed(self, node: Any, anchor: Any, before: int) -> Any:
        self._count(1, node)
        if anchor is not None:
            self._anchored_size[id(node)] = self._expanded - before
        return node

    def compose_scalar_node(self, anchor: Any) -> Any:
        before = self._expanded
        return self._composed(super().compose_scalar_node(anchor), anchor, before)

    def compose_sequence_node(self, anchor: Any) -> Any:
        before = self._expanded
        return self._composed(super().compose_sequence_node(anchor), anchor, before)

    def compose_mapping_node(self, anchor: Any) -> Any:
        before = self._expanded
        return self._composed(super().compose_mapping_node(anchor), anchor, before)


def _yaml_loader() -> YAML:
    yaml = YAML(typ="rt")
    # Plain scanner and parser: linear on long comments (see the module notes); the
    # round-trip composer and constructor still give every key its line.
    yaml.Scanner = Scanner
    yaml.Parser = Parser
    yaml.Composer = _LimitedComposer
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    return yaml


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text (round-trip containers with line numbers), within the limits.

    Raises
    ------
    InputError
        Not YAML, nested deeper than :data:`MAX_DEPTH`, or expanding to more than
        :data:`MAX_NODES` values.
    """
    try:
        return _yaml_loader().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if isinstance(exc, MaxDepthExceededError):
            detail = f"nested more than {MAX_DEPTH} levels deep"
        return _fail(name, f"not valid YAML: {detail}", line)
    except YAMLError as exc:
        return _fail(name, f"not valid YAML: {exc}")
    except RecursionError:
        return _fail(name, f"not valid YAML: nested more than {MAX_DEPTH} levels deep")
    except (ValueError, TypeError, OverflowError) as exc:
        # ruamel constructs timestamps and numbers eagerly; a malformed one lands here.
        return _fail(name, f"not valid YAML: {exc}")


def _refuse_constant(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON number")


def _check_shape(data: Any, name: str) -> None:
    """Depth of decoded JSON, walked without recursion (its size is bounded by the file's)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                _fail(name, f"not accepted: nested more than {MAX_DEPTH} levels deep")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def parse_json(text: str, name: str) -> Any:
    """Decode JSON text within the limits (depth, values, no NaN or Infinity literals).

    Raises
    ------
    InputError
        Not JSON, or beyond a limit.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return _fail(name, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except RecursionError:
        return _fail(name, f"not valid JSON: nested more than {MAX_DEPTH} levels deep")
    except ValueError as exc:  # NaN/Infinity literals, integers beyond the digit limit
        return _fail(name, f"not valid JSON: {exc}")
    _check_shape(data, name)
    return data


def read_document(path: str | os.PathLike[str], what: str = "scenario file") -> Any:
    """Read and parse one user file, JSON when its name ends in ``.json``, else YAML.

    This is the one entry point for every structured file a user gives Skyweave
    (scenario files, a run folder's ``scenario.json`` under ``--replay``, WTA instances).

    Parameters
    ----------
    path : str or PathLike
        The file.
    what : str
        What the file should be, for messages.

    Returns
    -------
    Any
        The parsed document: for YAML, ruamel round-trip containers (dict and list
        subclasses carrying line numbers); for JSON, plain dicts and lists.

    Raises
    ------
    InputError
        With the file name and, where known, the line.
    """
    path = Path(path)
    text = read_text_limited(path, what)
    if not text.strip():
        return _fail(str(path), f"file is empty; expected a {what}")
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))


def read_json_file(path: str | os.PathLike[str], what: str = "JSON file") -> Any:
    """Read and decode a JSON file within the limits, whatever its name ends in."""
    path = Path(path)
    return parse_json(read_text_limited(path, what), str(path))
