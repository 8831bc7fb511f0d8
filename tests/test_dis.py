"""DIS export: PDU layout per IEEE 1278.1-2012, loopback sending, and Wireshark's dissector.

The encoder is checked three independent ways: a byte-level decode with ``struct``
written here from the standard's field tables, the PDUs actually sent over UDP
on loopback, and Wireshark's own DIS dissector (``tshark``) reading them back.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import numpy as np
import pymap3d
import pytest

from dis_pcap import write_pcap
from skyweave.errors import InputError
from skyweave.io.dis import (
    DetonationEvents,
    DisConfig,
    DisSender,
    FireEvents,
    PduStream,
    SitePoints,
    build_pdu_stream,
    parse_url,
)

# --- A small synthetic run -------------------------------------------------------------

# Ten seconds before a UTC hour: the DIS timestamp (time past the hour) wraps mid-run.
EPOCH = dt.datetime(2031, 3, 14, 11, 59, 50, 250000, tzinfo=dt.UTC)
TIMES_S = np.arange(0.0, 61.0, 2.0)
IDS = ("bm-1", "cm-1", "ac-1", "int-1", "int-2")
KINDS = ("ballistic", "cruise", "aircraft", "interceptor", "interceptor")
ACCEL = np.array([[-3.0, -2.0, -9.8], [0, 0, 0], [0.1, 0, 0], [5, 5, 5], [-4, 2, 6]])


def make_run() -> dict:
    """Constant-acceleration ECEF trajectories (so the true acceleration is known)."""
    lat = np.array([40.0, 41.0, 42.0, 43.0, 43.5])
    lon = np.array([20.0, 21.0, 22.0, 23.0, 23.5])
    alt = np.array([1000.0, 50.0, 8000.0, 10.0, 20.0])
    p0 = np.stack(pymap3d.geodetic2ecef(lat, lon, alt), axis=-1)
    v0 = np.array(
        [[1000, 500, 1500], [200, -100, 0], [150, 150, 10], [300, 800, 1200], [-200, 600, 900]],
        dtype=float,
    )
    t = TIMES_S[:, None, None]
    states = np.empty((len(TIMES_S), len(IDS), 6))
    states[:, :, :3] = p0 + v0 * t + 0.5 * ACCEL * t**2
    states[:, :, 3:] = v0 + ACCEL * t
    states[TIMES_S > 50, 0] = np.nan  # bm-1 killed at 50 s (last sample in flight 50)
    states[(TIMES_S < 20) | (TIMES_S > 40), 3] = np.nan
    states[(TIMES_S < 30) | (TIMES_S > 44), 4] = np.nan
    sites = SitePoints(
        ids=("bat-n1", "bat-e1", "rad-e1", "city-a"),
        partners=("North", "East", "East", "North"),
        lat_deg=np.array([43.0, 43.5, 44.0, 45.0]),
        lon_deg=np.array([23.0, 23.5, 24.0, 25.0]),
        alt_m=np.array([0.0, 15.0, 120.0, 0.0]),
        kinds=("battery", "battery", "radar", "defended asset"),
    )
    fires = FireEvents(
        time_s=np.array([30.0, 20.0]),  # deliberately not sorted
        shooter_ids=("bat-e1", "bat-n1"),
        interceptor_ids=("int-2", "int-1"),
        target_ids=("bm-1", "bm-1"),
        position_ecef_m=np.stack([states[15, 4, :3], states[10, 3, :3]]),
    )
    det_int1 = states[20, 3, :3]
    det_int2 = states[22, 0, :3] + np.array([30.0, -40.0, 12.0])
    detonations = DetonationEvents(
        time_s=np.array([40.0, 44.0]),
        interceptor_ids=("int-1", "int-2"),
        target_ids=("bm-1", "bm-1"),
        position_ecef_m=np.stack([det_int1, det_int2]),
        kill=np.array([False, True]),
    )
    return dict(states=states, sites=sites, fires=fires, detonations=detonations)


def build(run: dict, **kw) -> PduStream:
    return build_pdu_stream(
        EPOCH,
        TIMES_S,
        IDS,
        KINDS,
        run["states"],
        fires=run["fires"],
        detonations=run["detonations"],
        sites=run["sites"],
        config=DisConfig(exercise_id=7, site_id=42, application_id=3, site_heartbeat_s=5.0),
        **kw,
    )


# --- Decoding with struct, field by field from IEEE 1278.1-2012 ---------------------------

HEADER = (
    ">BBBBIHBB"  # 5.3.1 / 6.2.66: version, exercise, type, family, timestamp, length, status, pad
)


def decode_header(pdu: bytes) -> dict:
    v, ex, typ, fam, ts, length, status, pad = struct.unpack_from(HEADER, pdu, 0)
    return dict(
        version=v,
        exercise=ex,
        type=typ,
        family=fam,
        timestamp=ts,
        length=length,
        status=status,
        pad=pad,
    )


def decode_entity_state(pdu: bytes) -> dict:
    o = 12
    site, app, ent = struct.unpack_from(">HHH", pdu, o)
    force, n_params = struct.unpack_from(">BB", pdu, o + 6)
    etype = struct.unpack_from(">BBHBBBB", pdu, o + 8)
    alt_etype = struct.unpack_from(">BBHBBBB", pdu, o + 16)
    vel = struct.unpack_from(">3f", pdu, o + 24)
    loc = struct.unpack_from(">3d", pdu, o + 36)
    ori = struct.unpack_from(">3f", pdu, o + 60)
    (appearance,) = struct.unpack_from(">I", pdu, o + 72)
    (dr_alg,) = struct.unpack_from(">B", pdu, o + 76)
    dr_other = pdu[o + 77 : o + 92]
    acc = struct.unpack_from(">3f", pdu, o + 92)
    ang = struct.unpack_from(">3f", pdu, o + 104)
    (charset,) = struct.unpack_from(">B", pdu, o + 116)
    marking = pdu[o + 117 : o + 128]
    (capabilities,) = struct.unpack_from(">I", pdu, o + 128)
    assert o + 132 == 144
    return dict(
        entity=(site, app, ent),
        force=force,
        n_params=n_params,
        etype=etype,
        alt_etype=alt_etype,
        vel=np.array(vel),
        loc=np.array(loc),
        ori=np.array(ori),
        appearance=appearance,
        dr_alg=dr_alg,
        dr_other=dr_other,
        acc=np.array(acc),
        ang=np.array(ang),
        charset=charset,
        marking=marking,
        capabilities=capabilities,
    )


def decode_fire(pdu: bytes) -> dict:
    f = struct.unpack_from(">3H3H3H3HI3d", pdu, 12)
    desc = struct.unpack_from(">BBHBBBBHHHH", pdu, 12 + 28 + 24)
    vel = struct.unpack_from(">3f", pdu, 12 + 28 + 24 + 16)
    (rng,) = struct.unpack_from(">f", pdu, 12 + 28 + 24 + 16 + 12)
    return dict(
        firing=f[0:3],
        target=f[3:6],
        munition=f[6:9],
        event=f[9:12],
        mission=f[12],
        loc=np.array(f[13:16]),
        desc=desc,
        vel=np.array(vel),
        range=rng,
    )


def decode_detonation(pdu: bytes) -> dict:
    f = struct.unpack_from(">3H3H3H3H", pdu, 12)
    vel = struct.unpack_from(">3f", pdu, 36)
    loc = struct.unpack_from(">3d", pdu, 48)
    desc = struct.unpack_from(">BBHBBBBHHHH", pdu, 72)
    rel = struct.unpack_from(">3f", pdu, 88)
    result, n_params, pad = struct.unpack_from(">BBH", pdu, 100)
    return dict(
        firing=f[0:3],
        target=f[3:6],
        exploding=f[6:9],
        event=f[9:12],
        vel=np.array(vel),
        loc=np.array(loc),
        desc=desc,
        rel=np.array(rel),
        result=result,
        n_params=n_params,
        pad=pad,
    )


def seconds_past_hour(t_s: float) -> float:
    start = EPOCH + dt.timedelta(seconds=t_s)
    return start.minute * 60 + start.second + start.microsecond * 1e-6


def time_index(timestamp: int) -> int:
    """Grid index of an absolute DIS timestamp (units of 3600/2**31 s past the hour)."""
    assert timestamp & 1 == 1, "absolute timestamps have the low bit set"
    sph = (timestamp >> 1) * 3600.0 / 2**31
    err = np.abs(((np.array([seconds_past_hour(t) for t in TIMES_S]) - sph) + 1800) % 3600 - 1800)
    k = int(np.argmin(err))
    assert err[k] < 2e-6  # one timestamp unit is 1.68 us
    return k


def geodetic_to_ecef(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_m: np.ndarray) -> np.ndarray:
    """Closed-form WGS84 geodetic -> ECEF (independent of pymap3d)."""
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


def body_axes(ori: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Body x, y, z axes in ECEF from DIS (psi, theta, phi): R = Rz(psi) Ry(theta) Rx(phi)."""
    psi, theta, phi = ori

    def rz(a: float) -> np.ndarray:
        return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])

    def ry(a: float) -> np.ndarray:
        return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])

    def rx(a: float) -> np.ndarray:
        return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])

    r = rz(psi) @ ry(theta) @ rx(phi)
    return r[:, 0], r[:, 1], r[:, 2]


def up_at(p: np.ndarray) -> np.ndarray:
    lat, lon, _ = pymap3d.ecef2geodetic(*p, deg=False)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


# --- Round-trip unit tests -------------------------------------------------------------


@pytest.fixture(scope="module")
def run() -> dict:
    return make_run()


@pytest.fixture(scope="module")
def stream(run: dict) -> PduStream:
    return build(run)


def test_every_header_is_dis7_with_true_length(stream: PduStream) -> None:
    sizes = {1: 144, 2: 96, 3: 104}
    families = {1: 1, 2: 2, 3: 2}
    assert len(stream) == len(stream.time_s) == len(stream.pdu_type)
    for pdu, typ, t in zip(stream.pdus, stream.pdu_type, stream.time_s, strict=True):
        h = decode_header(pdu)
        assert h["version"] == 7 and h["exercise"] == 7
        assert h["type"] == typ and h["family"] == families[typ]
        assert h["length"] == len(pdu) == sizes[typ]
        assert h["status"] == 0 and h["pad"] == 0
        assert TIMES_S[time_index(h["timestamp"])] == pytest.approx(t, abs=1e-9)
    assert np.all(np.diff(stream.time_s) >= 0)
    assert np.bincount(stream.pdu_type, minlength=4)[2:].tolist() == [2, 2]


def test_entity_states_carry_truth_for_every_object_in_flight(run: dict, stream: PduStream) -> None:
    states = run["states"]
    alive = ~np.isnan(states[:, :, 0])
    seen: set[tuple[int, int]] = set()
    deactivated: dict[int, int] = {}
    for pdu, typ in zip(stream.pdus, stream.pdu_type, strict=True):
        if typ != 1:
            continue
        e = decode_entity_state(pdu)
        k = time_index(decode_header(pdu)["timestamp"])
        site, app, num = e["entity"]
        assert (site, app) == (42, 3)
        if num > len(IDS):
            continue  # a fixed site, checked below
        n = num - 1
        assert e["marking"] == IDS[n].encode().ljust(11, b"\0") and e["charset"] == 1
        assert e["n_params"] == 0 and e["capabilities"] == 0 and e["dr_other"] == bytes(15)
        assert e["etype"] == e["alt_etype"]
        assert e["etype"][2:] == (0, 0, 0, 0, 0)  # country 0, nothing system-specific
        if e["appearance"] & (1 << 23):
            deactivated[n] = k
            last = int(np.flatnonzero(alive[:, n])[-1])
            assert k == last + 1
            np.testing.assert_array_equal(e["loc"], states[last, n, :3])
            assert e["dr_alg"] == 1 and not e["vel"].any()
            continue
        assert e["appearance"] == 0
        assert alive[k, n] and (k, n) not in seen
        seen.add((k, n))
        # ECEF float64 location exactly; velocity and acceleration to float32.
        np.testing.assert_array_equal(e["loc"], states[k, n, :3])
        np.testing.assert_array_equal(e["vel"], states[k, n, 3:].astype(np.float32))
        assert e["dr_alg"] == 5  # DRM(F, V, W)
        np.testing.assert_allclose(e["acc"], ACCEL[n], atol=1e-4)
        # Orientation: body x along the velocity, wings level, belly down.
        x, y, z = body_axes(e["ori"])
        v = states[k, n, 3:]
        np.testing.assert_allclose(x, v / np.linalg.norm(v), atol=1e-6)
        up = up_at(states[k, n, :3])
        assert abs(y @ up) < 1e-6 and z @ up < 0
    assert seen == set(zip(*np.nonzero(alive), strict=True))
    # bm-1 is the kill target, int-* detonated: all leave flight before the end.
    assert sorted(deactivated) == [0, 3, 4]


def test_entity_kinds_forces_and_sites(run: dict, stream: PduStream) -> None:
    sites = run["sites"]
    by_entity: dict[int, dict] = {}
    site_times: dict[int, list[int]] = {}
    for pdu, typ in zip(stream.pdus, stream.pdu_type, strict=True):
        if typ == 1:
            e = decode_entity_state(pdu)
            by_entity[e["entity"][2]] = e
            site_times.setdefault(e["entity"][2], []).append(
                time_index(decode_header(pdu)["timestamp"])
            )
    # Threats are Opposing (2); partners sorted (East, North) -> Friendly (1), Friendly 2 (4).
    assert [by_entity[i + 1]["force"] for i in range(5)] == [2, 2, 2, 4, 1]
    kinds_domains = [by_entity[i + 1]["etype"][:2] for i in range(5)]
    assert kinds_domains == [(2, 0), (2, 0), (1, 2), (2, 1), (2, 1)]
    expected_pos = geodetic_to_ecef(sites.lat_deg, sites.lon_deg, sites.alt_m)
    for j, sid in enumerate(sites.ids):
        num = stream.entity_numbers[sid]
        assert num == len(IDS) + j + 1
        e = by_entity[num]
        assert e["marking"].rstrip(b"\0") == sid.encode()
        np.testing.assert_allclose(e["loc"], expected_pos[j], atol=1e-6)
        assert not e["vel"].any() and e["dr_alg"] == 1
        assert e["force"] == (4 if sites.partners[j] == "North" else 1)
        assert e["etype"][:2] == ((5, 1) if "asset" in sites.kinds[j] else (1, 1))
        x, y, z = body_axes(e["ori"])
        up = up_at(expected_pos[j])
        assert abs(x @ up) < 1e-6 and abs(y @ up) < 1e-6 and z @ up < -0.999999
        # Heartbeat every 5 s on a 2 s grid: 0, 6, 10, 16, 20, ... 60.
        beats = np.floor(TIMES_S / 5.0)
        expected_k = [0] + [k for k in range(1, len(TIMES_S)) if beats[k] > beats[k - 1]]
        assert site_times[num] == expected_k


def test_fire_and_detonation_pdus(run: dict, stream: PduStream) -> None:
    states = run["states"]
    fires = [
        (t, decode_fire(p))
        for p, ty, t in zip(stream.pdus, stream.pdu_type, stream.time_s, strict=True)
        if ty == 2
    ]
    dets = [
        (t, decode_detonation(p))
        for p, ty, t in zip(stream.pdus, stream.pdu_type, stream.time_s, strict=True)
        if ty == 3
    ]
    num = stream.entity_numbers
    ent = {oid: (42, 3, n) for oid, n in num.items()}
    # Fires in time order: int-1 (20 s) then int-2 (30 s); event numbers 1 and 2.
    (t1, f1), (t2, f2) = fires
    assert (t1, t2) == (20.0, 30.0)
    assert f1["firing"] == ent["bat-n1"] and f1["munition"] == ent["int-1"]
    assert f2["firing"] == ent["bat-e1"] and f2["munition"] == ent["int-2"]
    assert f1["target"] == f2["target"] == ent["bm-1"]
    assert f1["event"] == (42, 3, 1) and f2["event"] == (42, 3, 2)
    np.testing.assert_array_equal(f1["loc"], run["fires"].position_ecef_m[1])
    np.testing.assert_array_equal(f1["vel"], states[10, 3, 3:].astype(np.float32))
    expected_range = np.linalg.norm(states[10, 0, :3] - run["fires"].position_ecef_m[1])
    assert f1["range"] == pytest.approx(expected_range, rel=1e-6)
    assert f1["desc"] == (2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0)
    # Detonations: same event ids as the fires; miss -> "detonation" (5), kill -> impact (1).
    (d1t, d1), (d2t, d2) = dets
    assert (d1t, d2t) == (40.0, 44.0)
    assert d1["event"] == f1["event"] and d2["event"] == f2["event"]
    assert d1["firing"] == ent["bat-n1"] and d2["firing"] == ent["bat-e1"]
    assert d1["exploding"] == ent["int-1"] and d2["target"] == ent["bm-1"]
    assert (d1["result"], d2["result"]) == (5, 1)
    assert d1["n_params"] == 0 and d1["pad"] == 0
    np.testing.assert_array_equal(d2["loc"], run["detonations"].position_ecef_m[1])
    np.testing.assert_array_equal(d2["vel"], states[22, 4, 3:].astype(np.float32))
    # Location in the target's body frame: same length as the world offset, and the
    # along-track component is the offset projected on the target's velocity.
    offset = run["detonations"].position_ecef_m[1] - states[22, 0, :3]
    v_t = states[22, 0, 3:]
    assert np.linalg.norm(d2["rel"]) == pytest.approx(np.linalg.norm(offset), rel=1e-5)
    assert d2["rel"][0] == pytest.approx(offset @ v_t / np.linalg.norm(v_t), abs=1e-3)


def test_fire_precedes_first_state_and_detonation_follows_last(stream: PduStream) -> None:
    types = list(stream.pdu_type)
    first_fire = types.index(2)
    at20 = [i for i, t in enumerate(stream.time_s) if t == 20.0]
    assert first_fire == at20[0]
    last_det = len(types) - 1 - types[::-1].index(3)
    at44 = [i for i, t in enumerate(stream.time_s) if t == 44.0]
    assert last_det == at44[-1]


def test_stream_is_deterministic(run: dict, stream: PduStream) -> None:
    assert build(run).pdus == stream.pdus


def test_nothing_in_flight_gives_only_sites(run: dict) -> None:
    empty = np.full((len(TIMES_S), 0, 6), np.nan)
    s = build_pdu_stream(EPOCH, TIMES_S, (), (), empty, sites=run["sites"])
    assert set(s.pdu_type.tolist()) == {1} and len(s) == 13 * 4
    s = build_pdu_stream(EPOCH, TIMES_S, (), (), empty)
    assert len(s) == 0


def test_markings_are_ascii_and_truncated() -> None:
    st = np.zeros((1, 1, 6))
    st[0, 0, :3] = [6378137.0, 0, 0]
    st[0, 0, 3:] = [0, 100.0, 0]
    s = build_pdu_stream(EPOCH, np.zeros(1), ("threat-éé-123456",), ("cruise",), st)
    assert decode_entity_state(s.pdus[0])["marking"] == b"threat-??-1"


# --- URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("udp://127.0.0.1:3000", ("127.0.0.1", 3000)),
        ("UDP://239.1.2.3:62040/", ("239.1.2.3", 62040)),
        ("udp://[::1]:3000", ("::1", 3000)),
        ("udp://dis-host:1", ("dis-host", 1)),
    ],
)
def test_parse_url_accepts(url: str, expected: tuple[str, int]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "expected a DIS destination"),
        ("tcp://127.0.0.1:3000", "scheme must be udp"),
        ("127.0.0.1:3000", "scheme must be udp"),
        ("udp://127.0.0.1", "port is required"),
        ("udp://:3000", "host is required"),
        ("udp://127.0.0.1:0", "1..65535"),
        ("udp://127.0.0.1:70000", "invalid URL"),
        ("udp://127.0.0.1:port", "invalid URL"),
        ("udp://user@127.0.0.1:3000", "user information"),
        ("udp://127.0.0.1:3000/dis?x=1", "no path"),
    ],
)
def test_parse_url_rejects(url: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_url(url, source="cli", field_path="run.dis")
    (problem,) = info.value.problems
    assert says in problem.message and problem.file == "cli" and problem.field_path == "run.dis"


def test_sender_rejects_unresolvable_host() -> None:
    with pytest.raises(InputError, match="cannot resolve"):
        DisSender("udp://no-such-host.invalid:3000")


# --- Loopback UDP and Wireshark's dissector ------------------------------------------------


def receive_stream(stream: PduStream) -> tuple[int, list[bytes]]:
    """Send the stream with DisSender to a UDP socket on loopback; return (port, datagrams)."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5.0)
    port = rx.getsockname()[1]
    got: list[bytes] = []
    try:
        with DisSender(f"udp://127.0.0.1:{port}") as tx:
            # Paced in blocks so that a small receive buffer cannot drop datagrams.
            for start in range(0, len(stream), 64):
                for pdu in stream.pdus[start : start + 64]:
                    tx.send(pdu)
                while len(got) < min(start + 64, len(stream)):
                    got.append(rx.recv(65535))
            assert tx.sent == len(stream)
    finally:
        rx.close()
    return port, got


def test_sender_delivers_every_pdu_in_order(stream: PduStream) -> None:
    _, got = receive_stream(stream)
    assert got == list(stream.pdus)


TSHARK = shutil.which("tshark")
FIELDS = [
    "frame.number",
    "_ws.malformed",
    "_ws.expert.severity",
    "udp.length",
    "dis.proto_ver",
    "dis.exer_id",
    "dis.pdu_type",
    "dis.proto_fam",
    "dis.pdu_length",
    "dis.entity_id_entity",
    "dis.entity_location.x",
    "dis.entity_location.y",
    "dis.entity_location.z",
    "dis.entity_linear_velocity.x",
    "dis.entity_marking",
    "dis.force_id",
    "dis.fire.location.x",
    "dis.fire.location.y",
    "dis.fire.location.z",
    "dis.detonation.location.x",
    "dis.detonation.location.y",
    "dis.detonation.location.z",
    "dis.detonation.result",
]


@pytest.mark.skipif(
    TSHARK is None,
    reason="tshark (Wireshark) is not installed; run scripts/install-system-deps.sh as root",
)
def test_wireshark_decodes_every_pdu(run: dict, stream: PduStream, tmp_path: Path) -> None:
    port, got = receive_stream(stream)
    pcap = tmp_path / "dis.pcap"
    write_pcap(pcap, got, port)
    decode = ["-r", str(pcap), "-d", f"udp.port=={port},dis"]
    cmd = [
        str(TSHARK),
        "-n",
        *decode,
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]
    assert len(rows) == len(stream)
    # Nothing malformed, no expert warnings or errors (severity >= 0x00600000 is warning).
    experts = subprocess.run(
        [str(TSHARK), "-n", *decode, "-q", "-z", "expert"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "Malformed" not in experts and "Errors" not in experts and "Warns" not in experts
    states = run["states"]
    names = {n: oid for oid, n in stream.entity_numbers.items()}
    n_checked = 0
    for row, pdu, typ in zip(rows, got, stream.pdu_type, strict=True):
        assert row["_ws.malformed"] == ""
        assert all(int(s) < 0x00600000 for s in row["_ws.expert.severity"].split(",") if s)
        assert int(row["udp.length"]) - 8 == len(pdu) == int(row["dis.pdu_length"])
        assert int(row["dis.proto_ver"]) == 7 and int(row["dis.exer_id"]) == 7
        assert int(row["dis.pdu_type"]) == typ
        assert int(row["dis.proto_fam"]) == (1 if typ == 1 else 2)
        if typ == 1:
            num = int(row["dis.entity_id_entity"])
            assert row["dis.entity_marking"] == names[num]
            loc = [float(row[f"dis.entity_location.{c}"]) for c in "xyz"]
            k = time_index(decode_header(pdu)["timestamp"])
            if num <= len(IDS) and not decode_entity_state(pdu)["appearance"]:
                # tshark prints 15 significant digits: ~1e-8 m at Earth radius.
                np.testing.assert_allclose(loc, states[k, num - 1, :3], rtol=2e-15, atol=0)
                vx = float(row["dis.entity_linear_velocity.x"])
                assert vx == pytest.approx(states[k, num - 1, 3], rel=1e-6)
                assert int(row["dis.force_id"]) == (
                    2 if KINDS[num - 1] != "interceptor" else (4 if num == 4 else 1)
                )
                n_checked += 1
        elif typ == 2:
            loc = [float(row[f"dis.fire.location.{c}"]) for c in "xyz"]
            assert any(
                np.allclose(loc, p, rtol=2e-15, atol=0) for p in run["fires"].position_ecef_m
            )
        else:
            loc = [float(row[f"dis.detonation.location.{c}"]) for c in "xyz"]
            i = run["detonations"].interceptor_ids.index(
                names[int(row["dis.entity_id_entity"].split(",")[2])]
            )
            np.testing.assert_allclose(loc, run["detonations"].position_ecef_m[i], rtol=2e-15)
            assert int(row["dis.detonation.result"]) == (1 if run["detonations"].kill[i] else 5)
    assert n_checked == int((~np.isnan(states[:, :, 0])).sum())


def test_ids_must_be_unique_across_objects_and_sites(run: dict) -> None:
    sites = SitePoints(("bm-1",), ("North",), np.zeros(1), np.zeros(1), np.zeros(1), ("radar",))
    with pytest.raises(ValueError, match=r"repeated: \['bm-1'\]"):
        build_pdu_stream(EPOCH, TIMES_S, IDS, KINDS, run["states"], sites=sites)
