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
