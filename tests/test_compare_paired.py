"""`skyweave compare` on the cueing example: paired differences that SciPy recomputes,
common random numbers that narrow them, and progress lines in a log file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from skyweave.analysis.batch import derive_seed
from skyweave.analysis.paired import paired_difference, seeds_for_half_width

CUEING = Path(__file__).resolve().parents[1] / "examples" / "cueing.yaml"
SEEDS = 4
MODES = ("independent", "shared-warning")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``skyweave compare ... > log.txt``, watched while it runs."""
    folder = tmp_path_factory.mktemp("cueing")
    out, log = folder / "out", folder / "log.txt"
    skyweave = Path(sys.executable).parent / "skyweave"
    args = [str(skyweave), "compare", str(CUEING), "--modes", ",".join(MODES)]
    args += ["--seeds", str(SEEDS), "--workers", "2", "--out", str(out)]
    with log.open("w") as handle:
        process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT)
        seen_while_running = None
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            if "compare: 1/8 runs" in log.read_text():
                seen_while_running = log.read_text()
                break
            time.sleep(0.2)
        assert process.wait(300) == 0, log.read_text()
    return {"out": out, "log": log.read_text(), "while_running": seen_while_running}


def _values(out: Path, measure: str) -> dict[str, np.ndarray]:
    rows = pq.read_table(out / "per_seed.parquet").to_pylist()
    seeds = json.loads((out / "compare.json").read_text())["seeds"]
    by = {(r["mode"], r["seed"]): r[measure] for r in rows}
    return {m: np.array([by[(m, s)] for s in seeds], dtype=float) for m in MODES}


def test_progress_lines_reach_a_log_file_while_it_runs(compared: dict[str, Any]) -> None:
    # stdout is a file, not a terminal: a line per run with elapsed time and ETA,
    # flushed as each run ends (read before the command finished)
    assert compared["while_running"] is not None
    assert "elapsed 0:" in compared["while_running"] and "ETA 0:" in compared["while_running"]
    lines = [x for x in compared["log"].splitlines() if x.startswith("compare: ")]
    assert len(lines) == 2 * SEEDS and lines[-1].startswith("compare: 8/8 runs (100 %)")


def test_seeds_are_derived_as_in_batch(compared: dict[str, Any]) -> None:
    result = json.loads((compared["out"] / "compare.json").read_text())
    assert result["seeds"] == [derive_seed(1, i) for i in range(SEEDS)]


def test_paired_ci_for_leakers_agrees_with_scipy(compared: dict[str, Any]) -> None:
    out = compared["out"]
    v = _values(out, "leakers")
    a, b = v["independent"], v["shared-warning"]
    table = pq.read_table(out / "differences.parquet").to_pylist()
    row = next(r for r in table if r["measure"] == "leakers")
    assert (row["a"], row["b"], row["n"]) == ("independent", "shared-warning", SEEDS)
    ci = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert row["mean_difference"] == pytest.approx(float(np.mean(b - a)))
    assert (row["t_ci95_low"], row["t_ci95_high"]) == pytest.approx((ci.low, ci.high))
    d = b - a
    if np.any(d != 0):
        wilcoxon = stats.wilcoxon(b, a, zero_method="wilcox").pvalue
        assert row["wilcoxon_p"] == pytest.approx(wilcoxon)
        nonzero = d[d != 0]
        sign = stats.binomtest(int(np.sum(nonzero > 0)), nonzero.size, 0.5).pvalue
        assert row["sign_p"] == pytest.approx(sign)
    # the page carries the paired plot, embedded
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "paired" in page


def test_common_random_numbers_narrow_the_paired_interval(compared: dict[str, Any]) -> None:
    # The modes share seeds, so seed i's pair shares its luck (the same battery's first
    # shot at the same missile gets the same kill draw). Pairing mode A's seed i with
    # mode B's seed i+k (k != 0) is what independent seeds would give: wider.
    v = _values(compared["out"], "leakers")
    a, b = v["independent"], v["shared-warning"]
    paired = np.std(b - a, ddof=1)
    shifted = [np.std(np.roll(b, k) - a, ddof=1) for k in range(1, SEEDS)]
    assert paired < float(np.mean(shifted))


def test_bootstrap_is_reproducible_and_precision_estimate_grows() -> None:
    a = [3.0, 2.0, 4.0, 3.0, 5.0, 2.0]
    b = [2.0, 2.0, 3.0, 1.0, 4.0, 2.0]
    first, again = paired_difference(a, b), paired_difference(a, b)
    assert first["bootstrap_ci95"] == again["bootstrap_ci95"]
    low, high = first["bootstrap_ci95"]
    assert low <= first["mean"] <= high
    d = np.asarray(b) - np.asarray(a)
    half = first["t_half_width"]
    assert seeds_for_half_width(d, 2.0 * half) == d.size  # already there
    assert seeds_for_half_width(d, half / 3.0) > 8 * d.size  # about (3 t_ratio)^2 times
