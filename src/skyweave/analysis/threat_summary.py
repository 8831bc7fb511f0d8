"""What each threat actually did in the run: the flown flight, not the planned one.

``threat_rows`` turns the planned flights
(:class:`~skyweave.kinematics.from_scenario.ThreatFlight`),
the kills and the end of the run into ``summary.json``'s threat rows:

* ``end_time_s`` is when the threat stopped flying *in this run*:
  ``min(planned end, kill time, run end)``;
* ``outcome`` says how it ended (:data:`OUTCOMES`);
* ``impact_lat_deg`` / ``impact_lon_deg`` are given only for a threat that
  reached the ground (``impact`` or ``landed_elsewhere``), ``kill_*`` only for a
  killed one, ``asset_hit`` only for an impact within a defended asset's radius.

A ballistic or cruise threat *hits* a defended asset when its impact point (for
a cruise missile, the end of its route) lies within the asset's ``radius_m`` of
the asset's centre, measured along the WGS84 geodesic (Vincenty, through
``pymap3d``). Aircraft are platforms, not munitions: the end of their route is
``route_end`` wherever it lies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pymap3d
import pymap3d.vincenty

from skyweave.kinematics.from_scenario import ThreatFlight
from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.kinematics.truth import Truth

#: Threat kinds that strike where they end (their end point can hit an asset).
MUNITION_KINDS = ("ballistic", "cruise")

#: How a threat's flight ended in the run.
#:
#: * ``impact``: a ballistic or cruise threat reached the ground within a
#:   defended asset's radius (a leaker);
#: * ``landed_elsewhere``: it reached the ground away from every defended asset;
#: * ``killed``: an interceptor killed it before its planned end and the run's end;
#: * ``in_flight``: still flying when the run ended;
#: * ``route_end``: an aircraft reached the end of its route.
OUTCOMES = ("impact", "landed_elsewhere", "killed", "in_flight", "route_end", "not_launched")


class AssetLike(Protocol):
    """What :func:`asset_hit_by` needs of a defended asset (the scenario's has it)."""

    @property
    def id(self) -> str: ...
    @property
    def lat_deg(self) -> float: ...
    @property
    def lon_deg(self) -> float: ...
    @property
    def radius_m(self) -> float: ...


def geodesic_m(lat1_deg: Any, lon1_deg: Any, lat2_deg: Any, lon2_deg: Any) -> np.ndarray:
    """WGS84 geodesic distance (Vincenty's inverse formula), metres; broadcasts."""
    d, _ = pymap3d.vincenty.vdist(
        np.asarray(lat1_deg, np.float64),
        np.asarray(lon1_deg, np.float64),
        np.asarray(lat2_deg, np.float64),
        np.asarray(lon2_deg, np.float64),
    )
    return np.asarray(d, dtype=np.float64)


def asset_hit_by(lat_deg: float, lon_deg: float, assets: Sequence[AssetLike]) -> str | None:
    """The id of the nearest defended asset whose radius holds the point, or None.

    Nearest by geodesic distance when radii overlap; ties keep the scenario order.
    """
    if not assets:
        return None
    d = geodesic_m(
        [a.lat_deg for a in assets],
        [a.lon_deg for a in assets],
        np.full(len(assets), lat_deg),
        np.full(len(assets), lon_deg),
    ).reshape(-1)
    radius = np.array([a.radius_m for a in assets], dtype=np.float64)
    inside = np.flatnonzero(d <= radius)
    if inside.size == 0:
        return None
    return assets[int(inside[np.argmin(d[inside])])].id


def state_at(truth: Truth, object_id: str, time_s: float) -> np.ndarray | None:
    """ECEF position (3,) of one object at ``time_s``, linear between truth samples.

    Uses the nearest sample in flight when one of the two bracketing samples is
    not (the object was launched or ended between them); None when the object
    is not in the truth or never in flight near ``time_s``.
    """
    if object_id not in truth.object_ids:
        return None
    k = truth.object_ids.index(object_id)
    t = truth.times_s
    pos = truth.states[:, k, :3]
    i1 = int(np.clip(np.searchsorted(t, time_s, side="left"), 0, t.size - 1))
    i0 = max(i1 - 1, 0) if t[i1] > time_s else i1
    p0, p1 = pos[i0], pos[i1]
    ok0, ok1 = bool(np.isfinite(p0).all()), bool(np.isfinite(p1).all())
    if ok0 and ok1:
        w = 0.0 if t[i1] == t[i0] else (time_s - t[i0]) / (t[i1] - t[i0])
        return np.asarray(p0 + min(max(w, 0.0), 1.0) * (p1 - p0))
    if ok0 or ok1:
        return np.asarray(p0 if ok0 else p1)
    alive = np.flatnonzero(np.isfinite(pos[:, 0]) & (t <= time_s))
    return np.asarray(pos[alive[-1]]) if alive.size else None


def _geodetic(ecef: np.ndarray | None) -> tuple[float | None, float | None, float | None]:
    if ecef is None:
        return None, None, None
    lat, lon, alt = ecef_to_geodetic(float(ecef[0]), float(ecef[1]), float(ecef[2]))
    return float(lat), float(lon), float(alt)


def flight_outcome(
    flight: ThreatFlight,
    killed_s: float | None,
    end_s: float,
    assets: Sequence[AssetLike],
) -> tuple[str, float, str | None]:
    """``(outcome, flown end time, asset hit)`` of one threat; see :data:`OUTCOMES`."""
    planned = float(flight.end_time_s)
    if flight.launch_time_s > end_s:  # the run stopped before this threat's launch
        return "not_launched", float(flight.launch_time_s), None
    if killed_s is not None and killed_s <= min(planned, end_s):
        return "killed", float(killed_s), None
    if not planned <= end_s:  # also NaN: a flight with no end
        return "in_flight", float(end_s), None
    if flight.kind not in MUNITION_KINDS:
        return "route_end", planned, None
    hit = asset_hit_by(flight.end_lat_deg, flight.end_lon_deg, assets)
    return ("impact" if hit is not None else "landed_elsewhere"), planned, hit


def threat_rows(
    flights: Sequence[ThreatFlight],
    killed_at_s: Mapping[str, float],
    end_s: float,
    assets: Sequence[AssetLike],
    truth: Truth | None = None,
) -> list[dict[str, Any]]:
    """``summary.json``'s threat rows: each threat's flight as flown in the run.

    Parameters
    ----------
    flights : sequence of ThreatFlight
        The planned flights (``build_truth``'s second result), in threat order.
    killed_at_s : mapping
        Threat object id -> kill time, s.
    end_s : float
        End of the run, s.
    assets : sequence
        The scenario's defended assets (``id``, ``lat_deg``, ``lon_deg``, ``radius_m``).
    truth : Truth, optional
        The threats' truth *without* the kills applied (``build_truth``'s first
        result): gives the kill point and the position of a threat still in
        flight at the end. Without it those points are None.

    Returns
    -------
    list of dict
        One row per flight, in the given order: ``object_id``, ``kind``,
        ``launch_time_s``, ``end_time_s`` (flown), ``flight_time_s`` (flown),
        ``planned_end_time_s``, ``planned_end_lat_deg``, ``planned_end_lon_deg``,
        ``apogee_km`` (planned), ``outcome``, ``asset_hit``, ``impact_lat_deg``,
        ``impact_lon_deg``, ``killed_s``, ``kill_lat_deg``, ``kill_lon_deg``,
        ``kill_alt_m``, ``end_lat_deg``, ``end_lon_deg``, ``end_alt_m`` (where it
        stopped: impact, kill point, route end or position at the run's end),
        ``miss_to_aim_m``, ``accidental``. Absent values are None.
    """
    rows = []
    for f in flights:
        killed_s = killed_at_s.get(f.object_id)
        outcome, flown_end_s, hit = flight_outcome(f, killed_s, end_s, assets)
        row: dict[str, Any] = {
            "object_id": f.object_id,
            "kind": f.kind,
            "launch_time_s": f.launch_time_s,
            "end_time_s": flown_end_s,
            "flight_time_s": max(flown_end_s - f.launch_time_s, 0.0),
            "planned_end_time_s": f.end_time_s if math.isfinite(f.end_time_s) else None,
            "planned_end_lat_deg": f.end_lat_deg,
            "planned_end_lon_deg": f.end_lon_deg,
            "apogee_km": f.apogee_alt_m / 1e3,
            "outcome": outcome,
            "asset_hit": hit,
            "impact_lat_deg": None,
            "impact_lon_deg": None,
            "killed_s": None,
            "kill_lat_deg": None,
            "kill_lon_deg": None,
            "kill_alt_m": None,
            "end_lat_deg": None,
            "end_lon_deg": None,
            "end_alt_m": None,
            "miss_to_aim_m": f.miss_to_aim_m,
            "accidental": f.accidental,
        }
        if outcome == "not_launched":
            row.update(end_time_s=None, flight_time_s=None)
        elif outcome in ("impact", "landed_elsewhere", "route_end"):
            end_alt = 0.0 if f.kind == "ballistic" else None
            if f.kind != "ballistic" and truth is not None:
                end_alt = _geodetic(state_at(truth, f.object_id, flown_end_s))[2]
            row.update(end_lat_deg=f.end_lat_deg, end_lon_deg=f.end_lon_deg, end_alt_m=end_alt)
            if outcome != "route_end":
                row.update(impact_lat_deg=f.end_lat_deg, impact_lon_deg=f.end_lon_deg)
        else:
            lat, lon, alt = (
                _geodetic(state_at(truth, f.object_id, flown_end_s))
                if truth is not None
                else (None, None, None)
            )
            row.update(end_lat_deg=lat, end_lon_deg=lon, end_alt_m=alt)
            if outcome == "killed":
                row.update(killed_s=flown_end_s, kill_lat_deg=lat, kill_lon_deg=lon, kill_alt_m=alt)
        rows.append(row)
    return rows


__all__ = [
    "MUNITION_KINDS",
    "OUTCOMES",
    "asset_hit_by",
    "flight_outcome",
    "geodesic_m",
    "state_at",
    "threat_rows",
]
