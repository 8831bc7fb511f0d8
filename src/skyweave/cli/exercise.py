"""``skyweave exercise``: play a scenario live, a white cell and partner staffs in browsers.

Everything that can refuse an exercise is checked before a join link is printed or a
file written: the scenario (with ``run``'s warnings and memory guard), the output
folder and its journal's staging folder, TLS files, and the port (bound here and
handed to the server). See :mod:`skyweave.exercise.journal` for the journal and
``--resume``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from skyweave.errors import InputError, Problem

if TYPE_CHECKING:  # the server's packages load only when a server starts
    import socket

    import uvicorn
    from fastapi import FastAPI

    from skyweave.engine.commands import Command
    from skyweave.exercise.branches import Branch
    from skyweave.exercise.journal import Journal
    from skyweave.exercise.planning import PlanningSession
    from skyweave.exercise.session import ExerciseSession, SeatedSession
    from skyweave.scenario.schema import Scenario


@dataclass(frozen=True)
class _Listen:
    """Where and how the server listens, checked."""

    host: str
    port: int
    certfile: str | None
    keyfile: str | None

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"


@dataclass
class _Play:
    """What an exercise starts from: a scenario, or a journal or run folder resumed."""

    scenario: Scenario
    seed: int
    out: Path
    rate: float
    commands: list[Command]
    resume_to_s: float | None = None
    staging: Path | None = None  # a staging folder resumed (its journal goes on)
    #: the lines of play already played (a rewound exercise's branches) and the one
    #: play goes on with
    branches: tuple[Branch, ...] = ()
    line: str = "main"
    #: the locked plan's ``plan.json`` (an exercise started from a plan, or resumed)
    plan_text: str | None = None


@click.command("exercise")
@click.argument("scenario", type=click.Path(dir_okay=False), required=False)
@click.option("--seed", type=int, default=None, help="Run seed (default: the scenario's seed).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder written when the exercise ends "
    "(default: runs/<scenario>-exercise-seed<seed>).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option(
    "--rate",
    type=float,
    default=None,
    help="Simulated seconds per wall second (0.5 to 60; default 1); the white cell "
    "changes it live.",
)
@click.option(
    "--branch",
    "branches",
    multiple=True,
    metavar="NAME",
    help="With --review: the line of play of a rewound exercise to show (default: the main "
    "line); repeat it to replay more lines beside it, compared side by side.",
)
@click.option(
    "--review",
    "review_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Open the consoles on a finished run folder, read-only, with a time slider "
    "(give no SCENARIO).",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False),
    default=None,
    metavar="STAGING_OR_RUN_DIR",
    help="Continue an exercise from its journal (the staging folder OUT.journal a "
    "crashed or killed exercise left) or from a run folder, live from its last tick.",
)
@click.option(
    "--plan",
    "with_plan",
    is_flag=True,
    help="Begin with a planning phase in the same consoles: each staff places its units "
    "within its deployment areas, values its assets, agrees releases and consent rules; "
    "the white cell assesses and locks the plan, and the exercise runs the locked plan.",
)
@click.option("--certfile", type=click.Path(dir_okay=False), default=None, help="TLS certificate.")
@click.option("--keyfile", type=click.Path(dir_okay=False), default=None, help="TLS private key.")
def exercise_command(
    scenario: str | None,
    seed: int | None,
    host: str,
    port: int,
    out_dir: str | None,
    overwrite: bool,
    rate: float | None,
    review_dir: str | None,
    branches: tuple[str, ...],
    resume_dir: str | None,
    with_plan: bool,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve a live exercise of SCENARIO and print one join link per seat.

    The white cell starts the clock; ending the exercise (the white cell's End
    button, or Ctrl-C here) writes a run folder that ``skyweave run --replay``
    reproduces bit for bit. Every order is journaled as it is given, so
    ``--resume`` continues a crashed exercise. ``--review RUN_DIR`` opens the
    same consoles on a finished run instead: read-only, the white cell moves a
    time slider.
    """
    listen = _check_listen(host, port, certfile, keyfile)
    if with_plan and (review_dir is not None or resume_dir is not None):
        raise InputError(
            [Problem("--plan", "plans a new exercise: give neither --review nor --resume")]
        )
    if review_dir is not None:
        if any(v is not None for v in (scenario, seed, out_dir, resume_dir)):
            raise InputError(
                [
                    Problem(
                        "--review",
                        "takes the scenario, seed and commands from RUN_DIR; "
                        "give none of SCENARIO, --seed, --out, --resume",
                    )
                ]
            )
        _serve_review(Path(review_dir), listen, branches)
        return
    if branches:
        raise InputError([Problem("--branch", "chooses the lines of play of --review RUN_DIR")])
    if resume_dir is not None:
        if scenario is not None or seed is not None:
            raise InputError(
                [Problem("--resume", "takes the scenario and seed from the folder; give neither")]
            )
        play = _resumed(Path(resume_dir), out_dir, rate)
    elif scenario is None:
        raise InputError(
            [Problem("skyweave exercise", "give a SCENARIO file (or --review or --resume)")]
        )
    else:
        play = _new(scenario, seed, out_dir, overwrite, rate)
    plan = None
    if with_plan:
        planned = _plan_phase(play, listen)
        if planned is None:
            return
        plan, sock = planned
        play.scenario = plan.locked_scenario()
        _serve_live(play, listen, overwrite, plan, sock)
        return
    _serve_live(play, listen, overwrite)


def _check_listen(host: str, port: int, certfile: str | None, keyfile: str | None) -> _Listen:
    if not 0 < port < 65536:
        raise InputError([Problem("--port", f"expected 1 to 65535 (got {port})")])
    if (certfile is None) != (keyfile is None):
        raise InputError([Problem("--certfile", "TLS needs both --certfile and --keyfile")])
    for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if path is not None and not Path(path).is_file():
            raise InputError([Problem(option, f"{path}: not a readable file")])
    return _Listen(host, port, certfile, keyfile)


def _check_rate(rate: float) -> float:
    if not 0.5 <= rate <= 60.0:
        raise InputError([Problem("--rate", f"expected 0.5 to 60 (got {rate:g})")])
    return rate


def _new(
    scenario: str, seed: int | None, out_dir: str | None, overwrite: bool, rate: float | None
) -> _Play:
    """A new exercise of ``scenario``: refused as ``skyweave run`` refuses it."""
    from skyweave.io.run_folder import check_out_dir
    from skyweave.scenario.load import load_scenario_checked

    spec, warnings = load_scenario_checked(scenario)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-exercise-seed{run_seed}"
    check_out_dir(out, overwrite)  # fail now, not when the exercise ends
    return _Play(spec, run_seed, out, _check_rate(1.0 if rate is None else rate), [])


def _resumed(folder: Path, out_dir: str | None, rate: float | None) -> _Play:
    """An exercise continued from a staging folder's journal or from a run folder."""
    from skyweave.exercise.journal import is_staging_dir, read_journal
    from skyweave.exercise.plan_record import read_plan_text
    from skyweave.exercise.played import read_played

    if not folder.is_dir():
        raise InputError([Problem(str(folder), "not a folder: expected a staging or run folder")])
    if is_staging_dir(folder):
        if out_dir is not None:
            raise InputError([Problem("--out", "a journal resumes into its own output folder")])
        j = read_journal(folder)
        chosen = j.rate if rate is None else rate
        return _Play(
            j.scenario,
            j.seed,
            j.out_dir,
            _check_rate(chosen),
            j.commands,
            j.last_time_s,
            folder,
            j.branches,
            j.current,
            j.plan_text,
        )
    recorded = read_played(folder)  # the main line goes on; its branches are kept
    out = Path(out_dir) if out_dir else folder  # taken: the end writes beside it
    return _Play(
        recorded.scenario,
        recorded.seed,
        out,
        _check_rate(1.0 if rate is None else rate),
        recorded.commands,
        recorded.until_s,
        branches=recorded.lines,
        plan_text=read_plan_text(folder),
    )


def _open_journal(play: _Play) -> Journal:
    """The journal the exercise appends to: the resumed one, or a new staging folder."""
    from skyweave.exercise.journal import Journal
    from skyweave.io.run_output import scenario_json

    if play.staging is not None:
        return Journal.reopen(play.staging)
    return Journal.create(
        play.out, scenario_json(play.scenario), play.seed, play.commands, play.resume_to_s
    )


def _plan_phase(play: _Play, listen: _Listen) -> tuple[PlanningSession, socket.socket] | None:
    """Serve the planning phase until the white cell starts the exercise from the locked
    plan, or Ctrl-C (None: no exercise).

    Returns the plan (its seats and tokens) and the listening socket, still open: the
    planning server is handed a duplicate, which it closes when it stops, so the port
    is never free between the phases and a console's request meanwhile waits in the
    socket's backlog for the exercise server."""
    from skyweave.engine.commands import with_injected_threats
    from skyweave.exercise.journal import Journal
    from skyweave.exercise.listen import bind
    from skyweave.exercise.planning import PlanningSession
    from skyweave.scenario.run_size import check_run_size

    # what would refuse the exercise refuses it before anyone plans
    check_run_size(with_injected_threats(play.scenario, play.commands), source="scenario")
    Journal.check_free(play.out)
    plan = PlanningSession(play.scenario, play.seed, workers=assess_workers())
    sock = bind(listen.host, listen.port)
    serve_plan(
        plan,
        listen,
        sock.dup(),
        f"PLANNING {play.scenario.name} (seed {play.seed})",
        "The white cell locks the plan and starts the exercise (same links); "
        "Ctrl-C ends planning without an exercise.",
    )
    if not plan.started:
        sock.close()
        click.echo("planning ended before the exercise started: no exercise was played")
        return None
    click.echo(f"plan locked at version {plan.locked_version}; the exercise starts from it")
    return plan, sock


def serve_plan(
    plan: PlanningSession,
    listen: _Listen,
    sock: socket.socket,
    heading: str,
    hint: str,
    on_start: Callable[[], None] | None = None,
) -> None:
    """Serve the planning consoles on ``sock`` until the white cell starts (or writes)
    the locked plan, after ``on_start``, or Ctrl-C."""
    from skyweave.exercise.plan_routes import create_plan_app

    server: uvicorn.Server | None = None

    def started() -> None:
        if on_start is not None:
            on_start()
        if server is not None:
            server.should_exit = True

    app = create_plan_app(plan, started, allowed_hosts=_allowed_hosts(listen.host))
    server = _announced_server(app, plan, listen, heading, hint)
    _run_until_stopped(server, sock)


def assess_workers() -> int:
    """Processes of a plan assessment's pool: the machine's cores, at most four."""
    import os

    return max(1, min(4, os.cpu_count() or 1))


def _serve_live(
    play: _Play,
    listen: _Listen,
    overwrite: bool,
    plan: PlanningSession | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Check, bind, journal, serve; at the end (End or Ctrl-C) write the run folder.

    With ``plan`` (``--plan``), the seats keep the planning phase's tokens, the plan's
    console stays readable, and the run folder gets the locked ``plan.json``; ``sock``
    is the planning phase's listening socket."""
    from skyweave.engine.commands import with_injected_threats
    from skyweave.exercise.journal import Journal
    from skyweave.exercise.listen import bind
    from skyweave.exercise.plan_record import plan_text
    from skyweave.exercise.server import create_app
    from skyweave.exercise.session import ExerciseSession
    from skyweave.scenario.run_size import check_run_size

    check_run_size(with_injected_threats(play.scenario, play.commands), source="scenario")
    if play.staging is None:
        Journal.check_free(play.out)
    if sock is None:  # (after planning: the planning phase's socket, still listening)
        sock = bind(listen.host, listen.port)  # the last check: nothing printed or written yet
    journal = _open_journal(play)
    kept_plan = play.plan_text if plan is None else plan_text(plan)
    if kept_plan is not None and play.staging is None:
        journal.keep_plan(kept_plan)  # a resumed exercise still has it
    if play.resume_to_s is not None:
        click.echo(f"replaying {len(play.commands)} commands to t = {play.resume_to_s:g} s ...")
    session = ExerciseSession(
        play.scenario,
        play.seed,
        rate=play.rate,
        journal=journal,
        commands=play.commands,
        resume_to_s=play.resume_to_s,
        branches=play.branches,
        line=play.line,
        plan_text=kept_plan,
    )
    if plan is not None:
        session.seats = dict(plan.seats)  # the links the staffs already hold
    server: uvicorn.Server | None = None

    def on_end(folder: Path) -> None:
        _said_ended(session, play.out, folder)
        if server is not None:
            server.should_exit = True

    app = create_app(
        session,
        play.out,
        overwrite=overwrite,
        on_end=on_end,
        allowed_hosts=_allowed_hosts(listen.host),
        plan=plan,
    )
    resumed = "" if play.resume_to_s is None else f", resumed at t = {play.resume_to_s:g} s"
    server = _announced_server(
        app,
        session,
        listen,
        f"EXERCISE {play.scenario.name} (seed {play.seed}){resumed}",
        f"journal: {journal.path} (skyweave exercise --resume {journal.folder} after a crash)\n"
        "Ctrl-C or the white cell's End button ends the exercise and writes the run folder.",
    )
    session.start_pacing()
    _run_until_stopped(server, sock)
    session.stop_pacing()
    with _saving():
        try:
            if session.ended_dir is None:
                folder = session.end(play.out, overwrite)
                _said_ended(session, play.out, folder)
        except (InputError, OSError) as exc:
            text = "; ".join(map(str, exc.problems)) if isinstance(exc, InputError) else str(exc)
            click.echo(f"error: the run folder could not be written: {text}", err=True)
            click.echo(f"the play is kept: skyweave exercise --resume {journal.folder}", err=True)
            journal.close()
            sys.exit(1)


def _said_ended(session: ExerciseSession, asked: Path, folder: Path) -> None:
    click.echo(f"exercise ended at t = {session.sim.time_s:g} s; run folder: {folder}")
    if Path(folder).resolve() != Path(asked).resolve():
        click.echo(f"note: {asked} was taken; the run folder was written beside it: {folder}")


def _allowed_hosts(host: str) -> list[str] | None:
    """Host names a loopback server answers to (a rebound DNS name is refused)."""
    from skyweave.exercise.listen import is_loopback

    if not is_loopback(host) or ":" in host:  # Starlette's check cannot read "[::1]:port"
        return None
    return sorted({host, "127.0.0.1", "localhost"})


class _Stop(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C: the run folder is written, then the process exits."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop


def _run_until_stopped(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve until End, Ctrl-C or SIGTERM (uvicorn re-raises the signal it caught)."""
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


@contextlib.contextmanager
def _saving() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while the run folder is written (a second Ctrl-C must
    not lose the play by cutting the save short)."""

    def wait(signum: int, frame: Any) -> None:
        click.echo("writing the run folder; it will be done in a moment", err=True)

    previous = {s: signal.signal(s, wait) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _serve_review(run_dir: Path, listen: _Listen, branches: tuple[str, ...] = ()) -> None:
    """Replay ``run_dir`` once, keep its frames, and serve them read-only until Ctrl-C."""
    import time

    from skyweave.exercise.listen import bind
    from skyweave.exercise.review import ReviewSession
    from skyweave.exercise.server import create_app

    sock = bind(listen.host, listen.port)
    click.echo(f"REVIEW {run_dir}: replaying the run once to keep its frames ...")
    started = time.perf_counter()
    session = ReviewSession(run_dir, branches=branches)
    click.echo(
        f"  {len(session.times_s)} instants from t = {session.times_s[0]:g} s to "
        f"{session.end_s:g} s in {time.perf_counter() - started:.1f} s"
    )
    server = _announced_server(
        create_app(session, run_dir, allowed_hosts=_allowed_hosts(listen.host)),
        session,
        listen,
        f"REVIEW of {session.scenario.name} (seed {session.seed})",
        "read-only: the white cell's slider moves the time; Ctrl-C stops the review.",
    )
    _run_until_stopped(server, sock)


def _announced_server(
    app: FastAPI, session: SeatedSession, listen: _Listen, title: str, how_to_end: str
) -> uvicorn.Server:
    """A uvicorn server for ``app``, with the title and every seat's join link printed."""
    import uvicorn

    from skyweave.engine.command_validation import MAX_COMMAND_BYTES
    from skyweave.exercise.listen import is_loopback, outward_address, url_host

    config = uvicorn.Config(
        app,
        host=listen.host,
        port=listen.port,
        log_level="warning",
        access_log=False,
        ssl_certfile=listen.certfile,
        ssl_keyfile=listen.keyfile,
        ws_max_size=MAX_COMMAND_BYTES,
    )
    shown = url_host(outward_address(listen.host))
    click.echo(f"{title}, serving on {listen.scheme}://{url_host(listen.host)}:{listen.port}")
    if not is_loopback(listen.host) and listen.certfile is None:
        click.echo(
            f"warning: --host {listen.host} serves the exercise to the network in clear "
            "(plain HTTP): anyone who sees a join link or its traffic can take that seat; "
            "give --certfile and --keyfile to serve it over TLS",
            err=True,
        )
    click.echo("join links (each carries its seat's secret token; hand each to its seat only):")
    for name, url in session.join_links(f"{listen.scheme}://{shown}:{listen.port}"):
        click.echo(f"  {name:<10} {url}")
    click.echo(how_to_end)
    return uvicorn.Server(config)
