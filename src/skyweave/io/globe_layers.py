"""What the globe files show beyond truth, read from a run folder's tables.

Per partner: its own confirmed tracks (``tracks.parquet``), its fused picture
(``picture.parquet``), the alerts it received (``alerts.parquet``: launch-point
estimates and impact predictions with their 95 % ellipse, coloured by the
partner that originated them) and the ground footprint of its radars' coverage
(the sector to maximum range). :mod:`skyweave.io.czml` and :mod:`skyweave.io.kml`
draw them in one folder per partner, so a viewer can toggle a partner's view.

An impact prediction is shown from the time it was received until the next
prediction or all-clear about the same track from the same originator, or until
its predicted impact time (the end of the run at the latest). A launch-point
estimate is shown from its alert to the end of the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from skyweave.io.palette import scenario_partner_colours
from skyweave.io.report_geo import ellipse_polygon, sector_polygon
from skyweave.scenario.schema import Radar, Scenario

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TrackLine:
    """One partner track: its samples in time order (ECEF metres)."""

    partner: str
    track_id: int
    time_s: FloatArray
    ecef_m: FloatArray  # (n, 3)


@dataclass(frozen=True)
class GroundShape:
    """A closed outline on the ground (coverage footprint or impact ellipse)."""

    key: str
    partner: str  # whose folder it goes in
    colour_partner: str  # whose colour it takes (the alert's originator)
    label: str
    lat_deg: FloatArray
    lon_deg: FloatArray
    start_s: float | None = None  # None: always shown
    end_s: float | None = None


@dataclass(frozen=True)
class GroundPoint:
    """A point on the ground shown over a time window (a launch-point estimate)."""

    key: str
    partner: str
    colour_partner: str
    label: str
    lat_deg: float
    lon_deg: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class GlobeLayers:
    """Per-partner layers of a run, in partner order, with the one partner palette."""

    partners: tuple[str, ...]
    names: dict[str, str]
    colours: dict[str, str]
    own_tracks: tuple[TrackLine, ...] = ()
    picture: tuple[TrackLine, ...] = ()
    coverage: tuple[GroundShape, ...] = ()
    ellipses: tuple[GroundShape, ...] = ()
    launch_points: tuple[GroundPoint, ...] = ()


def _read(path: Path) -> pa.Table | None:
    return pq.read_table(path) if path.is_file() else None


def track_lines(table: pa.Table | None) -> tuple[TrackLine, ...]:
    """Split a ``tracks``/``picture`` table into one time-ordered line per (partner, track)."""
    if table is None or table.num_rows == 0:
        return ()
    t = np.asarray(table.column("time_s").to_numpy(), dtype=np.float64)
    partner = np.asarray(table.column("partner").to_pylist(), dtype=object).astype(str)
    tid = np.asarray(table.column("track_id").to_numpy(), dtype=np.int64)
    xyz = np.column_stack(
        [np.asarray(table.column(c).to_numpy(), dtype=np.float64) for c in ("x_m", "y_m", "z_m")]
    )
    order = np.lexsort((t, tid, partner))
    keys = np.char.add(np.char.add(partner[order], "\x00"), tid[order].astype(str))
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    out = []
    for idx in np.split(order, cuts):
        out.append(TrackLine(str(partner[idx[0]]), int(tid[idx[0]]), t[idx], xyz[idx]))
    return tuple(out)


def radar_coverage(scenario: Scenario) -> tuple[GroundShape, ...]:
    """Each radar's coverage footprint: its sector to maximum range, on the ground."""
    out = []
    for s in scenario.sensors:
        if not isinstance(s, Radar):
            continue
        lat, lon = sector_polygon(
            s.lat_deg, s.lon_deg, s.boresight_az_deg, s.sector_half_width_deg, s.max_range_km * 1e3
        )
        out.append(
            GroundShape(
                key=s.id,
                partner=s.partner,
                colour_partner=s.partner,
                label=f"{s.id}: {s.role.replace('_', '-')} radar, {s.max_range_km:g} km",
                lat_deg=lat,
                lon_deg=lon,
            )
        )
    return tuple(out)


def alert_shapes(
    alerts: pa.Table | None, end_s: float
) -> tuple[tuple[GroundShape, ...], tuple[GroundPoint, ...]]:
    """Impact ellipses and launch-point estimates each partner received, with their windows."""
    if alerts is None or alerts.num_rows == 0:
        return (), ()
    d = alerts.to_pydict()
    n = alerts.num_rows

    def num(name: str) -> FloatArray:
        col = d.get(name)
        if col is None:
            return np.full(n, np.nan)
        return np.array([np.nan if v is None else float(v) for v in col], dtype=np.float64)

    t = num("time_s")
    partner = [str(p) for p in d["partner"]]
    threat = [str(x) for x in d.get("threat_id", [None] * n)]
    origin = [
        str(o if o is not None else p)
        for o, p in zip(d.get("origin_partner", partner), partner, strict=True)
    ]
    kind = [str(k) for k in d["alert_kind"]]
    ilat, ilon, it = num("impact_lat_deg"), num("impact_lon_deg"), num("impact_time_s")
    a, b, rot = (
        num("ellipse_semi_major_m"),
        num("ellipse_semi_minor_m"),
        num("ellipse_orientation_deg"),
    )
    llat, llon = num("launch_lat_deg"), num("launch_lon_deg")
    order = sorted(range(n), key=lambda i: (t[i], i))
    # a prediction holds until the threat's next row (a new prediction or its end)
    next_time: dict[int, float] = {}
    last: dict[tuple[str, str], int] = {}
    for i in order:
        key = (partner[i], threat[i])
        if key in last:
            next_time[last[key]] = t[i]
        if math.isfinite(ilat[i]):
            last[key] = i
    ellipses: list[GroundShape] = []
    points: list[GroundPoint] = []
    for i in order:
        predicted = kind[i] in ("new_threat", "threat_change")
        if predicted and math.isfinite(ilat[i]) and math.isfinite(ilon[i]):
            stop = next_time.get(i, it[i] if math.isfinite(it[i]) else end_s)
            stop = min(max(stop, t[i]), end_s)
            ok = all(math.isfinite(v) for v in (a[i], b[i], rot[i])) and a[i] > 0 and b[i] > 0
            if ok:
                lat, lon = ellipse_polygon(ilat[i], ilon[i], a[i], b[i], rot[i])
            else:  # no ellipse: a 1 km ring marks the point
                lat, lon = ellipse_polygon(ilat[i], ilon[i], 1e3, 1e3, 0.0)
            ellipses.append(
                GroundShape(
                    key=f"{i}",
                    partner=partner[i],
                    colour_partner=origin[i],
                    label=f"impact prediction of {threat[i]} from {origin[i]}"
                    + (f", impact T+{it[i]:.0f} s" if math.isfinite(it[i]) else ""),
                    lat_deg=lat,
                    lon_deg=lon,
                    start_s=float(t[i]),
                    end_s=float(stop),
                )
            )
        elif kind[i] == "new_threat" and math.isfinite(llat[i]) and math.isfinite(llon[i]):
            points.append(
                GroundPoint(
                    key=f"{i}",
                    partner=partner[i],
                    colour_partner=origin[i],
                    label=f"launch (from {origin[i]}) T+{t[i]:.0f} s",
                    lat_deg=float(llat[i]),
                    lon_deg=float(llon[i]),
                    start_s=float(t[i]),
                    end_s=float(max(end_s, t[i])),
                )
            )
    return tuple(ellipses), tuple(points)


def globe_layers(folder: str | Path, scenario: Scenario, end_s: float) -> GlobeLayers:
    """The per-partner layers of the run folder ``folder`` (tables absent: layers empty)."""
    folder = Path(folder)
    ellipses, launches = alert_shapes(_read(folder / "alerts.parquet"), end_s)
    return GlobeLayers(
        partners=tuple(p.id for p in scenario.partners),
        names={p.id: p.name or p.id for p in scenario.partners},
        colours=scenario_partner_colours(scenario),
        own_tracks=track_lines(_read(folder / "tracks.parquet")),
        picture=track_lines(_read(folder / "picture.parquet")),
        coverage=radar_coverage(scenario),
        ellipses=ellipses,
        launch_points=launches,
    )


__all__ = [
    "GlobeLayers",
    "GroundPoint",
    "GroundShape",
    "TrackLine",
    "alert_shapes",
    "globe_layers",
    "radar_coverage",
    "track_lines",
]
