"""A guard on the memory a run will need, checked before it starts.

The run holds arrays whose sizes follow from the scenario: truth on every time step for
every object, one detection row per object or false alarm per radar scan or infrared
frame, and the recorded tables on the output grid. :func:`estimate_run_bytes` adds these
up with per-row costs measured on the example (peak resident memory over the counted
rows, rounded up), so it errs high by a small factor, never by orders of magnitude; what
it must catch is the scenario that asks for terabytes (``revisit_s: 1e-9``,
``time_step_s: 1e-6`` on a day-long run) before any computation.
"""

from __future__ import annotations

from dataclasses import dataclass

from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import InfraredSatellite, Radar, Scenario

#: largest estimated memory a run may need, bytes
MAX_RUN_BYTES = 8 * 2**30

# bytes per counted row, measured on the example run and rounded up: truth (ECEF state,
# geodetic, flags and the propagators' temporaries) per object and step; a detection
# (about 25 columns plus the tracker's share) per object or false alarm and scan; a
# recorded row per object and output step
_TRUTH_BYTES = 400
_DETECTION_BYTES = 1_000
_OUTPUT_BYTES = 1_000
# the interpreter, NumPy, SciPy and pyarrow before any array
_BASE_BYTES = 300 * 2**20
# Share of (scan, threat) pairs that give a detection: a radar sees only the threats in
# flight, in range, in its sector and above its horizon. Measured: 1/18 on the example
# (2,088 detections of 38,592 counted), 1/78 on a 300-threat raid (72,731 of 5.7 million);
# 1/10 errs high.
_SEEN_FRACTION = 0.1


@dataclass(frozen=True)
class RunSize:
    """What a run will hold, counted from its scenario."""

    steps: int
    objects: int
    detection_rows: float
    output_rows: float

    @property
    def bytes(self) -> float:
        """Estimated peak memory, bytes."""
        return (
            _BASE_BYTES
            + _TRUTH_BYTES * self.steps * self.objects
            + _DETECTION_BYTES * self.detection_rows
            + _OUTPUT_BYTES * self.output_rows
        )


def estimate_run_size(scenario: Scenario, until_s: float | None = None) -> RunSize:
    """Count the rows a run of ``scenario`` (up to ``until_s``) will hold.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    until_s : float, optional
        Stop time if shorter than the scenario's duration.
    """
    duration_s = scenario.duration_s if until_s is None else min(until_s, scenario.duration_s)
    steps = int(duration_s / scenario.time_step_s) + 1
    threats = sum(1 if t.salvo is None else t.salvo.count for t in scenario.threats)
    interceptors = sum(b.interceptors for b in scenario.batteries)
    objects = max(threats + interceptors, 1)
    detections = 0.0
    for sensor in scenario.sensors:
        if isinstance(sensor, Radar):
            scans = duration_s / sensor.revisit_s + 1
            detections += scans * (_SEEN_FRACTION * threats + sensor.false_alarms_per_scan)
        elif isinstance(sensor, InfraredSatellite):
            # a satellite sees a rocket only while its motor burns
            detections += (duration_s / sensor.frame_period_s + 1) * threats * _SEEN_FRACTION
    outputs = (
        (duration_s / scenario.output_interval_s + 1) * objects * max(len(scenario.partners), 1)
    )
    return RunSize(steps=steps, objects=objects, detection_rows=detections, output_rows=outputs)


def check_run_size(
    scenario: Scenario,
    until_s: float | None = None,
    source: str = "scenario",
    limit_bytes: float = MAX_RUN_BYTES,
) -> None:
    """Refuse a run whose estimated memory exceeds ``limit_bytes`` (8 GiB by default).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    until_s : float, optional
        Stop time if shorter than the scenario's duration.
    source : str
        The file named in the message.
    limit_bytes : float
        The limit.

    Raises
    ------
    InputError
        Naming the estimate, the limit and the fields that drive it.
    """
    size = estimate_run_size(scenario, until_s)
    if size.bytes <= limit_bytes:
        return
    parts = {
        f"truth: {size.steps:,} time steps x {size.objects:,} objects (time_step_s)": (
            _TRUTH_BYTES * size.steps * size.objects
        ),
        f"detections: {size.detection_rows:,.0f} rows (radar revisit_s, "
        "false_alarms_per_scan; infrared frame_period_s)": _DETECTION_BYTES * size.detection_rows,
        f"recorded tables: {size.output_rows:,.0f} rows (output_interval_s)": (
            _OUTPUT_BYTES * size.output_rows
        ),
    }
    driver = max(parts, key=lambda k: parts[k])
    raise InputError(
        [
            Problem(
                source,
                f"this run would need about {size.bytes / 2**30:,.1f} GiB of memory, above "
                f"the {limit_bytes / 2**30:g} GiB limit; most of it for {driver}: "
                "lengthen the interval or shorten duration_s",
            )
        ]
    )
