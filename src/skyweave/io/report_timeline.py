"""The report's figures over time: injects, per-partner timeline, warning time, track quality."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.engine.commands import Command, parse_command_lines
from skyweave.errors import InputError
from skyweave.io import safe_files
from skyweave.io.replay_input import COMMANDS_NAME
from skyweave.io.report_data import KIND_COLOURS, MAX_TIMELINE_ROWS, ReportContext, _column
from skyweave.io.report_style import _minutes, _new_figure
from skyweave.scenario.schema import Inject, Scenario

FloatArray = NDArray[np.float64]


_INJECT_PAIRS = {
    "sensor_failure": ("sensor_repair", "down"),
    "link_cut": ("link_restore", "cut"),
    "command_post_silent": ("command_post_restore", "silent"),
    "battery_empty": ("", "empty"),
}


@dataclass(frozen=True)
class InjectSpan:
    """An outage from an inject to its restoring inject (or the end of the run)."""

    label: str
    start_s: float
    end_s: float
    target: str = ""
    kind: str = ""


def played_commands(run_dir: Path) -> list[Command]:
    """The commands a run was given (a played exercise's orders), from its
    ``commands.jsonl``; none when the file is absent or unreadable."""
    try:
        path = safe_files.safe_path(run_dir, COMMANDS_NAME)
        if not path.is_file():
            return []
        return parse_command_lines(safe_files.read_text(path), str(path))
    except InputError:
        return []


def played_injects(commands: Sequence[Command]) -> list[Inject]:
    """The white cell's live injects (sensor, link, battery, command post) and notes, as
    scenario injects at the times they applied."""
    out = []
    for c in commands:
        if c.seat != "white":
            continue
        if c.kind == "note":
            out.append(Inject(time_s=c.time_s, kind="note", text=str(c.body.get("text", ""))))
        elif c.kind == "inject" and "inject" in c.body:
            body = c.body["inject"]
            out.append(
                Inject(
                    time_s=c.time_s,
                    kind=body["kind"],
                    target=body.get("target"),
                    text=body.get("text") or "",
                )
            )
    return out


def inject_spans(
    scenario: Scenario | None, end_s: float, played: Sequence[Inject] = ()
) -> tuple[list[InjectSpan], list[Any]]:
    """Outage spans (failure to repair) and the remaining point injects (notes), the
    scenario's and those ``played`` live."""
    if scenario is None and not played:
        return [], []
    spans: list[InjectSpan] = []
    points: list[Any] = []
    scripted = [] if scenario is None else scenario.injects
    injects = sorted([*scripted, *played], key=lambda i: i.time_s)
    for k, inj in enumerate(injects):
        pair = _INJECT_PAIRS.get(inj.kind)
        if pair is None:
            if inj.kind not in {p[0] for p in _INJECT_PAIRS.values()}:
                points.append(inj)
            continue
        restore, word = pair
        stop = next(
            (j.time_s for j in injects[k + 1 :] if j.kind == restore and j.target == inj.target),
            end_s,
        )
        spans.append(
            InjectSpan(
                f"{inj.target or inj.kind} {word}", inj.time_s, stop, inj.target or "", inj.kind
            )
        )
    return spans, points


def fallback_spans(run_dir: Path, end_s: float) -> list[InjectSpan]:
    """Batteries reverted to their own command post under the fallback doctrine, from
    ``command_reverted`` to ``command_restored`` in ``events.parquet`` (none when the
    table is absent or unreadable)."""
    import pyarrow.parquet as pq

    try:
        path = safe_files.safe_path(run_dir, "events.parquet")
        if not path.is_file():
            return []
        rows = pq.read_table(path, columns=["time_s", "source", "kind", "target"]).to_pylist()
    except (InputError, OSError, ValueError):
        return []
    out: list[InjectSpan] = []
    since: dict[str, tuple[float, str]] = {}
    for r in rows:
        if r["kind"] == "command_reverted":
            since[r["target"]] = (r["time_s"], r["source"])
        elif r["kind"] == "command_restored" and r["target"] in since:
            start, partner = since.pop(r["target"])
            out.append(_reverted(r["target"], partner, start, r["time_s"]))
    out += [_reverted(b, p, start, end_s) for b, (start, p) in since.items()]
    return out


def _reverted(battery: str, partner: str, start_s: float, end_s: float) -> InjectSpan:
    return InjectSpan(f"{battery} reverted to {partner}", start_s, end_s, battery, "fallback")


def timeline(ctx: ReportContext) -> Any:
    """Per-partner Gantt of threats: flight, detection, track, alerts, engagements, injects."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    threats = ctx.threats[:MAX_TIMELINE_ROWS]
    row_ids = [t.object_id for t in threats]
    al = ctx.alerts
    stray = al is not None and bool(np.any([a is None for a in al.about]) if len(al) else False)
    labels = [f"{t.object_id}{' (acc.)' if t.accidental else ''}" for t in threats]
    if stray:
        labels.append("no threat matched")
    n_rows = len(labels)
    row_of = {oid: k for k, oid in enumerate(row_ids)}
    played = played_injects(played_commands(ctx.run.run_dir))
    spans, notes = inject_spans(ctx.scenario, ctx.duration_s, played)
    spans += fallback_spans(ctx.run.run_dir, ctx.duration_s)
    inject_rows = sorted({s.label for s in spans}) + (["white-cell notes"] if notes else [])
    n_part = max(len(ctx.partners), 1)
    panel_h = 0.6 + 0.24 * max(n_rows, 3)
    ratios = ([0.45 + 0.22 * len(inject_rows)] if inject_rows else []) + [panel_h] * n_part
    fig = _new_figure(10.5, sum(ratios) + 1.3)
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios, squeeze=False)[:, 0]
    per_threat = _first_times(ctx)
    drawn: set[str] = set()
    xmax = _minutes(ctx.duration_s)
    k0 = 0
    if inject_rows:
        ax = axes[0]
        for s in spans:
            y = inject_rows.index(s.label)
            ax.barh(
                y,
                _minutes(s.end_s - s.start_s),
                left=_minutes(s.start_s),
                height=0.55,
                color="#e8a0a0",
                edgecolor="#a04040",
                hatch="///",
                lw=0.6,
            )
        for note in notes:
            y = inject_rows.index("white-cell notes")
            ax.plot([_minutes(note.time_s)], [y], marker="|", ms=12, mew=2, color="#a04040")
            text = note.text or note.kind
            ax.annotate(
                text if len(text) <= 70 else text[:67] + "...",
                (_minutes(note.time_s), y),
                xytext=(5, -3),
                textcoords="offset points",
                fontsize=7,
                color="#602020",
            )
        ax.set_yticks(range(len(inject_rows)), inject_rows)
        ax.set_ylim(len(inject_rows) - 0.5, -0.5)
        ax.set_title(
            "White-cell injects (hatched: outage until restored) and batteries reverted "
            "to their own command post (fallback)",
            loc="left",
        )
        k0 = 1
    marker_kw = {"ls": "none", "zorder": 5}
    for p_idx, pid in enumerate(ctx.partners or [""]):
        ax = axes[k0 + p_idx]
        for s in spans:
            ax.axvspan(_minutes(s.start_s), _minutes(s.end_s), color="#e8a0a0", alpha=0.18, lw=0)
        for note in notes:
            ax.axvline(_minutes(note.time_s), color="#a04040", lw=0.8, ls="--", alpha=0.7)
        for y, th in enumerate(threats):
            if math.isfinite(th.launch_time_s) and math.isfinite(th.end_time_s):
                ax.barh(
                    y,
                    _minutes(th.flight_end_s - th.launch_time_s),
                    left=_minutes(th.launch_time_s),
                    height=0.5,
                    color=KIND_COLOURS.get(th.kind, "#888888"),
                    alpha=0.18,
                    lw=0,
                )
                if (
                    th.kind in ("ballistic", "cruise")
                    and not th.killed
                    and th.end_time_s <= ctx.duration_s
                ):
                    ax.plot(
                        [_minutes(th.end_time_s)],
                        [y],
                        marker="X",
                        ms=7,
                        mfc="black",
                        mec="white",
                        mew=0.6,
                        **marker_kw,
                    )
                    drawn.add("impact")
            r = per_threat.get((th.object_id, pid), {})
            for key, marker, ms in (
                ("first_detection_s", "o", 5.5),
                ("first_track_s", "s", 5.5),
                ("first_alert_s", "*", 10.0),
            ):
                v = r.get(key)
                if v is not None:
                    ax.plot(
                        [_minutes(v)],
                        [y],
                        marker=marker,
                        ms=ms,
                        mfc=ctx.colours.get(pid),
                        mec="black",
                        mew=0.6,
                        **marker_kw,
                    )
                    drawn.add(key)
        if al is not None and len(al):
            mine = np.flatnonzero(al.partner == pid)
            rows = (
                np.array(
                    [row_of.get(a, -1) if a is not None else n_rows - 1 for a in al.about[mine]],
                    dtype=np.int64,
                )
                if mine.size
                else np.zeros(0, np.int64)
            )
            keep = rows >= 0
            mine, rows = mine[keep], rows[keep]
            for origin in ctx.partners:
                colour = ctx.colours.get(origin, "#555555")
                for kind, marker, ms, dy in (
                    ("threat_change", "|", 7, 0.28),
                    ("new_threat", "^", 6, 0.28),
                    ("engagement_result", "d", 5, 0.28),
                    ("impact", "v", 5, 0.28),
                    ("all_clear", "x", 6, 0.28),
                ):
                    sel = (al.origin[mine] == origin) & (al.kind[mine] == kind)
                    if not sel.any():
                        continue
                    ax.plot(
                        _minutes(al.time_s[mine][sel]),
                        rows[sel] + dy,
                        marker=marker,
                        ms=ms,
                        color=colour,
                        mew=1.0,
                        alpha=0.75,
                        **marker_kw,
                    )
                    drawn.add("impact_alert" if kind == "impact" else kind)
        eng = ctx.engagements
        if eng is not None and len(eng):
            mine_e = np.flatnonzero(eng.partner == pid)
            for i in mine_e:
                target_row = row_of.get(eng.target[i])
                if target_row is None:
                    continue
                if math.isfinite(eng.time_s[i]):
                    ax.plot(
                        [_minutes(eng.time_s[i])],
                        [target_row - 0.28],
                        marker=">",
                        ms=6,
                        color=ctx.colours.get(pid),
                        mec="black",
                        mew=0.5,
                        **marker_kw,
                    )
                if math.isfinite(eng.end_time_s[i]):
                    ax.plot(
                        [_minutes(eng.end_time_s[i])],
                        [target_row - 0.28],
                        marker="*",
                        ms=10,
                        mfc="gold" if eng.outcome[i] == "kill" else "none",
                        mec="black",
                        mew=0.6,
                        **marker_kw,
                    )
        ax.set_yticks(range(n_rows), labels)
        ax.set_ylim(n_rows - 0.4, -0.6)
        ax.grid(True, axis="x", color="#dddddd", lw=0.6)
        ax.set_title(
            f"What {ctx.names.get(pid, pid)} saw and was told",
            loc="left",
            color=ctx.colours.get(pid, "black"),
        )
    if xmax > 0.0:  # (a run ended at its first tick has no span: matplotlib widens it)
        axes[-1].set_xlim(0.0, float(xmax))
    axes[-1].set_xlabel(ctx.time_axis_label())
    keyed: list[tuple[str, Any]] = [
        (
            "impact",
            Line2D([], [], ls="none", marker="X", ms=7, mfc="black", mec="white", label="impact"),
        ),
        (
            "first_detection_s",
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=5.5,
                mfc="grey",
                mec="black",
                label="first detection",
            ),
        ),
        (
            "first_track_s",
            Line2D(
                [], [], ls="none", marker="s", ms=5.5, mfc="grey", mec="black", label="first track"
            ),
        ),
        (
            "first_alert_s",
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=10,
                mfc="grey",
                mec="black",
                label="first alert (warning starts)",
            ),
        ),
        (
            "new_threat",
            Line2D([], [], ls="none", marker="^", ms=6, color="grey", label="new threat"),
        ),
        (
            "threat_change",
            Line2D(
                [], [], ls="none", marker="|", ms=7, mew=1.0, color="grey", label="threat change"
            ),
        ),
        (
            "engagement_result",
            Line2D([], [], ls="none", marker="d", ms=5, color="grey", label="engagement result"),
        ),
        (
            "impact_alert",
            Line2D([], [], ls="none", marker="v", ms=5, color="grey", label="impact alert"),
        ),
        ("all_clear", Line2D([], [], ls="none", marker="x", ms=6, color="grey", label="all clear")),
    ]
    handles: list[Any] = [
        Patch(facecolor=KIND_COLOURS.get(k, "#888888"), alpha=0.3, label=f"{k} in flight")
        for k in sorted({t.kind for t in threats})
    ]
    handles += [h for key, h in keyed if key in drawn]
    if ctx.engagements is not None and len(ctx.engagements):
        handles += [
            Line2D([], [], ls="none", marker=">", ms=6, color="grey", label="interceptor fired"),
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=10,
                mfc="gold",
                mec="black",
                label="end game (gold: kill)",
            ),
        ]
    handles += [Patch(facecolor=ctx.colours[p], label=f"from {ctx.names[p]}") for p in ctx.partners]
    fig.legend(handles=handles, loc="outside lower center", ncol=6, frameon=False)
    if len(ctx.threats) > MAX_TIMELINE_ROWS:
        fig.suptitle(
            f"first {MAX_TIMELINE_ROWS} of {len(ctx.threats)} threats by launch time",
            fontsize=8,
            x=0.99,
            ha="right",
        )
    return fig


def _first_times(ctx: ReportContext) -> dict[tuple[str, str], dict[str, Any]]:
    """(threat, partner) -> first detection / track / alert times.

    From ``summary.json``'s warning rows; for an older run without them, the
    first detections are taken from ``detections.parquet`` (its ``object_id``
    names the threat a detection came from).
    """
    rows = (ctx.run.summary.get("warning", {}) or {}).get("per_threat", []) or []
    if rows:
        return {(str(r.get("object_id")), str(r.get("partner"))): r for r in rows}
    det = ctx.run.table("detections")
    obj = _column(det, "object_id")
    partner = _column(det, "partner")
    t = _column(det, "report_time_s", "time_s")
    if obj is None or partner is None or t is None:
        return {}
    real = np.array([o is not None for o in obj], dtype=bool)
    if not real.any():
        return {}
    keys = np.char.add(np.char.add(obj[real].astype(str), " "), partner[real].astype(str))
    uniq, inv = np.unique(keys, return_inverse=True)
    first = np.full(uniq.size, np.inf)
    np.minimum.at(first, inv.reshape(-1), t[real])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, v in zip(uniq.tolist(), first.tolist(), strict=True):
        o, p = key.split(" ", 1)
        out[(o, p)] = {"first_detection_s": v}
    return out


def _ballistic_warning_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Per ballistic threat and partner: the summary's warning row (threat order, partner order)."""
    per = {
        (r.get("object_id"), r.get("partner")): r
        for r in (ctx.run.summary.get("warning", {}) or {}).get("per_threat", []) or []
    }
    rows = []
    for th in ctx.threats:
        if th.kind != "ballistic":
            continue
        for pid in ctx.partners:
            rows.append({"threat": th, "partner": pid, **per.get((th.object_id, pid), {})})
    return rows


def warning_figure(ctx: ReportContext) -> Any | None:
    """Grouped horizontal bars: warning time per ballistic threat and partner."""
    if not (ctx.run.summary.get("warning", {}) or {}).get("per_threat"):
        return None
    ballistic = [t for t in ctx.threats if t.kind == "ballistic"][:MAX_TIMELINE_ROWS]
    if not ballistic or not ctx.partners:
        return None
    per = {(r["threat"].object_id, r["partner"]): r for r in _ballistic_warning_rows(ctx)}
    n_p = len(ctx.partners)
    fig = _new_figure(10.5, 1.2 + 0.22 * n_p * len(ballistic) + 0.15 * len(ballistic))
    ax = fig.add_subplot()
    h = 0.8 / n_p
    longest = 0.0
    for j, pid in enumerate(ctx.partners):
        ys = np.arange(len(ballistic)) - 0.4 + h * (j + 0.5)
        vals = np.array(
            [
                np.nan
                if per.get((t.object_id, pid), {}).get("warning_time_s") is None
                else per[(t.object_id, pid)]["warning_time_s"]
                for t in ballistic
            ],
            dtype=np.float64,
        )
        ok = np.isfinite(vals)
        longest = max(longest, float(np.nanmax(vals)) if ok.any() else 0.0)
        ax.barh(ys[ok], vals[ok], height=h * 0.9, color=ctx.colours[pid], label=ctx.names[pid])
        for y, v, good in zip(ys, vals, ok, strict=True):
            ax.annotate(
                f"{v:.0f} s" if good else "not warned",
                (v if good else 0.0, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="black" if good else "#b00000",
                fontweight="normal" if good else "bold",
            )
    ax.set_yticks(
        range(len(ballistic)),
        [f"{t.object_id}{' (accidental)' if t.accidental else ''}" for t in ballistic],
    )
    ax.set_ylim(len(ballistic) - 0.5, -0.5)
    ax.set_xlim(0.0, max(longest * 1.12, 60.0))
    ax.set_xlabel("warning time: true impact time minus first alert, s")
    ax.grid(True, axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_title("Warning time per ballistic threat and partner", loc="left")
    ax.legend(loc="lower right")
    return fig


def track_quality_figure(ctx: ReportContext, metrics: Mapping[str, Any]) -> Any | None:
    """GOSPA over time per partner: localisation, missed and false parts, and counts."""
    parts = metrics.get("partners", {})
    partners = [p for p in ctx.partners if p in parts] + sorted(set(parts) - set(ctx.partners))
    if not partners:
        return None
    p_order = float(metrics.get("parameters", {}).get("gospa_p", 1.0))
    c_km = float(metrics.get("parameters", {}).get("gospa_c_m", 10_000.0)) / 1e3
    n = len(partners)
    fig = _new_figure(10.5, 2.1 * n + 2.4)
    axes = fig.subplots(n + 1, 1, sharex=True, height_ratios=[2.0] * n + [1.6], squeeze=False)
    axes = axes[:, 0]
    tq = (ctx.run.summary.get("track_quality", {}) or {}).get("partners", {}) or {}
    top = 0.0
    for k, pid in enumerate(partners):
        g = parts[pid]["gospa"]
        t = _minutes(np.asarray(g["times_s"], dtype=np.float64))
        ax = axes[k]
        colour = ctx.colours.get(pid, "#555555")
        if p_order == 1.0:
            loc = np.asarray(g["localisation"], dtype=np.float64) / 1e3
            mis = np.asarray(g["missed"], dtype=np.float64) / 1e3
            fal = np.asarray(g["false"], dtype=np.float64) / 1e3
            ax.stackplot(
                t,
                loc,
                mis,
                fal,
                colors=[colour, "#9e9e9e", "#f2b134"],
                labels=[
                    "localisation error",
                    f"missed targets ({c_km / 2:g} km each)",
                    f"false tracks ({c_km / 2:g} km each)",
                ],
                alpha=0.85,
                lw=0,
                step="post",
            )
            top = max(top, float(np.max(loc + mis + fal)) if t.size else 0.0)
        dist = np.asarray(g["distance_m"], dtype=np.float64) / 1e3
        ax.step(t, dist, where="post", color="black", lw=0.9, label="GOSPA distance")
        top = max(top, float(np.max(dist)) if dist.size else 0.0)
        mean = g.get("mean_distance_m")
        s = (tq.get(pid, {}) or {}).get("siap") or parts[pid].get("siap", {})
        comp = s.get("completeness")
        spur = s.get("spuriousness")
        info = [f"mean GOSPA {mean / 1e3:.1f} km" if mean is not None else "mean GOSPA -"]
        if comp is not None:
            info.append(f"SIAP completeness {comp:.2f}")
        if spur is not None:
            info.append(f"spuriousness {spur:.2f}")
        ax.set_title(f"{ctx.names.get(pid, pid)}: " + ", ".join(info), loc="left", color=colour)
        ax.set_ylabel("GOSPA, km")
        ax.grid(True, color="#e4e4e4", lw=0.6)
        ax.legend(loc="upper right", ncol=4, fontsize=7)
    for ax in axes[:n]:
        ax.set_ylim(0.0, max(top * 1.25, 1.0))
    ax = axes[n]
    if ctx.tracks.in_flight_time_s.size:
        ax.step(
            _minutes(ctx.tracks.in_flight_time_s),
            ctx.tracks.in_flight_count,
            where="post",
            color="black",
            lw=1.4,
            label="threats in flight (truth)",
        )
    for pid in partners:
        g = parts[pid]["gospa"]
        t = _minutes(np.asarray(g["times_s"], dtype=np.float64))
        colour = ctx.colours.get(pid, "#555555")
        ax.step(
            t,
            g["missed_count"],
            where="post",
            color=colour,
            lw=1.1,
            label=f"{ctx.names.get(pid, pid)}: missed",
        )
        ax.step(
            t,
            g["false_count"],
            where="post",
            color=colour,
            lw=1.0,
            ls=":",
            label=f"{ctx.names.get(pid, pid)}: false tracks",
        )
    peak = max(
        [float(np.max(ctx.tracks.in_flight_count))] if ctx.tracks.in_flight_count.size else [1.0]
    )
    for pid in partners:
        g = parts[pid]["gospa"]
        for key in ("missed_count", "false_count"):
            if g[key]:
                peak = max(peak, float(np.max(g[key])))
    ax.set_ylim(-0.3, peak * 1.15 + 0.5)
    ax.set_ylabel("count")
    ax.set_title("Threats in flight, missed and false tracks (GOSPA assignment)", loc="left")
    ax.grid(True, color="#e4e4e4", lw=0.6)
    ax.legend(loc="upper right", ncol=3, fontsize=7)
    ax.set_xlim(0.0, max(float(_minutes(ctx.duration_s)), 0.1))  # a run ended at 0 s too
    ax.set_xlabel(ctx.time_axis_label())
    return fig
