"""The compiled tracker prediction against its NumPy reference, and the IMM mixing kernels.

The NumPy path (``Ballistic.predict_numpy``: batched RK4 of the state and the
variational equation, ``Phi P Phi^T + Q``) is an independent evaluation of the
same formulas; the kernel may differ from it by rounding only.
"""

from __future__ import annotations

import numpy as np
import pytest

from skyweave.kinematics.earth import Ground
from skyweave.tracking.motion import Ballistic, ConstantVelocity, Imm, white_accel_q
from skyweave.tracking.tracker import Tracker, TrackerConfig, _combine


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
    x, p = _combine(got[0], got[1], got[2])
    _close(x, ref[3])
    _close(p, ref[4])


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
    from skyweave.tracking.tracker import _imm_update_numpy

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
