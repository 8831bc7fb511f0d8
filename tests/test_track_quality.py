"""Track quality on the fused picture and over covered truths.

* The fused-picture GOSPA equals Stone Soup's ``GOSPAMetric`` on the same
  picture, time by time, and its time mean the trapezoid of Stone Soup's values.
* The coverage filter agrees with an independent line-of-sight computation
  (pymap3d azimuth/elevation/range and the 4/3-Earth horizon written out here).
* A truth out of coverage is not charged, and a track on it is neither credited
  nor charged: the result equals Stone Soup's GOSPA on the covered truths and
  the remaining tracks.
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pymap3d
import pymap3d.vincenty
import pytest
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.ospametric import GOSPAMetric
from stonesoup.types.state import State

from skyweave.analysis.metrics_run import (
    compute_run_metrics,
    radar_coverage,
    track_quality,
    visible_radars,
)
from skyweave.scenario import Scenario, load_scenario
from skyweave.scenario.schema import Radar

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
T0 = datetime.datetime(2026, 3, 14, 6)
COLS = ("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps")
C_M = 10_000.0

# Three threats on straight ECEF lines (linear interpolation of the truth grid is exact):
# T1 near East's fire-control radar at 10 km, T2 near North's, T3 far out at sea, low.
START = {
    "T1": pymap3d.geodetic2ecef(-35.3, 138.0, 10_000.0),
    "T2": pymap3d.geodetic2ecef(-24.3, 133.5, 10_000.0),
    "T3": pymap3d.geodetic2ecef(-45.0, 120.0, 100.0),
}
VEL = {"T1": (150.0, -80.0, 60.0), "T2": (-90.0, 120.0, 40.0), "T3": (200.0, 0.0, -30.0)}


def _truth_at(obj: str, t: np.ndarray) -> np.ndarray:
    return np.asarray(START[obj]) + np.outer(t, VEL[obj])


def _table(rows: dict[str, list], states: list[np.ndarray]) -> pa.Table:
    s = np.vstack(states)
    return pa.table({**rows, **{c: s[:, i] for i, c in enumerate(COLS)}})


def _write(folder: Path) -> Path:
    """Truth every 1 s for 60 s; a two-partner fused picture reported every 2 s."""
    t = np.arange(0.0, 61.0)
    rows: dict[str, list] = {"time_s": [], "object_id": [], "kind": []}
    states = []
    for obj in START:
        rows["time_s"] += t.tolist()
        rows["object_id"] += [obj] * t.size
        rows["kind"] += ["ballistic"] * t.size
        states.append(np.hstack([_truth_at(obj, t), np.tile(VEL[obj], (t.size, 1))]))
    truth = _table(rows, states)
    rng = np.random.default_rng(5)
    reports = np.arange(6.0, 55.0, 2.0)
    prow: dict[str, list] = {"time_s": [], "partner": [], "track_id": []}
    pstates = []
    # north's fused picture: its own T2 track, East's T1 track, a track on T3 (which no
    # radar of its picture sees) and a false track; east's: T1 only, two tracks on it
    layout = {
        "north": [(1, "T2", 300.0), (2, "T1", 800.0), (3, "T3", 500.0), (4, None, 0.0)],
        "east": [(1, "T1", 200.0), (2, "T1", 2_500.0)],
    }
    for partner, tracks in layout.items():
        for tid, obj, err in tracks:
            if obj is None:
                pos = np.tile(pymap3d.geodetic2ecef(-30.0, 130.0, 5_000.0), (reports.size, 1))
            else:
                pos = _truth_at(obj, reports) + rng.normal(0.0, err, (reports.size, 3))
            prow["time_s"] += reports.tolist()
            prow["partner"] += [partner] * reports.size
            prow["track_id"] += [tid] * reports.size
            vel = np.tile(VEL[obj] if obj else (0.0, 0.0, 0.0), (reports.size, 1))
            pstates.append(np.hstack([pos, vel]))
    picture = _table(prow, pstates)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(truth, folder / "truth.parquet")
    pq.write_table(picture, folder / "picture.parquet")
    # own tracks: the fused picture without what others released
    own = picture.filter(
        pc.or_(
            pc.equal(picture["partner"], "east"),
            pc.less_equal(picture["track_id"], 1),
        )
    )
    pq.write_table(own, folder / "tracks.parquet")
    return folder


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("tq") / "run")


def _states(points: np.ndarray, t_s: float) -> list[State]:
    when = T0 + datetime.timedelta(seconds=float(t_s))
    return [State(p.reshape(-1, 1), timestamp=when) for p in points]


def _stonesoup_series(
    times: np.ndarray, truth_at: dict[float, np.ndarray], tracks_at: dict[float, np.ndarray]
) -> np.ndarray:
    """Stone Soup's GOSPA distance at each time (0 where both sets are empty)."""
    metric = GOSPAMetric(c=C_M, p=1.0, measure=Euclidean())
    truths = [s for t in times for s in _states(truth_at[t], t)]
    tracks = [s for t in times for s in _states(tracks_at[t], t)]
    ref = metric.compute_over_time(
        tracks, list(range(len(tracks))), truths, list(range(len(truths)))
    ).value
    out = np.zeros(times.size)
    for r in ref:
        k = int(np.flatnonzero(times == (r.timestamp - T0).total_seconds())[0])
        out[k] = r.value["distance"]
    return out


def _picture_rows(folder: Path, partner: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tab = pq.read_table(folder / "picture.parquet").to_pydict()
    sel = np.array(tab["partner"]) == partner
    t = np.array(tab["time_s"])[sel]
    pos = np.stack([np.array(tab[c])[sel] for c in COLS[:3]], axis=1)
    tid = np.array(tab["track_id"])[sel]
    return t, pos, tid


def _trapezoid_mean(times: np.ndarray, values: np.ndarray) -> float:
    return float(np.sum(np.diff(times) * (values[1:] + values[:-1]) / 2) / (times[-1] - times[0]))


@pytest.mark.parametrize("partner", ["north", "east"])
def test_fused_picture_gospa_equals_stonesoup(run_dir: Path, partner: str) -> None:
    fused = compute_run_metrics(run_dir, tracks_file="picture.parquet")["partners"][partner]
    times = np.array(fused["gospa"]["times_s"])
    t, pos, _ = _picture_rows(run_dir, partner)
    truth_at = {tt: np.stack([_truth_at(o, np.array([tt]))[0] for o in START]) for tt in times}
    tracks_at = {tt: pos[t == tt] for tt in times}
    ref = _stonesoup_series(times, truth_at, tracks_at)
    np.testing.assert_allclose(fused["gospa"]["distance_m"], ref, rtol=1e-9)
    assert fused["gospa"]["mean_distance_m"] == pytest.approx(_trapezoid_mean(times, ref))


def test_covered_gospa_equals_stonesoup_on_covered_truths(run_dir: Path) -> None:
    """Coverage = T1 and T2 only: T3 is not charged, north's track on T3 not counted."""

    def only_t1_t2(partner: str, times_s: np.ndarray, pos_m: np.ndarray) -> np.ndarray:
        t3 = _truth_at("T3", times_s)
        return np.linalg.norm(pos_m - t3, axis=1) > 1.0

    res = compute_run_metrics(run_dir, tracks_file="picture.parquet", coverage=only_t1_t2)
    north = res["partners"]["north"]
    times = np.array(north["gospa"]["times_s"])
    t, pos, tid = _picture_rows(run_dir, "north")
    keep = tid != 3  # the track on T3 (hand-picked: its nearest truth is T3)
    truth_at = {
        tt: np.stack([_truth_at(o, np.array([tt]))[0] for o in ("T1", "T2")]) for tt in times
    }
    tracks_at = {tt: pos[keep & (t == tt)] for tt in times}
    ref = _stonesoup_series(times, truth_at, tracks_at)
    np.testing.assert_allclose(north["gospa"]["distance_m"], ref, rtol=1e-9)
    assert north["gospa"]["mean_truth_count"] == pytest.approx(2.0)
    assert north["n_tracks"] == 3


# -- coverage against an independent line of sight -------------------------------------

K_R_M = 4.0 / 3.0 * 6_371_000.0


def _independent_visible(radar: Radar, lat: float, lon: float, alt: float) -> bool:
    """Sector, elevation band, range and the 4/3-Earth horizon, written out."""
    az, el, rng = pymap3d.geodetic2aer(lat, lon, alt, radar.lat_deg, radar.lon_deg, radar.alt_m)
    off = (float(az) - radar.boresight_az_deg + 180.0) % 360.0 - 180.0
    ground_m = pymap3d.vincenty.vdist(radar.lat_deg, radar.lon_deg, lat, lon)[0]
    horizon_m = math.sqrt(2 * K_R_M * radar.alt_m) + math.sqrt(2 * K_R_M * max(alt, 0.0))
    return bool(
        abs(off) <= radar.sector_half_width_deg
        and radar.min_elevation_deg <= float(el) <= radar.max_elevation_deg
        and float(rng) <= radar.max_range_km * 1e3
        and float(ground_m) < horizon_m
    )


def _offset(radar: Radar, range_m: float, az_deg: float, alt: float) -> tuple[float, float, float]:
    lat, lon = pymap3d.vincenty.vreckon(radar.lat_deg, radar.lon_deg, range_m, az_deg)
    return float(lat), float(lon), alt


def test_coverage_agrees_with_independent_line_of_sight(scenario: Scenario) -> None:
    fcr = next(s for s in scenario.sensors if s.id == "north-fcr-1")
    assert isinstance(fcr, Radar)
    points = [
        _offset(fcr, 100e3, 210.0, 10_000.0),  # in sector, high: seen
        _offset(fcr, 200e3, 230.0, 60.0),  # sea-skimmer beyond the horizon (~130 km)
        _offset(fcr, 80e3, 200.0, 60.0),  # sea-skimmer inside the horizon
        _offset(fcr, 150e3, 30.0, 10_000.0),  # behind the sector
        _offset(fcr, 380e3, 180.0, 20_000.0),  # 20 km up at 380 km: above the horizon
        _offset(fcr, 350e3, 200.0, 60_000.0),  # high, within 400 km
        _offset(fcr, 450e3, 210.0, 200_000.0),  # beyond instrumented range
    ]
    expect = [_independent_visible(fcr, *p) for p in points]
    assert expect[0] and not expect[1] and expect[2] and not expect[3] and not expect[6]
    # only north-fcr-1 can see these points (the others are hundreds of km away)
    for p in points:
        others = [
            s
            for s in scenario.sensors
            if isinstance(s, Radar) and s.id != fcr.id and s.partner == "north"
        ]
        assert not any(_independent_visible(o, *p) for o in others)
    xyz = np.array([pymap3d.geodetic2ecef(*p) for p in points])
    covered = radar_coverage(scenario, 1800.0, fused=False)
    got = covered("north", np.full(len(points), 100.0), xyz)
    assert got.tolist() == expect
    # east's own radars are nowhere near: none covered for east's own picture
    assert not radar_coverage(scenario, 1800.0, fused=False)("east", np.full(7, 100.0), xyz).any()
    # ... but north releases its tracks to east: east's fused picture sees them
    east_fused = radar_coverage(scenario, 1800.0, fused=True)("east", np.full(7, 100.0), xyz)
    assert east_fused.tolist() == expect


def test_outages_and_release_policy(scenario: Scenario) -> None:
    # East keeps only its early-warning radar (the injects take it down 550-700 s)
    sensors = [s for s in scenario.sensors if not s.id.startswith("east-fcr")]
    scenario = scenario.model_copy(update={"sensors": sensors})
    ewr = next(s for s in scenario.sensors if s.id == "east-ewr")
    assert isinstance(ewr, Radar)
    # 20 km up, 250 km down east-ewr's boresight: above its 0.5 degree floor, far
    # beyond every North radar's horizon (north-ewr: about 740 km away, horizon 650 km)
    p = _offset(ewr, 250e3, ewr.boresight_az_deg, 20_000.0)
    assert _independent_visible(ewr, *p)
    radars = [s for s in scenario.sensors if isinstance(s, Radar)]
    assert not any(_independent_visible(r, *p) for r in radars if r.partner == "north")
    xyz = np.array([pymap3d.geodetic2ecef(*p)] * 3)
    times = np.array([500.0, 600.0, 750.0])  # the inject takes east-ewr down 550-700 s
    east = radar_coverage(scenario, 1800.0, fused=False)("east", times, xyz)
    assert east.tolist() == [True, False, True]
    north_own = radar_coverage(scenario, 1800.0, fused=False)("north", times, xyz)
    north_fused = radar_coverage(scenario, 1800.0, fused=True)("north", times, xyz)
    assert not north_own.any()
    assert north_fused.tolist() == [True, False, True]
    alone = scenario.model_copy(update={"coordination_mode": "independent"})
    assert [r.id for r in visible_radars(alone, "north", fused=True)] == [
        r.id for r in visible_radars(alone, "north", fused=False)
    ]
    assert not radar_coverage(alone, 1800.0, fused=True)("north", times, xyz).any()


def test_track_quality_block(run_dir: Path, scenario: Scenario) -> None:
    tq = track_quality(run_dir, scenario)["track_quality"]
    fused_all = compute_run_metrics(run_dir, tracks_file="picture.parquet")["partners"]
    own_all = compute_run_metrics(run_dir)["partners"]
    for partner in ("north", "east"):
        block = tq["partners"][partner]
        g = block["gospa"]
        assert block["gospa_mean_m"] == own_all[partner]["gospa"]["mean_distance_m"]
        assert g["own"]["all"]["gospa_mean_m"] == block["gospa_mean_m"]
        assert g["fused"]["all"]["gospa_mean_m"] == fused_all[partner]["gospa"]["mean_distance_m"]
        # T3 (100 m up, far at sea) is never covered: fewer truths counted
        assert g["own"]["covered"]["gospa_mean_truths"] < g["own"]["all"]["gospa_mean_truths"]
        assert g["fused"]["covered"]["gospa_mean_m"] < g["fused"]["all"]["gospa_mean_m"]
    # north's fused picture holds east's T1 track: better than its own tracks alone
    north = tq["partners"]["north"]["gospa"]
    assert north["fused"]["all"]["gospa_mean_m"] < north["own"]["all"]["gospa_mean_m"]


def test_metrics_cli_fused_and_covered(run_dir: Path, scenario: Scenario) -> None:
    from click.testing import CliRunner

    from skyweave.cli import main
    from skyweave.cli.metrics import metrics_command

    args = [str(run_dir), "--picture", "fused", "--covered", "--scenario", str(EXAMPLE)]
    out = CliRunner().invoke(metrics_command, [*args, "--json"])
    assert out.exit_code == 0, out.output
    expect = compute_run_metrics(
        run_dir,
        tracks_file="picture.parquet",
        coverage=radar_coverage(scenario, scenario.duration_s, fused=True),
    )
    assert json.loads(out.output)["partners"] == json.loads(json.dumps(expect["partners"]))
    # without a scenario there is no coverage: exit 2 with the file named
    missing = CliRunner().invoke(main, ["metrics", str(run_dir), "--covered"])
    assert missing.exit_code == 2
    assert "scenario.json" in missing.output
