"""The exercise's web server: the consoles' pages, their actions and their pushes.

Routes (every one but the page and its static files needs a seat's ``token``
query parameter: none or an unknown one gives 401, or a websocket closed with
code 4401):

* ``GET /``: the console page (it asks ``/api/setup`` who it is);
* ``GET /api/setup``: the seat's static console (map, sites, menus);
* ``GET /api/frame``: the seat's console now;
* ``POST /api/command``: an order, checked against the seat (403 otherwise),
  stamped with the next tick's time and queued in the engine;
* ``POST /api/clock``: start, pause, resume, step, rate (white cell only); in
  review (:class:`~skyweave.exercise.review.ReviewSession`) only ``seek`` with
  ``time_s`` (the slider), every other action 403;
* ``POST /api/end``: end the exercise and write its run folder (white cell only;
  403 in review);
* ``WS /ws``: the seat's frames, pushed as the clock moves; the white cell may
  send ``{"view_as": PARTNER}`` (or null) to look through a partner's eyes.

The page decides nothing: what it shows is what the server sent, and what it
does is a request the server may refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from skyweave.errors import InputError
from skyweave.exercise.review import ReviewSession
from skyweave.exercise.session import ClockError, ExerciseSession, Seat, SeatError

#: shortest wall time between two frames pushed to one console
FRAME_PERIOD_S = 0.2
#: a frame is pushed at least this often even when nothing changed (clock display)
IDLE_PERIOD_S = 1.0
#: close code of a websocket opened without a valid token
WS_UNAUTHORISED = 4401

_STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
#: the browser libraries ``make setup`` copies from node_modules (package-lock.json)
VENDOR_DIR = "vendor"


def _static(name: str, folder: str | None = None) -> bytes | None:
    """A file shipped in ``skyweave/exercise/static`` (or its ``folder``; None if absent)."""
    if "/" in name or name.startswith("."):
        return None
    path = resources.files("skyweave.exercise").joinpath("static")
    if folder is not None:
        path = path.joinpath(folder)
    path = path.joinpath(name)
    if not path.is_file():
        return None
    return path.read_bytes()


class Consoles:
    """The consoles connected now (seat presence) and the end of the exercise as they are
    told it: ``ending`` is set the moment the white cell presses End, before the run
    folder is written (which holds the session's lock for seconds), ``ended`` once it is.
    Every console's push loop waits on these, so each is told within one frame period."""

    def __init__(self) -> None:
        self.presence: dict[str, int] = {}
        self.ending = asyncio.Event()
        self.ended = asyncio.Event()
        self.notice: dict[str, dict[str, Any]] = {}

    def joined(self, seat: Seat) -> None:
        self.presence[seat.name] = self.presence.get(seat.name, 0) + 1

    def left(self, seat: Seat) -> None:
        self.presence[seat.name] = self.presence.get(seat.name, 1) - 1
        if self.presence[seat.name] <= 0:
            del self.presence[seat.name]

    def announce_end(self, time_s: float) -> None:
        self.ended.clear()
        self.notice.pop("failed", None)
        self.notice["ending"] = {"type": "ending", "time_s": time_s}
        self.ending.set()

    def announce_ended(self, time_s: float, run_dir: Path | None, error: str | None) -> None:
        """The folder is written (``run_dir``), or it could not be (``error``: play goes on)."""
        if error is not None:
            self.notice["failed"] = {"type": "end_failed", "error": error}
            self.ending.clear()
        else:
            self.notice["ended"] = {"type": "ended", "time_s": time_s, "run_dir": str(run_dir)}
        self.ended.set()


def create_app(
    session: ExerciseSession | ReviewSession,
    out_dir: Path,
    overwrite: bool = False,
    on_end: Callable[[Path], None] | None = None,
    frame_period_s: float = FRAME_PERIOD_S,
) -> FastAPI:
    """The FastAPI application serving one exercise session.

    Parameters
    ----------
    session : ExerciseSession or ReviewSession
        A live exercise, or a finished run opened for review (read-only).
    out_dir : Path
        Where ending the exercise writes its run folder.
    overwrite : bool
        Replace an existing non-empty ``out_dir`` at the end.
    on_end : callable, optional
        Called with the folder once the white cell has ended the exercise (the
        command line stops the server there).
    frame_period_s : float
        Shortest wall time between two frames pushed to one console.
    """
    app = FastAPI(title="Skyweave exercise", docs_url=None, redoc_url=None, openapi_url=None)
    consoles = Consoles()

    def seat_of(token: str | None) -> Seat | None:
        return session.seat(token)

    def unauthorised() -> JSONResponse:
        return JSONResponse({"error": "a valid seat token is required"}, status_code=401)

    @app.get("/", response_class=HTMLResponse)
    def page() -> Response:
        body = _static("index.html") or b""
        return Response(body, media_type=_STATIC_TYPES[".html"], headers=_NO_CACHE)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        body = _static(name)
        if body is None:
            return Response(status_code=404)
        media = _STATIC_TYPES.get(Path(name).suffix, "application/octet-stream")
        return Response(body, media_type=media, headers=_NO_CACHE)

    @app.get("/static/vendor/{name}")
    def vendor(name: str) -> Response:
        # the map and symbol libraries change only with package-lock.json: cacheable
        body = _static(name, VENDOR_DIR)
        if body is None:
            return Response(f"{name} is not installed: run `make setup` (npm ci)", status_code=404)
        media = _STATIC_TYPES.get(Path(name).suffix, "application/octet-stream")
        return Response(body, media_type=media, headers={"Cache-Control": "max-age=3600"})

    @app.get("/api/setup")
    def api_setup(token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        return JSONResponse(session.setup(seat))

    @app.get("/api/frame")
    def api_frame(token: str | None = None, view_as: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        frame = session.frame(seat, view_as)
        if seat.role == "white":
            frame["presence"] = dict(consoles.presence)
        return JSONResponse(frame)

    @app.post("/api/command")
    async def api_command(request: Request, token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        try:
            record = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected a JSON body"}, status_code=400)
        try:
            command = await run_in_threadpool(session.command, seat, record)
        except SeatError as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        except InputError as exc:
            return JSONResponse({"error": "; ".join(str(p) for p in exc.problems)}, status_code=400)
        except ClockError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(
            {"accepted": True, "time_s": command.time_s, "kind": command.kind}, status_code=202
        )

    @app.post("/api/clock")
    async def api_clock(request: Request, token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        try:
            body = await request.json()
            action = str(body.get("action"))
            rate = body.get("time_s") if action == "seek" else body.get("rate")
            state = await run_in_threadpool(session.clock, seat, action, rate)
        except SeatError as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        except ClockError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(state)

    @app.post("/api/end")
    async def api_end(token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        if seat.role != "white":
            return JSONResponse({"error": "only the white cell ends the exercise"}, 403)
        if isinstance(session, ReviewSession):
            return JSONResponse({"error": "review is read-only: there is nothing to end"}, 403)
        # every console is told now; writing the folder takes a while
        consoles.announce_end(session.clock_state()["time_s"])
        try:
            folder = await run_in_threadpool(session.end, out_dir, overwrite)
        except SeatError as exc:
            consoles.announce_ended(0.0, None, str(exc))
            return JSONResponse({"error": str(exc)}, status_code=403)
        except InputError as exc:
            error = "; ".join(str(p) for p in exc.problems)
            consoles.announce_ended(0.0, None, error)
            return JSONResponse({"error": error}, status_code=409)
        consoles.announce_ended(session.clock_state()["time_s"], folder, None)
        if on_end is not None:
            on_end(folder)
        return JSONResponse({"ended": True, "run_dir": str(folder)})

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, token: str | None = None) -> None:
        seat = seat_of(token)
        if seat is None:
            await websocket.close(code=WS_UNAUTHORISED)
            return
        await websocket.accept()
        consoles.joined(seat)
        wanted: dict[str, Any] = {"view_as": None, "version": -1}

        async def receive() -> None:
            while True:
                message = await websocket.receive_json()
                if seat.role == "white" and isinstance(message, dict) and "view_as" in message:
                    wanted["view_as"] = message["view_as"]
                    wanted["version"] = -1  # push the new view at once

        async def frame_now() -> dict[str, Any] | None:
            """The seat's frame, or None if End was pressed while it was being built."""
            build = asyncio.ensure_future(run_in_threadpool(session.frame, seat, wanted["view_as"]))
            stop = asyncio.ensure_future(consoles.ending.wait())
            done, _ = await asyncio.wait({build, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if build not in done:
                build.add_done_callback(lambda f: f.exception())  # finishes after the end
                return None
            frame = build.result()
            if seat.role == "white":
                frame["presence"] = dict(consoles.presence)
            return frame

        async def play() -> None:
            """Frames as the clock moves, until End is pressed."""
            loop = asyncio.get_running_loop()
            last_push = -1e9
            while not consoles.ending.is_set():
                now = loop.time()
                if wanted["version"] != session.version or now - last_push > IDLE_PERIOD_S:
                    version = session.version
                    frame = await frame_now()
                    if frame is None:
                        return
                    await websocket.send_json(frame)
                    wanted["version"] = version
                    last_push = now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(consoles.ending.wait(), frame_period_s)

        async def push() -> None:
            await websocket.send_json(session.setup(seat))
            while True:
                await play()
                await websocket.send_json(consoles.notice["ending"])
                await consoles.ended.wait()
                if "ended" in consoles.notice:
                    break
                await websocket.send_json(consoles.notice["failed"])  # play goes on
            await websocket.send_json(consoles.notice["ended"])
            # the final state, once the folder is written (the lock is free again)
            await websocket.send_json(await run_in_threadpool(session.frame, seat, None))
            await asyncio.Event().wait()  # stay open until the page or the server goes

        tasks = [asyncio.ensure_future(receive()), asyncio.ensure_future(push())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            consoles.left(seat)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task
            with contextlib.suppress(Exception):
                await websocket.close()

    return app


_NO_CACHE = {"Cache-Control": "no-store"}

__all__ = ["create_app"]
