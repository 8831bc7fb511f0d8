"""Each partner's fused picture from its own tracks and the tracks others released to it.

Releases go through the link boundary as one message per track per report time;
what arrives (degraded, late, possibly out of order, possibly lost) is fused with
the partner's own tracks by covariance intersection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from skyweave.network import Deliveries, LinkBoundary, Messages
from skyweave.tracking.fusion import FusedPicture, PartnerPicture, RemoteTracks
from skyweave.tracking.partner_picture import TRACKS_SCHEMA
from skyweave.tracking.tracker import TrackBatch

Snapshots = Sequence[tuple[float, TrackBatch]]

PICTURE_SCHEMA = TRACKS_SCHEMA.append(pa.field("contributors", pa.list_(pa.string())))
"""``picture.parquet``: ``tracks.parquet``'s columns, ``track_id`` holding the picture
number, plus the ``origin:track_id`` pairs fused into each row."""


def _flatten(
    snapshots: Snapshots,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[frozenset[str]]]:
    """All track rows of a partner's snapshots: times, states, covariances, sources."""
    times, states, covs = [], [], []
    sources: list[frozenset[str]] = []
    for _, batch in snapshots:
        if not len(batch):
            continue
        times.append(np.full(len(batch), batch.time_s))
        states.append(batch.state)
        covs.append(batch.covariance)
        sources += [frozenset(s) for s in batch.sources]
    if not times:
        return np.zeros(0), np.zeros((0, 6)), np.zeros((0, 6, 6)), []
    return np.concatenate(times), np.concatenate(states), np.concatenate(covs), sources


def release_tracks(
    boundary: LinkBoundary, own_snapshots: Mapping[str, Snapshots]
) -> tuple[
    Deliveries,
    dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, list[frozenset[str]], np.ndarray]],
]:
    """Offer every partner's reported tracks to the link boundary.

    Returns the deliveries and, per origin, the flattened payload (times of
    validity, states, covariances, sources, track ids) the deliveries index into.
    """
    batches = []
    payloads = {}
    for origin, snapshots in own_snapshots.items():
        t, x, p, src = _flatten(snapshots)
        ids = (
            np.concatenate([b.track_id for _, b in snapshots if len(b)])
            if len(t)
            else np.zeros(0, dtype=np.int64)
        )
        send = (
            np.concatenate([np.full(len(b), report_s) for report_s, b in snapshots if len(b)])
            if len(t)
            else np.zeros(0)
        )
        payloads[origin] = (t, x, p, src, ids)
        if len(t):
            batches.append(Messages.build(send, origin, "tracks", xyz_m=x[:, :3]))
    return boundary.deliver(Messages.concat(batches)), payloads


def fused_pictures(
    partners: Sequence[str],
    own_snapshots: Mapping[str, Snapshots],
    boundary: LinkBoundary,
) -> tuple[pa.Table, dict[str, list[FusedPicture]]]:
    """``picture.parquet``: each partner's fused picture at its report times.

    Also returns the pictures themselves, per partner in time order: what each
    command post decides from.
    """
    deliveries, payloads = release_tracks(boundary, own_snapshots)
    tables = []
    pictures: dict[str, list[FusedPicture]] = {}
    for partner in partners:
        history = pictures.setdefault(partner, [])
        picture = PartnerPicture(partner)
        mine = deliveries.for_receiver(partner, "tracks")
        next_row = 0
        for report_s, own in own_snapshots.get(partner, []):
            end = int(np.searchsorted(mine.arrival_time_s, report_s, side="right"))
            if end > next_row:
                arrived = mine.take(np.arange(next_row, end))
                next_row = end
                for origin in sorted(set(arrived.origin)):
                    rows = arrived.take(arrived.origin == origin)
                    t, x, p, src, ids = payloads[origin]
                    k = rows.payload_row
                    state = x[k].copy()
                    state[:, :3] = rows.xyz_m()  # what the link delivered, degraded
                    cov = p[k].copy()
                    cov[:, 0, 0] += rows.added_position_var_m2
                    cov[:, 1, 1] += rows.added_position_var_m2
                    cov[:, 2, 2] += rows.added_position_var_m2
                    sensor_ids = tuple(sorted(frozenset().union(*(src[i] for i in k))))
                    mask = np.array(
                        [[s in src[i] for s in sensor_ids] for i in k], dtype=bool
                    ).reshape(len(k), len(sensor_ids))
                    picture.receive(
                        RemoteTracks(origin, t[k], ids[k], state, cov, mask, sensor_ids)
                    )
            fused = picture.update(report_s, own)
            history.append(fused)
            cols = fused.rows(partner, contributors=True)
            tables.append(
                pa.table(
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
            )
    table = pa.concat_tables(tables) if tables else PICTURE_SCHEMA.empty_table()
    return table, pictures
