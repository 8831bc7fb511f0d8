"""The stepped engine: causal, prefix-stable, driven by time-stamped commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from skyweave.engine import Simulation
from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Scenario
from skyweave.simulation import run_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"

#: the column that places a row in time, per table (detections: the scan time)
TIME_COLUMN = {
    "truth": "time_s",
    "detections": "time_s",
    "tracks": "time_s",
    "picture": "time_s",
    "alerts": "time_s",
    "events": "time_s",
    "engagements": "end_time_s",
}


def _rows_until(table: pa.Table, column: str, until_s: float) -> list[dict[str, Any]]:
    times = np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)
    keep = np.flatnonzero(times <= until_s)
    return [
        {k: "NaN" if isinstance(v, float) and v != v else v for k, v in row.items()}
        for row in table.take(pa.array(keep)).to_pylist()
    ]


@pytest.fixture(scope="module")
def example() -> Scenario:
    return load_scenario(EXAMPLE)


def test_a_run_to_800_s_is_a_prefix_of_a_longer_run(example: Scenario) -> None:
    # Before the stepped engine, --until 900 moved the first engagement from 715 s to
    # 725 s and the first false alarm to another range (seed 7).
    short = run_scenario(example, 7, until_s=800.0)
    full = run_scenario(example, 7, until_s=1000.0)
    assert short.summary["simulated_s"] == 800.0
    assert full.tables["engagements"].num_rows > 0
    for name, column in TIME_COLUMN.items():
        a = _rows_until(short.tables[name], column, 800.0)
        b = _rows_until(full.tables[name], column, 800.0)
        assert a == b, name
        assert a, f"{name}: nothing before 900 s to compare"


def test_the_seed_that_did_not_settle_runs(example: Scenario) -> None:
    # The feedback loop raised "the engagement feedback did not settle" here.
    result = run_scenario(example, 2021340933837429789, until_s=900.0)
    assert result.summary["simulated_s"] == 900.0
    assert "feedback_passes" not in result.summary["engagement"]


def _infrared_only(example: Scenario) -> Scenario:
    """North alone, with its satellite only, against the opening salvo."""
    north_ir = [s for s in example.sensors if s.id == "north-ir-1"]
    raid = [t for t in example.threats if t.id == "raid-n"]
    return example.model_copy(
        update={
            "partners": [example.partners[0]],
            "defended_assets": [a for a in example.defended_assets if a.partner == "north"],
            "sensors": north_ir,
            "batteries": [],
            "links": [],
            "policy": [],
            "injects": [],
            "threats": raid,
            "duration_s": 400.0,
            "coordination_mode": "independent",
            "c2": example.c2.model_copy(update={"coalition_cell": None}),
        }
    )


def test_an_infrared_only_partner_is_warned_within_its_processing_delay(
    example: Scenario,
) -> None:
    # Infrared used to be read only when radar tracks updated: alerts at t = 1800 s.
    scenario = _infrared_only(example)
    result = run_scenario(scenario, 1)
    det = result.tables["detections"].to_pydict()
    alerts = result.tables["alerts"].to_pydict()
    assert det["time_s"], "the satellite saw nothing"
    launch_alerts = [
        t for t, k in zip(alerts["time_s"], alerts["alert_kind"], strict=True) if k == "new_threat"
    ]
    assert launch_alerts, f"no launch alert: kinds {set(alerts['alert_kind'])}"
    delay_s = scenario.sensors[0].processing_delay_s
    first_frame_s = min(det["time_s"])
    assert min(launch_alerts) <= first_frame_s + delay_s + scenario.time_step_s


def test_infrared_only_warning_comes_with_the_first_reports_not_at_the_end(
    example: Scenario,
) -> None:
    scenario = _infrared_only(example)
    sim = Simulation(scenario, 1)
    sim.run_until(150.0)
    view = sim.partner_view("north")
    assert sum(len(a) for a in view.alerts) > 0


# -- commands -------------------------------------------------------------------------


def test_kills_known_reads_the_news_as_a_scan_of_every_kill_would(
    example: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine tells each post's board the kills it knows, reading only the decision
    stage's news since the last tick: the same tracks, in the same order, as a scan of
    every kill known so far at every tick (the form it replaced)."""
    incremental = Simulation._kills_known
    told_any: list[int] = []

    def checked(self: Simulation, t: float, out: dict[str, list[int]]) -> None:
        told = set(self._kills_told)
        want = {p: list(v) for p, v in out.items()}
        for p, known in self.decision.known_kill.items():
            if p not in self.stages:
                continue
            for track_id, known_s in known.items():
                if track_id.startswith(f"{p}:") and known_s <= t and (p, track_id) not in told:
                    told.add((p, track_id))
                    want.setdefault(p, []).append(int(track_id.rsplit(":", 1)[1]))
        incremental(self, t, out)
        assert list(out.items()) == list(want.items())
        assert self._kills_told == told
        told_any.append(sum(map(len, out.values())))

    monkeypatch.setattr(Simulation, "_kills_known", checked)
    for mode in ("shared-warning", "integrated"):
        run_scenario(example.model_copy(update={"coordination_mode": mode}), 7)
    assert sum(told_any) > 0


def test_a_run_collects_fully_ten_times_rarer_and_restores_the_setting(example: Scenario) -> None:
    """The garbage collector's full-collection threshold is raised while a run lasts (it
    walks every long-lived object of the run) and given back after it, even by a run that
    fails."""
    import gc

    from skyweave.simulation import RUN_GC_THRESHOLD2, rare_full_collections

    before = gc.get_threshold()
    seen: list[int] = []
    run_scenario(example, 1, until_s=20.0, on_tick=lambda sim: seen.append(gc.get_threshold()[2]))
    assert seen and set(seen) == {max(before[2], RUN_GC_THRESHOLD2)}
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), rare_full_collections(), rare_full_collections():
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == before
