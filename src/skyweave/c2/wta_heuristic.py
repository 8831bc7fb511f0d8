"""Weapon-target assignment heuristics: maximum marginal return, slot assignment, local search
and ejection chains.

All functions work on plain arrays: ``values`` (n,) target values ``V_j``, ``pk`` (m, n)
kill probabilities ``p_ij`` (weapons ``i`` by targets ``j``), ``inventory`` (m,) integer
weapon counts ``w_i``. An assignment is an integer array ``x`` (m, n) with row sums at most
``w_i``. The objective is the expected surviving value ``sum_j V_j prod_i (1 - p_ij)^x_ij``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# The slot assignment expands weapons into units (one row per round); above this many
# rows the O(rows^3) assignment costs more than it is worth and only the greedy start is used.
_MAX_LSA_UNITS = 1500
# ejection chains: at most this many improving chain moves per local optimum, and no chain
# search above this many rounds plus targets (the assignment is cubic in it)
_MAX_CHAIN_PASSES = 50
_MAX_CHAIN_NODES = 1500
# targets a chain may end on with an extra round (those with the most value at risk)
_CHAIN_SINKS = 16


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


def ejection_chain(values: FloatArray, pk: FloatArray, x: IntArray) -> IntArray | None:
    """One improving set of cyclic and path exchanges of rounds between targets, or None.

    Rounds are moved along chains: round ``u`` takes the place of round ``v`` on
    ``v``'s target, ``v`` moves on to another round's place or to any target as an
    extra round, and a chain may start by vacating a round's place. A swap is a
    chain of two; longer cycles (weapon A from target 1 to 2, B from 2 to 3, C from 3
    to 1) are what reassign and swap moves cannot reach. Costs are the exact changes
    of each move on its own target (``V_j`` times the survival without the replaced
    round times the change in ``q``), so a set of chains that touches each target at
    most once is priced exactly; the best set is one linear assignment over
    ``(rounds + sinks)`` rows and columns (rows: rounds and vacancy fillers; columns:
    round places and an extra-round place on each of the targets with the most value
    at risk). Each chain found is then
    checked with the exact objective: all of them together if that improves, else
    the best single chain.
    """
    m, n = pk.shape
    q = 1.0 - pk
    survival, without = _survival_parts(q, x)
    ii, jj = np.nonzero(x)
    counts = x[ii, jj]
    ri, rj = np.repeat(ii, counts), np.repeat(jj, counts)
    r = ri.size
    if r < 2 or r + n > _MAX_CHAIN_NODES:
        return None
    keep = values[rj] * without[ri, rj]  # value a round's place holds at risk
    # replace[u, v]: round u replaces round v on v's target
    replace = keep[None, :] * (q[np.ix_(ri, rj)] - q[ri, rj][None, :])
    replace[rj[:, None] == rj[None, :]] = np.inf
    np.fill_diagonal(replace, 0.0)
    # extra rounds and vacated places only on the targets with the most value at risk:
    # a path ends where an extra round saves most, and it keeps the assignment small
    at_risk = values * survival
    sinks = np.sort(np.argsort(-at_risk, kind="stable")[: min(n, _CHAIN_SINKS)])
    s = sinks.size
    extra = -(pk[ri][:, sinks] * at_risk[sinks][None, :])  # round u added to sink target
    extra[rj[:, None] == sinks[None, :]] = np.inf
    vacate = np.broadcast_to(keep * pk[ri, rj], (s, r))  # round v's place left empty
    cost = np.block([[replace, extra], [vacate, np.zeros((s, s))]])
    rows, cols = linear_sum_assignment(cost)
    tol = 1e-12 * max(float(np.sum(at_risk)), 1e-300)
    if float(cost[rows, cols].sum()) >= -tol:
        return None
    dest = cols[:r]
    target = np.where(dest < r, rj[np.minimum(dest, r - 1)], sinks[np.maximum(dest - r, 0)])
    moving = np.flatnonzero(target != rj)
    if moving.size == 0:
        return None
    # chains: rounds linked by "takes the place of"
    linked = moving[dest[moving] < r]
    graph = sp.coo_matrix((np.ones(linked.size), (linked, dest[linked])), shape=(r, r)).tocsr()
    _, label = connected_components(graph, directed=True, connection="weak")

    def moved(us: IntArray) -> IntArray:
        y = x.copy()
        np.add.at(y, (ri[us], rj[us]), -1)
        np.add.at(y, (ri[us], target[us]), 1)
        return y

    before = surviving_value(values, pk, x)
    y = moved(moving)
    if surviving_value(values, pk, y) < before - tol:
        return y
    best, best_obj = None, before - tol
    for chain in np.unique(label[moving]):
        y = moved(moving[label[moving] == chain])
        obj = surviving_value(values, pk, y)
        if obj < best_obj:
            best, best_obj = y, obj
    return best


def pair_exchange(values: FloatArray, pk: FloatArray, x: IntArray) -> IntArray | None:
    """The best exchange of several rounds between two targets, or None if none improves.

    ``a`` rounds of weapon ``i`` go from target ``j`` to target ``k`` while ``b`` rounds
    of weapon ``l`` go from ``k`` to ``j``, for ``(a, b)`` in ``(2, 1), (1, 2), (2, 2),
    (2, 0), (0, 2)``: the moves that shift a second round between two targets, which
    chains price only approximately (each chain move is priced on its own target).
    Exact deltas, evaluated as one array over pairs of assigned (weapon, target) entries.
    """
    q = 1.0 - pk
    ii, jj = np.nonzero(x)
    if ii.size < 2:
        return None
    survival = np.prod(np.power(q, x), axis=0)
    risk = values * survival
    tol = 1e-12 * max(float(np.sum(risk)), 1e-300)
    cnt = x[ii, jj]
    if cnt.max() < 2:  # every move here shifts a second round of some entry
        return None
    q_own = q[ii, jj]  # (P,)
    q_there = q[np.ix_(ii, jj)]  # [u, v]: weapon of u on the target of v
    other = (jj[:, None] != jj[None, :]) & (q_own[:, None] > 0) & (q_own[None, :] > 0)
    best, best_delta = None, -tol
    for a, b in ((2, 1), (1, 2), (2, 2), (2, 0), (0, 2)):
        ok = other & (cnt[:, None] >= a) & (cnt[None, :] >= b)
        with np.errstate(divide="ignore", invalid="ignore"):
            # target j (of u) loses a rounds of u's weapon, gains b of v's weapon
            at_j = risk[jj][:, None] * (q_there.T**b / q_own[:, None] ** a - 1.0)
            # target k (of v) gains a rounds of u's weapon, loses b of v's weapon
            at_k = risk[jj][None, :] * (q_there**a / q_own[None, :] ** b - 1.0)
        delta = np.where(ok, at_j + at_k, np.inf)
        u, v = divmod(int(np.argmin(delta)), ii.size)
        if delta[u, v] < best_delta:
            best_delta = float(delta[u, v])
            best = (u, v, a, b)
    if best is None:
        return None
    u, v, a, b = best
    y = x.copy()
    y[ii[u], jj[u]] -= a
    y[ii[u], jj[v]] += a
    y[ii[v], jj[v]] -= b
    y[ii[v], jj[u]] += b
    return y


def improve(values: FloatArray, pk: FloatArray, inventory: IntArray, x0: IntArray) -> IntArray:
    """Local search, then ejection chains or two-target exchanges and local search again,
    until none improves."""
    x = local_search(values, pk, inventory, x0)
    for _ in range(_MAX_CHAIN_PASSES):
        y = ejection_chain(values, pk, x)
        if y is None:
            y = pair_exchange(values, pk, x)
        if y is None:
            break
        x = local_search(values, pk, inventory, y)
    return x


def heuristic_assignment(values: FloatArray, pk: FloatArray, inventory: IntArray) -> IntArray:
    """Best of :func:`improve` from the greedy start and from the slot-assignment start."""
    starts = [greedy_mmr(values, pk, inventory)]
    # the pessimistic slot costs measured better than the optimistic ones on the literature's
    # random instances (optimal after local search at 200 x 200); one start keeps it fast
    start = slot_assignment(values, pk, inventory, optimistic=False)
    if start is not None:
        starts.append(start)
    best_x = starts[0]
    best_obj = np.inf
    for start in starts:
        x = improve(values, pk, inventory, start)
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
