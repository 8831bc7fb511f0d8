"""Tracking stage of the kill chain: one multi-target tracker per partner.

Public API: :class:`RadarScan` (input), :class:`Tracker` and
:class:`TrackerConfig`, :class:`TrackBatch` (output), motion models
:class:`ConstantVelocity`, :class:`Ballistic` and :class:`Imm`, and
:func:`scans_from_detections`, which groups the sensors stage's detections
into ECEF scans.
"""

from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm
from skyweave.tracking.scan import RadarScan, enu_to_ecef_from_position, scans_from_detections
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig

__all__ = [
    "Ballistic",
    "ConstantVelocity",
    "Imm",
    "RadarScan",
    "TrackBatch",
    "Tracker",
    "TrackerConfig",
    "enu_to_ecef_from_position",
    "scans_from_detections",
]
