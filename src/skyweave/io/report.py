"""After-action report of one run: a self-contained ``report.html``.

``write_report(run_dir, scenario)`` reads the run folder (``summary.json``,
``truth``, ``detections``, ``tracks``, ``alerts`` and, when the engagement stage
wrote it, ``engagements`` Parquet tables) and the scenario, and writes one HTML
page that opens offline: no script, no style sheet or font from the network,
every figure a PNG embedded as base64.

Content, in briefing order:

* header: scenario, epoch, seed, coordination mode, simulated time, counts;
* key measures per partner (warning, GOSPA, SIAP) from ``summary.json``;
* theatre map: defended assets (area proportional to value), radar coverage
  sectors to maximum range, battery maximum-range circles, threat ground tracks
  by kind, true impact points, each partner's last predicted impact point and
  ellipse per track, launch-point estimates, intercepts;
* timeline per partner: flight of every threat, first detection, first track,
  first alert, the alert stream (launch, impact update, all clear) coloured by
  the partner that originated it, engagements, and the white cell's injects;
* warning time per ballistic threat and partner (figure and table);
* engagement outcomes (when ``engagements.parquet`` exists);
* track quality over time: GOSPA and its localisation, missed and false parts
  per partner, recomputed by :func:`skyweave.analysis.metrics_run.compute_run_metrics`.

Map geometry
    The map is plate carrée (longitude, latitude in degrees) with the aspect
    ratio ``1 / cos(mean latitude)``, so that distances are true in both
    directions at the middle of the theatre. Coverage wedges, range circles and
    impact ellipses are drawn as polygons of points placed by true bearing and
    great-circle distance on the mean-radius sphere (azimuthal equidistant about
    their centre), which is within 0.5 % of the ellipsoid's geodesic: a
    fraction of a line width at theatre scale. No coastline or basemap is drawn
    (none is available offline); a one- to ten-degree graticule gives scale.

Associations
    Alerts carry a track number, not the threat's id. They are put on a threat's
    row with the same rule the warning measures use
    (:mod:`skyweave.analysis.warning_times`): a track is about the nearest threat
    within 10 km at its report times (majority); an infrared launch alert
    without a track is about the launched ballistic threat whose launch point is
    nearest, within 200 km. Alerts that match no threat sit on a row of their own.

Engagements
    ``engagements.parquet`` is optional. Its columns are read when present:
    ``time_s`` (fire time), ``partner``, ``battery_id`` (or ``shooter_id``),
    ``target_id`` (or ``object_id``), ``interceptor_id``, ``outcome`` (text) or
    ``kill`` (bool), ``intercept_time_s`` (or ``end_time_s``), and the end-game
    position as ``intercept_lat_deg``/``intercept_lon_deg`` or ECEF
    ``intercept_x_m``/``intercept_y_m``/``intercept_z_m``.

Determinism
    The same run folder and scenario give the same bytes: Matplotlib's default
    style is applied whatever the user's ``matplotlibrc`` says, fonts are the
    bundled DejaVu, PNG metadata carries no software version, and the page
    holds no wall-clock time.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pymap3d
from numpy.typing import NDArray

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import Radar, Scenario

FloatArray = NDArray[np.float64]

REPORT_NAME = "report.html"
#: Resolution of the embedded figures: legible on a laptop and a projector,
#: and a page of a few hundred kilobytes.
DPI = 100
#: Track-to-threat gate and launch-point gate, as in the warning measures.
TRACK_GATE_M = 10_000.0
LAUNCH_GATE_M = 200_000.0
#: Most threat rows drawn in the timeline and warning figure (the tables list all).
MAX_TIMELINE_ROWS = 60

#: Threat kinds: colours distinct from the usual partner blues and reds.
KIND_COLOURS = {
    "ballistic": "#3a3a3a",
    "cruise": "#8c4fbf",
    "aircraft": "#2e8b57",
    "interceptor": "#ff8c00",
}
#: Partner colours when the scenario gives none (or an unusable one).
PARTNER_PALETTE = ("#1f77b4", "#d62728", "#17becf", "#bcbd22", "#e377c2", "#8c564b", "#7f7f7f")

_TABLES = ("truth", "detections", "tracks", "alerts", "engagements")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RunData:
    """What a run folder holds, each table ``None`` when its file is absent."""

    run_dir: Path
    summary: dict[str, Any]
    tables: dict[str, pa.Table | None]

    def table(self, name: str) -> pa.Table | None:
        """The named table, or ``None`` when the run did not write it."""
        return self.tables.get(name)


def load_run(run_dir: str | Path, require_summary: bool = True) -> RunData:
    """Read a run folder's ``summary.json`` and Parquet tables.

    Raises
    ------
    InputError
        When the folder does not exist, holds neither ``summary.json`` nor
        ``truth.parquet``, or a file in it cannot be read.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise InputError(
            [Problem(str(run), "run folder not found; expected summary.json and Parquet tables")]
        )
    summary_path = run / "summary.json"
    if require_summary and not summary_path.is_file() and not (run / "truth.parquet").is_file():
        raise InputError(
            [Problem(str(run), "not a run folder: neither summary.json nor truth.parquet found")]
        )
    summary: dict[str, Any] = {}
    if summary_path.is_file():
        try:
            loaded = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError([Problem(str(summary_path), f"not readable JSON: {exc}")]) from None
        if not isinstance(loaded, dict):
            raise InputError([Problem(str(summary_path), "expected a JSON object")])
        summary = loaded
    tables: dict[str, pa.Table | None] = {}
    for name in _TABLES:
        path = run / f"{name}.parquet"
        if not path.is_file():
            tables[name] = None
            continue
        try:
            tables[name] = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError([Problem(str(path), f"not a readable Parquet file: {exc}")]) from None
    return RunData(run, summary, tables)


def _column(table: pa.Table | None, *names: str) -> NDArray[Any] | None:
    """The first of ``names`` that ``table`` has, as a NumPy array (strings as objects)."""
    if table is None:
        return None
    for name in names:
        if name in table.column_names:
            col = table.column(name)
            typ = col.type
            if pa.types.is_floating(typ) or pa.types.is_integer(typ):
                if col.null_count:
                    return np.asarray(
                        col.cast(pa.float64()).fill_null(np.nan).to_numpy(), dtype=np.float64
                    )
                return np.asarray(col.to_numpy(), dtype=np.float64)
            return np.asarray(col.to_pylist(), dtype=object)
    return None


@dataclass(frozen=True)
class ThreatInfo:
    """One threat's true flight, as the report shows it."""

    object_id: str
    kind: str
    launch_time_s: float
    end_time_s: float
    launch_lat_deg: float
    launch_lon_deg: float
    end_lat_deg: float
    end_lon_deg: float
    accidental: bool = False
    apogee_km: float = math.nan
    killed_s: float = math.nan

    @property
    def killed(self) -> bool:
        """An interceptor killed it (its planned impact never happened)."""
        return math.isfinite(self.killed_s)

    @property
    def flight_end_s(self) -> float:
        """When it stopped flying: the kill, or the end of its planned flight."""
        return self.killed_s if self.killed else self.end_time_s


@dataclass(frozen=True)
class GroundTracks:
    """Truth ground tracks: per object, arrays of time and geodetic position."""

    object_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    time_s: tuple[FloatArray, ...]
    lat_deg: tuple[FloatArray, ...]
    lon_deg: tuple[FloatArray, ...]
    in_flight_time_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    in_flight_count: FloatArray = field(default_factory=lambda: np.zeros(0))


def ground_tracks(truth: pa.Table | None) -> GroundTracks:
    """Split ``truth.parquet`` into per-object geodetic ground tracks, time-sorted."""
    if truth is None or truth.num_rows == 0:
        return GroundTracks((), (), (), (), ())
    t = _column(truth, "time_s")
    ids = _column(truth, "object_id")
    kinds = _column(truth, "kind")
    x, y, z = (_column(truth, c) for c in ("x_m", "y_m", "z_m"))
    if t is None or ids is None or x is None or y is None or z is None:
        return GroundTracks((), (), (), (), ())
    if kinds is None:
        kinds = np.full(ids.size, "ballistic", dtype=object)
    ok = np.isfinite(t) & np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    t, ids, kinds, x, y, z = t[ok], ids[ok], kinds[ok], x[ok], y[ok], z[ok]
    uniq, obj = np.unique(ids.astype(str), return_inverse=True)
    order = np.lexsort((t, obj))
    lat, lon, _ = pymap3d.ecef2geodetic(x[order], y[order], z[order])
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    obj_sorted = obj[order]
    cuts = np.flatnonzero(np.diff(obj_sorted)) + 1
    starts = np.concatenate([[0], cuts])
    threat_rows = kinds != "interceptor"
    times_u, counts = np.unique(t[threat_rows], return_counts=True)
    return GroundTracks(
        object_ids=tuple(str(u) for u in uniq),
        kinds=tuple(str(k) for k in kinds[order][starts]),
        time_s=tuple(np.split(t[order], cuts)),
        lat_deg=tuple(np.split(lat, cuts)),
        lon_deg=tuple(np.split(lon, cuts)),
        in_flight_time_s=times_u,
        in_flight_count=counts.astype(np.float64),
    )


def _threat_infos(
    run: RunData, tracks: GroundTracks, scenario: Scenario | None
) -> list[ThreatInfo]:
    """Every threat (not interceptors), ordered by launch time then id."""
    by_id = {row.get("object_id"): row for row in run.summary.get("threats", []) or []}
    exact_launch: dict[str, tuple[float, float]] = {}
    if scenario is not None:
        from skyweave.scenario.expand import expand_threats

        ballistic, air = expand_threats(scenario)
        for b in ballistic:
            exact_launch[b.object_id] = (b.launch_lat_deg, b.launch_lon_deg)
        for a in air:
            exact_launch[a.object_id] = (a.waypoints_lat_deg[0], a.waypoints_lon_deg[0])
    out: list[ThreatInfo] = []
    for k, oid in enumerate(tracks.object_ids):
        kind = tracks.kinds[k]
        if kind == "interceptor":
            continue
        s = by_id.get(oid, {})
        launch_lat, launch_lon = exact_launch.get(
            oid, (float(tracks.lat_deg[k][0]), float(tracks.lon_deg[k][0]))
        )
        end_lat = s.get("impact_lat_deg")
        end_lon = s.get("impact_lon_deg")
        out.append(
            ThreatInfo(
                object_id=oid,
                kind=kind,
                launch_time_s=float(s.get("launch_time_s", tracks.time_s[k][0])),
                end_time_s=float(s.get("end_time_s", tracks.time_s[k][-1])),
                launch_lat_deg=float(launch_lat),
                launch_lon_deg=float(launch_lon),
                end_lat_deg=float(tracks.lat_deg[k][-1] if end_lat is None else end_lat),
                end_lon_deg=float(tracks.lon_deg[k][-1] if end_lon is None else end_lon),
                accidental=bool(s.get("accidental", False)),
                apogee_km=float(s["apogee_km"]) if s.get("apogee_km") is not None else math.nan,
                killed_s=float(s["killed_s"]) if s.get("killed_s") is not None else math.nan,
            )
        )
    # Threats the summary lists but truth lacks (a truncated table) still get a row.
    seen = {t.object_id for t in out}
    for oid, s in by_id.items():
        if oid in seen or oid is None or s.get("kind") == "interceptor":
            continue
        lat = s.get("impact_lat_deg", math.nan)
        lon = s.get("impact_lon_deg", math.nan)
        out.append(
            ThreatInfo(
                object_id=str(oid),
                kind=str(s.get("kind", "ballistic")),
                launch_time_s=float(s.get("launch_time_s", math.nan)),
                end_time_s=float(s.get("end_time_s", math.nan)),
                launch_lat_deg=exact_launch.get(oid, (math.nan, math.nan))[0],
                launch_lon_deg=exact_launch.get(oid, (math.nan, math.nan))[1],
                end_lat_deg=float(math.nan if lat is None else lat),
                end_lon_deg=float(math.nan if lon is None else lon),
                accidental=bool(s.get("accidental", False)),
            )
        )
    out.sort(
        key=lambda t: (t.launch_time_s if math.isfinite(t.launch_time_s) else 1e18, t.object_id)
    )
    return out


def _partners(run: RunData, scenario: Scenario | None) -> list[str]:
    """Partner ids: the scenario's order, else those the run's tables name, sorted."""
    if scenario is not None:
        return [p.id for p in scenario.partners]
    names: set[str] = set(run.summary.get("warning", {}).get("by_partner", {}) or {})
    names |= set((run.summary.get("track_quality", {}) or {}).get("partners", {}) or {})
    for name in ("tracks", "alerts", "detections"):
        col = _column(run.table(name), "partner")
        if col is not None:
            names |= {str(v) for v in col if v is not None}
    return sorted(names)


def _partner_style(
    partners: Sequence[str], scenario: Scenario | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Colour and display name of each partner."""
    from matplotlib.colors import is_color_like

    given = {p.id: p for p in scenario.partners} if scenario is not None else {}
    colours: dict[str, str] = {}
    names: dict[str, str] = {}
    for i, pid in enumerate(partners):
        p = given.get(pid)
        c = p.color if p is not None else ""
        colours[pid] = c if c and is_color_like(c) else PARTNER_PALETTE[i % len(PARTNER_PALETTE)]
        names[pid] = (p.name or pid) if p is not None else pid
    return colours, names


# ------------------------------------------------------------------ associations


def _track_to_threat(tracks: pa.Table | None, truth: pa.Table | None) -> dict[tuple[str, int], str]:
    """(partner, track id) -> threat id, by the warning measures' rule."""
    if tracks is None or truth is None or tracks.num_rows == 0:
        return {}
    position = {"time_s", "x_m", "y_m", "z_m"}
    if not position | {"partner", "track_id"} <= set(tracks.column_names):
        return {}
    if not position | {"object_id"} <= set(truth.column_names):
        return {}
    from skyweave.analysis.warning_times import track_to_threat as rule

    return {key: threat for key, (threat, _) in rule(tracks, truth, TRACK_GATE_M).items()}


@dataclass(frozen=True)
class AlertRows:
    """The alert stream, one row per alert received, with the threat it is about."""

    time_s: FloatArray
    partner: NDArray[Any]
    origin: NDArray[Any]
    kind: NDArray[Any]
    track_id: FloatArray
    about: NDArray[Any]  # threat id or None
    launch_lat_deg: FloatArray
    launch_lon_deg: FloatArray
    impact_lat_deg: FloatArray
    impact_lon_deg: FloatArray
    impact_time_s: FloatArray
    semi_major_m: FloatArray
    semi_minor_m: FloatArray
    orientation_deg: FloatArray

    def __len__(self) -> int:
        return int(self.time_s.size)


def _alert_rows(
    alerts: pa.Table | None,
    track_map: Mapping[tuple[str, int], str],
    threats: Sequence[ThreatInfo],
) -> AlertRows | None:
    if alerts is None or alerts.num_rows == 0:
        return None
    t = _column(alerts, "time_s")
    partner = _column(alerts, "partner")
    kind = _column(alerts, "alert_kind")
    if t is None or partner is None or kind is None:
        return None
    n = t.size
    nan = np.full(n, np.nan)
    origin = _column(alerts, "origin_partner")
    origin = partner if origin is None else np.where(origin == None, partner, origin)  # noqa: E711
    track_id = _column(alerts, "track_id")
    track_id = nan.copy() if track_id is None else track_id

    def num(name: str) -> FloatArray:
        col = _column(alerts, name)
        return nan.copy() if col is None else col.astype(np.float64)

    launch_lat, launch_lon = num("launch_lat_deg"), num("launch_lon_deg")
    about = np.full(n, None, dtype=object)
    has_track = np.isfinite(track_id)
    for i in np.flatnonzero(has_track):
        about[i] = track_map.get((str(origin[i]), int(track_id[i])))
    # Launch alerts without a track: nearest launched ballistic threat's launch point.
    ballistic = [
        th for th in threats if th.kind == "ballistic" and math.isfinite(th.launch_lat_deg)
    ]
    bare = np.flatnonzero(
        ~has_track & (kind == "launch") & np.isfinite(launch_lat) & np.isfinite(launch_lon)
    )
    if ballistic and bare.size:
        est = np.column_stack(pymap3d.geodetic2ecef(launch_lat[bare], launch_lon[bare], 0.0))
        true_lat = np.array([th.launch_lat_deg for th in ballistic])
        true_lon = np.array([th.launch_lon_deg for th in ballistic])
        true_pt = np.column_stack(pymap3d.geodetic2ecef(true_lat, true_lon, 0.0))
        dist = np.linalg.norm(est[:, None, :] - true_pt[None, :, :], axis=2)
        launched = np.array([th.launch_time_s for th in ballistic])[None, :] <= t[bare][:, None]
        dist[~launched] = np.inf
        j = np.argmin(dist, axis=1)
        hit = dist[np.arange(bare.size), j] <= LAUNCH_GATE_M
        about[bare[hit]] = np.array([ballistic[k].object_id for k in j[hit]], dtype=object)
    return AlertRows(
        time_s=t,
        partner=partner.astype(str).astype(object),
        origin=origin.astype(str).astype(object),
        kind=kind.astype(str).astype(object),
        track_id=track_id,
        about=about,
        launch_lat_deg=launch_lat,
        launch_lon_deg=launch_lon,
        impact_lat_deg=num("impact_lat_deg"),
        impact_lon_deg=num("impact_lon_deg"),
        impact_time_s=num("impact_time_s"),
        semi_major_m=num("ellipse_semi_major_m"),
        semi_minor_m=num("ellipse_semi_minor_m"),
        orientation_deg=num("ellipse_orientation_deg"),
    )


def _last_impact_updates(alerts: AlertRows) -> NDArray[np.int64]:
    """Row indices of each originating partner's last impact prediction per track.

    Only the originator's own copy (received copies repeat it) and only
    predictions issued before their own predicted impact time.
    """
    own = (
        (alerts.kind == "impact_update")
        & (alerts.partner == alerts.origin)
        & np.isfinite(alerts.impact_lat_deg)
        & np.isfinite(alerts.impact_lon_deg)
        & np.isfinite(alerts.track_id)
        & ~(alerts.time_s > alerts.impact_time_s)
    )
    idx = np.flatnonzero(own)
    if idx.size == 0:
        return idx.astype(np.int64)
    keys = np.array([f"{alerts.origin[i]} {int(alerts.track_id[i])}" for i in idx])
    order = np.lexsort((alerts.time_s[idx], keys))
    ks = keys[order]
    last = np.ones(ks.size, dtype=bool)
    last[:-1] = ks[1:] != ks[:-1]
    return np.sort(idx[order[last]]).astype(np.int64)


@dataclass(frozen=True)
class Engagements:
    """The columns of ``engagements.parquet`` the report uses (NaN / None when absent)."""

    time_s: FloatArray
    partner: NDArray[Any]
    battery: NDArray[Any]
    target: NDArray[Any]
    interceptor: NDArray[Any]
    outcome: NDArray[Any]
    end_time_s: FloatArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    shots: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return int(self.time_s.size)

    @property
    def shot_counts(self) -> NDArray[np.int64]:
        """Interceptors per row (1 per row when the table has no ``shots`` column)."""
        if self.shots is None:
            return np.ones(len(self), dtype=np.int64)
        return self.shots


def _engagements(table: pa.Table | None) -> Engagements | None:
    if table is None:
        return None
    n = table.num_rows
    none = np.full(n, None, dtype=object)
    nan = np.full(n, np.nan)
    t = _column(table, "time_s", "fire_time_s", "launch_time_s")
    outcome = _column(table, "outcome", "result")
    if outcome is None:
        kill = _column(table, "kill", "killed")
        if kill is not None:
            outcome = np.array(
                [None if k is None else ("kill" if k else "miss") for k in kill], dtype=object
            )
    lat = _column(table, "intercept_lat_deg", "lat_deg")
    lon = _column(table, "intercept_lon_deg", "lon_deg")
    if lat is None or lon is None:
        xyz = [_column(table, f"intercept_{c}_m", f"{c}_m") for c in "xyz"]
        if all(c is not None for c in xyz):
            la, lo, _ = pymap3d.ecef2geodetic(*xyz)
            lat, lon = np.asarray(la, np.float64), np.asarray(lo, np.float64)
    partner = _column(table, "partner", "shooter_partner")
    battery = _column(table, "battery_id", "shooter_id", "battery")
    target = _column(table, "target_id", "object_id", "threat_id")
    interceptor = _column(table, "interceptor_id")
    end_t = _column(table, "intercept_time_s", "end_time_s", "detonation_time_s")
    shots = _column(table, "shots")
    return Engagements(
        time_s=nan.copy() if t is None else t.astype(np.float64),
        partner=none.copy() if partner is None else partner,
        battery=none.copy() if battery is None else battery,
        target=none.copy() if target is None else target,
        interceptor=none.copy() if interceptor is None else interceptor,
        outcome=none.copy() if outcome is None else outcome,
        end_time_s=nan.copy() if end_t is None else end_t.astype(np.float64),
        lat_deg=nan.copy() if lat is None else lat.astype(np.float64),
        lon_deg=nan.copy() if lon is None else lon.astype(np.float64),
        shots=None if shots is None else shots.astype(np.int64),
    )


# ---------------------------------------------------------------------- geometry


def destination_deg(
    lat_deg: FloatArray | float,
    lon_deg: FloatArray | float,
    azimuth_deg: FloatArray | float,
    distance_m: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """Point at a true bearing and great-circle distance on the mean-radius sphere.

    The direct problem on a sphere of radius ``R_EARTH_MEAN_M``; within 0.5 % of
    the ellipsoidal geodesic, enough for drawing. Vectorised (broadcasts).
    """
    phi1 = np.radians(lat_deg)
    lam1 = np.radians(lon_deg)
    az = np.radians(azimuth_deg)
    d = np.asarray(distance_m, dtype=np.float64) / R_EARTH_MEAN_M
    sin_phi2 = np.sin(phi1) * np.cos(d) + np.cos(phi1) * np.sin(d) * np.cos(az)
    phi2 = np.arcsin(np.clip(sin_phi2, -1.0, 1.0))
    lam2 = lam1 + np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(phi1), np.cos(d) - np.sin(phi1) * sin_phi2
    )
    return np.degrees(phi2), np.degrees(lam2)


def sector_polygon(
    lat_deg: float,
    lon_deg: float,
    boresight_deg: float,
    half_width_deg: float,
    range_m: float,
    n: int = 61,
) -> tuple[FloatArray, FloatArray]:
    """Closed outline (lat, lon) of a coverage sector; a full circle for 180 deg half-width."""
    az = np.linspace(boresight_deg - half_width_deg, boresight_deg + half_width_deg, n)
    lat, lon = destination_deg(lat_deg, lon_deg, az, range_m)
    if half_width_deg >= 180.0:
        return lat, _unwrap(lon, lon_deg)
    return (
        np.concatenate([[lat_deg], lat, [lat_deg]]),
        np.concatenate([[lon_deg], _unwrap(lon, lon_deg), [lon_deg]]),
    )


def ellipse_polygon(
    lat_deg: float,
    lon_deg: float,
    semi_major_m: float,
    semi_minor_m: float,
    orientation_deg: float,
    n: int = 49,
) -> tuple[FloatArray, FloatArray]:
    """Outline (lat, lon) of an impact ellipse (major axis clockwise from North)."""
    s = np.linspace(0.0, 2.0 * np.pi, n)
    th = np.radians(orientation_deg)
    u, v = semi_major_m * np.cos(s), semi_minor_m * np.sin(s)
    east = u * np.sin(th) + v * np.cos(th)
    north = u * np.cos(th) - v * np.sin(th)
    lat, lon = destination_deg(
        lat_deg, lon_deg, np.degrees(np.arctan2(east, north)), np.hypot(east, north)
    )
    return lat, _unwrap(lon, lon_deg)


def _unwrap(lon_deg: FloatArray | float, centre_deg: float) -> FloatArray:
    """Longitudes brought within 180 degrees of ``centre_deg`` (no antimeridian jumps)."""
    return np.asarray((np.asarray(lon_deg) - centre_deg + 180.0) % 360.0 - 180.0 + centre_deg)


def _circular_mean_deg(lon_deg: FloatArray) -> float:
    a = np.radians(lon_deg)
    return float(np.degrees(np.arctan2(np.mean(np.sin(a)), np.mean(np.cos(a)))))


# ----------------------------------------------------------------------- figures


@contextmanager
def _style() -> Iterator[None]:
    """Matplotlib's default style whatever the user's rc says, plus our page settings."""
    import matplotlib as mpl
    import matplotlib.style

    rc: dict[str, Any] = {
        "font.family": "DejaVu Sans",
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "axes.titleweight": "bold",
        "axes.labelsize": 9.0,
        "legend.fontsize": 8.0,
        "legend.framealpha": 0.9,
        "xtick.labelsize": 8.0,
        "ytick.labelsize": 8.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "skyweave",
        "path.simplify": True,
    }
    with matplotlib.style.context("default"), mpl.rc_context(rc):  # type: ignore[arg-type]
        yield


def _new_figure(width_in: float, height_in: float, layout: Any = "constrained") -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Any) -> bytes:
    """A Matplotlib figure as PNG bytes, without metadata that would vary."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def _fmt_lat(v: float, _pos: object = None) -> str:
    return f"{abs(v):g}°{'S' if v < 0 else 'N' if v > 0 else ''}"


def _fmt_lon(v: float, _pos: object = None) -> str:
    w = (v + 180.0) % 360.0 - 180.0
    if abs(w) >= 180.0 or w == 0.0:
        return f"{abs(w):g}°"
    return f"{abs(w):g}°{'W' if w < 0 else 'E' if 0 < w < 180 else ''}"


def _minutes(seconds: FloatArray | float) -> Any:
    return np.asarray(seconds, dtype=np.float64) / 60.0


def _compact_ids(ids: Sequence[str]) -> str:
    """``raid-n-1, raid-n-2, raid-n-3`` -> ``raid-n-1/2/3`` (salvo members share a label)."""
    if len(ids) == 1:
        return ids[0]
    m = [re.fullmatch(r"(.*-)(\d+)", i) for i in ids]
    if all(m) and len({x.group(1) for x in m if x}) == 1:
        first = m[0]
        assert first is not None
        return first.group(1) + "/".join(x.group(2) for x in m if x)
    return ", ".join(ids)


@dataclass(frozen=True)
class ReportContext:
    """Everything the figures and tables draw on."""

    run: RunData
    scenario: Scenario | None
    partners: list[str]
    colours: dict[str, str]
    names: dict[str, str]
    tracks: GroundTracks
    threats: list[ThreatInfo]
    alerts: AlertRows | None
    engagements: Engagements | None
    duration_s: float


def _map_extent(ctx: ReportContext, lon0: float) -> tuple[float, float, float, float]:
    """Longitude and latitude limits covering assets, sites, threats and predictions."""
    lats: list[FloatArray] = []
    lons: list[FloatArray] = []
    for k in range(len(ctx.tracks.object_ids)):
        lats.append(ctx.tracks.lat_deg[k])
        lons.append(ctx.tracks.lon_deg[k])
    sc = ctx.scenario
    if sc is not None:
        pts = [(a.lat_deg, a.lon_deg) for a in sc.defended_assets]
        pts += [(b.lat_deg, b.lon_deg) for b in sc.batteries]
        pts += [(s.lat_deg, s.lon_deg) for s in sc.sensors if isinstance(s, Radar)]
        if pts:
            arr = np.array(pts, dtype=np.float64)
            lats.append(arr[:, 0])
            lons.append(arr[:, 1])
    if ctx.alerts is not None:
        sel = _last_impact_updates(ctx.alerts)
        lats.append(ctx.alerts.impact_lat_deg[sel])
        lons.append(ctx.alerts.impact_lon_deg[sel])
    if ctx.engagements is not None:
        lats.append(ctx.engagements.lat_deg)
        lons.append(ctx.engagements.lon_deg)
    lat = np.concatenate(lats) if lats else np.zeros(0)
    lon = _unwrap(np.concatenate(lons), lon0) if lons else np.zeros(0)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if lat.size == 0:
        return lon0 - 5.0, lon0 + 5.0, -5.0, 5.0
    lat_min, lat_max = float(lat.min()), float(lat.max())
    lon_min, lon_max = float(lon.min()), float(lon.max())
    pad_lat = max(0.08 * (lat_max - lat_min), 0.5)
    coslat = max(math.cos(math.radians(0.5 * (lat_min + lat_max))), 0.1)
    pad_lon = max(0.08 * (lon_max - lon_min), 0.5 / coslat)
    return (
        lon_min - pad_lon,
        lon_max + pad_lon,
        max(lat_min - pad_lat, -90.0),
        min(lat_max + pad_lat, 90.0),
    )


def theatre_map(ctx: ReportContext) -> Any:
    """The theatre: assets, coverage, envelopes, threat tracks, impacts, predictions."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    sc = ctx.scenario
    all_lon = [lon for lon in ctx.tracks.lon_deg if lon.size]
    if sc is not None:
        all_lon += [np.array([a.lon_deg for a in sc.defended_assets])]
    lon_pool = np.concatenate(all_lon) if all_lon else np.zeros(1)
    lon0 = _circular_mean_deg(lon_pool[np.isfinite(lon_pool)]) if lon_pool.size else 0.0
    x0, x1, y0, y1 = _map_extent(ctx, lon0)
    mean_lat = 0.5 * (y0 + y1)
    aspect = 1.0 / max(math.cos(math.radians(mean_lat)), 0.1)
    span_ratio = (y1 - y0) * aspect / max(x1 - x0, 1e-9)
    # Fixed layout (inches): the map box has exactly the theatre's shape, the
    # legend sits to its right, so the page neither wastes space nor clips labels.
    left_in, right_in, bottom_in, top_in = 0.85, 3.75, 0.6, 0.45
    ax_w = 10.8 - left_in - right_in
    ax_h = ax_w * span_ratio
    if ax_h > 9.5:
        ax_h = 9.5
        ax_w = ax_h / span_ratio
    elif ax_h < 3.5:
        ax_h = 3.5
    width = left_in + ax_w + right_in
    height = bottom_in + ax_h + top_in
    fig = _new_figure(width, height, layout=None)
    ax = fig.add_axes((left_in / width, bottom_in / height, ax_w / width, ax_h / height))
    ax.set_facecolor("#f4f7fa")
    handles: list[Any] = []
    pc, pn = ctx.colours, ctx.names

    # Radar coverage and battery envelopes, under everything else.
    if sc is not None:
        drew_ew = drew_fc = drew_bty = False
        for s in sc.sensors:
            if not isinstance(s, Radar):
                continue
            site_lon = float(_unwrap(s.lon_deg, lon0))
            lat, lon = sector_polygon(
                s.lat_deg,
                site_lon,
                s.boresight_az_deg,
                s.sector_half_width_deg,
                s.max_range_km * 1e3,
            )
            colour = pc.get(s.partner, "#555555")
            ew = s.role == "early_warning"
            ax.fill(lon, lat, color=colour, alpha=0.05 if ew else 0.09, lw=0, zorder=1)
            ax.plot(lon, lat, color=colour, lw=0.9, ls="--" if ew else ":", alpha=0.8, zorder=1.1)
            ax.plot(
                [site_lon],
                [s.lat_deg],
                marker="D" if ew else "d",
                ms=6,
                mfc=colour,
                mec="black",
                mew=0.6,
                ls="none",
                zorder=5,
            )
            if ew:  # fire-control radars sit by the assets; the table lists them
                ax.annotate(
                    s.id,
                    (site_lon, s.lat_deg),
                    xytext=(5, -9),
                    textcoords="offset points",
                    fontsize=7,
                    color=colour,
                    zorder=6,
                )
            drew_ew |= ew
            drew_fc |= not ew
        for b in sc.batteries:
            colour = pc.get(b.partner, "#555555")
            site_lon = float(_unwrap(b.lon_deg, lon0))
            lat, lon = sector_polygon(b.lat_deg, site_lon, 0.0, 180.0, b.max_range_km * 1e3, 97)
            ax.plot(_unwrap(lon, site_lon), lat, color=colour, lw=1.1, alpha=0.9, zorder=2)
            ax.plot(
                [site_lon],
                [b.lat_deg],
                marker="^",
                ms=7,
                mfc=colour,
                mec="black",
                mew=0.6,
                ls="none",
                zorder=5,
            )
            drew_bty = True
        if drew_ew:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    ls="--",
                    marker="D",
                    mfc="grey",
                    mec="black",
                    label="early-warning radar, coverage to max range",
                )
            )
        if drew_fc:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    ls=":",
                    marker="d",
                    mfc="grey",
                    mec="black",
                    label="fire-control radar, coverage to max range",
                )
            )
        if drew_bty:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    marker="^",
                    mfc="grey",
                    mec="black",
                    label="battery, max engagement range",
                )
            )

    # Threat ground tracks by kind, with launch labels shared by salvo members.
    from matplotlib.collections import LineCollection

    kinds_drawn: list[str] = []
    for kind in sorted(set(ctx.tracks.kinds)):
        segs = [
            np.column_stack([_unwrap(ctx.tracks.lon_deg[k], lon0), ctx.tracks.lat_deg[k]])
            for k in range(len(ctx.tracks.kinds))
            if ctx.tracks.kinds[k] == kind
        ]
        colour = KIND_COLOURS.get(kind, "#555555")
        ax.add_collection(
            LineCollection(
                segs,
                colors=colour,
                linewidths=1.0 if kind == "interceptor" else 1.4,
                alpha=0.85,
                zorder=3,
            )
        )
        kinds_drawn.append(kind)
        handles.append(Line2D([], [], color=colour, lw=1.6, label=f"{kind} ground track (truth)"))
    groups: dict[tuple[float, float], list[str]] = {}
    for th in ctx.threats:
        if math.isfinite(th.launch_lat_deg):
            key = (round(th.launch_lat_deg, 1), round(th.launch_lon_deg, 1))
            groups.setdefault(key, []).append(th.object_id)
    for (lat_k, lon_k), ids in sorted(groups.items()):
        ax.annotate(
            _compact_ids(ids),
            (float(_unwrap(lon_k, lon0)), lat_k),
            xytext=(-4, -10),
            textcoords="offset points",
            fontsize=7,
            ha="right",
            color="#222222",
            zorder=7,
        )
    launch = [t for t in ctx.threats if math.isfinite(t.launch_lat_deg)]
    if launch:
        ax.plot(
            _unwrap(np.array([t.launch_lon_deg for t in launch]), lon0),
            [t.launch_lat_deg for t in launch],
            ls="none",
            marker="o",
            ms=4,
            mfc="white",
            mec="black",
            mew=0.8,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=4,
                mfc="white",
                mec="black",
                label="true launch point",
            )
        )
    impacts = [t for t in ctx.threats if t.kind in ("ballistic", "cruise") and not t.killed]
    impacts = [
        t for t in impacts if math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    ]
    if impacts:
        ax.plot(
            _unwrap(np.array([t.end_lon_deg for t in impacts]), lon0),
            [t.end_lat_deg for t in impacts],
            ls="none",
            marker="X",
            ms=8,
            mfc="black",
            mec="white",
            mew=0.8,
            zorder=13,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="X",
                ms=8,
                mfc="black",
                mec="white",
                label="true impact point",
            )
        )

    # Each originating partner's last impact prediction per track, and launch estimates.
    if ctx.alerts is not None:
        al = ctx.alerts
        drew_pred = drew_launch = False
        for i in _last_impact_updates(al):
            colour = pc.get(al.origin[i], "#555555")
            ok = (
                math.isfinite(al.semi_major_m[i])
                and math.isfinite(al.semi_minor_m[i])
                and math.isfinite(al.orientation_deg[i])
            )
            if ok:
                lat, lon = ellipse_polygon(
                    al.impact_lat_deg[i],
                    float(_unwrap(al.impact_lon_deg[i], lon0)),
                    al.semi_major_m[i],
                    al.semi_minor_m[i],
                    al.orientation_deg[i],
                )
                ax.fill(lon, lat, color=colour, alpha=0.07, lw=0, zorder=3.5)
                ax.plot(lon, lat, color=colour, lw=0.9, alpha=0.9, zorder=3.6)
            ax.plot(
                [_unwrap(al.impact_lon_deg[i], lon0)],
                [al.impact_lat_deg[i]],
                ls="none",
                marker="+",
                ms=10,
                mew=1.8,
                color=colour,
                zorder=14,
            )
            drew_pred = True
        own_launch = np.flatnonzero(
            (al.kind == "launch")
            & (al.partner == al.origin)
            & np.isfinite(al.launch_lat_deg)
            & np.isfinite(al.launch_lon_deg)
        )
        for i in own_launch:
            ax.plot(
                [_unwrap(al.launch_lon_deg[i], lon0)],
                [al.launch_lat_deg[i]],
                ls="none",
                marker="v",
                ms=6,
                mfc="none",
                mec=pc.get(al.origin[i], "#555555"),
                mew=1.1,
                zorder=7,
            )
            drew_launch = True
        if drew_pred:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="-",
                    lw=0.9,
                    marker="+",
                    ms=9,
                    mew=1.6,
                    color="grey",
                    label="last predicted impact point and 95 % ellipse, per track",
                )
            )
        if drew_launch:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="v",
                    ms=6,
                    mfc="none",
                    mec="grey",
                    label="launch-point estimate (launch alert)",
                )
            )

    # Intercepts, when the engagement stage wrote them.
    eng = ctx.engagements
    if eng is not None and len(eng):
        has_pos = np.isfinite(eng.lat_deg) & np.isfinite(eng.lon_deg)
        kill = has_pos & (eng.outcome == "kill")
        other = has_pos & ~kill
        if kill.any():
            ax.plot(
                _unwrap(eng.lon_deg[kill], lon0),
                eng.lat_deg[kill],
                ls="none",
                marker="*",
                ms=12,
                mfc="gold",
                mec="black",
                mew=0.7,
                zorder=10,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="*",
                    ms=12,
                    mfc="gold",
                    mec="black",
                    label="intercept: kill",
                )
            )
        if other.any():
            ax.plot(
                _unwrap(eng.lon_deg[other], lon0),
                eng.lat_deg[other],
                ls="none",
                marker="*",
                ms=11,
                mfc="none",
                mec="black",
                mew=0.8,
                zorder=10,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="*",
                    ms=11,
                    mfc="none",
                    mec="black",
                    label="intercept: miss / no kill",
                )
            )

    # Defended assets last, on top: marker area proportional to value.
    if sc is not None and sc.defended_assets:
        values = np.array([a.value for a in sc.defended_assets], dtype=np.float64)
        size = 60.0 + 240.0 * values / values.max()
        for a, s_pt in zip(sc.defended_assets, size, strict=True):
            colour = pc.get(a.partner, "#555555")
            ax.scatter(
                [_unwrap(a.lon_deg, lon0)],
                [a.lat_deg],
                s=s_pt,
                marker="s",
                c=colour,
                edgecolors="black",
                linewidths=0.8,
                zorder=11,
                alpha=0.55,
            )
            ax.annotate(
                f"{a.name or a.id} ({a.value:g})",
                (float(_unwrap(a.lon_deg, lon0)), a.lat_deg),
                xytext=(8, 5),
                textcoords="offset points",
                fontsize=7.5,
                fontweight="bold",
                color="black",
                zorder=12,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )
        handles.insert(
            0,
            Line2D(
                [],
                [],
                ls="none",
                marker="s",
                ms=9,
                mfc="grey",
                mec="black",
                label="defended asset (size ~ value)",
            ),
        )
    for pid in ctx.partners:
        handles.append(Patch(facecolor=pc[pid], edgecolor="black", label=f"partner {pn[pid]}"))

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect, adjustable="datalim")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(_fmt_lon))
    ax.yaxis.set_major_formatter(FuncFormatter(_fmt_lat))
    ax.grid(True, color="#c9d3dd", lw=0.6, zorder=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(True)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(
        "Theatre: defences, threat tracks and impact predictions "
        f"(plate carrée, true scale at {_fmt_lat(round(mean_lat, 1))})",
        loc="left",
    )
    # Scale bar: 500 km (or less for a small theatre) along the bottom-left.
    km_per_deg_lon = math.pi / 180.0 * R_EARTH_MEAN_M / 1e3 * math.cos(math.radians(mean_lat))
    span_km = (x1 - x0) * km_per_deg_lon
    bar_km = next((b for b in (1000, 500, 200, 100, 50, 20, 10) if b <= span_km / 5), 5)
    bx = x0 + 0.03 * (x1 - x0)
    by = y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + bar_km / km_per_deg_lon], [by, by], color="black", lw=3, zorder=12)
    ax.text(bx, by + 0.015 * (y1 - y0), f"{bar_km} km", fontsize=8, zorder=12)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        frameon=False,
    )
    return fig


_INJECT_PAIRS = {
    "sensor_failure": ("sensor_repair", "down"),
    "link_cut": ("link_restore", "cut"),
    "command_post_silent": ("command_post_restore", "silent"),
    "battery_empty": ("", "empty"),
}


@dataclass(frozen=True)
class InjectSpan:
    """An outage from an inject to its restoring inject (or the end of the run)."""

    label: str
    start_s: float
    end_s: float


def inject_spans(scenario: Scenario | None, end_s: float) -> tuple[list[InjectSpan], list[Any]]:
    """Outage spans (failure to repair) and the remaining point injects (notes)."""
    if scenario is None:
        return [], []
    spans: list[InjectSpan] = []
    points: list[Any] = []
    injects = sorted(scenario.injects, key=lambda i: i.time_s)
    for k, inj in enumerate(injects):
        pair = _INJECT_PAIRS.get(inj.kind)
        if pair is None:
            if inj.kind not in {p[0] for p in _INJECT_PAIRS.values()}:
                points.append(inj)
            continue
        restore, word = pair
        stop = next(
            (j.time_s for j in injects[k + 1 :] if j.kind == restore and j.target == inj.target),
            end_s,
        )
        spans.append(InjectSpan(f"{inj.target or inj.kind} {word}", inj.time_s, stop))
    return spans, points


def timeline(ctx: ReportContext) -> Any:
    """Per-partner Gantt of threats: flight, detection, track, alerts, engagements, injects."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    threats = ctx.threats[:MAX_TIMELINE_ROWS]
    row_ids = [t.object_id for t in threats]
    al = ctx.alerts
    stray = al is not None and bool(np.any([a is None for a in al.about]) if len(al) else False)
    labels = [f"{t.object_id}{' (acc.)' if t.accidental else ''}" for t in threats]
    if stray:
        labels.append("no threat matched")
    n_rows = len(labels)
    row_of = {oid: k for k, oid in enumerate(row_ids)}
    spans, notes = inject_spans(ctx.scenario, ctx.duration_s)
    inject_rows = sorted({s.label for s in spans}) + (["white-cell notes"] if notes else [])
    n_part = max(len(ctx.partners), 1)
    panel_h = 0.6 + 0.24 * max(n_rows, 3)
    ratios = ([0.45 + 0.22 * len(inject_rows)] if inject_rows else []) + [panel_h] * n_part
    fig = _new_figure(10.5, sum(ratios) + 1.3)
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios, squeeze=False)[:, 0]
    per_threat = _first_times(ctx)
    drawn: set[str] = set()
    xmax = _minutes(ctx.duration_s)
    k0 = 0
    if inject_rows:
        ax = axes[0]
        for s in spans:
            y = inject_rows.index(s.label)
            ax.barh(
                y,
                _minutes(s.end_s - s.start_s),
                left=_minutes(s.start_s),
                height=0.55,
                color="#e8a0a0",
                edgecolor="#a04040",
                hatch="///",
                lw=0.6,
            )
        for note in notes:
            y = inject_rows.index("white-cell notes")
            ax.plot([_minutes(note.time_s)], [y], marker="|", ms=12, mew=2, color="#a04040")
            text = note.text or note.kind
            ax.annotate(
                text if len(text) <= 70 else text[:67] + "...",
                (_minutes(note.time_s), y),
                xytext=(5, -3),
                textcoords="offset points",
                fontsize=7,
                color="#602020",
            )
        ax.set_yticks(range(len(inject_rows)), inject_rows)
        ax.set_ylim(len(inject_rows) - 0.5, -0.5)
        ax.set_title("White-cell injects (hatched: outage until restored)", loc="left")
        k0 = 1
    marker_kw = {"ls": "none", "zorder": 5}
    for p_idx, pid in enumerate(ctx.partners or [""]):
        ax = axes[k0 + p_idx]
        for s in spans:
            ax.axvspan(_minutes(s.start_s), _minutes(s.end_s), color="#e8a0a0", alpha=0.18, lw=0)
        for note in notes:
            ax.axvline(_minutes(note.time_s), color="#a04040", lw=0.8, ls="--", alpha=0.7)
        for y, th in enumerate(threats):
            if math.isfinite(th.launch_time_s) and math.isfinite(th.end_time_s):
                ax.barh(
                    y,
                    _minutes(th.flight_end_s - th.launch_time_s),
                    left=_minutes(th.launch_time_s),
                    height=0.5,
                    color=KIND_COLOURS.get(th.kind, "#888888"),
                    alpha=0.18,
                    lw=0,
                )
                if (
                    th.kind in ("ballistic", "cruise")
                    and not th.killed
                    and th.end_time_s <= ctx.duration_s
                ):
                    ax.plot(
                        [_minutes(th.end_time_s)],
                        [y],
                        marker="X",
                        ms=7,
                        mfc="black",
                        mec="white",
                        mew=0.6,
                        **marker_kw,
                    )
                    drawn.add("impact")
            r = per_threat.get((th.object_id, pid), {})
            for key, marker, ms in (
                ("first_detection_s", "o", 5.5),
                ("first_track_s", "s", 5.5),
                ("first_alert_s", "*", 10.0),
            ):
                v = r.get(key)
                if v is not None:
                    ax.plot(
                        [_minutes(v)],
                        [y],
                        marker=marker,
                        ms=ms,
                        mfc=ctx.colours.get(pid),
                        mec="black",
                        mew=0.6,
                        **marker_kw,
                    )
                    drawn.add(key)
        if al is not None and len(al):
            mine = np.flatnonzero(al.partner == pid)
            rows = (
                np.array(
                    [row_of.get(a, -1) if a is not None else n_rows - 1 for a in al.about[mine]],
                    dtype=np.int64,
                )
                if mine.size
                else np.zeros(0, np.int64)
            )
            keep = rows >= 0
            mine, rows = mine[keep], rows[keep]
            for origin in ctx.partners:
                colour = ctx.colours.get(origin, "#555555")
                for kind, marker, ms, dy in (
                    ("impact_update", "|", 7, 0.28),
                    ("launch", "^", 6, 0.28),
                    ("all_clear", "x", 6, 0.28),
                ):
                    sel = (al.origin[mine] == origin) & (al.kind[mine] == kind)
                    if not sel.any():
                        continue
                    ax.plot(
                        _minutes(al.time_s[mine][sel]),
                        rows[sel] + dy,
                        marker=marker,
                        ms=ms,
                        color=colour,
                        mew=1.0,
                        alpha=0.75,
                        **marker_kw,
                    )
                    drawn.add(kind)
        eng = ctx.engagements
        if eng is not None and len(eng):
            mine_e = np.flatnonzero(eng.partner == pid)
            for i in mine_e:
                target_row = row_of.get(eng.target[i])
                if target_row is None:
                    continue
                if math.isfinite(eng.time_s[i]):
                    ax.plot(
                        [_minutes(eng.time_s[i])],
                        [target_row - 0.28],
                        marker=">",
                        ms=6,
                        color=ctx.colours.get(pid),
                        mec="black",
                        mew=0.5,
                        **marker_kw,
                    )
                if math.isfinite(eng.end_time_s[i]):
                    ax.plot(
                        [_minutes(eng.end_time_s[i])],
                        [target_row - 0.28],
                        marker="*",
                        ms=10,
                        mfc="gold" if eng.outcome[i] == "kill" else "none",
                        mec="black",
                        mew=0.6,
                        **marker_kw,
                    )
        ax.set_yticks(range(n_rows), labels)
        ax.set_ylim(n_rows - 0.4, -0.6)
        ax.grid(True, axis="x", color="#dddddd", lw=0.6)
        ax.set_title(
            f"What {ctx.names.get(pid, pid)} saw and was told",
            loc="left",
            color=ctx.colours.get(pid, "black"),
        )
    axes[-1].set_xlim(0.0, float(xmax))
    axes[-1].set_xlabel("scenario time, minutes since start (T+)")
    keyed: list[tuple[str, Any]] = [
        (
            "impact",
            Line2D([], [], ls="none", marker="X", ms=7, mfc="black", mec="white", label="impact"),
        ),
        (
            "first_detection_s",
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=5.5,
                mfc="grey",
                mec="black",
                label="first detection",
            ),
        ),
        (
            "first_track_s",
            Line2D(
                [], [], ls="none", marker="s", ms=5.5, mfc="grey", mec="black", label="first track"
            ),
        ),
        (
            "first_alert_s",
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=10,
                mfc="grey",
                mec="black",
                label="first alert (warning starts)",
            ),
        ),
        ("launch", Line2D([], [], ls="none", marker="^", ms=6, color="grey", label="launch alert")),
        (
            "impact_update",
            Line2D(
                [], [], ls="none", marker="|", ms=7, mew=1.0, color="grey", label="impact update"
            ),
        ),
        ("all_clear", Line2D([], [], ls="none", marker="x", ms=6, color="grey", label="all clear")),
    ]
    handles: list[Any] = [
        Patch(facecolor=KIND_COLOURS.get(k, "#888888"), alpha=0.3, label=f"{k} in flight")
        for k in sorted({t.kind for t in threats})
    ]
    handles += [h for key, h in keyed if key in drawn]
    if ctx.engagements is not None and len(ctx.engagements):
        handles += [
            Line2D([], [], ls="none", marker=">", ms=6, color="grey", label="interceptor fired"),
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=10,
                mfc="gold",
                mec="black",
                label="end game (gold: kill)",
            ),
        ]
    handles += [Patch(facecolor=ctx.colours[p], label=f"from {ctx.names[p]}") for p in ctx.partners]
    fig.legend(handles=handles, loc="outside lower center", ncol=6, frameon=False)
    if len(ctx.threats) > MAX_TIMELINE_ROWS:
        fig.suptitle(
            f"first {MAX_TIMELINE_ROWS} of {len(ctx.threats)} threats by launch time",
            fontsize=8,
            x=0.99,
            ha="right",
        )
    return fig


def _first_times(ctx: ReportContext) -> dict[tuple[str, str], dict[str, Any]]:
    """(threat, partner) -> first detection / track / alert times.

    From ``summary.json``'s warning rows; for an older run without them, the
    first detections are taken from ``detections.parquet`` (its ``object_id``
    names the threat a detection came from).
    """
    rows = (ctx.run.summary.get("warning", {}) or {}).get("per_threat", []) or []
    if rows:
        return {(str(r.get("object_id")), str(r.get("partner"))): r for r in rows}
    det = ctx.run.table("detections")
    obj = _column(det, "object_id")
    partner = _column(det, "partner")
    t = _column(det, "report_time_s", "time_s")
    if obj is None or partner is None or t is None:
        return {}
    real = np.array([o is not None for o in obj], dtype=bool)
    if not real.any():
        return {}
    keys = np.char.add(np.char.add(obj[real].astype(str), " "), partner[real].astype(str))
    uniq, inv = np.unique(keys, return_inverse=True)
    first = np.full(uniq.size, np.inf)
    np.minimum.at(first, inv.reshape(-1), t[real])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, v in zip(uniq.tolist(), first.tolist(), strict=True):
        o, p = key.split(" ", 1)
        out[(o, p)] = {"first_detection_s": v}
    return out


def _ballistic_warning_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Per ballistic threat and partner: the summary's warning row (threat order, partner order)."""
    per = {
        (r.get("object_id"), r.get("partner")): r
        for r in (ctx.run.summary.get("warning", {}) or {}).get("per_threat", []) or []
    }
    rows = []
    for th in ctx.threats:
        if th.kind != "ballistic":
            continue
        for pid in ctx.partners:
            rows.append({"threat": th, "partner": pid, **per.get((th.object_id, pid), {})})
    return rows


def warning_figure(ctx: ReportContext) -> Any | None:
    """Grouped horizontal bars: warning time per ballistic threat and partner."""
    if not (ctx.run.summary.get("warning", {}) or {}).get("per_threat"):
        return None
    ballistic = [t for t in ctx.threats if t.kind == "ballistic"][:MAX_TIMELINE_ROWS]
    if not ballistic or not ctx.partners:
        return None
    per = {(r["threat"].object_id, r["partner"]): r for r in _ballistic_warning_rows(ctx)}
    n_p = len(ctx.partners)
    fig = _new_figure(10.5, 1.2 + 0.22 * n_p * len(ballistic) + 0.15 * len(ballistic))
    ax = fig.add_subplot()
    h = 0.8 / n_p
    longest = 0.0
    for j, pid in enumerate(ctx.partners):
        ys = np.arange(len(ballistic)) - 0.4 + h * (j + 0.5)
        vals = np.array(
            [
                np.nan
                if per.get((t.object_id, pid), {}).get("warning_time_s") is None
                else per[(t.object_id, pid)]["warning_time_s"]
                for t in ballistic
            ],
            dtype=np.float64,
        )
        ok = np.isfinite(vals)
        longest = max(longest, float(np.nanmax(vals)) if ok.any() else 0.0)
        ax.barh(ys[ok], vals[ok], height=h * 0.9, color=ctx.colours[pid], label=ctx.names[pid])
        for y, v, good in zip(ys, vals, ok, strict=True):
            ax.annotate(
                f"{v:.0f} s" if good else "not warned",
                (v if good else 0.0, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="black" if good else "#b00000",
                fontweight="normal" if good else "bold",
            )
    ax.set_yticks(
        range(len(ballistic)),
        [f"{t.object_id}{' (accidental)' if t.accidental else ''}" for t in ballistic],
    )
    ax.set_ylim(len(ballistic) - 0.5, -0.5)
    ax.set_xlim(0.0, max(longest * 1.12, 60.0))
    ax.set_xlabel("warning time: true impact time minus first alert, s")
    ax.grid(True, axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_title("Warning time per ballistic threat and partner", loc="left")
    ax.legend(loc="lower right")
    return fig


@dataclass(frozen=True)
class ImpactCall:
    """An originating partner's last impact prediction about one ballistic threat."""

    threat: ThreatInfo
    partner: str
    issued_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    impact_time_s: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    miss_m: float  # great-circle distance from prediction to true impact
    inside: bool | None  # true impact inside the ellipse (None: no ellipse)


def impact_calls(ctx: ReportContext) -> list[ImpactCall]:
    """Per ballistic threat and originating partner, the last impact prediction about it.

    Among the originator's tracks about the threat, the prediction issued last
    (before its own predicted impact) is the one the staff would have acted on.
    """
    al = ctx.alerts
    if al is None or not len(al):
        return []
    by_id = {
        t.object_id: t
        for t in ctx.threats
        if t.kind == "ballistic" and math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    }
    best: dict[tuple[str, str], int] = {}
    for i in _last_impact_updates(al):
        about = al.about[i]
        if about not in by_id:
            continue
        key = (str(about), str(al.origin[i]))
        if key not in best or al.time_s[i] > al.time_s[best[key]]:
            best[key] = int(i)
    calls: list[ImpactCall] = []
    order = {t.object_id: k for k, t in enumerate(ctx.threats)}
    p_order = {p: k for k, p in enumerate(ctx.partners)}
    for (oid, partner), i in sorted(
        best.items(), key=lambda kv: (order[kv[0][0]], p_order.get(kv[0][1], 99), kv[0][1])
    ):
        th = by_id[oid]
        e, n, _ = pymap3d.geodetic2enu(
            th.end_lat_deg, th.end_lon_deg, 0.0, al.impact_lat_deg[i], al.impact_lon_deg[i], 0.0
        )
        a, b, orient = al.semi_major_m[i], al.semi_minor_m[i], al.orientation_deg[i]
        inside: bool | None = None
        if math.isfinite(a) and math.isfinite(b) and math.isfinite(orient) and a > 0 and b > 0:
            th_rad = math.radians(orient)
            u = e * math.sin(th_rad) + n * math.cos(th_rad)  # along the major axis
            v = e * math.cos(th_rad) - n * math.sin(th_rad)  # along the minor axis
            inside = bool((u / a) ** 2 + (v / b) ** 2 <= 1.0)
        _, miss_m = _bearing_distance(
            al.impact_lat_deg[i], al.impact_lon_deg[i], th.end_lat_deg, th.end_lon_deg
        )
        calls.append(
            ImpactCall(
                threat=th,
                partner=partner,
                issued_s=float(al.time_s[i]),
                impact_lat_deg=float(al.impact_lat_deg[i]),
                impact_lon_deg=float(al.impact_lon_deg[i]),
                impact_time_s=float(al.impact_time_s[i]),
                semi_major_m=float(a),
                semi_minor_m=float(b),
                orientation_deg=float(orient),
                miss_m=float(miss_m),
                inside=inside,
            )
        )
    return calls


def _bearing_distance(
    lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float
) -> tuple[float, float]:
    """True bearing (deg) and great-circle distance (m) on the mean-radius sphere."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dl = math.radians(lon2_deg - lon1_deg)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    d = 2.0 * R_EARTH_MEAN_M * math.asin(min(1.0, math.sqrt(h)))
    brg = math.degrees(
        math.atan2(
            math.sin(dl) * math.cos(p2),
            math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
        )
    )
    return brg % 360.0, d


#: True impacts closer than this share an impact-area panel.
IMPACT_CLUSTER_M = 150_000.0
#: An impact area is centred on a defended asset within this distance.
ASSET_SNAP_M = 60_000.0


def impact_areas_figure(ctx: ReportContext, calls: Sequence[ImpactCall]) -> Any | None:
    """Zoomed panels around the true impact areas: truth against the last predictions.

    Local east/north kilometres about the panel centre (a defended asset when one
    is near, else the mean true impact point); ellipses drawn in that tangent plane.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    impacts = [
        t
        for t in ctx.threats
        if t.kind == "ballistic" and math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    ]
    if not impacts:
        return None
    clusters: list[list[ThreatInfo]] = []
    for th in impacts:
        for group in clusters:
            if (
                _bearing_distance(
                    group[0].end_lat_deg, group[0].end_lon_deg, th.end_lat_deg, th.end_lon_deg
                )[1]
                <= IMPACT_CLUSTER_M
            ):
                group.append(th)
                break
        else:
            clusters.append([th])
    clusters = clusters[:9]
    assets = list(ctx.scenario.defended_assets) if ctx.scenario is not None else []
    batteries = list(ctx.scenario.batteries) if ctx.scenario is not None else []
    ncol = {1: 1, 2: 2, 4: 2}.get(len(clusters), 3)
    nrow = math.ceil(len(clusters) / ncol)
    fig = _new_figure(3.5 * ncol + 0.3, 3.55 * nrow + 0.7)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, cluster in enumerate(clusters):
        ax = axes[k // ncol, k % ncol]
        lat0 = float(np.mean([t.end_lat_deg for t in cluster]))
        lon0 = _circular_mean_deg(np.array([t.end_lon_deg for t in cluster]))
        title = ""
        near = [(a, _bearing_distance(lat0, lon0, a.lat_deg, a.lon_deg)[1]) for a in assets]
        near = [x for x in near if x[1] <= ASSET_SNAP_M]
        if near:
            asset = min(near, key=lambda x: x[1])[0]
            lat0, lon0 = asset.lat_deg, asset.lon_deg
            title = f"{asset.name or asset.id}: "
        title += _compact_ids([t.object_id for t in cluster])

        def enu_km(lat: Any, lon: Any, la0: float = lat0, lo0: float = lon0) -> Any:
            e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, la0, lo0, 0.0)
            return np.asarray(e) / 1e3, np.asarray(n) / 1e3

        ids = {t.object_id for t in cluster}
        mine = [c for c in calls if c.threat.object_id in ids]
        reach = 25.0
        for c in mine:
            e, n = enu_km(c.impact_lat_deg, c.impact_lon_deg)
            extent = float(np.hypot(e, n))
            if math.isfinite(c.semi_major_m):
                extent += c.semi_major_m / 1e3
            reach = max(reach, extent)
        half = min(1.1 * reach, 400.0)
        for a in assets:
            e, n = enu_km(a.lat_deg, a.lon_deg)
            if abs(e) <= half and abs(n) <= half:
                colour = ctx.colours.get(a.partner, "#555555")
                ax.add_patch(
                    Circle(
                        (float(e), float(n)),
                        a.radius_m / 1e3,
                        fc=colour,
                        ec="black",
                        alpha=0.35,
                        lw=0.8,
                        zorder=2,
                    )
                )
                ax.plot(
                    [e],
                    [n],
                    marker="s",
                    ms=7,
                    mfc=colour,
                    mec="black",
                    alpha=0.6,
                    ls="none",
                    zorder=2,
                )
        for b in batteries:
            e, n = enu_km(b.lat_deg, b.lon_deg)
            if abs(e) <= half + b.max_range_km and abs(n) <= half + b.max_range_km:
                colour = ctx.colours.get(b.partner, "#555555")
                ax.add_patch(
                    Circle(
                        (float(e), float(n)),
                        b.max_range_km,
                        fc="none",
                        ec=colour,
                        lw=0.9,
                        ls="-",
                        alpha=0.7,
                        zorder=1,
                    )
                )
                ax.plot([e], [n], marker="^", ms=6, mfc=colour, mec="black", ls="none", zorder=3)
        s = np.linspace(0.0, 2.0 * np.pi, 73)
        for c in mine:
            colour = ctx.colours.get(c.partner, "#555555")
            pe, pn = enu_km(c.impact_lat_deg, c.impact_lon_deg)
            te, tn = enu_km(c.threat.end_lat_deg, c.threat.end_lon_deg)
            if math.isfinite(c.semi_major_m) and math.isfinite(c.orientation_deg):
                th_rad = math.radians(c.orientation_deg)
                u = c.semi_major_m / 1e3 * np.cos(s)
                v = c.semi_minor_m / 1e3 * np.sin(s)
                ax.plot(
                    pe + u * math.sin(th_rad) + v * math.cos(th_rad),
                    pn + u * math.cos(th_rad) - v * math.sin(th_rad),
                    color=colour,
                    lw=1.0,
                    alpha=0.9,
                    zorder=4,
                )
            ax.plot([pe, te], [pn, tn], color=colour, lw=0.7, ls=":", zorder=4)
            ax.plot([pe], [pn], marker="+", ms=10, mew=1.8, color=colour, ls="none", zorder=6)
        for t in cluster:
            te, tn = enu_km(t.end_lat_deg, t.end_lon_deg)
            ax.plot(
                [te], [tn], marker="X", ms=8, mfc="black", mec="white", mew=0.7, ls="none", zorder=7
            )
        eng = ctx.engagements
        if eng is not None and len(eng):
            sel = np.isin(eng.target.astype(str), list(ids)) & np.isfinite(eng.lat_deg)
            for i in np.flatnonzero(sel):
                e, n = enu_km(eng.lat_deg[i], eng.lon_deg[i])
                ax.plot(
                    [e],
                    [n],
                    marker="*",
                    ms=11,
                    ls="none",
                    mec="black",
                    mew=0.6,
                    mfc="gold" if eng.outcome[i] == "kill" else "none",
                    zorder=8,
                )
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.grid(True, color="#e0e0e0", lw=0.6)
        ax.set_title(title, loc="left", fontsize=9)
        ax.set_xlabel("east, km")
        ax.set_ylabel("north, km")
    for k in range(len(clusters), nrow * ncol):
        axes[k // ncol, k % ncol].set_axis_off()
    handles: list[Any] = [
        Line2D([], [], ls="none", marker="X", ms=8, mfc="black", mec="white", label="true impact"),
        Line2D(
            [],
            [],
            ls="-",
            lw=1.0,
            marker="+",
            ms=10,
            mew=1.8,
            color="grey",
            label="last predicted impact and 95 % ellipse",
        ),
        Line2D([], [], ls=":", lw=0.7, color="grey", label="prediction error"),
        Line2D(
            [],
            [],
            ls="none",
            marker="s",
            ms=7,
            mfc="grey",
            mec="black",
            label="defended asset and radius",
        ),
        Line2D(
            [],
            [],
            ls="-",
            marker="^",
            mfc="grey",
            mec="black",
            color="grey",
            label="battery max range",
        ),
    ]
    handles += [Patch(facecolor=ctx.colours[p], label=ctx.names[p]) for p in ctx.partners]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False)
    return fig


def _impact_table_html(ctx: ReportContext, calls: Sequence[ImpactCall]) -> str:
    if not calls:
        return "<p>No impact prediction could be matched to a ballistic threat.</p>"
    rows = []
    attrs = []
    for c in calls:
        lead = c.threat.end_time_s - c.issued_s
        rows.append(
            [
                _e(c.threat.object_id),
                _swatch(ctx.colours.get(c.partner, "#555555"), ctx.names.get(c.partner, c.partner)),
                _t(c.issued_s),
                _num(lead),
                _num(c.miss_m, 1, 1e-3),
                _num(c.impact_time_s - c.threat.end_time_s, 1),
                f"{_num(c.semi_major_m, 1, 1e-3)} × {_num(c.semi_minor_m, 1, 1e-3)}",
                "-" if c.inside is None else ("yes" if c.inside else "\x00badno"),
            ]
        )
        attrs.append(
            f'class="impact-row" data-threat="{_e(c.threat.object_id)}" '
            f'data-partner="{_e(c.partner)}"'
        )
    headers = [
        "threat",
        "predicted by",
        "last prediction",
        "before impact, s",
        "miss distance, km",
        "impact time error, s",
        "95 % ellipse semi-axes, km",
        "truth inside ellipse",
    ]
    return _table(headers, rows, left=2, row_attrs=attrs, cls="impact")


def track_quality_figure(ctx: ReportContext, metrics: Mapping[str, Any]) -> Any | None:
    """GOSPA over time per partner: localisation, missed and false parts, and counts."""
    parts = metrics.get("partners", {})
    partners = [p for p in ctx.partners if p in parts] + sorted(set(parts) - set(ctx.partners))
    if not partners:
        return None
    p_order = float(metrics.get("parameters", {}).get("gospa_p", 1.0))
    c_km = float(metrics.get("parameters", {}).get("gospa_c_m", 10_000.0)) / 1e3
    n = len(partners)
    fig = _new_figure(10.5, 2.1 * n + 2.4)
    axes = fig.subplots(n + 1, 1, sharex=True, height_ratios=[2.0] * n + [1.6], squeeze=False)
    axes = axes[:, 0]
    tq = (ctx.run.summary.get("track_quality", {}) or {}).get("partners", {}) or {}
    top = 0.0
    for k, pid in enumerate(partners):
        g = parts[pid]["gospa"]
        t = _minutes(np.asarray(g["times_s"], dtype=np.float64))
        ax = axes[k]
        colour = ctx.colours.get(pid, "#555555")
        if p_order == 1.0:
            loc = np.asarray(g["localisation"], dtype=np.float64) / 1e3
            mis = np.asarray(g["missed"], dtype=np.float64) / 1e3
            fal = np.asarray(g["false"], dtype=np.float64) / 1e3
            ax.stackplot(
                t,
                loc,
                mis,
                fal,
                colors=[colour, "#9e9e9e", "#f2b134"],
                labels=[
                    "localisation error",
                    f"missed targets ({c_km / 2:g} km each)",
                    f"false tracks ({c_km / 2:g} km each)",
                ],
                alpha=0.85,
                lw=0,
                step="post",
            )
            top = max(top, float(np.max(loc + mis + fal)) if t.size else 0.0)
        dist = np.asarray(g["distance_m"], dtype=np.float64) / 1e3
        ax.step(t, dist, where="post", color="black", lw=0.9, label="GOSPA distance")
        top = max(top, float(np.max(dist)) if dist.size else 0.0)
        mean = g.get("mean_distance_m")
        s = (tq.get(pid, {}) or {}).get("siap") or parts[pid].get("siap", {})
        comp = s.get("completeness")
        spur = s.get("spuriousness")
        info = [f"mean GOSPA {mean / 1e3:.1f} km" if mean is not None else "mean GOSPA -"]
        if comp is not None:
            info.append(f"SIAP completeness {comp:.2f}")
        if spur is not None:
            info.append(f"spuriousness {spur:.2f}")
        ax.set_title(f"{ctx.names.get(pid, pid)}: " + ", ".join(info), loc="left", color=colour)
        ax.set_ylabel("GOSPA, km")
        ax.grid(True, color="#e4e4e4", lw=0.6)
        ax.legend(loc="upper right", ncol=4, fontsize=7)
    for ax in axes[:n]:
        ax.set_ylim(0.0, max(top * 1.25, 1.0))
    ax = axes[n]
    if ctx.tracks.in_flight_time_s.size:
        ax.step(
            _minutes(ctx.tracks.in_flight_time_s),
            ctx.tracks.in_flight_count,
            where="post",
            color="black",
            lw=1.4,
            label="threats in flight (truth)",
        )
    for pid in partners:
        g = parts[pid]["gospa"]
        t = _minutes(np.asarray(g["times_s"], dtype=np.float64))
        colour = ctx.colours.get(pid, "#555555")
        ax.step(
            t,
            g["missed_count"],
            where="post",
            color=colour,
            lw=1.1,
            label=f"{ctx.names.get(pid, pid)}: missed",
        )
        ax.step(
            t,
            g["false_count"],
            where="post",
            color=colour,
            lw=1.0,
            ls=":",
            label=f"{ctx.names.get(pid, pid)}: false tracks",
        )
    peak = max(
        [float(np.max(ctx.tracks.in_flight_count))] if ctx.tracks.in_flight_count.size else [1.0]
    )
    for pid in partners:
        g = parts[pid]["gospa"]
        for key in ("missed_count", "false_count"):
            if g[key]:
                peak = max(peak, float(np.max(g[key])))
    ax.set_ylim(-0.3, peak * 1.15 + 0.5)
    ax.set_ylabel("count")
    ax.set_title("Threats in flight, missed and false tracks (GOSPA assignment)", loc="left")
    ax.grid(True, color="#e4e4e4", lw=0.6)
    ax.legend(loc="upper right", ncol=3, fontsize=7)
    ax.set_xlim(0.0, float(_minutes(ctx.duration_s)))
    ax.set_xlabel("scenario time, minutes since start (T+)")
    return fig


# -------------------------------------------------------------------------- HTML


_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#1b1b1b;margin:0 auto;
max-width:1100px;padding:0 18px 40px;line-height:1.4;font-size:14px}
header{border-bottom:3px solid #1b1b1b;margin-bottom:10px}
h1{font-size:24px;margin:18px 0 4px}h2{font-size:18px;margin:26px 0 6px;
border-bottom:1px solid #bbb}
.desc{margin:4px 0 8px;color:#333}.banner{background:#fff4d6;border:1px solid #e0c060;
padding:4px 8px;font-size:12px;display:inline-block;margin:6px 0}
dl.facts{display:grid;grid-template-columns:max-content auto max-content auto;gap:2px 14px;
font-size:13px;margin:8px 0}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px}
th,td{border:1px solid #c8c8c8;padding:3px 7px;text-align:right}
th{background:#eef1f4}td.l,th.l{text-align:left}tr.acc td{background:#fff8e6}
td.bad{color:#b00000;font-weight:bold}
figure{margin:8px 0 14px}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:12px;color:#444;margin-top:3px}.sw{display:inline-block;width:10px;
height:10px;border:1px solid #333;margin-right:4px;vertical-align:middle}
footer{margin-top:30px;font-size:11px;color:#666;border-top:1px solid #ccc;padding-top:6px}
@media print{h2{page-break-before:auto}figure{page-break-inside:avoid}}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _t(seconds: Any) -> str:
    """Scenario time as T+mm:ss (or h:mm:ss)."""
    if seconds is None or not math.isfinite(float(seconds)):
        return "-"
    s = float(seconds)
    sign = "-" if s < 0 else "+"
    s = abs(round(s))
    h, rem = divmod(int(s), 3600)
    m, sec = divmod(rem, 60)
    return f"T{sign}{h}:{m:02d}:{sec:02d}" if h else f"T{sign}{m:02d}:{sec:02d}"


def _num(value: Any, digits: int = 0, scale: float = 1.0) -> str:
    if value is None:
        return "-"
    v = float(value) * scale
    return f"{v:,.{digits}f}" if math.isfinite(v) else "-"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    left: int = 1,
    row_attrs: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table; cells are given already escaped; the first ``left`` columns align left."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [
        f'<th class="l">{h}</th>' if i < left else f"<th>{h}</th>" for i, h in enumerate(headers)
    ]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        attrs = f" {row_attrs[k]}" if row_attrs else ""
        out.append(f"<tr{attrs}>")
        for i, cell in enumerate(row):
            if cell.startswith("\x00bad"):
                out.append(f'<td class="bad">{cell[4:]}</td>')
            else:
                out.append(f'<td class="l">{cell}</td>' if i < left else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _swatch(colour: str, name: str) -> str:
    return f'<span class="sw" style="background:{_e(colour)}"></span>{_e(name)}'


def _header_html(ctx: ReportContext) -> str:
    s = ctx.run.summary
    sc = ctx.scenario
    name = s.get("scenario") or (sc.name if sc else ctx.run.run_dir.name)
    desc = sc.description.strip() if sc is not None else ""
    facts: list[tuple[str, str]] = []
    if sc is not None:
        facts.append(("Epoch (T+0)", sc.epoch.strftime("%Y-%m-%d %H:%M:%SZ")))
    facts.append(("Seed", _e(s.get("seed", sc.seed if sc else "-"))))
    mode = s.get("coordination_mode", sc.coordination_mode if sc else "-")
    facts.append(("Coordination mode", _e(mode)))
    facts.append(("Simulated", f"{_num(ctx.duration_s)} s ({_t(ctx.duration_s)})"))
    counts = s.get("counts", {}) or {}
    by_kind = counts.get("threats_by_kind") or {}
    if not by_kind:
        for th in ctx.threats:
            by_kind[th.kind] = by_kind.get(th.kind, 0) + 1
    n_threats = counts.get("threats", len(ctx.threats))
    kinds = ", ".join(f"{v} {k}" for k, v in by_kind.items())
    facts.append(("Threats", f"{_e(n_threats)}" + (f" ({_e(kinds)})" if kinds else "")))
    if "detections" in counts:
        facts.append(
            (
                "Detections",
                f"{_num(counts['detections'])} ({_num(counts.get('false_alarms'))} false alarms)",
            )
        )
    partners = ", ".join(_swatch(ctx.colours[p], ctx.names[p]) for p in ctx.partners)
    facts.append(("Partners", partners or "-"))
    if sc is not None:
        facts.append(
            (
                "Forces",
                f"{len(sc.defended_assets)} defended assets, {len(sc.sensors)} sensors, "
                f"{len(sc.batteries)} batteries",
            )
        )
    if s.get("skyweave_version"):
        facts.append(("Skyweave", _e(s["skyweave_version"])))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        f"<header><h1>After-action report: {_e(name)}</h1>"
        + (f'<p class="desc">{_e(desc)}</p>' if desc else "")
        + '<p class="banner">Exercise simulation. Every force, sensor and weapon parameter '
        "is notional and generic.</p>" + f'<dl class="facts">{dl}</dl></header>'
    )


def _measures_html(ctx: ReportContext) -> str:
    s = ctx.run.summary
    by_p = (s.get("warning", {}) or {}).get("by_partner", {}) or {}
    tq = (s.get("track_quality", {}) or {}).get("partners", {}) or {}
    if not by_p and not tq:
        return (
            '<section id="measures"><h2>Key measures</h2><p>This run\'s summary.json holds '
            "no warning or track-quality measures (an older run).</p></section>"
        )
    rows = []
    for pid in ctx.partners:
        w = by_p.get(pid, {}) or {}
        q = tq.get(pid, {}) or {}
        siap = q.get("siap", {}) or {}
        warned = w.get("warned")
        total = w.get("ballistic_threats")
        rows.append(
            [
                _swatch(ctx.colours[pid], ctx.names[pid]),
                "-" if warned is None else f"{warned} / {total}",
                _num(w.get("median_warning_s")),
                _num(w.get("worst_warning_s")),
                _num(q.get("gospa_mean_m"), 1, 1e-3),
                _num(q.get("gospa_mean_missed_targets"), 2),
                _num(q.get("gospa_mean_false_tracks"), 2),
                _num(siap.get("completeness"), 2),
                _num(siap.get("ambiguity"), 2),
                _num(siap.get("spuriousness"), 2),
                _num(siap.get("position_accuracy_m")),
            ]
        )
    headers = [
        "partner",
        "ballistic threats warned",
        "median warning, s",
        "worst warning, s",
        "mean GOSPA, km",
        "mean missed",
        "mean false",
        "SIAP completeness",
        "SIAP ambiguity",
        "SIAP spuriousness",
        "SIAP position accuracy, m",
    ]
    return (
        '<section id="measures"><h2>Key measures</h2>'
        + _table(
            headers,
            rows,
            row_attrs=[f'class="measure-row" data-partner="{_e(p)}"' for p in ctx.partners],
        )
        + "<p>Warning time: true impact time minus the partner's first alert about the "
        "threat, own or received. GOSPA (order 1, cut-off 10 km) and SIAP from the "
        "partner's own tracks against truth; best values: GOSPA 0, completeness 1, "
        "ambiguity 1, spuriousness 0.</p></section>"
    )


def _warning_table_html(ctx: ReportContext) -> str:
    if not (ctx.run.summary.get("warning", {}) or {}).get("per_threat"):
        return "<p>This run's summary.json holds no warning measures (an older run).</p>"
    rows = []
    attrs = []
    for r in _ballistic_warning_rows(ctx):
        th: ThreatInfo = r["threat"]
        warning = r.get("warning_time_s")
        rows.append(
            [
                _e(th.object_id) + (" (accidental)" if th.accidental else ""),
                _swatch(ctx.colours[r["partner"]], ctx.names[r["partner"]]),
                _t(th.launch_time_s),
                _t(r.get("first_detection_s")),
                _t(r.get("first_track_s")),
                _t(r.get("first_alert_s")),
                _t(r.get("impact_time_s", th.end_time_s)),
                _num(warning) if warning is not None else "\x00badnot warned",
            ]
        )
        attrs.append(
            f'class="warning-row{" acc" if th.accidental else ""}" '
            f'data-threat="{_e(th.object_id)}" data-partner="{_e(r["partner"])}"'
        )
    if not rows:
        return "<p>No ballistic threats in this run.</p>"
    headers = [
        "threat",
        "partner",
        "launch",
        "first detection",
        "first track",
        "first alert",
        "impact",
        "warning, s",
    ]
    return _table(headers, rows, left=2, row_attrs=attrs, cls="warning")


def _threats_table_html(ctx: ReportContext) -> str:
    rows = []
    for th in ctx.threats:
        rows.append(
            [
                _e(th.object_id) + (" (accidental)" if th.accidental else ""),
                _e(th.kind),
                _t(th.launch_time_s),
                _t(th.end_time_s),
                _num(th.end_time_s - th.launch_time_s),
                _num(th.apogee_km, 1),
                f"{_fmt_lat(round(th.launch_lat_deg, 2))} {_fmt_lon(round(th.launch_lon_deg, 2))}"
                if math.isfinite(th.launch_lat_deg)
                else "-",
                f"{_fmt_lat(round(th.end_lat_deg, 2))} {_fmt_lon(round(th.end_lon_deg, 2))}"
                if math.isfinite(th.end_lat_deg)
                else "-",
            ]
        )
    headers = [
        "threat",
        "kind",
        "launch",
        "end",
        "flight, s",
        "apogee, km",
        "launch point",
        "end point (impact)",
    ]
    return _table(headers, rows, left=2)


def _engagements_html(ctx: ReportContext) -> str:
    eng = ctx.engagements
    if eng is None:
        return "<p>No engagements recorded: this run folder has no engagements.parquet.</p>"
    if not len(eng):
        return "<p>No interceptor was fired.</p>"
    # Outcome per partner first: engagements, interceptors, kills, misses.
    shots_per_row = eng.shot_counts
    summary_rows = []
    for pid in ctx.partners:
        mine = eng.partner == pid
        n = int(np.sum(mine))
        kills = int(np.sum(mine & (eng.outcome == "kill")))
        aborted = int(np.sum(mine & (eng.outcome == "aborted")))
        summary_rows.append(
            [
                _swatch(ctx.colours[pid], ctx.names[pid]),
                str(n),
                str(int(np.sum(shots_per_row[mine]))),
                str(kills),
                str(n - kills - aborted),
                str(aborted),
                _num(kills / n, 2) if n else "-",
            ]
        )
    out = ""
    defence = ctx.run.summary.get("engagement") or {}
    if defence:
        hits = ", ".join(
            f"{_e(h['asset_id'])} (value {_num(h['value'])}, by {_e(', '.join(h['by']))})"
            for h in defence.get("defended_assets_hit", [])
        )
        out += (
            f"<p><b>Leakers:</b> {defence.get('leakers', '-')} "
            f"({_e(', '.join(defence.get('leaker_ids', [])) or 'none')}). "
            f"<b>Defended assets hit:</b> {hits or 'none'}. "
            f"<b>First alert to first shot</b> (median over engaged threats): "
            f"{_num(defence.get('alert_to_first_shot_median_s'))} s.</p>"
        )
    out += _table(
        [
            "partner",
            "engagements",
            "interceptors fired",
            "kills",
            "misses",
            "aborted",
            "kills per engagement",
        ],
        summary_rows,
    )
    order = np.lexsort((np.arange(len(eng)), eng.time_s))
    rows = []
    for i in order:
        rows.append(
            [
                _e(eng.target[i] if eng.target[i] is not None else "-"),
                _e(ctx.names.get(str(eng.partner[i]), eng.partner[i] or "-")),
                _e(eng.battery[i] if eng.battery[i] is not None else "-"),
                _e(eng.interceptor[i] if eng.interceptor[i] is not None else "-"),
                _t(eng.time_s[i]),
                _t(eng.end_time_s[i]),
                str(int(shots_per_row[i])),
                _e(eng.outcome[i] if eng.outcome[i] is not None else "-"),
            ]
        )
    out += _table(
        ["target", "partner", "battery", "interceptor", "fired", "end game", "shots", "outcome"],
        rows,
        left=4,
        row_attrs=['class="engagement-row"'] * len(rows),
    )
    return out


def _forces_html(ctx: ReportContext) -> str:
    sc = ctx.scenario
    if sc is None:
        return "<p>Scenario not given: forces not listed.</p>"

    def where(lat: float, lon: float) -> str:
        return f"{_fmt_lat(round(lat, 2))} {_fmt_lon(round(lon, 2))}"

    def outages(windows: Sequence[Any]) -> str:
        return ", ".join(f"{_t(w.start_s)}–{_t(w.end_s)}" for w in windows) or "-"

    def who(pid: str) -> str:
        return _swatch(ctx.colours.get(pid, "#555555"), ctx.names.get(pid, pid))

    rows = []
    for s in sc.sensors:
        if isinstance(s, Radar):
            rows.append(
                [
                    _e(s.id),
                    who(s.partner),
                    _e(s.role.replace("_", "-") + " radar"),
                    where(s.lat_deg, s.lon_deg),
                    f"{s.boresight_az_deg:g}° ± {s.sector_half_width_deg:g}°, "
                    f"{s.max_range_km:g} km, revisit {s.revisit_s:g} s",
                    outages(s.outages),
                ]
            )
        else:
            pos = (
                f"geostationary {_fmt_lon(s.geo_lon_deg)}"
                if s.geo_lon_deg is not None
                else where(s.position.lat_deg, s.position.lon_deg)
                if s.position
                else "-"
            )
            rows.append(
                [
                    _e(s.id),
                    who(s.partner),
                    "space infrared",
                    pos,
                    f"plumes above {s.cloud_top_alt_m / 1e3:g} km, frame {s.frame_period_s:g} s, "
                    f"delay {s.processing_delay_s:g} s",
                    outages(s.outages),
                ]
            )
    for b in sc.batteries:
        rows.append(
            [
                _e(b.id),
                who(b.partner),
                "interceptor battery",
                where(b.lat_deg, b.lon_deg),
                f"{b.interceptors} interceptors on {b.launchers} launchers, "
                f"{b.min_range_km:g}–{b.max_range_km:g} km, up to {b.max_alt_km:g} km, "
                f"{_e(b.doctrine)}",
                "-",
            ]
        )
    for a in sc.defended_assets:
        rows.append(
            [
                _e(a.id),
                who(a.partner),
                "defended asset",
                where(a.lat_deg, a.lon_deg),
                f"{_e(a.name)}, value {a.value:g}, radius {a.radius_m / 1e3:g} km",
                "-",
            ]
        )
    return _table(["id", "partner", "type", "position", "characteristics", "outages"], rows, left=6)


def _injects_html(ctx: ReportContext) -> str:
    sc = ctx.scenario
    if sc is None or not sc.injects:
        why = " (scenario not given)" if sc is None else ""
        return f"<p>No white-cell injects{why}.</p>"
    rows = [
        [_t(i.time_s), _e(i.kind.replace("_", " ")), _e(i.target or "-"), _e(i.text or "")]
        for i in sorted(sc.injects, key=lambda i: i.time_s)
    ]
    return _table(["time", "inject", "target", "text"], rows, left=4)


def _figure_html(fig_id: str, png: bytes, alt: str, caption: str) -> str:
    return (
        f'<figure class="plot" id="{fig_id}">{_img(png, alt)}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def render_report(
    run_dir: str | Path,
    scenario: Scenario | str | Path | None = None,
    summary: Mapping[str, Any] | None = None,
) -> str:
    """The after-action report of a run folder, as one self-contained HTML string.

    Parameters
    ----------
    run_dir : path
        A ``skyweave run`` output folder.
    scenario : Scenario, path or None
        The scenario the run played (a loaded model or its YAML file): gives the
        partners' colours and names, the defended assets, sensors, batteries and
        injects. Without it the report shows what the run folder alone holds.
    summary : mapping, optional
        The run's summary, when ``summary.json`` is not written yet (a report
        made while the run folder is being assembled); default: read the file.

    Raises
    ------
    InputError
        When the run folder or the scenario file is missing or unreadable.
    """
    from skyweave.analysis.metrics_run import compute_run_metrics

    run = load_run(run_dir, require_summary=summary is None)
    if summary is not None:
        plain = json.loads(json.dumps(dict(summary), default=_plain))
        run = RunData(run.run_dir, plain, run.tables)
    if scenario is not None and not isinstance(scenario, Scenario):
        from skyweave.scenario import load_scenario

        scenario = load_scenario(scenario)
    partners = _partners(run, scenario)
    colours, names = _partner_style(partners, scenario)
    tracks = ground_tracks(run.table("truth"))
    threats = _threat_infos(run, tracks, scenario)
    track_map = _track_to_threat(run.table("tracks"), run.table("truth"))
    alerts = _alert_rows(run.table("alerts"), track_map, threats)
    duration = run.summary.get("simulated_s")
    if duration is None:
        duration = scenario.duration_s if scenario is not None else 0.0
        if tracks.time_s:
            duration = max(float(duration), max(float(t[-1]) for t in tracks.time_s))
    ctx = ReportContext(
        run=run,
        scenario=scenario,
        partners=partners,
        colours=colours,
        names=names,
        tracks=tracks,
        threats=threats,
        alerts=alerts,
        engagements=_engagements(run.table("engagements")),
        duration_s=float(duration),
    )
    metrics: dict[str, Any] = {}
    if run.table("tracks") is not None and run.table("truth") is not None:
        # Every partner, so that one without a single track is charged in full.
        metrics = compute_run_metrics(run.run_dir, partners=partners)

    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>After-action report: {_e(run.summary.get('scenario', run.run_dir.name))}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    with _style():
        parts.append(_header_html(ctx))
        parts.append(_measures_html(ctx))
        fig = theatre_map(ctx)
        parts.append(
            '<section id="theatre"><h2>Theatre</h2>'
            + _figure_html(
                "fig-map",
                figure_png(fig),
                "Theatre map",
                "Defended assets (square, area proportional to value), radar coverage "
                "(sector to maximum range; the elevation limits and the radar horizon "
                "shorten it against low targets), battery maximum engagement range, "
                "ground tracks of every threat, true impact points (black X), each "
                "originating partner's last impact prediction per track with its 95 % "
                "ellipse (+), and launch-point estimates from launch alerts (hollow "
                "triangles). Colours: partners as listed; geometry on the mean-radius "
                "sphere (within 0.5 % of the ellipsoid).",
            )
            + "</section>"
        )
        del fig
        fig = timeline(ctx)
        parts.append(
            '<section id="timeline"><h2>Timeline</h2>'
            + _figure_html(
                "fig-timeline",
                figure_png(fig),
                "Timeline per partner",
                "One panel per partner: every threat's flight (bar) and impact (X), the "
                "partner's first detection, first track and first alert (in its own "
                "colour), and every alert it received, coloured by the partner that "
                "originated it (shared warning shows as the other partner's colour). "
                "Alerts that no threat explains (false or ghost tracks) have a row of "
                "their own. Shaded: white-cell outages; dashed: white-cell notes.",
            )
            + "</section>"
        )
        del fig
        wfig = warning_figure(ctx)
        warn_parts = ['<section id="warning"><h2>Warning time</h2>']
        if wfig is not None:
            warn_parts.append(
                _figure_html(
                    "fig-warning",
                    figure_png(wfig),
                    "Warning time per threat and partner",
                    "Warning time per ballistic threat and partner: seconds from the "
                    "partner's first alert to the true impact.",
                )
            )
        warn_parts.append(_warning_table_html(ctx))
        warn_parts.append("</section>")
        parts.append("".join(warn_parts))
        calls = impact_calls(ctx)
        ifig = impact_areas_figure(ctx, calls)
        impact_parts = ['<section id="impacts"><h2>Impact predictions</h2>']
        if ifig is not None:
            impact_parts.append(
                _figure_html(
                    "fig-impacts",
                    figure_png(ifig),
                    "Impact areas: truth and predictions",
                    "Each area where ballistic threats came down, in kilometres east and "
                    "north of the defended asset there (or of the mean impact point): "
                    "true impacts (X) and, per threat, each originating partner's last "
                    "impact prediction (+) with its 95 % ellipse, joined to the true "
                    "impact by a dotted line.",
                )
            )
        impact_parts.append(_impact_table_html(ctx, calls))
        impact_parts.append("</section>")
        parts.append("".join(impact_parts))
        parts.append(
            '<section id="engagements"><h2>Engagements</h2>' + _engagements_html(ctx) + "</section>"
        )
        tq_parts = ['<section id="track-quality"><h2>Track quality over time</h2>']
        qfig = track_quality_figure(ctx, metrics) if metrics else None
        if qfig is not None:
            params = metrics.get("parameters", {})
            tq_parts.append(
                _figure_html(
                    "fig-track-quality",
                    figure_png(qfig),
                    "GOSPA over time per partner",
                    "GOSPA distance of each partner's own tracks against truth at its "
                    f"report times (order {params.get('gospa_p', 1):g}, cut-off "
                    f"{params.get('gospa_c_m', 1e4) / 1e3:g} km, alpha 2), split into "
                    "localisation error of assigned tracks, missed targets and false "
                    "tracks; below, how many threats were in flight and how many were "
                    "missed or falsely tracked. Lower is better.",
                )
            )
        else:
            tq_parts.append("<p>No tracks table in this run folder: track quality not shown.</p>")
        tq_parts.append("</section>")
        parts.append("".join(tq_parts))
    parts.append(
        '<section id="threats"><h2>Threats (truth)</h2>' + _threats_table_html(ctx) + "</section>"
    )
    parts.append(
        '<section id="injects"><h2>White-cell injects</h2>' + _injects_html(ctx) + "</section>"
    )
    parts.append(
        '<section id="forces"><h2>Forces (notional)</h2>' + _forces_html(ctx) + "</section>"
    )
    parts.append(
        "<footer>Generated by Skyweave "
        f"{_e(run.summary.get('skyweave_version', ''))} from the files beside this page. "
        "Notional, generic exercise data; no real weapon system is named or modelled."
        "</footer></body></html>\n"
    )
    return "\n".join(parts)


def _plain(value: Any) -> Any:
    """JSON fallback for NumPy scalars and arrays in a summary given in memory."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-ready: {type(value).__name__}")


def write_report(
    run_dir: str | Path,
    scenario: Scenario | str | Path | None = None,
    out: str | Path | None = None,
    summary: Mapping[str, Any] | None = None,
) -> Path:
    """Write the after-action report of ``run_dir`` (default ``run_dir/report.html``).

    Returns the path written. See :func:`render_report` for the arguments.
    """
    text = render_report(run_dir, scenario, summary)
    path = Path(out) if out is not None else Path(run_dir) / REPORT_NAME
    path.write_text(text, encoding="utf-8")
    return path
