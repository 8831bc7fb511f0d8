"""``threats.parquet``: each partner's threat board on the output grid.

One row per open threat and report time, with the fields a staff reads on the
board (class, lifecycle, first seen and by whom, launch point, predicted impact
or closest approach with its 95 % ellipse and time, threatened assets and their
owners, who engages it, the staff's classification) and the truth object it is
about (``truth_object_id``, for scoring only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pyarrow as pa

from skyweave.warning.threat_model import Threat
from skyweave.warning.threat_rows import engagements_of
from skyweave.warning.threats import ThreatBoard

THREATS_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("partner", pa.string()),
        ("threat_id", pa.string()),
        ("threat_class", pa.string()),
        ("lifecycle", pa.string()),
        ("first_seen_s", pa.float64()),
        ("first_source", pa.string()),
        ("sources", pa.list_(pa.string())),
        ("tracks", pa.list_(pa.string())),
        ("launch_lat_deg", pa.float64()),
        ("launch_lon_deg", pa.float64()),
        ("launch_time_s", pa.float64()),
        ("impact_lat_deg", pa.float64()),
        ("impact_lon_deg", pa.float64()),
        ("impact_time_s", pa.float64()),
        ("time_to_go_s", pa.float64()),
        ("ellipse_semi_major_m", pa.float64()),
        ("ellipse_semi_minor_m", pa.float64()),
        ("ellipse_orientation_deg", pa.float64()),
        ("threatened_assets", pa.list_(pa.string())),
        ("threatened_owners", pa.list_(pa.string())),
        ("engaged_by", pa.list_(pa.string())),
        ("engagement_outcomes", pa.list_(pa.string())),
        ("classification", pa.string()),
        ("truth_object_id", pa.string()),
    ]
)


def _still_parts(still: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
    """The fields of a ``threats.parquet`` record that a board row's time-free fields give
    (:meth:`ThreatBoard.still_rows`), in three runs of schema order (lists as tuples)."""
    ellipse = still["ellipse_m"]
    return (
        (still["id"], still["class"], still["lifecycle"], still["first_seen_s"],
         still["first_source"]),
        (*still["launch"], still["launch_time_s"], *still["impact"], still["impact_time_s"]),
        (*ellipse, tuple([a["asset"] for a in still["threatened"]]),
         tuple([a["owner"] or "" for a in still["threatened"]])),
    )  # fmt: skip


def _picture_numbers(t: Threat, picture_of: Mapping[int, int]) -> tuple[int, ...]:
    """The picture numbers a threat's board row names (as :func:`timed_fields`)."""
    if t.picture_number is not None:
        return (t.picture_number,)
    live = t.live_tracks
    if len(live) == 1:  # most threats: one own track
        (k,) = live
        return (picture_of[k],) if k in picture_of else ()
    return tuple(sorted({picture_of[k] for k in live if k in picture_of}))


def _engaged(t: Threat) -> tuple[tuple[int, str, str], ...]:
    """The threat's engagements as its record shows them: id, battery, outcome, by id."""
    return tuple([(k, e["battery"], e["outcome"]) for k, e in engagements_of(t)])


class _Kept(NamedTuple):
    """A threat's record apart from its time, time to go and truth object, and what it
    was made of (copies: a threat's sets and dicts change in place)."""

    still: dict[str, Any]
    sources: frozenset[str]
    numbers: tuple[int, ...]
    engaged: tuple[tuple[int, str, str], ...]
    head: tuple[Any, ...]  # partner ... impact_time_s
    tail: tuple[Any, ...]  # ellipse_semi_major_m ... classification


def _kept(
    partner: str,
    t: Threat,
    still: dict[str, Any],
    numbers: tuple[int, ...],
    engaged: tuple[tuple[int, str, str], ...],
) -> _Kept:
    """The parts of threat ``t``'s record that :meth:`ThreatTableRecorder.record` keeps."""
    ahead, launch_impact, ellipse_assets = _still_parts(still)
    head = (
        partner,
        *ahead,
        tuple(sorted(t.sources)),
        tuple([f"{partner}:{n}" for n in numbers]),
        *launch_impact,
    )
    tail = (
        *ellipse_assets,
        tuple([e[1] for e in engaged]),
        tuple([e[2] for e in engaged]),
        still["classification"],
    )
    return _Kept(still, frozenset(t.sources), numbers, engaged, head, tail)


class ThreatTableRecorder:
    """Collects one partner's board at each report time."""

    def __init__(self) -> None:
        # tuples of numbers, strings and tuples of strings: the garbage collector stops
        # following them once it has seen them (a big raid records hundreds of
        # thousands of rows, which every full collection would walk again)
        self._rows: list[tuple[Any, ...]] = []
        # per open threat: its record's parts that change only with the threat's
        # board row, sources, picture numbers or engagements, and those
        self._kept: dict[int, _Kept] = {}

    def record(
        self, time_s: float, board: ThreatBoard, picture_of: Mapping[int, int] | None = None
    ) -> None:
        """Append the board as it is at ``time_s`` (``picture_of``: own track id ->
        picture number)."""
        pic = {} if picture_of is None else picture_of
        partner = board.partner
        now = (float(time_s),)
        kept, self._kept = self._kept, {}
        records, order_keys = [], []
        for t, still in board.still_rows():
            numbers = _picture_numbers(t, pic)
            engaged = _engaged(t) if t.engagements else ()
            held = kept.get(t.number)
            if (
                held is None
                or held.still is not still
                or held.numbers != numbers
                or held.engaged != engaged
                or held.sources != t.sources
            ):
                held = _kept(partner, t, still, numbers, engaged)
            self._kept[t.number] = held
            # the time to go as :func:`timed_fields` rounds it
            to_go = float(t.impact.time_s - now[0]) if t.impact else math.nan
            to_go_s = round(to_go, 1) if math.isfinite(to_go) else None
            records.append(now + held.head + (to_go_s,) + held.tail + (t.truth_object_id,))
            # the board's order (:func:`board_order`): by time to go, None last
            order_keys.append(math.inf if to_go_s is None else to_go_s)
        self._rows.extend(
            [records[k] for k in sorted(range(len(records)), key=order_keys.__getitem__)]
        )

    def table(self) -> pa.Table:
        """The rows recorded so far."""
        columns: list[Sequence[Any]] = (
            list(zip(*self._rows, strict=True)) if self._rows else [[]] * len(THREATS_SCHEMA)
        )
        return pa.Table.from_arrays(
            [pa.array(list(c), type=f.type) for c, f in zip(columns, THREATS_SCHEMA, strict=True)],
            schema=THREATS_SCHEMA,
        )


__all__ = ["THREATS_SCHEMA", "ThreatTableRecorder"]
