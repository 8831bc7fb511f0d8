"""The compiled ballistic mask against pymap3d's array conversion (the former NumPy path)."""

from __future__ import annotations

import math

import numpy as np
import pymap3d
from numba import njit

from skyweave.warning.impact import ballistic_mask
from skyweave.warning.impact_kernel import distance_to_ellipse_rows, geodetic_rad


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


def _distance_numpy(east, north, major, minor, orient):  # type: ignore[no-untyped-def]
    """The array form of Eberly's bisection (the former implementation, the reference)."""
    th = np.radians(orient)
    u = np.abs(east * np.sin(th) + north * np.cos(th))
    w = np.abs(east * np.cos(th) - north * np.sin(th))
    a = np.maximum(major, 1.0e-3)
    b = np.minimum(np.maximum(minor, 1.0e-3), a)
    a, b, u, w = np.broadcast_arrays(a, b, u, w)
    inside = (u / a) ** 2 + (w / b) ** 2 <= 1.0
    lo = np.zeros_like(u)
    hi = np.maximum(np.sqrt((a * u) ** 2 + (b * w) ** 2) - b * b, 0.0)
    for _ in range(64):
        t = 0.5 * (lo + hi)
        f = (a * u / (t + a * a)) ** 2 + (b * w / (t + b * b)) ** 2
        lo = np.where(f > 1.0, t, lo)
        hi = np.where(f > 1.0, hi, t)
    t = 0.5 * (lo + hi)
    du = u - a * a * u / (t + a * a)
    dw = w - b * b * w / (t + b * b)
    return np.where(inside, 0.0, np.hypot(du, dw))


def test_distance_to_ellipse_kernel_matches_array_form() -> None:
    from skyweave.warning.impact import distance_to_ellipse_m

    rng = np.random.default_rng(2)
    east = rng.uniform(-2e5, 2e5, (40, 7))
    north = rng.uniform(-2e5, 2e5, (40, 7))
    major = rng.uniform(0.0, 1e5, (40, 1))
    minor = major * rng.uniform(0.0, 1.0, (40, 1))
    orient = rng.uniform(0.0, 180.0, (40, 1))
    got = distance_to_ellipse_m(east, north, major, minor, orient)
    ref = _distance_numpy(east, north, major, minor, orient)
    assert got.shape == (40, 7)
    assert np.any(ref == 0.0) and np.any(ref > 0.0)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-9)


@njit
def _distance_all_halvings(
    east_m: np.ndarray,
    north_m: np.ndarray,
    major: np.ndarray,
    minor: np.ndarray,
    orient: np.ndarray,
) -> np.ndarray:
    """``distance_to_ellipse_rows`` as it was: always all 64 halvings."""
    out = np.empty(east_m.shape[0])
    for k in range(east_m.shape[0]):
        th = math.radians(orient[k])
        e, nn = east_m[k], north_m[k]
        u = abs(e * math.sin(th) + nn * math.cos(th))
        w = abs(e * math.cos(th) - nn * math.sin(th))
        a = max(major[k], 1.0e-3)
        b = min(max(minor[k], 1.0e-3), a)
        ua = u / a
        wb = w / b
        if ua * ua + wb * wb <= 1.0:
            out[k] = 0.0
            continue
        au = a * u
        bw = b * w
        lo = 0.0
        hi = max(math.sqrt(au * au + bw * bw) - b * b, 0.0)
        for _ in range(64):
            t = 0.5 * (lo + hi)
            fa = a * u / (t + a * a)
            fb = b * w / (t + b * b)
            if fa * fa + fb * fb > 1.0:
                lo = t
            else:
                hi = t
        t = 0.5 * (lo + hi)
        du = u - a * a * u / (t + a * a)
        dw = w - b * b * w / (t + b * b)
        out[k] = math.hypot(du, dw)
    return out


def test_distance_to_ellipse_stopping_early_is_bit_identical() -> None:
    # points near and far, ellipses round, thin and at the 1 mm floor
    rng = np.random.default_rng(4)
    n = 4000
    east = rng.uniform(-3e5, 3e5, n) * rng.choice([1e-6, 1e-2, 1.0], n)
    north = rng.uniform(-3e5, 3e5, n)
    major = rng.uniform(0.0, 1e5, n) * rng.choice([0.0, 1.0], n, p=[0.05, 0.95])
    minor = major * rng.choice([0.0, 1e-3, 0.5, 1.0], n)
    orient = rng.uniform(0.0, 180.0, n)
    got = distance_to_ellipse_rows(east, north, major, minor, orient)
    want = _distance_all_halvings(east, north, major, minor, orient)
    assert got.tobytes() == want.tobytes()
    assert (want > 0.0).mean() > 0.5


def test_impact_statistics_match_pymap3d_path() -> None:
    from skyweave.warning.impact_kernel import impact_statistics

    rng = np.random.default_rng(6)
    g, s = 12, 13
    lat0, lon0 = rng.uniform(-70, 70, g), rng.uniform(-180, 180, g)
    e = rng.normal(0.0, 5e3, (g, s))
    n = rng.normal(0.0, 2e4, (g, s)) + 0.5 * e
    x, y, z = pymap3d.enu2ecef(e, n, np.zeros((g, s)), lat0[:, None], lon0[:, None], 0.0)
    imp = np.stack([x, y, z], axis=-1)
    w = np.full(s, 1.0 / 12.0)
    w[0] = 0.0
    # the former NumPy path
    mean = np.einsum("s,gsi->gi", w, imp)
    lat, lon, _ = pymap3d.ecef2geodetic(mean[:, 0], mean[:, 1], mean[:, 2])
    ground = np.stack(pymap3d.geodetic2ecef(lat, lon, np.zeros_like(lat)), axis=-1)
    ee, nn, _ = pymap3d.ecef2enu(
        imp[..., 0], imp[..., 1], imp[..., 2], lat[:, None], lon[:, None], 0.0
    )
    en = np.stack([ee, nn], axis=-1)
    d = en - np.einsum("s,gsi->gi", w, en)[:, None, :]
    cov = np.einsum("s,gsi,gsj->gij", w, d, d)

    glat, glon, gground, gcov = impact_statistics(imp, w)
    np.testing.assert_allclose(glat, lat, rtol=0, atol=1e-12)
    np.testing.assert_allclose(glon, lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gground, ground, rtol=0, atol=1e-6)
    np.testing.assert_allclose(gcov, cov, rtol=1e-9, atol=1e-3)
    assert np.all(cov[:, 1, 1] > 1e8)  # metres-scale spread, not a degenerate case
