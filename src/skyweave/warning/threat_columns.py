"""A threat board's threats as columns: what matching and ending them test, one array each.

The board keeps its :class:`~skyweave.warning.threat_model.Threat` objects (what
engine, C2, consoles and analysis read); :class:`ThreatColumns` holds, by threat
number, the few numbers that the board tests against every open threat (launch
point and time, predicted impact time, first sight, open and class), so that
matching a launch, a salvo member or an impact, and finding the threats whose
end has come, are array expressions instead of a loop over threat objects. A
threat writes its columns itself whenever one of these fields is set
(:data:`COLUMN_FIELDS`), so the columns are what the objects hold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from skyweave.warning.threat_model import Threat

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

#: the :class:`Threat` fields the columns follow
COLUMN_FIELDS = frozenset(
    {
        "threat_class",
        "first_seen_s",
        "launch_lat_deg",
        "launch_lon_deg",
        "launch_time_s",
        "impact",
        "ended_s",
    }
)


class ThreatColumns:
    """Per threat number ``n`` (row ``n - 1``) of one board: launch point and time,
    predicted impact (whether one is held, whether it is the partner's own, and its
    time), first sight, and whether the threat is open and ballistic or open and
    air-breathing.

    Rows ``[0, size)`` are the board's threats in order of first sight (the order of
    its open-threat dict), so positions from these arrays are in board order.
    """

    def __init__(self) -> None:
        self.size = 0
        #: counts the updates (what was read from the columns holds while it stays)
        self.version = 0
        self.launch_lat_deg = np.zeros(0)
        self.launch_lon_deg = np.zeros(0)
        self.launch_time_s = np.zeros(0)
        self.impact_time_s = np.zeros(0)
        self.first_seen_s = np.zeros(0)
        self.has_impact = np.zeros(0, dtype=bool)
        self.own_impact = np.zeros(0, dtype=bool)
        self.open_ballistic = np.zeros(0, dtype=bool)
        self.open_air = np.zeros(0, dtype=bool)

    def add(self, t: Threat) -> None:
        """Take the board's next threat (number ``size + 1``); it keeps its row current."""
        if t.number != self.size + 1:
            raise ValueError(f"ThreatColumns.add: threat {t.number}, expected {self.size + 1}")
        if self.size == len(self.has_impact):
            self._grow(max(64, 2 * self.size))
        self.size += 1
        t.columns = self
        for name in COLUMN_FIELDS:
            self.update(t, name, getattr(t, name))

    def update(self, t: Threat, name: str, value: Any) -> None:
        """Threat ``t``'s field ``name`` (one of :data:`COLUMN_FIELDS`) is now ``value``."""
        self.version += 1
        k = t.number - 1
        if name == "impact":
            self.has_impact[k] = value is not None
            self.own_impact[k] = value is not None and value.source == "own"
            self.impact_time_s[k] = value.time_s if value is not None else np.nan
        elif name in ("ended_s", "threat_class"):
            is_open = not math.isfinite(t.ended_s)
            ballistic = t.threat_class == "ballistic"
            self.open_ballistic[k] = is_open and ballistic
            self.open_air[k] = is_open and not ballistic
        else:
            getattr(self, name)[k] = value

    def open_ballistic_rows(self) -> IntArray:
        """Rows of the open ballistic threats, in board order."""
        return np.flatnonzero(self.open_ballistic[: self.size])

    def _grow(self, rows: int) -> None:
        for name, fill in (
            ("launch_lat_deg", np.nan),
            ("launch_lon_deg", np.nan),
            ("launch_time_s", np.nan),
            ("impact_time_s", np.nan),
            ("first_seen_s", np.nan),
            ("has_impact", False),
            ("own_impact", False),
            ("open_ballistic", False),
            ("open_air", False),
        ):
            old = getattr(self, name)
            new = np.full(rows, fill, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)


__all__ = ["COLUMN_FIELDS", "ThreatColumns"]
