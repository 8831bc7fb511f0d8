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

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from skyweave.c2.prediction import ThreatObjects

FloatArray = NDArray[np.float64]

#: candidates the tree returns per position (the nearest and the next, for ties)
_K = 2
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
        self._tree: cKDTree | None = None
        self._columns = np.zeros(0, dtype=np.int64)

    def _tree_at(self, time_s: float) -> tuple[cKDTree | None, NDArray[np.int64], FloatArray]:
        """The tree over the objects in flight at the grid time of ``time_s`` (cached)."""
        times = self.objects.times_s
        i = int(np.clip(np.searchsorted(times, time_s, side="right") - 1, 0, None))
        truth = self.objects.positions_ecef_m[i]
        if i != self._index:
            self._index = i
            self._columns = np.flatnonzero(np.isfinite(truth).all(axis=1)).astype(np.int64)
            self._tree = cKDTree(truth[self._columns]) if self._columns.size else None
        return self._tree, self._columns, truth

    def __call__(self, time_s: float, positions_m: FloatArray) -> list[str]:
        """Object id each of K positions (K, 3) follows, ``""`` for none."""
        positions_m = np.asarray(positions_m, dtype=np.float64)
        k = positions_m.shape[0]
        ids = self.objects.object_ids
        if k == 0 or not ids:
            return [""] * k
        tree, columns, truth = self._tree_at(time_s)
        label = np.full(k, -1, dtype=np.int64)
        ok = np.isfinite(positions_m).all(axis=1)
        if tree is not None and ok.any():
            rows = np.flatnonzero(ok)
            kk = min(_K, columns.size)
            bound = self.gate_m * (1.0 + _REL_MARGIN) + _ABS_MARGIN_M
            d_tree, j_tree = tree.query(positions_m[rows], k=kk, distance_upper_bound=bound)
            d_tree = d_tree.reshape(rows.size, kk)
            j_tree = j_tree.reshape(rows.size, kk)
            # every slot filled and the last as near as the first: more objects may tie
            # beyond the k returned; those rows take the dense distances
            full = np.isfinite(d_tree[:, -1])
            crowded = full & (
                d_tree[:, -1] <= d_tree[:, 0] * (1.0 + _REL_MARGIN) + _ABS_MARGIN_M
            )
            found = np.isfinite(d_tree)
            cand = np.where(found, columns[np.minimum(j_tree, columns.size - 1)], 0)
            # the exact distances of the candidates, as the dense labeller computes them
            d = np.linalg.norm(positions_m[rows][:, None, :] - truth[cand], axis=-1)
            d = np.where(found & np.isfinite(d), d, np.inf)
            # nearest first, ties to the lower object index
            order = np.lexsort((cand, d), axis=-1) if kk > 1 else np.zeros((rows.size, 1), int)
            best = np.take_along_axis(cand, order[:, :1], axis=1)[:, 0]
            best_d = np.take_along_axis(d, order[:, :1], axis=1)[:, 0]
            label[rows] = np.where(best_d <= self.gate_m, best, -1)
            if crowded.any():
                label[rows[crowded]] = self._dense(positions_m[rows[crowded]], truth)
        return [ids[j] if j >= 0 else "" for j in label.tolist()]

    def _dense(self, positions_m: FloatArray, truth: FloatArray) -> NDArray[np.int64]:
        """Nearest object index within the gate (-1 for none) over all objects."""
        d = np.linalg.norm(positions_m[:, None, :] - truth[None, :, :], axis=-1)
        d = np.where(np.isfinite(d), d, np.inf)
        j = np.argmin(d, axis=1)
        near = d[np.arange(positions_m.shape[0]), j] <= self.gate_m
        return np.where(near, j, -1).astype(np.int64)
