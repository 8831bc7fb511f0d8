"""Benchmark: the engine's cost from the example to a 1000-threat raid (issue 10).

Run by hand, for example::

    .venv/bin/python benchmarks/bench_engine_scaling.py \\
        --src old=/work/baseline/src --src new=src --sizes example,100,300,1000

Each (source tree, scenario) pair runs in a fresh subprocess of one Python (the
shared venv's by default), with ``PYTHONPATH`` set to that tree, so two engines
are compared on the same interpreter, packages and scenario files. Runs are one
after another and single-threaded (BLAS/OpenMP pools pinned to one thread), so
each run uses one core. The child loads the scenario, calls
``skyweave.simulation.run_scenario(scenario, seed[, until_s])`` and writes
nothing; the parent records the child's wall time, its CPU time (user + sys from
``wait4``), its peak resident memory (``ru_maxrss``), and the time spent inside
``run_scenario`` as the child measured it. A run that exits non-zero is recorded
as failed with its last error line; one that exceeds ``--timeout`` is killed and
recorded as ``timeout``.

Scenarios: ``example`` is ``examples/joint-exercise.yaml``; a number N is the
raid ``benchmarks/make_large_raid.py --threats N`` generates with its defaults
(sensors and batteries from issue 10's table; the 1000 one is
``examples/large-raid.yaml``), written under ``benchmarks/results/``.

Prints a markdown table and writes the records as JSON to
``benchmarks/results/engine_scaling-<UTC time>.json`` (gitignored scratch);
``--show A.json B.json`` prints one table of earlier results (e.g. a baseline
measured before and the new engine measured after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
EXAMPLE = ROOT / "examples" / "joint-exercise.yaml"
DEFAULT_PYTHON = "/work/main/.venv/bin/python"

sys.path.insert(0, str(HERE))
import make_large_raid  # noqa: E402  (a sibling script, not a package)

# What runs in the child: load, run, report one JSON line on stdout (last line).
CHILD = r"""
import json, sys, time
start = time.perf_counter()
path, seed, until = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    from skyweave.scenario import load_scenario
except ImportError:
    from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario
scenario = load_scenario(path)
until_s = None if until == "none" else float(until)
simulated_s = scenario.duration_s if until_s is None else min(until_s, scenario.duration_s)
loaded = time.perf_counter()
result = (run_scenario(scenario, seed) if until_s is None
          else run_scenario(scenario, seed, until_s=until_s))
done = time.perf_counter()
summary = getattr(result, "summary", None) or {}
engagement = summary.get("engagement", {}) if isinstance(summary, dict) else {}
keys = ("feedback_passes", "decision_cycles", "leakers", "threats_killed",
        "interceptors_used_total", "engagements")
extra = {k: engagement[k] for k in keys if k in engagement}
counts = summary.get("counts", {}) if isinstance(summary, dict) else {}
extra.update({"n_" + k: counts[k] for k in ("threats", "detections") if k in counts})
print(json.dumps({"load_s": loaded - start, "run_s": done - loaded,
                  "simulated_s": simulated_s, **extra}))
"""


def scenario_path(size: str, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The scenario file for a size label, generating a raid when needed; plus its counts."""
    if size == "example":
        return EXAMPLE, {"threats": "10 (example)", "sensors": 7, "batteries": 5}
    threats = int(size)
    cruise = round(0.05 * threats)
    sensors = make_large_raid.default_size(threats)
    sections = make_large_raid.build_scenario(threats, cruise, sensors, sensors, 3, 0)
    command = make_large_raid.command_line(threats, cruise, sensors, sensors, 3, 0)
    path = out_dir / f"raid-{threats}.yaml"
    path.write_text(make_large_raid.render(sections, command, threats, cruise))
    return path, {"threats": size_label(size), "sensors": sensors, "batteries": sensors}


def size_label(size: str) -> str:
    """How a size is shown in the table: the example, or ballistic + cruise threats."""
    if size == "example":
        return "10 (example)"
    return f"{int(size)} + {round(0.05 * int(size))} cruise"


def last_error_line(stderr: str) -> str:
    """The last non-empty line of a child's stderr (the exception, usually)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def run_child(
    python: str, src: Path, scenario: Path, seed: int, until: float | None, timeout_s: float
) -> dict[str, Any]:
    """Run one scenario on one source tree in a fresh process; return its record."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    args = [python, "-c", CHILD, str(scenario), str(seed), "none" if until is None else str(until)]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    # The child's pipes go to files, so a chatty child never blocks on a full pipe.
    with (
        open(RESULTS / ".child.out", "w+") as out,
        open(RESULTS / ".child.err", "w+") as err,
    ):
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, start_new_session=True)
        status = "ok"
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout_s:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, wait_status, usage = os.wait4(proc.pid, 0)
                status = "timeout"
                break
            time.sleep(0.05)
        wall_s = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    record: dict[str, Any] = {
        "status": status,
        "returncode": proc.returncode,
        "wall_s": wall_s,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024.0,  # Linux reports kilobytes
        "load_avg_1min_before": load_before,
    }
    if status == "ok" and proc.returncode != 0:
        record["status"] = "failed"
    if record["status"] != "ok":
        record["error"] = (
            f"killed after {timeout_s:g} s"
            if status == "timeout"
            else last_error_line(stderr) or f"exit {proc.returncode}"
        )
        return record
    try:
        record.update(json.loads(stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        record["status"] = "failed"
        record["error"] = "no result line from the child"
        return record
    record["realtime_ratio"] = record["simulated_s"] / record["run_s"]
    return record


def fmt_seconds(value: Any) -> str:
    """A number of seconds as ``1800`` (or the text given, e.g. ``full``)."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def markdown(records: Sequence[dict[str, Any]]) -> str:
    """The records as a markdown table."""
    lines = [
        "| source | threats | sensors / batteries | simulated s | wall s (process) "
        "| run_scenario s | CPU s | peak MB | real-time ratio (wall / CPU) | passes | load "
        "| status |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in records:
        ok = r["status"] == "ok"
        r = {**r, "threats": size_label(r["size"])}
        status = "ok" if ok else f"{r['status']}: {r.get('error', '')}".replace("|", "\\|")
        lines.append(
            f"| {r['source']} | {r['threats']} | {r['sensors']} / {r['batteries']} "
            f"| {fmt_seconds(r.get('simulated_s', r['until_s']))} | {r['wall_s']:.1f} "
            f"| {r['run_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['realtime_ratio']:.1f}x / {r['simulated_s'] / r['cpu_s']:.1f}x "
            f"| {r.get('feedback_passes', '-')} "
            f"| {r['load_avg_1min_before']:.1f} | {status} |"
            if ok
            else f"| {r['source']} | {r['threats']} | {r['sensors']} / {r['batteries']} "
            f"| {fmt_seconds(r['until_s'])} | {r['wall_s']:.1f} | - | {r['cpu_s']:.1f} "
            f"| {r['peak_mb']:.0f} | - | - | {r['load_avg_1min_before']:.1f} | {status} |"
        )
    return "\n".join(lines)


def git_commit(src: Path) -> str:
    """The commit of the checkout holding ``src`` ('' when not a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def parse_sources(values: Sequence[str]) -> list[tuple[str, Path]]:
    """``name=path`` pairs; a bare path is named after its parent directory."""
    sources = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            path, name = value, Path(value).resolve().parent.name
        src = Path(path).resolve()
        if not (src / "skyweave").is_dir():
            raise SystemExit(f"--src {value}: {src} has no skyweave package")
        sources.append((name, src))
    return sources


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Engine scaling benchmark (issue 10).")
    parser.add_argument(
        "--src",
        action="append",
        default=[],
        help="NAME=PATH of a source tree holding the skyweave package (repeatable)",
    )
    parser.add_argument(
        "--show",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="print one table of earlier results (this script's JSON files) and exit",
    )
    parser.add_argument("--sizes", default="example,100,300,1000", help="comma-separated")
    parser.add_argument("--until", type=float, help="simulated seconds (default: whole run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    parser.add_argument("--python", default=DEFAULT_PYTHON)
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/...)")
    args = parser.parse_args(argv)
    if args.show:
        print(markdown([r for f in args.show for r in json.loads(f.read_text())["runs"]]))
        return
    if not args.src:
        parser.error("give at least one --src NAME=PATH (or --show JSON...)")
    sources = parse_sources(args.src)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "example" and not size.isdigit():
            parser.error(f"--sizes: '{size}' is neither 'example' nor a threat count")
    RESULTS.mkdir(parents=True, exist_ok=True)
    scenario_dir = RESULTS / "scenarios"
    scenario_dir.mkdir(exist_ok=True)

    records: list[dict[str, Any]] = []
    for size in sizes:
        path, counts = scenario_path(size, scenario_dir)
        for name, src in sources:
            record = {"source": name, "size": size, "scenario": str(path), **counts}
            record["until_s"] = args.until if args.until is not None else "full"
            print(f"running {name} on {size} ...", file=sys.stderr, flush=True)
            record.update(run_child(args.python, src, path, args.seed, args.until, args.timeout))
            records.append(record)
            print(markdown([record]).splitlines()[-1], file=sys.stderr, flush=True)

    table = markdown(records)
    print(table)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"engine_scaling-{stamp}.json"
    meta = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "python": args.python,
        "python_version": subprocess.run(
            [args.python, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "sources": {name: {"path": str(src), "commit": git_commit(src)} for name, src in sources},
        "seed": args.seed,
        "timeout_s": args.timeout,
        "finished_utc": stamp,
    }
    out.write_text(json.dumps({"meta": meta, "runs": records, "table": table}, indent=2))
    print(f"\nwritten {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
