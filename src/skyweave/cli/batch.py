"""``skyweave batch``: many seeded runs of one scenario, locally or on a Dask cluster; or,
with ``--from-run``, the rest of a played exercise from a branch time over many seeds."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from skyweave.cli.progress import LineProgress
from skyweave.errors import InputError, Problem
from skyweave.io.batch_report import write_batch_report


@click.command("batch")
@click.argument("scenario", type=click.Path(dir_okay=False), required=False)
@click.option("--runs", "runs", type=int, required=True, help="Seeded runs per sweep point.")
@click.option(
    "--from-run",
    "from_run",
    type=click.Path(file_okay=False),
    default=None,
    metavar="RUN_DIR",
    help="A counterfactual batch of a played exercise (a run folder, or an exercise's "
    "staging folder): its play up to --branch-at, then --runs seeds after it (no SCENARIO).",
)
@click.option(
    "--branch-at",
    "branch_at_s",
    type=float,
    default=None,
    metavar="T",
    help="With --from-run: the simulation second (a tick at or before it) the runs go on from.",
)
@click.option(
    "--branch",
    default=None,
    metavar="NAME",
    help="With --from-run: the branch of the played exercise (default: its main line).",
)
@click.option(
    "--commands",
    "commands_file",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="ALT.jsonl",
    help="With --from-run: the alternative's commands after T (default: none of the "
    "staffs' orders, the policies answer), paired against the played commands.",
)
@click.option(
    "--seed", type=int, default=None, help="Base seed of the batch (default: the scenario's)."
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Local worker processes (default: CPU count; 1 runs in this process).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on a Dask cluster, e.g. tcp://host:8786 (workers need Skyweave installed).",
)
@click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="PARAM=V1,V2,...",
    help="Sweep a scenario field, e.g. batteries[0].interceptors=8,16 (repeatable: "
    "all combinations).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Batch folder (default: runs/<scenario>-batch-seed<seed>).",
)
@click.option("--until", "until_s", type=float, default=None, help="Stop each run after SECONDS.")
@click.option("--resume", is_flag=True, help="Continue an interrupted batch in --out.")
@click.option("--keep-runs", is_flag=True, help="Also write every run's folder under OUT/runs/.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def batch_command(
    scenario: str | None,
    runs: int,
    from_run: str | None,
    branch_at_s: float | None,
    branch: str | None,
    commands_file: str | None,
    seed: int | None,
    workers: int | None,
    scheduler: str | None,
    sweeps: tuple[str, ...],
    out_dir: str | None,
    until_s: float | None,
    resume: bool,
    keep_runs: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO --runs times per sweep point; write runs.parquet, per_threat.parquet
    (one row per run and threat) and batch_summary.json.

    Run i's seed is derived from the base seed with NumPy's SeedSequence (the same
    seed at every sweep point, and the same as skyweave compare's run i). A failed
    run is recorded with its seed and error and the batch goes on; an interrupted
    batch continues with --resume.
    """
    from skyweave.analysis.batch import BatchSpec, run_batch
    from skyweave.analysis.batch_sweep import parse_sweep
    from skyweave.io.run_folder import check_out_dir
    from skyweave.scenario import load_scenario

    if out_dir is not None:
        check_out_dir(out_dir, resume, kind="batch")  # a bad --out fails now, not after the runs
    if runs < 1:
        raise InputError([Problem("--runs", f"must be at least 1 (got {runs})")])
    if workers is not None and workers < 1:
        raise InputError([Problem("--workers", f"must be at least 1 (got {workers})")])
    if from_run is not None:
        spec, default_out = _counterfactual_spec(
            from_run,
            scenario,
            runs,
            seed,
            sweeps,
            until_s,
            keep_runs,
            branch_at_s,
            branch,
            commands_file,
        )
    else:
        for name, given in (
            ("--branch-at", branch_at_s),
            ("--branch", branch),
            ("--commands", commands_file),
        ):
            if given is not None:
                raise InputError([Problem(name, "goes with --from-run RUN_DIR")])
        if scenario is None:
            raise InputError(
                [Problem("skyweave batch", "give a SCENARIO file (or --from-run RUN_DIR)")]
            )
        parsed = tuple(parse_sweep(text) for text in sweeps)
        spec_scenario = load_scenario(scenario)
        base_seed = spec_scenario.seed if seed is None else seed
        spec = BatchSpec(
            scenario=spec_scenario,
            runs=runs,
            base_seed=base_seed,
            sweeps=parsed,
            until_s=until_s,
            scenario_file=scenario,
        )
        default_out = Path("runs") / f"{spec_scenario.name}-batch-seed{base_seed}"
    out = Path(out_dir) if out_dir else default_out
    reporters: list[Any] = []
    if not quiet and sys.stderr.isatty():
        reporters.append(_RichReporter())
    if not quiet and not sys.stdout.isatty():
        # a log file or a scheduler: a line per run (or per 5 %) with elapsed and ETA
        reporters.append(LineProgress("batch"))
    reporter = _Reporters(reporters) if reporters else None
    check_out_dir(out, resume, kind="batch")
    try:
        with _sigterm_as_interrupt():
            outcome = run_batch(
                spec,
                out,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                keep_runs=keep_runs,
                reporter=reporter,
            )
    except KeyboardInterrupt as exc:
        if reporter is not None:
            reporter.stop()
        kept = _journal_count(out)
        click.echo(
            f"interrupted: {kept} finished run(s) kept in {out / 'journal.jsonl'}; "
            "run the same command with --resume to continue",
            err=True,
        )
        sys.exit(128 + getattr(exc, "signum", signal.SIGINT))
    finally:
        if reporter is not None:
            reporter.stop()
    report = write_batch_report(out)
    if quiet:
        return
    rate = (outcome.total - outcome.skipped) / outcome.wall_s if outcome.wall_s > 0 else 0.0
    click.echo(
        f"{outcome.total} runs ({outcome.ok} ok, {outcome.failed} failed"
        + (f", {outcome.skipped} from the journal" if outcome.skipped else "")
        + f") in {outcome.wall_s:.1f} s, {rate:.2f} runs/s"
    )
    for failure in outcome.failures[:5]:
        click.echo(
            f"failed: point {failure['point']} run {failure['run']} seed {failure['seed']}: "
            f"{failure['error']}",
            err=True,
        )
    if outcome.failed > 5:
        click.echo(f"... {outcome.failed - 5} more failures in runs.parquet", err=True)
    if spec.counterfactual is not None:
        _echo_counterfactual(out)
    click.echo(
        f"wrote {out / 'runs.parquet'}, {out / 'per_threat.parquet'}, "
        f"{out / 'batch_summary.json'} and {report}"
    )


def _counterfactual_spec(
    from_run: str,
    scenario: str | None,
    runs: int,
    seed: int | None,
    sweeps: tuple[str, ...],
    until_s: float | None,
    keep_runs: bool,
    branch_at_s: float | None,
    branch: str | None,
    commands_file: str | None,
) -> tuple[Any, Path]:
    """The batch of ``--from-run``: checks, then the played line run to the branch time."""
    import math

    from skyweave.analysis.batch import BatchSpec
    from skyweave.analysis.batch_from_run import plan_counterfactual

    refused = [
        ("SCENARIO", scenario is not None, "the scenario is the played run's"),
        ("--sweep", bool(sweeps), "the points are the played and the alternative commands"),
        ("--keep-runs", keep_runs, "a run whose seed changes at T has no replayable folder"),
    ]
    for name, given, why in refused:
        if given:
            raise InputError([Problem(name, f"not with --from-run: {why}")])
    if branch_at_s is None or not math.isfinite(branch_at_s):
        raise InputError([Problem("--branch-at", "expected the simulation second to go on from")])
    spec_scenario, cf = plan_counterfactual(
        Path(from_run), branch_at_s, branch, None if commands_file is None else Path(commands_file)
    )
    end_s = cf.played_to_s if until_s is None else until_s
    if not cf.branch_time_s < end_s <= spec_scenario.duration_s:
        raise InputError(
            [
                Problem(
                    "--until",
                    f"expected seconds after the branch time ({cf.branch_time_s:g} s) and "
                    f"at most the scenario's duration ({spec_scenario.duration_s:g} s)",
                )
            ]
        )
    base_seed = cf.played_seed if seed is None else seed
    spec = BatchSpec(
        scenario=spec_scenario,
        runs=runs,
        base_seed=base_seed,
        until_s=end_s,
        scenario_file=f"{from_run} ({cf.branch})",
        counterfactual=cf,
    )
    name = f"{spec_scenario.name}-{cf.branch}-at{cf.branch_time_s:g}-batch-seed{base_seed}"
    return spec, Path("runs") / name


def _echo_counterfactual(out: Path) -> None:
    """Leakers as played and per arm, and the arms' paired difference (from the summary)."""
    import json

    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    info, measure = summary["from_run"], "engagement.leakers"
    played = info["played"]["measures"].get(measure)
    means = [
        f"{a['label']} {p['measures'].get(measure, {}).get('mean')}"
        for a, p in zip(info["arms"], summary["points"], strict=True)
    ]
    click.echo(
        f"from {info['branch']} at {info['branch_time_s']:g} s: leakers as played {played}; "
        f"mean over the runs: {', '.join(means)}"
    )
    for d in summary.get("paired_differences", []):
        if d["measure"] == measure:
            click.echo(
                f"paired difference (point 2 - point 1): {d['mean']} (95 % CI {d['t_ci95']})"
            )


class _RichReporter:
    """A rich progress bar on stderr: runs done, failures, rate and time left."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._failed = 0

    def start(self, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("- runs/s" if speed is None else f"{speed:.2f} runs/s")

        self._progress = Progress(
            TextColumn("[bold blue]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task("batch", total=total, completed=done)

    def advance(self, row: dict[str, Any]) -> None:
        if self._progress is None:
            return
        if row.get("status") != "ok":
            self._failed += 1
        description = f"batch ({self._failed} failed)" if self._failed else "batch"
        self._progress.update(self._task, advance=1, description=description)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class _Reporters:
    """Several progress reporters fed the same events."""

    def __init__(self, reporters: list[Any]) -> None:
        self._reporters = reporters

    def start(self, total: int, done: int) -> None:
        for r in self._reporters:
            r.start(total, done)

    def advance(self, row: dict[str, Any]) -> None:
        for r in self._reporters:
            r.advance(row)

    def stop(self) -> None:
        for r in self._reporters:
            r.stop()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop the workers, keep the journal, exit 143."""

    signum = int(signal.SIGTERM)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _journal_count(out: Path) -> int:
    """Finished runs in the journal (0 when it cannot be read)."""
    from skyweave.analysis.batch_results import JOURNAL_NAME, read_journal

    try:
        return len(read_journal(out / JOURNAL_NAME))
    except (InputError, OSError):
        return 0
