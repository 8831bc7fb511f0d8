"""The run folder as the report reads it: tables, threats, alerts, engagements, partners."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from skyweave.errors import InputError, Problem
from skyweave.io.palette import partner_colours
from skyweave.io.report_style import _t
from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.scenario.schema import Scenario

FloatArray = NDArray[np.float64]


REPORT_NAME = "report.html"
#: Track-to-threat gate and launch-point gate, as in the warning measures.
#: Most threat rows drawn in the timeline and warning figure (the tables list all).
MAX_TIMELINE_ROWS = 60

#: Threat kinds: colours distinct from the usual partner blues and reds.
KIND_COLOURS = {
    "ballistic": "#3a3a3a",
    "cruise": "#8c4fbf",
    "aircraft": "#2e8b57",
    "interceptor": "#ff8c00",
}

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


def _outcome_text(row: Mapping[str, Any]) -> str:
    """A threat's outcome as the summary gives it, with the asset it hit."""
    outcome = str(row.get("outcome") or "").replace("_", " ")
    hit = row.get("asset_hit")
    return f"{outcome} ({hit})" if hit else outcome


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
    outcome: str = ""  # killed, impact (and the asset hit), in flight, ...

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
    lat, lon, _ = ecef_to_geodetic(x[order], y[order], z[order])
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
        # a killed threat has no impact: its planned one is what predictions aimed at
        end_lat = s.get("impact_lat_deg")
        end_lon = s.get("impact_lon_deg")
        end_s = s.get("end_time_s") or tracks.time_s[k][-1]
        if s.get("outcome") == "killed":
            end_lat, end_lon = s.get("planned_end_lat_deg"), s.get("planned_end_lon_deg")
            end_s = s.get("planned_end_time_s", end_s)  # the bar ends at killed_s
        out.append(
            ThreatInfo(
                object_id=oid,
                kind=kind,
                launch_time_s=float(s.get("launch_time_s", tracks.time_s[k][0])),
                end_time_s=float(end_s),
                launch_lat_deg=float(launch_lat),
                launch_lon_deg=float(launch_lon),
                end_lat_deg=float(tracks.lat_deg[k][-1] if end_lat is None else end_lat),
                end_lon_deg=float(tracks.lon_deg[k][-1] if end_lon is None else end_lon),
                accidental=bool(s.get("accidental", False)),
                apogee_km=float(s["apogee_km"]) if s.get("apogee_km") is not None else math.nan,
                killed_s=float(s["killed_s"]) if s.get("killed_s") is not None else math.nan,
                outcome=_outcome_text(s),
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
                end_time_s=float(s.get("end_time_s") or math.nan),  # None: not launched
                launch_lat_deg=exact_launch.get(oid, (math.nan, math.nan))[0],
                launch_lon_deg=exact_launch.get(oid, (math.nan, math.nan))[1],
                end_lat_deg=float(math.nan if lat is None else lat),
                end_lon_deg=float(math.nan if lon is None else lon),
                accidental=bool(s.get("accidental", False)),
                outcome=_outcome_text(s),
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
    """Colour (the one palette of :mod:`skyweave.io.palette`) and display name of each partner."""
    given = {p.id: p for p in scenario.partners} if scenario is not None else {}
    colours = partner_colours(partners, {pid: p.color for pid, p in given.items()})
    names = {pid: (given[pid].name or pid) if pid in given else pid for pid in partners}
    return colours, names


# ------------------------------------------------------------------ associations


@dataclass(frozen=True)
class AlertRows:
    """The alert stream, one row per alert received, with the threat it is about."""

    time_s: FloatArray
    partner: NDArray[Any]
    origin: NDArray[Any]
    kind: NDArray[Any]
    track_id: FloatArray
    threat: NDArray[Any]  # the partner's threat id (its board's entry)
    about: NDArray[Any]  # truth object id or None
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


def _alert_rows(alerts: pa.Table | None) -> AlertRows | None:
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
    threat = _column(alerts, "threat_id")
    threat = np.full(n, None, dtype=object) if threat is None else threat.astype(object)
    # the truth object each threat was about (the run's scoring label)
    from skyweave.analysis.warning_times import threat_labels

    labels = threat_labels(alerts)
    about = np.array([labels.get((str(p), th)) for p, th in zip(partner, threat, strict=True)],
                     dtype=object)  # fmt: skip
    return AlertRows(
        time_s=t,
        partner=partner.astype(str).astype(object),
        origin=origin.astype(str).astype(object),
        kind=kind.astype(str).astype(object),
        track_id=track_id,
        threat=threat,
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
    """Row indices of each partner's last impact prediction per threat on its board
    (from its own data or a partner's report: what its staff last saw), only those
    issued before their own predicted impact time."""
    predicted = (alerts.kind == "new_threat") | (alerts.kind == "threat_change")
    own = (
        predicted
        & np.isfinite(alerts.impact_lat_deg)
        & np.isfinite(alerts.impact_lon_deg)
        & (alerts.threat != None)  # noqa: E711 (elementwise on an object array)
        & ~(alerts.time_s > alerts.impact_time_s)
    )
    idx = np.flatnonzero(own)
    if idx.size == 0:
        return idx.astype(np.int64)
    keys = np.array([f"{alerts.partner[i]} {alerts.threat[i]}" for i in idx])
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


def interceptor_ids(battery_id: str, engagement_id: int, shots: int) -> str:
    """The interceptors of one engagement, as ``truth.parquet`` names them, comma separated.

    ``<battery>/e<engagement id>/<shot from 1>``: the naming of
    :func:`skyweave.engagement.flyout.interceptor_object_id`.
    """
    return ", ".join(f"{battery_id}/e{engagement_id}/{k + 1}" for k in range(shots))


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
        x, y, z = (_column(table, f"intercept_{c}_m", f"{c}_m") for c in "xyz")
        if x is not None and y is not None and z is not None:
            la, lo, _ = ecef_to_geodetic(x, y, z)
            lat, lon = np.asarray(la, np.float64), np.asarray(lo, np.float64)
    partner = _column(table, "partner", "shooter_partner")
    battery = _column(table, "battery_id", "shooter_id", "battery")
    target = _column(table, "target_id", "object_id", "threat_id")
    interceptor = _column(table, "interceptor_id")
    engagement_id = _column(table, "engagement_id")
    shots = _column(table, "shots")
    if interceptor is None and battery is not None and engagement_id is not None:
        # The truth ids of the engagement's interceptors, as the run names them.
        interceptor = np.array(
            [
                interceptor_ids(
                    str(bty), int(eid), 1 if s is None or not np.isfinite(s) else int(s)
                )
                if bty is not None and np.isfinite(eid)
                else None
                for bty, eid, s in zip(
                    battery, engagement_id, shots if shots is not None else [None] * n, strict=True
                )
            ],
            dtype=object,
        )
    end_t = _column(table, "intercept_time_s", "end_time_s", "detonation_time_s")
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

    def clock(self, seconds: Any) -> str:
        """A run time as the scenario's clock time (UTC, from its epoch) with the run
        time beside it, e.g. ``08:11:40Z (T+11:40)``; the run time alone without a scenario."""
        if self.scenario is None or seconds is None or not math.isfinite(float(seconds)):
            return _t(seconds)
        at = self.scenario.epoch + timedelta(seconds=round(float(seconds)))  # as _t rounds
        return f"{at.strftime('%H:%M:%SZ')} ({_t(seconds)})"

    def time_axis_label(self) -> str:
        """A figure's time-axis label: minutes since start, and the clock time of T+0."""
        if self.scenario is None:
            return "scenario time, minutes since start (T+)"
        return f"scenario time, minutes since T+0 = {self.scenario.epoch:%Y-%m-%d %H:%M:%SZ}"
