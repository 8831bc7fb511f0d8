"""Independent checks of the decision cycle's building blocks (skyweave.c2.decision).

Each test compares against a method written here from scratch: scipy's
adaptive integrator on the rotating-frame equations, closed-form free fall,
pymap3d's local-tangent-plane geometry, brute force over subsets, plain loops.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pymap3d
import pytest
from scipy.integrate import solve_ivp

from skyweave.c2.authority import authorities
from skyweave.c2.authority import worth_it as _worth_it
from skyweave.c2.prediction import (
    AIRBREATHING_FLOOR_DEPTH_M,
    AIRBREATHING_FLOOR_M,
    ThreatObjects,
    airbreathing_threat,
    predict_positions,
)
from skyweave.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M
from skyweave.engine.params import c2_params
from skyweave.exercise.consent import ConsentDecision, ConsentDesk, ConsentQuestion
from skyweave.scenario import Scenario, load_scenario
from skyweave.scenario.schema import Consent
from skyweave.warning.impact import DefendedAssets

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
OMEGA = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


# -- helpers ----------------------------------------------------------------------------


def _state(lat_deg: float, lon_deg: float, alt_m: float, enu_mps: tuple[float, float, float]):
    """ECEF state (6,) at a geodetic point with an ENU velocity."""
    x, y, z = pymap3d.geodetic2ecef(lat_deg, lon_deg, alt_m)
    u, v, w = pymap3d.enu2uvw(*enu_mps, lat_deg, lon_deg)
    return np.array([x, y, z, u, v, w], dtype=np.float64)


def _rotating_frame_rhs(_t: float, y: np.ndarray) -> np.ndarray:
    """Vacuum central gravity seen in the Earth-fixed frame (written with cross products)."""
    r, v = y[:3], y[3:]
    rn = np.linalg.norm(r)
    a = -MU_EARTH_M3_S2 * r / rn**3 - 2.0 * np.cross(OMEGA, v) - np.cross(OMEGA, np.cross(OMEGA, r))
    return np.concatenate([v, a])


def _altitude_m(xyz: np.ndarray) -> np.ndarray:
    _, _, h = pymap3d.ecef2geodetic(xyz[..., 0], xyz[..., 1], xyz[..., 2])
    return np.asarray(h, dtype=np.float64)


# -- 1. ballistic prediction ------------------------------------------------------------


def test_ballistic_rows_match_adaptive_integration_of_rotating_frame_equations() -> None:
    # 100 km altitude, 2 km/s, five directions (level and climbing), two places
    states = np.array(
        [
            _state(-25.0, 134.0, 100e3, (2000.0, 0.0, 0.0)),
            _state(-25.0, 134.0, 100e3, (0.0, 2000.0, 0.0)),
            _state(-25.0, 134.0, 100e3, (-1414.2, -1000.0, 1000.0)),
            _state(40.0, -75.0, 100e3, (1000.0, -1000.0, 1414.2)),
            _state(70.0, 10.0, 100e3, (0.0, -1732.0, 1000.0)),
        ]
    )
    offsets = np.arange(0.0, 120.0 + 1e-9, 4.0)
    got = predict_positions(states, np.ones(len(states), dtype=bool), offsets)
    assert got.shape == (len(states), offsets.size, 6)
    for k, y0 in enumerate(states):
        ref = solve_ivp(
            _rotating_frame_rhs,
            (0.0, offsets[-1]),
            y0,
            method="DOP853",
            t_eval=offsets,
            rtol=1e-10,
            atol=1e-6,
        )
        assert ref.success
        ref_y = ref.y.T
        assert np.all(_altitude_m(ref_y[:, :3]) > 0.0)  # stays in flight: no NaN expected
        pos_err = np.linalg.norm(got[k, :, :3] - ref_y[:, :3], axis=-1)
        vel_err = np.linalg.norm(got[k, :, 3:] - ref_y[:, 3:], axis=-1)
        assert pos_err.max() < 0.01, (k, pos_err.max())  # RK4 at 4 s: ~1e-5 m
        assert vel_err.max() < 1e-4, (k, vel_err.max())
        # the Earth's rotation matters at this scale: without it the prediction is far off
        assert np.linalg.norm(got[k, -1, :3] - _inertial_only(y0, offsets[-1])) > 100.0


def _inertial_only(y0: np.ndarray, t: float) -> np.ndarray:
    """End position with the Coriolis and centrifugal terms left out (a wrong model)."""

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        r = y[:3]
        return np.concatenate([y[3:], -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3])

    sol = solve_ivp(rhs, (0.0, t), y0, method="DOP853", rtol=1e-10, atol=1e-6)
    return np.asarray(sol.y[:3, -1])


@pytest.mark.parametrize("lat_deg", [0.0, 30.0, 60.0])
def test_point_at_rest_falls_with_gravity_less_centrifugal(lat_deg: float) -> None:
    # at rest in the Earth-fixed frame, 300 km up (geocentric latitude lat)
    lat = math.radians(lat_deg)
    r0 = WGS84_A_M + 300e3
    state = np.array([[r0 * math.cos(lat), 0.0, r0 * math.sin(lat), 0.0, 0.0, 0.0]])
    t = np.arange(0.0, 10.0 + 1e-9, 1.0)
    got = predict_positions(state, np.array([True]), t)[0]
    g_radial = MU_EARTH_M3_S2 / r0**2 - OMEGA_EARTH_RAD_S**2 * r0 * math.cos(lat) ** 2
    drop = r0 - np.linalg.norm(got[:, :3], axis=-1)
    # closed form 1/2 g t^2; the neglected terms (gravity gradient, Coriolis on the
    # radial fall) are below 2 cm after 10 s
    np.testing.assert_allclose(drop, 0.5 * g_radial * t**2, atol=0.02)
    # the centrifugal term is there (1.3 m at 30 deg after 10 s): leaving it out fails
    if lat_deg < 80.0:
        naive = 0.5 * MU_EARTH_M3_S2 / r0**2 * t[-1] ** 2
        assert abs(drop[-1] - naive) > 0.1
    # the horizontal push of the centrifugal term, towards the equator
    north = np.array([-math.sin(lat), 0.0, math.cos(lat)])
    push = (got[-1, :3] - state[0, :3]) @ north
    expect = -0.5 * OMEGA_EARTH_RAD_S**2 * r0 * math.cos(lat) * math.sin(lat) * t[-1] ** 2
    assert push == pytest.approx(expect, abs=0.02)


def test_ballistic_nan_from_ground_crossing_on_and_monotone() -> None:
    # steep dives from 60 km: they reach the ground within the horizon
    states = np.array(
        [
            _state(-25.0, 134.0, 60e3, (1000.0, 0.0, -1500.0)),
            _state(10.0, 20.0, 60e3, (0.0, 500.0, -2500.0)),
            _state(45.0, 90.0, 200e3, (2000.0, 0.0, 0.0)),  # stays up
        ]
    )
    offsets = np.arange(0.0, 100.0 + 1e-9, 4.0)
    got = predict_positions(states, np.ones(3, dtype=bool), offsets)
    # independent reference: the adaptive solution's first sample under the ellipsoid
    for k in range(3):
        ref = solve_ivp(
            _rotating_frame_rhs,
            (0.0, offsets[-1]),
            states[k],
            method="DOP853",
            t_eval=offsets,
            rtol=1e-10,
            atol=1e-6,
        ).y.T
        under = _altitude_m(ref[:, :3]) <= 0.0
        nan = np.isnan(got[k]).any(axis=-1)
        # all six components go NaN together
        assert np.array_equal(nan, np.isnan(got[k]).all(axis=-1))
        # once NaN, NaN for good
        assert np.array_equal(nan, np.maximum.accumulate(nan))
        if k < 2:
            first = int(np.argmax(under))
            assert under.any()
            assert int(np.argmax(nan)) == first
            # the last finite sample is in flight and agrees with the reference
            assert _altitude_m(got[k, first - 1, :3]) > 0.0
            assert np.linalg.norm(got[k, first - 1, :3] - ref[first - 1, :3]) < 1.0
        else:
            assert not nan.any()


def test_ballistic_row_unaffected_by_air_rows_in_same_batch() -> None:
    b = _state(-25.0, 134.0, 100e3, (2000.0, 0.0, 500.0))
    a = _state(-24.0, 135.0, 5e3, (200.0, 0.0, 30.0))
    offsets = np.arange(0.0, 40.0 + 1e-9, 4.0)
    alone = predict_positions(b[None], np.array([True]), offsets)
    mixed = predict_positions(np.stack([a, b]), np.array([False, True]), offsets)
    assert np.array_equal(alone[0], mixed[1])


# -- 2. air-breathing prediction --------------------------------------------------------


def test_airbreathing_rows_fly_level_in_a_straight_line() -> None:
    states = np.array(
        [
            _state(-30.0, 135.0, 8_000.0, (200.0, 50.0, 40.0)),
            _state(51.0, -1.0, 300.0, (-150.0, 220.0, -10.0)),
        ]
    )
    offsets = np.array([0.0, 3.0, 10.0, 50.0, 120.0])
    got = predict_positions(states, np.zeros(2, dtype=bool), offsets)
    for k in range(2):
        r0 = states[k, :3]
        up = r0 / np.linalg.norm(r0)
        v = got[k, 0, 3:]
        # the vertical (radial) component is removed, the horizontal one kept
        assert abs(v @ up) < 1e-9 * np.linalg.norm(v)
        v_in = states[k, 3:]
        np.testing.assert_allclose(v, v_in - (v_in @ up) * up, rtol=0, atol=1e-9)
        # velocity constant, positions linear in time from the (unlifted) start
        np.testing.assert_array_equal(got[k, :, 3:], np.broadcast_to(v, (offsets.size, 3)))
        expect = r0[None, :] + offsets[:, None] * v[None, :]
        np.testing.assert_allclose(got[k, :, :3], expect, rtol=0, atol=1e-6)
    assert np.isfinite(got).all()


def test_airbreathing_track_just_under_ground_is_lifted_to_the_floor() -> None:
    shallow = _state(-30.0, 135.0, -20.0, (200.0, 0.0, 0.0))
    deep = _state(-30.0, 135.0, -5_000.0, (200.0, 0.0, 0.0))
    low = _state(-30.0, 135.0, 0.5 * AIRBREATHING_FLOOR_M, (0.0, 200.0, 0.0))
    high = _state(-30.0, 135.0, 3.0 * AIRBREATHING_FLOOR_M, (0.0, 200.0, 0.0))
    assert 5_000.0 > AIRBREATHING_FLOOR_DEPTH_M > 20.0
    states = np.stack([shallow, deep, low, high])
    got = predict_positions(states, np.zeros(4, dtype=bool), np.array([0.0, 4.0]))
    h0 = _altitude_m(got[:, 0, :3])
    # pymap3d's geodetic height (normal to the ellipsoid), not the module's radial one
    assert h0[0] == pytest.approx(AIRBREATHING_FLOOR_M, abs=0.05)
    assert h0[2] == pytest.approx(AIRBREATHING_FLOOR_M, abs=0.05)
    # too deep to be a plausible low flyer: left where it is; above the floor: untouched
    np.testing.assert_array_equal(got[1, 0, :3], deep[:3])
    np.testing.assert_array_equal(got[3, 0, :3], high[:3])
    # lifted along the geocentric radial: the ground point moves by well under 1 m
    # (120 m times the ~0.17 deg between radial and normal at 30 deg)
    lat0, lon0, _ = pymap3d.ecef2geodetic(*got[0, 0, :3])
    assert lat0 == pytest.approx(-30.0, abs=1e-5)
    assert lon0 == pytest.approx(135.0, abs=1e-9)
    # never NaN, not even the one left underground (NaN is for ballistic rows only)
    assert np.isfinite(got).all()


# -- 3. air-breathing threat to assets --------------------------------------------------


def test_airbreathing_threat_time_of_closest_approach() -> None:
    lat0, lon0, alt0 = -28.0, 136.0, 3_000.0
    speed = 250.0
    track = _state(lat0, lon0, alt0, (0.0, speed, 0.0))[None]
    # assets: 50 km ahead, 50 km behind, 30 km abeam (ahead), 11 km abeam (ahead)
    where = [(0.0, 50e3), (0.0, -50e3), (30e3, 40e3), (11e3, 40e3)]
    lat, lon = [], []
    for e, n in where:
        la, lo, _ = pymap3d.enu2geodetic(e, n, 0.0, lat0, lon0, 0.0)
        lat.append(float(la))
        lon.append(float(lo))
    assets = DefendedAssets.from_lists(
        ["ahead", "behind", "abeam30", "abeam11"], lat, lon, [2_000.0] * 4
    )
    now = 1234.5
    cov, t_cpa = airbreathing_threat(track, assets, now, margin_m=10_000.0)
    assert cov.shape == t_cpa.shape == (1, 4)
    np.testing.assert_array_equal(cov[0], [1.0, 0.0, 0.0, 1.0])
    assert np.isnan(t_cpa[0, 1]) and np.isnan(t_cpa[0, 2])
    # flat-Earth expectation: the asset's northing (ENU at the track's ground point) / speed
    _, n_ahead, _ = pymap3d.geodetic2enu(lat[0], lon[0], 0.0, lat0, lon0, 0.0)
    assert t_cpa[0, 0] == pytest.approx(now + float(n_ahead) / speed, abs=1.0)
    assert t_cpa[0, 0] == pytest.approx(now + 200.0, abs=1.0)
    assert t_cpa[0, 3] == pytest.approx(now + 160.0, abs=1.0)
    # a smaller margin drops the 11 km abeam asset (11 km > 2 km + 5 km)
    cov5, _ = airbreathing_threat(track, assets, now, margin_m=5_000.0)
    np.testing.assert_array_equal(cov5[0], [1.0, 0.0, 0.0, 0.0])


def test_airbreathing_threat_vectorised_rows_match_one_by_one() -> None:
    # the second starts 40 km west and 40 km south of the asset, heading north-east
    la2, lo2, _ = pymap3d.enu2geodetic(-40e3, 10e3, 0.0, -28.0, 136.0, 0.0)
    tracks = np.stack(
        [
            _state(-28.0, 136.0, 3_000.0, (0.0, 250.0, 0.0)),
            _state(float(la2), float(lo2), 500.0, (180.0, 180.0, 0.0)),
            _state(-27.5, 136.0, 3_000.0, (0.0, -250.0, 0.0)),
            _state(-28.0, 136.0, 3_000.0, (0.0, 0.5, 0.0)),  # hovering: no direction
        ]
    )
    la, lo, _ = pymap3d.enu2geodetic(0.0, 50e3, 0.0, -28.0, 136.0, 0.0)
    assets = DefendedAssets.from_lists(["a"], [float(la)], [float(lo)], [2_000.0])
    cov, t_cpa = airbreathing_threat(tracks, assets, 0.0)
    for k in range(len(tracks)):
        c1, t1 = airbreathing_threat(tracks[k : k + 1], assets, 0.0)
        assert cov[k, 0] == c1[0, 0]
        assert np.array_equal(t_cpa[k], t1[0], equal_nan=True)
    # the first three pass over the asset (the third, southbound from 55 km north of
    # the first, reaches it in ~5 km / 250 m/s), the hovering one threatens nothing
    np.testing.assert_array_equal(cov[:, 0], [1.0, 1.0, 1.0, 0.0])
    assert t_cpa[1, 0] == pytest.approx(40e3 / 180.0, abs=2.0)
    assert t_cpa[2, 0] == pytest.approx(5_600.0 / 250.0, abs=2.0)


def test_airbreathing_threat_no_tracks_or_no_assets() -> None:
    track = _state(-28.0, 136.0, 3_000.0, (0.0, 250.0, 0.0))[None]
    cov, t_cpa = airbreathing_threat(track, DefendedAssets.empty(), 0.0)
    assert cov.shape == t_cpa.shape == (1, 0)
    assets = DefendedAssets.from_lists(["a"], [-28.0], [136.0], [2_000.0])
    cov, t_cpa = airbreathing_threat(np.zeros((0, 6)), assets, 0.0)
    assert cov.shape == t_cpa.shape == (0, 1)


# -- 4. the price of an interceptor -----------------------------------------------------


def test_worth_it_two_batteries_on_one_target() -> None:
    pk = np.array([[0.7], [0.5]])
    value = np.array([20.0])
    # 20 * 0.7 = 14 >= 5 kept; 20 * 0.3 * 0.5 = 3 < 5 dropped
    assert _worth_it([(1, 0, 1), (0, 0, 1)], value, pk, 5.0) == [(0, 0)]
    # at a price of 3 the second adds exactly 3: kept (at least the price)
    assert _worth_it([(1, 0, 1), (0, 0, 1)], value, pk, 3.0) == [(0, 0), (1, 0)]
    assert _worth_it([(0, 0, 1), (1, 0, 1)], value, pk, 14.5) == []
    assert _worth_it([], value, pk, 0.0) == []


def _best_subset(value: float, ps: dict[int, float], price: float) -> set[int]:
    """Brute force: the subset of batteries maximising V (1 - prod(1 - p)) - price |S|."""
    best: tuple[float, set[int]] = (0.0, set())
    items = sorted(ps)
    for n in range(1, len(items) + 1):
        for sub in itertools.combinations(items, n):
            net = value * (1.0 - math.prod(1.0 - ps[i] for i in sub)) - price * n
            if net > best[0]:
                best = (net, set(sub))
    return best[1]


def test_worth_it_matches_brute_force_over_subsets() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        pk = rng.uniform(0.05, 0.95, size=(m, n))
        value = rng.uniform(1.0, 100.0, size=n)
        price = float(rng.uniform(0.5, 30.0))
        target = rng.integers(0, n, size=m)
        assignment = [(i, int(target[i]), 1) for i in rng.permutation(m).tolist()]
        got = _worth_it(assignment, value, pk, price)
        assert len(got) == len(set(got))
        for j in range(n):
            ps = {i: float(pk[i, j]) for i in range(m) if target[i] == j}
            expect = _best_subset(float(value[j]), ps, price)
            assert {i for i, jj in got if jj == j} == expect
        # pairs come target by target, each target's in decreasing kill probability
        js = [j for _, j in got]
        assert js == sorted(js)
        for j in set(js):
            p = [pk[i, j] for i, jj in got if jj == j]
            assert p == sorted(p, reverse=True)


# -- 5. consent -------------------------------------------------------------------------


def _with_consent(scenario: Scenario, partner: str, consent: Consent) -> Scenario:
    partners = [
        p.model_copy(update={"engagement": p.engagement.model_copy(update={"consent": consent})})
        if p.id == partner
        else p
        for p in scenario.partners
    ]
    return scenario.model_copy(update={"partners": partners})


@pytest.mark.parametrize(("policy", "granted"), [("always", True), ("never", False)])
def test_consent_policies_that_answer_at_once(
    scenario: Scenario, policy: str, granted: bool
) -> None:
    s = _with_consent(scenario, "east", Consent(policy=policy))
    desk = ConsentDesk({p.id: p.engagement.consent for p in s.partners})
    asked = 12.0 + 1.0 / 3.0
    d = desk.ask("east", "east", 4, "east-bty-1", "east:7", asked)
    assert d == ConsentDecision(4, "east", "east-bty-1", "east:7", asked, asked, granted)
    assert desk.open_questions() == []


def _desk(delay_s: float) -> ConsentDesk:
    return ConsentDesk({"east": Consent(policy="after_delay", delay_s=delay_s)})


def test_a_question_is_granted_by_policy_at_its_deadline() -> None:
    desk = _desk(0.1 + 0.2)
    asked = 12.0 + 1.0 / 3.0
    q = desk.ask("north", "east", 4, "east-bty-1", "east:7", asked)
    assert isinstance(q, ConsentQuestion) and q.deadline_s == asked + (0.1 + 0.2)
    assert desk.due(asked + 0.1) == []
    assert [x.question_id for x in desk.waiting("north")] == [q.question_id]
    [(_, d)] = desk.due(asked + 1.0)
    assert d == ConsentDecision(
        4, "east", "east-bty-1", "east:7", asked, q.deadline_s, True, q.question_id, "policy"
    )
    assert desk.waiting("north") == []


def test_staff_answer_before_the_deadline_wins_and_only_once() -> None:
    desk = _desk(20.0)
    q = desk.ask("north", "east", 1, "east-bty-2", "east:3", 100.0)
    assert isinstance(q, ConsentQuestion)
    # another partner's staff is answered as for an id nobody was asked (issue 19)
    foreign = desk.answer(q.question_id, False, 105.0, "north")
    assert foreign == f"no open consent question {q.question_id!r}"
    assert desk.answer("q999", False, 105.0, "north") == "no open consent question 'q999'"
    assert desk.answer(q.question_id, False, 105.0, "east") is None
    assert "no open consent question" in (desk.answer(q.question_id, True, 106.0, "east") or "")
    [(_, d)] = desk.due(110.0)
    assert not d.granted and d.answered_s == 105.0 and d.by == "east"


def test_a_late_answer_is_refused_once_the_policy_has_answered() -> None:
    desk = _desk(5.0)
    q = desk.ask("east", "east", 1, "east-bty-2", "east:3", 100.0)
    assert isinstance(q, ConsentQuestion)
    assert "deadline" in (desk.answer(q.question_id, False, 106.0, "east") or "")


# -- 6. which truth object a track follows ----------------------------------------------


def _objects() -> ThreatObjects:
    times = np.array([0.0, 10.0, 20.0])
    pos = np.full((3, 3, 3), np.nan)
    # object A moves along x, B sits still, C flies only in the first sample
    pos[:, 0] = [[7e6, 0, 0], [7e6 + 1e4, 0, 0], [7e6 + 2e4, 0, 0]]
    pos[:, 1] = [7e6, 5e3, 0]
    pos[0, 2] = [7e6 + 1e4, 0, 0]
    return ThreatObjects(
        times_s=times,
        object_ids=("A", "B", "C"),
        kinds=("ballistic", "cruise", "ballistic"),
        positions_ecef_m=pos,
        end_time_s=np.array([30.0, np.inf, 5.0]),
    )


def _nearest_by_loop(obj: ThreatObjects, i: int, p: np.ndarray, gate: float) -> str:
    best, best_d = "", math.inf
    for n, oid in enumerate(obj.object_ids):
        q = obj.positions_ecef_m[i, n]
        if not np.all(np.isfinite(q)):
            continue
        d = math.dist(p.tolist(), q.tolist())
        if d < best_d:
            best, best_d = oid, d
    return best if best_d <= gate else ""


def test_associate_nearest_within_gate_and_never_a_grounded_object() -> None:
    obj = _objects()
    # at t = 15 the sample of t = 10 holds: A at x0 + 10 km, B still, C gone (NaN)
    positions = np.array(
        [
            [7e6 + 1e4 + 100.0, 0.0, 0.0],  # on A (and on C's old place)
            [7e6 + 10.0, 4e3, 0.0],  # 1 km from B
            [7e6 + 5e3, 2.6e3, 0.0],  # between A and B, a bit nearer B
            [7e6, 0.0, 9e3],  # 9 km from B: outside a 5 km gate
        ]
    )
    gate = np.array([500.0, 1_500.0, 6_000.0, 5_000.0])
    got = obj.associate(15.0, positions, gate)
    assert got == ["A", "B", "B", ""]
    assert got == [_nearest_by_loop(obj, 1, p, g) for p, g in zip(positions, gate, strict=True)]
    # the per-row gate is used: the same point with a 900 m gate follows nothing
    assert obj.associate(15.0, positions[1:2], np.array([900.0])) == [""]
    # at t = 0 C flies at A's t = 10 place; at t = 0 A is 10 km further back
    assert obj.associate(0.0, positions[:1], np.array([500.0])) == ["C"]
    # before the first sample: the first sample
    assert obj.associate(-5.0, positions[:1], np.array([500.0])) == ["C"]


def test_associate_random_against_loop() -> None:
    obj = _objects()
    rng = np.random.default_rng(3)
    for t, i in ((0.0, 0), (9.99, 0), (10.0, 1), (25.0, 2)):
        p = np.array([7e6, 0.0, 0.0]) + rng.uniform(-2e4, 3e4, size=(50, 3)) * [1, 0.5, 0.2]
        gate = rng.uniform(1e3, 1e4, size=50)
        got = obj.associate(t, p, gate)
        assert got == [_nearest_by_loop(obj, i, pp, g) for pp, g in zip(p, gate, strict=True)]


def test_associate_degenerate_cases() -> None:
    obj = _objects()
    assert obj.associate(5.0, np.zeros((0, 3)), np.zeros(0)) == []
    # every object out of flight: nothing, whatever the gate
    all_nan = ThreatObjects(
        obj.times_s, obj.object_ids, obj.kinds, np.full((3, 3, 3), np.nan), obj.end_time_s
    )
    assert all_nan.associate(5.0, np.array([[7e6, 0.0, 0.0]]), np.array([1e12])) == [""]
    none = ThreatObjects(obj.times_s, (), (), np.zeros((3, 0, 3)), np.zeros(0))
    assert none.associate(5.0, np.array([[7e6, 0.0, 0.0]]), np.array([1e3])) == [""]
    assert obj.kind_of("B") == "cruise"
    ends = obj.end_times()
    assert ends["A"] == 30.0 and ends[""] == -math.inf


# -- authorities ------------------------------------------------------------------------


def test_authorities_per_mode(scenario: Scenario) -> None:
    shared = authorities(
        c2_params(scenario.model_copy(update={"coordination_mode": "shared-warning"}))
    )
    assert [a.name for a in shared] == [p.id for p in scenario.partners]
    for a in shared:
        assert [b.id for b in a.batteries] == [
            b.id for b in scenario.batteries if b.partner == a.name
        ]
    indep = authorities(c2_params(scenario.model_copy(update={"coordination_mode": "independent"})))
    assert indep == shared

    # integrated: the cell holds every battery it may command over the links ...
    integ = scenario.model_copy(update={"coordination_mode": "integrated"})
    everyone = frozenset(b.id for b in scenario.batteries)
    c2_east = integ.c2.model_copy(update={"coalition_cell": "east"})
    (cell,) = authorities(c2_params(integ.model_copy(update={"c2": c2_east})), everyone)
    assert cell.name == "east"
    assert [b.id for b in cell.batteries] == [b.id for b in scenario.batteries]
    c2_none = integ.c2.model_copy(update={"coalition_cell": None})
    (first,) = authorities(c2_params(integ.model_copy(update={"c2": c2_none})), everyone)
    assert first.name == scenario.partners[0].id
    assert len(first.batteries) == len(scenario.batteries)
    # ... and without status and orders over the links, each partner keeps its own
    alone = authorities(c2_params(integ.model_copy(update={"c2": c2_east})))
    assert [a.name for a in alone] == ["east", "north"]
    for a in alone:
        assert {b.partner for b in a.batteries} == {a.name}
