"""DIS (IEEE 1278.1-2012, protocol version 7) PDU encoding: enumerations, layouts, encoders.

The byte layouts of the Entity State, Fire and Detonation PDUs and the generic
enumerations Skyweave uses, shared by :func:`skyweave.io.dis.build_pdu_stream`
(a recorded run, at once) and :class:`skyweave.io.dis_stream.DisStreamer` (during
a run, tick by tick). DIS world coordinates are ECEF WGS84 metres, the same frame
as Skyweave's truth; all multi-byte fields are big-endian. Entity types are
deliberately generic: kind and domain only, country 0 and every other field 0,
so no real system is enumerated.

Entity State PDUs are encoded in one vectorised pass through a NumPy structured
dtype whose big-endian layout is the same as :data:`ESPDU_FORMAT` (a ``struct``
format kept for reference and for the tests); the few Fire and Detonation PDUs
are packed with ``struct``.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.kinematics.geodetic import ecef_to_geodetic

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
# Settings and sites
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


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
    lat, lon, _ = ecef_to_geodetic(
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
    """One ``bytes`` PDU per structured record (each a complete UDP payload)."""
    raw = rec.tobytes()
    n = rec.dtype.itemsize
    return [raw[i : i + n] for i in range(0, len(raw), n)]


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
