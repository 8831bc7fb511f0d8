"""Rewind and branch in the white cell: a branch made at a bookmark with another consent
answer is journaled, kept in the run folder and replayed; its prefix is its parent's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from short_example import STRAY, short_example
from skyweave.engine.snapshots import MAIN, SnapshotStore
from skyweave.errors import InputError
from skyweave.exercise.journal import Journal, read_journal
from skyweave.exercise.played import read_played
from skyweave.exercise.review import ReviewSession
from skyweave.exercise.session import ExerciseSession, SeatError
from skyweave.io.run_output import scenario_json
from skyweave.scenario.schema import BallisticThreat, Scenario
from skyweave.simulation import run_result, run_scenario

#: East's staff are asked q1 about the stray launch at 200 s (policy: granted at 205 s)
END_S = 230.0
BOOKMARK_S = 191.0

TIME_COLUMN = {
    "truth": "time_s",
    "detections": "time_s",
    "tracks": "time_s",
    "picture": "time_s",
    "alerts": "time_s",
    "events": "time_s",
    "engagements": "end_time_s",
}


def _scenario() -> Scenario:
    stray = BallisticThreat.model_validate({**STRAY, "launch_time_s": 0.0})
    return short_example(END_S).model_copy(update={"threats": [stray]})


def _rows_until(table: pa.Table, column: str, until_s: float) -> list[dict[str, Any]]:
    times = np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)
    rows = table.take(pa.array(np.flatnonzero(times <= until_s))).to_pylist()
    return [{k: "NaN" if v != v else v for k, v in row.items()} for row in rows]


def _seeds_held(root: Any) -> dict[str, int]:
    """Every integer attribute named like a seed on the engine's own objects (the
    scenario's default ``seed`` field is a setting, not a component's run seed)."""
    from pydantic import BaseModel

    out: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("sim", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen or isinstance(obj, BaseModel | np.ndarray | str | bytes):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            stack += [(f"{path}[{k!r}]", v) for k, v in obj.items()]
        elif isinstance(obj, list | tuple | set | frozenset):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
        elif type(obj).__module__.startswith("skyweave") and hasattr(obj, "__dict__"):
            for k, v in vars(obj).items():
                if "seed" in k and isinstance(v, int) and not isinstance(v, bool):
                    out[f"{path}.{k}"] = v
                else:
                    stack.append((f"{path}.{k}", v))
    return out


def _play_to(session: ExerciseSession, wall: list[float], time_s: float) -> None:
    """Let the pacing run the clock to ``time_s`` (a wall clock the test moves)."""
    while session.sim.time_s < time_s - 1e-9 and not session.sim.done:
        wall[0] += min(1.0, (time_s - session.sim.time_s) / session.pacer.rate)
        session.advance()


def _events(tables: dict[str, pa.Table]) -> list[tuple[float, str, str]]:
    e = tables["events"].to_pydict()
    return list(zip(e["time_s"], e["kind"], e["text"], strict=True))


@dataclass(frozen=True)
class Played:
    """An exercise played to its end, rewound to a bookmark and played again as ``deny``."""

    folder: Path
    main_tables: dict[str, pa.Table]
    branch_tables: dict[str, pa.Table]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The white cell bookmarks 191 s; East's q1 (200 s) is granted by the policy on the
    main line; rewound to the bookmark, East denies it on the branch ``deny``. Checked
    on the way (seats, the journal after the rewind)."""
    tmp_path = tmp_path_factory.mktemp("rewind")
    scenario, out = _scenario(), tmp_path / "ex1"
    journal = Journal.create(out, scenario_json(scenario), 1)
    wall = [0.0]
    session = ExerciseSession(
        scenario,
        1,
        rate=60.0,
        wall_clock=lambda: wall[0],
        journal=journal,
        snapshots=SnapshotStore(period_s=50.0, wall_share=1.0, wall_clock=lambda: 0.0),
    )
    seats = {s.name: s for s in session.seats.values()}
    session.clock(seats["white"], "start")
    _play_to(session, wall, BOOKMARK_S - 1.0)
    session.command(seats["white"], {"kind": "note", "text": "East is about to be asked"})
    _play_to(session, wall, END_S)
    main_tables = run_result(session.sim).tables
    assert [t for t in session.snapshots.lines] == [MAIN]
    assert session.snapshots.count() >= 4  # the first tick, then every 50 s

    with pytest.raises(SeatError):
        session.rewind(seats["east"], BOOKMARK_S, "deny")
    with pytest.raises(InputError, match="to_s"):
        session.rewind(seats["white"], END_S + 10.0, "deny")
    [mark] = session.frame(seats["white"])["bookmarks"]
    state = session.rewind(seats["white"], mark["time_s"], "deny")
    assert (state["time_s"], state["branch"], state["rewinds"]) == (BOOKMARK_S, "deny", 1)
    assert not state["running"]
    with pytest.raises(InputError, match="exists"):
        session.rewind(seats["white"], 100.0, "deny")
    # the bookmark is in the branch's prefix; the frames show the earlier instant
    assert session.frame(seats["east"])["clock"]["time_s"] == BOOKMARK_S
    session.clock(seats["white"], "start")
    _play_to(session, wall, 200.0)
    [question] = session.sim.partner_view("east").questions
    session.command(
        seats["east"], {"kind": "consent", "question_id": question.question_id, "granted": False}
    )
    _play_to(session, wall, END_S)
    branch_tables = run_result(session.sim).tables

    # a crash now resumes the branch, and the main line is still in the journal
    back = read_journal(journal.folder)
    assert [b.name for b in back.branches] == [MAIN, "deny"]
    assert back.current == "deny" and back.last_time_s == END_S
    assert back.commands == session.log
    assert back.branches[0].played_to_s == END_S
    folder = session.end(out)
    assert not journal.folder.exists()
    return Played(folder, main_tables, branch_tables)


def test_a_rewind_to_a_bookmark_branches_with_another_answer_both_replayable(
    played: Played,
) -> None:
    folder, main_tables, branch_tables = played.folder, played.main_tables, played.branch_tables
    # the branch's prefix up to the branch time is its parent's, bit for bit
    for name, column in TIME_COLUMN.items():
        a = _rows_until(main_tables[name], column, BOOKMARK_S)
        b = _rows_until(branch_tables[name], column, BOOKMARK_S)
        assert a == b, name
    kinds = {
        name: [k for _, k, _ in _events(t)]
        for name, t in (("main", main_tables), ("deny", branch_tables))
    }
    assert "consent_granted" in kinds["main"] and "consent_denied" not in kinds["main"]
    assert "consent_denied" in kinds["deny"]
    assert [k for k in kinds["deny"] if k.startswith("consent")].count("consent_granted") == (
        kinds["main"].count("consent_granted") - 1
    )

    index = json.loads((folder / "branches.json").read_text())
    [entry] = index["branches"]
    assert entry == {
        "name": "deny",
        "parent": MAIN,
        "branch_time_s": BOOKMARK_S,
        "played_to_s": END_S,
        "commands": "commands.deny.jsonl",
    }
    summary = json.loads((folder / "summary.json").read_text())
    assert {"branches.json", "commands.deny.jsonl"} <= set(summary["hashes"])
    # the folder's tables are the main line's
    assert pq.read_table(folder / "events.parquet").equals(main_tables["events"])
    # the branch replays from the folder alone, bit for bit
    line = read_played(folder, "deny")
    assert line.until_s == END_S and line.branch.parent == MAIN
    replayed = run_scenario(line.scenario, line.seed, line.until_s, commands=line.commands)
    for name, column in TIME_COLUMN.items():
        a = _rows_until(replayed.tables[name], column, np.inf)
        assert a == _rows_until(branch_tables[name], column, np.inf), name
    with pytest.raises(InputError, match="no branch 'nope'; the run has main, deny"):
        read_played(folder, "nope")


def test_the_rewind_route_is_the_white_cells_and_a_crash_after_it_resumes_the_branch(
    tmp_path: Path,
) -> None:
    from starlette.testclient import TestClient

    from skyweave.exercise.server import create_app

    scenario, out = short_example(30.0), tmp_path / "run"
    journal = Journal.create(out, scenario_json(scenario), 1)
    session = ExerciseSession(scenario, seed=1, rate=10.0, journal=journal)
    tokens = {seat.name: token for token, seat in session.seats.items()}
    app = create_app(session, out, frame_period_s=0.005)
    white = tokens["white"]
    with TestClient(app) as client:
        for _ in range(12):
            assert (
                client.post(f"/api/clock?token={white}", json={"action": "step"}).status_code == 200
            )
        url = "/api/rewind?token={}"
        body = {"to_s": 5.5, "branch": "b1"}
        assert client.post(url.format(tokens["east"]), json=body).status_code == 403
        assert client.post(url.format("nope"), json=body).status_code == 401
        for bad in ({"to_s": 50, "branch": "b1"}, {"to_s": 5, "branch": "no spaces"}, [1]):
            got = client.post(url.format(white), json=bad)
            assert got.status_code == 400, bad
        state = client.post(url.format(white), json=body).json()
        assert (state["time_s"], state["branch"], state["rewinds"]) == (5.0, "b1", 1)
        frame = client.get(f"/api/frame?token={tokens['east']}").json()
        assert frame["clock"]["time_s"] == 5.0 and frame["clock"]["rewinds"] == 1
        lines = client.get(f"/api/frame?token={white}").json()["branches"]
        assert [(b["name"], b["parent"], b["played_to_s"], b["current"]) for b in lines] == [
            (MAIN, None, 11.0, False),
            ("b1", MAIN, 5.0, True),
        ]
        for _ in range(3):
            client.post(f"/api/clock?token={white}", json={"action": "step"})
    session.stop_pacing()
    journal.close()  # the server dies here: the journal is all that is left

    back = read_journal(journal.folder)
    resumed = ExerciseSession(
        back.scenario,
        back.seed,
        commands=back.commands,
        resume_to_s=back.last_time_s,
        branches=back.branches,
        line=back.current,
        journal=Journal.reopen(journal.folder),
    )
    assert (resumed.line, resumed.sim.time_s) == ("b1", 8.0)
    assert [(b["name"], b["played_to_s"]) for b in resumed.branch_rows()] == [
        (MAIN, 11.0),
        ("b1", 8.0),
    ]
    folder = resumed.end(out)  # the main line replayed to 11 s for the folder's tables
    assert json.loads((folder / "summary.json").read_text())["simulated_s"] == 11.0

    # the review shows a branch, with another line beside it at the same instant
    review = ReviewSession(folder, branches=["b1", MAIN])
    seat = next(s for s in review.seats.values() if s.role == "white")
    assert review.setup(seat)["review"]["lines"] == [MAIN, "b1"]
    review.seek(8.0)
    rows = review.frame(seat)["lines"]
    assert [(r["line"], r["shown"], r["time_s"]) for r in rows] == [
        ("b1", True, 8.0),
        (MAIN, False, 5.0),
    ]
    assert review.end_s == 8.0 and review.beside[MAIN][0][-1] == 11.0


def test_a_counterfactual_batch_goes_on_from_the_played_branch(
    played: Played, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from skyweave.analysis.batch import BatchSpec, _simulate, plan_tasks, run_batch
    from skyweave.analysis.batch_from_run import PLAYED_ARM, POLICY_ARM, plan_counterfactual
    from skyweave.cli import main
    from skyweave.engine.snapshots import seeds_of
    from skyweave.io.batch_paired import from_run_section_html

    # bad input is refused before any run (exit 2, the option named)
    for args, said in (
        (["--branch-at", str(END_S)], "--branch-at"),
        (["--branch-at", "100", "--sweep", "seed=1,2"], "--sweep"),
        (["--branch-at", "100", "--branch", "nope"], "no branch 'nope'"),
    ):
        got = CliRunner().invoke(
            main, ["batch", "--from-run", str(played.folder), "--runs", "2", *args]
        )
        assert got.exit_code == 2 and said in got.output, got.output

    branch_at_s = 195.5  # the tick at 195 s: after the bookmark, before q1 is asked
    scenario, cf = plan_counterfactual(played.folder, branch_at_s, "deny")
    assert cf.branch_time_s == 195.0 and cf.played_to_s == END_S
    assert [a.label for a in cf.arms] == [PLAYED_ARM, POLICY_ARM]
    assert [c.kind for c in cf.arms[0].after] == ["consent"] and cf.arms[1].after == ()
    spec = BatchSpec(scenario, 2, 5, until_s=END_S, counterfactual=cf)
    tasks = plan_tasks(spec, spec.points(), tmp_path, keep_runs=False)
    assert [(t.point, t.run) for t in tasks] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert tasks[0].seed == tasks[2].seed != tasks[1].seed  # paired by run
    # every run's tables up to T are the played branch's; after T its own seed draws
    for task in tasks[:2]:
        result = _simulate(task)
        for name, column in TIME_COLUMN.items():
            a = _rows_until(result.tables[name], column, cf.branch_time_s)
            assert a == _rows_until(played.branch_tables[name], column, cf.branch_time_s), name
        after = _rows_until(result.tables["detections"], "time_s", np.inf)
        assert after != _rows_until(played.branch_tables["detections"], "time_s", np.inf)

    outcome = run_batch(spec, tmp_path / "cf", workers=1)
    assert (outcome.total, outcome.ok) == (4, 4)
    # a pool and a Dask cluster get the frozen start once (not with every run) and give
    # the same rows as this process
    from skyweave.analysis.batch import shared_start

    start, sent = shared_start(tasks)
    assert start is cf.start and all(t.start is None for t in sent)
    assert shared_start(sent) == (None, sent)
    rows = pq.read_table(tmp_path / "cf" / "runs.parquet").drop_columns(["wall_s"])
    assert run_batch(spec, tmp_path / "cf-pool", workers=2).ok == 4
    assert (
        pq.read_table(tmp_path / "cf-pool" / "runs.parquet").drop_columns(["wall_s"]).equals(rows)
    )
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert run_batch(spec, tmp_path / "cf-dask", scheduler=cluster.scheduler_address).ok == 4
    assert (
        pq.read_table(tmp_path / "cf-dask" / "runs.parquet").drop_columns(["wall_s"]).equals(rows)
    )
    summary = json.loads((tmp_path / "cf" / "batch_summary.json").read_text())
    info = summary["from_run"]
    assert (info["branch"], info["branch_time_s"], info["played_seed"]) == ("deny", 195.0, 1)
    # the played line's own outcome, recomputed from T with its seed, is the played one
    denied = info["played"]["measures"]["engagement.consent.denied"]
    assert denied == sum(1 for _, k, _ in _events(played.branch_tables) if k == "consent_denied")
    assert {d["a"] for d in summary["paired_differences"]} == {0}
    html = from_run_section_html(summary)
    assert "Counterfactual from a played exercise" in html and POLICY_ARM in html
    # the seed switch reaches every component that draws
    from skyweave.engine.snapshots import reseed, restore

    sim = restore(scenario, 1, (), cf.branch_time_s, cf.start)
    reseed(sim, 77)
    assert set(seeds_of(sim).values()) == {77}
    # every run seed any component holds, found by walking the engine (a component
    # added later that reseed does not know fails here)
    held = _seeds_held(sim)
    assert held and set(held.values()) == {77}, held


def test_an_edited_branch_and_a_bad_rewind_line_are_named(played: Played, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(played.folder, copy)
    log = copy / "commands.deny.jsonl"
    log.write_text(log.read_text().replace('"granted": false', '"granted": true'))
    with pytest.raises(InputError, match=r"commands\.deny\.jsonl: changed since the run"):
        read_played(copy, "deny")

    scenario = short_example(30.0)
    journal = Journal.create(tmp_path / "ex", scenario_json(scenario), 1)
    journal.clock("tick", 12.0)
    journal.branch("b1", MAIN, 5.0)
    journal.branch("b 2", "b1", 4.0)  # not a name a rewind accepts
    journal.close()
    with pytest.raises(InputError, match=r"commands\.jsonl:3: branch: expected 1 to 40"):
        read_journal(journal.folder)


def test_snapshots_past_their_memory_budget_are_thinned_and_still_restore() -> None:
    from skyweave.engine.simulation import Simulation
    from skyweave.engine.snapshots import restore

    scenario = short_example(120.0)
    sim = Simulation(scenario, 1)
    sim.run_until(10.0)
    one = len(SnapshotStore().take(MAIN, sim).blob)
    store = SnapshotStore(period_s=10.0, wall_share=1.0, wall_clock=lambda: 0.0)
    store.max_bytes = int(4.5 * one)  # snapshots grow as the run goes: room for about 3
    times = []
    while sim.time_s < 100.0:
        sim.run_until(sim.time_s + 10.0)
        store.take(MAIN, sim)
        times.append(sim.time_s)
        assert store.size_bytes() <= store.max_bytes or store.count() == 1
    held = [s.time_s for s in store._snapshots[MAIN]]
    assert held[-1] == times[-1] and len(held) < len(times)
    # a rewind to a dropped instant steps on from an older snapshot, to the same state
    dropped = max(set(times) - set(held))
    again = restore(scenario, 1, (), dropped, store.nearest(MAIN, dropped))
    fresh = Simulation(scenario, 1)
    fresh.run_until(dropped)
    assert again.time_s == fresh.time_s == dropped
    # both step on to the end: every table the same
    again.run_until(120.0)
    fresh.run_until(120.0)
    ours, theirs = run_result(again).tables, run_result(fresh).tables
    for name, column in TIME_COLUMN.items():
        assert _rows_until(ours[name], column, np.inf) == _rows_until(
            theirs[name], column, np.inf
        ), name
