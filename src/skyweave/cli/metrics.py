"""``skyweave metrics RUN_DIR``: recompute track-quality metrics (GOSPA, SIAP) of a run."""

from __future__ import annotations

import json
from typing import Any

import click


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


@click.command("metrics")
@click.argument("run_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option(
    "--c-km",
    type=click.FloatRange(min=0.0, min_open=True),
    default=10.0,
    show_default=True,
    help="GOSPA cut-off distance, km.",
)
@click.option(
    "--p",
    "p",
    type=click.FloatRange(min=1.0),
    default=1.0,
    show_default=True,
    help="GOSPA order p (1 <= p).",
)
@click.option(
    "--threshold-km",
    type=click.FloatRange(min=0.0, min_open=True),
    default=5.0,
    show_default=True,
    help="SIAP track-to-truth association threshold, km.",
)
@click.option(
    "--picture",
    type=click.Choice(["own", "fused"]),
    default="own",
    show_default=True,
    help="Each partner's own tracks (tracks.parquet) or its fused picture (picture.parquet).",
)
@click.option(
    "--covered",
    is_flag=True,
    help="Count a threat only while a radar feeding the picture could see it "
    "(needs RUN_DIR/scenario.json, or --scenario).",
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scenario the run used (default: RUN_DIR/scenario.json), for --covered.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def metrics_command(
    run_dir: str,
    c_km: float,
    p: float,
    threshold_km: float,
    picture: str,
    covered: bool,
    scenario_file: str | None,
    as_json: bool,
) -> None:
    """Recompute GOSPA and SIAP per partner from RUN_DIR's truth and tracks tables."""
    from pathlib import Path

    from skyweave.analysis.metrics_run import compute_run_metrics, radar_coverage

    coverage = None
    if covered:
        from skyweave.errors import InputError, Problem
        from skyweave.scenario import load_scenario

        source = Path(scenario_file) if scenario_file else Path(run_dir) / "scenario.json"
        if not source.is_file():
            raise InputError(
                [Problem(str(source), "scenario not found; --covered needs the run's scenario")]
            )
        spec = load_scenario(source)
        summary = Path(run_dir) / "summary.json"
        end_s = json.loads(summary.read_text())["simulated_s"] if summary.is_file() else None
        coverage = radar_coverage(
            spec, float(end_s if end_s is not None else spec.duration_s), fused=picture == "fused"
        )
    result = compute_run_metrics(
        run_dir,
        c_m=c_km * 1000.0,
        p=p,
        association_threshold_m=threshold_km * 1000.0,
        tracks_file="picture.parquet" if picture == "fused" else "tracks.parquet",
        coverage=coverage,
    )
    if as_json:
        click.echo(json.dumps(result, indent=2, allow_nan=False))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console()
    params = result["parameters"]
    which = "covered" if covered else "all"
    if not result["partners"]:
        console.print("no partner tracks in tracks.parquet")
    for partner, m in result["partners"].items():
        g, s = m["gospa"], m["siap"]
        mean_gospa = g["mean_distance_m"]
        table = Table(
            title=(
                f"{partner} ({picture} picture, {which} threats): "
                f"GOSPA c={params['gospa_c_m'] / 1000:g} km p={params['gospa_p']:g}, "
                f"SIAP threshold {params['siap_association_threshold_m'] / 1000:g} km"
            ),
            title_justify="left",
        )
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_column("target", justify="right")
        rows: list[tuple[str, str, str]] = [
            ("tracks (reports)", f"{m['n_tracks']} ({m['n_track_reports']})", ""),
            ("evaluation times", str(m["n_evaluation_times"]), ""),
            (
                "mean GOSPA, km",
                _fmt(None if mean_gospa is None else mean_gospa / 1000.0),
                "0",
            ),
            ("mean missed targets", _fmt(g["mean_missed_count"], 2), "0"),
            ("mean false tracks", _fmt(g["mean_false_count"], 2), "0"),
            ("mean threats counted", _fmt(g["mean_truth_count"], 2), ""),
            ("SIAP completeness", _fmt(s["completeness"]), "1"),
            ("SIAP ambiguity", _fmt(s["ambiguity"]), "1"),
            ("SIAP spuriousness", _fmt(s["spuriousness"]), "0"),
            ("SIAP position accuracy, m", _fmt(s["position_accuracy_m"], 1), "0"),
            ("SIAP velocity accuracy, m/s", _fmt(s["velocity_accuracy_mps"], 1), "0"),
            (
                "SIAP track number changes, /min",
                _fmt(s["rate_of_track_number_change_per_s"] * 60.0),
                "0",
            ),
            ("SIAP longest track segment", _fmt(s["longest_track_segment"]), "1"),
        ]
        for row in rows:
            table.add_row(*row)
        console.print(table)
