"""Covariance intersection on the inner pairs only, the picture rows from flat columns and
the number correlation without continuity when the votes settle it, against the
all-pairs, row-by-row and always-continuity forms they replace (bit for bit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pymap3d
import pytest

from numpy_order import assert_bits
from skyweave.tracking.fusion import FusedPicture, PartnerPicture, RemoteTracks
from skyweave.tracking.fusion_math import covariance_intersection, gated_pairs
from skyweave.tracking.motion import Ballistic
from skyweave.tracking.shared_picture import PICTURE_SCHEMA, PictureRecorder, picture_table
from skyweave.tracking.tracker import TrackBatch


def _ci_all_pairs(xa, pa_, xb, pb, criterion):  # type: ignore[no-untyped-def]
    """The bisection over every pair (the form before the inner-pairs split)."""
    ia = np.linalg.inv(pa_)
    ib = np.linalg.inv(pb)
    ia = 0.5 * (ia + np.swapaxes(ia, 1, 2))
    ib = 0.5 * (ib + np.swapaxes(ib, 1, 2))
    d = ia - ib

    def slope(w):  # type: ignore[no-untyped-def]
        p = np.linalg.inv(ib + w[:, None, None] * d)
        if criterion == "det":
            return -np.einsum("kij,kji->k", p, d)
        return -np.trace(p @ d @ p, axis1=1, axis2=2)

    k = xa.shape[0]
    s0, s1 = slope(np.zeros(k)), slope(np.ones(k))
    lo, hi = np.zeros(k), np.ones(k)
    for _ in range(52):
        mid = 0.5 * (lo + hi)
        up = slope(mid) < 0.0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    inner = (s0 < 0.0) & (s1 > 0.0)
    w = np.where(inner, 0.5 * (lo + hi), np.where(s1 <= 0.0, 1.0, 0.0))
    w = np.where(s0 >= 0.0, 0.0, w)
    p = np.linalg.inv(ib + w[:, None, None] * d)
    p = 0.5 * (p + np.swapaxes(p, 1, 2))
    x = xb + w[:, None] * (p @ (ia @ (xa - xb)[:, :, None]))[:, :, 0]
    at_a, at_b = w >= 1.0, w <= 0.0
    x = np.where(at_a[:, None], xa, np.where(at_b[:, None], xb, x))
    p = np.where(at_a[:, None, None], pa_, np.where(at_b[:, None, None], pb, p))
    return x, p, w


@pytest.mark.parametrize("criterion", ["trace", "det"])
def test_ci_inner_pairs_equal_all_pairs_bisection(criterion: str) -> None:
    rng = np.random.default_rng(5)
    k = 40
    a = rng.normal(size=(2, k, 6, 6)) * rng.uniform(1.0, 300.0, size=(2, k, 1, 6))
    cov = a @ np.swapaxes(a, -1, -2) + np.eye(6) * 10.0
    pa_, pb = cov[0], cov[1]
    pb[:8] = pa_[:8] * 3.0  # one estimate dominates: w at an end point, no bisection
    pb[8:12] = pa_[8:12]  # identical covariances
    xa = 6.4e6 + rng.normal(size=(k, 6)) * 1e3
    xb = xa + rng.normal(size=(k, 6)) * 50.0
    got = covariance_intersection(xa, pa_, xb, pb, criterion)  # type: ignore[arg-type]
    want = _ci_all_pairs(xa, pa_, xb, pb, criterion)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    w_ci = got[2]
    assert np.any(w_ci == 0.0) and np.any((w_ci > 0.0) & (w_ci < 1.0))  # both kinds of pair


def test_ci_halving_equals_numpy_step() -> None:
    """The compiled halving of the trace bisection moves lo where the NumPy step's
    trace of P D P is positive, and mixes the next matrix as it does (bit for bit)."""
    from skyweave.tracking.fusion_kernel import ci_halve, ci_mix

    rng = np.random.default_rng(9)
    k = 500
    a = rng.normal(size=(2, k, 6, 6)) * rng.uniform(1e-3, 1.0, size=(2, k, 1, 6))
    inv = np.linalg.inv(a @ np.swapaxes(a, -1, -2) + np.eye(6) * 1e-4)
    ib, d = inv[1], inv[0] - inv[1]
    lo = rng.integers(0, 2**20, k) * 2.0**-21
    half = 2.0**-22
    m = np.empty_like(ib)
    ci_mix(ib, d, lo, half, m)
    assert_bits(m, (ib + (lo + half)[:, None, None] * d))
    p = np.linalg.inv(m)
    up = (p @ d @ p).trace(axis1=1, axis2=2) > 0.0
    assert 0 < up.sum() < k
    want_lo = np.where(up, lo + half, lo)
    nxt = np.empty_like(ib)
    ci_halve(p, d, ib, lo, half, nxt)
    assert_bits(lo, want_lo)
    assert_bits(nxt, (ib + (want_lo + 0.5 * half)[:, None, None] * d))


def _picture(rng: np.random.Generator, k: int, time_s: float) -> FusedPicture:
    con = rng.integers(-1, 60, size=(k, 3))
    con[rng.random(k) < 0.3, 0] = -1
    return FusedPicture(
        time_s=time_s,
        owner="north",
        picture_number=np.arange(1, k + 1, dtype=np.int64),
        state=rng.normal(size=(k, 6)) * 1e6,
        covariance=np.zeros((k, 6, 6)),
        pos_sigma_m=rng.random(k) * 100.0,
        origins=("north", "east", "west"),
        contributor_id=con,
        sources_mask=rng.random((k, 5)) < 0.4,
        sensor_ids=("r2", "a1", "s9", "b", "r10"),  # not sorted: rows list them sorted
    )


def _rows_table(fused: FusedPicture, partner: str) -> pa.Table:
    """The row-by-row form: FusedPicture.rows into pyarrow, a list per row."""
    cols = fused.rows(partner, contributors=True)
    return pa.table(
        {
            f.name: pa.array(
                [list(v) for v in cols[f.name]]  # type: ignore[attr-defined]
                if pa.types.is_list(f.type)
                else cols[f.name],
                f.type,
            )
            for f in PICTURE_SCHEMA
        },
        schema=PICTURE_SCHEMA,
    )


def test_picture_rows_equal_row_by_row_rows() -> None:
    rng = np.random.default_rng(2)
    pictures = [_picture(rng, k, 5.0 * i) for i, k in enumerate((3, 0, 1, 25))]
    recorder = PictureRecorder()
    for pic in pictures:
        assert picture_table(pic, "north").equals(_rows_table(pic, "north"))
        recorder.add(pic, "north")
    want = pa.concat_tables([_rows_table(p, "north") for p in pictures])
    got = recorder.table()
    assert got.num_rows == 29 and got.equals(want.combine_chunks())
    assert got.column("sources")[0].as_py() == sorted(got.column("sources")[0].as_py())
    assert len(PictureRecorder()) == 0 and PictureRecorder().table().num_rows == 0


class _AlwaysContinuity(PartnerPicture):
    """The number correlation that always flies the previous picture on."""

    def _votes_settle(self, n_f: int, vote_g: Any, vote_n: Any) -> bool:
        return False


def test_settled_votes_skip_continuity_without_changing_numbers() -> None:
    """Pictures with and without the skip are equal, through track births, an id swap
    in each partner's tracker, and a threat East stops reporting that North's tracker
    then re-initiates under a new id (continuity alone keeps its number)."""
    p_own = np.diag(np.array([300.0, 120.0, 150.0, 20.0, 12.0, 15.0]) ** 2)
    p_rem = np.diag(np.array([120.0, 300.0, 200.0, 12.0, 25.0, 20.0]) ** 2)
    x0 = np.array(
        [
            [*pymap3d.geodetic2ecef(48.0 + 0.2 * i, 20.0 + 0.1 * i, 120_000.0)]
            + [*pymap3d.enu2uvw(2_000.0, 300.0 * i, 800.0, 48.0, 20.0)]
            for i in range(3)
        ]
    )
    model = Ballistic(frame="ecef", max_step_s=2.0)
    truths = [x0]
    for _ in range(19):
        truths.append(model.propagate(truths[-1], 2.0)[0])
    pictures: dict[str, list[Any]] = {"skip": [], "full": []}
    skipped = 0
    for name, pic in (("skip", PartnerPicture("north")), ("full", _AlwaysContinuity("north"))):
        calls = 0
        settle = pic._votes_settle

        def counted(n_f: int, vote_g: Any, vote_n: Any, settle: Any = settle) -> bool:
            nonlocal calls
            out = bool(settle(n_f, vote_g, vote_n))
            calls += out
            return out

        pic._votes_settle = counted  # type: ignore[method-assign]
        sub = np.random.default_rng(9)
        for t, truth in zip(np.arange(0.0, 40.0, 2.0), truths, strict=True):
            own_ids = [2, 1] if 14.0 <= t <= 18.0 else [1, 2]  # north swaps two ids
            if t >= 34.0:
                own_ids = [5, 2]  # north re-initiates threat 0's track
            n_own = 1 if t < 4.0 else 2  # a birth
            xo = truth[:n_own] + sub.normal(size=(n_own, 6)) * np.sqrt(np.diag(p_own))
            own = TrackBatch(
                time_s=float(t),
                track_id=np.asarray(own_ids[:n_own], dtype=np.int64),
                state=xo,
                covariance=np.broadcast_to(p_own, (n_own, 6, 6)).copy(),
                pos_sigma_m=np.full(n_own, 400.0),
                sources_mask=np.ones((n_own, 1), dtype=bool),
                sensor_ids=("n1",),
            )
            if t >= 2.0:
                rem_ids = [8, 7, 9] if 24.0 <= t <= 28.0 else [7, 8, 9]  # east swaps
                rows = [1, 2] if t >= 30.0 else [0, 1, 2]  # east stops reporting threat 0
                keep = len(rows)
                xr = truth[rows] + sub.normal(size=(keep, 6)) * np.sqrt(np.diag(p_rem))
                pic.receive(
                    RemoteTracks(
                        "east",
                        float(t),
                        np.asarray([rem_ids[r] for r in rows]),
                        xr,
                        np.broadcast_to(p_rem, (keep, 6, 6)).copy(),
                        np.ones((keep, 1), dtype=bool),
                        ("e1",),
                    ),
                    snapshot=True,
                )
            pictures[name].append(pic.update(float(t) + 0.5, own))
        if name == "skip":
            skipped = calls
        else:
            assert calls == 0
    assert 0 < skipped < len(pictures["skip"]) - 1  # both paths ran
    # threat 0 keeps its number through the new id (the continuity the skip must keep)
    before, last = pictures["full"][10], pictures["full"][-1]
    number_0 = before.picture_number[before.contributor_id[:, 0] == 1]
    assert np.array_equal(last.picture_number[last.contributor_id[:, 0] == 5], number_0)
    for a, b in zip(pictures["skip"], pictures["full"], strict=True):
        assert np.array_equal(a.picture_number, b.picture_number)
        assert np.array_equal(a.contributor_id, b.contributor_id)
        assert np.array_equal(a.state, b.state)


def test_gated_pairs_equal_every_pairs_full_distance() -> None:
    """The compiled position pre-gate drops no pair the full 6-D test keeps: the gated
    pairs are exactly those of every pair's own solve, in row-major order, with the
    same distances."""
    rng = np.random.default_rng(7)
    na, nb, gate = 60, 45, 16.0
    centre = np.array([3.9e6, 3.3e6, 3.6e6, 0.0, 0.0, 0.0])
    xa = centre + rng.normal(0.0, 1.0, (na, 6)) * [3e4, 3e4, 3e4, 500, 500, 500]
    xb = np.concatenate([xa[:30] + rng.normal(0.0, 300.0, (30, 6)), xa[30:45] + 4e4])
    sig_a = rng.uniform(50.0, 5e3, na)
    sig_b = rng.uniform(50.0, 5e3, nb)
    pa_ = np.einsum("k,ij->kij", sig_a**2, np.eye(6))
    pb = np.einsum("k,ij->kij", sig_b**2, np.eye(6))
    ia, ib, d2 = gated_pairs(xa, pa_, xb, pb, gate)

    diff = (xa[:, None, :] - xb[None, :, :]).reshape(-1, 6)
    s = (pa_[:, None] + pb[None, :]).reshape(-1, 6, 6)
    full = np.einsum("ki,ki->k", diff, np.linalg.solve(s, diff[:, :, None])[:, :, 0])
    want_a, want_b = np.nonzero(full.reshape(na, nb) < gate)
    assert 25 <= ia.size < na * nb // 4  # near pairs pass, far ones do not
    np.testing.assert_array_equal(ia, want_a)
    np.testing.assert_array_equal(ib, want_b)
    np.testing.assert_allclose(d2, full.reshape(na, nb)[want_a, want_b], rtol=1e-12)


def test_own_rows_kept_between_updates_equal_table_scan() -> None:
    """own_tracks_of and picture_numbers_of_own read a copy of the table's own rows kept
    until the table changes: the same as scanning the table at every call."""
    shift = 40

    def scan(pic: PartnerPicture, numbers: list[int]) -> np.ndarray:
        own = (pic._t_key >> shift) == 0
        hit = own & np.isin(pic._t_num, np.asarray(numbers, dtype=np.int64))
        return np.sort(pic._t_key[hit] & ((1 << shift) - 1))

    rng = np.random.default_rng(3)
    pic = PartnerPicture("north")
    p = np.broadcast_to(np.diag([1e4, 1e4, 1e4, 1e2, 1e2, 1e2]), (4, 6, 6)).copy()
    x = 6.4e6 + rng.normal(size=(4, 6)) * 1e5
    for step in range(6):
        ids = np.array([1, 2, 3, 4]) + (step // 3) * np.array([0, 0, 10, 10])
        own = TrackBatch(
            float(step), ids, x, p, np.full(4, 173.0), np.ones((4, 1), dtype=bool), ("n1",)
        )
        pic.update(float(step), own)
        for numbers in ([], [1], [2, 3], [1, 2, 3, 4, 5, 99]):
            assert np.array_equal(pic.own_tracks_of(numbers), scan(pic, numbers))
        own_mask = (pic._t_key >> shift) == 0
        want = dict(
            zip(
                (pic._t_key[own_mask] & ((1 << shift) - 1)).tolist(),
                pic._t_num[own_mask].tolist(),
                strict=True,
            )
        )
        assert pic.picture_numbers_of_own() == want


def test_assign_pairs_shortcut_is_the_solver() -> None:
    """One-to-one candidate pairs in row order with negative costs are what the solver
    returns; any other set still goes to it (the same answers as the solver's form)."""
    from scipy.optimize import linear_sum_assignment

    from skyweave.tracking.fusion_math import assign_pairs

    def solver_form(ia: np.ndarray, ib: np.ndarray, cost: np.ndarray) -> tuple:
        rows, ri = np.unique(ia, return_inverse=True)
        cols, ci = np.unique(ib, return_inverse=True)
        mat = np.zeros((rows.size, cols.size))
        mat[ri, ci] = cost
        r, c = linear_sum_assignment(mat)
        good = mat[r, c] < 0.0
        return rows[r[good]].astype(np.int64), cols[c[good]].astype(np.int64)

    rng = np.random.default_rng(3)
    shortcut = 0
    for _ in range(300):
        k = int(rng.integers(1, 8))
        ia = np.sort(rng.choice(12, k, replace=rng.random() < 0.3)).astype(np.int64)
        ib = rng.choice(12, k, replace=rng.random() < 0.3).astype(np.int64)
        cost = -rng.random(k) * (rng.random(k) < 0.95)  # now and then a zero cost
        shortcut += len(set(ia.tolist())) == k == len(set(ib.tolist())) and (cost < 0).all()
        got, want = assign_pairs(ia, ib, cost), solver_form(ia, ib, cost)
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w) and g.dtype == w.dtype
    assert 0 < shortcut < 300
