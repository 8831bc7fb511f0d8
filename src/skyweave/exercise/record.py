"""The end of a live exercise: the run folder, written as ``skyweave run`` writes one.

The folder holds every table, ``summary.json``, ``report.html``, the globe
files, ``scenario.json`` and ``commands.jsonl`` (the staffs' and white cell's
commands as the engine applied them), so ``skyweave run --replay DIR``
reproduces it bit for bit: it is written by the same function as
``skyweave run``'s folder (:func:`skyweave.io.run_output.write_run_output`),
atomically (a hidden sibling swapped into place).

The play is never lost to a taken folder: when the output folder cannot be
written (another exercise or run wrote there meanwhile and ``--overwrite`` was not
given, or it holds foreign files), the folder is written beside it under a new
name (``runs/ex1-2``) and the caller is told which.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from skyweave.engine.simulation import Simulation
from skyweave.errors import InputError
from skyweave.io.run_folder import check_out_dir
from skyweave.io.run_output import write_run_output
from skyweave.simulation import run_result

#: other names tried beside a taken output folder
_MAX_ALTERNATIVES = 100


def free_out_dir(out_dir: Path, overwrite: bool) -> Path:
    """``out_dir`` if it may be written now, else the first free ``out_dir-N`` beside it.

    Raises
    ------
    InputError
        Neither ``out_dir`` nor any of the alternatives may be written (the parent
        folder is not writable, for one).
    """
    try:
        check_out_dir(out_dir, overwrite)
        return out_dir
    except InputError as exc:
        first = exc
    for k in range(2, _MAX_ALTERNATIVES + 2):
        candidate = out_dir.with_name(f"{out_dir.name}-{k}")
        try:
            check_out_dir(candidate, False)
            return candidate
        except InputError:
            continue
    raise first


def write_exercise_folder(
    sim: Simulation,
    out_dir: Path,
    overwrite: bool = False,
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write the run folder of an exercise stepped to its current tick.

    Parameters
    ----------
    sim : Simulation
        The exercise's engine (stepped at least once).
    out_dir : Path
        The folder asked for.
    overwrite : bool
        Replace an existing run folder there.
    extra_files : mapping, optional
        More recorded inputs to write beside the tables (file name -> text: the
        branches of a rewound exercise, :func:`~skyweave.exercise.branches.branch_files`).

    Returns
    -------
    Path
        The folder written: ``out_dir``, or a free name beside it when it was taken.
    """
    result = run_result(sim)
    target = free_out_dir(out_dir, overwrite)
    try:
        return write_run_output(target, sim.scenario, result, extra_files)
    except InputError:
        if target != out_dir:
            raise
        # taken between the check and the swap (another writer): beside it, never lost
        return write_run_output(free_out_dir(out_dir, False), sim.scenario, result, extra_files)


__all__ = ["free_out_dir", "write_exercise_folder"]
