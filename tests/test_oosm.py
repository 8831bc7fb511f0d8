"""Out-of-sequence scans: reprocessing gives exactly the in-order tracks."""

from __future__ import annotations

import numpy as np
import pytest

from skyweave.tracking import ConstantVelocity, Imm, RadarScan, Tracker, TrackerConfig
from skyweave.tracking.oosm import OosmTracker
from skyweave.tracking.tracker import TrackBatch

SITES = {"r-a": np.array([0.0, 0.0, 0.0]), "r-b": np.array([60_000.0, -20_000.0, 0.0])}
SIG = np.array([40.0, 2e-3, 2e-3])
X0 = np.array(
    [
        [20_000.0, 50_000.0, 8_000.0, 200.0, -100.0, 0.0],
        [25_000.0, 48_000.0, 9_000.0, -150.0, 50.0, 0.0],
        [-10_000.0, 70_000.0, 6_000.0, 250.0, 0.0, 5.0],
        [40_000.0, 30_000.0, 10_000.0, 0.0, 220.0, 0.0],
    ]
)


def _aer(pos: np.ndarray, site: np.ndarray) -> np.ndarray:
    rel = pos - site
    horiz = np.hypot(rel[:, 0], rel[:, 1])
    return np.column_stack(
        [
            np.linalg.norm(rel, axis=1),
            np.arctan2(rel[:, 0], rel[:, 1]),
            np.arctan2(rel[:, 2], horiz),
        ]
    )


def _scans(seed: int = 3, duration_s: float = 40.0) -> list[RadarScan]:
    """Two radars (revisit 1 s and 1.5 s, also one shared look time), 4 targets, clutter."""
    rng = np.random.default_rng(seed)
    scans = []
    for sid, period in (("r-a", 1.0), ("r-b", 1.5)):
        for t in np.arange(0.0, duration_s, period):
            pos = X0[:, :3] + t * X0[:, 3:]
            z = _aer(pos, SITES[sid])[rng.random(len(pos)) < 0.9]
            z = z + rng.normal(size=z.shape) * SIG
            n_fa = rng.poisson(1.0)
            clutter = np.column_stack(
                [
                    rng.uniform(10_000, 90_000, n_fa),
                    rng.uniform(-np.pi, np.pi, n_fa),
                    rng.uniform(0.0, 0.3, n_fa),
                ]
            )
            zz = np.concatenate([z, clutter])[rng.permutation(len(z) + n_fa)]
            scans.append(RadarScan.flat(float(t), sid, SITES[sid], zz, SIG))
    return scans


def _in_order(scans: list[RadarScan], config: TrackerConfig) -> Tracker:
    tracker = Tracker(config)
    for s in sorted(scans, key=lambda s: (s.time_s, s.sensor_id)):
        tracker.process(s)
    return tracker


def _same(a: TrackBatch, b: TrackBatch) -> bool:
    return (
        a.time_s == b.time_s
        and np.array_equal(a.track_id, b.track_id)
        and np.array_equal(a.state, b.state)
        and np.array_equal(a.covariance, b.covariance)
        and np.array_equal(a.sources_mask, b.sources_mask)
        and a.sensor_ids == b.sensor_ids
    )


CONFIGS = {
    "cv": TrackerConfig(motion=ConstantVelocity(5.0)),
    "imm": TrackerConfig(motion=Imm()),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shuffled_within_window_is_bit_identical_to_in_order(name: str) -> None:
    config = CONFIGS[name]
    scans = _scans()
    reference = _in_order(scans, config)
    assert len(reference.confirmed()) >= 4  # the targets are tracked: a real comparison

    rng = np.random.default_rng(8)
    window_s = 8.0
    arrival = np.array([s.time_s for s in scans]) + rng.uniform(0.0, 0.9 * window_s, len(scans))
    oosm = OosmTracker(config, window_s=window_s, checkpoint_interval_s=2.0)
    max_buffered = 0
    for i in np.argsort(arrival, kind="stable"):
        oosm.process(scans[i])
        max_buffered = max(max_buffered, oosm.n_buffered)
    assert oosm.n_late > len(scans) // 4  # many scans really were out of order
    assert oosm.n_dropped == 0
    assert _same(oosm.confirmed(), reference.confirmed())
    assert oosm.n_tracks == reference.n_tracks
    # The buffer holds about a window of scans (2 radars, ~1.7 scans/s), not the run.
    assert max_buffered < 2.0 * (window_s + 2.0) + 4


def test_late_scan_beyond_window_is_dropped_and_counted() -> None:
    config = CONFIGS["cv"]
    scans = _scans()
    oosm = OosmTracker(config, window_s=5.0)
    for s in sorted(scans, key=lambda s: (s.time_s, s.sensor_id)):
        oosm.process(s)
    before = oosm.confirmed()
    n_before = oosm.n_tracks
    late = RadarScan.flat(oosm.time_s - 5.5, "r-a", SITES["r-a"], [[30_000.0, 0.5, 0.1]], SIG)
    after = oosm.process(late)
    assert oosm.n_dropped == 1 and oosm.n_late == 1
    assert _same(after, before) and _same(oosm.confirmed(), before)
    # Just inside the window it is used: an extra report on target 0 moves its track,
    # exactly as in an in-order run that had it.
    t_ok = oosm.time_s - 4.5
    z_ok = _aer(X0[:1, :3] + t_ok * X0[:1, 3:], SITES["r-a"])
    ok = RadarScan.flat(t_ok, "r-a", SITES["r-a"], z_ok, SIG)
    after = oosm.process(ok)
    assert oosm.n_dropped == 1 and oosm.n_reprocessed > 0
    assert not _same(after, before) and oosm.n_tracks == n_before
    assert _same(oosm.confirmed(), _in_order([*scans, ok], config).confirmed())


def test_mixed_delays_equal_in_order_run_of_accepted_scans() -> None:
    """Some delays exceed the window: result = in-order run of exactly the accepted scans."""
    config = CONFIGS["cv"]
    scans = _scans(seed=5, duration_s=30.0)
    rng = np.random.default_rng(1)
    window_s = 4.0
    delay = np.where(rng.random(len(scans)) < 0.15, 7.0, rng.uniform(0.0, 3.0, len(scans)))
    arrival = np.array([s.time_s for s in scans]) + delay
    oosm = OosmTracker(config, window_s=window_s, checkpoint_interval_s=1.0)
    accepted = []
    clock = 0.0
    for i in np.argsort(arrival, kind="stable"):
        if scans[i].time_s >= clock - window_s:  # the rule, stated independently
            accepted.append(scans[i])
            clock = max(clock, scans[i].time_s)
        oosm.process(scans[i])
    n_drop = len(scans) - len(accepted)
    assert n_drop > 0 and oosm.n_dropped == n_drop
    assert _same(oosm.confirmed(), _in_order(accepted, config).confirmed())


def test_same_time_scans_of_two_sensors_in_either_order() -> None:
    """Ties in time are ordered by sensor id, whichever arrives first."""
    config = CONFIGS["cv"]
    scans = [s for s in _scans(duration_s=12.0) if s.time_s in (0.0, 3.0, 6.0, 9.0)]
    fwd = OosmTracker(config, window_s=5.0)
    rev = OosmTracker(config, window_s=5.0)
    for s in sorted(scans, key=lambda s: (s.time_s, s.sensor_id)):
        fwd.process(s)
    by_time = sorted(scans, key=lambda s: (s.time_s, s.sensor_id))
    swapped = [by_time[i ^ 1] for i in range(len(by_time))]  # b before a at each time
    for s in swapped:
        rev.process(s)
    assert rev.n_late == len(scans) // 2
    assert _same(fwd.confirmed(), rev.confirmed())
