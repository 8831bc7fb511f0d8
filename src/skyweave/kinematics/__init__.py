"""Kinematics stage of the kill chain: ground truth of every threat's flight.

Public API
----------
- :func:`minimum_energy`, :func:`fixed_gamma` (closed form, BMW 1971 sec. 6.2)
- :class:`BallisticBatch`, :class:`BallisticOptions`, :class:`BallisticResult`,
  :func:`propagate_ballistic` (boost, free flight, re-entry, targeting)
- :class:`WaypointBatch`, :class:`WaypointResult`, :func:`propagate_waypoints`
  (cruise missiles, aircraft)
- :class:`Truth` (the contract later stages read)
"""

from skyweave.kinematics.airbreathing import (
    WaypointBatch,
    WaypointResult,
    pad_waypoints,
    propagate_waypoints,
)
from skyweave.kinematics.ballistic import (
    BallisticBatch,
    BallisticOptions,
    BallisticResult,
    propagate_ballistic,
)
from skyweave.kinematics.closed_form import BallisticShot, fixed_gamma, minimum_energy
from skyweave.kinematics.truth import Truth

__all__ = [
    "BallisticBatch",
    "BallisticOptions",
    "BallisticResult",
    "BallisticShot",
    "Truth",
    "WaypointBatch",
    "WaypointResult",
    "fixed_gamma",
    "minimum_energy",
    "pad_waypoints",
    "propagate_ballistic",
    "propagate_waypoints",
]
