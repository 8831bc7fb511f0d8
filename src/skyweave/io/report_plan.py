"""The report's plan section: the locked plan's assessment against the played outcome.

Shown when the run folder holds ``plan.json`` (an exercise started from a locked plan,
``skyweave exercise --plan``): the plan version locked, the releases agreed, and, for
leakers, value protected and interceptors used, the assessment's mean with its 95 %
interval of the mean (over its seeded runs) beside what the exercise played. One played
exercise is one draw: falling outside the interval of the mean is not by itself a
surprise; far outside it is worth a look.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyweave.io.report_style import _e

PLAN_NAME = "plan.json"
#: largest plan.json read into a report
MAX_PLAN_BYTES = 16 * 1024 * 1024


def read_plan(run_dir: Path) -> dict[str, Any] | None:
    """The run folder's ``plan.json``, or None (absent, a link, too large or unreadable)."""
    path = Path(run_dir) / PLAN_NAME
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_PLAN_BYTES:
            return None
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return plan if isinstance(plan, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _ci_text(block: Any, digits: int) -> str:
    if not isinstance(block, Mapping) or _number(block.get("mean")) is None:
        return "–"
    text = f"{float(block['mean']):.{digits}f}"
    ci = block.get("ci95")
    if isinstance(ci, list) and len(ci) == 2 and all(_number(x) is not None for x in ci):
        text += f" [{float(ci[0]):.{digits}f}, {float(ci[1]):.{digits}f}]"
    return text


def _verdict(block: Any, played: float | None) -> str:
    if played is None or not isinstance(block, Mapping):
        return ""
    ci = block.get("ci95")
    if not (isinstance(ci, list) and len(ci) == 2 and all(_number(x) is not None for x in ci)):
        return ""
    low, high = float(ci[0]), float(ci[1])
    return "within" if low <= played <= high else ("below" if played < low else "above")


def plan_section_html(run_dir: Path, summary: Mapping[str, Any]) -> str:
    """The ``<section id="plan">`` of the report, or "" when the run has no plan."""
    plan = read_plan(run_dir)
    if plan is None:
        return ""
    engagement = summary.get("engagement", {}) if isinstance(summary, Mapping) else {}
    assessment = plan.get("assessment") if isinstance(plan.get("assessment"), dict) else None
    values = plan.get("asset_values", {})
    total = sum(v for v in values.values() if _number(v) is not None) if values else None
    value_hit = _number(engagement.get("value_hit"))
    played = {
        "leakers": _number(engagement.get("leakers")),
        "value_protected": None if total is None or value_hit is None else total - value_hit,
        "interceptors_used": _number(engagement.get("interceptors_used_total")),
    }
    releases = [r for r in plan.get("releases", []) if isinstance(r, dict) and r.get("agreed")]
    parts = [
        '<section id="plan"><h2>Plan and outcome</h2>',
        f"<p>The exercise ran the plan locked at version {_e(plan.get('locked_version'))} "
        f"({len(plan.get('versions', [])) - 1} edits by the staffs); "
        f"{len(releases)} releases agreed (offered and accepted).</p>",
    ]
    if assessment is None:
        parts.append("<p>The plan was not assessed before it was locked.</p></section>")
        return "".join(parts)
    note = (
        ""
        if plan.get("assessment_of_locked")
        else f" (of version {_e(assessment.get('version'))}, not the locked one)"
    )
    parts.append(
        f"<p>Assessment{note}: {_e(assessment.get('done'))} seeded runs of "
        f"{_e(assessment.get('runs'))}; mean [95 % interval of the mean].</p>"
        "<table><tr><th>measure</th><th>plan: assessed</th><th>played</th>"
        "<th>played vs interval</th></tr>"
    )
    for key, label, digits in (
        ("leakers", "leakers", 2),
        ("value_protected", f"value protected (of {total:g})" if total else "value protected", 1),
        ("interceptors_used", "interceptors used", 1),
    ):
        value = played[key]
        shown = "–" if value is None else f"{value:g}"
        parts.append(
            f"<tr><td>{_e(label)}</td><td>{_e(_ci_text(assessment.get(key), digits))}</td>"
            f"<td>{_e(shown)}</td><td>{_e(_verdict(assessment.get(key), value))}</td></tr>"
        )
    parts.append(
        "</table><p>One played exercise is one draw; the interval is of the mean over the "
        "assessment's runs, so a played outcome a little outside it is no surprise.</p>"
        "</section>"
    )
    return "".join(parts)


__all__ = ["plan_section_html", "read_plan"]
