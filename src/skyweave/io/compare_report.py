"""``skyweave compare``'s files: ``compare.json``, ``per_seed.parquet``,
``differences.parquet``, ``threats.parquet`` and a self-contained ``report.html``
with the paired plot (PNG embedded as base64, as the other reports)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from skyweave.analysis.compare_paired import HEADLINE, values
from skyweave.io import safe_files
from skyweave.io.paired_figure import paired_figure
from skyweave.io.report_style import _CSS, _e, _figure_html, _style, _table, figure_png

COMPARE_JSON = "compare.json"
PER_SEED = "per_seed.parquet"
DIFFERENCES = "differences.parquet"
THREATS = "threats.parquet"
REPORT = "report.html"

_TITLES = {
    "leakers": "leakers",
    "value_hit": "value hit",
    "interceptors_used": "interceptors used",
    "kills": "kills",
    "engagements": "engagements",
}


def _parquet(path: Path, table: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    safe_files.write_bytes(path, sink.getvalue().to_pybytes())


def _fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{float(value):.{digits}g}"


def _ci(ci: Sequence[float] | None) -> str:
    return "-" if ci is None else f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def differences_html(differences: Sequence[Mapping[str, Any]], measures: Sequence[str]) -> str:
    """A table of the paired differences of ``measures`` (already-escaped cells)."""
    rows = [
        [
            _e(d["measure"]),
            _e(f"{d['b']} − {d['a']}"),
            str(d["n"]),
            _fmt(d["mean_a"]),
            _fmt(d["mean_b"]),
            _fmt(d["mean"]),
            _ci(d["t_ci95"]),
            _ci(d["bootstrap_ci95"]),
            _p(d["sign_p"]),
            _p(d["wilcoxon_p"]),
        ]
        for d in differences
        if d["measure"] in measures
    ]
    headers = [
        "measure",
        "difference",
        "seeds",
        "mean A",
        "mean B",
        "mean B − A",
        "paired t 95 % CI",
        "bootstrap 95 % CI",
        "sign test p",
        "Wilcoxon p",
    ]
    return _table(headers, rows, left=2)


def render_compare_report(result: Mapping[str, Any]) -> str:
    """The comparison page: what ran, the paired plot of the defence outcome, and the
    table of paired differences (headline and per-partner warning measures)."""
    modes, seeds = result["modes"], result["seeds"]
    rows, differences = result["per_seed"], result["differences"]
    panels = []
    diffs = []
    for measure in HEADLINE[:3]:
        panels.append((_TITLES[measure], [values(rows, m, measure, seeds) for m in modes]))
        diffs.append([d for d in differences if d["measure"] == measure])
    with _style():
        fig = paired_figure(modes, panels, diffs)
        png = figure_png(fig)
    partner_measures = [
        d["measure"]
        for d in differences
        if d["measure"].split(".")[0]
        in (
            "median_warning_s",
            "worst_warning_s",
            "interceptors_used",
            "alert_to_first_shot_median_s",
        )
    ]
    caption = (
        "Left: each grey line is one seed, joining its value in each mode (the seeds, and "
        "through them the random draws, are common to the modes); black: the mean. Right: "
        "mean of the paired difference (dot) with its 95 % paired-t interval (blue) and "
        "fixed-seed bootstrap interval (orange). An interval clear of the dashed zero line "
        "is a difference the seeds resolve."
    )
    precision = result.get("precision")
    precision_html = ""
    if precision:
        precision_html = (
            f"<p>Precision asked: half-width of <code>{_e(precision['measure'])}</code> "
            f"({_e(precision['b'])} − {_e(precision['a'])}) below "
            f"{precision['target_half_width']:g}; it took {precision['seeds']} seeds "
            f"(half-width {_fmt(precision['half_width'])}, "
            f"{'reached' if precision['reached'] else 'NOT reached: cap ' + str(precision['cap'])}"
            ").</p>"
        )
    return "\n".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            f"<title>Mode comparison: {_e(result['scenario'])}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<header><h1>Coordination modes compared: {_e(result['scenario'])}</h1>",
            f"<p>{len(seeds)} seeds per mode, derived from base seed {result['base_seed']} as "
            f"in <code>skyweave batch</code> ({_e(result['seed_derivation'])}); every mode "
            "runs on the same seeds, so the differences are paired.</p>"
            + precision_html
            + "</header>",
            '<section id="paired"><h2>Defence outcome, paired by seed</h2>'
            + _figure_html("fig-paired", png, "paired plot", _e(caption))
            + differences_html(differences, HEADLINE)
            + "</section>",
            '<section id="partners"><h2>Per partner</h2>'
            + differences_html(differences, partner_measures)
            + "<p>Every measure, per threat and partner included, is in "
            f"<code>{COMPARE_JSON}</code> and <code>{DIFFERENCES}</code> beside this page; "
            f"the per-seed values in <code>{PER_SEED}</code>, the per-threat rows in "
            f"<code>{THREATS}</code>.</p></section>",
            "<footer>Generated by Skyweave. Notional, generic exercise data; no real weapon "
            "system is named or modelled.</footer></body></html>\n",
        ]
    )


def write_compare_outputs(
    out_dir: Path,
    result: Mapping[str, Any],
    tables: Mapping[str, pa.Table],
) -> Path:
    """Write every comparison file into ``out_dir`` (created); return the report's path.

    ``tables`` maps :data:`PER_SEED`, :data:`DIFFERENCES` and :data:`THREATS` to
    their Arrow tables; ``result`` is what goes into :data:`COMPARE_JSON`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    safe_files.write_text(
        out_dir / COMPARE_JSON, json.dumps(result, indent=2, allow_nan=False) + "\n"
    )
    for name, table in tables.items():
        _parquet(out_dir / name, table)
    report = out_dir / REPORT
    safe_files.write_text(report, render_compare_report(result))
    return report
