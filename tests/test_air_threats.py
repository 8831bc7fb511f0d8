"""Air-breathing threat evaluation (skyweave.warning.air_threats): only the
non-ballistic rows are evaluated, each as if it were alone."""

from __future__ import annotations

import numpy as np
import pymap3d

from skyweave.kinematics.geodetic import ecef_to_enu_velocity
from skyweave.warning.air_threats import evaluate_air_tracks
from skyweave.warning.impact import DefendedAssets

ASSETS = DefendedAssets.from_lists(["a", "b"], [40.0, 41.0], [30.0, 32.0], [5_000.0, 0.0])


def _state(lat: float, lon: float, alt_m: float, east_mps: float, north_mps: float) -> np.ndarray:
    p = pymap3d.geodetic2ecef(lat, lon, alt_m)
    v = pymap3d.enu2uvw(east_mps, north_mps, 0.0, lat, lon)
    return np.array([*p, *v], dtype=np.float64)


def test_rows_are_evaluated_alone_and_ballistic_rows_are_skipped() -> None:
    states = np.stack(
        [
            _state(40.0, 29.0, 100.0, 250.0, 0.0),  # cruise, heading for "a"
            _state(38.0, 30.0, 9_000.0, 0.0, 200.0),  # aircraft, passing "a"
            _state(40.0, 31.0, 80_000.0, 2_000.0, 0.0),  # a ballistic track
            _state(45.0, 35.0, 5_000.0, 0.0, -250.0),  # far from both
        ]
    )
    sigma = np.array([300.0, 500.0, 900.0, 200.0])
    non_ballistic = np.array([True, True, False, True])
    ev = evaluate_air_tracks(100.0, states, sigma, non_ballistic, ASSETS)
    assert ev.evaluated.tolist() == [True, True, False, True]
    assert ev.threatened[0, 0] and not ev.threatened[2].any()
    assert ev.threat_class.tolist() == ["cruise", "aircraft", None, "aircraft"]
    assert np.isnan(ev.cpa_time_s[2]) and np.isnan(ev.cpa_lat_deg[2])
    for k in np.flatnonzero(non_ballistic).tolist():
        one = evaluate_air_tracks(100.0, states[k : k + 1], sigma[k : k + 1], [True], ASSETS)
        for name in ("evaluated", "threatened", "cpa_time_s", "cpa_lat_deg", "cpa_lon_deg"):
            assert getattr(one, name)[0].tobytes() == getattr(ev, name)[k].tobytes(), (k, name)
        assert one.threat_class[0] == ev.threat_class[k]


def test_an_empty_or_all_ballistic_picture_needs_no_conversion() -> None:
    empty = evaluate_air_tracks(0.0, np.zeros((0, 6)), np.zeros(0), np.zeros(0, bool), ASSETS)
    assert empty.threatened.shape == (0, 2) and empty.threat_class.shape == (0,)
    x = _state(40.0, 31.0, 80_000.0, 2_000.0, 0.0)[None, :]
    ev = evaluate_air_tracks(0.0, x, np.array([100.0]), np.array([False]), ASSETS)
    assert not ev.evaluated.any() and ev.threat_class.tolist() == [None]
    assert np.isnan(ev.cpa_time_s).all() and ev.radius95_m[0] > 0.0


def test_assets_east_north_is_pymap3d_geodetic2enu_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    for e, a in ((1, 1), (3, 5), (17, 9)):
        assets = DefendedAssets.from_lists(
            [f"a{k}" for k in range(a)],
            rng.uniform(-80.0, 80.0, a),
            rng.uniform(-180.0, 180.0, a),
            np.full(a, 1_000.0),
        )
        lat, lon = rng.uniform(-80.0, 80.0, e), rng.uniform(-180.0, 180.0, e)
        got_e, got_n = assets.east_north_m(lat, lon)
        want_e, want_n, _ = pymap3d.geodetic2enu(
            assets.lat_deg[None, :], assets.lon_deg[None, :], 0.0,
            lat[:, None], lon[:, None], 0.0,
        )  # fmt: skip
        assert got_e.tobytes() == np.asarray(want_e, dtype=np.float64).tobytes()
        assert got_n.tobytes() == np.asarray(want_n, dtype=np.float64).tobytes()


def test_enu_velocity_is_pymap3d_ecef2enuv_bit_for_bit() -> None:
    rng = np.random.default_rng(12)
    for m in (1, 4, 33):
        x = rng.normal(0.0, 300.0, (m, 6))
        lat, lon = rng.uniform(-89.0, 89.0, m), rng.uniform(-180.0, 180.0, m)
        got = ecef_to_enu_velocity(x, lat, lon)
        want = pymap3d.ecef2enuv(x[:, 3], x[:, 4], x[:, 5], lat, lon)
        for g, w in zip(got, want, strict=True):
            assert g.tobytes() == np.asarray(w, dtype=np.float64).tobytes()
