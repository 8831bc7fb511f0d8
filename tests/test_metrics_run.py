"""Run-folder metrics and ``skyweave metrics`` on a small synthetic run folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from skyweave.analysis.metrics import gospa
from skyweave.analysis.metrics_run import compute_run_metrics
from skyweave.cli.metrics import metrics_command
from skyweave.errors import InputError

# Two threats on straight lines (linear in time, so linear interpolation of the
# 1 s truth grid is exact) and one interceptor that must be left out.
X0 = {"T1": np.array([6.4e6, 0.0, 1.0e5]), "T2": np.array([6.4e6, 3.0e5, 1.0e5])}
V = {"T1": np.array([-100.0, 2000.0, 500.0]), "T2": np.array([-50.0, -1500.0, 300.0])}
OFFSET = np.array([300.0, 400.0, 0.0])  # 500 m track error
REPORTS = np.arange(10.5, 51.0, 2.0)  # North reports every 2 s, off the truth grid


def _truth_at(obj: str, t: np.ndarray) -> np.ndarray:
    return X0[obj] + np.outer(t, V[obj])


def _write_run(folder: Path) -> Path:
    t = np.arange(0.0, 61.0)
    rows: dict[str, list] = {k: [] for k in ("time_s", "object_id", "kind")}
    states = []
    for obj in ("T1", "T2"):
        rows["time_s"] += t.tolist()
        rows["object_id"] += [obj] * t.size
        rows["kind"] += ["ballistic"] * t.size
        states.append(np.hstack([_truth_at(obj, t), np.tile(V[obj], (t.size, 1))]))
    rows["time_s"] += t.tolist()
    rows["object_id"] += ["I1"] * t.size
    rows["kind"] += ["interceptor"] * t.size
    states.append(np.tile([6.0e6, 1.0e6, 0.0, 0.0, 0.0, 0.0], (t.size, 1)))
    s = np.vstack(states)
    truth = pa.table(
        {
            **rows,
            **{
                c: s[:, i]
                for i, c in enumerate(("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps"))
            },
        }
    )
    track_rows: dict[str, list] = {
        k: [] for k in ("time_s", "partner", "track_id", "pos_sigma_m", "sources")
    }
    tstates = []
    for tid, obj in (("N-1", "T1"), ("N-2", "T2")):
        track_rows["time_s"] += REPORTS.tolist()
        track_rows["partner"] += ["North"] * REPORTS.size
        track_rows["track_id"] += [tid] * REPORTS.size
        track_rows["pos_sigma_m"] += [250.0] * REPORTS.size
        track_rows["sources"] += [["north-ewr"]] * REPORTS.size
        tstates.append(
            np.hstack([_truth_at(obj, REPORTS) + OFFSET, np.tile(V[obj], (REPORTS.size, 1))])
        )
    east_t = np.arange(20.0, 41.0)
    for tid, pos in (("E-7", None), ("E-9", np.array([1.0e6, 1.0e6, 1.0e6]))):
        track_rows["time_s"] += east_t.tolist()
        track_rows["partner"] += ["East"] * east_t.size
        track_rows["track_id"] += [tid] * east_t.size
        track_rows["pos_sigma_m"] += [900.0] * east_t.size
        track_rows["sources"] += [["east-sat-1", "east-ewr"]] * east_t.size
        p = _truth_at("T1", east_t) + [0.0, 0.0, 2000.0] if pos is None else np.tile(pos, (21, 1))
        tstates.append(np.hstack([p, np.tile(V["T1"], (east_t.size, 1))]))
    ts = np.vstack(tstates)
    tracks = pa.table(
        {
            **track_rows,
            **{
                c: ts[:, i]
                for i, c in enumerate(("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps"))
            },
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(truth, folder / "truth.parquet")
    pq.write_table(tracks, folder / "tracks.parquet")
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return _write_run(tmp_path / "run")


def test_north_against_independent_gospa_and_closed_form_siap(run_dir: Path) -> None:
    result = compute_run_metrics(run_dir)
    north = result["partners"]["North"]
    # Evaluation times: North's reports, plus truth times at least one report
    # interval (2 s) from any report: 0..8 before, 53..60 after.
    expected_times = np.concatenate([np.arange(0.0, 9.0), REPORTS, np.arange(53.0, 61.0)])
    np.testing.assert_array_equal(north["gospa"]["times_s"], expected_times)
    for k, t in enumerate(expected_times):
        truths = np.stack([_truth_at("T1", np.array([t]))[0], _truth_at("T2", np.array([t]))[0]])
        tracks = truths + OFFSET if t in REPORTS else np.zeros((0, 3))
        ref = gospa(truths, tracks, 10_000.0, 1.0)
        assert north["gospa"]["distance_m"][k] == pytest.approx(ref.distance, rel=1e-9)
        assert north["gospa"]["missed_count"][k] == ref.missed_count
    assert north["gospa"]["distance_m"][10] == pytest.approx(1000.0)  # 2 x 500 m
    assert north["gospa"]["distance_m"][0] == pytest.approx(10_000.0)  # 2 missed x c/2
    d = np.array(north["gospa"]["distance_m"])
    trapezoid = np.sum(np.diff(expected_times) * (d[1:] + d[:-1]) / 2) / 60.0
    assert north["gospa"]["mean_distance_m"] == pytest.approx(trapezoid)

    siap = north["siap"]
    assert siap["completeness"] == pytest.approx(42 / 76)
    assert siap["ambiguity"] == pytest.approx(1.0)
    assert siap["spuriousness"] == pytest.approx(0.0)
    assert siap["position_accuracy_m"] == pytest.approx(500.0, rel=1e-9)
    assert siap["velocity_accuracy_mps"] == pytest.approx(0.0, abs=1e-9)
    assert siap["rate_of_track_number_change_per_s"] == 0.0
    assert siap["longest_track_segment"] == pytest.approx(80 / 120)
    assert north["n_tracks"] == 2 and north["n_track_reports"] == 2 * REPORTS.size
    json.dumps(result, allow_nan=False)  # JSON-ready


def test_east_false_track_and_interceptor_choice(run_dir: Path) -> None:
    east = compute_run_metrics(run_dir, c_m=5_000.0, p=2.0)["partners"]["East"]
    # At its reports East holds T1 at 2 km and one false track; T2 is missed.
    k = east["gospa"]["times_s"].index(30.0)
    assert east["gospa"]["missed_count"][k] == 1
    assert east["gospa"]["false_count"][k] == 1
    assert east["gospa"]["distance_m"][k] == pytest.approx(np.sqrt(2000.0**2 + 5_000.0**2))
    assert east["siap"]["spuriousness"] == pytest.approx(0.5)
    assert east["siap"]["position_accuracy_m"] == pytest.approx(2000.0)
    with_interceptor = compute_run_metrics(run_dir, truth_kinds={"ballistic", "interceptor"})
    assert with_interceptor["parameters"]["truth_objects"] == 3
    k = with_interceptor["partners"]["North"]["gospa"]["times_s"].index(10.5)
    assert with_interceptor["partners"]["North"]["gospa"]["missed_count"][k] == 1


def test_partner_without_tracks_misses_everything(run_dir: Path) -> None:
    south = compute_run_metrics(run_dir, partners=["South"])["partners"]["South"]
    assert south["gospa"]["times_s"] == list(np.arange(0.0, 61.0))
    assert south["gospa"]["mean_distance_m"] == pytest.approx(10_000.0)
    assert south["siap"]["completeness"] == 0.0


def test_cli_table_and_json(run_dir: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(metrics_command, [str(run_dir)])
    assert table.exit_code == 0, table.output
    assert "North" in table.output and "East" in table.output
    assert "SIAP completeness" in table.output

    as_json = runner.invoke(metrics_command, [str(run_dir), "--json", "--c-km", "20", "--p", "2"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data == json.loads(json.dumps(compute_run_metrics(run_dir, c_m=20_000.0, p=2.0)))


@pytest.fixture
def cli_main(monkeypatch: pytest.MonkeyPatch):
    """The real group, with the command registered as the lead will register it."""
    import skyweave.cli as cli

    monkeypatch.setitem(cli._COMMANDS, "metrics", "skyweave.cli.metrics:metrics_command")
    return cli.main


def test_cli_missing_folder_exits_2(tmp_path: Path, cli_main) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(cli_main, ["metrics", str(missing)])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "run folder not found" in result.stderr
    assert "Traceback" not in result.output


def test_cli_missing_file_and_wrong_columns_exit_2(run_dir: Path, cli_main) -> None:
    table = pq.read_table(run_dir / "tracks.parquet").drop_columns(["partner"])
    pq.write_table(table, run_dir / "tracks.parquet")
    result = CliRunner().invoke(cli_main, ["metrics", str(run_dir)])
    assert result.exit_code == 2
    assert "tracks.parquet" in result.stderr and "partner" in result.stderr

    (run_dir / "truth.parquet").unlink()
    with pytest.raises(InputError, match="truth.parquet: file not found"):
        compute_run_metrics(run_dir)


def test_wrong_column_type_is_reported(run_dir: Path) -> None:
    table = pq.read_table(run_dir / "truth.parquet")
    bad = table.set_column(
        table.schema.get_field_index("x_m"), "x_m", pa.array(["a"] * table.num_rows)
    )
    pq.write_table(bad, run_dir / "truth.parquet")
    with pytest.raises(InputError, match=r"truth.parquet: x_m: must be a number"):
        compute_run_metrics(run_dir)
