"""Batch after-action report: a synthetic batch folder, no real runs."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from skyweave.analysis.batch_results import mean_ci
from skyweave.errors import InputError
from skyweave.io.batch_report import (
    format_mean_ci,
    format_value,
    strip_offsets,
    write_batch_report,
)

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
ENGAGEMENT = [
    "engagement.leakers",
    "engagement.value_hit",
    "engagement.threats_killed",
    "engagement.interceptors_used.east",
    "engagement.interceptors_used.north",
    "engagement.interceptors_used_total",
    "engagement.outcomes.kill",
    "engagement.alert_to_first_shot_median_s",
    "engagement.engagements_per_threat.raid-1",
    "engagement.engagements_per_threat.raid-2",
    "engagement.alert_to_first_shot_s.raid-1",
    "engagement.alert_to_first_shot_s.raid-2",
]
PER_THREAT = [m for m in ENGAGEMENT if "per_threat" in m or "first_shot_s." in m]


def engagement_values(rng: np.random.Generator, p: int, r: int) -> dict[str, float | None]:
    """One run's flattened engagement block, as run_scenario + flatten_measures give it."""
    east = int(rng.integers(2, 9)) - 2 * p
    north = int(rng.integers(0, 5)) + 2 * p
    leakers = int(rng.integers(0, 4))
    raid1 = r % 2 == 0  # raid-1 engaged in every other run only: sparse columns
    return {
        "engagement.leakers": float(leakers),
        "engagement.value_hit": 45.5 * leakers,
        "engagement.threats_killed": float(6 - leakers),
        "engagement.interceptors_used.east": float(east),
        "engagement.interceptors_used.north": float(north),
        "engagement.interceptors_used_total": float(east + north),
        "engagement.outcomes.kill": float(6 - leakers),
        # The last run of each point fired at nothing: no delay to first shot.
        "engagement.alert_to_first_shot_median_s": None
        if r == 4
        else float(rng.normal(500.0 - 20.0 * p, 12.0)),
        "engagement.engagements_per_threat.raid-1": 1.0 if raid1 else None,
        "engagement.engagements_per_threat.raid-2": float(rng.integers(1, 3)),
        "engagement.alert_to_first_shot_s.raid-1": float(rng.normal(400.0, 5.0)) if raid1 else None,
        "engagement.alert_to_first_shot_s.raid-2": float(rng.normal(300.0, 5.0)),
    }


def make_batch(
    folder: Path,
    runs: int = 5,
    fail: tuple[int, int] | None = (1, 3),
    engagement: bool = False,
) -> dict:
    rng = np.random.default_rng(7)
    names = MEASURES + (ENGAGEMENT if engagement else [])
    rows: list[dict[str, Any]] = []
    for p, mode in enumerate(MODES):
        for r in range(runs):
            failed = fail == (p, r)
            vals: dict[str, float | None] = {
                m: None if failed else float(rng.normal(100.0 * (k + 1) + 30.0 * p, 5.0))
                for k, m in enumerate(MEASURES)
            }
            if engagement:
                eng = engagement_values(rng, p, r)
                vals.update({m: None if failed else v for m, v in eng.items()})
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
    for m in names:
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
                "measures": {m: mean_ci([x[m] for x in ok]) for m in names},
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


def test_old_batch_says_no_engagement_in_one_line(report: tuple[Path, dict, str, _Page]) -> None:
    _, _, text, _ = report
    m = re.search(r'<section id="defence"><h2>Defence outcome</h2>(.*?)</section>', text)
    assert m is not None
    assert re.fullmatch(r"<p>No engagement measures in this batch[^<]*</p>", m.group(1))
    assert 'class="defence"' not in text and "fig-defence" not in text


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


@pytest.mark.parametrize("engagement", [False, True])
def test_same_bytes_twice(tmp_path: Path, engagement: bool) -> None:
    make_batch(tmp_path, runs=3, engagement=engagement)
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


# ------------------------------------------------------------- defence outcome


def parse_mean_ci(cell: str) -> tuple[list[float], list[int]]:
    """Numbers of a ``mean [low, high]`` cell and their numbers of decimals."""
    texts = re.findall(r"-?\d+(?:\.\d+)?", cell.split(" (n=")[0])
    return [float(t) for t in texts], [len(t.split(".")[1]) if "." in t else 0 for t in texts]


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval, computed here without the project's helper."""
    x = np.asarray(values, dtype=np.float64)
    lo, hi = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    return float(x.mean()), float(lo), float(hi)


def assert_shows(cell: str, expected: tuple[float, ...]) -> None:
    """The cell shows ``expected`` rounded, with at least 3 significant digits on the mean."""
    shown, decimals = parse_mean_ci(cell)
    assert len(shown) == len(expected), cell
    mean = abs(expected[0]) or max(abs(v) for v in expected)
    if mean > 0:
        assert decimals[0] >= 2 - math.floor(math.log10(mean)), cell
    assert len(set(decimals)) == 1, cell
    for got, want in zip(shown, expected, strict=True):
        assert abs(got - want) <= 0.5 * 10.0 ** -decimals[0] * (1 + 1e-9), (cell, want)


@pytest.fixture(scope="module")
def eng_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Page]:
    folder = tmp_path_factory.mktemp("engaged")
    make_batch(folder, runs=5, fail=(1, 3), engagement=True)
    text, page = parse(write_batch_report(folder))
    return folder, text, page


def defence_rows(page: _Page) -> dict[int, list[str]]:
    return {int(a["data-defence-point"]): c for a, c in page.rows if "data-defence-point" in a}


def test_defence_section_near_top_with_png_figure(eng_report: tuple[Path, str, _Page]) -> None:
    _, text, page = eng_report
    assert page.errors == [] and page.stack == []
    assert text.index('id="points"') < text.index('id="defence"') < text.index('id="warning"')
    m = re.search(
        r'<section id="defence"><h2>Defence outcome</h2><figure class="plot" id="fig-defence">'
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"',
        text,
    )
    assert m is not None
    png = base64.b64decode(m.group(1), validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    # Two rows of panels (coalition; interceptors per partner), three columns wide.
    assert width > height > 300
    # Defence, warning, warned, track quality.
    assert page.figures == 4 and len(page.imgs) == 4


def test_defence_table_means_and_intervals(eng_report: tuple[Path, str, _Page]) -> None:
    folder, text, page = eng_report
    head = re.search(r'<table class="defence"><thead><tr>(.*?)</tr>', text)
    assert head is not None
    headers = re.findall(r"<th[^>]*>(.*?)</th>", head.group(1))
    assert headers == [
        "point",
        "parameters",
        "runs",
        "runs without leaker",
        "leakers",
        "value hit",
        "threats killed",
        "interceptors used",
        "interceptors used: east",
        "interceptors used: north",
        "first alert to first shot (s)",
    ]
    measure_of = {
        "leakers": "engagement.leakers",
        "value hit": "engagement.value_hit",
        "threats killed": "engagement.threats_killed",
        "interceptors used": "engagement.interceptors_used_total",
        "interceptors used: east": "engagement.interceptors_used.east",
        "interceptors used: north": "engagement.interceptors_used.north",
        "first alert to first shot (s)": "engagement.alert_to_first_shot_median_s",
    }
    runs = pq.read_table(folder / "runs.parquet").to_pylist()
    table = defence_rows(page)
    assert sorted(table) == [0, 1]
    for p in (0, 1):
        ok = [r for r in runs if r["point"] == p and r["status"] == "ok"]
        cells = dict(zip(headers, table[p], strict=True))
        assert cells["point"] == str(p + 1)
        assert cells["parameters"] == f"coordination_mode={MODES[p]}"
        assert cells["runs"] == ("4 (1 failed)" if p == 1 else "5")
        no_leak = sum(1 for r in ok if r["engagement.leakers"] == 0)
        assert cells["runs without leaker"] == f"{no_leak} of {len(ok)}"
        for header, m in measure_of.items():
            values = [r[m] for r in ok if r[m] is not None]
            assert_shows(cells[header], t_interval(values))
        # Run 4 fired at nothing: one value fewer than runs, and the cell says so.
        assert cells["first alert to first shot (s)"].endswith(f"(n={len(ok) - 1})")
        assert "(n=" not in cells["leakers"]


def test_defence_table_recomputed_without_summary(
    eng_report: tuple[Path, str, _Page], tmp_path: Path
) -> None:
    _, _, page = eng_report
    make_batch(tmp_path, runs=5, fail=(1, 3), engagement=True)
    (tmp_path / "batch_summary.json").unlink()
    _, bare = parse(write_batch_report(tmp_path))
    assert defence_rows(bare) == defence_rows(page)


def test_per_threat_measures_grouped_apart(eng_report: tuple[Path, str, _Page]) -> None:
    folder, text, page = eng_report
    measures = {a["data-measure"] for a, _ in page.rows if "data-measure" in a}
    assert "engagement.leakers" in measures and "engagement.interceptors_used.east" in measures
    assert measures.isdisjoint(PER_THREAT)
    per = {(a["data-threat"], int(a["data-point"])): c for a, c in page.rows if "data-threat" in a}
    assert sorted(per) == [("raid-1", 0), ("raid-1", 1), ("raid-2", 0), ("raid-2", 1)]
    assert "<details><summary>Per-threat engagement measures (2 threats)" in text
    runs = pq.read_table(folder / "runs.parquet").to_pylist()
    for p in (0, 1):
        ok = [r for r in runs if r["point"] == p and r["status"] == "ok"]
        delays = [
            r["engagement.alert_to_first_shot_s.raid-1"]
            for r in ok
            if r["engagement.alert_to_first_shot_s.raid-1"] is not None
        ]
        cells = per[("raid-1", p)]
        # raid-1 is engaged in runs 0, 2, 4 only (run 3 of point 1 failed).
        assert cells[2] == "3" and cells[4] == str(len(delays)) == "3"
        assert cells[3] == "1.00 [1.00, 1.00]"
        assert_shows(cells[5], t_interval(delays))


def test_format_mean_ci() -> None:
    assert format_mean_ci(None) == "-"
    assert format_mean_ci({"n": 0, "mean": None, "ci95": None}) == "-"
    assert format_mean_ci({"n": 1, "mean": 2.0, "ci95": None}) == "2.00"
    assert format_mean_ci({"mean": 0.0333, "ci95": [-0.03491, 0.10151]}) == (
        "0.0333 [-0.0349, 0.1015]"
    )
    assert format_mean_ci({"mean": 9.8333, "ci95": [8.7912, 10.8754]}) == "9.83 [8.79, 10.88]"
    assert format_mean_ci({"mean": 1234.56, "ci95": [1200.2, 1268.9]}) == "1235 [1200, 1269]"
    assert format_mean_ci({"mean": 0.0, "ci95": [0.0, 0.0]}) == "0 [0, 0]"
    # Zero mean, non-zero interval: digits from the interval; no "-0.00".
    assert format_mean_ci({"mean": 0.0, "ci95": [-0.25, 0.25]}) == "0.000 [-0.250, 0.250]"
    assert format_mean_ci({"mean": 5.0, "ci95": [-0.0001, 10.0]}) == "5.00 [0.00, 10.00]"


def test_strip_offsets_stack_equal_counts_side_by_side() -> None:
    # Runs 0, 1, 3 share the value 1 (the most common): spread over the full width
    # in run order; run 2 alone at 2 sits on the centre line; runs 4, 5 share 3:
    # two thirds of the width.
    got = strip_offsets(np.array([1.0, 1.0, 2.0, 1.0, 3.0, 3.0]), integer=True)
    assert got == pytest.approx([-0.1, 0.0, 0.0, 0.1, -0.2 / 3, 0.2 / 3], abs=1e-15)
    # Continuous values keep the even spread in run order.
    assert strip_offsets(np.array([5.0, 1.0, 3.0])) == pytest.approx([-0.1, 0.0, 0.1])
    assert strip_offsets(np.array([4.0]), integer=True).tolist() == [0.0]


def test_warning_time_panels_are_in_seconds(tmp_path: Path) -> None:
    from matplotlib.collections import PathCollection

    from skyweave.io.batch_report import _figure_specs, distribution_figure, load_batch

    make_batch(tmp_path)
    data = load_batch(tmp_path)
    runs = pq.read_table(tmp_path / "runs.parquet").to_pydict()
    (spec,) = [s for s in _figure_specs(data) if s[0] == "fig-warning"]
    _, _, caption, rows, panels = spec
    assert "in seconds" in caption
    fig = distribution_figure(data, rows, panels)
    for ax, panel in zip(fig.axes, [p for row in panels for p in row], strict=False):
        assert ax.get_ylabel().endswith("(s)")
        # The dots are the runs' values in seconds, exactly as runs.parquet holds them.
        dots = np.concatenate(
            [
                np.asarray(c.get_offsets())[:, 1]
                for c in ax.collections
                if isinstance(c, PathCollection)
            ]
        )
        ok = [
            v
            for v, s in zip(runs[panel.measure], runs["status"], strict=True)
            if v is not None and s == "ok"
        ]
        np.testing.assert_allclose(np.sort(dots), np.sort(np.asarray(ok, dtype=float)))
