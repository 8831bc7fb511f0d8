"""The compiled M-of-N counts against the NumPy form they replace, and the tracker's
per-change confirmed batch against a fresh build (bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

from numpy_order import assert_bits
from skyweave.tracking.scan import RadarScan
from skyweave.tracking.tracker import TrackBatch, Tracker, TrackerConfig, _pos_sigma
from skyweave.tracking.tracker_kernel import manage_counts


def _numpy_counts(  # type: ignore[no-untyped-def]
    track_id, hits, opps, misses, last, hit, in_cover, time_s, cfg, next_id
):
    """The bookkeeping of Tracker.process before it was compiled."""
    miss = in_cover & ~hit
    hits = hits + hit
    misses = np.where(hit, 0, misses + miss)
    tentative = track_id < 0
    opps = opps + (tentative & (hit | in_cover))
    last = last.copy()
    last[hit] = time_s
    track_id = track_id.copy()
    newly = tentative & (hits >= cfg.confirm_hits)
    n_new = int(np.count_nonzero(newly))
    track_id[newly] = np.arange(next_id, next_id + n_new)
    tentative &= ~newly
    dead = (
        (tentative & (opps - hits > cfg.confirm_window - cfg.confirm_hits))
        | (~tentative & (misses >= cfg.delete_after_misses))
        | (time_s - last > cfg.max_coast_s)
    )
    return track_id, hits, opps, misses, last, dead, next_id + n_new


@pytest.mark.parametrize("max_coast_s", [float("inf"), 7.5])
def test_manage_counts_equal_numpy_form(max_coast_s: float) -> None:
    rng = np.random.default_rng(11)
    cfg = TrackerConfig(confirm_hits=3, confirm_window=5, max_coast_s=max_coast_s)
    for n in (0, 1, 4, 40):
        for _ in range(20):
            track_id = np.where(rng.random(n) < 0.5, -1, rng.integers(1, 50, n)).astype(np.int64)
            hits = rng.integers(0, 5, n).astype(np.int64)
            opps = hits + rng.integers(0, 4, n)
            misses = rng.integers(0, 7, n).astype(np.int64)
            last = rng.uniform(0.0, 20.0, n)
            hit = rng.random(n) < 0.4
            in_cover = rng.random(n) < 0.7
            want = _numpy_counts(track_id, hits, opps, misses, last, hit, in_cover, 21.0, cfg, 60)
            got_arrays = [a.copy() for a in (track_id, hits, opps, misses, last)]
            dead, next_id = manage_counts(
                *got_arrays,
                hit,
                in_cover,
                21.0,
                cfg.confirm_hits,
                cfg.confirm_window - cfg.confirm_hits,
                cfg.delete_after_misses,
                cfg.max_coast_s,
                60,
            )
            for g, w in zip([*got_arrays, dead], want[:6], strict=True):
                assert np.array_equal(g, w)
            assert next_id == want[6]


def test_confirmed_batch_is_rebuilt_on_every_change() -> None:
    rng = np.random.default_rng(4)
    tracker = Tracker(TrackerConfig(confirm_hits=2, confirm_window=3))
    site = np.zeros(3)
    sig = np.array([20.0, 1e-3, 1e-3])
    truth = np.array([[20_000.0, 30_000.0, 5_000.0], [-25_000.0, 10_000.0, 8_000.0]])
    for k in range(12):
        pos = truth + k * np.array([100.0, -50.0, 0.0])
        rel = pos - site
        rng_m = np.linalg.norm(rel, axis=1)
        z = (
            np.column_stack(
                [
                    rng_m,
                    np.arctan2(rel[:, 0], rel[:, 1]),
                    np.arcsin(rel[:, 2] / rng_m),
                ]
            )
            + rng.normal(size=(2, 3)) * sig
        )
        # every other scan at the same time and empty: nothing may go stale
        for t, zz in ((2.0 * k, z if k % 3 else z[:1]), (2.0 * k, np.zeros((0, 3)))):
            batch = tracker.process(RadarScan.flat(t, f"r{k % 2}", site, zz, sig))
            sel = tracker._track_id >= 0
            assert batch.time_s == tracker.time_s
            assert np.array_equal(batch.track_id, tracker._track_id[sel])
            assert np.array_equal(batch.state, tracker._x[sel])
            assert np.array_equal(batch.covariance, tracker._p[sel])
            assert np.array_equal(batch.pos_sigma_m, _pos_sigma(tracker._p[sel]))
            assert np.array_equal(batch.sources_mask, tracker._sources[sel])
            assert batch.sensor_ids == tracker.sensor_ids
    assert len(tracker.confirmed()) == 2


def test_batch_sources_equal_array_form() -> None:
    rng = np.random.default_rng(0)

    def array_form(batch: TrackBatch) -> list[list[str]]:
        ids = np.asarray(batch.sensor_ids, dtype=object)
        order = np.argsort(ids) if len(ids) else np.zeros(0, dtype=np.int64)
        return [list(ids[order][row]) for row in batch.sources_mask[:, order]]

    many = tuple(f"s{i}" for i in rng.permutation(40))
    for k in (0, 1, 5, 300):
        for ids in ((), ("b",), ("r2", "a1", "s9", "b", "r10"), many):
            mask = rng.random((k, len(ids))) < 0.5
            batch = TrackBatch(
                0.0, np.arange(k), np.zeros((k, 6)), np.zeros((k, 6, 6)), np.zeros(k), mask, ids
            )
            assert batch.sources == array_form(batch)


@pytest.mark.parametrize("half_width_rad", [float(np.pi), 0.8, 3.0])
def test_cover_equals_numpy_formula(half_width_rad: float) -> None:
    """The compiled cover test is the NumPy formula (all-round radars included: their
    sector test passes every row, |wrap_pi| <= pi), at the wrap's edges and NaN rows."""
    from dataclasses import replace

    from skyweave.tracking.measurement import wrap_pi
    from skyweave.tracking.tracker_kernel import in_cover

    rng = np.random.default_rng(8)
    az = np.concatenate(
        [rng.uniform(-20.0, 20.0, 500), np.array([0.0, np.pi, -np.pi, 2 * np.pi, -1e-17, 1e-17])]
    )
    h = np.column_stack([rng.uniform(0.0, 4e5, az.size), az, rng.uniform(-1.6, 1.6, az.size)])
    h[3] = np.nan
    h[[4, 6], [0, 2]] = np.nan
    if half_width_rad < np.pi:  # (an all-round radar never reads the azimuth)
        h[5, 1] = np.nan
    scan = RadarScan.flat(0.0, "r", np.zeros(3), np.zeros((0, 3)), np.ones(3), max_range_m=3e5)
    scan = replace(
        scan,
        boresight_azimuth_rad=1.0,
        half_width_azimuth_rad=half_width_rad,
        min_elevation_rad=-0.1,
        max_elevation_rad=1.2,
    )
    full = (
        (h[:, 0] <= scan.max_range_m)
        & (np.abs(wrap_pi(h[:, 1] - scan.boresight_azimuth_rad)) <= scan.half_width_azimuth_rad)
        & (h[:, 2] >= scan.min_elevation_rad)
        & (h[:, 2] <= scan.max_elevation_rad)
    )
    got = in_cover(
        h,
        scan.max_range_m,
        scan.min_elevation_rad,
        scan.max_elevation_rad,
        scan.boresight_azimuth_rad,
        scan.half_width_azimuth_rad,
    )
    assert np.array_equal(got, full)


def test_scan_prediction_is_predict_polar_and_the_cover() -> None:
    """The tracker's one call per scan: predict_polar's rows and the cover test on them."""
    from dataclasses import replace

    from skyweave.tracking.measurement import predict_polar
    from skyweave.tracking.tracker import _scan_prediction
    from skyweave.tracking.tracker_kernel import in_cover

    rng = np.random.default_rng(4)
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sensor = np.array([4.0e6, 3.0e6, 3.5e6])
    x = np.column_stack([sensor + rng.normal(0.0, 2e5, (300, 3)), rng.normal(size=(300, 3))])
    scan = RadarScan(
        0.0, "r", sensor, rot, np.zeros((0, 3)), np.ones(3), max_range_m=3e5,
        boresight_azimuth_rad=1.0, half_width_azimuth_rad=0.9,
        min_elevation_rad=-0.2, max_elevation_rad=1.2,
    )  # fmt: skip
    for sc in (scan, replace(scan, enu_to_frame=np.asfortranarray(rot))):
        h, hp, cover = _scan_prediction(x, sc)
        want_h, want_hp = predict_polar(x[:, :3], sc.sensor_pos_m, sc.enu_to_frame)
        assert h.tobytes() == want_h.tobytes() and hp.tobytes() == want_hp.tobytes()
        want = in_cover(want_h, 3e5, -0.2, 1.2, 1.0, 0.9)
        assert np.array_equal(cover, want) and 0 < cover.sum() < len(x)


def test_remote_tracks_sources_equal_name_list_form() -> None:
    """remote_tracks reads the sensors that fed the delivered rows off the batch's mask
    columns: the same ids and mask as the union of the rows' name lists."""
    from types import SimpleNamespace

    from skyweave.tracking.shared_picture import remote_tracks

    rng = np.random.default_rng(6)
    for k, ids in ((0, ("a",)), (3, ()), (6, ("r2", "a1", "s9", "b")), (40, ("z", "y", "x"))):
        batch = TrackBatch(
            5.0,
            np.arange(k, dtype=np.int64),
            rng.normal(size=(k, 6)),
            np.broadcast_to(np.eye(6), (k, 6, 6)).copy(),
            np.ones(k),
            rng.random((k, len(ids))) < 0.3,
            ids,
        )
        rows = rng.permutation(k)[: k // 2]
        delivered = SimpleNamespace(
            payload_row=rows,
            xyz_m=lambda rows=rows: np.zeros((len(rows), 3)),
            added_position_var_m2=np.ones(len(rows)),
        )
        got = remote_tracks("north", delivered, batch)  # type: ignore[arg-type]
        src = batch.sources
        want_ids = tuple(sorted(frozenset().union(*(src[i] for i in rows))))
        want_mask = np.array([[s in src[i] for s in want_ids] for i in rows], dtype=bool)
        assert got.sensor_ids == want_ids
        assert np.array_equal(got.sources_mask, want_mask.reshape(len(rows), len(want_ids)))


def _numpy_gated_pairs(z, h, s, gate):  # type: ignore[no-untyped-def]
    """Tracker._gated_pairs' pairs and distances before they were compiled."""
    from skyweave.tracking.measurement import wrap_pi

    order = np.argsort(z[:, 0], kind="stable")
    zr = z[order, 0]
    half = np.sqrt(gate * s[:, 0, 0])
    lo = np.searchsorted(zr, h[:, 0] - half, side="left")
    hi = np.searchsorted(zr, h[:, 0] + half, side="right")
    cnt = hi - lo
    total = int(cnt.sum())
    sinv = np.linalg.inv(s)
    pt = np.repeat(np.arange(h.shape[0]), cnt)
    start = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    pm = order[start + np.arange(total)]
    nu = z[pm] - h[pt]
    nu[:, 1] = wrap_pi(nu[:, 1])
    si = sinv[pt]
    n0, n1, n2 = nu[:, 0], nu[:, 1], nu[:, 2]
    d2 = (
        si[:, 0, 0] * n0 * n0
        + si[:, 1, 1] * n1 * n1
        + si[:, 2, 2] * n2 * n2
        + 2.0 * (si[:, 0, 1] * n0 * n1 + si[:, 0, 2] * n0 * n2 + si[:, 1, 2] * n1 * n2)
    )
    ok = d2 < gate
    return pt[ok], pm[ok], d2[ok]


def test_gated_pairs_equal_numpy_form() -> None:
    """The compiled gate gives the NumPy form's pairs, in its order, and its distances
    bit for bit (azimuths across the wrap, tied ranges, tracks with no candidate), and
    np.linalg.inv's S^-1 of every track with a candidate."""
    from skyweave.tracking.tracker_kernel import gated_pairs

    rng = np.random.default_rng(5)
    gate = TrackerConfig().gate_d2
    for n_t, n_m in ((1, 1), (3, 0), (6, 9), (40, 60)):
        for _ in range(20):
            h = np.column_stack(
                [rng.uniform(1e4, 2e4, n_t), rng.uniform(0, 2 * np.pi, n_t), rng.uniform(0, 1, n_t)]
            )
            pick = rng.integers(0, n_t, n_m)
            z = h[pick] + rng.normal(0.0, 1.0, (n_m, 3)) * [300.0, 0.01, 0.01]
            z[:, 1] = np.where(rng.random(n_m) < 0.3, z[:, 1] + 2 * np.pi, z[:, 1])
            if n_m > 2:
                z[1, 0] = z[0, 0]  # a tie the stable sort keeps in report order
            a = rng.normal(size=(n_t, 3, 3))
            s = a @ np.swapaxes(a, 1, 2) * [[[1e4, 1.0, 1.0]]] + np.diag([1e4, 1e-4, 1e-4])
            s[0, 0, 0] = 1e-6  # a track whose window holds no report
            pt, pm, d2, sinv = gated_pairs(z, h, s, gate)
            want = _numpy_gated_pairs(z, h, s, gate)
            assert pt.tolist() == want[0].tolist() and pm.tolist() == want[1].tolist()
            assert_bits(d2, want[2])
            seen = np.unique(pt)
            assert_bits(sinv[seen], np.linalg.inv(s[seen]))


def test_innovation_cov_equals_numpy_form() -> None:
    """P H^T and S = H P H^T + R of every track, as the stacked NumPy products gave them."""
    from skyweave.tracking.tracker_kernel import innovation_cov

    rng = np.random.default_rng(8)
    for n in (0, 1, 7, 50):
        a = rng.normal(size=(n, 6, 6)) * 10.0 ** rng.uniform(-1, 4, (n, 6, 1))
        p = a @ np.swapaxes(a, 1, 2)
        hp = rng.normal(size=(n, 3, 3)) * [[[1.0], [1e-5], [1e-5]]]
        r_diag = np.array([50.0, 2e-3, 2e-3]) ** 2
        pht, s = innovation_cov(p, hp, r_diag)
        want_pht = p[:, :, :3] @ np.swapaxes(hp, 1, 2)
        want_s = hp @ want_pht[:, :3, :]
        for i in range(3):
            want_s[:, i, i] += r_diag[i]
        assert_bits(pht, want_pht)
        assert_bits(s, want_s)


@pytest.mark.parametrize("spread_m", [1.0, 3.0e3, 3.0e4])
def test_iekf_refine_equals_numpy_form(spread_m: float) -> None:
    """The compiled iterated-EKF refinement gives the NumPy form's states and
    covariances bit for bit (no row refined, some, all; the iteration count varies)."""
    from skyweave.tracking.measurement import predict_polar_numpy
    from skyweave.tracking.motion_kernel import ekf_polar_update
    from skyweave.tracking.tracker import _iekf_refine
    from tracker_reference import _iekf_refine_numpy

    rng = np.random.default_rng(int(spread_m))
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sensor = np.array([4.0e6, 3.0e6, 3.5e6])
    sig = np.array([50.0, 2e-3, 2e-3])
    n = 40
    x = np.zeros((n, 6))
    x[:, :3] = sensor + rng.normal(0.0, 1e5, (n, 3))
    x[:, 3:] = rng.normal(0.0, 300.0, (n, 3))
    a = rng.normal(size=(n, 6, 6)) * np.array([spread_m] * 3 + [300.0] * 3)[:, None]
    p = a @ np.swapaxes(a, 1, 2) + np.eye(6)
    h, _ = predict_polar_numpy(x[:, :3] + rng.normal(0.0, spread_m, (n, 3)), sensor, rot)
    z = h + rng.normal(size=(n, 3)) * sig
    z[:3, 1] += 2.0 * np.pi  # azimuth on another branch: the residual is wrapped
    scan = RadarScan(1.0, "r", sensor, rot, z, sig)
    xu, pu, _ = ekf_polar_update(x, p, z, sensor, rot, sig * sig)
    got = _iekf_refine(x, p, z, xu, pu, scan)
    want = _iekf_refine_numpy(x, p, z, xu, pu, scan)
    assert_bits(got[0], want[0])
    assert_bits(got[1], want[1])


def test_ellipsoid_altitude_equals_ground_altitude() -> None:
    """The compiled height above the WGS84 ground is Ground().altitude_m bit for bit."""
    from skyweave.kinematics.earth import Ground
    from skyweave.tracking.tracker_kernel import ellipsoid_altitude_m

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 6)) * 1.0e3
    unit = rng.normal(size=(2000, 3))
    x[:, :3] += (
        unit / np.linalg.norm(unit, axis=1, keepdims=True) * rng.uniform(6.3e6, 8e6, (2000, 1))
    )
    x[5] = np.nan
    want = Ground().altitude_m(x[:, 0], x[:, 1], x[:, 2])
    assert_bits(ellipsoid_altitude_m(x), want)


@pytest.mark.parametrize("min_altitude_m", [float("-inf"), -50.0])
def test_state_dead_equals_numpy_form(min_altitude_m: float) -> None:
    """The compiled state-only deletion tests mark the NumPy form's rows (from a start
    row on, rows already dead kept) and report whether any row is dead."""
    from skyweave.kinematics.earth import Ground
    from skyweave.tracking.tracker_kernel import state_dead

    rng = np.random.default_rng(4)
    for n in (0, 1, 7, 60):
        for start in sorted({0, n // 2, n}):
            x = rng.normal(size=(n, 6)) * 100.0
            x[:, 2] += 6.356752e6 + rng.normal(size=n) * 100.0  # about the pole's ground
            p = rng.uniform(0.0, 2.0, (n, 6, 6)) * 1e8
            dead = rng.random(n) < 0.1
            want = dead.copy()
            tail = _pos_sigma(p[start:]) > 20_000.0
            if np.isfinite(min_altitude_m):
                alt = Ground().altitude_m(x[start:, 0], x[start:, 1], x[start:, 2])
                tail |= alt < min_altitude_m
            want[start:] |= tail
            got = dead.copy()
            assert state_dead(x, p, start, 20_000.0, min_altitude_m, got) == want.any()
            assert np.array_equal(got, want)


@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_new_tracks_equal_numpy_form(n: int, order: str) -> None:
    """New tracks' states as polar_to_cartesian and the array assembly gave them (a
    single report's product is another BLAS call, its order set by the rotation's
    layout), in every IMM mode."""
    from skyweave.sensors.radar import site_frame

    rng = np.random.default_rng(n)
    frame = site_frame(52.0, 4.5, 30.0)
    sensor, rot = frame.position_ecef_m, np.asarray(frame.enu_to_ecef, order=order)
    sig = np.array([50.0, 2e-3, 3e-3])
    # many single reports: a wrong summation order shows in some of them
    z = np.column_stack(
        [rng.uniform(1e3, 4e5, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(-0.1, 1.5, n)]
    )
    mu0 = np.array([0.25, 0.75])
    singles = list(rng.normal(size=(60, 1, 3)) * [1e5, 3.0, 1.0])
    for zz in [z] if n > 1 else singles:
        _check_new_tracks(zz, sig, sensor, rot, mu0)


def _check_new_tracks(z, sig, sensor, rot, mu0):  # type: ignore[no-untyped-def]
    from skyweave.tracking.measurement import polar_to_cartesian
    from skyweave.tracking.tracker_kernel import new_tracks

    n = z.shape[0]
    az, el = z[:, 1], z[:, 2]
    trig = np.stack([np.cos(az), np.sin(az), np.cos(el), np.sin(el)])
    gemv = n == 1 and rot.flags.c_contiguous
    x, p, xm, pm, mu = new_tracks(z, trig, sig, sensor, rot, 300.0**2, mu0, gemv)
    pos, cov = polar_to_cartesian(z, sig, sensor, rot)
    want_x = np.zeros((n, 6))
    want_x[:, :3] = pos
    want_p = np.zeros((n, 6, 6))
    want_p[:, :3, :3] = cov
    want_p[:, 3, 3] = want_p[:, 4, 4] = want_p[:, 5, 5] = 300.0**2
    assert_bits(x, want_x)
    assert_bits(p, want_p)
    assert_bits(xm, np.repeat(want_x[:, None], 2, axis=1))
    assert_bits(pm, np.repeat(want_p[:, None], 2, axis=1))
    assert_bits(mu, np.tile(mu0, (n, 1)))


def test_imm_update_equals_rowwise_form() -> None:
    """The one-call IMM update gathers each (track, mode) row and its report and gives
    what the per-row EKF update and the iterated refinement gave (bit for bit)."""
    from skyweave.tracking.measurement import predict_polar_numpy
    from skyweave.tracking.motion_kernel import ekf_polar_update
    from skyweave.tracking.tracker_kernel import imm_update
    from tracker_reference import _iekf_refine_numpy

    rng = np.random.default_rng(21)
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    sensor = np.array([4.0e6, 3.0e6, 3.5e6])
    sig = np.array([50.0, 2e-3, 2e-3])
    n, r = 12, 2
    xm = np.zeros((n, r, 6))
    xm[:, :, :3] = sensor + rng.normal(0.0, 1e5, (n, 1, 3))
    xm[:, :, 3:] = rng.normal(0.0, 300.0, (n, r, 3))
    a = rng.normal(size=(n, r, 6, 6)) * rng.uniform(1.0, 5e3, (n, r, 1, 1))
    pm = a @ np.swapaxes(a, -1, -2) + np.eye(6)
    h, _ = predict_polar_numpy(xm[:, 0, :3] + rng.normal(0.0, 2e3, (n, 3)), sensor, rot)
    z = h + rng.normal(size=(n, 3)) * sig
    tr = np.array([3, 0, 7, 11, 5], dtype=np.int64)
    me = np.array([1, 4, 2, 0, 9], dtype=np.int64)
    xu, pu, ll = imm_update(xm, pm, tr, z, me, sensor, rot, sig, 4)
    xf = xm[tr].reshape(-1, 6)
    pf = pm[tr].reshape(-1, 6, 6)
    zf = np.repeat(z[me], r, axis=0)
    x1, p1, l1 = ekf_polar_update(xf, pf, zf, sensor, rot, sig * sig)
    x2, p2 = _iekf_refine_numpy(xf, pf, zf, x1, p1, RadarScan(1.0, "r", sensor, rot, zf, sig))
    assert_bits(xu, x2)
    assert_bits(pu, p2)
    assert_bits(ll, l1)


@pytest.mark.parametrize("n_modes", [0, 2])
def test_keep_and_append_equal_take_and_concatenate(n_modes: int) -> None:
    """One copy of the kept rows and the new tracks: what take then concatenate gave."""
    from skyweave.tracking.tracker_kernel import keep_and_append_counts, keep_and_append_states

    rng = np.random.default_rng(4)
    t, n = 9, 3
    rows = np.array([0, 2, 3, 7], dtype=np.int64)
    t_m, n_m = (t, n) if n_modes else (0, 0)
    old = [rng.normal(size=s) for s in ((t, 6), (t, 6, 6), (t_m, n_modes, 6))]
    old += [rng.normal(size=(t_m, n_modes, 6, 6)), rng.random((t_m, n_modes))]
    new = [rng.normal(size=s) for s in ((n, 6), (n, 6, 6), (n, n_modes, 6))]
    new += [rng.normal(size=(n, n_modes, 6, 6)), rng.random((n, n_modes))]
    got = keep_and_append_states(rows, *old, *new)
    for k, (g, o, w) in enumerate(zip(got, old, new, strict=True)):
        if k >= 2 and not n_modes:  # no modes: the empty mode arrays stay empty
            assert g.shape == o.shape
            continue
        assert_bits(g, np.concatenate([o.take(rows, axis=0), w]))
    counts = [rng.integers(-1, 9, t) for _ in range(4)]
    last, src = rng.random(t), rng.random((t, 3)) < 0.5
    tid, hits, opps, misses, last_o, src_o = keep_and_append_counts(
        rows, *counts, last, src, n, 12.5, 1
    )
    for g, o, v in zip((tid, hits, opps, misses), counts, (-1, 1, 1, 0), strict=True):
        assert g.tolist() == o[rows].tolist() + [v] * n
    assert last_o.tolist() == last[rows].tolist() + [12.5] * n
    want_src = np.zeros((n, 3), dtype=bool)
    want_src[:, 1] = True
    assert np.array_equal(src_o, np.concatenate([src[rows], want_src]))


def test_manage_scan_equals_its_steps() -> None:
    """The one-call management: the hit mask and sources, manage_counts, state_dead,
    and the kept rows and confirmed-dead flag the NumPy steps gave."""
    from skyweave.tracking.tracker_kernel import manage_scan, state_dead

    rng = np.random.default_rng(6)
    n = 30
    for _ in range(20):
        arrays = [
            np.where(rng.random(n) < 0.5, -1, rng.integers(1, 50, n)).astype(np.int64),
            rng.integers(0, 5, n).astype(np.int64),
            rng.integers(0, 9, n).astype(np.int64),
            rng.integers(0, 7, n).astype(np.int64),
            rng.uniform(0.0, 20.0, n),
            rng.random((n, 3)) < 0.3,
        ]
        x = rng.normal(size=(n, 6)) * 1e3
        p = np.eye(6) * rng.uniform(1.0, 3e4, (n, 1, 1)) ** 2
        tr = rng.choice(n, 6, replace=False).astype(np.int64)
        cover = rng.random(n) < 0.7
        args = (21.0, 3, 2, 6, 9.0, 60)
        want = [a.copy() for a in arrays]
        hit = np.zeros(n, dtype=bool)
        hit[tr] = True
        want[5][tr, 1] = True
        dead, want_next = manage_counts(*want[:5], hit, cover, *args)
        any_dead = state_dead(x, p, 4, 2e4, float("-inf"), dead)
        got = [a.copy() for a in arrays]
        keep, got_any, conf_dead, next_id = manage_scan(
            *got, x, p, tr, 1, cover, *args, 4, 2e4, float("-inf")
        )
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
        assert (got_any, next_id) == (any_dead, want_next)
        assert keep.tolist() == np.flatnonzero(~dead).tolist()
        assert conf_dead == bool((want[0][dead] >= 0).any())
