"""The report's "Staff measures" section: per partner, how its staff answered the play.

Reads ``summary.json``'s ``staff`` block (written by
:func:`skyweave.analysis.staff_measures.staff_measures`): launch to first
alert, consent asked to answered (median, and every question with who
answered it: the staff, or the partner's policy at the deadline, a timeout),
alert to first order, classifications (right or wrong), alert to partner
warned, and holds and overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skyweave.io.report_data import ReportContext
from skyweave.io.report_style import _e, _num, _swatch, _table


def _who(ctx: ReportContext, partner: str) -> str:
    colour = ctx.colours.get(partner)
    name = ctx.names.get(partner, partner)
    return _swatch(colour, name) if colour else _e(name)


def _right(value: Any) -> str:
    return "right" if value is True else "wrong" if value is False else "-"


def _summary_rows(
    ctx: ReportContext, staff: Mapping[str, Any]
) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for partner, m in staff.items():
        orders = m.get("orders", {})
        consent = m["consent"]
        rows.append(
            [
                _who(ctx, partner),
                _num(m["launch_to_first_alert"]["median_s"], 1),
                str(len(consent["questions"])),
                str(consent["answered_by_staff"]),
                str(consent["timed_out"]),
                _num(consent["median_delay_s"], 1),
                _num(m["alert_to_first_order_s"], 1),
                str(m["classified_right"]),
                str(m["classified_wrong"]),
                str(orders.get("hold_fire", 0)),
                str(orders.get("weapons_free", 0)),
                str(orders.get("engage", 0)),
                str(orders.get("command_rejected", 0) + orders.get("engage_rejected", 0)),
                _num(m.get("alert_to_warned", {}).get("median_s"), 1),
                str(m.get("holds", {}).get("holds_lifted", "-")),
                str(m.get("holds", {}).get("consent_overrides", "-")),
                str(m.get("holds", {}).get("overrides", "-")),
            ]
        )
        attrs.append(f'class="staff-row" data-partner="{_e(partner)}"')
    return rows, attrs


def _question_rows(
    ctx: ReportContext, staff: Mapping[str, Any]
) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for partner, m in staff.items():
        for q in m["consent"]["questions"]:
            by_staff = q["by"] == partner
            rows.append(
                [
                    _who(ctx, partner),
                    _e(q["question_id"]),
                    _e(q["battery_id"]),
                    _e(q["track_id"] or "-"),
                    ctx.clock(q["asked_s"]),
                    ctx.clock(q["answered_s"]),
                    _num(q["delay_s"], 1),
                    "granted" if q["granted"] else "denied",
                    "staff" if by_staff else "policy at the deadline",
                ]
            )
            attrs.append(
                f'class="staff-question" data-partner="{_e(partner)}" '
                f'data-question="{_e(q["question_id"])}"'
            )
    return rows, attrs


def _classification_rows(
    ctx: ReportContext, staff: Mapping[str, Any]
) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for partner, m in staff.items():
        for c in m["classifications"]:
            rows.append(
                [
                    _who(ctx, partner),
                    ctx.clock(c["time_s"]),
                    _e(c["track_id"]),
                    _e(c["as"]),
                    _e(c["object_id"] or "-"),
                    _num(c["launch_to_classification_s"], 1),
                    _right(c["right"]),
                ]
            )
            attrs.append(f'class="staff-classification" data-partner="{_e(partner)}"')
    return rows, attrs


def _warned_rows(ctx: ReportContext, staff: Mapping[str, Any]) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for partner, m in staff.items():
        for w in m.get("alert_to_warned", {}).get("per_threat", []):
            by = w["warned_by"]
            rows.append(
                [
                    _who(ctx, partner),
                    _e(w["object_id"]),
                    ctx.clock(w["first_alert_s"]),
                    _e(ctx.names.get(w["first_alert_by"], w["first_alert_by"])),
                    ctx.clock(w["warned_s"]),
                    "-"
                    if by is None
                    else "own alert"
                    if by == partner
                    else _e("received from " + ctx.names.get(by, by)),
                    _num(w["alert_to_warned_s"], 1),
                ]
            )
            attrs.append(
                f'class="staff-warned" data-partner="{_e(partner)}" '
                f'data-threat="{_e(w["object_id"])}"'
            )
    return rows, attrs


def _override_rows(
    ctx: ReportContext, staff: Mapping[str, Any]
) -> tuple[list[list[str]], list[str]]:
    rows, attrs = [], []
    for partner, m in staff.items():
        for o in m.get("holds", {}).get("override_orders", []):
            rows.append(
                [
                    _who(ctx, partner),
                    ctx.clock(o["time_s"]),
                    _e(o["kind"].replace("_", " ")),
                    _e(o["target"] or "-"),
                    _e(
                        {"c2": "the command post's assignment", "policy": "the consent policy"}.get(
                            o["over"], o["over"]
                        )
                    ),
                ]
            )
            attrs.append(f'class="staff-override" data-partner="{_e(partner)}"')
    return rows, attrs


def _staff_html(ctx: ReportContext) -> str:
    """The "Staff measures" section's body (tables), or a line saying why there is none."""
    staff = ctx.run.summary.get("staff")
    if not staff:
        return "<p>This run's summary.json holds no staff measures (an older run).</p>"
    parts = [
        "<p>Per partner: the median time from a threat's launch to the partner's first "
        "alert about it; consent questions asked, answered by the staff and answered by "
        "the partner's policy at the deadline (timed out), with the median time from "
        "asked to answered of the staff's answers; the time from the partner's first "
        "alert to its staff's first order (hold fire, weapons free, engage, classify or "
        "a consent answer); classifications of launches right and wrong; and the hold "
        "fire, weapons free and engage orders, and the orders the engine refused. "
        "<em>Alert to warned</em>: per threat, from the first alert any partner issued "
        "about it to the moment this partner was warned of it, by its own alert or one "
        "received over a link (median over the threats it was warned of). An "
        "<em>override</em> is a staff order that sets aside what would otherwise have "
        "happened: every engage order (it sets aside the command post's own "
        "assignment), a weapons free that lifts a hold in force on at least one of the "
        "partner's batteries, set by its staff or the white cell (<em>holds lifted</em>), "
        "and a consent answer other than the one the partner's policy gives at the "
        "deadline (the policy grants, so a staff denial: <em>consent overridden</em>). "
        "Times in seconds.</p>"
    ]
    rows, attrs = _summary_rows(ctx, staff)
    headers = [
        "partner",
        "launch to first alert, median",
        "consent asked",
        "answered by staff",
        "timed out",
        "asked to answered, median",
        "alert to first order",
        "classified right",
        "classified wrong",
        "hold fire",
        "weapons free",
        "engage",
        "refused",
        "alert to warned, median",
        "holds lifted",
        "consent overridden",
        "overrides",
    ]
    parts.append(_table(headers, rows, left=1, row_attrs=attrs, cls="staff"))
    rows, attrs = _question_rows(ctx, staff)
    if rows:
        parts.append("<h3>Consent questions</h3>")
        headers = [
            "partner",
            "question",
            "battery",
            "track",
            "asked",
            "answered",
            "asked to answered",
            "answer",
            "by",
        ]
        parts.append(_table(headers, rows, left=4, row_attrs=attrs, cls="staff-questions"))
    rows, attrs = _warned_rows(ctx, staff)
    if rows:
        parts.append("<h3>Alert to partner warned</h3>")
        headers = ["partner", "threat", "first alert", "by", "warned", "how", "alert to warned"]
        parts.append(_table(headers, rows, left=6, row_attrs=attrs, cls="staff-warned"))
    rows, attrs = _override_rows(ctx, staff)
    if rows:
        parts.append("<h3>Overrides</h3>")
        headers = ["partner", "time", "order", "target", "set aside"]
        parts.append(_table(headers, rows, left=5, row_attrs=attrs, cls="staff-overrides"))
    rows, attrs = _classification_rows(ctx, staff)
    if rows:
        parts.append("<h3>Classifications</h3>")
        headers = ["partner", "time", "track", "as", "threat followed", "after launch", "call"]
        parts.append(_table(headers, rows, left=5, row_attrs=attrs, cls="staff-classifications"))
    return "".join(parts)


__all__: list[str] = []
