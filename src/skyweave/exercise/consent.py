"""Operator consent to engagement orders: policies for batch runs, recorded decisions for replay.

Each partner's orders may need an operator's consent
(``partners[].engagement.consent``). In a batch run a policy answers:
``always`` (at once), ``never``, or ``after_delay`` (``delay_s`` later). Every
decision is recorded in ``events.parquet`` (kind ``consent_granted`` or
``consent_denied`` at the time it was answered, the battery as ``target``, the
decision cycle, track and time asked in ``text``), and
:class:`RecordedConsent` answers a replay from those rows, so
``skyweave run --replay RUN_DIR`` reproduces the run bit for bit. A live console
answers through the same :class:`ConsentPolicy` protocol.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from skyweave.scenario.schema import Scenario


@dataclass(frozen=True)
class ConsentDecision:
    """One operator decision on one engagement order."""

    decision_cycle: int
    partner: str
    battery_id: str
    track_id: str
    asked_s: float
    answered_s: float
    granted: bool

    def event_text(self) -> str:
        """The decision as the ``text`` of its ``events.parquet`` row (parsed by replay)."""
        return (
            f"cycle={self.decision_cycle} track={self.track_id} "
            f"asked_s={self.asked_s!r} partner={self.partner}"
        )


_EVENT_TEXT = re.compile(
    r"^cycle=(?P<cycle>\d+) track=(?P<track>\S+) asked_s=(?P<asked>\S+) partner=(?P<partner>\S+)$"
)


class ConsentPolicy(Protocol):
    """Answers engagement orders that need an operator's consent."""

    def answer(
        self, partner: str, decision_cycle: int, battery_id: str, track_id: str, asked_s: float
    ) -> ConsentDecision:
        """The decision on one order (its ``answered_s`` may be later than ``asked_s``)."""
        ...

    def begin_pass(self) -> None:
        """A new pass of the run's engagement feedback loop starts."""
        ...

    def unanswered(self) -> list[str]:
        """Questions of the current pass the policy could not answer itself (replay)."""
        ...


@dataclass(frozen=True)
class ScenarioConsent:
    """The scenario's consent policies (``partners[].engagement.consent``), for batch runs."""

    scenario: Scenario

    def answer(
        self, partner: str, decision_cycle: int, battery_id: str, track_id: str, asked_s: float
    ) -> ConsentDecision:
        """Always / never / after the partner's delay."""
        rule = next(p for p in self.scenario.partners if p.id == partner).engagement.consent
        granted = rule.policy != "never"
        answered = asked_s + (rule.delay_s if rule.policy == "after_delay" else 0.0)
        return ConsentDecision(
            decision_cycle, partner, battery_id, track_id, asked_s, answered, granted
        )

    def begin_pass(self) -> None:
        """Nothing to reset: a policy answers every question."""

    def unanswered(self) -> list[str]:
        """None: a policy answers every question."""
        return []


class ReplayMismatch(RuntimeError):
    """A replayed run asked for a consent decision the recording does not hold."""


@dataclass
class RecordedConsent:
    """Answers from a run's recorded decisions (``skyweave run --replay``).

    The run settles its engagement feedback in passes (see
    :func:`skyweave.simulation.track_warn_and_engage`); only the last, consistent
    pass asks exactly the recorded questions. Earlier passes may ask others:
    ``fallback`` answers those, and :meth:`unanswered` lists them so the run can
    check that its final pass needed none.
    """

    decisions: dict[tuple[int, str, str], ConsentDecision] = field(default_factory=dict)
    fallback: ConsentPolicy | None = None
    _missing: list[str] = field(default_factory=list)

    @classmethod
    def from_events(
        cls,
        time_s: Sequence[float],
        kind: Sequence[str],
        target: Sequence[str | None],
        text: Sequence[str],
        fallback: ConsentPolicy | None = None,
    ) -> RecordedConsent:
        """From the columns of ``events.parquet`` (rows of kind ``consent_granted``/``_denied``)."""
        out = cls(fallback=fallback)
        for t, k, battery, note in zip(time_s, kind, target, text, strict=True):
            if k not in ("consent_granted", "consent_denied") or battery is None:
                continue
            m = _EVENT_TEXT.match(note)
            if m is None:
                raise ValueError(f"events.parquet: unreadable consent record {note!r}")
            d = ConsentDecision(
                int(m["cycle"]),
                m["partner"],
                battery,
                m["track"],
                float(m["asked"]),
                float(t),
                k == "consent_granted",
            )
            out.decisions[(d.decision_cycle, d.battery_id, d.track_id)] = d
        return out

    def answer(
        self, partner: str, decision_cycle: int, battery_id: str, track_id: str, asked_s: float
    ) -> ConsentDecision:
        """The recorded decision; else the fallback's (noted), or :class:`ReplayMismatch`."""
        d = self.decisions.get((decision_cycle, battery_id, track_id))
        if d is not None:
            return d
        question = (
            f"no recorded decision for battery {battery_id} on track {track_id} "
            f"in decision cycle {decision_cycle} (t = {asked_s:g} s): the run differs "
            "from the recording (scenario, seed or Skyweave version)"
        )
        if self.fallback is None:
            raise ReplayMismatch(question)
        self._missing.append(question)
        return self.fallback.answer(partner, decision_cycle, battery_id, track_id, asked_s)

    def begin_pass(self) -> None:
        """Forget the previous pass's unanswered questions."""
        self._missing.clear()

    def unanswered(self) -> list[str]:
        """Questions of this pass the recording did not hold."""
        return list(self._missing)


__all__ = [
    "ConsentDecision",
    "ConsentPolicy",
    "RecordedConsent",
    "ReplayMismatch",
    "ScenarioConsent",
]
