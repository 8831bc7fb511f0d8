"""The threat board on a small scenario built to test it, against a hand-built expectation.

Two ballistic missiles launched from one site 5 s apart on Port Delta, one cruise
missile on Port Delta, and East's infrared satellite down from the start with no
lines of sight released: East learns of the launches only from North's alerts over
the link, and its own radars find the missiles later. Expected, for each partner:
one threat per missile (never the same launch twice, however many sources report
it), each salvo member with its own first alert, the cruise missile warned,
ended threats off the board.
"""

from __future__ import annotations

import statistics
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from short_example import short_example
from skyweave.analysis.warning_times import threat_labels
from skyweave.scenario.schema import Scenario
from skyweave.simulation import RunResult, run_scenario
from skyweave.warning.threats import ThreatBoard

PAIR = {
    "type": "ballistic",
    "id": "pair",
    "launch": {"lat_deg": -40.0, "lon_deg": 131.0},
    "aim": {"lat_deg": -34.9, "lon_deg": 138.55},
    "launch_time_s": 20,
    "burn_time_s": 60,
    "salvo": {"count": 2, "over_s": 5},
}
CRUISE = {
    "type": "cruise",
    "id": "cm",
    "launch_time_s": 0,
    "waypoints": [
        {"lat_deg": -36.2, "lon_deg": 137.6},
        {"lat_deg": -34.9, "lon_deg": 138.55},
    ],
    "speed_mps": 260,
    "altitude_m": 60,
}


def board_scenario() -> Scenario:
    """The example's forces and links with the threats above; East's satellite down and
    no lines of sight released, so East's first word of the launches is North's alert."""
    base = short_example(700.0)
    data = base.model_dump(mode="json")
    data["threats"] = [PAIR, CRUISE]
    data["injects"] = [{"time_s": 0, "kind": "sensor_failure", "target": "east-ir-1"}]
    data["policy"] = [r for r in data["policy"] if r["data_class"] != "detections"]
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def run() -> RunResult:
    return run_scenario(board_scenario(), seed=3)


def _rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def test_one_threat_per_missile_for_each_partner(run: RunResult) -> None:
    alerts = _rows(run.tables["alerts"])
    label = threat_labels(run.tables["alerts"])
    for partner in ("north", "east"):
        new = [a for a in alerts if a["partner"] == partner and a["alert_kind"] == "new_threat"]
        about = Counter(label.get((partner, a["threat_id"])) for a in new)
        # exactly one new threat (the launch alert) per missile, nothing else
        assert about == Counter({"pair-1": 1, "pair-2": 1, "cm": 1}), (partner, about)


def test_east_learns_of_the_launches_over_the_link_and_keeps_one_entry(run: RunResult) -> None:
    alerts = _rows(run.tables["alerts"])
    label = threat_labels(run.tables["alerts"])
    first = {}
    for a in alerts:
        if a["alert_kind"] == "new_threat" and a["threat_class"] == "ballistic":
            first[(a["partner"], label[(a["partner"], a["threat_id"])])] = a
    for k in ("pair-1", "pair-2"):
        north, east = first[("north", k)], first[("east", k)]
        # North's own satellite saw the plume; East heard it from North
        assert north["origin_partner"] == "north"
        assert east["origin_partner"] == "north"
        # over a link of a few seconds' latency
        assert 0.0 < east["time_s"] - north["time_s"] < 10.0
    # East's radars track both missiles later: still the same two threats, with
    # East's own predictions (rows from its own data) on them
    east_threats = {a["threat_id"] for a in alerts if a["partner"] == "east"}
    ballistic = {t for t in east_threats if label.get(("east", t), "").startswith("pair")}
    assert len(ballistic) == 2
    own = {
        a["threat_id"] for a in alerts if a["partner"] == "east" and a["origin_partner"] == "east"
    }
    assert ballistic & own


def test_each_salvo_member_has_its_own_warning(run: RunResult) -> None:
    per = {(r["object_id"], r["partner"]): r for r in run.summary["warning"]["per_threat"]}
    for partner in ("north", "east"):
        a, b = per[("pair-1", partner)], per[("pair-2", partner)]
        # plume above the clouds and the satellite's processing: well within a minute
        assert a["first_alert_s"] < 20.0 + 60.0
        assert b["first_alert_s"] < 25.0 + 60.0
        assert a["warning_time_s"] > 350.0 and b["warning_time_s"] > 350.0
    cruise = per[("cm", "east")]
    assert cruise["warning_time_s"] is not None and cruise["warning_time_s"] > 60.0


def test_cruise_missile_threatens_port_delta_and_is_one_threat(run: RunResult) -> None:
    threats = _rows(run.tables["threats"])
    cruise = [t for t in threats if t["truth_object_id"] == "cm"]
    assert cruise
    assert {t["threat_class"] for t in cruise} == {"cruise"}
    for partner in ("north", "east"):
        mine = [t for t in cruise if t["partner"] == partner]
        assert len({t["threat_id"] for t in mine}) == 1
        assert all("port-delta" in t["threatened_assets"] for t in mine)
        assert all(o == "east" for t in mine for o in t["threatened_owners"])


def test_alert_rows_are_state_changes_and_ended_threats_leave(run: RunResult) -> None:
    alerts = _rows(run.tables["alerts"])
    per = Counter((a["partner"], a["threat_id"]) for a in alerts)
    assert statistics.median(per.values()) <= 4
    closing = {"impact", "all_clear"}
    ends: dict[tuple[str, str], float] = {}
    for a in alerts:
        killed = a["alert_kind"] == "engagement_result" and a["change"].startswith("kill")
        if a["alert_kind"] in closing or killed:
            key = (a["partner"], a["threat_id"])
            assert key not in ends, f"{key} ended twice"
            ends[key] = a["time_s"]
    assert ends, "the missiles end within the run"
    for t in _rows(run.tables["threats"]):
        end = ends.get((t["partner"], t["threat_id"]), np.inf)
        assert t["time_s"] <= end, f"{t['threat_id']} on {t['partner']}'s board after its end"


def test_classification_is_kept_on_the_threat() -> None:
    from skyweave.warning.impact import DefendedAssets

    board = ThreatBoard("north", DefendedAssets.empty(), [])
    threat = board._new(10.0, "ballistic", "north")
    assert board.classify(12.0, threat.threat_id, "accidental") is None
    assert board.threat(threat.threat_id).classification == "accidental"
    assert "expected one of" in (board.classify(13.0, threat.threat_id, "hostile") or "")
    assert "no threat" in (board.classify(13.0, "north:T9", "accidental") or "")


def test_advance_ends_what_comes_due_after_a_quiet_stretch() -> None:
    """The quiet time :meth:`ThreatBoard.advance` keeps (nothing ends before it) follows
    the threats' end times, and a change of one (a new prediction) is seen at once."""
    from skyweave.warning.impact import DefendedAssets
    from skyweave.warning.threat_model import PredictedImpact, ground_ecef

    cfg = ThreatBoard("north", DefendedAssets.empty(), []).config
    board = ThreatBoard("north", DefendedAssets.empty(), [])
    early = board._new(0.0, "ballistic", "north")  # nothing predicted: times out
    late = board._new(0.0, "ballistic", "north")

    def impact(time_s: float) -> PredictedImpact:
        return PredictedImpact(time_s, 1.0, 2.0, ground_ecef(1.0, 2.0), 1.0, 1.0, 0.0, "own")

    late.impact = impact(500.0)
    for t in (100.0, 400.0, 500.0 + cfg.impact_grace_s):  # the first sets the quiet time
        board.advance(t)
        assert early.open and late.open
    late.impact = impact(200.0)  # a new prediction, already past
    board.advance(500.0 + cfg.impact_grace_s)
    assert early.open and not late.open and late.lifecycle == "impacted"
    board.advance(cfg.detected_timeout_s)
    assert early.open
    board.advance(cfg.detected_timeout_s + 0.5)
    assert not early.open
