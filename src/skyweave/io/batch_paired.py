"""The batch report's paired section: each sweep point against the first, run by run.

Run ``i`` has the same seed at every sweep point (common random numbers), so the
differences pair by run; ``batch_summary.json``'s ``paired_differences`` holds
their statistics (:func:`skyweave.analysis.batch_results.paired_between_points`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from skyweave.io.paired_view import differences_html, paired_figure
from skyweave.io.report_style import _e, _figure_html, figure_png

_PANELS = (
    ("leakers", "engagement.leakers"),
    ("value hit", "engagement.value_hit"),
    ("interceptors used", "engagement.interceptors_used_total"),
)


def _per_run(
    columns: Mapping[str, list[Any]], point: int, measure: str, runs: Sequence[int]
) -> list[float | None]:
    """``measure`` of each of ``runs`` at ``point`` (None for a failed run)."""
    col = columns.get(measure)
    if col is None:
        return [None] * len(runs)
    by_run = {
        r: v
        for p, r, s, v in zip(columns["point"], columns["run"], columns["status"], col, strict=True)
        if p == point and s == "ok"
    }
    return [by_run.get(r) for r in runs]


def paired_section_html(
    summary: Mapping[str, Any],
    columns: Mapping[str, list[Any]],
    point_ids: Sequence[int],
    labels: Sequence[str],
) -> str:
    """The section (empty with a single sweep point)."""
    differences = summary.get("paired_differences") or []
    if len(point_ids) < 2 or not differences:
        return ""
    label = dict(zip(point_ids, labels, strict=True))
    runs = sorted(set(columns["run"]))
    panels, diffs = [], []
    for title, measure in _PANELS:
        if measure not in columns:
            continue
        panels.append((title, [_per_run(columns, p, measure, runs) for p in point_ids]))
        diffs.append(
            [
                {**d, "a": f"point {d['a'] + 1}", "b": f"point {d['b'] + 1}"}
                for d in differences
                if d["measure"] == measure
            ]
        )
    parts = ['<section id="paired"><h2>Sweep points compared run by run</h2>']
    if panels:
        fig = paired_figure([f"point {p + 1}" for p in point_ids], panels, diffs)
        caption = (
            "Left: each grey line is one run index, whose seed (and so whose random draws) "
            "every sweep point shares, joining its value at each point; black: the mean. "
            "Right: the mean paired difference against point 1 with its 95 % paired-t "
            "(blue) and bootstrap (orange) intervals."
        )
        parts.append(_figure_html("fig-paired", figure_png(fig), "paired plot", _e(caption)))
    parts.append(
        differences_html(
            differences,
            pair_label=lambda d: f"{label.get(d['b'], d['b'])} − {label.get(d['a'], d['a'])}",
        )
    )
    parts.append(
        "<p>A pair is run <i>i</i> at both points (the same seed); failed runs drop their "
        "pairs. An interval clear of 0 is a difference these runs resolve.</p></section>"
    )
    return "".join(parts)


#: the measures the counterfactual section sets beside the played outcome
_FROM_RUN = (
    ("leakers", "engagement.leakers"),
    ("value hit", "engagement.value_hit"),
    ("interceptors used", "engagement.interceptors_used_total"),
)


def from_run_section_html(summary: Mapping[str, Any]) -> str:
    """A counterfactual batch's section: the played line, its branch time, the played
    outcome and each arm's mean (empty for another batch)."""
    info = summary.get("from_run")
    if not isinstance(info, Mapping):
        return ""
    played = (info.get("played") or {}).get("measures") or {}
    points = {int(p["point"]): p for p in summary.get("points", [])}
    head = ["", "played (its seed after T)"]
    arms = info.get("arms") or []
    head += [f"point {int(a['point']) + 1}: {a['label']} (mean, 95 % CI)" for a in arms]
    rows = []
    for title, measure in _FROM_RUN:
        row = [_e(title), _e(_num(played.get(measure)))]
        for a in arms:
            stat = (points.get(int(a["point"]), {}).get("measures") or {}).get(measure) or {}
            ci = stat.get("ci95") or [None, None]
            row.append(_e(f"{_num(stat.get('mean'))} [{_num(ci[0])}, {_num(ci[1])}]"))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    where = f"{info.get('run_dir')}, line {info.get('branch')}"
    return (
        '<section id="from-run"><h2>Counterfactual from a played exercise</h2>'
        f"<p>Every run is the played exercise ({_e(where)}) up to "
        f"{float(info.get('branch_time_s', 0.0)):g} s, bit for bit (the played seed and "
        "commands); after it each run draws from its own seed, the same in both points, "
        "so the points pair run by run (below). The played outcome is the line as played, "
        f"to {float(info.get('played_to_s', 0.0)):g} s.</p>"
        "<table><thead><tr>"
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _num(value: Any) -> str:
    if value is None:
        return "–"
    return f"{float(value):.3g}"
