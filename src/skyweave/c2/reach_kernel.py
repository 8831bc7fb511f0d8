"""The compiled reach box of :func:`skyweave.c2.reach.reach_matrix`.

Every decision cycle tests each (battery, candidate track, predicted sample) for the
box around the battery's envelope and takes each pair's nearest predicted distance.
As NumPy operations that is a dozen passes over (B, K, T) temporaries; here one pass,
in scalar code compiled by Numba, with the arithmetic of the NumPy form (differences,
squares summed in axis order, the square root) element for element, so the box test
and the nearest distance are the same to the bit (a least is exact in any order).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@njit(cache=True)
def reach_box(
    px: FloatArray,
    py: FloatArray,
    pz: FloatArray,
    altitude_m: FloatArray,
    battery_ecef_m: FloatArray,
    box_m: FloatArray,
    ceiling_m: FloatArray,
) -> tuple[BoolArray, FloatArray]:
    """(B, K) some sample lies within ``box_m`` of the battery below ``ceiling_m``, and
    (B, K) the least distance of the samples (inf if none: NaN samples skipped).

    ``px, py, pz, altitude_m``: (K, T) predicted ECEF coordinates and altitude.
    """
    nb = battery_ecef_m.shape[0]
    nk, nt = px.shape
    reach = np.zeros((nb, nk), dtype=np.bool_)
    nearest = np.full((nb, nk), np.inf)
    for i in range(nb):
        ex, ey, ez = battery_ecef_m[i, 0], battery_ecef_m[i, 1], battery_ecef_m[i, 2]
        box, ceiling = box_m[i], ceiling_m[i]
        for k in range(nk):
            best = np.inf
            hit = False
            for s in range(nt):
                dx, dy, dz = px[k, s] - ex, py[k, s] - ey, pz[k, s] - ez
                d = math.sqrt((dx * dx + dy * dy) + dz * dz)
                if d <= box and altitude_m[k, s] <= ceiling:
                    hit = True
                if d < best:  # (False for NaN: skipped, as np.fmin does)
                    best = d
            reach[i, k] = hit
            nearest[i, k] = best
    return reach, nearest
