"""The locked plan on disk: ``plan.json`` and the scenario it produces.

``skyweave plan --out DIR`` writes both into a plan folder; an exercise started from a
locked plan (``skyweave exercise --plan``) keeps ``plan.json`` in its staging folder
while it is played (so a resumed exercise still has it) and adds it to its run folder
(the folder's ``scenario.json`` already is the locked plan's scenario), lists it in the
folder's marker and writes the report again, now with its plan section
(:mod:`skyweave.io.report_plan`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from skyweave.errors import InputError, Problem
from skyweave.io import safe_files
from skyweave.io.report_plan import MAX_PLAN_BYTES, PLAN_NAME

if TYPE_CHECKING:
    from skyweave.exercise.planning import PlanningSession

SCENARIO_NAME = "scenario.json"


def plan_text(plan: PlanningSession) -> str:
    """The locked plan as the text of its ``plan.json``."""
    return json.dumps(plan.record(), indent=2, allow_nan=False) + "\n"


def read_plan_text(folder: Path) -> str | None:
    """The text of ``folder``'s ``plan.json`` (None if there is none).

    Raises
    ------
    InputError
        The file is a link, too large, or not a JSON object (named by path).
    """
    path = Path(folder) / PLAN_NAME
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_PLAN_BYTES:
        raise InputError(
            [Problem(str(path), f"expected a plan file of at most {MAX_PLAN_BYTES >> 20} MiB")]
        )
    text = safe_files.read_text(path)
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InputError([Problem(str(path), f"not JSON: {exc}")]) from None
    if not isinstance(record, dict):
        raise InputError([Problem(str(path), "expected the locked plan (a JSON object)")])
    return text


def check_plan_dir(out: Path, overwrite: bool) -> None:
    """``out`` is free for a plan folder: absent, empty, or (with ``overwrite``) a plan
    folder written before (only ``plan.json`` and ``scenario.json`` in it)."""
    if out.exists() and not out.is_dir():
        raise InputError([Problem("--out", f"{out} exists and is not a folder")])
    if not out.is_dir():
        return
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    if not overwrite:
        raise InputError(
            [Problem("--out", f"{out} is not empty; give --overwrite or another --out")]
        )
    foreign = [e for e in entries if e not in (PLAN_NAME, SCENARIO_NAME)]
    if foreign:
        raise InputError(
            [Problem("--out", f"{out} holds files a plan did not write ({', '.join(foreign[:5])})")]
        )


def write_plan_folder(out: Path, plan: PlanningSession) -> Path:
    """Write the locked plan's ``plan.json`` and ``scenario.json`` into ``out``."""
    from skyweave.io.run_output import scenario_json

    out.mkdir(parents=True, exist_ok=True)
    safe_files.write_text(safe_files.safe_path(out, PLAN_NAME), plan_text(plan))
    scenario_text = scenario_json(plan.locked_scenario())
    safe_files.write_text(safe_files.safe_path(out, SCENARIO_NAME), scenario_text)
    return out


def add_plan_to_run(folder: Path, text: str) -> Path:
    """Put ``plan.json`` (``text``, from :func:`plan_text`) into a run folder written from
    the locked plan, list it in the folder's marker and write the report again with its
    plan section."""
    from skyweave.io.report import REPORT_NAME
    from skyweave.io.report_plan import plan_section_html
    from skyweave.io.run_folder import read_marker, write_marker

    path = safe_files.safe_path(folder, PLAN_NAME)
    safe_files.write_text(path, text)
    marker = read_marker(folder)
    if marker is not None and isinstance(marker.get("files"), list):
        files = sorted({*marker["files"], PLAN_NAME})
        write_marker(folder, {**marker, "files": files})
    report_path = safe_files.safe_path(folder, REPORT_NAME)
    if report_path.is_file():
        summary = json.loads(safe_files.read_text(safe_files.safe_path(folder, "summary.json")))
        section = plan_section_html(folder, summary)
        report = safe_files.read_text(report_path)
        # the section where render_report puts it (after the staff measures): the report
        # is not drawn again for it
        anchor = next((a for a in _REPORT_ANCHORS if a in report), None)
        if section and anchor is not None and '<section id="plan">' not in report:
            report = report.replace(anchor, f"{section}\n{anchor}", 1)
            safe_files.write_text(report_path, report)
    return path


#: what follows the staff measures in the report (the first one found)
_REPORT_ANCHORS = ('<section id="track-quality">', '<section id="threats">', "</body>")


__all__ = [
    "PLAN_NAME",
    "add_plan_to_run",
    "check_plan_dir",
    "plan_text",
    "read_plan_text",
    "write_plan_folder",
]
