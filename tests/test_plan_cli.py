"""``skyweave plan`` and ``skyweave exercise --plan`` as a user runs them (the command in
this process's main thread, a staff and the white cell over HTTP from another): the
planning server writes the locked plan, or gives way to the exercise on the same port
with the same links, and the run folder holds ``plan.json``."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")

from local_server import free_port  # noqa: E402
from plan_scenario import plan_scenario  # noqa: E402
from skyweave.cli import main  # noqa: E402
from skyweave.io.run_output import scenario_json  # noqa: E402


class Staff:
    """The seats, driven over HTTP once the command prints their links."""

    def __init__(self, port: int, output: Any) -> None:
        self.port, self.output = port, output
        self.tokens: dict[str, str] = {}
        self.log: list[tuple[str, int, Any]] = []

    def wait_links(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.tokens) < 4 and time.monotonic() < deadline:
            for name, token in re.findall(r"^\s+(\w+)\s+http\S+token=(\S+)$", self.output(), re.M):
                self.tokens[name] = token
            time.sleep(0.05)

    def call(self, path: str, seat: str, body: Any = None) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.port}{path}?token={self.tokens[seat]}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                result = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            result = exc.code, json.loads(exc.read())
        self.log.append((path, *result))
        return result


def _serve(args: list[str], drive: Any) -> tuple[tuple[int, str], Staff]:
    """Run ``skyweave ARGS`` here while ``drive(staff)`` plays the seats in a thread;
    the exit code and the output."""
    port = free_port()
    errors: list[BaseException] = []
    # CliRunner's isolation captures the output in a buffer: the thread reads the links there
    with CliRunner().isolation() as (out, _err, *_):
        staff = Staff(port, lambda: out.getvalue().decode())

        returned = threading.Event()

        def play() -> None:
            try:
                staff.wait_links()
                drive(staff)
            except BaseException as exc:  # reported by the test
                errors.append(exc)
                # the command would serve on forever: Ctrl-C it, as a user would, until it
                # returns (a Ctrl-C between the planning and the exercise servers finds
                # no server to stop)
                while not returned.wait(1.0):
                    os.kill(os.getpid(), signal.SIGINT)

        thread = threading.Thread(target=play, daemon=True)
        thread.start()
        code = 0
        try:
            main.main(args=[*args, "--port", str(port)], prog_name="skyweave")
        except SystemExit as exc:
            code = int(exc.code or 0)
        except KeyboardInterrupt:
            code = 130
        finally:
            returned.set()
        text = out.getvalue().decode()
    thread.join(timeout=60)
    assert not errors, errors
    return (code, text), staff


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan-me.json"
    path.write_text(scenario_json(plan_scenario()))
    return path


def test_skyweave_plan_writes_the_locked_plan(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "p1"

    def drive(staff: Staff) -> None:
        place = {"kind": "place", "unit": "east-bty-2", "lat_deg": -32.4, "lon_deg": 138.6}
        assert staff.call("/api/plan/edit", "east", place) == (200, {"version": 1})
        assert staff.call("/api/plan/start", "white", {})[0] == 409  # not locked
        assert staff.call("/api/plan/lock", "white", {"locked": True})[0] == 200
        assert staff.call("/api/plan/start", "white", {}) == (200, {"started": True})

    (code, text), _ = _serve(["plan", str(scenario_file), "--out", str(out)], drive)
    assert code == 0, text
    assert "plan version 1 written" in text
    written = json.loads((out / "scenario.json").read_text())
    bty = {b["id"]: b for b in written["batteries"]}["east-bty-2"]
    assert (bty["lat_deg"], bty["lon_deg"]) == (-32.4, 138.6)
    assert json.loads((out / "plan.json").read_text())["locked_version"] == 1


def test_skyweave_exercise_plan_hands_the_port_to_the_exercise(
    scenario_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"

    def drive(staff: Staff) -> None:
        offer = {"kind": "offer", "to": "north", "data_class": "launch_alerts", "release": True}
        accept = {"kind": "accept", "from": "east", "data_class": "launch_alerts", "accept": True}
        assert staff.call("/api/plan/edit", "east", offer)[0] == 200
        assert staff.call("/api/plan/edit", "north", accept)[0] == 200
        assert staff.call("/api/plan/lock", "white", {"locked": True})[0] == 200
        assert staff.call("/api/plan/start", "white", {})[0] == 200
        # the port never closes between the phases: requests wait for the exercise server
        deadline = time.monotonic() + 60
        while staff.call("/api/setup", "white")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert staff.call("/api/plan", "north")[1]["started"] is True
        for _ in range(3):  # a few ticks played (a report's timeline needs some time)
            assert staff.call("/api/clock", "white", {"action": "step"})[0] == 200
        assert staff.call("/api/end", "white", {})[0] == 200

    (code, text), staff = _serve(
        ["exercise", str(scenario_file), "--plan", "--out", str(out)], drive
    )
    assert code == 0, text
    assert "PLANNING" in text and "the exercise starts from it" in text and "EXERCISE" in text
    alerts = [
        (r["from"], r["to"])
        for r in json.loads((out / "scenario.json").read_text())["policy"]
        if r["data_class"] == "launch_alerts"
    ]
    assert alerts == [("east", ["north"])]
    assert json.loads((out / "plan.json").read_text())["locked_version"] == 2
    assert "plan.json" in json.loads((out / ".skyweave-run").read_text())["files"]


def test_an_exercise_resumed_from_its_journal_keeps_the_locked_plan(tmp_path: Path) -> None:
    """A --plan exercise whose process died: its staging folder kept ``plan.json``, and
    ``--resume`` puts it into the run folder (and the report's plan section) at the end."""
    from skyweave.exercise.journal import Journal, read_journal, staging_dir_for
    from skyweave.exercise.plan_record import plan_text
    from skyweave.exercise.planning import PlanningSession
    from skyweave.exercise.session import Seat

    plan = PlanningSession(plan_scenario(), 3, workers=1)
    plan.set_lock(Seat("white", "white", None, "t"), True)
    text = plan_text(plan)
    out = tmp_path / "run"
    journal = Journal.create(out, scenario_json(plan.locked_scenario()), 3)
    journal.keep_plan(text)
    journal.clock("tick", 10.0)
    journal.close()  # as a killed process leaves it (the lock goes with the process)
    staging = staging_dir_for(out)
    assert read_journal(staging).plan_text == text

    def drive(staff: Staff) -> None:
        assert staff.call("/api/clock", "white", {"action": "step"})[0] == 200
        assert staff.call("/api/end", "white", {})[0] == 200

    (code, text_out), _ = _serve(["exercise", "--resume", str(staging)], drive)
    assert code == 0, text_out
    assert (out / "plan.json").read_text() == text
    assert "plan.json" in json.loads((out / ".skyweave-run").read_text())["files"]
    assert '<section id="plan">' in (out / "report.html").read_text()
    assert not staging.exists()  # the journal, its plan copy included, is gone

    # the run folder played on (into another folder) ends with the plan too
    (code, text_out), _ = _serve(["exercise", "--resume", str(out), "--out", str(out) + "2"], drive)
    assert code == 0, text_out
    assert Path(str(out) + "2", "plan.json").read_text() == text


def test_a_damaged_plan_copy_refuses_the_resume_and_names_the_file(tmp_path: Path) -> None:
    from skyweave.exercise.journal import Journal, staging_dir_for

    out = tmp_path / "run"
    journal = Journal.create(out, scenario_json(plan_scenario()), 3)
    journal.keep_plan("[1, 2]\n")  # JSON, but not a plan
    journal.clock("tick", 10.0)
    journal.close()
    staging = staging_dir_for(out)
    result = CliRunner().invoke(
        main, ["exercise", "--resume", str(staging), "--port", str(free_port())]
    )
    assert result.exit_code == 2, result.output
    assert f"{staging / 'plan.json'}" in result.output and "Traceback" not in result.output
    assert (staging / "plan.json").is_file()  # nothing is removed
