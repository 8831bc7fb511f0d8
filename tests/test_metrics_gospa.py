"""GOSPA against Stone Soup's GOSPAMetric, brute force and closed forms."""

from __future__ import annotations

import datetime
import itertools

import numpy as np
import pytest
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.ospametric import GOSPAMetric
from stonesoup.types.state import State

from skyweave.analysis.metrics import gospa, gospa_series

T0 = datetime.datetime(2024, 1, 1)
PARTS = ("distance", "localisation", "missed", "false")


def _states(points: np.ndarray, t_s: float) -> list[State]:
    when = T0 + datetime.timedelta(seconds=t_s)
    return [State(p.reshape(-1, 1), timestamp=when) for p in points]


def _random_sets(rng: np.random.Generator, n_steps: int, d: int, spread: float):
    """Rows of truths and tracks over time, counts 0..6 (empty sets included)."""
    truth_t, truth_x, track_t, track_x = [], [], [], []
    for k in range(n_steps):
        n, m = rng.integers(0, 7, size=2)
        x = rng.uniform(0.0, spread, size=(n, d))
        # Tracks: some near truths, some anywhere.
        near = x[rng.integers(0, n, size=m)] + rng.normal(0, 1.5, (m, d)) if n else None
        y = rng.uniform(0.0, spread, size=(m, d))
        if near is not None:
            use = rng.random(m) < 0.7
            y[use] = near[use]
        truth_t += [float(k)] * n
        truth_x.append(x)
        track_t += [float(k)] * m
        track_x.append(y)
    return (
        np.array(truth_t),
        np.concatenate(truth_x),
        np.array(track_t),
        np.concatenate(track_x),
    )


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(("c", "p"), [(5.0, 1.0), (3.0, 2.0), (10.0, 1.5)])
def test_series_matches_stonesoup_over_time(d: int, c: float, p: float) -> None:
    rng = np.random.default_rng(100 * d + int(10 * c) + int(10 * p))
    truth_t, truth_x, track_t, track_x = _random_sets(rng, n_steps=25, d=d, spread=12.0)
    times = np.arange(25, dtype=float)
    ours = gospa_series(times, truth_t, truth_x, track_t, track_x, c_m=c, p=p)

    metric = GOSPAMetric(c=c, p=p, measure=Euclidean())
    truths = [s for k in range(25) for s in _states(truth_x[truth_t == k], k)]
    tracks = [s for k in range(25) for s in _states(track_x[track_t == k], k)]
    truth_ids = list(range(len(truths)))  # ids only feed the (zero) switching term
    track_ids = list(range(len(tracks)))
    ref = metric.compute_over_time(tracks, track_ids, truths, truth_ids).value

    ref_times = np.array([(r.timestamp - T0).total_seconds() for r in ref])
    steps = ref_times.astype(int)
    for part in PARTS:
        expected = np.array([r.value[part] for r in ref], dtype=float)
        np.testing.assert_allclose(getattr(ours, part)[steps], expected, rtol=1e-6, atol=1e-9)
    # Steps Stone Soup skips have neither truths nor tracks: GOSPA 0.
    empty = np.setdiff1d(np.arange(25), steps)
    assert np.all(ours.distance[empty] == 0.0)
    half = c**p / 2
    np.testing.assert_allclose(ours.missed, ours.missed_count * half)
    np.testing.assert_allclose(ours.false, ours.false_count * half)


@pytest.mark.parametrize("d", [2, 3])
def test_single_matches_stonesoup_including_empty_sets(d: int) -> None:
    rng = np.random.default_rng(d)
    metric = GOSPAMetric(c=4.0, p=2.0, measure=Euclidean())
    for _ in range(150):
        n, m = rng.integers(0, 6, size=2)
        if n == 0 and m == 0:
            continue
        x = rng.uniform(0, 8, (n, d))
        y = rng.uniform(0, 8, (m, d))
        ref, _ = metric.compute_gospa_metric(_states(y, 0.0), _states(x, 0.0))
        ours = gospa(x.reshape(n, d), y.reshape(m, d), 4.0, 2.0)
        for part in PARTS:
            assert getattr(ours, part) == pytest.approx(ref.value[part], rel=1e-6, abs=1e-12)


def test_clustered_steps_use_solver_and_agree_with_single_calls() -> None:
    """Dense clusters (several neighbours within c) take the assignment-solver path;
    well separated ones the closed-form path. Both equal the per-time function."""
    rng = np.random.default_rng(7)
    truth_t, truth_x, track_t, track_x = _random_sets(rng, n_steps=60, d=3, spread=4.0)
    times = np.arange(60, dtype=float)
    for c in (0.5, 3.0, 50.0):
        series = gospa_series(times, truth_t, truth_x, track_t, track_x, c_m=c, p=1.0)
        for k in range(60):
            one = gospa(truth_x[truth_t == k], track_x[track_t == k], c, 1.0)
            assert series.distance[k] == pytest.approx(one.distance, rel=1e-12)
            assert series.localisation[k] == pytest.approx(one.localisation, rel=1e-12)
            assert series.missed_count[k] == one.missed_count
            assert series.false_count[k] == one.false_count


def test_brute_force_small_sets() -> None:
    """Minimum over every partial assignment of sum min(d, c)^p + c^p/2 per left-over."""
    rng = np.random.default_rng(3)
    c, p = 2.0, 1.0
    for _ in range(100):
        n, m = (int(v) for v in rng.integers(0, 5, size=2))
        x = rng.uniform(0, 4, (n, 2))
        y = rng.uniform(0, 4, (m, 2))
        best = np.inf
        k = min(n, m)
        for rows in itertools.permutations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                d = np.linalg.norm(x[list(rows)] - y[list(cols)], axis=1) if k else np.zeros(0)
                total = np.sum(np.minimum(d, c) ** p) + (n + m - 2 * k) * c**p / 2
                best = min(best, total)
        assert gospa(x, y, c, p).distance == pytest.approx(best ** (1 / p), rel=1e-12)


def test_closed_forms() -> None:
    c, p = 10.0, 2.0
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3)), c, p).distance == 0.0
    one_missed = gospa(np.zeros((1, 3)), np.zeros((0, 3)), c, p)
    assert one_missed.distance == pytest.approx(np.sqrt(c**2 / 2))
    assert one_missed.missed_count == 1 and one_missed.false_count == 0
    # A track farther than c is one missed target and one false track.
    far = gospa(np.zeros((1, 3)), np.array([[0.0, 0.0, 11.0]]), c, p)
    assert (far.missed_count, far.false_count, far.localisation) == (1, 1, 0.0)
    assert far.distance == pytest.approx(c)
    near = gospa(np.zeros((1, 3)), np.array([[3.0, 4.0, 0.0]]), c, p)
    assert near.distance == pytest.approx(5.0)
    np.testing.assert_array_equal(near.assignment, [[0, 0]])


def test_series_rejects_rows_off_the_grid() -> None:
    with pytest.raises(ValueError, match="not one of the evaluation times"):
        gospa_series([0.0, 1.0], [0.5], [[0.0, 0.0]], [], np.zeros((0, 2)), c_m=1.0, p=1.0)
    with pytest.raises(ValueError, match="order p"):
        gospa(np.zeros((1, 2)), np.zeros((1, 2)), 1.0, 0.5)
