"""Pacing: wall clock to simulation time, outside the engine.

The engine knows only ticks. :class:`Pacer` says how far simulation time
should have got at a wall-clock instant (``anchor_sim + rate * (now -
anchor_wall)``), re-anchors on every start, pause and rate change, and measures
the rate actually achieved over the last few wall seconds, so that the white
cell is told when the machine cannot hold the chosen rate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

#: the rates the white cell may choose
MIN_RATE = 0.5
MAX_RATE = 60.0
#: wall seconds over which the achieved rate is measured
RATE_WINDOW_S = 3.0
#: a run this far behind its target (wall seconds) stops trying to catch up
MAX_LAG_WALL_S = 1.0
#: achieved below this share of the chosen rate is reported as not held
HELD_FRACTION = 0.9


@dataclass
class Pacer:
    """Where simulation time should be, for a chosen rate, at a wall-clock instant."""

    rate: float = 1.0
    running: bool = False
    anchor_wall_s: float = 0.0
    anchor_sim_s: float = 0.0
    _samples: deque[tuple[float, float]] = field(default_factory=deque)

    def start(self, wall_s: float, sim_s: float) -> None:
        """Run from ``sim_s`` at ``wall_s`` (start or resume)."""
        self.running = True
        self._anchor(wall_s, sim_s)
        self._samples.clear()

    def pause(self, wall_s: float, sim_s: float) -> None:
        """Stop the clock at ``sim_s``."""
        self.running = False
        self._anchor(wall_s, sim_s)
        self._samples.clear()

    def set_rate(self, rate: float, wall_s: float, sim_s: float) -> None:
        """Change the rate from now on (clamped to ``[MIN_RATE, MAX_RATE]``)."""
        self.rate = min(max(float(rate), MIN_RATE), MAX_RATE)
        self._anchor(wall_s, sim_s)
        self._samples.clear()

    def target_s(self, wall_s: float, sim_s: float) -> float:
        """Simulation time the run should have reached at ``wall_s`` (``sim_s`` is where it
        is); a run more than :data:`MAX_LAG_WALL_S` behind is re-anchored, so a slow machine
        runs as fast as it can instead of racing to catch up after a stall."""
        if not self.running:
            return sim_s
        target = self.anchor_sim_s + (wall_s - self.anchor_wall_s) * self.rate
        if target - sim_s > MAX_LAG_WALL_S * self.rate:
            self._anchor(wall_s - MAX_LAG_WALL_S, sim_s)
            target = sim_s + MAX_LAG_WALL_S * self.rate
        return target

    def record(self, wall_s: float, sim_s: float) -> None:
        """Note where the run was at ``wall_s`` (for the achieved rate)."""
        self._samples.append((wall_s, sim_s))
        while self._samples and wall_s - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()

    def achieved_rate(self) -> float | None:
        """Simulated seconds per wall second over the last window (None until measurable)."""
        if not self.running or len(self._samples) < 2:
            return None
        (w0, s0), (w1, s1) = self._samples[0], self._samples[-1]
        if w1 - w0 < 0.5:
            return None
        return (s1 - s0) / (w1 - w0)

    def holding(self) -> bool:
        """False when the machine measurably cannot hold the chosen rate."""
        achieved = self.achieved_rate()
        return achieved is None or achieved >= HELD_FRACTION * self.rate

    def _anchor(self, wall_s: float, sim_s: float) -> None:
        self.anchor_wall_s, self.anchor_sim_s = float(wall_s), float(sim_s)


__all__ = ["MAX_RATE", "MIN_RATE", "Pacer"]
