"""Fallback doctrine: who commands a battery when the coalition cell cannot reach it.

In integrated mode the coalition cell commands other partners' batteries over the
links (:mod:`skyweave.c2.coalition_status`). When the cell's orders or those
batteries' status cannot flow (the link between the cell's host and the
battery's partner is down, or the cell's command post is silent), each battery
follows its fallback (``partners[].engagement.fallback``, overridden per battery
by ``batteries[].fallback``):

``revert``
    after ``fallback_after_s`` of continuous cut (default: two decision cycles) the
    battery reverts to its own partner's command post, which commands it on its own
    picture for the assets it defends (event ``command_reverted``); at the first
    decision time at which orders and status flow again (the cut is over and the cell
    holds a status report the battery's partner sent after it reverted) it returns to
    the cell (``command_restored``).
``hold``
    the battery stays under the cell and takes no orders until they flow again.

The cut is judged at decision times from the link and command-post state both
ends see (a link that carries nothing is known to be down at both ends); its
start is the start of the outage, so a battery reverts at the first decision
time at least ``fallback_after_s`` after the link went down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from skyweave.c2.params import C2Params
from skyweave.scenario.schema import FallbackMode

#: default wait before reverting, in decision cycles
DEFAULT_FALLBACK_CYCLES = 2.0


@dataclass(frozen=True)
class FallbackRule:
    """One battery's fallback: what it does, after how long a cut."""

    mode: FallbackMode
    after_s: float


def fallback_rules(c2: C2Params) -> dict[str, FallbackRule]:
    """Each battery's fallback (its own fields over its partner's)."""
    default_s = DEFAULT_FALLBACK_CYCLES * c2.decision_period_s
    out = {}
    for b in c2.batteries:
        r = c2.rules.get(b.partner)
        mode = b.fallback or (r.fallback if r is not None else "revert")
        after = b.fallback_after_s
        if after is None and r is not None:
            after = r.fallback_after_s
        out[b.id] = FallbackRule(mode, default_s if after is None else float(after))
    return out


@dataclass(frozen=True)
class CommandChange:
    """A battery changed hands: ``command_reverted`` or ``command_restored``."""

    time_s: float
    battery_id: str
    partner: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Cut:
    """Orders and status between the cell and a partner cannot flow: since when, why."""

    since_s: float
    reason: str


class FallbackDoctrine:
    """The batteries the cell commands and, cycle by cycle, those reverted."""

    def __init__(self, c2: C2Params, commanded: frozenset[str]) -> None:
        self.rules = fallback_rules(c2)
        self.partner = {b.id: b.partner for b in c2.batteries}
        self.eligible = commanded
        self.reverted: set[str] = set()
        self._reverted_at: dict[str, float] = {}

    def update(
        self, time_s: float, cuts: Mapping[str, Cut], heard_s: Mapping[str, float]
    ) -> list[CommandChange]:
        """At a decision time: ``cuts`` names the partners cut off from the cell now;
        ``heard_s``: per battery, when the status report the cell holds was sent.
        Returns the batteries that changed hands (in battery id order)."""
        out = []
        for b in sorted(self.eligible):
            p = self.partner[b]
            cut = cuts.get(p)
            if cut is None:
                heard = heard_s.get(b, -math.inf)
                if b in self.reverted and heard > self._reverted_at[b]:
                    self.reverted.discard(b)
                    text = f"orders and status flow again (status of {heard:g} s received)"
                    out.append(CommandChange(time_s, b, p, "command_restored", text))
                continue
            rule = self.rules[b]
            if (
                rule.mode == "revert"
                and b not in self.reverted
                and time_s - cut.since_s >= rule.after_s - 1e-9
            ):
                self.reverted.add(b)
                self._reverted_at[b] = time_s
                out.append(
                    CommandChange(
                        time_s,
                        b,
                        p,
                        "command_reverted",
                        f"{cut.reason} since {cut.since_s:g} s (fallback after {rule.after_s:g} s)",
                    )
                )
        return out

    @property
    def commanded(self) -> frozenset[str]:
        """The batteries the cell commands now."""
        return self.eligible - self.reverted


__all__ = [
    "DEFAULT_FALLBACK_CYCLES",
    "CommandChange",
    "Cut",
    "FallbackDoctrine",
    "FallbackRule",
    "fallback_rules",
]
