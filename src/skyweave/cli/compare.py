"""``skyweave compare``: the coordination modes side by side on the same seeds."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from skyweave.analysis.compare import MODES, compare_modes
from skyweave.analysis.metrics_run import track_quality
from skyweave.errors import InputError, Problem
from skyweave.io.run_folder import check_out_file, write_run_folder
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Scenario
from skyweave.simulation import run_scenario


def _summary(scenario: Scenario, seed: int) -> dict[str, Any]:
    result = run_scenario(scenario, seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_run_folder(Path(tmp) / "run", result.tables, result.summary)
        return {
            **result.summary,
            **track_quality(folder, scenario, end_s=float(result.summary["simulated_s"])),
        }


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@click.command("compare")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--modes",
    default=",".join(MODES),
    show_default=True,
    help="Comma-separated coordination modes to compare.",
)
@click.option("--seeds", "n_seeds", type=int, default=3, show_default=True, help="Seeds per mode.")
@click.option(
    "--seed", "first_seed", type=int, default=None, help="First seed (default: the scenario's)."
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Runs in parallel (default: the CPU count, at most the number of runs).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the table as JSON.",
)
def compare_command(
    scenario: str,
    modes: str,
    n_seeds: int,
    first_seed: int | None,
    workers: int | None,
    out_file: str | None,
) -> None:
    """Run SCENARIO in each coordination mode on the same seeds and compare them."""
    if out_file is not None:
        check_out_file(out_file)  # a bad --out fails now, not after the runs
    spec = load_scenario(scenario)
    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in chosen if m not in MODES]
    if bad or not chosen:
        raise InputError(
            [Problem("--modes", f"unknown mode(s) {bad}; expected some of {', '.join(MODES)}")]
        )
    if n_seeds < 1:
        raise InputError([Problem("--seeds", f"must be at least 1 (got {n_seeds})")])
    if workers is not None and workers < 1:
        raise InputError([Problem("--workers", f"must be at least 1 (got {workers})")])
    start = spec.seed if first_seed is None else first_seed
    seeds = list(range(start, start + n_seeds))
    total = len(chosen) * n_seeds
    n_workers = min(workers or os.cpu_count() or 1, total)
    with Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    ) as bar:
        task = bar.add_task("runs", total=total)
        rows, outcomes = compare_modes(
            spec, chosen, seeds, _summary, lambda: bar.advance(task), workers=n_workers
        )

    table = Table(title=f"{spec.name}: coordination modes, seeds {seeds[0]}..{seeds[-1]}")
    for column in (
        "mode",
        "partner",
        "warned",
        "median warn s",
        "worst warn s",
        "accidental warn s",
        "GOSPA km own",
        "own covered",
        "fused",
        "fused covered",
    ):
        left = column in ("mode", "partner")
        table.add_column(column, justify="left" if left else "right", no_wrap=left)
    for row in rows:
        table.add_row(
            row.mode,
            row.partner,
            _fmt(row.warned, 1),
            _fmt(row.median_warning_s),
            _fmt(row.worst_warning_s),
            _fmt(row.accidental_warning_s),
            _fmt(row.gospa_mean_km, 1),
            _fmt(row.gospa_covered_km, 1),
            _fmt(row.gospa_fused_km, 1),
            _fmt(row.gospa_fused_covered_km, 1),
        )
    # Piped output (CI logs, files) gets room for the tables rather than 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    console.print(
        "GOSPA (c 10 km, p 1): mean over time on each partner's own tracks and on its fused "
        "picture, against every threat or only while a radar feeding that picture could see it."
    )

    partners = [p.id for p in spec.partners]
    defence = Table(title="defence outcome (means over seeds)")
    for column in (
        "mode",
        "leakers",
        "value hit",
        "interceptors",
        "by partner",
        "kills",
        "alert→shot s",
    ):
        left = column == "mode"
        defence.add_column(column, justify="left" if left else "right", no_wrap=left)
    for o in outcomes:
        defence.add_row(
            o.mode,
            _fmt(o.leakers, 2),
            _fmt(o.value_hit, 0),
            _fmt(o.interceptors_used, 1),
            " ".join(f"{p} {o.interceptors_by_partner.get(p, 0.0):.1f}" for p in partners),
            _fmt(o.kills, 1),
            _fmt(o.alert_to_first_shot_s),
        )
    console.print(defence)
    if out_file:
        Path(out_file).write_text(
            json.dumps(
                {
                    "seeds": seeds,
                    "rows": [asdict(r) for r in rows],
                    "outcomes": [asdict(o) for o in outcomes],
                },
                indent=2,
            )
            + "\n"
        )
