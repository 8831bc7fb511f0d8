"""Per-seed headline measures of a mode comparison and the paired differences between modes.

Every mode runs on the same seeds (common random numbers, see the README's
*Random streams*), so seed ``i`` of mode A and seed ``i`` of mode B form a pair;
:mod:`skyweave.analysis.paired` turns the pairs into intervals and tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pyarrow as pa

from skyweave.analysis.compare import GOSPA_VARIANTS, ModeRun, gospa_of
from skyweave.analysis.paired import finite_pairs, paired_difference, seeds_for_half_width

HEADLINE = ("leakers", "value_hit", "interceptors_used", "kills", "engagements")
"""Defence outcome measures shown first (the others follow in the JSON and Parquet)."""


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def headline_measures(
    summary: Mapping[str, Any], threats: Sequence[Mapping[str, Any]], partners: Sequence[str]
) -> dict[str, float | None]:
    """One run's measures, by name.

    ``leakers``, ``value_hit``, ``interceptors_used`` (and ``.<partner>``),
    ``kills``, ``engagements``, ``alert_to_first_shot_median_s``; per partner
    ``warned.<p>``, ``median_warning_s.<p>``, ``worst_warning_s.<p>`` and
    ``gospa_m.<p>.<own|fused>.<all|covered>`` (time-weighted mean GOSPA, see the
    README); per threat and partner ``warning_s.<threat>.<p>`` (from the per-threat
    rows, None when not warned before impact).
    """
    eng = summary["engagement"]
    out: dict[str, float | None] = {
        "leakers": _number(eng["leakers"]),
        "value_hit": _number(eng["value_hit"]),
        "interceptors_used": _number(eng["interceptors_used_total"]),
        "kills": _number(eng["outcomes"]["kill"]),
        "engagements": _number(eng["engagements"]),
        "alert_to_first_shot_median_s": _number(eng.get("alert_to_first_shot_median_s")),
    }
    for partner in partners:
        out[f"interceptors_used.{partner}"] = _number(eng["interceptors_used"].get(partner, 0))
    by_partner = summary.get("warning", {}).get("by_partner", {})
    for partner in partners:
        block = by_partner.get(partner, {})
        out[f"warned.{partner}"] = _number(block.get("warned"))
        out[f"median_warning_s.{partner}"] = _number(block.get("median_warning_s"))
        out[f"worst_warning_s.{partner}"] = _number(block.get("worst_warning_s"))
        for picture, truths in GOSPA_VARIANTS:
            value = gospa_of(dict(summary), partner, picture, truths)
            out[f"gospa_m.{partner}.{picture}.{truths}"] = _number(value)
    for row in threats:
        for partner in partners:
            out[f"warning_s.{row['threat']}.{partner}"] = _number(row.get(f"warning_s.{partner}"))
    return out


_PER_NAME = (
    "interceptors_used.",
    "warned.",
    "median_warning_s.",
    "worst_warning_s.",
    "gospa_m.",
    "warning_s.",
)


def is_measure_name(name: str) -> bool:
    """Whether ``name`` can be a column of :func:`headline_measures` (checked before
    any run; the partner, threat and picture parts are known only from the runs)."""
    fixed = (*HEADLINE, "alert_to_first_shot_median_s")
    return name in fixed or any(name.startswith(p) and len(name) > len(p) for p in _PER_NAME)


def per_seed(runs: Sequence[ModeRun], partners: Sequence[str]) -> list[dict[str, Any]]:
    """One row per run: ``mode``, ``seed``, then :func:`headline_measures`."""
    return [
        {"mode": r.mode, "seed": r.seed, **headline_measures(r.summary, r.threats, partners)}
        for r in runs
    ]


def measure_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Measure names in first-seen order (``mode`` and ``seed`` left out)."""
    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            if name not in ("mode", "seed"):
                names.setdefault(name, None)
    return list(names)


def values(
    rows: Sequence[Mapping[str, Any]], mode: str, measure: str, seeds: Sequence[int]
) -> list[float | None]:
    """``measure`` of ``mode`` on each of ``seeds``, in that order (None when absent)."""
    by_seed = {r["seed"]: r.get(measure) for r in rows if r["mode"] == mode}
    return [by_seed.get(seed) for seed in seeds]


def mode_pairs(modes: Sequence[str]) -> list[tuple[str, str]]:
    """Every (A, B) with A before B in ``modes``: the difference reported is B - A."""
    return list(combinations(modes, 2))


def paired_differences(
    rows: Sequence[Mapping[str, Any]], modes: Sequence[str], seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """For every measure and mode pair, :func:`~skyweave.analysis.paired.paired_difference`
    of B - A over the seeds (measures with no value in either mode are left out)."""
    out = []
    for measure in measure_names(rows):
        for a, b in mode_pairs(modes):
            stats = paired_difference(
                values(rows, a, measure, seeds), values(rows, b, measure, seeds)
            )
            if stats["n"]:
                out.append({"measure": measure, "a": a, "b": b, **stats})
    return out


def differences_table(differences: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The paired differences as a flat Arrow table (interval ends as columns)."""

    def end(row: Mapping[str, Any], key: str, k: int) -> float | None:
        ci = row.get(key)
        return None if ci is None else float(ci[k])

    return pa.table(
        {
            "measure": pa.array([d["measure"] for d in differences], pa.string()),
            "a": pa.array([d["a"] for d in differences], pa.string()),
            "b": pa.array([d["b"] for d in differences], pa.string()),
            "n": pa.array([d["n"] for d in differences], pa.int64()),
            "mean_a": pa.array([d["mean_a"] for d in differences], pa.float64()),
            "mean_b": pa.array([d["mean_b"] for d in differences], pa.float64()),
            "mean_difference": pa.array([d["mean"] for d in differences], pa.float64()),
            "sd_difference": pa.array([d["sd"] for d in differences], pa.float64()),
            "t_ci95_low": pa.array([end(d, "t_ci95", 0) for d in differences], pa.float64()),
            "t_ci95_high": pa.array([end(d, "t_ci95", 1) for d in differences], pa.float64()),
            "bootstrap_ci95_low": pa.array(
                [end(d, "bootstrap_ci95", 0) for d in differences], pa.float64()
            ),
            "bootstrap_ci95_high": pa.array(
                [end(d, "bootstrap_ci95", 1) for d in differences], pa.float64()
            ),
            "sign_p": pa.array([d["sign_p"] for d in differences], pa.float64()),
            "wilcoxon_p": pa.array([d["wilcoxon_p"] for d in differences], pa.float64()),
        }
    )


def per_seed_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Per-seed rows as an Arrow table: ``mode``, ``seed``, then float64 measures."""
    names = measure_names(rows)
    columns: dict[str, pa.Array] = {
        "mode": pa.array([r["mode"] for r in rows], pa.string()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
    }
    for name in names:
        columns[name] = pa.array([r.get(name) for r in rows], pa.float64())
    return pa.table(columns)


def seeds_still_needed(
    rows: Sequence[Mapping[str, Any]],
    pair: tuple[str, str],
    measure: str,
    seeds: Sequence[int],
    target_half_width: float,
) -> int:
    """Total seeds the paired-t interval of ``measure`` (B - A) needs for a half-width
    below ``target_half_width``, estimated from the seeds run so far."""
    a, b = pair
    pairs = finite_pairs(values(rows, a, measure, seeds), values(rows, b, measure, seeds))
    needed = seeds_for_half_width(pairs[:, 1] - pairs[:, 0], target_half_width)
    # seeds where the measure has no value do not count: scale by the share that does
    share = max(len(pairs), 1) / max(len(seeds), 1)
    return max(len(seeds), math.ceil(needed / share) if needed > len(pairs) else len(seeds))


def precision_reached(difference: Mapping[str, Any] | None, target_half_width: float) -> bool:
    """The paired-t half-width exists and is below the target."""
    if difference is None:
        return False
    half = difference.get("t_half_width")
    return half is not None and bool(np.isfinite(half)) and half < target_half_width
