"""Ground radar model (early-warning and fire-control radars share it; parameters differ).

Each scan (every ``revisit_period_s``) the radar looks at every object in flight.
An object is *visible* when it lies within range limits, inside the azimuth
sector and the elevation limits, and above the 4/3-Earth radio horizon. The
elevation limits apply to the *apparent* elevation, refracted by the same
4/3-Earth model as the horizon (:func:`~skyweave.sensors.geometry.apparent_elevation_rad`);
reported elevations are geometric. A
visible object is *detected* with the Swerling-1 probability
``Pd = Pfa ** (1 / (1 + SNR))`` where ``SNR = snr_ref * (ref_range_m / R)**4 *
rcs_factor[class]``. A detection reports range, azimuth and elevation with
independent Gaussian noise. Each scan also adds a Poisson number of false
alarms spread uniformly over the surveillance volume (sector x elevation band x
range shell). All parameters are notional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.kinematics.earth import Ground
from skyweave.kinematics.truth import Truth
from skyweave.sensors.detections import Detections
from skyweave.sensors.geometry import (
    DEFAULT_MIN_ELEVATION_DEG,
    EFFECTIVE_EARTH_FACTOR,
    LocalFrame,
    above_effective_horizon,
    apparent_elevation_rad,
    enu_to_aer,
    radar_local_frame,
    wrap_to_2pi,
    wrap_to_pi,
)
from skyweave.sensors.sampling import (
    Outage,
    overlaps_outage,
    positions_at,
    scan_blocks,
    scan_times,
    validate_outages,
)

FloatArray = NDArray[np.float64]

_GROUND = Ground()

DEFAULT_RCS_FACTORS: Mapping[str, float] = MappingProxyType(
    {"small": 0.1, "medium": 1.0, "large": 10.0}
)
"""Notional RCS-class multipliers of the reference SNR."""


@dataclass(frozen=True)
class RadarParams:
    """Notional parameters of one ground radar.

    Attributes
    ----------
    sensor_id : str
        Stable sensor name (also the name of its random generator).
    partner : str
        Owning partner.
    lat_deg, lon_deg : float
        Geodetic site latitude and longitude, degrees.
    alt_m : float
        Antenna height above the WGS84 ellipsoid, metres (also the sensor
        height of the horizon test).
    max_range_m : float
        Instrumented range, metres.
    revisit_period_s : float
        Time between scans, seconds.
    snr_ref : float
        Signal-to-noise ratio (linear, not dB) of a target with RCS factor 1
        at ``ref_range_m``.
    ref_range_m : float
        Reference range of ``snr_ref``, metres.
    pfa : float
        Probability of false alarm per resolution cell, in (0, 1); sets the
        Swerling-1 detection threshold ``Pd = pfa ** (1 / (1 + SNR))``.
    sigma_range_m : float
        One-sigma range noise, metres.
    sigma_azimuth_rad, sigma_elevation_rad : float
        One-sigma angle noise, radians.
    boresight_azimuth_rad : float
        Sector centre, clockwise from North, radians.
    half_width_azimuth_rad : float
        Half-width of the azimuth sector, radians; ``>= pi`` means all-round.
    min_elevation_rad, max_elevation_rad : float
        Limits of the apparent (4/3-Earth refracted) elevation, radians.
        The default lower limit, -1 deg
        (:data:`~skyweave.sensors.geometry.DEFAULT_MIN_ELEVATION_DEG`),
        leaves the horizon as the only low limit for sites up to 1.29 km.
    min_range_m : float
        Blind range, metres.
    mean_false_alarms_per_scan : float
        Poisson mean of false alarms per scan over the whole volume.
    rcs_factors : Mapping[str, float]
        Multiplier of ``snr_ref`` per RCS class name (``Truth.rcs_class``).
    processing_delay_s : float
        Delay from scan to report, seconds.
    first_scan_s : float or None
        Time of one scan (sets the phase of the schedule); the first truth time
        when None.
    outages : tuple of (start_s, end_s)
        Intervals ``[start_s, end_s)`` with no reports.
    k_factor : float
        Effective-Earth radius factor (4/3 standard refraction).
    """

    sensor_id: str
    partner: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    max_range_m: float
    revisit_period_s: float
    snr_ref: float
    ref_range_m: float
    pfa: float
    sigma_range_m: float
    sigma_azimuth_rad: float
    sigma_elevation_rad: float
    boresight_azimuth_rad: float = 0.0
    half_width_azimuth_rad: float = np.pi
    min_elevation_rad: float = float(np.radians(DEFAULT_MIN_ELEVATION_DEG))
    max_elevation_rad: float = np.pi / 2
    min_range_m: float = 0.0
    mean_false_alarms_per_scan: float = 0.0
    rcs_factors: Mapping[str, float] = field(default_factory=lambda: DEFAULT_RCS_FACTORS)
    processing_delay_s: float = 0.0
    first_scan_s: float | None = None
    outages: tuple[Outage, ...] = ()
    k_factor: float = EFFECTIVE_EARTH_FACTOR

    def __post_init__(self) -> None:
        name = f"radar {self.sensor_id!r}"
        positive = {
            "max_range_m": self.max_range_m,
            "revisit_period_s": self.revisit_period_s,
            "ref_range_m": self.ref_range_m,
            "k_factor": self.k_factor,
        }
        for key, value in positive.items():
            if not value > 0.0:
                raise ValueError(f"{name}.{key}: expected > 0, got {value}")
        non_negative = {
            "snr_ref": self.snr_ref,
            "sigma_range_m": self.sigma_range_m,
            "sigma_azimuth_rad": self.sigma_azimuth_rad,
            "sigma_elevation_rad": self.sigma_elevation_rad,
            "half_width_azimuth_rad": self.half_width_azimuth_rad,
            "min_range_m": self.min_range_m,
            "mean_false_alarms_per_scan": self.mean_false_alarms_per_scan,
            "processing_delay_s": self.processing_delay_s,
        }
        for key, value in non_negative.items():
            if not value >= 0.0:
                raise ValueError(f"{name}.{key}: expected >= 0, got {value}")
        if not 0.0 < self.pfa < 1.0:
            raise ValueError(f"{name}.pfa: expected 0 < pfa < 1, got {self.pfa}")
        if not self.min_range_m < self.max_range_m:
            raise ValueError(f"{name}: min_range_m must be < max_range_m")
        if not -np.pi / 2 <= self.min_elevation_rad < self.max_elevation_rad <= np.pi / 2:
            raise ValueError(
                f"{name}: expected -pi/2 <= min_elevation_rad < max_elevation_rad <= pi/2"
            )
        for cls, factor in self.rcs_factors.items():
            if not factor >= 0.0:
                raise ValueError(f"{name}.rcs_factors[{cls!r}]: expected >= 0, got {factor}")
        object.__setattr__(self, "outages", validate_outages(self.outages, name))

    @property
    def frame(self) -> LocalFrame:
        """Site ECEF position and ENU-to-ECEF rotation."""
        return site_frame(self.lat_deg, self.lon_deg, self.alt_m)

    @property
    def full_circle(self) -> bool:
        """True when the azimuth sector is all-round."""
        return self.half_width_azimuth_rad >= np.pi


def swerling1_pd(snr: ArrayLike, pfa: float) -> FloatArray:
    """Swerling-1 single-pulse detection probability ``Pfa ** (1 / (1 + SNR))``.

    Parameters
    ----------
    snr : array_like
        Linear signal-to-noise ratio (>= 0).
    pfa : float
        False-alarm probability, in (0, 1).
    """
    return np.asarray(pfa, dtype=np.float64) ** (1.0 / (1.0 + np.asarray(snr, dtype=np.float64)))


def radar_snr(params: RadarParams, range_m: ArrayLike, rcs_factor: ArrayLike) -> FloatArray:
    """Linear SNR ``snr_ref * (ref_range_m / R)**4 * rcs_factor``."""
    r = np.asarray(range_m, dtype=np.float64)
    return params.snr_ref * (params.ref_range_m / r) ** 4 * np.asarray(rcs_factor, dtype=float)


@lru_cache(maxsize=1024)
def site_frame(lat_deg: float, lon_deg: float, alt_m: float) -> LocalFrame:
    """:func:`radar_local_frame`, computed once per site (sites do not move; read only)."""
    return radar_local_frame(lat_deg, lon_deg, alt_m)


def rcs_factor_per_object(params: RadarParams, rcs_class: tuple[str, ...]) -> FloatArray:
    """SNR multiplier of each object from its RCS class name."""
    classes, inverse = np.unique(np.asarray(rcs_class, dtype=str), return_inverse=True)
    missing = [c for c in classes.tolist() if c not in params.rcs_factors]
    if missing:
        raise ValueError(
            f"radar {params.sensor_id!r}: no rcs_factors entry for class(es) {missing}; "
            f"known: {sorted(params.rcs_factors)}"
        )
    factors = np.array([params.rcs_factors[c] for c in classes.tolist()], dtype=np.float64)
    return factors[inverse.reshape(-1)] if len(classes) else np.empty(0)


def radar_visibility(
    params: RadarParams, positions_ecef_m: FloatArray
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
    """Geometric visibility and true range/azimuth/elevation of ECEF points.

    Parameters
    ----------
    params : RadarParams
    positions_ecef_m : (..., 3) float64
        NaN rows (objects not in flight) are never visible.

    Returns
    -------
    visible : (...) bool
        Inside range limits and azimuth sector, apparent (4/3-Earth refracted)
        elevation within the elevation limits, and above the effective-Earth
        horizon: one refraction model for both low limits.
    range_m, azimuth_rad, elevation_rad : (...) float64
        Slant range, azimuth and *geometric* elevation (what is measured).
    """
    frame = params.frame
    enu = (positions_ecef_m - frame.position_ecef_m) @ frame.enu_to_ecef
    return _visibility_of_enu(params, positions_ecef_m, enu)


def _visibility_of_enu(
    params: RadarParams, positions_ecef_m: FloatArray, enu: FloatArray
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
    """:func:`radar_visibility` from the points' ENU vectors (elementwise from here on:
    a subset of the points gives the same values for them, bit for bit)."""
    frame = params.frame
    rng_m, az, el = enu_to_aer(enu)
    with np.errstate(invalid="ignore"):
        ok = (rng_m >= params.min_range_m) & (rng_m <= params.max_range_m)
        if not params.full_circle:
            off = np.abs(wrap_to_pi(az - params.boresight_azimuth_rad))
            ok &= off <= params.half_width_azimuth_rad
    # Elevation and horizon need heights above the ellipsoid: only for the candidates.
    # The radial height (zero on the ellipsoid, within 0.1 % of the geodetic height
    # aloft) costs a fraction of pymap3d's iterative conversion on this hot path.
    idx = np.nonzero(ok)
    if len(idx[0]):
        cand = positions_ecef_m[idx]
        h = _GROUND.altitude_m(cand[:, 0], cand[:, 1], cand[:, 2]).reshape(-1)
        earth_radius_m = float(np.linalg.norm(frame.position_ecef_m)) - params.alt_m
        el_app = apparent_elevation_rad(
            rng_m[idx], params.alt_m, h, earth_radius_m, params.k_factor
        )
        ok[idx] = (
            (el_app >= params.min_elevation_rad)
            & (el_app <= params.max_elevation_rad)
            & above_effective_horizon(frame.position_ecef_m, params.alt_m, cand, h, params.k_factor)
        )
    return ok, rng_m, az, el


def simulate_radar(params: RadarParams, truth: Truth, rng: np.random.Generator) -> Detections:
    """Detections of one radar over the whole run.

    Scans happen at ``first_scan_s + k * revisit_period_s`` within the truth
    time span; object positions at a scan are interpolated linearly between
    truth samples (:func:`skyweave.sensors.sampling.positions_at`). A scan whose
    interval ``[scan, scan + processing_delay_s]`` meets an outage reports
    nothing. Fully vectorised over scans and objects.

    Parameters
    ----------
    params : RadarParams
    truth : Truth
    rng : numpy.random.Generator
        The sensor's own generator (``component_rng(seed, params.sensor_id)``).
        Draw order: detection uniforms for visible (scan, object) pairs in
        scan-major order, then measurement noise, then false-alarm counts and
        positions.

    Returns
    -------
    Detections
        Sorted by time (stable: within a scan, true detections in object order,
        then false alarms).
    """
    scans = scan_times(truth.times_s, params.revisit_period_s, params.first_scan_s)
    scans = scans[~overlaps_outage(scans, scans + params.processing_delay_s, params.outages)]

    # Geometry block by block (bounded memory); no random draw in this loop.
    parts: list[tuple[NDArray[np.intp], ...]] = []
    aer_parts: list[FloatArray] = []
    for block in scan_blocks(len(scans), len(truth.object_ids)):
        visible, rng_m, az, el = radar_visibility(params, positions_at(truth, scans[block]))
        s_blk, o_blk = np.nonzero(visible)
        parts.append((s_blk + block.start, o_blk))
        aer_parts.append(np.stack([rng_m[s_blk, o_blk], az[s_blk, o_blk], el[s_blk, o_blk]], -1))
    s_idx = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.intp)
    o_idx = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.intp)
    true_aer = np.concatenate(aer_parts) if aer_parts else np.empty((0, 3))

    # Detection draw for each visible (scan, object) pair.
    factors = rcs_factor_per_object(params, truth.rcs_class)
    pd = swerling1_pd(radar_snr(params, true_aer[:, 0], factors[o_idx]), params.pfa)
    hit = rng.random(len(pd)) < pd
    s_idx, o_idx, true_aer = s_idx[hit], o_idx[hit], true_aer[hit]
    meas_r, meas_az, meas_el = _measure(params, true_aer, rng)
    det_obj = np.asarray(truth.object_ids, dtype=object)[o_idx]

    # False alarms: Poisson count per scan, uniform in the surveillance volume.
    counts = rng.poisson(params.mean_false_alarms_per_scan, len(scans))
    fa_scan = np.repeat(np.arange(len(scans)), counts)
    fa_r, fa_az, fa_el = sample_volume_uniform(params, rng, len(fa_scan))

    times = np.concatenate([scans[s_idx], scans[fa_scan]])
    det = _radar_detections(
        params,
        times,
        np.concatenate([det_obj, np.full(len(fa_scan), None, dtype=object)]),
        np.concatenate([meas_r, fa_r]),
        np.concatenate([meas_az, fa_az]),
        np.concatenate([meas_el, fa_el]),
    )
    return det.take(np.argsort(times, kind="stable"))


def scan_radar(
    params: RadarParams,
    time_s: float,
    positions_ecef_m: FloatArray,
    object_ids: NDArray[np.object_],
    rcs_factors: FloatArray,
    rng: np.random.Generator,
) -> Detections:
    """Detections of one scan at ``time_s``: :func:`simulate_radar` on a one-sample
    truth, without its per-run set-up (the reference per-scan path: the engine's
    sensors stage runs all scans of a tick through
    :meth:`skyweave.sensors.radar_kernel.RadarSet.scan`, which gives these rows).

    Parameters
    ----------
    params : RadarParams
        Its ``outages`` are not applied (the caller schedules the scans).
    time_s : float
        Scan time.
    positions_ecef_m : (N, 3) float64
        Every object's position at the scan (NaN rows: not in flight).
    object_ids : (N,) object
    rcs_factors : (N,) float64
        :func:`rcs_factor_per_object` of the objects.
    rng : numpy.random.Generator
        The scan's generator; the draws are :func:`simulate_radar`'s, in its order.

    Returns
    -------
    Detections
        The rows :func:`simulate_radar` gives for this one scan, bit for bit.
    """
    frame = params.frame
    # The ENU matrix product over every object, as simulate_radar does it (BLAS may
    # round a row differently in a smaller product); the rest, elementwise, only over
    # the objects in flight (most of a raid's rows are NaN, and NaN is slow to wrap).
    enu = (positions_ecef_m[None] - frame.position_ecef_m) @ frame.enu_to_ecef
    live = np.flatnonzero(np.isfinite(positions_ecef_m).all(axis=1))
    visible, rng_m, az, el = _visibility_of_enu(params, positions_ecef_m[live][None], enu[:, live])
    _, o_vis = np.nonzero(visible)
    true_aer = np.stack([rng_m[0, o_vis], az[0, o_vis], el[0, o_vis]], -1)
    o_idx = live[o_vis]

    pd = swerling1_pd(radar_snr(params, true_aer[:, 0], rcs_factors[o_idx]), params.pfa)
    hit = rng.random(len(pd)) < pd
    o_idx, true_aer = o_idx[hit], true_aer[hit]
    meas_r, meas_az, meas_el = _measure(params, true_aer, rng)
    det_obj = object_ids[o_idx]

    n_fa = int(rng.poisson(params.mean_false_alarms_per_scan, 1)[0])
    fa_r, fa_az, fa_el = sample_volume_uniform(params, rng, n_fa)

    return _radar_detections(
        params,
        np.full(len(o_idx) + n_fa, float(time_s)),
        np.concatenate([det_obj, np.full(n_fa, None, dtype=object)]),
        np.concatenate([meas_r, fa_r]),
        np.concatenate([meas_az, fa_az]),
        np.concatenate([meas_el, fa_el]),
    )


def _measure(
    params: RadarParams, true_aer: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Noisy range, azimuth and elevation of the detected (N, 3) true AER (one draw of
    three normals per row)."""
    noise = rng.standard_normal((len(true_aer), 3))
    meas_r = true_aer[:, 0] + params.sigma_range_m * noise[:, 0]
    meas_az = wrap_to_2pi(true_aer[:, 1] + params.sigma_azimuth_rad * noise[:, 1])
    meas_el = true_aer[:, 2] + params.sigma_elevation_rad * noise[:, 2]
    return meas_r, meas_az, meas_el


def _radar_detections(
    params: RadarParams,
    times: FloatArray,
    object_id: NDArray[np.object_],
    range_m: FloatArray,
    azimuth_rad: FloatArray,
    elevation_rad: FloatArray,
) -> Detections:
    """The radar's rows: measurements at ``times`` with the sensor's constant columns."""
    frame = params.frame
    m = len(times)
    nan = np.full(m, np.nan)
    return Detections(
        time_s=times,
        report_time_s=times + params.processing_delay_s,
        sensor_id=np.full(m, params.sensor_id, dtype=object),
        sensor_type=np.full(m, "radar", dtype=object),
        partner=np.full(m, params.partner, dtype=object),
        object_id=object_id,
        range_m=range_m,
        azimuth_rad=azimuth_rad,
        elevation_rad=elevation_rad,
        los_angle1_rad=nan,
        los_angle2_rad=nan.copy(),
        sensor_x_m=np.full(m, frame.position_ecef_m[0]),
        sensor_y_m=np.full(m, frame.position_ecef_m[1]),
        sensor_z_m=np.full(m, frame.position_ecef_m[2]),
        sigma_range_m=np.full(m, params.sigma_range_m),
        sigma_azimuth_rad=np.full(m, params.sigma_azimuth_rad),
        sigma_elevation_rad=np.full(m, params.sigma_elevation_rad),
        sigma_los_rad=nan.copy(),
    )


def sample_volume_uniform(
    params: RadarParams, rng: np.random.Generator, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``n`` points uniform in volume over the radar's surveillance region.

    The region is the spherical shell sector ``min_range_m <= r <= max_range_m``,
    azimuth within the sector, elevation within its limits. Uniform in volume
    means the density is proportional to ``r**2 cos(el)``: ``r**3`` and
    ``sin(el)`` are uniform.

    Returns
    -------
    range_m, azimuth_rad, elevation_rad : (n,) float64
    """
    u = rng.random((n, 3))
    r0, r1 = params.min_range_m, params.max_range_m
    range_m = np.cbrt(r0**3 + u[:, 0] * (r1**3 - r0**3))
    if params.full_circle:
        az = 2 * np.pi * u[:, 1]
    else:
        half = params.half_width_azimuth_rad
        az = wrap_to_2pi(params.boresight_azimuth_rad + half * (2 * u[:, 1] - 1))
    s0, s1 = np.sin(params.min_elevation_rad), np.sin(params.max_elevation_rad)
    el = np.arcsin(np.clip(s0 + u[:, 2] * (s1 - s0), -1.0, 1.0))
    return range_m, az, el
