"""Batch runs: many seeded runs of one scenario, in a process pool or on Dask.

A batch is ``runs`` seeded runs at each sweep point (see :mod:`batch_sweep`).
Run ``i`` uses the seed :func:`derive_seed` ``(base_seed, i)``, the same at every
sweep point (common random numbers: points differ by their parameters, not by
their luck), and independent of how many runs the batch has, so a batch can be
extended with ``--resume --runs <more>``.

Execution is delegated: one worker runs in this process; more use a
``concurrent.futures.ProcessPoolExecutor`` (spawned processes); a scheduler
address hands every run to a Dask distributed cluster as one task. Every
finished run goes to the journal (:mod:`batch_results`) at once, from this
process, so an interrupted batch loses no finished run.

A run that raises is recorded (``status="error"`` with its seed and the error)
and the batch goes on. A worker process that dies outright (segfault, out of
memory) breaks the pool; the runs in flight are then re-run one at a time, each
in a fresh single-worker pool, so that only the run that kills its process is
recorded as failed.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from skyweave import __version__
from skyweave.analysis.batch_results import (
    JOURNAL_NAME,
    append_journal,
    flatten_measures,
    read_journal_lines,
    repair_journal,
    sorted_rows,
    write_outputs,
)
from skyweave.analysis.batch_sweep import Sweep, SweepPoint, sweep_points
from skyweave.errors import InputError, Problem
from skyweave.io import safe_files
from skyweave.io.run_folder import MARKER_FORMAT, check_out_dir, write_marker
from skyweave.scenario.schema import Scenario

if TYPE_CHECKING:  # the engine is imported by the runs, not by the CLI's checks
    from skyweave.analysis.batch_from_run import Counterfactual
    from skyweave.engine.commands import Command
    from skyweave.engine.snapshots import Snapshot

CONFIG_NAME = "batch.json"
SEED_DERIVATION = (
    "seed of run i = SeedSequence(base_seed, spawn_key=(i,)).generate_state(1, uint64)[0] >> 1"
)
RowCallback = Callable[[dict[str, Any]], None]


def derive_seed(base_seed: int, run: int) -> int:
    """Seed of run ``run`` of a batch seeded with ``base_seed``.

    The first 64-bit word of ``numpy.random.SeedSequence(base_seed, spawn_key=(run,))``,
    which is child ``run`` of ``SeedSequence(base_seed).spawn(n)`` for any ``n > run``,
    shifted right by one bit so it fits a signed 64-bit integer (and a scenario's
    ``seed`` field). Stable across NumPy versions and platforms (NEP 19); reproduce
    one run with ``skyweave run SCENARIO --seed <seed>``.
    """
    child = np.random.SeedSequence(int(base_seed), spawn_key=(int(run),))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class RunTask:
    """One run of a batch, as sent to a worker (picklable)."""

    point: int
    run: int
    seed: int
    params: dict[str, Any]
    scenario: Scenario
    until_s: float | None = None
    keep_dir: str | None = None
    #: a counterfactual run: the played engine frozen at the branch time, and the
    #: commands after it (the seed switches to ``seed`` there)
    start: Snapshot | None = None
    after: tuple[Command, ...] = ()


def _simulate(task: RunTask) -> Any:
    """The run's result: from the scenario's start, or on from a frozen branch time."""
    from skyweave.simulation import rare_full_collections, run_result, run_scenario

    if task.start is None:
        return run_scenario(task.scenario, task.seed, until_s=task.until_s, progress=False)
    from skyweave.engine.snapshots import reseed, restore

    started = time.perf_counter()
    with rare_full_collections():
        sim = restore(task.scenario, task.seed, task.after, task.start.time_s, task.start)
        reseed(sim, task.seed)
        sim.run_until(task.until_s)
        return run_result(sim, time.perf_counter() - started)


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one task and return its journal row; an exception becomes an error row.

    The measures are the run's ``summary.json`` numbers, track quality included
    (computed from the run's own tables, as ``skyweave run`` does), flattened by
    :func:`~skyweave.analysis.batch_results.flatten_measures`; ``threats`` holds its
    per-threat rows (:func:`~skyweave.analysis.threat_table.threat_table_rows`). With
    ``keep_dir`` the complete run folder is written there, as ``skyweave run``
    writes it (``scenario.json``, ``commands.jsonl``, report and globe files), so
    ``skyweave run --replay`` and ``skyweave report`` accept it; otherwise the
    tables go to a temporary folder that is deleted.
    """
    # Imported here so that the pool's workers pay for the simulation imports
    # once, and the CLI's argument checks do not pay for them at all.
    from skyweave.analysis.metrics_run import track_quality
    from skyweave.analysis.threat_table import threat_table_rows
    from skyweave.io.run_folder import make_work_dir, remove_marked, write_run_folder
    from skyweave.io.run_output import write_run_output

    start = time.perf_counter()
    try:
        result = _simulate(task)
        summary: dict[str, Any] = {}
        threats: list[dict[str, Any]] = []

        def finish(folder: Path) -> dict[str, Any]:
            end_s = float(result.summary["simulated_s"])
            extra = track_quality(folder, task.scenario, end_s=end_s)
            summary.update({**result.summary, **extra})
            threats.extend(threat_table_rows(folder, task.scenario, summary))
            return extra

        if task.keep_dir is not None:
            folder = write_run_output(Path(task.keep_dir), task.scenario, result)
            summary.update(json.loads((folder / "summary.json").read_text(encoding="utf-8")))
            threats.extend(threat_table_rows(folder, task.scenario, summary))
        else:
            # A marked folder (this process's id inside), so that one left behind by
            # a killed worker is removed by a later run instead of piling up.
            work = make_work_dir()
            try:
                write_run_folder(work / "run", result.tables, result.summary, finish)
            finally:
                remove_marked(work)
        measures = flatten_measures({**summary, "wall_s": result.wall_s})
        return {**_row(task, "ok", None, measures), "threats": threats}
    except Exception as exc:  # a failed run is data: record it and go on
        elapsed = round(time.perf_counter() - start, 3)
        return _row(task, "error", describe_error(exc), {"wall_s": elapsed})


def describe_error(exc: BaseException) -> str:
    """``Type: message (at file.py:line in function)`` for the innermost frame."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return text


def _row(
    task: RunTask, status: str, error: str | None, measures: dict[str, float | None]
) -> dict[str, Any]:
    return {
        "point": task.point,
        "run": task.run,
        "seed": task.seed,
        "params": task.params,
        "status": status,
        "error": error,
        "measures": measures,
    }


# ---------------------------------------------------------------- executors


def run_serial(tasks: Sequence[RunTask], on_row: RowCallback) -> None:
    """Run every task in this process, in order."""
    for task in tasks:
        on_row(run_task(task))


def run_pool(tasks: Sequence[RunTask], workers: int, on_row: RowCallback) -> None:
    """Run tasks in a pool of ``workers`` spawned processes.

    At most ``workers`` runs are in flight, so when a worker dies the runs that
    may have killed it are known; they are re-run one at a time in isolation. The
    frozen engine that every run of a counterfactual batch starts from is sent to
    each worker once, not with every run.
    """
    context = multiprocessing.get_context("spawn")
    start, tasks = shared_start(tasks)
    run = run_task if start is None else run_from_worker_start
    queue = list(reversed(tasks))
    suspects: list[RunTask] = []
    while queue:
        pool = _new_pool(workers, context, start)
        in_flight: dict[Future[dict[str, Any]], RunTask] = {}
        broken = False
        try:
            while queue or in_flight:
                while queue and len(in_flight) < workers and not broken:
                    task = queue.pop()
                    in_flight[pool.submit(run, task)] = task
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    task = in_flight.pop(future)
                    exc = future.exception()
                    if exc is None:
                        on_row(future.result())
                    elif isinstance(exc, BrokenProcessPool):
                        broken = True
                        suspects.append(task)
                    elif isinstance(exc, Exception):  # e.g. a task that cannot be pickled
                        on_row(_row(task, "error", describe_error(exc), {}))
                    else:  # KeyboardInterrupt or SystemExit raised in the worker
                        raise exc
                if broken and not in_flight:
                    break
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)
    for task in suspects:
        on_row(_run_isolated(task, context, start))


def _run_isolated(task: RunTask, context: Any, start: Snapshot | None) -> dict[str, Any]:
    with _new_pool(1, context, start) as pool:
        try:
            run = run_task if start is None else run_from_worker_start
            return pool.submit(run, task).result()
        except BrokenProcessPool:
            message = (
                "worker process died during this run (a hard crash: segmentation fault, "
                "out of memory or killed)"
            )
            return _row(task, "error", message, {})


def _new_pool(workers: int, context: Any, start: Snapshot | None = None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_worker, initargs=(os.getpid(), start)
    )


def shared_start(tasks: Sequence[RunTask]) -> tuple[Snapshot | None, list[RunTask]]:
    """The one frozen engine all ``tasks`` start from, and the tasks without it (to be
    sent once per worker: it is large, some 150 MB for the large raid at 300 s); or
    None and the tasks as they are when they do not all share one."""
    starts = {id(t.start): t.start for t in tasks}
    start = next(iter(starts.values())) if len(starts) == 1 else None
    if start is None:
        return None, list(tasks)
    return start, [replace(t, start=None) for t in tasks]


#: the frozen engine this pool worker's runs start from (set once by init_worker)
_worker_start: Snapshot | None = None


def run_from_worker_start(task: RunTask) -> dict[str, Any]:
    """:func:`run_task` of ``task`` starting from the worker's frozen engine."""
    return run_task(replace(task, start=_worker_start))


def run_from(task: RunTask, start: Snapshot) -> dict[str, Any]:
    """:func:`run_task` of ``task`` starting from ``start`` (a Dask worker's copy)."""
    return run_task(replace(task, start=start))


def init_worker(parent_pid: int, start: Snapshot | None = None) -> None:
    """Set up a pool worker: keep the runs' frozen start, ignore Ctrl-C, and end when
    the batch process dies.

    Ctrl-C on a terminal reaches the whole process group; only the parent acts on
    it (it owns the journal) and then terminates the workers, which would
    otherwise each print a KeyboardInterrupt traceback. A parent killed outright
    (SIGKILL, out of memory) cannot terminate them: on Linux the kernel sends
    each worker SIGKILL when its parent dies (``PR_SET_PDEATHSIG``); elsewhere,
    and as a fallback, a watchdog thread ends the worker once its parent process
    id changes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="skyweave-parent-watchdog", daemon=True
    ).start()
    global _worker_start
    _worker_start = start


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return int(libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    while True:
        time.sleep(interval_s)
        if os.getppid() != parent_pid:
            os._exit(1)  # orphaned: nobody will read this worker's result


def _stop(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Cancel the pending runs and end the workers now (Ctrl-C, SIGTERM, an error).

    Busy workers are terminated so that an interrupted batch returns at once
    instead of after the runs in progress (their results would be lost anyway);
    one that does not end within ``grace_s`` is killed. The processes are taken
    before ``shutdown``, which forgets them.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


def connect_dask(scheduler: str) -> Any:
    """A ``dask.distributed.Client`` for ``scheduler``; an unreachable one is an input error."""
    from dask.distributed import Client

    try:
        return Client(scheduler, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            [Problem("--scheduler", f"cannot connect to the Dask scheduler at {scheduler}: {exc}")]
        ) from None


def run_dask(tasks: Sequence[RunTask], client: Any, on_row: RowCallback) -> None:
    """Submit every task to the Dask cluster of ``client``; record results as they come.

    The cluster's workers need the same Skyweave installed; with ``keep_dir`` the
    run folders are written by the workers, so they need a shared file system. The
    frozen engine that every run of a counterfactual batch starts from is scattered to
    the cluster once, not sent with every run.
    """
    from dask.distributed import as_completed

    token = uuid.uuid4().hex[:12]
    start, sent = shared_start(tasks)
    on_cluster = None if start is None else client.scatter(start, hash=False)

    def submit(task: RunTask) -> Any:
        key = f"skyweave-run-{token}-{task.point}-{task.run}"
        if on_cluster is None:
            return client.submit(run_task, task, key=key)
        return client.submit(run_from, task, on_cluster, key=key)

    futures = {submit(task): task for task in sent}
    try:
        for future in as_completed(list(futures), loop=client.loop):
            task = futures[future]
            if future.status == "finished":
                on_row(future.result())
            elif future.status == "error":  # the cluster gave up on it (KilledWorker...)
                on_row(_row(task, "error", describe_error(future.exception()), {}))
            else:
                on_row(_row(task, "error", f"Dask task {future.status}", {}))
            future.release()
    except BaseException:
        client.cancel(list(futures))
        raise


# ---------------------------------------------------------------- the batch


@dataclass(frozen=True)
class BatchSpec:
    """What to run: the scenario, the runs per point, the seed and the sweeps."""

    scenario: Scenario
    runs: int
    base_seed: int
    sweeps: tuple[Sweep, ...] = ()
    until_s: float | None = None
    scenario_file: str = "scenario"
    #: a counterfactual batch of a played exercise (its arms are the points)
    counterfactual: Counterfactual | None = None

    def identity(self) -> dict[str, Any]:
        """Fields that must match for ``--resume`` to continue a batch (not ``runs``)."""
        dump = self.scenario.model_dump(mode="json", by_alias=True)
        digest = hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()
        out = {
            "scenario_sha256": digest,
            "base_seed": self.base_seed,
            "sweeps": [{"path": s.path, "values": list(s.values)} for s in self.sweeps],
            "until_s": self.until_s,
        }
        if self.counterfactual is not None:
            out["from_run"] = self.counterfactual.identity()
        return out

    def points(self) -> list[SweepPoint]:
        """The batch's points: its sweep's, or a counterfactual's arms."""
        if self.counterfactual is not None:
            return self.counterfactual.points(self.scenario)
        return sweep_points(self.scenario, self.sweeps, self.scenario_file)

    def param_names(self) -> list[str]:
        """The runs table's parameter columns."""
        if self.counterfactual is not None:
            from skyweave.analysis.batch_from_run import ARM_PARAM

            return [ARM_PARAM]
        return [s.path for s in self.sweeps]


@dataclass
class BatchOutcome:
    """How a batch went: counts and where its files are."""

    out_dir: Path
    total: int
    ok: int
    failed: int
    skipped: int
    wall_s: float
    failures: list[dict[str, Any]] = field(default_factory=list)


class ProgressReporter(Protocol):
    """Receives the batch's progress (the CLI's is a rich progress bar)."""

    def start(self, total: int, done: int) -> None:
        """Called once before any run, with the runs already in the journal."""

    def advance(self, row: dict[str, Any]) -> None:
        """Called once per finished run, with its journal row."""


class _Silent:
    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, row: dict[str, Any]) -> None:
        pass


def plan_tasks(
    spec: BatchSpec, points: Sequence[SweepPoint], out_dir: Path, keep_runs: bool
) -> list[RunTask]:
    """Every (point, run) task of the batch, in batch order."""
    tasks = []
    cf = spec.counterfactual
    for point in points:
        start, after = (None, ()) if cf is None else (cf.start, cf.arms[point.index].after)
        for run in range(spec.runs):
            seed = derive_seed(spec.base_seed, run)
            keep = None
            if keep_runs:
                folder = out_dir / "runs"
                if len(points) > 1:
                    folder = folder / f"point-{point.index}"
                keep = str(folder / f"seed-{seed}")
            tasks.append(
                RunTask(
                    point.index,
                    run,
                    seed,
                    point.params,
                    point.scenario,
                    spec.until_s,
                    keep,
                    start,
                    after,
                )
            )
    return tasks


def _read_config(path: Path) -> dict[str, Any]:
    """``batch.json``, read without following a link; malformed is an input error."""
    text = safe_files.read_text(safe_files.safe_path(path.parent, path.name))
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError([Problem(str(path), f"not valid JSON ({exc})")]) from None
    if not isinstance(config, dict):
        raise InputError([Problem(str(path), "expected a JSON object")])
    return config


def checked_journal(
    path: Path, spec: BatchSpec, points: Sequence[SweepPoint]
) -> list[dict[str, Any]]:
    """The journal's rows, each checked against the batch it claims to belong to.

    Every line must parse and have the journal's fields; its run's seed must be
    :func:`derive_seed` ``(base_seed, run)``, its point one of the batch's sweep
    points with that point's parameters, and no run may be recorded twice (a
    forged line cannot replace a finished run).

    Raises
    ------
    InputError
        Naming the file and line of each offending line.
    """
    problems: list[Problem] = []
    seen: dict[tuple[int, int], int] = {}
    rows = []
    for number, row in read_journal_lines(path):
        point, run, seed = row["point"], row["run"], row["seed"]
        expected = derive_seed(spec.base_seed, run)
        if point >= len(points):
            message = f"point {point}: this batch has {len(points)} sweep point(s)"
        elif seed != expected:
            message = (
                f"seed {seed} is not run {run}'s seed in this batch (expected {expected}, "
                f"derived from base seed {spec.base_seed})"
            )
        elif row["params"] != json.loads(json.dumps(points[point].params)):
            message = f"params {row['params']} are not sweep point {point}'s {points[point].params}"
        elif (point, run) in seen:
            message = f"point {point} run {run} is already recorded on line {seen[(point, run)]}"
        else:
            seen[(point, run)] = number
            rows.append(row)
            continue
        problems.append(
            Problem(str(path), message + "; remove the line or start a new batch", line=number)
        )
    if problems:
        raise InputError(problems[:10])
    return rows


def prepare_batch_dir(
    out_dir: Path, spec: BatchSpec, resume: bool, points: Sequence[SweepPoint] | None = None
) -> list[dict[str, Any]]:
    """Create or reopen the batch folder; return the journal rows already there.

    Without ``resume`` a non-empty folder is refused; with it, the folder must be a
    batch folder Skyweave wrote (its marker) holding a batch of the same scenario,
    seed, sweeps and duration, and every journal line must belong to it (see
    :func:`checked_journal`).
    """
    check_out_dir(out_dir, resume, kind="batch")
    config_path = out_dir / CONFIG_NAME
    identity = spec.identity()
    if out_dir.is_dir() and any(out_dir.iterdir()):
        safe_files.refuse_links(out_dir)
        if not config_path.exists():
            raise InputError([Problem(str(out_dir), f"not a batch folder (no {CONFIG_NAME})")])
        recorded = _read_config(config_path)
        differing = [k for k, v in identity.items() if recorded.get(k) != v]
        if differing:
            raise InputError(
                [
                    Problem(
                        str(out_dir),
                        "--resume: this folder holds a different batch (differs in "
                        f"{', '.join(differing)}); use the same scenario, --seed, --sweep "
                        "and --until, or another --out",
                    )
                ]
            )
        journal = out_dir / JOURNAL_NAME
        if points is None:
            points = spec.points()
        rows = checked_journal(journal, spec, points)
        repair_journal(journal)
        return rows
    out_dir.mkdir(parents=True, exist_ok=True)
    write_marker(out_dir, {"format": MARKER_FORMAT, "kind": "batch"})
    config = {"skyweave_version": __version__, "scenario_file": spec.scenario_file, **identity}
    safe_files.write_text(config_path, json.dumps(config, indent=2) + "\n")
    return []


def run_batch(
    spec: BatchSpec,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    keep_runs: bool = False,
    reporter: ProgressReporter | None = None,
) -> BatchOutcome:
    """Run a batch into ``out_dir`` and write ``runs.parquet`` and ``batch_summary.json``.

    Parameters
    ----------
    spec
        Scenario, runs per sweep point, base seed, sweeps and duration cap.
    out_dir
        Batch folder: ``batch.json`` (what the batch is), ``journal.jsonl`` (one
        line per finished run), then the outputs; ``runs/`` with ``keep_runs``.
    workers
        Local worker processes (default ``os.cpu_count()``); 1 runs in this process.
        Ignored when ``scheduler`` is given.
    scheduler
        Dask scheduler address (``tcp://host:8786``); every run becomes one task.
    resume
        Continue the batch already in ``out_dir``, skipping runs in its journal.

    Returns
    -------
    BatchOutcome
        Counts of runs (ok, failed, skipped because already done) and wall time.

    Raises
    ------
    InputError
        A bad sweep, a folder that is not empty (without ``resume``) or holds
        another batch, or an unreachable scheduler; raised before any run.
    KeyboardInterrupt
        Passed on after the journal holds every run finished so far.
    """
    if spec.runs < 1:
        raise InputError([Problem("--runs", f"must be at least 1 (got {spec.runs})")])
    if spec.base_seed < 0:
        raise InputError([Problem("--seed", f"must be non-negative (got {spec.base_seed})")])
    if spec.until_s is not None and not spec.until_s > 0:
        raise InputError([Problem("--until", f"must be positive seconds (got {spec.until_s:g})")])
    points = spec.points()
    reporter = reporter or _Silent()
    out_dir = Path(out_dir)
    client = connect_dask(scheduler) if scheduler else None
    try:
        return _run_batch(spec, points, out_dir, workers, client, resume, keep_runs, reporter)
    finally:
        if client is not None:
            client.close()


def _run_batch(
    spec: BatchSpec,
    points: Sequence[SweepPoint],
    out_dir: Path,
    workers: int | None,
    client: Any,
    resume: bool,
    keep_runs: bool,
    reporter: ProgressReporter,
) -> BatchOutcome:
    done_rows = prepare_batch_dir(out_dir, spec, resume, points)
    done = {(r["point"], r["run"]) for r in done_rows}
    tasks = [
        t for t in plan_tasks(spec, points, out_dir, keep_runs) if (t.point, t.run) not in done
    ]
    total = len(points) * spec.runs
    journal = out_dir / JOURNAL_NAME

    def on_row(row: dict[str, Any]) -> None:
        append_journal(journal, row)
        reporter.advance(row)

    start = time.perf_counter()
    reporter.start(total, total - len(tasks))
    if tasks:
        if client is not None:
            run_dask(tasks, client, on_row)
        else:
            n_workers = min(workers or os.cpu_count() or 1, len(tasks))
            if n_workers <= 1:
                run_serial(tasks, on_row)
            else:
                run_pool(tasks, n_workers, on_row)
    wall_s = time.perf_counter() - start

    rows = sorted_rows(checked_journal(journal, spec, points), len(points), spec.runs)
    header = {
        "scenario": spec.scenario.name,
        "scenario_file": spec.scenario_file,
        "skyweave_version": __version__,
        "base_seed": spec.base_seed,
        "seed_derivation": SEED_DERIVATION,
        "runs_per_point": spec.runs,
        "until_s": spec.until_s,
        "sweeps": [{"path": s.path, "values": list(s.values)} for s in spec.sweeps],
    }
    if spec.counterfactual is not None:
        header["from_run"] = {
            **spec.counterfactual.describe(),
            "played": played_outcome(spec),
        }
    point_info = [{"index": p.index, "params": p.params} for p in points]
    write_outputs(out_dir, rows, point_info, spec.param_names(), header)
    failures = [
        {"point": r["point"], "run": r["run"], "seed": r["seed"], "error": r["error"]}
        for r in rows
        if r["status"] != "ok"
    ]
    return BatchOutcome(
        out_dir=out_dir,
        total=len(rows),
        ok=len(rows) - len(failures),
        failed=len(failures),
        skipped=total - len(tasks),
        wall_s=wall_s,
        failures=failures,
    )


def played_outcome(spec: BatchSpec) -> dict[str, Any]:
    """The played line's own measures from the branch time on (its commands and the
    played seed after it too), run once in this process: the reference the arms'
    runs are drawn around."""
    cf = spec.counterfactual
    assert cf is not None
    task = RunTask(
        -1,
        -1,
        cf.played_seed,
        {},
        spec.scenario,
        spec.until_s,
        None,
        cf.start,
        cf.arms[0].after,
    )
    row = run_task(task)
    return {"status": row["status"], "error": row["error"], "measures": row["measures"]}
