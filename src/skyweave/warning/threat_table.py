"""``threats.parquet``: each partner's threat board on the output grid.

One row per open threat and report time, with the fields a staff reads on the
board (class, lifecycle, first seen and by whom, launch point, predicted impact
or closest approach with its 95 % ellipse and time, threatened assets and their
owners, who engages it, the staff's classification) and the truth object it is
about (``truth_object_id``, for scoring only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from skyweave.warning.threat_rows import board_order, engagements_of, timed_fields
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


_TO_GO = THREATS_SCHEMA.names.index("time_to_go_s")


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


class ThreatTableRecorder:
    """Collects one partner's board at each report time."""

    def __init__(self) -> None:
        # tuples of numbers, strings and tuples of strings: the garbage collector stops
        # following them once it has seen them (a big raid records hundreds of
        # thousands of rows, which every full collection would walk again)
        self._rows: list[tuple[Any, ...]] = []
        # per open threat: the kept time-free row fields and the record runs made of them
        self._parts: dict[int, tuple[dict[str, Any], tuple[tuple[Any, ...], ...]]] = {}

    def record(
        self, time_s: float, board: ThreatBoard, picture_of: Mapping[int, int] | None = None
    ) -> None:
        """Append the board as it is at ``time_s`` (``picture_of``: own track id ->
        picture number)."""
        pic = {} if picture_of is None else picture_of
        partner = board.partner
        kept, self._parts = self._parts, {}
        records = []
        # the record of each board row, built from each threat's kept time-free fields
        for t, still in board.still_rows():
            held = kept.get(t.number)
            parts = held[1] if held is not None and held[0] is still else _still_parts(still)
            self._parts[t.number] = (still, parts)
            ahead, launch_impact, ellipse_assets = parts
            sources, tracks, to_go_s = timed_fields(partner, time_s, t, pic)
            engaged = [e for _, e in engagements_of(t)]
            records.append(
                (
                    float(time_s),
                    partner,
                    *ahead,
                    tuple(sources),
                    tuple(tracks),
                    *launch_impact,
                    to_go_s,
                    *ellipse_assets,
                    tuple([e["battery"] for e in engaged]),
                    tuple([e["outcome"] for e in engaged]),
                    still["classification"],
                    t.truth_object_id,
                )
            )
        records.sort(key=lambda r: board_order(r[_TO_GO]))  # as board_rows
        self._rows.extend(records)

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
