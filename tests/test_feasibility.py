"""Engagement feasibility against a closed form and a brute-force scalar root finder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pymap3d
import pytest
from numpy.typing import NDArray
from scipy.optimize import brentq

from skyweave.c2.feasibility import (
    BatteryEnvelopes,
    EngagementWindows,
    engagement_windows,
    ground_range_m,
    tabulated_trajectory,
)
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.scenario.schema import Battery

LAT0, LON0 = 45.0, 15.0
G = 9.81


def _enu_to_ecef(
    e: NDArray[np.float64], n: NDArray[np.float64], u: NDArray[np.float64]
) -> NDArray[np.float64]:
    x, y, z = pymap3d.enu2ecef(e, n, u, LAT0, LON0, 0.0)
    return np.stack([np.asarray(x), np.asarray(y), np.asarray(z)], axis=-1)


class Parabolas:
    """Tracks on local-frame parabolas (constant gravity), NaN below the tangent plane."""

    def __init__(self, p0: NDArray[np.float64], v0: NDArray[np.float64], g: NDArray[np.float64]):
        self.p0, self.v0, self.g = p0, v0, g  # (K, 3) ENU, (K,) gravity

    def enu(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        t = np.asarray(t, dtype=np.float64)
        p = self.p0[:, None, :] + self.v0[:, None, :] * t[..., None]
        p[..., 2] -= 0.5 * self.g[:, None] * t**2
        return p

    def __call__(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        p = self.enu(t)
        out = _enu_to_ecef(p[..., 0], p[..., 1], p[..., 2])
        return np.where((p[..., 2:3] >= 0.0), out, np.nan)

    def one(self, k: int, t: float) -> NDArray[np.float64]:
        return np.asarray(self(np.full((len(self.g), 1), t))[k, 0])


def _random_case(seed: int) -> tuple[BatteryEnvelopes, Parabolas]:
    rng = np.random.default_rng(seed)
    nb, nk = 3, 4
    be = rng.uniform(-30e3, 30e3, nb)
    bn = rng.uniform(-30e3, 30e3, nb)
    lat, lon, alt = pymap3d.enu2geodetic(be, bn, np.zeros(nb), LAT0, LON0, 0.0)
    bats = BatteryEnvelopes.from_arrays(
        [f"b{i}" for i in range(nb)],
        lat,
        lon,
        alt,
        rng.uniform(2e3, 5e3, nb),
        rng.uniform(60e3, 150e3, nb),
        rng.uniform(50.0, 500.0, nb),
        rng.uniform(20e3, 40e3, nb),
        rng.uniform(900.0, 2_000.0, nb),
    )
    # Two ballistic-like descents from 150-250 km out, one fast climber passing
    # over (h not monotone: it recedes faster than some interceptors), one cruise.
    az = rng.uniform(0, 2 * np.pi, nk)
    dist = rng.uniform(150e3, 250e3, nk)
    p0 = np.stack([dist * np.sin(az), dist * np.cos(az), rng.uniform(40e3, 80e3, nk)], -1)
    speed = np.array([2_000.0, 2_500.0, 3_000.0, 250.0])
    v0 = -p0 / np.linalg.norm(p0, axis=-1, keepdims=True) * speed[:, None]
    v0[2, 2] = 600.0  # climbing
    p0[3, 2] = 5_000.0
    v0[3] = -p0[3] / np.linalg.norm(p0[3, :2]) * 250.0
    v0[3, 2] = 0.0
    g = np.array([G, G, G, 0.0])
    return bats, Parabolas(p0, v0, g)


def _brute_force(
    bats: BatteryEnvelopes, traj: Parabolas, bi: int, k: int, t_launch: float, t_end: float
) -> float:
    """First root of t - |p(t) - b| / v - t_L over a 0.01 s scan, refined by brentq."""
    b = bats.ecef_m[bi]
    v = bats.flyout_speed_mps[bi]

    def f(t: float) -> float:
        return float(t - np.linalg.norm(traj.one(k, t) - b) / v - t_launch)

    grid = np.arange(t_launch, t_end, 0.01)
    row = np.full((len(traj.g), grid.size), np.nan)
    row[k] = grid
    pts = traj(np.where(np.isnan(row), 0.0, row))[k]
    vals = grid - np.linalg.norm(pts - b, axis=-1) / v - t_launch
    ok = np.isfinite(vals)
    cross = np.flatnonzero(ok[:-1] & ok[1:] & (vals[:-1] < 0.0) & (vals[1:] >= 0.0))
    if cross.size == 0:
        return np.nan
    i = cross[0]
    return float(brentq(f, grid[i], grid[i + 1], xtol=1e-12, rtol=1e-15))


def _sphere_range(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by n-vectors (an independent formula from the haversine)."""

    def nvec(la: float, lo: float) -> NDArray[np.float64]:
        la, lo = np.radians(la), np.radians(lo)
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    a, b = nvec(lat1, lon1), nvec(lat2, lon2)
    return float(R_EARTH_MEAN_M * np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b))


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_brute_force_root_finder(seed: int) -> None:
    bats, traj = _random_case(seed)
    tau = np.arange(0.0, 400.0, 1.0)
    launch = np.arange(0.0, 250.0, 10.0)
    ids = [f"t{k}" for k in range(4)]
    w = engagement_windows(bats, traj, ids, tau, launch)
    n_found = n_feasible = 0
    for bi in range(3):
        for k in range(4):
            for li, tl in enumerate(launch):
                ref = _brute_force(bats, traj, bi, k, float(tl), float(tau[-1]))
                got = w.intercept_time_s[bi, k, li]
                if np.isnan(ref):
                    assert np.isnan(got), (bi, k, tl, got)
                    assert not w.feasible[bi, k, li]
                    continue
                n_found += 1
                assert got == pytest.approx(ref, abs=1e-6), (bi, k, tl)
                p = traj.one(k, ref)
                np.testing.assert_allclose(w.intercept_ecef_m[bi, k, li], p, atol=1e-2)
                # Flight: straight line at the average speed.
                flown = np.linalg.norm(p - bats.ecef_m[bi]) / bats.flyout_speed_mps[bi]
                assert got - tl == pytest.approx(flown, abs=1e-6)
                lat, lon, alt = pymap3d.ecef2geodetic(*p)
                rng_m = _sphere_range(bats.lat_deg[bi], bats.lon_deg[bi], float(lat), float(lon))
                inside = (
                    bats.min_range_m[bi] <= rng_m <= bats.max_range_m[bi]
                    and bats.min_alt_m[bi] <= alt <= bats.max_alt_m[bi]
                )
                assert w.feasible[bi, k, li] == inside, (bi, k, tl, rng_m, alt)
                n_feasible += inside
    # The random geometries exercise both outcomes.
    assert n_found > 50 and 10 < n_feasible < n_found


def test_closed_form_head_on() -> None:
    # A track diving straight at the battery along a fixed line: distance D0 - u t,
    # so t_i = (D0 + v t_L) / (u + v).
    bats = BatteryEnvelopes.from_arrays(
        ["b"], [LAT0], [LON0], [0.0], [1e3], [200e3], [100.0], [100e3], [1_500.0]
    )
    d0, u, v = 120e3, 2_500.0, 1_500.0
    el, az = np.radians(25.0), np.radians(70.0)
    unit_enu = np.array([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)])

    def traj(t: NDArray[np.float64]) -> NDArray[np.float64]:
        r = np.maximum(d0 - u * t, 0.0)
        e, n, up = (r * c for c in unit_enu)
        out = _enu_to_ecef(e, n, up)
        return np.where((d0 - u * t >= 0.0)[..., None], out, np.nan)

    launch = np.arange(0.0, 40.0, 2.0)
    w = engagement_windows(bats, traj, ["t"], np.arange(0.0, 60.0, 0.5), launch)
    expected = (d0 + v * launch) / (u + v)
    ok = d0 - u * expected >= 0.0
    np.testing.assert_allclose(w.intercept_time_s[0, 0][ok], expected[ok], rtol=0, atol=1e-7)
    # Ground range of the intercept points: the horizontal distance, within 1 %
    # (sub-point on the sphere vs. the tangent plane at up to 50 km altitude).
    r = d0 - u * expected
    inside = ok & (r * np.cos(el) >= 1e3 * 0.99) & (r * np.sin(el) >= 100.0)
    assert w.feasible[0, 0].sum() >= 10
    assert np.all(w.feasible[0, 0] <= ok)
    np.testing.assert_allclose(w.ground_range_m[0, 0][inside], (r * np.cos(el))[inside], rtol=1e-2)
    assert w.earliest_launch_s[0, 0] == 0.0
    last = launch[w.feasible[0, 0]][-1]
    assert w.latest_launch_s[0, 0] == last
    assert w.latest_intercept_time_s[0, 0] == pytest.approx((d0 + v * last) / (u + v))


def test_envelope_availability_and_next_launch() -> None:
    bats, traj = _random_case(3)
    tau = np.arange(0.0, 400.0, 1.0)
    launch = np.arange(0.0, 250.0, 5.0)
    ids = ["a", "b", "c", "d"]
    w = engagement_windows(bats, traj, ids, tau, launch)
    late = np.array([100.0, 0.0, 50.0])
    w2 = engagement_windows(bats, traj, ids, tau, launch, available_from_s=late)
    np.testing.assert_array_equal(
        w2.feasible, w.feasible & (launch[None, None, :] >= late[:, None, None])
    )
    np.testing.assert_array_equal(w.intercept_time_s, w2.intercept_time_s)
    # next_launch agrees with a scan of the mask.
    after = 60.0
    lt, ti, pi = w.next_launch(after)
    for bi in range(3):
        for k in range(4):
            idx = np.flatnonzero(w.feasible[bi, k] & (launch >= after))
            if idx.size == 0:
                assert np.isnan(lt[bi, k]) and np.all(np.isnan(pi[bi, k]))
                assert w.opportunity(bats.battery_id[bi], ids[k], after) is None
            else:
                assert lt[bi, k] == launch[idx[0]]
                assert ti[bi, k] == w.intercept_time_s[bi, k, idx[0]]
                opp = w.opportunity(bats.battery_id[bi], ids[k], after)
                assert opp is not None and opp.launch_time_s == lt[bi, k]
                assert opp.intercept_ecef_m == tuple(w.intercept_ecef_m[bi, k, idx[0]])
    # Feasible launches: inside the envelope.
    f = w.feasible
    assert np.all(
        w.ground_range_m[f] <= np.broadcast_to(bats.max_range_m[:, None, None], f.shape)[f]
    )
    assert np.all(
        w.intercept_alt_m[f] >= np.broadcast_to(bats.min_alt_m[:, None, None], f.shape)[f]
    )
    # Earliest / latest are the first / last feasible grid launch.
    for bi in range(3):
        for k in range(4):
            times = launch[f[bi, k]]
            if times.size:
                assert w.earliest_launch_s[bi, k] == times[0]
                assert w.latest_launch_s[bi, k] == times[-1]
            else:
                assert np.isnan(w.earliest_launch_s[bi, k])


def test_from_scenario_and_deterministic() -> None:
    bats = BatteryEnvelopes.from_scenario(
        [Battery(id="x", partner="north", lat_deg=LAT0, lon_deg=LON0, max_range_km=90.0)]
    )
    assert bats.max_range_m[0] == 90e3 and bats.min_alt_m[0] == 50.0
    assert bats.flyout_speed_mps[0] == 1_200.0
    _, traj = _random_case(4)
    tau = np.arange(0.0, 300.0, 1.0)
    w1 = engagement_windows(bats, traj, list("abcd"), tau)
    w2 = engagement_windows(bats, traj, list("abcd"), tau)
    np.testing.assert_array_equal(w1.intercept_time_s, w2.intercept_time_s)
    np.testing.assert_array_equal(w1.feasible, w2.feasible)


def test_bad_inputs() -> None:
    bats, traj = _random_case(5)
    with pytest.raises(ValueError, match="sample_times_s"):
        engagement_windows(bats, traj, list("abcd"), [0.0, 0.0])
    with pytest.raises(ValueError, match="trajectory"):
        engagement_windows(bats, lambda t: np.zeros((*t.shape, 2)), list("abc"), np.arange(10.0))
    with pytest.raises(ValueError, match="flyout_speed"):
        BatteryEnvelopes.from_arrays(["b"], [0], [0], [0], [0], [1], [0], [1], [0.0])
    empty = engagement_windows(bats, traj, [], np.arange(10.0))
    assert empty.feasible.shape == (3, 0, 10)
    assert empty.earliest_intercept_ecef_m.shape == (3, 0, 3)
    no_launch = engagement_windows(bats, traj, list("abcd"), np.arange(10.0), np.array([]))
    assert np.isnan(no_launch.latest_launch_s).all()
    assert no_launch.latest_intercept_ecef_m.shape == (3, 4, 3)


def test_ground_range_haversine() -> None:
    # A quarter of a great circle.
    assert ground_range_m(0.0, 0.0, 0.0, 90.0) == pytest.approx(np.pi / 2 * R_EARTH_MEAN_M)
    assert ground_range_m(10.0, 20.0, 10.0, 20.0) == 0.0


def test_tabulated_trajectory_hermite_and_linear() -> None:
    # A parabola is reproduced exactly by cubic Hermite with exact velocities.
    t = np.arange(0.0, 20.0, 2.0)
    p0 = np.array([[1e6, 2e6, 3e6], [0.0, 5e6, 1e6]])
    v0 = np.array([[100.0, -50.0, 30.0], [-10.0, 0.0, 200.0]])
    acc = np.array([[0.0, 0.0, -9.81], [1.0, 2.0, 3.0]])
    pos = p0[:, None] + v0[:, None] * t[:, None] + 0.5 * acc[:, None] * t[:, None] ** 2
    vel = v0[:, None] + acc[:, None] * t[:, None]
    states = np.concatenate([pos, vel], axis=-1)
    states[1, -1] = np.nan  # track 1's prediction ends before the last sample
    traj = tabulated_trajectory(t, states)
    q = np.array([[0.0, 3.3, 17.9, 18.0, 18.5], [0.0, 7.25, 15.9, 16.0, 16.5]])
    got = traj(q)
    exact = p0[:, None] + v0[:, None] * q[..., None] + 0.5 * acc[:, None] * q[..., None] ** 2
    np.testing.assert_allclose(got[0, :4], exact[0, :4], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[1, :4], exact[1, :4], rtol=0, atol=1e-6)
    assert np.all(np.isnan(got[0, 4])) and np.all(np.isnan(got[1, 4]))
    lin = tabulated_trajectory(t, pos[:1])
    mid = lin(np.array([[1.0]]))[0, 0]
    np.testing.assert_allclose(mid, 0.5 * (pos[0, 0] + pos[0, 1]))
    with pytest.raises(ValueError, match="states"):
        tabulated_trajectory(t, pos[:, :3])


_PICKED = ("launch_s", "intercept_time_s", "intercept_ecef_m")


def _windows_equal(w1: EngagementWindows, w2: EngagementWindows) -> None:
    picks = [f"{w}_{x}" for w in ("earliest", "latest") for x in _PICKED]
    for name in [f.name for f in dataclasses.fields(w1)] + picks:
        a, b = getattr(w1, name), getattr(w2, name)
        if isinstance(a, np.ndarray):
            assert a.shape == b.shape and a.tobytes() == b.tobytes(), name
        else:
            assert a == b, name


def test_tabulated_pairs_and_any_callable_give_the_same_bits() -> None:
    # A tabulated trajectory evaluates (track, time) pairs with the row-call's
    # arithmetic; any other callable gets its rows padded: the windows agree bit for bit.
    bats, parabolas = _random_case(3)
    t = np.arange(0.0, 300.0, 1.5)
    q = np.broadcast_to(t, (4, t.size))
    pos = parabolas(q)
    vel = np.gradient(np.nan_to_num(pos), t, axis=1)
    states = np.concatenate([pos, np.where(np.isnan(pos), np.nan, vel)], axis=-1)
    traj = tabulated_trajectory(t, states)
    # at its table times the trajectory is its table (engagement_windows reads it so)
    assert traj(q).tobytes() == np.ascontiguousarray(states[..., :3]).tobytes()
    rng = np.random.default_rng(0)
    k = rng.integers(0, 4, 500)
    times = rng.uniform(-5.0, 305.0, 500)
    rows = np.full((4, 500), 0.0)
    rows[k, np.arange(500)] = times
    assert traj.at(k, times).tobytes() == traj(rows)[k, np.arange(500)].tobytes()
    launch = np.arange(0.0, 250.0, 5.0)
    w = engagement_windows(bats, traj, list("abcd"), t, launch)
    _windows_equal(w, engagement_windows(bats, lambda x: traj(x), list("abcd"), t, launch))
    assert w.feasible.any()


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_compiled_intercept_search_gives_the_numpy_bits(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The compiled Illinois search on a Hermite table (feasibility_kernel) repeats the
    # NumPy iteration operation for operation: every window field agrees bit for bit.
    from skyweave.c2 import feasibility

    bats, parabolas = _random_case(seed)
    t = np.arange(0.0, 300.0, 8.0)
    pos = parabolas(np.broadcast_to(t, (4, t.size)))
    vel = np.gradient(np.nan_to_num(pos), t, axis=1)
    traj = tabulated_trajectory(t, np.concatenate([pos, np.where(np.isnan(pos), np.nan, vel)], -1))
    launch = np.arange(0.0, 250.0, 5.0)
    compiled = engagement_windows(bats, traj, list("abcd"), t, launch)
    monkeypatch.setattr(
        feasibility,
        "_illinois_tabulated",
        lambda trajectory, *rest: feasibility._illinois(trajectory.at, *rest),
    )
    _windows_equal(compiled, engagement_windows(bats, traj, list("abcd"), t, launch))
    assert compiled.feasible.any()


def _bisected_first_at_least(running_max: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The batched bisection _first_at_least replaced (targets (R, L) per row)."""
    r, m = running_max.shape
    lo = np.zeros(target.shape, dtype=np.int64)
    hi = np.full(target.shape, m, dtype=np.int64)
    rows = np.arange(r)[:, None]
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        below = running_max[rows, np.minimum(mid, m - 1)] < target
        lo = np.where(active & below, mid + 1, lo)
        hi = np.where(active & ~below, mid, hi)


def test_first_at_least_counts_what_the_bisection_found() -> None:
    from skyweave.c2.feasibility import _first_at_least

    rng = np.random.default_rng(11)
    for m, nl in ((1, 1), (7, 5), (60, 40), (33, 1)):
        h = np.round(rng.normal(50.0, 30.0, (25, m)))  # ties with the targets
        h[rng.random(h.shape) < 0.2] = -np.inf
        h[3] = -np.inf
        h[4] = np.inf
        running = np.maximum.accumulate(h, axis=-1)
        targets = np.round(rng.uniform(0.0, 100.0, nl))
        targets[: nl // 3] = np.sort(targets[: nl // 3])[::-1]  # unsorted, duplicates
        for t in (targets, np.sort(targets), np.where(np.arange(nl) == 0, np.nan, targets)):
            want = _bisected_first_at_least(running, np.broadcast_to(t, (25, nl)))
            assert np.array_equal(_first_at_least(running, t), want)


def test_distances_coordinates_apart_are_norms_to_the_bit() -> None:
    """engagement_windows (and the reach box) take distances coordinates apart:
    np.linalg.norm's own arithmetic, squares summed in axis order."""
    rng = np.random.default_rng(2)
    p = rng.normal(0.0, 4e6, (30, 50, 3))
    p[rng.random((30, 50)) < 0.2] = np.nan
    b = rng.normal(0.0, 4e6, (7, 3))
    want = np.linalg.norm(p[None, :, :, :] - b[:, None, None, :], axis=-1)
    dx, dy, dz = (p[None, :, :, c] - b[:, c, None, None] for c in range(3))
    got = np.sqrt((dx * dx + dy * dy) + dz * dz)
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
