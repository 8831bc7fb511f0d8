"""`skyweave run`: the output folder contract, determinism and clean failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from skyweave.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
TRUTH_COLUMNS = ["time_s", "object_id", "kind", "x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps"]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("runs")
    a, b, c = base / "a", base / "b", base / "c"
    # past the first intercepts (seed 3: from 650 s), so that every kind of object is in
    # the truth and every file is written with rows; the other seed's run need only be
    # long enough to hold detections. (The whole example, to 1800 s, is checked bit for
    # bit against its replay in test_engagement_run.py.)
    for out, seed, until in ((a, "3", "700"), (b, "3", "700"), (c, "4", "300")):
        code, output = _run(str(EXAMPLE), "--seed", seed, "--out", str(out), "--until", until)
        assert code == 0, output
    return a, b, c


def test_output_folder_contract(run_dirs: tuple[Path, Path, Path]) -> None:
    out = run_dirs[0]
    truth = pq.read_table(out / "truth.parquet")
    assert truth.column_names == TRUTH_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    for key in ("scenario", "seed", "simulated_s", "counts", "skyweave_version", "engagement"):
        assert key in summary
    assert summary["scenario"] == "joint-exercise"
    assert summary["seed"] == 3
    assert summary["simulated_s"] == 700.0
    # every row lies on the output grid, inside the run, with a finite state
    t = truth.column("time_s").to_numpy()
    assert np.allclose(np.mod(t, 5.0), 0.0)
    assert t.max() <= 700.0
    xyz = np.column_stack([truth.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    assert np.isfinite(xyz).all()
    radius = np.linalg.norm(xyz, axis=1)
    assert (radius > 6.35e6).all() and (radius < 8.0e6).all()
    kinds = set(truth.column("kind").to_pylist())
    assert kinds == {"ballistic", "cruise", "aircraft", "interceptor"}
    assert summary["counts"]["threats"] == 10  # 3 + 2 + 1 + 1 ballistic, 2 cruise, 1 aircraft


def test_same_seed_bit_identical(run_dirs: tuple[Path, Path, Path]) -> None:
    a, b, c = run_dirs
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert {
        "truth.parquet",
        "detections.parquet",
        "engagements.parquet",
        "summary.json",
        "scenario.czml",
        "scenario.kml",
    } <= set(files)
    for name in files:  # summary.json included: the wall time is not in it
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # a different seed changes the noisy tables
    assert (a / "detections.parquet").read_bytes() != (c / "detections.parquet").read_bytes()


def test_existing_folder_is_not_clobbered(run_dirs: tuple[Path, Path, Path]) -> None:
    out = run_dirs[0]
    before = (out / "truth.parquet").read_bytes()
    code, output = _run(str(EXAMPLE), "--out", str(out), "--until", "10")
    assert code == 2
    assert "--overwrite" in output
    assert (out / "truth.parquet").read_bytes() == before


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o"))
    assert code == 2 and "file not found" in output
    code, output = _run(str(EXAMPLE), "--until", "-5", "--out", str(tmp_path / "o"))
    assert code == 2 and "--until" in output
    assert not (tmp_path / "o").exists()
