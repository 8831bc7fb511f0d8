"""Who decides: the deciding command posts, their batteries, and what a cycle returns.

``independent`` and ``shared-warning``: each partner's command post with its own
batteries. ``integrated``: the coalition cell (at ``c2.coalition_cell``, by default
the first partner) with its host's batteries and the other partners' batteries it
commands over the links (:mod:`skyweave.c2.coalition_status`); a battery it cannot
command (or one reverted under the fallback doctrine, :mod:`skyweave.c2.fallback`)
stays with its own partner's post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.fallback import CommandChange
from skyweave.c2.params import C2Params
from skyweave.scenario.schema import Battery

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Authority:
    """One deciding command post (it decides on its own fused picture) and its batteries."""

    name: str
    batteries: tuple[Battery, ...]


def authorities(c2: C2Params, commanded: frozenset[str] = frozenset()) -> list[Authority]:
    """Who decides in the scenario's coordination mode (see the module docstring).

    ``commanded``: in integrated mode, the other partners' batteries the cell may
    command over the links; the rest stay with their own partner's post.
    """
    if c2.integrated:
        cell = c2.cell
        out = [
            Authority(
                cell,
                tuple(b for b in c2.batteries if b.partner == cell or b.id in commanded),
            )
        ]
        for p in c2.partners:
            own = tuple(
                b
                for b in c2.batteries
                if b.partner == p and b.partner != cell and b.id not in commanded
            )
            if p != cell and own:
                out.append(Authority(p, own))
        return out
    return [Authority(p, tuple(b for b in c2.batteries if b.partner == p)) for p in c2.partners]


@dataclass(frozen=True)
class EngageRequest:
    """An operator's order: this battery engages this picture track at the next cycle."""

    time_s: float
    seat: str
    battery_id: str
    track_id: str


@dataclass(frozen=True)
class CycleOutcome:
    """What one decision cycle changed: orders refused by feasibility, for the command
    log, and batteries that changed hands under the fallback doctrine."""

    rejected: tuple[tuple[EngageRequest, str], ...] = ()
    changes: tuple[CommandChange, ...] = ()


def worth_it(
    assignment: Sequence[tuple[int, int, int]],
    value: FloatArray,
    pk: FloatArray,
    min_value_saved: float,
) -> list[tuple[int, int]]:
    """Assigned pairs kept while each adds at least ``min_value_saved`` expected value.

    Per target, the assigned batteries in decreasing kill probability: the k-th
    adds ``V p_k prod_{l<k} (1 - p_l)``.
    """
    by_target: dict[int, list[int]] = {}
    for i, j, _ in assignment:
        by_target.setdefault(j, []).append(i)
    out = []
    for j in sorted(by_target):
        survive = 1.0
        for i in sorted(by_target[j], key=lambda i: (-pk[i, j], i)):
            gain = value[j] * survive * pk[i, j]
            if gain < min_value_saved:
                break
            out.append((i, j))
            survive *= 1.0 - pk[i, j]
    return out


__all__ = [
    "Authority",
    "CycleOutcome",
    "EngageRequest",
    "authorities",
    "worth_it",
]
