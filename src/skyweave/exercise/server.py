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
}


def _static(name: str) -> bytes | None:
    """A file shipped in ``skyweave/exercise/static`` (None if absent)."""
    if "/" in name or name.startswith("."):
        return None
    path = resources.files("skyweave.exercise").joinpath("static").joinpath(name)
    if not path.is_file():
        return None
    return path.read_bytes()


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
        return JSONResponse(session.frame(seat, view_as))

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
        try:
            folder = await run_in_threadpool(session.end, out_dir, overwrite)
        except SeatError as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        except InputError as exc:
            return JSONResponse({"error": "; ".join(str(p) for p in exc.problems)}, status_code=409)
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
        wanted: dict[str, Any] = {"view_as": None, "version": -1}

        async def receive() -> None:
            while True:
                message = await websocket.receive_json()
                if seat.role == "white" and isinstance(message, dict) and "view_as" in message:
                    wanted["view_as"] = message["view_as"]
                    wanted["version"] = -1  # push the new view at once

        async def push() -> None:
            await websocket.send_json(session.setup(seat))
            loop = asyncio.get_running_loop()
            last_push = -1e9
            while True:
                now = loop.time()
                if wanted["version"] != session.version or now - last_push > IDLE_PERIOD_S:
                    version = session.version
                    frame = await run_in_threadpool(session.frame, seat, wanted["view_as"])
                    await websocket.send_json(frame)
                    wanted["version"] = version
                    last_push = now
                await asyncio.sleep(frame_period_s)

        tasks = [asyncio.ensure_future(receive()), asyncio.ensure_future(push())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
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
