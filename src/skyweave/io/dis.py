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
so locations are copied as float64 without conversion. All multi-byte fields are
big-endian (network byte order), as the standard requires. Entity types are
deliberately generic: kind and domain only, country 0 and every other field 0,
so no real system is enumerated.

Entity State PDUs are encoded in one vectorised pass through a NumPy structured
dtype whose big-endian layout is the same as :data:`ESPDU_FORMAT` (a ``struct``
format kept for reference and for the tests); the few Fire and Detonation PDUs
are packed with ``struct``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.errors import InputError, Problem

FloatArray = NDArray[np.float64]

# ---------------------------------------------------------------------------
# Enumerations (IEEE 1278.1-2012 and SISO-REF-010), only the generic values used
# ---------------------------------------------------------------------------

PROTOCOL_VERSION = 7
"""DIS protocol version field: 7 is IEEE 1278.1-2012."""

PDU_TYPE_ENTITY_STATE = 1
PDU_TYPE_FIRE = 2
PDU_TYPE_DETONATION = 3

FAMILY_ENTITY_INFORMATION = 1
FAMILY_WARFARE = 2

FORCE_OTHER = 0
FORCE_FRIENDLY = 1
FORCE_OPPOSING = 2

ENTITY_KIND_PLATFORM = 1
ENTITY_KIND_MUNITION = 2
ENTITY_KIND_CULTURAL_FEATURE = 5

DOMAIN_OTHER = 0
PLATFORM_DOMAIN_LAND = 1
PLATFORM_DOMAIN_AIR = 2
PLATFORM_DOMAIN_SPACE = 5
MUNITION_DOMAIN_ANTI_AIR = 1

DEAD_RECKONING_STATIC = 1
DEAD_RECKONING_FVW = 5
"""DRM(F, V, W): fixed orientation, constant linear acceleration, world coordinates."""

MARKING_CHARSET_ASCII = 1

DETONATION_RESULT_ENTITY_IMPACT = 1
DETONATION_RESULT_DETONATION = 5

APPEARANCE_DAMAGE_DESTROYED = 3 << 3
"""General appearance bits 3-4: damage state 3 (destroyed)."""
APPEARANCE_DEACTIVATED = 1 << 23
"""General appearance bit 23: entity state deactivated (the receiver removes it)."""

ENTITY_NUMBER_MAX = 65534
"""Entity numbers 0 (no entity) and 65535 (all entities) are reserved."""

SEND_BUFFER_BYTES = 1 << 20
"""Requested UDP send buffer: room for thousands of PDUs queued on a slow interface."""

SPACE_ALTITUDE_M = 100e3
"""Sites above this altitude get the space domain (notional Karman line)."""

# ---------------------------------------------------------------------------
# Record layouts (struct formats, big-endian, no padding)
# ---------------------------------------------------------------------------

HEADER_FORMAT = ">BBBBIHBB"
"""version, exercise id, PDU type, family, timestamp, length, PDU status, padding (12 bytes)."""
_ENTITY_ID = "HHH"
_ENTITY_TYPE = "BBHBBBB"
_EVENT_ID = "HHH"
_MUNITION_DESCRIPTOR = _ENTITY_TYPE + "HHHH"  # type, warhead, fuse, quantity, rate

ESPDU_FORMAT = (
    HEADER_FORMAT
    + _ENTITY_ID  # entity id
    + "BB"  # force id, number of variable parameter records
    + _ENTITY_TYPE  # entity type
    + _ENTITY_TYPE  # alternative entity type
    + "fff"  # linear velocity, m/s, world coordinates
    + "ddd"  # location, ECEF m
    + "fff"  # orientation psi, theta, phi, rad
    + "I"  # appearance
    + "B15s"  # dead reckoning algorithm, other parameters
    + "fff"  # dead reckoning linear acceleration, m/s^2
    + "fff"  # dead reckoning angular velocity, rad/s
    + "B11s"  # marking character set, marking
    + "I"  # capabilities
)
FIRE_FORMAT = (
    HEADER_FORMAT
    + _ENTITY_ID * 3  # firing, target, munition expendable
    + _EVENT_ID
    + "I"  # fire mission index
    + "ddd"  # location in world coordinates
    + _MUNITION_DESCRIPTOR
    + "fff"  # velocity
    + "f"  # range
)
DETONATION_FORMAT = (
    HEADER_FORMAT
    + _ENTITY_ID * 3  # firing, target, exploding
    + _EVENT_ID
    + "fff"  # velocity
    + "ddd"  # location in world coordinates
    + _MUNITION_DESCRIPTOR
    + "fff"  # location in the target entity's coordinates
    + "BBH"  # detonation result, number of variable parameters, padding
)
ESPDU_LENGTH = struct.calcsize(ESPDU_FORMAT)  # 144
FIRE_LENGTH = struct.calcsize(FIRE_FORMAT)  # 96
DETONATION_LENGTH = struct.calcsize(DETONATION_FORMAT)  # 104

_ESPDU_DTYPE = np.dtype(
    [
        ("version", "u1"),
        ("exercise", "u1"),
        ("pdu_type", "u1"),
        ("family", "u1"),
        ("timestamp", ">u4"),
        ("length", ">u2"),
        ("status", "u1"),
        ("padding", "u1"),
        ("entity", ">u2", (3,)),
        ("force", "u1"),
        ("n_params", "u1"),
        ("etype_kind", "u1"),
        ("etype_domain", "u1"),
        ("etype_country", ">u2"),
        ("etype_rest", "u1", (4,)),
        ("alt_etype_kind", "u1"),
        ("alt_etype_domain", "u1"),
        ("alt_etype_country", ">u2"),
        ("alt_etype_rest", "u1", (4,)),
        ("velocity", ">f4", (3,)),
        ("location", ">f8", (3,)),
        ("orientation", ">f4", (3,)),
        ("appearance", ">u4"),
        ("dr_algorithm", "u1"),
        ("dr_other", "u1", (15,)),
        ("dr_acceleration", ">f4", (3,)),
        ("dr_angular_velocity", ">f4", (3,)),
        ("marking_charset", "u1"),
        ("marking", "S11"),
        ("capabilities", ">u4"),
    ]
)
assert _ESPDU_DTYPE.itemsize == ESPDU_LENGTH  # the dtype mirrors ESPDU_FORMAT byte for byte


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
class SitePoints:
    """Fixed sites: sensors, batteries and defended assets.

    Attributes
    ----------
    ids, partners : tuple of str, length P
        Site id and the partner that owns it.
    lat_deg, lon_deg, alt_m : (P,) float64
        Geodetic WGS84 position.
    kinds : tuple of str, length P
        Free text from the scenario, e.g. ``"radar"``, ``"space-ir"``,
        ``"battery"``, ``"asset"``; a kind containing ``"asset"`` is a defended
        asset, anything else is equipment.
    """

    ids: tuple[str, ...]
    partners: tuple[str, ...]
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_m: FloatArray
    kinds: tuple[str, ...]

    @classmethod
    def empty(cls) -> SitePoints:
        """No sites."""
        return cls((), (), np.zeros(0), np.zeros(0), np.zeros(0), ())

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def is_asset(self) -> NDArray[np.bool_]:
        """(P,) True for defended assets."""
        return np.array(["asset" in k.lower() for k in self.kinds], dtype=bool)


@dataclass(frozen=True)
class DisConfig:
    """Exercise-level DIS settings.

    Attributes
    ----------
    exercise_id : int
        1..255; receivers ignore PDUs of other exercises.
    site_id, application_id : int
        This simulation's site and application numbers (1..65534), the first
        two fields of every entity id it sends.
    site_heartbeat_s : float
        Interval between Entity State PDUs of the fixed sites.
    max_pdus_per_s : float
        Ceiling on the sending rate, whatever the time scale: a receiver with
        the operating system's default receive buffer (about 256 Entity State
        PDUs on Linux) keeps up. ``math.inf`` lifts it.
    burst_pdus : int
        PDUs that may leave back to back before the rate ceiling applies (a
        token bucket of this size, refilled at ``max_pdus_per_s``).
    """

    exercise_id: int = 1
    site_id: int = 1
    application_id: int = 1
    site_heartbeat_s: float = 5.0
    max_pdus_per_s: float = 2000.0
    burst_pdus: int = 64

    def __post_init__(self) -> None:
        if not 1 <= self.exercise_id <= 255:
            raise ValueError(f"exercise_id must be 1..255, got {self.exercise_id}")
        for name in ("site_id", "application_id"):
            value = getattr(self, name)
            if not 1 <= value <= ENTITY_NUMBER_MAX:
                raise ValueError(f"{name} must be 1..{ENTITY_NUMBER_MAX}, got {value}")
        if not self.site_heartbeat_s > 0:
            raise ValueError(f"site_heartbeat_s must be > 0, got {self.site_heartbeat_s}")
        if not self.max_pdus_per_s > 0:
            raise ValueError(f"max_pdus_per_s must be > 0, got {self.max_pdus_per_s}")
        if not self.burst_pdus >= 1:
            raise ValueError(f"burst_pdus must be >= 1, got {self.burst_pdus}")


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


def _epoch_seconds_past_hour(epoch: dt.datetime) -> float:
    """Seconds past the UTC hour of the epoch (naive epochs are taken as UTC)."""
    if epoch.tzinfo is not None:
        epoch = epoch.astimezone(dt.UTC)
    return epoch.minute * 60.0 + epoch.second + epoch.microsecond * 1e-6


def dis_timestamps(epoch: dt.datetime, time_s: FloatArray) -> NDArray[np.uint32]:
    """Absolute DIS timestamps of simulation times.

    The top 31 bits count units of 3600 s / 2**31 past the UTC hour; the low bit
    is 1 for an absolute (UTC-synchronised) timestamp.

    Parameters
    ----------
    epoch : datetime
        Scenario start, UTC.
    time_s : (M,) float64
        Seconds since scenario start.

    Returns
    -------
    (M,) uint32
    """
    sph = np.mod(_epoch_seconds_past_hour(epoch) + np.asarray(time_s, dtype=np.float64), 3600.0)
    units = np.minimum(np.floor(sph * (2.0**31 / 3600.0)), 2.0**31 - 1).astype(np.uint64)
    return ((units << np.uint64(1)) | np.uint64(1)).astype(np.uint32)


def geodetic_up(position_ecef_m: FloatArray) -> FloatArray:
    """(M, 3) unit local-vertical (ellipsoid normal) at ECEF positions."""
    lat, lon, _ = pymap3d.ecef2geodetic(
        position_ecef_m[:, 0], position_ecef_m[:, 1], position_ecef_m[:, 2], deg=False
    )
    # pymap3d returns scalars for one-element input: restore the (M,) shape.
    lat = np.asarray(lat, dtype=np.float64).reshape(len(position_ecef_m))
    lon = np.asarray(lon, dtype=np.float64).reshape(len(position_ecef_m))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def euler_from_direction(direction: FloatArray, up: FloatArray) -> FloatArray:
    """DIS Euler angles (psi, theta, phi) of a body whose x axis points along ``direction``.

    DIS orientation is the z-y-x rotation (psi about Z, theta about the new Y,
    phi about the new X) from the ECEF axes to the body axes. The body x axis is
    ``(cos theta cos psi, cos theta sin psi, -sin theta)``; phi is chosen so the
    body y axis is horizontal (wings level) and body z points downwards.

    Parameters
    ----------
    direction : (M, 3) float64
        Direction of travel in ECEF (need not be unit; zero gives psi = theta = 0).
    up : (M, 3) float64
        Unit local vertical at each position.

    Returns
    -------
    (M, 3) float64
        psi, theta, phi in radians.
    """
    d = np.asarray(direction, dtype=np.float64)
    psi = np.arctan2(d[:, 1], d[:, 0])
    theta = np.arctan2(-d[:, 2], np.hypot(d[:, 0], d[:, 1]))
    cpsi, spsi = np.cos(psi), np.sin(psi)
    ctheta, stheta = np.cos(theta), np.sin(theta)
    # Intermediate axes after the psi and theta rotations; roll phi turns y1 -> y_b.
    y1_up = -spsi * up[:, 0] + cpsi * up[:, 1]
    z1_up = cpsi * stheta * up[:, 0] + spsi * stheta * up[:, 1] + ctheta * up[:, 2]
    phi = np.arctan2(y1_up, -z1_up)
    return np.stack([psi, theta, phi], axis=-1)


def body_to_world(euler: FloatArray) -> FloatArray:
    """(M, 3, 3) rotations from DIS body axes to ECEF: ``Rz(psi) @ Ry(theta) @ Rx(phi)``."""
    psi, theta, phi = euler[:, 0], euler[:, 1], euler[:, 2]
    cps, sps = np.cos(psi), np.sin(psi)
    cth, sth = np.cos(theta), np.sin(theta)
    cph, sph = np.cos(phi), np.sin(phi)
    r = np.empty((len(euler), 3, 3))
    r[:, 0, 0] = cth * cps
    r[:, 0, 1] = sph * sth * cps - cph * sps
    r[:, 0, 2] = cph * sth * cps + sph * sps
    r[:, 1, 0] = cth * sps
    r[:, 1, 1] = sph * sth * sps + cph * cps
    r[:, 1, 2] = cph * sth * sps - sph * cps
    r[:, 2, 0] = -sth
    r[:, 2, 1] = sph * cth
    r[:, 2, 2] = cph * cth
    return r


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


def markings(ids: Sequence[str]) -> NDArray[np.bytes_]:
    """11-character ASCII markings (non-ASCII replaced by '?', NUL padded)."""
    return np.array([i.encode("ascii", "replace")[:11] for i in ids], dtype="S11")


def force_ids(partner_order: Sequence[str]) -> dict[str, int]:
    """Partner -> DIS force id: Friendly, Friendly 2, ... Friendly 10 (1, 4, ..., 28)."""
    return {p: (1 + 3 * i if i < 10 else FORCE_FRIENDLY) for i, p in enumerate(partner_order)}


def object_entity_type(kind: str) -> tuple[int, int]:
    """(kind, domain) of a flying object: generic, country and the rest stay 0."""
    if kind == "aircraft":
        return ENTITY_KIND_PLATFORM, PLATFORM_DOMAIN_AIR
    if kind == "interceptor":
        return ENTITY_KIND_MUNITION, MUNITION_DOMAIN_ANTI_AIR
    return ENTITY_KIND_MUNITION, DOMAIN_OTHER


def _site_entity_type(kind: str, alt_m: float) -> tuple[int, int]:
    if "asset" in kind.lower():
        return ENTITY_KIND_CULTURAL_FEATURE, PLATFORM_DOMAIN_LAND
    if alt_m > SPACE_ALTITUDE_M:
        return ENTITY_KIND_PLATFORM, PLATFORM_DOMAIN_SPACE
    return ENTITY_KIND_PLATFORM, PLATFORM_DOMAIN_LAND


def _header(
    config: DisConfig, pdu_type: int, family: int, timestamp: int, length: int
) -> tuple[int, ...]:
    return (PROTOCOL_VERSION, config.exercise_id, pdu_type, family, timestamp, length, 0, 0)


def encode_entity_states(
    config: DisConfig,
    timestamp: NDArray[np.uint32],
    entity: NDArray[np.int64],
    force: NDArray[np.int64],
    etype: NDArray[np.int64],
    velocity: FloatArray,
    location: FloatArray,
    orientation: FloatArray,
    appearance: NDArray[np.int64],
    dr_algorithm: NDArray[np.int64],
    acceleration: FloatArray,
    marking: NDArray[np.bytes_],
) -> NDArray[np.void]:
    """Vectorised Entity State PDUs: one structured record per row (etype is (M, 2))."""
    rec = np.zeros(len(entity), dtype=_ESPDU_DTYPE)
    rec["version"] = PROTOCOL_VERSION
    rec["exercise"] = config.exercise_id
    rec["pdu_type"] = PDU_TYPE_ENTITY_STATE
    rec["family"] = FAMILY_ENTITY_INFORMATION
    rec["timestamp"] = timestamp
    rec["length"] = ESPDU_LENGTH
    rec["entity"][:, 0] = config.site_id
    rec["entity"][:, 1] = config.application_id
    rec["entity"][:, 2] = entity
    rec["force"] = force
    rec["etype_kind"] = etype[:, 0]
    rec["etype_domain"] = etype[:, 1]
    rec["alt_etype_kind"] = etype[:, 0]
    rec["alt_etype_domain"] = etype[:, 1]
    rec["velocity"] = velocity
    rec["location"] = location
    rec["orientation"] = orientation
    rec["appearance"] = appearance
    rec["dr_algorithm"] = dr_algorithm
    rec["dr_acceleration"] = acceleration
    rec["marking_charset"] = MARKING_CHARSET_ASCII
    rec["marking"] = marking
    return rec


def split_records(rec: NDArray[np.void]) -> list[bytes]:
    raw = rec.tobytes()
    n = rec.dtype.itemsize
    return [raw[i : i + n] for i in range(0, len(raw), n)]


def _alive_sample(times_s: FloatArray, column: FloatArray, t: float, *, before: bool) -> int | None:
    """Index of the last alive sample at or before ``t`` (or first at or after); None if none."""
    alive = ~np.isnan(column[:, 0])
    tol = 1e-9 * max(1.0, abs(t))
    ok = alive & ((times_s <= t + tol) if before else (times_s >= t - tol))
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return None
    return int(idx[-1] if before else idx[0])


@dataclass(frozen=True)
class SiteTable:
    """What the Entity State PDUs of the fixed sites carry, row for row of a :class:`SitePoints`.

    Attributes
    ----------
    numbers : (P,) int64
        Entity numbers.
    force, etype : (P,) and (P, 2) int64
        DIS force id, and entity kind and domain.
    position_ecef_m, euler : (P, 3) float64
        Location, and orientation (level, facing north).
    marking : (P,) bytes
        11-character markings.
    """

    numbers: NDArray[np.int64]
    force: NDArray[np.int64]
    etype: NDArray[np.int64]
    position_ecef_m: FloatArray
    euler: FloatArray
    marking: NDArray[np.bytes_]

    @classmethod
    def build(
        cls, sites: SitePoints, force_of: Mapping[str, int], numbers: Sequence[int]
    ) -> SiteTable:
        """The table of ``sites``; ``force_of`` maps partner to force id (see :func:`force_ids`)."""
        n = len(sites)
        sx, sy, sz = pymap3d.geodetic2ecef(sites.lat_deg, sites.lon_deg, sites.alt_m)
        pos = np.stack([sx, sy, sz], axis=-1).astype(np.float64).reshape(n, 3)
        lat = np.radians(np.asarray(sites.lat_deg, dtype=np.float64))
        lon = np.radians(np.asarray(sites.lon_deg, dtype=np.float64))
        up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)
        north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], -1)
        etype = np.array(
            [_site_entity_type(k, float(a)) for k, a in zip(sites.kinds, sites.alt_m, strict=True)],
            dtype=np.int64,
        ).reshape(n, 2)
        force = np.array([force_of.get(p, FORCE_FRIENDLY) for p in sites.partners], np.int64)
        return cls(
            numbers=np.asarray(numbers, dtype=np.int64).reshape(n),
            force=force.reshape(n),
            etype=etype,
            position_ecef_m=pos,
            euler=euler_from_direction(north.reshape(n, 3), up.reshape(n, 3)),
            marking=markings(sites.ids),
        )

    def encode(self, config: DisConfig, timestamps: NDArray[np.uint32]) -> list[bytes]:
        """Entity State PDUs of every site at each timestamp (time-major)."""
        n = len(self.numbers)
        k_s = np.tile(np.arange(n), len(timestamps))
        zeros3 = np.zeros((len(k_s), 3))
        rec = encode_entity_states(
            config,
            np.repeat(np.asarray(timestamps, dtype=np.uint32), n),
            self.numbers[k_s],
            self.force[k_s],
            self.etype[k_s],
            zeros3,
            self.position_ecef_m[k_s],
            self.euler[k_s],
            np.zeros(len(k_s), dtype=np.int64),
            np.full(len(k_s), DEAD_RECKONING_STATIC),
            zeros3,
            self.marking[k_s],
        )
        return split_records(rec)


EntityId = tuple[int, int, int]
NO_ENTITY: EntityId = (0, 0, 0)


def munition_type(kind_domain: Sequence[int]) -> tuple[int, ...]:
    """Munition descriptor of one interceptor: generic type, warhead and fuse 0, quantity 1."""
    # kind, domain, country 0, category/subcategory/specific/extra 0; warhead and fuse 0
    # ("other"), quantity 1, rate 0.
    return (int(kind_domain[0]), int(kind_domain[1]), 0, 0, 0, 0, 0, 0, 0, 1, 0)


def encode_fire(
    config: DisConfig,
    timestamp: int,
    firing: EntityId,
    target: EntityId,
    munition: EntityId,
    event_number: int,
    location_ecef_m: FloatArray,
    munition_descriptor: Sequence[int],
    velocity_m_s: FloatArray,
    range_m: float,
) -> bytes:
    """One Fire PDU (IEEE 1278.1-2012, 7.3.2); the event id is this application's."""
    return struct.pack(
        FIRE_FORMAT,
        *_header(config, PDU_TYPE_FIRE, FAMILY_WARFARE, timestamp, FIRE_LENGTH),
        *firing,
        *target,
        *munition,
        config.site_id,
        config.application_id,
        event_number,
        0,  # fire mission index: none
        *np.asarray(location_ecef_m, dtype=np.float64),
        *munition_descriptor,
        *np.asarray(velocity_m_s, dtype=np.float64),
        float(range_m),
    )


def encode_detonation(
    config: DisConfig,
    timestamp: int,
    firing: EntityId,
    target: EntityId,
    exploding: EntityId,
    event_number: int,
    velocity_m_s: FloatArray,
    location_ecef_m: FloatArray,
    munition_descriptor: Sequence[int],
    location_in_target_m: FloatArray,
    kill: bool,
) -> bytes:
    """One Detonation PDU (7.3.3): result "entity impact" for a kill, "detonation" for a miss."""
    result = DETONATION_RESULT_ENTITY_IMPACT if kill else DETONATION_RESULT_DETONATION
    return struct.pack(
        DETONATION_FORMAT,
        *_header(config, PDU_TYPE_DETONATION, FAMILY_WARFARE, timestamp, DETONATION_LENGTH),
        *firing,
        *target,
        *exploding,
        config.site_id,
        config.application_id,
        event_number,
        *np.asarray(velocity_m_s, dtype=np.float64),
        *np.asarray(location_ecef_m, dtype=np.float64),
        *munition_descriptor,
        *np.asarray(location_in_target_m, dtype=np.float64),
        result,
        0,
        0,
    )


def location_in_target(target_state: FloatArray, where_ecef_m: FloatArray) -> FloatArray:
    """(3,) offset of ``where`` from the target in the target's DIS body axes.

    ``target_state`` is the target's ECEF state (6,): body x along its velocity.
    """
    tgt = np.asarray(target_state, dtype=np.float64).reshape(1, 6)
    e = euler_from_direction(tgt[:, 3:], geodetic_up(tgt[:, :3]))
    return np.asarray(body_to_world(e)[0].T @ (np.asarray(where_ecef_m) - tgt[0, :3]))


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
    "parse_url",
]
