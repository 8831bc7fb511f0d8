"""What a threat board says: alert rows (its state changes) and board rows (its display).

Plain functions of a :class:`~skyweave.warning.threat_model.Threat`: the
``alerts.parquet`` row of a change and the JSON-ready row a console shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from skyweave.lineage import lineage_column
from skyweave.warning.alerts import Alerts, _object, empty_alerts
from skyweave.warning.threat_model import AssetInfo, Threat, rounded


def alert_row(
    partner: str, time_s: float, t: Threat, kind: str, change: str, origin: str
) -> dict[str, Any]:
    """The ``alerts.parquet`` row of a change of threat ``t`` (``origin``: whose data
    caused it)."""
    imp = t.impact
    live = sorted(t.live_tracks) or sorted(t.tracks)
    return {
        "time_s": float(time_s),
        "partner": partner,
        "track_id": live[-1] if live and t.picture_number is None else None,
        "alert_kind": kind,
        "launch_event_id": min(t.events) if t.events else None,
        "launch_source": t.launch_source,
        "launch_lat_deg": t.launch_lat_deg,
        "launch_lon_deg": t.launch_lon_deg,
        "impact_lat_deg": imp.lat_deg if imp else np.nan,
        "impact_lon_deg": imp.lon_deg if imp else np.nan,
        "impact_time_s": imp.time_s if imp else np.nan,
        "ellipse_semi_major_m": imp.semi_major_m if imp else np.nan,
        "ellipse_semi_minor_m": imp.semi_minor_m if imp else np.nan,
        "ellipse_orientation_deg": imp.orientation_deg if imp else np.nan,
        "threatened_assets": list(t.threatened),
        "originators": tuple(sorted(t.originators)),
        "threat_id": t.threat_id,
        "threat_class": t.threat_class,
        "change": change,
        "first_seen_s": t.first_seen_s,
        "origin_partner": origin,
        "truth_object_id": t.truth_object_id,
    }


def alerts_from_rows(rows: Sequence[dict[str, Any]]) -> Alerts:
    """An :class:`Alerts` batch of rows made by :func:`alert_row`, in order."""
    if not rows:
        return empty_alerts()
    cols: dict[str, Any] = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        if name == "originators":
            cols[name] = lineage_column(values)
        elif name.endswith(("_deg", "_m", "_s")):
            cols[name] = np.asarray(values, dtype=np.float64)
        else:
            cols[name] = _object(values)
    return Alerts(**cols)


def board_row(
    partner: str,
    time_s: float,
    t: Threat,
    asset_info: Mapping[str, AssetInfo],
    picture_of: Mapping[int, int],
) -> dict[str, Any]:
    """The JSON-ready row of threat ``t`` on ``partner``'s board at ``time_s``; its
    tracks are the partner's picture tracks (``picture_of``: own track id -> picture
    number), the ids its consoles and ``picture.parquet`` show."""
    return _timed_row(_still_row(partner, t, asset_info), partner, time_s, t, picture_of)


def _still_row(partner: str, t: Threat, asset_info: Mapping[str, AssetInfo]) -> dict[str, Any]:
    """A board row's fields that depend on the threat alone (not on the time, the
    picture numbers, the sources or the engagements: :func:`_timed_row` fills those
    in, in their places here)."""
    imp = t.impact
    return {
        "id": t.threat_id,
        "class": t.threat_class,
        "lifecycle": t.lifecycle,
        "first_seen_s": round(t.first_seen_s, 3),
        "first_source": t.first_source,
        "sources": None,
        "tracks": None,
        "launch": [rounded(t.launch_lat_deg), rounded(t.launch_lon_deg)],
        "launch_time_s": rounded(t.launch_time_s, 1),
        "impact": [rounded(imp.lat_deg), rounded(imp.lon_deg)] if imp else [None, None],
        "impact_time_s": rounded(imp.time_s, 1) if imp else None,
        "time_to_go_s": None,
        "ellipse_m": [
            rounded(imp.semi_major_m, 0),
            rounded(imp.semi_minor_m, 0),
            rounded(imp.orientation_deg, 1),
        ]
        if imp
        else [None, None, None],
        "threatened": [asset_row(asset_info, a) for a in t.threatened],
        "engagements": None,
        "classification": t.classification,
        "last_change_s": rounded(t.last_change_s, 3),
        "new": None,
    }


def _timed_row(
    still: dict[str, Any],
    partner: str,
    time_s: float,
    t: Threat,
    picture_of: Mapping[int, int],
) -> dict[str, Any]:
    """The board row of ``still`` (:func:`_still_row` of ``t``) at ``time_s``."""
    sources, tracks, to_go_s = timed_fields(partner, time_s, t, picture_of)
    return {
        **still,
        "sources": sources,
        "tracks": tracks,
        "time_to_go_s": to_go_s,
        "engagements": [dict(e, id=k) for k, e in engagements_of(t)],
        "new": bool(time_s - t.first_seen_s < NEW_FOR_S),
    }


def timed_fields(
    partner: str, time_s: float, t: Threat, picture_of: Mapping[int, int]
) -> tuple[list[str], list[str], float | None]:
    """A board row's sources, tracks and time to go (``time_to_go_s``) of threat ``t``
    on ``partner``'s board at ``time_s`` (see :func:`board_row`)."""
    imp = t.impact
    if t.picture_number is not None:
        numbers = [t.picture_number]
    elif t.live_tracks:
        numbers = sorted({picture_of[k] for k in t.live_tracks if k in picture_of})
    else:
        numbers = []
    return (
        sorted(t.sources),
        [f"{partner}:{n}" for n in numbers],
        rounded(imp.time_s - time_s, 1) if imp else None,
    )


def engagements_of(t: Threat) -> list[tuple[int, dict[str, Any]]]:
    """The threat's engagements by id, in the order of its board row."""
    return sorted(t.engagements.items()) if t.engagements else []


class BoardRowCache:
    """One board's rows, each threat's time-free fields (:func:`_still_row`) kept
    until the threat changes.

    A kept row is used again while the threat is the same object with the same
    :attr:`~skyweave.warning.threat_model.Threat.row_version`: every field the row is
    made of (:data:`~skyweave.warning.threat_model.ROW_FIELDS`) is a string, a
    number, a tuple of strings or a frozen prediction, changed only by setting it,
    and every setting counts. The picture numbers, sources and engagements, cheap,
    are made anew at every call.

    Parameters
    ----------
    partner : str
    asset_info : mapping
        The board's assets (fixed for the board's life).
    """

    def __init__(self, partner: str, asset_info: Mapping[str, AssetInfo]) -> None:
        self.partner = partner
        self.asset_info = asset_info
        self._kept: dict[int, tuple[Threat, int, dict[str, Any]]] = {}

    def rows(
        self, time_s: float, threats: Sequence[Threat], picture_of: Mapping[int, int]
    ) -> list[dict[str, Any]]:
        """The board rows of ``threats`` at ``time_s`` (as :func:`board_row`), in order.

        The rows share their launch, impact, ellipse and threatened lists with the
        kept rows: a caller that changes them must copy them first."""
        return [
            _timed_row(still, self.partner, time_s, t, picture_of)
            for t, still in zip(threats, self.still_rows(threats), strict=True)
        ]

    def still_rows(self, threats: Sequence[Threat]) -> list[dict[str, Any]]:
        """The time-free fields of the board rows of ``threats`` (the others left as
        None), in order, kept from the last call where the threat has not changed
        (the same dict then: read it, do not change it)."""
        kept, self._kept = self._kept, {}  # threats off the board are forgotten
        out = []
        for t in threats:
            held = kept.get(t.number)
            if held is None or held[0] is not t or held[1] != t.row_version:
                held = (t, t.row_version, _still_row(self.partner, t, self.asset_info))
            self._kept[t.number] = held
            out.append(held[2])
        return out


def copied_row(row: dict[str, Any]) -> dict[str, Any]:
    """A board row of :meth:`BoardRowCache.rows` that shares no list with the cache."""
    return {
        **row,
        "launch": list(row["launch"]),
        "impact": list(row["impact"]),
        "ellipse_m": list(row["ellipse_m"]),
        "threatened": [dict(a) for a in row["threatened"]],
    }


def board_order(time_to_go_s: float | None) -> tuple[bool, float]:
    """The board's sort key: by time to go, the threats without one last."""
    return (time_to_go_s is None, time_to_go_s or 0.0)


#: a threat first seen less than this ago is shown as new
NEW_FOR_S = 30.0


def asset_row(asset_info: Mapping[str, AssetInfo], asset_id: str) -> dict[str, Any]:
    """A threatened asset with its name, owner and value (None where unknown)."""
    info = asset_info.get(asset_id)
    if info is None:
        return {"asset": asset_id, "name": asset_id, "owner": None, "value": None}
    return {"asset": asset_id, "name": info.name, "owner": info.owner, "value": info.value}


__all__ = [
    "NEW_FOR_S",
    "BoardRowCache",
    "alert_row",
    "alerts_from_rows",
    "asset_row",
    "board_order",
    "board_row",
    "copied_row",
    "engagements_of",
    "timed_fields",
]
