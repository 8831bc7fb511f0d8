"""Space-based infrared launch detection: a staring satellite that sees burning motors.

A satellite sees an object while its motor burns, the object is above the
cloud tops, and the straight line from the satellite to it does not pass
through the Earth (WGS84 ellipsoid). Each frame (every ``frame_period_s``) it
reports, ``processing_delay_s`` later, a noisy line of sight (LOS).

Line-of-sight angles (frame-free, in ECEF): for the unit vector ``u`` from the
satellite towards the object,

* ``los_angle1_rad = atan2(u_y, u_x)`` in ``(-pi, pi]`` (longitude-like),
* ``los_angle2_rad = asin(u_z)`` in ``[-pi/2, pi/2]`` (latitude-like).

Noise is isotropic across the LOS: two independent Gaussian angular errors of
``sigma_los_rad`` along the two directions perpendicular to ``u``, i.e.
``angle2 += sigma * n2`` and ``angle1 += sigma * n1 / cos(angle2)``.

One satellite gives a bearing (:func:`los_ground_intersection`,
:func:`los_ground_bearing`); two or more triangulate (:func:`triangulate_los`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.kinematics.truth import Truth
from skyweave.sensors.detections import Detections
from skyweave.sensors.sampling import (
    Outage,
    overlaps_outage,
    positions_at,
    scan_blocks,
    scan_times,
    validate_outages,
)

FloatArray = NDArray[np.float64]

GEOSTATIONARY_ALTITUDE_M = 35_786_000.0
"""Height of the geostationary orbit above the equator."""

WGS84_B_M = 6_356_752.314245
"""WGS84 semi-minor axis."""

# axis scales that turn the WGS84 ellipsoid into the unit sphere (read only: shared)
_UNIT_SCALE = np.array([1 / WGS84_A_M, 1 / WGS84_A_M, 1 / WGS84_B_M])
_UNIT_SCALE.flags.writeable = False


@dataclass(frozen=True)
class InfraredSatelliteParams:
    """Notional parameters of one space-based infrared sensor.

    Attributes
    ----------
    sensor_id : str
        Stable sensor name (also the name of its random generator).
    partner : str
        Owning partner.
    position_ecef_m : tuple of 3 floats
        Fixed satellite position, ECEF WGS84, metres (a geostationary
        satellite is fixed in ECEF; see :meth:`geostationary`).
    frame_period_s : float
        Time between frames (revisit), seconds.
    sigma_los_rad : float
        One-sigma angular noise across the line of sight, per axis, radians.
    processing_delay_s : float
        Delay from frame to report, seconds.
    cloud_top_altitude_m : float
        A plume below this geodetic height is hidden by cloud, metres.
    detection_probability : float
        Probability that a visible burning object is reported in a frame.
    first_frame_s : float or None
        Time of one frame (phase of the schedule); the first truth time when None.
    outages : tuple of (start_s, end_s)
        Intervals ``[start_s, end_s)`` with no reports.
    """

    sensor_id: str
    partner: str
    position_ecef_m: tuple[float, float, float]
    frame_period_s: float
    sigma_los_rad: float
    processing_delay_s: float = 0.0
    cloud_top_altitude_m: float = 10_000.0
    detection_probability: float = 1.0
    first_frame_s: float | None = None
    outages: tuple[Outage, ...] = ()

    def __post_init__(self) -> None:
        name = f"infrared {self.sensor_id!r}"
        pos = tuple(float(v) for v in self.position_ecef_m)
        if len(pos) != 3 or not all(np.isfinite(pos)):
            raise ValueError(f"{name}.position_ecef_m: expected 3 finite numbers")
        if float(np.linalg.norm(pos)) <= WGS84_A_M:
            raise ValueError(f"{name}.position_ecef_m: the satellite must be above the Earth")
        object.__setattr__(self, "position_ecef_m", pos)
        if not self.frame_period_s > 0.0:
            raise ValueError(f"{name}.frame_period_s: expected > 0, got {self.frame_period_s}")
        for key in ("sigma_los_rad", "processing_delay_s", "cloud_top_altitude_m"):
            value = getattr(self, key)
            if not value >= 0.0:
                raise ValueError(f"{name}.{key}: expected >= 0, got {value}")
        if not 0.0 <= self.detection_probability <= 1.0:
            raise ValueError(f"{name}.detection_probability: expected within [0, 1]")
        object.__setattr__(self, "outages", validate_outages(self.outages, name))

    @classmethod
    def geostationary(
        cls, sensor_id: str, partner: str, longitude_deg: float, **kwargs: object
    ) -> InfraredSatelliteParams:
        """A satellite over the equator at ``longitude_deg``, 35 786 km up.

        Other fields are passed through ``kwargs``.
        """
        pos = geostationary_position_ecef_m(longitude_deg)
        return cls(sensor_id, partner, pos, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def at_geodetic(
        cls,
        sensor_id: str,
        partner: str,
        lat_deg: float,
        lon_deg: float,
        alt_m: float,
        **kwargs: object,
    ) -> InfraredSatelliteParams:
        """A satellite fixed above a geodetic position (altitude in metres)."""
        x, y, z = pymap3d.geodetic2ecef(lat_deg, lon_deg, alt_m)
        return cls(sensor_id, partner, (float(x), float(y), float(z)), **kwargs)  # type: ignore[arg-type]

    @property
    def position(self) -> FloatArray:
        """Satellite ECEF position as a (3,) array."""
        return np.asarray(self.position_ecef_m, dtype=np.float64)


def geostationary_position_ecef_m(longitude_deg: float) -> tuple[float, float, float]:
    """ECEF position of a geostationary satellite at ``longitude_deg``."""
    x, y, z = pymap3d.geodetic2ecef(0.0, longitude_deg, GEOSTATIONARY_ALTITUDE_M)
    return float(x), float(y), float(z)


def los_angles(unit_los: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``(angle1, angle2) = (atan2(u_y, u_x), asin(u_z))`` of LOS vectors (..., 3)."""
    u = np.asarray(unit_los, dtype=np.float64)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    return np.arctan2(u[..., 1], u[..., 0]), np.arcsin(np.clip(u[..., 2], -1.0, 1.0))


def los_unit_vector(angle1_rad: ArrayLike, angle2_rad: ArrayLike) -> FloatArray:
    """Unit ECEF vectors (..., 3) from the two LOS angles (inverse of :func:`los_angles`)."""
    a1 = np.asarray(angle1_rad, dtype=np.float64)
    a2 = np.asarray(angle2_rad, dtype=np.float64)
    c2 = np.cos(a2)
    return np.stack([c2 * np.cos(a1), c2 * np.sin(a1), np.sin(a2)], axis=-1)


def perturb_los_angles(
    angle1_rad: FloatArray, angle2_rad: FloatArray, sigma_rad: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Add isotropic transverse angular noise of ``sigma_rad`` per axis to LOS angles.

    Draws ``standard_normal((n, 2))``; angle1 is wrapped to ``(-pi, pi]``.
    """
    n = rng.standard_normal((len(angle1_rad), 2))
    a2 = angle2_rad + sigma_rad * n[:, 1]
    # A step of d(angle1) moves the unit vector by cos(angle2) d(angle1).
    a1 = angle1_rad + sigma_rad * n[:, 0] / np.cos(angle2_rad)
    a1 = np.arctan2(np.sin(a1), np.cos(a1))
    return a1, a2


def earth_blocks_segment(start_ecef_m: ArrayLike, end_ecef_m: ArrayLike) -> NDArray[np.bool_]:
    """True where the straight segment between two points passes through the WGS84 ellipsoid.

    Shapes broadcast over (..., 3). Scaling the axes by ``(1/a, 1/a, 1/b)``
    turns the ellipsoid into the unit sphere and keeps segments straight, so
    the test is the distance from the origin to the scaled segment.
    """
    s = np.asarray(start_ecef_m, dtype=np.float64) * _UNIT_SCALE
    e = np.asarray(end_ecef_m, dtype=np.float64) * _UNIT_SCALE
    d = e - s
    dd = np.sum(d * d, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.clip(-np.sum(s * d, axis=-1) / dd, 0.0, 1.0)
    closest = s + tau[..., None] * d
    with np.errstate(invalid="ignore"):
        return np.asarray(np.sum(closest * closest, axis=-1) < 1.0)


def infrared_visibility(
    params: InfraredSatelliteParams,
    positions_ecef_m: FloatArray,
    times_s: FloatArray,
    burnout_time_s: FloatArray,
) -> NDArray[np.bool_]:
    """Which objects the satellite can see at each time.

    Parameters
    ----------
    params : InfraredSatelliteParams
    positions_ecef_m : (S, N, 3)
        Object positions (NaN when not in flight).
    times_s : (S,)
    burnout_time_s : (N,)
        NaN for objects without a rocket motor (never seen).

    Returns
    -------
    (S, N) bool
        In flight, burning (``t <= burnout``), above the cloud tops and not
        hidden by the Earth.
    """
    burn_end = burn_end_times_s(burnout_time_s)
    ok = np.isfinite(positions_ecef_m[..., 0]) & (times_s[:, None] <= burn_end[None, :])
    idx = np.nonzero(ok)
    if len(idx[0]):
        ok[idx] = _seen(params, positions_ecef_m[idx])
    return ok


def burn_end_times_s(burnout_time_s: FloatArray) -> FloatArray:
    """End of each object's burn for the visibility test: ``burnout_time_s`` with NaN
    (no rocket motor: never burning) as ``-inf``."""
    return np.where(np.isnan(burnout_time_s), -np.inf, burnout_time_s).astype(np.float64)


def _seen(params: InfraredSatelliteParams, candidates_ecef_m: FloatArray) -> NDArray[np.bool_]:
    """Which burning, in-flight candidates (K, 3) are above the cloud tops and not
    hidden by the Earth."""
    cand = candidates_ecef_m
    _, _, h = ecef_to_geodetic(cand[:, 0], cand[:, 1], cand[:, 2])
    seen = np.asarray(h) > params.cloud_top_altitude_m
    seen &= ~earth_blocks_segment(params.position, cand)
    return seen


def simulate_infrared(
    params: InfraredSatelliteParams, truth: Truth, rng: np.random.Generator
) -> Detections:
    """Detections of one infrared satellite over the whole run.

    Frames happen at ``first_frame_s + k * frame_period_s`` within the truth
    time span; positions are interpolated linearly between truth samples and
    the burn test uses the frame time itself against ``burnout_time_s``. A
    frame whose interval ``[frame, frame + processing_delay_s]`` meets an
    outage reports nothing. Vectorised over frames and objects.

    Parameters
    ----------
    params : InfraredSatelliteParams
    truth : Truth
    rng : numpy.random.Generator
        The sensor's own generator. Draw order: one uniform per visible
        (frame, object) pair in frame-major order, then ``(n, 2)`` normals.

    Returns
    -------
    Detections
        ``time_s`` is the frame time, ``report_time_s`` adds the processing
        delay; rows sorted by time, objects in truth order within a frame.
    """
    frames = scan_times(truth.times_s, params.frame_period_s, params.first_frame_s)
    frames = frames[~overlaps_outage(frames, frames + params.processing_delay_s, params.outages)]
    # Geometry block by block (bounded memory); no random draw in this loop.
    s_parts: list[NDArray[np.intp]] = []
    o_parts: list[NDArray[np.intp]] = []
    p_parts: list[FloatArray] = []
    for block in scan_blocks(len(frames), len(truth.object_ids)):
        positions = positions_at(truth, frames[block])
        visible = infrared_visibility(params, positions, frames[block], truth.burnout_time_s)
        s_blk, o_blk = np.nonzero(visible)
        s_parts.append(s_blk + block.start)
        o_parts.append(o_blk)
        p_parts.append(positions[s_blk, o_blk])
    s_idx = np.concatenate(s_parts) if s_parts else np.empty(0, np.intp)
    o_idx = np.concatenate(o_parts) if o_parts else np.empty(0, np.intp)
    seen_pos = np.concatenate(p_parts) if p_parts else np.empty((0, 3))

    return _frame_rows(params, frames[s_idx], o_idx, seen_pos, truth.object_ids, rng)


def infrared_frame(
    params: InfraredSatelliteParams,
    time_s: float,
    positions_ecef_m: FloatArray,
    burn_end_s: FloatArray,
    object_ids: NDArray[np.object_],
    rng_of: Callable[[], np.random.Generator],
) -> Detections | None:
    """Detections of one frame: :func:`simulate_infrared` on a one-sample truth, row for row.

    The sensors stage's per-frame path, without the schedule and block machinery
    of the whole-run function (one frame at the sample's own time, no outage).

    Parameters
    ----------
    params : InfraredSatelliteParams
    time_s : float
        Frame time (the sample's time).
    positions_ecef_m : (N, 3) float64
        Object positions at ``time_s`` (NaN rows: not in flight).
    burn_end_s : (N,) float64
        :func:`burn_end_times_s` of the objects' burnout times.
    object_ids : (N,) object
    rng_of : callable
        ``rng_of()`` is the frame's generator, drawn from as :func:`simulate_infrared`
        draws; called only when an object is visible (a frame without one draws nothing).

    Returns
    -------
    Detections or None
        None when no object is visible.
    """
    ok = np.isfinite(positions_ecef_m[:, 0]) & (time_s <= burn_end_s)
    if not ok.any():
        return None
    # as infrared_visibility: the candidates gathered (K, 3), then height and Earth tests
    cand = positions_ecef_m[ok]
    seen = _seen(params, cand)
    if not seen.any():
        return None
    o_idx = np.flatnonzero(ok)[seen]
    return _frame_rows(params, np.full(len(o_idx), time_s), o_idx, cand[seen], object_ids, rng_of())


def _frame_rows(
    params: InfraredSatelliteParams,
    times: FloatArray,
    o_idx: NDArray[np.intp],
    seen_pos: FloatArray,
    object_ids: Sequence[str] | NDArray[np.object_],
    rng: np.random.Generator,
) -> Detections:
    """Draws and rows of the visible (frame, object) pairs (``times`` per pair)."""
    hit = rng.random(len(o_idx)) < params.detection_probability
    times, o_idx, seen_pos = times[hit], o_idx[hit], seen_pos[hit]

    sat = params.position
    a1, a2 = los_angles(seen_pos - sat)
    a1, a2 = perturb_los_angles(a1, a2, params.sigma_los_rad, rng)

    m = len(o_idx)
    nan = np.full(m, np.nan)
    return Detections(
        time_s=times,
        report_time_s=times + params.processing_delay_s,
        sensor_id=np.full(m, params.sensor_id, dtype=object),
        sensor_type=np.full(m, "infrared", dtype=object),
        partner=np.full(m, params.partner, dtype=object),
        object_id=np.asarray(object_ids, dtype=object)[o_idx],
        range_m=nan,
        azimuth_rad=nan.copy(),
        elevation_rad=nan.copy(),
        los_angle1_rad=a1,
        los_angle2_rad=a2,
        sensor_x_m=np.full(m, sat[0]),
        sensor_y_m=np.full(m, sat[1]),
        sensor_z_m=np.full(m, sat[2]),
        sigma_range_m=nan.copy(),
        sigma_azimuth_rad=nan.copy(),
        sigma_elevation_rad=nan.copy(),
        sigma_los_rad=np.full(m, params.sigma_los_rad),
    )


def triangulate_los(
    sat_positions: ArrayLike,
    unit_los: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    angular: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """Weighted least-squares point closest to K lines of sight, with its covariance.

    Minimises ``sum_k w_k |(I - u_k u_k^T)(x - p_k)|^2`` (squared perpendicular
    distances). Vectorised: leading batch dimensions are solved independently.

    Parameters
    ----------
    sat_positions : (..., K, 3)
        Line origins (satellite ECEF positions), metres.
    unit_los : (..., K, 3)
        Line directions (normalised here).
    weights : (..., K) or None
        With ``angular=True`` (default): ``1 / sigma_k**2`` with ``sigma_k`` the
        per-axis angular LOS noise in radians; the solver then converts them to
        position weights ``1 / (sigma_k d_k)**2`` using the distance ``d_k``
        from each satellite to the estimate (two refinement passes). With
        ``angular=False``: inverse variances of the perpendicular position
        error, 1/m^2. None means equal weights (covariance then unscaled).

    Returns
    -------
    point : (..., 3)
        Least-squares closest point, ECEF metres.
    covariance : (..., 3, 3)
        ``(sum_k w_k (I - u_k u_k^T))^-1`` with the final weights: the
        estimate's covariance when the weights are the true inverse variances
        (first order). Two or more non-parallel lines are needed.
    """
    p = np.asarray(sat_positions, dtype=np.float64)
    u = np.asarray(unit_los, dtype=np.float64)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    w0 = np.ones(p.shape[:-1]) if weights is None else np.asarray(weights, dtype=np.float64)
    w0 = np.broadcast_to(w0, p.shape[:-1])
    proj = np.eye(3) - u[..., :, None] * u[..., None, :]  # (..., K, 3, 3)
    proj_p = np.einsum("...kij,...kj->...ki", proj, p)

    def solve(w: FloatArray) -> tuple[FloatArray, FloatArray]:
        a = np.einsum("...k,...kij->...ij", w, proj)
        b = np.einsum("...k,...ki->...i", w, proj_p)
        return np.linalg.solve(a, b[..., None])[..., 0], a

    x, a = solve(w0)
    if angular and weights is not None:
        for _ in range(2):
            d = np.einsum("...ki,...ki->...k", x[..., None, :] - p, u)
            x, a = solve(w0 / (d * d))
    return x, np.asarray(np.linalg.inv(a), dtype=np.float64)


@functools.lru_cache(maxsize=64)
def _raised_scale(altitude_m: float) -> FloatArray:
    """Axis scales of the ellipsoid raised by ``altitude_m`` (read only: shared)."""
    scale = np.array([1.0 / (WGS84_A_M + altitude_m)] * 2 + [1.0 / (WGS84_B_M + altitude_m)])
    scale.flags.writeable = False
    return scale


def _ray_ellipsoid_tau(s: FloatArray, d: FloatArray, altitude_m: float) -> FloatArray:
    """Ray parameter of the first crossing of the (a+h, a+h, b+h) ellipsoid; NaN if none."""
    scale = _raised_scale(altitude_m)
    ss, dd = s * scale, d * scale
    qa = np.sum(dd * dd, axis=-1)
    qb = np.sum(ss * dd, axis=-1)
    qc = np.sum(ss * ss, axis=-1) - 1.0
    disc = qb * qb - qa * qc
    with np.errstate(invalid="ignore"):
        root = np.sqrt(disc)
        near = (-qb - root) / qa
        far = (-qb + root) / qa
    tau = np.where(near >= 0.0, near, far)
    return np.where((disc >= 0.0) & (tau >= 0.0), tau, np.nan)


def los_ground_intersection(
    sat_pos: ArrayLike, los: ArrayLike, altitude_m: float = 0.0
) -> FloatArray:
    """First point where a line of sight reaches a geodetic height (default: the ground).

    The ray ``sat_pos + tau * los`` (tau >= 0) first meets the surface of
    geodetic height ``altitude_m``. One satellite cannot tell where along its
    LOS the plume is; this gives the ground point behind it (``altitude_m=0``),
    and :func:`los_ground_bearing` the whole bearing.

    Parameters
    ----------
    sat_pos : (..., 3)
        Satellite ECEF position, metres.
    los : (..., 3)
        LOS direction (need not be normalised).
    altitude_m : float
        Geodetic height of the surface.

    Returns
    -------
    (..., 3) float64
        ECEF point, NaN where the ray misses. Started on the ellipsoid raised
        by ``altitude_m`` and refined by Newton steps on the geodetic height
        (to well under a metre).
    """
    s = np.asarray(sat_pos, dtype=np.float64)
    d = np.asarray(los, dtype=np.float64)
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    s, d = np.broadcast_arrays(s, d)
    tau = _ray_ellipsoid_tau(s, d, altitude_m)
    batch = s.shape[:-1]
    for _ in range(3):
        x = s + tau[..., None] * d
        lat, lon, h = ecef_to_geodetic(x[..., 0], x[..., 1], x[..., 2], deg=False)
        # pymap3d squeezes single-element arrays to scalars (the latitude, always):
        # restore the batch shape
        if np.shape(lat) != batch:
            lat = np.broadcast_to(np.asarray(lat), batch)
        if np.shape(lon) != batch or np.shape(h) != batch:
            lon, h = np.broadcast_to(np.asarray(lon), batch), np.broadcast_to(np.asarray(h), batch)
        # The gradient of geodetic height with respect to position is the
        # ellipsoid normal ("up"), so dh/dtau = up . d.
        cos_lat = np.cos(lat)
        up = np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)
        slope = np.sum(up * d, axis=-1)
        tau = tau - (np.asarray(h) - altitude_m) / slope
    return s + tau[..., None] * d


def los_ground_bearing(
    sat_pos: ArrayLike,
    los: ArrayLike,
    max_altitude_m: float,
    n_points: int = 64,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ground track of one line of sight: where the observed object may be.

    A single satellite's LOS through a plume seen at unknown height between 0
    and ``max_altitude_m`` maps onto a curve on the ground: the sub-points of
    the LOS between where it enters the ``max_altitude_m`` shell and where it
    meets the ground.

    Parameters
    ----------
    sat_pos : (3,)
    los : (3,)
    max_altitude_m : float
        Greatest plume height considered, metres.
    n_points : int
        Points along the bearing.

    Returns
    -------
    lat_deg, lon_deg, alt_m : (n_points,) float64
        Geodetic coordinates of points along the LOS, from the top of the
        shell down to the ground (NaN when the ray misses the Earth).
    """
    s = np.asarray(sat_pos, dtype=np.float64)
    d = np.asarray(los, dtype=np.float64)
    d = d / np.linalg.norm(d)
    top = los_ground_intersection(s, d, max_altitude_m)
    ground = los_ground_intersection(s, d, 0.0)
    f = np.linspace(0.0, 1.0, n_points)[:, None]
    pts = top + f * (ground - top)
    lat, lon, alt = ecef_to_geodetic(pts[:, 0], pts[:, 1], pts[:, 2])
    return np.asarray(lat), np.asarray(lon), np.asarray(alt)


def los_from_detections(det: Detections) -> tuple[FloatArray, FloatArray]:
    """Satellite positions (M, 3) and unit LOS vectors (M, 3) of infrared detections."""
    pos = np.stack([det.sensor_x_m, det.sensor_y_m, det.sensor_z_m], axis=-1)
    return pos, los_unit_vector(det.los_angle1_rad, det.los_angle2_rad)
