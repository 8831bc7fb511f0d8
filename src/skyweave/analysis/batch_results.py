"""Batch results: flattened run measures, the resumable journal, ``runs.parquet``,
``per_threat.parquet`` (one row per run and threat) and ``batch_summary.json`` with means
and Student-t confidence intervals, and paired differences between sweep points.

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

from skyweave.analysis.paired import paired_difference
from skyweave.analysis.threat_table import threats_table
from skyweave.errors import InputError, Problem
from skyweave.io import safe_files

JOURNAL_NAME = "journal.jsonl"
RUNS_NAME = "runs.parquet"
THREATS_NAME = "per_threat.parquet"
SUMMARY_NAME = "batch_summary.json"

PAIRED_MEASURES = (
    "engagement.leakers",
    "engagement.value_hit",
    "engagement.interceptors_used_total",
    "engagement.threats_killed",
    "engagement.alert_to_first_shot_median_s",
)
"""Measures whose paired differences between sweep points the summary and report give
(with ``engagement.interceptors_used.<partner>`` and
``warning.by_partner.<partner>.median_warning_s``)."""

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
    """Append one finished run as a JSON line and force it to disk (survives a kill).

    The journal is opened without following a link and must be a file of its own.
    """
    line = json.dumps(row, allow_nan=False, separators=(",", ":")) + "\n"
    with safe_files.open_append(path) as handle:
        handle.write(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _row_problem(row: Any) -> str | None:
    """What is wrong with one parsed journal line, or ``None``."""
    if not isinstance(row, dict):
        return "expected a JSON object"
    for key in ("point", "run", "seed"):
        if not _is_count(row.get(key)):
            return f"{key}: expected a non-negative integer (got {row.get(key)!r})"
    if not isinstance(row.get("params"), dict):
        return "params: expected an object"
    if row.get("status") not in ("ok", "error"):
        return f"status: expected 'ok' or 'error' (got {row.get('status')!r})"
    if row.get("error") is not None and not isinstance(row.get("error"), str):
        return "error: expected text or null"
    measures = row.get("measures")
    if not isinstance(measures, dict):
        return "measures: expected an object"
    for name, value in measures.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            return f"measures.{name}: expected a number or null"
    return None


def read_journal_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every journal line as ``(line number, row)``, each checked for shape.

    A final line cut short by a kill (no newline) is ignored. Read without
    following a link.

    Raises
    ------
    InputError
        Naming the file and line of the first malformed lines.
    """
    if not path.exists() and not path.is_symlink():
        return []
    data = safe_files.read_bytes(path)
    if not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"not UTF-8 text ({exc.reason})")]) from None
    rows, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            problems.append(Problem(str(path), f"not a JSON journal line ({exc})", line=number))
            continue
        problem = _row_problem(row)
        if problem is not None:
            problems.append(Problem(str(path), problem, line=number))
        else:
            rows.append((number, row))
        if len(problems) >= 10:
            break
    if problems:
        raise InputError(problems)
    return rows


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Finished runs recorded in ``path`` (see :func:`read_journal_lines`); a later
    line for the same run replaces an earlier one."""
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for _, row in read_journal_lines(path):
        rows[(row["point"], row["run"])] = row
    return list(rows.values())


def repair_journal(path: Path) -> None:
    """Cut a partial last line (a kill during a write) so appends start on a new line."""
    if not path.exists() and not path.is_symlink():
        return
    data = safe_files.read_bytes(path)
    if data and not data.endswith(b"\n"):
        safe_files.truncate_to(path, data.rfind(b"\n") + 1)


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


def threat_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The per-threat rows of the successful runs, each led by its run's ids."""
    return [
        {"point": r["point"], "run": r["run"], "seed": r["seed"], **t}
        for r in rows
        if r["status"] == "ok"
        for t in r.get("threats", [])
    ]


def paired_names(names: Sequence[str]) -> list[str]:
    """The measures of ``names`` that get paired differences, in that order."""
    per_partner = ("engagement.interceptors_used.", "warning.by_partner.")
    return [
        n
        for n in names
        if n in PAIRED_MEASURES
        or (n.startswith(per_partner[0]))
        or (n.startswith(per_partner[1]) and n.endswith(".median_warning_s"))
    ]


def paired_between_points(
    rows: Sequence[Mapping[str, Any]], points: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Paired differences of each sweep point against the first one (point B − point 0).

    Run ``i`` has the same seed at every point, so runs pair by index; a pair needs
    both runs to have succeeded and to have a value.
    """
    if len(points) < 2:
        return []
    ok = {(r["point"], r["run"]): r["measures"] for r in rows if r["status"] == "ok"}
    runs = sorted({r["run"] for r in rows})
    base = points[0]["index"]
    out = []
    for name in paired_names(measure_names(rows)):
        a = [ok.get((base, i), {}).get(name) for i in runs]
        for point in points[1:]:
            b = [ok.get((point["index"], i), {}).get(name) for i in runs]
            stats = paired_difference(a, b)
            if stats["n"]:
                out.append({"measure": name, "a": base, "b": point["index"], **stats})
    return out


def write_outputs(
    out_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    points: Sequence[Mapping[str, Any]],
    sweep_paths: Sequence[str],
    header: Mapping[str, Any],
) -> None:
    """Write ``runs.parquet``, ``per_threat.parquet`` and ``batch_summary.json`` (each
    replaced atomically)."""
    for name, table in (
        (RUNS_NAME, runs_table(rows, sweep_paths)),
        (THREATS_NAME, threats_table(threat_rows(rows))),
    ):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        # Written beside and renamed over: a link at either name is replaced, not followed.
        safe_files.write_bytes(out_dir / name, sink.getvalue().to_pybytes())
    summary = {
        **batch_summary(rows, points, header),
        "paired_differences": paired_between_points(rows, points),
    }
    text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
    safe_files.write_text(out_dir / SUMMARY_NAME, text)
