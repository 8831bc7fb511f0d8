"""The compiled inner loop of the threat board's launch-site distances.

:func:`skyweave.warning.threat_model.site_distances_m` squares sines the way a Python
float's ``** 2`` does, with the C library's ``pow`` (an array's ``** 2`` multiplies
instead, which differs in the last bit for about one value in a thousand). One
Python power per element was most of those distances' cost on a large raid; here
the same ``pow`` runs in a compiled loop (the exponent is an argument, so the
compiler cannot turn it into a multiplication). ``tests/test_site_kernel.py`` holds
it to the Python power bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@njit(cache=True)
def pow_rows(x: FloatArray, exponent: float) -> FloatArray:
    """``[abs(v) ** exponent for v in x]`` by the C library's ``pow``, element by element.

    Python's float power takes the magnitude of a negative base raised to an even
    integer (``exponent`` here is 2: the result is the same number) before ``pow``.
    A NaN gives a NaN (its sign aside: the board only compares these distances).
    """
    out = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        out[k] = math.pow(abs(x[k]), exponent)
    return out


__all__ = ["pow_rows"]
