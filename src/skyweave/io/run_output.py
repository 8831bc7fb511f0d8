"""A run's folder, written the one way every run writes it (``skyweave run``, replay,
a played exercise): the tables, ``scenario.json``, ``commands.jsonl``, the globe
files, the track-quality measures and the report, then ``summary.json``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyweave.analysis.metrics_run import compute_run_metrics, track_quality
from skyweave.engine.commands import write_commands
from skyweave.io import safe_files
from skyweave.io.exports import write_globe_exports
from skyweave.io.report import write_report
from skyweave.io.run_folder import RECORDED_INPUTS, write_run_folder
from skyweave.scenario.schema import Scenario
from skyweave.simulation import RunResult

SCENARIO_COPY = "scenario.json"
"""The run's scenario as it ran (mode override applied), for ``--replay``."""

COMMANDS_LOG = "commands.jsonl"
"""The operators' commands the run was given (applied or rejected), for ``--replay``."""


def scenario_json(spec: Scenario) -> str:
    """The scenario as JSON that :func:`load_scenario` reads back to an equal scenario."""
    return spec.model_dump_json(by_alias=True, indent=2) + "\n"


def write_run_output(
    out: Path, spec: Scenario, result: RunResult, extra_files: Mapping[str, str] | None = None
) -> Path:
    """Write ``result`` of ``spec`` to the run folder ``out`` (atomically); return it.

    ``extra_files`` (file name -> text) are more recorded inputs written beside the
    tables, their SHA-256 in ``summary.json`` (a rewound exercise's branches).
    """
    extra = dict(extra_files or {})

    def finish(folder: Path) -> dict[str, Any]:
        (folder / SCENARIO_COPY).write_text(scenario_json(spec), encoding="utf-8")
        write_commands(folder / COMMANDS_LOG, result.commands)
        for name, text in extra.items():
            safe_files.write_text(safe_files.safe_path(folder, name), text)
        write_globe_exports(folder, spec, result.truth, result.engagements)
        # the partners' own-track metrics once, for summary.json and the report alike
        own = compute_run_metrics(folder, partners=[p.id for p in spec.partners])
        end_s = float(result.summary["simulated_s"])
        measures = track_quality(folder, spec, end_s=end_s, own=own)
        write_report(folder, spec, summary={**result.summary, **measures}, metrics=own)
        return measures

    # summary.json's hashes cover every table, not only the replay's inputs: a review
    # or a replay refuses a damaged file by name instead of failing inside pyarrow
    hashed = (*RECORDED_INPUTS, *extra, *(f"{name}.parquet" for name in result.tables))
    return write_run_folder(out, result.tables, result.summary, finish, hashed)
