"""The decision log's fast forms against the forms they replaced (same rows, same table)."""

from __future__ import annotations

import math
import random

import numpy as np
import pyarrow as pa

from skyweave.c2.decision_log import (
    _ALWAYS_SHOWN,
    _RANK,
    DECISIONS_SCHEMA,
    NO_VERDICT,
    REASONS,
    DecisionRow,
    PlainVerdicts,
    ThreatsHeld,
    Verdict,
    Verdicts,
    cycle_rows,
    decisions_table,
    order_text,
)


def _parsed_cycle_rows(
    time_s: float, cycle: int, post: str, verdicts: Verdicts, held: ThreatsHeld, valued: set[str]
) -> list[DecisionRow]:
    """cycle_rows as it was: each noted track's picture number parsed from its id."""
    by_threat: dict[str, tuple[str, Verdict]] = {}
    loose: list[tuple[str, Verdict]] = []
    prefix = f"{post}:"
    for track_id, v in verdicts.best.items():
        number = int(track_id[len(prefix) :]) if track_id.startswith(prefix) else None
        threat = held.by_picture.get(number) if number is not None else None
        if threat is None:
            if track_id in valued or v.reason in _ALWAYS_SHOWN:
                loose.append((track_id, v))
            continue
        old = by_threat.get(threat)
        if old is None or _RANK[v.reason] < _RANK[old[1].reason]:
            by_threat[threat] = (track_id, v)
    rows = []
    for threat in held.open_ids:
        track_id, v = by_threat.get(threat, ("", Verdict("not_tracked")))
        rows.append(DecisionRow(time_s, cycle, post, threat, track_id or None, v))
    rows += [DecisionRow(time_s, cycle, post, tid, tid, v) for tid, v in loose]
    return rows


def _appended_table(rows: list[DecisionRow]) -> pa.Table:
    """decisions_table as it was: every column appended row by row."""
    cols: dict[str, list[object]] = {f.name: [] for f in DECISIONS_SCHEMA}
    for r in rows:
        v = r.verdict
        for name in ("time_s", "cycle", "command_post", "threat_id", "track_id"):
            cols[name].append(getattr(r, name))
        for name in DECISIONS_SCHEMA.names[5:-1]:
            cols[name].append(getattr(v, name))
        cols["text"].append(order_text(v) if v.reason != "assigned" else v.text)
    return pa.table(
        {f.name: pa.array(cols[f.name], f.type) for f in DECISIONS_SCHEMA}, schema=DECISIONS_SCHEMA
    )


def _ipc_bytes(table: pa.Table) -> bytes:
    """The table as Arrow IPC bytes (NaN equals NaN here, not in Table.equals)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_cycle_rows_and_table_are_the_forms_they_replaced() -> None:
    rng = random.Random(5)
    rows: list[DecisionRow] = []
    for cycle in range(30):
        verdicts = Verdicts()
        for _ in range(60):
            post = rng.choice(["North", "North", "East"])  # another post's tracks too
            tid = f"{post}:{rng.randrange(40)}"
            reason = rng.choice(REASONS)
            verdicts.note(
                tid,
                Verdict(
                    reason,
                    rng.choice([None, "b1", "b2"]),
                    nearest_km=rng.choice([math.nan, rng.uniform(0.0, 900.0)]),
                    max_range_km=rng.choice([40.0, 150]),
                    earliest_launch_s=rng.uniform(0.0, 2000.0),
                    value=rng.uniform(0.0, 9.0),
                    text=rng.choice(["", "order refused"]),
                ),
            )
        threats = [f"North:T{k}" for k in range(12)]
        held = ThreatsHeld(
            tuple(threats), {n: rng.choice(threats) for n in rng.sample(range(40), 25)}
        )
        valued = {f"North:{rng.randrange(40)}" for _ in range(10)}
        got = cycle_rows(10.0 * cycle, cycle, "North", verdicts, held, valued)
        assert got == _parsed_cycle_rows(10.0 * cycle, cycle, "North", verdicts, held, valued)
        rows += got
    assert _ipc_bytes(decisions_table(rows)) == _ipc_bytes(_appended_table(rows))
    assert len(rows) > 300


class _EagerVerdicts:
    """Verdicts' notes as they were: every pair's verdict kept at once, note by note."""

    def __init__(self) -> None:
        self.best: dict[str, Verdict] = {}
        self.pairs: dict[tuple[str, str], Verdict] = {}

    def note(self, track_id: str, verdict: Verdict) -> None:
        rank = _RANK[verdict.reason]
        if verdict.battery_id is not None:
            key = (verdict.battery_id, track_id)
            old_pair = self.pairs.get(key)
            if old_pair is None or rank < _RANK[old_pair.reason]:
                self.pairs[key] = verdict
        old = self.best.get(track_id)
        if old is None or rank < _RANK[old.reason]:
            self.best[track_id] = verdict

    def set(self, track_id: str, verdict: Verdict) -> None:
        self.best[track_id] = verdict
        if verdict.battery_id is not None:
            self.pairs[(verdict.battery_id, track_id)] = verdict


def test_blocks_of_notes_are_the_pair_by_pair_notes_they_replaced() -> None:
    rng = random.Random(11)
    batteries = [f"B{i}" for i in range(5)]
    tracks = [f"North:{k}" for k in range(12)]
    for _ in range(40):
        fast, eager = Verdicts(), _EagerVerdicts()
        for _ in range(12):
            kind = rng.random()
            if kind < 0.3:  # a block: noted row by row before
                rows = rng.sample(batteries, rng.randrange(0, 4))
                cols = rng.sample(tracks, rng.randrange(0, 8))
                ranks = np.array(
                    [[rng.randrange(NO_VERDICT + 1) for _ in cols] for _ in rows], dtype=np.int64
                ).reshape(len(rows), len(cols))
                fast.note_block(PlainVerdicts(rows, cols, ranks))
                for i, b in enumerate(rows):
                    for j, tid in enumerate(cols):
                        if ranks[i, j] != NO_VERDICT:
                            eager.note(tid, Verdict(REASONS[int(ranks[i, j])], b))
                continue
            tid = rng.choice(tracks)
            v = Verdict(rng.choice(REASONS), rng.choice([None, *batteries]), shots=rng.randrange(3))
            if kind < 0.9:
                fast.note(tid, v)
                eager.note(tid, v)
            else:
                fast.set(tid, v)
                eager.set(tid, v)
        assert fast.best == eager.best
        for b in batteries:
            for tid in tracks:
                assert fast.pair(b, tid) == eager.pairs.get((b, tid))
