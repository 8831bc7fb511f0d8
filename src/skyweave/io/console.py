"""Human-facing console output: a stage progress bar and the end-of-run summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class StageReporter(Protocol):
    """Called once per finished stage of the kill chain."""

    def __call__(self, stage: str) -> None: ...


@contextmanager
def stage_progress(stages: list[str], enabled: bool) -> Iterator[StageReporter]:
    """Yield a callback that advances a rich progress bar through the run's stages.

    With ``enabled`` false (not a terminal, ``--quiet``) the callback does nothing.
    """
    if not enabled:
        yield lambda stage: None
        return
    columns = (
        TextColumn("[bold blue]{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(stages[0] if stages else "", total=len(stages))
        position = {"i": 0}

        def advance(stage: str) -> None:
            position["i"] += 1
            following = stages[position["i"]] if position["i"] < len(stages) else "done"
            bar.update(task, advance=1, description=following)

        yield advance


def print_run_summary(
    console: Console, summary: Mapping[str, Any], out_dir: Path, wall_s: float | None = None
) -> None:
    """A short human summary of a run and where its files are."""
    counts = summary.get("counts", {})
    took = "" if wall_s is None else f" in {wall_s:.2f} s"
    console.print(
        f"[bold]{summary.get('scenario')}[/] seed {summary.get('seed')}, "
        f"{summary.get('coordination_mode')}: {summary.get('simulated_s', 0):.0f} s simulated{took}"
    )
    objects = ", ".join(f"{v} {k}" for k, v in counts.get("threats_by_kind", {}).items())
    if objects:
        console.print(f"threats: {objects}")
    threats = summary.get("threats", [])
    if threats:
        table = Table(title="threats", show_lines=False)
        for column in ("id", "kind", "launch s", "end s", "flight s", "apogee km", "outcome"):
            table.add_column(column, justify="left" if column in ("id", "outcome") else "right")
        for row in threats:
            table.add_row(
                row["object_id"],
                row["kind"],
                _fmt(row.get("launch_time_s")),
                _fmt(row.get("end_time_s")),
                _fmt(row.get("flight_time_s")),
                _fmt(row.get("apogee_km"), 1),
                str(row.get("outcome", "")).replace("_", " "),
            )
        console.print(table)
    for partner, w in summary.get("warning", {}).get("by_partner", {}).items():
        median, worst = w.get("median_warning_s"), w.get("worst_warning_s")
        air = [
            f"{c['warned']}/{c['threats']} {kind}"
            + (f" (median {_fmt(c['median_warning_s'])} s)" if c["warned"] else "")
            for kind, c in w.get("by_class", {}).items()
            if kind != "ballistic" and c["threats"]
        ]
        console.print(
            f"{partner}: warned of {w['warned']}/{w['ballistic_threats']} ballistic threats, "
            f"warning time median {_fmt(median)} s, worst {_fmt(worst)} s"
            + (f"; {', '.join(air)}" if air else "")
        )
    for partner, q in summary.get("track_quality", {}).get("partners", {}).items():
        gospa = q.get("gospa_mean_m")
        console.print(
            f"{partner}: mean GOSPA {_fmt(None if gospa is None else gospa / 1e3, 1)} km, "
            f"SIAP completeness {_fmt(q['siap'].get('completeness'), 2)}, "
            f"spuriousness {_fmt(q['siap'].get('spuriousness'), 2)}"
        )
    eng = summary.get("engagement")
    if eng:
        used = ", ".join(f"{p} {n}" for p, n in eng["interceptors_used"].items())
        outcomes = eng["outcomes"]
        console.print(
            f"engagements: {eng['engagements']} ({outcomes['kill']} kills, "
            f"{outcomes['miss']} misses, {outcomes['aborted']} aborted); "
            f"interceptors used: {used}"
        )
        hits = ", ".join(h["asset_id"] for h in eng["defended_assets_hit"]) or "none"
        console.print(
            f"leakers: {eng['leakers']} ({', '.join(eng['leaker_ids']) or 'none'}); "
            f"defended assets hit: {hits} (value {eng['value_hit']:.0f}); "
            f"first alert to first shot, median {_fmt(eng['alert_to_first_shot_median_s'])} s"
        )
    console.print(f"wrote [bold]{out_dir}[/]")


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


@contextmanager
def tick_progress(end_s: float, enabled: bool) -> Iterator[Callable[[float], None]]:
    """Yield a callback taking the simulation time; a rich bar of simulated seconds.

    With ``enabled`` false (not a terminal, ``--quiet``) the callback does nothing.
    """
    if not enabled:
        yield lambda time_s: None
        return
    columns = (
        TextColumn("[bold blue]simulating"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating", total=end_s)
        yield lambda time_s: bar.update(task, completed=time_s)
