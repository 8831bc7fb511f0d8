"""Batch results: flattened run measures, the resumable journal, ``runs.parquet`` and
``batch_summary.json`` with means and Student-t confidence intervals.

The journal (``journal.jsonl``) is the batch's only record while it runs: one
JSON line per finished run, appended and flushed to disk as each run finishes,
in completion order. The Parquet table and the summary are always rebuilt from
it, sorted by sweep point and run index, so they do not depend on which worker
finished first or on whether the batch was interrupted and resumed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

JOURNAL_NAME = "journal.jsonl"
RUNS_NAME = "runs.parquet"
SUMMARY_NAME = "batch_summary.json"

# Summary keys that identify a run or configure a measure rather than measure it.
_SKIP_TOP = {"seed"}
_SKIP_ANY = {"parameters"}

# Leading columns of runs.parquet, before the swept parameters and the measures.
ID_COLUMNS = ("point", "run", "seed")
SWEEP_PREFIX = "sweep."


def flatten_measures(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """Every numeric leaf of a run summary, keyed by its dotted path.

    Lists (the per-threat tables) and strings are left out, as are the top-level
    ``seed`` and any ``parameters`` block (settings of a measure, not a measure).
    Booleans become 0/1 so that their mean is a fraction; ``None`` and non-finite
    numbers are kept as ``None`` (a measure that has no value in this run, e.g. a
    median warning time when nothing was warned).
    """
    out: dict[str, float | None] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if prefix == "" and key in _SKIP_TOP or key in _SKIP_ANY:
                continue
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, name + ".")
            elif isinstance(value, bool | np.bool_):
                out[name] = float(value)
            elif isinstance(value, int | float | np.integer | np.floating):
                number = float(value)
                out[name] = number if math.isfinite(number) else None
            elif value is None:
                out[name] = None

    walk(summary, "")
    return out


# ---------------------------------------------------------------- the journal


def append_journal(path: Path, row: Mapping[str, Any]) -> None:
    """Append one finished run as a JSON line and force it to disk (survives a kill)."""
    line = json.dumps(row, allow_nan=False, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Finished runs recorded in ``path``; a later line for the same run replaces an
    earlier one. A final line cut short by a kill is ignored."""
    if not path.exists():
        return []
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "point" in row and "run" in row:
            rows[(int(row["point"]), int(row["run"]))] = row
    return list(rows.values())


def repair_journal(path: Path) -> None:
    """Cut a partial last line (a kill during a write) so appends start on a new line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


# ---------------------------------------------------------------- statistics


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Mean and two-sided Student-t confidence interval of the mean.

    ``mean ± t_{(1+c)/2, n-1} · s / √n`` with ``s`` the sample standard deviation
    (``ddof=1``). ``None`` values are dropped; with fewer than two values the
    interval (and the standard deviation) is ``None``.
    """
    x = np.asarray([v for v in values if v is not None], dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return {"n": 0, "mean": None, "std": None, "ci95": None}
    mean = float(np.mean(x))
    if n < 2:
        return {"n": n, "mean": mean, "std": None, "ci95": None}
    std = float(np.std(x, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std, "ci95": [mean - half, mean + half]}


# ---------------------------------------------------------------- outputs


def sorted_rows(
    rows: Iterable[Mapping[str, Any]], n_points: int, n_runs: int
) -> list[Mapping[str, Any]]:
    """The journal rows that belong to this batch, in (point, run) order."""
    kept = [r for r in rows if 0 <= r["point"] < n_points and 0 <= r["run"] < n_runs]
    return sorted(kept, key=lambda r: (r["point"], r["run"]))


def measure_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Union of measure names, in first-seen order over rows in batch order."""
    names: dict[str, None] = {}
    for row in rows:
        for name in row.get("measures", {}):
            names.setdefault(name, None)
    return list(names)


def runs_table(rows: Sequence[Mapping[str, Any]], sweep_paths: Sequence[str]) -> pa.Table:
    """``runs.parquet``: one row per run, ids, swept values, status, then measures.

    Measures are float64 (null where a run has no value or failed), so the schema
    does not depend on which runs happen to have which values.
    """
    columns: dict[str, pa.Array] = {
        "point": pa.array([r["point"] for r in rows], pa.int32()),
        "run": pa.array([r["run"] for r in rows], pa.int32()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
    }
    for path in sweep_paths:
        values = [r["params"].get(path) for r in rows]
        try:
            columns[SWEEP_PREFIX + path] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Mixed kinds (8 and "all"): keep the values as text.
            columns[SWEEP_PREFIX + path] = pa.array([None if v is None else str(v) for v in values])
    columns["status"] = pa.array([r["status"] for r in rows], pa.string())
    columns["error"] = pa.array([r.get("error") for r in rows], pa.string())
    for name in measure_names(rows):
        columns[name] = pa.array([r.get("measures", {}).get(name) for r in rows], pa.float64())
    return pa.table(columns)


def batch_summary(
    rows: Sequence[Mapping[str, Any]],
    points: Sequence[Mapping[str, Any]],
    header: Mapping[str, Any],
) -> dict[str, Any]:
    """Per sweep point: run counts, failures and mean / 95 % CI of every measure.

    Statistics use the successful runs only; ``n`` per measure counts the runs
    where it has a value.
    """
    names = measure_names(rows)
    out_points = []
    for point in points:
        mine = [r for r in rows if r["point"] == point["index"]]
        ok = [r for r in mine if r["status"] == "ok"]
        failed = [r for r in mine if r["status"] != "ok"]
        measures = {name: mean_ci([r["measures"].get(name) for r in ok]) for name in names}
        out_points.append(
            {
                "point": point["index"],
                "params": point["params"],
                "runs": len(mine),
                "ok": len(ok),
                "failed": len(failed),
                "failures": [
                    {"run": r["run"], "seed": r["seed"], "error": r.get("error")} for r in failed
                ],
                "measures": measures,
            }
        )
    return {**header, "confidence": 0.95, "points": out_points}


def write_outputs(
    out_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    points: Sequence[Mapping[str, Any]],
    sweep_paths: Sequence[str],
    header: Mapping[str, Any],
) -> None:
    """Write ``runs.parquet`` and ``batch_summary.json`` (each replaced atomically)."""
    table = runs_table(rows, sweep_paths)
    tmp = out_dir / f".{RUNS_NAME}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, out_dir / RUNS_NAME)
    summary = batch_summary(rows, points, header)
    text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
    tmp = out_dir / f".{SUMMARY_NAME}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out_dir / SUMMARY_NAME)
