"""Radar model: visibility limits, Swerling-1 Pd, Poisson false alarms, noise, outages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pymap3d
import pytest
from numpy.typing import NDArray
from scipy import stats

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.truth import Truth
from skyweave.rng import component_rng
from skyweave.sensors import detections_to_arrow_table
from skyweave.sensors.geometry import aer_to_ecef, radar_local_frame
from skyweave.sensors.radar import RadarParams, radar_visibility, simulate_radar, swerling1_pd

LAT, LON, ALT = 0.0, 0.0, 20.0
FRAME = radar_local_frame(LAT, LON, ALT)


def make_truth(
    times_s: NDArray[np.float64],
    positions: NDArray[np.float64],
    rcs: tuple[str, ...] | None = None,
) -> Truth:
    """Truth from positions (T, N, 3) or static positions (N, 3); zero velocities."""
    times_s = np.asarray(times_s, dtype=np.float64)
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 2:
        pos = np.broadcast_to(pos, (len(times_s), *pos.shape))
    n = pos.shape[1]
    states = np.concatenate([pos, np.zeros_like(pos)], axis=-1)
    return Truth(
        times_s=times_s,
        object_ids=tuple(f"obj{i}" for i in range(n)),
        kinds=("ballistic",) * n,
        states=states,
        burnout_time_s=np.full(n, np.nan),
        rcs_class=rcs if rcs is not None else ("medium",) * n,
    )


def radar(**overrides: object) -> RadarParams:
    base = RadarParams(
        sensor_id="ew-1",
        partner="North",
        lat_deg=LAT,
        lon_deg=LON,
        alt_m=ALT,
        max_range_m=1_000e3,
        revisit_period_s=1.0,
        snr_ref=1e9,  # certain detection unless a test says otherwise
        ref_range_m=100e3,
        pfa=1e-4,
        sigma_range_m=50.0,
        sigma_azimuth_rad=2e-3,
        sigma_elevation_rad=3e-3,
        min_elevation_rad=np.radians(-10.0),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def at_aer(range_m: object, az_deg: object, el_deg: object) -> NDArray[np.float64]:
    return aer_to_ecef(range_m, np.radians(az_deg), np.radians(el_deg), FRAME)


def test_empirical_pd_matches_swerling1() -> None:
    per_group = 1000
    ranges = np.repeat([150e3, 200e3, 250e3, 150e3], per_group)
    classes = ("medium",) * (3 * per_group) + ("small",) * per_group
    az = np.tile(np.linspace(0.0, 359.0, per_group), 4)
    truth = make_truth(np.arange(5.0), at_aer(ranges, az, 10.0), classes)
    params = radar(snr_ref=20.0, ref_range_m=150e3, rcs_factors={"small": 0.1, "medium": 1.0})
    det = simulate_radar(params, truth, np.random.default_rng(11))
    assert np.all(det.object_id != None)  # noqa: E711 (no false alarms configured)
    counts = np.zeros(truth.states.shape[1])
    ids, n = np.unique(det.object_id.astype(str), return_counts=True)
    counts[[int(s[3:]) for s in ids]] = n
    for g in range(4):
        factor = 0.1 if g == 3 else 1.0
        snr = 20.0 * (150e3 / ranges[g * per_group]) ** 4 * factor
        pd = float(pfa_pd := swerling1_pd(snr, 1e-4))
        assert pfa_pd == pytest.approx(1e-4 ** (1 / (1 + snr)))
        trials = 5 * per_group
        observed = counts[g * per_group : (g + 1) * per_group].sum() / trials
        assert abs(observed - pd) < 4 * np.sqrt(pd * (1 - pd) / trials), (g, observed, pd)


def test_false_alarms_are_poisson_and_uniform_in_volume() -> None:
    lam, n_scans = 2.5, 20_000
    truth = make_truth(np.array([0.0, n_scans - 1.0]), np.zeros((0, 3)))
    params = radar(
        mean_false_alarms_per_scan=lam,
        boresight_azimuth_rad=np.radians(90.0),
        half_width_azimuth_rad=np.radians(30.0),
        min_elevation_rad=np.radians(0.5),
        max_elevation_rad=np.radians(30.0),
        min_range_m=10e3,
        max_range_m=400e3,
    )
    det = simulate_radar(params, truth, np.random.default_rng(5))
    assert all(o is None for o in det.object_id)
    per_scan = np.bincount(det.time_s.astype(int), minlength=n_scans)
    assert len(per_scan) == n_scans
    assert abs(per_scan.mean() - lam) < 4 * np.sqrt(lam / n_scans)
    # Var(sample variance) of a Poisson(lam) sample is about (lam + 2 lam^2) / n.
    assert abs(per_scan.var(ddof=1) - lam) < 4 * np.sqrt((lam + 2 * lam**2) / n_scans)

    r3 = (det.range_m**3 - 10e3**3) / (400e3**3 - 10e3**3)
    sin_el = (np.sin(det.elevation_rad) - np.sin(np.radians(0.5))) / (
        np.sin(np.radians(30.0)) - np.sin(np.radians(0.5))
    )
    az = (det.azimuth_rad - np.radians(60.0)) / np.radians(60.0)
    for sample in (r3, sin_el, az):
        assert sample.min() >= 0.0 and sample.max() <= 1.0
        assert stats.kstest(sample, "uniform").pvalue > 1e-3


def test_measurement_noise_matches_sigmas() -> None:
    pos = at_aer(300e3, 40.0, 5.0)[None, :]
    n_scans = 4000
    truth = make_truth(np.array([0.0, n_scans - 1.0]), pos)
    params = radar()
    det = simulate_radar(params, truth, np.random.default_rng(2))
    assert len(det) == n_scans
    # Reference values from pymap3d, independent of the model's own frame code.
    az0, el0, r0 = pymap3d.ecef2aer(*pos[0], LAT, LON, ALT, deg=False)
    residuals = {
        "range": (det.range_m - r0, params.sigma_range_m),
        "azimuth": (np.angle(np.exp(1j * (det.azimuth_rad - az0))), params.sigma_azimuth_rad),
        "elevation": (det.elevation_rad - el0, params.sigma_elevation_rad),
    }
    for name, (res, sigma) in residuals.items():
        assert abs(res.mean()) < 4 * sigma / np.sqrt(n_scans), name
        assert abs(res.std(ddof=1) / sigma - 1) < 4 / np.sqrt(2 * n_scans), name
    assert np.all(det.sigma_range_m == params.sigma_range_m)
    assert np.all(np.isnan(det.los_angle1_rad))
    np.testing.assert_allclose(det.sensor_x_m, FRAME.position_ecef_m[0])


def test_sector_elevation_range_and_horizon_limits() -> None:
    heights = [500.0, 500.0]
    ground = [100e3, 200e3]  # horizon for 20 m and 500 m is about 110 km
    lon = np.degrees(np.asarray(ground) / 6378137.0)
    low = np.stack(pymap3d.geodetic2ecef([0.0, 0.0], lon, heights), axis=-1)
    pos = np.concatenate(
        [
            at_aer(np.full(5, 300e3), [5.0, 320.0, 15.0, 355.0, 5.0], [10.0, 10, 10, 1.0, 10.0]),
            at_aer(1_200e3, 5.0, 30.0)[None, :],
            low,
        ]
    )
    # Objects 0..3: azimuth 5 (inside a 350 +/- 20 sector), 320 (outside), 15
    # (outside), 355 at 1 deg elevation (below the 2 deg floor); object 4 is a
    # copy of 0; 5 is beyond max range; 6 and 7 are low flyers inside and
    # beyond the 4/3-Earth horizon (they lie east, azimuth 90: use a full circle).
    truth_sector = make_truth(np.arange(3.0), pos[:6])
    sector = radar(
        boresight_azimuth_rad=np.radians(350.0),
        half_width_azimuth_rad=np.radians(20.0),
        min_elevation_rad=np.radians(2.0),
    )
    det = simulate_radar(sector, truth_sector, np.random.default_rng(0))
    assert sorted(set(det.object_id)) == ["obj0", "obj4"]
    assert len(det) == 6

    truth_low = make_truth(np.arange(3.0), low)
    det = simulate_radar(radar(), truth_low, np.random.default_rng(0))
    assert set(det.object_id) == {"obj0"}
    assert len(det) == 3


def test_interpolation_and_not_in_flight() -> None:
    times = np.arange(0.0, 101.0, 10.0)
    start = at_aer(200e3, 30.0, 20.0)
    vel = np.array([1500.0, -800.0, 400.0])
    pos = start + times[:, None] * vel
    pos[times < 25.0] = np.nan  # not launched before t = 25 (first sample in flight: 30)
    truth = make_truth(times, pos[:, None, :])
    params = radar(
        sigma_range_m=0.0, sigma_azimuth_rad=0.0, sigma_elevation_rad=0.0, revisit_period_s=3.0
    )
    det = simulate_radar(params, truth, np.random.default_rng(0))
    np.testing.assert_allclose(det.time_s, np.arange(30.0, 100.0, 3.0))
    exact = start + det.time_s[:, None] * vel
    np.testing.assert_allclose(
        det.range_m, np.linalg.norm(exact - FRAME.position_ecef_m, axis=1), atol=1e-6
    )


def test_outage_and_processing_delay() -> None:
    truth = make_truth(np.array([0.0, 99.0]), at_aer(300e3, 40.0, 5.0)[None, :])
    params = radar(outages=((20.0, 30.0),), processing_delay_s=2.0)
    det = simulate_radar(params, truth, np.random.default_rng(0))
    expected = [t for t in range(100) if not 18 <= t < 30]
    np.testing.assert_array_equal(det.time_s, expected)
    np.testing.assert_array_equal(det.report_time_s, det.time_s + 2.0)


def test_determinism_and_own_generator() -> None:
    ranges = np.linspace(100e3, 600e3, 50)
    truth = make_truth(np.arange(0.0, 60.0, 0.5), at_aer(ranges, ranges / 5e3, 8.0))
    params = radar(snr_ref=5.0, mean_false_alarms_per_scan=1.0)
    a = simulate_radar(params, truth, component_rng(7, "ew-1"))
    b = simulate_radar(params, truth, component_rng(7, "ew-1"))
    c = simulate_radar(params, truth, component_rng(8, "ew-1"))
    ta, tb, tc = (detections_to_arrow_table(d).to_pydict() for d in (a, b, c))
    for name in ta:
        np.testing.assert_array_equal(np.asarray(ta[name]), np.asarray(tb[name]), name)
    assert len(ta["time_s"]) != len(tc["time_s"]) or not np.array_equal(
        ta["range_m"], tc["range_m"]
    )
    assert np.all(np.diff(a.time_s) >= 0)


def test_invalid_parameters_and_unknown_rcs_class() -> None:
    with pytest.raises(ValueError, match="pfa"):
        radar(pfa=1.5)
    with pytest.raises(ValueError, match="outages"):
        radar(outages=((5.0, 1.0),))
    truth = make_truth(np.arange(2.0), at_aer(100e3, 0.0, 10.0)[None, :], ("huge",))
    with pytest.raises(ValueError, match="huge"):
        simulate_radar(radar(), truth, np.random.default_rng(0))


def test_scan_blocking_does_not_change_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import skyweave.sensors.radar as radar_module
    from skyweave.sensors.sampling import scan_blocks

    ranges = np.linspace(100e3, 600e3, 40)
    truth = make_truth(np.arange(0.0, 30.0, 0.5), at_aer(ranges, ranges / 5e3, 8.0))
    params = radar(snr_ref=5.0, mean_false_alarms_per_scan=1.0)
    whole = simulate_radar(params, truth, component_rng(7, "ew-1"))
    monkeypatch.setattr(radar_module, "scan_blocks", lambda s, n: scan_blocks(s, n, max_pairs=70))
    assert len(scan_blocks(30, 40, max_pairs=70)) == 30
    blocked = simulate_radar(params, truth, component_rng(7, "ew-1"))
    for name in ("time_s", "range_m", "azimuth_rad", "elevation_rad", "object_id"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocked, name))


@pytest.mark.parametrize("site_alt_m", [20.0, 300.0])
def test_sea_skimmer_inside_the_horizon_is_visible_with_default_limits(site_alt_m: float) -> None:
    # A 60 m target 5 km inside the 4/3-Earth horizon (textbook ground distance
    # sqrt(2 k a h1) + sqrt(2 k a h2) along the equator) is seen with the
    # default elevation limits; 5 km beyond it is not. The apparent elevation
    # there is below 0 (the old default floor).
    k, a, h2 = 4.0 / 3.0, WGS84_A_M, 60.0
    horizon_m = np.sqrt(2 * k * a * site_alt_m) + np.sqrt(2 * k * a * h2)
    lon = np.degrees((horizon_m + np.array([-5e3, 5e3])) / a)
    targets = np.stack(pymap3d.geodetic2ecef([0.0, 0.0], lon, [h2, h2]), axis=-1)
    params = RadarParams(
        sensor_id="coastal", partner="North", lat_deg=0.0, lon_deg=0.0, alt_m=site_alt_m,
        max_range_m=400e3, revisit_period_s=1.0, snr_ref=1e9, ref_range_m=100e3, pfa=1e-4,
        sigma_range_m=50.0, sigma_azimuth_rad=2e-3, sigma_elevation_rad=3e-3,
    )  # fmt: skip
    visible, rng, _, el = radar_visibility(params, targets)
    assert visible.tolist() == [True, False]
    re = k * a
    # Independent apparent elevation of the visible one: below zero, above the floor.
    sin_el = ((re + h2) ** 2 - (re + site_alt_m) ** 2 - rng[0] ** 2) / (
        2 * rng[0] * (re + site_alt_m)
    )
    assert np.radians(-1.0) < np.arcsin(sin_el) < 0.0
    assert el[0] < np.arcsin(sin_el)  # geometric elevation is lower still
    # The same target is hidden by a floor above its apparent elevation.
    above = replace(params, min_elevation_rad=float(np.arcsin(sin_el)) + 1e-4)
    assert not radar_visibility(above, targets)[0][0]


def test_one_scan_path_equals_simulate_radar() -> None:
    from skyweave.sensors.radar import rcs_factor_per_object, scan_radar

    # objects in flight and not (NaN rows), in and out of range, with false alarms
    ranges = np.linspace(50e3, 1_300e3, 60)
    pos = at_aer(ranges, ranges / 7e3, 4.0)
    pos[::3] = np.nan
    truth = make_truth(np.array([12.5]), pos, ("small", "medium", "large") * 20)
    params = radar(snr_ref=20.0, mean_false_alarms_per_scan=3.0, processing_delay_s=0.5)
    ids = np.asarray(truth.object_ids, dtype=object)
    factors = rcs_factor_per_object(params, truth.rcs_class)
    for seed in range(5):
        whole = simulate_radar(replace(params, first_scan_s=12.5), truth, component_rng(seed, "s"))
        one = scan_radar(params, 12.5, pos, ids, factors, component_rng(seed, "s"))
        assert len(whole) > 3
        for name in whole.__dict__:
            a, b = getattr(whole, name), getattr(one, name)
            if a.dtype == object:
                assert a.tolist() == b.tolist(), name
            else:
                np.testing.assert_array_equal(a, b, name)
