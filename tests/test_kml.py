"""KML export: well-formed XML whose coordinates are the truth's and the sites'."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from skyweave.io.dis import DetonationEvents, SitePoints
from skyweave.io.kml import KML_NS, write_kml

NS = {"k": KML_NS}
EPOCH = dt.datetime(2031, 6, 1, 8, 0, 0, tzinfo=dt.UTC)
TIMES_S = np.arange(0.0, 21.0, 1.0)
IDS = ("bm-1", "ac-1", "int-1", "never")
KINDS = ("ballistic", "aircraft", "interceptor", "cruise")
SITES = SitePoints(
    ids=("rad-n1", "city-a"),
    partners=("North", "North"),
    lat_deg=np.array([-33.123456789, 51.5]),
    lon_deg=np.array([151.987654321, -0.12]),
    alt_m=np.array([45.25, 11.0]),
    kinds=("radar", "defended asset"),
)


def geodetic_to_ecef(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_m: np.ndarray) -> np.ndarray:
    """Closed-form WGS84 geodetic -> ECEF (independent of the writer's pymap3d call)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    return np.stack(
        [
            (n + alt_m) * np.cos(lat) * np.cos(lon),
            (n + alt_m) * np.cos(lat) * np.sin(lon),
            (n * (1 - e2) + alt_m) * np.sin(lat),
        ],
        axis=-1,
    )


def make_states() -> np.ndarray:
    # Tracks across the antimeridian and in the southern hemisphere, up to 300 km high.
    t = TIMES_S[:, None]
    lat = np.stack(
        [-30 + 0.05 * t[:, 0], 60.0 + 0.01 * t[:, 0], -31 + 0.02 * t[:, 0], 0 * t[:, 0]], 1
    )
    lon = np.stack(
        [179.9 + 0.02 * t[:, 0], 10.0 + 0 * t[:, 0], 179.0 + 0 * t[:, 0], 0 * t[:, 0]], 1
    )
    alt = np.stack([15e3 * t[:, 0], 9000 + 0 * t[:, 0], 2e3 * t[:, 0], 0 * t[:, 0]], 1)
    states = np.zeros((len(TIMES_S), len(IDS), 6))
    states[:, :, :3] = geodetic_to_ecef(lat, lon, alt)
    states[TIMES_S > 15, 0] = np.nan
    states[(TIMES_S >= 5) & (TIMES_S <= 7), 1] = np.nan  # a gap: two lines
    states[TIMES_S < 3, 2] = np.nan
    states[:, 3] = np.nan
    return states


def parse_coords(text: str) -> np.ndarray:
    return np.array([[float(v) for v in c.split(",")] for c in text.split()])


@pytest.fixture(scope="module")
def kml(tmp_path_factory: pytest.TempPathFactory) -> tuple[ET.Element, np.ndarray]:
    states = make_states()
    path: Path = tmp_path_factory.mktemp("kml") / "run.kml"
    dets = DetonationEvents(
        np.array([15.0]), ("int-1",), ("bm-1",), states[15, 2, None, :3], np.array([False])
    )
    write_kml(path, EPOCH, TIMES_S, IDS, KINDS, states, sites=SITES, detonations=dets)
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{KML_NS}}}kml"
    return root, states


def placemarks(root: ET.Element, folder: str) -> dict[str, ET.Element]:
    """Placemarks of every folder named ``folder`` at any depth (Sites are per partner)."""
    found = [
        f for f in root.iterfind(".//k:Folder", NS) if f.findtext("k:name", namespaces=NS) == folder
    ]
    if not found:
        raise AssertionError(f"no folder {folder}")
    return {
        pm.findtext("k:name", namespaces=NS): pm
        for f in found
        for pm in f.iterfind("k:Placemark", NS)
    }


def test_site_placemarks(kml: tuple[ET.Element, np.ndarray]) -> None:
    sites = placemarks(kml[0], "Sites")
    assert sorted(sites) == sorted(SITES.ids)
    for j, sid in enumerate(SITES.ids):
        point = sites[sid].find("k:Point", NS)
        assert point is not None
        assert point.findtext("k:altitudeMode", namespaces=NS) == "absolute"
        ((lon, lat, alt),) = parse_coords(point.findtext("k:coordinates", namespaces=NS))
        assert lon == pytest.approx(SITES.lon_deg[j], abs=1e-9)
        assert lat == pytest.approx(SITES.lat_deg[j], abs=1e-9)
        assert alt == pytest.approx(SITES.alt_m[j], abs=1e-4)


def test_tracks_reproduce_truth(kml: tuple[ET.Element, np.ndarray]) -> None:
    root, states = kml
    threats = placemarks(root, "Threat tracks")
    interceptors = placemarks(root, "Interceptor tracks")
    assert set(threats) == {"bm-1", "ac-1"} and set(interceptors) == {"int-1"}
    expected_lines = {"bm-1": [(0, 15)], "ac-1": [(0, 4), (8, 20)], "int-1": [(3, 20)]}
    for oid, spans in expected_lines.items():
        pm = {**threats, **interceptors}[oid]
        lines = pm.findall(".//k:LineString", NS)
        assert len(lines) == len(spans)
        n = IDS.index(oid)
        for line, (a, b) in zip(lines, spans, strict=True):
            assert line.findtext("k:altitudeMode", namespaces=NS) == "absolute"
            c = parse_coords(line.findtext("k:coordinates", namespaces=NS))
            assert c.shape == (b - a + 1, 3)
            ecef = geodetic_to_ecef(c[:, 1], c[:, 0], c[:, 2])
            np.testing.assert_allclose(ecef, states[a : b + 1, n, :3], rtol=0, atol=1e-3)
        begin = pm.findtext("k:TimeSpan/k:begin", namespaces=NS)
        end = pm.findtext("k:TimeSpan/k:end", namespaces=NS)
        assert dt.datetime.fromisoformat(begin) == EPOCH + dt.timedelta(seconds=spans[0][0])
        assert dt.datetime.fromisoformat(end) == EPOCH + dt.timedelta(seconds=spans[-1][1])


def test_styles_resolve(kml: tuple[ET.Element, np.ndarray]) -> None:
    root, _ = kml
    style_ids = {s.get("id") for s in root.iterfind("k:Document/k:Style", NS)}
    urls = {u.text for u in root.iter(f"{{{KML_NS}}}styleUrl")}
    assert urls and all(u is not None and u.startswith("#") and u[1:] in style_ids for u in urls)
    colours = [c.text or "" for c in root.iter(f"{{{KML_NS}}}color")]
    assert all(len(c) == 8 and int(c, 16) >= 0 for c in colours)


def test_endgame_point(kml: tuple[ET.Element, np.ndarray]) -> None:
    root, states = kml
    ((name, pm),) = placemarks(root, "End games").items()
    assert name == "miss: int-1"
    c = parse_coords(pm.findtext("k:Point/k:coordinates", namespaces=NS))
    np.testing.assert_allclose(
        geodetic_to_ecef(c[:, 1], c[:, 0], c[:, 2])[0], states[15, 2, :3], atol=1e-3
    )


def test_partner_folders_hold_tracks_alerts_and_coverage(tmp_path: Path) -> None:
    from skyweave.io.globe_layers import GlobeLayers, GroundShape, TrackLine

    states = make_states()
    ring_lat = np.array([-33.0, -33.2, -33.1])
    ring_lon = np.array([151.0, 151.1, 151.3])
    track = TrackLine("North", 3, TIMES_S[2:8], states[2:8, 0, :3])
    layers = GlobeLayers(
        partners=("North",),
        names={"North": "Northland"},
        colours={"North": "#123456"},
        own_tracks=(track,),
        picture=(),
        coverage=(GroundShape("rad-n1", "North", "North", "radar rad-n1", ring_lat, ring_lon),),
        ellipses=(GroundShape("0", "North", "North", "impact", ring_lat, ring_lon, 4.0, 9.0),),
    )
    path = tmp_path / "run.kml"
    write_kml(path, EPOCH, TIMES_S, IDS, KINDS, states, sites=SITES, layers=layers)
    root = ET.parse(path).getroot()
    (north,) = [
        f
        for f in root.iterfind("k:Document/k:Folder", NS)
        if f.findtext("k:name", namespaces=NS) == "Partner Northland"
    ]
    sub = {f.findtext("k:name", namespaces=NS): f for f in north.iterfind("k:Folder", NS)}
    assert set(sub) == {"Sites", "Radar coverage", "Own tracks", "Fused picture", "Alerts received"}
    (pm,) = sub["Own tracks"].iterfind("k:Placemark", NS)
    c = parse_coords(pm.findtext("k:LineString/k:coordinates", namespaces=NS))
    np.testing.assert_allclose(
        geodetic_to_ecef(c[:, 1], c[:, 0], c[:, 2]), states[2:8, 0, :3], rtol=0, atol=1e-3
    )
    (ring,) = sub["Radar coverage"].iterfind(".//k:LinearRing/k:coordinates", NS)
    c = parse_coords(ring.text or "")
    assert (c[0] == c[-1]).all()  # closed
    np.testing.assert_allclose(c[:-1, :2], np.column_stack([ring_lon, ring_lat]), atol=1e-9)
    (alert,) = sub["Alerts received"].iterfind("k:Placemark", NS)
    begin = alert.findtext("k:TimeSpan/k:begin", namespaces=NS)
    assert dt.datetime.fromisoformat(begin) == EPOCH + dt.timedelta(seconds=4.0)
    style = {s.get("id"): s for s in root.iterfind("k:Document/k:Style", NS)}
    assert style["partner-0"].findtext("k:LineStyle/k:color", namespaces=NS) == "ff563412"
