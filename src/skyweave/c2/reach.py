"""Cheap geometry of one decision cycle, and the decision log's notes that follow from it.

Which picture tracks could a battery reach at all (a box around its envelope
against the predicted trajectory), how near each passes, which tracks are twins
of one object, and the per-pair matrices the assignment works on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from skyweave.c2.decision_log import (
    NO_VERDICT,
    PlainVerdicts,
    Reason,
    Verdict,
    Verdicts,
    reason_rank,
)
from skyweave.c2.reach_kernel import reach_box
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.scenario.schema import Battery
from skyweave.tracking.fusion import FusedPicture

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: tracks closer than this (plus 3 position sigmas each) are taken for one object
TWIN_GATE_M = 2_000.0
#: margin of the reach box (the Earth's oblateness, an envelope's corners)
REACH_MARGIN_M = 25_000.0


def reach_matrix(
    positions_m: FloatArray, batteries: Sequence[Battery], battery_ecef: Mapping[str, FloatArray]
) -> tuple[BoolArray, FloatArray]:
    """(B, K) some predicted position lies in a box around the battery's envelope, and
    (B, K) the nearest slant distance of the prediction to the battery (m; inf if none).

    The box is a necessary condition for a feasible intercept (slant distance within
    the maximum range plus altitude, altitude below the ceiling plus a margin).
    ``positions_m``: (K, T, 3) predicted positions, NaN after the ground.
    """
    k = positions_m.shape[0]
    nb = len(batteries)
    if nb == 0 or positions_m.shape[1] == 0:
        return np.zeros((nb, k), dtype=bool), np.full((nb, k), np.inf)
    altitude = np.linalg.norm(positions_m, axis=-1) - R_EARTH_MEAN_M
    # Coordinates apart, contiguous: the distance is np.linalg.norm's own arithmetic
    # (squares summed in axis order), every battery in one compiled pass.
    px, py, pz = (np.ascontiguousarray(positions_m[..., c]) for c in range(3))
    e = np.array([battery_ecef[b.id] for b in batteries], dtype=np.float64).reshape(nb, 3)
    box = np.array(
        [math.hypot(b.max_range_km, b.max_alt_km) * 1e3 + REACH_MARGIN_M for b in batteries]
    )
    ceiling = np.array([b.max_alt_km * 1e3 + REACH_MARGIN_M for b in batteries])
    return reach_box(px, py, pz, np.ascontiguousarray(altitude), e, box, ceiling)


def note_reach(
    batteries: Sequence[Battery],
    excluded: Mapping[str, Reason],
    reach: BoolArray,
    nearest_m: FloatArray,
    ids: Sequence[str],
    verdicts: Verdicts,
) -> None:
    """Decision-log notes from the reach box: a battery that reaches a track but cannot
    be tasked says why; a track no battery reaches (and the log shows:
    ``verdicts.shown``) is out of reach of the nearest."""
    out = [i for i, b in enumerate(batteries) if b.id in excluded]
    if out:
        # every untaskable battery's reached tracks at once, as noted row by row
        why = np.array([reason_rank(excluded[batteries[i].id]) for i in out])
        verdicts.note_block(
            PlainVerdicts(
                [batteries[i].id for i in out],
                ids,
                np.where(reach[out], why[:, None], NO_VERDICT),
            )
        )
    if not len(batteries):
        return
    row_of = {b.id: i for i, b in enumerate(batteries)}
    col_of: dict[str, int] = {}  # built on the first question (few cycles ask any)

    def far_pair(battery_id: str, track_id: str) -> tuple[float, float] | None:
        if not col_of:
            col_of.update((tid, k) for k, tid in enumerate(ids))
        i, k = row_of.get(battery_id), col_of.get(track_id)
        if i is None or k is None or reach[i, k]:
            return None
        return float(nearest_m[i, k]) / 1e3, batteries[i].max_range_km

    verdicts.set_far(far_pair)
    far = np.flatnonzero(~reach.any(axis=0))
    shown = verdicts.shown
    if shown is not None and far.size:
        # a far track off the board would show in no row (never valued, and any
        # verdict that would show it ranks above this one)
        far = far[[ids[k] in shown for k in far.tolist()]]
    if not far.size:
        return
    # the nearest battery of each far track and its distance, as Python numbers at once
    nearest = np.argmin(nearest_m[:, far], axis=0)
    nearest_of = nearest.tolist()
    dist_of = nearest_m[nearest, far].tolist()
    for k, i, dist_m in zip(far.tolist(), nearest_of, dist_of, strict=True):
        verdicts.note(
            ids[k],
            Verdict(
                "no_battery_in_reach",
                batteries[i].id,
                nearest_km=dist_m / 1e3,
                max_range_km=batteries[i].max_range_km,
            ),
        )


def note_unvalued(
    ids: Sequence[str],
    keep: BoolArray,
    dead: BoolArray,
    value_any: FloatArray,
    engaged: BoolArray,
    verdicts: Verdicts,
) -> None:
    """Decision-log notes after threat evaluation: tracks worth nothing to the post say
    why (killed, threatening only assets it may not defend, or none); valued tracks
    already engaged say so."""
    # (verdicts are values: one of each serves every track)
    said = {r: Verdict(r) for r in ("engaged", "killed", "not_defended", "no_asset_threatened")}
    for k, tid in enumerate(ids):
        if keep[k]:
            if engaged[k]:
                verdicts.note(tid, said["engaged"])
        elif dead[k]:
            verdicts.note(tid, said["killed"])
        elif value_any[k] > 0.0:
            verdicts.note(tid, said["not_defended"])
        else:
            verdicts.note(tid, said["no_asset_threatened"])


def twins(
    picture: FusedPicture,
    track_ids: Sequence[str],
    rows: IntArray,
    open_: Mapping[str, list[tuple[float, float]]],
    known: Mapping[str, float],
    t: float,
) -> list[tuple[bool, list[tuple[float, float]]]]:
    """Per picture row: known killed, and the open engagements, its own or a twin's.

    A twin is another picture track within :data:`TWIN_GATE_M` plus three
    position sigmas of both.
    """
    # (the tracks engaged or known killed, as a set: one lookup per picture track)
    engaged_or_dead = {*open_, *(tid for tid, s in known.items() if s <= t)}
    marked = [k for k, tid in enumerate(track_ids) if tid in engaged_or_dead]
    maybe = _maybe_twins(picture, rows, marked)
    out = []
    for i, r in enumerate(rows.tolist()):
        killed = known.get(track_ids[r], math.inf) <= t
        opened = list(open_.get(track_ids[r], ()))
        for k in maybe[i]:
            if k == r:
                continue
            gap = float(np.linalg.norm(picture.state[r, :3] - picture.state[k, :3]))
            gate = TWIN_GATE_M + 3.0 * (picture.pos_sigma_m[r] + picture.pos_sigma_m[k])
            if gap <= gate:
                killed |= known.get(track_ids[k], math.inf) <= t
                opened += open_.get(track_ids[k], [])
        out.append((killed, opened))
    return out


def _maybe_twins(picture: FusedPicture, rows: IntArray, marked: list[int]) -> list[list[int]]:
    """Per row, the marked tracks (in order) that may lie within the twin gate.

    A sure miss is skipped: one coordinate apart by more than the gate (with a
    margin far above the distance's rounding) puts the distance beyond it. The
    others are tested exactly as before, one by one.
    """
    if not marked or rows.size == 0:
        return [[] for _ in range(rows.size)]
    mk = np.array(marked)
    pos, sigma = picture.state[:, :3], picture.pos_sigma_m
    apart = np.abs(pos[rows][:, None, :] - pos[mk][None, :, :]).max(axis=-1)
    gate = TWIN_GATE_M + 3.0 * (sigma[rows][:, None] + sigma[mk][None, :])
    maybe = ~(apart > gate * (1.0 + 1e-9))  # NaN: maybe
    return [mk[m].tolist() for m in maybe]


__all__ = [
    "REACH_MARGIN_M",
    "TWIN_GATE_M",
    "note_reach",
    "note_unvalued",
    "reach_matrix",
    "twins",
]
