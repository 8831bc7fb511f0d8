"""The metrics' near-pair search (a k-d tree over position and step) against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from skyweave.analysis.metrics import _near_pairs


def _brute(a_step, a_pos, b_step, b_pos, radius_m):  # type: ignore[no-untyped-def]
    out = []
    for i in range(len(a_step)):
        for j in range(len(b_step)):
            if a_step[i] != b_step[j]:
                continue
            d = float(np.sqrt(((a_pos[i] - b_pos[j]) ** 2).sum()))
            if d < radius_m:
                out.append((i, j, d))
    return out


@pytest.mark.parametrize("radius_m", [2.0, 3.0, 1e4, np.inf])
def test_near_pairs_are_every_same_step_pair_within_the_radius(radius_m: float) -> None:
    rng = np.random.default_rng(7)
    # clustered points over a few steps, ECEF-sized offsets, some rows not finite
    a_step = np.sort(rng.integers(0, 5, 60))
    b_step = np.sort(rng.integers(0, 5, 45))
    centre = np.array([4.0e6, 3.0e6, 3.5e6])
    a_pos = centre + rng.normal(0.0, 2.0, (60, 3))
    b_pos = centre + rng.normal(0.0, 2.0, (45, 3))
    a_pos[3] = np.nan
    b_pos[10, 1] = np.inf
    ia, ib, d = _near_pairs(a_step, a_pos, b_step, b_pos, radius_m)
    expected = _brute(a_step, a_pos, b_step, b_pos, radius_m)
    assert list(zip(ia.tolist(), ib.tolist(), strict=True)) == [(i, j) for i, j, _ in expected]
    # the same distances to the bit as the straightforward formula
    assert d.tolist() == [x for _, _, x in expected]
    assert len(expected) > 0


def test_no_pairs_when_a_side_is_empty_or_not_finite() -> None:
    pos = np.zeros((2, 3))
    ia, ib, d = _near_pairs(np.zeros(2, np.int64), pos, np.zeros(0, np.int64), pos[:0], 5.0)
    assert ia.size == ib.size == d.size == 0
    nan = np.full((2, 3), np.nan)
    ia, _, _ = _near_pairs(np.zeros(2, np.int64), pos, np.zeros(2, np.int64), nan, 5.0)
    assert ia.size == 0


def _track_to_threat_row_by_row(tracks, truth, gate_m):  # type: ignore[no-untyped-def]
    """The per-track-row nearest truth (the form the k-d tree search replaced)."""
    from collections import Counter

    t_truth = truth.column("time_s").to_numpy()
    ids = truth.column("object_id").to_pylist()
    xyz = np.column_stack([truth.column(c).to_numpy() for c in ("x_m", "y_m", "z_m")])
    votes: dict = {}
    first_on: dict = {}
    for row in tracks.to_pylist():
        at = np.flatnonzero(t_truth == row["time_s"])
        if not at.size:
            continue
        dist = np.linalg.norm(xyz[at] - [row["x_m"], row["y_m"], row["z_m"]], axis=1)
        j = int(np.argmin(dist))
        if dist[j] > gate_m:
            continue
        key = (row["partner"], row["track_id"])
        votes.setdefault(key, Counter())[ids[at[j]]] += 1
        first_on.setdefault((*key, ids[at[j]]), row["time_s"])
    return {
        k: (c.most_common(1)[0][0], first_on[(*k, c.most_common(1)[0][0])])
        for k, c in votes.items()
    }


def test_track_to_threat_equals_the_row_by_row_nearest_truth() -> None:
    """Tracks on and off the truth's time grid, near one object, between two, far from
    all: the same threat and first time for every track as a nearest truth per row."""
    import pyarrow as pa

    from skyweave.analysis.warning_times import track_to_threat

    rng = np.random.default_rng(3)
    times = np.repeat(np.arange(20.0), 6)
    truth = pa.table(
        {
            "time_s": times,
            "object_id": [f"o{k}" for k in range(6)] * 20,
            "x_m": rng.uniform(0, 60e3, times.size),
            "y_m": rng.uniform(0, 60e3, times.size),
            "z_m": rng.uniform(0, 20e3, times.size),
        }
    )
    n = 400
    pick = rng.integers(0, times.size, n)
    t_tr = np.where(rng.random(n) < 0.1, times[pick] + 0.5, times[pick])  # some off the grid
    jitter = rng.normal(0.0, 6e3, (n, 3))
    track_cols = {
        "time_s": t_tr,
        "partner": rng.choice(["north", "east"], n).tolist(),
        "track_id": rng.integers(0, 15, n),
        **{
            c: truth.column(c).to_numpy()[pick] + jitter[:, i]
            for i, c in enumerate(("x_m", "y_m", "z_m"))
        },
    }
    tracks = pa.table(track_cols)
    got = track_to_threat(tracks, truth, 10_000.0)
    assert len(got) > 10
    assert got == _track_to_threat_row_by_row(tracks, truth, 10_000.0)
