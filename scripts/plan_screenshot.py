"""The planning console's screenshot for the README (docs/images/planning-console.png).

Opens a planning session on ``examples/joint-exercise.yaml`` cut to its first 900 s
(the raid, not the stray launch), lets North move a battery and East offer North its
engagement orders (North accepts), assesses the plan over 8 seeded runs in the batch
pool, and photographs the white cell's console at 1600x1000 in Debian's chromium
driven by Playwright (``--enable-unsafe-swiftshader`` for the map's WebGL).

Run from the repository root after ``make setup`` (a few minutes: eight runs)::

    .venv/bin/python scripts/plan_screenshot.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright

from skyweave.exercise.plan_routes import create_plan_app
from skyweave.exercise.planning import PlanningSession
from skyweave.scenario.load import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--enable-unsafe-swiftshader"]
DURATION_S = 900.0
RUNS = 8


def _wait(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll in the page (its Content-Security-Policy forbids Playwright's eval-based wait)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    s = load_scenario(EXAMPLE)
    s = s.model_copy(
        update={
            "duration_s": DURATION_S,
            "threats": [
                t
                for t in s.threats
                if t.launch_time_s < DURATION_S and not (getattr(t, "accidental", False))
            ],
            "injects": [i for i in s.injects if i.time_s < DURATION_S],
        }
    )
    plan = PlanningSession(s, seed=1, workers=2)
    seats = {seat.name: seat for seat in plan.seats.values()}
    plan.edit(
        seats["north"], {"kind": "place", "unit": "north-bty-2", "lat_deg": -24.6, "lon_deg": 132.4}
    )
    plan.edit(seats["east"], {"kind": "asset_value", "asset": "base-echo", "value": 120})
    plan.edit(
        seats["east"],
        {"kind": "offer", "to": "north", "data_class": "engagement_orders", "release": True},
    )
    plan.edit(
        seats["north"],
        {"kind": "accept", "from": "east", "data_class": "engagement_orders", "accept": True},
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_plan_app(plan), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    links = dict(plan.join_links(f"http://127.0.0.1:{port}"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(links["white"])
        _wait(page, "!!window.planMap && window.planMap.loaded()")
        page.fill("#assess-runs", str(RUNS))
        page.click("#assess")
        started = time.monotonic()
        _wait(
            page, f"document.getElementById('assess-done')?.textContent === '{RUNS}/{RUNS}'", 1800
        )
        print(f"assessed {RUNS} runs in {time.monotonic() - started:.0f} s")
        page.mouse.move(5, 300)
        time.sleep(2.0)
        path = args.out / "planning-console.png"
        page.screenshot(path=str(path))
        print(f"wrote {path}")
        browser.close()
    server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
