"""Compare coordination modes on the same seeds: the value of sharing, measured."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from skyweave.scenario.schema import Scenario

MODES = ("independent", "shared-warning", "integrated")


@dataclass(frozen=True)
class ModeRow:
    """One (mode, partner) line of the comparison, aggregated over seeds."""

    mode: str
    partner: str
    runs: int
    warned: float
    median_warning_s: float | None
    worst_warning_s: float | None
    accidental_warning_s: float | None
    gospa_mean_km: float | None


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.fmean(kept) if kept else None


def compare_modes(
    scenario: Scenario,
    modes: Sequence[str],
    seeds: Sequence[int],
    run: Callable[[Scenario, int], dict[str, Any]],
    on_run_done: Callable[[], None] | None = None,
) -> list[ModeRow]:
    """Run ``scenario`` in each mode on each seed; one row per mode and partner.

    ``run`` returns a run's summary (``skyweave.simulation`` and the track
    quality); it is a parameter so the caller decides how runs are executed.
    Warning figures are means over seeds of each seed's median and worst.
    """
    accidental = {
        t.id for t in scenario.threats if getattr(t, "accidental", False) and t.salvo is None
    }
    rows: list[ModeRow] = []
    for mode in modes:
        variant = scenario.model_copy(update={"coordination_mode": mode})
        summaries = []
        for seed in seeds:
            summaries.append(run(variant, seed))
            if on_run_done is not None:
                on_run_done()
        for partner in (p.id for p in scenario.partners):
            by_partner = [s["warning"]["by_partner"][partner] for s in summaries]
            acc = [
                r["warning_time_s"]
                for s in summaries
                for r in s["warning"]["per_threat"]
                if r["partner"] == partner and r["object_id"] in accidental
            ]
            gospa = [
                s.get("track_quality", {}).get("partners", {}).get(partner, {}).get("gospa_mean_m")
                for s in summaries
            ]
            gospa_mean = _mean(gospa)
            rows.append(
                ModeRow(
                    mode=mode,
                    partner=partner,
                    runs=len(seeds),
                    warned=float(np.mean([b["warned"] for b in by_partner])),
                    median_warning_s=_mean([b["median_warning_s"] for b in by_partner]),
                    worst_warning_s=_mean([b["worst_warning_s"] for b in by_partner]),
                    accidental_warning_s=_mean(acc),
                    gospa_mean_km=None if gospa_mean is None else gospa_mean / 1e3,
                )
            )
    return rows
