"""Ballistic threats: notional boost, free flight, re-entry; vectorised over threats.

Model
-----
*Boost* (notional, kinematic). The motor is not modelled: during ``burn_time_s``
the missile moves along a straight line in the Earth-fixed frame, from the
launch point in the launch direction ``u`` (flight-path angle ``gamma`` above
the local horizontal, azimuth ``az`` from north), with its speed relative to
the Earth ramping linearly from 0 to the burnout speed ``v_bo``::

    r(tau) = r0 + 0.5 (v_bo / t_b) tau**2 u,    v(tau) = (v_bo / t_b) tau u

Position and velocity are continuous at burnout, where free flight starts from
exactly that state. Gravity and drag during boost are taken as part of the
notional thrust. With ``boost=False`` burnout is at launch, at the launch point.

*Free flight and re-entry.* Central gravity (+ J2 if asked) and drag from an
exponential atmosphere (``rho0 = 1.225 kg/m3``, scale height 7.2 km) acting on
the velocity relative to the rotating atmosphere, ``a = -rho |v_rel| v_rel /
(2 beta)``, with ``beta`` the ballistic coefficient. The equations are
integrated in the inertial frame aligned with ECEF at t = 0 (scenario start),
with a fixed-step RK4 per threat (each threat has its own step: a vacuum step of
``flight time / 100`` at most ``max_step_s``, shortened in the atmosphere to a
fraction of the density and drag time scales). Impact is the crossing of the
ground (WGS84 ellipsoid, or a sphere when ``spherical_radius_m`` is set), found
by regula falsi on the cubic Hermite interpolant of the last step. Output
states are sampled on the requested time grid by cubic Hermite interpolation
(positions with velocities, velocities with accelerations) and reported in
ECEF; NaN before launch and after impact.

*Targeting.* The burnout speed (relative to the Earth) and launch azimuth are
solved so that the impact lands on the aim point, with all selected effects on:
a diagonal secant iteration, vectorised over the threats that have not yet
converged, starting from the closed-form (BMW 1971) shot over the ground range
and the great-circle azimuth. ``gamma`` is held at its commanded value (the
minimum-energy angle for the ground range when ``gamma_deg`` is NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import (
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    R_EARTH_MEAN_M,
)
from skyweave.kinematics import ballistic_kernel as bk
from skyweave.kinematics.ballistic_kernel import RHO0_KG_M3, SCALE_HEIGHT_M
from skyweave.kinematics.closed_form import fixed_gamma, range_angle_from_burnout
from skyweave.kinematics.earth import (
    Ground,
    azimuth,
    central_angle,
    east_north,
    ecef_to_inertial,
    inertial_to_ecef,
    n_vector,
    wrap_pi,
)

FloatArray = NDArray[np.float64]

MAX_RANGE_ANGLE_RAD = 0.9 * np.pi
"""Longest shot accepted (0.9 of half a great circle, about 18 000 km)."""


@dataclass(frozen=True)
class BallisticBatch:
    """N ballistic launches as arrays (scalars broadcast to the common length).

    Attributes
    ----------
    launch_lat_deg, launch_lon_deg, launch_alt_m : (N,) float64
        Launch point (geodetic on WGS84; geocentric on a spherical ground).
    launch_time_s : (N,) float64
        Launch time, seconds since scenario start.
    aim_lat_deg, aim_lon_deg : (N,) float64
        Aim point on the ground.
    gamma_deg : (N,) float64
        Burnout flight-path angle above the local horizontal at launch; NaN
        means the minimum-energy angle for the ground range.
    burn_time_s : (N,) float64
        Boost duration (ignored when ``boost=False``).
    ballistic_coeff_kg_m2 : (N,) float64
        Ballistic coefficient ``m / (Cd A)`` for re-entry drag.
    """

    launch_lat_deg: FloatArray
    launch_lon_deg: FloatArray
    launch_alt_m: FloatArray
    launch_time_s: FloatArray
    aim_lat_deg: FloatArray
    aim_lon_deg: FloatArray
    gamma_deg: FloatArray
    burn_time_s: FloatArray
    ballistic_coeff_kg_m2: FloatArray

    def __post_init__(self) -> None:
        names = [f.name for f in fields(self)]
        arrays = np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(getattr(self, n), dtype=np.float64)) for n in names)
        )
        for name, arr in zip(names, arrays, strict=True):
            if arr.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
            object.__setattr__(self, name, np.array(arr, dtype=np.float64))

    @property
    def n(self) -> int:
        """Number of threats."""
        return int(self.launch_lat_deg.shape[0])


@dataclass(frozen=True)
class BallisticOptions:
    """Physics switches and numerical settings of :func:`propagate_ballistic`.

    Attributes
    ----------
    rotation : bool
        Earth rotates (launch state relative to the rotating Earth, Coriolis
        and centrifugal effects through the inertial integration, rotating
        atmosphere). Off: ECEF is inertial.
    j2 : bool
        Add the J2 zonal harmonic to central gravity.
    drag : bool
        Exponential-atmosphere drag with the ballistic coefficient.
    boost : bool
        Notional boost phase of ``burn_time_s``; off: burnout at launch.
    spherical_radius_m : float or None
        None: WGS84 ellipsoid ground. Set: the ground is a sphere of that radius
        (latitudes geocentric); positions are still ECEF metres.
    targeting : bool
        Solve burnout speed and azimuth so that the impact hits the aim point.
        Off: fly the closed-form spherical-Earth shot for the ground range along
        the great-circle azimuth, uncorrected.
    miss_tolerance_m : float
        Targeting stops for a threat when its miss is below this.
    max_iterations : int
        Most targeting propagations per threat.
    max_step_s : float
        Longest integration step (vacuum).
    atmosphere_step_fraction : float
        Step as a fraction of the shorter of the density and drag time scales.
    min_step_s : float
        Shortest integration step.
    max_flight_time_s : float
        A threat still airborne after this long since burnout is dropped
        (impact NaN).
    """

    rotation: bool = True
    j2: bool = False
    drag: bool = True
    boost: bool = True
    spherical_radius_m: float | None = None
    targeting: bool = True
    miss_tolerance_m: float = 100.0
    max_iterations: int = 15
    max_step_s: float = 10.0
    atmosphere_step_fraction: float = 0.15
    min_step_s: float = 0.01
    max_flight_time_s: float = 7_200.0


@dataclass(frozen=True)
class BallisticResult:
    """Output of :func:`propagate_ballistic` (times absolute, seconds since start).

    Attributes
    ----------
    times_s : (T,) float64
        The requested time grid.
    states : (T, N, 6) float64
        ECEF (WGS84) position m and velocity m/s; NaN before launch and after
        impact.
    launch_time_s, burnout_time_s, impact_time_s : (N,) float64
        Impact time is NaN if the threat never came down.
    impact_lat_deg, impact_lon_deg : (N,) float64
        Impact point (geodetic; geocentric on a spherical ground).
    apogee_alt_m : (N,) float64
        Highest altitude above the ground.
    burnout_speed_mps : (N,) float64
        Burnout speed relative to the Earth.
    gamma_deg, azimuth_deg : (N,) float64
        Launch flight-path angle and azimuth used (after targeting).
    range_m : (N,) float64
        Intended ground range (central angle launch-aim times the reference
        radius: the sphere's, or the mean Earth radius on WGS84).
    miss_m : (N,) float64
        Distance from the impact point to the aim point (chord, m).
    iterations : (N,) int64
        Propagations used by targeting.
    """

    times_s: FloatArray
    states: FloatArray
    launch_time_s: FloatArray
    burnout_time_s: FloatArray
    impact_time_s: FloatArray
    impact_lat_deg: FloatArray
    impact_lon_deg: FloatArray
    apogee_alt_m: FloatArray
    burnout_speed_mps: FloatArray
    gamma_deg: FloatArray
    azimuth_deg: FloatArray
    range_m: FloatArray
    miss_m: FloatArray
    iterations: NDArray[np.int64]

    @property
    def flight_time_s(self) -> FloatArray:
        """Impact time minus launch time."""
        return self.impact_time_s - self.launch_time_s


# --------------------------------------------------------------------------- dynamics


@dataclass(frozen=True)
class _Physics:
    ground: Ground
    omega: float
    j2: bool
    drag: bool
    half_inv_beta: FloatArray  # (n,) 1 / (2 beta), sliced with the active set


def air_density_kg_m3(alt_m: ArrayLike) -> FloatArray:
    """Density of the exponential atmosphere, ``rho0 exp(-h / H)``.

    Heights below -20 km are taken as -20 km so that a point a step
    underground cannot overflow ``exp``. The truth integrator (through
    :mod:`skyweave.kinematics.ballistic_kernel`, with NumPy's ``exp``) and the
    impact predictor (:mod:`skyweave.warning.propagate`) both use this model.
    """
    return np.asarray(
        RHO0_KG_M3 * np.exp(-np.maximum(alt_m, -20_000.0) / SCALE_HEIGHT_M), dtype=np.float64
    )


def _hermite(
    p0: FloatArray, d0: FloatArray, p1: FloatArray, d1: FloatArray, h: FloatArray, s: FloatArray
) -> FloatArray:
    """Cubic Hermite at fraction s of a step of length h (arrays broadcast)."""
    s2 = s * s
    s3 = s2 * s
    return (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * h * d0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * h * d1
    )


@dataclass
class _History:
    """Steps of one integration: per step the active columns and their (t, [r v a])."""

    cols: list[NDArray[np.intp]]
    t: list[FloatArray]
    rva: list[FloatArray]  # (9, m): position, velocity, acceleration (inertial)


@dataclass(frozen=True)
class _Flight:
    impact_r: FloatArray  # (3, n) inertial
    impact_v: FloatArray
    impact_t: FloatArray  # (n,) since burnout; NaN: never came down
    apogee_alt_m: FloatArray
    history: _History


def _flight_table(
    r0: FloatArray, v0: FloatArray, dt_vac: FloatArray, phys: _Physics, opts: BallisticOptions
) -> tuple[FloatArray, FloatArray]:
    """The kernel's state table of n threats at burnout (end rows) and its settings."""
    n = r0.shape[1]
    w = np.zeros((bk.N_ROWS, n))
    w[bk.RN : bk.RN + 3] = r0
    w[bk.VN : bk.VN + 3] = v0
    w[bk.HIB] = phys.half_inv_beta
    w[bk.DT_VAC] = dt_vac
    w[bk.APOGEE] = -np.inf
    w[bk.RATE] = np.nan  # no step before burnout: no apogee turn to test
    cfg = np.zeros(bk.N_CFG)
    cfg[bk.CFG_OMEGA] = phys.omega
    cfg[bk.CFG_J2] = float(phys.j2)
    cfg[bk.CFG_DRAG] = float(phys.drag)
    radius = phys.ground.spherical_radius_m
    cfg[bk.CFG_SPHERE_R] = np.nan if radius is None else radius
    cfg[bk.CFG_FRACTION] = opts.atmosphere_step_fraction
    cfg[bk.CFG_MIN_STEP] = opts.min_step_s
    return w, cfg


def _run_stage(stage: int, w: FloatArray, cfg: FloatArray, drag: bool) -> None:
    """One compiled stage, then NumPy's exp of the density exponent it left."""
    bk.flight_stage(stage, w, cfg)
    if drag:
        np.exp(w[bk.ARG], out=w[bk.EXP])


def _fly(
    r0: FloatArray,
    v0: FloatArray,
    dt_vac: FloatArray,
    phys: _Physics,
    opts: BallisticOptions,
) -> _Flight:
    """Integrate free flight of n threats from inertial (3, n) states until impact."""
    n = r0.shape[1]
    impact_r = np.full((3, n), np.nan)
    impact_v = np.full((3, n), np.nan)
    impact_t = np.full(n, np.nan)
    apogee = np.full(n, -np.inf)

    cols = np.arange(n)
    w, cfg = _flight_table(r0, v0, dt_vac, phys, opts)
    rva_new = slice(bk.RN, bk.RN + 9)
    _run_stage(bk.START, w, cfg, phys.drag)
    bk.flight_stage(bk.END, w, cfg)
    hist = _History([cols], [w[bk.T_NEW].copy()], [w[rva_new].copy()])
    # ground crossings, solved together after the loop: (cols, t, dt, alt0, alt1, rva0, rva1)
    crossings: list[tuple[NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray,
                          FloatArray, FloatArray]] = []  # fmt: skip

    while cols.size:
        for stage in (bk.BEGIN, bk.SECOND, bk.THIRD, bk.FOURTH):
            _run_stage(stage, w, cfg, phys.drag)
        # the step's end: acceleration, altitude rate, apogee (the top of the
        # altitude's cubic Hermite over a step where the rate turns negative)
        bk.flight_stage(bk.END, w, cfg)
        hist.cols.append(cols)
        hist.t.append(w[bk.T_NEW].copy())
        hist.rva.append(w[rva_new].copy())

        alt_new = w[bk.ALT_NEW]
        landed = alt_new < 0.0
        done = landed | (w[bk.T_NEW] > opts.max_flight_time_s)
        if np.any(done):
            if np.any(landed):
                i = np.nonzero(landed)[0]
                crossings.append(
                    (cols[i], w[bk.T, i], w[bk.DT, i], w[bk.ALT, i], alt_new[i],
                     w[bk.R : bk.R + 9, i], w[rva_new, i])
                )  # fmt: skip
            apogee[cols[done]] = w[bk.APOGEE, done]
            keep = ~done
            cols = cols[keep]
            w = np.ascontiguousarray(w[:, keep])

    if crossings:
        c_cols, c_t, c_dt, c_alt0, c_alt1, c_rva0, c_rva1 = (
            np.concatenate(parts, axis=-1) for parts in zip(*crossings, strict=True)
        )
        _impact(
            c_rva0, c_rva1, c_t, c_dt, c_alt0, c_alt1, phys,
            out_r=impact_r, out_v=impact_v, out_t=impact_t, out_cols=c_cols,
        )  # fmt: skip
    return _Flight(impact_r, impact_v, impact_t, apogee, hist)


def _impact(
    rva0: FloatArray,
    rva1: FloatArray,
    t0: FloatArray,
    dt: FloatArray,
    alt0: FloatArray,
    alt1: FloatArray,
    phys: _Physics,
    *,
    out_r: FloatArray,
    out_v: FloatArray,
    out_t: FloatArray,
    out_cols: NDArray[np.intp],
) -> None:
    """Ground crossing inside the last step: regula falsi (Illinois) on the Hermite."""
    r0, v0, a0 = rva0[0:3], rva0[3:6], rva0[6:9]
    r1, v1, a1 = rva1[0:3], rva1[3:6], rva1[6:9]
    lo, hi = np.zeros_like(t0), np.ones_like(t0)
    f_lo, f_hi = alt0, alt1
    s = lo
    for _ in range(8):
        s = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        p = _hermite(r0, v0, r1, v1, dt, s)
        f = phys.ground.altitude_m(p[0], p[1], p[2])
        above = f > 0.0
        # Illinois: halve the stale end's value so the bracket keeps shrinking
        f_hi = np.where(above, f_hi * 0.5, f)
        hi = np.where(above, hi, s)
        f_lo = np.where(above, f, f_lo * 0.5)
        lo = np.where(above, s, lo)
    out_r[:, out_cols] = _hermite(r0, v0, r1, v1, dt, s)
    out_v[:, out_cols] = _hermite(v0, a0, v1, a1, dt, s)
    out_t[out_cols] = t0 + s * dt


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Geometry:
    r_launch: FloatArray  # (3, n) ECEF
    up: FloatArray
    east: FloatArray
    north: FloatArray
    n_aim: FloatArray
    r_aim: FloatArray
    psi_aim: FloatArray  # central angle launch-aim (rad)
    az_aim: FloatArray  # great-circle azimuth launch->aim (rad)


def _geometry(batch: BallisticBatch, ground: Ground) -> _Geometry:
    up = n_vector(batch.launch_lat_deg, batch.launch_lon_deg)
    east, north = east_north(batch.launch_lat_deg, batch.launch_lon_deg)
    n_aim = n_vector(batch.aim_lat_deg, batch.aim_lon_deg)
    return _Geometry(
        r_launch=ground.to_ecef(batch.launch_lat_deg, batch.launch_lon_deg, batch.launch_alt_m),
        up=up,
        east=east,
        north=north,
        n_aim=n_aim,
        r_aim=ground.to_ecef(batch.aim_lat_deg, batch.aim_lon_deg, np.zeros(batch.n)),
        psi_aim=central_angle(up, n_aim),
        az_aim=azimuth(east, north, up, n_aim),
    )


def _validate(batch: BallisticBatch, geo: _Geometry, opts: BallisticOptions) -> None:
    def bad(mask: NDArray[np.bool_], what: str) -> None:
        if np.any(mask):
            idx = np.nonzero(mask)[0][:5].tolist()
            raise ValueError(f"ballistic batch: {what} (threat indices {idx})")

    for name in ("launch_lat_deg", "aim_lat_deg"):
        lat = getattr(batch, name)
        bad(~(np.abs(lat) <= 90.0), f"{name} must be within [-90, 90]")
    for name in ("launch_lon_deg", "aim_lon_deg", "launch_alt_m", "launch_time_s"):
        bad(~np.isfinite(getattr(batch, name)), f"{name} must be finite")
    bad(~(batch.ballistic_coeff_kg_m2 > 0.0), "ballistic_coeff_kg_m2 must be > 0")
    if opts.boost:
        bad(~(batch.burn_time_s > 0.0), "burn_time_s must be > 0 with boost on")
    g = batch.gamma_deg
    bad(~np.isnan(g) & ~((g > 0.0) & (g < 90.0)), "gamma_deg must be in (0, 90) or NaN")
    bad(geo.psi_aim < 1e-5, "aim point coincides with the launch point")
    bad(geo.psi_aim > MAX_RANGE_ANGLE_RAD, "aim point too far (over 0.9 of half a great circle)")


def _launch_direction(geo: _Geometry, gamma: FloatArray, az: FloatArray) -> FloatArray:
    horiz = np.sin(az) * geo.east + np.cos(az) * geo.north
    return np.asarray(np.cos(gamma) * horiz + np.sin(gamma) * geo.up, dtype=np.float64)


def _burnout_ecef(
    geo: _Geometry, speed: FloatArray, gamma: FloatArray, az: FloatArray, burn: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Burnout ECEF position, velocity relative to Earth, and launch direction."""
    u = _launch_direction(geo, gamma, az)
    return geo.r_launch + 0.5 * speed * burn * u, speed * u, u


# --------------------------------------------------------------------------- driver


def propagate_ballistic(
    batch: BallisticBatch,
    times_s: ArrayLike,
    options: BallisticOptions | None = None,
) -> BallisticResult:
    """Fly N ballistic threats, aimed at their aim points, and sample their states.

    Parameters
    ----------
    batch : BallisticBatch
        Launch points and times, aim points, flight-path angle (NaN: minimum
        energy), burn times and ballistic coefficients.
    times_s : array_like, shape (T,)
        Output time grid in seconds since scenario start (any increasing grid).
    options : BallisticOptions, optional
        Physics switches and numerical settings (defaults: rotation, drag and
        boost on, J2 off, WGS84 ground, targeting on).

    Returns
    -------
    BallisticResult
        ``states`` (T, N, 6) ECEF and per-threat impact, apogee, burnout and
        miss figures. See the module docstring for the physics.

    Raises
    ------
    ValueError
        For inputs outside the model (latitude out of range, aim point on the
        launch point or too far, gamma outside (0, 90) degrees, ...).
    """
    opts = options or BallisticOptions()
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    ground = Ground(opts.spherical_radius_m)
    n = batch.n
    geo = _geometry(batch, ground)
    _validate(batch, geo, opts)

    r_ref = opts.spherical_radius_m or R_EARTH_MEAN_M
    omega = OMEGA_EARTH_RAD_S if opts.rotation else 0.0
    burn = batch.burn_time_s if opts.boost else np.zeros(n)
    t_burnout = batch.launch_time_s + burn

    gamma = np.where(
        np.isnan(batch.gamma_deg), (np.pi - geo.psi_aim) / 4.0, np.radians(batch.gamma_deg)
    )
    shot = fixed_gamma(geo.psi_aim * r_ref, gamma, r_ref)
    speed = np.asarray(shot.burnout_speed_mps, dtype=np.float64)
    if np.any(~np.isfinite(speed)):
        bad = np.nonzero(~np.isfinite(speed))[0][:5].tolist()
        raise ValueError(f"ballistic batch: no trajectory with that gamma_deg (threats {bad})")
    az = geo.az_aim.copy()
    # vacuum step ~ 100 steps per flight, never longer than max_step_s
    dt_vac = np.clip(np.nan_to_num(shot.flight_time_s, nan=1e3) / 100.0, 0.05, opts.max_step_s)
    half_inv_beta = 0.5 / batch.ballistic_coeff_kg_m2

    # closed-form slope d(psi)/d(speed) seeds the range secant
    q = speed**2 * r_ref / MU_EARTH_M3_S2
    dq = 1e-4 * q
    dpsi_dv = (
        (range_angle_from_burnout(q + dq, gamma) - range_angle_from_burnout(q - dq, gamma))
        / (2.0 * dq)
        * (2.0 * speed * r_ref / MU_EARTH_M3_S2)
    )
    prev_speed = np.full(n, np.nan)
    prev_psi = np.full(n, np.nan)
    prev_az = np.full(n, np.nan)
    prev_azimp = np.full(n, np.nan)

    states = np.full((times.size, n, 6), np.nan)
    impact_time = np.full(n, np.nan)
    impact_r = np.full((3, n), np.nan)
    apogee = np.full(n, np.nan)
    miss = np.full(n, np.nan)
    iterations = np.zeros(n, dtype=np.int64)

    todo = np.arange(n)
    max_iter = opts.max_iterations if opts.targeting else 1
    for it in range(max_iter):
        phys = _Physics(ground, omega, opts.j2, opts.drag, half_inv_beta[todo])
        r_bo, v_bo, _ = _burnout_ecef(
            _subset(geo, todo), speed[todo], gamma[todo], az[todo], burn[todo]
        )
        r_i, v_i = ecef_to_inertial(r_bo, v_bo, t_burnout[todo], omega)
        flight = _fly(r_i, v_i, dt_vac[todo], phys, opts)
        t_imp = t_burnout[todo] + flight.impact_t
        r_imp, _ = inertial_to_ecef(flight.impact_r, flight.impact_v, t_imp, omega)
        iterations[todo] = it + 1

        n_imp = ground.surface_normal(r_imp)
        psi_imp = central_angle(geo.up[:, todo], n_imp)
        az_imp = azimuth(geo.east[:, todo], geo.north[:, todo], geo.up[:, todo], n_imp)
        miss_sub = np.linalg.norm(r_imp - geo.r_aim[:, todo], axis=0)

        final = (miss_sub < opts.miss_tolerance_m) | (it == max_iter - 1)
        if np.any(final):
            f = np.nonzero(final)[0]
            cols = todo[f]
            impact_time[cols] = t_imp[f]
            impact_r[:, cols] = r_imp[:, f]
            apogee[cols] = flight.apogee_alt_m[f]
            miss[cols] = miss_sub[f]
            _sample_free_flight(
                states, times, flight.history, f, cols, t_burnout[cols], t_imp[f], omega
            )
        if np.all(final):
            break

        # diagonal secant update for the threats still off target
        u = np.nonzero(~final)[0]
        c = todo[u]
        psi_u, azimp_u = psi_imp[u], az_imp[u]
        fell = np.isfinite(psi_u)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope_v = (psi_u - prev_psi[c]) / (speed[c] - prev_speed[c])
            slope_az = wrap_pi(azimp_u - prev_azimp[c]) / (az[c] - prev_az[c])
        slope_v = np.where(np.isfinite(slope_v) & (slope_v > 0.0), slope_v, dpsi_dv[c])
        slope_az = np.where(
            np.isfinite(slope_az) & (slope_az > 0.2) & (slope_az < 5.0), slope_az, 1.0
        )
        prev_speed[c], prev_psi[c], prev_az[c], prev_azimp[c] = speed[c], psi_u, az[c], azimp_u
        step_v = (geo.psi_aim[c] - psi_u) / slope_v
        # keep each speed step within 20 % (secant can overshoot far from the root)
        step_v = np.clip(step_v, -0.2 * speed[c], 0.2 * speed[c])
        speed[c] = np.where(fell, speed[c] + step_v, 0.9 * speed[c])
        az[c] = np.where(fell, az[c] + wrap_pi(geo.az_aim[c] - azimp_u) / slope_az, az[c])
        todo = c

    _sample_boost(states, times, geo, batch.launch_time_s, t_burnout, speed, gamma, az, burn)
    lat, lon, _ = ground.to_lat_lon_alt(impact_r)
    return BallisticResult(
        times_s=times,
        states=states,
        launch_time_s=batch.launch_time_s.copy(),
        burnout_time_s=t_burnout,
        impact_time_s=impact_time,
        impact_lat_deg=lat,
        impact_lon_deg=lon,
        apogee_alt_m=apogee,
        burnout_speed_mps=speed,
        gamma_deg=np.degrees(gamma),
        azimuth_deg=np.degrees(az) % 360.0,
        range_m=geo.psi_aim * r_ref,
        miss_m=miss,
        iterations=iterations,
    )


def _subset(geo: _Geometry, idx: NDArray[np.intp]) -> _Geometry:
    return _Geometry(
        r_launch=geo.r_launch[:, idx],
        up=geo.up[:, idx],
        east=geo.east[:, idx],
        north=geo.north[:, idx],
        n_aim=geo.n_aim[:, idx],
        r_aim=geo.r_aim[:, idx],
        psi_aim=geo.psi_aim[idx],
        az_aim=geo.az_aim[idx],
    )


def _sample_boost(
    states: FloatArray,
    times: FloatArray,
    geo: _Geometry,
    t_launch: FloatArray,
    t_burnout: FloatArray,
    speed: FloatArray,
    gamma: FloatArray,
    az: FloatArray,
    burn: FloatArray,
) -> None:
    """Fill boost-phase samples (launch <= t < burnout) from the notional model."""
    j, k = np.nonzero((times[:, None] >= t_launch) & (times[:, None] < t_burnout))
    if j.size == 0:
        return
    u = _launch_direction(geo, gamma, az)
    tau = times[j] - t_launch[k]
    acc = speed[k] / burn[k]
    states[j, k, :3] = (geo.r_launch[:, k] + 0.5 * acc * tau * tau * u[:, k]).T
    states[j, k, 3:] = (acc * tau * u[:, k]).T


def _sample_free_flight(
    states: FloatArray,
    times: FloatArray,
    hist: _History,
    sub: NDArray[np.intp],
    cols: NDArray[np.intp],
    t_burnout: FloatArray,
    t_impact: FloatArray,
    omega: float,
) -> None:
    """Fill samples burnout <= t <= impact of threats ``sub`` (columns of ``hist``).

    ``cols`` are the same threats' columns in ``states``. Threats that never
    came down (NaN impact) are filled up to their last integrated step.
    """
    m = sub.size
    n_hist = int(hist.cols[0].size)
    where = np.full(n_hist, -1, dtype=np.intp)
    where[sub] = np.arange(m)
    k_steps = len(hist.t)
    # dense (K, m) step times and (K, m, 9) [r v a]; +inf/NaN after a threat's end
    t_h = np.full((k_steps, m), np.inf)
    rva_h = np.full((k_steps, m, 9), np.nan)
    for k in range(k_steps):  # loop over integration steps, not threats
        w = where[hist.cols[k]]
        sel = w >= 0
        if not np.any(sel):
            continue
        ws = w[sel]
        t_h[k, ws] = hist.t[k][sel]
        rva_h[k, ws] = hist.rva[k][:, sel].T
    n_valid = np.sum(np.isfinite(t_h), axis=0)
    t_last = t_h[n_valid - 1, np.arange(m)]
    t_end = np.where(np.isfinite(t_impact), t_impact, t_burnout + t_last)

    # one search over all threats' step times, each threat's offset (as keys sorted
    # in one array: the kernel compares the same sums)
    span = float(np.max(t_last)) + 1.0
    offset = np.asarray(np.arange(m) * 2.0 * span, dtype=np.float64)
    turn = -omega * times
    bk.sample_steps(
        times, np.cos(turn), np.sin(turn), omega, t_h, rva_h, n_valid.astype(np.int64),
        np.ascontiguousarray(t_burnout, dtype=np.float64), t_end, offset, span,
        np.ascontiguousarray(cols, dtype=np.int64), states,
    )  # fmt: skip
