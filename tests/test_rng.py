"""Reused tick generators draw what new ones draw."""

from __future__ import annotations

import numpy as np

from skyweave.rng import TickRngs, tick_rng


def test_reused_tick_generators_draw_as_new_ones() -> None:
    rngs = TickRngs()
    calls = [(3, "link/a/tracks", 0), (3, "link/b/tracks", 0), (3, "link/a/tracks", 5),
             (3, "link/a/tracks", 5), (8, "link/a/tracks", 5), (3, "link/b/tracks", 2)]  # fmt: skip
    for seed, name, tick in calls:
        got, want = rngs.get(seed, name, tick), tick_rng(seed, name, tick)
        # odd sizes leave partial buffers behind for the next reset to clear
        for draw in (
            lambda g: g.random(5),
            lambda g: g.standard_normal((3, 3)),
            lambda g: g.integers(0, 2**31, 3, dtype=np.uint32),
        ):
            np.testing.assert_array_equal(draw(got), draw(want))
