"""``skyweave report RUN_DIR``: write the self-contained after-action report of a run."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The scenario the run played: assets, sensors, batteries, injects, partner colours "
    "(default: RUN_DIR/scenario.json, written by skyweave run).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Report file (default: RUN_DIR/report.html).",
)
def report_command(run_dir: str, scenario_path: str | None, out_path: str | None) -> None:
    """Write RUN_DIR's after-action report: one HTML page that opens offline."""
    from skyweave.io import safe_files
    from skyweave.io.report import REPORT_NAME, render_report

    # A link in the run folder would be read or written through: refuse it first.
    safe_files.refuse_links(run_dir)
    text = render_report(run_dir, scenario_path)
    path = Path(out_path) if out_path else safe_files.safe_path(run_dir, REPORT_NAME)
    safe_files.write_text(path, text)  # replaces a link at the path, never writes through it
    click.echo(f"wrote {path}")
