"""Staff measures from hand-made run tables: every number is worked out by hand here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from skyweave.analysis.staff_measures import staff_measures


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
