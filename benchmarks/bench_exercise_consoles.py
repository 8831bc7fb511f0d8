"""Benchmark: the live exercise's consoles over websockets (issue 11).

Run by hand, for example::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_exercise_consoles.py --case example \
        --wall-s 60
    PYTHONPATH=src .venv/bin/python benchmarks/bench_exercise_consoles.py --case large \\
        --wall-s 60 --start-s 300

Cases:

* ``example``: ``examples/joint-exercise.yaml`` at 10x (``--rate``) with the
  white cell and both partners' consoles connected;
* ``large``: ``examples/large-raid.yaml`` at 1x with the white cell and every
  partner's console connected, for a bounded wall time.

``--start-s`` first runs the engine (unpaced, no console connected) to a busier
part of the scenario.

The server is the real one (:func:`skyweave.exercise.server.create_app` under
uvicorn, in a thread of this process, on 127.0.0.1); the consoles are websocket
clients in a child process (the ``websockets`` package), so their JSON decoding
does not share this process's interpreter lock. Both read the same monotonic
clock (``CLOCK_MONOTONIC``), so the parent can line up what a console received
with when the engine got there.

Measured:

* **frame build time** per seat: the time inside ``partner_frame`` /
  ``truth_frame`` (the frame builder alone), and the time of the whole
  ``ExerciseSession.frame`` call (which also waits for the engine's lock while a
  tick runs);
* **bytes per frame** per seat, as received (UTF-8 JSON text);
* **lag of the newest frame behind simulation time**, two ways: for every tick
  the clock ran, the wall time from the engine finishing it to the console
  holding a frame at least that new (``tick_to_console_ms``; the issue's target
  is under 250 ms); and for every frame received, how long the engine had
  already been past the frame's time when it arrived (``lag_ms``, 0 when the
  frame was still current) and how many simulated seconds ahead it was;
* the **achieved rate** (simulated over wall seconds while the clock ran) and
  the pacer's own estimate.

Prints a markdown summary and writes the records as JSON to
``benchmarks/results/exercise_consoles-<case>-<UTC time>.json`` (gitignored
scratch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CASES = {
    "example": (ROOT / "examples" / "joint-exercise.yaml", 10.0),
    "large": (ROOT / "examples" / "large-raid.yaml", 1.0),
}
#: the issue's target for the newest frame's lag behind the engine (wall ms)
LAG_TARGET_MS = 250.0


# -- the consoles (child process) ------------------------------------------------------------


async def _console(url: str, seat: str, until: float, out: list[dict[str, Any]]) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, open_timeout=30) as ws:
        while time.monotonic() < until:
            try:
                text = await asyncio.wait_for(
                    ws.recv(), timeout=max(until - time.monotonic(), 0.01)
                )
            except TimeoutError:
                break
            got = time.monotonic()
            frame = json.loads(text)
            size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
            clock = frame.get("clock") or {}
            out.append(
                {
                    "seat": seat,
                    "type": frame.get("type"),
                    "received": got,
                    "bytes": size,
                    "time_s": clock.get("time_s"),
                    "tick": clock.get("tick"),
                }
            )


async def _consoles(urls: dict[str, str], wall_s: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    until = time.monotonic() + wall_s
    await asyncio.gather(*(_console(u, s, until, out) for s, u in urls.items()))
    return out


def run_consoles(urls_json: str, wall_s: float) -> None:
    """The child: connect every console, record each frame, print the records as JSON."""
    urls = json.loads(urls_json)
    print(json.dumps(asyncio.run(_consoles(urls, wall_s))))


# -- the server (this process) ----------------------------------------------------------------


def _timed(fn: Callable[..., Any], into: list[tuple[str, float]], key: Callable[..., str]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append((key(*args, **kwargs), time.perf_counter() - start))

    return wrapper


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stats(values: list[float], digits: int = 1) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median": None, "p95": None, "max": None}
    a = np.asarray(values, dtype=np.float64)
    return {
        "n": int(a.size),
        "median": round(float(np.median(a)), digits),
        "p95": round(float(np.percentile(a, 95)), digits),
        "max": round(float(a.max()), digits),
    }


def bench(
    case: str, wall_s: float, rate: float | None, start_s: float, seed: int
) -> dict[str, Any]:
    """Serve one case, connect its consoles for ``wall_s`` and measure (see the docstring)."""
    import uvicorn

    import skyweave.exercise.session as session_module
    from skyweave.exercise.server import create_app
    from skyweave.exercise.session import ExerciseSession
    from skyweave.scenario import load_scenario

    path, default_rate = CASES[case]
    rate = default_rate if rate is None else rate
    t0 = time.perf_counter()
    scenario = load_scenario(path)
    session = ExerciseSession(scenario, seed=seed, rate=rate)
    built_s = time.perf_counter() - t0
    if start_s > 0:
        with session.lock:
            session.sim.run_until(start_s)
    forward_s = time.perf_counter() - t0 - built_s

    # instrument: the frame builders, the whole frame call, and every tick's wall time
    builds: list[tuple[str, float]] = []
    served: list[tuple[str, float]] = []
    session_module.partner_frame = _timed(  # type: ignore[attr-defined]
        session_module.partner_frame, builds, lambda sim, partner, *a, **k: partner
    )
    session_module.truth_frame = _timed(  # type: ignore[attr-defined]
        session_module.truth_frame, builds, lambda sim, *a, **k: "white"
    )
    session.frame = _timed(session.frame, served, lambda seat, *a, **k: seat.name)  # type: ignore[method-assign]
    ticks: list[tuple[float, float]] = []
    step = session.sim.step

    def timed_step() -> None:
        step()
        ticks.append((time.monotonic(), session.sim.time_s))

    session.sim.step = timed_step  # type: ignore[method-assign]

    port = _free_port()
    app = create_app(session, RESULTS / "exercise-bench-run")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    tokens = {seat.name: token for token, seat in session.seats.items()}
    seats = ["white", *session.sim.partners]
    urls = {s: f"ws://127.0.0.1:{port}/ws?token={tokens[s]}" for s in seats}
    white = next(seat for seat in session.seats.values() if seat.name == "white")
    child = subprocess.Popen(
        [sys.executable, __file__, "--client", json.dumps(urls), "--wall-s", str(wall_s + 1.0)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # the consoles connect and receive their setup
    session.start_pacing()
    load_before = os.getloadavg()[0]
    clock_start = time.monotonic()
    sim_start = max(session.sim.time_s, 0.0)
    session.clock(white, "start")
    time.sleep(wall_s)
    clock_stop = time.monotonic()
    pacer_rate = session.pacer.achieved_rate()
    session.clock(white, "pause")
    sim_stop = session.sim.time_s
    load_after = os.getloadavg()[0]
    stdout, _ = child.communicate(timeout=wall_s + 60.0)
    session.stop_pacing()
    server.should_exit = True
    thread.join(timeout=5)
    records = json.loads(stdout)

    tick_wall = np.array([w for w, _ in ticks])
    tick_sim = np.array([s for _, s in ticks])
    per_seat: dict[str, Any] = {}
    for seat in seats:
        frames = [
            r
            for r in records
            if r["seat"] == seat and r["type"] == "frame" and r["received"] >= clock_start
        ]
        lag_ms, ahead_s = [], []
        for r in frames:
            # the first tick past the frame's time: from then on, the frame was stale
            k = int(np.searchsorted(tick_sim, r["time_s"] + 1e-9, side="left"))
            stale_since = tick_wall[k] if k < len(tick_wall) else np.inf
            lag_ms.append(max(r["received"] - stale_since, 0.0) * 1e3)
            j = int(np.searchsorted(tick_wall, r["received"], side="right")) - 1
            ahead_s.append(float(tick_sim[j]) - r["time_s"] if j >= 0 else 0.0)
        # every tick the clock ran: how long until this console held a frame that new
        got_wall = np.array([r["received"] for r in frames])
        got_sim = np.maximum.accumulate(np.array([r["time_s"] for r in frames], dtype=float))
        tick_ms = []
        for w, t in ticks:
            if w < clock_start or not len(frames):
                continue
            k = int(np.searchsorted(got_sim, t - 1e-9, side="left"))
            if k < len(frames):
                tick_ms.append((got_wall[k] - w) * 1e3)
        gaps = np.diff([r["received"] for r in frames]) * 1e3 if len(frames) > 1 else []
        setup = [r["bytes"] for r in records if r["seat"] == seat and r["type"] == "setup"]
        per_seat[seat] = {
            "frames": len(frames),
            "build_ms": _stats([d * 1e3 for s, d in builds if s == seat], 2),
            "frame_call_ms": _stats([d * 1e3 for s, d in served if s == seat], 2),
            "bytes": _stats([float(r["bytes"]) for r in frames], 0),
            "setup_bytes": setup[0] if setup else None,
            "lag_ms": _stats(lag_ms, 0),
            "tick_to_console_ms": _stats(tick_ms, 0),
            "sim_ahead_s": _stats(ahead_s, 2),
            "frame_interval_ms": _stats(list(gaps), 0),
        }
    return {
        "case": case,
        "scenario": str(path.relative_to(ROOT)),
        "seed": seed,
        "rate": rate,
        "wall_s": wall_s,
        "start_s": start_s,
        "session_build_s": round(built_s, 2),
        "fast_forward_s": round(forward_s, 2),
        "sim_start_s": sim_start,
        "sim_stop_s": sim_stop,
        "achieved_rate": round((sim_stop - sim_start) / (clock_stop - clock_start), 3),
        "pacer_achieved_rate": None if pacer_rate is None else round(pacer_rate, 3),
        "ticks": len(ticks),
        "seats": per_seat,
        "lag_target_ms": LAG_TARGET_MS,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": round(load_before, 2),
            "load_after": round(load_after, 2),
        },
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['case']} ({result['scenario']}) at {result['rate']:g}x for "
        f"{result['wall_s']:g} s wall, simulated {result['sim_start_s']:g} to "
        f"{result['sim_stop_s']:g} s: achieved {result['achieved_rate']:g}x "
        f"(pacer {result['pacer_achieved_rate']}), load {result['machine']['load_before']}"
        f" to {result['machine']['load_after']}",
        "",
        "| seat | frames | build ms median / p95 / max | frame call ms median / p95 | "
        "bytes median / max | tick to console ms median / p95 / max | "
        "stale at receipt ms median / max | sim s ahead median / max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seat, m in result["seats"].items():
        b, c, n, lag, ah, tc = (
            m["build_ms"],
            m["frame_call_ms"],
            m["bytes"],
            m["lag_ms"],
            m["sim_ahead_s"],
            m["tick_to_console_ms"],
        )
        lines.append(
            f"| {seat} | {m['frames']} | {b['median']} / {b['p95']} / {b['max']} | "
            f"{c['median']} / {c['p95']} | {n['median']:.0f} / {n['max']:.0f} | "
            f"{tc['median']} / {tc['p95']} / {tc['max']} | {lag['median']} / {lag['max']} | "
            f"{ah['median']} / {ah['max']} |"
            if m["frames"]
            else f"| {seat} | 0 | - | - | - | - | - | - |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--case", choices=[*CASES, "both"], default="example")
    parser.add_argument("--wall-s", type=float, default=None, help="default 40 (example), 60")
    parser.add_argument("--rate", type=float, default=None, help="default 10 (example), 1 (large)")
    parser.add_argument("--start-s", type=float, default=0.0, help="run the engine to here first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client is not None:
        run_consoles(args.client, args.wall_s)
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    cases = list(CASES) if args.case == "both" else [args.case]
    for case in cases:
        wall_s = args.wall_s if args.wall_s is not None else (40.0 if case == "example" else 60.0)
        start_s = args.start_s
        result = bench(case, wall_s, args.rate, start_s, args.seed)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"exercise_consoles-{case}-{stamp}.json"
        out.write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(_markdown(result))
        print(f"\n(records: {out})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
