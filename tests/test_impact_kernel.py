"""The compiled ballistic mask against pymap3d's array conversion (the former NumPy path)."""

from __future__ import annotations

import numpy as np
import pymap3d

from skyweave.warning.impact import ballistic_mask
from skyweave.warning.impact_kernel import geodetic_rad


def _mask_pymap3d(x: np.ndarray) -> np.ndarray:
    """The mask as it was computed over the batch with pymap3d (the reference)."""
    finite = np.all(np.isfinite(x), axis=-1)
    xs = np.where(finite[:, None], x, 1.0e7)
    lat, lon, alt = (
        np.asarray(c, dtype=np.float64).reshape(-1)
        for c in pymap3d.ecef2geodetic(xs[:, 0], xs[:, 1], xs[:, 2], deg=False)
    )
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)
    v_up = np.sum(up * xs[:, 3:], axis=-1)
    speed = np.linalg.norm(xs[:, 3:], axis=-1)
    high_or_steep = (alt >= 20_000.0) | (np.abs(v_up) >= 300.0)
    return np.asarray(finite & (speed >= 1_000.0) & high_or_steep & (alt > 0.0))


def test_geodetic_matches_pymap3d_including_poles_and_underground() -> None:
    rng = np.random.default_rng(4)
    u = rng.normal(size=(300, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = u * rng.uniform(6.30e6, 7.5e6, 300)[:, None]
    r = np.vstack([r, [[0.0, 0.0, 6.4e6], [0.0, 0.0, -6.3e6], [6.4e6, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    lat, lon, alt = pymap3d.ecef2geodetic(r[:, 0], r[:, 1], r[:, 2], deg=False)
    got = np.array([geodetic_rad(*row) for row in r])
    np.testing.assert_allclose(got[:, 0], lat, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got[:, 1], lon, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got[:, 2], alt, rtol=0, atol=1e-7)
    assert np.any(alt < 0.0)  # the inside-the-ellipsoid sign is exercised


def test_ballistic_mask_matches_pymap3d_path() -> None:
    rng = np.random.default_rng(9)
    n = 2000
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = u * (6.36e6 + rng.uniform(-2e4, 3e5, n))[:, None]
    v = rng.normal(size=(n, 3)) * rng.uniform(100.0, 4000.0, n)[:, None]
    x = np.column_stack([r, v])
    x[::97, 4] = np.nan
    ref = _mask_pymap3d(x)
    assert 0.2 < ref.mean() < 0.8  # both answers are well represented
    np.testing.assert_array_equal(ballistic_mask(x), ref)
    assert ballistic_mask(np.zeros((0, 6))).shape == (0,)
    assert ballistic_mask(x[3]).shape == (1,)
