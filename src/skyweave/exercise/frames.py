"""What each seat of a live exercise is sent: plain JSON-ready dicts built from the engine.

A partner seat's frame is built from that partner's
:class:`~skyweave.engine.simulation.PartnerView` and nothing else (its fused
picture, its alerts, its consent questions, its batteries and engagements,
other partners' batteries as their released ``battery_status`` told it), plus
the partner's own orders from the command log and the state now of each link
touching it (up or down, from the link boundary's windows). No truth object id,
no other partner's picture or question, and no other partner's battery beyond
what was released ever enters it. The white cell and observer frames carry the
truth.

Coordinates leave here as degrees and kilometres (the edge of the program);
inside they are ECEF metres.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pymap3d

from skyweave.c2.decision_log import order_text
from skyweave.engagement.model import THREAT_CLASSES, salvo_kill_probability
from skyweave.engine.simulation import PartnerView, Simulation
from skyweave.exercise.geo import base_map
from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.scenario.schema import InfraredSatellite, Radar, Scenario
from skyweave.warning.alerts import Alerts, concat_alerts

#: newest alert rows sent per frame (the page keeps no history of its own)
ALERTS_PER_FRAME = 40
#: newest command-log rows (orders, notes, rejections) sent per frame
LOG_ROWS_PER_FRAME = 30
#: degrees of margin around the theatre's sites on the map
MAP_MARGIN_DEG = 3.0


def _num(value: float, digits: int = 4) -> float | None:
    """A JSON-safe rounded float (None for NaN or infinity)."""
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _intercept(time_s: float, ecef_m: tuple[float, float, float]) -> dict[str, Any]:
    """A consent question's planned intercept: time and point (None when unknown)."""
    if not (np.isfinite(time_s) and np.all(np.isfinite(ecef_m))):
        return {"intercept_s": None, "intercept_lat_lon": None, "intercept_alt_km": None}
    lat, lon, alt = _geodetic(np.asarray(ecef_m, dtype=np.float64).reshape(1, 3))
    return {
        "intercept_s": round(float(time_s), 1),
        "intercept_lat_lon": [round(float(lat[0]), 3), round(float(lon[0]), 3)],
        "intercept_alt_km": round(float(alt[0]) / 1e3, 1),
    }


def _geodetic(xyz_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude (degrees) and altitude (m) of ECEF points ``(N, 3)``."""
    if len(xyz_m) == 0:
        empty = np.zeros(0)
        return empty, empty, empty
    lat, lon, alt = ecef_to_geodetic(xyz_m[:, 0], xyz_m[:, 1], xyz_m[:, 2])
    return np.asarray(lat), np.asarray(lon), np.asarray(alt)


def _ground_speed_heading(states: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray) -> Any:
    """Speed (m/s) and heading (degrees from North) of ECEF states ``(N, 6)``."""
    if len(states) == 0:
        return np.zeros(0), np.zeros(0)
    e, n, _u = pymap3d.ecef2enuv(states[:, 3], states[:, 4], states[:, 5], lat_deg, lon_deg)
    speed = np.linalg.norm(states[:, 3:6], axis=1)
    heading = np.degrees(np.arctan2(e, n)) % 360.0
    return speed, heading


# -- the map ---------------------------------------------------------------------------


def theatre_bounds(scenario: Scenario) -> dict[str, float]:
    """A lon/lat box holding every site, launch and aim point of the scenario."""
    lats: list[float] = []
    lons: list[float] = []
    for site in [*scenario.defended_assets, *scenario.batteries]:
        lats.append(site.lat_deg)
        lons.append(site.lon_deg)
    for s in scenario.sensors:
        if isinstance(s, Radar):
            lats.append(s.lat_deg)
            lons.append(s.lon_deg)
    for p in scenario.partners:
        if p.command_post is not None:
            lats.append(p.command_post.lat_deg)
            lons.append(p.command_post.lon_deg)
    for t in scenario.threats:
        if t.type == "ballistic":
            lats.append(t.launch.lat_deg)
            lons.append(t.launch.lon_deg)
            if t.aim.lat_deg is not None and t.aim.lon_deg is not None:
                lats.append(t.aim.lat_deg)
                lons.append(t.aim.lon_deg)
        else:
            lats += [w.lat_deg for w in t.waypoints]
            lons += [w.lon_deg for w in t.waypoints]
    if not lats:
        lats, lons = [0.0], [0.0]
    return {
        "lat_min": max(min(lats) - MAP_MARGIN_DEG, -89.0),
        "lat_max": min(max(lats) + MAP_MARGIN_DEG, 89.0),
        "lon_min": min(lons) - MAP_MARGIN_DEG,
        "lon_max": max(lons) + MAP_MARGIN_DEG,
    }


def _sensor_rows(scenario: Scenario, partner: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in scenario.sensors:
        if partner is not None and s.partner != partner:
            continue
        if isinstance(s, Radar):
            rows.append(
                {
                    "id": s.id,
                    "partner": s.partner,
                    "type": "radar",
                    "role": s.role,
                    "lat": s.lat_deg,
                    "lon": s.lon_deg,
                    "boresight_deg": s.boresight_az_deg,
                    "half_width_deg": s.sector_half_width_deg,
                    "max_range_km": s.max_range_km,
                }
            )
        elif isinstance(s, InfraredSatellite):
            rows.append({"id": s.id, "partner": s.partner, "type": "infrared_satellite"})
    return rows


def setup_info(scenario: Scenario, role: str, partner: str | None) -> dict[str, Any]:
    """The static part of a seat's console: the map, its sites and the menus.

    A partner seat gets its own sensors and batteries, its own defended assets
    and those it defends, and the partner list (names and colours); the white
    cell and observer get everything.
    """
    bounds = theatre_bounds(scenario)
    mine = None if role != "partner" else partner
    defended: set[str] = set()
    if mine is not None:
        me = next(p for p in scenario.partners if p.id == mine)
        defended = {mine, *me.engagement.defend}
    assets = [
        {"id": a.id, "partner": a.partner, "name": a.name, "lat": a.lat_deg, "lon": a.lon_deg}
        for a in scenario.defended_assets
        if mine is None or a.partner in defended
    ]
    batteries = [
        {
            "id": b.id,
            "partner": b.partner,
            "lat": b.lat_deg,
            "lon": b.lon_deg,
            "max_range_km": b.max_range_km,
            "interceptors": b.interceptors,
        }
        for b in scenario.batteries
        if mine is None or b.partner == mine
    ]
    partners = [
        {
            "id": p.id,
            "name": p.name or p.id,
            "color": p.color or "#555555",
            "command_post": (
                [p.command_post.lat_deg, p.command_post.lon_deg]
                if p.command_post is not None and (mine is None or p.id == mine)
                else None
            ),
        }
        for p in scenario.partners
    ]
    info: dict[str, Any] = {
        "type": "setup",
        "scenario": scenario.name,
        "description": scenario.description,
        "role": role,
        "partner": partner,
        "partners": partners,
        "time_step_s": scenario.time_step_s,
        "duration_s": scenario.duration_s,
        "bounds": bounds,
        "epoch_utc": scenario.epoch.isoformat().replace("+00:00", "Z"),
        "geo": base_map(bounds),
        "assets": assets,
        "sensors": _sensor_rows(scenario, mine),
        "batteries": batteries,
    }
    if role == "white":
        info["menus"] = {
            "sensors": [s.id for s in scenario.sensors],
            "links": [ln.id for ln in scenario.links],
            "batteries": [b.id for b in scenario.batteries],
            "partners": [p.id for p in scenario.partners],
        }
    return info


# -- a partner's frame -------------------------------------------------------------------


def _alert_rows(alerts: Alerts, indices: Iterable[int], partner: str) -> list[dict[str, Any]]:
    """The rows ``indices`` of ``alerts`` (an alert's id is its index: ``PARTNER-aK``):
    each a change of one threat on the partner's board."""
    rows = []
    for k in indices:
        track = alerts.track_id[k]
        rows.append(
            {
                "id": f"{partner}-a{k}",
                "time_s": _num(alerts.time_s[k], 3),
                "kind": alerts.alert_kind[k],
                "threat": alerts.threat_id[k],
                "class": alerts.threat_class[k],
                "change": alerts.change[k],
                "from": alerts.origin_partner[k],
                "track": None if track is None else f"{partner}:{int(track)}",
                "event": alerts.launch_event_id[k],
                "source": alerts.launch_source[k],
                "launch": [_num(alerts.launch_lat_deg[k]), _num(alerts.launch_lon_deg[k])],
                "impact": [_num(alerts.impact_lat_deg[k]), _num(alerts.impact_lon_deg[k])],
                "impact_time_s": _num(alerts.impact_time_s[k], 2),
                "ellipse_m": [
                    _num(alerts.ellipse_semi_major_m[k], 0),
                    _num(alerts.ellipse_semi_minor_m[k], 0),
                    _num(alerts.ellipse_orientation_deg[k], 1),
                ],
                "assets": list(alerts.threatened_assets[k] or []),
            }
        )
    return rows


def link_rows(sim: Simulation, partner: str) -> list[dict[str, Any]]:
    """Each link touching ``partner``: the partner at its other end, up or down now, and
    since when (the last change at or before now; None if it never changed)."""
    rows = []
    now = sim.time_s
    for link_id, link in sim.boundary.links.items():
        if partner not in link.between:
            continue
        down = sim.boundary.link_down(link_id)
        changes = [t for w in down for t in w if math.isfinite(t) and t <= now]
        rows.append(
            {
                "id": link_id,
                "to": next(p for p in link.between if p != partner),
                "up": bool(sim.boundary.link_up(link_id, np.array([now]))[0]),
                "since_s": _num(max(changes), 1) if changes else None,
            }
        )
    return rows


def _remote_battery_rows(view: PartnerView) -> list[dict[str, Any]]:
    """Other partners' batteries as released to this partner (empty when none is)."""
    return [
        {
            "id": b,
            "partner": str(s["partner"]),
            "inventory": None if s.get("inventory") is None else int(s["inventory"]),
            "ready": None if s.get("ready") is None else bool(s["ready"]),
            "as_of_s": None if s.get("as_of_s") is None else _num(s["as_of_s"], 1),
        }
        for b, s in sorted(view.remote_batteries.items())
    ]


def partner_frame(sim: Simulation, partner: str, view: PartnerView | None = None) -> dict[str, Any]:
    """One partner's console at the current tick, from its :class:`PartnerView` only."""
    view = sim.partner_view(partner) if view is None else view
    tracks: list[dict[str, Any]] = []
    pic = view.picture
    if pic is not None and len(pic):
        lat, lon, alt = _geodetic(pic.state[:, :3])
        speed, heading = _ground_speed_heading(pic.state, lat, lon)
        own_col = pic.origins.index(partner) if partner in pic.origins else -1
        for k, number in enumerate(pic.picture_number.tolist()):
            tracks.append(
                {
                    "id": f"{partner}:{number}",
                    "lat": _num(lat[k]),
                    "lon": _num(lon[k]),
                    "alt_km": _num(alt[k] / 1e3, 2),
                    "speed_mps": _num(speed[k], 0),
                    "heading_deg": _num(heading[k], 1),
                    "sigma_m": _num(pic.pos_sigma_m[k], 0),
                    "own": bool(own_col >= 0 and pic.contributor_id[k, own_col] >= 0),
                }
            )
    alerts = concat_alerts([a for a in view.alerts if len(a)])
    n_alerts = len(alerts)
    # only the newest rows become dicts (a big raid gives thousands of alert rows)
    newest = _alert_rows(alerts, range(max(n_alerts - ALERTS_PER_FRAME, 0), n_alerts), partner)
    acked, classified, log = _own_log(sim, partner)
    return {
        "type": "frame",
        "partner": partner,
        "time_s": view.time_s,
        "picture_time_s": None if pic is None else pic.time_s,
        "tracks": tracks,
        "alerts": newest[::-1],
        "alert_count": n_alerts,
        "threats": _board_with_reasons(sim, partner, view.threats),
        "acked": sorted(acked),
        "classified": classified,
        "questions": _question_rows(sim, view),
        "batteries": [
            {"id": b, "inventory": int(s["inventory"]), "held": bool(s["held"])}
            for b, s in view.batteries.items()
        ],
        "remote_batteries": _remote_battery_rows(view),
        "links": link_rows(sim, partner),
        "engagements": _engagement_rows(view.engagements, with_object=False),
        "messages": _message_rows(sim, view),
        "log": log,
    }


def _board_with_reasons(
    sim: Simulation, partner: str, threats: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The board's rows, each with ``decision``: why the partner's command post did or
    did not engage it at its last decision cycle (``reason`` from the decision log's
    vocabulary and ``text``; None where the post did not decide on it)."""
    latest = sim.decision.latest.get(partner, {})
    out = []
    for t in threats:
        row = latest.get(t["id"])
        decision = None
        if row is not None:
            decision = {"reason": row.verdict.reason, "text": order_text(row.verdict)}
        out.append({**t, "decision": decision})
    return out


def _question_rows(sim: Simulation, view: PartnerView) -> list[dict[str, Any]]:
    """A partner's open consent questions with what its staff needs to answer them: the
    battery's interceptors left, its shots per engagement and the kill probability of an
    engagement against each threat class (the board says which class the threat is)."""
    rows = []
    model = sim.decision.model
    for q in view.questions:
        state = model.states[q.battery_id]
        shots = state.doctrine_shots()
        rows.append(
            {
                "id": q.question_id,
                "battery": q.battery_id,
                "track": q.track_id,
                "asked_s": q.asked_s,
                "deadline_s": q.deadline_s,
                "remaining_s": round(q.deadline_s - view.time_s, 1),
                "inventory": int(view.batteries.get(q.battery_id, {}).get("inventory", 0)),
                "shots": shots,
                "pk_by_class": {
                    c: round(salvo_kill_probability(state.pk(c), shots), 3) for c in THREAT_CLASSES
                },
                **_intercept(q.intercept_time_s, q.intercept_ecef_m),
            }
        )
    return rows


def _message_rows(sim: Simulation, view: PartnerView) -> list[dict[str, Any]]:
    """Messages this partner received over the links and the white cell's messages to it
    (white notes ``to PARTNER: text`` or ``to all: text``), newest first."""
    rows = [(t, sender, text) for t, sender, text in view.messages]
    for ev in sim.events:
        if ev.source == "white" and ev.kind == "note" and ev.time_s <= view.time_s:
            to, sep, text = ev.text.partition(": ")
            if sep and to in (f"to {view.partner}", "to all"):
                rows.append((ev.time_s, "white", text))
    rows.sort(key=lambda r: r[0])
    newest = rows[-20:][::-1]
    return [{"time_s": round(t, 1), "from": sender, "text": text} for t, sender, text in newest]


def _engagement_rows(engagements: Iterable[Any], with_object: bool) -> list[dict[str, Any]]:
    engagements = list(engagements)
    if not engagements:
        return []
    xyz = np.array([e.intercept_ecef_m for e in engagements], dtype=np.float64).reshape(-1, 3)
    lat, lon, alt = _geodetic(xyz)
    rows = []
    for k, e in enumerate(engagements):
        row = {
            "id": e.engagement_id,
            "partner": e.partner,
            "battery": e.battery_id,
            "track": e.track_id,
            "launch_s": _num(e.time_s, 2),
            "intercept_s": _num(e.intercept_time_s, 2),
            "intercept": [_num(lat[k]), _num(lon[k]), _num(alt[k] / 1e3, 2)],
            "shots": e.shots,
            "pk": _num(e.kill_probability, 3),
        }
        if with_object:
            row["object"] = e.object_id
        rows.append(row)
    return rows


def _own_log(sim: Simulation, seat: str) -> tuple[set[str], dict[str, str], list[dict[str, Any]]]:
    """A seat's own commands as the engine recorded them: acknowledgements, classifications,
    and the newest rows (orders, notes, rejections with their reasons)."""
    acked: set[str] = set()
    classified: dict[str, str] = {}
    rows = []
    for ev in sim.events:
        if ev.source != seat:
            continue
        if ev.kind == "note" and ev.text.startswith("ack "):
            acked.add(ev.text[4:].strip())
        elif ev.kind == "classify" and ev.target is not None:
            classified[ev.target] = ev.text
        rows.append({"time_s": ev.time_s, "kind": ev.kind, "target": ev.target, "text": ev.text})
    return acked, classified, rows[-LOG_ROWS_PER_FRAME:][::-1]


# -- the white cell's frame ----------------------------------------------------------------


def truth_frame(sim: Simulation) -> dict[str, Any]:
    """The white cell's (and observer's) picture: every object in flight, every battery,
    every open consent question, the network and sensors' state and the event log."""
    tv = sim.truth_view()
    live = np.flatnonzero(np.isfinite(tv.states_ecef[:, 0]))
    states = tv.states_ecef[live]
    lat, lon, alt = _geodetic(states[:, :3])
    speed, heading = _ground_speed_heading(states, lat, lon)
    accidental = {f.object_id for f in sim.threat_flights() if f.accidental}
    objects = [
        {
            "id": tv.object_ids[i],
            "kind": tv.kinds[i],
            "lat": _num(lat[k]),
            "lon": _num(lon[k]),
            "alt_km": _num(alt[k] / 1e3, 2),
            "speed_mps": _num(speed[k], 0),
            "heading_deg": _num(heading[k], 1),
            "accidental": tv.object_ids[i] in accidental,
        }
        for k, i in enumerate(live.tolist())
    ]
    model = sim.decision.model
    batteries = [
        {
            "id": b.id,
            "partner": b.partner,
            "inventory": int(model.states[b.id].inventory),
            "held": b.id in sim.decision.held,
        }
        for b in sim.scenario.batteries
    ]
    sensors_down = [s.id for s in sim.scenario.sensors if sim.sensors.is_down(s.id)]
    network: dict[str, str] = {}
    for t, kind, subject in sim.boundary.state_changes():
        if t <= sim.time_s:
            network[subject] = kind
    events = [
        {"time_s": e.time_s, "source": e.source, "kind": e.kind, "target": e.target, "text": e.text}
        for e in sim.events[-LOG_ROWS_PER_FRAME:][::-1]
    ]
    return {
        "type": "frame",
        "time_s": sim.time_s,
        "objects": objects,
        "batteries": batteries,
        "questions": [
            {
                "id": q.question_id,
                "partner": q.partner,
                "battery": q.battery_id,
                "track": q.track_id,
                "deadline_s": q.deadline_s,
            }
            for q in sim.consent.open_questions()
        ],
        "engagements": _engagement_rows(sim.decision.model.in_flight(), with_object=True),
        "sensors_down": sensors_down,
        "network": network,
        "events": events,
    }


__all__ = [
    "link_rows",
    "partner_frame",
    "setup_info",
    "theatre_bounds",
    "truth_frame",
]
