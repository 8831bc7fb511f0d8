"""Weapon-target assignment heuristics: maximum marginal return, slot assignment, local search.

All functions work on plain arrays: ``values`` (n,) target values ``V_j``, ``pk`` (m, n)
kill probabilities ``p_ij`` (weapons ``i`` by targets ``j``), ``inventory`` (m,) integer
weapon counts ``w_i``. An assignment is an integer array ``x`` (m, n) with row sums at most
``w_i``. The objective is the expected surviving value ``sum_j V_j prod_i (1 - p_ij)^x_ij``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# The slot assignment expands weapons into units (one row per round); above this many
# rows the O(rows^3) assignment costs more than it is worth and only the greedy start is used.
_MAX_LSA_UNITS = 1500


def surviving_value(values: FloatArray, pk: FloatArray, x: IntArray) -> float:
    """Expected surviving value ``sum_j V_j prod_i (1 - p_ij)^x_ij`` of assignment ``x``."""
    survival = np.prod(np.power(1.0 - pk, x), axis=0)
    return float(np.sum(values * survival))


def greedy_mmr(values: FloatArray, pk: FloatArray, inventory: IntArray) -> IntArray:
    """Maximum marginal return greedy: repeatedly fire the round with the largest value saved.

    Each step takes the (weapon, target) pair with the largest ``V_j S_j p_ij`` (``S_j`` the
    current survival probability of target ``j``) among weapons with rounds left; only the
    column of the engaged target changes, so each step costs one ``argmax`` over (m, n).
    """
    m, n = pk.shape
    q = 1.0 - pk
    x = np.zeros((m, n), dtype=np.int64)
    remaining = inventory.astype(np.int64).copy()
    survival = np.ones(n)
    gain = pk * values[None, :]
    gain[remaining <= 0] = -1.0
    useful = (pk > 0).any(axis=1)
    for _ in range(int(remaining[useful].sum())):
        flat = int(np.argmax(gain))
        i, j = divmod(flat, n)
        if gain[i, j] <= 0.0:
            break
        x[i, j] += 1
        remaining[i] -= 1
        survival[j] *= q[i, j]
        column = pk[:, j] * (values[j] * survival[j])
        column[remaining <= 0] = -1.0
        gain[:, j] = column
        if remaining[i] <= 0:
            gain[i] = -1.0
    return x


def slot_assignment(
    values: FloatArray, pk: FloatArray, inventory: IntArray, optimistic: bool
) -> IntArray | None:
    """Start from a linear assignment of weapon rounds to per-target slots.

    Slot ``r`` (1-based) of target ``j`` is worth ``V_j p_ij c_j^(r-1)`` for weapon ``i``;
    ``c_j`` is ``1 - p_ij`` of the same weapon (``optimistic``, the value the k-th round
    would save if every earlier round were as good) or the target's best ``1 - p`` (the
    value if the earlier rounds were the best available). With one slot per target this is
    the exact optimum over one-round-per-target plans. Returns None when there are too many
    rounds for the assignment to be cheap.
    """
    m, n = pk.shape
    useful = (pk > 0).any(axis=1) & (inventory > 0)
    counts = np.where(useful, inventory, 0).astype(np.int64)
    units = int(counts.sum())
    if units == 0:
        return np.zeros((m, n), dtype=np.int64)
    if units > _MAX_LSA_UNITS:
        return None
    n_slots = min(int(np.ceil(units / n)) + 1, 4)
    unit_weapon = np.repeat(np.arange(m), counts)
    q = 1.0 - pk
    p_units = pk[unit_weapon]  # (units, n)
    if optimistic:
        factor = q[unit_weapon]
    else:
        factor = np.broadcast_to(q.min(axis=0)[None, :], p_units.shape)
    powers = factor[:, None, :] ** np.arange(n_slots)[None, :, None]  # (units, slots, n)
    cost = -(values[None, None, :] * p_units[:, None, :] * powers).reshape(units, n_slots * n)
    rows, cols = linear_sum_assignment(cost)
    x = np.zeros((m, n), dtype=np.int64)
    np.add.at(x, (unit_weapon[rows], cols % n), 1)
    return x


def _survival_parts(q: FloatArray, x: IntArray) -> tuple[FloatArray, FloatArray]:
    """Survival ``S_j`` and survival without one round of weapon ``i`` on ``j`` (m, n).

    Zero ``q`` (p = 1) is counted apart so that removing such a round never divides by zero.
    """
    is_zero = q == 0.0
    zeros = np.sum(np.where(is_zero, x, 0), axis=0)
    q_safe = np.where(is_zero, 1.0, q)
    prod_nonzero = np.prod(np.power(q_safe, x), axis=0)
    survival = np.where(zeros == 0, prod_nonzero, 0.0)
    without = np.where(
        is_zero,
        np.where(zeros == 1, prod_nonzero, 0.0)[None, :],
        np.where(zeros == 0, prod_nonzero, 0.0)[None, :] / q_safe,
    )
    return survival, without


def local_search(
    values: FloatArray, pk: FloatArray, inventory: IntArray, x0: IntArray, max_moves: int = 5000
) -> IntArray:
    """Best-improvement local search with reassign, add and swap moves until no move improves.

    Moves, all evaluated at once as arrays each iteration:

    * add: fire an unused round of weapon ``i`` at target ``k``;
    * reassign: move one round of weapon ``i`` from target ``j`` to target ``k``;
    * swap: weapon ``i`` on ``j`` and weapon ``l`` on ``k`` exchange targets.
    """
    m, n = pk.shape
    q = 1.0 - pk
    x = x0.astype(np.int64).copy()
    rows = np.arange(m)
    for _ in range(max_moves):
        survival, without = _survival_parts(q, x)
        value_left = values * survival
        tol = 1e-12 * max(float(value_left.sum()), 1e-300)
        gain = pk * value_left[None, :]  # value saved by one more round of i on k
        best_k = np.argmax(gain, axis=1)
        best_gain = gain[rows, best_k]
        # add an unused round
        spare = inventory - x.sum(axis=1)
        add_delta = np.where(spare > 0, -best_gain, np.inf)
        i_add = int(np.argmin(add_delta))
        d_add = float(add_delta[i_add])
        ii, jj = np.nonzero(x)
        if ii.size == 0:
            if d_add < -tol:
                x[i_add, best_k[i_add]] += 1
                continue
            break
        # reassign: loss of removing one round from (i, j) minus best gain elsewhere
        loss = pk[ii, jj] * values[jj] * without[ii, jj]
        gain_excl = gain.copy()
        gain_excl[ii, jj] = -np.inf
        k_re = np.argmax(gain_excl[ii], axis=1)
        d_re_all = loss - gain_excl[ii, k_re]
        a = int(np.argmin(d_re_all))
        d_re = float(d_re_all[a])
        # swap: B[u, v] = V_ju R_u (q[i_v, j_u] - q[i_u, j_u]); delta = B + B^T
        r_u = values[jj] * without[ii, jj]
        b_mat = r_u[:, None] * (q[np.ix_(ii, jj)].T - q[ii, jj][:, None])
        d_sw_all = b_mat + b_mat.T
        d_sw_all[(jj[:, None] == jj[None, :]) | (ii[:, None] == ii[None, :])] = np.inf
        flat = int(np.argmin(d_sw_all))
        u, v = divmod(flat, ii.size)
        d_sw = float(d_sw_all[u, v])
        best = min(d_add, d_re, d_sw)
        if best >= -tol:
            break
        if best == d_add:
            x[i_add, best_k[i_add]] += 1
        elif best == d_re:
            x[ii[a], jj[a]] -= 1
            x[ii[a], k_re[a]] += 1
        else:
            x[ii[u], jj[u]] -= 1
            x[ii[v], jj[v]] -= 1
            x[ii[u], jj[v]] += 1
            x[ii[v], jj[u]] += 1
    return x


def heuristic_assignment(values: FloatArray, pk: FloatArray, inventory: IntArray) -> IntArray:
    """Best of local search from the greedy start and from the slot-assignment start."""
    starts = [greedy_mmr(values, pk, inventory)]
    # the pessimistic slot costs measured better than the optimistic ones on the literature's
    # random instances (optimal after local search at 200 x 200); one start keeps it fast
    start = slot_assignment(values, pk, inventory, optimistic=False)
    if start is not None:
        starts.append(start)
    best_x = starts[0]
    best_obj = np.inf
    for start in starts:
        x = local_search(values, pk, inventory, start)
        obj = surviving_value(values, pk, x)
        if obj < best_obj:
            best_obj, best_x = obj, x
    # a round where p = 0 saves nothing: keep it in the magazine
    return np.where(pk > 0, best_x, 0)


def opportunity_prices(
    values: FloatArray, pk: FloatArray, inventory: IntArray, x: IntArray
) -> FloatArray:
    """Price of one round of each weapon in assignment ``x`` (a Lagrange multiplier guess).

    The value the round would save at its best other target (zero for a weapon with a spare
    round): at a local optimum no round is worth more elsewhere than where it is.
    """
    q = 1.0 - pk
    survival, _ = _survival_parts(q, x)
    gain = np.where(x > 0, -np.inf, pk * (values * survival)[None, :])
    price = np.max(gain, axis=1) if pk.shape[1] else np.zeros(pk.shape[0])
    spare = inventory - x.sum(axis=1)
    return np.where((spare > 0) | ~np.isfinite(price), 0.0, np.maximum(price, 0.0))
