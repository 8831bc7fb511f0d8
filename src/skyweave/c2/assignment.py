"""Step 3 of a decision cycle: which ready battery fires at which valued track.

Standing orders go first: the post's granted consents, the coalition cell's
orders that arrived at a battery, then the operators' engage requests; one
weapon-target assignment (:func:`~skyweave.c2.wta.solve_wta`) takes the pairs
left, and keeps an engagement only while it saves ``c2.min_value_saved``
(:func:`~skyweave.c2.authority.worth_it`). The decision stage carries out what
:func:`assign` returns (:mod:`skyweave.c2.decision`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from skyweave.c2.authority import EngageRequest, worth_it
from skyweave.c2.coalition_status import EngagementOrder
from skyweave.c2.decision_log import Verdict, Verdicts
from skyweave.c2.pairs import Pairs
from skyweave.c2.params import C2Params
from skyweave.c2.reengage import DELEGATED
from skyweave.c2.valuation import ValuedThreats
from skyweave.c2.wta import solve_wta
from skyweave.exercise.consent import ConsentDecision
from skyweave.scenario.schema import Battery

#: a consent or an order whose track is missing from the picture waits this many cycles
RETRY_CYCLES = 2
#: why an arrived order whose window closed is refused
TOO_LATE = "order arrived too late"


@dataclass
class Assignment:
    """What step 3 decided, for the decision stage to carry out in this order."""

    #: (battery row, target column, ask for consent)
    chosen: list[tuple[int, int, bool]] = field(default_factory=list)
    #: operators' requests refused, with the reason
    rejected: list[tuple[EngageRequest, str]] = field(default_factory=list)
    #: granted consents that stand for a later cycle
    regranted: list[ConsentDecision] = field(default_factory=list)
    #: granted consents whose window closed
    dropped: list[ConsentDecision] = field(default_factory=list)
    #: arrived orders carried out at the next cycle
    deferred: list[EngagementOrder] = field(default_factory=list)
    #: arrived orders that cannot be carried out, with the reason
    refused_orders: list[tuple[EngagementOrder, str]] = field(default_factory=list)


def assign(
    c2: C2Params,
    t: float,
    batteries: Sequence[Battery],
    held_now: set[str],
    due: Sequence[ConsentDecision],
    arrived: Sequence[EngagementOrder],
    requests: Sequence[EngageRequest],
    v: ValuedThreats,
    pairs: Pairs,
    verdicts: Verdicts,
    why_not: Callable[[EngageRequest], str],
) -> Assignment:
    """Step 3: granted orders first, then one WTA over the rest.

    Parameters
    ----------
    c2 : C2Params
        The run's C2 parameters (cycle, WTA method, ``min_value_saved``).
    t : float
        The decision time, s.
    batteries : sequence of Battery
        The ready batteries (the rows of ``pairs.matrix``).
    held_now : set of str
        The track ids of the post's picture now.
    due, arrived, requests : sequence
        Granted consents, the cell's arrived orders, operators' engage requests.
    v : ValuedThreats
        The valued tracks (the columns of ``pairs.matrix``).
    pairs : Pairs
        The cycle's pairs; their kill probabilities are zeroed where taken.
    verdicts : Verdicts
        The post's notes this cycle (an early consent is noted in them).
    why_not : callable
        Why an operator's request cannot be carried out.

    Returns
    -------
    Assignment
        The chosen pairs and what becomes of each standing order.
    """
    m, pk = pairs.matrix, pairs.matrix.pk
    targets = [v.ids[s] for s in v.sel.tolist()]
    cycle_s = c2.decision_period_s
    out = Assignment()
    chosen = out.chosen

    def pair(battery_id: str, track_id: str) -> tuple[int, int]:
        i = next((i for i, b in enumerate(batteries) if b.id == battery_id), -1)
        j = next((j for j, tid in enumerate(targets) if tid == track_id), -1)
        return i, j

    for d in due:
        i, j = pair(d.battery_id, d.track_id)
        if i >= 0 and j >= 0 and m.now_ok[i, j]:
            chosen.append((i, j, False))
        elif i >= 0 and j >= 0 and m.later_ok[i, j]:
            # consented early (or the window moved): launch when the window opens
            out.regranted.append(d)
            pk[i] = 0.0
            pk[:, j] = 0.0
            verdicts.set(
                d.track_id,
                Verdict(
                    "no_window_yet",
                    d.battery_id,
                    text="consent granted: launch when the window opens",
                ),
            )
        elif d.track_id not in held_now and t - d.answered_s <= RETRY_CYCLES * cycle_s:
            # the track is missing from this picture only (a remote track between
            # two reports): the consent stands for the next cycle
            out.regranted.append(d)
        else:
            out.dropped.append(d)
    for o in arrived:
        i, j = pair(o.battery_id, o.track_id)
        if i >= 0 and j >= 0 and m.now_ok[i, j] and not any(c[0] == i for c in chosen):
            chosen.append((i, j, False))
        elif i >= 0 and j >= 0 and pairs.withheld[i, j]:
            out.refused_orders.append((o, DELEGATED))
        elif o.track_id not in held_now and t - o.time_s <= (RETRY_CYCLES + 1) * cycle_s:
            out.deferred.append(o)  # as above: carried out at the next cycle
        else:
            out.refused_orders.append((o, TOO_LATE))
    for r in requests:
        i, j = pair(r.battery_id, r.track_id)
        if i < 0 or j < 0 or not m.now_ok[i, j]:
            out.rejected.append((r, why_not(r)))
        elif any(c[0] == i for c in chosen):
            out.rejected.append((r, "battery already ordered this cycle"))
        else:
            chosen.append((i, j, False))
    for i, j, _ in chosen:
        pk[i] = 0.0
        pk[:, j] = 0.0
    ready = (pk > 0.0).any(axis=1)
    if ready.any():
        result = solve_wta(
            v.value,
            pk,
            ready.astype(np.int64),
            method=c2.wta_method,
            time_limit_s=c2.wta_time_limit_s,
        )
        chosen += [
            (i, j, True) for i, j in worth_it(result.assignment, v.at_stake, pk, c2.min_value_saved)
        ]
    return out


__all__ = ["RETRY_CYCLES", "TOO_LATE", "Assignment", "assign"]
