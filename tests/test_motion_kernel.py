"""The compiled tracker prediction against its NumPy reference, and the IMM mixing kernels.

The NumPy path (``Ballistic.predict_numpy``: batched RK4 of the state and the
variational equation, ``Phi P Phi^T + Q``) is an independent evaluation of the
same formulas; the kernel may differ from it by rounding only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from skyweave.constants import G0_MPS2, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from skyweave.kinematics.ballistic import SCALE_HEIGHT_M
from skyweave.kinematics.earth import Ground
from skyweave.kinematics.kernels import air_density, height_m
from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm, white_accel_q
from skyweave.tracking.motion_kernel import (
    ballistic_predict,
    imm_combine,
    imm_mix,
    imm_store,
    max_step_s,
)
from skyweave.tracking.tracker import Tracker, TrackerConfig


def _states(rng: np.random.Generator, n: int, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """Ballistic-looking states: heights from 2 km (dense air) to 600 km, 0.3-7 km/s."""
    if frame == "flat":
        r = np.column_stack([rng.uniform(-1e5, 1e5, (n, 2)), rng.uniform(2e3, 8e4, n)])
    else:
        u = rng.normal(size=(n, 3))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        r = u * (6.37e6 + rng.uniform(2e3, 6e5, n))[:, None]
    v = rng.normal(size=(n, 3))
    v *= (rng.uniform(300.0, 7000.0, n) / np.linalg.norm(v, axis=1))[:, None]
    a = rng.normal(size=(n, 6, 6)) * np.array([300.0, 300.0, 300.0, 20.0, 20.0, 20.0])
    return np.column_stack([r, v]), a @ np.swapaxes(a, 1, 2) + np.eye(6)


def _close(new: np.ndarray, ref: np.ndarray, rtol: float = 1e-9) -> None:
    # relative to each row's largest entry (a covariance's entries span many decades)
    scale = np.max(np.abs(ref.reshape(ref.shape[0], -1)), axis=1)
    err = np.max(np.abs((new - ref).reshape(ref.shape[0], -1)), axis=1)
    assert np.all(err <= rtol * scale), float(np.max(err / scale))


@pytest.mark.parametrize(
    ("model", "dt_s"),
    [
        (Ballistic(q_m2_s3=0.01, ballistic_coefficient_kg_m2=5000.0, drag_sigma_fraction=0.1), 7.3),
        (Ballistic(q_m2_s3=1000.0, ballistic_coefficient_kg_m2=800.0), 31.0),
        (Ballistic(frame="inertial", max_step_s=2.0), 12.0),
        (Ballistic(frame="ecef"), -4.5),
        (Ballistic(frame="flat", ballistic_coefficient_kg_m2=3000.0, drag_sigma_fraction=0.2), 9.0),
    ],
)
def test_ballistic_kernel_matches_numpy_reference(model: Ballistic, dt_s: float) -> None:
    x, p = _states(np.random.default_rng(7), 40, model.frame)
    if dt_s < 0.0:
        x = x[Ground().altitude_m(x[:, 0], x[:, 1], x[:, 2]) > 1e5]  # vacuum: backward is fine
        p = p[: len(x)]
    xn, pn = model.predict(x, p, dt_s)
    xr, pr = model.predict_numpy(x, p, dt_s)
    assert xn.shape == xr.shape and pn.shape == pr.shape
    _close(xn, xr)
    _close(pn, pr)
    # the sub-step rule really splits the step here (else RK4 would not be exercised)
    assert np.max(np.abs(xn - x)) > 0.0


# The kernel as it was before its derivative took scratch arrays and one vector per
# track: the faster form must give the same bits, not only the same numbers to rounding.


@njit
def _reference_deriv(
    s: np.ndarray,
    phi: np.ndarray,
    ds: np.ndarray,
    dphi: np.ndarray,
    hib: float,
    omega: float,
    flat: bool,
) -> None:
    """``_deriv`` as it was: (3, 3) arrays made per call, tuples, phi apart."""
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    g = np.zeros((3, 3))  # d accel / d r
    d = np.zeros((3, 3))  # d accel / d v
    ds[0], ds[1], ds[2] = vx, vy, vz
    if flat:
        ax, ay, az = 0.0, 0.0, -G0_MPS2
        rn = 1.0
    else:
        rn2 = x * x + y * y + z * z
        rn = math.sqrt(rn2)
        c = -MU_EARTH_M3_S2 / (rn2 * rn)
        ax, ay, az = x * c, y * c, z * c
        if omega != 0.0:
            ax += 2.0 * omega * vy + omega * omega * x
            ay += -2.0 * omega * vx + omega * omega * y
        k = MU_EARTH_M3_S2 / (rn2 * rn)
        k3 = 3.0 * k / rn2
        r3 = (x, y, z)
        for i in range(3):
            for j in range(3):
                g[i, j] = k3 * (r3[i] * r3[j])
            g[i, i] -= k
        if omega != 0.0:
            g[0, 0] += omega * omega
            g[1, 1] += omega * omega
            d[0, 1] = 2.0 * omega
            d[1, 0] = -2.0 * omega
    if hib != 0.0:
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        rho = air_density(z if flat else height_m(x, y, z))
        m = -hib * rho * speed
        ax += vx * m
        ay += vy * m
        az += vz * m
        speed_c = max(speed, 1e-9)
        cv = -hib * rho
        v3 = (vx, vy, vz)
        if flat:
            up = (0.0, 0.0, 1.0)
        else:
            up = (x / rn, y / rn, z / rn)
        cvs = cv / speed_c
        ch = -cv * speed_c / SCALE_HEIGHT_M
        for i in range(3):
            for j in range(3):
                dv = cvs * (v3[i] * v3[j])
                if i == j:
                    dv += cv * speed_c
                d[i, j] += dv
                g[i, j] += ch * (v3[i] * up[j])
    ds[3], ds[4], ds[5] = ax, ay, az
    for col in range(6):
        for i in range(3):
            dphi[i, col] = phi[3 + i, col]
            acc = 0.0
            for j in range(3):
                acc += g[i, j] * phi[j, col]
            for j in range(3):
                acc += d[i, j] * phi[3 + j, col]
            dphi[3 + i, col] = acc


@njit
def _reference_drag_norm(s: np.ndarray, hib: float, flat: bool) -> float:
    vx, vy, vz = s[3], s[4], s[5]
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    m = -hib * air_density(s[2] if flat else height_m(s[0], s[1], s[2])) * speed
    ax, ay, az = vx * m, vy * m, vz * m
    return math.sqrt(ax * ax + ay * ay + az * az)


@njit
def _reference_predict(
    x: np.ndarray,
    p: np.ndarray,
    dt_s: float,
    n_sub: int,
    hib: float,
    omega: float,
    flat: bool,
    q_m2_s3: float,
    drag_sigma_fraction: float,
    drag_correlation_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``ballistic_predict`` as it was: one row at a time, state and Phi apart."""
    n = x.shape[0]
    h = dt_s / n_sub
    adt = abs(dt_s)
    q33 = adt**3 / 3.0
    q32 = adt**2 / 2.0
    xo = np.empty((n, 6))
    po = np.empty((n, 6, 6))
    s = np.empty(6)
    phi = np.empty((6, 6))
    st = np.empty(6)
    pt = np.empty((6, 6))
    k1x, k2x, k3x, k4x = np.empty(6), np.empty(6), np.empty(6), np.empty(6)
    k1p, k2p = np.empty((6, 6)), np.empty((6, 6))
    k3p, k4p = np.empty((6, 6)), np.empty((6, 6))
    tmp = np.empty((6, 6))
    drag_q = hib != 0.0 and drag_sigma_fraction != 0.0
    for t in range(n):
        for i in range(6):
            s[i] = x[t, i]
            for j in range(6):
                phi[i, j] = 1.0 if i == j else 0.0
        for _ in range(n_sub):
            _reference_deriv(s, phi, k1x, k1p, hib, omega, flat)
            for i in range(6):
                st[i] = s[i] + 0.5 * h * k1x[i]
                for j in range(6):
                    pt[i, j] = phi[i, j] + 0.5 * h * k1p[i, j]
            _reference_deriv(st, pt, k2x, k2p, hib, omega, flat)
            for i in range(6):
                st[i] = s[i] + 0.5 * h * k2x[i]
                for j in range(6):
                    pt[i, j] = phi[i, j] + 0.5 * h * k2p[i, j]
            _reference_deriv(st, pt, k3x, k3p, hib, omega, flat)
            for i in range(6):
                st[i] = s[i] + h * k3x[i]
                for j in range(6):
                    pt[i, j] = phi[i, j] + h * k3p[i, j]
            _reference_deriv(st, pt, k4x, k4p, hib, omega, flat)
            for i in range(6):
                s[i] = s[i] + (h / 6.0) * (k1x[i] + 2.0 * k2x[i] + 2.0 * k3x[i] + k4x[i])
                for j in range(6):
                    phi[i, j] = phi[i, j] + (h / 6.0) * (
                        k1p[i, j] + 2.0 * k2p[i, j] + 2.0 * k3p[i, j] + k4p[i, j]
                    )
        q = q_m2_s3
        if drag_q:
            a_err = drag_sigma_fraction * max(
                _reference_drag_norm(x[t], hib, flat), _reference_drag_norm(s, hib, flat)
            )
            q = q_m2_s3 + a_err * a_err * drag_correlation_s
        # Phi P Phi^T in the NumPy order: (Phi P) Phi^T
        for i in range(6):
            for j in range(6):
                acc = 0.0
                for k in range(6):
                    acc += phi[i, k] * p[t, k, j]
                tmp[i, j] = acc
        for i in range(6):
            xo[t, i] = s[i]
            for j in range(6):
                acc = 0.0
                for k in range(6):
                    acc += tmp[i, k] * phi[j, k]
                po[t, i, j] = acc
        for i in range(3):
            po[t, i, i] += q * q33
            po[t, i, i + 3] += q * q32
            po[t, i + 3, i] += q * q32
            po[t, i + 3, i + 3] += q * adt
    return xo, po


@pytest.mark.parametrize(
    ("hib", "omega", "flat", "sigma_fraction"),
    [
        (1e-4, OMEGA_EARTH_RAD_S, False, 0.1),
        (6e-4, 0.0, False, 0.0),
        (0.0, OMEGA_EARTH_RAD_S, False, 0.0),
        (2e-4, 0.0, True, 0.2),
    ],
)
def test_ballistic_kernel_is_bit_identical_to_its_previous_form(
    hib: float, omega: float, flat: bool, sigma_fraction: float
) -> None:
    # enough rows that a last-bit change anywhere shows in some output
    x, p = _states(np.random.default_rng(11), 500, "flat" if flat else "ecef")
    for dt_s, n_sub in ((7.3, 3), (-2.0, 1), (12.0, 6)):
        args = (x, p, dt_s, n_sub, hib, omega, flat, 0.01, sigma_fraction, 10.0)
        xn, pn = ballistic_predict(*args)
        xr, pr = _reference_predict(*args)
        assert xn.tobytes() == xr.tobytes() and pn.tobytes() == pr.tobytes()
        # not NaN equal to NaN (a few flat-frame rows dive into the dense air and blow up)
        assert np.isfinite(pn).all(axis=(1, 2)).mean() > 0.9


def test_ballistic_kernel_keeps_leading_shape_and_empty_batches() -> None:
    model = Ballistic(ballistic_coefficient_kg_m2=5000.0, drag_sigma_fraction=0.1)
    x, p = _states(np.random.default_rng(3), 6, "ecef")
    xn, pn = model.predict(x.reshape(2, 3, 6), p.reshape(2, 3, 6, 6), 3.0)
    xr, pr = model.predict_numpy(x, p, 3.0)
    assert xn.shape == (2, 3, 6) and pn.shape == (2, 3, 6, 6)
    _close(xn.reshape(6, 6), xr)
    _close(pn.reshape(6, 6, 6), pr)
    x0, p0 = model.predict(np.zeros((0, 6)), np.zeros((0, 6, 6)), 3.0)
    assert x0.shape == (0, 6) and p0.shape == (0, 6, 6)


def test_constant_velocity_kernel_matches_numpy_reference() -> None:
    x, p = _states(np.random.default_rng(5), 30, "ecef")
    model = ConstantVelocity(q_m2_s3=5.0)
    for dt_s in (4.0, -2.0):
        xn, pn = model.predict(x, p, dt_s)
        xr, pr = model.predict_numpy(x, p, dt_s)
        _close(xn, xr, rtol=1e-15)
        _close(pn, pr, rtol=1e-15)


def test_white_accel_q_is_the_textbook_block() -> None:
    dt = 2.5
    q = white_accel_q(3.0, dt)
    i3 = np.eye(3)
    ref = 3.0 * np.block([[dt**3 / 3 * i3, dt**2 / 2 * i3], [dt**2 / 2 * i3, dt * i3]])
    assert np.array_equal(q, ref)
    qs = white_accel_q(np.array([1.0, 2.0]), dt)
    assert np.array_equal(qs[1], 2.0 * ref / 3.0)


def _imm_reference(
    imm: Imm, xm: np.ndarray, pm: np.ndarray, mu: np.ndarray, dt_s: float
) -> tuple[np.ndarray, ...]:
    """The IMM mixing step written out with einsum (Blom & Bar-Shalom 1988)."""
    pi = imm.transition_matrix(dt_s)
    c = mu @ pi
    w = mu[:, :, None] * pi[None, :, :] / np.maximum(c[:, None, :], 1e-300)
    dead = c < 1e-300
    t_idx, j_idx = np.nonzero(dead)
    w[t_idx, :, j_idx] = 0.0
    w[t_idx, j_idx, j_idx] = 1.0
    x0 = np.einsum("tij,tia->tja", w, xm)
    d = xm[:, :, None, :] - x0[:, None, :, :]
    p0 = np.einsum("tij,tiab->tjab", w, pm) + np.einsum("tij,tija,tijb->tjab", w, d, d)
    models = imm.mode_models()
    out = [m.predict_numpy(x0[:, j], p0[:, j], dt_s) for j, m in enumerate(models)]
    xm_n = np.stack([o[0] for o in out], axis=1)
    pm_n = np.stack([o[1] for o in out], axis=1)
    x = np.einsum("tj,tja->ta", c, xm_n)
    dd = xm_n - x[:, None, :]
    p = np.einsum("tj,tjab->tab", c, pm_n) + np.einsum("tj,tja,tjb->tab", c, dd, dd)
    return xm_n, pm_n, c, x, p


def test_imm_predict_matches_einsum_reference() -> None:
    imm = Imm(
        models=(
            Ballistic(q_m2_s3=0.01, ballistic_coefficient_kg_m2=5000.0, drag_sigma_fraction=0.1),
            Ballistic(q_m2_s3=1000.0, ballistic_coefficient_kg_m2=5000.0),
            ConstantVelocity(q_m2_s3=5.0),
        ),
        rates_per_s=((0.0, 0.0, 1e-5), (0.25, 0.0, 0.0), (1e-5, 0.0, 0.0)),
        initial_probabilities=(0.34, 0.33, 0.33),
    )
    rng = np.random.default_rng(11)
    n = 25
    xs, ps = zip(*(_states(rng, n, "ecef") for _ in range(3)), strict=True)
    xm, pm = np.stack(xs, axis=1), np.stack(ps, axis=1)
    mu = rng.dirichlet(np.ones(3), n)
    mu[0] = (1.0, 0.0, 0.0)  # boost weight gone: nothing switches into boost (dead mode)
    tracker = Tracker(TrackerConfig(motion=imm))
    got = tracker._imm_predict(xm, pm, mu, 6.0)
    ref = _imm_reference(imm, xm, pm, mu, 6.0)
    _close(got[0].reshape(n, -1), ref[0].reshape(n, -1))
    _close(got[1].reshape(n, -1), ref[1].reshape(n, -1))
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-12, atol=1e-300)
    _close(got[3], ref[3])
    _close(got[4], ref[4])
    # the combination helper is the moment-matched mixture
    x, p = imm_combine(got[0], got[1], got[2])
    _close(x, ref[3])
    _close(p, ref[4])


def _imm_predict_previous(
    imm: Imm, xm: np.ndarray, pm: np.ndarray, mu: np.ndarray, dt_s: float
) -> tuple[np.ndarray, ...]:
    """``Tracker._imm_predict`` as it was: the mixing kernel, each mode's ``predict``
    (the sub-step kernel, then the RK4 kernel) and the combination kernel apart."""
    c, x0, p0 = imm_mix(mu, imm.transition_matrix(dt_s), xm, pm)
    xm_n, pm_n = np.empty_like(x0), np.empty_like(p0)
    for j, model in enumerate(imm.mode_models()):
        if isinstance(model, Ballistic) and dt_s != 0.0:
            xf, pf = np.ascontiguousarray(x0[:, j]), np.ascontiguousarray(p0[:, j])
            hib, flat = model._half_inv_beta, model.frame == "flat"
            step = max_step_s(xf, hib, flat, model.min_step_s, model.max_step_s)
            xm_n[:, j], pm_n[:, j] = ballistic_predict(
                xf, pf, dt_s, max(1, math.ceil(abs(dt_s) / step)), hib, model._omega, flat,
                model.q_m2_s3, model.drag_sigma_fraction, model.drag_correlation_s,
            )  # fmt: skip
        else:
            xm_n[:, j], pm_n[:, j] = model.predict(x0[:, j], p0[:, j], dt_s)
    x, p = imm_combine(xm_n, pm_n, c)
    return xm_n, pm_n, c, x, p


@pytest.mark.parametrize("dt_s", [6.0, 0.0, 41.0])
def test_imm_predict_kernel_is_bit_identical_to_its_previous_form(dt_s: float) -> None:
    imm = Imm(
        models=(
            Ballistic(q_m2_s3=0.01, ballistic_coefficient_kg_m2=5000.0, drag_sigma_fraction=0.1),
            Ballistic(q_m2_s3=1000.0, frame="flat", ballistic_coefficient_kg_m2=900.0),
            ConstantVelocity(q_m2_s3=5.0),
        ),
        rates_per_s=((0.0, 0.0, 1e-5), (0.25, 0.0, 0.0), (1e-5, 0.0, 0.0)),
        initial_probabilities=(0.34, 0.33, 0.33),
    )
    rng = np.random.default_rng(12)
    n = 200
    xs, ps = zip(*(_states(rng, n, "ecef") for _ in range(3)), strict=True)
    xm, pm = np.stack(xs, axis=1), np.stack(ps, axis=1)
    mu = rng.dirichlet(np.ones(3), n)
    mu[0] = (1.0, 0.0, 0.0)
    got = Tracker(TrackerConfig(motion=imm))._imm_predict(xm, pm, mu, dt_s)
    ref = _imm_predict_previous(imm, xm, pm, mu, dt_s)
    for a, b in zip(got, ref, strict=True):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


def test_imm_store_is_the_scatters_and_the_combination() -> None:
    rng = np.random.default_rng(13)
    n, r = 30, 3
    xs, ps = zip(*(_states(rng, n, "ecef") for _ in range(r)), strict=True)
    xm, pm = np.stack(xs, axis=1), np.stack(ps, axis=1)
    mu = rng.dirichlet(np.ones(r), n)
    x, p = imm_combine(xm, pm, mu)
    rows = np.array([7, 2, 19, 0, 29], dtype=np.int64)
    xs_u, ps_u = zip(*(_states(rng, len(rows), "ecef") for _ in range(r)), strict=True)
    xm_u, pm_u = np.stack(xs_u, axis=1), np.stack(ps_u, axis=1)
    mu_u = rng.dirichlet(np.ones(r), len(rows))
    ref = [a.copy() for a in (xm, pm, mu, x, p)]
    ref[0][rows], ref[1][rows], ref[2][rows] = xm_u, pm_u, mu_u
    ref[3][rows], ref[4][rows] = imm_combine(xm_u, pm_u, mu_u)
    imm_store(rows, xm_u, pm_u, mu_u, xm, pm, mu, x, p)
    for a, b in zip((xm, pm, mu, x, p), ref, strict=True):
        assert a.tobytes() == b.tobytes()


def test_predict_polar_kernel_matches_numpy_reference() -> None:
    from skyweave.tracking.measurement import predict_polar, predict_polar_numpy

    rng = np.random.default_rng(8)
    a, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sensor = np.array([4.0e6, 3.0e6, 3.5e6])
    pos = sensor + rng.normal(0.0, 3e5, (50, 3))
    # nearly overhead (0.5 m off the vertical at 100 km): the horizontal floor applies;
    # its azimuth rests on a 0.5 m offset computed from 1e5 m terms, so ~1e-11 rad rounding
    pos[0] = sensor + a[:, 2] * 1e5 + a[:, 0] * 0.5
    h, jac = predict_polar(pos, sensor, a)
    hr, jr = predict_polar_numpy(pos, sensor, a)
    np.testing.assert_allclose(h[1:], hr[1:], rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(h[0], hr[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(jac, jr, rtol=1e-10, atol=1e-16)
    h2, j2 = predict_polar(pos[:, None, :], sensor, a)  # leading shape kept
    assert h2.shape == (50, 1, 3) and j2.shape == (50, 1, 3, 3)


def test_ekf_polar_update_kernel_matches_numpy_reference() -> None:
    from skyweave.tracking import motion_kernel
    from skyweave.tracking.measurement import predict_polar_numpy
    from skyweave.tracking.scan import RadarScan
    from tracker_reference import _imm_update_numpy

    rng = np.random.default_rng(12)
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sensor = np.array([4.0e6, 3.0e6, 3.5e6])
    x, p = _states(rng, 30, "ecef")
    x[:, :3] = sensor + rng.normal(0.0, 2e5, (30, 3))
    h, _ = predict_polar_numpy(x[:, :3], sensor, rot)
    sig = np.array([50.0, 2e-3, 2e-3])
    z = h + rng.normal(size=(30, 3)) * sig * 3.0
    z[:3, 1] += 2.0 * np.pi  # azimuth on another branch: the innovation is wrapped
    scan = RadarScan(1.0, "r", sensor, rot, z, sig)
    xu, pu, ll = motion_kernel.ekf_polar_update(x, p, z, sensor, rot, sig * sig)
    xr, pr, lr = _imm_update_numpy(x, p, z, scan)
    _close(xu, xr)
    _close(pu, pr)
    np.testing.assert_allclose(ll, lr, rtol=1e-9)
    assert np.all(pu == np.swapaxes(pu, 1, 2))
