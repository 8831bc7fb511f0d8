"""Lineage: the partners whose data a product derives from, as a column of sorted tuples.

Every product that crosses a link (alerts, tracks, lines of sight, engagement and
battery status, orders, messages) carries its ``originators``; the link boundary
releases it only under every originator's policy (originator control).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

ObjectArray = NDArray[np.object_]


def lineage_column(rows: Iterable[Iterable[str]]) -> ObjectArray:
    """A 1-D object array holding one sorted tuple of partner ids per row.

    (Assigned element by element: NumPy would read a list of equal-length tuples
    as a 2-D array.)
    """
    values = [tuple(sorted(set(r))) for r in rows]
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out
