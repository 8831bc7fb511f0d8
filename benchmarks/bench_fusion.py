"""Benchmark: the partners' fused pictures, picture rows and truth labels of one run,
this checkout against an older revision, on the same inputs in one process.

One run of the scenario records what every partner's fusion was given (the remote
tracks as delivered, its own confirmed tracks at each fuse, the fuse times and
which were report times); the recording is then replayed, alternately, through

- new: this checkout's ``PartnerPicture``, ``PictureRecorder`` and ``TruthLabels``
  (one truth query per partner and report time);
- old: ``tracking/fusion.py`` of ``--old-rev`` (loaded from git), one picture table
  per report time from ``FusedPicture.rows``, and the dense
  ``ThreatObjects.associate`` per query (picture, then own tracks);

and the pictures and labels of both are checked equal. CPU time
(``time.process_time``), best of ``--rounds``; ``motion.predict`` inside fusion is
timed apart (the motion model is shared by both).

Run by hand (one benchmark at a time on a shared machine)::

    nice .venv/bin/python benchmarks/bench_fusion.py examples/joint-exercise.yaml
    nice .venv/bin/python benchmarks/bench_fusion.py examples/large-raid.yaml --until 300
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa

from old_source import module_at  # a sibling script (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Recording:
    """Per partner, its fusion's inputs in order: ``("receive", RemoteTracks)`` or
    ``("fuse", time_s, own TrackBatch, record)``; the truth objects and gate."""

    events: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    objects: Any = None
    gate_m: float = 0.0


def record(scenario_path: Path, seed: int, until_s: float | None) -> Recording:
    """Run the scenario once, recording every partner's fusion inputs."""
    from skyweave.engine import partner as partner_mod
    from skyweave.engine import simulation as sim_mod
    from skyweave.scenario.load import load_scenario
    from skyweave.simulation import run_scenario

    rec = Recording(gate_m=sim_mod._TRUTH_GATE_M)
    stage_cls = partner_mod.PartnerStage
    orig_receive, orig_fuse = stage_cls.receive_tracks, stage_cls.fuse

    def receive_tracks(self: Any, remote: Any) -> None:
        rec.events.setdefault(self.partner, []).append(("receive", remote))
        orig_receive(self, remote)

    def fuse(self: Any, time_s: float, own: Any, record: bool, label: Any = None) -> Any:
        rec.events.setdefault(self.partner, []).append(("fuse", time_s, own, record))
        if label is not None:
            rec.objects = label.__self__._objects  # the simulation's truth objects
        return orig_fuse(self, time_s, own, record, label)

    stage_cls.receive_tracks, stage_cls.fuse = receive_tracks, fuse  # type: ignore[method-assign]
    try:
        run_scenario(load_scenario(scenario_path), seed, until_s=until_s, progress=False)
    finally:
        stage_cls.receive_tracks, stage_cls.fuse = orig_receive, orig_fuse  # type: ignore[method-assign]
    return rec


def old_fusion(rev: str) -> ModuleType:
    """``skyweave/tracking/fusion.py`` of ``rev``, loaded as its own module."""
    return module_at(rev, "src/skyweave/tracking/fusion.py", "skyweave_old_fusion")


class TimedMotion:
    """The fusion motion model, its ``predict`` CPU time summed."""

    def __init__(self, motion: Any) -> None:
        self.motion = motion
        self.cpu_s = 0.0
        self.calls = 0

    def predict(self, x: Any, p: Any, dt_s: float) -> Any:
        self.calls += 1
        t0 = time.process_time()
        out = self.motion.predict(x, p, dt_s)
        self.cpu_s += time.process_time() - t0
        return out


def _old_rows_table(fused: Any, partner: str) -> pa.Table:
    """The old picture table of one report time (row by row)."""
    from skyweave.tracking.shared_picture import PICTURE_SCHEMA

    cols = fused.rows(partner, contributors=True)
    return pa.table(
        {
            f.name: pa.array(
                [list(v) for v in cols[f.name]] if pa.types.is_list(f.type) else cols[f.name],
                f.type,
            )
            for f in PICTURE_SCHEMA
        },
        schema=PICTURE_SCHEMA,
    )


def replay(rec: Recording, impl: str, fusion_mod: ModuleType) -> dict[str, Any]:
    """Replay the recording through one implementation; CPU times and outputs."""
    from skyweave.engine.truth_labels import TruthLabels
    from skyweave.tracking.presets import fusion_config
    from skyweave.tracking.shared_picture import PictureRecorder

    cpu = {"fusion": 0.0, "predict": 0.0, "rows": 0.0, "labels": 0.0, "calls": 0.0}
    pictures: list[Any] = []
    labels: list[list[str]] = []
    tables: list[pa.Table] = []
    new_labels = TruthLabels(rec.objects, rec.gate_m) if rec.objects is not None else None
    for partner, events in rec.events.items():
        motion = TimedMotion(fusion_config().motion)
        picture = fusion_mod.PartnerPicture(partner, replace(fusion_config(), motion=motion))
        recorder = PictureRecorder()
        old_tables: list[pa.Table] = []
        for ev in events:
            if ev[0] == "receive":
                t0 = time.process_time()
                picture.receive(ev[1])
                cpu["fusion"] += time.process_time() - t0
                continue
            _, time_s, own, is_report = ev
            t0 = time.process_time()
            pic = picture.update(time_s, own)
            t1 = time.process_time()
            cpu["fusion"] += t1 - t0
            pictures.append(pic)
            if not is_report:
                continue
            if impl == "new":
                recorder.add(pic, partner)
            else:
                old_tables.append(_old_rows_table(pic, partner))
            t2 = time.process_time()
            cpu["rows"] += t2 - t1
            if rec.objects is None:
                continue
            if impl == "new":
                assert new_labels is not None
                got = new_labels(time_s, np.concatenate([pic.state[:, :3], own.state[:, :3]]))
            else:
                gate = np.full(len(pic), rec.gate_m)
                got = rec.objects.associate(time_s, pic.state[:, :3], gate)
                if len(own):
                    gate = np.full(len(own), rec.gate_m)
                    got = got + rec.objects.associate(time_s, own.state[:, :3], gate)
            cpu["labels"] += time.process_time() - t2
            labels.append(got)
        t0 = time.process_time()
        table = recorder.table() if impl == "new" else pa.concat_tables(old_tables)
        cpu["rows"] += time.process_time() - t0
        tables.append(table)
        cpu["predict"] += motion.cpu_s
        cpu["calls"] += motion.calls
    return {"cpu": cpu, "pictures": pictures, "labels": labels, "tables": tables}


def _same_pictures(a: list[Any], b: list[Any]) -> bool:
    names = ("picture_number", "state", "covariance", "contributor_id", "sources_mask")
    return len(a) == len(b) and all(
        all(np.array_equal(getattr(x, n), getattr(y, n)) for n in names)
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument(
        "--old-rev", default=None, help="git revision of the old fusion (default: merge base)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import skyweave.tracking.fusion as new_mod

    rev = (
        args.old_rev
        or subprocess.run(
            ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    print(f"old: tracking/fusion.py of {rev}")
    old_mod = old_fusion(rev)
    t0 = time.process_time()
    rec = record(args.scenario, args.seed, args.until)
    n_fuse = sum(e[0] == "fuse" for ev in rec.events.values() for e in ev)
    print(
        f"recorded {n_fuse} fuses of {len(rec.events)} partners in "
        f"{time.process_time() - t0:.1f} CPU s ({platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()})"
    )
    best: dict[str, dict[str, float]] = {}
    outs: dict[str, dict[str, Any]] = {}
    for _ in range(args.rounds):
        for impl, mod in (("old", old_mod), ("new", new_mod)):
            out = replay(rec, impl, mod)
            outs[impl] = out
            cur = best.setdefault(impl, dict(out["cpu"]))
            total = sum(out["cpu"][k] for k in ("fusion", "rows", "labels"))
            if total < sum(cur[k] for k in ("fusion", "rows", "labels")):
                best[impl] = dict(out["cpu"])
    same = _same_pictures(outs["old"]["pictures"], outs["new"]["pictures"])
    same_rows = pa.concat_tables(outs["old"]["tables"]).equals(
        pa.concat_tables(outs["new"]["tables"])
    )
    same_labels = outs["old"]["labels"] == outs["new"]["labels"]
    print(f"pictures equal: {same}; picture rows equal: {same_rows}; labels equal: {same_labels}")
    calls = best["new"]["calls"]
    print(f"motion.predict calls in fusion: {calls:.0f} ({calls / max(n_fuse, 1):.1f} per fuse)")
    head = f"CPU s (best of {args.rounds})"
    print(f"{head:24s} {'old':>8s} {'new':>8s} {'old/new':>8s}")
    rows = [
        ("fusion (update+receive)", "fusion"),
        ("  of it motion.predict", "predict"),
        ("picture rows", "rows"),
        ("truth labels", "labels"),
    ]
    for title, key in rows:
        o, n = best["old"][key], best["new"][key]
        print(f"{title:24s} {o:8.3f} {n:8.3f} {o / n if n else float('inf'):8.1f}")
    for title, keys in (
        ("all", ("fusion", "rows", "labels")),
        ("all but motion.predict", ("fusion", "rows", "labels", "-predict")),
    ):
        o = sum(best["old"][k] for k in keys if not k.startswith("-"))
        n = sum(best["new"][k] for k in keys if not k.startswith("-"))
        if "-predict" in keys:
            o, n = o - best["old"]["predict"], n - best["new"]["predict"]
        print(f"{title:24s} {o:8.3f} {n:8.3f} {o / n if n else float('inf'):8.1f}")


if __name__ == "__main__":
    main()
