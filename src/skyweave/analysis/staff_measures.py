"""Staff measures of a played exercise, per partner, from the run's own tables.

* **launch to first alert**: per threat, the partner's first alert after its
  launch (from the summary's warning block), and the median;
* **consent**: every question with when it was asked and answered, by whom
  (the staff, or the policy at the deadline: a timed-out question), the median
  asked-to-answered delay of the staff's answers, and the count of timeouts;
* **alert to first order**: from the partner's first alert to its staff's first
  order after it (hold fire, weapons free, engage, classify, a consent answer);
* **classifications**: each ``classify`` order, the truth object its threat
  was about (the board's scoring label; for an older log naming a picture track,
  the truth object that track followed then, nearest within a gate) and whether
  the call was right (``accidental`` for a threat the scenario or inject marks
  accidental, ``deliberate`` otherwise; ``unknown`` is neither right nor wrong),
  and a confusion matrix of the last call on each threat against its truth;
* **alert to partner warned**: per threat, from the first alert any partner
  issued about it (the earliest alert row about the threat: an issuer's own
  row carries its issue time, a receiver's its arrival) to the moment this
  partner was warned of it, by its own alert or a received one (whose sensors
  gave it: ``warned_by``), and the median;
* **holds and overrides**: the staff's hold fire, weapons free and engage
  orders, and the orders the engine refused; an **override** is a staff order
  that sets aside what would otherwise have happened: an engage order the
  engine carried out (the command post's own assignment is set aside; a refused
  one changed nothing), a weapons free that lifts a
  hold in force on at least one of the partner's batteries (set by its staff
  or by the white cell), or a consent answer that differs from the answer the
  partner's policy gives at the deadline (``after_delay``, the only policy
  that asks, grants: so a staff denial).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from skyweave.analysis.warning_times import threat_labels
from skyweave.warning.threat_model import CLASSIFICATIONS

#: a picture track "follows" the nearest truth object within this distance (m)
CLASSIFY_GATE_M = 50_000.0
#: the staff's orders that count as a first response to an alert
ORDER_KINDS = ("hold_fire", "weapons_free", "engage", "classify")
#: what a partner's policy answers a consent question at its deadline (``after_delay``
#: grants; ``always`` and ``never`` answer at once and ask nobody)
POLICY_ANSWER_GRANTED = True

_FIELD = re.compile(r"(\w+)=(\S+)")


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _consent_rows(events: list[dict[str, Any]], partner: str) -> list[dict[str, Any]]:
    rows = []
    for e in events:
        if e["kind"] not in ("consent_granted", "consent_denied"):
            continue
        fields = dict(_FIELD.findall(e["text"] or ""))
        if fields.get("partner") != partner or fields.get("question", "-") == "-":
            continue  # an ``always``/``never`` policy asks nobody
        asked_s = float(fields["asked_s"])
        rows.append(
            {
                "question_id": fields["question"],
                "battery_id": e["target"],
                "track_id": fields.get("track"),
                "asked_s": asked_s,
                "answered_s": float(e["time_s"]),
                "delay_s": float(e["time_s"]) - asked_s,
                "granted": e["kind"] == "consent_granted",
                "by": fields.get("by", "policy"),
            }
        )
    return rows


def _alert_to_warned(per_threat: list[dict[str, Any]], partner: str) -> dict[str, Any]:
    """Per threat some partner was alerted to: first alert by anyone to this partner warned."""
    first: dict[str, tuple[float, str]] = {}
    for row in per_threat:
        t = row.get("first_alert_s")
        if t is None or not math.isfinite(t):
            continue
        # earliest alert row about the threat; a tie goes to the partner alerted by itself
        own = row.get("first_alert_origin") == row["partner"]
        was = first.get(row["object_id"])
        if was is None or t < was[0] or (t == was[0] and own):
            first[row["object_id"]] = (
                float(t),
                str(row.get("first_alert_origin") or row["partner"]),
            )
    rows = []
    for row in per_threat:
        if row.get("partner") != partner or row["object_id"] not in first:
            continue
        first_s, issuer = first[row["object_id"]]
        warned_s = row.get("first_alert_s")
        rows.append(
            {
                "object_id": row["object_id"],
                "first_alert_s": first_s,
                "first_alert_by": issuer,
                "warned_s": warned_s,
                "warned_by": row.get("first_alert_origin") if warned_s is not None else None,
                "alert_to_warned_s": warned_s - first_s if warned_s is not None else None,
            }
        )
    done = [r["alert_to_warned_s"] for r in rows if r["alert_to_warned_s"] is not None]
    return {"per_threat": rows, "median_s": _median(done), "not_warned": len(rows) - len(done)}


def _battery_owners(
    events: list[dict[str, Any]], partners: list[str], given: Mapping[str, str] | None
) -> dict[str, str]:
    """Battery id -> partner: ``given``, else what the run's own rows say (a battery named
    by a partner's staff orders, or by a consent answer for that partner)."""
    if given is not None:
        return dict(given)
    owners: dict[str, str] = {}
    for e in events:
        if e["target"] is None or e["target"] in partners:
            continue
        if e["source"] in partners and e["kind"] in ("hold_fire", "weapons_free", "engage"):
            owners.setdefault(e["target"], e["source"])
        elif e["kind"] in ("consent_granted", "consent_denied"):
            who = dict(_FIELD.findall(e["text"] or "")).get("partner")
            if who is not None:
                owners.setdefault(e["target"], who)
    return owners


def _holds_and_overrides(
    events: list[dict[str, Any]],
    partner: str,
    owners: Mapping[str, str],
    consent: list[dict[str, Any]],
) -> dict[str, Any]:
    """The staff's holds and its overrides (see the module docstring), in time order."""
    # the partner's holds in force: a whole-partner hold (and the batteries freed from it
    # since) and battery holds, each with the seat that set it
    whole, whole_by = False, ""
    freed: set[str] = set()
    held: dict[str, str] = {}
    overrides: list[dict[str, Any]] = []
    counts = {"hold_fire": 0, "weapons_free": 0, "engage": 0}
    # engage orders the engine refused (battery, "track=<id>" text): no override
    refused = [
        (e["time_s"], e["target"], str(e["text"]).split(" ", 1)[0])
        for e in events
        if e["kind"] == "engage_rejected" and e["source"] == partner
    ]
    for e in sorted(events, key=lambda e: e["time_s"]):  # stable: log order within a time
        kind, target, source = e["kind"], e["target"], e["source"]
        if kind not in counts or source not in (partner, "white"):
            continue
        if kind == "engage":
            if source == partner:
                counts["engage"] += 1
                order = (target, str(e["text"]).split(" ", 1)[0])
                if not any((b, tr) == order and t >= e["time_s"] for t, b, tr in refused):
                    overrides.append(
                        {"time_s": e["time_s"], "kind": "engage", "target": target, "over": "c2"}
                    )
            continue
        if target != partner and owners.get(str(target)) != partner:
            continue  # another partner's battery, or one whose owner the rows do not say
        if source == partner:
            counts[kind] += 1
        if kind == "hold_fire":
            if target == partner:
                whole, freed, held, whole_by = True, set(), {}, source
            else:
                held[target] = source
                freed.discard(target)
            continue
        if target == partner:
            lifted = sorted({*held.values(), *([whole_by] if whole else [])})
            whole, freed, held = False, set(), {}
        else:
            by = held.pop(target, None) or (whole_by if whole and target not in freed else None)
            lifted = [by] if by else []
            if whole:
                freed.add(target)
        if lifted and source == partner:
            overrides.append(
                {
                    "time_s": e["time_s"],
                    "kind": "weapons_free",
                    "target": target,
                    "over": "hold by " + ", ".join(lifted),
                }
            )
    for c in consent:
        if c["by"] == partner and c["granted"] != POLICY_ANSWER_GRANTED:
            overrides.append(
                {
                    "time_s": c["answered_s"],
                    "kind": "consent",
                    "target": c["question_id"],
                    "over": "policy",
                }
            )
    overrides.sort(key=lambda o: o["time_s"])
    return {
        **counts,
        "holds_lifted": sum(1 for o in overrides if o["kind"] == "weapons_free"),
        "consent_overrides": sum(1 for o in overrides if o["kind"] == "consent"),
        "overrides": len(overrides),
        "override_orders": overrides,
    }


def _followed_object(
    picture: pa.Table, truth: pa.Table, partner: str, track: str, time_s: float
) -> str | None:
    """The truth object nearest the partner's picture track at its last update by ``time_s``."""
    try:
        number = int(track.split(":", 1)[1])
    except (IndexError, ValueError):
        return None
    pic = picture.to_pydict()
    rows = [
        k
        for k in range(len(pic["time_s"]))
        if pic["partner"][k] == partner
        and pic["track_id"][k] == number
        and pic["time_s"][k] <= time_s + 1e-9
    ]
    if not rows:
        return None
    k = max(rows, key=lambda r: pic["time_s"][r])
    t_pic = pic["time_s"][k]
    where = np.array([pic["x_m"][k], pic["y_m"][k], pic["z_m"][k]])
    tr = truth.to_pydict()
    times = np.asarray(tr["time_s"], dtype=np.float64)
    if times.size == 0:
        return None
    t_truth = times[np.argmin(np.abs(times - t_pic))]
    best, best_m = None, CLASSIFY_GATE_M
    for j in np.flatnonzero(times == t_truth).tolist():
        if tr["kind"][j] == "interceptor":
            continue
        d = float(np.linalg.norm(np.array([tr["x_m"][j], tr["y_m"][j], tr["z_m"][j]]) - where))
        if d < best_m:
            best, best_m = tr["object_id"][j], d
    return best


def staff_measures(
    summary: Mapping[str, Any],
    tables: Mapping[str, pa.Table],
    battery_partner: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Per-partner staff measures of a run (see the module docstring).

    Parameters
    ----------
    summary : mapping
        The run's summary (``threats`` rows with ``accidental`` and
        ``launch_time_s``; ``warning.per_threat`` rows with ``first_alert_s``).
    tables : mapping
        The run's tables: ``alerts``, ``events``, ``picture`` and ``truth``.
    battery_partner : mapping, optional
        Battery id -> its partner (the scenario's batteries). Without it a
        battery's partner is read from the rows that name it (its partner's
        staff orders, its consent questions); a white-cell hold on a battery no
        such row names is then not seen.

    Returns
    -------
    dict
        Partner id to its measures.
    """
    threats = {t["object_id"]: t for t in summary.get("threats", [])}
    per_threat = summary.get("warning", {}).get("per_threat", [])
    events = tables["events"].to_pylist()
    alerts = tables["alerts"].select(["time_s", "partner"]).to_pylist()
    labels = threat_labels(tables["alerts"])
    partners = sorted({str(r["partner"]) for r in per_threat} | {str(a["partner"]) for a in alerts})
    owners = _battery_owners(events, partners, battery_partner)
    out: dict[str, Any] = {}
    for partner in partners:
        warned = []
        for row in per_threat:
            t = threats.get(row["object_id"])
            if row.get("partner") != partner or t is None or row.get("first_alert_s") is None:
                continue
            warned.append(
                {
                    "object_id": row["object_id"],
                    "launch_to_first_alert_s": float(row["first_alert_s"]) - t["launch_time_s"],
                }
            )
        consent = _consent_rows(events, partner)
        staff_delays = [c["delay_s"] for c in consent if c["by"] == partner]
        first_alert = min((a["time_s"] for a in alerts if a["partner"] == partner), default=None)
        orders = [e for e in events if e["source"] == partner and e["kind"] in ORDER_KINDS] + [
            {"time_s": c["answered_s"], "kind": "consent"} for c in consent if c["by"] == partner
        ]
        after = [
            o["time_s"] for o in orders if first_alert is not None and o["time_s"] >= first_alert
        ]
        classified = []
        for e in events:
            if e["source"] != partner or e["kind"] != "classify":
                continue
            obj = labels.get((partner, e["target"])) or _followed_object(
                tables["picture"], tables["truth"], partner, e["target"], e["time_s"]
            )
            accidental = bool(threats[obj]["accidental"]) if obj in threats else None
            right = None
            if accidental is not None and e["text"] in ("accidental", "deliberate"):
                right = (e["text"] == "accidental") == accidental
            classified.append(
                {
                    "time_s": e["time_s"],
                    "track_id": e["target"],
                    "as": e["text"],
                    "object_id": obj,
                    "launch_to_classification_s": (
                        e["time_s"] - threats[obj]["launch_time_s"] if obj in threats else None
                    ),
                    "right": right,
                }
            )
        out[partner] = {
            "launch_to_first_alert": {
                "per_threat": warned,
                "median_s": _median([w["launch_to_first_alert_s"] for w in warned]),
            },
            "alert_to_warned": _alert_to_warned(per_threat, partner),
            "holds": _holds_and_overrides(events, partner, owners, consent),
            "consent": {
                "questions": consent,
                "answered_by_staff": len(staff_delays),
                "timed_out": sum(1 for c in consent if c["by"] == "policy"),
                "median_delay_s": _median(staff_delays),
            },
            "alert_to_first_order_s": (
                min(after) - first_alert if after and first_alert is not None else None
            ),
            "classifications": classified,
            "classified_right": sum(1 for c in classified if c["right"] is True),
            "classified_wrong": sum(1 for c in classified if c["right"] is False),
            "classification_matrix": _confusion(classified, threats),
            "orders": {
                kind: sum(1 for e in events if e["source"] == partner and e["kind"] == kind)
                for kind in (*ORDER_KINDS, "command_rejected", "engage_rejected")
            },
        }
        for value in out[partner]["launch_to_first_alert"]["per_threat"]:
            if not math.isfinite(value["launch_to_first_alert_s"]):
                value["launch_to_first_alert_s"] = None
    return out


def _confusion(
    classified: list[dict[str, Any]], threats: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, int]]:
    """Per truth label (accidental or deliberate), how the staff last called each threat
    it classified: one count per threat, the last call standing."""
    last: dict[str, str] = {}
    for c in sorted(classified, key=lambda c: c["time_s"]):
        if c["object_id"] in threats:
            last[c["object_id"]] = c["as"]
    out = {truth: dict.fromkeys(CLASSIFICATIONS, 0) for truth in ("accidental", "deliberate")}
    for obj, called in last.items():
        truth = "accidental" if threats[obj]["accidental"] else "deliberate"
        if called in out[truth]:
            out[truth][called] += 1
    return out


__all__ = ["staff_measures"]
