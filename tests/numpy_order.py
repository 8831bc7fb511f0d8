"""Whether this machine's NumPy sums small products in the order the compiled kernels copy.

Some kernels (``tracking/linalg_kernel.py``, ``kinematics/ballistic_kernel.py``) stand
for NumPy calls whose order of operations comes from the BLAS build and the CPU: a
stacked ``matmul`` through OpenBLAS (a chain of fused multiply-adds along ``k``), a
matrix-vector product (``dgemv``) and ``einsum``'s SIMD reduction. They copy the order
found on the x86-64 machines with FMA and AVX-512 this project is built and tested on,
so that a run's outputs are those of the NumPy forms bit for bit.

:func:`assert_bits` holds a kernel to its NumPy form: bit for bit where the probe below
finds NumPy ordering those sums as the kernels do (computed here independently, with
exact rational arithmetic), and to 1e-9 relative elsewhere, where the same arithmetic is
summed in another order by another BLAS build or CPU.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


def _fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (exact rational arithmetic, then one rounding)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _probe() -> bool:
    rng = np.random.default_rng(20261207)
    n = 40
    a = rng.normal(size=(n, 6, 3)) * 10.0 ** rng.uniform(-3, 3, size=(n, 6, 3))
    b = rng.normal(size=(n, 3, 3)) * 10.0 ** rng.uniform(-3, 3, size=(n, 3, 3))
    v = rng.normal(size=(n, 3)) * 10.0 ** rng.uniform(0, 4, size=(n, 3))
    gemm = a @ b
    gemv = (a @ v[:, :, None])[:, :, 0]
    for t in range(n):
        for i in range(6):
            r = [float(x) for x in a[t, i]]
            for j in range(3):
                c = [float(x) for x in b[t, :, j]]
                if gemm[t, i, j] != _fma(r[2], c[2], _fma(r[1], c[1], r[0] * c[0])):
                    return False
            w = [float(x) for x in v[t]]
            if gemv[t, i] != _fma(r[2], w[2], _fma(r[0], w[0], r[1] * w[1])):
                return False
    rows = a[:, 0, :]
    for m in (1, n):  # einsum over one row, and over many
        got = np.einsum("ti,ti->t", rows[:m], v[:m])
        for t in range(m):
            p = [float(rows[t, k]) * float(v[t, k]) for k in range(3)]
            if got[t] != (p[0] + p[2]) + p[1]:
                return False
    return True


#: NumPy on this machine orders the small sums as the kernels do
KERNEL_ORDERS_HOLD = _probe()


def assert_bits(got: Any, want: Any, message: str = "") -> None:
    """``got`` holds ``want``'s numbers (in any shape of the same size) bit for bit where
    :data:`KERNEL_ORDERS_HOLD`, else to 1e-9 relative to ``want``'s largest."""
    g, w = np.asarray(got).reshape(-1), np.asarray(want).reshape(-1)
    assert g.dtype == w.dtype and g.size == w.size, message
    if KERNEL_ORDERS_HOLD or not np.issubdtype(w.dtype, np.floating):
        assert g.tobytes() == w.tobytes(), message
        return
    scale = float(np.nanmax(np.abs(w))) if w.size and np.isfinite(w).any() else 0.0
    np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9 * scale, err_msg=message)
