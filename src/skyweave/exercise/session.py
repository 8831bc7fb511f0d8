"""A live exercise session: one engine, its pacing, its seats and what each may do.

:class:`ExerciseSession` owns one :class:`~skyweave.engine.Simulation`, a
:class:`~skyweave.exercise.pacing.Pacer` run by a background thread, and the
seat registry (one random token per seat: ``white``, each partner,
``observer``). Every console action comes here as a plain dict; the session
stamps it with the next tick's time, checks it with the one command validator
(:func:`~skyweave.engine.commands.parse_command`; HTTP 400), then against the
seat's role (:class:`SeatError`, HTTP 403) and the memory guard, journals it
(:class:`~skyweave.exercise.journal.Journal`, fsynced) and queues it with
``Simulation.submit``. Clock actions are journaled too. Ending the session writes
a normal run folder whose ``commands.jsonl`` replays it bit for bit (``skyweave
run --replay``), then removes the journal.

The white cell may **rewind** (:meth:`ExerciseSession.rewind`) to an earlier tick or
bookmark and play on from there as a new branch; the old future is kept (see
:mod:`skyweave.exercise.branches`). The engine is rebuilt from the newest snapshot
before that tick (:class:`~skyweave.engine.snapshots.SnapshotStore`, taken as the
clock runs) and the branch's command log, and every console's next frame jumps back.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyweave.engine.commands import Command, parse_command, with_injected_threats
from skyweave.engine.simulation import Simulation
from skyweave.engine.snapshots import MAIN, SnapshotStore, prefix, restore, tick_at
from skyweave.errors import InputError, Problem
from skyweave.exercise.branches import Branch, branch_files, check_name
from skyweave.exercise.frames import partner_frame, setup_info, truth_frame
from skyweave.exercise.injects import inject_rows
from skyweave.exercise.journal import Journal
from skyweave.exercise.outcomes import outcome_feed
from skyweave.exercise.pacing import Pacer
from skyweave.scenario.run_size import check_run_size
from skyweave.scenario.schema import Scenario

ROLES = ("white", "partner", "observer")
#: what each role may order (the white cell's clock and end are separate calls)
PARTNER_KINDS = ("consent", "hold_fire", "weapons_free", "engage", "classify", "note", "message")
WHITE_KINDS = ("inject", "note")
#: wall seconds between the pacing thread's looks at the clock
PACER_PERIOD_S = 0.02
#: longest the pacing thread holds the engine before letting frames be built
PACER_SLICE_S = 0.1
#: wall seconds between two journal lines saying how far the clock ran
PROGRESS_PERIOD_S = 1.0
#: the white cell's newest notes sent in its frames (all of them are in the log)
BOOKMARKS_SHOWN = 200


class SeatError(Exception):
    """A seat asked for something its role does not allow (HTTP 403)."""


class ClockError(Exception):
    """The exercise cannot do that now (it has ended; HTTP 409)."""


@dataclass(frozen=True)
class Seat:
    """One console's identity: its role, its partner (partner seats), its token."""

    name: str
    role: str
    partner: str | None
    token: str


class SeatedSession:
    """The seats of a live or reviewed exercise: one random token per seat."""

    seats: dict[str, Seat]

    def _open_seats(self, partners: list[str]) -> None:
        self.seats = {}
        for name in ["white", *partners, "observer"]:
            role = name if name in ("white", "observer") else "partner"
            token = secrets.token_urlsafe(24)
            self.seats[token] = Seat(name, role, None if role != "partner" else name, token)

    def seat(self, token: str | None) -> Seat | None:
        """The seat a token opens, or None."""
        if not token:
            return None
        for known, seat in self.seats.items():
            if secrets.compare_digest(known, token):
                return seat
        return None

    def join_links(self, base_url: str) -> list[tuple[str, str]]:
        """``(seat name, URL)`` for every seat, white cell first."""
        return [(s.name, f"{base_url}/?token={s.token}") for s in self.seats.values()]


class ExerciseSession(SeatedSession):
    """One live exercise (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    seed : int
    rate : float
        Simulated seconds per wall second at start (0.5 to 60).
    wall_clock : callable
        Monotonic wall clock in seconds (tests pass their own).
    journal : Journal, optional
        Where every accepted command and clock action is written as it happens.
    commands : sequence of Command
        Commands already played (a resumed exercise's journal).
    resume_to_s : float, optional
        Replay ``commands`` up to this time before the consoles join (resume).
    branches : sequence of Branch
        The lines of play already played (a resumed journal's or run folder's);
        ``commands`` are those of the line named ``line``, which play goes on.
    line : str
        The line of play to continue (the main line unless resumed on a branch).
    snapshots : SnapshotStore, optional
        Where the engine is snapshotted as the clock runs (tests pass their own).
    plan_text : str, optional
        The locked plan's ``plan.json`` of an exercise started from a plan: added to
        the run folder (and its report) when the exercise ends.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        rate: float = 1.0,
        wall_clock: Callable[[], float] = time.monotonic,
        journal: Journal | None = None,
        commands: Sequence[Command] = (),
        resume_to_s: float | None = None,
        branches: Sequence[Branch] = (),
        line: str = MAIN,
        snapshots: SnapshotStore | None = None,
        plan_text: str | None = None,
    ) -> None:
        self.scenario = scenario
        #: the locked plan's ``plan.json`` (an exercise started from a plan): the run
        #: folder gets it before the journal, which keeps a copy, is removed
        self.plan_text = plan_text
        self.seed = int(seed)
        self.snapshots = SnapshotStore() if snapshots is None else snapshots
        #: every line of play but the current one, as last played (name -> branch)
        self.lines: dict[str, Branch] = {}
        for b in branches:
            if b.name != MAIN:
                self.snapshots.add_line(b.name, b.parent or MAIN, b.branch_time_s)
            if b.name != line:
                self.lines[b.name] = b
        self.line = line
        self.sim = Simulation(scenario, seed, commands)
        if resume_to_s is not None:
            # snapshots on the way (as the wall clock allows), so a rewind soon after a
            # resume does not replay from the start
            while not self.sim.done and self.sim.times_s[self.sim.tick + 1] <= resume_to_s + 1e-9:
                self.sim.step()
                self.snapshots.maybe_take(line, self.sim)
        #: the current line's command log (its parent's up to the branch time included)
        self.log: list[Command] = list(commands)
        #: the main line's engine, kept as left when the white cell rewound away from it
        self._main_sim: Simulation | None = None
        #: rewinds so far: a console that sees it change drops what it drew of the past
        self.rewinds = 0
        self.journal = journal
        self._launches = [c for c in commands if c.kind == "inject" and "threat" in c.body]
        # orders queued for the coming ticks, by (time, seat, kind, body): a double click
        # on one button gives the same order twice, and it counts once
        self._queued: dict[tuple[float, str, str, str], Command] = {}
        self._progress_wall_s = -float("inf")
        self.lock = threading.RLock()
        self.pacer = Pacer()
        self._wall = wall_clock
        self.pacer.set_rate(rate, self._wall(), self.sim.time_s)
        self._open_seats(self.sim.partners)
        self.version = 0  # bumped whenever anything a console shows may have changed
        self.ended_dir: Path | None = None
        self.bookmarks: list[dict[str, Any]] = _bookmarks(self.log)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._setup_cache: dict[str, dict[str, Any]] = {}
        #: injects the white cell scheduled for a later time (queued in the engine)
        self.scheduled: list[Command] = []

    # -- the clock -----------------------------------------------------------------------

    def start_pacing(self) -> None:
        """Start the background thread that advances the engine with the wall clock."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._pace, name="skyweave-pacer", daemon=True)
            self._thread.start()

    def stop_pacing(self) -> None:
        """Stop the pacing thread (the session keeps its state)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def clock(self, seat: Seat, action: str, rate: float | None = None) -> dict[str, Any]:
        """Start, pause, resume, step one tick or change the rate (white cell only)."""
        if seat.role != "white":
            raise SeatError(f"the {seat.name} seat does not own the clock")
        with self.lock:
            self._check_live()
            now = self._wall()
            if action in ("start", "resume"):
                self.pacer.start(now, self.sim.time_s)
            elif action == "pause":
                self.pacer.pause(now, self.sim.time_s)
            elif action == "step":
                self.pacer.pause(now, self.sim.time_s)
                if not self.sim.done:
                    self.sim.step()
                    self.snapshots.maybe_take(self.line, self.sim)
            elif action == "rate":
                if rate is None or not 0.5 <= float(rate) <= 60.0:
                    raise ValueError("rate: expected a number from 0.5 to 60")
                self.pacer.set_rate(float(rate), now, self.sim.time_s)
            else:
                raise ValueError(f"unknown clock action {action!r}")
            self._journal_clock(action, max(self.sim.time_s, 0.0), self.pacer.rate)
            self.version += 1
            return self.clock_state()

    def advance(self) -> int:
        """Step the engine up to where the wall clock says it should be; ticks stepped."""
        stepped = 0
        started = self._wall()
        with self.lock:
            if self.ended_dir is not None or self.sim.done or not self.pacer.running:
                if self.sim.done and self.pacer.running:
                    self.pacer.pause(self._wall(), self.sim.time_s)
                    self.version += 1
                return 0
            target = self.pacer.target_s(started, self.sim.time_s)
            while (
                not self.sim.done
                and self.sim.times_s[self.sim.tick + 1] <= target + 1e-9
                and self._wall() - started < PACER_SLICE_S
            ):
                self.sim.step()
                stepped += 1
            self.pacer.record(self._wall(), self.sim.time_s)
            if stepped:
                self.version += 1
                self._journal_progress()
                self.snapshots.maybe_take(self.line, self.sim)
        return stepped

    def _journal_progress(self) -> None:
        """A ``tick`` line about once a wall second: how far a resume replays."""
        now = self._wall()
        if now - self._progress_wall_s >= PROGRESS_PERIOD_S:
            self._journal_clock("tick", self.sim.time_s)
            self._progress_wall_s = now

    def _journal_clock(self, action: str, time_s: float, rate: float | None = None) -> None:
        """Journal a clock line; a failure to write one loses no play (the commands
        carry their times), so it does not stop the clock."""
        if self.journal is not None:
            with contextlib.suppress(OSError):
                self.journal.clock(action, time_s, rate)

    def _pace(self) -> None:
        while not self._stop.is_set():
            if self.advance() == 0:
                self._stop.wait(PACER_PERIOD_S)
            else:
                time.sleep(0)  # let frame builders take the lock between slices

    def clock_state(self) -> dict[str, Any]:
        """The clock as every console shows it."""
        achieved = self.pacer.achieved_rate()
        sim = self.sim
        return {
            "time_s": sim.time_s if sim.tick >= 0 else 0.0,
            "tick": sim.tick,
            "end_s": sim.end_s,
            "running": self.pacer.running,
            "rate": self.pacer.rate,
            "achieved_rate": None if achieved is None else round(achieved, 2),
            "holding": self.pacer.holding(),
            "done": sim.done,
            "ended": self.ended_dir is not None,
            "run_dir": None if self.ended_dir is None else str(self.ended_dir),
            "branch": self.line,
            "rewinds": self.rewinds,
        }

    # -- commands ------------------------------------------------------------------------

    def next_time_s(self) -> float:
        """The time of the tick the next command applies at."""
        if self.sim.done:
            raise ClockError("the scenario has reached its end; end the exercise")
        return float(self.sim.times_s[self.sim.tick + 1])

    def command(self, seat: Seat, record: dict[str, Any]) -> Command:
        """Check a console's order against its seat, stamp it and queue it.

        Raises
        ------
        SeatError
            The seat may not give this order (HTTP 403).
        skyweave.errors.InputError
            The order is malformed, or its threat would take the run past the memory
            guard (HTTP 400).
        ClockError
            The exercise has ended (HTTP 409).
        """
        if seat.role == "observer":
            raise SeatError("the observer seat only watches")
        source = f"{seat.name} console"
        if not isinstance(record, dict):
            raise InputError([Problem(source, "expected a JSON object")])
        if "seat" in record and record["seat"] != seat.name:
            raise SeatError(f"the {seat.name} seat cannot act for another seat")
        with self.lock:
            self._check_live()
            # the command's time is the next tick's (or the later time the white cell
            # scheduled an inject for), whatever the body says
            stamped = {**record, "seat": seat.name, "time_s": self._stamp_time(seat, record)}
            stamped.pop("at_s", None)
            command = parse_command(stamped, source=source)
            self._authorise(seat, command.kind, command.body)
            key = (
                command.time_s,
                command.seat,
                command.kind,
                json.dumps(command.body, sort_keys=True),
            )
            twin = self._queued.get(key)
            if twin is not None:
                return twin  # one click is one order: the same order twice in a tick counts once
            self._refuse_late_consent(seat, command)
            if command.kind == "inject" and "threat" in command.body:
                grown = with_injected_threats(self.scenario, [*self._launches, command])
                check_run_size(grown, source=f"{source}: threat")
            if self.journal is not None:
                try:  # on disk before the engine has it and the order is acknowledged
                    self.journal.command(command)
                except OSError as exc:
                    raise ClockError(f"the order could not be journaled ({exc}); retry") from None
            refused = self.sim.submit(command)  # never: the time is after the current tick
            if refused is not None:
                raise ClockError(refused)
            self.log.append(command)
            now = self.next_time_s()
            self._queued = {k: c for k, c in self._queued.items() if k[0] >= now}
            self._queued[key] = command
            if command.kind == "inject" and "threat" in command.body:
                self._launches.append(command)
            if command.kind == "note" and seat.role == "white":
                self.bookmarks.append({"time_s": command.time_s, "text": command.body["text"]})
            if command.time_s > self.next_time_s():
                self.scheduled.append(command)
            self.version += 1
            return command

    def _stamp_time(self, seat: Seat, record: dict[str, Any]) -> float:
        """The next tick's time, or the later ``at_s`` the white cell scheduled an inject for."""
        now = self.next_time_s()
        at_s = record.get("at_s")
        if at_s is None:
            return now
        if seat.role != "white" or record.get("kind") != "inject":
            raise SeatError("only the white cell schedules, and only injects")
        source = f"{seat.name} console"
        if isinstance(at_s, bool) or not isinstance(at_s, int | float) or not math.isfinite(at_s):
            raise InputError([Problem(source, "expected simulation seconds", "at_s")])
        if at_s > self.sim.end_s:
            end = f"after the scenario's end ({self.sim.end_s:g} s)"
            raise InputError([Problem(source, end, "at_s")])
        return max(now, float(at_s))

    def _refuse_late_consent(self, seat: Seat, command: Command) -> None:
        """A consent answer to one of the seat's own questions that is already answered, or
        that would arrive after its deadline, is refused now with the reason (not queued to
        be rejected at the tick). An id the seat never had (another partner's, or none) is
        left to the engine, which refuses it at the tick like any unknown id."""
        if command.kind != "consent" or seat.partner is None:
            return
        qid = command.body["question_id"]
        own = {q.question_id: q for q in self.sim.consent.open_questions(seat.partner)}
        question = own.get(qid)
        if question is not None:
            if command.time_s > question.deadline_s:
                raise ClockError(
                    f"too late: question {qid}'s deadline ({question.deadline_s:g} s) has "
                    "passed; the policy answers it"
                )
            return
        done = [
            d
            for d in self.sim.decision.decisions
            if d.question_id == qid and d.partner == seat.partner
        ]
        if done:
            d = done[-1]
            who = "the policy at the deadline" if d.by == "policy" else f"{d.by}'s staff"
            verdict = "granted" if d.granted else "denied"
            raise ClockError(
                f"too late: question {qid} was already {verdict} by {who} at {d.answered_s:g} s"
            )

    def _authorise(self, seat: Seat, kind: str, record: dict[str, Any]) -> None:
        if seat.role == "white":
            if kind not in WHITE_KINDS:
                raise SeatError(f"the white cell orders injects and notes, not {kind!r}")
            return
        partner = seat.partner
        if kind not in PARTNER_KINDS:
            raise SeatError(f"a partner staff cannot order {kind!r}")
        if kind in ("hold_fire", "weapons_free") and "partner" in record:
            if record["partner"] != partner:
                raise SeatError(f"{partner} cannot order {record['partner']!r}'s batteries")
        if "battery" in record:
            owner = {b.id: b.partner for b in self.scenario.batteries}.get(record["battery"])
            if owner is not None and owner != partner:
                raise SeatError(f"battery {record['battery']} belongs to {owner}")
        # consent: question ids are per partner and the engine looks one up in the
        # seat's own questions only, so another partner's id is answered like an unknown
        # one (accepted here, refused at the tick as "no open consent question")

    def _check_live(self) -> None:
        if self.ended_dir is not None:
            raise ClockError("the exercise has ended")

    # -- rewind and branch ----------------------------------------------------------------

    def rewind(self, seat: Seat, to_s: Any, name: Any) -> dict[str, Any]:
        """Go back to the tick at ``to_s`` (or just before it) and play on from there as
        the new branch ``name`` of the current line; the clock is paused there.

        The line left is kept as played (its commands and how far it ran); the branch's
        commands up to the tick are the line's, later ones (orders queued or injects
        scheduled past the tick) are not. The rewind is journaled before the engine
        changes, so a crash afterwards resumes the branch.

        Raises
        ------
        SeatError
            Not the white cell (HTTP 403).
        skyweave.errors.InputError
            A time that is not an earlier simulation second, or a name not free (400).
        ClockError
            The exercise has ended (409).
        """
        if seat.role != "white":
            raise SeatError(f"the {seat.name} seat cannot rewind the exercise")
        source = f"{seat.name} console"
        with self.lock:
            self._check_live()
            name = check_name(name, source, [*self.lines, self.line])
            now = max(self.sim.time_s, 0.0)
            if isinstance(to_s, bool) or not isinstance(to_s, int | float) or not 0 <= to_s <= now:
                raise InputError(
                    [Problem(source, f"expected simulation seconds from 0 to {now:g}", "to_s")]
                )
            target_s = tick_at(self.sim, float(to_s))
            if self.journal is not None:
                try:  # how far the line left ran, then the branch
                    self.journal.clock("tick", max(self.sim.time_s, 0.0))
                    self.journal.branch(name, self.line, target_s)
                except OSError as exc:
                    raise ClockError(f"the rewind could not be journaled ({exc}); retry") from None
            [left] = [b for b in self.all_lines() if b.name == self.line]
            self.lines[self.line] = left  # kept as played: its commands, how far it ran
            if self.line == MAIN:
                self._main_sim = self.sim
            self.snapshots.add_line(name, self.line, target_s)
            log = prefix(self.log, target_s)
            snap = self.snapshots.nearest(name, target_s)
            self.sim = restore(self.scenario, self.seed, log, target_s, snap)
            self.line, self.log = name, log
            self._queued = {}
            self.scheduled = []
            self._launches = [c for c in log if c.kind == "inject" and "threat" in c.body]
            self.bookmarks = _bookmarks(log)
            self.pacer.pause(self._wall(), self.sim.time_s)
            self._journal_clock("pause", self.sim.time_s)
            self.rewinds += 1
            self.version += 1
            return self.clock_state()

    def _parent_of(self, line: str) -> str | None:
        entry = self.snapshots.lines.get(line)
        return None if entry is None else entry.parent

    def _branch_time(self, line: str) -> float:
        entry = self.snapshots.lines.get(line)
        return 0.0 if entry is None else entry.branch_time_s

    def all_lines(self) -> list[Branch]:
        """Every line of play, the current one as it stands now (main line first)."""
        current = Branch(
            self.line,
            self._parent_of(self.line),
            self._branch_time(self.line),
            tuple(self.log),
            self.sim.time_s if self.sim.tick >= 0 else None,
        )
        lines = {**self.lines, self.line: current}
        return [lines[n] for n in self.snapshots.lines if n in lines]

    def branch_rows(self) -> list[dict[str, Any]]:
        """The white cell's list of lines of play (name, parent, branch and played times)."""
        return [
            {
                "name": b.name,
                "parent": b.parent,
                "branch_time_s": b.branch_time_s,
                "played_to_s": b.played_to_s,
                "current": b.name == self.line,
            }
            for b in self.all_lines()
        ]

    def main_line_sim(self) -> Simulation:
        """The main line's engine as it was left (replayed if this process never had it)."""
        if self.line == MAIN:
            return self.sim
        if self._main_sim is None:
            main = self.lines[MAIN]
            until = 0.0 if main.played_to_s is None else main.played_to_s
            snap = self.snapshots.nearest(MAIN, until)
            self._main_sim = restore(self.scenario, self.seed, main.commands, until, snap)
        return self._main_sim

    # -- what each seat sees --------------------------------------------------------------

    def setup(self, seat: Seat) -> dict[str, Any]:
        """The static part of a seat's console (map, sites, menus)."""
        if seat.name not in self._setup_cache:
            self._setup_cache[seat.name] = setup_info(self.scenario, seat.role, seat.partner)
        return self._setup_cache[seat.name]

    def frame(self, seat: Seat, view_as: str | None = None) -> dict[str, Any]:
        """A seat's console now: a partner's own view, or the truth (white cell, observer);
        the white cell may add any partner's view (``view_as``)."""
        with self.lock:
            head = {"seat": seat.name, "version": self.version, "clock": self.clock_state()}
            if seat.role == "partner":
                assert seat.partner is not None
                return {**partner_frame(self.sim, seat.partner), **head}
            frame = {**truth_frame(self.sim), **head, "outcomes": outcome_feed(self.sim)}
            if seat.role == "white":
                frame["bookmarks"] = self.bookmarks[-BOOKMARKS_SHOWN:]
                frame["branches"] = self.branch_rows()
                now = self.sim.time_s
                waiting = [c for c in self.scheduled if c.time_s > now]
                final = self.ended_dir is not None or self.sim.done
                frame["injects"] = inject_rows(self.sim.applied, waiting, now, final)
                if view_as in self.sim.partners:
                    frame["view_as"] = partner_frame(self.sim, view_as)
            return frame

    # -- the end ---------------------------------------------------------------------------

    def end(self, out_dir: Path, overwrite: bool = False) -> Path:
        """Stop the clock and write the run folder (idempotent: the folder written first).

        The folder is ``out_dir``, or a free name beside it when that is taken (see
        :func:`~skyweave.exercise.record.write_exercise_folder`). The journal is
        removed only once the folder is written: a failure leaves it for ``--resume``.
        """
        with self.lock:
            if self.ended_dir is not None:
                return self.ended_dir
            self.pacer.pause(self._wall(), self.sim.time_s)
            from skyweave.exercise.record import write_exercise_folder

            if self.sim.tick < 0:
                self.sim.step()  # a run folder holds at least the first tick
            if not self.sim.done and any(
                c.time_s <= self.next_time_s() + 1e-9 for c in self._queued.values()
            ):
                self.sim.step()  # an order acknowledged before End was played: it takes effect
            self._journal_clock("end", self.sim.time_s)
            main = self.main_line_sim()
            if main.tick < 0:
                main.step()
            self.ended_dir = write_exercise_folder(
                main, Path(out_dir), overwrite, branch_files(self.all_lines())
            )
            if self.plan_text is not None:
                from skyweave.exercise.plan_record import add_plan_to_run

                add_plan_to_run(self.ended_dir, self.plan_text)
            if self.journal is not None:
                self.journal.remove()
            self.version += 1
            return self.ended_dir


def _bookmarks(log: Sequence[Command]) -> list[dict[str, Any]]:
    """The white cell's notes in a command log: the bookmarks a rewind may go back to."""
    return [
        {"time_s": c.time_s, "text": c.body["text"]}
        for c in log
        if c.kind == "note" and c.seat == "white"
    ]


__all__ = [
    "PARTNER_KINDS",
    "WHITE_KINDS",
    "ClockError",
    "ExerciseSession",
    "Seat",
    "SeatError",
]
