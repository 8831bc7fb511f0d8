"""Batch after-action report: a synthetic batch folder, no real runs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyweave.analysis.batch_results import mean_ci
from skyweave.errors import InputError
from skyweave.io.batch_report import format_value, write_batch_report

MEASURES = [
    "warning.by_partner.east.median_warning_s",
    "warning.by_partner.east.worst_warning_s",
    "warning.by_partner.east.warned",
    "track_quality.partners.east.gospa_mean_m",
    "track_quality.partners.east.siap.completeness",
    "track_quality.partners.east.siap.spuriousness",
    "counts.detections",
    "wall_s",
]
MODES = ["independent", "shared-warning"]


def make_batch(folder: Path, runs: int = 5, fail: tuple[int, int] | None = (1, 3)) -> dict:
    rng = np.random.default_rng(7)
    rows = []
    for p, mode in enumerate(MODES):
        for r in range(runs):
            failed = fail == (p, r)
            vals = {
                m: None if failed else float(rng.normal(100.0 * (k + 1) + 30.0 * p, 5.0))
                for k, m in enumerate(MEASURES)
            }
            rows.append(
                {
                    "point": p,
                    "run": r,
                    "seed": 1000 + r,
                    "mode": mode,
                    "status": "error" if failed else "ok",
                    "error": "RuntimeError: boom in tracker" if failed else None,
                    **vals,
                }
            )
    cols = {
        "point": pa.array([x["point"] for x in rows], pa.int32()),
        "run": pa.array([x["run"] for x in rows], pa.int32()),
        "seed": pa.array([x["seed"] for x in rows], pa.int64()),
        "sweep.coordination_mode": pa.array([x["mode"] for x in rows]),
        "status": pa.array([x["status"] for x in rows]),
        "error": pa.array([x["error"] for x in rows], pa.string()),
    }
    for m in MEASURES:
        cols[m] = pa.array([x[m] for x in rows], pa.float64())
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols), folder / "runs.parquet")
    points = []
    for p, mode in enumerate(MODES):
        mine = [x for x in rows if x["point"] == p]
        ok = [x for x in mine if x["status"] == "ok"]
        points.append(
            {
                "point": p,
                "params": {"coordination_mode": mode},
                "runs": len(mine),
                "ok": len(ok),
                "failed": len(mine) - len(ok),
                "failures": [
                    {"run": x["run"], "seed": x["seed"], "error": x["error"]}
                    for x in mine
                    if x["status"] != "ok"
                ],
                "measures": {m: mean_ci([x[m] for x in ok]) for m in MEASURES},
            }
        )
    summary = {
        "scenario": "synthetic-ex",
        "base_seed": 1,
        "runs_per_point": runs,
        "until_s": 1600.0,
        "sweeps": [{"path": "coordination_mode", "values": MODES}],
        "confidence": 0.95,
        "points": points,
    }
    (folder / "batch_summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return summary


class _Page(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.imgs: list[str] = []
        self.figures = 0
        self.rows: list[tuple[dict[str, str], list[str]]] = []
        self._row: tuple[dict[str, str], list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "figure":
            self.figures += 1
        if tag == "tr":
            self._row = (a, [])
        if tag in ("td", "th"):
            self._cell = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> in {self.stack[-3:]}")
        else:
            self.stack.pop()
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    return text, page


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str, _Page]:
    folder = tmp_path_factory.mktemp("batch")
    summary = make_batch(folder)
    path = write_batch_report(folder)
    text, page = parse(path)
    return path, summary, text, page


def test_valid_self_contained_html(report: tuple[Path, dict, str, _Page]) -> None:
    path, _, text, page = report
    assert path.name == "report.html"
    assert text.startswith("<!DOCTYPE html>")
    assert page.errors == [] and page.stack == []
    assert not re.search(r"https?://", text)
    # One embedded PNG per figure: warning, warned, track quality.
    assert page.figures == 3
    assert len(page.imgs) == 3
    assert all(s.startswith("data:image/png;base64,iVBOR") for s in page.imgs)


def test_ci_numbers_equal_summary(report: tuple[Path, dict, str, _Page]) -> None:
    _, summary, _, page = report
    table = {
        (a["data-measure"], int(a["data-point"])): cells
        for a, cells in page.rows
        if "data-measure" in a
    }
    for point in summary["points"]:
        for m, st in point["measures"].items():
            if m == "wall_s":
                assert (m, point["point"]) not in table
                continue
            cells = table[(m, point["point"])]
            assert cells[2] == str(st["n"])
            assert cells[3] == format_value(st["mean"])
            assert cells[4] == format_value(st["ci95"][0])
            assert cells[5] == format_value(st["ci95"][1])
            assert float(cells[4]) == pytest.approx(st["ci95"][0], rel=1e-5)
    # The failed run is left out of the statistics of its point.
    assert table[("counts.detections", 1)][2] == "4"


def test_sweep_points_and_failures(report: tuple[Path, dict, str, _Page]) -> None:
    _, _, text, page = report
    for mode in MODES:
        assert f"coordination_mode={mode}" in text
    failures = [cells for _, cells in page.rows if cells and "boom in tracker" in cells[-1]]
    assert failures == [["2", "3", "1003", "error", "RuntimeError: boom in tracker"]]
    assert "9 ok, 1 failed" in text


def test_no_failures_table_when_all_ok(tmp_path: Path) -> None:
    make_batch(tmp_path, runs=3, fail=None)
    text, page = parse(write_batch_report(tmp_path, out=tmp_path / "r.html"))
    assert 'id="failures"' not in text
    assert page.errors == []


def test_same_bytes_twice(tmp_path: Path) -> None:
    make_batch(tmp_path, runs=3)
    a = write_batch_report(tmp_path, out=tmp_path / "a.html").read_bytes()
    b = write_batch_report(tmp_path, out=tmp_path / "b.html").read_bytes()
    assert a == b


def test_without_summary_recomputes_intervals(tmp_path: Path) -> None:
    summary = make_batch(tmp_path, runs=4)
    (tmp_path / "batch_summary.json").unlink()
    _, page = parse(write_batch_report(tmp_path))
    table = {
        (a["data-measure"], int(a["data-point"])): cells
        for a, cells in page.rows
        if "data-measure" in a
    }
    st = summary["points"][0]["measures"]["counts.detections"]
    assert table[("counts.detections", 0)][4] == format_value(st["ci95"][0])


def test_missing_folder_or_runs_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_batch_report(tmp_path / "nope")
    with pytest.raises(InputError):
        write_batch_report(tmp_path)
