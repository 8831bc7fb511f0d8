"""Are the impact predictions of a run honest? Ellipse coverage and impact-time error over seeds.

Runs the scenario (default ``examples/joint-exercise.yaml``) for N seeds with
:func:`skyweave.simulation.run_scenario` and scores every ``impact_update``
alert a partner issued from its own tracks (``partner == origin_partner``)
against the truth:

* each alert is tied to a threat through its track: the track's row in the
  ``tracks`` table nearest in time, then the nearest ballistic truth object
  (planned flight, :func:`~skyweave.kinematics.from_scenario.build_truth`) at
  that time, within 50 km;
* the truth impact is the summary's threat row (planned impact point and
  time; the flight's if the summary has none);
* scored: alerts after the threat's burnout and before its kill (a boost-phase
  prediction assumes the motor stopped, so it falls short by design: shown
  apart).

The tracker's own consistency is scored on the same run: every confirmed
track state a partner tracker produced (recorded by wrapping
:meth:`skyweave.tracking.tracker.Tracker.process`) is paired with the ballistic
truth object nearest in position (within 10 km) at the scan time (truth
interpolated by cubic Hermite on the 1 s grid), and its NEES
``(x - x_true)^T P^-1 (x - x_true)`` is taken, apart for boost (before
burnout), exo-atmospheric coast (above 80 km) and endo-atmospheric flight.
An honest 6-state filter has median NEES 5.35 (chi-square, 6 dof).

Printed: the share of true impacts inside the 95 % ellipse (target 0.93-0.97),
the median normalised squared distance ``d2 / k95`` (0.231 for an honest
Gaussian), the median |impact-time error| over alerts in the last 120 s of
flight (target under 1 s), and the all clears: how many, and how many came
before their threat's impact or kill (should be none).

The partner trackers are :func:`skyweave.tracking.presets.threat_tracker_config`
(``--tracker preset``, the default: the benchmark puts it in the engine's place
until ``engine/params.py`` takes it) or the engine's own ``TRACKER_CONFIG``
(``--tracker engine``).

Run by hand (about 10-15 s a seed on one core)::

    PYTHONPATH=$PWD/src python benchmarks/bench_impact_calibration.py --seeds 20
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pymap3d

import skyweave.engine.simulation as engine_simulation
from skyweave.kinematics.from_scenario import build_truth
from skyweave.scenario import load_scenario
from skyweave.simulation import run_scenario, time_grid
from skyweave.tracking.presets import threat_tracker_config
from skyweave.tracking.tracker import TrackBatch, Tracker
from skyweave.warning.impact import chi2_2dof_quantile

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
K95 = chi2_2dof_quantile(0.95)
NEES_PHASES = ("boost", "exo", "endo")
EXO_ALTITUDE_M = 80e3


@contextmanager
def recorded_tracks() -> Iterator[list[TrackBatch]]:
    """Every confirmed-track batch any :class:`Tracker` returns while the block runs."""
    batches: list[TrackBatch] = []
    original = Tracker.process

    def process(self: Tracker, scan: object) -> TrackBatch:
        batch = original(self, scan)  # type: ignore[arg-type]
        batches.append(batch)
        return batch

    Tracker.process = process  # type: ignore[method-assign]
    try:
        yield batches
    finally:
        Tracker.process = original  # type: ignore[method-assign]


def truth_at(times_s: np.ndarray, states: np.ndarray, t_s: float) -> np.ndarray:
    """Truth states (N, 6) at ``t_s``: cubic Hermite on the grid (position and velocity)."""
    i = int(np.clip(np.searchsorted(times_s, t_s, side="right") - 1, 0, len(times_s) - 2))
    dt = times_s[i + 1] - times_s[i]
    s = (t_s - times_s[i]) / dt
    r0, v0 = states[i, :, :3], states[i, :, 3:]
    r1, v1 = states[i + 1, :, :3], states[i + 1, :, 3:]
    h00, h10, h01, h11 = (
        2 * s**3 - 3 * s**2 + 1,
        s**3 - 2 * s**2 + s,
        -2 * s**3 + 3 * s**2,
        s**3 - s**2,
    )
    pos = h00 * r0 + h10 * dt * v0 + h01 * r1 + h11 * dt * v1
    # derivative of the Hermite basis over dt
    d00, d10, d01, d11 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1, -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
    vel = (d00 * r0 + d01 * r1) / dt + d10 * v0 + d11 * v1
    return np.concatenate([pos, vel], axis=-1)


def nees_of_batches(
    batches: list[TrackBatch], times_s: np.ndarray, states: np.ndarray, burnout_s: np.ndarray
) -> dict[str, list[float]]:
    """NEES of every confirmed track state against its nearest ballistic truth, per phase."""
    out: dict[str, list[float]] = {k: [] for k in NEES_PHASES}
    for b in batches:
        if not len(b) or b.time_s > times_s[-1]:
            continue
        truth = truth_at(times_s, states, b.time_s)  # (N, 6), NaN where not flying
        d = np.linalg.norm(b.state[:, None, :3] - truth[None, :, :3], axis=-1)
        d = np.where(np.isfinite(d), d, np.inf)
        j = np.argmin(d, axis=1)
        ok = d[np.arange(len(b)), j] < 10e3
        if not np.any(ok):
            continue
        err = b.state[ok] - truth[j[ok]]
        nees = np.einsum("ki,ki->k", err, np.linalg.solve(b.covariance[ok], err[..., None])[..., 0])
        _, _, alt = pymap3d.ecef2geodetic(*truth[j[ok], :3].T)
        alt = np.atleast_1d(np.asarray(alt, dtype=np.float64))
        boost = b.time_s <= burnout_s[j[ok]]
        phase = np.where(boost, 0, np.where(alt > EXO_ALTITUDE_M, 1, 2))
        for k, name in enumerate(NEES_PHASES):
            out[name] += nees[phase == k].tolist()
    return out


@dataclass
class Scores:
    """Per-alert scores of one or more runs (concatenated)."""

    norm_d2: list[float]
    late_dt_s: list[float]
    boost_norm_d2: list[float]
    clears: int = 0
    early_clears: int = 0
    own_clears_times: list[str] | None = None
    nees: dict[str, list[float]] | None = None


def _col(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def _threat_of_tracks(
    tracks: pa.Table, truth_times: np.ndarray, truth_pos: np.ndarray, partner: str, track_id: int,
    at_s: float,
) -> int:  # fmt: skip
    """Ballistic truth object nearest to the track row nearest ``at_s`` (-1: none)."""
    sel = (_col(tracks, "partner") == partner) & (_col(tracks, "track_id") == track_id)
    if not np.any(sel):
        return -1
    t = _col(tracks, "time_s")[sel]
    k = int(np.argmin(np.abs(t - at_s)))
    xyz = np.stack([_col(tracks, c)[sel][k] for c in ("x_m", "y_m", "z_m")])
    ti = int(np.clip(np.searchsorted(truth_times, t[k]), 0, len(truth_times) - 1))
    d = np.linalg.norm(truth_pos[ti] - xyz, axis=-1)
    d = np.where(np.isfinite(d), d, np.inf)
    j = int(np.argmin(d))
    return j if d[j] < 50e3 else -1


def score_run(scenario_path: Path, seed: int, last_s: float) -> Scores:
    """Scores of one seeded run (see the module docstring)."""
    scenario = load_scenario(scenario_path)
    with recorded_tracks() as batches:
        result = run_scenario(scenario, seed)
    planned, flights = build_truth(scenario, time_grid(scenario))
    ballistic = np.array([k == "ballistic" for k in planned.kinds])
    pos = np.where(ballistic[None, :, None], planned.states[..., :3], np.nan)
    bstates = np.where(ballistic[None, :, None], planned.states, np.nan)
    nees = nees_of_batches(batches, planned.times_s, bstates, planned.burnout_time_s)
    rows = {r["object_id"]: r for r in result.summary["threats"]}
    flight = {f.object_id: f for f in flights}

    def impact_of(oid: str) -> tuple[float, float, float]:
        r = rows.get(oid, {})
        lat, lon, t = r.get("impact_lat_deg"), r.get("impact_lon_deg"), r.get("end_time_s")
        if lat is None or lon is None or t is None or not np.isfinite(lat):
            f = flight[oid]
            return f.end_lat_deg, f.end_lon_deg, f.end_time_s
        return float(lat), float(lon), float(t)

    alerts = result.tables["alerts"]
    tracks = result.tables["tracks"]
    own = pc_equal(alerts, "partner", "origin_partner")
    kind = _col(alerts, "alert_kind")
    out = Scores([], [], [], own_clears_times=[], nees=nees)
    for i in np.flatnonzero(own & ((kind == "impact_update") | (kind == "all_clear"))):
        row = {c: alerts.column(c)[i].as_py() for c in alerts.column_names}
        j = _threat_of_tracks(
            tracks, planned.times_s, pos, row["partner"], row["track_id"], row["time_s"]
        )
        if j < 0:
            continue
        oid = planned.object_ids[j]
        lat, lon, t_imp = impact_of(oid)
        killed = rows.get(oid, {}).get("killed_s")
        over_s = t_imp if killed is None else min(t_imp, float(killed))
        if row["alert_kind"] == "all_clear":
            out.clears += 1
            out.early_clears += row["time_s"] < over_s - 1e-6
            out.own_clears_times.append(f"{oid}@{row['time_s']:.0f}(over {over_s:.0f})")
            continue
        if killed is not None and row["time_s"] > float(killed):
            continue
        e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, row["impact_lat_deg"],
                                       row["impact_lon_deg"], 0.0)  # fmt: skip
        th = np.radians(row["ellipse_orientation_deg"])
        u = e * np.sin(th) + n * np.cos(th)  # along the major axis
        w = e * np.cos(th) - n * np.sin(th)
        a = max(row["ellipse_semi_major_m"], 1e-3)
        b = max(row["ellipse_semi_minor_m"], 1e-3)
        norm = (u / a) ** 2 + (w / b) ** 2  # = d2 / k95: 1 on the 95 % ellipse
        if row["time_s"] <= planned.burnout_time_s[j]:
            out.boost_norm_d2.append(norm)
            continue
        out.norm_d2.append(norm)
        if t_imp - row["time_s"] <= last_s:
            out.late_dt_s.append(row["impact_time_s"] - t_imp)
    return out


def pc_equal(table: pa.Table, a: str, b: str) -> np.ndarray:
    """Row mask: column ``a`` equals column ``b``."""
    return np.asarray(_col(table, a) == _col(table, b), dtype=bool)


def _line(label: str, s: Scores) -> str:
    d2 = np.asarray(s.norm_d2)
    dt = np.asarray(s.late_dt_s)
    cov = float(np.mean(d2 <= 1.0)) if d2.size else float("nan")
    med = float(np.median(d2)) if d2.size else float("nan")
    med_dt = float(np.median(np.abs(dt))) if dt.size else float("nan")
    boost = np.asarray(s.boost_norm_d2)
    b_cov = float(np.mean(boost <= 1.0)) if boost.size else float("nan")
    return (
        f"{label}: {d2.size} alerts, 95 % ellipse coverage {cov:.3f}, median d2/k95 {med:.3f} "
        f"(honest 0.231); last-120 s: {dt.size} alerts, median |dt| {med_dt:.2f} s, "
        f"mean dt {np.mean(dt) if dt.size else float('nan'):+.2f} s; boost-phase coverage "
        f"{b_cov:.2f} ({boost.size}); all clears {s.clears}, early {s.early_clears}; "
        + "median NEES (honest 5.35) "
        + ", ".join(
            f"{k} {np.median(v) if v else float('nan'):.2f} ({len(v)})"
            for k, v in (s.nees or {}).items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=EXAMPLE)
    parser.add_argument("--seeds", type=int, default=20, help="number of seeds")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--last-s", type=float, default=120.0, help="late-flight window")
    parser.add_argument("--verbose", action="store_true", help="list the all clears")
    parser.add_argument(
        "--tracker",
        choices=("preset", "engine"),
        default="preset",
        help="partner trackers: tracking.presets.threat_tracker_config or the engine's own",
    )
    args = parser.parse_args()
    if args.tracker == "preset":
        engine_simulation.TRACKER_CONFIG = threat_tracker_config()  # type: ignore[misc]
    total = Scores([], [], [], nees={k: [] for k in NEES_PHASES})
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        t0 = time.perf_counter()
        s = score_run(args.scenario, seed, args.last_s)
        print(_line(f"seed {seed}", s) + f" [{time.perf_counter() - t0:.0f} s]", flush=True)
        if args.verbose:
            print("  all clears:", ", ".join(s.own_clears_times or []))
        total.norm_d2 += s.norm_d2
        total.late_dt_s += s.late_dt_s
        total.boost_norm_d2 += s.boost_norm_d2
        total.clears += s.clears
        total.early_clears += s.early_clears
        for k, v in (s.nees or {}).items():
            assert total.nees is not None
            total.nees[k] += v
    print(_line(f"all {args.seeds} seeds", total))


if __name__ == "__main__":
    main()
