"""``skyweave run``: run one scenario and write its output folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from skyweave.errors import InputError, Problem
from skyweave.io.dis import DisSender, parse_url
from skyweave.io.exports import scenario_sites, write_globe_exports
from skyweave.io.report import write_report
from skyweave.io.run_folder import output_indices, prepare_out_dir, write_run_folder
from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario, track_quality_summary


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False))
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
@click.option("--until", "until_s", type=float, default=None, help="Stop after SECONDS.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option(
    "--dis",
    "dis_url",
    default=None,
    metavar="udp://HOST:PORT",
    help="Also emit DIS 7 PDUs (entity state, fire, detonation) over UDP.",
)
@click.option(
    "--dis-time-scale",
    type=float,
    default=None,
    help="Pace DIS output: 1.0 is real time, 10 is ten times faster (default: no pacing).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def run_command(
    scenario: str,
    seed: int | None,
    out_dir: str | None,
    mode: str | None,
    until_s: float | None,
    overwrite: bool,
    dis_url: str | None,
    dis_time_scale: float | None,
    quiet: bool,
) -> None:
    """Run SCENARIO and write Parquet tables and summary.json to the output folder."""
    spec = load_scenario(scenario)
    if mode is not None:
        spec = spec.model_copy(update={"coordination_mode": mode})
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    if until_s is not None and until_s <= 0:
        raise InputError([Problem("--until", f"must be positive seconds (got {until_s:g})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-seed{run_seed}"
    prepare_out_dir(out, overwrite)
    if dis_url is not None:
        parse_url(dis_url, source="--dis")  # a bad URL fails before the run, not after
    if dis_time_scale is not None and dis_time_scale <= 0:
        raise InputError([Problem("--dis-time-scale", "must be positive")])

    show_progress = not quiet and sys.stderr.isatty()
    result = run_scenario(spec, run_seed, until_s=until_s, progress=show_progress)

    def finish(folder: Path) -> dict[str, object]:
        write_globe_exports(folder, spec, result.truth)
        measures = track_quality_summary(folder)
        write_report(folder, spec, summary={**result.summary, **measures})
        return measures

    write_run_folder(out, result.tables, result.summary, finish)
    if dis_url is not None:
        idx = output_indices(result.truth.times_s, spec.output_interval_s)
        with DisSender(dis_url) as sender:
            sent = sender.emit(
                spec.epoch,
                result.truth.times_s[idx],
                result.truth.object_ids,
                result.truth.kinds,
                result.truth.states[idx],
                sites=scenario_sites(spec),
                partners=[p.id for p in spec.partners],
                time_scale=dis_time_scale,
            )
        if not quiet:
            Console(stderr=True).print(f"sent {sent} DIS PDUs to {dis_url}")
    if not quiet:
        from skyweave.io.console import print_run_summary

        summary = json.loads((out / "summary.json").read_text())
        print_run_summary(Console(), summary, out)
