"""The planning phase in a real browser (Playwright driving Debian's chromium): North's
staff drags a battery and East's staff places one by clicking the map, each offers its
launch alerts to the other and accepts the other's, the white cell assesses the plan
over 8 seeded runs and locks it, and the exercise starts from the locked plan on the
same address with the same links: its run folder's ``scenario.json`` holds the moved
batteries and the agreed policy, and ``plan.json`` the locked plan."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")


from local_server import ServerThread as Server  # noqa: E402
from local_server import free_port  # noqa: E402
from plan_scenario import plan_scenario  # noqa: E402
from skyweave.exercise.plan_record import add_plan_to_run, plan_text  # noqa: E402
from skyweave.exercise.plan_routes import create_plan_app  # noqa: E402
from skyweave.exercise.planning import PlanningSession  # noqa: E402
from skyweave.exercise.server import create_app  # noqa: E402
from skyweave.exercise.session import ExerciseSession  # noqa: E402
from skyweave.scenario.deployment import great_circle_km  # noqa: E402
from test_exercise_browser import ARGS, CHROMIUM  # noqa: E402

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="Debian's chromium is not installed (/usr/bin/chromium; make system-deps)",
)

#: where the staffs move their batteries (inside their deployment areas)
NORTH_TO = (-24.6, 132.2)  # north-bty-2, dragged
EAST_TO = (-32.4, 138.6)  # east-bty-2, placed by a click


def _wait_until(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` in the page (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if page.evaluate(expression):
                return
        except sync_api.Error:  # the page navigated meanwhile (planning to exercise)
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout_s:g} s: {expression}")
        time.sleep(0.05)


def _open(browser: Any, url: str, size: tuple[int, int] = (1100, 750)) -> Any:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(url)
    _wait_until(page, "document.body.dataset.version !== undefined && !!window.planMap")
    _wait_until(page, "window.planMap.loaded()")
    page.errors = errors
    return page


def _pixel(page: Any, lat: float, lon: float) -> tuple[float, float]:
    """The page coordinates of a point on the planning map."""
    box = page.locator("#map").bounding_box()
    x, y = page.evaluate(
        f"(() => {{ const p = window.planMap.project([{lon}, {lat}]); return [p.x, p.y]; }})()"
    )
    return box["x"] + x, box["y"] + y


def _version(page: Any) -> int:
    return int(page.evaluate("Number(document.body.dataset.version)"))


def _tick(page: Any, selector: str) -> None:
    """Check a checkbox once it is enabled (an offer reaches the receiver's page by its poll)."""
    _wait_until(
        page,
        f"!!document.querySelector('{selector}') && !document.querySelector('{selector}').disabled",
    )
    before = _version(page)
    page.check(selector)
    _wait_until(page, f"Number(document.body.dataset.version) > {before}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_two_staffs_plan_the_white_cell_locks_and_the_exercise_runs_the_plan(
    browser: Any, tmp_path: Path
) -> None:
    base = plan_scenario()
    plan = PlanningSession(base, seed=1, workers=1)
    started = threading.Event()
    port = free_port()
    served = Server(create_plan_app(plan, started.set), port)
    links = dict(plan.join_links(f"http://127.0.0.1:{port}"))
    exercise_server = None
    try:
        north, east = _open(browser, links["north"]), _open(browser, links["east"])
        white = _open(browser, links["white"])

        # North drags north-bty-2 to its new site
        marker = north.locator('.unit[data-unit="north-bty-2"] canvas')
        box = marker.bounding_box()
        north.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        north.mouse.down()
        tx, ty = _pixel(north, *NORTH_TO)
        north.mouse.move(tx, ty, steps=12)
        north.mouse.up()
        _wait_until(north, "Number(document.body.dataset.version) >= 1")
        # East presses Place on east-bty-2, then clicks the map
        east.click('#unit-east-bty-2 button[data-act="place"]')
        east.mouse.click(*_pixel(east, *EAST_TO))
        _wait_until(east, "Number(document.body.dataset.version) >= 2")
        # a battery dropped outside its areas is refused, with the reason
        east.click('#unit-east-bty-1 button[data-act="place"]')
        east.mouse.click(*_pixel(east, -25.0, 134.0))
        _wait_until(east, "document.getElementById('plan-message').className === 'error'")
        assert "outside east's deployment areas" in east.inner_text("#plan-message")

        # each offers its launch alerts to the other, and accepts the other's
        _tick(north, "#rel-north-east-launch_alerts input")
        _tick(east, "#rel-east-north-launch_alerts input")
        _tick(north, "#rel-east-north-launch_alerts input")
        _tick(east, "#rel-north-east-launch_alerts input")
        _wait_until(
            north, "document.querySelector('#rel-east-north-launch_alerts td.agreed') !== null"
        )
        _wait_until(
            east, "document.querySelector('#rel-north-east-launch_alerts td.agreed') !== null"
        )

        # the white cell assesses the plan over 8 seeded runs
        _wait_until(white, f"Number(document.body.dataset.version) === {plan.version}")
        white.fill("#assess-runs", "8")
        white.click("#assess")
        _wait_until(white, "document.getElementById('assess-done')?.textContent === '8/8'", 120)
        _wait_until(white, "!document.getElementById('assess').disabled")
        assessment = plan.assessment.view() if plan.assessment else {}
        assert assessment["done"] == 8 and assessment["failed"] == 0
        assert assessment["version"] == plan.version
        assert assessment["leakers"]["n"] == 8
        assert white.inner_text("#assess-leakers").startswith(
            f"{assessment['leakers']['mean']:.2f}"
        )

        # and locks it: no staff edits after that
        white.click("#lock")
        _wait_until(white, "document.body.dataset.locked === 'true'")
        assert plan.locked_version == plan.version
        _wait_until(north, "document.body.dataset.locked === 'true'")
        assert north.locator('#unit-north-bty-1 button[data-act="place"]').count() == 0

        # Start: the planning server gives way to the exercise, same address, same links
        white.click("#start")
        assert started.wait(10)
        served.stop()
        session = ExerciseSession(plan.locked_scenario(), seed=1, rate=60)
        session.seats = dict(plan.seats)
        out = tmp_path / "run"
        app = create_app(
            session, out, plan=plan, on_end=lambda folder: add_plan_to_run(folder, plan_text(plan))
        )
        exercise_server = Server(app, port)
        _wait_until(white, "document.getElementById('clock')?.dataset.time !== undefined", 30)
        assert white.url.startswith(f"http://127.0.0.1:{port}/?token=")
        for page in (north, east, white):
            assert page.errors == []

        white_seat = next(seat for seat in plan.seats.values() if seat.role == "white")
        for _ in range(3):  # a few ticks played (a report's timeline needs some time)
            session.clock(white_seat, "step")
        request = urllib.request.Request(
            f"{links['white']}".replace("/?token=", "/api/end?token="), method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            folder = Path(json.loads(answer.read())["run_dir"])
    finally:
        if exercise_server is not None:
            exercise_server.stop()
        else:
            served.stop()

    scenario = json.loads((folder / "scenario.json").read_text())
    batteries = {b["id"]: b for b in scenario["batteries"]}
    record = json.loads((folder / "plan.json").read_text())
    originals = {b.id: b for b in base.batteries}
    for bid, (lat, lon) in (("north-bty-2", NORTH_TO), ("east-bty-2", EAST_TO)):
        b = batteries[bid]
        # where the plan put it: where the staff dropped it, to a few pixels of the map
        # (a pixel is some 5 km at this zoom), and well away from where it stood
        assert record["placements"][bid] == {"lat_deg": b["lat_deg"], "lon_deg": b["lon_deg"]}
        assert great_circle_km(b["lat_deg"], b["lon_deg"], lat, lon) < 30.0
        was = originals[bid]
        assert great_circle_km(was.lat_deg, was.lon_deg, lat, lon) > 80.0
    for b in base.batteries:
        if b.id not in ("north-bty-2", "east-bty-2"):
            assert (batteries[b.id]["lat_deg"], batteries[b.id]["lon_deg"]) == (
                b.lat_deg,
                b.lon_deg,
            )
    alerts = sorted(
        (r["from"], tuple(r["to"]))
        for r in scenario["policy"]
        if r["data_class"] == "launch_alerts"
    )
    assert alerts == [("east", ("north",)), ("north", ("east",))]
    assert record["locked_version"] == plan.locked_version
    assert record["assessment_of_locked"] is True
    marker = json.loads((folder / ".skyweave-run").read_text())
    assert "plan.json" in marker["files"]
    assert '<section id="plan">' in (folder / "report.html").read_text()
