"""The truth object each picture position follows, for scoring only.

At a report time every partner labels its fused picture and its own tracks with
the truth object they follow (``threats.parquet``'s ``truth_object_id``). The
answer is :meth:`skyweave.c2.prediction.ThreatObjects.associate`'s (the nearest
object in flight within the gate, ties to the lower object index), found with one
k-d tree over the truth positions of the report time, built once and shared by
every partner's queries at that time, instead of a dense (positions x objects)
distance matrix per query.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from skyweave.c2.prediction import ThreatObjects

FloatArray = NDArray[np.float64]

#: positions x objects up to which one distance matrix is cheaper than the tree
_DENSE_PAIRS = 8_192
#: the tree's distances and the exact ones may differ in the last bits: candidates are
#: taken this much (relative, plus an absolute metre fraction) beyond the gate
_REL_MARGIN = 1e-9
_ABS_MARGIN_M = 1e-6


class TruthLabels:
    """Nearest truth object within ``gate_m`` of positions at a time (see the module).

    Parameters
    ----------
    objects : ThreatObjects
        Truth positions on the run's time grid (NaN where not in flight).
    gate_m : float
        A position farther than this from every object follows none (``""``).
    """

    def __init__(self, objects: ThreatObjects, gate_m: float) -> None:
        self.objects = objects
        self.gate_m = float(gate_m)
        self._index = -1
        self._tree: cKDTree | None | Literal[False] = None  # False: too few objects
        self._columns = np.zeros(0, dtype=np.int64)

    def _truth_at(self, time_s: float) -> FloatArray:
        """Truth positions (N, 3) at the grid time of ``time_s`` (a new time drops the tree)."""
        times = self.objects.times_s
        i = int(np.clip(np.searchsorted(times, time_s, side="right") - 1, 0, None))
        if i != self._index:
            self._index = i
            self._tree = None
        return self.objects.positions_ecef_m[i]

    def _tree_of(self, truth: FloatArray) -> tuple[cKDTree | None, NDArray[np.int64]]:
        """The tree over the objects in flight in ``truth`` (built once per grid time)."""
        if self._tree is None:
            self._columns = np.flatnonzero(np.isfinite(truth).all(axis=1)).astype(np.int64)
            self._tree = cKDTree(truth[self._columns]) if self._columns.size >= 2 else False
        return (self._tree or None), self._columns

    def __call__(self, time_s: float, positions_m: FloatArray) -> list[str]:
        """Object id each of K positions (K, 3) follows, ``""`` for none."""
        positions_m = np.asarray(positions_m, dtype=np.float64)
        k = positions_m.shape[0]
        ids = self.objects.object_ids
        if k == 0 or not ids:
            return [""] * k
        truth = self._truth_at(time_s)
        tree = None
        if k * len(ids) > _DENSE_PAIRS:
            tree, columns = self._tree_of(truth)
        if tree is None:
            # small (the matrix is cheaper) or under two objects in flight
            label = self._dense(positions_m, truth)
        else:
            # a non-finite position follows nothing (its distances are all NaN)
            label = np.full(k, -1, dtype=np.int64)
            ok = np.isfinite(positions_m).all(axis=1)
            label[ok] = self._nearest(tree, columns, truth, positions_m[ok])
        return [ids[j] if j >= 0 else "" for j in label.tolist()]

    def _nearest(
        self, tree: cKDTree, columns: NDArray[np.int64], truth: FloatArray, pos: FloatArray
    ) -> NDArray[np.int64]:
        """:meth:`_dense`'s answer from the tree's two nearest candidates per position."""
        bound = self.gate_m * (1.0 + _REL_MARGIN) + _ABS_MARGIN_M
        d_tree, j_tree = tree.query(pos, k=2, distance_upper_bound=bound)
        found = np.isfinite(d_tree)
        cand = columns[np.minimum(j_tree, columns.size - 1)]
        # the exact distances of the candidates, as the dense labeller computes them
        d = np.linalg.norm(pos[:, None, :] - truth[cand], axis=-1)
        d = np.where(found, d, np.inf)
        # nearest first, ties to the lower object index
        second = (d[:, 1] < d[:, 0]) | ((d[:, 1] == d[:, 0]) & (cand[:, 1] < cand[:, 0]))
        best = np.where(second, cand[:, 1], cand[:, 0])
        best_d = np.where(second, d[:, 1], d[:, 0])
        label = np.where(best_d <= self.gate_m, best, -1)
        # both slots filled and the second as near as the first: more objects may tie
        # beyond the two returned; those rows take the matrix
        crowded = found[:, 1] & (d_tree[:, 1] <= d_tree[:, 0] * (1.0 + _REL_MARGIN) + _ABS_MARGIN_M)
        if crowded.any():
            label[crowded] = self._dense(pos[crowded], truth)
        return label

    def _dense(self, positions_m: FloatArray, truth: FloatArray) -> NDArray[np.int64]:
        """Nearest object index within the gate (-1 for none) over all objects."""
        d = np.linalg.norm(positions_m[:, None, :] - truth[None, :, :], axis=-1)
        d = np.where(np.isfinite(d), d, np.inf)
        j = np.argmin(d, axis=1)
        near = d[np.arange(positions_m.shape[0]), j] <= self.gate_m
        return np.where(near, j, -1).astype(np.int64)
