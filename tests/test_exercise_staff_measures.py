"""Staff measures from hand-made run tables: every number is worked out by hand here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from skyweave.analysis.staff_measures import staff_measures
from skyweave.analysis.warning_times import ThreatTiming, warning_measures


def _events(rows: list[tuple[float, str, str, str | None, str]]) -> pa.Table:
    keys = ("time_s", "source", "kind", "target", "text")
    return pa.table({k: [r[i] for r in rows] for i, k in enumerate(keys)})


def test_staff_measures_by_hand() -> None:
    summary = {
        "threats": [
            {"object_id": "stray", "launch_time_s": 100.0, "accidental": True},
            {"object_id": "raid", "launch_time_s": 50.0, "accidental": False},
        ],
        "warning": {
            "per_threat": [
                {"object_id": "stray", "partner": "east", "first_alert_s": 130.0},
                {"object_id": "raid", "partner": "east", "first_alert_s": 70.0},
                {"object_id": "raid", "partner": "north", "first_alert_s": None},
            ]
        },
    }
    q = "cycle=3 track=east:1 asked_s={a!r} partner=east by={by}"
    events = _events(
        [
            (72.0, "east", "hold_fire", "east-bty-1", ""),
            (
                80.0,
                "c2",
                "consent_granted",
                "east-bty-1",
                "question=q1 " + q.format(a=74.0, by="east"),
            ),
            (
                95.0,
                "c2",
                "consent_granted",
                "east-bty-2",
                "question=q2 " + q.format(a=75.0, by="policy"),
            ),
            (
                96.0,
                "c2",
                "consent_denied",
                "east-bty-1",
                "question=q3 " + q.format(a=90.0, by="east"),
            ),
            (
                97.0,
                "c2",
                "consent_granted",
                "north-bty-1",
                "question=- cycle=3 track=north:1 asked_s=97.0 partner=north by=policy",
            ),
            (140.0, "east", "classify", "east:4", "deliberate"),
            (141.0, "east", "classify", "east:4", "accidental"),
            (142.0, "east", "command_rejected", "engage", "unknown battery"),
        ]
    )
    alerts = pa.table({"time_s": [70.0, 130.0, 71.0], "partner": ["east", "east", "north"]})
    # east's picture track 4 at t=140 sits 1 km from "stray", 300 km from "raid"
    picture = pa.table(
        {
            "time_s": [135.0, 140.0],
            "partner": ["east", "east"],
            "track_id": [4, 4],
            "x_m": [0.0, 1000.0],
            "y_m": [0.0, 0.0],
            "z_m": [0.0, 0.0],
        }
    )
    truth = pa.table(
        {
            "time_s": [140.0, 140.0, 140.0],
            "object_id": ["stray", "raid", "north-bty-1/e1/0"],
            "kind": ["ballistic", "ballistic", "interceptor"],
            "x_m": [0.0, 301_000.0, 1000.0],
            "y_m": [0.0, 0.0, 0.0],
            "z_m": [0.0, 0.0, 0.0],
        }
    )
    m = staff_measures(
        summary, {"events": events, "alerts": alerts, "picture": picture, "truth": truth}
    )
    east = m["east"]
    assert east["launch_to_first_alert"]["median_s"] == pytest.approx((30.0 + 20.0) / 2)
    consent = east["consent"]
    assert [c["question_id"] for c in consent["questions"]] == ["q1", "q2", "q3"]
    assert [c["delay_s"] for c in consent["questions"]] == [6.0, 20.0, 6.0]
    assert consent["timed_out"] == 1 and consent["answered_by_staff"] == 2
    assert consent["median_delay_s"] == 6.0
    assert east["alert_to_first_order_s"] == 72.0 - 70.0
    calls = [(c["as"], c["object_id"], c["right"]) for c in east["classifications"]]
    assert calls == [("deliberate", "stray", False), ("accidental", "stray", True)]
    assert east["classifications"][1]["launch_to_classification_s"] == 41.0
    assert (east["classified_right"], east["classified_wrong"]) == (1, 1)
    assert east["orders"]["hold_fire"] == 1 and east["orders"]["command_rejected"] == 1
    north = m["north"]
    assert north["consent"]["questions"] == []  # an "always" policy asks nobody
    assert north["launch_to_first_alert"]["per_threat"] == []
    assert north["alert_to_first_order_s"] is None


def _consent(t: float, question: str, granted: bool, by: str) -> tuple:
    kind = "consent_granted" if granted else "consent_denied"
    text = f"question={question} cycle=1 track=east:1 asked_s={t - 3.0!r} partner=east by={by}"
    return (t, "c2", kind, "e1", text)


def test_holds_and_overrides_by_hand() -> None:
    # a small command log, the holds in force worked out by hand line by line
    log = [
        (10.0, "white", "hold_fire", "east", ""),  # white holds all of East
        (20.0, "east", "weapons_free", "e1", ""),  # lifts white's hold on e1: override 1
        (25.0, "east", "weapons_free", "e1", ""),  # nothing held on e1
        (30.0, "east", "hold_fire", "e2", ""),  # e2 (still under white's hold) held by East
        (40.0, "east", "weapons_free", "east", ""),  # lifts both holds: override 2
        (50.0, "east", "weapons_free", "east", ""),  # nothing held
        (60.0, "east", "engage", "e1", "track=east:4"),  # override 3
        (70.0, "white", "hold_fire", "e2", ""),  # e2 is East's (East's own hold named it)
        (80.0, "east", "weapons_free", "e2", ""),  # lifts white's hold: override 4
        (90.0, "north", "hold_fire", "n1", ""),  # North's, not East's
        (92.0, "white", "hold_fire", "x9", ""),  # a battery no East row names
        (95.0, "east", "weapons_free", "east", ""),  # lifts x9's hold only if x9 is known
        _consent(100.0, "q1", False, "east"),  # the policy would grant: override 5
        _consent(101.0, "q2", True, "east"),  # as the policy would
        _consent(102.0, "q3", True, "policy"),  # the policy itself
        (110.0, "white", "engage", "e1", "track=east:5"),  # the white cell's, not the staff's
    ]
    summary = {"threats": [], "warning": {"per_threat": []}}
    empty = pa.table({"time_s": pa.array([], pa.float64()), "partner": pa.array([], pa.string())})
    tables = {"events": _events(log), "alerts": empty, "picture": empty, "truth": empty}
    tables["alerts"] = pa.table({"time_s": [5.0, 5.0], "partner": ["east", "north"]})
    holds = staff_measures(summary, tables)["east"]["holds"]
    assert (holds["hold_fire"], holds["weapons_free"], holds["engage"]) == (1, 6, 1)
    assert (holds["holds_lifted"], holds["consent_overrides"], holds["overrides"]) == (3, 1, 5)
    assert [o["time_s"] for o in holds["override_orders"]] == [20.0, 40.0, 60.0, 80.0, 100.0]
    assert holds["override_orders"][1]["over"] == "hold by east, white"
    owners = {"e1": "east", "e2": "east", "x9": "east", "n1": "north"}
    holds = staff_measures(summary, tables, battery_partner=owners)["east"]["holds"]
    assert (holds["holds_lifted"], holds["overrides"]) == (4, 6)
    assert holds["override_orders"][4] == {
        "time_s": 95.0,
        "kind": "weapons_free",
        "target": "east",
        "over": "hold by white",
    }
    north = staff_measures(summary, tables, battery_partner=owners)["north"]["holds"]
    assert (north["hold_fire"], north["overrides"]) == (1, 0)


def test_alert_to_partner_warned_by_hand() -> None:
    """Three partners, two launches; alerts own and received (a received row carries the
    receiver as ``partner``, its arrival as ``time_s`` and the issuer as ``origin_partner``)."""
    a_ll, b_ll = (-30.0, 130.0), (-20.0, 140.0)
    threats = [
        ThreatTiming("A", "ballistic", 100.0, *a_ll, 600.0),
        ThreatTiming("B", "ballistic", 200.0, *b_ll, 700.0),
    ]
    rows = [  # (time, receiving partner, origin, launch point)
        (130.0, "north", "north", a_ll),  # North issues on A
        (134.0, "east", "north", a_ll),  # East receives it: warned 4 s after
        (140.0, "east", "east", a_ll),  # East's own, later
        (210.0, "east", "east", b_ll),  # East issues on B
        (215.0, "north", "east", b_ll),  # North receives it ...
        (215.0, "north", "north", b_ll),  # ... and issues its own at the same time
    ]
    n = len(rows)
    alerts = pa.table(
        {
            "time_s": [r[0] for r in rows],
            "partner": [r[1] for r in rows],
            "origin_partner": [r[2] for r in rows],
            "alert_kind": ["new_threat"] * n,
            "track_id": pa.array([None] * n, pa.int64()),
            # each partner's board entry, and the truth object it was about (scoring)
            "threat_id": [f"{r[1]}:T{1 if r[3] == a_ll else 2}" for r in rows],
            "truth_object_id": ["A" if r[3] == a_ll else "B" for r in rows],
            "launch_lat_deg": [r[3][0] for r in rows],
            "launch_lon_deg": [r[3][1] for r in rows],
        }
    )
    none = pa.table(
        {
            "time_s": pa.array([], pa.float64()),
            "object_id": pa.array([], pa.string()),
            "partner": pa.array([], pa.string()),
            "report_time_s": pa.array([], pa.float64()),
            "track_id": pa.array([], pa.int64()),
            **{c: pa.array([], pa.float64()) for c in ("x_m", "y_m", "z_m")},
        }
    )
    warning = warning_measures(threats, ["north", "east", "south"], none, none, none, alerts)
    summary = {
        "threats": [
            {"object_id": t.object_id, "launch_time_s": t.launch_time_s, "accidental": False}
            for t in threats
        ],
        "warning": warning,
    }
    empty_events = _events([])
    m = staff_measures(
        summary, {"events": empty_events, "alerts": alerts, "picture": none, "truth": none}
    )
    got = {
        p: [
            (r["object_id"], r["alert_to_warned_s"], r["warned_by"])
            for r in v["alert_to_warned"]["per_threat"]
        ]
        for p, v in m.items()
    }
    assert got["north"] == [("A", 0.0, "north"), ("B", 5.0, "north")]  # own wins the tie
    assert got["east"] == [("A", 4.0, "north"), ("B", 0.0, "east")]
    assert got["south"] == [("A", None, None), ("B", None, None)]
    assert m["north"]["alert_to_warned"]["median_s"] == 2.5
    assert m["east"]["alert_to_warned"]["median_s"] == 2.0
    assert m["south"]["alert_to_warned"]["not_warned"] == 2
    first = m["east"]["alert_to_warned"]["per_threat"]
    assert [(r["first_alert_s"], r["first_alert_by"]) for r in first] == [
        (130.0, "north"),
        (210.0, "east"),
    ]
