"""``skyweave run``: run one scenario and write its output folder."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from skyweave.cli.params import FiniteFloatRange
from skyweave.engine.commands import Command, load_commands, with_injected_threats
from skyweave.errors import InputError, Problem
from skyweave.io.dis import DisSender, parse_dis_view, parse_url
from skyweave.io.dis_stream import DisStreamer
from skyweave.io.exports import scenario_sites
from skyweave.io.run_folder import (
    check_out_dir,
    prepare_out_dir,
)
from skyweave.io.run_output import SCENARIO_COPY, write_run_output
from skyweave.scenario.load import load_scenario_checked
from skyweave.scenario.run_size import check_run_size
from skyweave.scenario.schema import Scenario
from skyweave.simulation import run_scenario


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(file_okay=False),
    default=None,
    metavar="RUN_DIR",
    help="Re-run RUN_DIR exactly: its scenario, seed, duration and command log "
    "(no SCENARIO argument); or the staging folder of an exercise (its journal, to "
    "its last tick).",
)
@click.option(
    "--branch",
    default=None,
    metavar="NAME",
    help="With --replay: the branch of a rewound exercise to replay (its command log, to "
    "the tick it was played to; default: the main line).",
)
@click.option(
    "--commands",
    "commands_file",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.jsonl",
    help="Play an operators' command log (JSON Lines: time_s, seat, kind, ...).",
)
@click.option("--seed", type=int, default=None, help="Run seed (default: the scenario's seed).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: runs/<scenario>-seed<seed>).",
)
@click.option(
    "--mode",
    type=click.Choice(["independent", "shared-warning", "integrated"]),
    default=None,
    help="Override the scenario's coordination mode.",
)
@click.option(
    "--until",
    "until_s",
    type=FiniteFloatRange(min=0.0, min_open=True),
    default=None,
    help="Stop after SECONDS.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option(
    "--dis",
    "dis_url",
    default=None,
    metavar="udp://HOST:PORT",
    help="Also send DIS 7 PDUs (entity state, fire, detonation) over UDP during the run "
    "(at most 2,000 PDUs/s).",
)
@click.option(
    "--dis-time-scale",
    type=FiniteFloatRange(min=0.0, min_open=True),
    default=None,
    help="Pace the run and its DIS output to the wall clock: 1.0 is real time, 10 is ten "
    "times faster (default: as fast as the run computes).",
)
@click.option(
    "--dis-view",
    default=None,
    metavar="PARTNER|truth",
    help="What --dis sends: 'truth' (default; every entity, marked as exercise control: "
    "marking EXCON...) or one partner's fused picture only (its tracks, never the truth).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def run_command(
    scenario: str | None,
    replay_dir: str | None,
    branch: str | None,
    commands_file: str | None,
    seed: int | None,
    out_dir: str | None,
    mode: str | None,
    until_s: float | None,
    overwrite: bool,
    dis_url: str | None,
    dis_time_scale: float | None,
    dis_view: str | None,
    quiet: bool,
) -> None:
    """Run SCENARIO and write Parquet tables and summary.json to the output folder."""
    if out_dir is not None:
        check_out_dir(out_dir, overwrite)  # a bad --out fails now, not after the run
    commands: list[Command] = []
    if replay_dir is not None:
        given = (scenario, seed, mode, until_s, commands_file)
        if any(v is not None for v in given):
            raise InputError(
                [
                    Problem(
                        "--replay",
                        "takes the scenario, seed, mode, duration and commands from RUN_DIR; "
                        "give none of SCENARIO, --seed, --mode, --until, --commands",
                    )
                ]
            )
        spec, seed, until_s, commands = _replay_inputs(Path(replay_dir), branch)
        if out_dir is None:
            out_dir = str(Path(replay_dir).with_name(Path(replay_dir).name + "-replay"))
    elif branch is not None:
        raise InputError([Problem("--branch", "names a branch to replay: give --replay RUN_DIR")])
    elif scenario is None:
        raise InputError([Problem("skyweave run", "give a SCENARIO file (or --replay RUN_DIR)")])
    else:
        spec, warnings = load_scenario_checked(scenario)
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        if commands_file is not None:
            commands = load_commands(commands_file)
    # the threats the commands launch count too: a log of salvos is refused before the run
    check_run_size(
        with_injected_threats(spec, commands),
        until_s,
        source=commands_file or scenario or f"{replay_dir}/{SCENARIO_COPY}",
    )
    if mode is not None:
        spec = spec.model_copy(update={"coordination_mode": mode})
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    if replay_dir is None and until_s is not None and until_s <= 0:
        raise InputError([Problem("--until", f"must be positive seconds (got {until_s:g})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-seed{run_seed}"
    prepare_out_dir(out, overwrite)
    if dis_time_scale is not None and dis_time_scale <= 0:
        raise InputError([Problem("--dis-time-scale", "must be positive")])
    if dis_time_scale is not None and dis_url is None:
        raise InputError(
            [Problem("--dis-time-scale", "paces DIS output: give --dis udp://HOST:PORT")]
        )

    if dis_view is not None and dis_url is None:
        raise InputError(
            [Problem("--dis-view", "chooses what DIS sends: give --dis udp://HOST:PORT")]
        )
    view = parse_dis_view(dis_view, [p.id for p in spec.partners])

    show_progress = not quiet and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        streamer = None
        if dis_url is not None:
            parse_url(dis_url, source="--dis")  # a bad URL fails before the run, not after
            sender = stack.enter_context(DisSender(dis_url))
            # PDUs leave tick by tick while the run computes (paced, rate-capped).
            streamer = DisStreamer(
                sender,
                spec.epoch,
                scenario_sites(spec),
                [p.id for p in spec.partners],
                time_scale=dis_time_scale,
                view=view,
            )
        result = run_scenario(
            spec,
            run_seed,
            until_s=until_s,
            progress=show_progress,
            commands=commands,
            on_tick=streamer,
        )
        if streamer is not None and not quiet:
            failed = f" ({sender.failed} failed: {sender.last_error})" if sender.failed else ""
            Console(stderr=True).print(
                f"sent {streamer.sent} DIS PDUs ({view} view) to {dis_url}{failed}"
            )

    write_run_output(out, spec, result)
    if not quiet:
        from skyweave.io.console import print_run_summary

        summary = json.loads((out / "summary.json").read_text())
        print_run_summary(Console(), summary, out, wall_s=result.wall_s)


def _replay_inputs(
    folder: Path, branch: str | None = None
) -> tuple[Scenario, int, float, list[Command]]:
    """Scenario, seed, duration and commands of a run folder (every file named, links
    refused, hashes verified) or of an exercise's staging folder (its journal, to the
    last tick the journal records), for the main line or the branch ``branch``."""
    from skyweave.exercise.played import read_played

    line = read_played(folder, branch)
    return line.scenario, line.seed, line.until_s, line.commands
