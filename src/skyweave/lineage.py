"""Lineage: the partners whose data a product derives from, as a column of sorted tuples.

Every product that crosses a link (alerts, tracks, lines of sight, engagement and
battery status, orders, messages) carries its ``originators``; the link boundary
releases it only under every originator's policy (originator control).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

ObjectArray = NDArray[np.object_]


def lineage_column(rows: Iterable[Iterable[str]]) -> ObjectArray:
    """A 1-D object array holding one sorted tuple of partner ids per row.

    Rows repeat (a batch's rows mostly share one lineage): each distinct row is
    sorted once, and its rows share the tuple.
    """
    sorted_of: dict[tuple[str, ...], tuple[str, ...]] = {}
    values = []
    for row in rows:
        key = row if isinstance(row, tuple) else tuple(row)
        value = sorted_of.get(key)
        if value is None:
            value = sorted_of[key] = tuple(sorted(set(key)))
        values.append(value)
    # (np.fromiter keeps each tuple an element: np.array would read equal-length
    # tuples as a 2-D array)
    return np.fromiter(values, dtype=object, count=len(values))


def sender_lineage_column(senders: Sequence[str], rows: Iterable[Iterable[str]]) -> ObjectArray:
    """:func:`lineage_column` of ``(senders[i], *rows[i])``: each row's lineage with its
    sender added (each distinct pair sorted once)."""
    sorted_of: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
    values = []
    for sender, row in zip(senders, rows, strict=True):
        key = (sender, row if isinstance(row, tuple) else tuple(row))
        value = sorted_of.get(key)
        if value is None:
            value = sorted_of[key] = tuple(sorted({sender, *key[1]}))
        values.append(value)
    return np.fromiter(values, dtype=object, count=len(values))
