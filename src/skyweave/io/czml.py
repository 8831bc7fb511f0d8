"""CZML export of a run for a Cesium globe (``scenario.czml``).

One document packet (name, version, clock spanning the run), then one packet per
flying object with its time-tagged ECEF positions (``cartesian`` samples in the
``FIXED`` frame, seconds since the scenario epoch, exactly the truth samples),
an availability equal to its time in flight, a point, a label and a path; one
packet per sensor, battery and defended asset site; and, when given, one short
lived marker per interceptor end game (kill or miss).

With the run's :class:`~skyweave.io.globe_layers.GlobeLayers`, each partner also
gets its own confirmed tracks and fused picture (time-tagged samples with a
trail), the alerts it received (impact ellipses while current, launch-point
estimates) and its radars' coverage footprints. Packets are grouped with
``parent``: ``truth`` holds the true flights and end games, ``partner/<id>``
holds that partner's ``sites``, ``coverage``, ``tracks``, ``picture`` and
``alerts`` groups, so a viewer can show or hide one partner's view.

Colours: threats by kind (ballistic red, cruise orange, aircraft magenta);
sites, interceptors and partner layers by partner, from the one partner palette
(:mod:`skyweave.io.palette`: the scenario's colours, defaults for the rest).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path as FilePath

import numpy as np
from czml3 import (
    Clock,
    Color,
    Document,
    Label,
    Material,
    Packet,
    Path,
    Point,
    Polygon,
    PolylineMaterial,
    Position,
    PositionList,
    SolidColorMaterial,
    TimeInterval,
    TimeIntervalCollection,
)
from czml3.enums import ClockRanges, ClockSteps, InterpolationAlgorithms, LabelStyles
from numpy.typing import NDArray

from skyweave.io.dis import DetonationEvents, FireEvents, SitePoints, resolve_partners
from skyweave.io.globe_layers import GlobeLayers
from skyweave.io.palette import hex_to_rgba, partner_colours

FloatArray = NDArray[np.float64]

THREAT_RGBA: dict[str, tuple[int, int, int, int]] = {
    "ballistic": (230, 25, 75, 255),
    "cruise": (245, 130, 48, 255),
    "aircraft": (240, 50, 230, 255),
}
"""Threat colours by kind (red, orange, magenta)."""

UNKNOWN_RGBA = (200, 200, 200, 255)
KILL_RGBA = (255, 255, 255, 255)
MISS_RGBA = (128, 128, 128, 255)
DETONATION_MARKER_S = 10.0
"""How long an end-game marker stays on the globe."""


def _sampled_position(epoch_utc: dt.datetime, samples: list[float], degree: int) -> Position:
    """A time-sampled ECEF position, linear (``degree`` 1) or Lagrange interpolated."""
    # model_validate: the interpolation fields come from a mixin that mypy's view of
    # the constructor does not include.
    return Position.model_validate(
        {
            "referenceFrame": "FIXED",
            "epoch": epoch_utc,
            "cartesian": samples,
            "interpolationAlgorithm": (
                InterpolationAlgorithms.LINEAR if degree == 1 else InterpolationAlgorithms.LAGRANGE
            ),
            "interpolationDegree": degree,
        }
    )


@lru_cache(maxsize=65536)
def _iso(epoch: dt.datetime, t_s: float) -> dt.datetime:
    """Absolute UTC time of a simulation time (naive epochs are taken as UTC)."""
    # cached: a large run's packets repeat the same few thousand moments
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=dt.UTC)
    return epoch.astimezone(dt.UTC) + dt.timedelta(seconds=float(t_s))


def partner_rgba(
    partners: Sequence[str], given: Mapping[str, str] | None = None
) -> dict[str, tuple[int, int, int, int]]:
    """RGBA of each partner from the one palette (:func:`skyweave.io.palette.partner_colours`)."""
    return {p: hex_to_rgba(c) for p, c in partner_colours(partners, given).items()}


def flight_intervals(alive: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Contiguous runs of True in a (T,) mask as inclusive (first, last) index pairs."""
    padded = np.concatenate([[False], alive, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


@lru_cache(maxsize=256)
def _colour(rgba: tuple[int, int, int, int]) -> Color:
    # one model per colour, shared by the packets that use it (it is only read when
    # the document is serialised): a large run has tens of thousands of packets
    return Color(rgba=list(rgba))


def build_czml(
    epoch: dt.datetime,
    times_s: FloatArray,
    object_ids: Sequence[str],
    kinds: Sequence[str],
    states: FloatArray,
    *,
    sites: SitePoints | None = None,
    fires: FireEvents | None = None,
    detonations: DetonationEvents | None = None,
    object_partners: Mapping[str, str] | None = None,
    partners: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    layers: GlobeLayers | None = None,
    name: str = "Skyweave run",
    interpolation_degree: int = 5,
) -> Document:
    """Build the CZML document of a run.

    Parameters
    ----------
    epoch : datetime
        Scenario start, UTC.
    times_s : (T,) float64
        Time grid, seconds since scenario start.
    object_ids, kinds : sequences of str, length N
        As in :class:`skyweave.kinematics.truth.Truth`.
    states : (T, N, 6) float64
        ECEF positions and velocities, NaN where not in flight.
    sites : SitePoints, optional
        Sensors, batteries and defended assets (points with labels).
    fires : FireEvents, optional
        Used only to give each interceptor the colour of the partner that fired it.
    detonations : DetonationEvents, optional
        End games, shown as markers for :data:`DETONATION_MARKER_S`.
    object_partners : mapping, optional
        Explicit partner of an object (overrides the one found through ``fires``).
    partners : sequence of str, optional
        Partner order for colours; by default sorted partner names.
    colours : mapping, optional
        Partner id to the scenario's colour (``#rrggbb`` or a name); partners
        without one take the palette's defaults. Default: ``layers.colours``.
    layers : GlobeLayers, optional
        Per-partner tracks, picture, alerts and coverage (see module docstring).
    name : str
        Document name.
    interpolation_degree : int
        Lagrange degree Cesium uses between samples (1 means linear).

    Returns
    -------
    czml3.Document
        Packet ids: ``document``, ``truth``, ``object/<id>``, ``endgame/<k>``,
        ``partner/<p>`` and its groups ``partner/<p>/<group>``, ``site/<id>``,
        ``coverage/<radar>``, ``track/<p>/<n>``, ``picture/<p>/<n>``,
        ``alert/<p>/<k>``, ``launch/<p>/<k>``.
    """
    times_s = np.asarray(times_s, dtype=np.float64)
    states = np.asarray(states, dtype=np.float64)
    n_t, n_obj = len(times_s), len(object_ids)
    if states.shape != (n_t, n_obj, 6):
        raise ValueError(f"states must have shape ({n_t}, {n_obj}, 6), got {states.shape}")
    if n_t == 0:
        raise ValueError("an empty time grid has no clock interval")
    sites = sites if sites is not None else SitePoints.empty()
    fires = fires if fires is not None else FireEvents.empty()
    detonations = detonations if detonations is not None else DetonationEvents.empty()

    if layers is not None and partners is None:
        partners = layers.partners
    obj_partner, order = resolve_partners(sites, fires, object_partners, partners)
    given = dict(colours) if colours is not None else dict(layers.colours) if layers else {}
    colour_of = partner_rgba(order, given)

    start, stop = _iso(epoch, times_s[0]), _iso(epoch, times_s[-1])
    packets: list[Packet] = [
        Packet(
            id="document",
            name=name,
            version="1.0",
            clock=Clock(
                interval=TimeInterval(start=start, end=stop),
                currentTime=start,
                multiplier=10.0,
                range=ClockRanges.LOOP_STOP,
                step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER,
            ),
        ),
        Packet(id="truth", name="Truth: threats, interceptors, end games"),
    ]
    names = layers.names if layers is not None else {}
    for pid in order:
        packets.append(Packet(id=f"partner/{pid}", name=f"Partner {names.get(pid, pid)}"))
        for group, title in PARTNER_GROUPS:
            packets.append(Packet(id=f"partner/{pid}/{group}", name=title, parent=f"partner/{pid}"))
    epoch_utc = _iso(epoch, 0.0)
    step_s = float(np.median(np.diff(times_s))) if n_t > 1 else 1.0

    alive = ~np.isnan(states[:, :, 0])
    for n, (oid, kind) in enumerate(zip(object_ids, kinds, strict=True)):
        runs = flight_intervals(alive[:, n])
        if not runs:
            continue
        idx = np.flatnonzero(alive[:, n])
        # [t, x, y, z, t, x, y, z, ...]: the truth samples themselves, no resampling.
        samples = np.column_stack([times_s[idx], states[idx, n, :3]]).ravel().tolist()
        if kind == "interceptor":
            rgba = colour_of.get(obj_partner.get(oid, ""), UNKNOWN_RGBA)
        else:
            rgba = THREAT_RGBA.get(kind, UNKNOWN_RGBA)
        degree = max(1, min(interpolation_degree, len(idx) - 1))
        intervals = [
            TimeInterval(start=_iso(epoch, times_s[a]), end=_iso(epoch, times_s[b]))
            for a, b in runs
        ]
        availability: TimeInterval | TimeIntervalCollection = (
            intervals[0] if len(intervals) == 1 else TimeIntervalCollection(values=intervals)
        )
        packets.append(
            Packet(
                id=f"object/{oid}",
                name=oid,
                parent="truth",
                description=f"{kind} {oid}"
                + (f" ({obj_partner[oid]})" if oid in obj_partner else ""),
                availability=availability,
                position=_sampled_position(epoch_utc, samples, degree),
                point=Point(
                    pixelSize=7.0 if kind == "interceptor" else 9.0,
                    color=_colour(rgba),
                    outlineColor=_colour((0, 0, 0, 255)),
                    outlineWidth=1.0,
                ),
                label=Label(
                    text=oid,
                    font="11pt sans-serif",
                    fillColor=_colour(rgba),
                    style=LabelStyles.FILL,
                    show=kind != "interceptor",
                ),
                path=Path(
                    width=2.0 if kind == "interceptor" else 3.0,
                    leadTime=0.0,
                    resolution=step_s,
                    material=PolylineMaterial(solidColor=SolidColorMaterial(color=_colour(rgba))),
                ),
            )
        )

    is_asset = sites.is_asset
    for j, sid in enumerate(sites.ids):
        rgba = colour_of.get(sites.partners[j], UNKNOWN_RGBA)
        packets.append(
            Packet(
                id=f"site/{sid}",
                name=sid,
                parent=f"partner/{sites.partners[j]}/sites" if sites.partners[j] in order else None,
                description=f"{sites.kinds[j]} {sid} ({sites.partners[j]})",
                position=Position(
                    cartographicDegrees=[
                        float(sites.lon_deg[j]),
                        float(sites.lat_deg[j]),
                        float(sites.alt_m[j]),
                    ]
                ),
                point=Point(
                    pixelSize=14.0 if is_asset[j] else 10.0,
                    color=_colour(rgba),
                    # Defended assets get a white ring, equipment a black one.
                    outlineColor=_colour((255, 255, 255, 255) if is_asset[j] else (0, 0, 0, 255)),
                    outlineWidth=3.0 if is_asset[j] else 1.0,
                ),
                label=Label(
                    text=sid,
                    font="12pt sans-serif",
                    fillColor=_colour(rgba),
                    style=LabelStyles.FILL,
                ),
            )
        )

    for k in range(len(detonations)):
        t = float(detonations.time_s[k])
        kill = bool(detonations.kill[k])
        pos = np.asarray(detonations.position_ecef_m[k], dtype=np.float64)
        packets.append(
            Packet(
                id=f"endgame/{k}",
                parent="truth",
                name=f"{'kill' if kill else 'miss'}: {detonations.interceptor_ids[k]}"
                f" on {detonations.target_ids[k]}",
                availability=TimeInterval(
                    start=_iso(epoch, t), end=_iso(epoch, t + DETONATION_MARKER_S)
                ),
                position=Position(referenceFrame="FIXED", cartesian=pos.tolist()),
                point=Point(
                    pixelSize=16.0 if kill else 10.0,
                    color=_colour(KILL_RGBA if kill else MISS_RGBA),
                ),
            )
        )
    if layers is not None:
        packets += _layer_packets(epoch, layers, colour_of, order, step_s)
    return Document(packets=packets)


PARTNER_GROUPS = (
    ("sites", "Sites: sensors, batteries, defended assets"),
    ("coverage", "Radar coverage (sector to maximum range)"),
    ("tracks", "Own confirmed tracks"),
    ("picture", "Fused picture (own and released tracks)"),
    ("alerts", "Alerts received: impact ellipses, launch points"),
)
"""The groups under each ``partner/<id>`` packet."""

TRACK_TRAIL_S = 300.0
"""How much of a partner track's past the globe draws behind it."""


# The models below are shared by every packet that uses them, as _colour's are: a
# large run has tens of thousands of track and ellipse packets, and building (and
# validating) the same point, trail and fill for each cost more than the rest.
@lru_cache(maxsize=256)
def _fill_material(rgba: tuple[int, int, int, int]) -> Material:
    return Material(solidColor=SolidColorMaterial(color=_colour(rgba)))


@lru_cache(maxsize=256)
def _track_point(rgba: tuple[int, int, int, int]) -> Point:
    return Point(
        pixelSize=6.0,
        color=_colour(rgba),
        outlineColor=_colour((255, 255, 255, 255)),
        outlineWidth=1.0,
    )


@lru_cache(maxsize=256)
def _track_path(rgba: tuple[int, int, int, int], resolution_s: float) -> Path:
    return Path(
        width=1.5,
        leadTime=0.0,
        trailTime=TRACK_TRAIL_S,
        resolution=resolution_s,
        material=PolylineMaterial(solidColor=SolidColorMaterial(color=_colour(rgba))),
    )


def _ground_positions(lat_deg: FloatArray, lon_deg: FloatArray) -> list[float]:
    return np.column_stack([lon_deg, lat_deg, np.zeros(len(lat_deg))]).ravel().tolist()


def _ground_polygon(
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    rgba: Callable[[str, int], tuple[int, int, int, int]],
    partner: str,
    fill_alpha: int,
) -> Polygon:
    """A shape on the ground in a partner's colour: translucent fill, opaque outline."""
    return Polygon(
        positions=PositionList(cartographicDegrees=_ground_positions(lat_deg, lon_deg)),
        material=_fill_material(rgba(partner, fill_alpha)),
        outline=True,
        outlineColor=_colour(rgba(partner, 255)),
        height=0.0,
    )


def _layer_packets(
    epoch: dt.datetime,
    layers: GlobeLayers,
    colour_of: Mapping[str, tuple[int, int, int, int]],
    order: Sequence[str],
    step_s: float,
) -> list[Packet]:
    """Coverage, tracks, picture and alerts of each partner, in its groups."""
    packets: list[Packet] = []
    known = set(order)

    def rgba(pid: str, alpha: int = 255) -> tuple[int, int, int, int]:
        r, g, b, _ = colour_of.get(pid, UNKNOWN_RGBA)
        return (r, g, b, alpha)

    for shape in layers.coverage:
        if shape.partner not in known:
            continue
        packets.append(
            Packet(
                id=f"coverage/{shape.key}",
                name=shape.label,
                parent=f"partner/{shape.partner}/coverage",
                polygon=_ground_polygon(shape.lat_deg, shape.lon_deg, rgba, shape.partner, 40),
            )
        )
    for group, lines in (("tracks", layers.own_tracks), ("picture", layers.picture)):
        prefix = "track" if group == "tracks" else "picture"
        for line in lines:
            if line.partner not in known or len(line.time_s) == 0:
                continue
            samples = np.column_stack([line.time_s, line.ecef_m]).ravel().tolist()
            colour = rgba(line.partner)
            degree = max(1, min(3, len(line.time_s) - 1))
            packets.append(
                Packet(
                    id=f"{prefix}/{line.partner}/{line.track_id}",
                    name=f"{layers.names.get(line.partner, line.partner)} "
                    f"{'track' if group == 'tracks' else 'picture track'} {line.track_id}",
                    parent=f"partner/{line.partner}/{group}",
                    availability=TimeInterval(
                        start=_iso(epoch, line.time_s[0]), end=_iso(epoch, line.time_s[-1])
                    ),
                    position=_sampled_position(_iso(epoch, 0.0), samples, degree),
                    point=_track_point(colour),
                    path=_track_path(colour, step_s),
                )
            )
    for k, shape in enumerate(layers.ellipses):
        if shape.partner not in known or shape.start_s is None or shape.end_s is None:
            continue
        packets.append(
            Packet(
                id=f"alert/{shape.partner}/{k}",
                name=shape.label,
                parent=f"partner/{shape.partner}/alerts",
                availability=TimeInterval(
                    start=_iso(epoch, shape.start_s), end=_iso(epoch, shape.end_s)
                ),
                polygon=_ground_polygon(
                    shape.lat_deg, shape.lon_deg, rgba, shape.colour_partner, 70
                ),
            )
        )
    for k, pt in enumerate(layers.launch_points):
        if pt.partner not in known:
            continue
        packets.append(
            Packet(
                id=f"launch/{pt.partner}/{k}",
                name=pt.label,
                parent=f"partner/{pt.partner}/alerts",
                availability=TimeInterval(start=_iso(epoch, pt.start_s), end=_iso(epoch, pt.end_s)),
                position=Position(cartographicDegrees=[pt.lon_deg, pt.lat_deg, 0.0]),
                point=Point(
                    pixelSize=8.0,
                    color=_colour(rgba(pt.colour_partner, 0)),
                    outlineColor=_colour(rgba(pt.colour_partner)),
                    outlineWidth=2.0,
                ),
            )
        )
    return packets


def write_czml(
    path: str | os.PathLike[str],
    epoch: dt.datetime,
    times_s: FloatArray,
    object_ids: Sequence[str],
    kinds: Sequence[str],
    states: FloatArray,
    *,
    sites: SitePoints | None = None,
    fires: FireEvents | None = None,
    detonations: DetonationEvents | None = None,
    object_partners: Mapping[str, str] | None = None,
    partners: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    layers: GlobeLayers | None = None,
    name: str = "Skyweave run",
    indent: int | None = None,
) -> FilePath:
    """Write the CZML document of a run (see :func:`build_czml`) to ``path``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    doc = build_czml(
        epoch,
        times_s,
        object_ids,
        kinds,
        states,
        sites=sites,
        fires=fires,
        detonations=detonations,
        object_partners=object_partners,
        partners=partners,
        colours=colours,
        layers=layers,
        name=name,
    )
    out = FilePath(path)
    doc.save(out, indent=indent)
    return out


__all__ = ["build_czml", "flight_intervals", "partner_rgba", "write_czml"]
