"""Space-based infrared: visibility, LOS noise, triangulation and single-satellite bearings."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pymap3d
import pytest
from numpy.typing import NDArray

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.truth import Truth
from skyweave.rng import component_rng
from skyweave.sensors.detections import column_names
from skyweave.sensors.infrared import (
    GEOSTATIONARY_ALTITUDE_M,
    InfraredSatelliteParams,
    earth_blocks_segment,
    geostationary_position_ecef_m,
    infrared_frame,
    los_angles,
    los_from_detections,
    los_ground_bearing,
    los_ground_intersection,
    los_unit_vector,
    perturb_los_angles,
    simulate_infrared,
    triangulate_los,
)

SAT_A = np.array(geostationary_position_ecef_m(10.0))
SAT_B = np.array(geostationary_position_ecef_m(80.0))


def ecef(lat: object, lon: object, alt: object) -> NDArray[np.float64]:
    return np.stack(pymap3d.geodetic2ecef(lat, lon, alt), axis=-1)


def make_truth(
    times_s: NDArray[np.float64], positions: NDArray[np.float64], burnout: list[float]
) -> Truth:
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 2:
        pos = np.broadcast_to(pos, (len(times_s), *pos.shape))
    n = pos.shape[1]
    return Truth(
        times_s=np.asarray(times_s, dtype=np.float64),
        object_ids=tuple(f"m{i}" for i in range(n)),
        kinds=("ballistic",) * n,
        states=np.concatenate([pos, np.zeros_like(pos)], axis=-1),
        burnout_time_s=np.asarray(burnout, dtype=np.float64),
        rcs_class=("medium",) * n,
    )


def boost_truth() -> tuple[Truth, NDArray[np.float64]]:
    """A vertical boost from (35 N, 45 E) at 60 m/s^2 sampled every second, burnout at 80 s."""
    times = np.arange(0.0, 121.0, 1.0)
    height = 0.5 * 60.0 * times**2
    pos = ecef(np.full_like(times, 35.0), np.full_like(times, 45.0), height)
    return make_truth(times, pos[:, None, :], [80.0]), pos


def sat(sensor_id: str, lon: float, **kw: object) -> InfraredSatelliteParams:
    return InfraredSatelliteParams.geostationary(
        sensor_id, "North", lon, frame_period_s=kw.pop("frame_period_s", 1.0), **kw
    )


def test_geostationary_position() -> None:
    p = sat("ir", 75.0, sigma_los_rad=1e-5).position
    assert p[2] == pytest.approx(0.0, abs=1e-6)
    assert np.linalg.norm(p) == pytest.approx(WGS84_A_M + GEOSTATIONARY_ALTITUDE_M)
    assert np.degrees(np.arctan2(p[1], p[0])) == pytest.approx(75.0)


def test_angles_round_trip() -> None:
    u = np.random.default_rng(0).normal(size=(100, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    np.testing.assert_allclose(los_unit_vector(*los_angles(u)), u, atol=1e-12)


def test_noiseless_two_satellite_triangulation_within_1_m() -> None:
    target = ecef(35.0, 45.0, 30e3)
    sats = np.stack([SAT_A, SAT_B])
    los = target - sats
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    for weights in (None, np.array([1e10, 4e10])):
        point, cov = triangulate_los(sats, los, weights)
        assert np.linalg.norm(point - target) < 1.0
        assert np.all(np.linalg.eigvalsh(cov) > 0)
    # Through the reported angles as well (what a consumer of detections does).
    point, _ = triangulate_los(sats, los_unit_vector(*los_angles(los)))
    assert np.linalg.norm(point - target) < 1.0


def test_noisy_triangulation_is_consistent_with_covariance() -> None:
    n, sigma = 4000, 20e-6
    target = ecef(35.0, 45.0, 30e3)
    sats = np.broadcast_to(np.stack([SAT_A, SAT_B]), (n, 2, 3))
    a1, a2 = los_angles(np.broadcast_to(target - sats[0], (n, 2, 3)).reshape(-1, 3))
    a1, a2 = perturb_los_angles(a1, a2, sigma, np.random.default_rng(4))
    los = los_unit_vector(a1, a2).reshape(n, 2, 3)
    point, cov = triangulate_los(sats, los, np.full((n, 2), 1 / sigma**2))
    err = point - target
    nees = np.einsum("ni,nij,nj->n", err, np.linalg.inv(cov), err)
    # NEES is chi-square with 3 degrees of freedom (mean 3, variance 6).
    assert abs(nees.mean() - 3.0) < 4 * np.sqrt(6.0 / n)
    # The worst-determined direction: predicted and empirical variance agree.
    w, v = np.linalg.eigh(cov[0])
    along = err @ v[:, -1]
    assert abs(along.var() / w[-1] - 1) < 4 * np.sqrt(2.0 / n)
    # At geostationary range 20 urad is about 750 m across each line.
    assert 300.0 < np.sqrt(w[0]) < 2_000.0


def test_visibility_burn_cloud_earth_and_air_breathing() -> None:
    times = np.arange(0.0, 10.0, 1.0)
    pos = np.stack(
        [
            ecef(20.0, 30.0, 50e3),  # seen while burning (burnout 4 s)
            ecef(20.0, 30.0, 5e3),  # below cloud tops
            ecef(0.0, 190.0, 200e3),  # behind the Earth for a satellite at 10 E
            ecef(20.0, 30.0, 50e3),  # no motor (NaN burnout)
        ]
    )
    truth = make_truth(times, pos, [4.0, 100.0, 100.0, np.nan])
    det = simulate_infrared(sat("ir", 10.0, sigma_los_rad=0.0), truth, np.random.default_rng(0))
    assert det.object_id.tolist() == ["m0"] * 5
    np.testing.assert_array_equal(det.time_s, [0.0, 1.0, 2.0, 3.0, 4.0])
    # Cloud top lowered below 5 km: the second object appears.
    low_cloud = sat("ir", 10.0, sigma_los_rad=0.0, cloud_top_altitude_m=2e3)
    det = simulate_infrared(low_cloud, truth, np.random.default_rng(0))
    assert sorted(set(det.object_id)) == ["m0", "m1"]


def test_earth_blocking_matches_brute_force_sampling() -> None:
    rng = np.random.default_rng(9)
    n = 400
    targets = ecef(rng.uniform(-80, 80, n), rng.uniform(-180, 180, n), rng.uniform(20e3, 500e3, n))
    blocked = earth_blocks_segment(SAT_A, targets)
    f = np.linspace(0.0, 1.0, 4001)[:, None, None]
    pts = SAT_A + f * (targets - SAT_A)  # (4001, n, 3)
    _, _, h = pymap3d.ecef2geodetic(pts[..., 0], pts[..., 1], pts[..., 2])
    min_h = np.asarray(h).min(axis=0)
    clear_cut = np.abs(min_h) > 200.0  # leave out grazing lines within sampling error
    assert clear_cut.sum() > 350
    np.testing.assert_array_equal(blocked[clear_cut], (min_h < 0)[clear_cut])
    assert 0 < blocked.sum() < n


def test_simulated_los_noise_and_delay() -> None:
    truth, _ = boost_truth()
    sigma = 30e-6
    params = sat("ir-a", 10.0, sigma_los_rad=sigma, frame_period_s=0.1, processing_delay_s=4.0)
    det = simulate_infrared(params, truth, component_rng(1, "ir-a"))
    np.testing.assert_allclose(det.report_time_s, det.time_s + 4.0)
    assert np.all(det.time_s <= 80.0 + 1e-9)
    # Above 10 km at t > sqrt(2 * 10e3 / 60) = 18.3 s; burnout 80 s.
    assert det.time_s.min() == pytest.approx(18.3)
    assert len(det) == 80.0 / 0.1 - 183 + 1
    sats, los = los_from_detections(det)
    # Exact position along the boost at each frame time (analytic, not interpolated).
    true_pos = ecef(np.full(len(det), 35.0), np.full(len(det), 45.0), 30.0 * det.time_s**2)
    u_true = true_pos - sats
    u_true /= np.linalg.norm(u_true, axis=1, keepdims=True)
    ang = np.arctan2(np.linalg.norm(np.cross(los, u_true), axis=1), np.sum(los * u_true, axis=1))
    # Squared angle error / sigma^2 is chi-square with 2 degrees of freedom; linear
    # interpolation of a t^2 path adds at most 60/8 m: negligible against ~1 km.
    chi2 = (ang / sigma) ** 2
    assert abs(chi2.mean() - 2.0) < 4 * np.sqrt(4.0 / len(chi2))
    assert np.all(np.isnan(det.range_m)) and np.all(det.sigma_los_rad == sigma)


def test_two_partner_satellites_triangulate_simulated_launch() -> None:
    truth, _ = boost_truth()
    sigma = 20e-6
    dets = [
        simulate_infrared(sat(name, lon, sigma_los_rad=sigma), truth, component_rng(3, name))
        for name, lon in (("ir-north", 10.0), ("ir-east", 80.0))
    ]
    times = np.intersect1d(dets[0].time_s, dets[1].time_s)
    assert len(times) == 80 - 19 + 1
    sats = np.empty((len(times), 2, 3))
    los = np.empty((len(times), 2, 3))
    for k, d in enumerate(dets):
        keep = np.isin(d.time_s, times)
        sats[:, k], los[:, k] = los_from_detections(d.take(keep))
    point, cov = triangulate_los(sats, los, np.full((len(times), 2), 1 / sigma**2))
    true_pos = ecef(np.full(len(times), 35.0), np.full(len(times), 45.0), 30.0 * times**2)
    err = point - true_pos
    nees = np.einsum("ni,nij,nj->n", err, np.linalg.inv(cov), err)
    assert abs(nees.mean() - 3.0) < 4 * np.sqrt(6.0 / len(times))


def test_ground_intersection_and_bearing() -> None:
    ground = ecef(35.0, 45.0, 0.0)
    hit = los_ground_intersection(SAT_A, ground - SAT_A)
    assert np.linalg.norm(hit - ground) < 1.0
    plume = ecef(35.0, 45.0, 40e3)
    at_40km = los_ground_intersection(SAT_A, plume - SAT_A, altitude_m=40e3)
    assert np.linalg.norm(at_40km - plume) < 1.0
    # Vectorised, and a ray pointing away from the Earth misses.
    both = los_ground_intersection(np.stack([SAT_A, SAT_A]), np.stack([ground - SAT_A, SAT_A]), 0.0)
    assert np.linalg.norm(both[0] - ground) < 1.0 and np.all(np.isnan(both[1]))

    lat, lon, alt = los_ground_bearing(SAT_A, plume - SAT_A, max_altitude_m=100e3, n_points=501)
    assert alt[0] == pytest.approx(100e3, abs=1.0) and alt[-1] == pytest.approx(0.0, abs=1.0)
    # The plume's sub-point lies on the bearing where the LOS is 40 km up...
    assert np.interp(40e3, alt[::-1], lat[::-1]) == pytest.approx(35.0, abs=1e-4)
    assert np.interp(40e3, alt[::-1], lon[::-1]) == pytest.approx(45.0, abs=1e-4)
    # ...and the bearing is long: a single satellite does not fix the point.
    spread_m = np.linalg.norm(ecef(lat[0], lon[0], 0.0) - ecef(lat[-1], lon[-1], 0.0))
    assert spread_m > 50e3


def test_outage_detection_probability_and_determinism() -> None:
    truth, _ = boost_truth()
    base = sat("ir", 10.0, sigma_los_rad=1e-5, outages=((30.0, 40.0),))
    det = simulate_infrared(base, truth, component_rng(2, "ir"))
    assert not np.any((det.time_s >= 30.0) & (det.time_s < 40.0))
    assert len(det) == 62 - 10
    again = simulate_infrared(base, truth, component_rng(2, "ir"))
    np.testing.assert_array_equal(det.los_angle1_rad, again.los_angle1_rad)
    np.testing.assert_array_equal(det.los_angle2_rad, again.los_angle2_rad)

    many = make_truth(np.arange(0.0, 50.0), np.tile(ecef(20.0, 30.0, 50e3), (400, 1)), [99.0] * 400)
    half = sat("ir", 10.0, sigma_los_rad=1e-5, detection_probability=0.3)
    det = simulate_infrared(half, many, np.random.default_rng(0))
    trials = 400 * 50
    assert abs(len(det) / trials - 0.3) < 4 * np.sqrt(0.3 * 0.7 / trials)


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError, match="above the Earth"):
        InfraredSatelliteParams("x", "N", (1.0, 0.0, 0.0), 1.0, 1e-5)
    with pytest.raises(ValueError, match="frame_period_s"):
        sat("x", 0.0, sigma_los_rad=1e-5, frame_period_s=0.0)


def test_los_noise_is_isotropic_across_the_line_of_sight() -> None:
    # Far from the equatorial plane (angle2 = 70 deg) angle1 noise must be scaled by
    # 1/cos(angle2) for the transverse error to be sigma in both directions.
    n, sigma = 20_000, 1e-4
    a1 = np.full(n, 0.4)
    a2 = np.full(n, np.radians(70.0))
    m1, m2 = perturb_los_angles(a1, a2, sigma, np.random.default_rng(8))
    u0 = los_unit_vector(a1[0], a2[0])
    e_north = np.array([-np.sin(a2[0]) * np.cos(0.4), -np.sin(a2[0]) * np.sin(0.4), np.cos(a2[0])])
    e_east = np.cross(e_north, u0)
    du = los_unit_vector(m1, m2) - u0
    for axis in (e_north, e_east):
        assert abs((du @ axis).std() / sigma - 1) < 4 / np.sqrt(2 * n)


def test_frame_blocking_does_not_change_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import skyweave.sensors.infrared as ir_module
    from skyweave.sensors.sampling import scan_blocks

    truth, _ = boost_truth()
    params = sat("ir", 10.0, sigma_los_rad=1e-5, detection_probability=0.7)
    whole = simulate_infrared(params, truth, component_rng(2, "ir"))
    monkeypatch.setattr(ir_module, "scan_blocks", lambda s, n: scan_blocks(s, n, max_pairs=7))
    blocked = simulate_infrared(params, truth, component_rng(2, "ir"))
    for name in ("time_s", "los_angle1_rad", "los_angle2_rad", "object_id"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocked, name))


def test_one_frame_matches_simulate_infrared_on_a_one_sample_truth() -> None:
    truth, _ = boost_truth()
    # a second object without a motor and a third out of flight (NaN)
    pos = truth.states[:, :, :3]
    pos = np.concatenate([pos, pos + 5e4, np.full_like(pos, np.nan)], axis=1)
    three = make_truth(truth.times_s, pos, [80.0, np.nan, 80.0])
    burn_end = np.where(np.isnan(three.burnout_time_s), -np.inf, three.burnout_time_s)
    ids = np.asarray(three.object_ids, dtype=object)
    params = sat("ir-a", 10.0, sigma_los_rad=30e-6, processing_delay_s=2.0)
    n_rows = 0
    for i, t in enumerate(three.times_s.tolist()):
        frame = replace(params, first_frame_s=t)
        one = replace(three, times_s=np.array([t]), states=three.states[i][None])
        expected = simulate_infrared(frame, one, component_rng(3, str(i)))
        got = infrared_frame(
            frame, t, three.states[i][:, :3], burn_end, ids, partial(component_rng, 3, str(i))
        )
        if got is None:
            assert len(expected) == 0
            continue
        n_rows += len(got)
        for name in column_names():
            a, b = getattr(got, name), getattr(expected, name)
            assert a.dtype == b.dtype
            if a.dtype == object:
                assert a.tolist() == b.tolist()
            else:
                np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))
    assert n_rows > 50
