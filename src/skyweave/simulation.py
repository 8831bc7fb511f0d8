"""One run of a scenario: the engine driven to the end, and the tables and measures it wrote.

The engine (:class:`skyweave.engine.Simulation`) advances every stage tick by
tick; this module drives it (batch runs, ``--replay``, ``compare``) and turns
what it recorded into the run folder's tables and summary.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from skyweave import __version__
from skyweave.analysis.engagement_measures import engagement_measures
from skyweave.analysis.staff_measures import staff_measures
from skyweave.analysis.threat_summary import threat_rows as flown_threat_rows
from skyweave.analysis.warning_times import ThreatTiming, warning_measures
from skyweave.c2.decision_log import decisions_table, reason_counts, refusal_reason
from skyweave.engagement import (
    Engagement,
    Refusal,
    engagement_columns,
    interceptor_truth,
    killed_and_merged,
)
from skyweave.engine.commands import Command
from skyweave.engine.simulation import EventRow, Simulation, time_grid
from skyweave.io.console import tick_progress
from skyweave.io.run_folder import truth_table
from skyweave.kinematics.from_scenario import ThreatFlight
from skyweave.kinematics.truth import Truth
from skyweave.scenario.schema import Scenario
from skyweave.sensors import (
    Detections,
    concat_detections,
    detections_to_arrow_table,
    empty_detections,
)
from skyweave.tracking.shared_picture import PICTURE_SCHEMA
from skyweave.warning.alerts import Alerts, alerts_to_arrow_table, empty_alerts

__all__ = ["RunResult", "engagements_table", "run_result", "run_scenario", "time_grid"]

# Once per process: Arrow's default pool (mimalloc) keeps the pages of the run tables'
# builders after they are freed; the large raid's peak was 190 MB higher than with the
# C library's pool (the same tables, no slower).
pa.set_memory_pool(pa.system_memory_pool())


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, ready to be written to its folder."""

    truth: Truth
    detections: Detections
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    wall_s: float = 0.0
    engagements: tuple[Engagement, ...] = ()
    commands: tuple[Command, ...] = ()


EVENTS_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("target", pa.string()),
        ("text", pa.string()),
    ]
)


def events_table(sim: Simulation) -> pa.Table:
    """``events.parquet``: injects, the network's state changes, operator commands and
    consent decisions (at the time they were answered), in time order."""
    rows = [
        EventRow(t, "network", kind, subject, "")
        for t, kind, subject in sim.boundary.state_changes()
        if t <= sim.time_s
    ]
    rows += sim.events
    rows += [
        EventRow(
            d.answered_s,
            "c2",
            "consent_granted" if d.granted else "consent_denied",
            d.battery_id,
            d.event_text(),
        )
        for d in sim.decision.decisions
    ]
    rows.sort(key=lambda r: (r.time_s, r.source, r.kind, r.target or "", r.text))
    return pa.table(
        {f.name: pa.array([getattr(r, f.name) for r in rows], f.type) for f in EVENTS_SCHEMA},
        schema=EVENTS_SCHEMA,
    )


def _alerts_table(alerts: Sequence[Alerts]) -> pa.Table:
    return alerts_to_arrow_table([a for a in alerts if len(a)] or [empty_alerts()])


#: full collections during a run: one per this many younger ones (Python's default 10)
RUN_GC_THRESHOLD2 = 100
_gc_lock = threading.Lock()
_gc_runs = [0, 10]  # runs under way in this process, the threshold to restore


@contextlib.contextmanager
def rare_full_collections() -> Iterator[None]:
    """Full garbage collections ten times rarer while a run lasts (restored after).

    A run keeps hundreds of thousands of long-lived objects (board records, decision-log
    rows, engagements) and leaves few reference cycles to free; each full collection
    walks all of them again, some 3 % of the large raid's time at Python's default
    threshold. Peak memory is unchanged (measured on the large raid). Runs in threads of
    one process (a Dask worker) share the setting; the last one out restores it.
    """
    with _gc_lock:
        if _gc_runs[0] == 0:
            young, middle, _gc_runs[1] = gc.get_threshold()
            gc.set_threshold(young, middle, max(_gc_runs[1], RUN_GC_THRESHOLD2))
        _gc_runs[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_runs[0] -= 1
            if _gc_runs[0] == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, _gc_runs[1])


def run_scenario(
    scenario: Scenario,
    seed: int,
    until_s: float | None = None,
    progress: bool = False,
    commands: Sequence[Command] = (),
    on_tick: Callable[[Simulation], None] | None = None,
) -> RunResult:
    """Run ``scenario`` with ``seed`` (and an operators' command log) to ``until_s``.

    ``on_tick`` sees the simulation after every tick (a live output such as DIS
    reads it there; it must not change it). Returns the run's tables and summary
    (nothing written).
    """
    wall_start = time.perf_counter()
    sim = Simulation(scenario, seed, commands)
    end_s = sim.end_s if until_s is None else min(float(until_s), sim.end_s)
    with rare_full_collections():
        with tick_progress(end_s, progress) as advance:
            while not sim.done and sim.times_s[sim.tick + 1] <= end_s + 1e-9:
                sim.step()
                if on_tick is not None:
                    on_tick(sim)
                advance(sim.time_s)
        return run_result(sim, time.perf_counter() - wall_start)


def run_result(sim: Simulation, wall_s: float = 0.0) -> RunResult:
    """The tables and summary of a run stepped to its current tick."""
    scenario = sim.scenario
    log = sim.finish()
    times_s = sim.times_s[: sim.tick + 1]
    planned = _truncate(sim.truth, sim.tick + 1)
    killed = dict(log.killed_at_s)
    flying = [replace(e, end_time_s=e.intercept_time_s) for e in log.in_flight]
    truth = killed_and_merged(
        planned, killed, interceptor_truth(times_s, [*log.engagements, *flying])
    )
    detections = concat_detections(sim.detections) if sim.detections else empty_detections()
    tracks = pa.concat_tables([s.tracks_table() for s in sim.stages.values()])
    pictures = [t for s in sim.stages.values() for t in s.picture_tables()]
    all_engagements = sorted([*log.engagements, *log.in_flight], key=lambda e: e.engagement_id)
    tables = {
        "truth": truth_table(truth, scenario.output_interval_s),
        "detections": detections_to_arrow_table(detections),
        "tracks": tracks,
        "picture": pa.concat_tables(pictures) if pictures else PICTURE_SCHEMA.empty_table(),
        "alerts": _alerts_table(sim.alerts),
        "threats": pa.concat_tables([s.threat_table.table() for s in sim.stages.values()]),
        "events": events_table(sim),
        "engagements": engagements_table(all_engagements, sim.decision.lineage),
        "decisions": decisions_table(sim.decision.log),
    }
    flights = sim.threat_flights()
    end_s = float(times_s[-1])
    summary_warning = warning_measures(
        _threat_timings(flights),
        sim.partners,
        tables["truth"],
        tables["detections"],
        tables["tracks"],
        tables["alerts"],
    )
    threat_rows = flown_threat_rows(flights, killed, end_s, scenario.defended_assets, planned)
    engagement = engagement_measures(
        scenario,
        threat_rows,
        tables["engagements"],
        killed,
        summary_warning["per_threat"],
        end_s=end_s,
    )
    kinds: dict[str, int] = {}
    for kind in planned.kinds:
        kinds[kind] = kinds.get(kind, 0) + 1
    granted = sum(d.granted for d in log.decisions)
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": sim.seed,
        "skyweave_version": __version__,
        "coordination_mode": scenario.coordination_mode,
        "simulated_s": end_s,
        "counts": {
            "partners": len(scenario.partners),
            "defended_assets": len(scenario.defended_assets),
            "sensors": len(scenario.sensors),
            "batteries": len(scenario.batteries),
            "threats": len(planned.object_ids),
            "threats_by_kind": kinds,
            "detections": int(len(detections.time_s)),
            "false_alarms": int(sum(1 for o in detections.object_id if o is None)),
            "commands": sum(1 for c in sim.applied if not c.scripted),
        },
        "threats": threat_rows,
        "warning": summary_warning,
        "engagement": {
            **engagement,
            "decision_cycles": log.cycles,
            "consent": {"granted": granted, "denied": len(log.decisions) - granted},
            "orders_refused": log.refusals,
            # decisions.parquet's rows (cycle, post, threat) by outcome
            "decision_reasons": reason_counts(sim.decision.log),
            "orders_refused_by_reason": _refusal_counts(sim.decision.model.refusals),
        },
    }
    # what the link boundary did with every release the policy granted, as offered
    # (``withheld``: another originator's policy kept it back)
    summary["network"] = {
        pair: {c: dict(sorted(o.items())) for c, o in sorted(per.items())}
        for pair, per in sorted(sim.links.outcomes.items())
    }
    summary["staff"] = staff_measures(
        summary, tables, battery_partner={b.id: b.partner for b in scenario.batteries}
    )
    return RunResult(
        truth=truth,
        detections=detections,
        tables=tables,
        summary=summary,
        wall_s=round(wall_s, 3),
        engagements=tuple(all_engagements),
        commands=tuple(c for c in sim.applied if not c.scripted),
    )


def _refusal_counts(refusals: Sequence[Refusal]) -> dict[str, int]:
    """Refused orders by the decision log's reason (those that occurred)."""
    out: dict[str, int] = {}
    for r in refusals:
        key = refusal_reason(r.reason)
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def _truncate(truth: Truth, n: int) -> Truth:
    return replace(truth, times_s=truth.times_s[:n], states=truth.states[:n])


def _threat_timings(flights: Sequence[ThreatFlight]) -> list[ThreatTiming]:
    return [
        ThreatTiming(
            object_id=f.object_id,
            kind=f.kind,
            launch_time_s=f.launch_time_s,
            launch_lat_deg=f.launch_lat_deg,
            launch_lon_deg=f.launch_lon_deg,
            impact_time_s=f.end_time_s if f.kind != "aircraft" else float("nan"),
        )
        for f in flights
    ]


ENGAGEMENTS_EXTRA = ("intercept", "launch")


def engagements_table(
    engagements: Sequence[Engagement], lineage: Mapping[int, tuple[str, ...]] | None = None
) -> pa.Table:
    """``engagements.parquet``: one row per engagement, in engagement id order.

    The columns of :data:`~skyweave.engagement.ENGAGEMENT_COLUMNS`, plus the
    planned intercept point and the launch point in ECEF
    (``intercept_x_m`` ... ``launch_z_m``) and, with ``lineage``, ``originators``:
    the partners whose tracks the engaged picture track fused.
    """
    cols: dict[str, Any] = dict(engagement_columns(engagements))
    rows = sorted(engagements, key=lambda e: e.engagement_id)
    for name in ENGAGEMENTS_EXTRA:
        xyz = np.array([getattr(e, f"{name}_ecef_m") for e in rows], dtype=np.float64)
        xyz = xyz.reshape(len(rows), 3)
        for k, axis in enumerate("xyz"):
            cols[f"{name}_{axis}_m"] = xyz[:, k]
    arrays = {}
    for name, values in cols.items():
        if values.dtype == object:
            arrays[name] = pa.array(values.tolist(), pa.string())
        else:
            arrays[name] = pa.array(values)
    if lineage is not None:
        arrays["originators"] = pa.array(
            [list(lineage.get(e.engagement_id, (e.partner,))) for e in rows],
            pa.list_(pa.string()),
        )
    return pa.table(arrays)
