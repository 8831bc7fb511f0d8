"""Covariance intersection on the inner pairs only, and the picture rows from flat columns,
against the row-by-row and all-pairs forms they replace (bit for bit)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from skyweave.tracking.fusion import FusedPicture
from skyweave.tracking.fusion_math import covariance_intersection
from skyweave.tracking.shared_picture import PICTURE_SCHEMA, PictureRecorder, picture_table


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
