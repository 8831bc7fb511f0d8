"""The report's HTML tables: header, measures, warning, threats, engagements, forces, injects."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.exercise.injects import assess, inject_label
from skyweave.io.report_data import ReportContext, ThreatInfo
from skyweave.io.report_style import _e, _fmt_lat, _fmt_lon, _num, _swatch, _t, _table
from skyweave.io.report_timeline import (
    InjectSpan,
    _ballistic_warning_rows,
    inject_spans,
    played_commands,
    played_injects,
)
from skyweave.scenario.schema import Radar

FloatArray = NDArray[np.float64]


def _header_html(ctx: ReportContext) -> str:
    s = ctx.run.summary
    sc = ctx.scenario
    name = s.get("scenario") or (sc.name if sc else ctx.run.run_dir.name)
    desc = sc.description.strip() if sc is not None else ""
    facts: list[tuple[str, str]] = []
    if sc is not None:
        facts.append(("Epoch (T+0)", sc.epoch.strftime("%Y-%m-%d %H:%M:%SZ")))
    facts.append(("Seed", _e(s.get("seed", sc.seed if sc else "-"))))
    mode = s.get("coordination_mode", sc.coordination_mode if sc else "-")
    facts.append(("Coordination mode", _e(mode)))
    facts.append(("Simulated", f"{_num(ctx.duration_s)} s ({_t(ctx.duration_s)})"))
    counts = s.get("counts", {}) or {}
    by_kind = counts.get("threats_by_kind") or {}
    if not by_kind:
        for th in ctx.threats:
            by_kind[th.kind] = by_kind.get(th.kind, 0) + 1
    n_threats = counts.get("threats", len(ctx.threats))
    kinds = ", ".join(f"{v} {k}" for k, v in by_kind.items())
    facts.append(("Threats", f"{_e(n_threats)}" + (f" ({_e(kinds)})" if kinds else "")))
    if "detections" in counts:
        facts.append(
            (
                "Detections",
                f"{_num(counts['detections'])} ({_num(counts.get('false_alarms'))} false alarms)",
            )
        )
    partners = ", ".join(_swatch(ctx.colours[p], ctx.names[p]) for p in ctx.partners)
    facts.append(("Partners", partners or "-"))
    if sc is not None:
        facts.append(
            (
                "Forces",
                f"{len(sc.defended_assets)} defended assets, {len(sc.sensors)} sensors, "
                f"{len(sc.batteries)} batteries",
            )
        )
    if s.get("skyweave_version"):
        facts.append(("Skyweave", _e(s["skyweave_version"])))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        f"<header><h1>After-action report: {_e(name)}</h1>"
        + (f'<p class="desc">{_e(desc)}</p>' if desc else "")
        + '<p class="banner">Exercise simulation. Every force, sensor and weapon parameter '
        "is notional and generic.</p>" + f'<dl class="facts">{dl}</dl></header>'
    )


def _measures_html(ctx: ReportContext) -> str:
    s = ctx.run.summary
    by_p = (s.get("warning", {}) or {}).get("by_partner", {}) or {}
    tq = (s.get("track_quality", {}) or {}).get("partners", {}) or {}
    if not by_p and not tq:
        return (
            '<section id="measures"><h2>Key measures</h2><p>This run\'s summary.json holds '
            "no warning or track-quality measures (an older run).</p></section>"
        )
    rows = []
    for pid in ctx.partners:
        w = by_p.get(pid, {}) or {}
        q = tq.get(pid, {}) or {}
        siap = q.get("siap", {}) or {}
        warned = w.get("warned")
        total = w.get("ballistic_threats")
        rows.append(
            [
                _swatch(ctx.colours[pid], ctx.names[pid]),
                "-" if warned is None else f"{warned} / {total}",
                _num(w.get("median_warning_s")),
                _num(w.get("worst_warning_s")),
                _num(q.get("gospa_mean_m"), 1, 1e-3),
                _num(q.get("gospa_mean_missed_targets"), 2),
                _num(q.get("gospa_mean_false_tracks"), 2),
                _num(siap.get("completeness"), 2),
                _num(siap.get("ambiguity"), 2),
                _num(siap.get("spuriousness"), 2),
                _num(siap.get("position_accuracy_m")),
            ]
        )
    headers = [
        "partner",
        "ballistic threats warned",
        "median warning, s",
        "worst warning, s",
        "mean GOSPA, km",
        "mean missed",
        "mean false",
        "SIAP completeness",
        "SIAP ambiguity",
        "SIAP spuriousness",
        "SIAP position accuracy, m",
    ]
    return (
        '<section id="measures"><h2>Key measures</h2>'
        + _table(
            headers,
            rows,
            row_attrs=[f'class="measure-row" data-partner="{_e(p)}"' for p in ctx.partners],
        )
        + "<p>Warning time: true impact time minus the partner's first alert about the "
        "threat, own or received. GOSPA (order 1, cut-off 10 km) and SIAP from the "
        "partner's own tracks against truth; best values: GOSPA 0, completeness 1, "
        "ambiguity 1, spuriousness 0.</p></section>"
    )


def _warning_table_html(ctx: ReportContext) -> str:
    if not (ctx.run.summary.get("warning", {}) or {}).get("per_threat"):
        return "<p>This run's summary.json holds no warning measures (an older run).</p>"
    rows = []
    attrs = []
    for r in _ballistic_warning_rows(ctx):
        th: ThreatInfo = r["threat"]
        warning = r.get("warning_time_s")
        rows.append(
            [
                _e(th.object_id) + (" (accidental)" if th.accidental else ""),
                _swatch(ctx.colours[r["partner"]], ctx.names[r["partner"]]),
                ctx.clock(th.launch_time_s),
                ctx.clock(r.get("first_detection_s")),
                ctx.clock(r.get("first_track_s")),
                ctx.clock(r.get("first_alert_s")),
                ctx.clock(r.get("impact_time_s", th.end_time_s)),
                _num(warning) if warning is not None else "\x00badnot warned",
            ]
        )
        attrs.append(
            f'class="warning-row{" acc" if th.accidental else ""}" '
            f'data-threat="{_e(th.object_id)}" data-partner="{_e(r["partner"])}"'
        )
    if not rows:
        return "<p>No ballistic threats in this run.</p>"
    headers = [
        "threat",
        "partner",
        "launch",
        "first detection",
        "first track",
        "first alert",
        "impact",
        "warning, s",
    ]
    return _table(headers, rows, left=2, row_attrs=attrs, cls="warning")


def _threats_table_html(ctx: ReportContext) -> str:
    rows = []
    for th in ctx.threats:
        rows.append(
            [
                _e(th.object_id) + (" (accidental)" if th.accidental else ""),
                _e(th.kind),
                ctx.clock(th.launch_time_s),
                ctx.clock(th.flight_end_s),
                _num(th.flight_end_s - th.launch_time_s),
                _e(th.outcome or "-"),
                _num(th.apogee_km, 1),
                f"{_fmt_lat(round(th.launch_lat_deg, 2))} {_fmt_lon(round(th.launch_lon_deg, 2))}"
                if math.isfinite(th.launch_lat_deg)
                else "-",
                f"{_fmt_lat(round(th.end_lat_deg, 2))} {_fmt_lon(round(th.end_lon_deg, 2))}"
                if math.isfinite(th.end_lat_deg)
                else "-",
            ]
        )
    headers = [
        "threat",
        "kind",
        "launch",
        "end",
        "flight, s",
        "outcome",
        "apogee, km",
        "launch point",
        "impact point (planned, if killed)",
    ]
    return _table(headers, rows, left=2)


def _engagements_html(ctx: ReportContext) -> str:
    eng = ctx.engagements
    if eng is None:
        return "<p>No engagements recorded: this run folder has no engagements.parquet.</p>"
    if not len(eng):
        return "<p>No interceptor was fired.</p>"
    # Outcome per partner first: engagements, interceptors, kills, misses.
    shots_per_row = eng.shot_counts
    summary_rows = []
    for pid in ctx.partners:
        mine = eng.partner == pid
        n = int(np.sum(mine))
        kills = int(np.sum(mine & (eng.outcome == "kill")))
        aborted = int(np.sum(mine & (eng.outcome == "aborted")))
        summary_rows.append(
            [
                _swatch(ctx.colours[pid], ctx.names[pid]),
                str(n),
                str(int(np.sum(shots_per_row[mine]))),
                str(kills),
                str(n - kills - aborted),
                str(aborted),
                _num(kills / n, 2) if n else "-",
            ]
        )
    out = ""
    defence = ctx.run.summary.get("engagement") or {}
    if defence:
        hits = ", ".join(
            f"{_e(h['asset_id'])} (value {_num(h['value'])}, by {_e(', '.join(h['by']))})"
            for h in defence.get("defended_assets_hit", [])
        )
        out += (
            f"<p><b>Leakers:</b> {defence.get('leakers', '-')} "
            f"({_e(', '.join(defence.get('leaker_ids', [])) or 'none')}). "
            f"<b>Defended assets hit:</b> {hits or 'none'}. "
            f"<b>First alert to first shot</b> (median over engaged threats): "
            f"{_num(defence.get('alert_to_first_shot_median_s'))} s.</p>"
        )
    out += _table(
        [
            "partner",
            "engagements",
            "interceptors fired",
            "kills",
            "misses",
            "aborted",
            "kills per engagement",
        ],
        summary_rows,
    )
    order = np.lexsort((np.arange(len(eng)), eng.time_s))
    rows = []
    for i in order:
        rows.append(
            [
                _e(eng.target[i] if eng.target[i] is not None else "-"),
                _e(ctx.names.get(str(eng.partner[i]), eng.partner[i] or "-")),
                _e(eng.battery[i] if eng.battery[i] is not None else "-"),
                _e(eng.interceptor[i] if eng.interceptor[i] is not None else "-"),
                ctx.clock(eng.time_s[i]),
                ctx.clock(eng.end_time_s[i]),
                str(int(shots_per_row[i])),
                _e(eng.outcome[i] if eng.outcome[i] is not None else "-"),
            ]
        )
    out += _table(
        ["target", "partner", "battery", "interceptor", "fired", "end game", "shots", "outcome"],
        rows,
        left=4,
        row_attrs=['class="engagement-row"'] * len(rows),
    )
    return out


def _forces_html(ctx: ReportContext) -> str:
    sc = ctx.scenario
    if sc is None:
        return "<p>Scenario not given: forces not listed.</p>"

    def where(lat: float, lon: float) -> str:
        return f"{_fmt_lat(round(lat, 2))} {_fmt_lon(round(lon, 2))}"

    spans, _ = inject_spans(sc, ctx.duration_s, played_injects(played_commands(ctx.run.run_dir)))
    by_target: dict[str, list[InjectSpan]] = {}
    for span in spans:
        by_target.setdefault(span.target, []).append(span)

    def outages(windows: Sequence[Any], unit_id: str) -> str:
        """Scheduled outages, then the white cell's (failure to repair, or to the end)."""
        text = [f"{ctx.clock(w.start_s)}–{ctx.clock(w.end_s)}" for w in windows]
        for span in by_target.get(unit_id, []):
            if span.kind == "battery_empty":
                text.append(f"empty from {ctx.clock(span.start_s)} (inject)")
            else:
                text.append(f"{ctx.clock(span.start_s)}–{ctx.clock(span.end_s)} (inject)")
        return ", ".join(text) or "-"

    def who(pid: str) -> str:
        return _swatch(ctx.colours.get(pid, "#555555"), ctx.names.get(pid, pid))

    rows = []
    for s in sc.sensors:
        if isinstance(s, Radar):
            rows.append(
                [
                    _e(s.id),
                    who(s.partner),
                    _e(s.role.replace("_", "-") + " radar"),
                    where(s.lat_deg, s.lon_deg),
                    f"{s.boresight_az_deg:g}° ± {s.sector_half_width_deg:g}°, "
                    f"{s.max_range_km:g} km, revisit {s.revisit_s:g} s",
                    outages(s.outages, s.id),
                ]
            )
        else:
            pos = (
                f"geostationary {_fmt_lon(s.geo_lon_deg)}"
                if s.geo_lon_deg is not None
                else where(s.position.lat_deg, s.position.lon_deg)
                if s.position
                else "-"
            )
            rows.append(
                [
                    _e(s.id),
                    who(s.partner),
                    "space infrared",
                    pos,
                    f"plumes above {s.cloud_top_alt_m / 1e3:g} km, frame {s.frame_period_s:g} s, "
                    f"delay {s.processing_delay_s:g} s",
                    outages(s.outages, s.id),
                ]
            )
    for b in sc.batteries:
        rows.append(
            [
                _e(b.id),
                who(b.partner),
                "interceptor battery",
                where(b.lat_deg, b.lon_deg),
                f"{b.interceptors} interceptors on {b.launchers} launchers, "
                f"{b.min_range_km:g}–{b.max_range_km:g} km, up to {b.max_alt_km:g} km, "
                f"{_e(b.doctrine)}",
                outages([], b.id),
            ]
        )
    for a in sc.defended_assets:
        rows.append(
            [
                _e(a.id),
                who(a.partner),
                "defended asset",
                where(a.lat_deg, a.lon_deg),
                f"{_e(a.name)}, value {a.value:g}, radius {a.radius_m / 1e3:g} km",
                "-",
            ]
        )
    return _table(
        ["id", "partner", "type", "position", "characteristics", "outages"],
        rows,
        left=6,
        row_attrs=[f'class="force-row" data-id="{row[0]}"' for row in rows],
    )


def _injects_html(ctx: ReportContext) -> str:
    """Every inject, scripted or played live, every white-cell note and bookmark, and each
    expected response with its assessment from the command log (met, late, not met)."""
    sc = ctx.scenario
    played = played_commands(ctx.run.run_dir)
    orders = [c for c in played if c.seat != "white"]
    rows: list[tuple[float, list[str]]] = []
    for i in [] if sc is None else sc.injects:
        what = [_e(i.kind.replace("_", " ")), _e(i.target or "-"), _e(i.text or "")]
        rows.append((i.time_s, ["scenario", *what, "-", "-"]))
    for c in played:
        if c.seat != "white":
            continue
        if c.kind == "note":
            text = str(c.body.get("text", ""))
            kind = "bookmark" if text.startswith("bookmark") else "note"
            rows.append((c.time_s, ["white cell", kind, "-", _e(text), "-", "-"]))
            continue
        if c.kind != "inject":
            continue
        body = c.body
        label = inject_label(body)
        target = body["inject"].get("target") if "inject" in body else None
        note = body.get("note") or body.get("inject", {}).get("text") or ""
        expected = body.get("expected_response")
        verdict = "-"
        if expected:
            status, answered_s = assess(c.time_s, expected, orders, ctx.duration_s, final=True)
            verdict = status + ("" if answered_s is None else f" at {ctx.clock(answered_s)}")
        what = [_e(label.split(" ")[0].replace("_", " ")), _e(target or label.split(" ")[-1])]
        rows.append((c.time_s, ["white cell", *what, _e(note), _e(expected or "-"), _e(verdict)]))
    if not rows:
        why = " (scenario not given)" if sc is None else ""
        return f"<p>No white-cell injects{why}.</p>"
    rows.sort(key=lambda r: r[0])
    return _table(
        ["time", "from", "inject", "target", "text", "expected response", "assessed"],
        [[ctx.clock(t), *cells] for t, cells in rows],
        left=7,
    )
