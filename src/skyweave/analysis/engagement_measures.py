"""What the defence achieved: leakers, assets hit, interceptors used, time to first shot.

Computed from the run's threats (truth), its engagements and its warning
measures, for ``summary.json`` and ``skyweave compare``.

* A **leaker** is a ballistic or cruise threat that ends its flight (impact or
  arrival) before the run ends without being killed; aircraft are never
  counted as leakers.
* A **defended asset hit** is one whose centre lies within its radius of a
  leaker's end point (great-circle distance on the mean sphere).
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

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.scenario.schema import Scenario

LEAKER_KINDS = ("ballistic", "cruise")


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
        ``impact_lat_deg``, ``impact_lon_deg``).
    engagements : pyarrow.Table
        ``engagements.parquet``.
    killed_at_s : mapping
        Threat object id -> kill time.
    per_threat_warning : sequence of mapping
        ``summary.json``'s ``warning.per_threat`` rows (``object_id``, ``first_alert_s``).
    end_s : float
        End of the run: a threat still in flight then is not (yet) a leaker.
    """
    leakers = [
        t["object_id"]
        for t in threats
        if t["kind"] in LEAKER_KINDS
        and t["object_id"] not in killed_at_s
        and t["end_time_s"] <= end_s
    ]
    end_of = {t["object_id"]: t for t in threats}
    hits: list[dict[str, Any]] = []
    for a in scenario.defended_assets:
        by = [
            o
            for o in leakers
            if great_circle_m(
                a.lat_deg, a.lon_deg, end_of[o]["impact_lat_deg"], end_of[o]["impact_lon_deg"]
            )
            <= a.radius_m
        ]
        if by:
            hits.append({"asset_id": a.id, "partner": a.partner, "value": a.value, "by": by})
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
        outcomes[o] = outcomes.get(o, 0) + 1  # "in_flight" when a run stops mid-flyout
    delays = list(alert_to_shot.values())
    return {
        "leakers": len(leakers),
        "leaker_ids": leakers,
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


__all__ = ["LEAKER_KINDS", "engagement_measures", "great_circle_m"]
