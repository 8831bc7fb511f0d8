"""`skyweave batch` from the command line: a sweep with kept runs, a worker that dies,
bad arguments."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import skyweave.cli
import skyweave.simulation
from skyweave.analysis.batch import (
    BatchSpec,
    RunTask,
    derive_seed,
    run_batch,
    run_pool,
    run_task,
)
from skyweave.analysis.batch_results import (
    flatten_measures,
)
from skyweave.cli import main
from skyweave.errors import InputError
from skyweave.scenario import Scenario, load_scenario

# the same example, batch size and seeds as the batch's own tests
from test_batch import BASE_SEED, EXAMPLE, _spec


@pytest.fixture(autouse=True)
def _register(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(skyweave.cli._COMMANDS, "batch", "skyweave.cli.batch:batch_command")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


class _KillsItsWorker:
    """Unpickling this in a worker process ends that process at once (a hard crash)."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (os._exit, (3,))


def test_a_worker_that_dies_is_recorded_and_only_its_run_fails(scenario: Scenario) -> None:
    tasks = [RunTask(0, i, derive_seed(BASE_SEED, i), {}, scenario, until_s=60.0) for i in range(4)]
    tasks[1] = RunTask(0, 1, 123, {}, _KillsItsWorker(), until_s=60.0)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = []
    run_pool(tasks, 2, rows.append)
    by_run = {r["run"]: r for r in rows}
    assert sorted(by_run) == [0, 1, 2, 3] and len(rows) == 4
    assert by_run[1]["status"] == "error" and "worker process died" in by_run[1]["error"]
    for i in (0, 2, 3):
        expected = run_task(tasks[i])  # the same run in this process
        assert by_run[i]["status"] == "ok"
        expected["measures"].pop("wall_s"), by_run[i]["measures"].pop("wall_s")
        assert by_run[i] == expected


def test_cli_sweep_keep_runs(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            str(EXAMPLE),
            "--runs",
            "2",
            "--seed",
            "3",
            "--until",
            "60",
            "--workers",
            "1",
            "--sweep",
            "batteries[0].interceptors=8,16",
            "--out",
            str(out),
            "--keep-runs",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 runs (4 ok, 0 failed)" in result.output
    table = pq.read_table(out / "runs.parquet")
    assert table.column("point").to_pylist() == [0, 0, 1, 1]
    assert table.column("sweep.batteries[0].interceptors").to_pylist() == [8, 8, 16, 16]
    seeds = [derive_seed(3, 0), derive_seed(3, 1)]
    assert table.column("seed").to_pylist() == seeds * 2  # common random numbers
    kept = json.loads((out / "runs" / "point-1" / f"seed-{seeds[1]}" / "summary.json").read_text())
    row = table.slice(3, 1).to_pylist()[0]
    assert all(row[k] == v for k, v in flatten_measures(kept).items())
    summary = json.loads((out / "batch_summary.json").read_text())
    assert [p["params"] for p in summary["points"]] == [
        {"batteries[0].interceptors": 8},
        {"batteries[0].interceptors": 16},
    ]
    # off a terminal, a progress line per run with elapsed time and ETA
    assert "batch: 1/4 runs (25 %), elapsed" in result.output and "ETA" in result.output
    # paired differences between the sweep points, run by run (same seeds)
    paired = {d["measure"]: d for d in summary["paired_differences"]}
    assert paired["engagement.leakers"]["n"] == 2
    assert (paired["engagement.leakers"]["a"], paired["engagement.leakers"]["b"]) == (0, 1)
    # one row per run and threat launched by then
    threats = pq.read_table(out / "per_threat.parquet").to_pylist()
    assert {(t["point"], t["seed"]) for t in threats} == {(p, s) for p in (0, 1) for s in seeds}
    assert {"warning_s.north", "warning_s.east", "shots.north-bty-1", "leaker_asset"} <= set(
        threats[0]
    )
    _kept_run_replays_as_skyweave_run(out / "runs" / "point-0" / f"seed-{seeds[0]}", seeds[0])


def _kept_run_replays_as_skyweave_run(kept: Path, seed: int) -> None:
    """A kept run is a complete run folder: ``--replay`` reproduces it bit for bit, and
    ``skyweave run`` of its scenario and seed writes the same tables and report."""
    assert {"scenario.json", "commands.jsonl", ".skyweave-run", "report.html"} <= {
        p.name for p in kept.iterdir()
    }
    replay, fresh = kept.parent / "replay", kept.parent / "fresh"
    for extra in (
        ["--replay", str(kept), "--out", str(replay)],
        [str(kept / "scenario.json"), "--seed", str(seed), "--until", "60", "--out", str(fresh)],
    ):
        result = CliRunner().invoke(main, ["run", *extra, "--quiet"])
        assert result.exit_code == 0, result.output
    names = [f"{t}.parquet" for t in ("truth", "detections", "tracks", "alerts", "engagements")]
    for name in [*names, "events.parquet", "report.html"]:
        kept_bytes = (kept / name).read_bytes()
        assert kept_bytes == (replay / name).read_bytes() == (fresh / name).read_bytes(), name


def test_bad_runs_and_unreachable_scheduler(scenario: Scenario, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(EXAMPLE), "--runs", "0"])
    assert result.exit_code == 2 and "--runs" in result.output
    with pytest.raises(InputError, match="must be positive"):
        run_batch(BatchSpec(scenario, 2, 1, until_s=-1.0), tmp_path / "x")
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(InputError, match="cannot connect to the Dask scheduler"):
            run_batch(_spec(scenario, 1), tmp_path / "y", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "y").exists()  # refused before the batch folder is made
