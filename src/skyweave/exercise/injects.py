"""White-cell injects and their expected responses, assessed from the command log.

An inject may carry an ``expected_response``. Written as ``"SEAT KIND within N s"``
(``"east message within 60 s"``, ``"north hold_fire within 30 s"``) it is assessed
from the log: **met** when that seat gave an order of that kind within N seconds
of the inject, **late** when it came after, **not met** when the window closed
with none (or the exercise ended), **waiting** while the window is open. Any
other text is kept and shown as **for the white cell to judge**.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from skyweave.engine.commands import Command

#: an assessable expected response: seat, order kind, window in seconds
EXPECTED = re.compile(
    r"^\s*(?P<seat>[\w-]+)\s+(?P<kind>[\w-]+)\s+within\s+(?P<s>\d+(\.\d*)?)\s*s\s*$"
)


def inject_label(body: dict[str, Any]) -> str:
    """A short name for an inject: ``launch wc-1`` or ``link_cut north-east``."""
    if "threat" in body:
        return f"launch {body['threat'].get('id', '?')}"
    inject = body.get("inject", {})
    target = inject.get("target")
    return f"{inject.get('kind', '?')}{' ' + target if target else ''}"


def assess(
    inject_s: float, expected: str, orders: Sequence[Command], now_s: float, final: bool = False
) -> tuple[str, float | None]:
    """``(status, response time)`` of one expected response at ``now_s`` (see the module
    docstring); ``final``: the exercise is over, so an open window is not met."""
    m = EXPECTED.match(expected)
    if m is None:
        return "for the white cell to judge", None
    seat, kind, window_s = m["seat"], m["kind"], float(m["s"])
    answers = [
        c.time_s for c in orders if (c.seat, c.kind) == (seat, kind) and c.time_s >= inject_s
    ]
    if answers:
        first = min(answers)
        return ("met" if first <= inject_s + window_s else "late"), first
    if now_s > inject_s + window_s or final:
        return "not met", None
    return "waiting", None


def inject_rows(
    applied: Iterable[Command],
    scheduled: Iterable[Command],
    now_s: float,
    final: bool = False,
) -> list[dict[str, Any]]:
    """Every white-cell inject (applied, then still scheduled) with its expected response
    and that response's assessment, oldest first."""
    applied = list(applied)
    orders = [c for c in applied if c.seat != "white"]
    rows = []
    for c in applied:
        if c.kind != "inject" or c.seat != "white":
            continue
        expected = c.body.get("expected_response")
        status, response_s = (None, None)
        if expected:
            status, response_s = assess(c.time_s, expected, orders, now_s, final)
        rows.append(
            {
                "time_s": c.time_s,
                "what": inject_label(c.body),
                "note": c.body.get("note") or c.body.get("inject", {}).get("text") or "",
                "expected_response": expected,
                "status": status,
                "response_s": response_s,
                "scheduled": False,
            }
        )
    for c in scheduled:
        rows.append(
            {
                "time_s": c.time_s,
                "what": inject_label(c.body),
                "note": c.body.get("note") or "",
                "expected_response": c.body.get("expected_response"),
                "status": "scheduled",
                "response_s": None,
                "scheduled": True,
            }
        )
    return rows


__all__ = ["EXPECTED", "assess", "inject_label", "inject_rows"]
