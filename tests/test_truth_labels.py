"""The k-d tree truth labeller gives the dense labeller's answer, ties and gaps included."""

from __future__ import annotations

import numpy as np

from skyweave.c2.prediction import ThreatObjects
from skyweave.engine.truth_labels import TruthLabels


def _objects(rng: np.random.Generator, n_times: int = 4, n_obj: int = 60) -> ThreatObjects:
    pos = np.array([6.5e6, 1e6, 2e6]) + rng.uniform(-1e5, 1e5, size=(n_times, n_obj, 3))
    pos[:, 5:9] = np.nan  # not in flight
    pos[1, 10:20] = np.nan
    pos[:, 31] = pos[:, 30]  # a salvo: two objects at one place (tie to the lower index)
    pos[:, 32] = pos[:, 30]
    pos[2, 40, 1] = np.nan  # a partly non-finite sample
    ids = tuple(f"obj-{k}" for k in range(n_obj))
    return ThreatObjects(
        np.arange(n_times) * 10.0, ids, ("ballistic",) * n_obj, pos, np.full(n_obj, np.inf)
    )


def test_tree_labels_equal_dense_labels() -> None:
    rng = np.random.default_rng(7)
    obj = _objects(rng)
    gate = 20_000.0
    labels = TruthLabels(obj, gate)
    for t in (-3.0, 0.0, 9.99, 10.0, 25.0, 35.0, 99.0):
        i = int(np.clip(np.searchsorted(obj.times_s, t, side="right") - 1, 0, None))
        truth = obj.positions_ecef_m[i]
        # enough positions x objects for the tree (a small query takes the matrix)
        near = truth[rng.integers(0, truth.shape[0], 200)] + rng.normal(0, 8e3, (200, 3))
        far = np.array([6.5e6, 1e6, 2e6]) + rng.uniform(-2e5, 2e5, (40, 3))
        pos = np.concatenate([near, far, truth[[30, 31]], np.full((1, 3), np.nan)])
        # one exactly on the gate of object 0 (kept, as in the dense labeller)
        if np.isfinite(truth[0]).all():
            pos = np.concatenate([pos, truth[:1] + [[gate, 0.0, 0.0]]])
        want = obj.associate(t, pos, np.full(len(pos), gate))
        assert labels(t, pos) == want
        assert labels(t, pos[:5]) == want[:5]  # the matrix path
        assert "" in want and len(set(want)) > 20  # the case is not trivial
    # the salvo's copies go to the first of them, on both paths
    salvo = np.repeat(obj.positions_ecef_m[0, [31]], 300, axis=0)
    assert labels(0.0, salvo[:1]) == ["obj-30"]
    assert labels(0.0, salvo) == ["obj-30"] * 300
    assert labels._tree  # the tree path ran


def test_tree_labels_degenerate() -> None:
    rng = np.random.default_rng(1)
    obj = _objects(rng)
    labels = TruthLabels(obj, 1e3)
    assert labels(5.0, np.zeros((0, 3))) == []
    nan = ThreatObjects(
        obj.times_s,
        obj.object_ids,
        obj.kinds,
        np.full_like(obj.positions_ecef_m, np.nan),
        obj.end_time_s,
    )
    assert TruthLabels(nan, 1e12)(5.0, np.array([[7e6, 0.0, 0.0]])) == [""]
    none = ThreatObjects(obj.times_s, (), (), np.zeros((4, 0, 3)), np.zeros(0))
    assert TruthLabels(none, 1e3)(5.0, np.array([[7e6, 0.0, 0.0]])) == [""]
    one = ThreatObjects(
        obj.times_s, ("a",), ("ballistic",), obj.positions_ecef_m[:, :1], np.zeros(1)
    )
    p = obj.positions_ecef_m[0, :1] + 10.0
    assert TruthLabels(one, 1e3)(0.0, p) == ["a"]
