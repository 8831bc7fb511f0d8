"""Issue 19: a live exercise is never lost.

Real ``skyweave exercise`` processes on loopback ports chosen at run time: a second
exercise on the same port or output folder is refused before it prints a link; the
first is killed with SIGKILL mid-exercise, ``--resume`` continues it from its journal
(which ``skyweave run --replay`` also accepts), its output folder is taken meanwhile so
the end writes beside it and says so, Ctrl-C (twice) saves and exits 0, and the final
folder equals a ``--replay`` of its ``commands.jsonl``.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from click.testing import CliRunner  # noqa: E402

from local_server import free_port  # noqa: E402
from replays import assert_replays_bit_for_bit  # noqa: E402
from short_example import STRAY, short_example  # noqa: E402
from skyweave.cli import main  # noqa: E402
from skyweave.exercise.journal import read_journal, staging_dir_for  # noqa: E402
from skyweave.io.run_output import scenario_json  # noqa: E402

_CLI = "import sys; from skyweave.cli import main; sys.argv[0] = 'skyweave'; main()"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Exercise:
    """A ``skyweave exercise`` process and its seats' tokens (read from its links)."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CLI, "exercise", *args, "--port", str(self.port)],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.tokens: dict[str, str] = {}
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            assert line, (
                f"the exercise stopped: {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
            self.lines.append(line)
            if "?token=" in line:
                seat, url = line.split()
                assert url.startswith(f"http://127.0.0.1:{self.port}/")
                self.tokens[seat] = url.split("token=")[1]
            if line.startswith("Ctrl-C"):
                break
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30.0)

    def post(self, path: str, seat: str, body: dict[str, Any]) -> Any:
        return self.http.post(f"{path}?token={self.tokens[seat]}", json=body)

    def clock(self) -> dict[str, Any]:
        return self.http.get(f"/api/frame?token={self.tokens['white']}").json()["clock"]  # type: ignore[no-any-return]

    def run_to(self, time_s: float) -> float:
        assert self.post("/api/clock", "white", {"action": "start"}).is_success
        deadline = time.monotonic() + 30.0
        while self.clock()["time_s"] < time_s and time.monotonic() < deadline:
            time.sleep(0.1)
        return float(self.clock()["time_s"])

    def finish(self) -> tuple[int, str]:
        self.http.close()
        out, _ = self.proc.communicate(timeout=60)
        return self.proc.returncode, "".join(self.lines) + out


def test_an_exercise_killed_mid_play_resumes_from_its_journal_and_replays(tmp_path: Path) -> None:
    scenario = tmp_path / "short.json"
    scenario.write_text(scenario_json(short_example(150.0)))
    out = tmp_path / "runs" / "ex1"
    first = Exercise(tmp_path, str(scenario), "--out", str(out), "--rate", "60")
    try:
        # a second exercise on the same port, or the same output folder, is refused
        # before it prints a link or writes anything; the first one is untouched
        taken = ["exercise", str(scenario), "--port", str(first.port), "--out", str(tmp_path / "x")]
        second = _cli(*taken, cwd=tmp_path)
        assert second.returncode == 2, second.stderr
        assert f"port {first.port} is in use by process" in second.stderr
        assert "token=" not in second.stdout
        third = _cli(
            "exercise", str(scenario), "--port", str(free_port()), "--out", str(out), cwd=tmp_path
        )
        assert third.returncode == 2 and "in use by another running exercise" in third.stderr
        assert not (tmp_path / "x").exists() and not out.exists()

        assert (
            first.post("/api/command", "white", {"kind": "inject", "threat": STRAY}).status_code
            == 202
        )
        assert (
            first.post(
                "/api/command", "north", {"kind": "note", "text": "north sees it"}
            ).status_code
            == 202
        )
        first.run_to(60.0)
        r = first.post(
            "/api/command", "east", {"kind": "classify", "track": "east:1", "as": "accidental"}
        )
        assert r.status_code == 202
        classified_s = r.json()["time_s"]
        # a journal line records how far the clock ran: wait for one past the order (a
        # loaded machine writes it later than a quiet one)
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            ran_s = read_journal(staging_dir_for(out)).last_time_s
            if ran_s is not None and ran_s >= classified_s:
                break
            time.sleep(0.2)
    finally:
        first.proc.kill()  # SIGKILL: no handler runs
        first.finish()
    assert first.proc.returncode == -signal.SIGKILL
    staging = staging_dir_for(out)
    journal = read_journal(staging)
    assert [c.kind for c in journal.commands] == ["inject", "note", "classify"]
    assert journal.last_time_s is not None and journal.last_time_s >= classified_s

    # skyweave run --replay accepts the journal: the run to its last tick
    copy = tmp_path / "journal-copy"
    shutil.copytree(staging, copy)
    replayed = CliRunner().invoke(
        main, ["run", "--replay", str(copy), "--out", str(tmp_path / "j"), "-q"]
    )
    assert replayed.exit_code == 0, replayed.output
    summary = json.loads((tmp_path / "j" / "summary.json").read_text())
    assert summary["simulated_s"] == journal.last_time_s

    resumed = Exercise(tmp_path, "--resume", str(staging), "--rate", "60")
    try:
        assert f"resumed at t = {journal.last_time_s:g} s" in "".join(resumed.lines)
        assert resumed.clock()["time_s"] == journal.last_time_s
        out.mkdir(parents=True)
        (out / "notes.txt").write_text("someone else's file")  # the output folder is taken
        assert resumed.post(
            "/api/command", "east", {"kind": "note", "text": "after the crash"}
        ).is_success
        resumed.run_to(journal.last_time_s + 20.0)
        resumed.proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        resumed.proc.send_signal(signal.SIGINT)  # a second Ctrl-C waits for the save
    finally:
        code, output = resumed.finish()
    assert code == 0, output
    beside = out.with_name("ex1-2")
    assert f"{out} was taken; the run folder was written beside it: {beside}" in output
    assert (out / "notes.txt").read_text() == "someone else's file"
    assert not staging.exists()  # the journal goes once the folder is written
    logged = [json.loads(line) for line in (beside / "commands.jsonl").read_text().splitlines()]
    assert [c["kind"] for c in logged] == ["inject", "note", "classify", "note"]

    # the final folder equals a replay of its commands.jsonl, bit for bit
    assert_replays_bit_for_bit(beside, tmp_path / "replay")


def test_a_journal_cut_short_by_a_kill_reads_to_its_last_whole_line(tmp_path: Path) -> None:
    from skyweave.engine.commands import parse_command
    from skyweave.errors import InputError
    from skyweave.exercise.journal import Journal

    out = tmp_path / "runs" / "ex"
    note = parse_command({"time_s": 4.0, "seat": "east", "kind": "note", "text": "ack"})
    journal = Journal.create(out, scenario_json(short_example(60.0)), 3)
    with pytest.raises(InputError, match="in use by another running exercise"):
        Journal.check_free(out)  # held while it runs
    journal.clock("start", 0.0, 10.0)
    journal.command(note)
    journal.clock("tick", 12.0)
    journal.close()
    with pytest.raises(InputError, match="--resume"):
        Journal.check_free(out)  # left behind: resume it, never overwritten
    with (staging_dir_for(out) / "commands.jsonl").open("a") as fh:
        fh.write('{"kind": "note", "seat": "ea')  # the kill came mid-line
    read = read_journal(staging_dir_for(out))
    assert (read.seed, read.commands, read.last_time_s, read.rate) == (3, [note], 12.0, 10.0)
    with (staging_dir_for(out) / "commands.jsonl").open("a") as fh:
        fh.write("\n{}\n")  # a damaged line inside the journal is named
    with pytest.raises(InputError, match=r"commands.jsonl:4"):
        read_journal(staging_dir_for(out))
