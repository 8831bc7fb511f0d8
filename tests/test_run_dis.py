"""`skyweave run --dis`: PDUs sent during the run, all received with a default socket buffer.

The receiver is a separate process (as a real one would be) whose socket keeps the
operating system's default receive buffer. What it receives is checked against the
run folder written afterwards: every Entity State PDU of a moving object carries a
``truth.parquet`` row bit for bit, one entity number per object, and one Fire and
one Detonation per interceptor as in ``engagements.parquet``. The pacing arithmetic
is checked with an injected clock against the closed form of a token bucket.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from dis_pcap import write_pcap
from skyweave.cli import main
from skyweave.io.dis_stream import Pacer
from skyweave.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
TSHARK = shutil.which("tshark")

# The receiver: default SO_RCVBUF; records (monotonic arrival time, datagram) until
# its stdin closes and the socket has then been quiet for half a second.
RECEIVER = r"""
import pickle, select, socket, sys, time
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
print(rx.getsockname()[1], rx.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), flush=True)
got, stopping = [], False
while True:
    ready, _, _ = select.select([rx] + ([] if stopping else [sys.stdin]), [], [], 0.5)
    if rx in ready:
        got.append((time.monotonic(), rx.recv(65535)))
    elif sys.stdin in ready:
        sys.stdin.read()
        stopping = True
    elif stopping:
        break
with open(sys.argv[1], "wb") as f:
    pickle.dump(got, f)
"""


class Receiver:
    """A UDP receiver in its own process, with the default receive buffer."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        port, rcvbuf = self.proc.stdout.readline().split()
        self.port, self.rcvbuf = int(port), int(rcvbuf)

    def stop(self) -> list[tuple[float, bytes]]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0
        with self.out.open("rb") as f:
            got: list[tuple[float, bytes]] = pickle.load(f)
        return got


def run_cli(out: Path, port: int, *extra: str) -> tuple[object, float]:
    """Run the example with ``--dis`` to ``port``; (result, monotonic time it returned)."""
    result = CliRunner().invoke(
        main,
        ["run", str(EXAMPLE), "--out", str(out), "--dis", f"udp://127.0.0.1:{port}", *extra],
    )
    return result, time.monotonic()


def sim_time_s(timestamp: int, epoch: dt.datetime) -> float:
    """Simulation time of an absolute DIS timestamp (runs shorter than an hour)."""
    assert timestamp & 1 == 1
    past_hour = (timestamp >> 1) * 3600.0 / 2**31
    at_epoch = epoch.minute * 60 + epoch.second + epoch.microsecond * 1e-6
    return (past_hour - at_epoch) % 3600.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The example to 900 s (engagements from 720 s) sent to a default-buffer receiver."""
    tmp = tmp_path_factory.mktemp("dis")
    rx = Receiver(tmp / "rx.pkl")
    result, _ = run_cli(tmp / "run", rx.port, "--until", "900")
    got = rx.stop()
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    sent = re.search(r"sent (\d+) DIS PDUs", result.output)  # type: ignore[attr-defined]
    assert sent is not None, result.output  # type: ignore[attr-defined]
    return {
        "out": tmp / "run",
        "port": rx.port,
        "rcvbuf": rx.rcvbuf,
        "sent": int(sent.group(1)),
        "pdus": [d for _, d in got],
        "epoch": load_scenario(EXAMPLE).epoch,
    }


def test_default_receive_buffer_gets_every_pdu(live: dict) -> None:
    assert live["rcvbuf"] <= 256 * 1024  # not enlarged: the Linux default is 208 KiB
    assert live["sent"] > 4000
    assert len(live["pdus"]) == live["sent"]
    for pdu in live["pdus"]:
        version, _, pdu_type = struct.unpack_from(">BBB", pdu, 0)
        (length,) = struct.unpack_from(">H", pdu, 8)
        assert version == 7 and pdu_type in (1, 2, 3) and length == len(pdu)


def test_entity_states_are_truth_with_stable_entity_ids(live: dict) -> None:
    truth = pq.read_table(live["out"] / "truth.parquet").to_pydict()
    rows = {
        (t, x, y, z): o
        for t, o, x, y, z in zip(
            truth["time_s"],
            truth["object_id"],
            truth["x_m"],
            truth["y_m"],
            truth["z_m"],
            strict=True,
        )
    }
    sites = load_scenario(EXAMPLE)
    site_ids = [s.id for s in sites.sensors] + [b.id for b in sites.batteries]
    site_ids += [a.id for a in sites.defended_assets]
    number_of: dict[str, set[int]] = {}
    object_of: dict[int, set[str]] = {}
    seen: set[tuple[float, str]] = set()
    deactivated: dict[int, tuple[float, int]] = {}
    for pdu in live["pdus"]:
        if pdu[2] != 1:
            continue
        (ts,) = struct.unpack_from(">I", pdu, 4)
        site, app, num = struct.unpack_from(">HHH", pdu, 12)
        loc = struct.unpack_from(">3d", pdu, 48)
        (appearance,) = struct.unpack_from(">I", pdu, 84)
        t = round(sim_time_s(ts, live["epoch"]) / 5.0) * 5.0
        assert (site, app) == (1, 1)
        if num <= len(site_ids):  # fixed sites take 1..P, in scenario order
            # the truth view marks every entity as exercise control
            assert pdu[129:140].rstrip(b"\0") == f"EXCON{site_ids[num - 1]}"[:11].encode()
            continue
        if appearance & (1 << 23):
            assert num not in deactivated
            deactivated[num] = (t, appearance)
            continue
        oid = rows[(t, *loc)]  # the location is a truth row, bit for bit
        seen.add((t, oid))
        number_of.setdefault(oid, set()).add(num)
        object_of.setdefault(num, set()).add(oid)
    # Every object in flight at every output step, and nothing else.
    assert seen == {(t, o) for (t, *_), o in rows.items()}
    # One entity number per object for the whole run, and one object per number.
    assert all(len(n) == 1 for n in number_of.values())
    assert all(len(o) == 1 for o in object_of.values())
    # Numbers given on first sight: in order of first appearance.
    first = sorted(
        (min(t for t, o2 in seen if o2 == o), next(iter(n))) for o, n in number_of.items()
    )
    assert [n for _, n in first] == sorted(n for _, n in first)
    # Objects that left flight are deactivated once, at the next output step;
    # "destroyed" for a killed threat and for a shot that reached its target.
    eng = pq.read_table(live["out"] / "engagements.parquet").to_pylist()
    killed = {e["object_id"] for e in eng if e["outcome"] == "kill"}
    reached = {
        f"{e['battery_id']}/e{e['engagement_id']}/1" for e in eng if e["outcome"] != "aborted"
    }
    assert killed and reached
    for oid, (num,) in number_of.items():
        last = max(t for t, o in seen if o == oid)
        if last < 900.0:
            t_off, appearance = deactivated.pop(num)
            assert t_off == last + 5.0, oid
            assert (appearance >> 3) & 3 == (3 if oid in killed | reached else 0), oid
    assert not deactivated


def test_fire_and_detonation_per_interceptor(live: dict) -> None:
    eng = pq.read_table(live["out"] / "engagements.parquet").to_pylist()
    fires = [p for p in live["pdus"] if p[2] == 2]
    dets = [p for p in live["pdus"] if p[2] == 3]
    assert sum(e["shots"] for e in eng) == len(fires) > 0
    arrived = [e for e in eng if e["outcome"] != "aborted"]
    assert sum(e["shots"] for e in arrived) == len(dets) > 0
    fire_times = sorted(sim_time_s(struct.unpack_from(">I", p, 4)[0], live["epoch"]) for p in fires)
    np.testing.assert_allclose(fire_times, sorted(e["time_s"] for e in eng), atol=1e-5)
    event_of = {struct.unpack_from(">3H", p, 24): struct.unpack_from(">3H", p, 30) for p in fires}
    results = []
    for p in dets:
        munition = struct.unpack_from(">3H", p, 24)
        assert struct.unpack_from(">3H", p, 30) == event_of[munition]  # the same event
        results.append(p[100])
    kills = sum(e["shots"] for e in arrived if e["outcome"] == "kill")
    assert sorted(results) == [1] * kills + [5] * (len(dets) - kills)
    # A shot's Fire arrives before its first Entity State, under the same entity id.
    states = [
        (i, struct.unpack_from(">3H", p, 12)) for i, p in enumerate(live["pdus"]) if p[2] == 1
    ]
    for i, p in enumerate(live["pdus"]):
        if p[2] == 2:
            munition = struct.unpack_from(">3H", p, 24)
            later = [j for j, e in states if e == munition]
            assert later and min(later) > i


@pytest.mark.skipif(TSHARK is None, reason="tshark (Wireshark) is not installed")
def test_wireshark_decodes_the_live_stream(live: dict, tmp_path: Path) -> None:
    pcap = tmp_path / "live.pcap"
    write_pcap(pcap, live["pdus"], live["port"])
    decode = ["-r", str(pcap), "-d", f"udp.port=={live['port']},dis"]
    types = subprocess.run(
        [str(TSHARK), "-n", *decode, "-T", "fields", "-e", "dis.pdu_type", "-e", "_ws.malformed"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert [line.split("\t")[0] for line in types] == [str(p[2]) for p in live["pdus"]]
    assert all(line.split("\t")[1] == "" for line in types)
    experts = subprocess.run(
        [str(TSHARK), "-n", *decode, "-q", "-z", "expert"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "Malformed" not in experts and "Errors" not in experts and "Warns" not in experts


def test_time_scale_sends_during_the_run(tmp_path: Path) -> None:
    scale, until_s = 20.0, 80.0
    rx = Receiver(tmp_path / "rx.pkl")
    result, returned = run_cli(
        tmp_path / "run", rx.port, "--until", str(until_s), "--dis-time-scale", str(scale), "-q"
    )
    got = rx.stop()
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    epoch = load_scenario(EXAMPLE).epoch
    arrival = np.array([a for a, _ in got])
    sim_s = np.array([sim_time_s(struct.unpack_from(">I", d, 4)[0], epoch) for _, d in got])
    assert sim_s.max() == pytest.approx(until_s, abs=1e-4)
    # The first PDUs arrive while the run still has most of its paced 4 s to go.
    assert arrival[0] < returned - 0.8 * until_s / scale
    # Simulation second s never leaves before wall start + s / scale.
    assert np.all(arrival - arrival[0] >= (sim_s - sim_s[0]) / scale - 0.05)


def test_pacer_rate_ceiling_is_a_token_bucket() -> None:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    rate, burst, n = 2000.0, 64, 1000
    pacer = Pacer(None, rate, burst, clock=lambda: now[0], sleep=sleep)
    pacer.wait_for(0.0)
    sent_at: list[float] = []
    while len(sent_at) < n:
        k = pacer.grant(n - len(sent_at))
        sent_at += [now[0]] * k
    # Closed form: a full bucket of 64 leaves at once, the rest at 2,000 per second.
    assert now[0] == pytest.approx((n - burst) / rate)
    sent = np.array(sent_at)
    for w in (0.0, 0.001, 0.01, 0.1):
        in_window = np.searchsorted(sent, sent + w, side="right") - np.arange(n)
        assert in_window.max() <= burst + rate * w + 1e-9


def test_pacer_time_scale_waits_for_the_wall_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer(20.0, float("inf"), 1, clock=lambda: now[0], sleep=sleep)
    pacer.wait_for(0.0)  # starts the clock
    pacer.wait_for(100.0)
    assert now[0] == pytest.approx(105.0)  # 100 simulated seconds at 20x: 5 s
    now[0] += 7.0  # the run fell behind: no waiting until it catches up
    pacer.wait_for(200.0)
    pacer.wait_for(240.0)
    assert now[0] == pytest.approx(112.0) and len(slept) == 1
    assert pacer.grant(10_000) == 10_000  # no rate ceiling


def test_bad_dis_url_is_rejected_before_the_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), "--out", str(tmp_path / "o"), "--dis", "tcp://x:1"]
    )
    assert result.exit_code == 2
    assert "--dis" in result.output
    assert not (tmp_path / "o").exists()


def test_time_scale_without_dis_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), "--out", str(tmp_path / "o"), "--dis-time-scale", "2"]
    )
    assert result.exit_code == 2
    assert "--dis-time-scale" in result.output and "--dis udp://" in result.output
    assert "Traceback" not in result.output


def test_a_partner_view_sends_its_picture_and_never_the_truth(tmp_path: Path) -> None:
    """``--dis-view east``: every Entity State PDU is a row of East's fused picture
    (``picture.parquet``, written by the same run) bit for bit; none is a truth row."""
    rx = Receiver(tmp_path / "rx.pkl")
    result, _ = run_cli(tmp_path / "run", rx.port, "--until", "300", "--dis-view", "east")
    got = [d for _, d in rx.stop()]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "(east view)" in result.output  # type: ignore[attr-defined]
    epoch = load_scenario(EXAMPLE).epoch
    assert got and {p[2] for p in got} == {1}  # entity states only: no sites, fires, detonations
    pic = pq.read_table(tmp_path / "run" / "picture.parquet").to_pydict()
    rows = {
        (t, round(t / 5.0) * 5.0, x, y, z, vx, vy, vz): f"east:{n}"
        for t, p, n, x, y, z, vx, vy, vz in zip(
            pic["time_s"],
            pic["partner"],
            pic["track_id"],
            pic["x_m"],
            pic["y_m"],
            pic["z_m"],
            pic["vx_mps"],
            pic["vy_mps"],
            pic["vz_mps"],
            strict=True,
        )
        if p == "east"
    }
    picture = {(step, x, y, z): name for (_, step, x, y, z, *_), name in rows.items()}
    velocity = {(step, x, y, z): v for (_, step, x, y, z, *v) in rows}
    truth = pq.read_table(tmp_path / "run" / "truth.parquet").to_pydict()
    truth_xyz = set(zip(truth["x_m"], truth["y_m"], truth["z_m"], strict=True))
    seen = set()
    for pdu in got:
        (ts,) = struct.unpack_from(">I", pdu, 4)
        loc = struct.unpack_from(">3d", pdu, 48)
        vel = struct.unpack_from(">3f", pdu, 36)
        (appearance,) = struct.unpack_from(">I", pdu, 84)
        assert loc not in truth_xyz
        if appearance & (1 << 23):
            continue  # a track that left the picture, at its last position
        step = round(sim_time_s(ts, epoch) / 5.0) * 5.0
        name = picture[(step, *loc)]  # a picture row, bit for bit
        assert pdu[129:140].rstrip(b"\0") == name.encode()
        assert vel == pytest.approx(velocity[(step, *loc)], rel=1e-6)  # float32 on the wire
        seen.add((step, name))
    # every track of East's picture at every output step, and nothing else
    assert seen == {(step, name) for (step, *_), name in picture.items()}


def test_an_unknown_dis_view_is_refused_before_the_run(tmp_path: Path) -> None:
    base = ["run", str(EXAMPLE), "--out", str(tmp_path / "o"), "--until", "10"]
    dis = ["--dis", "udp://127.0.0.1:9"]
    result = CliRunner().invoke(main, [*base, *dis, "--dis-view", "south"])
    assert result.exit_code == 2
    assert "--dis-view" in result.output and "'south'" in result.output
    assert "truth, north, east" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    result = CliRunner().invoke(main, [*base, "--dis-view", "east"])
    assert result.exit_code == 2 and "--dis udp://" in result.output
