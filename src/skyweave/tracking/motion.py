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
from skyweave.kinematics.ballistic import SCALE_HEIGHT_M, air_density_kg_m3
from skyweave.kinematics.earth import Ground
from skyweave.tracking import motion_kernel

FloatArray = NDArray[np.float64]

_GROUND = Ground()

#: position and velocity indices of one axis each: the diagonals of the 3 x 3 blocks
_POS = np.arange(3)
_VEL = _POS + 3


class MotionModel(Protocol):
    """What the tracker needs from a motion model."""

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate means ``(..., 6)`` and covariances ``(..., 6, 6)`` by ``dt_s``."""
        ...


def white_accel_q(q_m2_s3: float | FloatArray, dt_s: float) -> FloatArray:
    """Discretised continuous white-acceleration process noise (6x6, or (..., 6, 6)).

    ``q_m2_s3`` is the power spectral density of the acceleration noise per
    axis: ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]`` (Bar-Shalom, Li &
    Kirubarajan 2001, §6.2.2); an array of PSDs gives one ``Q`` per element.
    """
    # the same entries np.block gave, without its per-call assembly
    block = np.zeros((6, 6))
    block[_POS, _POS] = dt_s**3 / 3.0
    block[_POS, _VEL] = block[_VEL, _POS] = dt_s**2 / 2.0
    block[_VEL, _VEL] = dt_s
    if np.ndim(q_m2_s3) == 0:
        return float(q_m2_s3) * block
    return np.asarray(q_m2_s3, dtype=np.float64)[..., None, None] * block


@dataclass(frozen=True)
class ConstantVelocity:
    """Nearly-constant velocity with white-acceleration noise of PSD ``q_m2_s3``."""

    q_m2_s3: float = 1.0

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate by ``dt_s`` (see :class:`MotionModel`); compiled
        (:func:`skyweave.tracking.motion_kernel.cv_predict`), :meth:`predict_numpy`
        is the reference."""
        if dt_s == 0.0:
            return x, p
        lead = x.shape[:-1]
        xn, pn = motion_kernel.cv_predict(
            np.ascontiguousarray(x, dtype=np.float64).reshape(-1, 6),
            np.ascontiguousarray(p, dtype=np.float64).reshape(-1, 6, 6),
            float(dt_s),
            float(self.q_m2_s3),
        )
        return xn.reshape(*lead, 6), pn.reshape(*lead, 6, 6)

    def predict_numpy(
        self, x: FloatArray, p: FloatArray, dt_s: float
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`predict` in NumPy over the batch: the reference of the compiled kernel."""
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


#: indices of a 3 x 3 block's diagonal
_DIAG = np.arange(3)


@dataclass(frozen=True)
class _Terms:
    """Terms of one state batch shared by the ballistic acceleration and its Jacobian:
    ``|r|^2`` and ``|r|`` (None in the flat frame), speed and air density (None in
    vacuum)."""

    rn2: FloatArray | None
    rn: FloatArray | None
    speed: FloatArray | None
    rho: FloatArray | None


@dataclass(frozen=True)
class Ballistic:
    """Free flight under gravity (and optionally re-entry drag), integrated with RK4 sub-steps.

    Parameters
    ----------
    q_m2_s3 : float
        White-acceleration PSD of the forces the model leaves out everywhere
        (J2, thrust tail-off; and drag when ``ballistic_coefficient_kg_m2`` is None).
    frame : {"ecef", "inertial", "flat"}
        ``"ecef"``: central gravity plus Coriolis and centrifugal terms of
        Earth's rotation about ECEF z. ``"inertial"``: central gravity only.
        ``"flat"``: uniform gravity ``-G0`` along the frame's z axis.
    max_step_s : float
        Largest RK4 sub-step; the mean and the state-transition matrix (the
        variational equation ``dPhi/dt = A(x) Phi``) are integrated together.
        In the atmosphere the sub-step is also kept under a fifth of the time
        drag or the density (scale height over vertical speed) takes to change
        by a factor e (not under ``min_step_s``).
    ballistic_coefficient_kg_m2 : float or None
        ``beta = m / (Cd A)`` of the modelled drag ``-rho(h) |v| v / (2 beta)``
        on the velocity relative to the air, in the truth model's exponential
        atmosphere (:func:`skyweave.kinematics.ballistic.air_density_kg_m3`,
        height :meth:`skyweave.kinematics.earth.Ground.altitude_m`; in the
        ``"flat"`` frame the height is z). None: vacuum. Not for ``"inertial"``.
    drag_sigma_fraction : float
        Relative one-sigma error of the modelled drag (the threat's true
        ``beta`` is not known). It adds a state-dependent PSD
        ``(drag_sigma_fraction |a_drag|)^2 drag_correlation_s``: the velocity
        variance a drag error held for ``drag_correlation_s`` would build, so
        the filter opens up where drag matters and nowhere else.
    drag_correlation_s : float
        Time over which the drag error is taken as constant (see above).
    min_step_s : float
        Smallest sub-step the atmosphere rule may ask for.
    """

    q_m2_s3: float = 0.1
    frame: Literal["ecef", "inertial", "flat"] = "ecef"
    max_step_s: float = 5.0
    ballistic_coefficient_kg_m2: float | None = None
    drag_sigma_fraction: float = 0.0
    drag_correlation_s: float = 10.0
    min_step_s: float = 0.25
    _omega: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        if self.frame not in ("ecef", "inertial", "flat"):
            raise ValueError(f"unknown frame {self.frame!r}")
        beta = self.ballistic_coefficient_kg_m2
        if beta is not None:
            if not beta > 0.0:
                raise ValueError(f"ballistic_coefficient_kg_m2: expected > 0, got {beta}")
            if self.frame == "inertial":
                raise ValueError("drag needs the air's velocity: use frame 'ecef' or 'flat'")
        if not self.drag_sigma_fraction >= 0.0 or not self.drag_correlation_s > 0.0:
            raise ValueError("need drag_sigma_fraction >= 0 and drag_correlation_s > 0")
        object.__setattr__(self, "_omega", OMEGA_EARTH_RAD_S if self.frame == "ecef" else 0.0)

    @property
    def _half_inv_beta(self) -> float:
        beta = self.ballistic_coefficient_kg_m2
        return 0.0 if beta is None else 0.5 / beta

    def height_m(self, r: FloatArray) -> FloatArray:
        """Height (...,) above the ground of positions ``r`` (..., 3) in the model frame."""
        if self.frame == "flat":
            return np.asarray(r[..., 2], dtype=np.float64)
        return _GROUND.altitude_m(r[..., 0], r[..., 1], r[..., 2])

    def drag_mps2(self, r: FloatArray, v: FloatArray) -> FloatArray:
        """Modelled drag acceleration (..., 3); zeros in vacuum.

        In the ``"ecef"`` and ``"flat"`` frames the air is at rest, so the
        frame velocity is the velocity relative to the air.
        """
        k = self._half_inv_beta
        if k == 0.0:
            return np.zeros_like(v)
        speed = np.sqrt(np.einsum("...i,...i->...", v, v))
        return v * (-k * air_density_kg_m3(self.height_m(r)) * speed)[..., None]

    def _shared(self, r: FloatArray, v: FloatArray) -> _Terms:
        """The terms the acceleration and its Jacobian both use, computed once."""
        rn2 = rn = None
        if self.frame != "flat":
            rn2 = np.einsum("...i,...i->...", r, r)
            rn = np.sqrt(rn2)
        speed = rho = None
        if self._half_inv_beta:
            speed = np.sqrt(np.einsum("...i,...i->...", v, v))
            rho = air_density_kg_m3(self.height_m(r))
        return _Terms(rn2, rn, speed, rho)

    def accel(self, r: FloatArray, v: FloatArray) -> FloatArray:
        """Acceleration ``(..., 3)`` at positions ``r`` and velocities ``v``."""
        return self._accel(r, v, self._shared(r, v))

    def _accel(self, r: FloatArray, v: FloatArray, terms: _Terms) -> FloatArray:
        hib = self._half_inv_beta
        if self.frame == "flat":
            a = np.zeros_like(r)
            a[..., 2] = -G0_MPS2
            return a + self._drag(v, terms) if hib else a
        assert terms.rn2 is not None and terms.rn is not None
        a = r * (-MU_EARTH_M3_S2 / (terms.rn2 * terms.rn))[..., None]
        w = self._omega
        if w != 0.0:
            # -2 w x v - w x (w x r) with w = (0, 0, omega).
            a[..., 0] += 2.0 * w * v[..., 1] + w * w * r[..., 0]
            a[..., 1] += -2.0 * w * v[..., 0] + w * w * r[..., 1]
        if hib:
            a += self._drag(v, terms)
        return a

    def _drag(self, v: FloatArray, terms: _Terms) -> FloatArray:
        """:meth:`drag_mps2` from the shared terms (the same operations, in order)."""
        assert terms.rho is not None and terms.speed is not None
        return v * (-self._half_inv_beta * terms.rho * terms.speed)[..., None]

    def _jacobian(self, r: FloatArray, v: FloatArray) -> FloatArray:
        """``A = d f / d x`` (..., 6, 6) of the continuous dynamics."""
        return self._jacobian_of(r, v, self._shared(r, v))

    def _jacobian_of(self, r: FloatArray, v: FloatArray, terms: _Terms) -> FloatArray:
        a = np.zeros((*r.shape[:-1], 6, 6))
        a[..., 0, 3] = a[..., 1, 4] = a[..., 2, 5] = 1.0
        if self.frame != "flat":
            assert terms.rn2 is not None and terms.rn is not None
            rn2, rn = terms.rn2, terms.rn
            k = MU_EARTH_M3_S2 / (rn2 * rn)
            # Gravity gradient: -mu/r^3 (I - 3 r r^T / r^2).
            grad = (3.0 * k / rn2)[..., None, None] * (r[..., :, None] * r[..., None, :])
            grad[..., _DIAG, _DIAG] -= k[..., None]  # the same subtraction per element
            w = self._omega
            if w != 0.0:
                grad[..., _DIAG[:2], _DIAG[:2]] += w * w
                a[..., 3, 4] = 2.0 * w
                a[..., 4, 3] = -2.0 * w
            a[..., 3:, :3] = grad
        hib = self._half_inv_beta
        if hib:
            # a_d = -c rho(h) |v| v with c = 1 / (2 beta):
            # d a_d / d v = -c rho (|v| I + v v^T / |v|);
            # d a_d / d r = (c rho / H) |v| v (dh/dr)^T, dh/dr the local up
            # (radial; z in the flat frame): the height's gradient to 0.3 %.
            assert terms.rho is not None and terms.speed is not None
            speed = np.maximum(terms.speed, 1e-9)
            cv = -hib * terms.rho
            dv = (cv / speed)[..., None, None] * (v[..., :, None] * v[..., None, :])
            dv[..., _DIAG, _DIAG] += (cv * speed)[..., None]
            a[..., 3:, 3:] += dv
            if self.frame == "flat":
                up = np.zeros_like(r)
                up[..., 2] = 1.0
            else:
                up = r / terms.rn[..., None]  # type: ignore[index]
            a[..., 3:, :3] += (-cv * speed / SCALE_HEIGHT_M)[..., None, None] * (
                v[..., :, None] * up[..., None, :]
            )
        return a

    def _deriv(self, x: FloatArray, phi: FloatArray) -> tuple[FloatArray, FloatArray]:
        r, v = x[..., :3], x[..., 3:]
        terms = self._shared(r, v)  # once for the acceleration and its Jacobian
        dx = np.empty_like(x)
        dx[..., :3] = v
        dx[..., 3:] = self._accel(r, v, terms)
        return dx, self._jacobian_of(r, v, terms) @ phi

    def _max_step_s(self, x: FloatArray) -> float:
        """Sub-step for the batch: the atmosphere rule of ``max_step_s`` on the worst track."""
        hib = self._half_inv_beta
        if not hib or x.size == 0:
            return self.max_step_s
        r, v = x[..., :3], x[..., 3:]
        speed = np.sqrt(np.einsum("...i,...i->...", v, v))
        rho = air_density_kg_m3(self.height_m(r))
        tau_drag = 1.0 / np.maximum(2.0 * hib * rho * speed, 1e-12)
        if self.frame == "flat":
            v_up = np.abs(v[..., 2])
        else:
            v_up = np.abs(np.einsum("...i,...i->...", r, v)) / np.sqrt(
                np.einsum("...i,...i->...", r, r)
            )
        # the density scale matters only where drag is felt (tau_drag short)
        tau_rho = np.where(tau_drag < 1e3, SCALE_HEIGHT_M / np.maximum(v_up, 1e-9), np.inf)
        tau_all = np.minimum(tau_drag, tau_rho)
        tau_all = tau_all[np.isfinite(tau_all)]
        if tau_all.size == 0:
            return self.max_step_s
        tau = float(tau_all.min())
        return float(np.clip(0.2 * tau, self.min_step_s, self.max_step_s))

    def propagate(self, x: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate means by ``dt_s``; return ``(x, Phi)`` with the transition matrix."""
        n_sub = max(1, math.ceil(abs(dt_s) / self._max_step_s(x)))
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

    def process_psd(self, x0: FloatArray, x1: FloatArray) -> float | FloatArray:
        """White-acceleration PSD over a step from ``x0`` to ``x1`` (scalar or (...,)).

        ``q_m2_s3`` plus the drag-error term (see the class docstring), taken
        at the end of the step with the larger drag (drag grows fast on the
        way down, and the step's error is mostly built where drag is largest).
        """
        if not (self._half_inv_beta and self.drag_sigma_fraction):
            return self.q_m2_s3
        d0 = np.linalg.norm(self.drag_mps2(x0[..., :3], x0[..., 3:]), axis=-1)
        d1 = np.linalg.norm(self.drag_mps2(x1[..., :3], x1[..., 3:]), axis=-1)
        a_err = self.drag_sigma_fraction * np.maximum(d0, d1)
        return self.q_m2_s3 + a_err * a_err * self.drag_correlation_s

    def predict(self, x: FloatArray, p: FloatArray, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """Propagate by ``dt_s`` (see :class:`MotionModel`).

        Compiled (:func:`skyweave.tracking.motion_kernel.ballistic_predict_stepped`): the
        same model, sub-step rule and formulas as :meth:`predict_numpy`, which
        stays as the reference it is tested against.
        """
        if dt_s == 0.0:
            return x, p
        lead = x.shape[:-1]
        xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, 6)
        pf = np.ascontiguousarray(p, dtype=np.float64).reshape(-1, 6, 6)
        xn, pn = motion_kernel.ballistic_predict_stepped(
            xf,
            pf,
            float(dt_s),
            self._half_inv_beta,
            self._omega,
            self.frame == "flat",
            float(self.q_m2_s3),
            float(self.drag_sigma_fraction),
            float(self.drag_correlation_s),
            float(self.min_step_s),
            float(self.max_step_s),
        )
        return xn.reshape(*lead, 6), pn.reshape(*lead, 6, 6)

    def predict_numpy(
        self, x: FloatArray, p: FloatArray, dt_s: float
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`predict` in NumPy over the batch: the reference of the compiled kernel."""
        if dt_s == 0.0:
            return x, p
        xn, phi = self.propagate(x, dt_s)
        q = self.process_psd(x, xn)
        pn = phi @ p @ np.swapaxes(phi, -1, -2) + white_accel_q(q, abs(dt_s))
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
    rates_per_s : tuple of tuples of float, optional
        Instead, the rate ``rates_per_s[i][j]`` of switching from mode ``i`` to
        mode ``j`` (the diagonal is ignored): mode ``i`` is left at the row's
        sum and the probability is shared in proportion to the rates. A zero
        rate makes a switch impossible (a missile whose motor has burnt out
        does not go back to boost), so the mixture keeps no weight on it.
    initial_probabilities : tuple of float
        Mode probabilities of a new track.
    """

    q_m2_s3: tuple[float, ...] = (0.5, 400.0)
    switch_rate_per_s: tuple[float, ...] = (0.05, 0.1)
    initial_probabilities: tuple[float, ...] = (0.5, 0.5)
    models: tuple[ConstantVelocity | Ballistic, ...] | None = None
    rates_per_s: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        n = self.n_modes
        if self.models is None and len(self.q_m2_s3) != n:
            raise ValueError("Imm needs one q_m2_s3 per mode")
        if self.rates_per_s is None:
            n_rates = len(self.switch_rate_per_s)
        else:
            rates = np.asarray(self.rates_per_s, dtype=np.float64)
            if rates.shape != (n, n) or not np.all(rates >= 0.0):
                raise ValueError("Imm.rates_per_s must be an n x n matrix of rates >= 0")
            n_rates = n
        if n < 2 or n_rates != n or len(self.initial_probabilities) != n:
            raise ValueError("Imm needs >= 2 modes and one rate and probability per mode")

    @property
    def n_modes(self) -> int:
        """Number of modes."""
        return len(self.models) if self.models is not None else len(self.q_m2_s3)

    def transition_matrix(self, dt_s: float) -> FloatArray:
        """Mode transition probabilities ``pi[i, j] = P(mode j at k+1 | mode i at k)``."""
        n = self.n_modes
        if self.rates_per_s is None:
            leave = 1.0 - np.exp(-np.asarray(self.switch_rate_per_s) * dt_s)
            pi = np.repeat((leave / (n - 1))[:, None], n, axis=1)
            np.fill_diagonal(pi, 1.0 - leave)
            return pi
        rates = np.array(self.rates_per_s, dtype=np.float64)
        np.fill_diagonal(rates, 0.0)
        total = rates.sum(axis=1)
        leave = 1.0 - np.exp(-total * dt_s)
        pi = rates * (leave / np.where(total > 0.0, total, 1.0))[:, None]
        np.fill_diagonal(pi, 1.0 - leave)
        return pi

    def mode_models(self) -> tuple[ConstantVelocity | Ballistic, ...]:
        """One model per mode: ``models`` when given, else constant velocity per ``q_m2_s3``."""
        if self.models is not None:
            return self.models
        return tuple(ConstantVelocity(q) for q in self.q_m2_s3)

    def kernel_modes(self) -> tuple[NDArray[np.int64], FloatArray, NDArray[np.bool_]]:
        """The modes as :func:`skyweave.tracking.motion_kernel.imm_predict` takes them:
        each model's kind, its parameters (as its ``predict`` passes them on) and frame."""
        models = self.mode_models()
        kind = np.zeros(len(models), dtype=np.int64)
        params = np.zeros((len(models), 7))
        flat = np.zeros(len(models), dtype=np.bool_)
        for j, m in enumerate(models):
            params[j, 0] = float(m.q_m2_s3)
            if isinstance(m, Ballistic):
                kind[j] = motion_kernel.MODE_BALLISTIC
                params[j, 1:] = (
                    m._half_inv_beta, m._omega, m.min_step_s, m.max_step_s,
                    float(m.drag_sigma_fraction), float(m.drag_correlation_s),
                )  # fmt: skip
                flat[j] = m.frame == "flat"
        return kind, params, flat
