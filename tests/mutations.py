"""Helpers shared by the fuzz tests that mutate a scenario document."""

from __future__ import annotations

import copy
from typing import Any


def document_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path of a nested dict/list document (the root's ``()`` first)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += document_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += document_paths(value, (*prefix, i))
    return out


def mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> None:
    """Change a nested document in place at ``path``.

    ``replace`` puts ``value`` there, ``delete`` removes the entry, ``nest`` puts
    ``value`` 200 lists deep (a nesting bomb), ``add_key`` adds ``value`` under a new
    key when the entry is a mapping, ``duplicate`` appends a copy of the entry when
    its parent is a list.
    """
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = value
    elif action == "delete":
        del parent[key]
    elif action == "nest":
        nested: Any = value
        for _ in range(200):
            nested = [nested]
        parent[key] = nested
    elif action == "add_key" and isinstance(parent[key], dict):
        parent[key][f"x{abs(hash(str(value))) % 97}"] = value
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
