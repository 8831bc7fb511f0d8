"""`skyweave run --dis`: PDUs reach a UDP listener on loopback, positions match truth.parquet."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pymap3d
from click.testing import CliRunner

from skyweave.cli import main
from skyweave.io.exports import scenario_sites
from skyweave.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def test_run_emits_entity_state_pdus(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.settimeout(0.2)
    port = sock.getsockname()[1]
    received: list[bytes] = []
    run_finished = threading.Event()

    def listen() -> None:
        # Listen until the run has finished and the socket has been quiet a moment.
        while True:
            try:
                received.append(sock.recv(2048))
            except TimeoutError:
                if run_finished.is_set():
                    return

    listener = threading.Thread(target=listen)
    listener.start()
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(EXAMPLE),
            "--out",
            str(out),
            "--until",
            "900",
            "-q",
            "--dis",
            f"udp://127.0.0.1:{port}",
        ],
    )
    run_finished.set()
    listener.join()
    sock.close()
    assert result.exit_code == 0, result.output
    assert received
    # header: version 7, PDU type, length field equals the datagram length
    for pdu in received:
        version, _, pdu_type = struct.unpack_from(">BBB", pdu, 0)
        (length,) = struct.unpack_from(">H", pdu, 8)
        assert version == 7 and pdu_type in (1, 2, 3) and length == len(pdu)
    # Entity State location (ECEF float64 at byte 48): a threat's truth row or a fixed site
    truth = pq.read_table(out / "truth.parquet")
    xyz = np.column_stack([truth.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    sites = scenario_sites(load_scenario(EXAMPLE))
    site_xyz = np.column_stack(pymap3d.geodetic2ecef(sites.lat_deg, sites.lon_deg, sites.alt_m))
    known = np.vstack([xyz, site_xyz])
    states = [p for p in received if p[2] == 1]
    matched_truth = 0
    for pdu in states:
        loc = np.array(struct.unpack_from(">ddd", pdu, 48))
        distance = np.linalg.norm(known - loc, axis=1)
        assert distance.min() < 1e-3, loc
        matched_truth += int(distance[: len(xyz)].min() < 1e-3)
    assert matched_truth >= truth.num_rows  # one per object in flight per output step
    # one Fire PDU per interceptor launched, one Detonation per interceptor that arrived
    eng = pq.read_table(out / "engagements.parquet").to_pydict()
    assert sum(eng["shots"]) > 0
    fires = [p for p in received if p[2] == 2]
    detonations = [p for p in received if p[2] == 3]
    assert len(fires) == sum(eng["shots"])
    arrived = [n for n, o in zip(eng["shots"], eng["outcome"], strict=True) if o != "aborted"]
    assert len(detonations) == sum(arrived)


def test_bad_dis_url_is_rejected_before_the_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), "--out", str(tmp_path / "o"), "--dis", "tcp://x:1"]
    )
    assert result.exit_code == 2
    assert "--dis" in result.output
    assert not (tmp_path / "o").exists()
