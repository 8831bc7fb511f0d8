"""Each partner's fused picture from its own tracks and the tracks others released to it.

Releases go through the link boundary as one message per track per report time
(:func:`track_messages`); what arrives (degraded, late, possibly out of order,
possibly lost) is fused with the partner's own tracks by covariance intersection
(:func:`remote_tracks` into a :class:`~skyweave.tracking.fusion.PartnerPicture`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from skyweave.network import Deliveries, Messages
from skyweave.tracking.fusion import FusedPicture, RemoteTracks
from skyweave.tracking.partner_picture import TRACKS_SCHEMA
from skyweave.tracking.tracker import TrackBatch

PICTURE_SCHEMA = TRACKS_SCHEMA.append(pa.field("contributors", pa.list_(pa.string())))
"""``picture.parquet``: ``tracks.parquet``'s columns, ``track_id`` holding the picture
number, plus the ``origin:track_id`` pairs fused into each row."""


def track_messages(origin: str, report_s: float, batch: TrackBatch) -> Messages:
    """One ``tracks`` message per confirmed track of ``batch``, sent at ``report_s``,
    keyed by track number (one persistent degradation offset per track)."""
    return Messages.build(
        np.full(len(batch), float(report_s)),
        origin,
        "tracks",
        xyz_m=batch.state[:, :3],
        object_key=batch.track_id,
    )


def remote_tracks(origin: str, rows: Deliveries, batch: TrackBatch) -> RemoteTracks:
    """What a receiver fuses of ``origin``'s released ``batch``: the delivered rows,
    their degraded positions, and covariances inflated by the degradation."""
    k = rows.payload_row
    state = batch.state[k].copy()
    state[:, :3] = rows.xyz_m()  # what the link delivered, degraded
    cov = batch.covariance[k].copy()
    for axis in range(3):
        cov[:, axis, axis] += rows.added_position_var_m2
    src = batch.sources
    sensor_ids = tuple(sorted(frozenset().union(*(src[i] for i in k))))
    mask = np.array([[s in src[i] for s in sensor_ids] for i in k], dtype=bool).reshape(
        len(k), len(sensor_ids)
    )
    return RemoteTracks(
        origin, np.full(len(k), batch.time_s), batch.track_id[k], state, cov, mask, sensor_ids
    )


def picture_table(fused: FusedPicture, partner: str) -> pa.Table:
    """``picture.parquet`` rows of one partner's fused picture at one time."""
    cols = fused.rows(partner, contributors=True)
    return pa.table(
        {
            f.name: pa.array(
                [list(v) for v in cols[f.name]]  # type: ignore[attr-defined]
                if pa.types.is_list(f.type)
                else cols[f.name],
                f.type,
            )
            for f in PICTURE_SCHEMA
        },
        schema=PICTURE_SCHEMA,
    )
