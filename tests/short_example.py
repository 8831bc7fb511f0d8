"""The shipped example cut short, and a stray launch on Port Delta, for the tests that
need a quick run of the joint exercise."""

from __future__ import annotations

from pathlib import Path

from skyweave.scenario import load_scenario
from skyweave.scenario.schema import Scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"

#: an accidental ballistic launch close to Port Delta: East's staff are asked to
#: consent to engaging it within a few minutes (seed 1: q1 at 200 s)
STRAY = {
    "type": "ballistic",
    "id": "wc-1",
    "launch": {"lat_deg": -36.8, "lon_deg": 137.2},
    "aim": {"lat_deg": -34.9, "lon_deg": 138.55},
    "burn_time_s": 40,
    "accidental": True,
}


def short_example(duration_s: float, example: Scenario | None = None) -> Scenario:
    """The example (or ``example``) cut to its first ``duration_s``: threats and
    injects after it left out, the others at their times."""
    s = load_scenario(EXAMPLE) if example is None else example
    return s.model_copy(
        update={
            "duration_s": duration_s,
            "threats": [t for t in s.threats if t.launch_time_s < duration_s],
            "injects": [i for i in s.injects if i.time_s < duration_s],
        }
    )
