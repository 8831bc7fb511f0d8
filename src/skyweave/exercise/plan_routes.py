"""The planning console's routes: one APIRouter, served alone or beside the exercise.

Every route but the page needs a seat's ``token`` (401 otherwise), the same tokens as
the exercise's consoles:

* ``GET /plan``: the planning console page;
* ``GET /api/plan``: the plan as the seat sees it (:meth:`PlanningSession.view`), with
  ``change`` (a number that moves whenever anything shown changed: the page polls);
* ``POST /api/plan/edit``: one edit (a partner's staff): 400 malformed, 403 not the
  seat's, 422 refused by the plan (outside the areas), 409 locked;
* ``POST /api/plan/lock``: ``{"locked": true|false}`` (white cell);
* ``POST /api/plan/assess``: ``{"runs": N}``: N seeded runs of the current plan in the
  background (409 while one runs);
* ``POST /api/plan/start``: start the exercise from the locked plan (white cell; 409
  unless locked). What starting means is the caller's ``on_start``.

A body is at most 64 KiB (413) and decoded within the command validator's limits; no
request body can give a 500. Each seat may post about five requests a second (a burst
of 20; beyond that 429), as it may give orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from skyweave.errors import InputError, Problem
from skyweave.exercise.planning import PlanLocked, PlanningSession, PlanRefused
from skyweave.exercise.session import SeatError

#: the plan page's HTML file under ``exercise/static``
PLAN_PAGE = "plan.html"


def _flag(body: Any, name: str) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get(name), bool):
        raise InputError([Problem("request body", "expected true or false", name)])
    return bool(body[name])


def plan_router(plan: PlanningSession, on_start: Callable[[], None] | None = None) -> APIRouter:
    """The planning routes over ``plan`` (see the module docstring).

    ``on_start`` is called once the white cell starts the exercise from the locked plan
    (the command line stops the planning server there and serves the exercise).
    """
    from skyweave.exercise.server import (
        _NO_CACHE,
        _STATIC_TYPES,
        COMMAND_BURST,
        COMMANDS_PER_S,
        BodyTooLarge,
        RateLimiter,
        _error,
        _refused,
        _static,
        json_body,
    )

    router = APIRouter()
    limiter = RateLimiter(COMMANDS_PER_S, COMMAND_BURST)

    async def guarded(
        token: str | None, request: Request | None, act: Callable[[Any, Any], Any]
    ) -> Response:
        seat = plan.seat(token)
        if seat is None:
            return _error("a valid seat token is required", 401)
        if request is not None and not limiter.allow(seat.name):
            return _error(f"too many plan requests from the {seat.name} seat; wait a moment", 429)
        try:
            body = await json_body(request) if request is not None else None
            result = await run_in_threadpool(act, seat, body)
        except PlanRefused as exc:
            return _error(str(exc), 422)
        except PlanLocked as exc:
            return _error(str(exc), 409)
        except (BodyTooLarge, SeatError, InputError) as exc:
            return _refused(exc, "a request")
        return JSONResponse(result)

    @router.get("/plan")
    def page() -> Response:
        return Response(
            _static(PLAN_PAGE) or b"", media_type=_STATIC_TYPES[".html"], headers=_NO_CACHE
        )

    @router.get("/api/plan/setup")
    async def setup(token: str | None = None) -> Response:
        from skyweave.exercise.frames import theatre_bounds
        from skyweave.exercise.geo import base_map

        def act(seat: Any, body: Any) -> dict[str, Any]:
            bounds = theatre_bounds(plan.base)
            return {"bounds": bounds, "geo": base_map(bounds)}

        return await guarded(token, None, act)

    @router.get("/api/plan")
    async def view(token: str | None = None) -> Response:
        def act(seat: Any, body: Any) -> dict[str, Any]:
            return {**plan.view(seat), "change": plan.change}

        return await guarded(token, None, act)

    @router.post("/api/plan/edit")
    async def edit(request: Request, token: str | None = None) -> Response:
        return await guarded(token, request, lambda seat, body: {"version": plan.edit(seat, body)})

    @router.post("/api/plan/lock")
    async def lock(request: Request, token: str | None = None) -> Response:
        return await guarded(
            token, request, lambda seat, body: plan.set_lock(seat, _flag(body, "locked"))
        )

    @router.post("/api/plan/assess")
    async def assess(request: Request, token: str | None = None) -> Response:
        def act(seat: Any, body: Any) -> dict[str, Any]:
            runs = body.get("runs") if isinstance(body, dict) else None
            return plan.assess(seat, runs)  # type: ignore[arg-type]  # checked there

        return await guarded(token, request, act)

    @router.post("/api/plan/start")
    async def start(request: Request, token: str | None = None) -> Response:
        def act(seat: Any, body: Any) -> dict[str, Any]:
            if seat.role != "white":
                raise SeatError("only the white cell starts the exercise")
            with plan.lock:
                if plan.started:
                    return {"started": True}
                if not plan.locked:
                    raise PlanLocked("lock the plan first: only a locked plan is played or written")
                if on_start is None:
                    raise PlanLocked("this planning session has no exercise to start")
                plan.started = True
                plan.change += 1
            on_start()
            return {"started": True}

        return await guarded(token, request, act)

    return router


def create_plan_app(
    plan: PlanningSession,
    on_start: Callable[[], None] | None = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """A server of the planning phase alone: the planning routes, the static files and
    the exercise server's security headers (``skyweave plan``, and ``skyweave exercise
    --plan`` until the white cell starts the exercise)."""
    from skyweave.exercise.server import (
        _NO_CACHE,
        _STATIC_TYPES,
        VENDOR_DIR,
        _static,
        hardened_app,
    )

    app = hardened_app("Skyweave planning", allowed_hosts)

    @app.get("/")
    def root() -> Response:
        # before the exercise starts, the exercise links open the planning console
        body = _static(PLAN_PAGE) or b""
        return Response(body, media_type=_STATIC_TYPES[".html"], headers=_NO_CACHE)

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        body = _static(name)
        if body is None:
            return Response(status_code=404)
        media = _STATIC_TYPES.get("." + name.rsplit(".", 1)[-1], "application/octet-stream")
        return Response(body, media_type=media, headers=_NO_CACHE)

    @app.get("/static/vendor/{name}")
    def vendor(name: str) -> Response:
        body = _static(name, VENDOR_DIR)
        if body is None:
            return Response(f"{name} is not installed: run `make setup` (npm ci)", status_code=404)
        media = _STATIC_TYPES.get("." + name.rsplit(".", 1)[-1], "application/octet-stream")
        return Response(body, media_type=media, headers={"Cache-Control": "max-age=3600"})

    app.include_router(plan_router(plan, on_start))
    return app


__all__ = ["PLAN_PAGE", "create_plan_app", "plan_router"]
