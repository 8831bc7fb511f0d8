"""The threat entity and its settings: what one partner's board holds about one threat.

:class:`Threat` is the board's mutable record of one threat (its class, sources,
launch point, predicted impact or closest approach, threatened assets,
engagements, classification and lifecycle); :class:`ThreatConfig` holds the
gates and thresholds of :class:`~skyweave.warning.threats.ThreatBoard` (the module
that owns the threat); the small geometry helpers both use live here too.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.geodetic import geodetic_to_ecef
from skyweave.warning.air_threats import AirEvaluation, AirThreatConfig
from skyweave.warning.site_kernel import pow_rows
from skyweave.warning.threat_columns import COLUMN_FIELDS, ThreatColumns

FloatArray = NDArray[np.float64]

THREAT_ALERT_KINDS = ("new_threat", "threat_change", "engagement_result", "impact", "all_clear")
LIFECYCLES = (
    "detected",
    "tracked",
    "impact_predicted",
    "engaged",
    "killed",
    "impacted",
    "all_clear",
)
CLASSIFICATIONS = ("unknown", "accidental", "deliberate")


@dataclass(frozen=True)
class ThreatConfig:
    """Gates and thresholds of the threat board (see the module docstring).

    Attributes
    ----------
    launch_gate_m, launch_time_gate_s : float
        Launch points and first-seen times of two reports of one launch.
    impact_gate_m, impact_time_gate_s : float
        Predicted impacts of two reports of one threat: points within
        ``impact_gate_m`` (or the two ellipses' semi-major axes together) and
        times within ``impact_time_gate_s``.
    impact_time_change_s, air_time_change_s : float
        A move of the predicted impact time (closest approach time for an
        air-breathing threat, noisier: it divides by a ground speed) beyond
        this raises an alert.
    threatened_hold_s : float
        An asset leaves a threat's threatened list only after its predictions
        have left it out this long.
    min_move_m : float
        An impact point within this of the last alert's never raises one
        (however small that ellipse has become).
    impact_grace_s : float
        The threat has impacted once its predicted impact time plus this has
        passed (the predictor's model error: the nominal ballistic coefficient).
    detected_timeout_s : float
        A threat that nothing ever predicted an impact for ends this long after
        it was first seen.
    air_lost_s : float
        An air-breathing threat whose picture track has been gone this long,
        or that has threatened nothing for this long, ends.
    air_continuation_m : float
        A new picture track continues an air threat whose track is gone when it
        is within three combined sigmas plus this of that track flown on.
    air : AirThreatConfig
    """

    launch_gate_m: float = 150_000.0
    launch_time_gate_s: float = 30.0
    impact_gate_m: float = 50_000.0
    impact_time_gate_s: float = 20.0
    impact_time_change_s: float = 30.0
    threatened_hold_s: float = 20.0
    air_time_change_s: float = 60.0
    min_move_m: float = 5_000.0
    impact_grace_s: float = 5.0
    detected_timeout_s: float = 900.0
    air_lost_s: float = 60.0
    air_continuation_m: float = 5_000.0
    air: AirThreatConfig = field(default_factory=AirThreatConfig)


@dataclass(frozen=True)
class AssetInfo:
    """What a threat board tells of a defended asset it may threaten."""

    asset_id: str
    name: str
    owner: str
    value: float


@dataclass(frozen=True)
class PredictedImpact:
    """A predicted impact (or closest approach) and where it came from (frozen: a
    threat's board row is kept while its prediction is the same object)."""

    time_s: float
    lat_deg: float
    lon_deg: float
    ecef_m: FloatArray  # ground_ecef(lat_deg, lon_deg)
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    source: str  # "own" or the partner that reported it


#: the :class:`Threat` fields a board row's time-free part is made of
#: (:class:`~skyweave.warning.threat_rows.BoardRowCache`); strings, numbers, a tuple of
#: strings and a frozen :class:`PredictedImpact`: changed only by setting them
ROW_FIELDS = frozenset(
    {
        "number",
        "partner",
        "threat_class",
        "first_seen_s",
        "first_source",
        "launch_time_s",
        "launch_lat_deg",
        "launch_lon_deg",
        "impact",
        "threatened",
        "classification",
        "lifecycle",
        "last_change_s",
    }
)
_WATCHED = ROW_FIELDS | COLUMN_FIELDS
_UNSET = object()


def _same_in_row(old: Any, new: Any) -> bool:
    """Setting ``new`` where ``old`` was leaves a board row as it was: the same object,
    equal strings or tuples (of strings), or equal floats other than zero (two such
    floats of one type are the same value; ``-0.0`` is not ``0.0``)."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(new, str | tuple):
        return bool(old == new)
    return isinstance(new, float) and old == new and new != 0.0


@dataclass
class Threat:
    """One threat in one partner's picture (mutable: the board's own record)."""

    number: int
    partner: str
    threat_class: str
    first_seen_s: float
    first_source: str
    launch_time_s: float = np.nan
    launch_lat_deg: float = np.nan
    launch_lon_deg: float = np.nan
    launch_source: str | None = None
    events: set[str] = field(default_factory=set)
    tracks: set[int] = field(default_factory=set)
    live_tracks: set[int] = field(default_factory=set)
    remote: dict[str, str] = field(default_factory=dict)  # partner -> its threat id
    picture_number: int | None = None
    impact: PredictedImpact | None = None
    threatened: tuple[str, ...] = ()
    engagements: dict[int, dict[str, Any]] = field(default_factory=dict)
    classification: str = "unknown"
    lifecycle: str = "detected"
    ended_s: float = np.nan
    last_change_s: float = np.nan
    last_seen_s: float = np.nan
    last_threat_s: float = np.nan
    sources: set[str] = field(default_factory=set)
    originators: set[str] = field(default_factory=set)
    truth: Counter[str] = field(default_factory=Counter)
    last_state: tuple[float, FloatArray, float] | None = None  # air: time, state, sigma
    out_since: dict[str, float] = field(default_factory=dict)  # asset -> left the ellipse
    alerted: PredictedImpact | None = None  # the prediction of the last alert
    alerted_threatened: tuple[str, ...] = ()
    # the board's columns that follow this threat (:mod:`~skyweave.warning.threat_columns`)
    columns: ThreatColumns | None = field(default=None, repr=False, compare=False)
    # counts the settings of the fields its board row's time-free part is made of
    # (:data:`ROW_FIELDS`; the row is kept while it stays)
    row_version: int = field(default=0, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _WATCHED:
            object.__setattr__(self, name, value)
            return
        held = self.__dict__
        if name in ROW_FIELDS and not _same_in_row(held.get(name, _UNSET), value):
            held["row_version"] = held.get("row_version", 0) + 1
        object.__setattr__(self, name, value)
        if name in COLUMN_FIELDS and (cols := held.get("columns")) is not None:
            cols.update(self, name, value)

    @property
    def threat_id(self) -> str:
        """The stable id ``"<partner>:T<n>"``."""
        return f"{self.partner}:T{self.number}"

    @property
    def open(self) -> bool:
        """Not ended yet."""
        return not math.isfinite(self.ended_s)  # (a scalar: math is faster than np)

    @property
    def truth_object_id(self) -> str | None:
        """Most voted truth object (scoring only)."""
        # what ``most_common(1)`` returns (the first of the most voted, in insertion
        # order), without its heap: the threat table asks at every report time
        truth = self.truth
        if len(truth) == 1:  # most threats: one truth object (the max of one)
            return next(iter(truth))
        return max(truth.items(), key=itemgetter(1))[0] if truth else None


def impact_of_row(row: dict[str, Any], source: str) -> PredictedImpact:
    lat, lon = float(row["impact_lat_deg"]), float(row["impact_lon_deg"])
    return PredictedImpact(
        time_s=float(row["impact_time_s"]),
        lat_deg=lat,
        lon_deg=lon,
        ecef_m=ground_ecef(lat, lon),
        semi_major_m=as_float(row["ellipse_semi_major_m"]),
        semi_minor_m=as_float(row["ellipse_semi_minor_m"]),
        orientation_deg=as_float(row["ellipse_orientation_deg"]),
        source=source,
    )


def adopt_launch(threat: Threat, row: dict[str, Any]) -> None:
    """Take a row's launch point for a threat that has none yet."""
    if not math.isfinite(threat.launch_lat_deg) and is_finite(row["launch_lat_deg"]):
        threat.launch_lat_deg = float(row["launch_lat_deg"])
        threat.launch_lon_deg = float(row["launch_lon_deg"])
        threat.launch_source = row["launch_source"]


def untracked(t: Threat) -> bool:
    """No live own track holds the threat (a new track may)."""
    return not t.live_tracks


def site_distances_m(
    lat_deg: float, lon_deg: float, lats_deg: FloatArray, lons_deg: FloatArray
) -> FloatArray:
    """Great-circle distances from one launch point to many, metres.

    Bit for bit the numbers one scalar ``_great_circle_m`` call per pair compares, one
    ``_great_circle_m(lat_deg, lon_deg, lats_deg[k], lons_deg[k])`` call per point
    (the haversine, in the same order of operations), in one pass over the arrays.

    Parameters
    ----------
    lat_deg, lon_deg : float
        The point.
    lats_deg, lons_deg : (N,) float
        The other points (contiguous: NumPy's vectorised transcendentals then take
        the same path for every element as for a single scalar).

    Returns
    -------
    (N,) float
    """
    la1, lo1 = np.radians(lat_deg), np.radians(lon_deg)
    la2, lo2 = np.radians(lats_deg), np.radians(lons_deg)
    h = _libm_squares(np.sin((la2 - la1) / 2)) + np.cos(la1) * np.cos(la2) * _libm_squares(
        np.sin((lo2 - lo1) / 2)
    )
    return np.asarray(2.0 * R_EARTH_MEAN_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _libm_squares(x: FloatArray) -> FloatArray:
    """``x ** 2`` element by element as a NumPy scalar squares: with the C library's
    ``pow``. An array's ``** 2`` multiplies ``x * x`` instead, which differs from ``pow``
    in the last bit for about one value in a thousand, and the board's distances have
    always been scalar ones. Compiled (:func:`~skyweave.warning.site_kernel.pow_rows`)."""
    return pow_rows(np.ascontiguousarray(x, dtype=np.float64), 2.0)


def site_groups(threats: Sequence[Threat], gate_m: float) -> list[list[Threat]]:
    """The threats grouped by launch site, greedily in their order: the first threat
    left and every threat left whose launch point is within ``gate_m`` of its own
    (as one scalar ``_great_circle_m`` call per pair measured it; not the connected
    components of "within the gate"), until none is left.

    Parameters
    ----------
    threats : sequence of Threat
    gate_m : float

    Returns
    -------
    list of list of Threat
        Each group in the threats' order; a threat with no launch point is a group
        of its own.
    """
    lat = np.array([t.launch_lat_deg for t in threats], dtype=np.float64)
    lon = np.array([t.launch_lon_deg for t in threats], dtype=np.float64)
    left = np.arange(len(threats))
    groups = []
    while len(left):
        head = left[0]
        within = (
            site_distances_m(float(lat[head]), float(lon[head]), lat[left], lon[left]) <= gate_m
        )
        within[0] = True  # the head itself (even with no launch point to be near)
        groups.append([threats[k] for k in left[within].tolist()])
        left = left[~within]
    return groups


def cpa_impact(ev: AirEvaluation, k: int) -> PredictedImpact:
    """Track ``k``'s closest approach as a threat's predicted impact."""
    lat, lon, r95 = float(ev.cpa_lat_deg[k]), float(ev.cpa_lon_deg[k]), float(ev.radius95_m[k])
    return PredictedImpact(
        time_s=float(ev.cpa_time_s[k]),
        lat_deg=lat,
        lon_deg=lon,
        ecef_m=ground_ecef(lat, lon),
        semi_major_m=r95,
        semi_minor_m=r95,
        orientation_deg=0.0,
        source="own",
    )


def inside_ellipse(imp: PredictedImpact, last: PredictedImpact) -> bool:
    """``imp``'s point lies inside ``last``'s ellipse (orientation clockwise from North)."""
    if not (math.isfinite(last.semi_major_m) and math.isfinite(last.semi_minor_m)):
        return False
    e, n = east_north_m(imp, last)
    orientation_deg = last.orientation_deg
    if not math.isfinite(orientation_deg):  # (NaN as 0; a scalar nan_to_num is slow)
        orientation_deg = np.nan_to_num(orientation_deg)
    a = np.radians(orientation_deg)
    along = float(e) * np.sin(a) + float(n) * np.cos(a)
    across = float(e) * np.cos(a) - float(n) * np.sin(a)
    major, minor = max(last.semi_major_m, 1.0), max(last.semi_minor_m, 1.0)
    return bool((along / major) ** 2 + (across / minor) ** 2 <= 1.0)


def east_north_m(imp: PredictedImpact, last: PredictedImpact) -> tuple[np.float64, np.float64]:
    """East and North (m) of ``imp``'s point from ``last``'s, on the ground.

    ``pymap3d.geodetic2enu(imp.lat_deg, imp.lon_deg, 0, last.lat_deg, last.lon_deg, 0)``
    bit for bit: the difference of the two ground points (each ``ecef_m``, already
    made) turned into East-North, as it does.
    """
    d = imp.ecef_m - last.ecef_m
    e, n, _ = pymap3d.uvw2enu(d[0], d[1], d[2], last.lat_deg, last.lon_deg)
    return e, n


def ground_ecef(lat_deg: float, lon_deg: float) -> FloatArray:
    """``pymap3d.geodetic2ecef(lat_deg, lon_deg, 0)`` as a (3,) array (bit for bit)."""
    return np.asarray(geodetic_to_ecef(lat_deg, lon_deg, 0.0), dtype=np.float64)


def as_float(value: Any) -> float:
    return float(value) if value is not None else np.nan


def is_finite(value: Any) -> bool:
    return value is not None and math.isfinite(value)


def median(values: Sequence[float]) -> float:
    """``float(np.median(values))`` of a short list, without NumPy's overhead.

    Parameters
    ----------
    values : sequence of float
        Not empty.

    Returns
    -------
    float
        The middle value, or the two middle ones' sum halved, as NumPy takes them
        (NumPy's own answer where a value is not finite).
    """
    if not all(map(math.isfinite, values)):
        return float(np.median(values))  # (NaN: NumPy's answer)
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def rounded(value: float, digits: int = 4) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


def threat_rules_markdown() -> str:
    """The threat board's rules and thresholds as Markdown (for the scenario reference):
    every :class:`ThreatConfig` and :class:`AirThreatConfig` attribute with its value
    and the words of its docstring."""
    out = [
        "| threshold | value | meaning |",
        "|---|---|---|",
    ]
    for cls, obj in ((ThreatConfig, ThreatConfig()), (AirThreatConfig, AirThreatConfig())):
        for names, text in _attribute_docs(cls.__doc__ or ""):
            values = ", ".join(f"{getattr(obj, n):g}" for n in names)
            out.append(f"| {', '.join(f'`{n}`' for n in names)} | {values} | {text} |")
    return "\n".join(out) + "\n"


def _attribute_docs(doc: str) -> list[tuple[list[str], str]]:
    """``(names, description)`` of the numeric attributes in a NumPy-style docstring."""
    lines = doc.split("Attributes\n    ----------\n", 1)[-1].splitlines()
    out: list[tuple[list[str], str]] = []
    for line in lines:
        if line.startswith("    ") and not line.startswith("        ") and ":" in line:
            names, kind = line.strip().split(" : ", 1)
            if kind.strip() == "float":
                out.append(([n.strip() for n in names.split(",")], ""))
            else:
                out.append(([], ""))
        elif line.startswith("        ") and out:
            held, text = out[-1]
            out[-1] = (held, f"{text} {line.strip()}".strip())
    return [(names, text) for names, text in out if names]


__all__ = [
    "CLASSIFICATIONS",
    "LIFECYCLES",
    "THREAT_ALERT_KINDS",
    "AssetInfo",
    "ROW_FIELDS",
    "PredictedImpact",
    "Threat",
    "ThreatConfig",
    "adopt_launch",
    "as_float",
    "cpa_impact",
    "east_north_m",
    "ground_ecef",
    "impact_of_row",
    "inside_ellipse",
    "is_finite",
    "median",
    "rounded",
    "site_distances_m",
    "site_groups",
    "threat_rules_markdown",
    "untracked",
]
