"""Hostile output folders and run folders: nothing deleted or written outside, exit 2.

Issue 13: ``--overwrite`` replaced any folder, links inside run and batch folders
were followed, ``--out`` was checked after the run, a killed run's temporary
folder stayed forever, and ``--replay`` replayed edited files without a word.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import skyweave.cli.run
from skyweave.cli import main
from skyweave.errors import InputError
from skyweave.io.run_folder import (
    MARKER_NAME,
    STALE_AFTER_S,
    check_out_dir,
    clean_stale,
    write_marker,
    write_run_folder,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
UNTIL = "30"  # the shortest run that still writes every file


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("safety") / "run"
    code, output = _cli("run", str(EXAMPLE), "--until", UNTIL, "--out", str(out), "--quiet")
    assert code == 0, output
    return out


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any simulation started fails the test: the checks must come first."""

    def refuse(*args: Any, **kw: Any) -> Any:
        raise AssertionError("the run was computed before --out was checked")

    monkeypatch.setattr(skyweave.cli.run, "run_scenario", refuse)


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    return copy


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b""
        for p in sorted(folder.rglob("*"))
    }


# ---------------------------------------------------------------- --out and --overwrite


def test_overwrite_refuses_a_folder_skyweave_did_not_write(tmp_path: Path, no_run: None) -> None:
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "thesis.txt").write_text("three years of work")
    (victim / "sub" / "data.csv").write_text("1,2\n")
    before = _tree(victim)
    code, output = _cli("run", str(EXAMPLE), "--out", str(victim), "--overwrite", "-q")
    assert code == 2 and "thesis.txt" in output and MARKER_NAME in output
    assert _tree(victim) == before


@pytest.mark.parametrize("target", [".", "/", "..", "HOME"])
def test_out_never_the_current_folder_its_parents_root_or_home(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_run: None
) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    for folder in (work, home):
        folder.mkdir()
        (folder / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    out = str(home) if target == "HOME" else target
    code, output = _cli("run", str(EXAMPLE), "--out", out, "--overwrite", "-q")
    assert code == 2, output
    for folder in (work, home):
        assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
        assert (folder / "keep.txt").read_text() == "keep"


def test_bad_out_fails_before_the_run(tmp_path: Path, no_run: None) -> None:
    (tmp_path / "a-file").write_text("x")
    for out in ("/proc/skyweave-x", str(tmp_path / "a-file" / "run"), str(tmp_path / "a-file")):
        code, output = _cli("run", str(EXAMPLE), "--out", out, "-q")
        assert code == 2 and out in output, output
    code, output = _cli("batch", str(EXAMPLE), "--runs", "1", "--out", "/proc/skyweave-x")
    assert code == 2 and "/proc" in output
    code, output = _cli("compare", str(EXAMPLE), "--out", str(tmp_path / "a-file" / "x.json"))
    assert code == 2 and "a-file" in output


def _tiny(value: int) -> dict[str, pa.Table]:
    return {"events": pa.table({"v": [value]})}


def test_overwrite_replaces_only_a_complete_run_folder_and_after_the_new_one(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    write_run_folder(out, _tiny(1), {"seed": 1}, hashed=("events.parquet",))
    marker = json.loads((out / MARKER_NAME).read_text())
    assert marker["kind"] == "run" and set(marker["files"]) == {"events.parquet", "summary.json"}
    summary = json.loads((out / "summary.json").read_text())
    sha = hashlib.sha256((out / "events.parquet").read_bytes()).hexdigest()
    assert summary["hashes"] == {"events.parquet": sha}

    write_run_folder(out, _tiny(2), {"seed": 2})  # ours and nothing else: replaced
    assert pq.read_table(out / "events.parquet").column("v").to_pylist() == [2]

    def broken(folder: Path) -> dict[str, Any]:
        raise RuntimeError("killed while writing")

    with pytest.raises(RuntimeError):
        write_run_folder(out, _tiny(3), {"seed": 3}, broken)
    assert pq.read_table(out / "events.parquet").column("v").to_pylist() == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary left

    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="notes.txt"):
        check_out_dir(out, overwrite=True)
    with pytest.raises(InputError, match="notes.txt"):
        write_run_folder(out, _tiny(4), {"seed": 4})
    assert (out / "notes.txt").read_text() == "mine"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_run_folders_are_removed_only_when_ours_and_dead(tmp_path: Path) -> None:
    def temporary(name: str, pid: int, age_s: float) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "truth.parquet").write_bytes(b"half written")
        import socket
        import time

        write_marker(
            folder,
            {
                "format": 1,
                "kind": "run",
                "state": "writing",
                "pid": pid,
                "host": socket.gethostname(),
                "started_unix": time.time() - age_s,
            },
        )
        return folder

    killed = temporary(".run.skyweave-tmp-aaaa", _dead_pid(), 0.0)
    old = temporary(".run.skyweave-tmp-bbbb", os.getpid(), STALE_AFTER_S + 60)
    busy = temporary(".run.skyweave-tmp-cccc", os.getpid(), 1.0)  # a run writing right now
    foreign = tmp_path / ".run.skyweave-tmp-dddd"  # not marked: not ours to delete
    foreign.mkdir()
    (foreign / "x").write_text("x")

    write_run_folder(tmp_path / "run", _tiny(1), {"seed": 1})
    assert not killed.exists() and not old.exists()
    assert busy.exists() and (foreign / "x").exists()
    assert clean_stale(tmp_path) == []


# ---------------------------------------------------------------- links


def test_report_does_not_write_through_a_link(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(run_dir, tmp_path)
    outside = tmp_path / "precious.txt"
    outside.write_text("precious")
    (copy / "report.html").unlink()
    (copy / "report.html").symlink_to(outside)
    code, output = _cli("report", str(copy))
    assert code == 2 and "report.html" in output and "symbolic link" in output
    assert outside.read_text() == "precious"


def test_replay_does_not_read_through_a_link(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(run_dir, tmp_path)
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((copy / "scenario.json").read_bytes())
    (copy / "scenario.json").unlink()
    (copy / "scenario.json").symlink_to(outside)
    code, output = _cli("run", "--replay", str(copy), "--out", str(tmp_path / "out"), "-q")
    assert code == 2 and "scenario.json" in output and "symbolic link" in output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- replay integrity


def _rehash(copy: Path, name: str) -> None:
    summary = json.loads((copy / "summary.json").read_text())
    summary["hashes"][name] = hashlib.sha256((copy / name).read_bytes()).hexdigest()
    (copy / "summary.json").write_text(json.dumps(summary))


def _replay(copy: Path, tmp_path: Path) -> tuple[int, str]:
    return _cli("run", "--replay", str(copy), "--out", str(tmp_path / "out"), "-q")


def test_replay_reports_an_edited_scenario(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(run_dir, tmp_path)
    scenario = json.loads((copy / "scenario.json").read_text())
    scenario["batteries"] = scenario["batteries"][1:]  # a valid scenario, another exercise
    (copy / "scenario.json").write_text(json.dumps(scenario, indent=2) + "\n")
    code, output = _replay(copy, tmp_path)
    assert code == 2 and "scenario.json" in output and "changed" in output


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_replay_reports_a_damaged_command_log(run_dir: Path, tmp_path: Path, damage: str) -> None:
    copy = _copy(run_dir, tmp_path)
    path = copy / "commands.jsonl"
    note = '{"time_s": 5, "seat": "white", "kind": "note", "text": "a note"}\n'
    path.write_text(note[: len(note) // 2] if damage == "truncated" else "\x00\x01 garbage\n")
    code, output = _replay(copy, tmp_path)
    assert code == 2 and "commands.jsonl" in output and "changed" in output
    _rehash(copy, "commands.jsonl")  # the hash updated too: the reader must still say so
    code, output = _replay(copy, tmp_path)
    assert code == 2 and "commands.jsonl:1: not JSON" in output


def test_replay_reports_a_command_with_missing_fields(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(run_dir, tmp_path)
    (copy / "commands.jsonl").write_text('{"time_s": 12.0, "seat": "east", "kind": "consent"}\n')
    _rehash(copy, "commands.jsonl")
    code, output = _replay(copy, tmp_path)
    assert code == 2 and "commands.jsonl:1: question_id: required for a consent command" in output


def test_replay_reports_a_nan_duration(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy(run_dir, tmp_path)
    text = (copy / "summary.json").read_text()
    summary = json.loads(text)
    text = text.replace(
        f'"simulated_s": {json.dumps(summary["simulated_s"])}', '"simulated_s": NaN'
    )
    assert "NaN" in text
    (copy / "summary.json").write_text(text)
    code, output = _replay(copy, tmp_path)
    assert code == 2 and "summary.json" in output and "simulated_s" in output
