"""The exercise consoles in a real browser (Playwright for Python driving Debian's chromium):
the white cell's pause stops a partner's clock; a white-cell launch alerts both staffs,
and only the one whose sensors see it when no warning is shared; a consent granted by a
click is in ``events.parquet`` at its time; the map is drawn.

(That the grant then leads to an engagement is the engine's part, tested without a
browser in ``test_exercise_server.py``.)"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

import pyarrow.parquet as pq  # noqa: E402
from PIL import Image  # noqa: E402

from local_server import ServerThread, free_port  # noqa: E402
from short_example import STRAY, short_example  # noqa: E402
from skyweave.exercise.server import create_app  # noqa: E402
from skyweave.exercise.session import ExerciseSession  # noqa: E402
from skyweave.scenario.schema import Scenario  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="Debian's chromium is not installed (/usr/bin/chromium; make system-deps)",
)


def short_scenario(east_consent_delay_s: float | None = None) -> Scenario:
    """The shipped example cut to 300 s (threat times as they are)."""
    s = short_example(300.0)
    update: dict[str, Any] = {}
    if east_consent_delay_s is not None:
        partners = []
        for p in s.partners:
            if p.id == "east":
                consent = p.engagement.consent.model_copy(update={"delay_s": east_consent_delay_s})
                engagement = p.engagement.model_copy(update={"consent": consent})
                p = p.model_copy(update={"engagement": engagement})
            partners.append(p)
        update["partners"] = partners
    return s.model_copy(update=update)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Served:
    """A session served by uvicorn on a free local port, in a thread."""

    def __init__(self, scenario: Scenario, out_dir: Path, rate: float) -> None:
        self.session = ExerciseSession(scenario, seed=1, rate=rate)
        self.out_dir = out_dir
        port = free_port()
        self.server = ServerThread(create_app(self.session, out_dir), port)
        self.links = dict(self.session.join_links(f"http://127.0.0.1:{port}"))
        self.session.start_pacing()

    def close(self) -> None:
        self.session.stop_pacing()
        self.server.stop(timeout_s=5)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    made: list[Served] = []

    def start(scenario: Scenario, rate: float) -> Served:
        made.append(Served(scenario, tmp_path / "run", rate))
        return made[-1]

    yield start
    for s in made:
        s.close()


def _wait_until(page: Any, expression: str, timeout: float = 30_000) -> None:
    """Poll ``expression`` in the page until it is true. (Playwright's wait_for_function
    evaluates its predicate with eval, which the consoles' Content-Security-Policy
    forbids, as it should; page.evaluate goes through the debugger instead.)"""
    deadline = time.monotonic() + timeout / 1000.0
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout / 1000.0:g} s: {expression}")
        time.sleep(0.05)


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 850})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the page must run under its Content-Security-Policy: a violation is an error
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(url)
    _wait_until(page, "document.getElementById('clock').dataset.time !== undefined")
    page.errors = errors
    return page


def launch_by_form(
    white: Any, launch: tuple[float, float], aim: tuple[float, float], threat_id: str = "wc-1"
) -> None:
    """The white cell types a ballistic launch into its inject form and presses Launch."""
    fields = {"#l-id": threat_id, "#l-lat": launch[0], "#l-lon": launch[1]}
    fields |= {"#a-lat": aim[0], "#a-lon": aim[1], "#l-burn": 40}
    for field, value in fields.items():
        white.fill(field, str(value))
    white.click("#launch")


def _sim_time(page: Any) -> float:
    return float(page.eval_on_selector("#clock", "e => e.dataset.time"))


def test_white_pause_stops_the_partner_clock(browser: Any, serve: Any) -> None:
    served = serve(short_scenario(), rate=30.0)
    white = _open(browser, served.links["white"])
    east = _open(browser, served.links["east"])
    white.click("#start")
    _wait_until(east, "Number(document.getElementById('clock').dataset.time) >= 5")
    white.click("#pause")
    _wait_until(white, "document.getElementById('clock-state').dataset.running === 'false'")
    _wait_until(east, "document.getElementById('clock-state').dataset.running === 'false'")
    stopped = _sim_time(east)
    time.sleep(1.0)
    assert _sim_time(east) == stopped == served.session.sim.time_s
    assert "PAUSED" in east.inner_text("#clock-state")
    assert "EXERCISE" in east.inner_text("#banner") and "EXERCISE" in white.inner_text("#banner")
    assert white.errors == [] and east.errors == []


def test_a_white_cell_launch_alerts_both_partners(browser: Any, serve: Any) -> None:
    served = serve(short_scenario(), rate=30.0)
    white = _open(browser, served.links["white"])
    north = _open(browser, served.links["north"])
    east = _open(browser, served.links["east"])
    for field, value in (("#l-lat", "-36.8"), ("#l-lon", "137.2"), ("#l-burn", "40")):
        white.fill(field, value)
    white.check("input[name=aim][value=range]")
    white.fill("#a-range", "200")
    white.fill("#a-az", "30")
    white.click("#launch")  # at the first tick: the clock has not started
    white.click("#start")
    launch_alert = "tr.alert[data-kind=new_threat]"
    north.wait_for_selector(launch_alert, timeout=30_000)
    east.wait_for_selector(launch_alert, timeout=30_000)
    assert east.eval_on_selector("body", "b => Number(b.dataset.beeps || 0)") >= 1
    assert not east.is_hidden("#alarm")  # the visible cue
    launched = [c for c in served.session.sim.applied if c.kind == "inject"]
    assert launched and launched[0].body["threat"]["aim"] == {"range_km": 200, "azimuth_deg": 30}
    assert launched[0].body["threat"]["accidental"] is True


def test_a_white_cell_launch_alerts_one_partner_only_when_warning_is_not_shared(
    browser: Any, serve: Any
) -> None:
    """No release rule (``policy: []``): a launch only North's satellite sees (East's is
    down, and neither partner's radars face it) alerts North's console and not East's.
    With the example's policy the same launch reaches East over the link within seconds
    (an engine-only run below shows it), so East's silence is the policy's doing."""
    from skyweave.engine.commands import parse_command
    from skyweave.engine.simulation import Simulation
    from skyweave.scenario.schema import Inject

    # the stray in North's north-west, towards Depot Bravo: seen by North's satellite only
    launch, aim = (-20.0, 125.0), (-25.3, 131.0)
    east_ir_down = Inject(time_s=0.0, kind="sensor_failure", target="east-ir-1")
    shared = short_example(120.0).model_copy(update={"threats": [], "injects": [east_ir_down]})
    stray = {
        "type": "ballistic",
        "id": "wc-1",
        "launch": {"lat_deg": launch[0], "lon_deg": launch[1]},
        "aim": {"lat_deg": aim[0], "lon_deg": aim[1]},
        "burn_time_s": 40,
        "accidental": True,
    }
    inject = parse_command({"time_s": 0.0, "seat": "white", "kind": "inject", "threat": stray})
    sim = Simulation(shared, 1, [inject])
    sim.run_until(60.0)
    received = [len(a) for a in sim.partner_view("east").alerts]
    assert sum(received) > 0, "with the example's policy East hears of it over the link"
    east_heard_s = min(float(a.time_s.min()) for a in sim.partner_view("east").alerts if len(a))
    assert east_heard_s < 60.0

    served = serve(shared.model_copy(update={"policy": []}), rate=30.0)
    white = _open(browser, served.links["white"])
    north = _open(browser, served.links["north"])
    east = _open(browser, served.links["east"])
    launch_by_form(white, launch, aim)  # at the first tick: the clock has not started
    white.click("#start")
    launch_alert = "tr.alert[data-kind=new_threat]"
    north.wait_for_selector(launch_alert, timeout=30_000)
    # well past the time East heard of it with the example's policy (from the engine run:
    # the clock North's page showed when it saw the alert can be late on a starved page,
    # and the exercise ends at 120 s)
    quiet_until_s = min(max(east_heard_s + 30.0, _sim_time(north)), 119.0)
    _wait_until(
        east,
        f"Number(document.getElementById('clock').dataset.time) >= {quiet_until_s}",
        timeout=60_000,  # 1 s at 30x; a starved page on a loaded machine takes longer
    )
    assert east.query_selector_all("tr.alert") == []
    assert east.is_hidden("#alarm") and not north.is_hidden("#alarm")
    assert "0 received" in east.inner_text("#alert-count")
    launched = [c for c in served.session.sim.applied if c.kind == "inject" and not c.scripted]
    assert launched and launched[0].body["threat"]["launch"]["lat_deg"] == launch[0]
    assert white.errors == [] and north.errors == [] and east.errors == []


def test_a_consent_granted_by_a_click_is_recorded_and_the_map_is_drawn(
    browser: Any, serve: Any
) -> None:
    # at 5x the question (asked at 105 s, answered by the policy at 254 s) stays open 30 s
    # of wall clock: time enough for a click on a loaded 2-core machine (at 20x and 120 s,
    # the policy answered before a slow Chromium had clicked). A longer delay is no help:
    # a battery that cannot wait for the answer inside its window asks nothing.
    served = serve(short_scenario(east_consent_delay_s=150.0), rate=5.0)
    session = served.session
    white_seat = next(s for s in session.seats.values() if s.name == "white")
    session.command(white_seat, {"kind": "inject", "threat": STRAY})
    with session.lock:  # straight to shortly before the question is asked (105 s)
        session.sim.run_until(95.0)
    white = _open(browser, served.links["white"])
    white.on("dialog", lambda d: d.accept())
    east = _open(browser, served.links["east"])
    white.click("#start")
    grant = ".question button.grant"
    east.wait_for_selector(grant, timeout=40_000)
    question = east.eval_on_selector(".question", "r => r.dataset.id")
    east.click(grant)
    east.mouse.move(5, 5)  # off the list: while the pointer is on it, rows stay put
    _wait_until(
        east, f"!document.querySelector('.question[data-id=\"{question}\"]')", timeout=20_000
    )
    # the map is drawn (MapLibre, WebGL): many colours, and not just the sea
    _wait_until(east, "window.staffMap && window.staffMap.loaded")
    shot = Image.open(io.BytesIO(east.locator("#map").screenshot())).convert("RGB")
    colours = shot.getcolors(maxcolors=1 << 20) or []
    sea = max(colours)[0] / (shot.width * shot.height)
    assert len(colours) > 20 and sea < 0.95, (len(colours), sea)
    white.click("#end")
    _wait_until(white, "document.getElementById('clock-state').textContent === 'ENDED'")
    events = pq.read_table(served.out_dir / "events.parquet").to_pylist()
    granted = [e for e in events if e["kind"] == "consent_granted" and "by=east" in e["text"]]
    assert len(granted) == 1 and f"question={question}" in granted[0]["text"]
    # recorded at the tick the click was stamped with (the command log says which)
    logged = [json.loads(line) for line in (served.out_dir / "commands.jsonl").open()]
    consent = [c for c in logged if c["kind"] == "consent"]
    assert consent == [
        {
            "kind": "consent",
            "seat": "east",
            "question_id": question,
            "granted": True,
            "time_s": granted[0]["time_s"],
        }
    ]
