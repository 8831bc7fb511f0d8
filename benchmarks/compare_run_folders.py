"""Compare two run folders: every Parquet table, summary.json and the other files.

Run by hand after an optimisation, against a baseline folder written before it::

    .venv/bin/python benchmarks/compare_run_folders.py /tmp/base_run /tmp/new_run

A table is ``identical`` when its columns are equal value for value (NaN equal to
NaN, nulls equal); otherwise the first differing columns are listed with the
largest absolute difference of a numeric column. ``summary.json`` is compared
key by key (its ``hashes`` block too: a table's hash differs when the table
does); other files (report.html, the globe files) are compared byte for byte.
Exit code 0 when everything is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def _column_diff(a: pa.ChunkedArray, b: pa.ChunkedArray) -> str | None:
    """None when equal (NaN == NaN), else a short description of the difference."""
    if a.type != b.type:
        return f"type {a.type} vs {b.type}"
    if pa.types.is_floating(a.type):
        x = a.to_numpy(zero_copy_only=False).astype(np.float64)
        y = b.to_numpy(zero_copy_only=False).astype(np.float64)
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        if same.all():
            return None
        bad = ~same
        with np.errstate(invalid="ignore"):
            worst = float(np.nanmax(np.abs(x[bad] - y[bad]))) if bad.any() else 0.0
            rel = float(np.nanmax(np.abs(x[bad] - y[bad]) / np.maximum(np.abs(x[bad]), 1e-300)))
        return f"{int(bad.sum())} values differ, max abs {worst:.3g}, max rel {rel:.3g}"
    if a.equals(b):
        return None
    la, lb = a.to_pylist(), b.to_pylist()
    n = sum(1 for p, q in zip(la, lb, strict=True) if p != q and not (p != p and q != q))
    return f"{n} values differ" if n else None


def compare_tables(path_a: Path, path_b: Path) -> list[str]:
    """Differences between two Parquet files (empty: identical)."""
    ta, tb = pq.read_table(path_a), pq.read_table(path_b)
    if ta.schema != tb.schema:
        return [f"schema differs: {ta.schema} vs {tb.schema}"]
    if ta.num_rows != tb.num_rows:
        return [f"rows {ta.num_rows} vs {tb.num_rows}"]
    out = []
    for name in ta.column_names:
        diff = _column_diff(ta.column(name), tb.column(name))
        if diff is not None:
            out.append(f"{name}: {diff}")
    return out


def _walk(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'second' if key in b else 'first'}")
            else:
                _walk(a[key], b[key], f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            _walk(p, q, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} vs {b!r}")


def compare_folders(a: Path, b: Path) -> dict[str, list[str]]:
    """Per file name: its differences (an empty list: identical)."""
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    result: dict[str, list[str]] = {}
    for name in names:
        pa_, pb_ = a / name, b / name
        if not pa_.exists() or not pb_.exists():
            result[name] = [f"only in {'second' if pb_.exists() else 'first'}"]
        elif name.endswith(".parquet"):
            result[name] = compare_tables(pa_, pb_)
        elif name == "summary.json":
            sa, sb = json.loads(pa_.read_text()), json.loads(pb_.read_text())
            diffs: list[str] = []
            _walk(sa, sb, "summary", diffs)
            result[name] = diffs
        else:
            same = pa_.read_bytes() == pb_.read_bytes()
            result[name] = [] if same else ["bytes differ"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args()
    result = compare_folders(args.first, args.second)
    ok = True
    for name, diffs in result.items():
        if diffs:
            ok = False
            print(f"{name}: DIFFERS")
            for line in diffs[:12]:
                print(f"    {line}")
        else:
            print(f"{name}: identical")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
