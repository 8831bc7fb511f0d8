"""The coalition cell's side of the links: other partners' battery status, its orders.

In integrated mode the cell commands another partner's battery only over the
links (:mod:`skyweave.c2.coalition_status`): from that partner's released
``battery_status`` (fresh: no older than the battery's fallback wait) and by
``engagement_orders`` that cross the link and are carried out at the battery's
partner at the first decision time after they arrive. An order the cell has not
heard of (carried out or refused) for :data:`ORDER_TIMEOUT_S` is given up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from skyweave.c2.coalition_status import ORDER_TIMEOUT_S, BatteryReport, EngagementOrder
from skyweave.c2.decision_log import Reason


class CellOrders:
    """Battery status as each post received it, and the cell's orders in and out."""

    def __init__(
        self,
        integrated: bool,
        cell: str,
        commanded: frozenset[str],
        stale_s: Mapping[str, float],
        partners: Iterable[str],
    ) -> None:
        self.integrated = integrated
        self.cell = cell
        self.commanded = commanded  # batteries the cell commands over the links now
        self.stale_s = stale_s  # per battery: status older than this is stale
        #: other partners' battery status as each post last received it (by report time)
        self.batteries_told: dict[str, dict[str, BatteryReport]] = {p: {} for p in partners}
        self.out: list[EngagementOrder] = []  # to send this cycle
        #: battery -> (time, track) of the cell's order sent, not heard of yet
        self.pending: dict[str, tuple[float, str]] = {}
        self._in: list[tuple[EngagementOrder, float]] = []  # arrived, with arrival

    def battery_arrived(self, receiver: str, report: BatteryReport) -> None:
        """A battery's status reached ``receiver``'s post (the latest sent is kept)."""
        told = self.batteries_told[receiver]
        old = told.get(report.battery_id)
        if old is None or old.time_s <= report.time_s:
            told[report.battery_id] = report

    def order_arrived(self, receiver: str, order: EngagementOrder, arrival_s: float) -> None:
        """The cell's order reached a partner's post (only the battery's own acts on it)."""
        if receiver == order.partner:
            self._in.append((order, arrival_s))

    def take(self) -> list[EngagementOrder]:
        """The orders given since the last call."""
        out, self.out = self.out, []
        return out

    def send(self, order: EngagementOrder) -> None:
        """The cell orders another partner's battery: the order crosses the link."""
        self.out.append(order)
        self.pending[order.battery_id] = (order.time_s, order.track_id)

    def arrived(self, post: str, t: float) -> list[EngagementOrder]:
        """``post``'s orders that arrived by ``t`` (heard of: no longer pending); orders
        unheard of for :data:`ORDER_TIMEOUT_S` are given up."""
        self.pending = {b: o for b, o in self.pending.items() if t - o[0] < ORDER_TIMEOUT_S}
        got = [o for o, at in self._in if at <= t and o.cell == post]
        self._in = [(o, at) for o, at in self._in if o not in got]
        for o in got:
            self.pending.pop(o.battery_id, None)
        return got

    def defer(self, order: EngagementOrder, t: float) -> None:
        """An arrived order waits for the next decision time (its track is missing from
        the cell's picture at this one)."""
        self._in.append((order, t))
        self.pending.setdefault(order.battery_id, (order.time_s, order.track_id))

    def _remote(self, post: str, battery_id: str) -> bool:
        return self.integrated and post == self.cell and battery_id in self.commanded

    def told(self, post: str, battery_id: str) -> BatteryReport | None:
        """What the cell knows of another partner's battery it commands over the links
        (None for a battery ``post`` knows first-hand)."""
        if not self._remote(post, battery_id):
            return None
        return self.batteries_told[self.cell].get(battery_id)

    def can_task(self, post: str, battery_id: str, t: float) -> bool:
        """Whether ``post`` may task the battery now: always its own partner's; another
        partner's (integrated mode) only when a fresh status report says it is ready and
        no order of the cell's to it is still unheard of."""
        if not self._remote(post, battery_id):
            return True
        sent_s, _ = self.pending.get(battery_id, (-math.inf, ""))
        if t - sent_s < ORDER_TIMEOUT_S:
            return False
        told = self.batteries_told[self.cell].get(battery_id)
        return (
            told is not None
            and t - told.time_s <= self.stale_s[battery_id]
            and told.ready
            and told.inventory > 0
        )

    def why_not(self, battery_id: str, t: float) -> Reason:
        """Why the cell cannot task a battery :meth:`can_task` refuses, in the decision
        log's words."""
        if battery_id in self.pending:
            return "battery_busy"
        told = self.batteries_told[self.cell].get(battery_id)
        if told is None or t - told.time_s > self.stale_s[battery_id]:
            return "battery_status_unknown"
        return "inventory_exhausted" if told.inventory <= 0 else "battery_busy"


__all__ = ["ORDER_TIMEOUT_S", "CellOrders"]
