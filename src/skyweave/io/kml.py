"""KML export for a quick look in any globe viewer (plain XML, no extra dependency).

The document holds a ``Truth`` folder (threat tracks and interceptor tracks as
``LineString`` with ``altitudeMode`` absolute, heights above the WGS84
ellipsoid, one line per contiguous flight interval, with a ``TimeSpan``; end-game
points when given) and one folder per partner (``Partner <name>``) holding its
sites (sensors, batteries, defended assets) and, with the run's
:class:`~skyweave.io.globe_layers.GlobeLayers`, its radars' coverage footprints,
its own confirmed tracks, its fused picture and the alerts it received (impact
ellipses and launch-point estimates, time-spanned, in the originator's colour).
A viewer's tick box on a partner folder shows or hides that partner's view.
Colours come from the one partner palette (:mod:`skyweave.io.palette`).

Heights are written as computed, above the WGS84 ellipsoid; KML viewers read
``absolute`` as above mean sea level, so a track sits off by the local geoid
height (tens of metres), which does not matter for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from skyweave.io.czml import THREAT_RGBA, UNKNOWN_RGBA, flight_intervals, partner_rgba
from skyweave.io.dis import DetonationEvents, FireEvents, SitePoints, resolve_partners
from skyweave.io.globe_layers import GlobeLayers, GroundShape, TrackLine
from skyweave.kinematics.geodetic import ecef_to_geodetic

FloatArray = NDArray[np.float64]

KML_NS = "http://www.opengis.net/kml/2.2"


def _kml_colour(rgba: tuple[int, int, int, int]) -> str:
    """KML colours are aabbggrr hex."""
    r, g, b, a = rgba
    return f"{a:02x}{b:02x}{g:02x}{r:02x}"


@lru_cache(maxsize=65536)
def _when(epoch: dt.datetime, t_s: float) -> str:
    # cached: a large run's time spans repeat the same few thousand moments
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=dt.UTC)
    moment = epoch.astimezone(dt.UTC) + dt.timedelta(seconds=float(t_s))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _coords(lon_deg: FloatArray, lat_deg: FloatArray, alt_m: FloatArray) -> str:
    """``lon,lat,alt`` tuples; 1e-9 degree is 0.1 mm on the ground."""
    # Python floats format as NumPy's do (np.float64 subclasses float), in a third
    # of the time: a large run writes hundreds of thousands of these
    lon = np.asarray(lon_deg, dtype=np.float64).tolist()
    lat = np.asarray(lat_deg, dtype=np.float64).tolist()
    alt = np.asarray(alt_m, dtype=np.float64).tolist()
    return " ".join(f"{lo:.9f},{la:.9f},{h:.4f}" for lo, la, h in zip(lon, lat, alt, strict=True))


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _style(
    doc: ET.Element,
    style_id: str,
    rgba: tuple[int, int, int, int],
    width: float,
    fill_alpha: int | None = None,
) -> None:
    style = _sub(doc, "Style")
    style.set("id", style_id)
    icon = _sub(style, "IconStyle")
    _sub(icon, "color", _kml_colour(rgba))
    line = _sub(style, "LineStyle")
    _sub(line, "color", _kml_colour(rgba))
    _sub(line, "width", f"{width:g}")
    if fill_alpha is not None:
        poly = _sub(style, "PolyStyle")
        _sub(poly, "color", _kml_colour((rgba[0], rgba[1], rgba[2], fill_alpha)))


def _folder(parent: ET.Element, name: str) -> ET.Element:
    folder = _sub(parent, "Folder")
    _sub(folder, "name", name)
    return folder


def _ground_polygon(pm: ET.Element, lat_deg: FloatArray, lon_deg: FloatArray) -> None:
    """A closed ground outline (longitudes wrapped to [-180, 180))."""
    lon = (np.asarray(lon_deg) + 180.0) % 360.0 - 180.0
    lat = np.asarray(lat_deg)
    if lat[0] != lat[-1] or lon[0] != lon[-1]:
        lat, lon = np.append(lat, lat[0]), np.append(lon, lon[0])
    poly = _sub(pm, "Polygon")
    _sub(poly, "altitudeMode", "clampToGround")
    ring = _sub(_sub(poly, "outerBoundaryIs"), "LinearRing")
    _sub(ring, "coordinates", _coords(lon, lat, np.zeros(lat.size)))


def _time_span(pm: ET.Element, epoch: dt.datetime, start_s: float, end_s: float) -> None:
    span = _sub(pm, "TimeSpan")
    _sub(span, "begin", _when(epoch, start_s))
    _sub(span, "end", _when(epoch, end_s))


def _track_placemarks(
    folder: ET.Element, epoch: dt.datetime, lines: tuple[TrackLine, ...], style: str, what: str
) -> None:
    if not lines:
        return
    # one geodetic conversion for every line's samples (elementwise, so the same
    # values as line by line), split back per line
    ecef = np.concatenate([np.asarray(line.ecef_m, dtype=np.float64) for line in lines])
    la, lo, h = (
        np.atleast_1d(np.asarray(v, dtype=np.float64))
        for v in ecef_to_geodetic(ecef[:, 0], ecef[:, 1], ecef[:, 2])
    )
    ends = np.cumsum([len(line.ecef_m) for line in lines])
    for line, b in zip(lines, ends.tolist(), strict=True):
        a = b - len(line.ecef_m)
        pm = _sub(folder, "Placemark")
        _sub(pm, "name", f"{what} {line.track_id}")
        _sub(pm, "styleUrl", style)
        _time_span(pm, epoch, float(line.time_s[0]), float(line.time_s[-1]))
        geometry = _sub(pm, "LineString")
        _sub(geometry, "altitudeMode", "absolute")
        _sub(geometry, "coordinates", _coords(lo[a:b], la[a:b], h[a:b]))


def _shape_placemarks(
    folder: ET.Element,
    epoch: dt.datetime,
    shapes: tuple[GroundShape, ...] | list[GroundShape],
    style_of: dict[str, str],
    suffix: str,
) -> None:
    for shape in shapes:
        pm = _sub(folder, "Placemark")
        _sub(pm, "name", shape.label)
        _sub(pm, "styleUrl", style_of.get(shape.colour_partner, "#unknown") + suffix)
        if shape.start_s is not None and shape.end_s is not None:
            _time_span(pm, epoch, shape.start_s, shape.end_s)
        _ground_polygon(pm, shape.lat_deg, shape.lon_deg)


def build_kml(
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
) -> ET.Element:
    """Build the KML tree of a run.

    Parameters are those of :func:`skyweave.io.czml.build_czml`.

    Returns
    -------
    xml.etree.ElementTree.Element
        The ``<kml>`` root element (namespace ``http://www.opengis.net/kml/2.2``).
    """
    times_s = np.asarray(times_s, dtype=np.float64)
    states = np.asarray(states, dtype=np.float64)
    n_t, n_obj = len(times_s), len(object_ids)
    if states.shape != (n_t, n_obj, 6):
        raise ValueError(f"states must have shape ({n_t}, {n_obj}, 6), got {states.shape}")
    sites = sites if sites is not None else SitePoints.empty()
    fires = fires if fires is not None else FireEvents.empty()
    detonations = detonations if detonations is not None else DetonationEvents.empty()

    if layers is not None and partners is None:
        partners = layers.partners
    obj_partner, order = resolve_partners(sites, fires, object_partners, partners)
    given = dict(colours) if colours is not None else dict(layers.colours) if layers else {}
    rgba_of = partner_rgba(order, given)
    names = layers.names if layers is not None else {}

    root = ET.Element("kml", xmlns=KML_NS)
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    for kind, rgba in THREAT_RGBA.items():
        _style(doc, f"threat-{kind}", rgba, 3)
    for i, pid in enumerate(order):
        _style(doc, f"partner-{i}", rgba_of[pid], 2)
        _style(doc, f"partner-{i}-area", rgba_of[pid], 1.5, fill_alpha=40)
        _style(doc, f"partner-{i}-alert", rgba_of[pid], 1.5, fill_alpha=70)
    _style(doc, "unknown", UNKNOWN_RGBA, 2)
    _style(doc, "unknown-area", UNKNOWN_RGBA, 1.5, fill_alpha=40)
    _style(doc, "unknown-alert", UNKNOWN_RGBA, 1.5, fill_alpha=70)
    style_of_partner = {p: f"#partner-{i}" for i, p in enumerate(order)}

    truth_folder = _folder(doc, "Truth")
    partner_folder = {p: _folder(doc, f"Partner {names.get(p, p)}") for p in order}

    # Sites, in their partner's folder (a partner outside ``order``: a folder of its own).
    site_folders: dict[str, ET.Element] = {}
    for j, sid in enumerate(sites.ids):
        owner = sites.partners[j]
        if owner not in site_folders:
            parent = partner_folder.get(owner) or _folder(doc, f"Partner {owner}")
            site_folders[owner] = _folder(parent, "Sites")
        pm = _sub(site_folders[owner], "Placemark")
        _sub(pm, "name", sid)
        _sub(pm, "description", f"{sites.kinds[j]} ({owner})")
        _sub(pm, "styleUrl", style_of_partner.get(owner, "#unknown"))
        point = _sub(pm, "Point")
        _sub(point, "altitudeMode", "absolute")
        _sub(
            point,
            "coordinates",
            _coords(sites.lon_deg[j : j + 1], sites.lat_deg[j : j + 1], sites.alt_m[j : j + 1]),
        )

    if layers is not None:
        for pid in order:
            top = partner_folder[pid]
            style = style_of_partner[pid]
            _shape_placemarks(
                _folder(top, "Radar coverage"),
                epoch,
                [s for s in layers.coverage if s.partner == pid],
                style_of_partner,
                "-area",
            )
            own = tuple(t for t in layers.own_tracks if t.partner == pid)
            _track_placemarks(_folder(top, "Own tracks"), epoch, own, style, "track")
            pic = tuple(t for t in layers.picture if t.partner == pid)
            _track_placemarks(_folder(top, "Fused picture"), epoch, pic, style, "picture track")
            alerts = _folder(top, "Alerts received")
            _shape_placemarks(
                alerts,
                epoch,
                [s for s in layers.ellipses if s.partner == pid],
                style_of_partner,
                "-alert",
            )
            for pt in layers.launch_points:
                if pt.partner != pid:
                    continue
                pm = _sub(alerts, "Placemark")
                _sub(pm, "name", pt.label)
                _sub(pm, "styleUrl", style_of_partner.get(pt.colour_partner, "#unknown"))
                _time_span(pm, epoch, pt.start_s, pt.end_s)
                point = _sub(pm, "Point")
                _sub(point, "altitudeMode", "clampToGround")
                _sub(
                    point,
                    "coordinates",
                    _coords(np.array([pt.lon_deg]), np.array([pt.lat_deg]), np.zeros(1)),
                )

    # Tracks: one geodetic conversion for every sample in flight.
    alive = ~np.isnan(states[:, :, 0])
    ti, ni = np.nonzero(alive)
    lat = np.zeros((n_t, n_obj))
    lon = np.zeros((n_t, n_obj))
    alt = np.zeros((n_t, n_obj))
    if ti.size:
        p = states[ti, ni, :3]
        la, lo, h = ecef_to_geodetic(p[:, 0], p[:, 1], p[:, 2])
        lat[ti, ni] = np.asarray(la, dtype=np.float64).reshape(-1)
        lon[ti, ni] = np.asarray(lo, dtype=np.float64).reshape(-1)
        alt[ti, ni] = np.asarray(h, dtype=np.float64).reshape(-1)
    threats = _folder(truth_folder, "Threat tracks")
    interceptors = _folder(truth_folder, "Interceptor tracks")
    for n, (oid, kind) in enumerate(zip(object_ids, kinds, strict=True)):
        runs = flight_intervals(alive[:, n])
        if not runs:
            continue
        is_interceptor = kind == "interceptor"
        pm = _sub(interceptors if is_interceptor else threats, "Placemark")
        _sub(pm, "name", oid)
        _sub(pm, "description", kind)
        span = _sub(pm, "TimeSpan")
        _sub(span, "begin", _when(epoch, times_s[runs[0][0]]))
        _sub(span, "end", _when(epoch, times_s[runs[-1][1]]))
        if is_interceptor:
            _sub(pm, "styleUrl", style_of_partner.get(obj_partner.get(oid, ""), "#unknown"))
        else:
            _sub(pm, "styleUrl", f"#threat-{kind}" if kind in THREAT_RGBA else "#unknown")
        geometry = _sub(pm, "MultiGeometry") if len(runs) > 1 else pm
        for a, b in runs:
            line = _sub(geometry, "LineString")
            _sub(line, "altitudeMode", "absolute")
            _sub(
                line,
                "coordinates",
                _coords(lon[a : b + 1, n], lat[a : b + 1, n], alt[a : b + 1, n]),
            )

    if len(detonations):
        ends = _folder(truth_folder, "End games")
        end_pos = np.asarray(detonations.position_ecef_m, dtype=np.float64).reshape(-1, 3)
        geo = ecef_to_geodetic(end_pos[:, 0], end_pos[:, 1], end_pos[:, 2])
        end_lat, end_lon, end_alt = (np.asarray(x, dtype=np.float64).reshape(-1) for x in geo)
        for k in range(len(detonations)):
            pm = _sub(ends, "Placemark")
            outcome = "kill" if bool(detonations.kill[k]) else "miss"
            _sub(pm, "name", f"{outcome}: {detonations.interceptor_ids[k]}")
            _sub(pm, "description", f"{outcome} on {detonations.target_ids[k]}")
            stamp = _sub(pm, "TimeStamp")
            _sub(stamp, "when", _when(epoch, float(detonations.time_s[k])))
            point = _sub(pm, "Point")
            _sub(point, "altitudeMode", "absolute")
            _sub(
                point,
                "coordinates",
                _coords(end_lon[k : k + 1], end_lat[k : k + 1], end_alt[k : k + 1]),
            )
    return root


def write_kml(
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
) -> Path:
    """Write the KML of a run (see :func:`build_kml`) to ``path``; returns the path."""
    root = build_kml(
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
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    out = Path(path)
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out


__all__ = ["KML_NS", "build_kml", "write_kml"]
