"""The link boundary: the one place where one partner's data reaches another.

Only what the scenario's releasability policy releases crosses, and only over a
link that joins the two partners, after the link latency plus the rule's added
delay, and never while the link is cut. (Jitter, loss, bandwidth and degraded
accuracy are the coalition issue's work; this boundary is where they will go.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from skyweave.scenario.schema import Link, Scenario
from skyweave.warning.alerts import Alerts


def _link_between(scenario: Scenario, a: str, b: str) -> Link | None:
    for link in scenario.links:
        if set(link.between) == {a, b}:
            return link
    return None


def _link_up(link: Link, scenario: Scenario, time_s: np.ndarray) -> np.ndarray:
    """True where the link carries traffic: not in an outage nor between a cut and a restore."""
    up = np.ones(time_s.shape, dtype=bool)
    windows = [(w.start_s, w.end_s) for w in link.outages]
    cut_at: float | None = None
    for inject in sorted(scenario.injects, key=lambda i: i.time_s):
        if inject.target != link.id:
            continue
        if inject.kind == "link_cut" and cut_at is None:
            cut_at = inject.time_s
        elif inject.kind == "link_restore" and cut_at is not None:
            windows.append((cut_at, inject.time_s))
            cut_at = None
    if cut_at is not None:
        windows.append((cut_at, np.inf))
    for start_s, end_s in windows:
        up &= ~((time_s >= start_s) & (time_s < end_s))
    return up


def release_alerts(
    scenario: Scenario, own_alerts: Mapping[str, Alerts]
) -> dict[str, list[tuple[str, Alerts]]]:
    """Alerts each partner receives from the others, as ``{receiver: [(origin, alerts)]}``.

    In ``independent`` mode nothing is shared. Otherwise each ``launch_alerts``
    rule of the policy releases its origin's own alerts to the listed partners.
    """
    received: dict[str, list[tuple[str, Alerts]]] = {p.id: [] for p in scenario.partners}
    if scenario.coordination_mode == "independent":
        return received
    for rule in scenario.policy:
        if rule.data_class != "launch_alerts":
            continue
        alerts = own_alerts.get(rule.from_partner)
        if alerts is None or not len(alerts):
            continue
        for receiver in rule.to:
            link = _link_between(scenario, rule.from_partner, receiver)
            if link is None:
                continue
            sent_ok = _link_up(link, scenario, alerts.time_s)
            shipped = alerts.take(sent_ok)
            delivered = replace(
                shipped,
                time_s=shipped.time_s + link.latency_s + rule.delay_s,
                partner=np.full(len(shipped), receiver, dtype=object),
            )
            received[receiver].append((rule.from_partner, delivered))
    return received
