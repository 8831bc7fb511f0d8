"""Track-to-track fusion: covariance intersection, partner and coalition pictures."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest

from skyweave.tracking.fusion import (
    CoalitionPicture,
    FusionConfig,
    PartnerPicture,
    RemoteTracks,
    covariance_intersection,
)
from skyweave.tracking.motion import Ballistic
from skyweave.tracking.tracker import TrackBatch


def _random_pd(rng: np.random.Generator, n: int = 6, scale: float = 1.0) -> np.ndarray:
    a = rng.normal(size=(n, n)) * scale
    return a @ a.T + 0.1 * scale**2 * np.eye(n)


def _min_eig_whitened(p: np.ndarray, true: np.ndarray) -> float:
    """Smallest eigenvalue of I - L^-1 true L^-T with P = L L^T (>= 0 iff P >= true)."""
    lo = np.linalg.cholesky(p)
    li = np.linalg.inv(lo)
    return float(np.linalg.eigvalsh(np.eye(p.shape[0]) - li @ true @ li.T).min())


# ---------------------------------------------------------------- CI itself
@pytest.mark.parametrize("criterion", ["trace", "det"])
def test_ci_bounds_true_error_for_any_correlation(criterion: str) -> None:
    """Errors e_a = Fa z, e_b = Fb z share components of z (correlation unknown to CI).

    The fused error is K_a e_a + K_b e_b with K_a = w P A^-1, K_b = (1-w) P B^-1; its
    covariance (closed form) must lie below the CI covariance for every draw.
    """
    rng = np.random.default_rng(11)
    n_draw = 300
    fa = rng.normal(size=(n_draw, 6, 12)) * rng.uniform(0.5, 30.0, size=(n_draw, 1, 1))
    fb = rng.normal(size=(n_draw, 6, 12)) * rng.uniform(0.5, 30.0, size=(n_draw, 1, 1))
    share = rng.uniform(0.0, 1.0, size=(n_draw, 1, 1))  # from independent to fully shared
    fb[:, :, :6] = (
        share * fa[:, :, :6] * rng.uniform(0.5, 2.0, size=(n_draw, 1, 1))
        + (1 - share) * fb[:, :, :6]
    )
    a = fa @ np.swapaxes(fa, 1, 2)
    b = fb @ np.swapaxes(fb, 1, 2)
    xa = rng.normal(size=(n_draw, 6))
    xb = rng.normal(size=(n_draw, 6))
    x, p, w = covariance_intersection(xa, a, xb, b, criterion)  # type: ignore[arg-type]
    assert np.all((w >= 0.0) & (w <= 1.0))
    ka = w[:, None, None] * p @ np.linalg.inv(a)
    kb = (1.0 - w)[:, None, None] * p @ np.linalg.inv(b)
    np.testing.assert_allclose(ka + kb, np.broadcast_to(np.eye(6), ka.shape), atol=1e-8)
    g = ka @ fa + kb @ fb
    true = g @ np.swapaxes(g, 1, 2)
    worst = min(_min_eig_whitened(p[i], true[i]) for i in range(n_draw))
    assert worst > -1e-8
    # The fused mean is the CI combination.
    pinv = w[:, None, None] * np.linalg.inv(a) + (1 - w)[:, None, None] * np.linalg.inv(b)
    rhs = (
        w[:, None] * (np.linalg.inv(a) @ xa[:, :, None])[:, :, 0]
        + (1 - w)[:, None] * (np.linalg.inv(b) @ xb[:, :, None])[:, :, 0]
    )
    np.testing.assert_allclose(x, np.linalg.solve(pinv, rhs[:, :, None])[:, :, 0], atol=1e-6)


def test_ci_monte_carlo_with_correlated_errors() -> None:
    """Sample covariance of fused errors: matches the closed form and lies below P."""
    rng = np.random.default_rng(5)
    fa = rng.normal(size=(6, 9)) * 50.0
    fb = rng.normal(size=(6, 9)) * 40.0
    fb[:, :4] = 0.9 * fa[:, :4]  # strongly correlated errors
    a, b = fa @ fa.T, fb @ fb.T
    truth = np.array([4.0e6, 1.0e6, 4.8e6, 1500.0, -800.0, 300.0])
    n = 4000
    z = rng.normal(size=(n, 9))
    ea, eb = z @ fa.T, z @ fb.T
    x, p, w = covariance_intersection(
        truth + ea, np.broadcast_to(a, (n, 6, 6)), truth + eb, np.broadcast_to(b, (n, 6, 6))
    )
    assert np.ptp(w) == 0.0 and 0.0 < w[0] < 1.0
    err = x - truth
    sample = err.T @ err / n
    ka = w[0] * p[0] @ np.linalg.inv(a)
    kb = (1 - w[0]) * p[0] @ np.linalg.inv(b)
    g = ka @ fa + kb @ fb
    closed = g @ g.T
    # Sampling error of a whitened 6x6 covariance from 4000 samples is a few percent.
    lo = np.linalg.cholesky(closed)
    li = np.linalg.inv(lo)
    eig = np.linalg.eigvalsh(li @ sample @ li.T)
    assert np.all(np.abs(eig - 1.0) < 0.12)
    assert _min_eig_whitened(p[0], sample) > -0.12
    # Naive independent fusion (information sum) is overconfident here.
    naive = np.linalg.inv(np.linalg.inv(a) + np.linalg.inv(b))
    assert _min_eig_whitened(naive, sample) < -0.5


@pytest.mark.parametrize("criterion", ["trace", "det"])
def test_ci_weight_is_the_grid_minimum(criterion: str) -> None:
    """The bisection weight beats a brute-force grid; trace (or det) <= both inputs'."""
    rng = np.random.default_rng(2)
    k = 40
    a = np.stack([_random_pd(rng, scale=s) for s in rng.uniform(1, 100, k)])
    b = np.stack([_random_pd(rng, scale=s) for s in rng.uniform(1, 100, k)])
    _, p, _ = covariance_intersection(np.zeros((k, 6)), a, np.ones((k, 6)), b, criterion)  # type: ignore[arg-type]
    grid = np.linspace(0.0, 1.0, 2001)
    ia, ib = np.linalg.inv(a), np.linalg.inv(b)
    pg = np.linalg.inv(
        grid[None, :, None, None] * ia[:, None] + (1 - grid)[None, :, None, None] * ib[:, None]
    )
    if criterion == "trace":
        ours = np.trace(p, axis1=1, axis2=2)
        best = np.trace(pg, axis1=2, axis2=3).min(axis=1)
        assert np.all(
            ours
            <= np.minimum(np.trace(a, axis1=1, axis2=2), np.trace(b, axis1=1, axis2=2))
            * (1 + 1e-12)
        )
    else:
        ours = np.linalg.slogdet(p)[1]
        best = np.linalg.slogdet(pg)[1].min(axis=1)
        assert np.all(ours <= np.minimum(np.linalg.slogdet(a)[1], np.linalg.slogdet(b)[1]) + 1e-12)
    assert np.all(ours <= best + 1e-9 * np.abs(best))


def test_ci_of_identical_estimates_is_exact() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 6)) * 1e6
    p = np.stack([_random_pd(rng, scale=30.0) for _ in range(5)])
    xf, pf, _ = covariance_intersection(x, p, x.copy(), p.copy())
    assert np.array_equal(xf, x) and np.array_equal(pf, p)


# ------------------------------------------------------------ picture helpers
# Different shapes (as two radars far apart see a target): CI gains over both.
_P_OWN = np.diag(np.array([300.0, 120.0, 150.0, 20.0, 12.0, 15.0]) ** 2)
_P_REM = np.diag(np.array([120.0, 300.0, 200.0, 12.0, 25.0, 20.0]) ** 2)


def _batch(
    time_s: float, ids: list[int], x: np.ndarray, cov: np.ndarray, sensors: tuple[str, ...]
) -> TrackBatch:
    k = len(ids)
    p = np.broadcast_to(cov, (k, 6, 6)).copy()
    return TrackBatch(
        time_s=time_s,
        track_id=np.asarray(ids, dtype=np.int64),
        state=np.asarray(x, dtype=np.float64).reshape(k, 6),
        covariance=p,
        pos_sigma_m=np.sqrt(np.trace(p[:, :3, :3], axis1=1, axis2=2)),
        sources_mask=np.ones((k, len(sensors)), dtype=bool),
        sensor_ids=sensors,
    )


def _remote(
    origin: str,
    time_s: float,
    ids: list[int],
    x: np.ndarray,
    cov: np.ndarray,
    sensors: tuple[str, ...],
) -> RemoteTracks:
    return RemoteTracks.from_batch(origin, _batch(time_s, ids, x, cov, sensors))


def _threats(n: int = 3) -> np.ndarray:
    """ECEF states of ``n`` ballistic threats in midcourse, ~25 km apart."""
    out = []
    for i in range(n):
        pos = np.array(pymap3d.geodetic2ecef(48.0 + 0.2 * i, 20.0 + 0.1 * i, 120_000.0))
        vel = np.array(pymap3d.enu2uvw(2_000.0, 300.0 * i, 800.0, 48.0, 20.0))
        out.append(np.concatenate([pos, vel]))
    return np.array(out)


def _truth_at(x0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(T, N, 6) truth by integrating free flight in ECEF (fine steps)."""
    model = Ballistic(frame="ecef", max_step_s=0.5)
    out = np.empty((times.size, *x0.shape))
    x = x0.copy()
    t_prev = 0.0
    for k, t in enumerate(times):
        x, _ = model.propagate(x, float(t - t_prev))
        t_prev = float(t)
        out[k] = x
    return out


# ------------------------------------------------------------------ pictures
def test_identical_own_and_remote_give_the_same_state() -> None:
    x = _threats(2)
    pic = PartnerPicture("north")
    pic.receive(_remote("east", 10.0, [7, 8], x, _P_OWN, ("e-radar",)))
    out = pic.update(10.0, _batch(10.0, [1, 2], x, _P_OWN, ("n-radar",)))
    assert len(out) == 2
    assert np.array_equal(out.state, x) and np.array_equal(out.covariance[0], _P_OWN)
    assert out.contributors == [[("north", 1), ("east", 7)], [("north", 2), ("east", 8)]]
    assert out.sources == [["e-radar", "n-radar"], ["e-radar", "n-radar"]]
    assert list(out.picture_number) == [1, 2]


def test_fusion_shrinks_covariance_and_keeps_separate_threats_apart() -> None:
    rng = np.random.default_rng(4)
    x = _threats(3)
    own = x[:2] + rng.normal(size=(2, 6)) * np.sqrt(np.diag(_P_OWN))
    rem = x[1:] + rng.normal(size=(2, 6)) * np.sqrt(np.diag(_P_REM))
    pic = PartnerPicture("north")
    pic.receive(_remote("east", 5.0, [3, 4], rem, _P_REM, ("e1",)))
    out = pic.update(5.0, _batch(5.0, [1, 2], own, _P_OWN, ("n1",)))
    assert len(out) == 3  # threat 0 own only, threat 1 fused, threat 2 remote only
    by_con = {tuple(c): k for k, c in enumerate(out.contributors)}
    fused = by_con[(("north", 2), ("east", 3))]
    assert out.sources[fused] == ["e1", "n1"]
    best_input = min(np.sqrt(np.trace(c[:3, :3])) for c in (_P_OWN, _P_REM))
    assert out.pos_sigma_m[fused] < 0.9 * best_input
    assert out.sources[by_con[(("east", 4),)]] == ["e1"]
    assert out.sources[by_con[(("north", 1),)]] == ["n1"]


def test_stale_remote_tracks_are_dropped() -> None:
    x = _threats(2)
    pic = PartnerPicture("north", FusionConfig(max_age_s=10.0))
    pic.receive(_remote("east", 0.0, [7], x[:1], _P_REM, ("e1",)))
    pic.receive(_remote("west", 8.0, [3], x[1:], _P_REM, ("w1",)))
    own = _batch(0.0, [1], x[:1], _P_OWN, ("n1",))
    out = pic.update(9.0, own)
    assert sorted(map(tuple, out.contributors)) == [(("north", 1), ("east", 7)), (("west", 3),)]
    out = pic.update(10.5, own)  # east's track is 10.5 s old: gone, with its sources
    assert out.n_stale_dropped == 1 and pic.n_remote == 1
    assert sorted(map(tuple, out.contributors)) == [(("north", 1),), (("west", 3),)]
    assert "e1" not in {s for row in out.sources for s in row}


def test_older_remote_message_does_not_overwrite_newer() -> None:
    x = _threats(1)
    pic = PartnerPicture("north")
    pic.receive(_remote("east", 6.0, [7], x, _P_REM, ("e1",)))
    pic.receive(_remote("east", 4.0, [7], x + 1e4, _P_REM, ("e1",)))  # arrives late
    out = pic.update(6.0)
    np.testing.assert_array_equal(out.state, x)
    pic.receive(_remote("east", 7.0, [8], x, _P_REM, ("e1",)), snapshot=True)
    assert pic.update(7.0).contributors == [[("east", 8)]]


def _picture_run(swap_remote: str, swap_own: bool) -> tuple[list[dict[int, int]], list[object]]:
    """Own (north) and remote (east) noisy tracks of 3 threats; returns threat -> number.

    North sees threats 0 and 1 (ids 1, 2), East sees 0, 1, 2 (ids 7, 8, 9) and its
    messages arrive 1.5 s after their time of validity, every 2 s. From 20 s to 26 s
    a tracker has two ids swapped: East's on threats 0 and 1 (``swap_remote="01"``)
    or on threats 1 and 2 (``"12"``, threat 2 being East's alone), or North's.
    """
    rng = np.random.default_rng(21)
    times = np.arange(0.0, 60.0, 1.0)
    truth = _truth_at(_threats(3), np.arange(0.0, 60.0, 0.5))
    truth_at = {float(t): truth[k] for k, t in enumerate(np.arange(0.0, 60.0, 0.5))}
    pic = PartnerPicture("north")
    numbers: list[dict[int, int]] = []
    pictures: list[object] = []
    for t in times:
        swapped = 20.0 <= t <= 26.0
        if t >= 2.0 and t % 2.0 == 0.0:
            tov = t - 1.5
            xr = truth_at[tov] + rng.normal(size=(3, 6)) * np.sqrt(np.diag(_P_REM))
            ids = {"01": [8, 7, 9], "12": [7, 9, 8]}.get(swap_remote, []) if swapped else []
            ids = ids or [7, 8, 9]
            pic.receive(_remote("east", tov, ids, xr, _P_REM, ("e1",)), snapshot=True)
        xo = truth_at[t][:2] + rng.normal(size=(2, 6)) * np.sqrt(np.diag(_P_OWN))
        ids_own = [2, 1] if (swap_own and swapped) else [1, 2]
        out = pic.update(t, _batch(t, ids_own, xo, _P_OWN, ("n1",)))
        pictures.append(out)
        if t < 2.0:
            continue  # East's first message is due at 2 s
        # Which picture number sits on each threat (nearest fused track).
        d = np.linalg.norm(out.state[:, None, :3] - truth_at[t][None, :, :3], axis=2)
        near = d.argmin(axis=0)
        assert np.all(d[near, np.arange(3)] < 2_000.0)
        numbers.append({j: int(out.picture_number[near[j]]) for j in range(3)})
    return numbers, pictures


@pytest.mark.parametrize(
    ("swap_remote", "swap_own"), [("", False), ("01", False), ("12", False), ("", True)]
)
def test_threat_keeps_one_picture_number_through_id_swap(swap_remote: str, swap_own: bool) -> None:
    numbers, pictures = _picture_run(swap_remote, swap_own)
    for j in range(3):
        assert {n[j] for n in numbers} == {numbers[0][j]}, f"threat {j} changed number"
    assert len(set(numbers[0].values())) == 3
    # Once East's tracks arrive, threats 0 and 1 are fused from both partners.
    last = pictures[-1]
    assert len(last) == 3  # type: ignore[arg-type]
    fused = [c for c in last.contributors if len(c) == 2]  # type: ignore[attr-defined]
    assert len(fused) == 2


def test_naive_remote_id_numbering_would_flip() -> None:
    """The swap really changes which remote id sits on which threat (the test can fail)."""
    _, pictures = _picture_run("01", False)
    on_threat0 = set()
    for out in pictures[20:27]:  # the swapped updates
        for c in out.contributors:  # type: ignore[attr-defined]
            if ("north", 1) in c:
                on_threat0 |= {tid for o, tid in c if o == "east"}
    assert on_threat0 == {8}


def test_coalition_picture_fuses_every_partner() -> None:
    rng = np.random.default_rng(9)
    x = _threats(2)
    coal = CoalitionPicture()
    sig = np.sqrt(np.diag(_P_OWN))
    for t in (0.0, 1.0, 2.0):
        rel = {
            "north": _batch(t, [1], x[:1] + rng.normal(size=(1, 6)) * sig, _P_OWN, ("n1",)),
            "east": _batch(t, [5, 6], x + rng.normal(size=(2, 6)) * sig, _P_OWN, ("e1", "e2")),
            "west": _batch(t, [9], x[:1] + rng.normal(size=(1, 6)) * sig, _P_OWN, ("w1",)),
        }
        out = coal.update_from(t, rel)
        assert list(out.picture_number) == [1, 2]
    assert out.contributors == [[("east", 5), ("north", 1), ("west", 9)], [("east", 6)]]
    assert out.sources == [["e1", "e2", "n1", "w1"], ["e1", "e2"]]
    # Three-way CI is at least as good as the best single input.
    assert out.pos_sigma_m[0] <= np.sqrt(np.trace(_P_OWN[:3, :3])) + 1e-9
    tab = out.to_arrow(contributors=True)
    assert tab.column("contributors").to_pylist()[0] == ["east:5", "north:1", "west:9"]


def test_empty_snapshot_clears_an_origin() -> None:
    x = _threats(2)
    coal = CoalitionPicture()
    coal.update_from(0.0, {"north": _batch(0.0, [1, 2], x, _P_OWN, ("n1",))})
    empty = _batch(1.0, [], np.zeros((0, 6)), _P_OWN, ("n1",))
    x1 = _truth_at(x[:1], np.array([1.0]))[0]
    out = coal.update_from(1.0, {"north": empty, "east": _batch(1.0, [4], x1, _P_REM, ("e1",))})
    # North's tracks are gone; East's track of threat 0 continues its number.
    assert out.contributors == [[("east", 4)]] and list(out.picture_number) == [1]


def test_picture_is_deterministic() -> None:
    a, _ = _picture_run("12", True)
    b, _ = _picture_run("12", True)
    assert a == b


def test_vote_cost_equals_the_dense_score_form() -> None:
    """The number assignment's cost from the voted cells only is the dense form's
    matrix bit for bit (repeated cells summed in order, a zero weight, many numbers)."""
    from skyweave.tracking.fusion import _vote_cost

    rng = np.random.default_rng(7)
    for n_f, n_c, n_v in ((1, 1, 1), (5, 3, 12), (40, 25, 90), (300, 280, 700)):
        row = rng.integers(0, n_f, n_v)
        col = rng.integers(0, n_c, n_v)
        weight = np.where(rng.random(n_v) < 0.5, 1.0, rng.random(n_v))
        weight[0] = 0.0
        score = np.zeros((n_f, n_c))
        np.add.at(score, (row, col), weight)
        tie = 1e-9 * np.arange(n_c) / max(n_c, 1)
        dense = np.where(score > 0.0, -(score - tie[None, :]), 0.0)
        got = _vote_cost(n_f, n_c, row, col, weight)
        assert got.tobytes() == dense.tobytes()


def test_votes_settle_equals_numpy_form() -> None:
    """The compiled settle test answers as the ufunc.at form it replaced."""
    from skyweave.tracking.fusion_kernel import votes_settle

    def numpy_form(n_f: int, vote_g: np.ndarray, vote_n: np.ndarray) -> bool:
        lo = np.full(n_f, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(n_f, -1, dtype=np.int64)
        np.minimum.at(lo, vote_g, vote_n)
        np.maximum.at(hi, vote_g, vote_n)
        return bool(np.all(hi >= 0) and np.array_equal(lo, hi) and np.unique(lo).size == n_f)

    rng = np.random.default_rng(12)
    answers = set()
    for n_f in (1, 2, 5, 30):
        for _ in range(200):
            numbers = rng.permutation(3 * n_f)[:n_f] + 1
            vote_g = np.repeat(np.arange(n_f), rng.integers(1, 3, n_f))
            if rng.random() < 0.3:  # a track without a vote
                vote_g = vote_g[vote_g != rng.integers(n_f)]
            vote_n = numbers[vote_g].astype(np.int64)
            if rng.random() < 0.3 and vote_n.size:  # a split or a shared number
                vote_n[rng.integers(vote_n.size)] = rng.integers(1, 3 * n_f + 1)
            order = rng.permutation(vote_g.size)
            vote_g, vote_n = vote_g[order].astype(np.int64), vote_n[order]
            want = numpy_form(n_f, vote_g, vote_n)
            assert votes_settle(n_f, vote_g, vote_n) == want
            answers.add(want)
    assert answers == {True, False}


def test_sorted_in_equals_isin() -> None:
    """The compiled membership test of the sorted correlation table is np.isin's."""
    from skyweave.tracking.fusion_kernel import sorted_in

    rng = np.random.default_rng(21)
    for n, m in ((0, 3), (5, 0), (1, 1), (40, 12), (300, 90)):
        for _ in range(20):
            table = np.sort(rng.integers(0, 2 * n + 2, n)).astype(np.int64)  # some repeats
            keys = rng.integers(0, 2 * n + 2, m).astype(np.int64)
            got = sorted_in(table, keys)
            assert got.dtype == np.bool_ and np.array_equal(got, np.isin(table, keys))
