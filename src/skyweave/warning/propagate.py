"""Flight to the ground: the RK4 integrator of impact prediction.

The default propagator of :func:`skyweave.warning.predict_impacts`. It takes
ECEF states, moves them into the inertial frame that coincides with ECEF at
the state time (so Earth rotation is exact: no Coriolis or centrifugal terms
to approximate), integrates central gravity (optionally J2) and re-entry drag
with RK4, and stops each state where it meets the WGS84 ellipsoid (height 0).
The crossing is found by regula falsi on the cubic Hermite interpolant of the
last step, and the impact point is rotated back into ECEF at the impact time.

Drag is the truth model's (:mod:`skyweave.kinematics.ballistic`): the
exponential atmosphere of :func:`~skyweave.kinematics.ballistic.air_density_kg_m3`
over the same height (:meth:`skyweave.kinematics.earth.Ground.altitude_m`), on
the velocity relative to the air turning with the Earth. The per-row loop is
compiled (:mod:`skyweave.warning.flight_kernel`); a test holds it to the truth
integrator and to ``scipy.integrate.solve_ivp``. The tracker does not estimate a
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

from skyweave.constants import OMEGA_EARTH_RAD_S
from skyweave.kinematics.earth import Ground
from skyweave.warning.flight_kernel import fly_rows

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

_GROUND = Ground()


def ellipsoid_height_m(r: FloatArray) -> FloatArray:
    """Height of points (..., 3) above the WGS84 ellipsoid along the geocentric radial.

    The truth model's height (:meth:`skyweave.kinematics.earth.Ground.altitude_m`):
    zero exactly on the ellipsoid (so ground crossings are exact) and within
    0.1 % of the geodetic height at altitude.
    """
    return _GROUND.altitude_m(r[..., 0], r[..., 1], r[..., 2])


def _inertial_velocity(x: FloatArray, omega: float) -> FloatArray:
    """``x[:, 3:] + omega z x r`` (r = ``x[:, :3]``), column by column: the same sums the
    stacked cross product gave (its zero third component included: ``-0.0 + 0.0``
    is ``0.0``), without stacking it."""
    v = np.empty((x.shape[0], 3))
    v[:, 0] = x[:, 3] + -omega * x[:, 1]
    v[:, 1] = x[:, 4] + omega * x[:, 0]
    v[:, 2] = x[:, 5] + 0.0
    return v


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
        if isinstance(ballistic_coefficient_kg_m2, float):  # one for all: no array checks
            if not ballistic_coefficient_kg_m2 > 0.0:
                raise ValueError(
                    f"ballistic_coefficient_kg_m2: expected > 0, got {ballistic_coefficient_kg_m2}"
                )
            hib = np.full(m, 0.5 / ballistic_coefficient_kg_m2)
        else:
            beta = np.broadcast_to(np.asarray(ballistic_coefficient_kg_m2, dtype=np.float64), (m,))
            if not np.all(beta > 0.0):
                raise ValueError(
                    f"ballistic_coefficient_kg_m2: expected > 0, got {beta[beta <= 0]}"
                )
            hib = 0.5 / beta
    # Inertial frame aligned with ECEF at t0 (per row); reversing time flips the
    # inertial velocity and the apparent sense of the Earth's rotation.
    r = x[:, :3].copy()
    v = _inertial_velocity(x, omega_rad_s)
    omega = omega_rad_s
    if backward:
        v = -v
        omega = -omega_rad_s
    rows = np.zeros(m) if hib is None else hib
    return fly_rows(
        np.ascontiguousarray(r),
        np.ascontiguousarray(v),
        np.ascontiguousarray(rows, dtype=np.float64),
        bool(j2),
        float(omega),
        float(horizon_s),
        float(dt_min_s),
        float(dt_max_s),
    )


__all__ = [
    "NOMINAL_BALLISTIC_COEFFICIENT_KG_M2",
    "Propagator",
    "ellipsoid_height_m",
    "free_flight_to_ground",
]
