"""Engagement model: kill draws, salvo, inventory and reserve, channels, doctrine, flyout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pymap3d
import pytest
from scipy.stats import binom

from skyweave.c2.feasibility import EngagementWindows
from skyweave.engagement import (
    EngagementModel,
    Launch,
    Refusal,
    apply_kills,
    engagement_columns,
    flyout_states,
    interceptor_truth,
    killed_and_merged,
    merge_truth,
    plan_reengagements,
    salvo_kill_probability,
)
from skyweave.engagement.model import kill_draw
from skyweave.kinematics.truth import Truth
from skyweave.scenario.schema import Battery, KillProbability

P = (4_000_000.0, 1_000_000.0, 4_800_000.0)  # some ECEF intercept point


def _bat(bid: str = "b1", **kw: Any) -> Battery:
    base: dict[str, Any] = dict(id=bid, partner="north", lat_deg=50.0, lon_deg=10.0)
    base.update(kw)
    return Battery(**base)


def _big(bid: str = "b1", **kw: Any) -> Battery:
    """A battery that is never short of launchers, channels or interceptors."""
    base: dict[str, Any] = dict(launchers=100, fire_channels=100, interceptors=10_000)
    base.update(kw)
    return _bat(bid, **base)


def _fire_many(model: EngagementModel, bid: str, n: int, threat: str = "ballistic") -> list[str]:
    for i in range(n):
        got = model.order(float(i), bid, f"t{i}", f"o{i}", threat, i + 0.5, P, decision_cycle=i)
        assert isinstance(got, Launch)
    model.step(float(n))
    return [e.outcome for e in model.engagements]


def _binomial_ok(k: int, n: int, p: float) -> bool:
    # Two-sided 1e-6 acceptance region of Binomial(n, p).
    lo, hi = binom.ppf(5e-7, n, p), binom.isf(5e-7, n, p)
    return bool(lo <= k <= hi)


@pytest.mark.parametrize(("threat", "pk"), [("ballistic", 0.7), ("cruise", 0.35)])
def test_single_shot_kill_fraction_is_pk(threat: str, pk: float) -> None:
    n = 3_000
    model = EngagementModel(
        [_big(pk=KillProbability(ballistic=0.7, cruise=0.35))], seed=11, launcher_cycle_s=0.0
    )
    out = _fire_many(model, "b1", n, threat)
    kills = out.count("kill")
    assert _binomial_ok(kills, n, pk), (kills, n * pk)
    # Exactly the keyed draw: one uniform per (battery, threat, engagement number),
    # kill when u < pk (each object here is engaged once: number 0).
    u = [kill_draw(11, "b1", f"o{i}", 0) for i in range(n)]
    assert out == ["kill" if x < pk else "miss" for x in u]
    assert all(e.shots == 1 and e.kill_probability == pk for e in model.engagements)


@pytest.mark.parametrize(("k", "pk"), [(2, 0.6), (3, 0.5)])
def test_salvo_kill_fraction(k: int, pk: float) -> None:
    n = 2_000
    bat = _big(doctrine="salvo", salvo_size=k, pk=KillProbability(ballistic=pk))
    model = EngagementModel([bat], seed=5, launcher_cycle_s=0.0)
    out = _fire_many(model, "b1", n)
    p_salvo = 1.0 - (1.0 - pk) ** k
    assert salvo_kill_probability(pk, k) == pytest.approx(p_salvo)
    assert _binomial_ok(out.count("kill"), n, p_salvo)
    # And not the single-shot pk: the test can tell them apart.
    assert not _binomial_ok(out.count("kill"), n, pk)
    assert model.states["b1"].inventory == 10_000 - k * n
    assert all(e.shots == k for e in model.engagements)


def test_inventory_never_negative_and_reserve_respected() -> None:
    rng = np.random.default_rng(3)
    bat = _big(interceptors=40, reserve_interceptors=10, doctrine="salvo", salvo_size=3)
    model = EngagementModel([bat], seed=1, launcher_cycle_s=0.0)
    state = model.states["b1"]
    for i in range(200):
        own = bool(rng.random() < 0.3)
        before = state.inventory
        got = model.order(
            float(i), "b1", f"t{i}", f"o{i}", "cruise", i + 0.5, P, i, use_reserve=own
        )
        model.step(i + 0.5)
        assert state.inventory >= 0
        if isinstance(got, Launch):
            assert state.inventory == before - got.shots
            assert 1 <= got.shots <= 3
            if not own:
                assert state.inventory >= 10  # the reserve stays for own assets
        else:
            assert got.reason in ("reserve kept", "no interceptors")
            assert state.inventory == before
    assert state.inventory == 0
    assert sum(e.shots for e in model.engagements) == 40


def test_partial_salvo_reserve_and_empty() -> None:
    bat = _big(interceptors=5, reserve_interceptors=2, doctrine="salvo", salvo_size=2)
    model = EngagementModel([bat], seed=0)
    shots = []
    for i, own in enumerate([False, False, False, True, True]):
        got = model.order(
            10.0 * i, "b1", f"t{i}", "o", "aircraft", 10.0 * i + 1, P, i, use_reserve=own
        )
        shots.append(got.shots if isinstance(got, Launch) else got.reason)
    assert shots == [2, 1, "reserve kept", 2, "no interceptors"]
    model.set_inventory("b1", 7)
    assert isinstance(model.order(60.0, "b1", "t9", "o", "aircraft", 61.0, P, 9), Launch)


def test_fire_channels_and_launchers_limit_engagements() -> None:
    model = EngagementModel(
        [_bat(fire_channels=2, launchers=10, kill_assessment_delay_s=0.0)], seed=0
    )
    r = [model.order(0.0, "b1", f"t{i}", f"o{i}", "ballistic", 30.0, P, 0) for i in range(3)]
    assert isinstance(r[0], Launch) and isinstance(r[1], Launch)
    assert isinstance(r[2], Refusal) and r[2].reason == "fire channels busy"
    assert model.states["b1"].free_channels(29.9) == 0
    model.step(30.0)
    assert model.states["b1"].free_channels(30.0) == 2
    assert isinstance(model.order(30.0, "b1", "t2", "o2", "ballistic", 60.0, P, 1), Launch)

    # Launchers: a salvo needs one per shot, and a launcher cycles for launcher_cycle_s.
    salvo = EngagementModel([_bat(launchers=2, doctrine="salvo", salvo_size=3)], seed=0)
    got = salvo.order(0.0, "b1", "t", "o", "ballistic", 20.0, P, 0)
    assert isinstance(got, Refusal) and got.reason == "launchers busy"
    one = EngagementModel([_bat(launchers=1, fire_channels=4)], seed=0, launcher_cycle_s=5.0)
    assert isinstance(one.order(0.0, "b1", "a", "o", "ballistic", 20.0, P, 0), Launch)
    got = one.order(2.0, "b1", "b", "o", "ballistic", 20.0, P, 0)
    assert isinstance(got, Refusal) and got.reason == "launchers busy"
    assert isinstance(one.order(5.0, "b1", "b", "o", "ballistic", 20.0, P, 0), Launch)
    assert model.refusals[0].reason == "fire channels busy"


def _windows(last_feasible_launch_s: float, flight_s: float = 15.0) -> EngagementWindows:
    launch = np.arange(0.0, 101.0, 1.0)
    feas = (launch <= last_feasible_launch_s)[None, None, :]
    t_int = (launch + flight_s)[None, None, :]
    p = np.broadcast_to(np.array(P), (1, 1, launch.size, 3)).copy()
    return EngagementWindows(
        battery_ids=("b1",),
        track_ids=("trk",),
        launch_times_s=launch,
        intercept_time_s=t_int,
        intercept_ecef_m=p,
        ground_range_m=np.zeros_like(t_int),
        intercept_alt_m=np.zeros_like(t_int),
        feasible=feas,
    )


def test_shoot_look_shoot_reengages_after_assessment_while_a_window_remains() -> None:
    never = KillProbability(ballistic=0.0)
    model = EngagementModel([_bat(pk=never, kill_assessment_delay_s=5.0)], seed=0)
    first = model.order(0.0, "b1", "trk", "obj", "ballistic", 20.0, P, 0)
    assert isinstance(first, Launch) and first.shots == 1
    # No second shot while the first is in the air or unassessed.
    for t in (10.0, 24.0):
        model.step(t)
        got = model.order(t, "b1", "trk", "obj", "ballistic", t + 15, P, 1)
        assert isinstance(got, Refusal) and got.reason == "awaiting kill assessment"
        assert model.reengagement_candidates(t) == []
        assert plan_reengagements(model, _windows(90.0), t, 1) == []
    assert [e.outcome for e in model.engagements] == ["miss"]
    assert model.engagements[0].assessment_time_s == 25.0
    # Assessment arrives at 25: no window left after 24 -> nothing; window to 40 -> re-engage.
    assert plan_reengagements(model, _windows(24.0), 25.0, 2) == []
    again = plan_reengagements(model, _windows(40.0), 25.0, 2)
    assert len(again) == 1 and isinstance(again[0], Launch)
    assert again[0].time_s == 25.0 and again[0].intercept_time_s == 40.0
    assert again[0].object_id == "obj" and again[0].decision_cycle == 2
    # The new engagement is in flight: no further candidate until it is assessed.
    assert model.reengagement_candidates(30.0) == []
    model.step(40.0)
    assert len(model.reengagement_candidates(45.0)) == 1
    assert plan_reengagements(model, _windows(40.0), 45.0, 3) == []  # window closed at 40


def test_no_reengagement_after_a_kill() -> None:
    model = EngagementModel([_bat(pk=KillProbability(ballistic=1.0))], seed=0)
    model.order(0.0, "b1", "trk", "obj", "ballistic", 20.0, P, 0)
    model.step(20.0)
    assert model.engagements[0].outcome == "kill" and model.killed == {"obj": 20.0}
    assert model.reengagement_candidates(100.0) == []
    got = model.order(30.0, "b1", "trk", "obj", "ballistic", 45.0, P, 1)
    assert isinstance(got, Refusal) and got.reason == "track assessed killed"


def test_kill_assessments_delivered_after_delay() -> None:
    model = EngagementModel([_bat(kill_assessment_delay_s=7.0, fire_channels=3)], seed=2)
    model.order(0.0, "b1", "a", "oa", "ballistic", 10.0, P, 0)
    model.order(1.0, "b1", "b", "ob", "ballistic", 12.0, P, 0)
    model.step(12.0)
    assert model.assessments_due(16.9) == []
    first = model.assessments_due(17.0)
    assert [(a.time_s, a.track_id) for a in first] == [(17.0, "a")]
    assert model.assessments_due(17.0) == []  # delivered once
    second = model.assessments_due(100.0)
    assert [(a.time_s, a.track_id) for a in second] == [(19.0, "b")]
    assert second[0].outcome == model.engagements[1].outcome


def test_aborted_when_the_object_is_gone() -> None:
    sure = KillProbability(ballistic=1.0)
    model = EngagementModel([_bat("b1", pk=sure), _bat("b2", pk=sure)], seed=0)
    model.order(0.0, "b1", "t1", "obj", "ballistic", 20.0, P, 0)
    model.order(0.0, "b2", "t9", "obj", "ballistic", 25.0, P, 0)  # same object, other picture
    model.order(0.0, "b1", "t2", "late", "ballistic", 30.0, P, 0)
    out = model.step(40.0, object_end_time_s={"late": 29.0})
    assert [(e.battery_id, e.outcome) for e in out] == [
        ("b1", "kill"),
        ("b2", "aborted"),
        ("b1", "aborted"),
    ]
    # An explicit abort and the end of the run.
    model.order(50.0, "b2", "t3", "o3", "ballistic", 70.0, P, 1)
    model.order(50.0, "b2", "t4", "o4", "ballistic", 80.0, P, 1)
    e = model.abort(3, 55.0)
    assert e is not None and e.outcome == "aborted" and e.end_time_s == 55.0
    assert model.states["b2"].free_channels(55.0) == 1
    closed = model.close(60.0)
    assert [(c.engagement_id, c.outcome, c.end_time_s) for c in closed] == [(4, "aborted", 60.0)]


def _script(model: EngagementModel, bids: list[str]) -> list[tuple[str, str, str]]:
    for i in range(60):
        for bid in bids:
            model.order(float(i), bid, f"{bid}-t{i}", f"{bid}-o{i}", "cruise", i + 3.0, P, i)
        model.step(float(i))
    model.step(1e9)
    return [(e.battery_id, e.track_id, e.outcome) for e in model.engagements]


def test_deterministic_and_batteries_independent() -> None:
    bats = [_big("b1", pk=KillProbability(cruise=0.5))]
    a = _script(EngagementModel(bats, seed=9), ["b1"])
    b = _script(EngagementModel(bats, seed=9), ["b1"])
    assert a == b
    assert {o for _, _, o in a} == {"kill", "miss"}
    # Adding another battery does not change b1's draws.
    both = _script(EngagementModel([*bats, _big("b0")], seed=9), ["b0", "b1"])
    assert [x for x in both if x[0] == "b1"] == a
    assert _script(EngagementModel(bats, seed=10), ["b1"]) != a


def test_bad_orders() -> None:
    model = EngagementModel([_bat()], seed=0)
    with pytest.raises(ValueError, match="threat_class"):
        model.order(0.0, "b1", "t", "o", "rocket", 10.0, P, 0)
    with pytest.raises(ValueError, match="intercept_time_s"):
        model.order(10.0, "b1", "t", "o", "ballistic", 10.0, P, 0)
    with pytest.raises(KeyError):
        model.order(0.0, "nope", "t", "o", "ballistic", 10.0, P, 0)
    with pytest.raises(ValueError, match="unique"):
        EngagementModel([_bat(), _bat()], seed=0)
    assert model.states["b1"].inventory == 16  # nothing committed


def test_flyout_states_straight_line_at_average_speed() -> None:
    x0, y0, z0 = pymap3d.geodetic2ecef(50.0, 10.0, 0.0)
    p_l = np.array([[x0, y0, z0], [x0, y0, z0]])
    p_i = p_l + np.array([[30e3, 40e3, 0.0], [0.0, 0.0, 12e3]])
    t = np.arange(0.0, 60.0, 0.5)
    s = flyout_states(t, [5.0, 10.0], [55.0, 30.0], [55.0, 20.0], p_l, p_i)
    assert s.shape == (t.size, 2, 6)
    np.testing.assert_allclose(s[t == 5.0, 0, :3][0], p_l[0])
    np.testing.assert_allclose(s[t == 55.0, 0, :3][0], p_i[0], atol=1e-6)
    speed = np.linalg.norm(s[..., 3:], axis=-1)
    np.testing.assert_allclose(speed[(t >= 5.0) & (t <= 55.0), 0], 50e3 / 50.0)
    np.testing.assert_allclose(speed[(t >= 10.0) & (t <= 20.0), 1], 12e3 / 20.0)
    alive = ~np.isnan(s[..., 0])
    np.testing.assert_array_equal(alive[:, 0], (t >= 5.0) & (t <= 55.0))
    np.testing.assert_array_equal(alive[:, 1], (t >= 10.0) & (t <= 20.0))  # aborted at 20
    # Finite differences of the positions agree with the velocities.
    fd = np.diff(s[:, 0, :3], axis=0) / 0.5
    ok = alive[:-1, 0] & alive[1:, 0]
    np.testing.assert_allclose(fd[ok], s[:-1, 0, 3:][ok], rtol=1e-9, atol=1e-6)


def test_interceptor_truth_merge_and_kills() -> None:
    bat = _bat(doctrine="salvo", salvo_size=2, pk=KillProbability(ballistic=1.0))
    model = EngagementModel([bat], seed=0)
    launch = model.order(2.0, "b1", "trk", "obj", "ballistic", 12.0, P, 0)
    assert isinstance(launch, Launch)
    model.step(12.0)
    t = np.arange(0.0, 20.0, 1.0)
    tru = interceptor_truth(t, model.engagements)
    assert tru.object_ids == ("b1/e0/1", "b1/e0/2") and tru.kinds == ("interceptor",) * 2
    np.testing.assert_array_equal(tru.alive[:, 0], (t >= 2.0) & (t <= 12.0))
    np.testing.assert_allclose(tru.states[2, 0, :3], launch.launch_ecef_m)
    np.testing.assert_allclose(tru.states[12, 1, :3], P)
    speed = np.linalg.norm(np.subtract(P, launch.launch_ecef_m)) / 10.0
    np.testing.assert_allclose(np.linalg.norm(tru.states[5, 0, 3:]), speed)

    threat = Truth(
        t, ("obj",), ("ballistic",), np.ones((t.size, 1, 6)), np.array([5.0]), ("medium",)
    )
    merged = apply_kills(merge_truth(threat, tru), model.killed)
    assert merged.object_ids == ("obj", "b1/e0/1", "b1/e0/2")
    np.testing.assert_array_equal(merged.alive[:, 0], t <= 12.0)
    np.testing.assert_array_equal(merged.alive[:, 1], tru.alive[:, 0])
    # the run's one-copy form: the same states, kills applied to the threats only
    once = killed_and_merged(threat, {**model.killed, "b1/e0/1": 0.0}, tru)
    np.testing.assert_array_equal(
        once.states, merge_truth(apply_kills(threat, model.killed), tru).states
    )
    assert once.object_ids == merged.object_ids
    with pytest.raises(ValueError, match="duplicate"):
        merge_truth(tru, tru)
    empty = interceptor_truth(t, [])
    assert empty.states.shape == (t.size, 0, 6)


def test_engagement_columns() -> None:
    model = EngagementModel([_bat(fire_channels=3)], seed=4)
    model.order(1.0, "b1", "x", "ox", "aircraft", 9.0, P, 7)
    model.order(0.0, "b1", "y", "oy", "aircraft", 5.0, P, 6)
    model.step(10.0)
    cols = engagement_columns(model.engagements)
    assert list(cols)[:9] == [
        "time_s",
        "partner",
        "battery_id",
        "track_id",
        "object_id",
        "shots",
        "intercept_time_s",
        "outcome",
        "decision_cycle",
    ]
    assert list(cols["track_id"]) == ["x", "y"]  # engagement id order
    assert cols["shots"].dtype == np.int64 and cols["time_s"].dtype == np.float64
    assert list(cols["decision_cycle"]) == [7, 6]
    assert set(cols["outcome"]) <= {"kill", "miss"}


def test_windows_to_flyout_end_to_end() -> None:
    # A cruise track flying straight at the battery: order on the first feasible
    # launch; the flyout then flies at exactly the battery's average speed.
    from skyweave.c2.feasibility import BatteryEnvelopes, engagement_windows

    bat = _bat(flyout_speed_mps=900.0, min_alt_km=0.01)
    envs = BatteryEnvelopes.from_scenario([bat])
    t_tab = np.arange(0.0, 400.0, 1.0)
    e, n, u = 80e3 - 250.0 * t_tab, 20e3 + 0.0 * t_tab, 300.0 + 0.0 * t_tab
    x, y, z = pymap3d.enu2ecef(e, n, u, 50.0, 10.0, 0.0)
    pos = np.stack([x, y, z], axis=-1)[None]

    def traj(q: np.ndarray) -> np.ndarray:
        out = np.stack([np.interp(q[0], t_tab, pos[0, :, c]) for c in range(3)], axis=-1)
        return out[None]

    w = engagement_windows(envs, traj, ["trk"], t_tab, np.arange(0.0, 200.0, 5.0))
    opp = w.opportunity("b1", "trk", 0.0)
    assert opp is not None
    model = EngagementModel([bat], seed=0)
    la = model.order(
        opp.launch_time_s,
        "b1",
        "trk",
        "obj",
        "cruise",
        opp.intercept_time_s,
        opp.intercept_ecef_m,
        0,
    )
    assert isinstance(la, Launch)
    s = flyout_states(
        [opp.launch_time_s + 1.0],
        [la.time_s],
        [la.intercept_time_s],
        [la.intercept_time_s],
        [la.launch_ecef_m],
        [la.intercept_ecef_m],
    )
    assert np.linalg.norm(s[0, 0, 3:]) == pytest.approx(900.0, rel=1e-9)


def test_blocked_tracks_answer_the_per_pair_questions() -> None:
    """EngagementModel.blocked_tracks (one battery, many tracks) answers what
    awaiting_assessment and assessed_killed answer pair by pair, at every time."""
    model = EngagementModel(
        [
            _big("b1", kill_assessment_delay_s=5.0, pk=KillProbability(ballistic=0.5)),
            _big("b2", partner="east", kill_assessment_delay_s=3.0),
        ],
        seed=4,
    )
    for i in range(12):
        model.order(float(i), f"b{1 + i % 2}", f"t{i % 5}", f"o{i}", "ballistic", i + 6.0, P, i)
    tracks = [f"t{k}" for k in range(5)]
    seen: set[tuple[bool, bool]] = set()
    for t in np.arange(0.0, 30.0, 0.5).tolist():
        model.step(t)
        for bid in ("b1", "b2"):
            awaiting, killed = model.blocked_tracks(bid, tracks, t)
            assert awaiting == [model.awaiting_assessment(bid, k, t) for k in tracks]
            assert killed == [model.assessed_killed(bid, k, t) for k in tracks]
            seen.update(zip(awaiting, killed, strict=True))
    assert {(True, False), (False, True), (False, False)} <= seen


def test_a_partners_engagements_are_its_rows_of_all() -> None:
    # in_flight(partner) and engagements_of(partner): the partner's rows of the
    # whole lists, in their order (a status report reads these)
    model = EngagementModel([_big("b1"), _big("b2", partner="south")], seed=3)
    for i in range(12):
        b = "b1" if i % 3 else "b2"
        got = model.order(float(i), b, f"t{i}", f"o{i}", "ballistic", i + 2.5, P, decision_cycle=i)
        assert isinstance(got, Launch)
        model.step(float(i))
    for partner in ("north", "south", "east"):
        assert model.in_flight(partner) == [e for e in model.in_flight() if e.partner == partner]
        assert list(model.engagements_of(partner)) == [
            e for e in model.engagements if e.partner == partner
        ]
    assert model.in_flight("north") and model.engagements_of("south")
