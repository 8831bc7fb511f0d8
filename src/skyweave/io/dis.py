"""DIS (IEEE 1278.1-2012, protocol version 7) export: Entity State, Fire and Detonation PDUs.

Skyweave federates with other simulators by sending standard DIS PDUs over UDP:

* an **Entity State PDU** (type 1, family 1) for every object in flight at every
  output time step, one more (appearance "deactivated") the step after an object
  leaves flight, and one for every sensor, battery and defended asset site at a
  heartbeat interval;
* a **Fire PDU** (type 2, family 2) when a battery launches an interceptor;
* a **Detonation PDU** (type 3, family 2) when an interceptor reaches its target,
  with the result "entity impact" for a kill and "detonation" for a miss.

DIS world coordinates are ECEF WGS84 metres, the same frame as Skyweave's truth,
so locations are copied as float64 without conversion.

:class:`skyweave.io.dis_stream.DisStreamer` sends these PDUs during a run, tick by
tick (``skyweave run --dis``); :func:`build_pdu_stream` here encodes a whole
recorded run at once (offline, e.g. for a capture file). Both use the encoders of
:mod:`skyweave.io.dis_pdu` (re-exported here); :class:`DisSender` sends them over
UDP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from skyweave.errors import InputError, Problem
from skyweave.io.dis_pdu import (
    APPEARANCE_DAMAGE_DESTROYED,
    APPEARANCE_DEACTIVATED,
    DEAD_RECKONING_FVW,
    DEAD_RECKONING_STATIC,
    DETONATION_FORMAT,
    ENTITY_KIND_MUNITION,
    ENTITY_NUMBER_MAX,
    ESPDU_FORMAT,
    FIRE_FORMAT,
    FORCE_FRIENDLY,
    FORCE_OPPOSING,
    HEADER_FORMAT,
    MUNITION_DOMAIN_ANTI_AIR,
    NO_ENTITY,
    PDU_TYPE_DETONATION,
    PDU_TYPE_ENTITY_STATE,
    PDU_TYPE_FIRE,
    DisConfig,
    EntityId,
    SitePoints,
    SiteTable,
    body_to_world,
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

FloatArray = NDArray[np.float64]

SEND_BUFFER_BYTES = 1 << 20
"""Requested UDP send buffer: room for thousands of PDUs queued on a slow interface."""

# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FireEvents:
    """Interceptor launches, one row per interceptor fired.

    Attributes
    ----------
    time_s : (K,) float64
        Launch time, seconds since scenario start.
    shooter_ids : tuple of str, length K
        Id of the firing battery (a site in :class:`SitePoints`, when present).
    interceptor_ids : tuple of str, length K
        Object id of the interceptor (a column of the truth states).
    target_ids : tuple of str, length K
        Object id of the threat engaged.
    position_ecef_m : (K, 3) float64
        Launch position, ECEF WGS84 metres.
    """

    time_s: FloatArray
    shooter_ids: tuple[str, ...]
    interceptor_ids: tuple[str, ...]
    target_ids: tuple[str, ...]
    position_ecef_m: FloatArray

    @classmethod
    def empty(cls) -> FireEvents:
        """No launches."""
        return cls(np.zeros(0), (), (), (), np.zeros((0, 3)))

    def __len__(self) -> int:
        return len(self.interceptor_ids)


@dataclass(frozen=True)
class DetonationEvents:
    """Interceptor end games, one row per interceptor that reached its target.

    Attributes
    ----------
    time_s : (K,) float64
        Time of the end game, seconds since scenario start.
    interceptor_ids, target_ids : tuple of str, length K
        Object ids of the interceptor and of the threat.
    position_ecef_m : (K, 3) float64
        Where it happened, ECEF WGS84 metres.
    kill : (K,) bool
        Outcome of the kill draw: True for a kill, False for a miss.
    """

    time_s: FloatArray
    interceptor_ids: tuple[str, ...]
    target_ids: tuple[str, ...]
    position_ecef_m: FloatArray
    kill: NDArray[np.bool_]

    @classmethod
    def empty(cls) -> DetonationEvents:
        """No end games."""
        return cls(np.zeros(0), (), (), np.zeros((0, 3)), np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.interceptor_ids)


@dataclass(frozen=True)
class PduStream:
    """An ordered stream of encoded PDUs, ready to send.

    Attributes
    ----------
    time_s : (M,) float64
        Simulation time of each PDU, non-decreasing.
    pdu_type : (M,) uint8
        1 entity state, 2 fire, 3 detonation.
    pdus : tuple of bytes, length M
        The encoded PDUs, each a complete UDP payload.
    entity_numbers : dict
        Entity number given to each object id and site id (site and
        application numbers are those of the :class:`DisConfig`).
    """

    time_s: FloatArray
    pdu_type: NDArray[np.uint8]
    pdus: tuple[bytes, ...]
    entity_numbers: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.pdus)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def resolve_partners(
    sites: SitePoints,
    fires: FireEvents,
    object_partners: Mapping[str, str] | None,
    partners: Sequence[str] | None,
) -> tuple[dict[str, str], list[str]]:
    """Which partner each object belongs to, and the partners' display order.

    An interceptor belongs to the partner of the site (battery) that fired it;
    ``object_partners`` adds or overrides. Without ``partners`` the order is the
    sorted set of partners seen.
    """
    site_partner = dict(zip(sites.ids, sites.partners, strict=True))
    obj_partner: dict[str, str] = {}
    for shooter, interceptor in zip(fires.shooter_ids, fires.interceptor_ids, strict=True):
        if shooter in site_partner:
            obj_partner.setdefault(interceptor, site_partner[shooter])
    obj_partner.update(object_partners or {})
    order = (
        list(partners)
        if partners is not None
        else sorted(set(sites.partners) | set(obj_partner.values()))
    )
    return obj_partner, order


def parse_url(
    url: str, *, source: str = "<command line>", field_path: str = "dis"
) -> tuple[str, int]:
    """Split a ``udp://host:port`` DIS destination into host and port.

    Parameters
    ----------
    url : str
        For example ``udp://127.0.0.1:3000``, ``udp://239.1.2.3:3000`` or
        ``udp://[::1]:3000``. The port is required; no path, query, fragment or
        user information is allowed.
    source, field_path : str
        Where the URL came from, for the error message.

    Returns
    -------
    (host, port)

    Raises
    ------
    skyweave.errors.InputError
        When the URL is not of that form.
    """

    def bad(message: str) -> InputError:
        return InputError([Problem(source, f"{message} (got {url!r})", field_path)])

    if not isinstance(url, str) or not url.strip():
        raise bad("expected a DIS destination like udp://127.0.0.1:3000")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise bad(f"invalid URL: {exc}") from None
    if parts.scheme.lower() != "udp":
        raise bad("the scheme must be udp://, e.g. udp://127.0.0.1:3000")
    if parts.username is not None or parts.password is not None:
        raise bad("user information is not allowed in a DIS URL")
    if not parts.hostname:
        raise bad("a host is required, e.g. udp://127.0.0.1:3000")
    if port is None:
        raise bad("a port is required, e.g. udp://127.0.0.1:3000")
    if not 1 <= port <= 65535:
        raise bad("the port must be 1..65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad("a DIS URL has no path, query or fragment")
    return parts.hostname, port


#: ``--dis-view`` value that sends the truth, marked as exercise control
TRUTH_VIEW = "truth"
#: marking prefix of every entity the truth view sends (exercise control)
EXCON_PREFIX = "EXCON"


def control_markings(ids: Sequence[str]) -> NDArray[np.bytes_]:
    """Markings of the truth view's entities: ``EXCON`` then the id's first 6 characters.

    The 11-character DIS marking cannot hold both the prefix and a whole id; the
    entity number is what identifies an entity for the whole run.
    """
    return markings([EXCON_PREFIX + i for i in ids])


def parse_dis_view(view: str | None, partners: Sequence[str], *, source: str = "--dis-view") -> str:
    """The DIS view to send: ``truth`` (None means truth) or one partner id.

    Raises
    ------
    skyweave.errors.InputError
        When ``view`` is neither ``truth`` nor a partner of the scenario.
    """
    if view is None or view == TRUTH_VIEW:
        return TRUTH_VIEW
    if view in partners:
        return view
    choices = ", ".join([TRUTH_VIEW, *partners])
    raise InputError(
        [
            Problem(
                source,
                f"expected {TRUTH_VIEW!r} or a partner of the scenario ({choices}); got {view!r}",
            )
        ]
    )


def _acceleration(times_s: FloatArray, velocity: FloatArray) -> FloatArray:
    """(T, N, 3) finite-difference acceleration of (T, N, 3) velocities; 0 where unknown."""
    t = times_s[:, None, None]
    acc = np.full_like(velocity, np.nan)
    if len(times_s) >= 2:
        fwd = (velocity[1:] - velocity[:-1]) / (t[1:] - t[:-1])
        # Average of the two one-sided differences where both exist, else whichever exists.
        acc[1:-1] = 0.5 * (fwd[1:] + fwd[:-1])
        acc[:-1] = np.where(np.isnan(acc[:-1]), fwd, acc[:-1])
        acc[1:] = np.where(np.isnan(acc[1:]), fwd, acc[1:])
    return np.nan_to_num(acc, nan=0.0)


def _alive_sample(times_s: FloatArray, column: FloatArray, t: float, *, before: bool) -> int | None:
    """Index of the last alive sample at or before ``t`` (or first at or after); None if none."""
    alive = ~np.isnan(column[:, 0])
    tol = 1e-9 * max(1.0, abs(t))
    ok = alive & ((times_s <= t + tol) if before else (times_s >= t - tol))
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return None
    return int(idx[-1] if before else idx[0])


# ---------------------------------------------------------------------------
# The stream
# ---------------------------------------------------------------------------


def build_pdu_stream(
    epoch: dt.datetime,
    times_s: FloatArray,
    object_ids: Sequence[str],
    kinds: Sequence[str],
    states: FloatArray,
    *,
    fires: FireEvents | None = None,
    detonations: DetonationEvents | None = None,
    sites: SitePoints | None = None,
    object_partners: Mapping[str, str] | None = None,
    partners: Sequence[str] | None = None,
    config: DisConfig | None = None,
) -> PduStream:
    """Encode a whole run as an ordered stream of DIS PDUs.

    Parameters
    ----------
    epoch : datetime
        Scenario start (UTC); PDU timestamps are absolute, past the UTC hour.
    times_s : (T,) float64
        Output time grid, seconds since scenario start, increasing.
    object_ids, kinds : sequences of str, length N
        As in :class:`skyweave.kinematics.truth.Truth`.
    states : (T, N, 6) float64
        ECEF positions (m) and velocities (m/s), NaN where not in flight.
    fires, detonations : optional
        Engagement events; a detonation's firing entity and event id are those
        of the fire of the same interceptor.
    sites : SitePoints, optional
        Sensors, batteries and defended assets, sent as static entities every
        ``config.site_heartbeat_s``.
    object_partners : mapping, optional
        Partner of an object (normally interceptors); by default an
        interceptor belongs to the partner of the site that fired it.
    partners : sequence of str, optional
        Partner order for force ids (Friendly, Friendly 2, ...); by default the
        sorted partner names. Threats are always Opposing (2).
    config : DisConfig, optional
        Exercise, site and application numbers.

    Returns
    -------
    PduStream
        PDUs ordered by time; at equal times Fire PDUs come first, then Entity
        State PDUs (objects in id order, then sites), then Detonation PDUs.
    """
    config = config or DisConfig()
    fires = fires if fires is not None else FireEvents.empty()
    detonations = detonations if detonations is not None else DetonationEvents.empty()
    sites = sites if sites is not None else SitePoints.empty()
    times_s = np.asarray(times_s, dtype=np.float64)
    states = np.asarray(states, dtype=np.float64)
    n_t, n_obj = len(times_s), len(object_ids)
    if states.shape != (n_t, n_obj, 6):
        raise ValueError(f"states must have shape ({n_t}, {n_obj}, 6), got {states.shape}")
    if len(kinds) != n_obj:
        raise ValueError("kinds and object_ids differ in length")
    n_sites = len(sites)
    if n_obj + n_sites > ENTITY_NUMBER_MAX:
        raise ValueError(f"at most {ENTITY_NUMBER_MAX} entities per application")

    # Entity numbers: objects 1..N in truth order, then sites.
    all_ids = [*object_ids, *sites.ids]
    if len(set(all_ids)) != len(all_ids):
        dupes = sorted(i for i, c in Counter(all_ids).items() if c > 1)
        raise ValueError(f"object and site ids must be unique, repeated: {dupes}")
    entity_numbers = {eid: i + 1 for i, eid in enumerate(all_ids)}
    obj_index = {oid: i for i, oid in enumerate(object_ids)}

    # Partners and force ids.
    obj_partner, order = resolve_partners(sites, fires, object_partners, partners)
    force_of = force_ids(order)
    obj_force = np.array(
        [
            FORCE_FRIENDLY
            if k == "interceptor" and oid not in obj_partner
            else force_of.get(obj_partner[oid], FORCE_FRIENDLY)
            if k == "interceptor"
            else FORCE_OPPOSING
            for oid, k in zip(object_ids, kinds, strict=True)
        ],
        dtype=np.int64,
    ).reshape(n_obj)
    obj_etype = np.array([object_entity_type(k) for k in kinds], dtype=np.int64).reshape(n_obj, 2)
    obj_marking = markings(object_ids)

    chunks_time: list[FloatArray] = []
    chunks_order: list[NDArray[np.int64]] = []
    chunks_type: list[NDArray[np.uint8]] = []
    chunks_pdus: list[list[bytes]] = []

    def add(time_arr: FloatArray, order_key: int, pdu_type: int, pdus: list[bytes]) -> None:
        chunks_time.append(np.asarray(time_arr, dtype=np.float64))
        chunks_order.append(np.full(len(pdus), order_key, dtype=np.int64))
        chunks_type.append(np.full(len(pdus), pdu_type, dtype=np.uint8))
        chunks_pdus.append(pdus)

    # --- Entity State PDUs for objects in flight -------------------------------------
    alive = ~np.isnan(states[:, :, 0])
    acc_all = _acceleration(times_s, states[:, :, 3:])
    ti, ni = np.nonzero(alive)  # row-major: by time, then object order
    # Deactivation: one PDU the step after an object's last sample in flight.
    ever = alive.any(axis=0)
    last = np.where(ever, n_t - 1 - np.argmax(alive[::-1], axis=0), -1)
    killed = set(
        t for t, k in zip(detonations.target_ids, detonations.kill, strict=True) if bool(k)
    ) | set(detonations.interceptor_ids)
    gone = np.flatnonzero(ever & (last < n_t - 1))
    d_ti = last[gone] + 1
    d_ni = gone
    all_ti = np.concatenate([ti, d_ti])
    all_ni = np.concatenate([ni, d_ni])
    src_ti = np.concatenate([ti, last[gone]])  # state sample each PDU carries
    deact = np.concatenate([np.zeros(len(ti), bool), np.ones(len(gone), bool)])
    if all_ti.size:
        pos = states[src_ti, all_ni, :3]
        vel = np.where(deact[:, None], 0.0, states[src_ti, all_ni, 3:])
        acc = np.where(deact[:, None], 0.0, acc_all[src_ti, all_ni])
        euler = euler_from_direction(states[src_ti, all_ni, 3:], geodetic_up(pos))
        destroyed = np.array([object_ids[int(n)] in killed for n in d_ni], dtype=np.bool_)
        appearance = np.zeros(len(all_ti), dtype=np.int64)
        appearance[deact] = APPEARANCE_DEACTIVATED | np.where(
            destroyed, APPEARANCE_DAMAGE_DESTROYED, 0
        )
        rec = encode_entity_states(
            config,
            dis_timestamps(epoch, times_s[all_ti]),
            all_ni + 1,
            obj_force[all_ni],
            obj_etype[all_ni],
            vel,
            pos,
            euler,
            appearance,
            np.where(deact, DEAD_RECKONING_STATIC, DEAD_RECKONING_FVW),
            acc,
            obj_marking[all_ni],
        )
        # Keep time order, then object order, within the entity-state group.
        sort = np.lexsort((all_ni, all_ti))
        add(times_s[all_ti[sort]], 1, PDU_TYPE_ENTITY_STATE, split_records(rec[sort]))

    # --- Entity State PDUs for fixed sites, at the heartbeat -----------------------------
    if n_sites and n_t:
        beat = np.floor((times_s - times_s[0]) / config.site_heartbeat_s)
        due = np.flatnonzero(np.concatenate([[True], beat[1:] > beat[:-1]]))
        table = SiteTable.build(sites, force_of, [entity_numbers[s] for s in sites.ids])
        site_pdus = table.encode(config, dis_timestamps(epoch, times_s[due]))
        add(np.repeat(times_s[due], n_sites), 2, PDU_TYPE_ENTITY_STATE, site_pdus)

    # --- Fire and Detonation PDUs (few: one per interceptor) ---------------------------
    def entity_id(oid: str) -> EntityId:
        num = entity_numbers.get(oid)
        return NO_ENTITY if num is None else (config.site_id, config.application_id, num)

    def munition_of(interceptor: str) -> tuple[int, ...]:
        i = obj_index.get(interceptor)
        kd = (
            tuple(obj_etype[i])
            if i is not None
            else (ENTITY_KIND_MUNITION, MUNITION_DOMAIN_ANTI_AIR)
        )
        return munition_type(kd)

    fire_order = np.argsort(np.asarray(fires.time_s, dtype=np.float64), kind="stable")
    event_of: dict[str, int] = {}
    shooter_of: dict[str, str] = {}
    fire_pdus: list[bytes] = []
    next_event = 0
    for k in map(int, fire_order):
        t = float(fires.time_s[k])
        interceptor, target = fires.interceptor_ids[k], fires.target_ids[k]
        next_event = next_event % 65535 + 1
        event_of.setdefault(interceptor, next_event)
        shooter_of.setdefault(interceptor, fires.shooter_ids[k])
        launch = np.asarray(fires.position_ecef_m[k], dtype=np.float64)
        velocity = np.zeros(3)
        i = obj_index.get(interceptor)
        if (
            i is not None
            and (s := _alive_sample(times_s, states[:, i], t, before=False)) is not None
        ):
            velocity = states[s, i, 3:]
        rng = 0.0
        j = obj_index.get(target)
        if j is not None:
            near = _alive_sample(times_s, states[:, j], t, before=True)
            if near is None:
                near = _alive_sample(times_s, states[:, j], t, before=False)
            if near is not None:
                rng = float(np.linalg.norm(states[near, j, :3] - launch))
        fire_pdus.append(
            encode_fire(
                config,
                int(dis_timestamps(epoch, np.array([t]))[0]),
                entity_id(fires.shooter_ids[k]),
                entity_id(target),
                entity_id(interceptor),
                event_of[interceptor],
                launch,
                munition_of(interceptor),
                velocity,
                rng,
            )
        )
    if fire_pdus:
        add(np.asarray(fires.time_s, dtype=np.float64)[fire_order], 0, PDU_TYPE_FIRE, fire_pdus)

    det_order = np.argsort(np.asarray(detonations.time_s, dtype=np.float64), kind="stable")
    det_pdus: list[bytes] = []
    for k in map(int, det_order):
        t = float(detonations.time_s[k])
        interceptor, target = detonations.interceptor_ids[k], detonations.target_ids[k]
        if interceptor not in event_of:
            next_event = next_event % 65535 + 1
            event_of[interceptor] = next_event
        where = np.asarray(detonations.position_ecef_m[k], dtype=np.float64)
        velocity = np.zeros(3)
        i = obj_index.get(interceptor)
        if (
            i is not None
            and (s := _alive_sample(times_s, states[:, i], t, before=True)) is not None
        ):
            velocity = states[s, i, 3:]
        rel = np.zeros(3)
        j = obj_index.get(target)
        if (
            j is not None
            and (s := _alive_sample(times_s, states[:, j], t, before=True)) is not None
        ):
            rel = location_in_target(states[s, j], where)
        det_pdus.append(
            encode_detonation(
                config,
                int(dis_timestamps(epoch, np.array([t]))[0]),
                entity_id(shooter_of.get(interceptor, "")),
                entity_id(target),
                entity_id(interceptor),
                event_of[interceptor],
                velocity,
                where,
                munition_of(interceptor),
                rel,
                bool(detonations.kill[k]),
            )
        )
    if det_pdus:
        det_t = np.asarray(detonations.time_s, dtype=np.float64)[det_order]
        add(det_t, 3, PDU_TYPE_DETONATION, det_pdus)

    if not chunks_pdus:
        return PduStream(np.zeros(0), np.zeros(0, dtype=np.uint8), (), entity_numbers)
    all_time = np.concatenate(chunks_time)
    all_key = np.concatenate(chunks_order)
    # Stable: within a group the order built above is kept.
    final = np.lexsort((np.arange(len(all_time)), all_key, all_time))
    flat = [p for chunk in chunks_pdus for p in chunk]
    return PduStream(
        all_time[final],
        np.concatenate(chunks_type)[final],
        tuple(flat[i] for i in final),
        entity_numbers,
    )


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


class DisSender:
    """Send DIS PDUs as UDP datagrams to one destination.

    Parameters
    ----------
    url : str
        ``udp://host:port``; a broadcast or multicast address works too
        (multicast TTL 1: the exercise network only).

    Raises
    ------
    skyweave.errors.InputError
        For a malformed URL or a host that does not resolve.
    """

    def __init__(self, url: str = "udp://127.0.0.1:3000") -> None:
        host, port = parse_url(url)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise InputError(
                [Problem("<command line>", f"cannot resolve DIS host {host!r}: {exc}", "dis")]
            ) from None
        family, _, _, _, address = infos[0]
        self.url = url
        self.address = address
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            self._sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        with contextlib.suppress(OSError):  # the kernel caps it (net.core.wmem_max)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        self.sent = 0
        self.failed = 0
        self.last_error = ""

    def send(self, pdu: bytes) -> bool:
        """Send one PDU as one datagram; False (counted in ``failed``) if the OS refused it.

        A refused datagram (no route to the host, a full send buffer) does not stop
        the run: UDP gives no delivery guarantee anyway, and the count is reported.
        """
        try:
            self._sock.sendto(pdu, self.address)
        except OSError as exc:
            self.failed += 1
            self.last_error = str(exc)
            return False
        self.sent += 1
        return True

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def __enter__(self) -> DisSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "DETONATION_FORMAT",
    "EXCON_PREFIX",
    "TRUTH_VIEW",
    "ESPDU_FORMAT",
    "FIRE_FORMAT",
    "HEADER_FORMAT",
    "DetonationEvents",
    "DisConfig",
    "DisSender",
    "EntityId",
    "FireEvents",
    "PduStream",
    "SitePoints",
    "SiteTable",
    "body_to_world",
    "build_pdu_stream",
    "control_markings",
    "dis_timestamps",
    "encode_detonation",
    "encode_entity_states",
    "encode_fire",
    "euler_from_direction",
    "force_ids",
    "location_in_target",
    "markings",
    "munition_type",
    "object_entity_type",
    "parse_dis_view",
    "parse_url",
]
