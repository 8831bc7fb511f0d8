"""Sensor geometry: local frames against pymap3d, the 4/3-Earth horizon against its closed form."""

import numpy as np
import pymap3d
import pytest

from skyweave.constants import WGS84_A_M
from skyweave.sensors.geometry import (
    above_effective_horizon,
    aer_to_ecef,
    apparent_elevation_rad,
    ecef_to_aer,
    horizon_dip_rad,
    radar_horizon_range_m,
    radar_local_frame,
)
from skyweave.sensors.sampling import overlaps_outage, scan_times


def test_local_frame_matches_pymap3d_aer() -> None:
    lat0, lon0, h0 = 47.3, -122.1, 350.0
    frame = radar_local_frame(lat0, lon0, h0)
    np.testing.assert_allclose(frame.position_ecef_m, pymap3d.geodetic2ecef(lat0, lon0, h0))
    np.testing.assert_allclose(frame.enu_to_ecef.T @ frame.enu_to_ecef, np.eye(3), atol=1e-15)
    assert np.linalg.det(frame.enu_to_ecef) == pytest.approx(1.0)

    rng = np.random.default_rng(3)
    lat = lat0 + rng.uniform(-3, 3, 200)
    lon = lon0 + rng.uniform(-3, 3, 200)
    alt = rng.uniform(0, 300e3, 200)
    pts = np.stack(pymap3d.geodetic2ecef(lat, lon, alt), axis=-1)
    r, az, el = ecef_to_aer(pts, frame)
    az_ref, el_ref, r_ref = pymap3d.ecef2aer(
        *pts.T, np.radians(lat0), np.radians(lon0), h0, deg=False
    )
    np.testing.assert_allclose(r, r_ref, rtol=1e-12)
    np.testing.assert_allclose(np.cos(az - az_ref), 1.0, atol=1e-12)
    np.testing.assert_allclose(el, el_ref, atol=1e-10)
    assert np.all((az >= 0) & (az < 2 * np.pi))
    np.testing.assert_allclose(aer_to_ecef(r, az, el, frame), pts, atol=1e-6)


def test_azimuth_is_clockwise_from_north() -> None:
    frame = radar_local_frame(10.0, 20.0, 0.0)
    east_point = frame.position_ecef_m + 1000.0 * frame.enu_to_ecef[:, 0]
    north_point = frame.position_ecef_m + 1000.0 * frame.enu_to_ecef[:, 1]
    _, az_e, el_e = ecef_to_aer(east_point, frame)
    _, az_n, _ = ecef_to_aer(north_point, frame)
    assert az_e == pytest.approx(np.pi / 2)
    assert np.sin(az_n) == pytest.approx(0.0, abs=1e-12)
    assert np.cos(az_n) == pytest.approx(1.0)
    assert el_e == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("h2", [50.0, 1_000.0, 10_000.0])
def test_horizon_range_matches_textbook_formula(h2: float) -> None:
    h1, k, r = 30.0, 4.0 / 3.0, 6_371_000.0
    textbook = np.sqrt(2 * k * r * h1) + np.sqrt(2 * k * r * h2)
    assert radar_horizon_range_m(h1, h2, r, k) == pytest.approx(textbook, rel=1e-3)


@pytest.mark.parametrize("h2", [100.0, 3_000.0, 10_000.0])
def test_line_of_sight_switches_at_horizon_distance(h2: float) -> None:
    # Along the equator the ground distance is exactly a * delta_lon.
    h1, k, a = 25.0, 4.0 / 3.0, WGS84_A_M
    d = np.sqrt(2 * k * a * h1) + np.sqrt(2 * k * a * h2)
    frame = radar_local_frame(0.0, 0.0, h1)
    dist = d * np.array([0.995, 0.999, 1.001, 1.005])
    lon = np.degrees(dist / a)
    targets = np.stack(pymap3d.geodetic2ecef(0.0 * lon, lon, h2 + 0.0 * lon), axis=-1)
    vis = above_effective_horizon(frame.position_ecef_m, h1, targets, np.full(4, h2), k)
    assert vis.tolist() == [True, True, False, False]


def test_scan_times_and_outages() -> None:
    times = np.linspace(0.0, 10.0, 11)
    np.testing.assert_allclose(scan_times(times, 3.0), [0.0, 3.0, 6.0, 9.0])
    np.testing.assert_allclose(scan_times(times, 3.0, phase_s=1.0), [1.0, 4.0, 7.0, 10.0])
    np.testing.assert_allclose(scan_times(times, 4.0, phase_s=-2.0), [2.0, 6.0, 10.0])
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    # Measured at t, reported 1 s later; outage [2, 3).
    lost = overlaps_outage(t, t + 1.0, [(2.0, 3.0)])
    assert lost.tolist() == [False, True, True, False, False]
    assert not overlaps_outage(t, t, []).any()


def test_apparent_elevation_closed_forms() -> None:
    # Independent checks of sin(el) = ((Re+h)^2 - (Re+h0)^2 - R^2) / (2 R (Re+h0)).
    r_earth, k, h0 = 6_371_000.0, 4.0 / 3.0, 300.0
    re = k * r_earth
    # 1. The ray tangent to the effective Earth: target on the ground at the
    #    tangent distance appears at the horizon's dip, -acos(Re / (Re + h0)).
    tangent_m = np.sqrt((re + h0) ** 2 - re**2)
    dip = -np.arccos(re / (re + h0))
    assert apparent_elevation_rad(tangent_m, h0, 0.0, r_earth, k) == pytest.approx(dip, rel=1e-9)
    assert horizon_dip_rad(h0, r_earth, k) == pytest.approx(dip, rel=1e-12)
    # 2. Straight up: a target h - h0 above the sensor is at +90 degrees.
    assert apparent_elevation_rad(5_000.0, h0, h0 + 5_000.0, r_earth, k) == pytest.approx(np.pi / 2)
    # 3. Short ranges: the textbook (h - h0) / R - R / (2 Re).
    for rng, h in [(100e3, 2_000.0), (50e3, 60.0)]:
        approx = (h - h0) / rng - rng / (2.0 * re)
        assert apparent_elevation_rad(rng, h0, h, r_earth, k) == pytest.approx(approx, rel=1e-3)


def test_apparent_elevation_with_k1_is_the_geometric_elevation() -> None:
    # Along the equator the ellipsoid's east-west radius of curvature is a: with
    # k = 1 the formula is pymap3d's geometric elevation over that circle.
    h0 = 250.0
    frame = radar_local_frame(0.0, 0.0, h0)
    lon = np.array([0.3, 1.0, 2.5])
    h = np.array([60.0, 8_000.0, 120e3])
    targets = np.stack(pymap3d.geodetic2ecef(0.0 * lon, lon, h), axis=-1)
    rng, _, el = ecef_to_aer(targets, frame)
    got = apparent_elevation_rad(rng, h0, h, WGS84_A_M, k_factor=1.0)
    np.testing.assert_allclose(got, el, atol=1e-9)
    # Refraction lifts every target: the 4/3-Earth elevation is higher.
    assert np.all(apparent_elevation_rad(rng, h0, h, WGS84_A_M) > el)
