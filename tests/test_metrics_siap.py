"""SIAP and track-to-truth association against Stone Soup's SIAPMetrics and TrackToTruth."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from stonesoup.dataassociator.tracktotrack import TrackToTruth
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.manager import MultiManager
from stonesoup.metricgenerator.tracktotruthmetrics import SIAPMetrics
from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState
from stonesoup.types.state import State
from stonesoup.types.track import Track

from skyweave.analysis.metrics import associate_tracks_to_truth, siap

T0 = datetime.datetime(2024, 1, 1)
SS_TITLES = {
    "completeness": "SIAP Completeness",
    "ambiguity": "SIAP Ambiguity",
    "spuriousness": "SIAP Spuriousness",
    "position_accuracy_m": "SIAP Position Accuracy",
    "velocity_accuracy_mps": "SIAP Velocity Accuracy",
    "rate_of_track_number_change_per_s": "SIAP Rate of Track Number Change",
    "longest_track_segment": "SIAP Longest Track Segment",
}

Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # step, id, pos, vel


def _scenario(seed: int, n_steps: int = 40, n_truths: int = 4, n_tracks: int = 8, d: int = 3):
    """Truths on random walks with random lifetimes; tracks that follow a truth
    with noise, jump to another truth now and then, and sometimes report junk.
    Every object reports at each step of its lifetime (Stone Soup's accuracy
    step needs a state at every associated time)."""
    rng = np.random.default_rng(seed)
    truth: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for j in range(n_truths):
        a = int(rng.integers(0, n_steps // 2))
        b = int(rng.integers(a + 1, n_steps))
        x = rng.uniform(0, 30, d)
        v = rng.normal(0, 1, d)
        for s in range(a, b + 1):
            x = x + v + rng.normal(0, 0.3, d)
            truth[(s, j)] = (x.copy(), v.copy())
    tracks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k in range(n_tracks):
        a = int(rng.integers(0, n_steps - 2))
        b = int(rng.integers(a + 1, n_steps))
        target = int(rng.integers(0, n_truths))
        for s in range(a, b + 1):
            if rng.random() < 0.1:
                target = int(rng.integers(0, n_truths))
            if (s, target) in truth and rng.random() > 0.15:
                x, v = truth[(s, target)]
                tracks[(s, k)] = (x + rng.normal(0, 1.5, d), v + rng.normal(0, 0.5, d))
            else:
                tracks[(s, k)] = (rng.uniform(0, 30, d), rng.normal(0, 1, d))
    return np.arange(n_steps, dtype=float), _rows(truth), _rows(tracks)


def _rows(table: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]) -> Rows:
    keys = sorted(table)
    return (
        np.array([k[0] for k in keys], dtype=np.int64),
        np.array([k[1] for k in keys], dtype=np.int64),
        np.array([table[k][0] for k in keys]),
        np.array([table[k][1] for k in keys]),
    )


def _stonesoup(times: np.ndarray, truth: Rows, tracks: Rows, thr: float, confirm: int, end: int):
    """Stone Soup's SIAP values and its association ranges as (track, truth, s0, s1)."""
    d = truth[2].shape[1]

    def when(step: int) -> datetime.datetime:
        return T0 + datetime.timedelta(seconds=float(times[step]))

    paths: dict[int, GroundTruthPath] = {}
    for s, j, x, v in zip(*truth, strict=True):
        paths.setdefault(int(j), GroundTruthPath()).append(
            GroundTruthState(np.r_[x, v].reshape(-1, 1), timestamp=when(s))
        )
    trks: dict[int, Track] = {}
    for s, k, x, v in zip(*tracks, strict=True):
        trks.setdefault(int(k), Track()).append(
            State(np.r_[x, v].reshape(-1, 1), timestamp=when(s))
        )
    pos = Euclidean(mapping=tuple(range(d)))
    vel = Euclidean(mapping=tuple(range(d, 2 * d)))
    manager = MultiManager(
        [SIAPMetrics(position_measure=pos, velocity_measure=vel)],
        associator=TrackToTruth(
            association_threshold=thr,
            consec_pairs_confirm=confirm,
            consec_misses_end=end,
            measure=pos,
        ),
    )
    manager.add_data({"tracks": set(trks.values()), "groundtruth_paths": set(paths.values())})
    values = manager.generate_metrics()["siap_generator"]
    track_of = {id(t): k for k, t in trks.items()}
    truth_of = {id(t): j for j, t in paths.items()}
    ranges = set()
    for assoc in manager.association_set:
        objs = list(assoc.objects)
        trk = next(o for o in objs if id(o) in track_of)
        tru = next(o for o in objs if id(o) in truth_of)
        # Stone Soup merges one pair's ranges into a CompoundTimeRange.
        parts = getattr(assoc.time_range, "time_ranges", [assoc.time_range])
        for part in parts:
            s0 = int(np.searchsorted(times, (part.start - T0).total_seconds()))
            s1 = int(np.searchsorted(times, (part.end - T0).total_seconds()))
            ranges.add((track_of[id(trk)], truth_of[id(tru)], s0, s1))
    return {key: values[title].value for key, title in SS_TITLES.items()}, ranges


def _ours(times: np.ndarray, truth: Rows, tracks: Rows, thr: float, confirm: int, end: int):
    result = siap(
        times,
        times[truth[0]],
        truth[1],
        truth[2],
        truth[3],
        times[tracks[0]],
        tracks[1],
        tracks[2],
        tracks[3],
        threshold_m=thr,
        consec_pairs_confirm=confirm,
        consec_misses_end=end,
    )
    assoc = associate_tracks_to_truth(
        times.size, truth[0], truth[1], truth[2], tracks[0], tracks[1], tracks[2], thr, confirm, end
    )
    ranges = set(
        zip(
            assoc.track.tolist(),
            assoc.truth.tolist(),
            assoc.start_step.tolist(),
            assoc.end_step.tolist(),
            strict=True,
        )
    )
    return result, ranges


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(("thr", "confirm", "end"), [(4.0, 3, 2), (6.0, 2, 3), (3.0, 4, 1)])
def test_siap_matches_stonesoup(seed: int, thr: float, confirm: int, end: int) -> None:
    times, truth, tracks = _scenario(seed, d=2 + seed % 2)
    ref, ref_ranges = _stonesoup(times, truth, tracks, thr, confirm, end)
    ours, ranges = _ours(times, truth, tracks, thr, confirm, end)
    assert ranges == ref_ranges
    for key, value in ref.items():
        assert getattr(ours, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key


def test_uneven_time_grid_matches_stonesoup() -> None:
    times, truth, tracks = _scenario(5)
    times = np.cumsum(np.random.default_rng(0).uniform(0.5, 3.0, times.size)).round(3)
    ref, ref_ranges = _stonesoup(times, truth, tracks, 4.0, 3, 2)
    ours, ranges = _ours(times, truth, tracks, 4.0, 3, 2)
    assert ranges == ref_ranges
    for key, value in ref.items():
        assert getattr(ours, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key


def test_takeover_starting_before_previous_end() -> None:
    """Stone Soup's bookkeeping quirk: a hit on the current truth between two
    misses resets the miss count but not the competing candidate's count, so the
    taking-over association starts (step 3) before the previous one ends (4)."""
    a, b = np.array([0.0, 0.0]), np.array([100.0, 0.0])
    times = np.arange(10, dtype=float)
    truth = (
        np.repeat(np.arange(10), 2),
        np.tile([0, 1], 10),
        np.tile(np.stack([a, b]), (10, 1)),
        np.zeros((20, 2)),
    )
    near = [a, a, a, b, a, b, b, b, b, b]
    tracks = (
        np.arange(10),
        np.zeros(10, dtype=np.int64),
        np.array(near) + 0.5,
        np.zeros((10, 2)),
    )
    ref, ref_ranges = _stonesoup(times, truth, tracks, 5.0, 3, 2)
    ours, ranges = _ours(times, truth, tracks, 5.0, 3, 2)
    assert ranges == ref_ranges == {(0, 0, 0, 4), (0, 1, 3, 9)}
    for key, value in ref.items():
        assert getattr(ours, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key


def test_perfect_tracking_closed_form() -> None:
    """One track per truth, offset by 3-4-0 m: C = A = LS = 1, S = R = 0, PA = 5 m."""
    times = np.arange(20, dtype=float)
    steps = np.repeat(np.arange(20), 3)
    ids = np.tile(np.arange(3), 20)
    pos = np.stack([ids * 1000.0, steps * 10.0, np.zeros(60)], axis=1)
    vel = np.zeros((60, 3))
    result = siap(
        times, times[steps], ids, pos, vel, times[steps], ids, pos + [3.0, 4.0, 0.0], vel, 100.0
    )
    # The first two reports come before confirmation but the association is
    # back-dated to the first, as in Stone Soup.
    assert result.completeness == pytest.approx(1.0)
    assert result.ambiguity == pytest.approx(1.0)
    assert result.spuriousness == pytest.approx(0.0)
    assert result.position_accuracy_m == pytest.approx(5.0)
    assert result.rate_of_track_number_change_per_s == 0.0
    assert result.longest_track_segment == pytest.approx(1.0)
    assert result.n_associations == 3


def _one_truth_case(near: dict[int, list[int]], n_steps: int = 10):
    """Truth 0 at the origin for all steps; each track reports at the steps in
    its list, 1 m from the truth, and 1 km away at the other steps of its life."""
    times = np.arange(n_steps, dtype=float)
    truth = (
        np.arange(n_steps),
        np.zeros(n_steps, dtype=np.int64),
        np.zeros((n_steps, 2)),
        np.zeros((n_steps, 2)),
    )
    rows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k, (first, last, close) in enumerate(near.values()):
        for s in range(first, last + 1):
            x = np.array([1.0, 0.0]) if s in close else np.array([1000.0, 0.0])
            rows[(s, k)] = (x, np.zeros(2))
    return times, truth, _rows(rows)


def test_tracks_needed_ranks_by_last_end_of_all_pair_ranges() -> None:
    """At step 1 both tracks cover the truth; Stone Soup takes the one whose
    *merged* association ends last (track 0, ranges [1,5] and [8,9]), jumps to
    the end of its range covering step 1 (5), and needs 3 tracks: R = 2 / 7 s."""
    times, truth, tracks = _one_truth_case(
        {"P": [0, 9, [1, 2, 3, 4, 5, 8, 9]], "Q": [0, 7, [1, 2, 3, 4, 5, 6, 7]]}
    )
    ref, ref_ranges = _stonesoup(times, truth, tracks, 5.0, 2, 2)
    ours, ranges = _ours(times, truth, tracks, 5.0, 2, 2)
    assert ranges == ref_ranges == {(0, 0, 1, 5), (0, 0, 8, 9), (1, 0, 1, 7)}
    assert ours.rate_of_track_number_change_per_s == pytest.approx(2 / 7)
    for key, value in ref.items():
        assert getattr(ours, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key


def test_tracks_needed_stops_where_stonesoup_stops() -> None:
    """Stone Soup stops counting when the chosen association ends at the current
    time (step 5 here), so the later track (steps 7-9) is not counted: R = 1 / 7 s."""
    times, truth, tracks = _one_truth_case(
        {"P": [0, 4, [0, 1, 2, 3, 4]], "Q": [0, 5, [2, 3, 4, 5]], "R": [7, 9, [7, 8, 9]]}
    )
    ref, ref_ranges = _stonesoup(times, truth, tracks, 5.0, 2, 2)
    ours, ranges = _ours(times, truth, tracks, 5.0, 2, 2)
    assert ranges == ref_ranges == {(0, 0, 0, 4), (1, 0, 2, 5), (2, 0, 7, 9)}
    assert ours.rate_of_track_number_change_per_s == pytest.approx(1 / 7)
    for key, value in ref.items():
        assert getattr(ours, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key


def test_threshold_is_strict() -> None:
    """A track exactly at the threshold distance (3-4-5) is never associated."""
    times = np.arange(6, dtype=float)
    truth = (np.arange(6), np.zeros(6, np.int64), np.zeros((6, 2)), np.zeros((6, 2)))
    tracks = (np.arange(6), np.zeros(6, np.int64), np.tile([3.0, 4.0], (6, 1)), np.zeros((6, 2)))
    ref, ref_ranges = _stonesoup(times, truth, tracks, 5.0, 2, 2)
    ours, ranges = _ours(times, truth, tracks, 5.0, 2, 2)
    assert ranges == ref_ranges == set()
    assert ours.completeness == ref["completeness"] == 0.0
    ours, ranges = _ours(times, truth, tracks, 5.0 + 1e-9, 2, 2)
    assert ranges == {(0, 0, 0, 5)}
