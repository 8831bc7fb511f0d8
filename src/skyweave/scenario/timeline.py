"""The white-cell timeline as time windows: when something is failed, cut or silent."""

from __future__ import annotations

import math

from skyweave.scenario.schema import Scenario


def inject_windows(scenario: Scenario, target: str, off: str, on: str) -> list[tuple[float, float]]:
    """``[off, on)`` windows of one target from the inject timeline (file order on ties).

    An ``off`` inject never followed by ``on`` gives a window that ends at infinity.
    """
    windows: list[tuple[float, float]] = []
    off_at: float | None = None
    for inject in sorted(scenario.injects, key=lambda i: i.time_s):
        if inject.target != target:
            continue
        if inject.kind == off and off_at is None:
            off_at = inject.time_s
        elif inject.kind == on and off_at is not None:
            windows.append((off_at, inject.time_s))
            off_at = None
    if off_at is not None:
        windows.append((off_at, math.inf))
    return windows
