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
* ``POST /api/rewind``: ``{"to_s": T, "branch": NAME}``, go back to the tick at ``T``
  and play on as branch ``NAME`` (white cell only; 403 in review); every console's
  next frame carries the clock's new ``rewinds`` count and jumps back;
* ``POST /api/end``: end the exercise and write its run folder (white cell only;
  403 in review);
* ``WS /ws``: the seat's frames, pushed as the clock moves; the white cell may
  send ``{"view_as": PARTNER}`` (or null) to look through a partner's eyes.

The page decides nothing: what it shows is what the server sent, and what it
does is a request the server may refuse. No request can break the exercise for
the other seats: a body is at most 64 KiB (413), decoded within depth and number
limits and checked by the one command validator (400, never 500), each seat may
give at most :data:`COMMANDS_PER_S` orders a second on average (429), a websocket
whose ``Origin`` is not this server is closed (4403), and every answer carries a
Content-Security-Policy (``default-src 'self'``), ``Referrer-Policy: no-referrer``
and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from skyweave.engine.command_validation import MAX_COMMAND_BYTES, parse_json_text
from skyweave.errors import InputError, Problem
from skyweave.exercise.planning import PlanningSession
from skyweave.exercise.review import ReviewSession
from skyweave.exercise.session import ClockError, ExerciseSession, Seat, SeatError

logger = logging.getLogger(__name__)

#: shortest wall time between two frames pushed to one console
FRAME_PERIOD_S = 0.2
#: a frame is pushed at least this often even when nothing changed (clock display)
IDLE_PERIOD_S = 1.0
#: a console's next frame waits at least this many times as long as its last one took to
#: build and send, so that frames take at most about a quarter of the machine
FRAME_BUILD_FACTOR = 3.0
#: close code of a websocket opened without a valid token
WS_UNAUTHORISED = 4401
#: close code of a websocket opened from a page another site served
WS_FOREIGN_ORIGIN = 4403
#: orders a seat may give per second on average, and in one burst
COMMANDS_PER_S = 5.0
COMMAND_BURST = 20
#: headers on every answer: nothing loads from elsewhere, no page frames the consoles,
#: no link leaks the token-bearing URL (the consoles set inline style attributes only)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src-attr 'unsafe-inline'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
CLOCK_ACTIONS = ("start", "resume", "pause", "step", "rate", "seek")

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


class RateLimiter:
    """A token bucket per seat: ``burst`` orders at once, then ``per_s`` a second."""

    def __init__(
        self, per_s: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_s, self.burst, self._clock = float(per_s), float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one order from ``key``'s bucket; False when it is empty."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_s)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


class BodyTooLarge(Exception):
    """A request body beyond :data:`~skyweave.engine.command_validation.MAX_COMMAND_BYTES`."""


async def json_body(request: Request) -> Any:
    """The request's JSON body, read at most :data:`MAX_COMMAND_BYTES` far.

    Raises
    ------
    BodyTooLarge
        The body (announced or streamed) is larger (HTTP 413).
    InputError
        Not UTF-8 JSON within the depth and number limits (HTTP 400).
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_COMMAND_BYTES:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_COMMAND_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
    return parse_json_text(b"".join(chunks), "request body")


def same_origin(origin: str | None, host: str | None) -> bool:
    """A websocket's ``Origin`` names this server (the ``Host`` it was reached at).

    A request without ``Origin`` comes from no web page (browsers always send it on a
    websocket), so its seat token alone decides.
    """
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == (host or "").lower()


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _problems(exc: InputError) -> str:
    return "; ".join(str(p) for p in exc.problems[:5])


def _refused(exc: Exception, what: str) -> JSONResponse:
    """The answer to a request refused by ``exc``: 413 for a body over the limit
    (``what`` names the request), 403 for a seat that may not, 409 for the clock or the
    end, 400 for a malformed request."""
    if isinstance(exc, BodyTooLarge):
        return _error(f"{what} is at most {MAX_COMMAND_BYTES:,} bytes", 413)
    if isinstance(exc, SeatError):
        return _error(str(exc), 403)
    if isinstance(exc, ClockError):
        return _error(str(exc), 409)
    if isinstance(exc, InputError):
        return _error(_problems(exc), 400)
    return _error(str(exc), 400)


def _clock_request(body: Any) -> tuple[str, float | None]:
    """The action and its number from a clock request's body; InputError if malformed."""
    if not isinstance(body, dict):
        raise InputError([Problem("request body", "expected a JSON object")])
    action = body.get("action")
    if not isinstance(action, str) or action not in CLOCK_ACTIONS:
        raise InputError(
            [Problem("request body", f"expected one of {', '.join(CLOCK_ACTIONS)}", "action")]
        )
    name = "time_s" if action == "seek" else "rate"
    value = body.get(name)
    if value is None:
        return action, None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError([Problem("request body", "expected a finite number", name)])
    if abs(value) > 1e9:
        raise InputError([Problem("request body", "out of range", name)])
    return action, float(value)


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


def hardened_app(title: str, allowed_hosts: list[str] | None = None) -> FastAPI:
    """A FastAPI app with no API docs, the consoles' security headers on every response
    and, when given, only ``allowed_hosts`` accepted as the Host (DNS rebinding)."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    if allowed_hosts is not None:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def create_app(
    session: ExerciseSession | ReviewSession,
    out_dir: Path,
    overwrite: bool = False,
    on_end: Callable[[Path], None] | None = None,
    frame_period_s: float = FRAME_PERIOD_S,
    limiter: RateLimiter | None = None,
    allowed_hosts: list[str] | None = None,
    plan: PlanningSession | None = None,
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
    limiter : RateLimiter, optional
        Orders per seat (default :data:`COMMANDS_PER_S`, burst :data:`COMMAND_BURST`).
    allowed_hosts : list of str, optional
        Host names the server answers to (``Host`` header); others are refused (400),
        so a page on a rebound DNS name cannot reach it. Default: any.
    plan : PlanningSession, optional
        The locked plan the exercise started from: its console stays readable
        (:mod:`~skyweave.exercise.plan_routes`).
    """
    app = hardened_app("Skyweave exercise", allowed_hosts)
    consoles = Consoles()
    limiter = limiter or RateLimiter(COMMANDS_PER_S, COMMAND_BURST)

    if plan is not None:
        from skyweave.exercise.plan_routes import plan_router

        app.include_router(plan_router(plan))

    def seat_of(token: str | None) -> Seat | None:
        return session.seat(token)

    def unauthorised() -> JSONResponse:
        return _error("a valid seat token is required", 401)

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
        if not limiter.allow(seat.name):
            return _error(f"too many orders from the {seat.name} seat; wait a moment", 429)
        try:
            record = await json_body(request)
            command = await run_in_threadpool(session.command, seat, record)
        except (BodyTooLarge, SeatError, InputError, ClockError) as exc:
            return _refused(exc, "a command")
        return JSONResponse(
            {"accepted": True, "time_s": command.time_s, "kind": command.kind}, status_code=202
        )

    @app.post("/api/clock")
    async def api_clock(request: Request, token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        try:
            action, number = _clock_request(await json_body(request))
            state = await run_in_threadpool(session.clock, seat, action, number)
        except (BodyTooLarge, SeatError, ClockError, InputError, ValueError) as exc:
            return _refused(exc, "a clock request")
        return JSONResponse(state)

    @app.post("/api/rewind")
    async def api_rewind(request: Request, token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        rewind = getattr(session, "rewind", None)
        if rewind is None:
            return _error("a review cannot be rewound into a branch; use the time slider", 403)
        if not limiter.allow(seat.name):
            return _error(f"too many orders from the {seat.name} seat; wait a moment", 429)
        try:
            body = await json_body(request)
            if not isinstance(body, dict):
                raise InputError([Problem("rewind", 'expected {"to_s": ..., "branch": ...}')])
            state = await run_in_threadpool(rewind, seat, body.get("to_s"), body.get("branch"))
        except (BodyTooLarge, SeatError, ClockError, InputError) as exc:
            return _refused(exc, "a rewind request")
        return JSONResponse(state)

    @app.post("/api/end")
    async def api_end(token: str | None = None) -> Response:
        seat = seat_of(token)
        if seat is None:
            return unauthorised()
        if seat.role != "white":
            return _error("only the white cell ends the exercise", 403)
        if isinstance(session, ReviewSession):
            return _error("review is read-only: there is nothing to end", 403)
        # every console is told now; writing the folder takes a while
        consoles.announce_end(session.clock_state()["time_s"])
        try:
            folder = await run_in_threadpool(session.end, out_dir, overwrite)
        except SeatError as exc:
            consoles.announce_ended(0.0, None, str(exc))
            return _error(str(exc), 403)
        except Exception as exc:
            # any failure is told to every console (play goes on, the journal is kept):
            # an unexpected one would otherwise leave them all on "writing the run folder"
            where = getattr(getattr(session, "journal", None), "folder", None)
            kept = f"; the play is kept in {where} (skyweave exercise --resume)" if where else ""
            expected = isinstance(exc, InputError | OSError)
            if not expected:
                logger.exception("writing the run folder failed")
            text = _problems(exc) if isinstance(exc, InputError) else str(exc)
            text = text if expected else f"{type(exc).__name__}: {text}"
            error = f"the run folder could not be written: {text}{kept}"
            consoles.announce_ended(0.0, None, error)
            return _error(error, 409 if expected else 500)
        consoles.announce_ended(session.clock_state()["time_s"], folder, None)
        if on_end is not None:
            on_end(folder)
        # a taken output folder was written beside: the page can say where
        return JSONResponse(
            {"ended": True, "run_dir": str(folder), "written_beside": folder != Path(out_dir)}
        )

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, token: str | None = None) -> None:
        if not same_origin(websocket.headers.get("origin"), websocket.headers.get("host")):
            await websocket.close(code=WS_FOREIGN_ORIGIN)
            return
        seat = seat_of(token)
        if seat is None:
            await websocket.close(code=WS_UNAUTHORISED)
            return
        await websocket.accept()
        consoles.joined(seat)
        wanted: dict[str, Any] = {"view_as": None, "version": -1}
        partners = {s.partner for s in session.seats.values() if s.partner is not None}

        async def receive() -> None:
            while True:
                received = await websocket.receive()
                if received["type"] == "websocket.disconnect":
                    return
                try:
                    raw = received.get("text") or received.get("bytes") or b""
                    message = parse_json_text(raw, "websocket")
                except InputError:
                    continue  # a malformed message changes nothing
                if seat.role != "white" or not isinstance(message, dict):
                    continue
                view_as = message.get("view_as", "")
                if view_as is None or (isinstance(view_as, str) and view_as in partners):
                    wanted["view_as"] = view_as
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
            period_s = frame_period_s
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
                    # frames slow to build (a loaded machine, many consoles) come less
                    # often: building them must not starve the engine's clock of the lock
                    period_s = max(frame_period_s, FRAME_BUILD_FACTOR * (loop.time() - now))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(consoles.ending.wait(), period_s)

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
