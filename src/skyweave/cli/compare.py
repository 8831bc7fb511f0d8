"""``skyweave compare``: the coordination modes side by side on the same seeds, with
paired differences, their intervals and tests, and a page with the paired plot."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from skyweave.analysis.batch import SEED_DERIVATION, derive_seed
from skyweave.analysis.compare import MODES, ModeRun, mode_table, run_modes
from skyweave.analysis.compare_paired import (
    differences_table,
    is_measure_name,
    paired_differences,
    per_seed,
    per_seed_table,
    precision_reached,
    seeds_still_needed,
)
from skyweave.analysis.metrics_run import track_quality
from skyweave.analysis.threat_table import threat_table_rows, threats_table
from skyweave.cli.progress import LineProgress
from skyweave.errors import InputError, Problem
from skyweave.io import compare_report
from skyweave.io.run_folder import check_out_dir, write_run_folder
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Scenario
from skyweave.simulation import run_scenario

_OUTPUTS = (
    compare_report.COMPARE_JSON,
    compare_report.PER_SEED,
    compare_report.DIFFERENCES,
    compare_report.THREATS,
    compare_report.REPORT,
)


def run_one(scenario: Scenario, seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One run's summary (with track quality) and per-threat rows (picklable for a pool)."""
    result = run_scenario(scenario, seed, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_run_folder(Path(tmp) / "run", result.tables, result.summary)
        summary = {
            **result.summary,
            **track_quality(folder, scenario, end_s=float(result.summary["simulated_s"])),
        }
        return summary, threat_table_rows(folder, scenario, summary)


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _check_out(out: Path, overwrite: bool) -> None:
    """An empty or new folder; with ``--overwrite`` one holding only compare's files."""
    if overwrite and out.is_dir():
        foreign = sorted(e for e in os.listdir(out) if e not in _OUTPUTS)
        if foreign:
            raise InputError(
                [
                    Problem(
                        str(out),
                        f"holds files compare did not write ({', '.join(foreign[:5])}); "
                        "--overwrite only replaces a compare folder: choose another --out",
                    )
                ]
            )
        return
    check_out_dir(out, False)


def _pair(text: str | None, chosen: Sequence[str]) -> tuple[str, str]:
    if text is None:
        return chosen[0], chosen[-1]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or any(p not in chosen for p in parts) or parts[0] == parts[1]:
        raise InputError(
            [Problem("--pair", f"expected two of the compared modes A,B (got {text!r})")]
        )
    return parts[0], parts[1]


@contextlib.contextmanager
def _executor(workers: int) -> Iterator[Executor | None]:
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool


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
    "--seed",
    "base_seed",
    type=int,
    default=None,
    help="Base seed: run i's seed is derived from it as in skyweave batch (default: the "
    "scenario's seed).",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Runs in parallel (default: the CPU count, at most the number of runs).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for compare.json, per_seed.parquet, differences.parquet, per_threat.parquet "
    "and report.html (default: runs/<scenario>-compare-seed<seed>).",
)
@click.option("--overwrite", is_flag=True, help="Replace the files of an earlier comparison.")
@click.option(
    "--precision",
    type=float,
    default=None,
    metavar="HALF_WIDTH",
    help="Add seeds until the 95 % paired-t half-width of --measure's --pair difference "
    "is below HALF_WIDTH (at most --max-seeds).",
)
@click.option(
    "--measure",
    default="leakers",
    show_default=True,
    help="The measure --precision watches (a column of per_seed.parquet).",
)
@click.option(
    "--pair",
    default=None,
    metavar="A,B",
    help="The difference B - A --precision watches (default: first and last mode).",
)
@click.option("--max-seeds", type=int, default=200, show_default=True, help="Cap of --precision.")
def compare_command(
    scenario: str,
    modes: str,
    n_seeds: int,
    base_seed: int | None,
    workers: int | None,
    out_dir: str | None,
    overwrite: bool,
    precision: float | None,
    measure: str,
    pair: str | None,
    max_seeds: int,
) -> None:
    """Run SCENARIO in each coordination mode on the same seeds and compare them.

    Every mode runs on the same seeds (and so on the same random draws), so the
    page and the tables give paired differences between modes: per-seed values,
    mean difference with 95 % intervals (paired t and bootstrap), sign and
    Wilcoxon tests.
    """
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
    if precision is not None:
        if not precision > 0:
            raise InputError([Problem("--precision", f"must be positive (got {precision})")])
        if len(chosen) < 2:
            raise InputError([Problem("--precision", "needs at least two --modes")])
        if max_seeds < max(n_seeds, 2):
            raise InputError([Problem("--max-seeds", f"must be at least {max(n_seeds, 2)}")])
        if not is_measure_name(measure):
            raise InputError(
                [Problem("--measure", f"{measure!r} is not a per_seed.parquet column name")]
            )
    watched = _pair(pair, chosen) if len(chosen) > 1 else None
    base = spec.seed if base_seed is None else base_seed
    if base < 0:
        raise InputError([Problem("--seed", f"must be non-negative (got {base})")])
    out = Path(out_dir) if out_dir else Path("runs") / f"{spec.name}-compare-seed{base}"
    _check_out(out, overwrite)  # a bad --out fails now, not after the runs

    seeds = [derive_seed(base, i) for i in range(n_seeds)]
    if precision is not None:
        seeds = [derive_seed(base, i) for i in range(max(n_seeds, 2))]
    total = len(chosen) * len(seeds)
    n_workers = min(workers or os.cpu_count() or 1, total)
    lines = None if sys.stdout.isatty() else LineProgress("compare")
    partners = [p.id for p in spec.partners]
    runs: list[ModeRun] = []
    with (
        Progress(
            console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
        ) as bar,
        _executor(n_workers) as pool,
    ):
        task = bar.add_task("runs", total=total)
        if lines is not None:
            lines.start(total)

        def done() -> None:
            bar.advance(task)
            if lines is not None:
                lines.advance()

        def run_seeds(new: Sequence[int]) -> None:
            runs.extend(run_modes(spec, chosen, new, run_one, done, pool))

        run_seeds(seeds)
        precision_info = None
        if precision is not None and watched is not None:
            while True:
                rows = per_seed(runs, partners)
                if not any(measure in r for r in rows):
                    raise InputError(
                        [Problem("--measure", f"no measure {measure!r} in the runs' outputs")]
                    )
                diff = _watched(rows, chosen, seeds, watched, measure)
                if precision_reached(diff, precision) or len(seeds) >= max_seeds:
                    break
                wanted = seeds_still_needed(rows, watched, measure, seeds, precision)
                # grow by at most doubling: the spread seen on few seeds is itself rough
                target = min(max_seeds, max(wanted, len(seeds) + 1), 2 * len(seeds))
                new = [derive_seed(base, i) for i in range(len(seeds), target)]
                bar.update(task, total=(bar.tasks[0].total or 0) + len(new) * len(chosen))
                if lines is not None:
                    lines.extend(len(new) * len(chosen))
                seeds.extend(new)
                run_seeds(new)
            precision_info = {
                "measure": measure,
                "a": watched[0],
                "b": watched[1],
                "target_half_width": precision,
                "cap": max_seeds,
                "seeds": len(seeds),
                "half_width": None if diff is None else diff["t_half_width"],
                "reached": precision_reached(diff, precision),
            }

    rows = per_seed(runs, partners)
    differences = paired_differences(rows, chosen, seeds)
    table_rows, outcomes = mode_table(spec, chosen, runs)
    result = {
        "scenario": spec.name,
        "scenario_file": scenario,
        "modes": chosen,
        "base_seed": base,
        "seed_derivation": SEED_DERIVATION,
        "seeds": seeds,
        "confidence": 0.95,
        "precision": precision_info,
        "rows": [asdict(r) for r in table_rows],
        "outcomes": [asdict(o) for o in outcomes],
        "per_seed": rows,
        "differences": differences,
    }
    threat_rows = [{"mode": r.mode, "seed": r.seed, **t} for r in runs for t in r.threats]
    report = compare_report.write_compare_outputs(
        out,
        result,
        {
            compare_report.PER_SEED: per_seed_table(rows),
            compare_report.DIFFERENCES: differences_table(differences),
            compare_report.THREATS: threats_table(threat_rows),
        },
    )
    _print_tables(spec, seeds, table_rows, outcomes, differences, precision_info)
    click.echo(f"wrote {out} (report: {report})")


def _watched(
    rows: Sequence[dict[str, Any]],
    modes: Sequence[str],
    seeds: Sequence[int],
    pair: tuple[str, str],
    measure: str,
) -> dict[str, Any] | None:
    for d in paired_differences(
        [{k: r.get(k) for k in ("mode", "seed", measure)} for r in rows], modes, seeds
    ):
        if (d["a"], d["b"]) == pair:
            return d
    return None


def _print_tables(
    spec: Scenario,
    seeds: Sequence[int],
    rows: Sequence[Any],
    outcomes: Sequence[Any],
    differences: Sequence[dict[str, Any]],
    precision_info: dict[str, Any] | None,
) -> None:
    table = Table(title=f"{spec.name}: coordination modes, {len(seeds)} seeds")
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
        "GOSPA (c 10 km, p 1): time-weighted mean over the run on each partner's own tracks "
        "and on its fused picture, against every threat or only while a radar feeding that "
        "picture could see it."
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

    paired = Table(title="paired differences B − A (95 % CI: paired t; bootstrap)")
    for column in ("measure", "B − A", "mean", "t CI", "bootstrap CI", "Wilcoxon p"):
        left = column in ("measure", "B − A")
        paired.add_column(column, justify="left" if left else "right", no_wrap=left)
    for d in differences:
        if d["measure"] not in ("leakers", "value_hit", "interceptors_used", "kills"):
            continue

        def ci(v: list[float] | None) -> str:
            return "-" if v is None else f"[{v[0]:.2f}, {v[1]:.2f}]"

        paired.add_row(
            d["measure"],
            f"{d['b']} − {d['a']}",
            _fmt(d["mean"], 2),
            ci(d["t_ci95"]),
            ci(d["bootstrap_ci95"]),
            "-" if d["wilcoxon_p"] is None else f"{d['wilcoxon_p']:.3g}",
        )
    console.print(paired)
    if precision_info is not None:
        state = "reached" if precision_info["reached"] else "not reached (cap)"
        half = precision_info["half_width"]
        console.print(
            f"precision: {precision_info['measure']} ({precision_info['b']} − "
            f"{precision_info['a']}) half-width "
            f"{'-' if half is None else f'{half:.3g}'} vs {precision_info['target_half_width']:g}: "
            f"{state} with {precision_info['seeds']} seeds"
        )
