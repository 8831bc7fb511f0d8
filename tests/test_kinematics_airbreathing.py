"""Waypoint following: arrival times against independent geodesic distances."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from pymap3d.vincenty import vdist

from skyweave.kinematics.airbreathing import WaypointBatch, pad_waypoints, propagate_waypoints

WAYPOINTS_LAT = [[50.0, 50.5, 51.2], [10.0, 12.0], [0.0, 0.0, 0.0, 1.0], [-33.0, -34.0, -33.5]]
WAYPOINTS_LON = [[10.0, 11.0, 11.0], [20.0, 21.5], [0.0, 1.0, 1.0, 1.0], [151.0, 150.0, 149.0]]
SPEED_MPS = np.array([250.0, 300.0, 200.0, 900.0])
ALT_M = np.array([100.0, 5000.0, 50.0, 11000.0])
START_S = np.array([0.0, 100.0, 200.0, 30.0])


@pytest.fixture(scope="module")
def flight():
    lat, lon = pad_waypoints(WAYPOINTS_LAT, WAYPOINTS_LON)
    times = np.arange(0.0, 2000.0, 0.5)
    batch = WaypointBatch.from_lists(START_S, WAYPOINTS_LAT, WAYPOINTS_LON, SPEED_MPS, ALT_M)
    return lat, lon, propagate_waypoints(batch, times)


def test_arrival_time_is_distance_over_speed(flight) -> None:
    """Vincenty geodesic at the ground, scaled to the flight altitude (1 + h / R)."""
    lat, lon, res = flight
    for i, (la, lo) in enumerate(zip(WAYPOINTS_LAT, WAYPOINTS_LON, strict=True)):
        ground_m = sum(vdist(la[k], lo[k], la[k + 1], lo[k + 1])[0] for k in range(len(la) - 1))
        distance_m = ground_m * (1.0 + ALT_M[i] / 6_371_000.0)
        expected = START_S[i] + distance_m / SPEED_MPS[i]
        # 1e-4: altitude scaling uses a mean radius, great circle vs geodesic
        assert res.arrival_time_s[i] == pytest.approx(expected, rel=1e-4)


def test_positions_at_waypoint_times_are_the_waypoints(flight) -> None:
    lat, lon, res = flight
    for i in range(len(WAYPOINTS_LAT)):
        for k in range(len(WAYPOINTS_LAT[i])):
            t = res.waypoint_time_s[i, k]
            one = WaypointBatch(START_S[i], lat[i : i + 1], lon[i : i + 1], SPEED_MPS[i], ALT_M[i])
            single = propagate_waypoints(one, [t])
            expected = pymap3d.geodetic2ecef(lat[i, k], lon[i, k], ALT_M[i])
            np.testing.assert_allclose(single.states[0, 0, :3], expected, atol=1e-3)


def test_altitude_speed_and_nan_outside(flight) -> None:
    lat, lon, res = flight
    s = res.states
    alive = np.isfinite(s[:, :, 0])
    t = res.times_s[:, None]
    np.testing.assert_array_equal(alive, (t >= START_S) & (t <= res.arrival_time_s))
    _, _, h = pymap3d.ecef2geodetic(s[..., 0], s[..., 1], s[..., 2])
    np.testing.assert_allclose(
        np.where(alive, h, ALT_M), np.broadcast_to(ALT_M, h.shape), atol=1e-3
    )
    speed = np.linalg.norm(s[..., 3:], axis=-1)
    ratio = np.where(alive, speed / SPEED_MPS, 1.0)
    assert np.all(np.abs(ratio - 1.0) < 5e-3)  # ellipsoid: within about 0.3 %
    # velocity is the derivative of position (central differences, 0.5 s grid)
    mid = (s[2:, :, :3] - s[:-2, :, :3]) / 1.0
    err = np.linalg.norm(mid - s[1:-1, :, 3:], axis=-1)
    smooth = alive[2:] & alive[:-2]
    # away from the turns at waypoints the agreement is to a few mm/s
    turns = np.zeros_like(smooth)
    for k in range(res.waypoint_time_s.shape[1]):
        near = np.abs(res.times_s[1:-1, None] - res.waypoint_time_s[:, k]) < 1.0
        turns |= near
    assert np.nanmax(np.where(smooth & ~turns, err, 0.0)) < 0.05


def test_sphere_ground_speed_is_exact() -> None:
    lat, lon = pad_waypoints([[0.0, 30.0, 30.0]], [[0.0, 20.0, 60.0]])
    batch = WaypointBatch(0.0, lat, lon, 250.0, 0.0)
    res = propagate_waypoints(batch, np.arange(0.0, 5e4, 10.0), spherical_radius_m=6_371_000.0)
    speed = np.linalg.norm(res.states[..., 3:], axis=-1)
    np.testing.assert_allclose(speed[np.isfinite(speed)], 250.0, rtol=1e-12)
    r = np.linalg.norm(res.states[..., :3], axis=-1)
    np.testing.assert_allclose(r[np.isfinite(r)], 6_371_000.0, rtol=1e-12)


@pytest.mark.parametrize(
    ("lat", "lon", "speed", "match"),
    [
        ([[1.0, np.nan]], [[1.0, np.nan]], 100.0, "at least 2"),
        ([[1.0, 2.0]], [[1.0, 2.0]], 0.0, "speed"),
        ([[0.0, 0.0]], [[0.0, 180.0]], 100.0, "antipodal"),
        ([[1.0, np.nan, 3.0]], [[1.0, np.nan, 3.0]], 100.0, "padded"),
    ],
)
def test_bad_inputs_raise(lat, lon, speed, match) -> None:
    with pytest.raises(ValueError, match=match):
        propagate_waypoints(WaypointBatch(0.0, lat, lon, speed, 100.0), [0.0])
