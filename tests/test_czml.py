"""CZML export: a valid document whose samples and availabilities are the truth's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from czml3 import Document

from skyweave.io.czml import flight_intervals, write_czml
from skyweave.io.dis import DetonationEvents, FireEvents, SitePoints

EPOCH = dt.datetime(2031, 6, 1, 8, 0, 0, 125000, tzinfo=dt.UTC)
TIMES_S = np.arange(0.0, 30.5, 0.5)
IDS = ("bm-1", "cm-1", "ac-1", "int-1", "never")
KINDS = ("ballistic", "cruise", "aircraft", "interceptor", "cruise")


def make_states() -> np.ndarray:
    rng = np.random.default_rng(7)
    base = np.array([4.5e6, 1.7e6, 4.1e6])
    t = TIMES_S[:, None, None]
    p0 = base + rng.normal(0, 1e5, (len(IDS), 3))
    v0 = rng.normal(0, 800, (len(IDS), 3))
    states = np.empty((len(TIMES_S), len(IDS), 6))
    # A curved path with non-round coordinates: floats that only an exact writer keeps.
    states[:, :, :3] = p0 + v0 * t + 0.5 * np.array([-3.3, 1.7, -9.81]) * t**2 + np.pi * 1e-3
    states[:, :, 3:] = v0 + np.array([-3.3, 1.7, -9.81]) * t
    states[TIMES_S > 25.0, 0] = np.nan  # bm-1 ends at 25 s
    states[(TIMES_S >= 10.0) & (TIMES_S < 12.0), 2] = np.nan  # ac-1 drops out for 2 s
    states[(TIMES_S < 5.0) | (TIMES_S > 24.5), 3] = np.nan  # int-1 flies 5..24.5 s
    states[:, 4] = np.nan  # never in flight
    return states


SITES = SitePoints(
    ids=("rad-n1", "bat-e1", "city-a"),
    partners=("North", "East", "North"),
    lat_deg=np.array([45.123456789, 44.5, 46.0]),
    lon_deg=np.array([24.987654321, 25.5, 26.0]),
    alt_m=np.array([312.5, 0.0, 80.0]),
    kinds=("radar", "battery", "defended asset"),
)


def at(t_s: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=t_s)


def parse_interval(text: str) -> tuple[dt.datetime, dt.datetime]:
    a, b = text.split("/")
    return dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)


def strict_json(path: Path) -> list[dict]:
    def no_constants(name: str) -> float:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    states = make_states()
    path = tmp_path_factory.mktemp("czml") / "scenario.czml"
    fires = FireEvents(np.array([5.0]), ("bat-e1",), ("int-1",), ("bm-1",), states[10, 3, None, :3])
    dets = DetonationEvents(
        np.array([24.5]), ("int-1",), ("bm-1",), states[49, 3, None, :3], np.array([True])
    )
    out = write_czml(
        path, EPOCH, TIMES_S, IDS, KINDS, states, sites=SITES, fires=fires, detonations=dets
    )
    assert out == path
    return path, states


def test_document_packet_and_clock(written: tuple[Path, np.ndarray]) -> None:
    packets = strict_json(written[0])
    doc = packets[0]
    assert doc["id"] == "document" and doc["version"] == "1.0" and doc["name"]
    start, end = parse_interval(doc["clock"]["interval"])
    assert start == at(0.0) and end == at(30.0)
    assert dt.datetime.fromisoformat(doc["clock"]["currentTime"]) == at(0.0)
    assert len({p["id"] for p in packets}) == len(packets)
    # czml3 reads it back as a valid document.
    assert len(Document.load(written[0]).packets) == len(packets)


def test_object_samples_are_the_truth(written: tuple[Path, np.ndarray]) -> None:
    path, states = written
    packets = {p["id"]: p for p in strict_json(path)}
    assert "object/never" not in packets
    for n, oid in enumerate(IDS[:4]):
        pos = packets[f"object/{oid}"]["position"]
        assert pos["referenceFrame"] == "FIXED"
        assert dt.datetime.fromisoformat(pos["epoch"]) == EPOCH
        samples = np.array(pos["cartesian"]).reshape(-1, 4)
        alive = ~np.isnan(states[:, n, 0])
        np.testing.assert_array_equal(samples[:, 0], TIMES_S[alive])
        np.testing.assert_allclose(samples[:, 1:], states[alive, n, :3], rtol=0, atol=1e-3)
        # The writer keeps float64 exactly (JSON shortest round-trip repr).
        np.testing.assert_array_equal(samples[:, 1:], states[alive, n, :3])


def test_availability_is_the_flight_interval(written: tuple[Path, np.ndarray]) -> None:
    path, states = written
    packets = {p["id"]: p for p in strict_json(path)}
    expected = {
        "bm-1": [(0.0, 25.0)],
        "cm-1": [(0.0, 30.0)],
        "ac-1": [(0.0, 9.5), (12.0, 30.0)],
        "int-1": [(5.0, 24.5)],
    }
    for oid, spans in expected.items():
        avail = packets[f"object/{oid}"]["availability"]
        avail = [avail] if isinstance(avail, str) else avail
        got = [parse_interval(a) for a in avail]
        assert got == [(at(a), at(b)) for a, b in spans], oid
        assert packets[f"object/{oid}"]["path"]["width"] > 0


def test_colours_by_kind_and_partner(written: tuple[Path, np.ndarray]) -> None:
    packets = {p["id"]: p for p in strict_json(written[0])}

    def colour(pid: str) -> tuple[int, ...]:
        return tuple(packets[pid]["point"]["color"]["rgba"])

    threat_colours = {colour(f"object/{o}") for o in ("bm-1", "cm-1", "ac-1")}
    assert len(threat_colours) == 3
    # Sites by partner: both North sites share a colour, East differs; the interceptor
    # takes the colour of the partner whose battery fired it (East).
    assert colour("site/rad-n1") == colour("site/city-a") != colour("site/bat-e1")
    assert colour("object/int-1") == colour("site/bat-e1")
    assert not threat_colours & {colour("site/rad-n1"), colour("site/bat-e1")}
    assert (
        packets["site/city-a"]["point"]["pixelSize"] > packets["site/rad-n1"]["point"]["pixelSize"]
    )


def test_sites_are_labelled_points(written: tuple[Path, np.ndarray]) -> None:
    packets = {p["id"]: p for p in strict_json(written[0])}
    for j, sid in enumerate(SITES.ids):
        p = packets[f"site/{sid}"]
        assert p["label"]["text"] == sid
        lon, lat, alt = p["position"]["cartographicDegrees"]
        assert (lon, lat, alt) == (SITES.lon_deg[j], SITES.lat_deg[j], SITES.alt_m[j])
        assert "availability" not in p


def test_endgame_marker(written: tuple[Path, np.ndarray]) -> None:
    path, states = written
    packets = {p["id"]: p for p in strict_json(path)}
    marker = packets["endgame/0"]
    assert marker["name"].startswith("kill")
    start, _ = parse_interval(marker["availability"])
    assert start == at(24.5)
    np.testing.assert_array_equal(marker["position"]["cartesian"], states[49, 3, :3])


@pytest.mark.parametrize(
    ("mask", "runs"),
    [
        ([], []),
        ([False, False], []),
        ([True], [(0, 0)]),
        ([True, True, False, True], [(0, 1), (3, 3)]),
        ([False, True, True, True], [(1, 3)]),
    ],
)
def test_flight_intervals(mask: list[bool], runs: list[tuple[int, int]]) -> None:
    assert flight_intervals(np.array(mask, dtype=bool)) == runs


def test_shape_mismatch_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        write_czml(tmp_path / "x.czml", EPOCH, TIMES_S, IDS, KINDS, np.zeros((3, 5, 6)))


def test_partner_layers_are_grouped_and_coloured_per_partner(tmp_path: Path) -> None:
    from skyweave.io.globe_layers import GlobeLayers, GroundPoint, GroundShape, TrackLine
    from skyweave.io.palette import DEFAULT_PARTNER_PALETTE

    states = make_states()
    ring_lat = np.array([45.0, 45.1, 45.0, 45.0])
    ring_lon = np.array([25.0, 25.1, 25.2, 25.0])
    track = TrackLine("East", 7, TIMES_S[4:9], states[4:9, 0, :3])
    layers = GlobeLayers(
        partners=("North", "East"),
        names={"North": "North", "East": "East"},
        colours={"North": "#00A050", "East": ""},
        own_tracks=(track,),
        picture=(track,),
        coverage=(GroundShape("rad-n1", "North", "North", "radar", ring_lat, ring_lon),),
        ellipses=(GroundShape("0", "East", "North", "impact", ring_lat, ring_lon, 3.0, 12.5),),
        launch_points=(GroundPoint("1", "East", "East", "launch", 44.0, 24.0, 2.0, 30.0),),
    )
    path = write_czml(
        tmp_path / "x.czml", EPOCH, TIMES_S, IDS, KINDS, states, sites=SITES, layers=layers
    )
    packets = {p["id"]: p for p in strict_json(path)}
    north = [0x00, 0xA0, 0x50]
    # East gives no colour: the first default that North's colour does not take.
    east = [int(DEFAULT_PARTNER_PALETTE[0][k : k + 2], 16) for k in (1, 3, 5)]
    assert packets["site/rad-n1"]["point"]["color"]["rgba"][:3] == north
    assert packets["site/bat-e1"]["point"]["color"]["rgba"][:3] == east
    assert packets["site/rad-n1"]["parent"] == "partner/North/sites"
    assert packets["object/bm-1"]["parent"] == "truth"
    for pid in ("North", "East"):
        assert packets[f"partner/{pid}/tracks"]["parent"] == f"partner/{pid}"
    cov = packets["coverage/rad-n1"]
    assert cov["parent"] == "partner/North/coverage"
    np.testing.assert_array_equal(
        np.array(cov["polygon"]["positions"]["cartographicDegrees"]).reshape(-1, 3)[:, :2],
        np.column_stack([ring_lon, ring_lat]),
    )
    for prefix in ("track", "picture"):
        p = packets[f"{prefix}/East/7"]
        samples = np.array(p["position"]["cartesian"]).reshape(-1, 4)
        np.testing.assert_array_equal(samples[:, 0], TIMES_S[4:9])
        np.testing.assert_array_equal(samples[:, 1:], states[4:9, 0, :3])
        assert p["path"]["material"]["solidColor"]["color"]["rgba"][:3] == east
    alert = packets["alert/East/0"]
    assert alert["parent"] == "partner/East/alerts"
    assert parse_interval(alert["availability"]) == (at(3.0), at(12.5))
    # Shown in the folder of the partner who received it, in the originator's colour.
    assert alert["polygon"]["outlineColor"]["rgba"][:3] == north
    assert parse_interval(packets["launch/East/0"]["availability"]) == (at(2.0), at(30.0))
