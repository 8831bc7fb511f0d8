"""Operator consent to engagement orders: questions with deadlines, answered by staff or policy.

Each partner's orders may need an operator's consent
(``partners[].engagement.consent``). ``always`` grants at once and ``never``
refuses at once; ``after_delay`` opens a **question** with a deadline
``delay_s`` after it was asked. The partner's staff may answer it before the
deadline (a ``consent`` command, by question id); at the deadline the policy
answers (granted). Every decision is recorded in ``events.parquet`` (kind
``consent_granted`` or ``consent_denied`` at the time it was answered, the
battery as ``target``, the question, decision cycle, track and time asked in
``text``). Answers are commands stamped with simulation time, so a run with its
command log replays bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skyweave.scenario.schema import Consent


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
    question_id: str = ""
    by: str = "policy"

    def event_text(self) -> str:
        """The decision as the ``text`` of its ``events.parquet`` row."""
        return (
            f"question={self.question_id or '-'} cycle={self.decision_cycle} "
            f"track={self.track_id} asked_s={self.asked_s!r} partner={self.partner} by={self.by}"
        )


@dataclass(frozen=True)
class ConsentQuestion:
    """An order waiting for a partner's consent, with its deadline in simulation time."""

    question_id: str
    partner: str
    battery_id: str
    track_id: str
    decision_cycle: int
    asked_s: float
    deadline_s: float
    asker: str  # the command post (or coalition cell) whose order it is
    #: the planned intercept if consent comes by the deadline (ECEF m; NaN if unknown)
    intercept_time_s: float = float("nan")
    intercept_ecef_m: tuple[float, float, float] = (float("nan"),) * 3


class ConsentDesk:
    """Open questions and their answers, one desk for the whole run.

    Parameters
    ----------
    rules : mapping
        Partner id to its :class:`~skyweave.scenario.schema.Consent` rule.
    """

    def __init__(self, rules: Mapping[str, Consent]) -> None:
        self._rules = dict(rules)
        # keyed by (partner, id): ids are per partner, so that no partner can tell from
        # its own ids how many questions another partner was asked
        self._open: dict[tuple[str, str], ConsentQuestion] = {}
        self._answered: list[tuple[ConsentQuestion, ConsentDecision]] = []
        self._counts: dict[str, int] = {}
        self._asked_order: dict[tuple[str, str], int] = {}

    def ask(
        self,
        asker: str,
        partner: str,
        decision_cycle: int,
        battery_id: str,
        track_id: str,
        asked_s: float,
        intercept_time_s: float = float("nan"),
        intercept_ecef_m: tuple[float, float, float] = (float("nan"),) * 3,
    ) -> ConsentDecision | ConsentQuestion:
        """A decision at once (``always``/``never``) or an open question (``after_delay``)
        carrying the planned intercept (if consent comes by the deadline)."""
        rule = self._rules[partner]
        if rule.policy != "after_delay":
            return ConsentDecision(
                decision_cycle,
                partner,
                battery_id,
                track_id,
                asked_s,
                asked_s,
                rule.policy == "always",
            )
        self._counts[partner] = self._counts.get(partner, 0) + 1
        q = ConsentQuestion(
            f"q{self._counts[partner]}",
            partner,
            battery_id,
            track_id,
            decision_cycle,
            asked_s,
            asked_s + rule.delay_s,
            asker,
            float(intercept_time_s),
            (float(intercept_ecef_m[0]), float(intercept_ecef_m[1]), float(intercept_ecef_m[2])),
        )
        self._open[(partner, q.question_id)] = q
        self._asked_order[(partner, q.question_id)] = len(self._asked_order)
        return q

    def answer(self, question_id: str, granted: bool, time_s: float, seat: str) -> str | None:
        """Answer an open question now; the reason it cannot be, or None.

        A partner's staff answers its own questions (ids are per partner); the white cell
        answers the first open question with that id. Another partner's question gets
        the same answer as an id nobody was asked, so it tells the seat nothing.
        """
        if seat == "white":
            found = [q for (_, qid), q in self._open.items() if qid == question_id]
            q = found[0] if found else None
        else:
            q = self._open.get((seat, question_id))
        if q is None:
            return f"no open consent question {question_id!r}"
        if time_s > q.deadline_s:  # the seat's own question: telling it so leaks nothing
            return f"question {question_id} was answered by policy at its deadline"
        del self._open[(q.partner, question_id)]
        self._answered.append((q, self._decision(q, time_s, granted, seat)))
        return None

    def due(self, time_s: float) -> list[tuple[ConsentQuestion, ConsentDecision]]:
        """Questions answered by ``time_s`` (by staff, or by policy at the deadline)."""
        for key, q in list(self._open.items()):
            if q.deadline_s <= time_s:
                del self._open[key]
                self._answered.append((q, self._decision(q, q.deadline_s, True, "policy")))
        out = sorted(
            (a for a in self._answered if a[1].answered_s <= time_s),
            key=lambda a: (a[1].answered_s, self._asked_order[(a[0].partner, a[0].question_id)]),
        )
        self._answered = [a for a in self._answered if a[1].answered_s > time_s]
        return out

    def open_questions(self, partner: str | None = None) -> list[ConsentQuestion]:
        """Questions still open, oldest first (one partner's, or all)."""
        return [q for q in self._open.values() if partner is None or q.partner == partner]

    def waiting(self, asker: str) -> list[ConsentQuestion]:
        """Questions of one asker not yet handed back by :meth:`due`."""
        return [q for q in self._open.values() if q.asker == asker] + [
            q for q, _ in self._answered if q.asker == asker
        ]

    @staticmethod
    def _decision(q: ConsentQuestion, time_s: float, granted: bool, by: str) -> ConsentDecision:
        return ConsentDecision(
            q.decision_cycle,
            q.partner,
            q.battery_id,
            q.track_id,
            q.asked_s,
            float(time_s),
            granted,
            q.question_id,
            by,
        )


__all__ = ["ConsentDecision", "ConsentDesk", "ConsentQuestion"]
