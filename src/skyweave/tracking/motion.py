"""Motion models for the tracker, vectorised over tracks.

State order is ``(x, y, z, vx, vy, vz)`` in the tracker frame (metres, m/s).
Every model exposes ``predict(x, P, dt_s) -> (x, P)`` on arrays with any
leading shape ``(..., 6)`` and ``(..., 6, 6)``; all tracks share one ``dt_s``
(the tracker keeps one clock), which keeps the prediction loop-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import G0_MPS2, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S

FloatArray = NDArray[np.float64]


class MotionModel(Protocol):
    """What the tracker needs from a motion model."""

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate means ``(..., 6)`` and covariances ``(..., 6, 6)`` by ``dt_s``."""
        ...


def white_accel_q(q_m2_s3: float, dt_s: float) -> FloatArray:
    """Discretised continuous white-acceleration process noise (6x6).

    ``q_m2_s3`` is the power spectral density of the acceleration noise per
    axis: ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]`` (Bar-Shalom, Li &
    Kirubarajan 2001, §6.2.2).
    """
    i3 = np.eye(3)
    return q_m2_s3 * np.block(
        [[dt_s**3 / 3.0 * i3, dt_s**2 / 2.0 * i3], [dt_s**2 / 2.0 * i3, dt_s * i3]]
    )


@dataclass(frozen=True)
class ConstantVelocity:
    """Nearly-constant velocity with white-acceleration noise of PSD ``q_m2_s3``."""

    q_m2_s3: float = 1.0

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate by ``dt_s`` (see :class:`MotionModel`)."""
        if dt_s == 0.0:
            return x, p
        xn = x.copy()
        xn[..., :3] += dt_s * x[..., 3:]
        # F P F^T with F = [[I, dt I], [0, I]] written blockwise: cheaper than a
        # batched 6x6 matmul and exact.
        a = p[..., :3, :3]
        b = p[..., :3, 3:]
        c = p[..., 3:, 3:]
        bt = np.swapaxes(b, -1, -2)
        pn = np.empty_like(p)
        pn[..., :3, :3] = a + dt_s * (b + bt) + (dt_s * dt_s) * c
        pn[..., :3, 3:] = b + dt_s * c
        pn[..., 3:, :3] = bt + dt_s * c
        pn[..., 3:, 3:] = c
        pn += white_accel_q(self.q_m2_s3, dt_s)
        return xn, pn


@dataclass(frozen=True)
class Ballistic:
    """Free flight under gravity, integrated with RK4 sub-steps.

    Parameters
    ----------
    q_m2_s3 : float
        White-acceleration PSD for unmodelled forces (drag, thrust tail-off).
    frame : {"ecef", "inertial", "flat"}
        ``"ecef"``: central gravity plus Coriolis and centrifugal terms of
        Earth's rotation about ECEF z. ``"inertial"``: central gravity only.
        ``"flat"``: uniform gravity ``-G0`` along the frame's z axis.
    max_step_s : float
        Largest RK4 sub-step; the mean and the state-transition matrix (the
        variational equation ``dPhi/dt = A(x) Phi``) are integrated together.
    """

    q_m2_s3: float = 0.1
    frame: Literal["ecef", "inertial", "flat"] = "ecef"
    max_step_s: float = 5.0
    _omega: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        if self.frame not in ("ecef", "inertial", "flat"):
            raise ValueError(f"unknown frame {self.frame!r}")
        object.__setattr__(self, "_omega", OMEGA_EARTH_RAD_S if self.frame == "ecef" else 0.0)

    def accel(self, r: FloatArray, v: FloatArray) -> FloatArray:
        """Acceleration ``(..., 3)`` at positions ``r`` and velocities ``v``."""
        if self.frame == "flat":
            a = np.zeros_like(r)
            a[..., 2] = -G0_MPS2
            return a
        rn2 = np.einsum("...i,...i->...", r, r)
        a = r * (-MU_EARTH_M3_S2 / (rn2 * np.sqrt(rn2)))[..., None]
        w = self._omega
        if w != 0.0:
            # -2 w x v - w x (w x r) with w = (0, 0, omega).
            a[..., 0] += 2.0 * w * v[..., 1] + w * w * r[..., 0]
            a[..., 1] += -2.0 * w * v[..., 0] + w * w * r[..., 1]
        return a

    def _jacobian(self, r: FloatArray) -> FloatArray:
        """``A = d f / d x`` (..., 6, 6) of the continuous dynamics."""
        a = np.zeros((*r.shape[:-1], 6, 6))
        a[..., 0, 3] = a[..., 1, 4] = a[..., 2, 5] = 1.0
        if self.frame == "flat":
            return a
        rn2 = np.einsum("...i,...i->...", r, r)
        rn = np.sqrt(rn2)
        k = MU_EARTH_M3_S2 / (rn2 * rn)
        # Gravity gradient: -mu/r^3 (I - 3 r r^T / r^2).
        grad = (3.0 * k / rn2)[..., None, None] * (r[..., :, None] * r[..., None, :])
        grad[..., 0, 0] -= k
        grad[..., 1, 1] -= k
        grad[..., 2, 2] -= k
        w = self._omega
        if w != 0.0:
            grad[..., 0, 0] += w * w
            grad[..., 1, 1] += w * w
            a[..., 3, 4] = 2.0 * w
            a[..., 4, 3] = -2.0 * w
        a[..., 3:, :3] = grad
        return a

    def _deriv(self, x: FloatArray, phi: FloatArray) -> tuple[FloatArray, FloatArray]:
        dx = np.empty_like(x)
        dx[..., :3] = x[..., 3:]
        dx[..., 3:] = self.accel(x[..., :3], x[..., 3:])
        return dx, self._jacobian(x[..., :3]) @ phi

    def propagate(self, x: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate means by ``dt_s``; return ``(x, Phi)`` with the transition matrix."""
        n_sub = max(1, math.ceil(abs(dt_s) / self.max_step_s))
        h = dt_s / n_sub
        phi = np.broadcast_to(np.eye(6), (*x.shape[:-1], 6, 6)).copy()
        for _ in range(n_sub):  # loop over time sub-steps, not over tracks
            k1x, k1p = self._deriv(x, phi)
            k2x, k2p = self._deriv(x + 0.5 * h * k1x, phi + 0.5 * h * k1p)
            k3x, k3p = self._deriv(x + 0.5 * h * k2x, phi + 0.5 * h * k2p)
            k4x, k4p = self._deriv(x + h * k3x, phi + h * k3p)
            x = x + (h / 6.0) * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
            phi = phi + (h / 6.0) * (k1p + 2.0 * k2p + 2.0 * k3p + k4p)
        return x, phi

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate by ``dt_s`` (see :class:`MotionModel`)."""
        if dt_s == 0.0:
            return x, p
        xn, phi = self.propagate(x, dt_s)
        pn = phi @ p @ np.swapaxes(phi, -1, -2) + white_accel_q(self.q_m2_s3, abs(dt_s))
        return xn, pn


@dataclass(frozen=True)
class Imm:
    """Interacting multiple model over constant-velocity models.

    The default pairs a quiet model with a high-noise manoeuvre model, for
    air-breathing targets that fly straight legs between turns.

    Parameters
    ----------
    q_m2_s3 : tuple of float
        White-acceleration PSD of each constant-velocity mode.
    models : tuple of models, optional
        The modes themselves instead (e.g. a ballistic and a constant-velocity
        mode, for a picture that holds missiles in free flight and air-breathing
        threats); ``q_m2_s3`` is then ignored.
    switch_rate_per_s : tuple of float
        Rate of leaving each mode; over ``dt`` the probability of switching
        from mode ``i`` to the others is ``1 - exp(-rate_i dt)``, shared
        equally among them.
    initial_probabilities : tuple of float
        Mode probabilities of a new track.
    """

    q_m2_s3: tuple[float, ...] = (0.5, 400.0)
    switch_rate_per_s: tuple[float, ...] = (0.05, 0.1)
    initial_probabilities: tuple[float, ...] = (0.5, 0.5)
    models: tuple[ConstantVelocity | Ballistic, ...] | None = None

    def __post_init__(self) -> None:
        n = self.n_modes
        if self.models is None and len(self.q_m2_s3) != n:
            raise ValueError("Imm needs one q_m2_s3 per mode")
        if n < 2 or len(self.switch_rate_per_s) != n or len(self.initial_probabilities) != n:
            raise ValueError("Imm needs >= 2 modes and one rate and probability per mode")

    @property
    def n_modes(self) -> int:
        """Number of modes."""
        return len(self.models) if self.models is not None else len(self.q_m2_s3)

    def transition_matrix(self, dt_s: float) -> FloatArray:
        """Mode transition probabilities ``pi[i, j] = P(mode j at k+1 | mode i at k)``."""
        n = self.n_modes
        leave = 1.0 - np.exp(-np.asarray(self.switch_rate_per_s) * dt_s)
        pi = np.repeat((leave / (n - 1))[:, None], n, axis=1)
        np.fill_diagonal(pi, 1.0 - leave)
        return pi

    def mode_models(self) -> tuple[ConstantVelocity | Ballistic, ...]:
        """One model per mode: ``models`` when given, else constant velocity per ``q_m2_s3``."""
        if self.models is not None:
            return self.models
        return tuple(ConstantVelocity(q) for q in self.q_m2_s3)
