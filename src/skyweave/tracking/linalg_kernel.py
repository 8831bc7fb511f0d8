"""Small-matrix products in compiled code, in the order NumPy computes them.

The tracker's per-scan steps work on stacks of 3x3 and 6x3 matrices, where NumPy's
fixed cost per call outweighs the arithmetic. Compiled loops may replace those calls
only if every element comes out bit for bit, so each helper here reproduces the
order of operations of the NumPy call it stands for (each held to it by
``tests/test_linalg_kernel.py``):

- ``a @ b`` of a stack (``matmul`` through OpenBLAS ``dgemm``): each element is a
  chain of fused multiply-adds along ``k``, started from the first product;
- ``a @ v[:, :, None]`` with three columns (``dgemv``): the middle product first,
  then the first and the last fused onto it;
- ``np.einsum("ti,ti->t", a, b)`` over three columns (its SIMD reduction):
  ``(a0 b0 + a2 b2) + a1 b1``;
- ``np.linalg.inv`` of a 3x3 matrix (LAPACK ``dgesv`` on the identity): the same
  ``dgesv`` through Numba's ``np.linalg.solve``.

These are the orders of the BLAS kernels of the NumPy build this project runs on
(x86-64 with FMA); the tests say so at once if another build orders them otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_EYE3 = np.eye(3)


def _fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return sig, codegen


#: ``fma(a, b, c)``: ``a * b + c`` rounded once (LLVM's ``fma``), as OpenBLAS's kernels
#: compute it (compiled code only)
fma: Any = intrinsic(_fma)


@njit(cache=True, inline="always")
def dot3_einsum(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> float:
    """``np.einsum("ti,ti->t", a, b)`` of one row of three."""
    return (a0 * b0 + a2 * b2) + a1 * b1


@njit(cache=True, inline="always")
def dot3_gemv(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> float:
    """One element of ``a @ v[:, :, None]`` with three columns (``dgemv``)."""
    return fma(a2, b2, fma(a0, b0, a1 * b1))


@njit(cache=True)
def inv3(s: FloatArray) -> NDArray[np.floating[Any]]:
    """``np.linalg.inv`` of one 3x3 matrix: the same LAPACK ``dgesv`` on the identity."""
    return np.linalg.solve(s, _EYE3)


@njit(cache=True, inline="always")
def dot3_gemm(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> float:
    """One element of a stacked ``a @ b`` with ``k = 3`` (``dgemm``): ``a0 b0``, then
    ``a1 b1`` and ``a2 b2`` fused onto it."""
    return fma(a2, b2, fma(a1, b1, a0 * b0))
