"""Each partner's fused picture from its own tracks and the tracks others released to it.

Releases go through the link boundary as one message per track per report time
(:func:`track_messages`); what arrives (degraded, late, possibly out of order,
possibly lost) is fused with the partner's own tracks by covariance intersection
(:func:`remote_tracks` into a :class:`~skyweave.tracking.fusion.PartnerPicture`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

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
    # the sensors that fed any delivered row, by name, and each row's of them: the
    # batch's mask columns (its sensor ids are unique), not its per-row name lists
    sub = batch.sources_mask[k]
    ids = batch.sensor_ids
    fed = set(np.flatnonzero(np.any(sub, axis=0)).tolist())
    used = [j for j in sorted(range(len(ids)), key=ids.__getitem__) if j in fed]
    sensor_ids = tuple(ids[j] for j in used)
    mask = sub[:, used]
    return RemoteTracks(
        origin, np.full(len(k), batch.time_s), batch.track_id[k], state, cov, mask, sensor_ids
    )


def _string_lists(counts: NDArray[np.int64], values: list[str]) -> pa.ListArray:
    """A ``list<string>`` column from the per-row counts and the flat values."""
    offsets = np.zeros(counts.shape[0] + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.string()))


class PictureRecorder:
    """``picture.parquet`` rows of fused pictures, kept as flat columns and built into
    one table on demand (the rows of :meth:`FusedPicture.rows` with
    ``contributors=True``; Parquet bytes do not depend on the table's chunks)."""

    def __init__(self) -> None:
        self._n = 0
        self._time: list[NDArray[np.float64]] = []
        self._partner: list[str] = []
        self._number: list[NDArray[np.int64]] = []
        self._state: list[NDArray[np.float64]] = []
        self._sigma: list[NDArray[np.float64]] = []
        self._n_sources: list[NDArray[np.int64]] = []
        self._sources: list[str] = []
        self._n_contributors: list[NDArray[np.int64]] = []
        self._contributors: list[str] = []

    def __len__(self) -> int:
        """Pictures recorded."""
        return self._n

    def add(self, fused: FusedPicture, partner: str) -> None:
        """Record one fused picture's rows (``partner`` column: ``partner``)."""
        k = len(fused)
        self._n += 1
        self._time.append(np.full(k, fused.time_s))
        self._partner += [partner] * k
        # copies: the rows hold the picture as it was at its time
        self._number.append(fused.picture_number.copy())
        self._state.append(fused.state.copy())
        self._sigma.append(fused.pos_sigma_m.copy())
        # sorted sensor ids per row, as FusedPicture.sources
        ids = np.asarray(fused.sensor_ids, dtype=object)
        order = np.argsort(ids) if len(ids) else np.zeros(0, dtype=np.int64)
        mask = fused.sources_mask[:, order]
        self._n_sources.append(mask.sum(axis=1))
        self._sources += ids[order][np.nonzero(mask)[1]].tolist()
        # "origin:track_id" per contributor, in origin column order
        held = fused.contributor_id >= 0
        row, col = np.nonzero(held)
        prefix = [f"{o}:" for o in fused.origins]
        self._n_contributors.append(held.sum(axis=1))
        self._contributors += [
            prefix[o] + str(t)
            for o, t in zip(col.tolist(), fused.contributor_id[row, col].tolist(), strict=True)
        ]

    def table(self) -> pa.Table:
        """All recorded rows, in the order recorded."""
        state = np.concatenate(self._state) if self._state else np.zeros((0, 6))
        cols = {
            "time_s": pa.array(np.concatenate(self._time) if self._time else np.zeros(0)),
            "partner": pa.array(self._partner, pa.string()),
            "track_id": pa.array(
                np.concatenate(self._number) if self._number else np.zeros(0, dtype=np.int64)
            ),
            **{
                name: pa.array(np.ascontiguousarray(state[:, i]))
                for i, name in enumerate(("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps"))
            },
            "pos_sigma_m": pa.array(np.concatenate(self._sigma) if self._sigma else np.zeros(0)),
            "sources": _string_lists(_counts(self._n_sources), self._sources),
            "contributors": _string_lists(_counts(self._n_contributors), self._contributors),
        }
        return pa.table([cols[f.name] for f in PICTURE_SCHEMA], schema=PICTURE_SCHEMA)


def _counts(parts: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def picture_table(fused: FusedPicture, partner: str) -> pa.Table:
    """``picture.parquet`` rows of one partner's fused picture at one time."""
    recorder = PictureRecorder()
    recorder.add(fused, partner)
    return recorder.table()
