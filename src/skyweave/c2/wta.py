"""Static weapon-target assignment (WTA): exact and heuristic solvers.

Problem (weapons ``i``, targets ``j``)::

    minimise   sum_j V_j prod_i (1 - p_ij)^x_ij          (expected surviving value)
    subject to sum_j x_ij <= w_i,  x_ij >= 0 integer

``p_ij = 0`` marks an infeasible pair (a round there never helps, so none is assigned).

Exact method (``method="exact"``), a Lagrangian column method with HiGHS:

1. Incumbent from the heuristic (below).
2. Lower bound: price the inventory rows with ``lam_i``; the problem separates into one
   small problem per target (which rounds to fire at it), solved exactly by a pruned
   enumeration (:mod:`skyweave.c2.wta_columns`). The prices come from the linear programme
   over per-target columns (HiGHS), grown by pricing until no column has a negative reduced
   cost (column generation). That bound is far stronger than the convex relaxation of the
   log-transformed objective (about 0.3 % gap against 6 % on the literature's random
   instances), because each target's column carries its exact, non-convex cost.
3. Reduced-cost fixing in column form: any plan at least as good as the incumbent uses on
   each target a column whose reduced cost is within ``UB - L``; all such columns are
   enumerated and a set-partitioning MILP with *exact* costs (no approximation to refine)
   is solved by HiGHS. Its optimum is the proven optimum.
4. Fallback when the enumeration would explode: the outer-approximation MILP
   (:mod:`skyweave.c2.wta_oa`) for the remaining time. This happens when many weapons are
   surplus (zero price, e.g. 120 rounds on 20 targets): the Lagrangian bound is then weak
   and the result may come back at the time limit with a large *relative* gap on a tiny
   objective; the plan itself is the heuristic's or better.

Heuristic method (``method="heuristic"``): maximum-marginal-return greedy and two
slot-assignment starts (a linear assignment of rounds to per-target slots), each improved
by best-improvement local search (add, reassign and swap moves, evaluated as arrays). Its
reported ``bound`` is the Lagrangian bound with the heuristic's own opportunity prices as
multipliers (one pruned enumeration, a few milliseconds): proven, though looser than the
exact method's (about 3 % gap on the literature's random instances).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from skyweave.c2.wta_columns import (
    Columns,
    EnumerationLimit,
    best_per_target,
    columns_from_assignment,
    concat_columns,
    enumerate_columns,
    exp_bound,
    lagrangian_bound,
    pair_columns,
)
from skyweave.c2.wta_heuristic import heuristic_assignment, opportunity_prices, surviving_value
from skyweave.c2.wta_oa import solve_oa

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_log = logging.getLogger(__name__)

#: relative gap at or below which a result is reported as proven optimal
OPTIMALITY_GAP = 1e-6

# singleton columns kept in the first linear programme: the best few per target and per
# weapon (pricing adds any other column that the duals ask for)
_SEED_PER_TARGET = 100000
_SEED_PER_WEAPON = 100000
# candidate evaluations allowed in one exact pricing round before falling back to pairs
_PRICING_WORK = 4_000_000
# candidate evaluations for the heuristic's bound
_CHEAP_BOUND_WORK = 1_000_000
# candidate evaluations the pruned enumeration does per second (slow side, measured on a
# shared 2-core machine at about 2.5 million): an enumeration is given the work that
# fits in the time left, so the time limit holds (and its memory, which grows with the
# work, stays bounded) whatever the instance
_WORK_PER_S = 1_000_000
#: most rounds of one weapon type that a plan fires at one target (see useful_inventory)
MAX_ROUNDS_PER_TARGET = 100
# a round is useless once the value it could save is below this fraction of the total
_USEFUL_RTOL = 1e-12
# weapons per target whose pairs the fallback pricing tries
_PAIR_CANDIDATES = 12
# columns added per target and pricing round
_NEW_PER_TARGET = 5


@dataclass(frozen=True, eq=False)
class WTAResult:
    """Outcome of :func:`solve_wta`.

    Attributes
    ----------
    objective : float
        Expected surviving value of the returned assignment (recomputed from ``x``).
    bound : float
        Proven lower bound on the optimum (NaN if none could be proven).
    gap : float
        ``(objective - bound) / objective`` (0 when both are 0).
    seconds : float
        Wall-clock time spent.
    x : numpy.ndarray
        Integer assignment (weapons x targets): rounds of weapon ``i`` fired at target ``j``.
    assignment : list of (int, int, int)
        The non-zero entries of ``x`` as ``(weapon, target, rounds)``, row-major.
    status : str
        ``"optimal"`` (gap <= ``OPTIMALITY_GAP``), ``"time_limit"`` or ``"heuristic"``.
    method : str
        ``"exact"`` or ``"heuristic"``.
    """

    objective: float
    bound: float
    gap: float
    seconds: float
    x: IntArray
    assignment: list[tuple[int, int, int]] = field(repr=False)
    status: str
    method: str

    @property
    def optimal(self) -> bool:
        """True when the assignment is proven optimal (relative gap <= ``OPTIMALITY_GAP``)."""
        return self.status == "optimal"


def _as_problem(
    values: ArrayLike, pk: ArrayLike, inventory: ArrayLike
) -> tuple[FloatArray, FloatArray, IntArray]:
    v = np.asarray(values, dtype=np.float64)
    p = np.asarray(pk, dtype=np.float64)
    w_raw = np.asarray(inventory)
    if v.ndim != 1 or p.ndim != 2 or w_raw.ndim != 1:
        raise ValueError("values must be (n,), pk (m, n) and inventory (m,)")
    if p.shape != (w_raw.size, v.size):
        raise ValueError(f"pk has shape {p.shape}, expected ({w_raw.size}, {v.size})")
    if not (np.all(np.isfinite(v)) and np.all(v >= 0)):
        raise ValueError("values must be finite and non-negative")
    if not (np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))):
        raise ValueError("pk entries must lie in [0, 1]")
    w = w_raw.astype(np.int64)
    if not (np.all(w_raw == w) and np.all(w >= 0)):
        raise ValueError("inventory must hold non-negative integers")
    return v, p, w


def useful_inventory(values: FloatArray, pk: FloatArray, inventory: IntArray) -> IntArray:
    """Cap each weapon type's rounds at what the targets can use.

    After ``k`` rounds of weapon ``i`` on target ``j`` at most ``V_j (1 - p_ij)^k`` of its
    value survives, so further rounds of that weapon there save less than that. Rounds
    beyond the ``k`` where this falls below ``1e-12`` of the total value are dropped, and
    never more than :data:`MAX_ROUNDS_PER_TARGET` per target (a plan firing more rounds of
    one type at one target is outside what the C2 models mean). The cap bounds the
    solvers' memory and time by the instance's size, not by its inventory numbers
    (10,000 rounds of a weapon on 10 targets of pk 0.5 become 400).

    Returns
    -------
    numpy.ndarray
        ``min(w_i, sum_j rounds_ij)`` per weapon.
    """
    total = float(values.sum())
    if total <= 0.0 or pk.size == 0:
        return np.zeros_like(inventory)
    q = 1.0 - pk
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(_USEFUL_RTOL * total / values)[None, :] / np.log(q)
    need = np.where(np.isfinite(ratio), np.ceil(np.maximum(ratio, 1.0)), MAX_ROUNDS_PER_TARGET)
    need = np.where(q <= 0.0, 1.0, need)  # a certain kill needs one round
    need = np.where((pk <= 0.0) | (values[None, :] <= 0.0), 0.0, need)
    need = np.minimum(need, MAX_ROUNDS_PER_TARGET).sum(axis=1)
    return np.minimum(inventory, need.astype(np.int64))


def _result(
    values: FloatArray,
    pk: FloatArray,
    x: IntArray,
    bound: float,
    t0: float,
    method: str,
    proven: bool = True,
) -> WTAResult:
    objective = surviving_value(values, pk, x)
    if np.isfinite(bound):
        bound = min(bound, objective)  # a bound above the objective is round-off
        gap = (objective - bound) / objective if objective > 0 else 0.0
    else:
        bound, gap = float("nan"), float("nan")
    if method == "heuristic":
        status = "heuristic"
    else:
        status = "optimal" if proven and gap <= OPTIMALITY_GAP else "time_limit"
    ii, jj = np.nonzero(x)
    triples = [(int(i), int(j), int(x[i, j])) for i, j in zip(ii, jj, strict=True)]
    return WTAResult(
        objective=objective,
        bound=float(bound),
        gap=float(gap),
        seconds=time.perf_counter() - t0,
        x=x,
        assignment=triples,
        status=status,
        method=method,
    )


def solve_wta(
    values: ArrayLike,
    pk: ArrayLike,
    inventory: ArrayLike,
    method: Literal["exact", "heuristic"] = "exact",
    time_limit_s: float = 60.0,
) -> WTAResult:
    """Solve the static weapon-target assignment problem.

    Parameters
    ----------
    values : array_like, shape (n,)
        Target values ``V_j >= 0``.
    pk : array_like, shape (m, n)
        Single-shot kill probabilities ``p_ij`` in [0, 1], weapons by targets; 0 where
        weapon ``i`` cannot engage target ``j``.
    inventory : array_like, shape (m,)
        Rounds available per weapon ``w_i`` (non-negative integers).
    method : {"exact", "heuristic"}
        ``"exact"`` proves optimality (see the module notes); ``"heuristic"`` returns the
        local-search solution in milliseconds.
    time_limit_s : float
        Wall-clock limit for the exact method; on hitting it the best assignment found is
        returned with its proven bound and gap (``status == "time_limit"``).

    Returns
    -------
    WTAResult
        Objective, bound, gap, seconds, assignment (array and triples) and status.

    Raises
    ------
    ValueError
        If the arrays have inconsistent shapes or out-of-range entries.
    """
    t0 = time.perf_counter()
    v, p, w = _as_problem(values, pk, inventory)
    if method not in ("exact", "heuristic"):
        raise ValueError(f"method must be 'exact' or 'heuristic', not {method!r}")
    m, n = p.shape
    if m == 0 or n == 0:
        return _result(v, p, np.zeros((m, n), dtype=np.int64), float(v.sum()), t0, method)
    w = useful_inventory(v, p, w)
    x_heur = heuristic_assignment(v, p, w)
    if method == "heuristic":
        return _result(v, p, x_heur, _cheap_bound(v, p, w, x_heur), t0, method)
    return _solve_exact(v, p, w, x_heur, time_limit_s, t0)


def _cheap_bound(values: FloatArray, pk: FloatArray, inventory: IntArray, x: IntArray) -> float:
    """Lagrangian bound with the heuristic's opportunity prices as multipliers.

    Per-target subproblems are solved exactly by pruned enumeration when that stays small,
    else bounded in closed form through the convex relaxation (weaker, still proven).
    """
    q = 1.0 - pk
    a = -np.log(np.maximum(q, 1e-300))
    lam = opportunity_prices(values, pk, inventory, x)
    try:
        bound, _, _ = lagrangian_bound(
            values, q, a, inventory, lam, values, 0.0, max_work=_CHEAP_BOUND_WORK, collect=False
        )
    except EnumerationLimit:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(a > 0, lam[:, None] / a, np.inf)
        bound = float(exp_bound(values, ratio.min(axis=0)).sum() - inventory @ lam)
    return bound


def _seed_columns(values: FloatArray, pk: FloatArray, x_inc: IntArray) -> Columns:
    """Empty columns, the best singletons per target and per weapon, and the incumbent's."""
    m, n = pk.shape
    q = 1.0 - pk
    saved = values[None, :] * pk
    keep = np.zeros((m, n), dtype=bool)
    k_t = min(_SEED_PER_TARGET, m)
    k_w = min(_SEED_PER_WEAPON, n)
    top_t = np.argpartition(-saved, k_t - 1, axis=0)[:k_t]
    keep[top_t, np.arange(n)[None, :]] = True
    top_w = np.argpartition(-saved, k_w - 1, axis=1)[:, :k_w]
    keep[np.arange(m)[:, None], top_w] = True
    keep &= pk > 0
    ii, jj = np.nonzero(keep)
    singles = Columns(
        jj.astype(np.int64),
        np.arange(ii.size + 1, dtype=np.int64),
        ii.astype(np.int64),
        values[jj] * q[ii, jj],
    )
    empties = Columns(
        np.arange(n, dtype=np.int64), np.zeros(n + 1, np.int64), np.zeros(0, np.int64), values
    )
    return concat_columns([empties, singles, columns_from_assignment(values, q, x_inc)])


def _matrices(cols: Columns, m: int, n: int) -> tuple[sp.csr_array, sp.csr_array]:
    """Target (equality) and weapon (inventory) rows of a column batch."""
    c = cols.size
    a_eq = sp.csr_array((np.ones(c), (cols.target, np.arange(c))), shape=(n, c))
    col_of_round = np.repeat(np.arange(c), np.diff(cols.start))
    a_ub = sp.csr_array(
        (np.ones(cols.weapon.size), (cols.weapon, col_of_round)), shape=(m, c)
    )  # duplicates sum: a column firing two rounds of a weapon uses 2
    return a_eq, a_ub


def _solve_exact(
    v: FloatArray, p: FloatArray, w: IntArray, x_inc: IntArray, time_limit_s: float, t0: float
) -> WTAResult:
    m, n = p.shape
    q = 1.0 - p
    a = -np.log(np.maximum(q, 1e-300))
    ub = surviving_value(v, p, x_inc)
    scale = max(ub, 1e-12)
    eps = 1e-9 * scale

    def left() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    def work(most: int) -> int:
        return int(min(most, max(left(), 0.0) * _WORK_PER_S))

    def done(bound: float) -> bool:
        # stricter than OPTIMALITY_GAP so that a closed gap means the optimum itself
        return ub - bound <= eps

    best_l = -np.inf
    best_lam = np.zeros(m)
    best_h = v.copy()
    # --- column generation: LP duals -> exact Lagrangian bound -> new columns -------------
    pool = _seed_columns(v, p, x_inc)
    keys = set(pool.keys())
    enumeration_ok = True
    while left() > 0 and not done(best_l):
        a_eq, a_ub = _matrices(pool, m, n)
        lp = linprog(
            pool.cost,
            A_ub=a_ub,
            b_ub=w.astype(float),
            A_eq=a_eq,
            b_eq=np.ones(n),
            bounds=(0, None),
            method="highs",
            options={"time_limit": max(left(), 1e-3)},
        )
        if lp.status != 0:
            _log.debug("LP failed: %s", lp.message)
            break
        mu = np.asarray(lp.eqlin.marginals, dtype=float)
        lam = np.maximum(-np.asarray(lp.ineqlin.marginals, dtype=float), 0.0)
        try:
            bound, h, found = lagrangian_bound(
                v, q, a, w, lam, mu, -eps, max_work=work(_PRICING_WORK)
            )
        except EnumerationLimit:
            # prices still far from the optimum's: add the best short columns, no bound yet
            bound = -np.inf
            found = pair_columns(v, q, w, lam, mu, _PAIR_CANDIDATES, -eps)
        if bound > best_l:
            best_l, best_lam, best_h = bound, lam, h
        _log.debug(
            "t=%.3fs pool=%d lp=%.9g bound=%.9g ub=%.9g found=%d",
            time.perf_counter() - t0,
            pool.size,
            lp.fun,
            bound,
            ub,
            found.size,
        )
        if found.size == 0:
            break  # no column prices out: the LP is optimal over all columns
        found = best_per_target(found, mu, lam, _NEW_PER_TARGET)
        found_keys = found.keys()
        fresh = np.array([k not in keys for k in found_keys], dtype=bool)
        if not fresh.any():
            break
        new = found.select(np.nonzero(fresh)[0])
        keys.update(k for k, f in zip(found_keys, fresh, strict=True) if f)
        pool = concat_columns([pool, new])
    if done(best_l) or left() <= 0:
        return _result(v, p, x_inc, best_l, t0, "exact")
    # --- all columns that a plan as good as the incumbent could use; exact MILP ---------
    if enumeration_ok:
        try:
            cols, _ = enumerate_columns(
                v, q, a, w, best_lam, best_h, ub - best_l + eps, max_work=work(30_000_000)
            )
        except EnumerationLimit:
            enumeration_ok = False
    if not enumeration_ok:
        _log.debug("t=%.3fs enumeration too large: outer approximation", time.perf_counter() - t0)
        oa = solve_oa(v, p, w, left(), start=x_inc, upper_bound=ub * (1 + 1e-9))
        x_best = x_inc
        if oa.x is not None and oa.objective < ub:
            x_best = oa.x
        return _result(v, p, x_best, max(best_l, oa.bound), t0, "exact", proven=oa.finished)
    _log.debug("t=%.3fs restricted MILP over %d columns", time.perf_counter() - t0, cols.size)
    a_eq, a_ub = _matrices(cols, m, n)
    res = milp(
        cols.cost,
        integrality=np.ones(cols.size),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(a_eq, 1.0, 1.0),
            LinearConstraint(a_ub, -np.inf, w.astype(float)),
        ],
        options={"mip_rel_gap": 0.0, "time_limit": max(left(), 1e-3)},
    )
    _log.debug("t=%.3fs MILP status %d", time.perf_counter() - t0, res.status)
    x_best = x_inc
    if res.x is not None:
        chosen = np.nonzero(res.x > 0.5)[0]
        x_new = np.zeros((m, n), dtype=np.int64)
        sel = cols.select(chosen.astype(np.int64))
        col_of_round = np.repeat(sel.target, np.diff(sel.start))
        np.add.at(x_new, (sel.weapon, col_of_round), 1)
        if surviving_value(v, p, x_new) < ub:
            x_best = x_new
    bound = best_l
    if res.mip_dual_bound is not None and np.isfinite(res.mip_dual_bound):
        # every plan no worse than the incumbent is in the restricted MILP
        bound = max(bound, min(ub, float(res.mip_dual_bound)))
    elif res.status == 2:  # infeasible restricted MILP: nothing beats the incumbent
        bound = ub
    return _result(v, p, x_best, bound, t0, "exact", proven=res.status in (0, 2))
