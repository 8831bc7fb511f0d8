"""Per-target columns for weapon-target assignment: enumeration, pricing, Lagrangian bound.

A *column* is one target ``j`` with a multiset ``S`` of weapon rounds; its exact cost is
``V_j prod_{i in S} (1 - p_ij)``. Relaxing the inventory rows with prices ``lam_i >= 0``
separates the problem by target:

    L(lam) = sum_j h_j(lam) - sum_i w_i lam_i,   h_j = min_S V_j prod_S q_ij + sum_S lam_i,

a proven lower bound for every ``lam >= 0`` (the bound of the column linear programme when
``lam`` is its optimal dual). Any plan of cost at most ``UB`` uses, on every target, a column
whose Lagrangian reduced cost ``g_jS - h_j`` is at most ``UB - L(lam)``; enumerating those
columns gives a restricted integer programme with exact costs that contains every optimum.

The enumeration is level by level (all columns with k rounds at once, over all targets),
with weapons of each target sorted by ``lam_i / a_ij`` (``a_ij = -ln(1 - p_ij)``) so that a
suffix bound prunes: a column extended by rounds from positions ``>= s`` costs at least
``lin + max(min suffix lam, E(V', lam_s / a_s))`` where ``E(V, c) = min_y V e^-y + c y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class EnumerationLimit(Exception):
    """Raised when enumeration would exceed its node budget."""


@dataclass(frozen=True)
class Columns:
    """A batch of columns: target of each, its weapon rounds (CSR-like) and exact cost."""

    target: IntArray  # (C,)
    start: IntArray  # (C + 1,) offsets into weapon
    weapon: IntArray  # rounds, weapon index per round
    cost: FloatArray  # (C,) exact V_j prod q

    @property
    def size(self) -> int:
        return int(self.target.size)

    def keys(self) -> list[tuple[int, ...]]:
        """Hashable identity of each column: (target, sorted rounds...)."""
        out = []
        for c in range(self.size):
            rounds = np.sort(self.weapon[self.start[c] : self.start[c + 1]])
            out.append((int(self.target[c]), *(int(r) for r in rounds)))
        return out

    def select(self, index: IntArray) -> Columns:
        lengths = np.diff(self.start)[index]
        start = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        weapon = (
            np.concatenate([self.weapon[self.start[c] : self.start[c + 1]] for c in index])
            if index.size
            else np.zeros(0, dtype=np.int64)
        ).astype(np.int64)
        return Columns(self.target[index], start, weapon, self.cost[index])


def concat_columns(parts: list[Columns]) -> Columns:
    """Concatenate column batches."""
    starts = [np.zeros(1, dtype=np.int64)]
    offset = 0
    for part in parts:
        starts.append(part.start[1:] + offset)
        offset += int(part.start[-1])
    return Columns(
        np.concatenate([p.target for p in parts]).astype(np.int64),
        np.concatenate(starts).astype(np.int64),
        np.concatenate([p.weapon for p in parts]).astype(np.int64),
        np.concatenate([p.cost for p in parts]).astype(np.float64),
    )


def columns_from_assignment(values: FloatArray, q: FloatArray, x: IntArray) -> Columns:
    """One column per target describing assignment ``x`` (empty columns included)."""
    m, n = x.shape
    weapon_lists = [np.repeat(np.arange(m), x[:, j]) for j in range(n)]
    lengths = np.array([len(wl) for wl in weapon_lists], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    weapon = np.concatenate(weapon_lists).astype(np.int64) if n else np.zeros(0, np.int64)
    cost = values * np.prod(np.power(q, x), axis=0)
    return Columns(np.arange(n, dtype=np.int64), start, weapon, cost)


def exp_bound(v: FloatArray, c: FloatArray) -> FloatArray:
    """``min_{y >= 0} v e^-y + c y``: ``c (1 + ln(v / c))`` when ``v > c``, else ``v``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = c * (1.0 + np.log(v / c))
    return np.where(v > c, np.where(c > 0, inner, 0.0), v)


def enumerate_columns(
    values: FloatArray,
    q: FloatArray,
    a: FloatArray,
    inventory: IntArray,
    lam: FloatArray,
    base: FloatArray,
    threshold: float,
    max_work: int = 30_000_000,
    prune_to_best: bool = False,
    max_rounds: int | None = None,
    collect: bool = True,
) -> tuple[Columns, FloatArray]:
    """All columns with ``V_j prod_S q + lam.S - base_j <= threshold`` (p_ij > 0 rounds only).

    Returns the columns and, per target, the smallest ``V_j prod_S q + lam.S`` seen (``inf``
    where no column passed). With ``prune_to_best`` only subtrees that can beat the best
    column found so far on their target are expanded (a branch-and-bound for the minimum:
    the minimum is still exact, but not every column within the threshold is returned).
    Raises :class:`EnumerationLimit` when a level would need more than ``max_work``
    candidate evaluations. With ``max_rounds`` columns stop at that many rounds (the minimum
    is then over those columns only, not a bound).
    """
    m, n = q.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a > 0, lam[:, None] / a, np.inf)
    order_t = np.argsort(ratio, axis=0, kind="stable").T  # (n, m): weapon at position s
    tgt = np.arange(n)[:, None]
    q_s = q[order_t, tgt]
    r_s = ratio[order_t, tgt]
    usable_s = np.isfinite(r_s)
    lam_s = lam[order_t]
    w_s = inventory[order_t]
    lam_suffix = np.minimum.accumulate(lam_s[:, ::-1], axis=1)[:, ::-1]
    # product of every round from position s on: no extension gets survival below it
    with np.errstate(under="ignore"):
        q_all = np.where(usable_s, np.power(q_s, w_s), 1.0)
        q_suffix = np.cumprod(q_all[:, ::-1], axis=1)[:, ::-1]
    positions = np.arange(m)[None, :]

    best = np.full(n, np.inf)
    parts: list[Columns] = []
    # empty columns
    empty_ok = values - base <= threshold
    best = np.minimum(best, values)
    if empty_ok.any():
        idx = np.nonzero(empty_ok)[0].astype(np.int64)
        parts.append(
            Columns(idx, np.zeros(idx.size + 1, dtype=np.int64), np.zeros(0, np.int64), values[idx])
        )
    # level 0 nodes: the empty column of every target (always expanded if it may lead anywhere)
    node_t = np.arange(n, dtype=np.int64)
    node_pos = np.full(n, -1, dtype=np.int64)
    node_cnt = np.zeros(n, dtype=np.int64)
    node_v = values.astype(np.float64).copy()
    node_lin = np.zeros(n)
    node_members = np.zeros((n, 0), dtype=np.int64)
    work = 0
    while node_t.size:
        if max_rounds is not None and node_members.shape[1] >= max_rounds:
            break
        work += node_t.size * m
        if work > max_work:
            raise EnumerationLimit
        pos = node_pos[:, None]
        w_here = w_s[node_t]
        valid = usable_s[node_t] & (
            (positions > pos) | ((positions == pos) & (node_cnt[:, None] < w_here))
        )
        v_child = node_v[:, None] * q_s[node_t]
        lin_child = node_lin[:, None] + lam_s[node_t]
        g = v_child + lin_child
        d = g - base[node_t][:, None]
        record = valid & (d <= threshold) if collect else valid
        g_valid = np.where(valid, g, np.inf)
        np.minimum.at(best, node_t, g_valid.min(axis=1))
        # a non-empty extension from position s on costs at least the larger of: the convex
        # bound, and (cheapest price + survival with every remaining round fired)
        lower = lin_child + np.maximum(
            lam_suffix[node_t] + v_child * q_suffix[node_t], exp_bound(v_child, r_s[node_t])
        )
        limit = base[node_t] + threshold
        if prune_to_best:
            limit = np.minimum(limit, best[node_t])
        expand = valid & (lower <= limit[:, None])
        k_rec, s_rec = np.nonzero(record) if collect else (np.zeros(0, np.int64),) * 2
        if k_rec.size:
            weap = order_t[node_t[k_rec], s_rec]
            members = np.concatenate([node_members[k_rec], weap[:, None]], axis=1)
            level = members.shape[1]
            parts.append(
                Columns(
                    node_t[k_rec],
                    np.arange(k_rec.size + 1, dtype=np.int64) * level,
                    members.ravel().astype(np.int64),
                    v_child[k_rec, s_rec],
                )
            )
        k_exp, s_exp = np.nonzero(expand)
        weap_exp = order_t[node_t[k_exp], s_exp]
        same = s_exp == node_pos[k_exp]
        node_cnt = np.where(same, node_cnt[k_exp] + 1, 1)
        node_members = np.concatenate([node_members[k_exp], weap_exp[:, None]], axis=1)
        node_t = node_t[k_exp]
        node_pos = s_exp.astype(np.int64)
        node_v = v_child[k_exp, s_exp]
        node_lin = lin_child[k_exp, s_exp]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Columns(empty, np.zeros(1, np.int64), empty, np.zeros(0)), best
    return concat_columns(parts), best


def lagrangian_bound(
    values: FloatArray,
    q: FloatArray,
    a: FloatArray,
    inventory: IntArray,
    lam: FloatArray,
    base: FloatArray,
    threshold: float,
    prune_to_best: bool = True,
    max_work: int = 30_000_000,
    collect: bool = True,
) -> tuple[float, FloatArray, Columns]:
    """Lagrangian bound ``L(lam)`` with the subproblem minima ``h`` and the columns within
    ``threshold`` of ``base`` found on the way.

    ``base`` must be an upper estimate of each ``h_j`` (for instance ``V_j``, or the reduced
    cost zero level of a linear programme); where no column falls within the threshold the
    minimum is known to exceed ``base_j + threshold`` and that value is used (still a bound).
    """
    cols, best = enumerate_columns(
        values,
        q,
        a,
        inventory,
        lam,
        base,
        threshold,
        max_work,
        prune_to_best=prune_to_best,
        collect=collect,
    )
    # best is exact where it is <= base + threshold; otherwise h_j > base_j + threshold
    h = np.where(best <= base + threshold, best, base + threshold)
    bound = float(h.sum() - inventory @ lam)
    return bound, h, cols


def best_per_target(cols: Columns, base: FloatArray, lam: FloatArray, k: int) -> Columns:
    """The ``k`` columns of smallest reduced cost ``cost + lam.S - base_j`` on each target."""
    if cols.size == 0:
        return cols
    col_of_round = np.repeat(np.arange(cols.size), np.diff(cols.start))
    lin = np.bincount(col_of_round, weights=lam[cols.weapon], minlength=cols.size)
    reduced = cols.cost + lin - base[cols.target]
    order = np.lexsort((reduced, cols.target))
    tgt_sorted = cols.target[order]
    first = np.searchsorted(tgt_sorted, tgt_sorted, side="left")
    rank = np.arange(order.size) - first
    return cols.select(np.sort(order[rank < k]))


def pair_columns(
    values: FloatArray,
    q: FloatArray,
    inventory: IntArray,
    lam: FloatArray,
    base: FloatArray,
    k: int,
    threshold: float,
) -> Columns:
    """Two-round columns among each target's ``k`` best single rounds, with reduced cost
    ``V_j q_ij q_lj + lam_i + lam_l - base_j <= threshold`` (a cheap pricing fallback)."""
    m, n = q.shape
    k = min(k, m)
    single = np.where(q < 1.0, values[None, :] * q + lam[:, None], np.inf)
    top = np.argpartition(single, k - 1, axis=0)[:k].T  # (n, k) weapons per target
    iu, il = np.triu_indices(k, 0)
    wi, wl = top[:, iu], top[:, il]  # (n, P)
    tgt = np.broadcast_to(np.arange(n)[:, None], wi.shape)
    ok = (wi != wl) | (inventory[wi] >= 2)
    ok &= (q[wi, tgt] < 1.0) & (q[wl, tgt] < 1.0)
    cost = values[:, None] * q[wi, tgt] * q[wl, tgt]
    reduced = cost + lam[wi] + lam[wl] - base[:, None]
    sel = ok & (reduced <= threshold)
    t_sel, p_sel = np.nonzero(sel)
    members = np.stack([wi[t_sel, p_sel], wl[t_sel, p_sel]], axis=1)
    return Columns(
        t_sel.astype(np.int64),
        np.arange(t_sel.size + 1, dtype=np.int64) * 2,
        members.ravel().astype(np.int64),
        cost[t_sel, p_sel],
    )
