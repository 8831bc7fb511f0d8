"""The threat board's ground geometry held to pymap3d's, bit for bit."""

from __future__ import annotations

import numpy as np
import pymap3d

from skyweave.warning.threat_model import PredictedImpact, east_north_m, ground_ecef


def _impact(lat: float, lon: float) -> PredictedImpact:
    return PredictedImpact(0.0, lat, lon, ground_ecef(lat, lon), 9_000.0, 4_000.0, 30.0, "own")


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-89.9, 89.9, n)
    lon = rng.uniform(-180.0, 180.0, n)
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


def test_ground_ecef_is_pymap3d_geodetic2ecef() -> None:
    for lat, lon in [*_points(500, 1), (0.0, 0.0), (90.0, 0.0), (-90.0, 45.0)]:
        want = np.asarray(pymap3d.geodetic2ecef(lat, lon, 0.0), dtype=np.float64)
        assert ground_ecef(lat, lon).tobytes() == want.tobytes()


def test_east_north_is_pymap3d_geodetic2enu() -> None:
    rng = np.random.default_rng(2)
    for lat0, lon0 in _points(500, 3):
        # near (the board's use: one threat's successive predictions) and far
        for spread in (0.05, 2.0, 60.0):
            lat = float(np.clip(lat0 + rng.normal(0.0, spread), -89.9, 89.9))
            lon = float(lon0 + rng.normal(0.0, spread))
            e, n = east_north_m(_impact(lat, lon), _impact(lat0, lon0))
            want_e, want_n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, lat0, lon0, 0.0)
            assert (float(e), float(n)) == (float(want_e), float(want_n))
            assert np.float64(e).tobytes() == np.float64(want_e).tobytes()
            assert np.float64(n).tobytes() == np.float64(want_n).tobytes()
