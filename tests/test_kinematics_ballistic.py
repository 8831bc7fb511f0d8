"""Numerical ballistic propagation against published figures and an independent integrator."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from pymap3d.vincenty import vdist
from scipy.integrate import solve_ivp

from skyweave.kinematics.ballistic import (
    RHO0_KG_M3,
    SCALE_HEIGHT_M,
    BallisticBatch,
    BallisticOptions,
    propagate_ballistic,
)

R_M = 6_371_000.0
MU = 3.986004418e14
OMEGA = 7.2921150e-5

VACUUM_SPHERE = BallisticOptions(
    rotation=False, drag=False, boost=False, spherical_radius_m=R_M, targeting=False
)


def direct(lat_deg: float, lon_deg: float, az_deg: np.ndarray, range_m: np.ndarray):
    """Great-circle direct problem on the 6371 km sphere (independent of the code)."""
    phi0, az, d = np.radians(lat_deg), np.radians(az_deg), np.asarray(range_m) / R_M
    phi1 = np.arcsin(np.sin(phi0) * np.cos(d) + np.cos(phi0) * np.sin(d) * np.cos(az))
    dlon = np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(phi0), np.cos(d) - np.sin(phi0) * np.sin(phi1)
    )
    return np.degrees(phi1), lon_deg + np.degrees(dlon)


def sphere_range_m(lat0, lon0, lat1, lon1) -> np.ndarray:
    """Haversine distance on the 6371 km sphere."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1) - lon0)
    h = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2 * R_M * np.arcsin(np.sqrt(h))


def batch_from(lat0, lon0, aim_lat, aim_lon, **kw) -> BallisticBatch:
    args = dict(
        launch_lat_deg=lat0,
        launch_lon_deg=lon0,
        launch_alt_m=0.0,
        launch_time_s=0.0,
        aim_lat_deg=aim_lat,
        aim_lon_deg=aim_lon,
        gamma_deg=np.nan,
        burn_time_s=60.0,
        ballistic_coeff_kg_m2=5000.0,
    )
    args.update(kw)
    return BallisticBatch(**args)


def test_minimum_energy_flight_matches_published_closed_form() -> None:
    """BMW 1971 sec. 6.2 values, hard-coded: flight time and apogee within 0.5 %."""
    ranges_m = np.array([300e3, 1000e3, 3000e3, 10000e3])
    published_time_s = np.array([251.0, 474.4, 895.0, 1931.0])
    published_apogee_km = np.array([74.1, 239.9, 655.2, 1319.5])
    aim_lat, aim_lon = direct(25.0, -40.0, np.array([30.0, 100.0, 200.0, 300.0]), ranges_m)
    batch = batch_from(25.0, -40.0, aim_lat, aim_lon, launch_time_s=[0.0, 5.0, 10.0, 15.0])
    res = propagate_ballistic(batch, np.arange(0.0, 2000.0, 5.0), VACUUM_SPHERE)
    np.testing.assert_allclose(res.flight_time_s, published_time_s, rtol=5e-3)
    np.testing.assert_allclose(res.apogee_alt_m / 1e3, published_apogee_km, rtol=5e-3)
    # the integrator itself is far better than 0.5 %: the shot lands on its aim
    flown = sphere_range_m(25.0, -40.0, res.impact_lat_deg, res.impact_lon_deg)
    np.testing.assert_allclose(flown, ranges_m, atol=10.0)


def test_fixed_gamma_lofted_shot_matches_closed_form() -> None:
    """A lofted 1000 km shot at 60 deg: BMW flight-path-angle equation, Kepler time."""
    # independent closed form: Q from sin(2g + psi/2) = (2 - Q)/Q sin(psi/2)
    psi, g = 1000e3 / R_M, np.radians(60.0)
    q = 2.0 / (1.0 + np.sin(2 * g + psi / 2) / np.sin(psi / 2))
    a = R_M / (2 - q)
    e = np.sqrt(1 + q * (q - 2) * np.cos(g) ** 2)
    ecc_anom = np.arccos((e - np.cos(psi / 2)) / (1 - e * np.cos(psi / 2)))
    t_expected = 2 * np.sqrt(a**3 / MU) * (np.pi - ecc_anom + e * np.sin(ecc_anom))
    aim_lat, aim_lon = direct(0.0, 0.0, np.array([0.0]), np.array([1000e3]))
    res = propagate_ballistic(
        batch_from(0.0, 0.0, aim_lat, aim_lon, gamma_deg=60.0), [0.0], VACUUM_SPHERE
    )
    assert res.flight_time_s[0] == pytest.approx(t_expected, rel=1e-4)
    assert res.apogee_alt_m[0] / 1e3 == pytest.approx(a * (1 + e) / 1e3 - R_M / 1e3, rel=1e-4)
    assert res.burnout_speed_mps[0] == pytest.approx(np.sqrt(q * MU / R_M), rel=1e-9)


def test_earth_rotation_east_flies_farther_than_west() -> None:
    """10 000 km minimum-energy shot at 40 N, same launch state relative to the Earth.

    Published: about +1400 km eastward, -1180 km westward. The figures are quoted
    to 2-3 significant digits and depend on the Earth constants used, so we
    allow 5 % (70 km, 59 km). That still fails for the classic mistakes: leaving
    the Earth's surface velocity out of the launch state flips both signs (the
    Earth turning under the missile alone gives about -690 km east, +690 km west),
    and forgetting that the Earth turns under the missile gives ranges several
    thousand km too long.
    """
    aim_lat, aim_lon = direct(40.0, 10.0, np.array([90.0, 270.0]), np.array([10000e3] * 2))
    batch = batch_from(40.0, 10.0, aim_lat, aim_lon)
    opts = BallisticOptions(
        rotation=True, drag=False, boost=False, spherical_radius_m=R_M, targeting=False
    )
    res = propagate_ballistic(batch, [0.0], opts)
    extra_km = (sphere_range_m(40.0, 10.0, res.impact_lat_deg, res.impact_lon_deg) - 10000e3) / 1e3
    assert extra_km[0] == pytest.approx(1400.0, rel=0.05)
    assert extra_km[1] == pytest.approx(-1180.0, rel=0.05)


def ecef_rhs(beta: float, drag: bool):
    """Rotating-frame equations of motion, written independently: Coriolis + centrifugal."""
    w = np.array([0.0, 0.0, OMEGA])

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        r, v = y[:3], y[3:]
        rn = np.linalg.norm(r)
        acc = -MU * r / rn**3 - 2 * np.cross(w, v) - np.cross(w, np.cross(w, r))
        if drag:
            rho = RHO0_KG_M3 * np.exp(-(rn - R_M) / SCALE_HEIGHT_M)
            acc = acc - rho * np.linalg.norm(v) * v / (2 * beta)
        return np.concatenate([v, acc])

    return rhs


@pytest.mark.parametrize("beta", [1500.0, 5000.0])
def test_free_flight_with_rotation_and_drag_matches_solve_ivp(beta: float) -> None:
    """Same physics, other frame (rotating ECEF) and integrator (DOP853): impact agrees."""
    aim_lat, aim_lon = direct(35.0, 20.0, np.array([60.0]), np.array([2500e3]))
    batch = batch_from(35.0, 20.0, aim_lat, aim_lon, launch_time_s=30.0, ballistic_coeff_kg_m2=beta)
    opts = BallisticOptions(
        rotation=True, drag=True, boost=False, spherical_radius_m=R_M, targeting=False
    )
    res = propagate_ballistic(batch, np.arange(0.0, 2000.0, 0.5), opts)
    y0 = res.states[60, 0]  # t = 30 s: launch = burnout, on the ground
    ground = lambda _t, y: np.linalg.norm(y[:3]) - R_M + (1.0 if _t < 1.0 else 0.0)  # noqa: E731
    ground.terminal, ground.direction = True, -1
    sol = solve_ivp(
        ecef_rhs(beta, True), (0, 3000), y0, method="DOP853", rtol=1e-11, atol=1e-6, events=ground
    )
    t_imp = sol.t_events[0][0]
    r_imp = sol.y_events[0][0][:3]
    assert res.impact_time_s[0] - 30.0 == pytest.approx(t_imp, abs=0.01)
    lat, lon = np.degrees(np.arcsin(r_imp[2] / R_M)), np.degrees(np.arctan2(r_imp[1], r_imp[0]))
    assert sphere_range_m(lat, lon, res.impact_lat_deg[0], res.impact_lon_deg[0]) < 5.0
    # a sampled mid-flight state agrees too
    k = 60 + int(t_imp)  # about t_imp / 2 after launch, on the 0.5 s grid
    mid = solve_ivp(ecef_rhs(beta, True), (0, (k - 60) * 0.5), y0, method="DOP853", rtol=1e-11)
    assert np.linalg.norm(mid.y[:3, -1] - res.states[k, 0, :3]) < 2.0
    assert np.linalg.norm(mid.y[3:, -1] - res.states[k, 0, 3:]) < 0.01


def random_batch(n: int, seed: int) -> BallisticBatch:
    rng = np.random.default_rng(seed)
    lat0, lon0 = rng.uniform(-60, 60, n), rng.uniform(-180, 180, n)
    aim_lat, aim_lon = np.empty(n), np.empty(n)
    for i in range(n):
        aim_lat[i], aim_lon[i] = pymap3d.vincenty.vreckon(
            lat0[i], lon0[i], rng.uniform(300e3, 9000e3), rng.uniform(0, 360)
        )
    return batch_from(
        lat0,
        lon0,
        aim_lat,
        aim_lon,
        launch_time_s=rng.uniform(0, 100, n),
        launch_alt_m=rng.uniform(0, 500, n),
        burn_time_s=rng.uniform(30, 120, n),
        ballistic_coeff_kg_m2=rng.uniform(1000, 10000, n),
        gamma_deg=np.where(rng.uniform(size=n) < 0.3, rng.uniform(25, 60, n), np.nan),
    )


def test_targeting_hits_aim_with_all_effects_on() -> None:
    batch = random_batch(12, seed=4)
    opts = BallisticOptions(rotation=True, j2=True, drag=True, boost=True)
    res = propagate_ballistic(batch, np.arange(0.0, 5000.0, 1.0), opts)
    assert np.all(res.impact_time_s < 4990.0)
    # independent geodesic distance (Vincenty, WGS84) from impact to aim
    for i in range(batch.n):
        dist_m, _ = vdist(
            res.impact_lat_deg[i], res.impact_lon_deg[i], batch.aim_lat_deg[i], batch.aim_lon_deg[i]
        )
        assert dist_m < 1000.0
        assert res.miss_m[i] == pytest.approx(dist_m, abs=1.0)
    # the last sampled state before impact is close to the ground at the impact point
    last = np.array(
        [np.max(np.nonzero(np.isfinite(res.states[:, i, 0]))[0]) for i in range(batch.n)]
    )
    xyz = res.states[last, np.arange(batch.n), :3]
    _, _, alt = pymap3d.ecef2geodetic(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    speed = np.linalg.norm(res.states[last, np.arange(batch.n), 3:], axis=1)
    assert np.all((alt >= -1.0) & (alt <= speed * 1.0 + 1.0))


def test_states_nan_outside_flight_and_continuous_inside() -> None:
    batch = random_batch(6, seed=7)
    dt = 0.1
    times = np.arange(0.0, 2500.0, dt)
    res = propagate_ballistic(batch, times, BallisticOptions())
    alive = np.isfinite(res.states[:, :, 0])
    expected = (times[:, None] >= res.launch_time_s) & (times[:, None] <= res.impact_time_s)
    np.testing.assert_array_equal(alive, expected)
    assert np.all(np.isfinite(res.states[alive]))
    # continuity: per-step jumps bounded by speed * dt and acceleration * dt.
    # The largest acceleration is re-entry drag, rho0 v^2 / (2 beta) at sea level.
    pos, vel = res.states[..., :3], res.states[..., 3:]
    jump_r = np.linalg.norm(np.diff(pos, axis=0), axis=-1)
    jump_v = np.linalg.norm(np.diff(vel, axis=0), axis=-1)
    speed = np.linalg.norm(vel, axis=-1)
    vmax = np.nanmax(speed, axis=0)
    amax = np.maximum(RHO0_KG_M3 * vmax**2 / (2 * batch.ballistic_coeff_kg_m2), 12.0)
    boost_acc = res.burnout_speed_mps / batch.burn_time_s
    assert np.all(np.nan_to_num(jump_r) <= 1.01 * vmax * dt + 1e-6)
    assert np.all(np.nan_to_num(jump_v) <= (amax + boost_acc + 470.0 * OMEGA) * dt)
    # across burnout the step is what the neighbouring steps are: no seam
    for i in range(batch.n):
        k = int(np.searchsorted(times, res.burnout_time_s[i]))
        seam = jump_v[k - 1, i]
        around = np.r_[jump_v[k - 4 : k - 2, i], jump_v[k + 1 : k + 3, i]]
        assert seam < 2.0 * around.max()
        assert jump_r[k - 1, i] == pytest.approx(speed[k, i] * dt, rel=0.05)


def test_boost_ramps_linearly_to_burnout_speed() -> None:
    batch = random_batch(3, seed=11)
    times = np.arange(0.0, 400.0, 0.25)
    res = propagate_ballistic(batch, times, BallisticOptions())
    for i in range(3):
        k = np.nonzero((times > res.launch_time_s[i]) & (times < res.burnout_time_s[i]))[0]
        rel_speed = np.linalg.norm(res.states[k, i, 3:], axis=1)  # ECEF: relative to Earth
        expected = (
            res.burnout_speed_mps[i] * (times[k] - res.launch_time_s[i]) / batch.burn_time_s[i]
        )
        np.testing.assert_allclose(rel_speed, expected, rtol=1e-9)


def test_deterministic_and_independent_of_batch_order() -> None:
    batch = random_batch(5, seed=3)
    times = np.arange(0.0, 2000.0, 2.0)
    a = propagate_ballistic(batch, times)
    b = propagate_ballistic(batch, times)
    assert np.array_equal(a.states, b.states, equal_nan=True)
    single = propagate_ballistic(
        BallisticBatch(**{f: getattr(batch, f)[2:3] for f in batch.__dataclass_fields__}), times
    )
    np.testing.assert_allclose(single.impact_time_s, a.impact_time_s[2:3], rtol=0, atol=1e-6)


def test_boost_off_burnout_at_launch_with_closed_form_speed() -> None:
    aim_lat, aim_lon = direct(10.0, 10.0, np.array([45.0]), np.array([3000e3]))
    res = propagate_ballistic(batch_from(10.0, 10.0, aim_lat, aim_lon), [0.0], VACUUM_SPHERE)
    assert res.burnout_time_s[0] == 0.0
    assert res.burnout_speed_mps[0] == pytest.approx(4864.99, abs=0.1)  # BMW, 3000 km
    np.testing.assert_allclose(np.linalg.norm(res.states[0, 0, 3:]), res.burnout_speed_mps[0])


@pytest.mark.parametrize(
    ("field", "value"),
    [("aim_lat_deg", 95.0), ("ballistic_coeff_kg_m2", -1.0), ("gamma_deg", 120.0)],
)
def test_bad_inputs_raise(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        propagate_ballistic(batch_from(0.0, 0.0, 5.0, 5.0, **{field: value}), [0.0])


def test_aim_on_launch_point_raises() -> None:
    with pytest.raises(ValueError, match="coincides"):
        propagate_ballistic(batch_from(1.0, 2.0, 1.0, 2.0), [0.0])
