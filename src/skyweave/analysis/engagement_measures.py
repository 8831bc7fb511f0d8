"""What the defence achieved: leakers, assets hit, interceptors used, time to first shot.

Computed from the run's threats (truth), its engagements and its warning
measures, for ``summary.json`` and ``skyweave compare``.

* A **leaker** is a ballistic or cruise threat that reached a defended asset:
  not killed, its flight over before the run ends, and its impact point (for a
  cruise missile, the end of its route) within the asset's ``radius_m`` of the
  asset's centre (WGS84 geodesic). Aircraft are never leakers.
* **Impacts elsewhere** are ballistic and cruise threats that reached the ground
  away from every defended asset; **in flight at the end** are threats (any
  kind) neither killed nor over when the run ended. Neither is a leaker.
* A **defended asset hit** is one whose radius holds a leaker's impact point.
* **Interceptors used** counts shots fired (a salvo of two is two).
* **Alert to first shot** is, per engaged threat, the first launch at it minus
  the first alert about it by any partner.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from skyweave.analysis.threat_summary import MUNITION_KINDS, geodesic_m
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.scenario.schema import Scenario

LEAKER_KINDS = MUNITION_KINDS


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * R_EARTH_MEAN_M * math.asin(min(1.0, math.sqrt(h)))


def engagement_measures(
    scenario: Scenario,
    threats: Sequence[Mapping[str, Any]],
    engagements: pa.Table,
    killed_at_s: Mapping[str, float],
    per_threat_warning: Sequence[Mapping[str, Any]],
    end_s: float = math.inf,
) -> dict[str, Any]:
    """The ``engagement`` block of ``summary.json``.

    Parameters
    ----------
    scenario : Scenario
    threats : sequence of mapping
        ``summary.json``'s threat rows (``object_id``, ``kind``, ``end_time_s``,
        ``impact_lat_deg``, ``impact_lon_deg``): those of
        :func:`skyweave.analysis.threat_summary.threat_rows` (their ``outcome``
        and ``planned_end_*`` are used), or planned rows without them.
    engagements : pyarrow.Table
        ``engagements.parquet``.
    killed_at_s : mapping
        Threat object id -> kill time.
    per_threat_warning : sequence of mapping
        ``summary.json``'s ``warning.per_threat`` rows (``object_id``, ``first_alert_s``).
    end_s : float
        End of the run: a threat still in flight then is not (yet) a leaker.

    Returns
    -------
    dict
        ``leakers``/``leaker_ids`` (threats that reached a defended asset),
        ``impacts_elsewhere``/``impact_elsewhere_ids``,
        ``in_flight_at_end``/``in_flight_ids``, ``threats_killed``,
        ``defended_assets_hit``, ``value_hit``, interceptors, engagements,
        outcomes and alert-to-first-shot delays.
    """
    outcome = {str(t["object_id"]): _row_outcome(t, killed_at_s, end_s) for t in threats}
    landed = [str(t["object_id"]) for t in threats if outcome[str(t["object_id"])] == "landed"]
    end_of = {str(t["object_id"]): _impact_point(t) for t in threats}
    assets = list(scenario.defended_assets)
    inside: dict[str, list[str]] = {a.id: [] for a in assets}
    if landed and assets:
        lat = np.array([end_of[o][0] for o in landed], dtype=np.float64)
        lon = np.array([end_of[o][1] for o in landed], dtype=np.float64)
        a_lat = np.array([a.lat_deg for a in assets])
        a_lon = np.array([a.lon_deg for a in assets])
        # (assets, landed) geodesic distances, one vectorised call
        d = geodesic_m(a_lat[:, None], a_lon[:, None], lat[None, :], lon[None, :])
        d = d.reshape(len(assets), len(landed))
        radius = np.array([a.radius_m for a in assets])[:, None]
        within = np.isfinite(d) & (d <= radius)
        for k, a in enumerate(assets):
            inside[a.id] = [landed[j] for j in np.flatnonzero(within[k])]
    reached = {o for by in inside.values() for o in by}
    leakers = [o for o in landed if o in reached]
    elsewhere = [o for o in landed if o not in reached]
    in_flight = [
        str(t["object_id"]) for t in threats if outcome[str(t["object_id"])] == "in_flight"
    ]
    hits: list[dict[str, Any]] = [
        {"asset_id": a.id, "partner": a.partner, "value": a.value, "by": inside[a.id]}
        for a in assets
        if inside[a.id]
    ]
    cols = engagements.to_pydict()
    used = {p.id: 0 for p in scenario.partners}
    per_threat: dict[str, int] = {}
    first_shot: dict[str, float] = {}
    for partner, shots, obj, t in zip(
        cols["partner"], cols["shots"], cols["object_id"], cols["time_s"], strict=True
    ):
        used[partner] += int(shots)
        key = obj or "(no object)"
        per_threat[key] = per_threat.get(key, 0) + 1
        if obj:
            first_shot[obj] = min(first_shot.get(obj, math.inf), float(t))
    first_alert: dict[str, float] = {}
    for row in per_threat_warning:
        alert_s = row.get("first_alert_s")
        if alert_s is not None and np.isfinite(alert_s):
            o = row["object_id"]
            first_alert[o] = min(first_alert.get(o, math.inf), float(alert_s))
    alert_to_shot = {
        o: first_shot[o] - first_alert[o] for o in sorted(first_shot) if o in first_alert
    }
    outcomes = {k: 0 for k in ("kill", "miss", "aborted", "in_flight")}
    for o in cols["outcome"]:
        outcomes[o] += 1  # "in_flight": still flying when the run stopped
    delays = list(alert_to_shot.values())
    return {
        "leakers": len(leakers),
        "leaker_ids": leakers,
        "impacts_elsewhere": len(elsewhere),
        "impact_elsewhere_ids": elsewhere,
        "in_flight_at_end": len(in_flight),
        "in_flight_ids": in_flight,
        "threats_killed": len(killed_at_s),
        "defended_assets_hit": hits,
        "value_hit": float(sum(float(h["value"]) for h in hits)),
        "interceptors_used": used,
        "interceptors_used_total": int(sum(used.values())),
        "engagements": int(engagements.num_rows),
        "outcomes": outcomes,
        "engagements_per_threat": dict(sorted(per_threat.items())),
        "alert_to_first_shot_s": alert_to_shot,
        "alert_to_first_shot_median_s": float(np.median(delays)) if delays else None,
    }


def _row_outcome(row: Mapping[str, Any], killed_at_s: Mapping[str, float], end_s: float) -> str:
    """``landed`` (a ballistic or cruise threat that reached the ground), ``killed``,
    ``in_flight`` (at the run's end) or ``other`` (an aircraft's route end)."""
    oid = row["object_id"]
    given = row.get("outcome")
    if given is not None:
        return {"impact": "landed", "landed_elsewhere": "landed"}.get(str(given), str(given))
    planned = row.get("planned_end_time_s", row.get("end_time_s"))
    if oid in killed_at_s and killed_at_s[oid] <= min(float(planned or math.inf), end_s):
        return "killed"
    if planned is None or not float(planned) <= end_s:
        return "in_flight"
    return "landed" if row["kind"] in LEAKER_KINDS else "other"


def _impact_point(row: Mapping[str, Any]) -> tuple[float, float]:
    lat = row.get("impact_lat_deg")
    lon = row.get("impact_lon_deg")
    if lat is None or lon is None:
        lat, lon = row.get("planned_end_lat_deg"), row.get("planned_end_lon_deg")
    return (math.nan if lat is None else float(lat), math.nan if lon is None else float(lon))


__all__ = ["LEAKER_KINDS", "engagement_measures", "great_circle_m"]
