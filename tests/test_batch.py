"""`skyweave batch`: seeds, sweeps, pool/Dask agreement, failures, resume and statistics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from scipy import stats

import skyweave.cli
import skyweave.simulation
from skyweave.analysis.batch import (
    BatchSpec,
    derive_seed,
    run_batch,
)
from skyweave.analysis.batch_results import (
    JOURNAL_NAME,
    flatten_measures,
    mean_ci,
    read_journal,
)
from skyweave.analysis.batch_sweep import parse_sweep, parse_value, sweep_points
from skyweave.cli import main
from skyweave.scenario import Scenario, load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
#: long enough for tracks, alerts and warning times (the raid is launched from 60 s and
#: every seed's row holds them), short enough to keep the file fast
UNTIL_S = 150.0
RUNS = 4
BASE_SEED = 11


@pytest.fixture(autouse=True)
def _register(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(skyweave.cli._COMMANDS, "batch", "skyweave.cli.batch:batch_command")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


def _spec(scenario: Scenario, runs: int = RUNS, **kw: Any) -> BatchSpec:
    return BatchSpec(
        scenario=scenario,
        runs=runs,
        base_seed=BASE_SEED,
        until_s=UNTIL_S,
        scenario_file=str(EXAMPLE),
        **kw,
    )


def _rows(out: Path) -> pa.Table:
    table = pq.read_table(out / "runs.parquet")
    return table.drop_columns(["wall_s"])  # measured time: the one column allowed to differ


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> Path:
    """An uninterrupted batch run in this process (one worker)."""
    out = tmp_path_factory.mktemp("batch") / "reference"
    outcome = run_batch(_spec(scenario), out, workers=1)
    assert (outcome.total, outcome.ok, outcome.failed) == (RUNS, RUNS, 0)
    return out


# ---------------------------------------------------------------- seeds and sweeps


def test_seed_derivation_is_spawn_and_independent_of_batch_size() -> None:
    for n in (3, 10):
        children = np.random.SeedSequence(BASE_SEED).spawn(n)
        expected = [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
        assert [derive_seed(BASE_SEED, i) for i in range(n)] == expected
    seeds = [derive_seed(BASE_SEED, i) for i in range(1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s < 2**63 for s in seeds)
    assert derive_seed(BASE_SEED + 1, 0) != derive_seed(BASE_SEED, 0)


def test_sweep_values_and_points(scenario: Scenario) -> None:
    assert parse_value("8") == 8 and parse_value("0.5") == 0.5
    assert parse_value("true") is True and parse_value("shared-warning") == "shared-warning"
    sweeps = (
        parse_sweep("coordination_mode=independent,integrated"),
        parse_sweep("batteries[north-bty-2].interceptors=4,16"),
        parse_sweep("batteries[0].pk.ballistic=0.5"),
    )
    points = sweep_points(scenario, sweeps)
    assert [p.params["coordination_mode"] for p in points] == ["independent"] * 2 + [
        "integrated"
    ] * 2
    assert [p.scenario.batteries[1].interceptors for p in points] == [4, 16, 4, 16]
    assert all(p.scenario.batteries[0].pk.ballistic == 0.5 for p in points)
    # Everything else is untouched.
    assert points[0].scenario.batteries[2] == scenario.batteries[2]
    assert points[0].scenario.threats == scenario.threats


@pytest.mark.parametrize(
    ("sweep", "needle"),
    [
        (
            "batteries[0].interceptorz=1,2",
            "has no field 'interceptorz'; did you mean 'interceptors'",
        ),
        ("batteries[9].interceptors=1", "index 9 is out of range"),
        ("batteries[no-such].interceptors=1", "no item with id 'no-such'"),
        ("coordination_mode=independent,bogus", "coordination_mode"),
        ("batteries[0].interceptors=8,-1", "batteries[0].interceptors"),
        ("batteries[0].partner=west", "unknown partner 'west'"),
        ("seed=1,2", "'seed' cannot be swept"),
        ("interceptors", "expected PARAM=V1,V2"),
        ("coordination_mode=", "one or more comma-separated values"),
        ("duration_s=10,10", "repeated"),
    ],
)
def test_bad_sweep_exits_2_before_any_run(tmp_path: Path, sweep: str, needle: str) -> None:
    out = tmp_path / "b"
    result = CliRunner().invoke(
        main, ["batch", str(EXAMPLE), "--runs", "2", "--sweep", sweep, "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


# ---------------------------------------------------------------- same rows everywhere


def test_rows_match_single_runs(reference: Path, tmp_path: Path) -> None:
    """A batch row holds the numbers `skyweave run` writes to summary.json for that seed."""
    table = pq.read_table(reference / "runs.parquet")
    assert table.column("seed").to_pylist() == [derive_seed(BASE_SEED, i) for i in range(RUNS)]
    assert set(table.column("status").to_pylist()) == {"ok"}
    row = table.slice(1, 1).to_pylist()[0]
    out = tmp_path / "single"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(EXAMPLE),
            "--seed",
            str(row["seed"]),
            "--until",
            str(UNTIL_S),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    measures = flatten_measures(json.loads((out / "summary.json").read_text()))
    assert "wall_s" not in measures  # measured, not simulated: only in the batch row
    assert any(k.startswith("track_quality.partners.") for k in measures)
    assert any(k.startswith("warning.by_partner.") for k in measures)
    for name, value in measures.items():
        assert row[name] == value, name
    # The runs differ from one another (the seeds reach the sensors).
    assert len(set(table.column("counts.detections").to_pylist())) > 1


def test_two_worker_pool_gives_the_same_rows(
    reference: Path, scenario: Scenario, tmp_path: Path
) -> None:
    out = tmp_path / "pool"
    run_batch(_spec(scenario), out, workers=2)
    assert _rows(out).equals(_rows(reference))
    assert (out / "batch_summary.json").exists()


def test_dask_local_cluster_gives_the_same_rows(
    reference: Path, scenario: Scenario, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        out = tmp_path / "dask"
        outcome = run_batch(_spec(scenario), out, scheduler=cluster.scheduler_address)
    assert outcome.ok == RUNS
    assert _rows(out).equals(_rows(reference))


# ---------------------------------------------------------------- statistics


def test_mean_ci_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(5)
    for n in (2, 3, 10, 57):
        x = rng.normal(40.0, 7.0, n)
        got = mean_ci(list(x))
        lo, hi = stats.t.interval(0.95, n - 1, loc=np.mean(x), scale=stats.sem(x))
        assert got["n"] == n
        assert got["ci95"] == pytest.approx([lo, hi], rel=1e-12)
    # Textbook table: t(0.975, 9) = 2.262; x = 0..9 has s = sqrt(55/6).
    got = mean_ci([float(v) for v in range(10)])
    half = (got["ci95"][1] - got["ci95"][0]) / 2
    assert half == pytest.approx(2.262 * math.sqrt(55 / 6) / math.sqrt(10), rel=2e-4)
    assert mean_ci([3.0])["ci95"] is None and mean_ci([None, 3.0])["mean"] == 3.0
    assert mean_ci([])["n"] == 0


def test_batch_summary_agrees_with_runs_table(reference: Path) -> None:
    table = pq.read_table(reference / "runs.parquet")
    summary = json.loads((reference / "batch_summary.json").read_text())
    (point,) = summary["points"]
    assert (point["runs"], point["ok"], point["failed"]) == (RUNS, RUNS, 0)
    for name in ("counts.detections", "warning.by_partner.north.median_warning_s"):
        x = np.asarray([v for v in table.column(name).to_pylist() if v is not None])
        stat = point["measures"][name]
        assert stat["mean"] == pytest.approx(np.mean(x), rel=1e-12)
        if stat["std"]:
            lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
            assert stat["ci95"] == pytest.approx([lo, hi], rel=1e-12)


def test_flatten_measures_keeps_numeric_leaves_only() -> None:
    summary = {
        "scenario": "x",
        "seed": 7,
        "wall_s": 1.5,
        "counts": {"threats": 3, "by_kind": {"ballistic": 2}},
        "threats": [{"apogee_km": 100.0}],
        "warning": {"per_threat": [{"warning_time_s": 3.0}], "by_partner": {"e": {"m": None}}},
        "track_quality": {"parameters": {"c_m": 1.0}, "partners": {"e": {"ok": True}}},
        "odd": float("nan"),
    }
    assert flatten_measures(summary) == {
        "wall_s": 1.5,
        "counts.threats": 3.0,
        "counts.by_kind.ballistic": 2.0,
        "warning.by_partner.e.m": None,
        "track_quality.partners.e.ok": 1.0,
        "odd": None,
    }


# ---------------------------------------------------------------- failures and resume


def test_a_failing_run_is_recorded_and_the_batch_goes_on(
    reference: Path, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_seed = derive_seed(BASE_SEED, 2)
    real = skyweave.simulation.run_scenario

    def flaky(scn: Scenario, seed: int, **kw: Any) -> Any:
        if seed == bad_seed:
            raise ValueError("singular matrix in a notional tracker")
        return real(scn, seed, **kw)

    monkeypatch.setattr(skyweave.simulation, "run_scenario", flaky)
    out = tmp_path / "flaky"
    outcome = run_batch(_spec(scenario), out, workers=1)
    assert (outcome.ok, outcome.failed) == (RUNS - 1, 1)
    table = pq.read_table(out / "runs.parquet")
    failed = table.filter(pa.compute.equal(table.column("status"), "error")).to_pylist()
    assert [(r["run"], r["seed"]) for r in failed] == [(2, bad_seed)]
    assert "ValueError: singular matrix in a notional tracker" in failed[0]["error"]
    assert failed[0]["counts.detections"] is None
    ok_rows = _rows(out).filter(pa.compute.equal(table.column("status"), "ok"))
    ref = _rows(reference)
    assert ok_rows.equals(ref.filter(pa.compute.not_equal(ref.column("run"), 2)))
    summary = json.loads((out / "batch_summary.json").read_text())
    assert summary["points"][0]["failed"] == 1
    assert summary["points"][0]["failures"][0]["seed"] == bad_seed
    assert summary["points"][0]["measures"]["counts.detections"]["n"] == RUNS - 1


def test_resume_after_interruption_gives_the_uninterrupted_table(
    reference: Path, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = skyweave.simulation.run_scenario
    calls: list[int] = []

    def interrupted_on_third(scn: Scenario, seed: int, **kw: Any) -> Any:
        calls.append(seed)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(scn, seed, **kw)

    monkeypatch.setattr(skyweave.simulation, "run_scenario", interrupted_on_third)
    out = tmp_path / "resumed"
    args = [
        "batch",
        str(EXAMPLE),
        "--runs",
        str(RUNS),
        "--seed",
        str(BASE_SEED),
        "--until",
        str(UNTIL_S),
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130, result.output
    assert "--resume" in result.output
    assert len(read_journal(out / JOURNAL_NAME)) == 2
    assert not (out / "runs.parquet").exists()
    # A kill in the middle of writing a line leaves a partial last line behind.
    with (out / JOURNAL_NAME).open("a") as journal:
        journal.write('{"point":0,"run":2,"seed":')

    # Without --resume the folder is refused; with it, only the missing runs are run.
    assert CliRunner().invoke(main, args).exit_code == 2
    calls.clear()
    monkeypatch.setattr(
        skyweave.simulation,
        "run_scenario",
        lambda s, seed, **kw: calls.append(seed) or real(s, seed, **kw),
    )
    result = CliRunner().invoke(main, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert calls == [derive_seed(BASE_SEED, 2), derive_seed(BASE_SEED, 3)]
    assert _rows(out).equals(_rows(reference))
    reference_summary = json.loads((reference / "batch_summary.json").read_text())
    resumed_summary = json.loads((out / "batch_summary.json").read_text())
    for summary in (reference_summary, resumed_summary):
        for point in summary["points"]:
            point["measures"].pop("wall_s")
    assert resumed_summary == reference_summary

    # Resuming with more runs extends the batch; other seeds or sweeps are refused.
    calls.clear()
    result = CliRunner().invoke(main, [*args[:3], "5", *args[4:], "--resume", "--quiet"])
    assert result.exit_code == 0 and calls == [derive_seed(BASE_SEED, 4)]
    other = [*args, "--resume", "--sweep", "earth.drag=false"]
    result = CliRunner().invoke(main, other)
    assert result.exit_code == 2 and "different batch" in result.output
