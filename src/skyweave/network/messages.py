"""What crosses the link boundary, as column batches: messages offered, attempts, deliveries.

:class:`Messages` is what partners want to send (one row per payload row, with its
lineage and the object it is about), :class:`Transmissions` every attempt the
policy grants with its outcome, :class:`Deliveries` what reached each receiver.
:class:`~skyweave.network.links.LinkBoundary` turns the first into the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.lineage import sender_lineage_column
from skyweave.network.policy import DATA_CLASSES

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]

Outcome = Literal[
    "delivered",
    "withheld",
    "no_link",
    "sender_silent",
    "link_down",
    "flushed",
    "lost",
    "receiver_silent",
]
OUTCOMES: tuple[str, ...] = (
    "delivered",
    "withheld",
    "no_link",
    "sender_silent",
    "link_down",
    "flushed",
    "lost",
    "receiver_silent",
)


def _object_column(values: ArrayLike | str, n: int) -> ObjectArray:
    if isinstance(values, str):
        return np.full(n, values, dtype=object)
    out = np.empty(n, dtype=object)
    out[:] = list(np.asarray(values, dtype=object).ravel())
    return out


@dataclass(frozen=True)
class Messages:
    """Data one or more partners want to send, one row per payload row.

    Attributes
    ----------
    send_time_s : (M,) float64
        When the origin produces the data (scenario seconds).
    origin : (M,) object (str)
        Partner id of the sender.
    data_class : (M,) object (str)
        One of ``launch_alerts``, ``tracks``, ``detections``, ``engagement_status``,
        ``battery_status``.
    payload_row : (M,) int64
        Row of the origin's own table (kept by the caller) the message carries.
    x_m, y_m, z_m : (M,) float64
        ECEF position the payload carries, NaN where the data class has none.
    originators : (M,) object (tuple of str)
        Every partner whose data the payload row derives from, sorted; the
        origin is always one (its own data needs no other release).
    object_key : (M,) int64
        The released object the row is about (a track, a threat, one sensor's
        view of one object), keying its persistent degradation; -1 for none.

    The message id of a row is its index in this batch.
    """

    send_time_s: FloatArray
    origin: ObjectArray
    data_class: ObjectArray
    payload_row: IntArray
    x_m: FloatArray
    y_m: FloatArray
    z_m: FloatArray
    originators: ObjectArray
    object_key: IntArray

    def __post_init__(self) -> None:
        n = len(self.send_time_s)
        # one pass over the shapes (batches are built thousands of times a run); the
        # column by column loop only to name the culprit
        if {col.shape for col in self.__dict__.values()} != {(n,)}:
            for name in _MESSAGE_FIELDS:
                col = getattr(self, name)
                if col.ndim != 1 or len(col) != n:
                    raise ValueError(f"Messages.{name}: expected shape ({n},), got {col.shape}")
        if n and not np.isfinite(self.send_time_s).all():
            raise ValueError("Messages.send_time_s: every send time must be finite")
        # a set of the column's values, not np.unique: no sort of Python objects per batch
        unknown = set(self.data_class.tolist()) - _DATA_CLASS_SET if n else set()
        if unknown:
            raise ValueError(f"Messages.data_class: unknown data class(es) {sorted(unknown)}")

    @classmethod
    def build(
        cls,
        send_time_s: ArrayLike,
        origin: ArrayLike | str,
        data_class: ArrayLike | str,
        payload_row: ArrayLike | None = None,
        xyz_m: ArrayLike | None = None,
        originators: Sequence[Iterable[str]] | None = None,
        object_key: ArrayLike | None = None,
    ) -> Messages:
        """Messages from columns; a string ``origin``/``data_class`` applies to every row.

        ``payload_row`` defaults to ``0..M-1``; ``xyz_m`` (M, 3) defaults to NaN;
        ``originators`` to the origin alone; ``object_key`` to -1 (none).
        """
        t = np.atleast_1d(np.asarray(send_time_s, dtype=np.float64))
        n = len(t)
        rows = np.arange(n) if payload_row is None else np.asarray(payload_row)
        xyz = np.full((n, 3), np.nan) if xyz_m is None else np.asarray(xyz_m, dtype=np.float64)
        xyz = xyz.reshape(n, 3)
        origins = _object_column(origin, n)
        senders = origins.tolist()
        lineage = sender_lineage_column(senders, [()] * n if originators is None else originators)
        keys = np.full(n, -1, dtype=np.int64) if object_key is None else np.asarray(object_key)
        return cls(
            send_time_s=t,
            origin=origins,
            data_class=_object_column(data_class, n),
            payload_row=rows.astype(np.int64).reshape(n),
            x_m=xyz[:, 0].copy(),
            y_m=xyz[:, 1].copy(),
            z_m=xyz[:, 2].copy(),
            originators=lineage,
            object_key=keys.astype(np.int64).reshape(n),
        )

    @classmethod
    def concat(cls, batches: Iterable[Messages]) -> Messages:
        """One batch from several (message ids renumbered in concatenation order)."""
        batches = list(batches)
        if not batches:
            return cls.build(np.empty(0), np.empty(0, dtype=object), np.empty(0, dtype=object))
        return cls(**{n: np.concatenate([getattr(b, n) for b in batches]) for n in _MESSAGE_FIELDS})

    def __len__(self) -> int:
        return len(self.send_time_s)

    def xyz_m(self) -> FloatArray:
        """Positions as an (M, 3) array."""
        return np.column_stack([self.x_m, self.y_m, self.z_m])

    def with_positions(self, xyz_m: ArrayLike) -> Messages:
        """The same messages carrying other positions (same ids, same link fate)."""
        xyz = np.asarray(xyz_m, dtype=np.float64).reshape(len(self), 3)
        return replace(self, x_m=xyz[:, 0].copy(), y_m=xyz[:, 1].copy(), z_m=xyz[:, 2].copy())


_MESSAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Messages))
_DATA_CLASS_SET = frozenset(DATA_CLASSES)


@dataclass(frozen=True)
class Transmissions:
    """Every attempt the policy grants: one row per (message, receiver named for its class).

    Attributes
    ----------
    message_id : (K,) int64
        Row of the input :class:`Messages`.
    receiver, origin, data_class, link_id : (K,) object (str)
        ``link_id`` is ``""`` when no direct link joins origin and receiver.
    send_time_s, offer_time_s : (K,) float64
        Send time and time offered to the link (send plus the rule's delay).
    start_time_s, arrival_time_s : (K,) float64
        Transmission start and arrival; NaN when never transmitted.
    payload_row : (K,) int64
    x_m, y_m, z_m : (K,) float64
        Degraded positions (NaN where the message has none).
    added_position_var_m2 : (K,) float64
        Variance per ECEF axis the degradation added (noise plus quantisation).
    originators : (K,) object (tuple of str)
        The partners whose data the message derives from.
    outcome : (K,) object (str)
        One of :data:`OUTCOMES`.
    """

    message_id: IntArray
    receiver: ObjectArray
    origin: ObjectArray
    data_class: ObjectArray
    link_id: ObjectArray
    send_time_s: FloatArray
    offer_time_s: FloatArray
    start_time_s: FloatArray
    arrival_time_s: FloatArray
    payload_row: IntArray
    x_m: FloatArray
    y_m: FloatArray
    z_m: FloatArray
    added_position_var_m2: FloatArray
    originators: ObjectArray
    outcome: ObjectArray

    def __len__(self) -> int:
        return len(self.message_id)

    def take(self, index: NDArray[np.intp] | BoolArray) -> Transmissions:
        """Rows selected by an integer index or a boolean mask."""
        return Transmissions(**{n: getattr(self, n)[index] for n in TRANSMISSION_FIELDS})

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of attempts per ``(link_id, outcome)`` (for events and summaries)."""
        out: dict[tuple[str, str], int] = {}
        for link_id, outcome in zip(self.link_id.tolist(), self.outcome.tolist(), strict=True):
            out[(link_id, outcome)] = out.get((link_id, outcome), 0) + 1
        return out

    def delivered(self) -> Deliveries:
        """The delivered rows, sorted by (receiver, arrival time, message id)."""
        keep = self.outcome == "delivered"
        return Deliveries(**{n: getattr(self, n)[keep] for n in _DELIVERY_FIELDS})


@dataclass(frozen=True)
class Deliveries:
    """What reaches each receiver, sorted by (receiver, arrival time, message id).

    Receivers are ordered as the scenario lists its partners. Within one receiver,
    rows are in arrival order, which jitter may make differ from send order.

    Attributes
    ----------
    message_id : (D,) int64
        Row of the input :class:`Messages`.
    receiver, origin, data_class, link_id : (D,) object (str)
    send_time_s, arrival_time_s : (D,) float64
    payload_row : (D,) int64
        Row of the origin's payload table.
    x_m, y_m, z_m : (D,) float64
        Degraded ECEF position (NaN where the message has none).
    added_position_var_m2 : (D,) float64
        Variance per axis the release's degradation added.
    originators : (D,) object (tuple of str)
        The partners whose data the message derives from.
    """

    message_id: IntArray
    receiver: ObjectArray
    origin: ObjectArray
    data_class: ObjectArray
    link_id: ObjectArray
    send_time_s: FloatArray
    arrival_time_s: FloatArray
    payload_row: IntArray
    x_m: FloatArray
    y_m: FloatArray
    z_m: FloatArray
    added_position_var_m2: FloatArray
    originators: ObjectArray

    def __len__(self) -> int:
        return len(self.message_id)

    def take(self, index: NDArray[np.intp] | BoolArray) -> Deliveries:
        """Rows selected by an integer index or a boolean mask."""
        return Deliveries(**{n: getattr(self, n)[index] for n in _DELIVERY_FIELDS})

    def xyz_m(self) -> FloatArray:
        """Degraded positions as a (D, 3) array."""
        return np.column_stack([self.x_m, self.y_m, self.z_m])

    def for_receiver(self, receiver: str, data_class: str | None = None) -> Deliveries:
        """The rows one partner receives (optionally of one data class), in arrival order."""
        keep = self.receiver == receiver
        if data_class is not None:
            keep &= self.data_class == data_class
        return self.take(keep)


# field names, once (dataclasses.fields per batch costs more than the batch's columns)
#: the column names of :class:`Transmissions`, in field order
TRANSMISSION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Transmissions))
_DELIVERY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Deliveries))
