"""Interceptor flyouts as truth objects, and kills applied to the truth.

An interceptor is an abstract flyout: a straight line from the battery to the
predicted intercept point at constant (average) speed, in flight from launch
until the engagement ends (the intercept, or an abort). Every shot of an
engagement is one truth object of kind ``"interceptor"`` (a salvo's shots fly
the same line). Interceptors get no burnout time (NaN): the coalition's own
space-based infrared is not modelled as alerting on its own interceptors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.engagement.model import Engagement
from skyweave.kinematics.truth import Truth

FloatArray = NDArray[np.float64]

INTERCEPTOR_KIND = "interceptor"
INTERCEPTOR_RCS_CLASS = "small"


def flyout_states(
    times_s: ArrayLike,
    launch_time_s: ArrayLike,
    intercept_time_s: ArrayLike,
    end_time_s: ArrayLike,
    launch_ecef_m: ArrayLike,
    intercept_ecef_m: ArrayLike,
) -> FloatArray:
    """ECEF states (T, E, 6) of E straight-line flyouts on a time grid.

    Parameters
    ----------
    times_s : (T,)
    launch_time_s, intercept_time_s, end_time_s : (E,)
        Launch, planned intercept, and end of flight (``<=`` intercept for an
        abort).
    launch_ecef_m, intercept_ecef_m : (E, 3)

    Returns
    -------
    (T, E, 6) float64
        Position ``launch + (t - t_L) / (t_I - t_L) * (intercept - launch)`` and
        the constant velocity, for ``t_L <= t <= end``; NaN elsewhere.
    """
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    t_l = np.asarray(launch_time_s, dtype=np.float64).reshape(-1)
    t_i = np.asarray(intercept_time_s, dtype=np.float64).reshape(-1)
    t_e = np.asarray(end_time_s, dtype=np.float64).reshape(-1)
    p_l = np.asarray(launch_ecef_m, dtype=np.float64).reshape(-1, 3)
    p_i = np.asarray(intercept_ecef_m, dtype=np.float64).reshape(-1, 3)
    if np.any(t_i <= t_l):
        raise ValueError("intercept_time_s must be after launch_time_s")
    vel = (p_i - p_l) / (t_i - t_l)[:, None]  # (E, 3)
    dt = t[:, None] - t_l[None, :]  # (T, E)
    pos = p_l[None, :, :] + dt[..., None] * vel[None, :, :]
    flying = (dt >= 0.0) & (t[:, None] <= t_e[None, :])
    states = np.concatenate([pos, np.broadcast_to(vel, pos.shape)], axis=-1)
    return np.where(flying[..., None], states, np.nan)


def interceptor_object_id(engagement: Engagement, shot: int) -> str:
    """Truth id of one shot: ``<battery>/e<engagement id>/<shot number from 1>``."""
    return f"{engagement.battery_id}/e{engagement.engagement_id}/{shot + 1}"


def shot_rows(engagements: Sequence[Engagement]) -> list[tuple[Engagement, int]]:
    """``(engagement, shot number from 0)`` for every interceptor, in engagement id order."""
    return [
        (e, k) for e in sorted(engagements, key=lambda e: e.engagement_id) for k in range(e.shots)
    ]


def interceptor_truth(times_s: ArrayLike, engagements: Sequence[Engagement]) -> Truth:
    """Truth objects (kind ``"interceptor"``), one per shot, on the run's time grid."""
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    rows = shot_rows(engagements)
    if not rows:
        return Truth(t, (), (), np.zeros((t.size, 0, 6)), np.zeros(0), ())
    states = flyout_states(
        t,
        [e.time_s for e, _ in rows],
        [e.intercept_time_s for e, _ in rows],
        [e.end_time_s for e, _ in rows],
        [e.launch_ecef_m for e, _ in rows],
        [e.intercept_ecef_m for e, _ in rows],
    )
    n = len(rows)
    return Truth(
        times_s=t,
        object_ids=tuple(interceptor_object_id(e, k) for e, k in rows),
        kinds=(INTERCEPTOR_KIND,) * n,
        states=states,
        burnout_time_s=np.full(n, np.nan),
        rcs_class=(INTERCEPTOR_RCS_CLASS,) * n,
    )


def merge_truth(truth: Truth, extra: Truth) -> Truth:
    """Objects of both (same time grid), ``truth``'s first."""
    if truth.times_s.shape != extra.times_s.shape or not np.array_equal(
        truth.times_s, extra.times_s
    ):
        raise ValueError("merge_truth: the time grids differ")
    clash = set(truth.object_ids) & set(extra.object_ids)
    if clash:
        raise ValueError(f"merge_truth: duplicate object ids {sorted(clash)[:3]}")
    return Truth(
        times_s=truth.times_s,
        object_ids=truth.object_ids + extra.object_ids,
        kinds=truth.kinds + extra.kinds,
        states=np.concatenate([truth.states, extra.states], axis=1),
        burnout_time_s=np.concatenate([truth.burnout_time_s, extra.burnout_time_s]),
        rcs_class=truth.rcs_class + extra.rcs_class,
    )


def killed_and_merged(truth: Truth, killed_at_s: Mapping[str, float], extra: Truth) -> Truth:
    """``merge_truth(apply_kills(truth, killed_at_s), extra)`` with one copy of the
    states instead of two: the large raid's truth is some 90 MB a copy."""
    merged = merge_truth(truth, extra)
    if killed_at_s:
        merged.states[:, : len(truth.object_ids)][_after_kill(truth, killed_at_s)] = np.nan
    return merged


def apply_kills(truth: Truth, killed_at_s: Mapping[str, float]) -> Truth:
    """The truth with each killed object out of flight (NaN) after its kill time.

    The sample at the kill time itself is kept (the object is there when hit).
    Unknown ids are ignored.
    """
    if not killed_at_s:
        return truth
    gone = _after_kill(truth, killed_at_s)
    return Truth(
        times_s=truth.times_s,
        object_ids=truth.object_ids,
        kinds=truth.kinds,
        states=np.where(gone[..., None], np.nan, truth.states),
        burnout_time_s=truth.burnout_time_s,
        rcs_class=truth.rcs_class,
    )


def _after_kill(truth: Truth, killed_at_s: Mapping[str, float]) -> NDArray[np.bool_]:
    """(T, N): the samples after each object's kill time (none for an unknown id)."""
    kill = np.array([killed_at_s.get(o, np.inf) for o in truth.object_ids], dtype=np.float64)
    return np.asarray(truth.times_s[:, None] > kill[None, :])


__all__ = [
    "INTERCEPTOR_KIND",
    "apply_kills",
    "flyout_states",
    "interceptor_object_id",
    "interceptor_truth",
    "killed_and_merged",
    "merge_truth",
    "shot_rows",
]
