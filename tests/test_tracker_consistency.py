"""Tracker consistency (NEES) on ballistic flight, against an independent truth.

The truth is flown by ``scipy.integrate.solve_ivp`` with dynamics written out
here (central gravity, Earth rotation, the exponential atmosphere's drag),
measured by ``pymap3d.ecef2aer`` plus Gaussian noise of the stated sigmas; a
consistent filter's normalised estimation error squared (NEES) is chi-square
with 6 degrees of freedom, so the Monte Carlo average over N runs lies within
``chi2.ppf([0.025, 0.975], 6 N) / N`` (Bar-Shalom, Li & Kirubarajan 2001, §5.4).
"""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import chi2

from skyweave.tracking import RadarScan, Tracker, TrackerConfig
from skyweave.tracking.motion import Ballistic, Imm
from skyweave.tracking.presets import COAST_Q_M2_S3, threat_tracker_config

MU_M3_S2 = 3.986004418e14  # WGS84 GM
OMEGA_RAD_S = 7.292115e-5  # WGS84 rotation rate
RHO0_KG_M3, SCALE_HEIGHT_M = 1.225, 7_200.0  # the scenario's exponential atmosphere
BETA_KG_M2 = 5_000.0
SITE_LAT_DEG, SITE_LON_DEG = -30.0, 135.0


def _height_m(r: np.ndarray) -> np.ndarray:
    """Radial height above the WGS84 ellipsoid, written out independently."""
    a, b = 6_378_137.0, 6_356_752.314245
    rn = np.linalg.norm(r)
    return rn * (1.0 - 1.0 / np.sqrt((r[0] ** 2 + r[1] ** 2) / a**2 + r[2] ** 2 / b**2))


def _ecef_dynamics(_t: float, x: np.ndarray, drag: bool) -> np.ndarray:
    r, v = x[:3], x[3:]
    acc = -MU_M3_S2 * r / np.linalg.norm(r) ** 3
    w = np.array([0.0, 0.0, OMEGA_RAD_S])
    acc = acc - 2.0 * np.cross(w, v) - np.cross(w, np.cross(w, r))
    if drag:  # the air turns with the Earth: ECEF velocity is the air-relative one
        rho = RHO0_KG_M3 * np.exp(-_height_m(r) / SCALE_HEIGHT_M)
        acc = acc - rho * np.linalg.norm(v) * v / (2.0 * BETA_KG_M2)
    return np.concatenate([v, acc])


def _truth(
    lat_deg: float,
    lon_deg: float,
    alt_m: float,
    v_enu: list[float],
    times_s: np.ndarray,
    drag: bool,
) -> np.ndarray:
    r0 = np.array(pymap3d.geodetic2ecef(lat_deg, lon_deg, alt_m))
    v0 = np.array(pymap3d.enu2uvw(*v_enu, lat_deg, lon_deg))
    sol = solve_ivp(
        _ecef_dynamics,
        (0.0, times_s[-1]),
        np.concatenate([r0, v0]),
        t_eval=times_s,
        args=(drag,),
        rtol=1e-11,
        atol=1e-6,
        method="DOP853",
    )
    return np.asarray(sol.y.T)


def _anees(
    config: TrackerConfig,
    truth: np.ndarray,
    times_s: np.ndarray,
    sigmas: np.ndarray,
    n_runs: int,
    seed: int,
) -> np.ndarray:
    """Monte Carlo average NEES per scan (NaN before confirmation)."""
    site = np.array(pymap3d.geodetic2ecef(SITE_LAT_DEG, SITE_LON_DEG, 0.0))
    rot = np.array([pymap3d.enu2uvw(*e, SITE_LAT_DEG, SITE_LON_DEG) for e in np.eye(3)]).T
    az, el, rng_m = pymap3d.ecef2aer(
        truth[:, 0], truth[:, 1], truth[:, 2], SITE_LAT_DEG, SITE_LON_DEG, 0.0
    )
    z_true = np.column_stack([rng_m, np.radians(az), np.radians(el)])
    nees = np.full((n_runs, len(times_s)), np.nan)
    for run in range(n_runs):
        noise = np.random.default_rng(seed + run).standard_normal(z_true.shape) * sigmas
        tracker = Tracker(config)
        for k, t in enumerate(times_s):
            batch = tracker.process(
                RadarScan(float(t), "r", site, rot, z_true[k : k + 1] + noise[k : k + 1], sigmas)
            )
            if len(batch) == 1:
                e = batch.state[0] - truth[k]
                nees[run, k] = e @ np.linalg.solve(batch.covariance[0], e)
    return nees.mean(axis=0)


def _assert_consistent(anees: np.ndarray, n_runs: int, first: int) -> None:
    lo, hi = chi2.ppf([0.025, 0.975], 6 * n_runs) / n_runs
    tail = anees[first:]
    assert not np.isnan(tail).any()
    inside = (tail > lo) & (tail < hi)
    # 95 % bounds per scan: most scans inside, and the average over scans too
    assert inside.mean() >= 0.8, (lo, hi, np.round(tail, 2))
    assert lo < tail.mean() < hi, (lo, hi, np.round(tail, 2))


@pytest.mark.parametrize("drag", [False, True], ids=["exo-coast", "re-entry"])
def test_ballistic_filter_nees_is_chi_square(drag: bool) -> None:
    """The gravity (and drag) model with no process noise is consistent on its own truth."""
    if drag:  # 120 km down to about 15 km at 30 degrees, 150-250 km from the radar
        times = np.arange(0.0, 64.0, 2.0)
        truth = _truth(-31.0, 136.5, 120e3, [-2000.0, 1500.0, -1500.0], times, drag=True)
        sig = np.array([20.0, 0.5e-3, 0.5e-3])
    else:  # 600 km out and closing, apogee near 190 km
        times = np.arange(0.0, 300.0, 10.0)
        truth = _truth(-34.0, 131.0, 150e3, [1800.0, 1500.0, 800.0], times, drag=False)
        sig = np.array([150.0, 2e-3, 2e-3])
    motion = Ballistic(
        q_m2_s3=0.0, frame="ecef", ballistic_coefficient_kg_m2=BETA_KG_M2 if drag else None
    )
    config = TrackerConfig(motion=motion, init_velocity_sigma_mps=3000.0, max_pos_sigma_m=1e6)
    n_runs = 40
    _assert_consistent(_anees(config, truth, times, sig, n_runs, seed=100), n_runs, first=5)


def test_run_tracker_is_not_overconfident_after_a_boost() -> None:
    """The run's IMM on a missile seen under thrust: never over-confident after burnout.

    Truth: 60 s of 30 m/s2 thrust along the velocity, then free flight. A
    coast-only filter fuses the reports taken under thrust as free flight and
    is over-confident for a minute after burnout (the check can fail); the
    run's tracker discounts them through its boost mode. It is allowed to be
    pessimistic (its boost and class hypotheses keep some weight), which the
    ellipse calibration over seeds bounds from the other side.
    """
    thrust_mps2, burnout_s = 30.0, 60.0

    def boost_then_coast(t: float, x: np.ndarray) -> np.ndarray:
        d = _ecef_dynamics(t, x, False)
        if t < burnout_s:
            d[3:] += thrust_mps2 * x[3:] / np.linalg.norm(x[3:])
        return d

    times = np.arange(0.0, 300.0, 10.0)
    r0 = np.array(pymap3d.geodetic2ecef(-34.0, 131.0, 60e3))
    v0 = np.array(pymap3d.enu2uvw(1000.0, 900.0, 1200.0, -34.0, 131.0))
    sol = solve_ivp(boost_then_coast, (0.0, times[-1]), np.concatenate([r0, v0]),
                    t_eval=times, rtol=1e-10, atol=1e-6, max_step=1.0)  # fmt: skip
    truth = np.asarray(sol.y.T)
    sig = np.array([150.0, 2e-3, 2e-3])
    n_runs = 40
    hi = chi2.ppf(0.975, 6 * n_runs) / n_runs
    after = times > burnout_s
    run = _anees(threat_tracker_config(), truth, times, sig, n_runs, seed=100)[after]
    assert np.all(run[~np.isnan(run)] < hi), np.round(run, 2)
    assert np.count_nonzero(~np.isnan(run)) >= 15
    coast = TrackerConfig(
        motion=Ballistic(q_m2_s3=COAST_Q_M2_S3, frame="ecef"),
        init_velocity_sigma_mps=2000.0,
        max_pos_sigma_m=1e6,
        confirm_hits=4,
        confirm_window=6,
    )
    coast_anees = _anees(coast, truth, times, sig, n_runs, seed=100)[after]
    assert np.nanmax(coast_anees) > hi


def test_imm_rate_matrix_gives_exponential_leaving_and_proportional_split() -> None:
    """Mode i is left with probability 1 - exp(-sum_j r_ij dt), split as r_ij; 0 stays 0."""
    rates = ((0.0, 0.0, 1e-3), (0.2, 0.0, 0.05), (1e-3, 0.0, 0.0))
    imm = Imm(models=(Ballistic(), Ballistic(q_m2_s3=100.0), Ballistic()), rates_per_s=rates,
              initial_probabilities=(0.4, 0.3, 0.3))  # fmt: skip
    pi = imm.transition_matrix(4.0)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    leave_boost = 1.0 - np.exp(-0.25 * 4.0)
    np.testing.assert_allclose(pi[1], [leave_boost * 0.8, 1.0 - leave_boost, leave_boost * 0.2])
    assert pi[0, 1] == 0.0 and pi[2, 1] == 0.0
    with pytest.raises(ValueError, match="rates_per_s"):
        Imm(models=(Ballistic(), Ballistic()), rates_per_s=((0.0, -1.0), (0.0, 0.0)))
