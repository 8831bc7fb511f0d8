"""The end of a live exercise: the run folder, written as ``skyweave run`` writes one.

The folder holds every table, ``summary.json``, ``report.html``, the globe
files, ``scenario.json`` and ``commands.jsonl`` (the staffs' and white cell's
commands as the engine applied them), so ``skyweave run --replay DIR``
reproduces it bit for bit: the same calls, in the same order, as
``skyweave run``'s own folder writing.
"""

from __future__ import annotations

from pathlib import Path

from skyweave.cli.run import COMMANDS_LOG, SCENARIO_COPY, scenario_json
from skyweave.engine.commands import write_commands
from skyweave.engine.simulation import Simulation
from skyweave.io.exports import write_globe_exports
from skyweave.io.report import write_report
from skyweave.io.run_folder import prepare_out_dir, write_run_folder
from skyweave.simulation import run_result, track_quality_summary


def write_exercise_folder(sim: Simulation, out_dir: Path, overwrite: bool = False) -> Path:
    """Write the run folder of an exercise stepped to its current tick.

    Parameters
    ----------
    sim : Simulation
        The exercise's engine (stepped at least once).
    out_dir : Path
    overwrite : bool
        Replace an existing non-empty folder.

    Returns
    -------
    Path
        The folder written.
    """
    prepare_out_dir(out_dir, overwrite)
    result = run_result(sim)
    spec = sim.scenario

    def finish(folder: Path) -> dict[str, object]:
        (folder / SCENARIO_COPY).write_text(scenario_json(spec), encoding="utf-8")
        write_commands(folder / COMMANDS_LOG, result.commands)
        write_globe_exports(folder, spec, result.truth, result.engagements)
        measures = track_quality_summary(folder)
        write_report(folder, spec, summary={**result.summary, **measures})
        return measures

    return write_run_folder(out_dir, result.tables, result.summary, finish)


__all__ = ["write_exercise_folder"]
