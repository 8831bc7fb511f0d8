"""Outer-approximation MILP for weapon-target assignment through HiGHS (``scipy.optimize.milp``).

With ``a_ij = -ln(1 - p_ij)`` and ``y_j = sum_i a_ij x_ij`` the objective is the convex
``sum_j V_j exp(-y_j)``. Each target gets an epigraph variable ``z_j`` bounded below by
tangents ``z_j >= V_j e^-t (1 + t - y_j)``; the MILP over the tangents is a relaxation, so its
dual bound is a proven lower bound. After each solve, tangents at the solution's ``y_j`` are
added (Kelley's cutting planes) until the relaxation's value meets the true objective.

This is the textbook method; :func:`skyweave.c2.wta.solve_wta` uses it only as a fallback
and the benchmark uses it as the reference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class OAOutcome:
    """Result of the outer-approximation loop."""

    x: IntArray | None
    objective: float
    bound: float
    iterations: int
    finished: bool  # gap closed to the tolerance


def _tangent_rows(
    values: FloatArray, a: FloatArray, targets: IntArray, points: FloatArray
) -> tuple[sp.csr_array, FloatArray]:
    """Rows ``z_j + V_j e^-t sum_i a_ij x_ij >= V_j e^-t (1 + t)`` over (x, z)."""
    m, n = a.shape
    k = targets.size
    slope = values[targets] * np.exp(-points)
    rows = np.repeat(np.arange(k), m + 1)
    cols = np.empty((k, m + 1), dtype=np.int64)
    cols[:, :m] = np.arange(m)[None, :] * n + targets[:, None]
    cols[:, m] = m * n + targets
    vals = np.empty((k, m + 1))
    vals[:, :m] = slope[:, None] * a[:, targets].T
    vals[:, m] = 1.0
    matrix = sp.csr_array((vals.ravel(), (rows, cols.ravel())), shape=(k, m * n + n))
    return matrix, slope * (1.0 + points)


def solve_oa(
    values: FloatArray,
    pk: FloatArray,
    inventory: IntArray,
    time_limit_s: float,
    rel_tol: float = 1e-7,
    start: IntArray | None = None,
    upper_bound: float = np.inf,
) -> OAOutcome:
    """Kelley outer approximation: MILP, add tangents at the solution, repeat.

    Starts from tangents at ``t = 0, 1, 2, 3`` on every target (plus at ``start``'s ``y_j``
    when given). Stops when the relaxation value is within ``rel_tol`` of the true objective
    of its solution, or at ``time_limit_s``.
    """
    t0 = time.perf_counter()
    m, n = pk.shape
    q = 1.0 - pk
    # q = 0 (p = 1) would make a infinite; 690 keeps e^-a below 1e-299 (a negligible error)
    a = -np.log(np.maximum(q, 1e-300))
    points = [np.tile(np.array([0.0, 1.0, 2.0, 3.0]), n)]
    targets = [np.repeat(np.arange(n), 4)]
    if start is not None:
        points.append((a * start).sum(axis=0))
        targets.append(np.arange(n))
    row_blocks: list[sp.csr_array] = []
    rhs_blocks: list[FloatArray] = []
    block, rhs = _tangent_rows(values, a, np.concatenate(targets), np.concatenate(points))
    row_blocks.append(block)
    rhs_blocks.append(rhs)
    weapon_rows = sp.csr_array(
        (np.ones(m * n), (np.repeat(np.arange(m), n), np.arange(m * n))), shape=(m, m * n + n)
    )
    cost = np.concatenate([np.zeros(m * n), np.ones(n)])
    integrality = np.concatenate([np.ones(m * n), np.zeros(n)])
    x_ub = np.where(pk > 0, inventory[:, None], 0).ravel().astype(float)
    bounds = Bounds(np.zeros(m * n + n), np.concatenate([x_ub, np.full(n, np.inf)]))
    best_x: IntArray | None = None
    best_obj = np.inf
    bound = -np.inf
    iterations = 0
    while True:
        iterations += 1
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0:
            break
        tangents = sp.vstack(row_blocks)
        constraints = [
            LinearConstraint(tangents, np.concatenate(rhs_blocks), np.inf),
            LinearConstraint(weapon_rows, -np.inf, inventory.astype(float)),
        ]
        if np.isfinite(upper_bound):
            constraints.append(LinearConstraint(cost[None, :], -np.inf, upper_bound))
        res = milp(
            cost,
            integrality=integrality,
            bounds=bounds,
            constraints=constraints,
            options={"mip_rel_gap": rel_tol / 10, "time_limit": left},
        )
        if res.mip_dual_bound is not None and np.isfinite(res.mip_dual_bound):
            bound = max(bound, float(res.mip_dual_bound))
        if res.x is None:
            break
        x = np.rint(res.x[: m * n]).astype(np.int64).reshape(m, n)
        y = (a * x).sum(axis=0)
        obj = float(np.sum(values * np.prod(np.power(q, x), axis=0)))
        if obj < best_obj:
            best_obj, best_x = obj, x
        if res.status == 0 and best_obj - bound <= rel_tol * max(best_obj, 1e-300):
            return OAOutcome(best_x, best_obj, bound, iterations, True)
        if res.status != 0:
            break
        block, rhs = _tangent_rows(values, a, np.arange(n), y)
        row_blocks.append(block)
        rhs_blocks.append(rhs)
    return OAOutcome(best_x, best_obj, bound, iterations, False)
