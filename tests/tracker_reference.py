"""NumPy reference forms of the tracker's compiled update steps (tests only).

The tracker runs :func:`skyweave.tracking.motion_kernel.ekf_polar_update` and
:func:`skyweave.tracking.tracker_kernel.iekf_refine`; these are the NumPy forms they
replaced, which the tests hold them to.
"""

from __future__ import annotations

import numpy as np

from skyweave.tracking.measurement import predict_polar, wrap_pi
from skyweave.tracking.scan import RadarScan
from skyweave.tracking.tracker import _LOG_2PI, FloatArray, _ekf_update


def _imm_update_numpy(
    xf: FloatArray, pf: FloatArray, zf: FloatArray, scan: RadarScan
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The per-(track, mode) EKF update and log-likelihood in NumPy: the reference of
    ``motion_kernel.ekf_polar_update``."""
    h, hp = predict_polar(xf[:, :3], scan.sensor_pos_m, scan.enu_to_frame)
    nuf = zf - h
    nuf[:, 1] = wrap_pi(nuf[:, 1])
    pht = pf[:, :, :3] @ np.swapaxes(hp, 1, 2)
    s = hp @ pht[:, :3, :]
    s += np.diag(scan.sigmas * scan.sigmas)
    sinv = np.linalg.inv(s)
    _, logdet = np.linalg.slogdet(s)
    ll = -0.5 * (np.einsum("ti,tij,tj->t", nuf, sinv, nuf) + logdet + 3.0 * _LOG_2PI)
    xu, pu = _ekf_update(xf, pf, nuf, pht, sinv)
    return xu, pu, ll


def _iekf_refine_numpy(
    x_pred: FloatArray,
    p_pred: FloatArray,
    z: FloatArray,
    x_upd: FloatArray,
    p_upd: FloatArray,
    scan: RadarScan,
    max_iter: int = 4,
) -> tuple[FloatArray, FloatArray]:
    """Iterated-EKF re-linearisation where the one-step EKF linearised too far away
    (the NumPy form: the reference of the compiled ``tracker._iekf_refine``).

    The EKF linearises the polar measurement at the prediction. When the update
    moves the position by ``d`` at range ``r``, the neglected second-order term
    is about ``d^2 / (2 r)`` (metres, in range and cross-range). Typical for a
    new track, whose velocity is still unknown, seen again after several
    seconds. Where that term exceeds a tenth of the measurement noise, the
    update is redone with the Gauss-Newton iterations of the iterated EKF
    (Bell & Cathey 1993), re-linearising at the latest estimate; elsewhere the
    one-step result is kept. Vectorised over the tracks that need it.
    """
    rel = x_pred[:, :3] - scan.sensor_pos_m
    rng = np.sqrt(np.einsum("ti,ti->t", rel, rel))
    d = x_upd[:, :3] - x_pred[:, :3]
    second_order = np.einsum("ti,ti->t", d, d) / (2.0 * rng)
    noise = np.minimum(scan.sigmas[0], rng * np.minimum(scan.sigmas[1], scan.sigmas[2]))
    idx = np.flatnonzero(second_order > 0.1 * noise)
    if idx.size == 0:
        return x_upd, p_upd
    xp = x_pred.take(idx, axis=0)
    pp = p_pred.take(idx, axis=0)
    zi = z.take(idx, axis=0)
    xi = x_upd.take(idx, axis=0)
    r_diag = np.diag(scan.sigmas * scan.sigmas)
    for _ in range(max_iter):  # Gauss-Newton iterations, vectorised over tracks
        h, hp = predict_polar(xi[:, :3], scan.sensor_pos_m, scan.enu_to_frame)
        resid = zi - h
        resid[:, 1] = wrap_pi(resid[:, 1])
        # nu_i = z - h(x_i) - H_i (x_pred - x_i)
        nu = resid - (hp @ (xp[:, :3] - xi[:, :3])[:, :, None])[:, :, 0]
        pht = pp[:, :, :3] @ np.swapaxes(hp, 1, 2)
        sinv = np.linalg.inv(hp @ pht[:, :3, :] + r_diag)
        gain = pht @ sinv
        x_new = xp + (gain @ nu[:, :, None])[:, :, 0]
        step = np.max(np.abs(x_new[:, :3] - xi[:, :3]))
        xi = x_new
        if step < 1e-3:
            break
    pn = pp - gain @ np.swapaxes(pht, 1, 2)
    x_out = x_upd.copy()
    p_out = p_upd.copy()
    x_out[idx] = xi
    p_out[idx] = 0.5 * (pn + np.swapaxes(pn, 1, 2))
    return x_out, p_out
