"""The threat board's columns are what its threat objects hold, and the board's array
matching picks what its loops over threat objects picked, bit for bit.

:class:`ThreatColumns` keeps, per threat, the numbers the board tests against every
open threat; :meth:`ThreatBoard._match_launch`, :meth:`ThreatBoard._match_impact`
and :meth:`ThreatBoard.advance` read them instead of looping over the threats. Each
is checked here against the loop it replaced.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from skyweave.warning.alerts import _great_circle_m
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.threat_model import PredictedImpact, Threat, ground_ecef
from skyweave.warning.threats import ThreatBoard


def _impact(rng: np.random.Generator, time_s: float) -> PredictedImpact:
    lat, lon = float(rng.normal(35.0, 0.5)), float(rng.normal(45.0, 0.5))
    return PredictedImpact(
        time_s=time_s,
        lat_deg=lat,
        lon_deg=lon,
        ecef_m=ground_ecef(lat, lon),
        semi_major_m=float(rng.uniform(1e3, 4e4)),
        semi_minor_m=1e3,
        orientation_deg=0.0,
        source="own",
    )


def _random_board(seed: int) -> ThreatBoard:
    """A board of threats from a few launch sites, some with launch times and
    predictions, some air-breathing, some ended."""
    rng = np.random.default_rng(seed)
    board = ThreatBoard("north", DefendedAssets.empty(), [])
    sites = rng.normal([30.0, 40.0], 1.5, size=(4, 2))
    for k in range(int(rng.integers(1, 60))):
        cls = "ballistic" if rng.random() < 0.85 else "cruise"
        t = board._new(float(k), cls, "north")
        if rng.random() < 0.9:
            lat, lon = sites[rng.integers(len(sites))] + rng.normal(0.0, 0.3, 2)
            t.launch_lat_deg, t.launch_lon_deg = float(lat), float(lon)
        if rng.random() < 0.6:
            t.launch_time_s = float(rng.uniform(0.0, 100.0))
        if rng.random() < 0.6:
            t.impact = _impact(rng, float(rng.uniform(300.0, 400.0)))
        if t.impact is not None and rng.random() < 0.2:  # another partner's prediction
            t.impact = replace(t.impact, source="east")
        if rng.random() < 0.1:
            t.impact = None
        t.live_tracks = {k} if rng.random() < 0.5 else set()
        if rng.random() < 0.2:
            board._close(float(k), t, "all_clear", "all_clear", "test", "north")
    return board


def _floats_equal(a: Any, b: Any) -> bool:
    return bool(np.asarray(a, dtype=np.float64).view(np.int64) == np.float64(b).view(np.int64))


def test_columns_follow_the_threat_fields() -> None:
    for seed in range(20):
        board = _random_board(seed)
        cols = board._cols
        assert cols.size == len(board.threats)
        for k, t in enumerate(board.threats):
            assert _floats_equal(cols.launch_lat_deg[k], t.launch_lat_deg)
            assert _floats_equal(cols.launch_lon_deg[k], t.launch_lon_deg)
            assert _floats_equal(cols.launch_time_s[k], t.launch_time_s)
            assert _floats_equal(cols.first_seen_s[k], t.first_seen_s)
            assert cols.has_impact[k] == (t.impact is not None)
            assert cols.own_impact[k] == (t.impact is not None and t.impact.source == "own")
            if t.impact is not None:
                assert _floats_equal(cols.impact_time_s[k], t.impact.time_s)
            assert cols.open_ballistic[k] == (t.open and t.threat_class == "ballistic")
            assert cols.open_air[k] == (t.open and t.threat_class != "ballistic")


def _match_launch_loop(
    board: ThreatBoard, lat: float, lon: float, first_s: float, free: Any
) -> Any:
    """:meth:`ThreatBoard._match_launch` as a loop over the open threats, one scalar
    distance per threat (the form it replaced)."""
    cfg = board.config
    best, best_cost = None, np.inf
    for t in board.open_threats():
        if not (t.threat_class == "ballistic" and math.isfinite(t.launch_lat_deg) and free(t)):
            continue
        d = float(_great_circle_m(lat, lon, t.launch_lat_deg, t.launch_lon_deg))
        dt = abs(first_s - t.launch_time_s)
        dt = dt if math.isfinite(dt) else 0.0
        if d <= cfg.launch_gate_m and dt <= cfg.launch_time_gate_s:
            cost = d / cfg.launch_gate_m + dt / cfg.launch_time_gate_s
            if cost < best_cost:
                best, best_cost = t, cost
    return best


def _match_impact_loop(board: ThreatBoard, imp: PredictedImpact, free: Any) -> Any:
    """:meth:`ThreatBoard._match_impact` as the loop it replaced."""
    cfg = board.config
    best, best_cost = None, np.inf
    for t in board.open_threats():
        if not (t.threat_class == "ballistic" and free(t) and t.impact):
            continue
        d = float(np.linalg.norm(t.impact.ecef_m - imp.ecef_m))
        gate_m = max(cfg.impact_gate_m, t.impact.semi_major_m + imp.semi_major_m)
        gate_s = cfg.impact_time_gate_s
        dt = abs(t.impact.time_s - imp.time_s)
        if d <= gate_m and dt <= gate_s:
            cost = d / gate_m + dt / gate_s
            if cost < best_cost:
                best, best_cost = t, cost
    return best


def _untracked(t: Threat) -> bool:
    return not t.live_tracks


def test_matching_picks_what_the_loops_picked() -> None:
    rng = np.random.default_rng(11)
    for seed in range(60):
        board = _random_board(seed)
        for _ in range(10):
            lat, lon = rng.normal([30.0, 40.0], 1.5)
            first_s = float(rng.uniform(0.0, 100.0)) if rng.random() < 0.7 else np.nan
            for free in (_untracked, lambda t: True):
                fast = board._match_launch(float(lat), float(lon), first_s, free)
                assert fast is _match_launch_loop(board, float(lat), float(lon), first_s, free)
            imp = _impact(rng, float(rng.uniform(300.0, 400.0)))
            assert board._match_impact(imp, _untracked) is _match_impact_loop(
                board, imp, _untracked
            )


def test_advance_ends_what_the_loop_ended() -> None:
    for seed in range(30):
        board = _random_board(seed)
        time_s = float(np.random.default_rng(seed).uniform(0.0, 1_200.0))
        cfg = board.config
        expected = [
            t.number
            for t in board.open_threats()
            if t.threat_class == "ballistic"
            and (
                time_s > t.impact.time_s + cfg.impact_grace_s
                if t.impact is not None
                else time_s > t.first_seen_s + cfg.detected_timeout_s
            )
        ]
        was_open = {t.number for t in board.open_threats() if t.threat_class == "ballistic"}
        board.advance(time_s)
        ended = [n for n in sorted(was_open) if not board.threats[n - 1].open]
        assert ended == expected
        rows = board.take_alerts()
        ballistic_ids = [f"north:T{n}" for n in expected]
        assert [i for i in rows.threat_id.tolist() if i in ballistic_ids] == ballistic_ids
