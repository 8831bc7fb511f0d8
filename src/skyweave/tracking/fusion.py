"""Track-to-track fusion: each partner's picture and the coalition picture.

A :class:`PartnerPicture` holds one partner's own confirmed tracks plus the
remote tracks other partners released to it (:class:`RemoteTracks`, each with
its origin, the origin's track id, state, covariance, time of validity and the
sensor ids that fed it). At every :meth:`PartnerPicture.update`:

1. remote tracks older than ``max_age_s`` are dropped (stale);
2. every track is predicted to the picture time with the fusion motion model
   (default :class:`~skyweave.tracking.motion.Ballistic` in ECEF);
3. tracks are associated source by source: own tracks first, then each remote
   origin in name order against the fused list built so far (so remote tracks
   of two partners are associated with each other too). The cost of a pair is
   the chi-square statistic ``d^T (P_a + P_b)^-1 d`` of the 6-D state
   difference; pairs outside the ``gate_probability`` gate (6 dof) are
   forbidden and ``scipy.optimize.linear_sum_assignment`` picks the global
   nearest neighbour. The cross-covariance of the two estimates is unknown and
   ignored in the gate (which makes it wider, not narrower);
4. associated tracks are fused by covariance intersection (below); a source
   adds at most one track to a fused track;
5. every fused track gets a *picture number* (track-number correlation,
   below), kept from update to update.

Covariance intersection (Julier & Uhlmann 1997) fuses two estimates whose
cross-correlation is unknown (partners' tracks share process noise, and a
partner may relay data that already holds ours):
``P^-1 = w A^-1 + (1 - w) B^-1``, ``x = P (w A^-1 a + (1 - w) B^-1 b)``. For
every ``w`` in ``[0, 1]`` the result is consistent (``P`` bounds the true error
covariance whatever the correlation). ``w`` minimises ``tr P`` (default) or
``det P``; both are convex in ``w`` (``P^-1`` is affine in ``w``, and
``tr X^-1`` and ``-log det X`` are convex on positive definite matrices), so
the minimiser is found exactly by bisection on the sign of the derivative
(``d tr P / dw = -tr(P D P)``, ``d log det P / dw = -tr(P D)`` with
``D = A^-1 - B^-1``), vectorised over all pairs with a fixed number of steps
(52 halvings: ``w`` to machine precision). At an end point the input itself is
returned, so fusing a track with an identical copy gives it back unchanged.
Several sources are fused one after another (sequential pairwise CI), which
stays consistent.

Track-number correlation: a table maps each contributor, ``(origin, track id)``
(own tracks included), to the picture number it was last fused into. A new
fused track scores 1 for every contributor already on number ``n`` and up to
``continuity_weight`` for kinematic continuity with the previous picture's
number ``n`` (``1 - d^2 / gate`` when the fused state falls inside the
chi-square gate of that number's predicted state). Numbers are then assigned
by ``linear_sum_assignment`` on the score (ties go to the older number) and
the rest get fresh numbers. So when one partner's tracker swaps two ids, or
the pairing of own and remote tracks flips for an update, the vote of the
other contributor plus continuity keep each threat on its number. Entries not
seen for ``forget_after_s`` are forgotten.

:class:`CoalitionPicture` is the same machinery with no own tracks, fed with
every partner's released tracks (integrated mode).

The gating, the assignment and covariance intersection (vectorised over track
pairs) live in :mod:`skyweave.tracking.fusion_math`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from skyweave.tracking.fusion_kernel import sorted_in, votes_settle
from skyweave.tracking.fusion_math import assign_pairs, covariance_intersection, gated_pairs
from skyweave.tracking.measurement import chi2_gate
from skyweave.tracking.motion import Ballistic, MotionModel
from skyweave.tracking.tracker import TrackBatch
from skyweave.tracking.tracker_kernel import ellipsoid_altitude_m

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
AnyFloatArray = NDArray[np.floating[Any]]

_KEY_SHIFT = 40  # key = origin_index << 40 | track_id (track ids stay far below 2**40)


# --------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class RemoteTracks:
    """Tracks released by one partner, as received over a link.

    Attributes
    ----------
    origin : str
        Partner that produced the tracks.
    time_s : (K,) float64
        Time of validity of each state (a scalar is broadcast).
    track_id : (K,) int64
        The origin's track ids (unique within the message, >= 0).
    state : (K, 6) float64
        ECEF ``(x, y, z, vx, vy, vz)``.
    covariance : (K, 6, 6) float64
    sources_mask : (K, S) bool
        ``sources_mask[k, s]``: sensor ``sensor_ids[s]`` fed track ``k``.
    sensor_ids : tuple of str
    """

    origin: str
    time_s: FloatArray
    track_id: IntArray
    state: FloatArray
    covariance: FloatArray
    sources_mask: BoolArray
    sensor_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        tid = np.asarray(self.track_id, dtype=np.int64).reshape(-1)
        k = tid.shape[0]
        x = np.asarray(self.state, dtype=np.float64).reshape(k, 6)
        p = np.asarray(self.covariance, dtype=np.float64).reshape(k, 6, 6)
        t = np.broadcast_to(np.asarray(self.time_s, dtype=np.float64), (k,)).copy()
        src = np.asarray(self.sources_mask, dtype=bool).reshape(k, len(self.sensor_ids))
        if np.unique(tid).shape[0] != k:
            raise ValueError(f"remote tracks from {self.origin}: duplicate track ids")
        if k and (tid.min() < 0 or tid.max() >= 1 << _KEY_SHIFT):
            raise ValueError(f"remote tracks from {self.origin}: track ids out of range")
        object.__setattr__(self, "track_id", tid)
        object.__setattr__(self, "state", x)
        object.__setattr__(self, "covariance", p)
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "sources_mask", src)
        object.__setattr__(self, "sensor_ids", tuple(self.sensor_ids))

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @classmethod
    def from_batch(
        cls, origin: str, batch: TrackBatch, time_s: float | None = None
    ) -> RemoteTracks:
        """Wrap a partner tracker's confirmed tracks (time of validity ``batch.time_s``)."""
        return cls(
            origin=origin,
            time_s=np.full(len(batch), batch.time_s if time_s is None else time_s),
            track_id=batch.track_id,
            state=batch.state,
            covariance=batch.covariance,
            sources_mask=batch.sources_mask,
            sensor_ids=batch.sensor_ids,
        )


@dataclass(frozen=True)
class FusionConfig:
    """Tuning of a fused picture.

    Attributes
    ----------
    motion : MotionModel
        Predicts tracks to the picture time (states in ECEF).
    gate_probability : float
        Probability mass of the 6-dof chi-square gate of track-to-track association
        (and of kinematic continuity in the number correlation).
    max_age_s : float
        Remote tracks whose time of validity is older than this at an update are dropped.
    criterion : {"trace", "det"}
        What covariance intersection minimises.
    forget_after_s : float
        Correlation-table entries not seen for this long are forgotten.
    continuity_weight : float
        Largest score kinematic continuity adds to keeping a number (one contributor
        vote is worth 1).
    min_altitude_m : float
        A track flown on to the picture time below this height (the ground, less a
        margin for noise) is left out of the picture, and a remote one is dropped
        (ECEF states; the default, -inf, keeps every track).
    """

    motion: MotionModel = field(default_factory=lambda: Ballistic(frame="ecef"))
    gate_probability: float = 0.999
    max_age_s: float = 30.0
    criterion: Literal["trace", "det"] = "trace"
    forget_after_s: float = 120.0
    continuity_weight: float = 1.0
    min_altitude_m: float = float("-inf")

    def __post_init__(self) -> None:
        if not 0.0 < self.gate_probability < 1.0:
            raise ValueError("gate_probability must be in (0, 1)")
        if self.criterion not in ("trace", "det"):
            raise ValueError(f"unknown criterion {self.criterion!r}")
        if not self.max_age_s >= 0.0:
            raise ValueError("max_age_s must be >= 0")

    @property
    def gate_d2(self) -> float:
        """Chi-square (6 dof) gate on the squared Mahalanobis distance of two states."""
        return chi2_gate(self.gate_probability, 6)


# -------------------------------------------------------------------- output
@dataclass(frozen=True)
class FusedPicture:
    """One partner's (or the coalition's) fused picture at one time.

    Attributes
    ----------
    time_s : float
    owner : str
        Partner whose picture this is (``"coalition"`` for the coalition picture).
    picture_number : (K,) int64
        Stable fused-track numbers (1, 2, ...), sorted ascending.
    state : (K, 6) float64
    covariance : (K, 6, 6) float64
    pos_sigma_m : (K,) float64
        ``sqrt(trace(P_pos))``.
    origins : tuple of str
        Column labels of ``contributor_id``; the owner first.
    contributor_id : (K, O) int64
        Track id from each origin fused into each picture track, -1 for none.
    sources_mask : (K, S) bool
        Union of the contributors' sources over ``sensor_ids``.
    sensor_ids : tuple of str
    n_stale_dropped : int
        Remote tracks dropped as stale at this update.
    """

    time_s: float
    owner: str
    picture_number: IntArray
    state: FloatArray
    covariance: FloatArray
    pos_sigma_m: FloatArray
    origins: tuple[str, ...]
    contributor_id: IntArray
    sources_mask: BoolArray
    sensor_ids: tuple[str, ...]
    n_stale_dropped: int = 0

    def __len__(self) -> int:
        return int(self.picture_number.shape[0])

    @property
    def contributors(self) -> list[list[tuple[str, int]]]:
        """``(origin, track id)`` pairs per picture track (formatting, not a hot path)."""
        return [
            [(self.origins[o], int(row[o])) for o in np.flatnonzero(row >= 0)]
            for row in self.contributor_id
        ]

    @property
    def sources(self) -> list[list[str]]:
        """Sorted sensor ids that fed each picture track."""
        ids = np.asarray(self.sensor_ids, dtype=object)
        order = np.argsort(ids) if len(ids) else np.zeros(0, dtype=np.int64)
        mask = self.sources_mask[:, order]
        return [list(ids[order][row]) for row in mask]

    def rows(self, partner: str | None = None, contributors: bool = False) -> dict[str, object]:
        """Columns as in ``tracks.parquet``, ``track_id`` holding the picture number.

        Parameters
        ----------
        partner : str, optional
            Value of the ``partner`` column (default: the owner).
        contributors : bool
            Add a ``contributors`` column, a list of ``"origin:track_id"`` strings.
        """
        k = len(self)
        out: dict[str, object] = {
            "time_s": np.full(k, self.time_s),
            "partner": np.full(k, self.owner if partner is None else partner, dtype=object),
            "track_id": self.picture_number.copy(),
            "x_m": self.state[:, 0].copy(),
            "y_m": self.state[:, 1].copy(),
            "z_m": self.state[:, 2].copy(),
            "vx_mps": self.state[:, 3].copy(),
            "vy_mps": self.state[:, 4].copy(),
            "vz_mps": self.state[:, 5].copy(),
            "pos_sigma_m": self.pos_sigma_m.copy(),
            "sources": self.sources,
        }
        if contributors:
            out["contributors"] = [[f"{o}:{t}" for o, t in row] for row in self.contributors]
        return out

    def to_arrow(self, partner: str | None = None, contributors: bool = False) -> pa.Table:
        """The rows as a ``pyarrow.Table`` (list columns are ``list<string>``)."""
        cols = self.rows(partner, contributors)
        return pa.table(
            {
                name: pa.array(
                    list(val) if isinstance(val, np.ndarray) and val.dtype == object else val,
                    type=pa.list_(pa.string()) if name in ("sources", "contributors") else None,
                )
                for name, val in cols.items()
            }
        )


# ----------------------------------------------------------------- helpers
def _predict_grouped(
    motion: MotionModel, x: FloatArray, p: FloatArray, dt_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Predict rows by their own ``dt``: one call per distinct ``dt`` (per message, not track)."""
    if x.shape[0] == 0:
        return x.copy(), p.copy()
    if (dt_s == dt_s[0]).all():  # one message's age (the usual case): one call on all rows
        xo, po = motion.predict(x, p, float(dt_s[0]))
        return (xo.copy() if xo is x else xo), (po.copy() if po is p else po)
    xo = np.empty_like(x)
    po = np.empty_like(p)
    values, inverse = np.unique(dt_s, return_inverse=True)
    for i, dt in enumerate(values):
        sel = inverse == i
        xo[sel], po[sel] = motion.predict(x[sel], p[sel], float(dt))
    return xo, po


def _vote_cost(
    n_rows: int, n_cols: int, row: IntArray, col: IntArray, weight: FloatArray
) -> FloatArray:
    """Cost matrix of the number assignment: ``-(score - tie)`` where a fused track's
    summed votes for a number are positive, 0 elsewhere; ties go to the older (smaller)
    number.

    The score is summed vote by vote in order (``np.bincount``, as ``np.add.at`` sums),
    and the cost formula is applied to the voted cells only (every other cell's score
    is 0, so its cost is 0): the dense form's numbers, without passes over the whole
    matrix (hundreds of tracks by hundreds of numbers on a raid).
    """
    tie = 1e-9 * np.arange(n_cols) / max(n_cols, 1)
    cell = row * n_cols + col
    # float64 with weights (typed as the unweighted count)
    flat = cast(FloatArray, np.bincount(cell, weights=weight, minlength=n_rows * n_cols))
    score = flat[cell]
    flat[cell] = np.where(score > 0.0, -(score - tie[col]), 0.0)
    return flat.reshape(n_rows, n_cols)


# ------------------------------------------------------------------- pictures
class PartnerPicture:
    """One partner's fused picture: own confirmed tracks plus released remote tracks.

    Parameters
    ----------
    owner : str
        The partner whose picture this is; its own tracks are given to :meth:`update`.
    config : FusionConfig, optional
    """

    def __init__(self, owner: str, config: FusionConfig | None = None) -> None:
        self.owner = owner
        self.config = config if config is not None else FusionConfig()
        self._gate = self.config.gate_d2
        self._origins: list[str] = [owner]
        self._origin_index: dict[str, int] = {owner: 0}
        self._sensor_index: dict[str, int] = {}
        # Remote store, sorted by key.
        self._r_key = np.zeros(0, dtype=np.int64)
        self._r_x = np.zeros((0, 6))
        self._r_p = np.zeros((0, 6, 6))
        self._r_tov = np.zeros(0)
        self._r_src = np.zeros((0, 0), dtype=bool)
        # Correlation table, sorted by key.
        self._t_key = np.zeros(0, dtype=np.int64)
        self._t_num = np.zeros(0, dtype=np.int64)
        self._t_seen = np.zeros(0)
        self._own: tuple[IntArray, IntArray] | None = None  # see _own_rows
        self._prev: FusedPicture | None = None
        self._next_number = 1

    # ----------------------------------------------------------------- state
    @property
    def n_remote(self) -> int:
        """Remote tracks held (not yet stale-checked against a later update)."""
        return int(self._r_key.shape[0])

    def _own_rows(self) -> tuple[IntArray, IntArray]:
        """``(own track id, picture number)`` of the table's own rows, in table order
        (kept until the table next changes: the command post asks many times a tick)."""
        if self._own is None:
            own = (self._t_key >> _KEY_SHIFT) == self._origin_index[self.owner]
            self._own = (self._t_key[own] & ((1 << _KEY_SHIFT) - 1), self._t_num[own])
        return self._own

    def own_tracks_of(self, picture_numbers: ArrayLike) -> IntArray:
        """The owner's track ids last fused into these picture numbers (the correlation
        table: a track dropped since is still there until forgotten)."""
        ids, nums = self._own_rows()
        wanted = np.asarray(picture_numbers, dtype=np.int64).reshape(-1)
        hit = nums == wanted[0] if wanted.size == 1 else np.isin(nums, wanted)
        return np.sort(ids[hit])

    def picture_numbers_of_own(self) -> dict[int, int]:
        """Own track id -> the picture number it was last fused into (the correlation
        table, as :meth:`own_tracks_of` reads it the other way)."""
        ids, nums = self._own_rows()
        return dict(zip(ids.tolist(), nums.tolist(), strict=True))

    @property
    def last(self) -> FusedPicture | None:
        """The picture of the last update."""
        return self._prev

    def _origin(self, name: str) -> int:
        idx = self._origin_index.get(name)
        if idx is None:
            idx = len(self._origins)
            self._origins.append(name)
            self._origin_index[name] = idx
        return idx

    def _columns(self, sensor_ids: tuple[str, ...]) -> IntArray:
        """Global sensor columns of ``sensor_ids`` (loop over sensors, not tracks)."""
        cols = []
        for sid in sensor_ids:
            idx = self._sensor_index.get(sid)
            if idx is None:
                idx = len(self._sensor_index)
                self._sensor_index[sid] = idx
                self._r_src = np.concatenate(
                    [self._r_src, np.zeros((self._r_src.shape[0], 1), dtype=bool)], axis=1
                )
            cols.append(idx)
        return np.asarray(cols, dtype=np.int64)

    def _global_mask(self, mask: BoolArray, sensor_ids: tuple[str, ...]) -> BoolArray:
        cols = self._columns(sensor_ids)
        out = np.zeros((mask.shape[0], len(self._sensor_index)), dtype=bool)
        if cols.size:
            out[:, cols] = mask
        return out

    # --------------------------------------------------------------- receive
    def receive(
        self, tracks: RemoteTracks, snapshot: bool = False, message_time_s: float | None = None
    ) -> None:
        """Store released tracks from another partner.

        A track replaces the held copy of the same ``(origin, track id)`` unless the
        held one has a later time of validity (messages may arrive out of order).

        Parameters
        ----------
        tracks : RemoteTracks
        snapshot : bool
            The message lists every track the origin holds: held tracks of that
            origin missing from it, and not newer than it, are dropped.
        message_time_s : float, optional
            Time of the snapshot (default: the latest time of validity in it; an
            empty snapshot without a time drops every held track of the origin).
        """
        if tracks.origin == self.owner:
            raise ValueError(f"{self.owner} cannot receive its own tracks as remote")
        o = self._origin(tracks.origin)
        src = self._global_mask(tracks.sources_mask, tracks.sensor_ids)
        keys = (np.int64(o) << _KEY_SHIFT) | tracks.track_id
        if snapshot:
            if message_time_s is not None:
                t_msg = float(message_time_s)
            else:
                t_msg = float(tracks.time_s.max()) if len(tracks) else np.inf
            mine = (self._r_key >> _KEY_SHIFT) == o
            gone = mine & ~np.isin(self._r_key, keys) & (self._r_tov <= t_msg)
            if gone.any():
                self._keep_remote(~gone)
        all_key = np.concatenate([self._r_key, keys])
        all_tov = np.concatenate([self._r_tov, tracks.time_s])
        pos = np.arange(all_key.shape[0])
        # Last row of each key group after sorting by (key, tov, arrival): the newest
        # time of validity, and on a tie the latest arrival.
        order = np.lexsort((pos, all_tov, all_key))
        sk = all_key[order]
        last = np.ones(sk.shape[0], dtype=bool)
        last[:-1] = sk[1:] != sk[:-1]
        keep = order[last]
        self._r_key = all_key[keep]
        self._r_tov = all_tov[keep]
        self._r_x = np.concatenate([self._r_x, tracks.state]).take(keep, axis=0)
        self._r_p = np.concatenate([self._r_p, tracks.covariance]).take(keep, axis=0)
        self._r_src = np.concatenate([self._r_src, src]).take(keep, axis=0)

    def _keep_remote(self, keep: BoolArray) -> None:
        rows = np.flatnonzero(keep)  # one index, gathered by take: the mask's rows
        self._r_key = self._r_key.take(rows)
        self._r_tov = self._r_tov.take(rows)
        self._r_x = self._r_x.take(rows, axis=0)
        self._r_p = self._r_p.take(rows, axis=0)
        self._r_src = self._r_src.take(rows, axis=0)

    # ---------------------------------------------------------------- update
    def update(self, time_s: float, own: TrackBatch | None = None) -> FusedPicture:
        """Fuse own and held remote tracks at ``time_s``; return the picture.

        Parameters
        ----------
        time_s : float
            Picture time; every track is predicted to it.
        own : TrackBatch, optional
            The owner's confirmed tracks (at ``own.time_s``).
        """
        cfg = self.config
        time_s = float(time_s)
        n_sensor = len(self._sensor_index)
        own_src = None
        if own is not None and len(own):
            own_src = self._global_mask(own.sources_mask, own.sensor_ids)
            n_sensor = len(self._sensor_index)

        stale = time_s - self._r_tov > cfg.max_age_s
        n_stale = int(np.count_nonzero(stale))
        if n_stale:
            self._keep_remote(~stale)

        # Blocks of (origin index, ids, x, P, sources): own first, then origins by name.
        blocks: list[tuple[int, IntArray, FloatArray, FloatArray, BoolArray]] = []
        if own is not None and own_src is not None:
            xo, po = cfg.motion.predict(own.state, own.covariance, time_s - own.time_s)
            up = ellipsoid_altitude_m(xo) >= cfg.min_altitude_m  # Ground().altitude_m, compiled
            own_ids = own.track_id.astype(np.int64)
            up_rows = np.flatnonzero(up)
            blocks.append(
                (
                    0,
                    own_ids.take(up_rows),
                    xo.take(up_rows, axis=0),
                    po.take(up_rows, axis=0),
                    own_src.take(up_rows, axis=0),
                )
            )
        if self.n_remote:
            xr, pr = _predict_grouped(cfg.motion, self._r_x, self._r_p, time_s - self._r_tov)
            # a remote track flown on below the ground is over: nothing flies underground
            under = ellipsoid_altitude_m(xr) < cfg.min_altitude_m
            if under.any():
                self._keep_remote(~under)
                above = np.flatnonzero(~under)
                xr, pr = xr.take(above, axis=0), pr.take(above, axis=0)
            r_origin = self._r_key >> _KEY_SHIFT
            r_tid = self._r_key & ((1 << _KEY_SHIFT) - 1)
            for name in sorted(set(self._origins[1:])):
                sel = np.flatnonzero(r_origin == self._origin_index[name])
                if sel.size:
                    blocks.append(
                        (
                            self._origin_index[name],
                            r_tid.take(sel),
                            xr.take(sel, axis=0),
                            pr.take(sel, axis=0),
                            self._r_src.take(sel, axis=0),
                        )
                    )

        n_orig = len(self._origins)
        fx = np.zeros((0, 6))
        fp = np.zeros((0, 6, 6))
        fsrc = np.zeros((0, n_sensor), dtype=bool)
        fcon = np.zeros((0, n_orig), dtype=np.int64)
        for o, tid, x, p, src in blocks:
            fa, rb, d2 = gated_pairs(fx, fp, x, p, self._gate)
            fa, rb = assign_pairs(fa, rb, d2 - self._gate)
            if fa.size:
                fx[fa], fp[fa], _ = covariance_intersection(
                    fx.take(fa, axis=0),
                    fp.take(fa, axis=0),
                    x.take(rb, axis=0),
                    p.take(rb, axis=0),
                    cfg.criterion,
                )
                fsrc[fa] |= src[rb]
                fcon[fa, o] = tid[rb]
            free = np.ones(x.shape[0], dtype=bool)
            free[rb] = False
            con = np.full((int(free.sum()), n_orig), -1, dtype=np.int64)
            new = np.flatnonzero(free)
            con[:, o] = tid.take(new)
            fx = np.concatenate([fx, x.take(new, axis=0)])
            fp = np.concatenate([fp, p.take(new, axis=0)])
            fsrc = np.concatenate([fsrc, src.take(new, axis=0)])
            fcon = np.concatenate([fcon, con])

        numbers = self._number(time_s, fx, fp, fcon)
        order = np.argsort(numbers, kind="stable")
        cov = fp.take(order, axis=0)
        pic = FusedPicture(
            time_s=time_s,
            owner=self.owner,
            picture_number=numbers[order],
            state=fx.take(order, axis=0),
            covariance=cov,
            pos_sigma_m=np.sqrt(np.trace(cov[:, :3, :3], axis1=1, axis2=2)),
            origins=tuple(self._origins),
            contributor_id=fcon.take(order, axis=0),
            sources_mask=fsrc.take(order, axis=0),
            sensor_ids=tuple(self._sensor_index),
            n_stale_dropped=n_stale,
        )
        self._prev = pic
        return pic

    # ------------------------------------------------------- number correlation
    def _votes_settle(self, n_f: int, vote_g: IntArray, vote_n: IntArray) -> bool:
        """True when kinematic continuity cannot change the numbers: every fused track
        has contributor votes, all of them for one number, and no two tracks share it.

        Each track then keeps its voted number whatever continuity adds: a track
        scores at least 1 on its own number, and at most ``continuity_weight *
        (1 - d2 / gate)`` on any other (no contributor votes for it there), under 1
        when the weight is at most 1 and ``d2 > 0``; every other assignment scores
        less. (Equality needs a fused track on another number's predicted state to
        ``d2 < 1e-9 gate``, where the older-number tie-break could differ.) So the
        previous picture is not flown on to now: the most expensive prediction of an
        update with many tracks in the atmosphere (its sub-step is the worst track's).
        """
        if self.config.continuity_weight > 1.0 or vote_g.size < n_f:
            return False
        return bool(votes_settle(n_f, vote_g, vote_n))  # compiled: one pass over the votes

    def _number(self, time_s: float, fx: FloatArray, fp: FloatArray, fcon: IntArray) -> IntArray:
        """Picture numbers of the fused tracks; updates the correlation table."""
        cfg = self.config
        n_f = fx.shape[0]
        numbers = np.full(n_f, -1, dtype=np.int64)
        g_idx, o_idx = np.nonzero(fcon >= 0)
        keys = (o_idx.astype(np.int64) << _KEY_SHIFT) | fcon[g_idx, o_idx]

        # Votes: contributors already correlated to a number.
        pos = np.searchsorted(self._t_key, keys)
        pos_c = np.minimum(pos, max(self._t_key.shape[0] - 1, 0))
        found = (
            (pos < self._t_key.shape[0]) & (self._t_key[pos_c] == keys)
            if self._t_key.size
            else np.zeros(keys.shape[0], dtype=bool)
        )
        vote_g = g_idx[found]
        vote_n = self._t_num[pos_c[found]] if found.any() else np.zeros(0, dtype=np.int64)
        vote_w = np.ones(vote_g.shape[0])

        # Continuity with the previous picture, predicted to now (not needed when the
        # contributors' votes settle every number: see _votes_settle).
        prev = self._prev
        settled = bool(n_f) and self._votes_settle(n_f, vote_g, vote_n)
        if prev is not None and len(prev) and n_f and not settled:
            px, pp = cfg.motion.predict(prev.state, prev.covariance, time_s - prev.time_s)
            ga, pb, d2 = gated_pairs(fx, fp, px, pp, self._gate)
            vote_g = np.concatenate([vote_g, ga])
            vote_n = np.concatenate([vote_n, prev.picture_number[pb]])
            vote_w = np.concatenate([vote_w, cfg.continuity_weight * (1.0 - d2 / self._gate)])

        if settled:
            # each track's votes all name its one number, no two the same: the only
            # assignment of negative cost on every row (what the solver returns)
            numbers[vote_g] = vote_n
        elif vote_g.size:
            cand, ci = np.unique(vote_n, return_inverse=True)
            cost = _vote_cost(n_f, cand.size, vote_g, ci, vote_w)
            r, c = linear_sum_assignment(cost)
            good = cost[r, c] < 0.0
            numbers[r[good]] = cand[c[good]]
        fresh = numbers < 0
        n_fresh = int(np.count_nonzero(fresh))
        numbers[fresh] = np.arange(self._next_number, self._next_number + n_fresh)
        self._next_number += n_fresh

        # Table: each contributor now sits on its fused track's number.
        new_key = keys
        new_num = numbers[g_idx]
        # the table's keys are sorted: np.isin by binary search, compiled
        keep_old = ~sorted_in(self._t_key, new_key) & (time_s - self._t_seen <= cfg.forget_after_s)
        all_key = np.concatenate([self._t_key[keep_old], new_key])
        order = np.argsort(all_key, kind="stable")
        self._t_key = all_key[order]
        self._own = None
        self._t_num = np.concatenate([self._t_num[keep_old], new_num])[order]
        self._t_seen = np.concatenate([self._t_seen[keep_old], np.full(new_key.shape[0], time_s)])[
            order
        ]
        return numbers


class CoalitionPicture(PartnerPicture):
    """The coalition picture (integrated mode): every partner's released tracks, fused.

    Same machinery as :class:`PartnerPicture` with no own tracks: every partner is
    a remote origin.
    """

    def __init__(self, config: FusionConfig | None = None, name: str = "coalition") -> None:
        super().__init__(name, config)

    def update_from(
        self, time_s: float, released: Mapping[str, TrackBatch | RemoteTracks]
    ) -> FusedPicture:
        """Receive each partner's released tracks (as full snapshots), then update.

        Parameters
        ----------
        time_s : float
            Picture time.
        released : mapping of partner name to TrackBatch or RemoteTracks
        """
        for name in sorted(released):
            item = released[name]
            if isinstance(item, RemoteTracks):
                tracks, t_msg = item, None
            else:
                tracks, t_msg = RemoteTracks.from_batch(name, item), item.time_s
            if tracks.origin != name:
                raise ValueError(f"tracks released by {name} carry origin {tracks.origin}")
            self.receive(tracks, snapshot=True, message_time_s=t_msg)
        return self.update(time_s)
