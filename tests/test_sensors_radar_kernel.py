"""The compiled scan kernel against the NumPy radar model, and the stage's batched
scans against the per-scan path (:func:`scan_radar`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from skyweave.rng import tick_rng
from skyweave.sensors.geometry import aer_to_ecef
from skyweave.sensors.radar import (
    RadarParams,
    radar_snr,
    radar_visibility,
    rcs_factor_per_object,
    scan_radar,
    swerling1_pd,
)
from skyweave.sensors.radar_kernel import RadarSet, scan_enu, scan_geometry


def _radars() -> list[RadarParams]:
    base = RadarParams(
        sensor_id="all-round", partner="North", lat_deg=48.0, lon_deg=11.0, alt_m=300.0,
        max_range_m=600e3, revisit_period_s=1.0, snr_ref=15.0, ref_range_m=200e3, pfa=1e-5,
        sigma_range_m=50.0, sigma_azimuth_rad=2e-3, sigma_elevation_rad=3e-3,
        mean_false_alarms_per_scan=2.0, processing_delay_s=0.7,
    )  # fmt: skip
    sector = replace(
        base, sensor_id="sector", lat_deg=47.5, lon_deg=12.0, alt_m=15.0,
        boresight_azimuth_rad=np.radians(350.0), half_width_azimuth_rad=np.radians(40.0),
        min_elevation_rad=np.radians(0.5), max_elevation_rad=np.radians(60.0),
        min_range_m=20e3, rcs_factors={"small": 0.3, "medium": 1.0, "large": 3.0},
    )  # fmt: skip
    quiet = replace(
        base, sensor_id="no-fa", lat_deg=46.0, alt_m=-5.0, mean_false_alarms_per_scan=0.0
    )
    return [base, sector, quiet]


def _objects(radar: RadarParams, rng: np.random.Generator) -> np.ndarray:
    """Points around ``radar``: random ones, NaN rows, sector edges, low ones below the
    horizon and some out of range."""
    n = 400
    r = rng.uniform(1e3, 800e3, n)
    bore, half = np.degrees(radar.boresight_azimuth_rad), np.degrees(radar.half_width_azimuth_rad)
    az = (
        rng.uniform(0.0, 360.0, n) if radar.full_circle else bore + rng.uniform(-1.5, 1.5, n) * half
    )
    el = rng.uniform(-3.0, 70.0, n)
    el[:60] = rng.uniform(-1.0, 0.3, 60)  # around the horizon at long range
    r[:60] = rng.uniform(50e3, 600e3, 60)
    # exactly on and just off the sector edges
    edges = np.degrees(
        radar.boresight_azimuth_rad + np.array([-1, 1]) * radar.half_width_azimuth_rad
    )
    az[60:80] = np.tile(
        np.concatenate([edges, edges + 1e-7, edges - 1e-7, edges + 1e-3, edges - 1e-3]), 2
    )
    pos = aer_to_ecef(r, np.radians(az), np.radians(el), radar.frame)
    pos[rng.random(n) < 0.25] = np.nan
    return pos


@pytest.mark.parametrize("which", [0, 1, 2])
def test_kernel_matches_numpy_visibility_snr_and_pd(which: int) -> None:
    radars = RadarSet(_radars())
    params = radars.params[which]
    rng = np.random.default_rng(10 + which)
    pos = _objects(params, rng)
    classes = tuple(rng.choice(["small", "medium", "large"], len(pos)).tolist())
    factors = rcs_factor_per_object(params, classes)
    rcs = np.zeros((3, len(pos)))
    rcs[which] = factors
    snap, radar = np.array([0]), np.array([which])
    enu = scan_enu(radars.frames, pos[None], snap, radar)
    end, obj, aer, pd = scan_geometry(pos[None], enu, snap, radar, radars.table, rcs)

    visible, rng_m, az, el = radar_visibility(params, pos[None])
    expected = np.flatnonzero(visible[0])
    assert 50 < len(expected) < len(pos) - 100  # both outcomes well represented
    # some in range and sector but hidden by the elevation limits or the horizon
    in_range = (rng_m[0] >= params.min_range_m) & (rng_m[0] <= params.max_range_m)
    if params.full_circle:
        assert np.count_nonzero(in_range & ~visible[0]) > 10
    np.testing.assert_array_equal(obj, expected)
    assert end.tolist() == [len(expected)]
    np.testing.assert_allclose(aer[:, 0], rng_m[0, expected], rtol=1e-12, atol=0)
    np.testing.assert_allclose(aer[:, 1], az[0, expected], rtol=0, atol=1e-12)
    np.testing.assert_allclose(aer[:, 2], el[0, expected], rtol=0, atol=1e-12)
    pd_np = swerling1_pd(radar_snr(params, rng_m[0, expected], factors[expected]), params.pfa)
    np.testing.assert_allclose(pd, pd_np, rtol=1e-12, atol=0)


def test_batched_scans_match_the_per_scan_path() -> None:
    params = _radars()
    radars = RadarSet(params)
    rng = np.random.default_rng(3)
    snaps = np.stack([_objects(params[0], rng), _objects(params[1], rng)])
    n = snaps.shape[1]
    classes = tuple(rng.choice(["small", "medium", "large"], n).tolist())
    ids = np.asarray([f"obj{i}" for i in range(n)], dtype=object)
    rcs = np.stack([rcs_factor_per_object(p, classes) for p in params])
    # each radar on each snapshot, one radar twice on one (scan indices k)
    scans = [(0, 10.0, 0), (1, 10.0, 0), (2, 10.5, 1), (0, 10.5, 1), (1, 11.0, 1), (1, 12.0, 0)]
    got = radars.scan(
        rcs, snaps, scans, lambda i: tick_rng(5, f"sensor/{params[scans[i][0]].sensor_id}", i), ids
    )
    n_rows = 0
    for i, (r, time_s, snap) in enumerate(scans):
        rng_i = tick_rng(5, f"sensor/{params[r].sensor_id}", i)
        want = scan_radar(params[r], time_s, snaps[snap], ids, rcs[r], rng_i)
        one = got[i]
        n_rows += len(want)
        assert one.object_id.tolist() == want.object_id.tolist()
        for name in want.__dict__:
            a, b = getattr(want, name), getattr(one, name)
            if a.dtype == object:
                assert a.tolist() == b.tolist(), name
            else:  # bit for bit: the measurements come from the same NumPy code
                np.testing.assert_array_equal(b, a, name)
    assert n_rows > 200


def test_reused_scan_generator_draws_as_a_new_tick_rng() -> None:
    from skyweave.sensors.stream import _Sensor

    sensor = _Sensor(_radars()[0], seed=9)
    for seed, k in ((9, 0), (9, 7), (9, 7), (9, 3), (9, 123_456), (4, 3), (9, 3)):
        sensor.seed = seed  # as engine.snapshots.reseed does
        gen = sensor.rng(k)
        want = tick_rng(seed, "sensor/all-round", k)
        # odd sizes leave partial buffers behind for the next reset to clear
        for draw in (
            lambda g: g.random(5),
            lambda g: g.standard_normal((3, 3)),
            lambda g: g.poisson(0.7, 1),
            lambda g: g.random((2, 3)),
            lambda g: g.integers(0, 2**31, 3, dtype=np.uint32),
        ):
            np.testing.assert_array_equal(draw(gen), draw(want))


@pytest.mark.parametrize("n_obj", [1, 2, 7, 64, 400])
def test_stacked_enu_is_the_per_scan_product_bit_for_bit(n_obj: int) -> None:
    radars = RadarSet(_radars())
    rng = np.random.default_rng(n_obj)
    pos = np.stack([_objects(p, rng)[:n_obj] for p in radars.params])  # (T=3, N, 3)
    snap = rng.integers(0, len(pos), 12)
    radar = rng.integers(0, len(radars.params), 12)
    enu = scan_enu(radars.frames, pos, snap, radar)
    for s in range(len(snap)):
        frame = radars.frames[radar[s]]
        expected = (pos[snap[s]] - frame.position_ecef_m) @ frame.enu_to_ecef
        np.testing.assert_array_equal(enu[s].view(np.uint64), expected.view(np.uint64))
