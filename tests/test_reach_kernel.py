"""The compiled reach box (skyweave.c2.reach_kernel) against the NumPy form it replaced,
and the reach notes of the decision log."""

from __future__ import annotations

import math

import numpy as np
import pymap3d

from skyweave.c2.decision_log import Reason, ThreatsHeld, Verdict, Verdicts, cycle_rows
from skyweave.c2.reach import REACH_MARGIN_M, note_reach, reach_matrix
from skyweave.constants import R_EARTH_MEAN_M
from skyweave.scenario.schema import Battery


def _numpy_reach(
    positions_m: np.ndarray, batteries: list[Battery], ecef: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The reach box as NumPy operations over (B, K, T) (the form before the kernel)."""
    altitude = np.linalg.norm(positions_m, axis=-1) - R_EARTH_MEAN_M
    px, py, pz = (np.ascontiguousarray(positions_m[..., c]) for c in range(3))
    e = np.array([ecef[b.id] for b in batteries])
    box = np.array(
        [math.hypot(b.max_range_km, b.max_alt_km) * 1e3 + REACH_MARGIN_M for b in batteries]
    )
    ceiling = np.array([b.max_alt_km * 1e3 + REACH_MARGIN_M for b in batteries])
    ex, ey, ez = (e[:, c, None, None] for c in range(3))
    dx, dy, dz = px[None, :, :] - ex, py[None, :, :] - ey, pz[None, :, :] - ez
    d = np.sqrt((dx * dx + dy * dy) + dz * dz)
    alt_ok = altitude[None, :, :] <= ceiling[:, None, None]
    with np.errstate(invalid="ignore"):
        reach = np.any((d <= box[:, None, None]) & alt_ok, axis=2)
    return reach, np.fmin.reduce(d, axis=2, initial=np.inf)


def test_reach_box_is_the_numpy_form_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    batteries = [
        Battery(
            id=f"b{i}",
            partner="north",
            lat_deg=50.0 + i,
            lon_deg=10.0 - i,
            max_range_km=[40.0, 150.0, 300.0][i % 3],
            max_alt_km=[20.0, 80.0, 150.0][i % 3],
        )
        for i in range(5)
    ]
    ecef = {b.id: np.array(pymap3d.geodetic2ecef(b.lat_deg, b.lon_deg, 0.0)) for b in batteries}
    k, t = 40, 25
    lat = 50.0 + rng.uniform(-4.0, 6.0, (k, 1)) + np.linspace(0.0, 1.0, t)
    lon = 8.0 + rng.uniform(-4.0, 4.0, (k, 1)) + np.linspace(0.0, 1.0, t)
    alt = rng.uniform(0.0, 250e3, (k, 1)) - np.linspace(0.0, 100e3, t)
    positions = np.stack(pymap3d.geodetic2ecef(lat, lon, alt), axis=-1)
    positions[alt < 0.0] = np.nan  # after the ground
    positions[3] = np.nan  # a track with no prediction at all
    reach, nearest = reach_matrix(positions, batteries, ecef)
    want_reach, want_nearest = _numpy_reach(positions, batteries, ecef)
    assert reach.any() and not reach.all()
    assert np.array_equal(reach, want_reach)
    assert np.array_equal(nearest.view(np.int64), want_nearest.view(np.int64))
    assert np.all(np.isinf(nearest[:, 3]))


def test_far_verdicts_only_for_shown_tracks_leave_rows_and_pairs_unchanged() -> None:
    # Off the board, a track out of every battery's reach shows in no row: its verdict
    # is not built, and a pair's answer still says how far.
    rng = np.random.default_rng(5)
    batteries = [
        Battery(id=f"b{i}", partner="north", lat_deg=50.0 + i, lon_deg=10.0, max_range_km=80.0)
        for i in range(3)
    ]
    ids = [f"north:{k}" for k in range(30)]
    reach = rng.uniform(size=(3, 30)) < 0.1
    nearest_m = rng.uniform(50e3, 900e3, size=(3, 30))
    board = ThreatsHeld(("T1", "T2"), {k: f"T{1 + k % 2}" for k in range(0, 30, 3)})
    shown = {f"north:{n}" for n in board.by_picture}
    excluded: dict[str, Reason] = {"b1": "battery_held"}
    every, only = Verdicts(), Verdicts(shown=shown)
    for v in (every, only):
        note_reach(batteries, excluded, reach, nearest_m, ids, v)
        v.note("north:4", Verdict("engaged", "b0"))  # off the board, always shown
    assert len(only.best) < len(every.best)
    assert cycle_rows(1.0, 0, "north", only, board) == cycle_rows(1.0, 0, "north", every, board)
    for b in batteries:
        for tid in ids:
            assert only.pair(b.id, tid) == every.pair(b.id, tid)
