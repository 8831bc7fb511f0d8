"""After-action review: the exercise consoles on a finished run, with a time slider.

:class:`ReviewSession` rebuilds the engine from a run folder's
``scenario.json``, seed and ``commands.jsonl`` (checked by
:func:`~skyweave.io.replay_input.check_run_folder`), steps it once over the
whole run at start-up and keeps, at every output time, the frame the white
cell and each partner would have been sent then. Moving the slider only picks
a kept frame, so it is instant, and what a seat sees at time T is exactly what
the engine's per-partner state held at T.

A rewound exercise's branches (:mod:`skyweave.exercise.branches`) are reviewed the
same way: ``branches`` names the line the consoles show (the main line by default)
and the lines replayed beside it, whose counts at the slider's instant the white
cell sees side by side with the shown line's (objects in flight, engagements, each
partner's threats, questions and alerts).

Review is read-only: no seat can order anything (:class:`SeatError`, HTTP 403)
and the only clock control is the white cell's slider (``seek``). The seats and
their tokens are those of a live exercise; partner seats see only their own
view, at the time the white cell has chosen.
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from skyweave.engine.commands import Command
from skyweave.engine.simulation import Simulation, on_grid
from skyweave.engine.snapshots import MAIN
from skyweave.errors import InputError, Problem
from skyweave.exercise.frames import partner_frame, setup_info, truth_frame
from skyweave.exercise.session import ClockError, Seat, SeatedSession, SeatError
from skyweave.io import safe_files
from skyweave.io.replay_input import check_run_folder
from skyweave.io.run_folder import RECORDED_INPUTS
from skyweave.simulation import EVENTS_SCHEMA

#: the events that the review lists as bookmarks (they jump the slider)
BOOKMARK_KINDS = ("note", "bookmark")


def _events(run_dir: Path) -> list[dict[str, Any]] | None:
    """The rows of ``events.parquet`` (None when the folder has none), checked against
    :data:`~skyweave.simulation.EVENTS_SCHEMA` (its SHA-256 was checked with the folder)."""
    path = safe_files.safe_path(run_dir, "events.parquet")
    if not path.exists():
        return None
    table = safe_files.read_parquet(path)
    wanted = {f.name: f.type for f in EVENTS_SCHEMA}
    wrong = [
        n
        for n, t in wanted.items()
        if n not in table.schema.names or table.schema.field(n).type != t
    ]
    if wrong:
        expected = ", ".join(f"{n} ({wanted[n]})" for n in wrong)
        raise InputError(
            [Problem(str(path), f"not the events table Skyweave writes: expected {expected}")]
        )
    rows: list[dict[str, Any]] = table.select(["time_s", "source", "kind", "text"]).to_pylist()
    return rows


def _bookmarks(rows: list[dict[str, Any]] | None, sim: Simulation) -> list[dict[str, Any]]:
    """Notes and bookmarks of the run, from its ``events.parquet`` rows (the replayed
    engine's events when the folder has none)."""
    if rows is None:
        rows = [
            {"time_s": e.time_s, "source": e.source, "kind": e.kind, "text": e.text}
            for e in sim.events
        ]
    return [
        {
            "time_s": float(r["time_s"]),
            "source": str(r["source"]),
            "kind": str(r["kind"]),
            "text": str(r["text"] or ""),
        }
        for r in rows
        if r["kind"] in BOOKMARK_KINDS and not str(r["text"] or "").startswith("ack ")
    ]


def _has(run_dir: str | Path, name: str) -> bool:
    return Path(run_dir).is_dir() and os.path.lexists(Path(run_dir) / name)


class ReviewSession(SeatedSession):
    """A finished run opened for review (see the module docstring).

    Parameters
    ----------
    run_dir : Path
        A run folder written by ``skyweave run`` or ``skyweave exercise``.
    on_progress : callable, optional
        Called with the simulated time as the start-up replay advances.
    branches : sequence of str
        The line of play the consoles show (default: the main line), then the lines
        replayed beside it for the white cell's side-by-side table.

    Raises
    ------
    skyweave.errors.InputError
        The folder cannot be replayed (missing or edited files), naming the file.
    """

    review = True

    def __init__(
        self,
        run_dir: str | Path,
        on_progress: Callable[[float], None] | None = None,
        branches: Sequence[str] = (),
    ) -> None:
        from skyweave.exercise.played import read_played

        # every file the review reads must match summary.json's SHA-256: the replay's
        # inputs and the events table (its notes and bookmarks)
        names = (*RECORDED_INPUTS, *(["events.parquet"] if _has(run_dir, "events.parquet") else []))
        recorded = check_run_folder(run_dir, names)
        self.line = branches[0] if branches else MAIN
        lines = [read_played(Path(run_dir), name) for name in dict.fromkeys(branches)]
        #: every line of play the folder keeps (main first)
        self.all_lines = [b.name for b in read_played(Path(run_dir)).lines]
        # the folder's events table is the main line's: a branch's notes come from its replay
        events = _events(Path(run_dir)) if self.line == MAIN else None
        self.run_dir = Path(run_dir)
        self.scenario = recorded.scenario
        self.seed = recorded.seed
        self.commands: list[Command] = lines[0].commands if lines else recorded.commands
        self.lock = threading.RLock()
        sim = Simulation(recorded.scenario, recorded.seed, self.commands)
        self.partners = list(sim.partners)
        #: output times with a kept frame, ascending
        self.times_s: list[float] = []
        self._truth: list[dict[str, Any]] = []
        self._partner: dict[str, list[dict[str, Any]]] = {p: [] for p in self.partners}
        end_s = lines[0].until_s if lines else recorded.simulated_s
        _replay(sim, end_s, self._keep, on_progress)
        #: the lines beside the shown one: name -> (output times, counts at each)
        self.beside: dict[str, tuple[list[float], list[dict[str, Any]]]] = {}
        for line in lines[1:]:
            kept: tuple[list[float], list[dict[str, Any]]] = ([], [])
            other = Simulation(line.scenario, line.seed, line.commands)
            _replay(other, line.until_s, functools.partial(_keep_counts, kept=kept), on_progress)
            self.beside[line.branch.name] = kept
        if not self.times_s:
            raise ClockError(f"{run_dir}: the run has no tick to review")
        self.end_s = self.times_s[-1]
        self.bookmarks = _bookmarks(events, sim)
        self.index = 0
        self._open_seats(self.partners)
        self.version = 0
        self.ended_dir: Path | None = None
        self._setup_cache: dict[str, dict[str, Any]] = {}

    def _keep(self, sim: Simulation) -> None:
        self.times_s.append(float(sim.time_s))
        self._truth.append(truth_frame(sim))
        for p in self.partners:
            self._partner[p].append(partner_frame(sim, p))

    # -- the slider ------------------------------------------------------------------------

    def start_pacing(self) -> None:
        """Nothing runs in review (the live session's pacing thread has no counterpart)."""

    def stop_pacing(self) -> None:
        """Nothing runs in review."""

    @property
    def time_s(self) -> float:
        """The time every console shows now."""
        return self.times_s[self.index]

    def seek(self, time_s: float) -> float:
        """Show the last kept frame at or before ``time_s`` (clamped to the run); its time."""
        with self.lock:
            k = bisect.bisect_right(self.times_s, float(time_s) + 1e-9) - 1
            self.index = min(max(k, 0), len(self.times_s) - 1)
            self.version += 1
            return self.time_s

    def clock(self, seat: Seat, action: str, rate: float | None = None) -> dict[str, Any]:
        """The white cell's slider: ``seek`` to the time given in ``rate``'s place.

        The live clock's start, pause, step and rate are refused (review is
        read-only), as is any seat but the white cell.
        """
        if seat.role != "white":
            raise SeatError(f"the {seat.name} seat does not own the review slider")
        if action != "seek":
            raise SeatError(f"review is read-only: the slider moves the time, not {action!r}")
        if rate is None:
            raise ValueError("seek: expected time_s, a number of seconds")
        self.seek(float(rate))
        return self.clock_state()

    def clock_state(self) -> dict[str, Any]:
        """The clock as every console shows it (always stopped: ``review`` is set)."""
        return {
            "time_s": self.time_s,
            "tick": self.index,
            "end_s": self.end_s,
            "running": False,
            "rate": 0.0,
            "achieved_rate": None,
            "holding": True,
            "done": False,
            "ended": False,
            "review": True,
        }

    # -- read-only --------------------------------------------------------------------------

    def command(self, seat: Seat, record: dict[str, Any]) -> Command:
        """Refused: no seat orders anything in review (HTTP 403)."""
        raise SeatError("review is read-only: no seat can order anything")

    def end(self, out_dir: Path, overwrite: bool = False) -> Path:
        """Refused: a review has no run folder to write (HTTP 403)."""
        raise SeatError("review is read-only: there is nothing to end")

    # -- what each seat sees --------------------------------------------------------------

    def setup(self, seat: Seat) -> dict[str, Any]:
        """The static part of a seat's console, with the slider's times and the bookmarks."""
        if seat.name not in self._setup_cache:
            info = setup_info(self.scenario, seat.role, seat.partner)
            info["review"] = {
                "run_dir": str(self.run_dir),
                "start_s": self.times_s[0],
                "end_s": self.end_s,
                "step_s": float(self.scenario.output_interval_s),
                "bookmarks": self.bookmarks if seat.role == "white" else [],
                "line": self.line,
                "lines": self.all_lines,
            }
            self._setup_cache[seat.name] = info
        return self._setup_cache[seat.name]

    def partner_frame_at(self, partner: str, time_s: float) -> dict[str, Any]:
        """The kept frame of ``partner`` at the last output time at or before ``time_s``."""
        k = max(bisect.bisect_right(self.times_s, float(time_s) + 1e-9) - 1, 0)
        return self._partner[partner][k]

    def frame(self, seat: Seat, view_as: str | None = None) -> dict[str, Any]:
        """A seat's console at the slider's time: a partner's own view, or the truth
        (white cell, observer) with, for the white cell, every partner's view at the same
        instant (``views``) and the one to draw (``view_as``)."""
        with self.lock:
            k = self.index
            head = {"seat": seat.name, "version": self.version, "clock": self.clock_state()}
            if seat.role == "partner":
                assert seat.partner is not None
                return {**self._partner[seat.partner][k], **head}
            frame = {**self._truth[k], **head}
            if seat.role == "white":
                frame["bookmarks"] = self.bookmarks
                frame["views"] = {p: _summary(self._partner[p][k]) for p in self.partners}
                frame["lines"] = self.line_rows(self.times_s[k])
                if view_as in self.partners:
                    frame["view_as"] = self._partner[view_as][k]
            return frame

    def line_rows(self, time_s: float) -> list[dict[str, Any]]:
        """The shown line and each line beside it at ``time_s``, one row each."""
        k = max(bisect.bisect_right(self.times_s, float(time_s) + 1e-9) - 1, 0)
        shown = {
            "objects": len(self._truth[k]["objects"]),
            "engagements": len(self._truth[k]["engagements"]),
            "views": {p: _summary(self._partner[p][k]) for p in self.partners},
        }
        rows = [{"line": self.line, "shown": True, "time_s": self.times_s[k], **shown}]
        for name, (times, counts) in self.beside.items():
            j = bisect.bisect_right(times, float(time_s) + 1e-9) - 1
            if j >= 0:
                rows.append({"line": name, "shown": False, "time_s": times[j], **counts[j]})
        return rows


def _replay(
    sim: Simulation,
    end_s: float,
    keep: Callable[[Simulation], None],
    on_progress: Callable[[float], None] | None,
) -> None:
    """Step ``sim`` to ``end_s``, calling ``keep`` at every output time and the last tick."""
    end_s = min(end_s, sim.end_s)
    while not sim.done and sim.times_s[sim.tick + 1] <= end_s + 1e-9:
        sim.step()
        # keep the output times, and the last tick so the run's end is reachable
        last = sim.done or sim.times_s[sim.tick + 1] > end_s + 1e-9
        if on_grid(sim.time_s, sim.output_interval_s) or last:
            keep(sim)
            if on_progress is not None:
                on_progress(sim.time_s)


def _keep_counts(sim: Simulation, kept: tuple[list[float], list[dict[str, Any]]]) -> None:
    """A line beside the shown one: its counts at this output time."""
    truth = truth_frame(sim)
    kept[0].append(float(sim.time_s))
    kept[1].append(
        {
            "objects": len(truth["objects"]),
            "engagements": len(truth["engagements"]),
            "views": {p: _summary(partner_frame(sim, p)) for p in sim.partners},
        }
    )


def _summary(frame: dict[str, Any]) -> dict[str, Any]:
    """One partner's view in a line of the side-by-side table."""
    return {
        "tracks": len(frame["tracks"]),
        "alerts": frame["alert_count"],
        "threats": len(frame["threats"]),
        "questions": len(frame["questions"]),
        "held": [b["id"] for b in frame["batteries"] if b["held"]],
        "engagements": len(frame["engagements"]),
        "picture_time_s": frame["picture_time_s"],
    }


__all__ = ["ReviewSession"]
