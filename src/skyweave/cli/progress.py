"""Progress as plain lines, for output that is not a terminal (a log file, a scheduler).

A rich progress bar redraws one line in place, which a file or a pipe cannot
show: there each run (or, past 20 runs, each further 5 %) gets a line of its own
with the elapsed time and an estimate of the time left, flushed at once.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}"


class LineProgress:
    """Prints ``label: done/total runs (pct %), elapsed h:mm:ss, ETA h:mm:ss``.

    Parameters
    ----------
    label
        What is running (``compare``, ``batch``).
    stream
        Where the lines go (default: standard output).
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stdout
        self.total = 0
        self.done = 0
        self._resumed = 0
        self._failed = 0
        self._last_step = -1
        self._start = time.monotonic()

    def start(self, total: int, done: int = 0) -> None:
        """Begin (or extend) the count: ``done`` of ``total`` already finished."""
        if self.total == 0:
            self._start = time.monotonic()
            self._resumed = done
        self.total, self.done = total, done

    def extend(self, more: int) -> None:
        """More runs were added (``compare --precision`` adding seeds)."""
        self.total += more

    def advance(self, row: dict[str, Any] | None = None) -> None:
        """One run finished (a batch passes its journal row: failures are counted)."""
        self.done += 1
        if row is not None and row.get("status") != "ok":
            self._failed += 1
        step = self.done if self.total <= 20 else (20 * self.done) // self.total
        if step == self._last_step and self.done < self.total:
            return
        self._last_step = step
        elapsed = time.monotonic() - self._start
        ran = self.done - self._resumed
        left = self.total - self.done
        eta = _clock(elapsed / ran * left) if ran > 0 else "-"
        failed = f", {self._failed} failed" if self._failed else ""
        pct = 100.0 * self.done / self.total if self.total else 100.0
        print(
            f"{self.label}: {self.done}/{self.total} runs ({pct:.0f} %{failed}), "
            f"elapsed {_clock(elapsed)}, ETA {eta}",
            file=self.stream,
            flush=True,
        )

    def stop(self) -> None:
        """Nothing to tidy: every line is already written."""
