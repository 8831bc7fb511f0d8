"""Polar (range, azimuth, elevation) measurement function, its Jacobian and inverse.

All functions are vectorised over leading dimensions. Azimuth is clockwise from
North, elevation above the local horizontal, as produced by the sensors stage.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.special import gammaincinv

FloatArray = NDArray[np.float64]

TWO_PI = 2.0 * np.pi

# Smallest horizontal distance squared used in the azimuth Jacobian: the azimuth
# is undefined straight overhead, and a tiny floor keeps the gain finite there.
_MIN_HORIZ2_M2 = 1.0


def wrap_pi(angle_rad: FloatArray) -> FloatArray:
    """Wrap angles to ``[-pi, pi)`` (used on azimuth innovations)."""
    return np.mod(angle_rad + np.pi, TWO_PI) - np.pi


def predict_polar(
    pos_m: FloatArray, sensor_pos_m: FloatArray, enu_to_frame: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Predicted measurement and its Jacobian with respect to position.

    Compiled per row (:func:`_predict_polar_rows`); :func:`predict_polar_numpy`
    is the reference (same parameters and returns).
    """
    lead = pos_m.shape[:-1]
    h, jac = _predict_polar_rows(
        np.ascontiguousarray(pos_m, dtype=np.float64).reshape(-1, 3),
        np.ascontiguousarray(sensor_pos_m, dtype=np.float64),
        np.ascontiguousarray(enu_to_frame, dtype=np.float64),
    )
    return h.reshape(*lead, 3), jac.reshape(*lead, 3, 3)


@njit(cache=True)
def _predict_polar_rows(
    pos_m: FloatArray, sensor_pos_m: FloatArray, rot: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`predict_polar_numpy` of rows (N, 3), row by row, the same formulas."""
    n = pos_m.shape[0]
    h = np.empty((n, 3))
    jac = np.empty((n, 3, 3))
    je = np.empty((3, 3))
    for t in range(n):
        d0 = pos_m[t, 0] - sensor_pos_m[0]
        d1 = pos_m[t, 1] - sensor_pos_m[1]
        d2 = pos_m[t, 2] - sensor_pos_m[2]
        e = d0 * rot[0, 0] + d1 * rot[1, 0] + d2 * rot[2, 0]
        nn = d0 * rot[0, 1] + d1 * rot[1, 1] + d2 * rot[2, 1]
        u = d0 * rot[0, 2] + d1 * rot[1, 2] + d2 * rot[2, 2]
        horiz2 = max(e * e + nn * nn, _MIN_HORIZ2_M2)
        horiz = math.sqrt(horiz2)
        r2 = horiz2 + u * u
        r = math.sqrt(r2)
        az = math.atan2(e, nn) % TWO_PI
        h[t, 0], h[t, 1], h[t, 2] = r, az, math.atan2(u, horiz)
        inv_r = 1.0 / r
        je[0, 0], je[0, 1], je[0, 2] = e * inv_r, nn * inv_r, u * inv_r
        inv_h2 = 1.0 / horiz2
        je[1, 0], je[1, 1], je[1, 2] = nn * inv_h2, -e * inv_h2, 0.0
        k = -u / (r2 * horiz)
        je[2, 0], je[2, 1], je[2, 2] = e * k, nn * k, horiz / r2
        for i in range(3):  # J_enu @ R^T
            for j in range(3):
                jac[t, i, j] = je[i, 0] * rot[j, 0] + je[i, 1] * rot[j, 1] + je[i, 2] * rot[j, 2]
    return h, jac


def predict_polar_numpy(
    pos_m: FloatArray, sensor_pos_m: FloatArray, enu_to_frame: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Predicted measurement and its Jacobian with respect to position, in NumPy.

    Parameters
    ----------
    pos_m : (..., 3)
        Target positions in the tracker frame.
    sensor_pos_m : (3,)
        Sensor position in the tracker frame.
    enu_to_frame : (3, 3)
        Rotation from the sensor's ENU axes to the tracker frame.

    Returns
    -------
    h : (..., 3)
        ``(range_m, azimuth_rad in [0, 2 pi), elevation_rad)``.
    jac : (..., 3, 3)
        ``d h / d pos`` (the velocity columns of the full Jacobian are zero).
    """
    rel_enu = (pos_m - sensor_pos_m) @ enu_to_frame  # row form of R^T (p - s)
    e = rel_enu[..., 0]
    n = rel_enu[..., 1]
    u = rel_enu[..., 2]
    horiz2 = np.maximum(e * e + n * n, _MIN_HORIZ2_M2)
    horiz = np.sqrt(horiz2)
    r2 = horiz2 + u * u
    r = np.sqrt(r2)
    h = np.stack([r, np.mod(np.arctan2(e, n), TWO_PI), np.arctan2(u, horiz)], axis=-1)

    jac_enu = np.empty((*pos_m.shape[:-1], 3, 3))
    inv_r = 1.0 / r
    jac_enu[..., 0, 0] = e * inv_r
    jac_enu[..., 0, 1] = n * inv_r
    jac_enu[..., 0, 2] = u * inv_r
    inv_h2 = 1.0 / horiz2
    jac_enu[..., 1, 0] = n * inv_h2
    jac_enu[..., 1, 1] = -e * inv_h2
    jac_enu[..., 1, 2] = 0.0
    k = -u / (r2 * horiz)
    jac_enu[..., 2, 0] = e * k
    jac_enu[..., 2, 1] = n * k
    jac_enu[..., 2, 2] = horiz / r2
    # d(enu)/d(pos) = R^T, so d h/d pos = J_enu @ R^T.
    return h, jac_enu @ enu_to_frame.T


def polar_to_cartesian(
    z: FloatArray, sigmas: FloatArray, sensor_pos_m: FloatArray, enu_to_frame: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Convert polar measurements to frame positions with linearised covariance.

    Parameters
    ----------
    z : (M, 3)
        ``(range_m, azimuth_rad, elevation_rad)``.
    sigmas : (3,)
        One-sigma noise of the three components.
    sensor_pos_m, enu_to_frame
        As in :func:`predict_polar`.

    Returns
    -------
    pos : (M, 3)
        Positions in the tracker frame.
    cov : (M, 3, 3)
        First-order covariance ``J diag(sigmas^2) J^T`` rotated to the frame.
    """
    r, az, el = z[:, 0], z[:, 1], z[:, 2]
    ca, sa = np.cos(az), np.sin(az)
    ce, se = np.cos(el), np.sin(el)
    enu = np.stack([r * ce * sa, r * ce * ca, r * se], axis=-1)
    jac = np.empty((z.shape[0], 3, 3))
    jac[:, 0, 0] = ce * sa
    jac[:, 0, 1] = r * ce * ca
    jac[:, 0, 2] = -r * se * sa
    jac[:, 1, 0] = ce * ca
    jac[:, 1, 1] = -r * ce * sa
    jac[:, 1, 2] = -r * se * ca
    jac[:, 2, 0] = se
    jac[:, 2, 1] = 0.0
    jac[:, 2, 2] = r * ce
    jf = enu_to_frame @ jac  # (M, 3, 3): d pos_frame / d (r, az, el)
    cov = (jf * (sigmas * sigmas)) @ np.swapaxes(jf, -1, -2)
    return enu @ enu_to_frame.T + sensor_pos_m, cov


def chi2_gate(probability: float, dof: int) -> float:
    """The chi-square quantile ``probability`` with ``dof`` degrees of freedom: a gate on
    a squared Mahalanobis distance. ``scipy.stats.chi2.ppf``'s own formula, without
    importing ``scipy.stats`` (most of a process's start-up)."""
    return float(2.0 * gammaincinv(dof / 2.0, probability))
