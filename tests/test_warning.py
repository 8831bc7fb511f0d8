"""Impact prediction and alert stream of the early-warning stage.

Reference trajectories come from scipy's ``solve_ivp`` (DOP853, tight
tolerances) with the same physics as the predictor's default propagator but
written independently: central gravity in the inertial frame aligned with ECEF
at t = 0, Earth rotation through the frame change, drag of the truth model
(exponential atmosphere rho0 = 1.225 kg/m3, H = 7.2 km over the WGS84 geodetic
height from pymap3d, on the velocity relative to the air turning with the
Earth) with the nominal ballistic coefficient 5000 kg/m2, ground = WGS84
geodetic height 0 as a terminal event. Flights backwards are in vacuum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pymap3d
import pytest
from scipy.integrate import solve_ivp
from scipy.stats import chi2

from skyweave.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from skyweave.warning import (
    AlertConfig,
    AlertGenerator,
    DefendedAssets,
    ImpactPrediction,
    LaunchEvents,
    alerts_schema,
    alerts_to_arrow_table,
    chi2_2dof_quantile,
    concat_alerts,
    distance_to_ellipse_m,
    launch_point_from_track,
    predict_impacts,
)

W = OMEGA_EARTH_RAD_S


def _rz(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


BETA_KG_M2 = 5_000.0  # the scenario's default threat class


def _rhs(_t: float, y: np.ndarray, beta: float | None = BETA_KG_M2) -> np.ndarray:
    r, v = y[:3], y[3:]
    acc = -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3
    if beta is not None:
        # The ellipsoid is symmetric about z: geodetic height is frame-independent.
        h = float(pymap3d.ecef2geodetic(r[0], r[1], r[2])[2])
        v_air = v - np.cross([0.0, 0.0, W], r)
        rho = 1.225 * np.exp(-h / 7_200.0)
        acc = acc - rho * np.linalg.norm(v_air) * v_air / (2.0 * beta)
    return np.concatenate([v, acc])


def _rhs_vacuum(t: float, y: np.ndarray) -> np.ndarray:
    return _rhs(t, y, None)


def _ground_event(t: float, y: np.ndarray) -> float:
    r = _rz(-W * t) @ y[:3]
    return float(pymap3d.ecef2geodetic(r[0], r[1], r[2])[2])


_ground_event.terminal = True  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Arc:
    sol: object
    impact_time_s: float
    impact_ecef: np.ndarray
    start_time_s: float
    back_ecef: np.ndarray  # where the arc meets the ground flown backwards

    def state_ecef(self, t: float) -> np.ndarray:
        y = self.sol.sol(t)  # type: ignore[attr-defined]
        rot = _rz(-W * t)
        r = rot @ y[:3]
        v = rot @ y[3:] - np.cross([0.0, 0.0, W], r)
        return np.concatenate([r, v])

    @property
    def impact_lat_lon(self) -> tuple[float, float]:
        lat, lon, _ = pymap3d.ecef2geodetic(*self.impact_ecef)
        return float(lat), float(lon)


def make_arc(lat: float, lon: float, az: float, el: float, speed: float, t0: float) -> Arc:
    """Free flight from 60 km up with an Earth-relative velocity (az/el deg, m/s) at t0."""
    r0 = np.array(pymap3d.geodetic2ecef(lat, lon, 60e3))
    v_rel = np.array(pymap3d.enu2uvw(*pymap3d.aer2enu(az, el, speed), lat, lon))
    # Inertial frame aligned with ECEF at t = 0, state given at t0.
    rot = _rz(W * t0)
    y0 = np.concatenate([rot @ r0, rot @ (v_rel + np.cross([0.0, 0.0, W], r0))])
    ev_fwd = _ground_event
    ev_fwd.direction = -1  # type: ignore[attr-defined]
    fwd = solve_ivp(
        _rhs, (t0, t0 + 4000.0), y0, method="DOP853", rtol=1e-11, atol=1e-4,
        events=ev_fwd, dense_output=True,
    )  # fmt: skip
    t_imp = float(fwd.t_events[0][0])
    r_imp = _rz(-W * t_imp) @ fwd.y_events[0][0][:3]
    back = solve_ivp(
        _rhs_vacuum, (t0, t0 - 1000.0), y0, method="DOP853", rtol=1e-11, atol=1e-4, events=ev_fwd
    )
    t_b = float(back.t_events[0][0])
    r_back = _rz(-W * t_b) @ back.y_events[0][0][:3]
    return Arc(fwd, t_imp, r_imp, t0, r_back)


@pytest.fixture(scope="module")
def arcs() -> list[Arc]:
    return [
        make_arc(40.0, 30.0, 60.0, 40.0, 3_500.0, 100.0),  # about 1 400 km
        make_arc(10.0, -20.0, 300.0, 35.0, 5_500.0, 0.0),  # about 4 500 km, north-west
    ]


def test_noiseless_prediction_matches_solve_ivp(arcs: list[Arc]) -> None:
    # Early, mid-course and in re-entry (the last 60 s): within 0.5 s and 500 m
    # of the truth flown to the ground by solve_ivp with the same drag.
    times, states, truth_ll, truth_t = [], [], [], []
    for arc in arcs:
        for frac in (0.05, 0.4, 0.9, 0.97):
            t = arc.start_time_s + frac * (arc.impact_time_s - arc.start_time_s)
            times.append(t)
            states.append(arc.state_ecef(t))
            truth_ll.append(arc.impact_lat_lon)
            truth_t.append(arc.impact_time_s)
    n = len(states)
    pred = predict_impacts(np.array(times), np.array(states), np.zeros((n, 6, 6)))
    assert pred.valid.all()
    lat, lon = np.array(truth_ll).T
    err_m = np.hypot(
        *pymap3d.geodetic2enu(pred.impact_lat_deg, pred.impact_lon_deg, 0.0, lat, lon, 0.0)[:2]
    )
    assert np.max(err_m) < 500.0
    assert np.max(np.abs(pred.impact_time_s - np.array(truth_t))) < 0.5
    assert np.max(pred.semi_major_m) < 1.0  # no uncertainty, no ellipse
    # Drag matters here: the vacuum prediction is seconds early (the check can fail).
    vac = predict_impacts(
        np.array(times), np.array(states), np.zeros((n, 6, 6)), ballistic_coefficient_kg_m2=None
    )
    assert np.max(np.array(truth_t) - vac.impact_time_s) > 2.0


def test_nominal_ballistic_coefficient_is_the_scenario_default() -> None:
    from skyweave.scenario.schema import BallisticThreat
    from skyweave.warning.propagate import NOMINAL_BALLISTIC_COEFFICIENT_KG_M2

    default = BallisticThreat.model_fields["ballistic_coefficient_kg_m2"].default
    assert NOMINAL_BALLISTIC_COEFFICIENT_KG_M2 == default == BETA_KG_M2


def test_ellipse_coverage_over_gaussian_track_errors(arcs: list[Arc]) -> None:
    # A track whose error really is N(0, P): the predicted 95 % ellipse (from
    # the estimate, with P) must contain the true impact 95 % of the time.
    # 2000 draws, binomial sd 0.5 %; one vectorised call.
    arc = arcs[1]
    t = arc.start_time_s + 0.6 * (arc.impact_time_s - arc.start_time_s)
    cov = _cov()
    draws = 2_000
    z = np.random.default_rng(11).standard_normal((draws, 6))
    est = arc.state_ecef(t) + z @ np.linalg.cholesky(cov).T
    pred = predict_impacts(t, est, np.broadcast_to(cov, (draws, 6, 6)))
    assert pred.valid.all()
    lat, lon = arc.impact_lat_lon
    e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, pred.impact_lat_deg, pred.impact_lon_deg, 0.0)
    d2 = np.einsum("ki,kij,kj->k", np.stack([e, n], -1), np.linalg.inv(pred.cov_en_m2),
                   np.stack([e, n], -1))  # fmt: skip
    inside = d2 <= chi2_2dof_quantile(0.95)
    assert 0.93 <= inside.mean() <= 0.97
    # The ellipse is not trivially large: the median normalised distance is the
    # chi-square median, 2 ln 2 (the 0.23 of the 95 % ellipse).
    assert np.median(d2) / chi2_2dof_quantile(0.95) == pytest.approx(0.231, abs=0.03)
    # Impact time: the predicted sigma covers the error like a Gaussian's.
    t_err = np.abs(pred.impact_time_s - arc.impact_time_s) / pred.impact_time_sigma_s
    assert np.mean(t_err <= 1.96) == pytest.approx(0.95, abs=0.02)


def test_flight_time_and_range_are_not_trivial(arcs: list[Arc]) -> None:
    # Guards the reference itself: a real arc, and Earth rotation matters.
    arc = arcs[0]
    assert 300.0 < arc.impact_time_s - arc.start_time_s < 1_500.0
    x = arc.state_ecef(arc.start_time_s + 50.0)
    pred = predict_impacts(arc.start_time_s + 50.0, x[None], np.zeros((1, 6, 6)))
    from skyweave.warning import free_flight_to_ground

    no_spin, _ = free_flight_to_ground(x[None], omega_rad_s=0.0)
    assert np.linalg.norm(no_spin[0] - arc.impact_ecef) > 5_000.0
    assert np.linalg.norm(pred.impact_ecef_m[0] - arc.impact_ecef) < 1_000.0


def _cov() -> np.ndarray:
    a = np.diag([400.0, 250.0, 300.0, 6.0, 9.0, 4.0]) ** 2
    a[0, 4] = a[4, 0] = 0.5 * 400.0 * 9.0  # some correlation position-velocity
    a[3, 5] = a[5, 3] = -0.3 * 6.0 * 4.0
    return a


def test_unscented_ellipse_agrees_with_monte_carlo(arcs: list[Arc]) -> None:
    states = np.array([arcs[0].state_ecef(300.0), arcs[1].state_ecef(400.0)])
    times = np.array([300.0, 400.0])
    covs = np.array([_cov(), _cov()])
    ut = predict_impacts(times, states, covs)
    mc = predict_impacts(times, states, covs, method="monte_carlo", n_samples=10_000, seed=7)
    assert ut.valid.all() and mc.valid.all()
    np.testing.assert_allclose(ut.semi_major_m, mc.semi_major_m, rtol=0.10)
    np.testing.assert_allclose(ut.semi_minor_m, mc.semi_minor_m, rtol=0.10)
    d_orient = (ut.orientation_deg - mc.orientation_deg + 90.0) % 180.0 - 90.0
    assert np.all(np.abs(d_orient) < 5.0)
    np.testing.assert_allclose(ut.impact_time_sigma_s, mc.impact_time_sigma_s, rtol=0.10)
    # Elongated along the flight: a real ellipse, not a circle.
    assert np.all(ut.semi_major_m > 2.0 * ut.semi_minor_m)
    # Mean impact points agree to a small fraction of the ellipse.
    assert np.all(
        np.linalg.norm(ut.impact_ecef_m - mc.impact_ecef_m, axis=1) < 0.1 * ut.semi_minor_m
    )


def test_monte_carlo_is_deterministic(arcs: list[Arc]) -> None:
    x = arcs[0].state_ecef(300.0)[None]
    a = predict_impacts(300.0, x, _cov()[None], method="monte_carlo", n_samples=200, seed=3)
    b = predict_impacts(300.0, x, _cov()[None], method="monte_carlo", n_samples=200, seed=3)
    assert a.semi_major_m.tobytes() == b.semi_major_m.tobytes()
    assert a.impact_lat_deg.tobytes() == b.impact_lat_deg.tobytes()


def test_confidence_scaling_matches_chi_square() -> None:
    for p in (0.5, 0.8647, 0.95, 0.99):
        assert chi2_2dof_quantile(p) == pytest.approx(chi2.ppf(p, 2), rel=1e-9)
    assert chi2_2dof_quantile(1.0 - np.exp(-2.0)) == pytest.approx(4.0)  # 2-sigma


def test_threatened_assets(arcs: list[Arc]) -> None:
    arc = arcs[0]
    lat, lon = arc.impact_lat_lon
    far_lat, far_lon, _ = pymap3d.aer2geodetic(90.0, 0.0, 500e3, lat, lon, 0.0)
    assets = DefendedAssets.from_lists(
        ["at-impact", "far"], [lat, float(far_lat)], [lon, float(far_lon)], [1_000.0, 20_000.0]
    )
    pred = predict_impacts(300.0, arc.state_ecef(300.0)[None], _cov()[None], assets)
    assert pred.threatened_assets() == [["at-impact"]]
    assert pred.semi_major_m[0] < 200e3  # the far one is really outside


def test_asset_radius_grows_the_ellipse(arcs: list[Arc]) -> None:
    arc = arcs[0]
    pred = predict_impacts(300.0, arc.state_ecef(300.0)[None], _cov()[None])
    a, b, th = pred.semi_major_m[0], pred.semi_minor_m[0], pred.orientation_deg[0]
    # A point 3 km beyond the end of the minor axis: threatened by a 4 km asset only.
    az = th + 90.0
    lat, lon, _ = pymap3d.aer2geodetic(az, 0.0, b + 3_000.0, pred.impact_lat_deg[0],
                                       pred.impact_lon_deg[0], 0.0)  # fmt: skip
    assets = DefendedAssets.from_lists(["r2", "r4"], [lat, lat], [lon, lon], [2_000.0, 4_000.0])
    pred2 = predict_impacts(300.0, arc.state_ecef(300.0)[None], _cov()[None], assets)
    assert pred2.threatened_assets() == [["r4"]]
    assert a > b


def test_distance_to_ellipse_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    a, b, th = 30_000.0, 8_000.0, 35.0
    pts = rng.uniform(-60_000.0, 60_000.0, size=(200, 2))
    d = distance_to_ellipse_m(pts[:, 0], pts[:, 1], a, b, th)
    phi = np.linspace(0.0, 2 * np.pi, 50_001)
    u, w = a * np.cos(phi), b * np.sin(phi)  # major along azimuth th
    s, c = np.sin(np.radians(th)), np.cos(np.radians(th))
    e, n = u * s + w * c, u * c - w * s
    brute = np.min(np.hypot(pts[:, :1] - e, pts[:, 1:] - n), axis=1)
    inside = ((pts[:, 0] * s + pts[:, 1] * c) / a) ** 2 + (
        (pts[:, 0] * c - pts[:, 1] * s) / b
    ) ** 2 <= 1
    np.testing.assert_allclose(d[~inside], brute[~inside], atol=2.0)
    assert np.all(d[inside] == 0.0)


def test_no_prediction_off_a_ballistic_arc() -> None:
    lat, lon = 45.0, 10.0

    def state(alt: float, az: float, el: float, speed: float) -> np.ndarray:
        r = np.array(pymap3d.geodetic2ecef(lat, lon, alt))
        v = np.array(pymap3d.enu2uvw(*pymap3d.aer2enu(az, el, speed), lat, lon))
        return np.concatenate([r, v])

    states = np.array([
        state(10e3, 90.0, 0.0, 250.0),  # aircraft / cruise missile
        state(15e3, 90.0, 2.0, 1_500.0),  # fast but low and level: not ballistic
        state(400e3, 90.0, 0.0, 7_900.0),  # orbit: never lands within the horizon
        state(100e3, 90.0, -30.0, 3_000.0),  # ballistic: predicted
        np.full(6, np.nan),
    ])  # fmt: skip
    pred = predict_impacts(0.0, states, np.zeros((5, 6, 6)), horizon_s=3_000.0)
    assert pred.valid.tolist() == [False, False, False, True, False]
    assert np.isnan(pred.impact_lat_deg[[0, 1, 2, 4]]).all()


def test_backward_launch_point_from_track(arcs: list[Arc]) -> None:
    arc = arcs[0]
    lat, lon, back = launch_point_from_track(arc.state_ecef(400.0)[None])
    t_lat, t_lon, _ = pymap3d.ecef2geodetic(*arc.back_ecef)
    err = np.hypot(*pymap3d.geodetic2enu(lat[0], lon[0], 0.0, t_lat, t_lon, 0.0)[:2])
    assert back[0] and err < 1_000.0
    lat2, lon2, back2 = launch_point_from_track(arc.state_ecef(400.0)[None], backward=False)
    assert not back2[0]
    sub = pymap3d.ecef2geodetic(*arc.state_ecef(400.0)[:3])
    assert (lat2[0], lon2[0]) == pytest.approx((sub[0], sub[1]))


# ---------------------------------------------------------------------------- alerts


def _launch_event(event_id: str, lat: float, lon: float, t: float, tri: bool) -> LaunchEvents:
    def f(v: float) -> np.ndarray:
        return np.array([v])

    return LaunchEvents(
        event_id=np.array([event_id], dtype=object), first_time_s=f(t),
        first_report_time_s=f(t + 1.0), estimate_time_s=f(t + 1.0), launch_lat_deg=f(lat),
        launch_lon_deg=f(lon), triangulated=np.array([tri]), sigma_m=f(np.nan),
        bearing_azimuth_deg=f(np.nan), n_sensors=np.array([1 + tri]),
        n_detections=np.array([3]), last_time_s=f(t),
    )  # fmt: skip


def _feed(gen: AlertGenerator, arc: Arc, times: np.ndarray, cov: np.ndarray) -> list[dict]:
    rows: list[dict] = []
    for t in times:
        rows += gen.track_update(t, [7], arc.state_ecef(t)[None], cov[None]).to_pylist()
    return rows


def test_alert_sequence_launch_updates_all_clear(arcs: list[Arc]) -> None:
    arc = arcs[0]
    lat, lon = arc.impact_lat_lon
    b_lat, b_lon, _ = pymap3d.ecef2geodetic(*arc.back_ecef)
    assets = DefendedAssets.from_lists(["city"], [lat], [lon], [5_000.0])
    gen = AlertGenerator("North", assets, AlertConfig(heartbeat_s=30.0))
    batches = [
        gen.launch_events(90.0, _launch_event("launch-1", b_lat + 0.05, b_lon, 80.0, False)),
        gen.launch_events(95.0, _launch_event("launch-1", b_lat, b_lon, 80.0, True)),
        gen.launch_events(99.0, _launch_event("launch-1", b_lat, b_lon, 80.0, True)),
    ]
    times = np.arange(120.0, arc.impact_time_s - 20.0, 5.0)
    cov = np.diag([200.0] * 3 + [3.0] * 3) ** 2
    batches += [gen.track_update(t, [7], arc.state_ecef(t)[None], cov[None]) for t in times]
    # The track is dropped by the tracker after impact (all clear: impact + 5 s grace passed).
    batches.append(
        gen.track_update(arc.impact_time_s + 10.0, [], np.zeros((0, 6)), np.zeros((0, 6, 6)))
    )
    rows_l = concat_alerts(batches).to_pylist()
    kinds = [r["alert_kind"] for r in rows_l]
    assert kinds[:2] == ["launch", "launch"]  # bearing, then triangulated refinement
    assert [r["launch_source"] for r in rows_l[:2]] == ["bearing", "triangulated"]
    assert rows_l[0]["track_id"] is None and rows_l[0]["launch_event_id"] == "launch-1"
    assert kinds[-1] == "all_clear" and set(kinds[2:-1]) == {"impact_update"}
    updates = [r for r in rows_l if r["alert_kind"] == "impact_update"]
    # Noiseless arc: the impact point does not move, so updates follow the heartbeat.
    assert np.diff([r["time_s"] for r in updates]).min() >= 30.0
    expected = np.arange(times[0], times[-1] + 1e-9, 30.0)
    np.testing.assert_array_equal([r["time_s"] for r in updates], expected)
    first = updates[0]
    assert first["track_id"] == 7 and first["threatened_assets"] == ["city"]
    assert first["launch_event_id"] == "launch-1" and first["launch_source"] == "triangulated"
    assert abs(first["impact_time_s"] - arc.impact_time_s) < 1.0
    times_all = [r["time_s"] for r in rows_l]
    assert times_all == sorted(times_all)
    # Arrow round trip with the published schema.
    table = alerts_to_arrow_table(all_rows := concat_alerts(batches))
    assert table.schema == alerts_schema() and table.num_rows == len(all_rows)
    assert table.column("alert_kind").to_pylist() == kinds
    assert table.column("track_id").to_pylist()[:2] == [None, None]
    assert table.column("threatened_assets").to_pylist()[2] == ["city"]
    assert table.schema.field("threatened_assets").type == pa.list_(pa.string())


def test_track_without_infrared_gets_its_own_launch_alert(arcs: list[Arc]) -> None:
    arc = arcs[0]
    gen = AlertGenerator("East")
    rows = _feed(gen, arc, np.array([200.0, 210.0]), np.zeros((6, 6)))
    rows += gen.advance(arc.impact_time_s + 6.0).to_pylist()
    assert [r["alert_kind"] for r in rows] == ["launch", "impact_update", "all_clear"]
    b_lat, b_lon, _ = pymap3d.ecef2geodetic(*arc.back_ecef)
    assert rows[0]["launch_source"] == "track" and rows[0]["track_id"] == 7
    err = np.hypot(*pymap3d.geodetic2enu(rows[0]["launch_lat_deg"], rows[0]["launch_lon_deg"],
                                         0.0, b_lat, b_lon, 0.0)[:2])  # fmt: skip
    assert err < 1_000.0
    # Closed: later updates of the same id are ignored.
    assert len(gen.track_update(arc.impact_time_s + 7.0, [7], arc.state_ecef(300.0)[None],
                                np.zeros((1, 6, 6)))) == 0  # fmt: skip


def test_moving_impact_point_triggers_an_update(arcs: list[Arc]) -> None:
    a0, a1 = arcs[0], make_arc(40.0, 30.0, 62.0, 40.0, 3_500.0, 100.0)  # 2 deg off azimuth
    gen = AlertGenerator("North", config=AlertConfig(heartbeat_s=1e9, move_fraction=0.5))
    cov = np.diag([200.0] * 3 + [3.0] * 3) ** 2
    r1 = gen.track_update(200.0, [1], a0.state_ecef(200.0)[None], cov[None])
    r2 = gen.track_update(205.0, [1], a0.state_ecef(205.0)[None], cov[None])
    r3 = gen.track_update(210.0, [1], a1.state_ecef(210.0)[None], cov[None])
    assert list(r1.alert_kind) == ["launch", "impact_update"]
    assert len(r2) == 0
    assert list(r3.alert_kind) == ["impact_update"]


def test_alert_generator_rejects_time_going_back() -> None:
    gen = AlertGenerator("North")
    gen.advance(10.0)
    with pytest.raises(ValueError, match="time went back"):
        gen.advance(5.0)


def test_drag_and_j2_match_the_kinematics_truth() -> None:
    # Cross-check against the kinematics stage's own integrator (separate code):
    # a 1 500 km shot with J2, Earth rotation and re-entry drag (beta 500 kg/m2);
    # the predictor, given the same physics through the propagator hook, lands
    # within 50 m of its impact, where vacuum free flight misses by 10 km.
    from functools import partial

    from skyweave.kinematics.ballistic import (
        BallisticBatch,
        BallisticOptions,
        propagate_ballistic,
    )
    from skyweave.warning import free_flight_to_ground

    beta = 500.0
    batch = BallisticBatch(
        launch_lat_deg=30.0, launch_lon_deg=40.0, launch_alt_m=0.0, launch_time_s=0.0,
        aim_lat_deg=38.0, aim_lon_deg=52.0, gamma_deg=np.nan, burn_time_s=60.0,
        ballistic_coeff_kg_m2=beta,
    )  # fmt: skip
    opts = BallisticOptions(j2=True, drag=True, boost=True)
    truth = propagate_ballistic(batch, np.arange(0.0, 2_000.0, 10.0), opts)
    t_imp = float(truth.impact_time_s[0])
    k = int(np.searchsorted(truth.times_s, 0.5 * t_imp))
    state = truth.states[k, 0][None]
    with_drag = partial(free_flight_to_ground, j2=True, ballistic_coefficient_kg_m2=beta)
    pred = predict_impacts(truth.times_s[k], state, np.zeros((1, 6, 6)), propagator=with_drag)
    vac = predict_impacts(
        truth.times_s[k], state, np.zeros((1, 6, 6)), ballistic_coefficient_kg_m2=None
    )

    def miss_m(p: ImpactPrediction) -> float:
        e, n, _ = pymap3d.geodetic2enu(
            p.impact_lat_deg[0], p.impact_lon_deg[0], 0.0,
            truth.impact_lat_deg[0], truth.impact_lon_deg[0], 0.0,
        )  # fmt: skip
        return float(np.hypot(e, n))

    assert miss_m(pred) < 1_000.0
    assert abs(pred.impact_time_s[0] - t_imp) < 1.0
    assert miss_m(vac) > 5_000.0  # drag matters: the check can fail


# ------------------------------------------------- all clear: only when the threat is over


def _kinds(batches: list) -> list[tuple[float, int | None, str]]:
    return [
        (r["time_s"], r["track_id"], r["alert_kind"]) for r in concat_alerts(batches).to_pylist()
    ]


def _update(gen: AlertGenerator, t: float, tracks: dict[int, Arc]) -> object:
    cov = np.diag([200.0] * 3 + [3.0] * 3) ** 2
    ids = sorted(tracks)
    states = np.array([tracks[i].state_ecef(t) for i in ids]).reshape(-1, 6)
    return gen.track_update(t, ids, states, np.broadcast_to(cov, (len(ids), 6, 6)))


@pytest.fixture(scope="module")
def salvo(arcs: list[Arc]) -> tuple[Arc, Arc]:
    # Two shots of one salvo on the same aim 40 s apart: impacts 40 s apart,
    # ground points about 10 km apart (the Earth turned meanwhile).
    return arcs[0], make_arc(40.0, 30.0, 60.0, 40.0, 3_500.0, 140.0)


def test_dropped_track_is_not_an_all_clear(arcs: list[Arc]) -> None:
    arc = arcs[0]
    gen = AlertGenerator("North")
    out = [_update(gen, t, {7: arc}) for t in np.arange(200.0, 400.0, 10.0)]
    out.append(_update(gen, 400.0, {}))  # the tracker lost it mid-flight
    out += [gen.advance(t) for t in np.arange(410.0, arc.impact_time_s, 10.0)]
    assert [k for k in _kinds(out) if k[2] == "all_clear"] == []
    # Cleared once the predicted impact time, plus the 5 s grace and 3 sigma (under
    # a second here), has passed.
    assert len(gen.advance(arc.impact_time_s + 4.0)) == 0
    late = gen.advance(arc.impact_time_s + 7.0)
    assert _kinds([late]) == [(arc.impact_time_s + 7.0, 7, "all_clear")]
    assert len(gen.advance(arc.impact_time_s + 100.0)) == 0  # once


def test_newer_track_of_the_same_threat_carries_it(arcs: list[Arc]) -> None:
    arc = arcs[0]
    gen = AlertGenerator("North")
    out = [_update(gen, t, {7: arc}) for t in (200.0, 210.0)]
    out.append(gen.delete_tracks(215.0, [7]))  # dropped ...
    out += [_update(gen, t, {9: arc}) for t in (250.0, 260.0)]  # ... and re-acquired as 9
    out.append(_update(gen, arc.impact_time_s - 2.0, {}))  # 9 lost near the ground
    out.append(gen.advance(arc.impact_time_s + 7.0))
    clears = [k for k in _kinds(out) if k[2] == "all_clear"]
    assert clears == [(arc.impact_time_s + 7.0, 9, "all_clear")]  # one threat, one all clear


def test_salvo_tracks_are_not_merged(salvo: tuple[Arc, Arc]) -> None:
    first, second = salvo
    assert second.impact_time_s - first.impact_time_s == pytest.approx(40.0, abs=1.0)
    gen = AlertGenerator("North")
    out = [_update(gen, t, {1: first, 2: second}) for t in (300.0, 310.0)]
    out.append(_update(gen, 320.0, {2: second}))  # the first shot's track drops
    out += [_update(gen, t, {2: second}) for t in np.arange(330.0, second.impact_time_s - 5, 10)]
    clears = [k for k in _kinds(out) if k[2] == "all_clear"]
    # Not superseded by the second shot's track: cleared at its own impact.
    assert [c[1] for c in clears] == [1]
    assert first.impact_time_s + 5.0 < clears[0][0] < first.impact_time_s + 16.0


def test_threat_killed_clears_at_the_kill(arcs: list[Arc]) -> None:
    arc = arcs[0]
    gen = AlertGenerator("North")
    out = [_update(gen, t, {3: arc, 4: arc}) for t in (200.0, 210.0)]  # a duplicate pair
    out.append(_update(gen, 220.0, {3: arc}))  # duplicate 4 dropped, still open
    out.append(gen.threat_killed(230.0, [3]))
    out.append(gen.advance(arc.impact_time_s + 50.0))
    clears = [k for k in _kinds(out) if k[2] == "all_clear"]
    assert clears == [(230.0, 3, "all_clear")]  # 4 went with it, silently
    assert len(gen.threat_killed(arc.impact_time_s + 60.0, [3, 99])) == 0  # closed, unknown
