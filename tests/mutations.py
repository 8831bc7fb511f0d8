"""Helpers shared by the fuzz tests that mutate a scenario document."""

from __future__ import annotations

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
