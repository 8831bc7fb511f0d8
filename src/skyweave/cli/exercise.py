"""``skyweave exercise``: play a scenario live, a white cell and partner staffs in browsers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from skyweave.errors import InputError, Problem

if TYPE_CHECKING:  # the server's packages load only when a server starts
    import uvicorn
    from fastapi import FastAPI

    from skyweave.exercise.session import SeatedSession


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
    default=1.0,
    show_default=True,
    help="Simulated seconds per wall second (0.5 to 60); the white cell changes it live.",
)
@click.option(
    "--review",
    "review_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Open the consoles on a finished run folder, read-only, with a time slider "
    "(give no SCENARIO).",
)
def exercise_command(
    scenario: str | None,
    seed: int | None,
    host: str,
    port: int,
    out_dir: str | None,
    overwrite: bool,
    rate: float,
    review_dir: str | None,
) -> None:
    """Serve a live exercise of SCENARIO and print one join link per seat.

    The white cell starts the clock; ending the exercise (the white cell's End
    button, or Ctrl-C here) writes a run folder that ``skyweave run --replay``
    reproduces bit for bit. ``--review RUN_DIR`` opens the same consoles on a
    finished run instead: read-only, the white cell moves a time slider.
    """
    if not 0 < port < 65536:
        raise InputError([Problem("--port", f"expected 1 to 65535 (got {port})")])
    if review_dir is not None:
        if scenario is not None or seed is not None or out_dir is not None:
            raise InputError(
                [
                    Problem(
                        "--review",
                        "takes the scenario, seed and commands from RUN_DIR; "
                        "give none of SCENARIO, --seed, --out",
                    )
                ]
            )
        _serve_review(Path(review_dir), host, port)
        return
    if scenario is None:
        raise InputError(
            [Problem("skyweave exercise", "give a SCENARIO file (or --review RUN_DIR)")]
        )

    from skyweave.exercise.server import create_app
    from skyweave.exercise.session import ExerciseSession
    from skyweave.io.run_folder import prepare_out_dir
    from skyweave.scenario import load_scenario

    spec = load_scenario(scenario)
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    if not 0.5 <= rate <= 60.0:
        raise InputError([Problem("--rate", f"expected 0.5 to 60 (got {rate:g})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-exercise-seed{run_seed}"
    prepare_out_dir(out, overwrite)  # fail now, not when the exercise ends

    session = ExerciseSession(spec, run_seed, rate=rate)
    server: uvicorn.Server | None = None

    def on_end(folder: Path) -> None:
        click.echo(f"exercise ended at t = {session.sim.time_s:g} s; run folder: {folder}")
        if server is not None:
            server.should_exit = True

    app = create_app(session, out, overwrite=overwrite, on_end=on_end)
    server = _announced_server(
        app,
        session,
        host,
        port,
        f"EXERCISE {spec.name} (seed {run_seed})",
        "Ctrl-C or the white cell's End button ends the exercise and writes the run folder.",
    )
    session.start_pacing()
    try:
        server.run()
    finally:
        session.stop_pacing()
        if session.ended_dir is None:
            folder = session.end(out, overwrite)
            click.echo(f"exercise ended at t = {session.sim.time_s:g} s; run folder: {folder}")


def _serve_review(run_dir: Path, host: str, port: int) -> None:
    """Replay ``run_dir`` once, keep its frames, and serve them read-only until Ctrl-C."""
    import time

    from skyweave.exercise.review import ReviewSession
    from skyweave.exercise.server import create_app

    click.echo(f"REVIEW {run_dir}: replaying the run once to keep its frames ...")
    started = time.perf_counter()
    session = ReviewSession(run_dir)
    click.echo(
        f"  {len(session.times_s)} instants from t = {session.times_s[0]:g} s to "
        f"{session.end_s:g} s in {time.perf_counter() - started:.1f} s"
    )
    server = _announced_server(
        create_app(session, run_dir),
        session,
        host,
        port,
        f"REVIEW of {session.scenario.name} (seed {session.seed})",
        "read-only: the white cell's slider moves the time; Ctrl-C stops the review.",
    )
    server.run()


def _announced_server(
    app: FastAPI, session: SeatedSession, host: str, port: int, title: str, how_to_end: str
) -> uvicorn.Server:
    """A uvicorn server for ``app``, with the title and every seat's join link printed."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"{title}, serving on {host}:{port}")
    click.echo("join links (each carries its seat's secret token; hand each to its seat only):")
    for name, url in session.join_links(f"http://{shown}:{port}"):
        click.echo(f"  {name:<10} {url}")
    click.echo(how_to_end)
    return uvicorn.Server(config)
