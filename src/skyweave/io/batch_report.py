"""Batch after-action report: a self-contained ``report.html`` in a batch folder.

``write_batch_report(batch_dir)`` reads ``runs.parquet`` (one row per run) and
``batch_summary.json`` (per sweep point: run counts, failures and the mean and
95 % Student-t interval of every measure) written by ``skyweave batch`` and
writes one HTML page that opens offline: no script, no style sheet or font from
the network, every figure a PNG embedded as base64.

Content, in briefing order:

* header: scenario, runs ok / failed, seeds, sweep parameters and points;
* defence outcome: per sweep point, the distribution over runs of leakers,
  value of defended assets hit and interceptors used (total and per partner),
  and a table of leakers, value hit, threats killed, interceptors used and the
  time from first alert to first shot, each as mean [95 % interval]; one line
  saying they are absent for a batch written before runs engaged threats;
* warning time per partner (median and worst over the ballistic threats of a
  run): every run as a dot, the spread as a box, the mean and its 95 % interval
  as a black diamond with an error bar; one colour per sweep point, points side
  by side in each panel so that their difference is visible at a glance;
* ballistic threats warned per partner, drawn the same way;
* track quality per partner: GOSPA mean, SIAP completeness and spuriousness;
* a table of every numeric measure (``wall_s`` excluded: it measures the
  machine, not the exercise) with n, mean and 95 % interval, exactly the numbers
  of ``batch_summary.json``; the per-threat engagement measures (one column per
  threat id, null in the runs that did not engage that threat) are grouped by
  threat in a folded table of their own instead, so that the main table stays
  readable when a raid has dozens of threats;
* a failures table (point, run, seed, error) when any run failed.

The intervals drawn and tabulated are those of ``batch_summary.json``; when
that file is absent they are recomputed from ``runs.parquet`` with the same
function (:func:`skyweave.analysis.batch_results.mean_ci`).

Determinism
    The same batch folder gives the same bytes: the figure style and PNG
    helpers of :mod:`skyweave.io.report` are reused (default Matplotlib style,
    bundled fonts, no software version in the PNG metadata), dots are spread by
    a fixed offset per run rather than random jitter, and the page holds no
    wall-clock time.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray

from skyweave.analysis.batch_results import RUNS_NAME, SUMMARY_NAME, SWEEP_PREFIX, mean_ci
from skyweave.errors import InputError, Problem
from skyweave.io.batch_paired import from_run_section_html, paired_section_html
from skyweave.io.palette import DEFAULT_PARTNER_PALETTE
from skyweave.io.report_data import REPORT_NAME
from skyweave.io.report_style import _CSS, _e, _figure_html, _new_figure, _style, _table, figure_png

FloatArray = NDArray[np.float64]

#: Columns of runs.parquet that are not measures.
_ID_COLUMNS = {"point", "run", "seed", "status", "error"}
#: Measures left out of the table: they describe the machine, not the exercise.
EXCLUDED_MEASURES = frozenset({"wall_s"})
#: Per-threat engagement measures (``<prefix><threat id>``): tabulated by threat,
#: not in the table of every measure.
PER_THREAT_PREFIXES = {
    "engagements": "engagement.engagements_per_threat.",
    "alert_to_first_shot_s": "engagement.alert_to_first_shot_s.",
}
#: Sweep-point colours (one per point, cycled past ten).
POINT_PALETTE = DEFAULT_PARTNER_PALETTE + ("#ff7f0e", "#2ca02c", "#9467bd")

_WARN_RE = re.compile(r"^warning\.by_partner\.(.+)\.median_warning_s$")
_TQ_RE = re.compile(r"^track_quality\.partners\.(.+)\.gospa_mean_m$")
_SHOTS_RE = re.compile(r"^engagement\.interceptors_used\.(.+)$")
#: The column whose presence marks a batch whose runs engaged threats.
LEAKERS = "engagement.leakers"


def format_value(value: Any) -> str:
    """A measure value as shown in the report's table (six significant digits)."""
    if value is None:
        return "-"
    v = float(value)
    return f"{v:.6g}" if math.isfinite(v) else "-"


def format_mean_ci(stat: Mapping[str, Any] | None) -> str:
    """``mean [low, high]`` of a :func:`mean_ci` result, for the defence outcome table.

    Three significant digits on the mean (on the largest bound when the mean is
    zero), the same number of decimals on all three (``0.0333 [-0.0349, 0.1015]``,
    ``9.83 [8.79, 10.88]``, never an exponent); the mean alone when there is no
    interval (fewer than two values); ``-`` when there is no value.
    """
    if not stat or stat.get("mean") is None or not math.isfinite(float(stat["mean"])):
        return "-"
    nums = [float(stat["mean"])]
    ci = stat.get("ci95")
    if ci is not None and all(c is not None and math.isfinite(float(c)) for c in ci):
        nums += [float(ci[0]), float(ci[1])]
    # Significant digits counted on the mean (on the interval when the mean is zero).
    top = abs(nums[0]) or max(abs(x) for x in nums)
    decimals = 0 if top == 0.0 else min(max(2 - math.floor(math.log10(top)), 0), 9)
    text = [f"{x:.{decimals}f}" for x in nums]
    # "-0" and "-0.00" read as a negative count; they are zero at this precision.
    text = [t[1:] if t.startswith("-") and float(t) == 0.0 else t for t in text]
    return text[0] if len(text) == 1 else f"{text[0]} [{text[1]}, {text[2]}]"


@dataclass(frozen=True)
class Panel:
    """One axes of a distribution figure: a measure of a partner, scaled for display."""

    title: str
    measure: str
    scale: float
    unit: str
    #: Counts: runs with the same value are spread side by side (a sideways dot
    #: histogram) and the axis ticks are whole numbers.
    integer: bool = False


@dataclass(frozen=True)
class BatchData:
    """What a batch folder holds, per sweep point."""

    batch_dir: Path
    summary: dict[str, Any]
    columns: dict[str, list[Any]]
    point_ids: list[int]
    point_labels: list[str]
    stats: dict[int, dict[str, dict[str, Any]]]
    measures: list[str]

    def values(self, point: int, measure: str) -> FloatArray:
        """The finite values of ``measure`` over the successful runs of ``point``."""
        col = self.columns.get(measure)
        if col is None:
            return np.zeros(0)
        out = [
            float(v)
            for p, s, v in zip(self.columns["point"], self.columns["status"], col, strict=True)
            if p == point and s == "ok" and v is not None and math.isfinite(float(v))
        ]
        return np.asarray(out, dtype=np.float64)


def _point_label(params: Mapping[str, Any]) -> str:
    if not params:
        return "all runs"
    return ", ".join(f"{k}={v}" for k, v in params.items())


def load_batch(batch_dir: str | Path) -> BatchData:
    """Read ``runs.parquet`` and (when present) ``batch_summary.json`` of a batch folder.

    Raises
    ------
    InputError
        When the folder or ``runs.parquet`` is missing or unreadable.
    """
    folder = Path(batch_dir)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "batch folder not found")])
    runs_path = folder / RUNS_NAME
    if not runs_path.is_file():
        raise InputError([Problem(str(folder), f"not a batch folder: {RUNS_NAME} not found")])
    try:
        table = pq.read_table(runs_path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise InputError([Problem(str(runs_path), f"not readable Parquet: {exc}")]) from None
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    for need in ("point", "run", "seed", "status"):
        if need not in columns:
            raise InputError([Problem(str(runs_path), f"column {need!r} missing")])
    columns.setdefault("error", [None] * table.num_rows)

    summary: dict[str, Any] = {}
    summary_path = folder / SUMMARY_NAME
    if summary_path.is_file():
        try:
            loaded = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError([Problem(str(summary_path), f"not readable JSON: {exc}")]) from None
        if isinstance(loaded, dict):
            summary = loaded

    measures = [
        n for n in table.column_names if n not in _ID_COLUMNS and not n.startswith(SWEEP_PREFIX)
    ]
    sweep_cols = [n for n in table.column_names if n.startswith(SWEEP_PREFIX)]
    point_ids = sorted({int(p) for p in columns["point"]})
    summary_points = {int(p["point"]): p for p in summary.get("points", []) if "point" in p}
    for p in summary_points:
        if p not in point_ids:
            point_ids.append(p)
    point_ids.sort()

    labels: list[str] = []
    stats: dict[int, dict[str, dict[str, Any]]] = {}
    for p in point_ids:
        sp = summary_points.get(p)
        if sp is not None:
            labels.append(_point_label(sp.get("params") or {}))
        else:
            k = columns["point"].index(p)
            labels.append(_point_label({c[len(SWEEP_PREFIX) :]: columns[c][k] for c in sweep_cols}))
    data = BatchData(folder, summary, columns, point_ids, labels, stats, measures)
    for p in point_ids:
        sp = summary_points.get(p)
        given = dict(sp.get("measures", {})) if sp is not None else {}
        for m in measures:
            if m not in given:
                # Same statistic as the batch writes, from the successful runs.
                given[m] = mean_ci(data.values(p, m).tolist())
        stats[p] = given
    return data


# ----------------------------------------------------------------------- figures


def _partners(data: BatchData, pattern: re.Pattern[str]) -> list[str]:
    found = {m.group(1) for n in data.measures if (m := pattern.match(n))}
    return sorted(found)


def strip_offsets(values: FloatArray, integer: bool = False, half_width: float = 0.1) -> FloatArray:
    """Horizontal offsets of the run dots of one sweep point (deterministic, no jitter).

    Continuous values are spread evenly over ``±half_width`` in run order. With
    ``integer`` the runs that share a value are spread side by side over a
    width proportional to how many share it, so that a count's distribution
    reads as a sideways histogram instead of dots drawn on top of each other.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size <= 1:
        return np.zeros(v.size)
    if not integer:
        return np.linspace(-half_width, half_width, v.size)
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    # Rank of each run among the runs with the same value, in run order.
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(v.size)
    rank[order] = np.arange(v.size) - np.repeat(starts, counts)
    c = counts[inverse].astype(np.float64)
    half = half_width * c / float(counts.max())
    return np.where(c > 1, -half + 2.0 * half * rank / np.maximum(c - 1.0, 1.0), 0.0)


def distribution_figure(
    data: BatchData, rows: Sequence[str], panels: Sequence[Sequence[Panel]]
) -> Any:
    """Grid of panels (one row per partner): per sweep point, runs, box, mean and 95 % CI."""
    n_rows = len(panels)
    n_cols = max(len(r) for r in panels)
    n_pts = len(data.point_ids)
    width = min(4.2 * n_cols + 0.4 * max(n_pts - 2, 0) * n_cols, 12.0)
    fig = _new_figure(max(width, 6.0), 2.9 * n_rows + (0.5 if n_pts > 1 else 0.0))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for i, row in enumerate(panels):
        for j in range(n_cols):
            ax = axes[i][j]
            if j >= len(row):
                ax.set_visible(False)
                continue
            panel = row[j]
            for k, p in enumerate(data.point_ids):
                colour = POINT_PALETTE[k % len(POINT_PALETTE)]
                v = data.values(p, panel.measure) * panel.scale
                if v.size:
                    if v.size >= 3:
                        ax.boxplot(
                            [v],
                            positions=[k - 0.12],
                            widths=0.32,
                            showfliers=False,
                            patch_artist=True,
                            manage_ticks=False,
                            boxprops={"facecolor": colour, "alpha": 0.25, "edgecolor": colour},
                            medianprops={"color": colour},
                            whiskerprops={"color": colour},
                            capprops={"color": colour},
                        )
                    # Fixed spread per run (no random jitter: same bytes every time).
                    off = strip_offsets(v, panel.integer)
                    ax.scatter(
                        k - 0.12 + off,
                        v,
                        s=14,
                        color=colour,
                        alpha=0.8,
                        edgecolors="none",
                        zorder=3,
                    )
                st = data.stats[p].get(panel.measure) or {}
                mean = st.get("mean")
                if mean is not None:
                    ci = st.get("ci95")
                    mean_s = float(mean) * panel.scale
                    if ci is not None:
                        lo, hi = float(ci[0]) * panel.scale, float(ci[1]) * panel.scale
                        ax.errorbar(
                            [k + 0.22],
                            [mean_s],
                            yerr=[[mean_s - lo], [hi - mean_s]],
                            fmt="D",
                            color="black",
                            mfc=colour,
                            ms=6,
                            capsize=4,
                            lw=1.4,
                            zorder=4,
                        )
                    else:
                        ax.plot(
                            [k + 0.22], [mean_s], "D", color="black", mfc=colour, ms=6, zorder=4
                        )
            ax.set_xlim(-0.6, n_pts - 0.4)
            ax.set_xticks(range(n_pts))
            ax.set_xticklabels([str(k + 1) for k in range(n_pts)] if n_pts > 1 else [""])
            if n_pts > 1:
                ax.set_xlabel("sweep point")
            ax.set_title(f"{rows[i]}: {panel.title}")
            ax.set_ylabel(panel.unit)
            if panel.integer:
                from matplotlib.ticker import MaxNLocator

                lo, hi = ax.get_ylim()
                if hi - lo < 2.0:
                    # Every run the same count: widen to whole numbers around it
                    # (a count is never negative) so the ticks stay integers.
                    mid = round((lo + hi) / 2.0)
                    ax.set_ylim(max(mid - 1.5, min(lo, -0.3)), mid + 1.5)
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(axis="y", color="#dddddd", lw=0.6)
    if n_pts > 1:
        from matplotlib.lines import Line2D

        handles = [
            Line2D(
                [],
                [],
                marker="s",
                ls="",
                color=POINT_PALETTE[k % len(POINT_PALETTE)],
                label=f"{k + 1}: {label}",
            )
            for k, label in enumerate(data.point_labels)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(n_pts, 3), frameon=False)
    return fig


def _figure_specs(data: BatchData) -> list[tuple[str, str, str, list[str], list[list[Panel]]]]:
    """(id, alt, caption, row names, panels) of every distribution figure the data allow."""
    specs: list[tuple[str, str, str, list[str], list[list[Panel]]]] = []
    have = set(data.measures)
    how = (
        "Each dot is one run; the box spans the quartiles with whiskers to the extremes; "
        "the diamond is the mean with its 95 % Student-t interval over runs."
    )
    warn = _partners(data, _WARN_RE)
    if warn:
        panels = [
            [
                Panel(t, f"warning.by_partner.{p}.{m}", 1.0, "warning time (s)")
                for t, m in (
                    ("median warning", "median_warning_s"),
                    ("worst warning", "worst_warning_s"),
                )
                if f"warning.by_partner.{p}.{m}" in have
            ]
            for p in warn
        ]
        specs.append(
            (
                "fig-warning",
                "Warning time per partner across runs",
                "Warning time per partner: the median and the worst (shortest) warning over "
                "the ballistic threats of each run, in seconds. Longer is better. " + how,
                warn,
                panels,
            )
        )
        panels = [
            [
                Panel(
                    "ballistic threats warned",
                    f"warning.by_partner.{p}.warned",
                    1.0,
                    "threats",
                    integer=True,
                )
            ]
            for p in warn
            if f"warning.by_partner.{p}.warned" in have
        ]
        rows = [p for p in warn if f"warning.by_partner.{p}.warned" in have]
        if panels:
            specs.append(
                (
                    "fig-warned",
                    "Ballistic threats warned per partner across runs",
                    "Number of ballistic threats each partner warned of before impact, per run. "
                    + how,
                    rows,
                    panels,
                )
            )
    tq = _partners(data, _TQ_RE)
    if tq:
        base = "track_quality.partners"
        panels = [
            [
                Panel(t, f"{base}.{p}.{m}", s, u)
                for t, m, s, u in (
                    ("GOSPA mean", "gospa_mean_m", 1e-3, "GOSPA (km)"),
                    ("SIAP completeness", "siap.completeness", 1.0, "fraction"),
                    ("SIAP spuriousness", "siap.spuriousness", 1.0, "fraction"),
                )
                if f"{base}.{p}.{m}" in have
            ]
            for p in tq
        ]
        specs.append(
            (
                "fig-track-quality",
                "Track quality per partner across runs",
                "Track quality per partner: time-mean GOSPA distance (lower is better), SIAP "
                "completeness (fraction of threat time held in track, higher is better) and "
                "spuriousness (fraction of tracks not on a threat, lower is better). " + how,
                tq,
                panels,
            )
        )
    return specs


def defence_panels(data: BatchData) -> tuple[list[str], list[list[Panel]]] | None:
    """Row names and panels of the defence outcome figure; ``None`` without engagement data.

    First row, the coalition: leakers, value of defended assets hit, interceptors
    used in all; then interceptors used per partner, three partners to a row.
    """
    have = set(data.measures)
    if LEAKERS not in have:
        return None
    coalition = [
        Panel(t, m, 1.0, u, integer=i)
        for t, m, u, i in (
            ("leakers", LEAKERS, "threats", True),
            ("value hit", "engagement.value_hit", "asset value", False),
            ("interceptors used", "engagement.interceptors_used_total", "interceptors", True),
        )
        if m in have
    ]
    rows, panels = ["coalition"], [coalition]
    partners = _partners(data, _SHOTS_RE)
    for k in range(0, len(partners), 3):
        rows.append("interceptors used")
        panels.append(
            [
                Panel(p, f"engagement.interceptors_used.{p}", 1.0, "interceptors", integer=True)
                for p in partners[k : k + 3]
            ]
        )
    return rows, panels


def _defence_columns(data: BatchData) -> list[tuple[str, str]]:
    """(header, measure) of the defence outcome table's statistics, those the data hold."""
    have = set(data.measures)
    cols = [
        ("leakers", LEAKERS),
        ("value hit", "engagement.value_hit"),
        ("threats killed", "engagement.threats_killed"),
        ("interceptors used", "engagement.interceptors_used_total"),
    ]
    cols += [
        (f"interceptors used: {_e(p)}", f"engagement.interceptors_used.{p}")
        for p in _partners(data, _SHOTS_RE)
    ]
    cols.append(("first alert to first shot (s)", "engagement.alert_to_first_shot_median_s"))
    return [(h, m) for h, m in cols if m in have]


def _defence_table_html(data: BatchData) -> str:
    cols = _defence_columns(data)
    summary_points = {int(p["point"]): p for p in data.summary.get("points", []) if "point" in p}
    rows: list[list[str]] = []
    attrs: list[str] = []
    for k, p in enumerate(data.point_ids):
        colour = POINT_PALETTE[k % len(POINT_PALETTE)]
        status = data.columns["status"]
        mine = [s for pt, s in zip(data.columns["point"], status, strict=True) if pt == p]
        sp = summary_points.get(p, {})
        ok = int(sp.get("ok", sum(1 for s in mine if s == "ok")))
        failed = int(sp.get("failed", len(mine) - ok))
        leakers = data.values(p, LEAKERS)
        row = [
            f'<span class="sw" style="background:{colour}"></span>{k + 1}',
            _e(data.point_labels[k]),
            f"{ok} ({failed} failed)" if failed else str(ok),
            f"{int(np.sum(leakers == 0.0))} of {leakers.size}",
        ]
        for _, m in cols:
            st = data.stats[p].get(m) or {}
            cell = format_mean_ci(st)
            n = int(st.get("n", 0) or 0)
            if cell != "-" and n < ok:
                # Fewer values than runs (no shot, so no time to first shot).
                cell += f" (n={n})"
            row.append(cell)
        rows.append(row)
        attrs.append(f'data-defence-point="{p}"')
    headers = ["point", "parameters", "runs", "runs without leaker"] + [h for h, _ in cols]
    return _table(headers, rows, left=2, row_attrs=attrs, cls="defence")


def _defence_html(data: BatchData) -> str:
    """The defence outcome section: figure and table, or one line when there is no data."""
    head = '<section id="defence"><h2>Defence outcome</h2>'
    spec = defence_panels(data)
    if spec is None:
        return (
            head + "<p>No engagement measures in this batch (its runs were recorded "
            "before runs engaged threats, so leakers and interceptors used are unknown).</p>"
            "</section>"
        )
    rows, panels = spec
    alt = "Leakers and interceptors used across runs"
    caption = (
        "What the defence achieved in each run: leakers (ballistic and cruise threats "
        "that ended their flight unkilled), value of the defended assets they hit, and "
        "interceptors fired (a salvo of two counts two), in all and per partner. Each dot "
        "is one run (runs with the same count side by side); the box spans the quartiles "
        "with whiskers to the extremes; the diamond is the mean with its 95 % Student-t "
        "interval over runs."
    )
    fig = distribution_figure(data, rows, panels)
    return (
        head
        + _figure_html("fig-defence", figure_png(fig), alt, _e(caption))
        + "<p>Mean over the successful runs of each sweep point with its 95 % Student-t "
        "interval in brackets, the numbers of <code>batch_summary.json</code>. First alert "
        "to first shot is each run's median over the threats engaged, from the first alert "
        "about a threat by any partner to the first interceptor launched at it; n counts "
        "the runs that had one when fewer than all.</p>" + _defence_table_html(data) + "</section>"
    )


def _per_threat_measure(name: str) -> tuple[str, str] | None:
    """(kind, threat id) of a per-threat engagement column, else ``None``."""
    for kind, prefix in PER_THREAT_PREFIXES.items():
        if name.startswith(prefix):
            return kind, name[len(prefix) :]
    return None


def _per_threat_html(data: BatchData) -> str:
    """Folded table of the per-threat engagement measures, one row per threat and point."""
    threats = sorted({key[1] for m in data.measures if (key := _per_threat_measure(m)) is not None})
    if not threats:
        return ""
    multi = len(data.point_ids) > 1
    shots = PER_THREAT_PREFIXES["engagements"]
    delay = PER_THREAT_PREFIXES["alert_to_first_shot_s"]
    rows: list[list[str]] = []
    attrs: list[str] = []
    for t in threats:
        for k, p in enumerate(data.point_ids):
            eng = data.stats[p].get(shots + t) or {}
            dt = data.stats[p].get(delay + t) or {}
            if not (eng.get("n") or dt.get("n")):
                continue
            rows.append(
                [
                    _e(t),
                    str(k + 1) if multi else "-",
                    str(int(eng.get("n", 0) or 0)),
                    format_mean_ci(eng),
                    str(int(dt.get("n", 0) or 0)),
                    format_mean_ci(dt),
                ]
            )
            attrs.append(f'data-threat="{_e(t)}" data-point="{p}"')
    return (
        f"<details><summary>Per-threat engagement measures ({len(threats)} threats)</summary>"
        "<p>A threat's columns have a value only in the runs that engaged it, so each "
        "mean is over those runs (n). Engagements count orders (a salvo is one); the "
        "delay runs from the first alert about the threat to the first shot at it.</p>"
        + _table(
            [
                "threat",
                "point",
                "runs engaged",
                "engagements",
                "runs with alert and shot",
                "first alert to first shot (s)",
            ],
            rows,
            left=2,
            row_attrs=attrs,
            cls="per-threat",
        )
        + "</details>"
    )


# -------------------------------------------------------------------------- HTML


def _header_html(data: BatchData) -> str:
    s = data.summary
    status = data.columns["status"]
    n_ok = sum(1 for v in status if v == "ok")
    n_failed = len(status) - n_ok
    name = s.get("scenario") or data.batch_dir.name
    facts = [
        ("scenario", _e(name)),
        ("scenario file", _e(s.get("scenario_file", "-"))),
        ("runs", f"{len(status)} ({n_ok} ok, {n_failed} failed)"),
        ("sweep points", str(len(data.point_ids))),
        ("runs per point", _e(s.get("runs_per_point", "-"))),
        ("base seed", _e(s.get("base_seed", "-"))),
        ("simulated until", "-" if s.get("until_s") is None else f"{float(s['until_s']):g} s"),
        ("confidence", f"{float(s.get('confidence', 0.95)) * 100:g} % (Student t)"),
    ]
    out = [
        "<header>",
        f"<h1>Batch after-action report: {_e(name)}</h1>",
        '<div class="banner">Notional, generic exercise data; statistics over seeded runs.</div>',
        '<dl class="facts">',
        "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts),
        "</dl></header>",
    ]
    sweeps = s.get("sweeps") or []
    rows = []
    summary_points = {int(p["point"]): p for p in s.get("points", []) if "point" in p}
    for k, p in enumerate(data.point_ids):
        colour = POINT_PALETTE[k % len(POINT_PALETTE)]
        sp = summary_points.get(p, {})
        mine = [st for pt, st in zip(data.columns["point"], status, strict=True) if pt == p]
        ok = sp.get("ok", sum(1 for v in mine if v == "ok"))
        failed = sp.get("failed", len(mine) - ok)
        rows.append(
            [
                f'<span class="sw" style="background:{colour}"></span>{k + 1}',
                _e(data.point_labels[k]),
                str(ok),
                str(failed),
            ]
        )
    out.append('<section id="points"><h2>Sweep points</h2>')
    if sweeps:
        out.append(
            "<p>Swept parameters: "
            + "; ".join(
                f"<b>{_e(sw.get('path'))}</b> = "
                + _e(", ".join(str(v) for v in sw.get("values", [])))
                for sw in sweeps
            )
            + ". Every point uses the same seeds (common random numbers), so points differ "
            "by their parameters, not by their luck.</p>"
        )
    out.append(_table(["point", "parameters", "ok", "failed"], rows, left=2))
    seeds: dict[int, int] = {}
    for r, sd in zip(data.columns["run"], data.columns["seed"], strict=True):
        seeds.setdefault(int(r), int(sd))
    seed_rows = [[str(r), str(seeds[r])] for r in sorted(seeds)]
    out.append(
        f"<details><summary>Seeds of the {len(seeds)} runs per point</summary>"
        + _table(["run", "seed"], seed_rows, left=1, cls="seeds")
        + (f"<p>{_e(s['seed_derivation'])}</p>" if s.get("seed_derivation") else "")
        + "</details></section>"
    )
    return "".join(out)


def _measures_html(data: BatchData) -> str:
    rows: list[list[str]] = []
    attrs: list[str] = []
    multi = len(data.point_ids) > 1
    for m in data.measures:
        if m in EXCLUDED_MEASURES or _per_threat_measure(m) is not None:
            continue
        for k, p in enumerate(data.point_ids):
            st = data.stats[p].get(m) or {}
            ci = st.get("ci95")
            rows.append(
                [
                    _e(m),
                    str(k + 1) if multi else "-",
                    str(int(st.get("n", 0) or 0)),
                    format_value(st.get("mean")),
                    format_value(ci[0] if ci else None),
                    format_value(ci[1] if ci else None),
                ]
            )
            attrs.append(f'data-measure="{_e(m)}" data-point="{p}"')
    if not rows:
        return "<p>No numeric measure recorded.</p>"
    return (
        "<p>Mean and 95 % Student-t interval of the mean over the successful runs; n counts "
        "the runs with a value (a median warning time has none when nothing was warned). "
        "Booleans are fractions. <code>wall_s</code> is left out: it measures the machine. "
        "Per-threat engagement measures are in their own table below.</p>"
        + _table(
            ["measure", "point", "n", "mean", "95 % CI low", "95 % CI high"],
            rows,
            left=2,
            row_attrs=attrs,
            cls="measures",
        )
    )


def _failures_html(data: BatchData) -> str:
    rows = []
    c = data.columns
    for i, status in enumerate(c["status"]):
        if status == "ok":
            continue
        k = data.point_ids.index(int(c["point"][i]))
        rows.append(
            [
                str(k + 1),
                str(c["run"][i]),
                str(c["seed"][i]),
                _e(status),
                _e(c["error"][i] or ""),
            ]
        )
    return (
        '<section id="failures"><h2>Failed runs</h2><p>Reproduce one with '
        "<code>skyweave run SCENARIO --seed SEED</code> and the point's parameters.</p>"
        + _table(["point", "run", "seed", "status", "error"], rows, left=5, cls="failures")
        + "</section>"
    )


def render_batch_report(batch_dir: str | Path) -> str:
    """The batch after-action report of ``batch_dir``, as one self-contained HTML string.

    Raises
    ------
    InputError
        When the folder or its ``runs.parquet`` is missing or unreadable.
    """
    data = load_batch(batch_dir)
    name = data.summary.get("scenario") or data.batch_dir.name
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Batch after-action report: {_e(name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        _header_html(data),
    ]
    with _style():
        parts.append(from_run_section_html(data.summary))
        parts.append(_defence_html(data))
        parts.append(
            paired_section_html(data.summary, data.columns, data.point_ids, data.point_labels)
        )
        for fig_id, alt, caption, rows, panels in _figure_specs(data):
            fig = distribution_figure(data, rows, panels)
            parts.append(
                f'<section id="{fig_id[4:]}"><h2>{_e(alt)}</h2>'
                + _figure_html(fig_id, figure_png(fig), alt, _e(caption))
                + "</section>"
            )
    parts.append(
        '<section id="measures"><h2>All measures</h2>'
        + _measures_html(data)
        + _per_threat_html(data)
        + "</section>"
    )
    if any(s != "ok" for s in data.columns["status"]):
        parts.append(_failures_html(data))
    parts.append(
        "<footer>Generated by Skyweave "
        f"{_e(data.summary.get('skyweave_version', ''))} from runs.parquet and "
        "batch_summary.json beside this page. Notional, generic exercise data; no real "
        "weapon system is named or modelled.</footer></body></html>\n"
    )
    return "\n".join(parts)


def write_batch_report(batch_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the batch after-action report (default ``batch_dir/report.html``).

    Parameters
    ----------
    batch_dir
        A folder written by ``skyweave batch`` (``runs.parquet``, ``batch_summary.json``).
    out
        Where to write the page; default ``batch_dir/report.html``.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InputError
        When the folder or its ``runs.parquet`` is missing or unreadable.
    """
    text = render_batch_report(batch_dir)
    path = Path(out) if out is not None else Path(batch_dir) / REPORT_NAME
    path.write_text(text, encoding="utf-8")
    return path
