"""Flight to the ground: a small vectorised RK4 integrator for impact prediction.

The default propagator of :func:`skyweave.warning.predict_impacts`. It takes
ECEF states, moves them into the inertial frame that coincides with ECEF at
the state time (so Earth rotation is exact: no Coriolis or centrifugal terms
to approximate), integrates central gravity (optionally J2) and re-entry drag
with RK4, and stops each state where it meets the WGS84 ellipsoid (height 0).
The crossing is found by regula falsi on the cubic Hermite interpolant of the
last step, and the impact point is rotated back into ECEF at the impact time.

Drag is the truth model's, called from :mod:`skyweave.kinematics.ballistic`
(not a copy): the exponential atmosphere
:func:`~skyweave.kinematics.ballistic.air_density_kg_m3` over the same height
(:meth:`skyweave.kinematics.earth.Ground.altitude_m`) and
:func:`~skyweave.kinematics.ballistic.drag_acceleration_mps2` on the velocity
relative to the air turning with the Earth. The tracker does not estimate a
threat's ballistic coefficient, so the predictor uses a nominal one,
:data:`NOMINAL_BALLISTIC_COEFFICIENT_KG_M2` (the scenario's default threat
class), unless the caller passes another (per state if known).

The WGS84 ellipsoid is symmetric about the z axis, so "height above the
ellipsoid" is the same function in the inertial and the Earth-fixed frame.

Any callable with the :data:`Propagator` signature can replace it (for
example the kinematics stage's integrator wrapped with ``functools.partial``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import J2_EARTH, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M
from skyweave.kinematics.ballistic import air_density_kg_m3, drag_acceleration_mps2
from skyweave.kinematics.earth import Ground

FloatArray = NDArray[np.float64]

Propagator = Callable[[FloatArray, float], tuple[FloatArray, FloatArray]]
"""``propagator(states_ecef (M, 6), horizon_s) -> (impact_ecef_m (M, 3), time_to_impact_s (M,))``.

States are ECEF (m, m/s), each taken at its own time ``t0``; the impact point
is ECEF at ``t0 + time_to_impact_s``. Rows that do not reach the ground within
``horizon_s`` (or start below it) are NaN in both outputs.
"""

NOMINAL_BALLISTIC_COEFFICIENT_KG_M2 = 5_000.0
"""Ballistic coefficient ``m / (Cd A)`` the predictor assumes when the threat's is unknown.

The scenario schema's default threat class (``ballistic_coefficient_kg_m2``);
a test keeps the two equal.
"""

# Cap on the ground-crossing root iterations (Illinois converges in ~6-10).
_ROOT_ITERATIONS = 40

_GROUND = Ground()


def ellipsoid_height_m(r: FloatArray) -> FloatArray:
    """Height of points (..., 3) above the WGS84 ellipsoid along the geocentric radial.

    The truth model's height (:meth:`skyweave.kinematics.earth.Ground.altitude_m`):
    zero exactly on the ellipsoid (so ground crossings are exact) and within
    0.1 % of the geodetic height at altitude.
    """
    return _GROUND.altitude_m(r[..., 0], r[..., 1], r[..., 2])


def _omega_cross(r: FloatArray, omega: float) -> FloatArray:
    return np.stack([-omega * r[..., 1], omega * r[..., 0], np.zeros_like(r[..., 2])], axis=-1)


def _rotate_z(r: FloatArray, angle_rad: FloatArray) -> FloatArray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.stack([c * r[..., 0] - s * r[..., 1], s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)


def _acceleration(
    r: FloatArray, v: FloatArray, j2: bool, half_inv_beta: FloatArray | None, omega: float
) -> FloatArray:
    r2 = np.sum(r * r, axis=-1, keepdims=True)
    rn = np.sqrt(r2)
    acc = -MU_EARTH_M3_S2 * r / (r2 * rn)
    if j2:
        z2 = r[..., 2:3] ** 2 / r2
        k = -1.5 * J2_EARTH * MU_EARTH_M3_S2 * WGS84_A_M**2 / (r2 * r2 * rn)
        acc = acc + k * r * np.concatenate([1.0 - 5.0 * z2, 1.0 - 5.0 * z2, 3.0 - 5.0 * z2], -1)
    if half_inv_beta is not None:
        # The air turns with the Earth: drag acts on the velocity relative to it.
        v_air = v - _omega_cross(r, omega)
        acc = acc + drag_acceleration_mps2(v_air, ellipsoid_height_m(r), half_inv_beta)
    return np.asarray(acc, dtype=np.float64)


def _hermite(
    r0: FloatArray, v0: FloatArray, r1: FloatArray, v1: FloatArray, dt: FloatArray, s: FloatArray
) -> FloatArray:
    """Cubic Hermite position at fraction ``s`` (M,) of steps of length ``dt`` (M,)."""
    s = s[:, None]
    dtc = dt[:, None]
    s2, s3 = s * s, s * s * s
    return np.asarray(
        (2 * s3 - 3 * s2 + 1) * r0
        + (s3 - 2 * s2 + s) * dtc * v0
        + (-2 * s3 + 3 * s2) * r1
        + (s3 - s2) * dtc * v1,
        dtype=np.float64,
    )


def rk4_step(
    acc: Callable[[FloatArray, FloatArray], FloatArray],
    r: FloatArray,
    v: FloatArray,
    dt: float | FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """One classical Runge-Kutta step of ``r' = v, v' = acc(r, v)`` (rows (M, 3)).

    ``dt`` is a scalar or a column (M, 1) of per-row steps.
    """
    a1 = acc(r, v)
    k2r, k2v = v + 0.5 * dt * a1, acc(r + 0.5 * dt * v, v + 0.5 * dt * a1)
    k3r, k3v = v + 0.5 * dt * k2v, acc(r + 0.5 * dt * k2r, v + 0.5 * dt * k2v)
    k4r, k4v = v + dt * k3v, acc(r + dt * k3r, v + dt * k3v)
    r1 = r + dt / 6.0 * (v + 2.0 * k2r + 2.0 * k3r + k4r)
    v1 = v + dt / 6.0 * (a1 + 2.0 * k2v + 2.0 * k3v + k4v)
    return r1, v1


def free_flight_to_ground(
    states_ecef: ArrayLike,
    horizon_s: float = 3_600.0,
    *,
    j2: bool = False,
    ballistic_coefficient_kg_m2: ArrayLike | None = None,
    backward: bool = False,
    dt_max_s: float = 10.0,
    dt_min_s: float = 0.05,
    omega_rad_s: float = OMEGA_EARTH_RAD_S,
) -> tuple[FloatArray, FloatArray]:
    """Fly ECEF states in free flight until they meet the ground (vectorised over rows).

    Parameters
    ----------
    states_ecef : (M, 6)
        ECEF position (m) and velocity (m/s), each row at its own time t0.
    horizon_s : float
        Longest flight considered; rows still airborne after it give NaN.
    j2 : bool
        Add the J2 zonal term to central gravity.
    ballistic_coefficient_kg_m2 : float, (M,) array or None
        ``m / (Cd A)`` (kg/m2), one for all rows or one per row; None (default
        here) means no drag (vacuum free flight). :func:`predict_impacts`
        passes :data:`NOMINAL_BALLISTIC_COEFFICIENT_KG_M2` unless told otherwise.
    backward : bool
        Fly backwards in time (vacuum only): the ground point the state came
        from, e.g. a crude launch point from a mid-course track.
    dt_max_s, dt_min_s : float
        Step bounds. The step is ``clip(0.5 h / speed, dt_min_s, dt_max_s)``
        (``h`` the height), and with drag at most a tenth of the drag time
        scale ``2 beta / (rho v)``: long steps in mid-course, short ones near
        the ground where drag changes fast.
    omega_rad_s : float
        Earth rotation rate (0 for a non-rotating Earth).

    Returns
    -------
    impact_ecef_m : (M, 3)
        Ground point, ECEF at the impact time (NaN if none).
    time_to_impact_s : (M,)
        Flight time to the ground, >= 0 (before t0 when ``backward``); NaN if none.
    """
    x = np.asarray(states_ecef, dtype=np.float64).reshape(-1, 6)
    m = x.shape[0]
    hib: FloatArray | None = None  # 1 / (2 beta) per row
    if ballistic_coefficient_kg_m2 is not None:
        if backward:
            raise ValueError("free_flight_to_ground: backward flight is vacuum only (no drag)")
        beta = np.broadcast_to(np.asarray(ballistic_coefficient_kg_m2, dtype=np.float64), (m,))
        if not np.all(beta > 0.0):
            raise ValueError(f"ballistic_coefficient_kg_m2: expected > 0, got {beta[beta <= 0]}")
        hib = 0.5 / beta
    # Inertial frame aligned with ECEF at t0 (per row); reversing time flips the
    # inertial velocity and the apparent sense of the Earth's rotation.
    r = x[:, :3].copy()
    v = x[:, 3:] + _omega_cross(r, omega_rad_s)
    omega = omega_rad_s
    if backward:
        v = -v
        omega = -omega_rad_s
    t = np.zeros(m)
    impact = np.full((m, 3), np.nan)
    tti = np.full(m, np.nan)
    h = ellipsoid_height_m(r)
    active = np.flatnonzero(np.isfinite(h) & np.all(np.isfinite(v), axis=-1) & (h > 0.0))

    while active.size:
        r0, v0, t0, h0 = r[active], v[active], t[active], h[active]
        speed = np.sqrt(np.sum(v0 * v0, axis=-1))
        dt = 0.5 * h0 / np.maximum(speed, 1.0)
        hib_a = None if hib is None else hib[active]
        if hib_a is not None:
            # a tenth of the time drag takes to change the speed by a factor e
            drag_rate = 2.0 * air_density_kg_m3(h0) * speed * hib_a
            dt = np.minimum(dt, 0.1 / np.maximum(drag_rate, 1e-12))
        dt = np.minimum(np.clip(dt, dt_min_s, dt_max_s), horizon_s - t0)

        def acc(rr: FloatArray, vv: FloatArray, hb: FloatArray | None = hib_a) -> FloatArray:
            return _acceleration(rr, vv, j2, hb, omega)

        r1, v1 = rk4_step(acc, r0, v0, dt[:, None])
        h1 = ellipsoid_height_m(r1)
        hit = h1 <= 0.0
        if np.any(hit):
            # Root of the height along the Hermite interpolant, h(0) > 0 >= h(1), by
            # the Illinois variant of regula falsi (superlinear; it keeps the
            # bracket, so it cannot fail), to well under a microsecond of flight.
            args = (r0[hit], v0[hit], r1[hit], v1[hit], dt[hit])
            lo, hi = np.zeros(int(hit.sum())), np.ones(int(hit.sum()))
            f_lo, f_hi = h0[hit].copy(), h1[hit].copy()
            side = np.zeros(lo.size, dtype=np.int8)
            s = hi.copy()
            for _ in range(_ROOT_ITERATIONS):
                denom = f_lo - f_hi
                s = np.where(
                    denom > 0.0,
                    lo + f_lo / np.where(denom > 0.0, denom, 1.0) * (hi - lo),
                    0.5 * (lo + hi),
                )
                f_s = ellipsoid_height_m(_hermite(*args, s))
                above = f_s > 0.0
                # Illinois: halve the stale end's value when the same end moves twice
                f_hi = np.where(above & (side == 1), 0.5 * f_hi, f_hi)
                f_lo = np.where(~above & (side == -1), 0.5 * f_lo, f_lo)
                lo, f_lo = np.where(above, s, lo), np.where(above, f_s, f_lo)
                hi, f_hi = np.where(above, hi, s), np.where(above, f_hi, f_s)
                side = np.where(above, 1, -1).astype(np.int8)
                if np.all((hi - lo) * dt[hit] < 1e-9) or np.all(np.abs(f_s) < 1e-6):
                    break
            p = _hermite(*args, s)
            tau = t0[hit] + s * dt[hit]
            rows = active[hit]
            impact[rows] = _rotate_z(p, -omega * tau)
            tti[rows] = tau
        keep = ~hit
        rows = active[keep]
        r[rows], v[rows], t[rows], h[rows] = r1[keep], v1[keep], t0[keep] + dt[keep], h1[keep]
        active = rows[t[rows] < horizon_s]
    return impact, tti


__all__ = [
    "NOMINAL_BALLISTIC_COEFFICIENT_KG_M2",
    "Propagator",
    "ellipsoid_height_m",
    "free_flight_to_ground",
    "rk4_step",
]
