"""Benchmark: Skyweave's partner tracker against Stone Soup's GNN + EKF stack.

Scenario (flat local East-North-Up frame, metres): N targets in nearly-constant
velocity motion over a 200 km square at 1-10 km altitude, 100-300 m/s, two
radars outside the square, Pd 0.9, Poisson clutter uniform in the surveillance
volume, one scan per radar per second. Measurements are generated once; both
trackers then run on the same reports (radar A then radar B at each time).

Metrics: throughput (total reports / tracking wall time, data generation and
metric computation excluded) and mean GOSPA over the scan times (Stone Soup's
``GOSPAMetric``, position only, ``c`` = 10 km, ``p`` = 1, alpha = 2), computed
for both trackers with the same code.

Run by hand::

    .venv/bin/python benchmarks/bench_tracking.py                     # full record
    .venv/bin/python benchmarks/bench_tracking.py --sizes 10 --scans 50  # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

from skyweave.tracking import ConstantVelocity, Imm, RadarScan, Tracker, TrackerConfig
from skyweave.tracking.motion import white_accel_q

FloatArray = NDArray[np.float64]

SIDE_M = 200_000.0
ALT_MIN_M, ALT_MAX_M = 1_000.0, 10_000.0
CLUTTER_ZMAX_M = 12_000.0
RADARS = {
    "radarA": np.array([100_000.0, -50_000.0, 0.0]),
    "radarB": np.array([-50_000.0, 100_000.0, 0.0]),
}
SIGMAS = np.array([50.0, 1.0e-3, 1.0e-3])  # range m, azimuth rad, elevation rad
PD = 0.9
Q_TRUTH = 0.5  # m^2/s^3, truth white-acceleration PSD
Q_FILTER = 1.0  # m^2/s^3, both trackers
INIT_V_SIGMA = 300.0
GATE_P = 0.9997
GOSPA_C_M = 10_000.0
GOSPA_P = 1
EPOCH = dt.datetime(2025, 1, 1)


@dataclass(frozen=True)
class Scenario:
    """Truth and reports shared by both trackers."""

    times_s: FloatArray  # (K,)
    truth_pos: FloatArray  # (K, N, 3)
    scans: list[tuple[float, str, FloatArray]]  # (time, radar, z (M, 3)) in processing order
    n_reports: int


def make_scenario(n_targets: int, n_scans: int, clutter_per_scan: float, seed: int) -> Scenario:
    """Generate truth and radar reports (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    times = np.arange(n_scans, dtype=np.float64)
    pos = np.column_stack(
        [
            rng.uniform(0.1 * SIDE_M, 0.9 * SIDE_M, (n_targets, 2)),
            rng.uniform(ALT_MIN_M, ALT_MAX_M, n_targets),
        ]
    )
    speed = rng.uniform(100.0, 300.0, n_targets)
    heading = rng.uniform(0.0, 2.0 * np.pi, n_targets)
    vel = np.column_stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(n_targets)])
    state = np.hstack([pos, vel])
    chol = np.linalg.cholesky(white_accel_q(Q_TRUTH, 1.0))
    f = np.eye(6)
    f[:3, 3:] = np.eye(3)
    truth = np.empty((n_scans, n_targets, 3))
    scans: list[tuple[float, str, FloatArray]] = []
    n_reports = 0
    for k, t in enumerate(times):
        if k:
            state = state @ f.T + rng.standard_normal((n_targets, 6)) @ chol.T
        truth[k] = state[:, :3]
        for name, site in RADARS.items():
            det = rng.random(n_targets) < PD
            rel = state[det, :3] - site
            n_fa = rng.poisson(clutter_per_scan)
            fa = np.column_stack(
                [rng.uniform(0.0, SIDE_M, (n_fa, 2)), rng.uniform(0.0, CLUTTER_ZMAX_M, n_fa)]
            )
            rel_fa = fa - site
            z_true = _aer(rel)
            z_true += rng.standard_normal(z_true.shape) * SIGMAS
            z = np.vstack([z_true, _aer(rel_fa)])
            z[:, 1] = np.mod(z[:, 1], 2.0 * np.pi)
            z = z[rng.permutation(len(z))]
            scans.append((float(t), name, z))
            n_reports += len(z)
    return Scenario(times, truth, scans, n_reports)


def _aer(rel: FloatArray) -> FloatArray:
    e, n, u = rel[:, 0], rel[:, 1], rel[:, 2]
    horiz = np.hypot(e, n)
    return np.column_stack([np.hypot(horiz, u), np.arctan2(e, n), np.arctan2(u, horiz)])


# --------------------------------------------------------------------------- Skyweave
def run_skyweave(sc: Scenario, model: str = "cv") -> tuple[float, list[FloatArray]]:
    """Run our tracker; return wall time and confirmed positions after each scan time."""
    motion = ConstantVelocity(Q_FILTER) if model == "cv" else Imm(q_m2_s3=(Q_FILTER, 400.0))
    cfg = TrackerConfig(
        motion=motion,
        gate_probability=GATE_P,
        init_velocity_sigma_mps=INIT_V_SIGMA,
        confirm_hits=3,
        confirm_window=5,
        delete_after_misses=6,
    )
    scans = [RadarScan.flat(t, name, RADARS[name], z, SIGMAS) for t, name, z in sc.scans]
    n_radars = len(RADARS)
    out: list[FloatArray] = []
    tracker = Tracker(cfg, start_time_s=0.0)
    t0 = time.perf_counter()
    for i, scan in enumerate(scans):
        batch = tracker.process(scan)
        if i % n_radars == n_radars - 1:
            out.append(batch.state[:, :3])
    return time.perf_counter() - t0, out


# -------------------------------------------------------------------------- Stone Soup
def run_stonesoup(sc: Scenario) -> tuple[float, list[FloatArray]]:
    """Run Stone Soup's standard GNN + EKF tracker on the same reports."""
    from scipy.stats import chi2
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
    )
    from stonesoup.models.transition.linear import (
        ConstantVelocity as SSConstantVelocity,
    )
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.angle import Bearing, Elevation
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    # Stone Soup's state order is (x, vx, y, vy, z, vz); its model measures
    # (elevation, bearing counter-clockwise from x, range).
    noise = np.diag([SIGMAS[2] ** 2, SIGMAS[1] ** 2, SIGMAS[0] ** 2])
    models = {
        name: CartesianToElevationBearingRange(
            ndim_state=6,
            mapping=(0, 2, 4),
            noise_covar=noise,
            translation_offset=StateVector(site.reshape(3, 1)),
        )
        for name, site in RADARS.items()
    }
    batches = []
    for t, name, z in sc.scans:
        ts = EPOCH + dt.timedelta(seconds=t)
        bearing = np.pi / 2.0 - z[:, 1]
        dets = {
            Detection(
                StateVector([Elevation(el), Bearing(b), r]),
                timestamp=ts,
                measurement_model=models[name],
            )
            for r, b, el in zip(z[:, 0], bearing, z[:, 2], strict=True)
        }
        batches.append((ts, dets))

    transition = CombinedLinearGaussianTransitionModel([SSConstantVelocity(Q_FILTER)] * 3)
    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(measurement_model=None)
    gate = float(np.sqrt(chi2.ppf(GATE_P, 3)))
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=gate
    )
    associator = GNNWith2DAssignment(hypothesiser)
    v2 = INIT_V_SIGMA**2
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((6, 1)), np.diag([0.0, v2, 0.0, v2, 0.0, v2])),
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=2),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        measurement_model=None,
        min_points=3,
    )
    tracker = MultiTargetTracker(
        initiator=initiator,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=3),
        detector=batches,
        data_associator=associator,
        updater=updater,
    )
    n_radars = len(RADARS)
    out: list[FloatArray] = []
    t0 = time.perf_counter()
    for i, (_, tracks) in enumerate(tracker):
        if i % n_radars == n_radars - 1:
            if tracks:
                out.append(
                    np.array([np.asarray(tr.state_vector, float)[[0, 2, 4], 0] for tr in tracks])
                )
            else:
                out.append(np.zeros((0, 3)))
    return time.perf_counter() - t0, out


# ------------------------------------------------------------------------------ GOSPA
def make_gospa():  # type: ignore[no-untyped-def]
    """Stone Soup's GOSPAMetric with a vectorised (identical) cost matrix.

    The stock ``compute_cost_matrix`` calls the Euclidean measure once per
    (track, truth) pair in Python: 40 000 calls per time at N = 200. The
    override computes the same ``min(distance, c)`` matrix with ``cdist``;
    :func:`check_gospa` asserts it agrees with the stock method.
    """
    from stonesoup.metricgenerator.ospametric import GOSPAMetric

    class FastGOSPAMetric(GOSPAMetric):
        def compute_cost_matrix(self, track_states, truth_states, complete=False):  # type: ignore[no-untyped-def]
            if complete:
                return super().compute_cost_matrix(track_states, truth_states, complete)
            a = np.array([np.asarray(s.state_vector, float).ravel() for s in track_states])
            b = np.array([np.asarray(s.state_vector, float).ravel() for s in truth_states])
            if a.size == 0 or b.size == 0:
                return np.full((len(track_states), len(truth_states)), float(self.c))
            return np.minimum(cdist(a, b), float(self.c))

    return FastGOSPAMetric(c=GOSPA_C_M, p=GOSPA_P), GOSPAMetric(c=GOSPA_C_M, p=GOSPA_P)


def _states(points: FloatArray, ts: dt.datetime) -> list:  # type: ignore[type-arg]
    from stonesoup.types.array import StateVector
    from stonesoup.types.state import State

    return [State(StateVector(p.reshape(3, 1)), timestamp=ts) for p in points]


def gospa_series(sc: Scenario, est: list[FloatArray], metric) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Mean GOSPA components over all scan times."""
    acc = {"distance": [], "localisation": [], "missed": [], "false": []}
    for k, t in enumerate(sc.times_s):
        ts = EPOCH + dt.timedelta(seconds=float(t))
        m, _ = metric.compute_gospa_metric(_states(est[k], ts), _states(sc.truth_pos[k], ts))
        for key in acc:
            acc[key].append(float(m.value[key]))
    dummy = GOSPA_C_M**GOSPA_P / 2.0
    return {
        "gospa": float(np.mean(acc["distance"])),
        "loc": float(np.mean(acc["localisation"])),
        "missed": float(np.mean(acc["missed"])) / dummy,  # mean count of missed targets
        "false": float(np.mean(acc["false"])) / dummy,  # mean count of false tracks
    }


def check_gospa(sc: Scenario, est: list[FloatArray]) -> None:
    """The vectorised cost matrix gives the stock metric's numbers (a few times)."""
    fast, stock = make_gospa()
    for k in (0, len(sc.times_s) // 2, len(sc.times_s) - 1):
        ts = EPOCH + dt.timedelta(seconds=float(sc.times_s[k]))
        a, _ = fast.compute_gospa_metric(_states(est[k], ts), _states(sc.truth_pos[k], ts))
        b, _ = stock.compute_gospa_metric(_states(est[k], ts), _states(sc.truth_pos[k], ts))
        for key in ("distance", "localisation", "missed", "false"):
            assert np.isclose(a.value[key], b.value[key], rtol=1e-12, atol=1e-9), key


# ------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,50,200", help="comma-separated target counts")
    ap.add_argument("--scans", type=int, default=200, help="scan times (1 s apart)")
    ap.add_argument("--clutter", type=float, default=10.0, help="mean false alarms/radar/scan")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--repeats", type=int, default=3, help="Skyweave timing repeats (median)")
    ap.add_argument("--no-stonesoup", action="store_true", help="run Skyweave only")
    ap.add_argument("--model", choices=("cv", "imm"), default="cv", help="Skyweave motion model")
    ap.add_argument("--out", default=None, help="write the Markdown table to this file")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    fast_metric, _ = make_gospa()

    rows = []
    for n in sizes:
        sc = make_scenario(n, args.scans, args.clutter, args.seed + n)
        times = []
        est: list[FloatArray] = []
        for _ in range(max(1, args.repeats)):
            wall, est = run_skyweave(sc, args.model)
            times.append(wall)
        sw_wall = statistics.median(times)
        check_gospa(sc, est)
        sw = gospa_series(sc, est, fast_metric)
        row = {
            "n": n,
            "reports": sc.n_reports,
            "sw_rate": sc.n_reports / sw_wall,
            **{f"sw_{k}": v for k, v in sw.items()},
        }
        msg = (
            f"N={n:4d} reports={sc.n_reports:6d} skyweave {sc.n_reports / sw_wall:9.0f}/s "
            f"GOSPA {sw['gospa']:8.0f} (missed {sw['missed']:.1f}, false {sw['false']:.1f})"
        )
        if not args.no_stonesoup:
            ss_wall, ss_est = run_stonesoup(sc)
            ss = gospa_series(sc, ss_est, fast_metric)
            row.update({"ss_rate": sc.n_reports / ss_wall, **{f"ss_{k}": v for k, v in ss.items()}})
            msg += (
                f" | stonesoup {sc.n_reports / ss_wall:7.0f}/s GOSPA {ss['gospa']:8.0f} "
                f"(missed {ss['missed']:.1f}, false {ss['false']:.1f}) "
                f"speed-up {ss_wall / sw_wall:.0f}x"
            )
        print(msg, flush=True)
        rows.append(row)

    table = format_table(rows, args, not args.no_stonesoup)
    print(table)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(table)
    return 0


def format_table(rows: list[dict], args: argparse.Namespace, with_ss: bool) -> str:  # type: ignore[type-arg]
    """Markdown table of the results."""
    head = "| N | reports | Skyweave reports/s | GOSPA Skyweave (loc / missed / false) |"
    sep = "|---:|---:|---:|---|"
    if with_ss:
        head += " Stone Soup reports/s | GOSPA Stone Soup (loc / missed / false) | speed-up |"
        sep += "---:|---|---:|"
    lines = [
        f"Command: `.venv/bin/python benchmarks/bench_tracking.py --sizes {args.sizes} "
        f"--scans {args.scans} --clutter {args.clutter:g} --seed {args.seed} "
        f"--model {args.model}`  ",
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"{args.scans} scan times x {len(RADARS)} radars, clutter {args.clutter:g}/radar/scan, "
        f"Pd {PD}; GOSPA c = {GOSPA_C_M / 1000:g} km, p = {GOSPA_P}, alpha = 2 (metres, mean "
        "over scan times; missed/false = mean counts per time).",
        "",
        head,
        sep,
    ]
    for r in rows:
        line = (
            f"| {r['n']} | {r['reports']} | {r['sw_rate']:,.0f} | {r['sw_gospa']:,.1f} "
            f"({r['sw_loc']:,.0f} / {r['sw_missed']:.2f} / {r['sw_false']:.2f}) |"
        )
        if with_ss:
            line += (
                f" {r['ss_rate']:,.0f} | {r['ss_gospa']:,.1f} "
                f"({r['ss_loc']:,.0f} / {r['ss_missed']:.2f} / {r['ss_false']:.2f}) |"
                f" {r['sw_rate'] / r['ss_rate']:.0f}x |"
            )
        lines.append(line)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
