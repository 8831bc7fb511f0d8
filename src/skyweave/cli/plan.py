"""``skyweave plan``: a planning session alone, its locked plan written to a folder.

The same planning console as ``skyweave exercise --plan`` (one link per seat, the
white cell assesses and locks); the white cell's "Write plan and end" writes
``OUT/plan.json`` and ``OUT/scenario.json`` (the scenario the locked plan produces,
which ``skyweave run`` and ``skyweave exercise`` read) and stops the server.
"""

from __future__ import annotations

from pathlib import Path

import click

from skyweave.errors import InputError, Problem


@click.command("plan")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for plan.json and scenario.json.",
)
@click.option("--overwrite", is_flag=True, help="Replace a plan folder written before.")
@click.option("--seed", type=int, default=None, help="Base seed of the assessments' runs.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on.")
@click.option("--certfile", type=click.Path(dir_okay=False), default=None, help="TLS certificate.")
@click.option("--keyfile", type=click.Path(dir_okay=False), default=None, help="TLS private key.")
def plan_command(
    scenario: str,
    out_dir: str,
    overwrite: bool,
    seed: int | None,
    host: str,
    port: int,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve a planning session of SCENARIO and write the locked plan to OUT."""
    from skyweave.cli.exercise import _check_listen, assess_workers, serve_plan
    from skyweave.exercise.listen import bind
    from skyweave.exercise.plan_record import check_plan_dir, write_plan_folder
    from skyweave.exercise.planning import PlanningSession
    from skyweave.scenario.load import load_scenario_checked

    listen = _check_listen(host, port, certfile, keyfile)
    spec, warnings = load_scenario_checked(scenario)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    out = Path(out_dir)
    check_plan_dir(out, overwrite)
    plan = PlanningSession(spec, run_seed, workers=assess_workers())
    plan.ends_with = "write"
    written: list[Path] = []
    serve_plan(
        plan,
        listen,
        bind(listen.host, listen.port),
        f"PLANNING {spec.name} (seed {run_seed})",
        "The white cell locks the plan and writes it (Write plan and end); Ctrl-C stops "
        "planning without writing.",
        on_start=lambda: written.append(write_plan_folder(out, plan)),
    )
    if written:
        click.echo(
            f"plan version {plan.locked_version} written: {out / 'plan.json'}, "
            f"{out / 'scenario.json'}"
        )
    else:
        click.echo("planning stopped before a plan was locked and written")
