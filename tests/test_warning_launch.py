"""Launch events from space-based infrared lines of sight (skyweave.warning.launch).

Synthetic launches: a notional boost (vertical acceleration 25 m/s^2 plus a
cubic downrange drift) seen by two geostationary satellites through
:func:`skyweave.sensors.simulate_infrared` (noise, cloud tops, delays). The
true launch sites are known; ``object_id`` is used only to score.
"""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest

from skyweave.kinematics.truth import Truth
from skyweave.sensors import (
    Detections,
    InfraredSatelliteParams,
    concat_detections,
    simulate_infrared,
)
from skyweave.warning import LaunchDetector, estimate_launch_events

SITES = [(35.0, 45.0, 30.0), (36.0, 44.0, 60.0), (20.0, 60.0, 0.0)]  # lat, lon, azimuth
LAUNCH_S = [10.0, 12.0, 50.0]


def boost_truth() -> Truth:
    times = np.arange(0.0, 200.0, 1.0)
    states = np.full((len(times), len(SITES), 6), np.nan)
    for k, (lat, lon, az) in enumerate(SITES):
        p0 = np.array(pymap3d.geodetic2ecef(lat, lon, 0.0))
        up = np.array(pymap3d.enu2uvw(0.0, 0.0, 1.0, lat, lon))
        a = np.radians(az)
        down = np.array(pymap3d.enu2uvw(np.sin(a), np.cos(a), 0.0, lat, lon))
        tau = times - LAUNCH_S[k]
        on = tau >= 0.0
        ta = tau[on][:, None]
        states[on, k, :3] = p0 + up * 12.5 * ta**2 + down * 0.05 * ta**3
        states[on, k, 3:] = up * 25.0 * ta + down * 0.15 * ta**2
    return Truth(
        times,
        tuple(f"m{k}" for k in range(len(SITES))),
        ("ballistic",) * len(SITES),
        states,
        np.asarray(LAUNCH_S) + 100.0,
        ("small",) * len(SITES),
    )


def satellites() -> list[InfraredSatelliteParams]:
    return [
        InfraredSatelliteParams.geostationary(
            "ir-north", "North", 20.0, frame_period_s=2.0, sigma_los_rad=20e-6,
            processing_delay_s=1.0,
        ),
        InfraredSatelliteParams.geostationary(
            "ir-east", "East", 75.0, frame_period_s=2.0, sigma_los_rad=20e-6,
            processing_delay_s=1.5, first_frame_s=0.5,
        ),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def detections() -> Detections:
    truth = boost_truth()
    rng = np.random.default_rng(11)
    return concat_detections([simulate_infrared(s, truth, rng) for s in satellites()])


def _dist_m(lat: float, lon: float, lat0: float, lon0: float) -> float:
    e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, lat0, lon0, 0.0)
    return float(np.hypot(e, n))


def _nearest_site(lat: float, lon: float) -> tuple[int, float]:
    d = [_dist_m(lat, lon, s[0], s[1]) for s in SITES]
    return int(np.argmin(d)), float(min(d))


def test_two_satellites_triangulate_each_launch(detections: Detections) -> None:
    ev = estimate_launch_events(detections, 200.0)
    assert len(ev) == len(SITES)
    assert ev.triangulated.all() and (ev.n_sensors == 2).all()
    matched = [
        _nearest_site(la, lo) for la, lo in zip(ev.launch_lat_deg, ev.launch_lon_deg, strict=True)
    ]
    assert sorted(k for k, _ in matched) == [0, 1, 2]  # one event per launch
    assert max(d for _, d in matched) < 4_000.0  # noise ~1 km plus the boost drift
    # Every LOS joined an event, none was split off.
    assert ev.n_detections.sum() == len(detections)
    # The claimed accuracy is of the right size (km, not metres or hundreds of km).
    assert np.all((ev.sigma_m > 100.0) & (ev.sigma_m < 5_000.0))


def test_events_group_by_launch_not_by_truth_label(detections: Detections) -> None:
    # Scoring only: each event's rows come from one object. Blanking object_id
    # changes nothing (the association never reads it).
    ev = estimate_launch_events(detections, 200.0)
    blank = Detections(
        **{**detections.__dict__, "object_id": np.full(len(detections), None, dtype=object)}
    )
    ev2 = estimate_launch_events(blank, 200.0)
    assert ev.launch_lat_deg.tobytes() == ev2.launch_lat_deg.tobytes()
    counts = [int(np.sum(detections.object_id == f"m{k}")) for k in range(len(SITES))]
    order = [
        _nearest_site(la, lo)[0]
        for la, lo in zip(ev.launch_lat_deg, ev.launch_lon_deg, strict=True)
    ]
    assert [counts[k] for k in order] == list(ev.n_detections)


def test_single_satellite_gives_a_flagged_bearing(detections: Detections) -> None:
    own = detections.take(detections.sensor_id == "ir-north")
    ev = estimate_launch_events(own, 200.0)
    assert len(ev) == len(SITES) and not ev.triangulated.any()
    assert np.isnan(ev.sigma_m).all()
    sat = satellites()[0].position
    for la, lo, az in zip(
        ev.launch_lat_deg, ev.launch_lon_deg, ev.bearing_azimuth_deg, strict=True
    ):
        k, d = _nearest_site(la, lo)
        assert d < 30_000.0  # first seen just above the 10 km cloud tops
        # The bearing points at the satellite's sub-point.
        az_sat = pymap3d.ecef2aer(sat[0], sat[1], sat[2], la, lo, 0.0)[0]
        assert abs((az - az_sat + 180.0) % 360.0 - 180.0) < 1e-6
        # The true site lies near the great circle through the estimate along it.
        e, n, _ = pymap3d.geodetic2enu(SITES[k][0], SITES[k][1], 0.0, la, lo, 0.0)
        cross = abs(e * np.cos(np.radians(az)) - n * np.sin(np.radians(az)))
        assert cross < 3_000.0


def test_incremental_feeding_equals_one_batch(detections: Detections) -> None:
    batch = estimate_launch_events(detections, 200.0)
    det = LaunchDetector()
    order = np.argsort(detections.report_time_s, kind="stable")
    sorted_det = detections.take(order)
    for lo in range(0, 200, 7):
        sel = (sorted_det.report_time_s >= lo) & (sorted_det.report_time_s < lo + 7)
        det.add(sorted_det.take(sel))
    inc = det.events()
    for name in ("event_id", "launch_lat_deg", "launch_lon_deg", "n_detections", "triangulated"):
        assert np.array_equal(getattr(inc, name), getattr(batch, name)), name
    with pytest.raises(ValueError, match="order of report_time_s"):
        det.add(sorted_det.take(np.arange(3)))


def test_only_rows_reported_by_now_count(detections: Detections) -> None:
    # At t = 60 s only the first two launches are above the clouds and reported.
    early = estimate_launch_events(detections, 60.0)
    assert len(early) == 2
    late = estimate_launch_events(detections, 200.0)
    # Prefix stability: the early events keep their ids.
    assert list(early.event_id) == list(late.event_id[:2])
    assert np.all(early.first_report_time_s <= 60.0)
    assert estimate_launch_events(detections, 0.0).event_id.size == 0


def test_events_after_every_report_time_equal_a_fresh_estimate(detections: Detections) -> None:
    # events() after each report time keeps fixes whose rows did not change: every
    # field must equal, bit for bit, what a detector fed the same rows at once gives
    order = np.argsort(detections.report_time_s, kind="stable")
    sorted_det = detections.take(order)
    det = LaunchDetector()
    times = np.unique(sorted_det.report_time_s)
    checks = set(times[:: max(len(times) // 12, 1)].tolist()) | {float(times[-1])}
    for t in times.tolist():
        det.add(sorted_det.take(sorted_det.report_time_s == t))
        inc = det.events()
        if t in checks:
            fresh = estimate_launch_events(detections, t)
            for name in fresh.__dict__:
                assert np.array_equal(
                    getattr(inc, name), getattr(fresh, name), equal_nan=name != "event_id"
                ), (t, name)


def test_row_buffers_growing_leave_the_events_as_one_batch_gives(
    detections: Detections, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the LOS columns live in buffers that double when full: with tiny first buffers
    # they grow many times, and every field must still equal the one-batch estimate
    batch = estimate_launch_events(detections, 200.0)
    monkeypatch.setattr(LaunchDetector, "_MIN_BUFFER_ROWS", 4)
    det = LaunchDetector()
    sorted_det = detections.take(np.argsort(detections.report_time_s, kind="stable"))
    for t in np.unique(sorted_det.report_time_s).tolist():
        det.add(sorted_det.take(sorted_det.report_time_s == t))
    assert len(det._ev) > 4 * 8  # grew several times
    inc = det.events()
    for name in batch.__dict__:
        assert np.array_equal(
            getattr(inc, name), getattr(batch, name), equal_nan=name != "event_id"
        ), name
