"""A cheap scenario to plan in the tests: the example cut to 200 s at 5 s steps, one
stray launch on Port Delta, the fire-control radars without false alarms and the
infrared satellites, and no launch alerts released (the staffs agree them in the plan)."""

from __future__ import annotations

from short_example import STRAY, short_example
from skyweave.scenario.schema import BallisticThreat, Radar, Scenario


def plan_scenario() -> Scenario:
    s = short_example(200.0)
    keep = ("north-ir-1", "east-ir-1", "north-fcr-1", "east-fcr-1")
    sensors = [
        x.model_copy(update={"false_alarms_per_scan": 0.0}) if isinstance(x, Radar) else x
        for x in s.sensors
        if x.id in keep
    ]
    return s.model_copy(
        update={
            "time_step_s": 5.0,
            "threats": [BallisticThreat.model_validate({**STRAY, "launch_time_s": 10.0})],
            "sensors": sensors,
            "policy": [r for r in s.policy if r.data_class != "launch_alerts"],
        }
    )
