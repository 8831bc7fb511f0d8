"""The run folder contract: Parquet tables and ``summary.json``, written atomically.

A run is written to a temporary sibling folder and renamed into place at the end,
so an interrupted or failed run never leaves a half-written folder behind and an
existing folder is replaced only when the caller asks for it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skyweave.errors import InputError, Problem
from skyweave.kinematics.truth import Truth

TRUTH_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("object_id", pa.string()),
        ("kind", pa.string()),
        ("x_m", pa.float64()),
        ("y_m", pa.float64()),
        ("z_m", pa.float64()),
        ("vx_mps", pa.float64()),
        ("vy_mps", pa.float64()),
        ("vz_mps", pa.float64()),
    ]
)


def output_indices(times_s: np.ndarray, output_interval_s: float) -> np.ndarray:
    """Indices of the simulation grid that fall on the output interval (start included)."""
    k = np.round(times_s / output_interval_s)
    on_grid = np.abs(times_s - k * output_interval_s) < 1e-6 * max(output_interval_s, 1.0)
    return np.flatnonzero(on_grid)


def truth_table(truth: Truth, output_interval_s: float) -> pa.Table:
    """``truth.parquet`` rows: one per object in flight per output time, time-major."""
    idx = output_indices(truth.times_s, output_interval_s)
    states = truth.states[idx]  # (T_out, N, 6)
    alive = ~np.isnan(states[:, :, 0])
    t_idx, n_idx = np.nonzero(alive)
    rows = states[t_idx, n_idx]
    ids = np.asarray(truth.object_ids, dtype=object)
    kinds = np.asarray(truth.kinds, dtype=object)
    columns = [
        pa.array(truth.times_s[idx][t_idx], pa.float64()),
        pa.array(ids[n_idx] if len(ids) else [], pa.string()),
        pa.array(kinds[n_idx] if len(kinds) else [], pa.string()),
        *(pa.array(rows[:, k], pa.float64()) for k in range(6)),
    ]
    return pa.Table.from_arrays(columns, schema=TRUTH_SCHEMA)


def _json_ready(value: Any) -> Any:
    """NaN and infinities become null; NumPy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json_ready(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuse to clobber an existing run unless asked; the check runs before any work."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError([Problem(str(out_dir), "exists and is not a folder")])
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise InputError(
            [Problem(str(out_dir), "output folder exists and is not empty; use --overwrite")]
        )


def write_run_folder(
    out_dir: Path,
    tables: Mapping[str, pa.Table],
    summary: Mapping[str, Any],
    finish: Callable[[Path], Mapping[str, Any]] | None = None,
) -> Path:
    """Write ``<name>.parquet`` for each table and ``summary.json``, atomically.

    ``finish`` is given the folder once the tables are written; it may write more
    files there (exports, a report) and returns more summary fields (measures
    computed from the files themselves, so they equal what ``skyweave metrics``
    recomputes later). Files are
    bit-identical for identical inputs: Parquet is written without timestamps and
    JSON with a fixed layout.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o777 & ~_current_umask())  # mkdtemp makes it private; a run folder is not
    try:
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet", compression="zstd")
        if finish is not None:
            summary = {**summary, **finish(staging)}
        text = json.dumps(_json_ready(summary), indent=2, allow_nan=False) + "\n"
        (staging / "summary.json").write_text(text, encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
