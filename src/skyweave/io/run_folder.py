"""The run folder contract: Parquet tables and ``summary.json``, written atomically.

A run is written to a hidden temporary sibling folder and swapped into place at
the end, so an interrupted or failed run never leaves a half-written folder
behind, and an existing folder is removed only once the new one is complete.

Every folder Skyweave writes carries a marker file, ``.skyweave-run`` (a small
JSON object: what kind of folder, and for a run the files it wrote). ``--overwrite``
replaces only an empty folder or a run folder whose marker lists everything in
it; it never replaces ``/``, the home folder, or the current folder or one of its
parents. :func:`check_out_dir` applies these rules before any computation.

A temporary folder left by a run that was killed while writing carries a marker
with the writer's process id; the next run that writes beside it removes it once
that process is gone or the folder is older than :data:`STALE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import math
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skyweave.errors import InputError, Problem
from skyweave.io import safe_files
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


# ---------------------------------------------------------------- the marker

MARKER_NAME = ".skyweave-run"
"""Marker file of every run and batch folder Skyweave writes (a small JSON object)."""
MARKER_FORMAT = 1
STALE_AFTER_S = 600.0
"""A temporary folder older than this is stale even if its writer's process id is alive."""
RECORDED_INPUTS = ("scenario.json", "commands.jsonl")
"""Files a replay reads: their SHA-256 goes into ``summary.json``'s ``hashes`` block."""
_TMP_TAG = ".skyweave-tmp-"
_OLD_TAG = ".skyweave-old-"
_WORK_PREFIX = "skyweave-batch-"
_MARKER_MAX_BYTES = 1 << 20


def _writer_marker(kind: str) -> dict[str, Any]:
    """Marker of a folder being written: who writes it, so a stale one can be told apart."""
    return {
        "format": MARKER_FORMAT,
        "kind": kind,
        "state": "writing",
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_unix": round(time.time(), 3),
    }


def write_marker(folder: Path, marker: Mapping[str, Any]) -> None:
    """Write ``folder/.skyweave-run`` (replacing any link there, never writing through it)."""
    text = json.dumps(dict(marker), indent=2, sort_keys=True) + "\n"
    safe_files.write_text(folder / MARKER_NAME, text)


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of ``folder``, or ``None`` when it has none Skyweave could have written."""
    path = Path(folder) / MARKER_NAME
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MARKER_MAX_BYTES:
            return None
        marker = json.loads(safe_files.read_bytes(path))
    except (OSError, ValueError, InputError):
        return None
    if not isinstance(marker, dict) or marker.get("format") != MARKER_FORMAT:
        return None
    return marker


# ---------------------------------------------------------------- checking --out


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _protected(real: Path) -> str | None:
    """Why Skyweave must never replace or fill ``real`` (a resolved path), or ``None``."""
    if real == Path(real.anchor):
        return "is the root folder"
    for system in ("/proc", "/sys", "/dev"):
        if real == Path(system) or Path(system) in real.parents:
            return f"is inside {system}, a system folder; choose a folder on disk"
    cwd = _real(Path.cwd())
    if real == cwd:
        return "is the current folder"
    if real in cwd.parents:
        return "is a parent of the current folder"
    home = os.path.expanduser("~")
    if home != "~" and real == _real(Path(home)):
        return "is the home folder"
    return None


def _existing_ancestor(path: Path) -> Path:
    ancestor = path.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    return ancestor


def _check_parent(path: Path, name: str) -> None:
    """The folder that will hold ``path`` exists or can be made, and is writable."""
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        where = "is" if ancestor == path.parent else "would be under"
        raise InputError(
            [
                Problem(
                    name, f"cannot be created: its parent {where} {ancestor}, a file, not a folder"
                )
            ]
        )
    reason = _protected(_real(ancestor))
    if reason is not None and reason.startswith("is inside"):
        raise InputError([Problem(name, f"cannot be written: {ancestor} {reason}")])
    read_only = False
    with contextlib.suppress(OSError, AttributeError):
        read_only = bool(os.statvfs(ancestor).f_flag & os.ST_RDONLY)
    if read_only or not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError([Problem(name, f"cannot be written: {ancestor} is not writable")])


def _foreign_entries(folder: Path, marker: Mapping[str, Any] | None) -> list[str]:
    """Entries of ``folder`` its run marker does not vouch for (all of them without one)."""
    entries = sorted(os.listdir(folder))
    files = None if marker is None else marker.get("files")
    if (
        marker is None
        or marker.get("kind") != "run"
        or not isinstance(files, list)
        or not all(isinstance(f, str) for f in files)
    ):
        return [e for e in entries if e != MARKER_NAME] or entries
    allowed = {*files, MARKER_NAME}
    return [
        e for e in entries if e not in allowed or not stat.S_ISREG(os.lstat(folder / e).st_mode)
    ]


def _check_replaceable(folder: Path, name: str) -> None:
    """``folder`` is a run folder Skyweave wrote and holds nothing else."""
    marker = read_marker(folder)
    foreign = _foreign_entries(folder, marker)
    if not foreign:
        return
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    if marker is None or marker.get("kind") != "run":
        why = f"is not a run folder Skyweave wrote (no {MARKER_NAME} marker); it holds {shown}"
    else:
        why = f"holds files the run did not write: {shown}"
    raise InputError(
        [
            Problem(
                name,
                f"{why}; --overwrite only replaces an empty folder or a Skyweave run folder, "
                "so choose another --out (or move those files away yourself)",
            )
        ]
    )


def check_out_dir(path: str | Path, overwrite: bool, *, kind: str = "run") -> None:
    """Check an output folder before any computation; raise a located user error.

    Parameters
    ----------
    path
        The ``--out`` folder.
    overwrite
        For a run: ``--overwrite`` (an existing run folder may be replaced). For a
        batch: ``--resume`` (the folder must be a batch folder Skyweave wrote).
    kind
        ``"run"`` or ``"batch"``.

    Raises
    ------
    InputError
        The folder is ``/``, the home folder, the current folder or one of its
        parents, a link, a file, under a file, in ``/proc``, ``/sys`` or ``/dev``,
        not writable, or not empty and not replaceable (see the module docstring).
    """
    out = Path(os.path.abspath(path))
    name = str(path)
    if os.path.lexists(out) and out.is_symlink():
        raise InputError([Problem(name, "is a symbolic link; give the folder itself as --out")])
    reason = _protected(_real(out))
    if reason is not None:
        if not reason.startswith("is inside"):
            reason += "; Skyweave writes into (and may replace) a folder of its own"
        raise InputError([Problem(name, reason)])
    if os.path.lexists(out) and not out.is_dir():
        raise InputError([Problem(name, "exists and is not a folder")])
    _check_parent(out, name)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if kind == "batch":
        if not overwrite:
            raise InputError(
                [
                    Problem(
                        name,
                        "batch folder exists and is not empty; use --resume to continue "
                        "that batch or choose another --out",
                    )
                ]
            )
        marker = read_marker(out)
        if marker is None or marker.get("kind") != "batch":
            raise InputError(
                [Problem(name, f"--resume: not a batch folder Skyweave wrote (no {MARKER_NAME})")]
            )
        return
    if not overwrite:
        raise InputError([Problem(name, "output folder exists and is not empty; use --overwrite")])
    _check_replaceable(out, name)


def prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuse an output folder that may not be written or replaced (see :func:`check_out_dir`)."""
    check_out_dir(out_dir, overwrite)


def check_out_file(path: str | Path) -> None:
    """Check an output file path (``compare --out``) before any computation.

    Raises
    ------
    InputError
        The path is a folder, under a file, in a system folder or not writable.
    """
    out = Path(os.path.abspath(path))
    name = str(path)
    if out.is_dir():
        raise InputError([Problem(name, "is a folder; expected a file name")])
    _check_parent(out, name)


# ---------------------------------------------------------------- stale temporaries


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def is_stale(folder: Path, now_s: float | None = None) -> bool:
    """``folder`` is a temporary folder of ours whose writer is gone.

    It must carry our marker; it is stale when the marker's process (on this host)
    is no longer alive, or when it is older than :data:`STALE_AFTER_S`.
    """
    marker = read_marker(folder)
    if marker is None:
        return False
    now_s = time.time() if now_s is None else now_s
    pid, host, started = marker.get("pid"), marker.get("host"), marker.get("started_unix")
    if isinstance(pid, int) and host == socket.gethostname() and not _pid_alive(pid):
        return True
    if not isinstance(started, int | float) or isinstance(started, bool):
        started = os.lstat(folder).st_ctime  # a folder moved aside: its rename time
    return now_s - float(started) > STALE_AFTER_S


def remove_marked(folder: Path) -> None:
    """Remove a folder of ours, its marker last (a kill midway leaves it still marked)."""
    for entry in os.scandir(folder):
        if entry.name == MARKER_NAME:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / MARKER_NAME)
    os.rmdir(folder)


def _is_run_temporary(entry: str) -> bool:
    return entry.startswith(".") and (_TMP_TAG in entry or _OLD_TAG in entry)


def clean_stale(parent: Path, match: Callable[[str], bool] | None = None) -> list[Path]:
    """Remove stale temporary folders of ours in ``parent``; return those removed.

    By default the hidden ``.<name>.skyweave-tmp-*`` and ``.<name>.skyweave-old-*``
    siblings a run leaves when killed while writing. Never raises: cleaning up is
    a courtesy, not part of the run.
    """
    match = match or _is_run_temporary
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    now_s = time.time()
    for entry in entries:
        if not match(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        try:
            if is_stale(path, now_s):
                remove_marked(path)
                removed.append(path)
        except OSError:
            continue
    return removed


def make_work_dir() -> Path:
    """A marked private folder in the system temp folder, for a run that is not kept.

    Stale ones (their batch worker was killed) are removed first.
    """
    base = Path(tempfile.gettempdir())
    clean_stale(base, lambda entry: entry.startswith(_WORK_PREFIX))
    folder = Path(tempfile.mkdtemp(prefix=_WORK_PREFIX, dir=base))
    write_marker(folder, _writer_marker("work"))
    return folder


# ---------------------------------------------------------------- hashes


def file_hashes(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 (hex) of each named file of ``folder`` that exists, by name."""
    out = {}
    for name in names:
        path = safe_files.safe_path(folder, name)
        if path.is_file():
            out[name] = hashlib.sha256(safe_files.read_bytes(path)).hexdigest()
    return out


# ---------------------------------------------------------------- writing


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Put the finished ``staging`` folder at ``out_dir``; remove the old folder last."""
    if out_dir.is_symlink():
        raise InputError([Problem(str(out_dir), "is a symbolic link; give the folder itself")])
    if out_dir.is_dir() and any(out_dir.iterdir()):
        _check_replaceable(out_dir, str(out_dir))  # again: it may have changed during the run
        if _exchange(staging, out_dir):
            old = staging
        else:
            old = staging.with_name(staging.name.replace(_TMP_TAG, _OLD_TAG))
            os.rename(out_dir, old)
            try:
                os.rename(staging, out_dir)
            except BaseException:
                os.rename(old, out_dir)  # put the old run back: nothing lost
                raise
        remove_marked(old)
        return
    try:
        os.rename(staging, out_dir)  # replaces an empty folder atomically
    except OSError as exc:
        raise InputError(
            [Problem(str(out_dir), f"cannot be written: {exc.strerror or exc}")]
        ) from None


def _write_parquet(path: Path, table: pa.Table) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o666), "wb") as handle:
        pq.write_table(table, handle, compression="zstd")


def write_run_folder(
    out_dir: Path,
    tables: Mapping[str, pa.Table],
    summary: Mapping[str, Any],
    finish: Callable[[Path], Mapping[str, Any]] | None = None,
    hashed: Sequence[str] = RECORDED_INPUTS,
) -> Path:
    """Write ``<name>.parquet`` for each table and ``summary.json``, atomically.

    ``finish`` is given the folder once the tables are written; it may write more
    files there (exports, a report) and returns more summary fields (measures
    computed from the files themselves, so they equal what ``skyweave metrics``
    recomputes later). ``summary.json`` then gets a ``hashes`` block: the SHA-256
    of each file of ``hashed`` the folder holds (the inputs a replay reads), and
    the folder its ``.skyweave-run`` marker listing the files written.

    The folder is written to a hidden sibling and swapped into place only when
    complete; an existing ``out_dir`` must be empty or a run folder Skyweave wrote
    (it is removed after the swap). Files are bit-identical for identical inputs:
    Parquet is written without timestamps and JSON with a fixed layout.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out_dir.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{_TMP_TAG}", dir=out_dir.parent))
    try:
        write_marker(staging, _writer_marker("run"))
        staging.chmod(0o777 & ~_current_umask())  # mkdtemp makes it private; a run folder is not
        for name, table in tables.items():
            _write_parquet(safe_files.safe_path(staging, f"{name}.parquet"), table)
        if finish is not None:
            summary = {**summary, **finish(staging)}
        summary = {**summary, "hashes": file_hashes(staging, hashed)}
        text = json.dumps(_json_ready(summary), indent=2, allow_nan=False) + "\n"
        safe_files.write_text(staging / "summary.json", text)
        files = sorted(e for e in os.listdir(staging) if e != MARKER_NAME)
        write_marker(staging, {"format": MARKER_FORMAT, "kind": "run", "files": files})
        _swap_into_place(staging, out_dir)
    except BaseException:
        if staging.exists():
            remove_marked(staging)
        raise
    return out_dir
