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
    imp = t.impact
    if t.picture_number is not None:
        numbers = [t.picture_number]
    else:
        numbers = sorted({picture_of[k] for k in t.live_tracks if k in picture_of})
    return {
        "id": t.threat_id,
        "class": t.threat_class,
        "lifecycle": t.lifecycle,
        "first_seen_s": round(t.first_seen_s, 3),
        "first_source": t.first_source,
        "sources": sorted(t.sources),
        "tracks": [f"{partner}:{n}" for n in numbers],
        "launch": [rounded(t.launch_lat_deg), rounded(t.launch_lon_deg)],
        "launch_time_s": rounded(t.launch_time_s, 1),
        "impact": [rounded(imp.lat_deg), rounded(imp.lon_deg)] if imp else [None, None],
        "impact_time_s": rounded(imp.time_s, 1) if imp else None,
        "time_to_go_s": rounded(imp.time_s - time_s, 1) if imp else None,
        "ellipse_m": [
            rounded(imp.semi_major_m, 0),
            rounded(imp.semi_minor_m, 0),
            rounded(imp.orientation_deg, 1),
        ]
        if imp
        else [None, None, None],
        "threatened": [asset_row(asset_info, a) for a in t.threatened],
        "engagements": [dict(e, id=k) for k, e in sorted(t.engagements.items())],
        "classification": t.classification,
        "last_change_s": rounded(t.last_change_s, 3),
        "new": bool(time_s - t.first_seen_s < NEW_FOR_S),
    }


#: a threat first seen less than this ago is shown as new
NEW_FOR_S = 30.0


def asset_row(asset_info: Mapping[str, AssetInfo], asset_id: str) -> dict[str, Any]:
    """A threatened asset with its name, owner and value (None where unknown)."""
    info = asset_info.get(asset_id)
    if info is None:
        return {"asset": asset_id, "name": asset_id, "owner": None, "value": None}
    return {"asset": asset_id, "name": info.name, "owner": info.owner, "value": info.value}


__all__ = ["NEW_FOR_S", "alert_row", "alerts_from_rows", "asset_row", "board_row"]
