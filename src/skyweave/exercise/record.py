"""The end of a live exercise: the run folder, written as ``skyweave run`` writes one.

The folder holds every table, ``summary.json``, ``report.html``, the globe
files, ``scenario.json`` and ``commands.jsonl`` (the staffs' and white cell's
commands as the engine applied them), so ``skyweave run --replay DIR``
reproduces it bit for bit: it is written by the same function as
``skyweave run``'s folder (:func:`skyweave.io.run_output.write_run_output`).
"""

from __future__ import annotations

from pathlib import Path

from skyweave.engine.simulation import Simulation
from skyweave.io.run_folder import prepare_out_dir
from skyweave.io.run_output import write_run_output
from skyweave.simulation import run_result


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
    return write_run_output(out_dir, sim.scenario, run_result(sim))


__all__ = ["write_exercise_folder"]
