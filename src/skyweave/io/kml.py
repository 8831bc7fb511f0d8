"""KML export for a quick look in any globe viewer (plain XML, no extra dependency).

The document holds one folder of placemarks for the sites (sensors, batteries,
defended assets, styled per partner), one folder of threat tracks and one of
interceptor tracks (``LineString`` with ``altitudeMode`` absolute, heights above
the WGS84 ellipsoid, one line per contiguous flight interval, with a
``TimeSpan``), and one folder of end-game points when given.

Heights are written as computed, above the WGS84 ellipsoid; KML viewers read
``absolute`` as above mean sea level, so a track sits off by the local geoid
height (tens of metres), which does not matter for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.io.czml import PARTNER_PALETTE, THREAT_RGBA, UNKNOWN_RGBA, flight_intervals
from skyweave.io.dis import DetonationEvents, FireEvents, SitePoints, resolve_partners

FloatArray = NDArray[np.float64]

KML_NS = "http://www.opengis.net/kml/2.2"


def _kml_colour(rgba: tuple[int, int, int, int]) -> str:
    """KML colours are aabbggrr hex."""
    r, g, b, a = rgba
    return f"{a:02x}{b:02x}{g:02x}{r:02x}"


def _when(epoch: dt.datetime, t_s: float) -> str:
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=dt.UTC)
    moment = epoch.astimezone(dt.UTC) + dt.timedelta(seconds=float(t_s))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _coords(lon_deg: FloatArray, lat_deg: FloatArray, alt_m: FloatArray) -> str:
    """``lon,lat,alt`` tuples; 1e-9 degree is 0.1 mm on the ground."""
    return " ".join(
        f"{lo:.9f},{la:.9f},{h:.4f}" for lo, la, h in zip(lon_deg, lat_deg, alt_m, strict=True)
    )


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _style(doc: ET.Element, style_id: str, rgba: tuple[int, int, int, int], width: float) -> None:
    style = _sub(doc, "Style")
    style.set("id", style_id)
    icon = _sub(style, "IconStyle")
    _sub(icon, "color", _kml_colour(rgba))
    line = _sub(style, "LineStyle")
    _sub(line, "color", _kml_colour(rgba))
    _sub(line, "width", f"{width:g}")


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

    obj_partner, order = resolve_partners(sites, fires, object_partners, partners)

    root = ET.Element("kml", xmlns=KML_NS)
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    for kind, rgba in THREAT_RGBA.items():
        _style(doc, f"threat-{kind}", rgba, 3)
    for i in range(len(order)):
        _style(doc, f"partner-{i}", PARTNER_PALETTE[i % len(PARTNER_PALETTE)], 2)
    _style(doc, "unknown", UNKNOWN_RGBA, 2)
    style_of_partner = {p: f"#partner-{i}" for i, p in enumerate(order)}

    # Sites.
    folder = _sub(doc, "Folder")
    _sub(folder, "name", "Sites")
    for j, sid in enumerate(sites.ids):
        pm = _sub(folder, "Placemark")
        _sub(pm, "name", sid)
        _sub(pm, "description", f"{sites.kinds[j]} ({sites.partners[j]})")
        _sub(pm, "styleUrl", style_of_partner.get(sites.partners[j], "#unknown"))
        point = _sub(pm, "Point")
        _sub(point, "altitudeMode", "absolute")
        _sub(
            point,
            "coordinates",
            _coords(sites.lon_deg[j : j + 1], sites.lat_deg[j : j + 1], sites.alt_m[j : j + 1]),
        )

    # Tracks: one geodetic conversion for every sample in flight.
    alive = ~np.isnan(states[:, :, 0])
    ti, ni = np.nonzero(alive)
    lat = np.zeros((n_t, n_obj))
    lon = np.zeros((n_t, n_obj))
    alt = np.zeros((n_t, n_obj))
    if ti.size:
        p = states[ti, ni, :3]
        la, lo, h = pymap3d.ecef2geodetic(p[:, 0], p[:, 1], p[:, 2])
        lat[ti, ni] = np.asarray(la, dtype=np.float64).reshape(-1)
        lon[ti, ni] = np.asarray(lo, dtype=np.float64).reshape(-1)
        alt[ti, ni] = np.asarray(h, dtype=np.float64).reshape(-1)
    threats = _sub(doc, "Folder")
    _sub(threats, "name", "Threat tracks")
    interceptors = _sub(doc, "Folder")
    _sub(interceptors, "name", "Interceptor tracks")
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
        ends = _sub(doc, "Folder")
        _sub(ends, "name", "End games")
        end_pos = np.asarray(detonations.position_ecef_m, dtype=np.float64).reshape(-1, 3)
        geo = pymap3d.ecef2geodetic(end_pos[:, 0], end_pos[:, 1], end_pos[:, 2])
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
        name=name,
    )
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    out = Path(path)
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out


__all__ = ["KML_NS", "build_kml", "write_kml"]
