"""``skyweave run``: run one scenario and write its output folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from skyweave.errors import InputError, Problem
from skyweave.io.exports import write_globe_exports
from skyweave.io.run_folder import prepare_out_dir, write_run_folder
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
@click.option("--until", "until_s", type=float, default=None, help="Stop after SECONDS.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def run_command(
    scenario: str,
    seed: int | None,
    out_dir: str | None,
    until_s: float | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO and write Parquet tables and summary.json to the output folder."""
    spec = load_scenario(scenario)
    run_seed = spec.seed if seed is None else seed
    if run_seed < 0:
        raise InputError([Problem("--seed", f"must be a non-negative integer (got {run_seed})")])
    if until_s is not None and until_s <= 0:
        raise InputError([Problem("--until", f"must be positive seconds (got {until_s:g})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-seed{run_seed}"
    prepare_out_dir(out, overwrite)

    show_progress = not quiet and sys.stderr.isatty()
    result = run_scenario(spec, run_seed, until_s=until_s, progress=show_progress)

    def finish(folder: Path) -> dict[str, object]:
        write_globe_exports(folder, spec, result.truth)
        return track_quality_summary(folder)

    write_run_folder(out, result.tables, result.summary, finish)
    if not quiet:
        from skyweave.io.console import print_run_summary

        summary = json.loads((out / "summary.json").read_text())
        print_run_summary(Console(), summary, out)
