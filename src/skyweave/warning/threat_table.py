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
from typing import Any, NamedTuple, cast

import pyarrow as pa

from skyweave.warning.threat_model import AssetInfo, Threat
from skyweave.warning.threat_rows import _still_row, engagements_of
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


def _picture_numbers(t: Threat, picture_of: Mapping[int, int]) -> tuple[int, ...]:
    """The picture numbers a threat's board row names (as :func:`timed_fields`)."""
    if t.picture_number is not None:
        return (t.picture_number,)
    live = t.live_tracks
    if len(live) <= 1:  # most threats: one track or none (no set to sort)
        number = picture_of.get(next(iter(live))) if live else None
        return () if number is None else (number,)
    numbers = set(map(picture_of.get, live))  # (a number is never None)
    numbers.discard(None)
    return tuple(sorted(cast(set[int], numbers)))


def _engaged(t: Threat) -> tuple[tuple[int, str, str], ...]:
    """The threat's engagements as its record shows them: id, battery, outcome, by id."""
    return tuple([(k, e["battery"], e["outcome"]) for k, e in engagements_of(t)])


class _Kept(NamedTuple):
    """A threat's record apart from its time, time to go and truth object, and what it
    was made of (copies: a threat's sets and dicts change in place)."""

    threat: Threat
    row_version: int
    sources: frozenset[str]
    numbers: tuple[int, ...]
    engaged: tuple[tuple[int, str, str], ...]
    head: tuple[Any, ...]  # partner ... impact_time_s
    tail: tuple[Any, ...]  # ellipse_semi_major_m ... classification


def _kept(
    partner: str,
    t: Threat,
    asset_info: Mapping[str, AssetInfo],
    numbers: tuple[int, ...],
    engaged: tuple[tuple[int, str, str], ...],
) -> _Kept:
    """The parts of threat ``t``'s record that :meth:`ThreatTableRecorder.record` keeps:
    its board row's (:func:`~skyweave.warning.threat_rows.board_row`), lists as tuples."""
    still = _still_row(partner, t, asset_info)
    threatened = still["threatened"]
    head = (
        partner,
        still["id"],
        still["class"],
        still["lifecycle"],
        still["first_seen_s"],
        still["first_source"],
        tuple(sorted(t.sources)),
        tuple([f"{partner}:{n}" for n in numbers]),
        *still["launch"],
        still["launch_time_s"],
        *still["impact"],
        still["impact_time_s"],
    )
    tail = (
        *still["ellipse_m"],
        tuple([a["asset"] for a in threatened]),
        tuple([a["owner"] or "" for a in threatened]),
        tuple([e[1] for e in engaged]),
        tuple([e[2] for e in engaged]),
        still["classification"],
    )
    return _Kept(t, t.row_version, frozenset(t.sources), numbers, engaged, head, tail)


class ThreatTableRecorder:
    """Collects one partner's board at each report time."""

    def __init__(self) -> None:
        # tuples of numbers, strings and tuples of strings: the garbage collector stops
        # following them once it has seen them (a big raid records hundreds of
        # thousands of rows, which every full collection would walk again)
        self._rows: list[tuple[Any, ...]] = []
        # per open threat: its record's parts that change only with its board row's
        # time-free fields (its ``row_version``: see
        # :class:`~skyweave.warning.threat_rows.BoardRowCache`), its sources, picture
        # numbers or engagements, and what they were made of
        self._kept: dict[int, _Kept] = {}

    def record(
        self, time_s: float, board: ThreatBoard, picture_of: Mapping[int, int] | None = None
    ) -> None:
        """Append the board as it is at ``time_s`` (``picture_of``: own track id ->
        picture number)."""
        pic = {} if picture_of is None else picture_of
        partner = board.partner
        now = float(time_s)
        kept, self._kept = self._kept, {}  # threats off the board are forgotten
        now_kept = self._kept
        records: list[tuple[Any, ...]] = []
        order_keys: list[float] = []
        add_record, add_key = records.append, order_keys.append
        for t in board.open_threats():
            numbers = _picture_numbers(t, pic)
            engaged = _engaged(t) if t.engagements else ()
            held = kept.get(t.number)
            if (
                held is None
                or held.threat is not t
                or held.row_version != t.row_version
                or held.numbers != numbers
                or held.engaged != engaged
                or held.sources != t.sources
            ):
                held = _kept(partner, t, board.asset_info, numbers, engaged)
            now_kept[t.number] = held
            # the time to go as :func:`timed_fields` rounds it
            imp = t.impact
            to_go = float(imp.time_s - now) if imp is not None else math.nan
            # the board's order (:func:`board_order`): by time to go, None last
            key = round(to_go, 1) if math.isfinite(to_go) else math.inf
            add_key(key)
            to_go_s = key if key != math.inf else None
            add_record((now, *held.head, to_go_s, *held.tail, t.truth_object_id))
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
