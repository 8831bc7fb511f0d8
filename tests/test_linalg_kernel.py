"""The compiled small-matrix helpers against the NumPy calls whose order of operations
they reproduce (bit for bit): stacked matmul (dgemm, dgemv), the three-column einsum
and the 3x3 inverse."""

from __future__ import annotations

import numpy as np
from numba import njit

from numpy_order import assert_bits
from skyweave.tracking.linalg_kernel import dot3_einsum, dot3_gemm, dot3_gemv, inv3


@njit(cache=False)
def _gemm(a, b):  # type: ignore[no-untyped-def]
    n, m, _ = a.shape
    p = b.shape[2]
    out = np.empty((n, m, p))
    for t in range(n):
        for i in range(m):
            for j in range(p):
                out[t, i, j] = dot3_gemm(
                    a[t, i, 0], a[t, i, 1], a[t, i, 2], b[t, 0, j], b[t, 1, j], b[t, 2, j]
                )
    return out


@njit(cache=False)
def _gemv(a, v):  # type: ignore[no-untyped-def]
    n, m, _ = a.shape
    out = np.empty((n, m))
    for t in range(n):
        for i in range(m):
            out[t, i] = dot3_gemv(a[t, i, 0], a[t, i, 1], a[t, i, 2], v[t, 0], v[t, 1], v[t, 2])
    return out


@njit(cache=False)
def _einsum(a, b):  # type: ignore[no-untyped-def]
    out = np.empty(a.shape[0])
    for t in range(a.shape[0]):
        out[t] = dot3_einsum(a[t, 0], a[t, 1], a[t, 2], b[t, 0], b[t, 1], b[t, 2])
    return out


def _scaled(rng: np.random.Generator, shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
    return rng.normal(size=shape) * 10.0 ** rng.uniform(lo, hi, size=shape)


def test_gemm_order_equals_matmul() -> None:
    """The tracker's stacked products: 6x3 @ 3x3 (a strided view and a transposed
    operand, as the tracker passes them), 3x3 @ 3x3 and 6x3 @ 3x6."""
    rng = np.random.default_rng(1)
    n = 5000
    p = _scaled(rng, (n, 6, 6), -3, 6)
    hp = _scaled(rng, (n, 3, 3), -8, 0)
    pht = p[:, :, :3] @ np.swapaxes(hp, 1, 2)
    got = _gemm(np.ascontiguousarray(p[:, :, :3]), np.ascontiguousarray(np.swapaxes(hp, 1, 2)))
    assert_bits(got, pht)
    s = _gemm(hp, np.ascontiguousarray(pht[:, :3, :]))
    assert_bits(s, (hp @ pht[:, :3, :]))
    gain = _scaled(rng, (n, 6, 3), -3, 3)
    pht_t = np.swapaxes(pht, 1, 2)
    assert_bits(_gemm(gain, np.ascontiguousarray(pht_t)), (gain @ pht_t))


def test_gemv_and_einsum_order() -> None:
    rng = np.random.default_rng(2)
    n = 5000
    v = _scaled(rng, (n, 3), 0, 4)
    for m in (3, 6):
        a = _scaled(rng, (n, m, 3), -3, 3)
        assert_bits(_gemv(a, v), (a @ v[:, :, None])[:, :, 0])
    a = _scaled(rng, (n, 3), 0, 6)
    b = _scaled(rng, (n, 3), 0, 6)
    assert_bits(_einsum(a, b), np.einsum("ti,ti->t", a, b))
    assert_bits(_einsum(a, a), np.einsum("ti,ti->t", a, a))


def test_inv3_equals_numpy_inverse() -> None:
    rng = np.random.default_rng(3)
    g = _scaled(rng, (3000, 3, 3), -4, 3)
    s = g @ np.swapaxes(g, 1, 2) + np.diag([2500.0, 1e-6, 1e-6])
    want = np.linalg.inv(s)
    got = np.stack([inv3(m) for m in s])
    assert_bits(got, want)
