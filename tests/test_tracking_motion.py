"""Tracker motion models against independent numerical integration."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from skyweave.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from skyweave.tracking import Ballistic, ConstantVelocity

# A free-flight arc: 120 km above the equator-ish, climbing and heading east.
X0 = np.array([6_400_000.0, 300_000.0, 900_000.0, 1_200.0, 3_500.0, 2_200.0])


def _ecef_rhs(_t: float, y: np.ndarray) -> np.ndarray:
    """Two-body gravity in the rotating ECEF frame, written out independently."""
    r, v = y[:3], y[3:]
    w = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])
    a = (
        -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3
        - 2.0 * np.cross(w, v)
        - np.cross(w, np.cross(w, r))
    )
    return np.concatenate([v, a])


def _flow(x0: np.ndarray, t: float) -> np.ndarray:
    sol = solve_ivp(_ecef_rhs, (0.0, t), x0, method="DOP853", rtol=1e-12, atol=1e-6)
    return np.asarray(sol.y[:, -1])


def test_ballistic_reproduces_integrated_free_flight_arc() -> None:
    model = Ballistic(frame="ecef", max_step_s=5.0)
    x = X0[None].copy()
    p = np.eye(6)[None]
    t_ref = np.arange(20.0, 420.0, 20.0)
    sol = solve_ivp(
        _ecef_rhs, (0.0, t_ref[-1]), X0, method="DOP853", rtol=1e-12, atol=1e-6, t_eval=t_ref
    )
    for k in range(len(t_ref)):
        x, p = model.predict(x, p, 20.0)  # tracker-style steps: one scan interval at a time
        np.testing.assert_allclose(x[0, :3], sol.y[:3, k], rtol=0, atol=0.05)
        np.testing.assert_allclose(x[0, 3:], sol.y[3:, k], rtol=0, atol=1e-4)
    # The arc is a real ballistic arc: it fell well away from a straight line.
    straight = X0[:3] + t_ref[-1] * X0[3:]
    assert np.linalg.norm(x[0, :3] - straight) > 500_000.0


def test_ballistic_transition_matrix_matches_finite_differences() -> None:
    """Phi from the variational equation equals central differences of the true flow."""
    dt = 60.0
    _, phi = Ballistic(frame="ecef").propagate(X0[None], dt)
    steps = np.array([10.0, 10.0, 10.0, 0.01, 0.01, 0.01])
    fd = np.empty((6, 6))
    for i in range(6):
        dx = np.zeros(6)
        dx[i] = steps[i]
        fd[:, i] = (_flow(X0 + dx, dt) - _flow(X0 - dx, dt)) / (2.0 * steps[i])
    np.testing.assert_allclose(phi[0], fd, rtol=1e-5, atol=1e-6)


def test_ballistic_is_vectorised_and_flat_frame_is_a_parabola() -> None:
    model = Ballistic(frame="flat")
    x0 = np.array([[0.0, 0.0, 0.0, 100.0, 0.0, 300.0], [1.0, 2.0, 3.0, 0.0, -50.0, 10.0]])
    x, _ = model.predict(x0, np.repeat(np.eye(6)[None], 2, axis=0), 30.0)
    g = 9.80665
    expect = x0[:, :3] + 30.0 * x0[:, 3:] - 0.5 * g * 30.0**2 * np.array([0.0, 0.0, 1.0])
    np.testing.assert_allclose(x[:, :3], expect, rtol=1e-12, atol=1e-9)
    # Batched ECEF prediction equals one-by-one prediction.
    eco = Ballistic(frame="ecef")
    xb = np.stack([X0, X0 + [1e5, -2e5, 3e4, 10.0, -20.0, 5.0]])
    pb = np.repeat(np.eye(6)[None], 2, axis=0)
    xa, pa = eco.predict(xb, pb, 45.0)
    for i in range(2):
        xi, pi = eco.predict(xb[i : i + 1], pb[i : i + 1], 45.0)
        np.testing.assert_array_equal(xa[i], xi[0])
        np.testing.assert_array_equal(pa[i], pi[0])


def test_constant_velocity_covariance_matches_matrix_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 6, 6))
    p = a @ np.swapaxes(a, 1, 2)
    x = rng.normal(size=(4, 6))
    dt, q = 2.5, 3.0
    f = np.eye(6)
    f[:3, 3:] = dt * np.eye(3)
    qm = np.zeros((6, 6))
    for i in range(3):
        qm[i, i], qm[i, i + 3], qm[i + 3, i], qm[i + 3, i + 3] = dt**3 / 3, dt**2 / 2, dt**2 / 2, dt
    xn, pn = ConstantVelocity(q).predict(x, p, dt)
    np.testing.assert_allclose(xn, x @ f.T)
    np.testing.assert_allclose(pn, f @ p @ f.T + q * qm, rtol=1e-12, atol=1e-12)
