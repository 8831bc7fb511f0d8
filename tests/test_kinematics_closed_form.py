"""Closed-form ballistic shots against published values (Bate, Mueller & White 1971, sec. 6.2)."""

from __future__ import annotations

import numpy as np
import pytest

from skyweave.kinematics.closed_form import fixed_gamma, minimum_energy, range_angle_from_burnout

R_M = 6_371_000.0
MU = 3.986004418e14

# published minimum-energy values on a 6371 km non-rotating sphere
RANGES_KM = np.array([300.0, 1000.0, 3000.0, 10000.0])
FLIGHT_TIME_S = np.array([251.0, 474.4, 895.0, 1931.0])
APOGEE_KM = np.array([74.1, 239.9, 655.2, 1319.5])


def test_minimum_energy_matches_published_values() -> None:
    shot = minimum_energy(RANGES_KM * 1e3, radius_m=R_M, mu=MU)
    np.testing.assert_allclose(shot.flight_time_s, FLIGHT_TIME_S, rtol=5e-4)
    np.testing.assert_allclose(shot.apogee_altitude_m / 1e3, APOGEE_KM, rtol=5e-4)
    # minimum-energy angle (pi - psi) / 4: 45 deg for a vanishing range
    psi = RANGES_KM * 1e3 / R_M
    np.testing.assert_allclose(shot.gamma_rad, (np.pi - psi) / 4.0, rtol=1e-12)


def test_minimum_energy_speed_is_the_minimum_over_gamma() -> None:
    """Brute force: scanning gamma, no angle reaches the range with less speed."""
    gammas = np.radians(np.linspace(1.0, 89.0, 2001))
    for range_km in RANGES_KM:
        brute = fixed_gamma(range_km * 1e3, gammas, radius_m=R_M, mu=MU).burnout_speed_mps
        best = minimum_energy(range_km * 1e3, radius_m=R_M, mu=MU).burnout_speed_mps
        assert np.nanmin(brute) >= best - 1e-6
        assert np.nanmin(brute) == pytest.approx(best, rel=1e-5)


def test_fixed_gamma_round_trips_through_the_range_equation() -> None:
    range_m = np.array([500e3, 2000e3, 8000e3])
    gamma = np.radians([20.0, 35.0, 60.0])
    shot = fixed_gamma(range_m, gamma, radius_m=R_M, mu=MU)
    q = shot.burnout_speed_mps**2 * R_M / MU
    np.testing.assert_allclose(range_angle_from_burnout(q, gamma) * R_M, range_m, rtol=1e-10)


def test_kepler_period_consistency() -> None:
    """A shot over half the Earth at grazing speed approaches half a circular orbit."""
    shot = fixed_gamma(np.pi * R_M * 0.999, np.radians(0.01), radius_m=R_M, mu=MU)
    half_period = np.pi * np.sqrt(R_M**3 / MU)
    assert shot.flight_time_s == pytest.approx(half_period, rel=2e-3)
    assert shot.burnout_speed_mps == pytest.approx(np.sqrt(MU / R_M), rel=1e-3)


def test_out_of_range_gives_nan() -> None:
    shot = minimum_energy(np.array([-1.0, 0.0, 4.0e7]), radius_m=R_M)
    assert np.all(np.isnan(shot.burnout_speed_mps))
    assert np.isnan(fixed_gamma(1000e3, np.radians(95.0)).burnout_speed_mps)
