"""Screenshots of the exercise consoles for the README (docs/images/).

Plays ``examples/joint-exercise.yaml`` (seed 1) on a local server and photographs the
white cell, North and East at 400 s and 1000 s, 1600x1000, in Debian's chromium driven
by Playwright (``--enable-unsafe-swiftshader`` for the map's WebGL). The last minute
before each instant is stepped slowly so the consoles receive it as they would in
play (the trails are drawn from the frames a console has seen). The script also
checks that no two map labels overlap in any picture, and stops if they do.

Run from the repository root after ``make setup``::

    .venv/bin/python scripts/console_screenshots.py [--out docs/images]
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

from skyweave.exercise.server import create_app
from skyweave.exercise.session import ExerciseSession
from skyweave.scenario.load import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--enable-unsafe-swiftshader"]
SEATS = ("white", "north", "east")
TIMES_S = (400.0, 1000.0)
#: simulated seconds before each instant that the consoles watch go by
LEAD_IN_S = 90.0
#: wall seconds per tick while they watch
TICK_WALL_S = 0.08

OVERLAPS = """() => {
  const b = [...document.querySelectorAll('.map-label')].filter((e) => !e.hidden)
    .map((e) => [e.textContent, e.getBoundingClientRect()]);
  const out = [];
  for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) {
    const [p, q] = [b[i][1], b[j][1]];
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom)
      out.push([b[i][0], b[j][0]]);
  }
  return out;
}"""


def _serve(session: ExerciseSession, out: Path) -> tuple[uvicorn.Server, dict[str, str]]:
    app = create_app(session, out, overwrite=True, frame_period_s=0.1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, dict(session.join_links(f"http://127.0.0.1:{port}"))


def _wait(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll in the page (its Content-Security-Policy forbids Playwright's eval-based wait)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    session = ExerciseSession(load_scenario(EXAMPLE), seed=1, rate=10.0)
    server, links = _serve(session, Path("/tmp/skyweave-screenshots-run"))
    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = {}
        for seat in SEATS:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(links[seat])
            _wait(page, "window.staffMap && window.staffMap.loaded")
            pages[seat] = page
        for at_s in TIMES_S:
            with session.lock:
                session.sim.run_until(at_s - LEAD_IN_S)
                session.version += 1
            while session.sim.time_s < at_s:
                with session.lock:
                    session.sim.step()
                    session.version += 1
                time.sleep(TICK_WALL_S)
            time.sleep(2.5)  # the last frame, a map draw and its labels
            for seat, page in pages.items():
                page.mouse.move(5, 5)
                path = args.out / f"console-{seat}-{int(at_s)}s.png"
                page.screenshot(path=str(path))
                overlaps = page.evaluate(OVERLAPS)
                print(f"{path}: {len(overlaps)} overlapping labels")
                failed |= bool(overlaps)
        browser.close()
    server.should_exit = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
