"""The truth flight's compiled stages and sampling against the NumPy form they replaced, bit
for bit."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from numpy_order import assert_bits
from skyweave.constants import J2_EARTH, MU_EARTH_M3_S2, WGS84_A_M
from skyweave.kinematics import ballistic
from skyweave.kinematics.ballistic import (
    BallisticOptions,
    FloatArray,
    _Flight,
    _History,
    _impact,
    _Physics,
    air_density_kg_m3,
    propagate_ballistic,
)
from test_kinematics_ballistic import random_batch

# --------------------------------------------------------------- the NumPy form (reference)


def _accel(r, v, phys, hib):
    x, y, z = r[0], r[1], r[2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    a = (-MU_EARTH_M3_S2 / (r2 * rn)) * r
    if phys.j2:
        zr2 = 5.0 * z * z / r2
        k = -1.5 * J2_EARTH * MU_EARTH_M3_S2 * WGS84_A_M**2 / (r2 * r2 * rn)
        a[0] += k * x * (1.0 - zr2)
        a[1] += k * y * (1.0 - zr2)
        a[2] += k * z * (3.0 - zr2)
    alt = phys.ground.altitude_m(x, y, z)
    if phys.drag:
        w = np.stack([v[0] + phys.omega * y, v[1] - phys.omega * x, v[2]])
        speed = np.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
        a += (-air_density_kg_m3(alt) * speed * hib)[None, :] * w
    return a, alt


def _step_size(r, v, alt, dt_vac, phys, hib, opts):
    if not phys.drag:
        return dt_vac
    vx = v[0] + phys.omega * r[1]
    vy = v[1] - phys.omega * r[0]
    speed = np.maximum(np.sqrt(vx * vx + vy * vy + v[2] * v[2]), 1.0)
    rho = air_density_kg_m3(alt)
    eps = rho * 7_200.0 * hib
    tau_h = 7_200.0 / speed / np.sqrt(np.clip(eps / 0.01, 0.01, 1.0))
    tau_d = 1.0 / np.maximum(2.0 * rho * speed * hib, 1e-12)
    dt = np.clip(opts.atmosphere_step_fraction * np.minimum(tau_h, tau_d), opts.min_step_s, dt_vac)
    return np.where(alt < 120_000.0, dt, dt_vac)


def _fly_numpy(r0, v0, dt_vac, phys: _Physics, opts: BallisticOptions) -> _Flight:
    n = r0.shape[1]
    out_r, out_v, out_t = np.full((3, n), np.nan), np.full((3, n), np.nan), np.full(n, np.nan)
    apogee = np.full(n, -np.inf)
    cols, r, v, t = np.arange(n), r0.copy(), v0.copy(), np.zeros(n)
    hib, dtv = phys.half_inv_beta, dt_vac
    a, alt = _accel(r, v, phys, hib)
    rva = np.concatenate((r, v, a))
    apogee[:] = alt
    rate = phys.ground.altitude_rate_mps(r, v)
    hist = _History([cols], [t], [rva.copy()])
    crossings = []
    while cols.size:
        dt = _step_size(r, v, alt, dtv, phys, hib, opts)
        half = 0.5 * dt
        v2 = v + half * a
        a2, _ = _accel(r + half * v, v2, phys, hib)
        v3 = v + half * a2
        a3, _ = _accel(r + half * v2, v3, phys, hib)
        v4 = v + dt * a3
        a4, _ = _accel(r + dt * v3, v4, phys, hib)
        sixth = dt / 6.0
        r_new = r + sixth * (v + 2.0 * (v2 + v3) + v4)
        v_new = v + sixth * (a + 2.0 * (a2 + a3) + a4)
        t_new = t + dt
        a_new, alt_new = _accel(r_new, v_new, phys, hib)
        rva_new = np.concatenate((r_new, v_new, a_new))
        apogee[cols] = np.maximum(apogee[cols], alt_new)
        rate_new = phys.ground.altitude_rate_mps(r_new, v_new)
        turn = (rate > 0.0) & (rate_new <= 0.0)
        if np.any(turn):
            i = np.nonzero(turn)[0]
            s = np.linspace(0.0, 1.0, 33)[:, None]
            h = ballistic._hermite(alt[i], rate[i], alt_new[i], rate_new[i], dt[i], s)
            apogee[cols[i]] = np.maximum(apogee[cols[i]], h.max(axis=0))
        hist.cols.append(cols)
        hist.t.append(t_new)
        hist.rva.append(rva_new)
        landed = alt_new < 0.0
        done = landed | (t_new > opts.max_flight_time_s)
        if np.any(landed):
            i = np.nonzero(landed)[0]
            crossings.append((cols[i], t[i], dt[i], alt[i], alt_new[i], rva[:, i], rva_new[:, i]))
        keep = ~done
        cols, r, v, a = cols[keep], r_new[:, keep], v_new[:, keep], a_new[:, keep]
        alt, t, rva, rate = alt_new[keep], t_new[keep], rva_new[:, keep], rate_new[keep]
        hib, dtv = hib[keep], dtv[keep]
    if crossings:
        parts = [np.concatenate(p, axis=-1) for p in zip(*crossings, strict=True)]
        c_cols, c_t, c_dt, c_alt0, c_alt1, c_rva0, c_rva1 = parts
        _impact(c_rva0, c_rva1, c_t, c_dt, c_alt0, c_alt1, phys,
                out_r=out_r, out_v=out_v, out_t=out_t, out_cols=c_cols)  # fmt: skip
    return _Flight(out_r, out_v, out_t, apogee, hist)


def _sample_numpy(
    states: FloatArray,
    times: FloatArray,
    hist: _History,
    sub: NDArray[np.intp],
    cols: NDArray[np.intp],
    t_burnout: FloatArray,
    t_impact: FloatArray,
    omega: float,
) -> None:
    # the NumPy form of ballistic._sample_free_flight (before its kernel)
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

    j, i = np.nonzero((times[:, None] >= t_burnout) & (times[:, None] <= t_end))
    if j.size == 0:
        return
    tau = times[j] - t_burnout[i]
    # one searchsorted over all threats: offset each threat's step times
    span = float(np.max(t_last)) + 1.0
    offset = np.arange(m) * 2.0 * span
    keys = np.where(np.isfinite(t_h), t_h, span).T + offset[:, None]
    k0 = np.searchsorted(keys.ravel(), tau + offset[i], side="right") - 1 - i * k_steps
    k0 = np.clip(k0, 0, np.maximum(n_valid[i] - 2, 0))
    k1 = np.minimum(k0 + 1, n_valid[i] - 1)
    flat_t = t_h.ravel()
    flat_rva = rva_h.reshape(-1, 9)
    i0 = k0 * m + i
    i1 = k1 * m + i
    t0 = flat_t[i0]
    h = flat_t[i1] - t0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(h > 0.0, (tau - t0) / h, 0.0)
    y0 = flat_rva[i0]
    y1 = flat_rva[i1]
    # positions from (r, v) and velocities from (v, a) in one (P, 6) Hermite
    s = s[:, None]
    hh = h[:, None]
    s2 = s * s
    s3 = s2 * s
    out = (
        (2 * s3 - 3 * s2 + 1) * y0[:, 0:6]
        + ((s3 - 2 * s2 + s) * hh) * y0[:, 3:9]
        + (-2 * s3 + 3 * s2) * y1[:, 0:6]
        + ((s3 - s2) * hh) * y1[:, 3:9]
    )
    # inertial -> ECEF at each sample time (see earth.inertial_to_ecef)
    ang = -omega * times[j]
    c, sn = np.cos(ang), np.sin(ang)
    x, y = c * out[:, 0] - sn * out[:, 1], sn * out[:, 0] + c * out[:, 1]
    vx, vy = c * out[:, 3] - sn * out[:, 4], sn * out[:, 3] + c * out[:, 4]
    out[:, 0], out[:, 1] = x, y
    out[:, 3], out[:, 4] = vx + omega * y, vy - omega * x
    states[j, cols[i]] = out


# --------------------------------------------------------------- tests


@pytest.mark.parametrize(
    "options",
    [
        BallisticOptions(),
        BallisticOptions(j2=True),
        BallisticOptions(drag=False, rotation=False),
        BallisticOptions(spherical_radius_m=6_371_000.0, j2=True),
        BallisticOptions(targeting=False, max_flight_time_s=300.0),
    ],
)
@pytest.mark.parametrize("n", [1, 7])
def test_compiled_flight_is_the_numpy_flight_bit_for_bit(
    options: BallisticOptions, n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = random_batch(n, seed=20 + n)
    times = np.arange(0.0, 3000.0, 0.5)
    compiled = propagate_ballistic(batch, times, options)
    monkeypatch.setattr(ballistic, "_fly", _fly_numpy)
    monkeypatch.setattr(ballistic, "_sample_free_flight", _sample_numpy)
    reference = propagate_ballistic(batch, times, options)
    for name in reference.__dataclass_fields__:
        got, want = getattr(compiled, name), getattr(reference, name)
        assert_bits(got, want, name)
