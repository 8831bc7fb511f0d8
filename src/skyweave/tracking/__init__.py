"""Tracking stage of the kill chain: one multi-target tracker per partner.

Public API: :class:`RadarScan` (input), :class:`Tracker` and
:class:`TrackerConfig`, :class:`TrackBatch` (output), motion models
:class:`ConstantVelocity`, :class:`Ballistic` and :class:`Imm`.
"""

from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm
from skyweave.tracking.scan import RadarScan
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig

__all__ = [
    "Ballistic",
    "ConstantVelocity",
    "Imm",
    "RadarScan",
    "TrackBatch",
    "Tracker",
    "TrackerConfig",
]
