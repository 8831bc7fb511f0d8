"""The fast ECEF-geodetic conversions are pymap3d's, bit for bit."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyweave.kinematics.geodetic import ecef_to_geodetic, geodetic_to_ecef


def _same(got: tuple, want: tuple) -> None:
    for g, w in zip(got, want, strict=True):
        assert np.shape(g) == np.shape(w)
        assert np.array_equal(np.asarray(g).view(np.uint64), np.asarray(w).view(np.uint64))


def _points(n: int, seed: int) -> np.ndarray:
    """ECEF points from below the ground to 2,000 km up, all latitudes and longitudes."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-90, 90, n)
    lon = rng.uniform(-180, 180, n)
    alt = rng.choice([rng.uniform(-50e3, 0, n), rng.uniform(0, 100, n), rng.uniform(0, 2e6, n)])
    return np.array(pymap3d.geodetic2ecef(lat, lon, alt))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 17, 64, 1000])
@pytest.mark.parametrize("deg", [True, False])
def test_arrays_of_every_length_match_pymap3d(n: int, deg: bool) -> None:
    for seed in range(20):
        x, y, z = _points(n, seed)
        _same(ecef_to_geodetic(x, y, z, deg=deg), pymap3d.ecef2geodetic(x, y, z, deg=deg))


def test_two_dimensional_arrays_match_pymap3d() -> None:
    x, y, z = (v.reshape(4, 5) for v in _points(20, 3))
    for deg in (True, False):
        _same(ecef_to_geodetic(x, y, z, deg=deg), pymap3d.ecef2geodetic(x, y, z, deg=deg))


def test_scalars_match_pymap3d_in_value_and_type() -> None:
    x, y, z = _points(50, 1)
    for k in range(50):
        for deg in (True, False):
            got = ecef_to_geodetic(x[k], y[k], z[k], deg=deg)
            want = pymap3d.ecef2geodetic(x[k], y[k], z[k], deg=deg)
            _same(got, want)
            assert [type(v) for v in got] == [type(v) for v in want]
        got = ecef_to_geodetic(float(x[k]), float(y[k]), float(z[k]))
        want = pymap3d.ecef2geodetic(float(x[k]), float(y[k]), float(z[k]))
        _same(got, want)
        assert [type(v) for v in got] == [type(v) for v in want]


def test_the_polar_axis_centre_and_underground_points_match_pymap3d() -> None:
    b = pymap3d.Ellipsoid.from_name("wgs84").semiminor_axis
    x = np.array([0.0, 0.0, 0.0, 0.0, 1e-9, 3e6, 0.0])
    y = np.array([0.0, 0.0, 0.0, 1e-9, 0.0, 0.0, 2e6])
    z = np.array([b + 100.0, -b - 5.0, 0.0, b, 1e6, 1e6, 0.0])
    _same(ecef_to_geodetic(x, y, z), pymap3d.ecef2geodetic(x, y, z))
    for k in range(len(x)):
        _same(ecef_to_geodetic(x[k], y[k], z[k]), pymap3d.ecef2geodetic(x[k], y[k], z[k]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-4e7, 4e7, allow_nan=False),
            st.floats(-4e7, 4e7, allow_nan=False),
            st.floats(-4e7, 4e7, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_points_match_pymap3d(points: list[tuple[float, float, float]]) -> None:
    x, y, z = np.array(points, dtype=np.float64).T
    with np.errstate(all="ignore"):
        want = pymap3d.ecef2geodetic(x, y, z)
        got = ecef_to_geodetic(x, y, z)
    _same(got, want)


@pytest.mark.parametrize("n", [1, 3, 8, 1000])
def test_geodetic_to_ecef_matches_pymap3d(n: int) -> None:
    rng = np.random.default_rng(n)
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    for alt in (rng.uniform(-50e3, 2e6, n), np.zeros(n)):
        _same(geodetic_to_ecef(lat, lon, alt), pymap3d.geodetic2ecef(lat, lon, alt))
        _same(geodetic_to_ecef(lat, lon, 0.0), pymap3d.geodetic2ecef(lat, lon, 0.0))
    for k in range(n):
        for args in ((lat[k], lon[k], 10.0), (float(lat[k]), float(lon[k]), 0.0)):
            got, want = geodetic_to_ecef(*args), pymap3d.geodetic2ecef(*args)
            _same(got, want)
            assert [type(v) for v in got] == [type(v) for v in want]
    _same(geodetic_to_ecef(90.0, 0.0, 0.0), pymap3d.geodetic2ecef(90.0, 0.0, 0.0))


@given(st.floats(-90, 90), st.floats(-360, 360), st.floats(-1e5, 4e7))
def test_geodetic_to_ecef_matches_pymap3d_anywhere(lat: float, lon: float, alt: float) -> None:
    _same(geodetic_to_ecef(lat, lon, alt), pymap3d.geodetic2ecef(lat, lon, alt))
