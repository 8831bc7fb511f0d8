"""The white cell's live outcome feed: what has happened so far, newest first.

Launches, interceptor engagements and their results (kill, miss, aborted), impacts
and the defended assets they hit, consent decisions (by staff or by policy at the
deadline), refused orders with their reasons, and partners' requests for a pause.
Built from the engine's state at the current tick (the truth: white cell and
observer only), never from the future.
"""

from __future__ import annotations

import math
from typing import Any

from skyweave.engine.simulation import Simulation

#: newest rows sent per frame
FEED_ROWS = 40
#: mean Earth radius for the asset-hit check (m); the assets' radii are kilometres
EARTH_RADIUS_M = 6_371_000.0
#: the note a partner's staff sends to ask the white cell for a pause starts with this
PAUSE_REQUEST = "pause requested"


def _ground_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (degrees), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _row(time_s: float, kind: str, text: str) -> dict[str, Any]:
    return {"time_s": round(float(time_s), 1), "kind": kind, "text": text}


def _flight_rows(sim: Simulation, now: float) -> list[dict[str, Any]]:
    """Threat launches, and impacts of threats not killed, with the assets they hit."""
    rows = []
    assets = sim.scenario.defended_assets
    for flight, killed_s in zip(sim.threat_flights(), sim.killed_at_s.tolist(), strict=False):
        if flight.launch_time_s > now:
            continue
        tag = " (accidental)" if flight.accidental else ""
        rows.append(_row(flight.launch_time_s, "launch", f"{flight.object_id}: {flight.kind}{tag}"))
        if flight.end_time_s > now or killed_s <= flight.end_time_s:
            continue
        if flight.kind == "aircraft":
            rows.append(_row(flight.end_time_s, "leaker", f"{flight.object_id}: route flown"))
            continue
        hit = [
            a
            for a in assets
            if _ground_distance_m(flight.end_lat_deg, flight.end_lon_deg, a.lat_deg, a.lon_deg)
            <= a.radius_m
        ]
        where = f"{flight.end_lat_deg:.2f}, {flight.end_lon_deg:.2f}"
        rows.append(_row(flight.end_time_s, "impact", f"{flight.object_id} at {where}"))
        for a in hit:
            rows.append(
                _row(
                    flight.end_time_s,
                    "asset_hit",
                    f"{a.name or a.id} ({a.partner}) hit by {flight.object_id}",
                )
            )
    return rows


def _engagement_rows(sim: Simulation, now: float) -> list[dict[str, Any]]:
    """Interceptor launches (each engagement), and results once the interceptors stop."""
    model = sim.decision.model
    rows = []
    for e in [*model.engagements, *model.in_flight()]:
        if e.time_s > now:
            continue
        shots = f"{e.shots} shot{'s' if e.shots > 1 else ''}"
        what = f"{e.battery_id} fires {shots} at {e.object_id} ({e.track_id})"
        rows.append(_row(e.time_s, "engage", what))
        if e.outcome != "in_flight" and e.end_time_s <= now:
            rows.append(_row(e.end_time_s, e.outcome, f"{e.battery_id} on {e.object_id}"))
    return rows


def _decision_rows(sim: Simulation, now: float) -> list[dict[str, Any]]:
    """Consent decisions, refused orders and pause requests."""
    rows = []
    for d in sim.decision.decisions:
        if d.answered_s > now:
            continue
        verdict = "granted" if d.granted else "denied"
        if d.by != "policy":
            who = f"by {d.by}'s staff"
        else:  # no question: the partner's rule answers at once (always, never)
            who = "by policy at the deadline" if d.question_id else "by standing consent"
        asked = f"{d.question_id} " if d.question_id else ""
        what = f"{asked}{d.battery_id} on {d.track_id}: {verdict} {who}"
        rows.append(_row(d.answered_s, "consent", what))
    for ev in sim.events:
        if ev.time_s > now:
            continue
        if ev.kind in ("command_rejected", "engage_rejected"):
            rows.append(_row(ev.time_s, "refused", f"{ev.source} {ev.target or ''}: {ev.text}"))
        elif ev.kind == "note" and ev.text.startswith(PAUSE_REQUEST):
            rows.append(_row(ev.time_s, "pause_request", f"{ev.source}: {ev.text}"))
    return rows


def outcome_feed(sim: Simulation) -> list[dict[str, Any]]:
    """The newest :data:`FEED_ROWS` outcomes up to now, newest first."""
    now = sim.time_s
    rows = [*_flight_rows(sim, now), *_engagement_rows(sim, now), *_decision_rows(sim, now)]
    rows.sort(key=lambda r: r["time_s"], reverse=True)
    return rows[:FEED_ROWS]


__all__ = ["PAUSE_REQUEST", "outcome_feed"]
