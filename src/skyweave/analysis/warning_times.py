"""Warning measures per threat and partner: first detection, first track, first alert, warning time.

Scoring uses the truth (which threat a track or alert was about); nothing here is
visible to the partners during the run. A track is about a threat when, at its
report times, that threat is the nearest object in flight within
``track_gate_m`` (majority over the track's reports). An infrared launch alert
(no track) is about the ballistic threat whose launch point is nearest to the
estimate, within ``launch_gate_m``, among those already launched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pymap3d


@dataclass(frozen=True)
class ThreatTiming:
    """What the scorer needs to know of one threat's true flight."""

    object_id: str
    kind: str
    launch_time_s: float
    launch_lat_deg: float
    launch_lon_deg: float
    impact_time_s: float


def track_to_threat(
    tracks: pa.Table, truth: pa.Table, track_gate_m: float
) -> dict[tuple[str, int], tuple[str, float]]:
    """(partner, track_id) -> (threat id, first time the track was on it)."""
    if tracks.num_rows == 0 or truth.num_rows == 0:
        return {}
    t_truth = truth.column("time_s").to_numpy()
    ids_truth = np.asarray(truth.column("object_id").to_pylist(), dtype=object)
    xyz_truth = np.column_stack([truth.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    t_tr = tracks.column("time_s").to_numpy()
    xyz_tr = np.column_stack([tracks.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    partner = tracks.column("partner").to_pylist()
    track_id = tracks.column("track_id").to_numpy()
    votes: dict[tuple[str, int], Counter[str]] = {}
    first_on: dict[tuple[str, int, str], float] = {}
    # Truth rows are time-major; tracks are reported on the same output grid.
    times, starts = np.unique(t_truth, return_index=True)
    ends = np.append(starts[1:], len(t_truth))
    slot = np.searchsorted(times, t_tr)
    for k in range(len(t_tr)):
        s = slot[k]
        if s >= len(times) or times[s] != t_tr[k]:
            continue
        a, b = starts[s], ends[s]
        dist = np.linalg.norm(xyz_truth[a:b] - xyz_tr[k], axis=1)
        j = int(np.argmin(dist))
        if dist[j] > track_gate_m:
            continue
        key = (partner[k], int(track_id[k]))
        threat = str(ids_truth[a + j])
        votes.setdefault(key, Counter())[threat] += 1
        first_on.setdefault((*key, threat), float(t_tr[k]))
    return {
        key: (c.most_common(1)[0][0], first_on[(*key, c.most_common(1)[0][0])])
        for key, c in votes.items()
    }


def warning_measures(
    threats: Sequence[ThreatTiming],
    partners: Sequence[str],
    truth: pa.Table,
    detections: pa.Table,
    tracks: pa.Table,
    alerts: pa.Table,
    track_gate_m: float = 10_000.0,
    launch_gate_m: float = 200_000.0,
) -> dict[str, Any]:
    """Per threat and partner timings, and each partner's median and worst warning time.

    Warning time is the true impact time minus the partner's first alert about
    the threat (own or received), when that alert came before the impact.
    ``first_alert_origin`` names whose sensors gave that first alert (the
    partner itself for its own alert; the ``origin_partner`` of a received one;
    an own alert wins a tie).
    """
    track_map = track_to_threat(tracks, truth, track_gate_m)
    first: dict[tuple[str, str, str], float] = {}
    first_origin: dict[tuple[str, str], str] = {}

    def note(kind: str, threat: str, partner: str, t: float) -> None:
        key = (kind, threat, partner)
        if t < first.get(key, np.inf):
            first[key] = t

    det_obj = detections.column("object_id").to_pylist()
    det_partner = detections.column("partner").to_pylist()
    det_t = detections.column("report_time_s").to_pylist()
    for obj, partner, t in zip(det_obj, det_partner, det_t, strict=True):
        if obj is not None:
            note("detection", obj, partner, t)
    for (partner, _), (threat_id, t) in track_map.items():
        note("track", threat_id, partner, t)

    ballistic = [t for t in threats if t.kind == "ballistic"]
    launch_ecef = np.array(
        [pymap3d.geodetic2ecef(t.launch_lat_deg, t.launch_lon_deg, 0.0) for t in ballistic]
    ).reshape(-1, 3)
    for row in alerts.to_pylist():
        about: str | None = None
        if row["track_id"] is not None:
            hit = track_map.get((row["origin_partner"], int(row["track_id"])))
            about = hit[0] if hit else None
        elif row["alert_kind"] == "launch" and ballistic and row["launch_lat_deg"] is not None:
            p = np.array(pymap3d.geodetic2ecef(row["launch_lat_deg"], row["launch_lon_deg"], 0.0))
            dist = np.linalg.norm(launch_ecef - p, axis=1)
            launched = np.array([t.launch_time_s <= row["time_s"] for t in ballistic])
            dist[~launched] = np.inf
            j = int(np.argmin(dist))
            about = ballistic[j].object_id if dist[j] <= launch_gate_m else None
        if about is not None and row["alert_kind"] != "all_clear":
            key = ("alert", about, row["partner"])
            t_was = first.get(key, np.inf)
            own = row["origin_partner"] == row["partner"]
            if row["time_s"] < t_was or (row["time_s"] == t_was and own):
                first_origin[(about, row["partner"])] = row["origin_partner"]
            note("alert", about, row["partner"], row["time_s"])

    rows = []
    by_partner: dict[str, Any] = {}
    for partner in partners:
        warnings = []
        for threat in threats:
            alert_s = first.get(("alert", threat.object_id, partner))
            warning_s = None
            if alert_s is not None and np.isfinite(threat.impact_time_s):
                warning_s = threat.impact_time_s - alert_s
                if warning_s > 0:
                    warnings.append(warning_s)
                else:
                    warning_s = None
            rows.append(
                {
                    "object_id": threat.object_id,
                    "partner": partner,
                    "first_detection_s": first.get(("detection", threat.object_id, partner)),
                    "first_track_s": first.get(("track", threat.object_id, partner)),
                    "first_alert_s": alert_s,
                    "first_alert_origin": first_origin.get((threat.object_id, partner)),
                    "impact_time_s": threat.impact_time_s,
                    "warning_time_s": warning_s,
                }
            )
        n_ballistic = sum(1 for t in threats if t.kind == "ballistic")
        by_partner[partner] = {
            "ballistic_threats": n_ballistic,
            "warned": len(warnings),
            "median_warning_s": float(np.median(warnings)) if warnings else None,
            "worst_warning_s": float(np.min(warnings)) if warnings else None,
        }
    return {"per_threat": rows, "by_partner": by_partner}
