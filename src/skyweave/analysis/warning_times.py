"""Warning measures per threat and partner: first detection, first track, first alert, warning time.

Scoring uses the truth (which threat a track or alert was about); nothing here is
visible to the partners during the run. A track is about a threat when, at its
report times, that threat is the nearest object in flight within
``track_gate_m`` (majority over the track's reports). An alert is about the
truth object its threat followed (:func:`threat_labels`: the threat board's
scoring label, from the lines of sight, tracks and reports it correlated), so a
partner's first alert about an object is the first row of any threat that
turned out to be about it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from skyweave.analysis.metrics import FloatArray, IntArray, nearest_truth_labels


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
    nearest = _nearest_truth_rows(t_truth, xyz_truth, t_tr, xyz_tr, track_gate_m)
    for k in np.flatnonzero(nearest >= 0).tolist():
        key = (partner[k], int(track_id[k]))
        threat = str(ids_truth[nearest[k]])
        votes.setdefault(key, Counter())[threat] += 1
        first_on.setdefault((*key, threat), float(t_tr[k]))
    return {
        key: (c.most_common(1)[0][0], first_on[(*key, c.most_common(1)[0][0])])
        for key, c in votes.items()
    }


def _nearest_truth_rows(
    t_truth: FloatArray, xyz_truth: FloatArray, t_tr: FloatArray, xyz_tr: FloatArray, gate_m: float
) -> IntArray:
    """Each track row's nearest truth row at its own time when that is within ``gate_m``
    (-1 otherwise), the lower truth row on a tie, as ``argmin`` took it
    (:func:`skyweave.analysis.metrics.nearest_truth_labels` with the rows as labels: the
    same per-pair distance as a norm over the three coordinates)."""
    times = np.unique(t_truth)
    slot = np.searchsorted(times, t_tr)
    on_grid = slot < len(times)
    on_grid[on_grid] = times[slot[on_grid]] == t_tr[on_grid]
    track_step = np.where(on_grid, slot, -1)  # off the grid: a step no truth row has
    return nearest_truth_labels(
        len(times),
        np.searchsorted(times, t_truth),
        np.arange(len(t_truth)),
        xyz_truth,
        track_step,
        xyz_tr,
        float(np.nextafter(gate_m, np.inf)),  # strictly closer: the gate itself included
    )


def warning_measures(
    threats: Sequence[ThreatTiming],
    partners: Sequence[str],
    truth: pa.Table,
    detections: pa.Table,
    tracks: pa.Table,
    alerts: pa.Table,
    track_gate_m: float = 10_000.0,
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

    # each (object, partner)'s first report: a minimum, whatever the order
    seen = (
        detections.select(["object_id", "partner", "report_time_s"])
        .filter(pc.is_valid(detections.column("object_id")))
        .group_by(["object_id", "partner"], use_threads=False)
        .aggregate([("report_time_s", "min")])
    )
    for obj, partner, t in zip(
        *(seen.column(n).to_pylist() for n in ("object_id", "partner", "report_time_s_min")),
        strict=True,
    ):
        note("detection", obj, partner, t)
    for (partner, _), (threat_id, t) in track_map.items():
        note("track", threat_id, partner, t)

    labels = threat_labels(alerts)
    for row in alerts.to_pylist():
        about = labels.get((row["partner"], row["threat_id"]))
        if about is None:
            continue
        key = ("alert", about, row["partner"])
        t_was = first.get(key, np.inf)
        own = row["origin_partner"] == row["partner"]
        if row["time_s"] < t_was or (row["time_s"] == t_was and own):
            first_origin[(about, row["partner"])] = row["origin_partner"]
        note("alert", about, row["partner"], row["time_s"])

    rows = []
    by_partner: dict[str, Any] = {}
    kind_of = {t.object_id: t.kind for t in threats}
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
        mine = [r for r in rows if r["partner"] == partner]
        by_class = {
            kind: _warning_stats([r for r in mine if kind_of[str(r["object_id"])] == kind])
            for kind in sorted(set(kind_of.values()))
        }
        ballistic = by_class.get("ballistic", _warning_stats([]))
        by_partner[partner] = {
            "ballistic_threats": ballistic["threats"],
            "warned": ballistic["warned"],
            "median_warning_s": ballistic["median_warning_s"],
            "worst_warning_s": ballistic["worst_warning_s"],
            "by_class": by_class,
        }
    return {"per_threat": rows, "by_partner": by_partner}


def _warning_stats(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Threats, warned threats, median and worst warning time of per-threat rows."""
    warnings = [r["warning_time_s"] for r in rows if r["warning_time_s"] is not None]
    return {
        "threats": len(rows),
        "warned": len(warnings),
        "median_warning_s": float(np.median(warnings)) if warnings else None,
        "worst_warning_s": float(np.min(warnings)) if warnings else None,
    }


def threat_labels(alerts: pa.Table) -> dict[tuple[str, str], str]:
    """(partner, threat id) -> the truth object the threat was about: the label of its
    last alert row that has one (a threat born of a track is labelled only once its
    track has been followed; scoring only)."""
    if alerts.num_rows == 0 or "threat_id" not in alerts.column_names:
        return {}
    out: dict[tuple[str, str], str] = {}
    cols = [alerts.column(n).to_pylist() for n in ("partner", "threat_id", "truth_object_id")]
    for partner, threat_id, truth in zip(*cols, strict=True):
        if threat_id is not None and truth is not None:
            out[(partner, threat_id)] = truth
    return out
