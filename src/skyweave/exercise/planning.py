"""The planning phase: each partner's staff plans its part, the white cell locks the plan.

A :class:`PlanningSession` holds one plan over a base scenario, shared by the seats of
the exercise (the same tokens: :class:`~skyweave.exercise.session.SeatedSession`):

* each partner places its batteries and ground radars (inside its deployment areas,
  :mod:`skyweave.scenario.deployment`), sets the value of its defended assets (the
  priority threat evaluation weighs them by), offers releases per data class to each
  other partner and accepts or declines what others offer it, and sets its consent rule;
* a release takes effect only when its receiver has accepted it: the produced policy
  holds exactly the agreed (originator, receiver, data class) triples, and both sides
  see the agreement;
* every accepted edit is a new version of the plan (:attr:`PlanningSession.versions`);
* the white cell sees every partner's plan and locks it (no edit after that); the
  locked plan is the scenario the exercise clock then runs.

Every edit is checked by the project's one command validator
(:func:`~skyweave.engine.command_validation.validate_record`, with this module's table
of edit kinds :data:`EDIT_KINDS`): a malformed edit is an
:class:`~skyweave.errors.InputError` naming the field (HTTP 400), an edit of another
partner's unit a :class:`~skyweave.exercise.session.SeatError` (403), an edit the plan
refuses (a unit outside its areas, an unknown asset) a :class:`PlanRefused` (422) and
an edit of a locked plan a :class:`PlanLocked` (409). The assessment of a plan
(:mod:`skyweave.exercise.plan_assess`) runs in the background.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, get_args

from skyweave.engine.command_validation import (
    Choice,
    FieldType,
    Flag,
    Id,
    KindFields,
    _shown,
    validate_record,
)
from skyweave.errors import InputError, Problem
from skyweave.exercise.plan_assess import Assessment, coverage_rows
from skyweave.exercise.session import Seat, SeatedSession, SeatError
from skyweave.scenario.deployment import deployment_problems, placement_problem
from skyweave.scenario.load import check_references, format_loc
from skyweave.scenario.schema import DataClass, Radar, ReleaseRule, Scenario

#: the data classes a partner may offer, in the order the console lists them
DATA_CLASSES: tuple[str, ...] = get_args(DataClass)
CONSENT_POLICIES = ("always", "never", "after_delay")
#: most seeded runs one assessment may ask for
MAX_ASSESS_RUNS = 200
PLAN_FORMAT = 1
#: most versions one plan keeps (every accepted edit is one)
MAX_VERSIONS = 10_000


class PlanRefused(Exception):
    """The plan refuses a well-formed edit (a unit outside its areas; HTTP 422)."""


class PlanLocked(Exception):
    """The plan is locked (or the phase is over): no edit now (HTTP 409)."""


@dataclass(frozen=True)
class Number(FieldType):
    """A finite number from ``low`` to ``high`` (``low`` excluded with ``open_low``)."""

    low: float
    high: float
    open_low: bool = False

    def check(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {_shown(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return "expected a finite number"
        if abs(value) > 1e12:  # before float(): a 400-digit integer must not overflow
            return f"expected a number from {self.low:g} to {self.high:g}"
        below = value <= self.low if self.open_low else value < self.low
        if below or value > self.high:
            side = "above" if self.open_low else "from"
            return f"expected a number {side} {self.low:g} to {self.high:g}, got {_shown(value)}"
        return None


#: the plan edits a partner's staff may make, as the command validator's table
EDIT_KINDS: dict[str, KindFields] = {
    "place": KindFields(
        required={"unit": Id(), "lat_deg": Number(-90.0, 90.0), "lon_deg": Number(-180.0, 360.0)}
    ),
    "asset_value": KindFields(required={"asset": Id(), "value": Number(0.0, 1e6, True)}),
    "offer": KindFields(
        required={"to": Id(), "data_class": Choice(DATA_CLASSES), "release": Flag()}
    ),
    "accept": KindFields(
        required={"from": Id(), "data_class": Choice(DATA_CLASSES), "accept": Flag()}
    ),
    "consent": KindFields(
        required={"policy": Choice(CONSENT_POLICIES)}, optional={"delay_s": Number(0.0, 3_600.0)}
    ),
}


@dataclass
class PlanState:
    """The plan's editable part (copied whole into each version)."""

    #: unit id -> (lat_deg, lon_deg)
    placements: dict[str, tuple[float, float]]
    #: asset id -> value
    values: dict[str, float]
    #: (from, to, data class) offered by ``from``
    offered: set[tuple[str, str, str]]
    #: (from, to, data class) accepted by ``to``
    accepted: set[tuple[str, str, str]]
    #: partner -> (consent policy, delay_s)
    consent: dict[str, tuple[str, float]]

    def copy(self) -> PlanState:
        return PlanState(
            dict(self.placements),
            dict(self.values),
            set(self.offered),
            set(self.accepted),
            dict(self.consent),
        )

    def agreed(self) -> set[tuple[str, str, str]]:
        """The releases in force: offered by the originator and accepted by the receiver."""
        return self.offered & self.accepted


@dataclass
class Version:
    """One version of the plan: the edit that made it, by whom, and the plan after it."""

    number: int
    seat: str
    edit: dict[str, Any]
    state: PlanState
    wall_time: float = field(default_factory=time.time)


def initial_state(scenario: Scenario) -> PlanState:
    """The plan as the scenario gives it: every rule of its policy offered and accepted."""
    placements = {b.id: (b.lat_deg, b.lon_deg) for b in scenario.batteries}
    placements |= {s.id: (s.lat_deg, s.lon_deg) for s in scenario.sensors if isinstance(s, Radar)}
    triples = {
        (rule.from_partner, to, rule.data_class)
        for rule in scenario.policy
        for to in rule.to
        if to != rule.from_partner
    }
    return PlanState(
        placements,
        {a.id: a.value for a in scenario.defended_assets},
        set(triples),
        set(triples),
        {
            p.id: (p.engagement.consent.policy, p.engagement.consent.delay_s)
            for p in scenario.partners
        },
    )


def agreed_policy(base: Scenario, agreed: set[tuple[str, str, str]]) -> list[ReleaseRule]:
    """The release rules of the ``agreed`` (originator, receiver, data class) triples.

    Each of the base's rules is kept (its delay and degradation) for the receivers that
    still agree; each agreed release the base did not hold gets a rule without delay or
    degradation. With every base release agreed, the base's policy comes back.
    """
    policy: list[ReleaseRule] = []
    covered: set[tuple[str, str, str]] = set()
    for rule in base.policy:
        keep = [
            to
            for to in rule.to
            if (rule.from_partner, to, rule.data_class) in agreed
            and (rule.from_partner, to, rule.data_class) not in covered
        ]
        covered |= {(rule.from_partner, to, rule.data_class) for to in keep}
        if keep:
            policy.append(rule.model_copy(update={"to": keep}))
    partner_order = {p.id: k for k, p in enumerate(base.partners)}
    for origin, to, data_class in sorted(
        agreed - covered,
        key=lambda t: (partner_order[t[0]], DATA_CLASSES.index(t[2]), partner_order[t[1]]),
    ):
        policy.append(
            ReleaseRule.model_validate({"from": origin, "to": [to], "data_class": data_class})
        )
    return policy


def scenario_of(base: Scenario, state: PlanState) -> Scenario:
    """The scenario a plan produces from ``base``: units where the plan places them, asset
    values, consent rules and the agreed releases (:func:`agreed_policy`).

    Raises
    ------
    InputError
        The produced scenario fails a check a scenario file would (never expected: every
        edit was checked).
    """
    policy = agreed_policy(base, state.agreed())

    def placed(unit: Any) -> Any:
        lat, lon = state.placements.get(unit.id, (unit.lat_deg, unit.lon_deg))
        if (lat, lon) == (unit.lat_deg, unit.lon_deg):
            return unit
        return unit.model_copy(update={"lat_deg": lat, "lon_deg": lon})

    partners = []
    for p in base.partners:
        policy_name, delay_s = state.consent[p.id]
        consent = p.engagement.consent.model_copy(
            update={"policy": policy_name, "delay_s": delay_s}
        )
        engagement = p.engagement.model_copy(update={"consent": consent})
        partners.append(p.model_copy(update={"engagement": engagement}))
    produced = base.model_copy(
        update={
            "batteries": [placed(b) for b in base.batteries],
            "sensors": [placed(s) if isinstance(s, Radar) else s for s in base.sensors],
            "defended_assets": [
                a.model_copy(update={"value": state.values[a.id]}) for a in base.defended_assets
            ],
            "partners": partners,
            "policy": policy,
        }
    )
    # the produced scenario goes through the same checks as a file: a plan cannot make
    # a scenario the loader would refuse
    checked = Scenario.model_validate(produced.model_dump(by_alias=True, mode="json"))
    wrong = check_references(checked) + deployment_problems(checked)
    if wrong:
        raise InputError([Problem("plan", msg, format_loc(loc)) for loc, msg in wrong])
    return checked


class PlanningSession(SeatedSession):
    """One planning phase over ``scenario`` (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The base scenario: forces, threats, deployment areas.
    seed : int
        The exercise's seed: the assessment's runs derive theirs from it.
    workers : int
        Processes of an assessment's pool (1: the runs go one after another in a
        background thread of this process).
    """

    def __init__(self, scenario: Scenario, seed: int, workers: int = 2) -> None:
        self.base = scenario
        self.seed = int(seed)
        self.workers = max(1, int(workers))
        self.lock = threading.RLock()
        self._open_seats([p.id for p in scenario.partners])
        state = initial_state(scenario)
        self.versions: list[Version] = [Version(0, "scenario", {"kind": "initial"}, state)]
        self.locked_version: int | None = None
        self.started = False  # the exercise has started from the locked plan
        self.assessment: Assessment | None = None
        self._partners = [p.id for p in scenario.partners]
        self._unit_owner: dict[str, tuple[str, str]] = {
            b.id: (b.partner, "batteries") for b in scenario.batteries
        }
        self._unit_owner |= {
            s.id: (s.partner, "radars") for s in scenario.sensors if isinstance(s, Radar)
        }
        self._asset_owner = {a.id: a.partner for a in scenario.defended_assets}
        self.change = 0  # bumped on every change a console shows (edit, lock, progress)
        #: what the white cell's start does: "exercise" (the clock runs the locked plan)
        #: or "write" (skyweave plan: the locked plan is written and planning ends)
        self.ends_with = "exercise"
        self._produced: tuple[int, Scenario] = (0, scenario_of(scenario, state))

    # -- reading -------------------------------------------------------------------------

    @property
    def state(self) -> PlanState:
        """The current plan."""
        return self.versions[-1].state

    @property
    def version(self) -> int:
        """The current version's number."""
        return self.versions[-1].number

    @property
    def locked(self) -> bool:
        return self.locked_version is not None

    def scenario(self) -> Scenario:
        """The scenario the current plan produces (made once per version)."""
        with self.lock:
            if self._produced[0] != self.version:
                self._produced = (self.version, scenario_of(self.base, self.state))
            return self._produced[1]

    def locked_scenario(self) -> Scenario:
        """The scenario of the locked plan (PlanLocked's opposite: refused when unlocked)."""
        with self.lock:
            if self.locked_version is None:
                raise PlanLocked("the plan is not locked yet")
            return scenario_of(self.base, self.versions[self.locked_version].state)

    # -- editing -------------------------------------------------------------------------

    def edit(self, seat: Seat, record: Any) -> int:
        """Check and apply one edit from ``seat``; the new version's number.

        Raises
        ------
        InputError
            Malformed (400), naming the field.
        SeatError
            Not this seat's to edit (403).
        PlanRefused
            Well-formed but refused by the plan (422).
        PlanLocked
            The plan is locked (409).
        """
        if seat.role != "partner" or seat.partner is None:
            raise SeatError(f"the {seat.name} seat does not plan; each partner's staff plans")
        if not isinstance(record, dict):
            raise InputError([Problem("plan edit", "expected a JSON object")])
        # the seat and time are the server's to say, never the body's
        body = {k: v for k, v in record.items() if k not in ("seat", "time_s")}
        _, _, kind, fields = validate_record(
            {**body, "seat": seat.name, "time_s": 0.0}, EDIT_KINDS, "plan edit"
        )
        me = seat.partner
        with self.lock:
            if self.locked or self.started:
                raise PlanLocked("the plan is locked: the white cell must unlock it first")
            if len(self.versions) > MAX_VERSIONS:
                raise PlanRefused(f"the plan has {MAX_VERSIONS:,} versions: no more edits")
            state = self.state.copy()
            getattr(self, f"_edit_{kind}")(me, state, fields)
            number = self.version + 1
            self.versions.append(Version(number, seat.name, {"kind": kind, **fields}, state))
            self.change += 1
            return number

    def _edit_place(self, me: str, state: PlanState, f: dict[str, Any]) -> None:
        unit = f["unit"]
        owner = self._unit_owner.get(unit)
        if owner is None:
            raise PlanRefused(f"unit: no battery or ground radar '{unit}'")
        if owner[0] != me:
            raise SeatError(f"unit: '{unit}' is {owner[0]}'s; a staff places only its own units")
        lat, lon = float(f["lat_deg"]), float(f["lon_deg"])
        wrong = placement_problem(self.base.deployment_areas, me, owner[1], lat, lon)
        if wrong:
            raise PlanRefused(f"lat_deg, lon_deg: '{unit}' at {wrong}")
        state.placements[unit] = (lat, lon)

    def _edit_asset_value(self, me: str, state: PlanState, f: dict[str, Any]) -> None:
        asset = f["asset"]
        owner = self._asset_owner.get(asset)
        if owner is None:
            raise PlanRefused(f"asset: no defended asset '{asset}'")
        if owner != me:
            raise SeatError(f"asset: '{asset}' is {owner}'s; a staff values only its own assets")
        state.values[asset] = float(f["value"])

    def _other(self, me: str, pid: str, name: str) -> None:
        if pid == me:
            raise PlanRefused(f"{name}: a partner does not release to itself")
        if pid not in self._partners:
            raise PlanRefused(f"{name}: unknown partner '{pid}'; partners are {self._partners}")

    def _edit_offer(self, me: str, state: PlanState, f: dict[str, Any]) -> None:
        self._other(me, f["to"], "to")
        triple = (me, f["to"], f["data_class"])
        (state.offered.add if f["release"] else state.offered.discard)(triple)

    def _edit_accept(self, me: str, state: PlanState, f: dict[str, Any]) -> None:
        self._other(me, f["from"], "from")
        triple = (f["from"], me, f["data_class"])
        (state.accepted.add if f["accept"] else state.accepted.discard)(triple)

    def _edit_consent(self, me: str, state: PlanState, f: dict[str, Any]) -> None:
        delay_s = float(f.get("delay_s", state.consent[me][1]))
        state.consent[me] = (f["policy"], delay_s)

    # -- the white cell ------------------------------------------------------------------

    def set_lock(self, seat: Seat, locked: bool) -> dict[str, Any]:
        """Lock the current version (or unlock it) — the white cell only."""
        if seat.role != "white":
            raise SeatError(f"the {seat.name} seat does not lock the plan; the white cell does")
        with self.lock:
            if self.started:
                raise PlanLocked("the exercise has started from the locked plan")
            if locked:
                self.scenario()  # a plan that cannot run is not locked
                self.locked_version = self.version
            else:
                self.locked_version = None
            self.change += 1
            return {"locked": self.locked, "locked_version": self.locked_version}

    def assess(self, seat: Seat, runs: int) -> dict[str, Any]:
        """Start ``runs`` seeded runs of the current plan in the background."""
        if seat.role not in ("white", "partner"):
            raise SeatError(f"the {seat.name} seat does not assess plans")
        if isinstance(runs, bool) or not isinstance(runs, int) or not 2 <= runs <= MAX_ASSESS_RUNS:
            raise InputError(
                [Problem("assess", f"expected a whole number from 2 to {MAX_ASSESS_RUNS}", "runs")]
            )
        with self.lock:
            if self.assessment is not None and self.assessment.running:
                raise PlanLocked("an assessment is running; wait for it to finish")
            self.assessment = Assessment(
                self.scenario(), self.version, self.seed, runs, self.workers, self._bump
            )
            self.change += 1
        self.assessment.start()
        return self.assessment.view()

    def _bump(self) -> None:
        with self.lock:
            self.change += 1

    # -- what each seat sees -------------------------------------------------------------

    def view(self, seat: Seat) -> dict[str, Any]:
        """The plan as ``seat`` sees it: a partner its own units and assets (and those it
        defends), the releases it gives or receives, its consent rule; the white cell and
        the observer everything."""
        with self.lock:
            state, base = self.state, self.base
            mine = seat.partner if seat.role == "partner" else None
            units = self._units_view(mine)
            assets = self._assets_view(mine)
            return {
                "type": "plan",
                "seat": seat.name,
                "role": seat.role,
                "partner": mine,
                "scenario": base.name,
                "version": self.version,
                "locked": self.locked,
                "locked_version": self.locked_version,
                "started": self.started,
                "ends_with": self.ends_with,
                "partners": [
                    {"id": p.id, "name": p.name or p.id, "color": p.color or "#555555"}
                    for p in base.partners
                ],
                "units": units,
                "assets": assets,
                "areas": [
                    a.model_dump(mode="json")
                    for a in base.deployment_areas
                    if mine is None or a.partner == mine
                ],
                "releases": self._releases_view(mine),
                "consent": {
                    pid: {"policy": c[0], "delay_s": c[1]}
                    for pid, c in state.consent.items()
                    if mine is None or pid == mine
                },
                "coverage": coverage_rows(
                    self.scenario(), [str(a["id"]) for a in assets], {str(u["id"]) for u in units}
                ),
                "history": [
                    {"version": v.number, "seat": v.seat, "edit": v.edit}
                    for v in self.versions[-30:]
                    if mine is None or v.seat in (mine, "scenario")
                ],
                "assessment": None if self.assessment is None else self.assessment.view(),
                "data_classes": list(DATA_CLASSES),
            }

    def _units_view(self, mine: str | None) -> list[dict[str, Any]]:
        """The batteries and ground radars ``mine`` places (every one for None)."""
        placements = self.state.placements
        return [
            {
                "id": uid,
                "partner": owner,
                "kind": kind,
                "lat_deg": placements[uid][0],
                "lon_deg": placements[uid][1],
                **self._unit_extra(uid),
            }
            for uid, (owner, kind) in self._unit_owner.items()
            if mine is None or owner == mine
        ]

    def _assets_view(self, mine: str | None) -> list[dict[str, Any]]:
        """The defended assets of ``mine`` and of the partners it defends (all for None)."""
        defended = set(self._partners)
        if mine is not None:
            me = next(p for p in self.base.partners if p.id == mine)
            defended = {mine, *me.engagement.defend}
        return [
            {
                "id": a.id,
                "partner": a.partner,
                "name": a.name,
                "lat_deg": a.lat_deg,
                "lon_deg": a.lon_deg,
                "value": self.state.values[a.id],
            }
            for a in self.base.defended_assets
            if a.partner in defended
        ]

    def _releases_view(self, mine: str | None) -> list[dict[str, Any]]:
        """Every (originator, receiver, data class) ``mine`` is one end of (all for None),
        with whether it is offered, accepted and so agreed."""
        state = self.state
        rows = []
        for origin in self._partners:
            for to in self._partners:
                if origin == to or (mine is not None and mine not in (origin, to)):
                    continue
                for dc in DATA_CLASSES:
                    offered = (origin, to, dc) in state.offered
                    accepted = (origin, to, dc) in state.accepted
                    rows.append(
                        {
                            "from": origin,
                            "to": to,
                            "data_class": dc,
                            "offered": offered,
                            "accepted": accepted,
                            "agreed": offered and accepted,
                        }
                    )
        return rows

    def _unit_extra(self, uid: str) -> dict[str, Any]:
        for b in self.base.batteries:
            if b.id == uid:
                return {"max_range_km": b.max_range_km, "role": "battery"}
        for s in self.base.sensors:
            if isinstance(s, Radar) and s.id == uid:
                return {
                    "max_range_km": s.max_range_km,
                    "role": s.role,
                    "boresight_az_deg": s.boresight_az_deg,
                    "sector_half_width_deg": s.sector_half_width_deg,
                }
        return {}

    def record(self) -> dict[str, Any]:
        """``plan.json``: the locked plan, every version's edit, its assessment."""
        with self.lock:
            if self.locked_version is None:
                raise PlanLocked("the plan is not locked yet")
            locked = self.versions[self.locked_version].state
            scenario = scenario_of(self.base, locked)
            assessment = None if self.assessment is None else self.assessment.view()
            return {
                "format": PLAN_FORMAT,
                "scenario": self.base.name,
                "seed": self.seed,
                "locked_version": self.locked_version,
                "placements": {
                    uid: {"lat_deg": lat, "lon_deg": lon}
                    for uid, (lat, lon) in sorted(locked.placements.items())
                },
                "asset_values": dict(sorted(locked.values.items())),
                "releases": [
                    {"from": o, "to": t, "data_class": d, "agreed": (o, t, d) in locked.agreed()}
                    for (o, t, d) in sorted(locked.offered | locked.accepted)
                ],
                "consent": {
                    pid: {"policy": c[0], "delay_s": c[1]} for pid, c in locked.consent.items()
                },
                "coverage": coverage_rows(
                    scenario, [a.id for a in self.base.defended_assets], set(self._unit_owner)
                ),
                "versions": [
                    {"version": v.number, "seat": v.seat, "edit": v.edit}
                    for v in self.versions[: self.locked_version + 1]
                ],
                "assessment": assessment,
                "assessment_of_locked": assessment is not None
                and assessment["version"] == self.locked_version,
            }


__all__ = [
    "DATA_CLASSES",
    "EDIT_KINDS",
    "PlanLocked",
    "PlanRefused",
    "PlanState",
    "PlanningSession",
    "agreed_policy",
    "initial_state",
    "scenario_of",
]
