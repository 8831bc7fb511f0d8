"""Compare coordination modes on the same seeds: the value of sharing, measured."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
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
    gospa_covered_km: float | None = None
    gospa_fused_km: float | None = None
    gospa_fused_covered_km: float | None = None


@dataclass(frozen=True)
class ModeOutcome:
    """What the defence achieved in one mode, means over seeds."""

    mode: str
    runs: int
    leakers: float
    value_hit: float
    interceptors_used: float
    interceptors_by_partner: dict[str, float]
    engagements: float
    kills: float
    alert_to_first_shot_s: float | None


def mode_outcomes(
    modes: Sequence[str], summaries: Sequence[Sequence[dict[str, Any]]]
) -> list[ModeOutcome]:
    """One outcome row per mode from that mode's run summaries (one per seed)."""
    out = []
    for mode, runs in zip(modes, summaries, strict=True):
        eng = [s["engagement"] for s in runs]
        partners = sorted({p for e in eng for p in e["interceptors_used"]})
        out.append(
            ModeOutcome(
                mode=mode,
                runs=len(runs),
                leakers=statistics.fmean(e["leakers"] for e in eng),
                value_hit=statistics.fmean(e["value_hit"] for e in eng),
                interceptors_used=statistics.fmean(e["interceptors_used_total"] for e in eng),
                interceptors_by_partner={
                    p: statistics.fmean(e["interceptors_used"].get(p, 0) for e in eng)
                    for p in partners
                },
                engagements=statistics.fmean(e["engagements"] for e in eng),
                kills=statistics.fmean(e["outcomes"]["kill"] for e in eng),
                alert_to_first_shot_s=_mean([e["alert_to_first_shot_median_s"] for e in eng]),
            )
        )
    return out


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.fmean(kept) if kept else None


def _km(value_m: float | None) -> float | None:
    return None if value_m is None else value_m / 1e3


GOSPA_VARIANTS = (("own", "all"), ("own", "covered"), ("fused", "all"), ("fused", "covered"))
"""(picture, truths) pairs of the GOSPA means: each partner's own tracks or fused
picture, against every truth or only those a radar feeding it could see."""


def gospa_of(summary: dict[str, Any], partner: str, picture: str, truths: str) -> float | None:
    """Mean GOSPA (m) of one partner's picture (``own``/``fused``) over ``all``
    truths or those its radars ``covered``; None when the summary lacks it."""
    block = summary.get("track_quality", {}).get("partners", {}).get(partner, {})
    variant = block.get("gospa", {}).get(picture, {}).get(truths)
    if variant is None:
        # a summary from before the variants: its top-level mean is own/all
        return block.get("gospa_mean_m") if (picture, truths) == ("own", "all") else None
    value = variant.get("gospa_mean_m")
    return None if value is None else float(value)


@dataclass(frozen=True)
class ModeRun:
    """One run of the comparison: its mode, seed, summary and per-threat rows."""

    mode: str
    seed: int
    summary: dict[str, Any]
    threats: list[dict[str, Any]]


RunFunction = Callable[[Scenario, int], tuple[dict[str, Any], list[dict[str, Any]]]]


def mode_variants(scenario: Scenario, modes: Sequence[str]) -> list[Scenario]:
    """``scenario`` in each coordination mode (nothing else differs)."""
    return [scenario.model_copy(update={"coordination_mode": m}) for m in modes]


def run_modes(
    scenario: Scenario,
    modes: Sequence[str],
    seeds: Sequence[int],
    run: RunFunction,
    on_run_done: Callable[[], None] | None = None,
    pool: Executor | None = None,
) -> list[ModeRun]:
    """Run ``scenario`` in each mode on each seed, mode-major.

    ``run`` returns a run's summary (``skyweave.simulation``'s plus the track
    quality of :func:`skyweave.analysis.metrics_run.track_quality`) and its
    per-threat rows (:func:`skyweave.analysis.threat_table.threat_table_rows`); it is
    a parameter so the caller decides how runs are executed (with a ``pool`` it
    must be picklable).
    """
    jobs = [(v, seed) for v in mode_variants(scenario, modes) for seed in seeds]
    results: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    outputs = pool.map(run, *zip(*jobs, strict=True)) if pool else (run(v, s) for v, s in jobs)
    for output in outputs:
        results.append(output)
        if on_run_done is not None:
            on_run_done()
    return [
        ModeRun(v.coordination_mode, seed, summary, threats)
        for (v, seed), (summary, threats) in zip(jobs, results, strict=True)
    ]


def mode_table(
    scenario: Scenario, modes: Sequence[str], runs: Sequence[ModeRun]
) -> tuple[list[ModeRow], list[ModeOutcome]]:
    """Warning rows per mode and partner, and one outcome row per mode (means over seeds).

    Warning figures are means over seeds of each seed's median and worst.
    """
    accidental = {
        t.id for t in scenario.threats if getattr(t, "accidental", False) and t.salvo is None
    }
    per_mode = [[r.summary for r in runs if r.mode == mode] for mode in modes]
    rows: list[ModeRow] = []
    for mode, summaries in zip(modes, per_mode, strict=True):
        threat_rows = [t for r in runs if r.mode == mode for t in r.threats]
        for partner in (p.id for p in scenario.partners):
            by_partner = [s["warning"]["by_partner"][partner] for s in summaries]
            acc = [
                t[f"warning_s.{partner}"]
                for t in threat_rows
                if t["threat"] in accidental and t[f"warning_s.{partner}"] is not None
            ]
            gospa_km = {
                key: _km(_mean([gospa_of(s, partner, *key) for s in summaries]))
                for key in GOSPA_VARIANTS
            }
            rows.append(
                ModeRow(
                    mode=mode,
                    partner=partner,
                    runs=len(summaries),
                    warned=float(np.mean([b["warned"] for b in by_partner])),
                    median_warning_s=_mean([b["median_warning_s"] for b in by_partner]),
                    worst_warning_s=_mean([b["worst_warning_s"] for b in by_partner]),
                    accidental_warning_s=_mean(acc),
                    gospa_mean_km=gospa_km[("own", "all")],
                    gospa_covered_km=gospa_km[("own", "covered")],
                    gospa_fused_km=gospa_km[("fused", "all")],
                    gospa_fused_covered_km=gospa_km[("fused", "covered")],
                )
            )
    return rows, mode_outcomes(modes, per_mode)
