"""Issue 19: no seat, request or command file can break a live exercise.

One server per module (the short example, Starlette's test client, no browser) for the
findings of the audit: a lone surrogate through each text field, a 100 MB body, wrong
JSON types, the consent oracle, an inject's own time, the websocket Origin and the
headers; then the command validator on hostile ``--commands`` files, the memory guard
of ``exercise``, a damaged folder under ``--review``, and a Hypothesis run posting
random JSON to every route for every seat.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from local_server import free_port  # noqa: E402
from replays import assert_replays_bit_for_bit  # noqa: E402
from short_example import STRAY, short_example  # noqa: E402
from skyweave.cli import main  # noqa: E402
from skyweave.engine.commands import KINDS, Command, parse_command  # noqa: E402
from skyweave.engine.simulation import Simulation  # noqa: E402
from skyweave.errors import InputError  # noqa: E402
from skyweave.exercise.consent import ConsentDesk  # noqa: E402
from skyweave.exercise.review import ReviewSession  # noqa: E402
from skyweave.exercise.server import RateLimiter, create_app  # noqa: E402
from skyweave.exercise.session import ExerciseSession  # noqa: E402
from skyweave.io.run_output import scenario_json  # noqa: E402
from skyweave.scenario.schema import Consent  # noqa: E402

SURROGATE = "\ud800"


def _tokens(session: ExerciseSession) -> dict[str, str]:
    return {seat.name: token for token, seat in session.seats.items()}


def _post(client: TestClient, path: str, token: str, body: Any) -> Any:
    """POST ``body`` as JSON text (``json.dumps`` escapes a lone surrogate as ``\\ud800``,
    as a browser's ``JSON.stringify`` does)."""
    return client.post(
        f"{path}?token={token}",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session = ExerciseSession(short_example(120.0), seed=1, rate=10.0)
    out = tmp_path_factory.mktemp("hardening") / "run"
    # no rate limit here: the rate limit has its own test
    app = create_app(session, out, frame_period_s=0.005, limiter=RateLimiter(1e9, 10**9))
    with TestClient(app) as client:
        yield session, client, _tokens(session), out


# -- finding 1: one text field must not wreck the exercise ----------------------------


def test_a_lone_surrogate_in_any_text_field_is_refused_and_the_exercise_goes_on(
    served: Any,
) -> None:
    session, client, tokens, _ = served
    north, white = tokens["north"], tokens["white"]
    bodies = [
        {"kind": "message", "to": "east", "text": SURROGATE},
        {"kind": "note", "text": f"ok {SURROGATE}"},
        {"kind": "classify", "track": SURROGATE, "as": "accidental"},
        {"kind": "engage", "battery": "north-bty-1", "track": SURROGATE},
        {"kind": "hold_fire", "battery": SURROGATE},
        {"kind": "note", "text": "x", SURROGATE: 1},  # a key
    ]
    for body in bodies:
        r = _post(client, "/api/command", north, body)
        assert r.status_code == 400, (body, r.text)
        assert "Unicode" in r.json()["error"]
    r = _post(
        client, "/api/command", white, {"kind": "inject", "threat": {**STRAY, "id": SURROGATE}}
    )
    assert r.status_code == 400
    assert all(c.scripted for c in session.sim._pending)  # nothing reached the engine
    for seat in ("white", "north", "east", "observer"):
        assert client.get(f"/api/frame?token={tokens[seat]}").status_code == 200
    with client.websocket_connect(f"/ws?token={north}") as ws:
        assert ws.receive_json()["type"] == "setup"
        assert ws.receive_json()["type"] == "frame"


def test_a_lone_surrogate_in_a_command_log_exits_2_before_the_run(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [
        {"time_s": 5, "seat": "north", "kind": "message", "to": "east", "text": SURROGATE},
        {"time_s": 6, "seat": "white", "kind": "note", "text": SURROGATE},
        {"time_s": 7, "seat": "east", "kind": "classify", "track": SURROGATE, "as": "unknown"},
        {
            "time_s": 8,
            "seat": "east",
            "kind": "engage",
            "battery": "east-bty-1",
            "track": SURROGATE,
        },
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, output, _ = _run_with_commands(tmp_path, log)
    assert code == 2
    for number in (1, 2, 3, 4):
        assert f"{log}:{number}:" in output and "lone surrogate" in output


# -- finding 3: a huge body is refused before it is read --------------------------------


def test_a_100_mb_body_is_refused_with_413_and_changes_nothing(served: Any) -> None:
    session, client, tokens, _ = served
    north, white = tokens["north"], tokens["white"]
    before = len(client.get(f"/api/frame?token={white}").content)
    big = b'{"kind": "note", "text": "' + b"x" * 100_000_000 + b'"}'
    started = time.perf_counter()
    r = client.post(
        f"/api/command?token={north}", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert time.perf_counter() - started < 5.0

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused as it streams in
        yield b'{"kind": "note", "text": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    r = client.post(f"/api/command?token={north}", content=chunked())
    assert r.status_code == 413
    # a note at the limit of 2,000 characters is fine, one beyond it is not
    assert _post(client, "/api/command", north, {"kind": "note", "text": "z" * 2000}).is_success
    r = _post(client, "/api/command", north, {"kind": "note", "text": "z" * 2001})
    assert r.status_code == 400 and "2,000" in r.json()["error"]
    after = len(client.get(f"/api/frame?token={white}").content)
    assert after < before + 10_000  # the frames did not grow by the refused bodies
    assert all(len(c.body.get("text", "")) <= 2000 for c in session.sim._pending)


# -- finding 4: wrong JSON types are 400, never 500 -------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/command", {"kind": "consent", "question_id": [], "granted": True}),
        ("/api/command", {"kind": "hold_fire", "battery": ["a"]}),
        ("/api/command", {"kind": "engage", "battery": {"a": 1}, "track": "north:1"}),
        ("/api/command", {"kind": "weapons_free", "partner": 5}),
        ("/api/command", {"kind": "note", "text": None}),
        ("/api/command", []),
        ("/api/command", "note"),
        ("/api/command", {"kind": ["note"]}),
        ("/api/clock", {"action": []}),
        ("/api/clock", {"action": "rate", "rate": "fast"}),
        ("/api/clock", {"action": "rate", "rate": True}),
        ("/api/clock", [1, 2]),
    ],
)
def test_wrong_json_types_are_answered_400(served: Any, path: str, body: Any) -> None:
    _, client, tokens, _ = served
    token = tokens["white"] if path == "/api/clock" else tokens["north"]
    r = _post(client, path, token, body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]


def test_a_body_that_is_not_json_or_too_deep_is_400(served: Any) -> None:
    _, client, tokens, _ = served
    north = tokens["north"]
    for raw in (b"{", b"\xff\xfe", b"[" * 10_000 + b"]" * 10_000, b'{"kind": NaN}', b"1" * 5000):
        r = client.post(
            f"/api/command?token={north}", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400, (raw[:20], r.text)


# -- finding 7: the consent oracle ------------------------------------------------------


def test_consent_question_ids_are_per_partner() -> None:
    rule = Consent(policy="after_delay", delay_s=5.0)
    desk = ConsentDesk({"north": rule, "east": rule})
    qe = desk.ask("east", "east", 1, "east-bty-1", "east:1", 10.0)
    qn = desk.ask("north", "north", 1, "north-bty-1", "north:1", 10.0)
    assert (qe.question_id, qn.question_id) == ("q1", "q1")  # type: ignore[union-attr]
    # North answering "q1" answers its own question, never East's
    assert desk.answer("q1", False, 11.0, "north") is None
    assert [q.partner for q in desk.open_questions()] == ["east"]
    # a foreign id reads exactly like an unknown one
    assert desk.answer("q2", True, 11.0, "north") == desk.answer("q2", True, 11.0, "east")


def test_a_foreign_consent_question_is_answered_like_an_unknown_id() -> None:
    scenario = short_example(240.0)
    session = ExerciseSession(scenario, seed=1, rate=10.0)
    session.sim.submit(
        parse_command({"time_s": 0.0, "seat": "white", "kind": "inject", "threat": STRAY})
    )
    with session.lock:
        while not session.sim.partner_view("east").questions:
            session.sim.step()
    [question] = session.sim.partner_view("east").questions
    app = create_app(session, Path("unused"))
    tokens = _tokens(session)
    with TestClient(app) as client:
        answers = [
            _post(
                client,
                "/api/command",
                tokens["north"],
                {"kind": "consent", "question_id": q, "granted": False},
            )
            for q in (question.question_id, "q999")
        ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    with session.lock:
        session.sim.step()
    reasons = [e.text for e in session.sim.events if e.kind == "command_rejected"]
    assert reasons == [
        f"no open consent question {question.question_id!r}",
        "no open consent question 'q999'",
    ]
    assert session.sim.partner_view("east").questions  # East's question is still open


# -- finding 8: an inject happens at the command's time ---------------------------------


def test_an_inject_time_in_the_body_is_refused_and_never_overrides_the_command() -> None:
    cut = {"time_s": 300, "seat": "white", "kind": "inject"}
    with pytest.raises(InputError, match="inject: time_s is not allowed"):
        parse_command({**cut, "inject": {"kind": "link_cut", "target": "north-east", "time_s": 0}})
    with pytest.raises(InputError, match="threat: launch_time_s is not allowed"):
        parse_command({**cut, "threat": {**STRAY, "launch_time_s": 86400}})
    # the engine itself takes the command's time, even for a command built by hand
    commands = [
        Command(
            30.0,
            "white",
            "inject",
            {"inject": {"kind": "link_cut", "target": "north-east", "time_s": 0}},
        ),
        Command(10.0, "white", "inject", {"threat": {**STRAY, "launch_time_s": 86400}}),
    ]
    sim = Simulation(short_example(60.0), 1, commands)
    sim.run_until(40.0)
    cut_rows = [e for e in sim.events if e.kind == "link_cut"]
    assert [e.time_s for e in cut_rows] == [30.0]
    assert [e.time_s for e in sim.events if e.kind == "launch"] == [10.0]
    flight = next(f for f in sim.flights if f.object_id.startswith(STRAY["id"]))
    assert flight.launch_time_s == 10.0


# -- finding 9: headers and origins -----------------------------------------------------


def test_every_answer_carries_the_security_headers(served: Any) -> None:
    _, client, tokens, _ = served
    for r in (
        client.get("/"),
        client.get("/static/app.js"),
        client.get("/static/nope.js"),
        client.get(f"/api/frame?token={tokens['east']}"),
        client.get("/api/frame"),
    ):
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"


def test_a_websocket_from_another_origin_is_closed(served: Any) -> None:
    _, client, tokens, _ = served
    url = f"/ws?token={tokens['north']}"
    for origin in ("http://evil.example", "http://testserver.evil.example", "null"):
        with (
            pytest.raises(WebSocketDisconnect) as exc,
            client.websocket_connect(url, headers={"origin": origin}) as ws,
        ):
            ws.receive_json()
        assert exc.value.code == 4403
    with client.websocket_connect(url, headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "setup"


def test_a_seat_that_floods_orders_is_slowed_down(served: Any) -> None:
    now = [0.0]
    limiter = RateLimiter(5.0, 3, clock=lambda: now[0])
    assert [limiter.allow("north") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("east")  # one bucket per seat
    now[0] += 0.2
    assert limiter.allow("north") and not limiter.allow("north")
    session = served[0]
    tokens = _tokens(session)
    with TestClient(create_app(session, Path("unused"))) as client:  # the default limit
        codes = [
            _post(client, "/api/command", tokens["east"], {"kind": "note", "text": "n"}).status_code
            for _ in range(40)
        ]
    assert 429 in codes and codes.count(202) <= 25


# -- finding 4: hostile --commands files ------------------------------------------------


def _run_with_commands(tmp_path: Path, log: Path) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(_scenario_file(tmp_path)),
            "--commands",
            str(log),
            "--out",
            str(tmp_path / "r"),
            "-q",
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output, time.perf_counter() - t0


def _scenario_file(tmp_path: Path, duration_s: float = 30.0) -> Path:
    path = tmp_path / "short.json"
    if not path.exists():
        path.write_text(scenario_json(short_example(duration_s)))
    return path


@pytest.mark.parametrize(
    "case",
    [
        "400-digit time",
        "5000-digit integer",
        "deep nesting",
        "fifo",
        "dev zero",
        "too large",
        "long line",
    ],
)
def test_hostile_command_logs_exit_2_within_5_s(tmp_path: Path, case: str) -> None:
    log = tmp_path / "log.jsonl"
    if case == "400-digit time":
        log.write_text(
            '{"time_s": 1' + "0" * 400 + ', "seat": "white", "kind": "note", "text": "x"}\n'
        )
    elif case == "5000-digit integer":
        log.write_text(
            '{"time_s": 1, "seat": "white", "kind": "note", "text": ' + "9" * 5000 + "}\n"
        )
    elif case == "deep nesting":
        log.write_text(
            '{"time_s": 1, "seat": "white", "kind": "note", "text": '
            + "[" * 100_000
            + "]" * 100_000
            + "}\n"
        )
    elif case == "fifo":
        os.mkfifo(log)
    elif case == "dev zero":
        log = Path("/dev/zero")
    elif case == "too large":
        with log.open("wb") as fh:
            fh.truncate(17 * 2**20)
    else:
        log.write_text(
            '{"time_s": 1, "seat": "white", "kind": "note", "text": "' + "x" * 70_000 + '"}\n'
        )
    code, output, seconds = _run_with_commands(tmp_path, log)
    assert code == 2, output
    assert str(log) in output
    assert seconds < 5.0
    assert not (tmp_path / "r").exists()


# -- finding 5: the memory guard ---------------------------------------------------------


def test_exercise_refuses_what_run_refuses(tmp_path: Path) -> None:
    data = json.loads(scenario_json(short_example(60.0)))
    data.update(duration_s=86_400, time_step_s=0.01, output_interval_s=10.0)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(data))
    for command in ("run", "exercise"):
        result = CliRunner().invoke(main, [command, str(huge), "--out", str(tmp_path / command)])
        assert result.exit_code == 2, result.output
        assert "GiB of memory" in result.output
        assert "join links" not in result.output
    # forty 1,000-missile salvos in a command log: refused before the run
    salvo = {**STRAY, "salvo": {"count": 1000, "over_s": 10}}
    log = tmp_path / "salvos.jsonl"
    log.write_text(
        "".join(
            json.dumps(
                {"time_s": k, "seat": "white", "kind": "inject", "threat": {**salvo, "id": f"s{k}"}}
            )
            + "\n"
            for k in range(40)
        )
    )
    data.update(duration_s=3_600, time_step_s=0.1)
    long = tmp_path / "long.json"
    long.write_text(json.dumps(data))
    result = CliRunner().invoke(
        main, ["run", str(long), "--commands", str(log), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 2 and "GiB of memory" in result.output


# -- finding 6: --review checks what it reads -------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    scenario = _scenario_file(folder)
    out = folder / "run"
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_review_refuses_a_damaged_events_table(run_dir: Path, tmp_path: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    tables = {p.name for p in run_dir.glob("*.parquet")}
    assert tables and tables <= set(summary["hashes"])  # every table is hashed
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    events = copy / "events.parquet"
    events.write_bytes(events.read_bytes()[:-40] + b"\0" * 40)
    with pytest.raises(InputError, match="events.parquet"):
        ReviewSession(copy)
    result = CliRunner().invoke(
        main, ["exercise", "--review", str(copy), "--port", str(free_port())]
    )
    assert result.exit_code == 2 and "events.parquet" in result.output
    assert "Traceback" not in result.output


# -- Hypothesis: random JSON to every route, for every seat -----------------------------

_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d"])
_TEXT = st.one_of(
    st.text(max_size=12), _SURROGATES, st.sampled_from(["north", "east", "east-bty-1", "q1"])
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=8,
)
_FIELDS = [
    "text",
    "to",
    "battery",
    "partner",
    "track",
    "as",
    "question_id",
    "granted",
    "inject",
    "threat",
    "action",
    "rate",
    "time_s",
    "seat",
]
_COMMANDISH = st.builds(
    lambda kind, fields: {"kind": kind, **fields},
    st.one_of(st.sampled_from([*KINDS, "launch"]), _JSON),
    st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=4),
)
_BODIES = st.one_of(_JSON, _COMMANDISH)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session = ExerciseSession(short_example(60.0), seed=1, rate=10.0)
    out = tmp_path_factory.mktemp("fuzz") / "run"
    app = create_app(session, out, limiter=RateLimiter(1e9, 10**9))
    tokens = _tokens(session)
    with (
        TestClient(app) as client,
        client.websocket_connect(f"/ws?token={tokens['white']}") as ws_white,
        client.websocket_connect(f"/ws?token={tokens['north']}") as ws_north,
    ):
        yield session, client, tokens, out, {"white": ws_white, "north": ws_north}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(body=_BODIES)
def test_random_json_to_every_route_for_every_seat_is_2xx_or_4xx(fuzzed: Any, body: Any) -> None:
    session, client, tokens, _, sockets = fuzzed
    raw = json.dumps(body)  # NaN and Infinity go out as such: the server refuses them
    sockets["white"].send_text(raw)  # a console's websocket messages (view_as) too
    sockets["north"].send_bytes(raw.encode())
    for seat, token in tokens.items():
        answers = [
            client.post(
                f"{path}?token={token}", content=raw, headers={"content-type": "application/json"}
            )
            for path in ("/api/command", "/api/clock", *(["/api/end"] if seat != "white" else []))
        ]
        answers.append(client.get(f"/api/frame?token={token}", params={"view_as": raw[:30]}))
        answers.append(client.get(f"/api/setup?token={token}"))
        for r in answers:
            assert 200 <= r.status_code < 500, (seat, r.request.url, raw[:200], r.text[:300])
    with session.lock:  # what was accepted applies at the next tick
        if not session.sim.done:
            session.sim.step()


def test_the_fuzzed_exercise_ends_with_a_folder_that_replays(fuzzed: Any, tmp_path: Path) -> None:
    session, client, tokens, out, sockets = fuzzed
    for ws in sockets.values():  # every random message left the consoles' sockets open
        assert ws.receive_json()["type"] in ("setup", "frame")
    r = client.post(f"/api/end?token={tokens['white']}")
    assert r.status_code == 200, r.text
    assert_replays_bit_for_bit(Path(r.json()["run_dir"]), tmp_path / "replay")


# -- finding 9: served beyond loopback ------------------------------------------------


def test_links_off_loopback_name_the_real_address_and_warn_without_tls(
    served: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skyweave.cli.exercise import _announced_server, _Listen

    session = served[0]
    app = create_app(session, tmp_path / "unused")
    _announced_server(app, session, _Listen("0.0.0.0", 8765, None, None), "T", "end")
    out, err = capsys.readouterr()
    assert "serves the exercise to the network in clear" in err and "--certfile" in err
    links = [line.split()[1] for line in out.splitlines() if "?token=" in line]
    assert len(links) == 4 and not any("0.0.0.0" in url for url in links)
    assert all(url.startswith("http://") for url in links)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    server = _announced_server(app, session, _Listen("0.0.0.0", 8765, str(cert), str(key)), "T", "")
    out, err = capsys.readouterr()
    assert "in clear" not in err
    assert all(
        line.split()[1].startswith("https://") for line in out.splitlines() if "?token=" in line
    )
    assert server.config.ssl_certfile == str(cert) and server.config.ssl_keyfile == str(key)
    _announced_server(app, session, _Listen("127.0.0.1", 8765, None, None), "T", "")
    out, err = capsys.readouterr()
    assert err == "" and "http://127.0.0.1:8765/?token=" in out
