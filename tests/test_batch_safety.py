"""Batch folders under attack and batches under signals (issue 13).

A forged or corrupt journal line, a corrupt ``batch.json`` and a linked journal
are refused on ``--resume`` (exit 2, file and line named); a batch whose parent is
killed leaves no worker behind; Ctrl-C stops at once and keeps the finished runs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from skyweave.analysis.batch import BatchSpec, derive_seed, run_batch
from skyweave.analysis.batch_results import JOURNAL_NAME
from skyweave.cli import main
from skyweave.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
UNTIL_S = 30.0
SEED = 5


def _args(out: Path) -> list[str]:
    return ["batch", str(EXAMPLE), "--runs", "2", "--seed", str(SEED), "--until", str(UNTIL_S)]


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batch") / "b"
    spec = BatchSpec(load_scenario(EXAMPLE), 2, SEED, until_s=UNTIL_S, scenario_file=str(EXAMPLE))
    assert run_batch(spec, out, workers=1).ok == 2
    return out


def _resume(folder: Path) -> tuple[int, str]:
    args = [*_args(folder), "--out", str(folder), "--workers", "1", "--resume", "-q"]
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _copy(batch_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(batch_dir, copy)
    return copy


def _lines(folder: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (folder / JOURNAL_NAME).read_text().splitlines()]


def test_forged_journal_lines_are_refused(batch_dir: Path, tmp_path: Path) -> None:
    copy = _copy(batch_dir, tmp_path)
    first = _lines(copy)[0]
    run = int(first["run"])  # type: ignore[call-overload]
    assert first["seed"] == derive_seed(SEED, run)
    forged = {**first, "measures": {"engagement.leakers": 0.0}}
    wrong_seed = {**forged, "run": 5, "seed": 12345}
    for line, needle in ((wrong_seed, "seed 12345"), (forged, "already recorded on line 1")):
        (copy / JOURNAL_NAME).write_text(
            (batch_dir / JOURNAL_NAME).read_text() + json.dumps(line) + "\n"
        )
        code, output = _resume(copy)
        assert code == 2, output
        assert f"{JOURNAL_NAME}:3" in output and needle in output
    (copy / JOURNAL_NAME).write_text("{not json\n" + (batch_dir / JOURNAL_NAME).read_text())
    code, output = _resume(copy)
    assert code == 2 and f"{JOURNAL_NAME}:1" in output


def test_corrupt_batch_json_is_refused(batch_dir: Path, tmp_path: Path) -> None:
    copy = _copy(batch_dir, tmp_path)
    (copy / "batch.json").write_text('{"base_seed": 5,')
    code, output = _resume(copy)
    assert code == 2 and "batch.json" in output and "JSON" in output


def test_a_linked_journal_is_neither_truncated_nor_appended(
    batch_dir: Path, tmp_path: Path
) -> None:
    copy = _copy(batch_dir, tmp_path)
    outside = tmp_path / "precious.log"
    outside.write_bytes((batch_dir / JOURNAL_NAME).read_bytes() + b'{"partial":')
    before = outside.read_bytes()
    (copy / JOURNAL_NAME).unlink()
    (copy / JOURNAL_NAME).symlink_to(outside)
    code, output = _resume(copy)
    assert code == 2 and JOURNAL_NAME in output and "symbolic link" in output
    assert outside.read_bytes() == before


def _start_batch(out: Path, runs: int) -> subprocess.Popen[str]:
    code = "from skyweave.cli import main; main()"
    args = _args(out)
    args[3] = str(runs)
    return subprocess.Popen(
        [sys.executable, "-c", code, *args, "--workers", "2", "--out", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test worker (pytest-xdist) may ignore SIGINT, and a child inherits that:
        # give the batch the default disposition a terminal's Ctrl-C meets
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                out.append(process)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process tree checks on Linux")
def test_killing_the_batch_leaves_no_worker_alive(tmp_path: Path) -> None:
    batch = _start_batch(tmp_path / "killed", runs=6)
    parent = psutil.Process(batch.pid)
    children: list[psutil.Process] = []
    try:
        _wait_for(lambda: len(parent.children(recursive=True)) >= 3, 60)  # 2 workers, tracker
        time.sleep(1.0)  # the workers are past their start-up
        children = parent.children(recursive=True)
        batch.send_signal(signal.SIGKILL)
        batch.wait(10)
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(children) == []
    finally:
        for process in _alive([parent, *children]):
            process.kill()  # only if the test failed: leave nothing running
        batch.communicate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process tree checks on Linux")
def test_ctrl_c_stops_at_once_and_keeps_the_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    journal = out / JOURNAL_NAME
    batch = _start_batch(out, runs=40)
    try:
        _wait_for(lambda: journal.exists() and journal.stat().st_size > 0, 120)
        children = psutil.Process(batch.pid).children(recursive=True)
        start = time.monotonic()
        batch.send_signal(signal.SIGINT)
        _, stderr = batch.communicate(timeout=30)
        took_s = time.monotonic() - start
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    kept = len(journal.read_text().splitlines())
    assert batch.returncode == 130, stderr
    assert took_s < 5.0
    assert 1 <= kept < 40 and f"{kept} finished run(s) kept" in stderr and "--resume" in stderr
    time.sleep(0.5)
    assert _alive(children) == []
    assert os.path.exists(out / "batch.json")
