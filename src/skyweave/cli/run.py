"""``skyweave run``: run one scenario and write its output folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pyarrow.parquet as pq
from rich.console import Console

from skyweave.errors import InputError, Problem
from skyweave.exercise.consent import (
    ConsentPolicy,
    RecordedConsent,
    ReplayMismatch,
    ScenarioConsent,
)
from skyweave.io.dis import DisSender, parse_url
from skyweave.io.exports import engagement_events, scenario_sites, write_globe_exports
from skyweave.io.replay_input import check_run_folder
from skyweave.io.report import write_report
from skyweave.io.run_folder import (
    check_out_dir,
    output_indices,
    prepare_out_dir,
    write_run_folder,
)
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Scenario
from skyweave.simulation import run_scenario, track_quality_summary


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(file_okay=False),
    default=None,
    metavar="RUN_DIR",
    help="Re-run RUN_DIR exactly: its scenario, seed, duration and recorded consent "
    "decisions (no SCENARIO argument).",
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
    scenario: str | None,
    replay_dir: str | None,
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
    if out_dir is not None:
        check_out_dir(out_dir, overwrite)  # a bad --out fails now, not after the run
    consent: ConsentPolicy | None = None
    if replay_dir is not None:
        if scenario is not None or seed is not None or mode is not None or until_s is not None:
            raise InputError(
                [
                    Problem(
                        "--replay",
                        "takes the scenario, seed, mode and duration from RUN_DIR; "
                        "give none of SCENARIO, --seed, --mode, --until",
                    )
                ]
            )
        check_run_folder(replay_dir)  # every file named, links refused, hashes verified
        spec, seed, until_s, consent = load_replay(Path(replay_dir))
        if out_dir is None:
            out_dir = str(Path(replay_dir).with_name(Path(replay_dir).name + "-replay"))
    elif scenario is None:
        raise InputError([Problem("skyweave run", "give a SCENARIO file (or --replay RUN_DIR)")])
    else:
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
    try:
        result = run_scenario(
            spec, run_seed, until_s=until_s, progress=show_progress, consent=consent
        )
    except ReplayMismatch as exc:
        raise InputError([Problem(f"{replay_dir}/events.parquet", str(exc))]) from None
    engagements = result.engagements

    def finish(folder: Path) -> dict[str, object]:
        (folder / SCENARIO_COPY).write_text(scenario_json(spec), encoding="utf-8")
        write_globe_exports(folder, spec, result.truth, engagements)
        measures = track_quality_summary(folder)
        write_report(folder, spec, summary={**result.summary, **measures})
        return measures

    write_run_folder(out, result.tables, result.summary, finish)
    if dis_url is not None:
        idx = output_indices(result.truth.times_s, spec.output_interval_s)
        fires, detonations = engagement_events(engagements)
        with DisSender(dis_url) as sender:
            sent = sender.emit(
                spec.epoch,
                result.truth.times_s[idx],
                result.truth.object_ids,
                result.truth.kinds,
                result.truth.states[idx],
                fires=fires,
                detonations=detonations,
                sites=scenario_sites(spec),
                partners=[p.id for p in spec.partners],
                time_scale=dis_time_scale,
            )
        if not quiet:
            Console(stderr=True).print(f"sent {sent} DIS PDUs to {dis_url}")
    if not quiet:
        from skyweave.io.console import print_run_summary

        summary = json.loads((out / "summary.json").read_text())
        print_run_summary(Console(), summary, out, wall_s=result.wall_s)


SCENARIO_COPY = "scenario.json"
"""The run's scenario as it ran (mode override applied), for ``--replay``."""


def scenario_json(spec: Scenario) -> str:
    """The scenario as JSON that :func:`load_scenario` reads back to an equal scenario."""
    return spec.model_dump_json(by_alias=True, indent=2) + "\n"


def load_replay(run_dir: Path) -> tuple[Scenario, int, float, ConsentPolicy]:
    """Scenario, seed, duration and recorded consent decisions of a run folder."""
    need = [run_dir / SCENARIO_COPY, run_dir / "summary.json", run_dir / "events.parquet"]
    missing = [p for p in need if not p.is_file()]
    if missing:
        raise InputError(
            [
                Problem(str(p), "missing: --replay needs a run folder written by skyweave run")
                for p in missing
            ]
        )
    spec = load_scenario(run_dir / SCENARIO_COPY)
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        seed, until_s = int(summary["seed"]), float(summary["simulated_s"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            [Problem(str(run_dir / "summary.json"), f"expected seed and simulated_s ({exc})")]
        ) from None
    events = pq.read_table(run_dir / "events.parquet").to_pydict()
    try:
        consent = RecordedConsent.from_events(
            events["time_s"],
            events["kind"],
            events["target"],
            events["text"],
            fallback=ScenarioConsent(spec),
        )
    except (ValueError, KeyError) as exc:
        raise InputError([Problem(str(run_dir / "events.parquet"), str(exc))]) from None
    return spec, seed, until_s, consent
