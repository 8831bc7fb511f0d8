"""Live DIS: the PDUs of a run sent while it computes, tick by tick, paced.

:class:`DisStreamer` is an ``on_tick`` callback of
:func:`skyweave.simulation.run_scenario`. After every tick it reads the
simulation (never changes it) and sends, through a :class:`~skyweave.io.dis.DisSender`:

* at every output time step, an **Entity State PDU** for every object in flight
  (threats, and every interceptor shot flying its straight flyout), one more
  (appearance "deactivated", "destroyed" for a kill or an interceptor that
  reached its target) at the first output step after an object leaves flight,
  and one for every fixed site at the site heartbeat;
* a **Fire PDU** per shot at the first tick at or after an engagement's launch
  time, and a **Detonation PDU** per shot at the tick its engagement resolves
  (a kill or a miss; an aborted engagement detonates nothing).

PDUs carry the simulation time (absolute DIS timestamps past the UTC hour of
the scenario's epoch). Entity numbers stay the same for the whole run: the
fixed sites take 1..P, then every object takes the next free number the first
time it appears (threats in truth order, then shots in engagement and shot
order), so an object keeps its number when others appear.

**Views** (``skyweave run --dis-view``). The truth view (``truth``, the
default) sends the above, every entity marked as exercise control: its Entity
State PDUs' 11-character marking is ``EXCON`` followed by the first six
characters of the object's or site's id (the entity number identifies it). A
partner view (``--dis-view PARTNER``) sends that partner's fused picture
(:attr:`PartnerView.picture <skyweave.engine.simulation.PartnerView.picture>`)
and nothing of the truth: at every output step an Entity State PDU per picture
track (location and velocity the picture's ECEF state, force Opposing, a
generic munition type, marking the track's name ``PARTNER:NUMBER``, entity
numbers from 1 given on first sight), one "deactivated" PDU the step after a
track leaves the picture, and no sites, Fire or Detonation PDUs (they carry the
truth of an engagement). One run sends one view, never a mixture.

Pacing (:class:`Pacer`): with a time scale ``X`` the streamer waits so that
simulation second ``s`` leaves at wall start ``+ s / X`` (the first PDUs leave
while the rest of the run is still computing); whatever the time scale, PDUs
never leave faster than ``DisConfig.max_pdus_per_s`` (bursts of at most
``DisConfig.burst_pdus``), so a receiver with a default socket buffer keeps up.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from skyweave.engagement import Engagement, flyout_states, interceptor_object_id
from skyweave.engine.simulation import on_grid
from skyweave.io.dis import TRUTH_VIEW, control_markings
from skyweave.io.dis_pdu import (
    APPEARANCE_DAMAGE_DESTROYED,
    APPEARANCE_DEACTIVATED,
    DEAD_RECKONING_FVW,
    DEAD_RECKONING_STATIC,
    ENTITY_NUMBER_MAX,
    FORCE_FRIENDLY,
    FORCE_OPPOSING,
    NO_ENTITY,
    PDU_TYPE_DETONATION,
    PDU_TYPE_ENTITY_STATE,
    PDU_TYPE_FIRE,
    DisConfig,
    EntityId,
    SitePoints,
    SiteTable,
    dis_timestamps,
    encode_detonation,
    encode_entity_states,
    encode_fire,
    euler_from_direction,
    force_ids,
    geodetic_up,
    location_in_target,
    markings,
    munition_type,
    object_entity_type,
    split_records,
)

if TYPE_CHECKING:
    from skyweave.engine.simulation import Simulation
    from skyweave.tracking.fusion import FusedPicture

FloatArray = NDArray[np.float64]

INTERCEPTOR_KIND = "interceptor"
_EPS_S = 1e-9


class PduSink(Protocol):
    """Where PDUs go: :class:`~skyweave.io.dis.DisSender`, or a list in tests."""

    def send(self, pdu: bytes) -> bool:
        """Send one PDU; False if it could not be sent."""
        ...


class Pacer:
    """When PDUs may leave: the simulation clock scaled to the wall clock, under a rate ceiling.

    Parameters
    ----------
    time_scale : float or None
        Simulation seconds per wall second (1.0 real time, 10.0 ten times
        faster); None does not wait on the clock.
    max_pdus_per_s : float
        Rate ceiling (``math.inf``: none).
    burst_pdus : int
        Size of the token bucket: PDUs that may leave back to back.
    clock, sleep : callables
        Monotonic wall clock and sleep, injected for tests.
    """

    def __init__(
        self,
        time_scale: float | None,
        max_pdus_per_s: float,
        burst_pdus: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if time_scale is not None and not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        if not max_pdus_per_s > 0 or burst_pdus < 1:
            raise ValueError("max_pdus_per_s must be > 0 and burst_pdus >= 1")
        self.time_scale = time_scale
        self.rate = float(max_pdus_per_s)
        self.burst = int(burst_pdus)
        self._clock = clock
        self._sleep = sleep
        self._start: tuple[float, float] | None = None  # (wall s, simulation s)
        self._tokens = float(burst_pdus)
        self._refilled = clock()
        self.slept_s = 0.0

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)
            self.slept_s += seconds

    def wait_for(self, time_s: float) -> None:
        """Wait until simulation time ``time_s`` is due (the first call starts the clock)."""
        now = self._clock()
        if self._start is None:
            self._start = (now, float(time_s))
            return
        if self.time_scale is not None:
            wall0, sim0 = self._start
            self._wait(wall0 + (float(time_s) - sim0) / self.time_scale - now)

    def grant(self, n: int) -> int:
        """How many of ``n`` PDUs may leave now (at least 1), waiting for the rate if needed."""
        if n <= 0:
            return 0
        if math.isinf(self.rate):
            return n
        self._refill()
        if self._tokens < 1.0:
            self._wait((min(n, self.burst) - self._tokens) / self.rate)
            self._refill()
        k = max(1, min(n, math.floor(self._tokens + 1e-9)))
        self._tokens -= k
        return k

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now


class DisStreamer:
    """Send a run's DIS PDUs while it runs: pass it as ``on_tick`` (see the module docstring).

    Parameters
    ----------
    sender : PduSink
        Usually a :class:`~skyweave.io.dis.DisSender`.
    epoch : datetime
        Scenario start (UTC), for the PDU timestamps.
    sites : SitePoints
        Sensors, batteries and defended assets (entity numbers 1..P).
    partners : sequence of str
        Partner order for force ids (Friendly, Friendly 2, ...); threats are
        Opposing.
    config : DisConfig, optional
        Exercise, site and application numbers, heartbeat and rate ceiling.
    time_scale : float, optional
        Pace to the wall clock (1.0 real time); None only applies the rate ceiling.
    clock, sleep : callables
        Injected for tests.
    view : str
        ``"truth"`` (every entity, marked as exercise control) or a partner id
        (that partner's fused picture only); see the module docstring.

    Attributes
    ----------
    entity_numbers : dict
        Entity number of every site and of every object seen so far.
    counts : Counter
        PDUs handed to the sender, by PDU type (1, 2, 3).
    """

    def __init__(
        self,
        sender: PduSink,
        epoch: dt.datetime,
        sites: SitePoints,
        partners: Sequence[str],
        *,
        config: DisConfig | None = None,
        time_scale: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        view: str = TRUTH_VIEW,
    ) -> None:
        self.config = config or DisConfig()
        self.view = view
        self.sender = sender
        self.epoch = epoch
        if len(set(sites.ids)) != len(sites):
            raise ValueError("site ids must be unique")
        if len(sites) > ENTITY_NUMBER_MAX:
            raise ValueError(f"at most {ENTITY_NUMBER_MAX} entities per application")
        if view != TRUTH_VIEW and view not in partners:
            raise ValueError(f"view must be {TRUTH_VIEW!r} or one of {list(partners)}")
        self._force_of = force_ids(partners)
        if view != TRUTH_VIEW:
            sites = SitePoints.empty()  # a partner's view carries its picture only
        numbers = range(1, len(sites) + 1)
        self.entity_numbers: dict[str, int] = dict(zip(sites.ids, numbers, strict=True))
        self._sites = SiteTable.build(sites, self._force_of, list(numbers))
        if view == TRUTH_VIEW:
            self._sites = replace(self._sites, marking=control_markings(sites.ids))
        self.pacer = Pacer(
            time_scale,
            self.config.max_pdus_per_s,
            self.config.burst_pdus,
            clock=clock,
            sleep=sleep,
        )
        self.counts: Counter[int] = Counter()
        self.unnumbered = 0  # objects beyond the 65534 entity numbers (not sent)
        # engagements launched or still to launch, until they resolve
        self._known: dict[int, Engagement] = {}
        self._fired: set[int] = set()
        self._reached: set[str] = set()  # shots that reached their target (kill or miss)
        self._n_resolved = 0
        self._event_of: dict[str, int] = {}
        self._next_event = 0
        # threats: velocity at the previous tick (acceleration) and last state in flight
        self._prev_t = math.nan
        self._prev_vel = np.zeros((0, 3))
        self._last_alive = np.zeros((0, 6))
        # objects in flight at the previous output step: id -> (number, force, kind, state)
        self._shown: dict[str, tuple[int, int, str, FloatArray]] = {}
        self._first_output_s: float | None = None
        self._beat = -1.0

    # -- the tick ------------------------------------------------------------------------

    def __call__(self, sim: Simulation) -> None:
        """Send what the tick just run produced (read-only use of ``sim``)."""
        t = float(sim.time_s)
        self.pacer.wait_for(t)
        if self.view != TRUTH_VIEW:
            if on_grid(t, sim.output_interval_s):
                self._send(self._picture_states(sim.partner_view(self.view).picture, t))
            return
        view = sim.truth_view()
        model = sim.decision.model
        resolved = model.engagements[self._n_resolved :]
        self._n_resolved = len(model.engagements)
        for e in model.in_flight():
            self._known[e.engagement_id] = e
        for e in resolved:
            self._known[e.engagement_id] = e
            if e.outcome in ("kill", "miss"):
                self._reached.update(interceptor_object_id(e, s) for s in range(e.shots))
        ids = tuple(view.object_ids)
        states = np.asarray(view.states_ecef, dtype=np.float64)
        last_alive = _grow(self._last_alive, len(ids))

        pdus = self._fires(t, ids, states, last_alive)
        if on_grid(t, sim.output_interval_s):
            killed = set(model.killed)
            pdus += self._entity_states(t, ids, tuple(view.kinds), states, killed)
        pdus += self._detonations(resolved, ids, states, last_alive)
        self._send(pdus)

        # Remember this tick for the next one.
        alive = ~np.isnan(states[:, 0])
        last_alive[alive] = states[alive]
        self._last_alive = last_alive
        self._prev_vel = states[:, 3:].copy()
        self._prev_t = t
        for e in resolved:
            self._known.pop(e.engagement_id, None)

    # -- PDUs ----------------------------------------------------------------------------

    def _fires(
        self, t: float, ids: Sequence[str], states: FloatArray, last_alive: FloatArray
    ) -> list[tuple[int, bytes]]:
        """Fire PDUs of the shots launched by ``t`` and not yet announced."""
        index = {o: k for k, o in enumerate(ids)}
        out = []
        for eid in sorted(self._known):
            e = self._known[eid]
            if eid in self._fired or e.time_s > t + _EPS_S:
                continue
            self._fired.add(eid)
            target = index.get(e.object_id)
            target_pos = None
            if target is not None:
                now = states[target]
                target_pos = now[:3] if not np.isnan(now[0]) else last_alive[target, :3]
            launch = np.asarray(e.launch_ecef_m, dtype=np.float64)
            rng = 0.0
            if target_pos is not None and not np.isnan(target_pos[0]):
                rng = float(np.linalg.norm(target_pos - launch))
            ts = int(dis_timestamps(self.epoch, np.array([e.time_s]))[0])
            for shot in range(e.shots):
                oid = interceptor_object_id(e, shot)
                self._next_event = self._next_event % 65535 + 1
                self._event_of[oid] = self._next_event
                pdu = encode_fire(
                    self.config,
                    ts,
                    self._entity_id(e.battery_id),
                    self._entity_id(e.object_id),
                    self._entity_id(oid),
                    self._next_event,
                    launch,
                    munition_type(object_entity_type(INTERCEPTOR_KIND)),
                    _flyout_velocity(e),
                    rng,
                )
                out.append((PDU_TYPE_FIRE, pdu))
        return out

    def _detonations(
        self,
        resolved: Sequence[Engagement],
        ids: Sequence[str],
        states: FloatArray,
        last_alive: FloatArray,
    ) -> list[tuple[int, bytes]]:
        """Detonation PDUs of the engagements resolved in the tick (kills and misses)."""
        index = {o: k for k, o in enumerate(ids)}
        out = []
        for e in sorted(resolved, key=lambda e: (e.end_time_s, e.engagement_id)):
            if e.outcome not in ("kill", "miss"):
                continue
            where = np.asarray(e.intercept_ecef_m, dtype=np.float64)
            rel = np.zeros(3)
            k = index.get(e.object_id)
            if k is not None:
                # The target's last state in flight before the intercept (this tick's
                # state is after it, or gone after a kill).
                before = last_alive[k] if not np.isnan(last_alive[k, 0]) else states[k]
                if not np.isnan(before[0]):
                    rel = location_in_target(before, where)
            ts = int(dis_timestamps(self.epoch, np.array([e.intercept_time_s]))[0])
            for shot in range(e.shots):
                oid = interceptor_object_id(e, shot)
                pdu = encode_detonation(
                    self.config,
                    ts,
                    self._entity_id(e.battery_id),
                    self._entity_id(e.object_id),
                    self._entity_id(oid),
                    self._event_of.get(oid, 0),
                    _flyout_velocity(e),
                    where,
                    munition_type(object_entity_type(INTERCEPTOR_KIND)),
                    rel,
                    e.outcome == "kill",
                )
                out.append((PDU_TYPE_DETONATION, pdu))
        return out

    def _entity_states(
        self,
        t: float,
        ids: Sequence[str],
        kinds: Sequence[str],
        states: FloatArray,
        killed: set[str],
    ) -> list[tuple[int, bytes]]:
        """Entity State PDUs of one output step: objects in flight, those that left, sites."""
        # Threats in flight, acceleration from the previous tick's velocity.
        alive = [int(k) for k in np.flatnonzero(~np.isnan(states[:, 0]))]
        prev = _grow(self._prev_vel, len(ids), width=3)
        dt_s = t - self._prev_t
        acc = (states[alive, 3:] - prev[alive]) / dt_s if dt_s > 0 else np.zeros((len(alive), 3))
        acc = np.nan_to_num(acc, nan=0.0)
        obj_ids = [ids[k] for k in alive]
        obj_kinds = [kinds[k] for k in alive]
        obj_force = [FORCE_OPPOSING] * len(alive)
        obj_states = [states[alive]]
        obj_acc = [acc]
        # Interceptor shots in flight: the straight flyout at constant velocity.
        shots = [
            (e, s)
            for eid, e in sorted(self._known.items())
            if eid in self._fired
            for s in range(e.shots)
        ]
        if shots:
            flown = flyout_states(
                [t],
                [e.time_s for e, _ in shots],
                [e.intercept_time_s for e, _ in shots],
                [_end_s(e) for e, _ in shots],
                [e.launch_ecef_m for e, _ in shots],
                [e.intercept_ecef_m for e, _ in shots],
            )[0]
            up = ~np.isnan(flown[:, 0])
            flying = [sh for sh, u in zip(shots, up, strict=True) if u]
            obj_ids += [interceptor_object_id(e, s) for e, s in flying]
            obj_kinds += [INTERCEPTOR_KIND] * len(flying)
            obj_force += [self._force_of.get(e.partner, FORCE_FRIENDLY) for e, _ in flying]
            obj_states.append(flown[up])
            obj_acc.append(np.zeros((len(flying), 3)))
        pos_vel = np.concatenate(obj_states).reshape(-1, 6)
        accel = np.concatenate(obj_acc).reshape(-1, 3)
        numbers = [self._number(o) for o in obj_ids]

        # Objects shown at the previous step and not in flight now: deactivated.
        now = set(obj_ids)
        gone = [(o, v) for o, v in self._shown.items() if o not in now]
        destroyed = killed | self._reached
        self._shown = {
            o: (n, f, k, s)
            for o, n, f, k, s in zip(obj_ids, numbers, obj_force, obj_kinds, pos_vel, strict=True)
            if n
        }

        n_live, n_gone = len(obj_ids), len(gone)
        num = np.array(numbers + [n for _, (n, _, _, _) in gone], dtype=np.int64)
        force = np.array(obj_force + [f for _, (_, f, _, _) in gone], dtype=np.int64)
        kind = obj_kinds + [k for _, (_, _, k, _) in gone]
        last = np.array([s for _, (_, _, _, s) in gone]).reshape(n_gone, 6)
        pos = np.concatenate([pos_vel[:, :3], last[:, :3]])
        vel = np.concatenate([pos_vel[:, 3:], np.zeros((n_gone, 3))])
        acc_all = np.concatenate([accel, np.zeros((n_gone, 3))])
        heading = np.concatenate([pos_vel[:, 3:], last[:, 3:]])  # keep the last attitude
        appearance = np.zeros(n_live + n_gone, dtype=np.int64)
        appearance[n_live:] = [
            APPEARANCE_DEACTIVATED | (APPEARANCE_DAMAGE_DESTROYED if o in destroyed else 0)
            for o, _ in gone
        ]
        dr = np.full(n_live + n_gone, DEAD_RECKONING_FVW, dtype=np.int64)
        dr[n_live:] = DEAD_RECKONING_STATIC
        out: list[tuple[int, bytes]] = []
        keep = np.flatnonzero(num > 0)
        if keep.size:
            rec = encode_entity_states(
                self.config,
                np.repeat(dis_timestamps(self.epoch, np.array([t])), keep.size),
                num[keep],
                force[keep],
                np.array([object_entity_type(kind[i]) for i in keep], np.int64).reshape(-1, 2),
                vel[keep],
                pos[keep],
                euler_from_direction(heading[keep], geodetic_up(pos[keep])),
                appearance[keep],
                dr[keep],
                acc_all[keep],
                control_markings([([*obj_ids, *(o for o, _ in gone)])[i] for i in keep]),
            )
            order = np.argsort(num[keep], kind="stable")
            out += [(PDU_TYPE_ENTITY_STATE, p) for p in split_records(rec[order])]

        # Fixed sites at the heartbeat.
        if self._first_output_s is None:
            self._first_output_s = t
        beat = math.floor((t - self._first_output_s) / self.config.site_heartbeat_s + 1e-9)
        if beat > self._beat and len(self._sites.numbers):
            self._beat = beat
            site_pdus = self._sites.encode(self.config, dis_timestamps(self.epoch, np.array([t])))
            out += [(PDU_TYPE_ENTITY_STATE, p) for p in site_pdus]
        return out

    def _picture_states(self, picture: FusedPicture | None, t: float) -> list[tuple[int, bytes]]:
        """A partner view's Entity State PDUs of one output step: its picture tracks now,
        and the tracks that left the picture since the previous step (deactivated)."""
        if picture is not None and len(picture):
            ids = [f"{self.view}:{n}" for n in picture.picture_number.tolist()]
            state = np.asarray(picture.state, dtype=np.float64).reshape(-1, 6)
            t_pic = float(picture.time_s)
        else:
            ids, state, t_pic = [], np.zeros((0, 6)), t
        numbers = [self._number(o) for o in ids]
        now = set(ids)
        gone = [(o, v) for o, v in self._shown.items() if o not in now]
        self._shown = {
            o: (n, FORCE_OPPOSING, "track", s)
            for o, n, s in zip(ids, numbers, state, strict=True)
            if n
        }
        n_live, n_gone = len(ids), len(gone)
        num = np.array(numbers + [n for _, (n, _, _, _) in gone], dtype=np.int64)
        last = np.array([s for _, (_, _, _, s) in gone]).reshape(n_gone, 6)
        pos = np.concatenate([state[:, :3], last[:, :3]])
        vel = np.concatenate([state[:, 3:], np.zeros((n_gone, 3))])
        heading = np.concatenate([state[:, 3:], last[:, 3:]])
        appearance = np.zeros(n_live + n_gone, dtype=np.int64)
        appearance[n_live:] = APPEARANCE_DEACTIVATED
        dr = np.full(n_live + n_gone, DEAD_RECKONING_FVW, dtype=np.int64)
        dr[n_live:] = DEAD_RECKONING_STATIC
        keep = np.flatnonzero(num > 0)
        if not keep.size:
            return []
        names = [*ids, *(o for o, _ in gone)]
        rec = encode_entity_states(
            self.config,
            np.repeat(dis_timestamps(self.epoch, np.array([t_pic])), keep.size),
            num[keep],
            np.full(keep.size, FORCE_OPPOSING, dtype=np.int64),
            np.array([object_entity_type("track")] * keep.size, np.int64).reshape(-1, 2),
            vel[keep],
            pos[keep],
            euler_from_direction(heading[keep], geodetic_up(pos[keep])),
            appearance[keep],
            dr[keep],
            np.zeros((keep.size, 3)),
            markings([names[i] for i in keep]),
        )
        order = np.argsort(num[keep], kind="stable")
        return [(PDU_TYPE_ENTITY_STATE, p) for p in split_records(rec[order])]

    # -- helpers -------------------------------------------------------------------------

    def _number(self, object_id: str) -> int:
        """The object's entity number, given on first sight (0 once numbers run out)."""
        num = self.entity_numbers.get(object_id)
        if num is None:
            num = len(self.entity_numbers) + 1
            if num > ENTITY_NUMBER_MAX:
                self.unnumbered += 1
                return 0
            self.entity_numbers[object_id] = num
        return num

    def _entity_id(self, object_id: str) -> EntityId:
        num = self._number(object_id)
        return (self.config.site_id, self.config.application_id, num) if num else NO_ENTITY

    def _send(self, pdus: Sequence[tuple[int, bytes]]) -> None:
        i = 0
        while i < len(pdus):
            k = self.pacer.grant(len(pdus) - i)
            for pdu_type, pdu in pdus[i : i + k]:
                if self.sender.send(pdu):
                    self.counts[pdu_type] += 1
            i += k

    @property
    def sent(self) -> int:
        """PDUs sent so far."""
        return sum(self.counts.values())


def _end_s(e: Engagement) -> float:
    """When the shots stop flying: the intercept while in flight, else the recorded end."""
    return e.intercept_time_s if e.outcome == "in_flight" else e.end_time_s


def _flyout_velocity(e: Engagement) -> FloatArray:
    p_l = np.asarray(e.launch_ecef_m, dtype=np.float64)
    p_i = np.asarray(e.intercept_ecef_m, dtype=np.float64)
    return (p_i - p_l) / (e.intercept_time_s - e.time_s)


def _grow(a: FloatArray, n: int, width: int = 6) -> FloatArray:
    """``a`` (M, width) padded with NaN rows to n rows (threats launched by inject)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, width)
    if len(a) >= n:
        return a.copy()
    return np.vstack([a, np.full((n - len(a), width), np.nan)])


__all__ = ["DisStreamer", "Pacer", "PduSink"]
