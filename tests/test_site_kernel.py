"""The compiled squares of the launch-site distances held to Python's float power."""

from __future__ import annotations

import numpy as np

from skyweave.warning.site_kernel import pow_rows
from skyweave.warning.threat_model import _libm_squares, site_distances_m


def _python_squares(x: np.ndarray) -> np.ndarray:
    return np.array([v**2 for v in x.tolist()], dtype=np.float64)


def test_pow_rows_is_the_python_power_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    sines = np.sin(rng.uniform(-np.pi, np.pi, 200_000))
    special = np.array([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e-200, np.inf, -np.inf])
    for x in (sines, sines * 1e-4, special):
        assert pow_rows(x, 2.0).tobytes() == _python_squares(x).tobytes()
    # (where a multiplication would differ: the reason for pow)
    assert (sines * sines).tobytes() != _python_squares(sines).tobytes()


def test_site_distances_square_with_pow() -> None:
    x = np.sin(np.linspace(-1.5, 1.5, 1001))
    assert _libm_squares(x[::2]).tobytes() == _python_squares(x[::2]).tobytes()
    lat = np.linspace(-60.0, 60.0, 101)
    lon = np.linspace(100.0, 140.0, 101)
    d = site_distances_m(12.5, 120.25, lat, lon)
    assert d.shape == (101,) and np.all(np.isfinite(d)) and d[0] > d[50]
