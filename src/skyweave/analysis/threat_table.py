"""One row per threat of a finished run: what each partner knew of it and what the
defence did about it (the per-threat table of ``skyweave batch`` and ``compare``).

Everything is read from the run folder's tables and the ``threats`` rows of its
summary, and warning is scored against the truth by
:func:`skyweave.analysis.warning_times.warning_measures` on the folder's tables
(not read from the summary's warning block, whose layout is free to change):
:func:`warning_by_threat` is the one place to repoint if the scoring moves.

Columns of a row:

* ``threat``, ``class`` (ballistic, cruise, aircraft), ``accidental``;
* ``outcome`` (summary's: ``impact``, ``killed``, ``in_flight``...), ``leaker``
  (true when it reached a defended asset) and ``leaker_asset`` (which one);
* ``warning_s.<partner>``: true impact time minus the partner's first alert about
  it (own or received), None when it was not warned before impact;
* ``engagements.<battery>`` and ``shots.<battery>`` at this threat, and ``kills``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skyweave.analysis.warning_times import ThreatTiming, warning_measures
from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.scenario.expand import expand_threats
from skyweave.scenario.schema import Scenario

TABLES = ("truth", "detections", "tracks", "alerts", "engagements")


def _read(folder: Path, name: str) -> pa.Table:
    return pq.read_table(folder / f"{name}.parquet")


def _launch_points(scenario: Scenario, truth: pa.Table) -> dict[str, tuple[float, float]]:
    """Launch (lat, lon) of each threat: the scenario's, else its first truth point
    (a white-cell launch inject is not in the scenario's threat list)."""
    ballistic, air = expand_threats(scenario)
    points = {b.object_id: (b.launch_lat_deg, b.launch_lon_deg) for b in ballistic}
    points.update({f.object_id: (f.waypoints_lat_deg[0], f.waypoints_lon_deg[0]) for f in air})
    ids = truth.column("object_id").to_pylist()
    xyz = np.column_stack([truth.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    for k, object_id in enumerate(ids):  # time-major: the first row is the earliest
        if object_id not in points:
            lat, lon, _ = ecef_to_geodetic(*xyz[k])
            points[object_id] = (float(lat), float(lon))
    return points


def warning_by_threat(
    folder: Path, scenario: Scenario, threats: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, str], float | None]:
    """(threat, partner) -> warning time (s), scored against the truth from the
    folder's tables by :func:`~skyweave.analysis.warning_times.warning_measures`."""
    tables = {name: _read(folder, name) for name in TABLES}
    launch = _launch_points(scenario, tables["truth"])
    timings = [
        ThreatTiming(
            object_id=t["object_id"],
            kind=t["kind"],
            launch_time_s=float(t["launch_time_s"]),
            launch_lat_deg=launch.get(t["object_id"], (np.nan, np.nan))[0],
            launch_lon_deg=launch.get(t["object_id"], (np.nan, np.nan))[1],
            impact_time_s=(
                float("nan")
                if t["kind"] == "aircraft"
                else float(t.get("planned_end_time_s", t["end_time_s"]))
            ),
        )
        for t in threats
    ]
    scored = warning_measures(
        timings,
        [p.id for p in scenario.partners],
        tables["truth"],
        tables["detections"],
        tables["tracks"],
        tables["alerts"],
    )
    return {(r["object_id"], r["partner"]): r["warning_time_s"] for r in scored["per_threat"]}


def _engagement_counts(engagements: pa.Table) -> dict[str, dict[str, Any]]:
    """Per threat: engagements and shots per battery, and kills."""
    out: dict[str, dict[str, Any]] = {}
    for row in engagements.select(["object_id", "battery_id", "shots", "outcome"]).to_pylist():
        entry = out.setdefault(row["object_id"], {"engagements": {}, "shots": {}, "kills": 0})
        battery = row["battery_id"]
        entry["engagements"][battery] = entry["engagements"].get(battery, 0) + 1
        entry["shots"][battery] = entry["shots"].get(battery, 0) + int(row["shots"])
        entry["kills"] += int(row["outcome"] == "kill")
    return out


def threat_table_rows(
    folder: str | Path, scenario: Scenario, summary: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One row per threat of the run in ``folder`` (see the module docstring).

    Parameters
    ----------
    folder
        A run folder (its Parquet tables).
    scenario
        The scenario the run played (partners, batteries, launch points).
    summary
        The run's summary: its ``threats`` rows and ``engagement.leaker_ids``.
    """
    folder = Path(folder)
    threats = summary["threats"]
    warning = warning_by_threat(folder, scenario, threats)
    counts = _engagement_counts(_read(folder, "engagements"))
    leakers = set(summary["engagement"].get("leaker_ids", []))
    partners = [p.id for p in scenario.partners]
    batteries = [b.id for b in scenario.batteries]
    rows = []
    for t in threats:
        object_id = t["object_id"]
        mine = counts.get(object_id, {"engagements": {}, "shots": {}, "kills": 0})
        leaker = object_id in leakers
        row: dict[str, Any] = {
            "threat": object_id,
            "class": t["kind"],
            "accidental": bool(t.get("accidental", False)),
            "outcome": t.get("outcome"),
            "leaker": leaker,
            "leaker_asset": t.get("asset_hit") if leaker else None,
        }
        for partner in partners:
            row[f"warning_s.{partner}"] = warning.get((object_id, partner))
        for battery in batteries:
            row[f"engagements.{battery}"] = mine["engagements"].get(battery, 0)
            row[f"shots.{battery}"] = mine["shots"].get(battery, 0)
        row["kills"] = mine["kills"]
        rows.append(row)
    return rows


def threats_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows (each with its run's ids first) as an Arrow table: counts and times as
    float64 with nulls, so the schema does not depend on which rows have values."""
    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            names.setdefault(name, None)
    text = {"threat", "class", "outcome", "leaker_asset", "mode"}
    flags = {"accidental", "leaker"}
    ints = {"point", "run", "seed"}
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name in text:
            columns[name] = pa.array(values, pa.string())
        elif name in flags:
            columns[name] = pa.array(values, pa.bool_())
        elif name in ints:
            columns[name] = pa.array(values, pa.int64())
        else:
            columns[name] = pa.array(
                [None if v is None else float(v) for v in values], pa.float64()
            )
    return pa.table(columns)
