"""After-action review (``skyweave exercise --review``) and the report's staff measures,
on one small run played with a few staff commands (an accidental launch, a hold, a
consent denied by East, two classifications, a white-cell note)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from short_example import STRAY, short_example  # noqa: E402
from skyweave.cli import main  # noqa: E402
from skyweave.engine.commands import Command, parse_command  # noqa: E402
from skyweave.engine.simulation import Simulation  # noqa: E402
from skyweave.exercise.frames import partner_frame  # noqa: E402
from skyweave.exercise.review import ReviewSession  # noqa: E402
from skyweave.exercise.server import create_app  # noqa: E402
from skyweave.io.run_folder import prepare_out_dir  # noqa: E402
from skyweave.io.run_output import write_run_output  # noqa: E402
from skyweave.scenario.schema import Scenario  # noqa: E402
from skyweave.simulation import run_scenario  # noqa: E402

DURATION_S = 240.0
SEED = 1
#: East's first consent question on the stray launch (seed 1): asked at 200 s, deadline 205 s
QUESTION = "q1"


def short_scenario(duration_s: float) -> Scenario:
    """The shipped example cut to its first ``duration_s``."""
    return short_example(duration_s)


def _commands() -> list[Command]:
    raw = [
        {"time_s": 0.0, "seat": "white", "kind": "inject", "threat": STRAY},
        {"time_s": 50.0, "seat": "white", "kind": "note", "text": "bookmark: stray launched"},
        {"time_s": 100.0, "seat": "east", "kind": "hold_fire", "battery": "east-bty-2"},
        {
            "time_s": 150.0,
            "seat": "east",
            "kind": "classify",
            "track": "east:2",
            "as": "accidental",
        },
        {
            "time_s": 160.0,
            "seat": "north",
            "kind": "classify",
            "track": "north:3",
            "as": "deliberate",
        },
        {
            "time_s": 202.0,
            "seat": "east",
            "kind": "consent",
            "question_id": QUESTION,
            "granted": False,
        },
    ]
    return [parse_command(r) for r in raw]


@dataclass
class PlayedRun:
    run_dir: Path
    commands: list[Command]
    #: every consent question each partner's view showed, by id: (asked_s, deadline_s)
    asked: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> PlayedRun:
    scenario = short_scenario(DURATION_S)
    commands = _commands()
    asked: dict[str, dict[str, tuple[float, float]]] = {}

    def watch(sim: Simulation) -> None:
        for p in sim.partners:
            for q in sim.partner_view(p).questions:
                asked.setdefault(p, {})[q.question_id] = (q.asked_s, q.deadline_s)

    result = run_scenario(scenario, SEED, commands=commands, on_tick=watch)
    out = tmp_path_factory.mktemp("review") / "run"
    prepare_out_dir(out, False)
    write_run_output(out, scenario, result)
    return PlayedRun(out, commands, asked)


@pytest.fixture(scope="module")
def review(played: PlayedRun) -> ReviewSession:
    return ReviewSession(played.run_dir)


def _tokens(session: ReviewSession) -> dict[str, str]:
    return {seat.name: token for token, seat in session.seats.items()}


HEAD = ("seat", "version", "clock")


def test_review_frames_are_the_partner_views_of_an_independent_replay(
    played: PlayedRun, review: ReviewSession
) -> None:
    client = TestClient(create_app(review, played.run_dir))
    tokens = _tokens(review)
    # an independent engine built from the commands given, not from the folder
    sim = Simulation(short_scenario(DURATION_S), SEED, played.commands)
    for t in (60.0, 150.0, 200.0, DURATION_S):
        sim.run_until(t)
        r = client.post(f"/api/clock?token={tokens['white']}", json={"action": "seek", "time_s": t})
        assert r.status_code == 200 and r.json()["time_s"] == t
        for p in sim.partners:
            got = client.get(f"/api/frame?token={tokens[p]}").json()
            assert got["clock"]["time_s"] == t and got["clock"]["review"] is True
            view = sim.partner_view(p)
            numbers = [] if view.picture is None else view.picture.picture_number.tolist()
            assert [tr["id"] for tr in got["tracks"]] == [f"{p}:{n}" for n in numbers]
            assert [q["id"] for q in got["questions"]] == [q.question_id for q in view.questions]
            held = {b["id"] for b in got["batteries"] if b["held"]}
            assert held == set(view.held)
            expected = partner_frame(sim, p)
            assert {k: v for k, v in got.items() if k not in HEAD} == expected
        white = client.get(f"/api/frame?token={tokens['white']}&view_as=east").json()
        assert white["time_s"] == t
        assert {k: v for k, v in white["view_as"].items()} == partner_frame(sim, "east")
        assert set(white["views"]) == set(sim.partners)


def test_review_refuses_every_order_and_every_clock_control_but_the_slider(
    played: PlayedRun, review: ReviewSession
) -> None:
    client = TestClient(create_app(review, played.run_dir))
    tokens = _tokens(review)
    orders = [
        {"kind": "note", "text": "x"},
        {"kind": "consent", "question_id": QUESTION, "granted": True},
        {"kind": "hold_fire", "battery": "east-bty-1"},
        {"kind": "inject", "threat": STRAY},
    ]
    for token in tokens.values():
        for body in orders:
            assert client.post(f"/api/command?token={token}", json=body).status_code == 403
        assert client.post(f"/api/end?token={token}").status_code == 403
    for action in ("start", "pause", "resume", "step", "rate"):
        body = {"action": action, "rate": 2.0}
        assert client.post(f"/api/clock?token={tokens['white']}", json=body).status_code == 403
    for seat in ("east", "north", "observer"):
        body = {"action": "seek", "time_s": 100.0}
        assert client.post(f"/api/clock?token={tokens[seat]}", json=body).status_code == 403
    assert client.get("/api/frame").status_code == 401
    assert client.post("/api/clock", json={"action": "seek", "time_s": 1.0}).status_code == 401


def test_the_slider_moves_every_seat_and_the_bookmarks_are_listed(
    played: PlayedRun, review: ReviewSession
) -> None:
    client = TestClient(create_app(review, played.run_dir, frame_period_s=0.005))
    tokens = _tokens(review)
    seek = f"/api/clock?token={tokens['white']}"
    # between two output times the slider shows the earlier one; past the end, the end
    assert client.post(seek, json={"action": "seek", "time_s": 102.0}).json()["time_s"] == 100.0
    assert client.post(seek, json={"action": "seek", "time_s": 1e6}).json()["time_s"] == DURATION_S
    assert client.post(seek, json={"action": "seek", "time_s": -5}).json()["time_s"] == 0.0
    with client.websocket_connect(f"/ws?token={tokens['east']}") as ws:
        assert ws.receive_json()["review"]["end_s"] == DURATION_S  # the setup
        assert ws.receive_json()["clock"]["time_s"] == 0.0
        client.post(seek, json={"action": "seek", "time_s": 150.0})
        assert ws.receive_json()["clock"]["time_s"] == 150.0
    events = pq.read_table(played.run_dir / "events.parquet").to_pylist()
    notes = [(e["time_s"], e["text"]) for e in events if e["kind"] == "note"]
    assert notes == [(50.0, "bookmark: stray launched")]
    white = client.get(f"/api/frame?token={tokens['white']}").json()
    assert [(b["time_s"], b["text"]) for b in white["bookmarks"]] == notes
    assert client.get(f"/api/setup?token={tokens['east']}").json()["review"]["bookmarks"] == []


def test_review_command_line_needs_a_run_folder_and_nothing_else(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["exercise", "--review", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "run folder not found" in r.output
    r = runner.invoke(main, ["exercise", "x.yaml", "--review", str(tmp_path)])
    assert r.exit_code == 2 and "--review" in r.output
    r = runner.invoke(main, ["exercise"])
    assert r.exit_code == 2 and "SCENARIO" in r.output


# -- the report's staff measures ------------------------------------------------------------


class _Rows(HTMLParser):
    """Cell texts of the ``<tr>`` rows with a given class, keyed by their data-partner."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls = cls
        self.rows: list[tuple[dict[str, str], list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and a.get("class") == self.cls:
            self._row = []
            self.rows.append((a, self._row))
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(html: str, cls: str) -> list[tuple[dict[str, str], list[str]]]:
    parser = _Rows(cls)
    parser.feed(html)
    return parser.rows


def _nearest_threat(run: Path, partner: str, track: str, time_s: float) -> str:
    """Brute force: the truth object (not an interceptor) nearest the partner's picture
    track at its last report by ``time_s``, at the truth sample nearest that report."""
    pic = {
        k: np.asarray(v)
        for k, v in pq.read_table(run / "picture.parquet")
        .drop_columns(["sources", "contributors"])
        .to_pydict()
        .items()
    }
    number = int(track.split(":")[1])
    rows = np.flatnonzero(
        (pic["partner"] == partner) & (pic["track_id"] == number) & (pic["time_s"] <= time_s)
    )
    k = rows[np.argmax(pic["time_s"][rows])]
    where = np.array([pic["x_m"][k], pic["y_m"][k], pic["z_m"][k]])
    tr = {k: np.asarray(v) for k, v in pq.read_table(run / "truth.parquet").to_pydict().items()}
    t_near = tr["time_s"][np.argmin(np.abs(tr["time_s"] - pic["time_s"][k]))]
    at = np.flatnonzero((tr["time_s"] == t_near) & (tr["kind"] != "interceptor"))
    xyz = np.stack([tr["x_m"][at], tr["y_m"][at], tr["z_m"][at]], axis=1)
    d = np.linalg.norm(xyz - where, axis=1)
    assert d.min() < 50e3, "the classified track follows no threat"
    return str(tr["object_id"][at[np.argmin(d)]])


def test_report_staff_measures_equal_a_hand_count_from_the_run_tables(played: PlayedRun) -> None:
    run = played.run_dir
    html = (run / "report.html").read_text(encoding="utf-8")
    assert '<section id="staff"><h2>Staff measures</h2>' in html
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    launches = {t["object_id"]: t["launch_time_s"] for t in summary["threats"]}
    accidental = {t["object_id"] for t in summary["threats"] if t["accidental"]}
    assert accidental == {STRAY["id"]}
    alerts = pq.read_table(run / "alerts.parquet").to_pylist()
    mine: dict[str, list[Command]] = {c.seat: [] for c in played.commands}
    for c in played.commands:
        mine[c.seat].append(c)
    rows = {a["data-partner"]: cells for a, cells in _rows(html, "staff-row")}
    assert set(rows) == {"east", "north"}
    for partner, cells in rows.items():
        warned = [
            w["first_alert_s"] - launches[w["object_id"]]
            for w in summary["warning"]["per_threat"]
            if w["partner"] == partner and w["first_alert_s"] is not None
        ]
        first_alert = min(a["time_s"] for a in alerts if a["partner"] == partner)
        asked = played.asked.get(partner, {})
        staff = mine.get(partner, [])
        answered = {c.body["question_id"]: c.time_s for c in staff if c.kind == "consent"}
        delays = [answered[q] - asked[q][0] for q in answered]
        first_order = min(c.time_s for c in staff if c.kind != "note" and c.time_s >= first_alert)
        calls = [
            (c.body["as"] == "accidental")
            == (_nearest_threat(run, partner, c.body["track"], c.time_s) in accidental)
            for c in staff
            if c.kind == "classify"
        ]
        expected = [
            f"{statistics.median(warned):.1f}",
            str(len(asked)),
            str(len(answered)),
            str(len(asked) - len(answered)),  # the rest the policy answered at the deadline
            f"{statistics.median(delays):.1f}" if delays else "-",
            f"{first_order - first_alert:.1f}",
            str(calls.count(True)),
            str(calls.count(False)),
            str(sum(1 for c in staff if c.kind == "hold_fire")),
        ]
        assert cells[1:10] == expected, partner
        # alert to warned: per threat, this partner's first alert minus anyone's first
        per_threat = summary["warning"]["per_threat"]
        delays = [
            w["first_alert_s"]
            - min(
                v["first_alert_s"]
                for v in per_threat
                if v["object_id"] == w["object_id"] and v["first_alert_s"] is not None
            )
            for w in per_threat
            if w["partner"] == partner and w["first_alert_s"] is not None
        ]
        denied = sum(1 for c in staff if c.kind == "consent" and not c.body["granted"])
        engages = sum(1 for c in staff if c.kind == "engage")
        # no weapons free in this log: the overrides are the staff's denials and engages
        assert cells[13:17] == [
            f"{statistics.median(delays):.1f}",
            "0",
            str(denied),
            str(denied + engages),
        ], partner
    # East was asked q1 and denied it itself, 2 s after it was asked
    assert played.asked["east"][QUESTION] == (200.0, 205.0)
    q = [cells for a, cells in _rows(html, "staff-question") if a["data-question"] == QUESTION]
    assert q and q[0][-3:] == ["2.0", "denied", "staff"]
