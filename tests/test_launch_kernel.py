"""The launch detector's compiled kernels (skyweave.warning.launch_kernel) against NumPy.

Each kernel is checked against an independent NumPy evaluation of the rule the
launch module states (the dense formulas the detector used before the kernels),
on lines of sight from three geostationary satellites through plumes over one
region: most pairs of lines pass within a few hundred km of each other, so the
acceptance limits are exercised on both sides.
"""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest

from skyweave.sensors.infrared import los_ground_intersection
from skyweave.warning.launch_kernel import event_scores, fix_rows, keep_fixes, pair_distance
from skyweave.warning.propagate import ellipsoid_height_m

ASSOCIATION_M, SPEED_MPS, GAP_S = 50_000.0, 5_000.0, 30.0


def _numpy_pair_distance(
    p_a: np.ndarray,
    u_a: np.ndarray,
    c_a: np.ndarray,
    s_a: np.ndarray,
    p_b: np.ndarray,
    u_b: np.ndarray,
    c_b: np.ndarray,
    s_b: np.ndarray,
) -> np.ndarray:
    """Dense (A, B) association distances: cloud-top points for one sensor, closest
    approach of the lines (midpoint between -20 and 1000 km, ahead of both
    satellites) for two."""
    same = s_a[:, None] == s_b[None, :]
    d_same = np.linalg.norm(c_a[:, None, :] - c_b[None, :, :], axis=-1)
    w0 = p_a[:, None, :] - p_b[None, :, :]
    b = np.einsum("ai,bi->ab", u_a, u_b)
    d = np.einsum("abi,ai->ab", w0, u_a)
    e = np.einsum("abi,bi->ab", w0, u_b)
    den = 1.0 - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = (b * e - d) / den
        tb = (e - b * d) / den
    qa = p_a[:, None, :] + ta[..., None] * u_a[:, None, :]
    qb = p_b[None, :, :] + tb[..., None] * u_b[None, :, :]
    d_cross = np.linalg.norm(qa - qb, axis=-1)
    h = ellipsoid_height_m(0.5 * (qa + qb))
    plausible = (h >= -20_000.0) & (h <= 1_000_000.0) & (den > 1e-12) & (ta > 0.0) & (tb > 0.0)
    return np.where(same, d_same, np.where(plausible, d_cross, np.inf))


def _lines(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """n LOS (p, u, c, t, sensor) through plumes 0-300 km up over a 6 x 6 deg region."""
    rng = np.random.default_rng(seed)
    sensor = rng.integers(0, 3, n)
    sat_lon = np.array([20.0, 50.0, 75.0])[sensor]
    p = np.stack(pymap3d.geodetic2ecef(np.zeros(n), sat_lon, np.full(n, 35_786e3)), axis=-1)
    lat, lon = rng.uniform(30.0, 36.0, n), rng.uniform(42.0, 48.0, n)
    x = np.stack(pymap3d.geodetic2ecef(lat, lon, rng.uniform(0.0, 300e3, n)), axis=-1)
    u = (x - p) / np.linalg.norm(x - p, axis=-1, keepdims=True)
    c = los_ground_intersection(p, u, 10_000.0)
    return p, u, c, rng.uniform(0.0, 40.0, n).round(), sensor.astype(np.int64)


def _assert_same_distances(got: np.ndarray, want: np.ndarray) -> None:
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-3)


def test_pair_distance_equals_the_dense_numpy_formula() -> None:
    p_a, u_a, c_a, _, s_a = _lines(60, 1)
    p_b, u_b, c_b, _, s_b = _lines(80, 2)
    got = pair_distance(p_a, u_a, c_a, s_a, p_b, u_b, c_b, s_b)
    want = _numpy_pair_distance(p_a, u_a, c_a, s_a, p_b, u_b, c_b, s_b)
    _assert_same_distances(got, want)
    # both kinds of pair occur, and the crossing limits reject some
    same = s_a[:, None] == s_b[None, :]
    assert same.any() and (~same).any() and np.isinf(want[~same]).any()
    assert np.isfinite(want[~same]).sum() > 100


@pytest.mark.parametrize("polar", [False, True])
def test_crossings_kept_up_to_the_plume_height_limits(polar: bool) -> None:
    # two lines of sight crossing exactly at a point over the equator or the pole:
    # kept from -20 to 1000 km up, rejected beyond (near the limits by the height
    # itself, far from them by the kernel's cheaper radius test)
    from skyweave.constants import WGS84_A_M
    from skyweave.kinematics.earth import WGS84_B_M

    up = np.array([0.0, 0.0, 1.0]) if polar else np.array([1.0, 0.0, 0.0])
    side = np.array([1.0, 0.0, 0.0]) if polar else np.array([0.0, 1.0, 0.0])
    radius = WGS84_B_M if polar else WGS84_A_M
    heights = [-500e3, -21e3, -20.5e3, -19.5e3, 0.0, 999.5e3, 1000.5e3, 1001.5e3, 5e6]
    for h in heights:
        x = (radius + h) * up
        u_a = -(up + 0.3 * side) / np.linalg.norm(up + 0.3 * side)
        u_b = -(up - 0.4 * side) / np.linalg.norm(up - 0.4 * side)
        p_a, p_b = x - 4e7 * u_a, x - 4e7 * u_b
        got = pair_distance(
            p_a[None], u_a[None], np.zeros((1, 3)), np.zeros(1, dtype=np.int64),
            p_b[None], u_b[None], np.zeros((1, 3)), np.ones(1, dtype=np.int64),
        )[0, 0]  # fmt: skip
        want = _numpy_pair_distance(
            p_a[None], u_a[None], np.zeros((1, 3)), np.zeros(1, dtype=np.int64),
            p_b[None], u_b[None], np.zeros((1, 3)), np.ones(1, dtype=np.int64),
        )[0, 0]  # fmt: skip
        assert np.isfinite(got) == (-20e3 <= h <= 1000e3), h
        assert got == want or (np.isfinite(got) and abs(got - want) < 1e-3)


def test_event_scores_equal_the_numpy_rule() -> None:
    p, u, c, t, s = _lines(40, 3)
    pool_p, pool_u, pool_c, pool_t, pool_s = _lines(300, 4)
    rng = np.random.default_rng(5)
    n_events = 25
    pool_event = rng.integers(0, n_events, len(pool_t)).astype(np.int64)
    # where each sensor first saw each event and how far the plume has moved since
    # (NaN: never seen); some new rows come back near a start
    start = np.full((n_events, 3, 3), np.nan)
    moved = np.full((n_events, 3), np.nan)
    seen = rng.random((n_events, 3)) < 0.6
    start[seen] = c[rng.integers(0, len(t), seen.sum())]
    moved[seen] = rng.uniform(0.0, 150e3, seen.sum())
    events, column = np.unique(pool_event, return_inverse=True)
    best_same, best_cross = event_scores(
        p, u, c, t, s, pool_p, pool_u, pool_c, pool_t, pool_s, pool_event,
        column.astype(np.int64), len(events), start, moved, ASSOCIATION_M, SPEED_MPS, GAP_S,
    )  # fmt: skip

    dist = _numpy_pair_distance(p, u, c, s, pool_p, pool_u, pool_c, pool_s)
    dt = np.abs(t[:, None] - pool_t[None, :])
    with np.errstate(invalid="ignore"):
        ratio = np.where(dt <= GAP_S, dist / (ASSOCIATION_M + SPEED_MPS * dt), np.inf)
        back_m = np.linalg.norm(c[:, None, :] - start[pool_event][:, s].transpose(1, 0, 2), axis=-1)
        came_back = back_m < (moved[pool_event][:, s].T - 0.5 * ASSOCIATION_M)
    score = np.where((ratio <= 1.0) & ~came_back, ratio + dt / GAP_S, np.inf)
    same = s[:, None] == pool_s[None, :]
    for k in range(len(events)):
        cols = column == k
        want_same = np.where(same[:, cols], score[:, cols], np.inf).min(axis=1)
        want_cross = np.where(same[:, cols], np.inf, score[:, cols]).min(axis=1)
        _assert_same_distances(best_same[:, k], want_same)
        _assert_same_distances(best_cross[:, k], want_cross)
    assert came_back.any() and np.isfinite(best_same).any() and np.isfinite(best_cross).any()


def _numpy_fix_rows(t: np.ndarray, rank: np.ndarray, n_fixes: int) -> tuple:
    """The fix's rows as the launch module states them, with NumPy set operations."""
    ranks, first_idx = np.unique(rank, return_index=True)
    if len(ranks) < 2:
        return ranks, -1, None, None, None, 0
    second = int(np.argsort(t[first_idx], kind="stable")[1])
    t_refs = np.unique(t[rank == ranks[second]])[:n_fixes]
    pick = np.empty((len(t_refs), len(ranks)), dtype=np.int64)
    best_dt = np.empty((len(t_refs), len(ranks)))
    for j, r in enumerate(ranks):
        mine = np.flatnonzero(rank == r)
        dt = np.abs(t[mine][None, :] - t_refs[:, None])
        best = np.argmin(dt, axis=1)
        pick[:, j] = mine[best]
        best_dt[:, j] = dt[np.arange(len(t_refs)), best]
    n_eff = min(len(np.unique(pick[:, j])) for j in range(len(ranks)))
    return ranks, second, t_refs, pick, best_dt, n_eff


@pytest.mark.parametrize("seed", range(6))
def test_fix_rows_equal_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    # frames on a coarse grid, so that sensors tie on first time and rows on distance
    t = rng.integers(0, 12, n).astype(float) * 1.5
    rank = rng.integers(0, 4, n).astype(np.int64)
    got = fix_rows(t, rank, 3)
    want = _numpy_fix_rows(t, rank, 3)
    assert np.array_equal(got[0], want[0]) and got[1] == want[1] and got[5] == want[5]
    if want[1] >= 0:
        for g, w in zip(got[2:5], want[2:5], strict=True):
            assert np.array_equal(g, w)


def test_kept_fixes_are_the_fixes_all_rows_give() -> None:
    # keep_fixes says a fix stands when the new rows leave it as it was: then the
    # rows picked from all the rows must be the rows picked before
    rng = np.random.default_rng(7)
    n_fixes, kept = 3, 0
    for _ in range(300):
        n_old = int(rng.integers(2, 15))
        n_new = int(rng.integers(1, 5))
        t = np.sort(rng.integers(0, 16, n_old + n_new).astype(float))
        code = rng.integers(0, 3, n_old + n_new).astype(np.int64)
        ranks, second, t_refs, pick, best_dt, _ = fix_rows(t[:n_old], code[:n_old], n_fixes)
        in_basis = np.zeros((1, 3), dtype=bool)
        in_basis[0, ranks] = True
        refs = np.full((1, n_fixes), np.nan)
        dts = np.full((1, n_fixes, 3), np.nan)
        if second >= 0:
            refs[0, : len(t_refs)] = t_refs
            dts[0, : len(t_refs), ranks] = best_dt.T
        first = np.array([t[:n_old].min()])
        keep = keep_fixes(
            np.array([0]), np.array([n_old + n_new]), np.zeros(n_new, dtype=np.int64),
            t[n_old:], t[n_old:] + 1.0, code[n_old:], np.array([2 if second >= 0 else 1]),
            in_basis, np.array([ranks[second] if second >= 0 else -1]), refs,
            np.array([len(t_refs)]), dts, n_fixes, first, first.copy(),
            np.array([t[:n_old].max()]), np.array([n_old]),
        )[0]  # fmt: skip
        if keep:
            kept += 1
            again = fix_rows(t, code, n_fixes)
            assert np.array_equal(again[0], ranks) and again[1] == second
            if second >= 0:
                assert np.array_equal(again[2], t_refs) and np.array_equal(again[3], pick)
    assert 20 < kept < 300


def test_components_numbered_by_first_row_as_scipy_finds_them() -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from skyweave.warning.launch import _first_row_of_component

    rng = np.random.default_rng(8)
    for n in (1, 2, 7, 40, 120):
        adj = rng.random((n, n)) < 2.0 / n  # sparse, directed: made undirected
        adj |= np.eye(n, dtype=bool)
        first = _first_row_of_component(adj)
        i, j = np.nonzero(adj)
        _, labels = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)))
        # the same partition, each part labelled by its least row
        same_a = first[:, None] == first[None, :]
        assert np.array_equal(same_a, labels[:, None] == labels[None, :])
        assert np.all(first <= np.arange(n)) and np.all(first[first] == first)
