"""Impact predictions against truth: the last call per threat and partner, zoomed areas, table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.io.report_data import ReportContext, ThreatInfo, _last_impact_updates
from skyweave.io.report_geo import _bearing_distance, _circular_mean_deg
from skyweave.io.report_style import _compact_ids, _e, _new_figure, _num, _swatch, _table

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ImpactCall:
    """An originating partner's last impact prediction about one ballistic threat."""

    threat: ThreatInfo
    partner: str
    issued_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    impact_time_s: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    miss_m: float  # great-circle distance from prediction to true impact
    inside: bool | None  # true impact inside the ellipse (None: no ellipse)


def impact_calls(ctx: ReportContext) -> list[ImpactCall]:
    """Per ballistic threat and partner, the last impact prediction its board showed.

    Among the partner's threats about it, the prediction alerted last (before its own
    predicted impact) is the one the staff would have acted on.
    """
    al = ctx.alerts
    if al is None or not len(al):
        return []
    by_id = {
        t.object_id: t
        for t in ctx.threats
        if t.kind == "ballistic" and math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    }
    best: dict[tuple[str, str], int] = {}
    for i in _last_impact_updates(al):
        about = al.about[i]
        if about not in by_id:
            continue
        key = (str(about), str(al.partner[i]))
        if key not in best or al.time_s[i] > al.time_s[best[key]]:
            best[key] = int(i)
    calls: list[ImpactCall] = []
    order = {t.object_id: k for k, t in enumerate(ctx.threats)}
    p_order = {p: k for k, p in enumerate(ctx.partners)}
    for (oid, partner), i in sorted(
        best.items(), key=lambda kv: (order[kv[0][0]], p_order.get(kv[0][1], 99), kv[0][1])
    ):
        th = by_id[oid]
        e, n, _ = pymap3d.geodetic2enu(
            th.end_lat_deg, th.end_lon_deg, 0.0, al.impact_lat_deg[i], al.impact_lon_deg[i], 0.0
        )
        a, b, orient = al.semi_major_m[i], al.semi_minor_m[i], al.orientation_deg[i]
        inside: bool | None = None
        if math.isfinite(a) and math.isfinite(b) and math.isfinite(orient) and a > 0 and b > 0:
            th_rad = math.radians(orient)
            u = e * math.sin(th_rad) + n * math.cos(th_rad)  # along the major axis
            v = e * math.cos(th_rad) - n * math.sin(th_rad)  # along the minor axis
            inside = bool((u / a) ** 2 + (v / b) ** 2 <= 1.0)
        _, miss_m = _bearing_distance(
            al.impact_lat_deg[i], al.impact_lon_deg[i], th.end_lat_deg, th.end_lon_deg
        )
        calls.append(
            ImpactCall(
                threat=th,
                partner=partner,
                issued_s=float(al.time_s[i]),
                impact_lat_deg=float(al.impact_lat_deg[i]),
                impact_lon_deg=float(al.impact_lon_deg[i]),
                impact_time_s=float(al.impact_time_s[i]),
                semi_major_m=float(a),
                semi_minor_m=float(b),
                orientation_deg=float(orient),
                miss_m=float(miss_m),
                inside=inside,
            )
        )
    return calls


#: True impacts closer than this share an impact-area panel.
IMPACT_CLUSTER_M = 150_000.0
#: An impact area is centred on a defended asset within this distance.
ASSET_SNAP_M = 60_000.0


def impact_areas_figure(ctx: ReportContext, calls: Sequence[ImpactCall]) -> Any | None:
    """Zoomed panels around the true impact areas: truth against the last predictions.

    Local east/north kilometres about the panel centre (a defended asset when one
    is near, else the mean true impact point); ellipses drawn in that tangent plane.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    impacts = [
        t
        for t in ctx.threats
        if t.kind == "ballistic" and math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    ]
    if not impacts:
        return None
    clusters: list[list[ThreatInfo]] = []
    for th in impacts:
        for group in clusters:
            if (
                _bearing_distance(
                    group[0].end_lat_deg, group[0].end_lon_deg, th.end_lat_deg, th.end_lon_deg
                )[1]
                <= IMPACT_CLUSTER_M
            ):
                group.append(th)
                break
        else:
            clusters.append([th])
    clusters = clusters[:9]
    assets = list(ctx.scenario.defended_assets) if ctx.scenario is not None else []
    batteries = list(ctx.scenario.batteries) if ctx.scenario is not None else []
    ncol = {1: 1, 2: 2, 4: 2}.get(len(clusters), 3)
    nrow = math.ceil(len(clusters) / ncol)
    # One panel: the legend goes to its right (below, four columns would not fit).
    legend_right = ncol == 1
    width_in = 3.5 * ncol + 0.3 + (3.7 if legend_right else 0.0)
    fig = _new_figure(width_in, 3.55 * nrow + (0.3 if legend_right else 0.7))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    any_killed = False
    for k, cluster in enumerate(clusters):
        ax = axes[k // ncol, k % ncol]
        lat0 = float(np.mean([t.end_lat_deg for t in cluster]))
        lon0 = _circular_mean_deg(np.array([t.end_lon_deg for t in cluster]))
        title = ""
        near = [(a, _bearing_distance(lat0, lon0, a.lat_deg, a.lon_deg)[1]) for a in assets]
        near = [x for x in near if x[1] <= ASSET_SNAP_M]
        if near:
            asset = min(near, key=lambda x: x[1])[0]
            lat0, lon0 = asset.lat_deg, asset.lon_deg
            title = f"{asset.name or asset.id}: "
        title += _compact_ids([t.object_id for t in cluster], max_chars=36 - len(title))

        def enu_km(lat: Any, lon: Any, la0: float = lat0, lo0: float = lon0) -> Any:
            e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, la0, lo0, 0.0)
            return np.asarray(e) / 1e3, np.asarray(n) / 1e3

        ids = {t.object_id for t in cluster}
        mine = [c for c in calls if c.threat.object_id in ids]
        reach = 25.0
        for c in mine:
            e, n = enu_km(c.impact_lat_deg, c.impact_lon_deg)
            extent = float(np.hypot(e, n))
            if math.isfinite(c.semi_major_m):
                extent += c.semi_major_m / 1e3
            reach = max(reach, extent)
        half = min(1.1 * reach, 400.0)
        for a in assets:
            e, n = enu_km(a.lat_deg, a.lon_deg)
            if abs(e) <= half and abs(n) <= half:
                colour = ctx.colours.get(a.partner, "#555555")
                ax.add_patch(
                    Circle(
                        (float(e), float(n)),
                        a.radius_m / 1e3,
                        fc=colour,
                        ec="black",
                        alpha=0.35,
                        lw=0.8,
                        zorder=2,
                    )
                )
                ax.plot(
                    [e],
                    [n],
                    marker="s",
                    ms=7,
                    mfc=colour,
                    mec="black",
                    alpha=0.6,
                    ls="none",
                    zorder=2,
                )
        for b in batteries:
            e, n = enu_km(b.lat_deg, b.lon_deg)
            if abs(e) <= half + b.max_range_km and abs(n) <= half + b.max_range_km:
                colour = ctx.colours.get(b.partner, "#555555")
                ax.add_patch(
                    Circle(
                        (float(e), float(n)),
                        b.max_range_km,
                        fc="none",
                        ec=colour,
                        lw=0.9,
                        ls="-",
                        alpha=0.7,
                        zorder=1,
                    )
                )
                ax.plot([e], [n], marker="^", ms=6, mfc=colour, mec="black", ls="none", zorder=3)
        s = np.linspace(0.0, 2.0 * np.pi, 73)
        for c in mine:
            colour = ctx.colours.get(c.partner, "#555555")
            pe, pn = enu_km(c.impact_lat_deg, c.impact_lon_deg)
            te, tn = enu_km(c.threat.end_lat_deg, c.threat.end_lon_deg)
            if math.isfinite(c.semi_major_m) and math.isfinite(c.orientation_deg):
                th_rad = math.radians(c.orientation_deg)
                u = c.semi_major_m / 1e3 * np.cos(s)
                v = c.semi_minor_m / 1e3 * np.sin(s)
                ax.plot(
                    pe + u * math.sin(th_rad) + v * math.cos(th_rad),
                    pn + u * math.cos(th_rad) - v * math.sin(th_rad),
                    color=colour,
                    lw=1.0,
                    alpha=0.9,
                    zorder=4,
                )
            ax.plot([pe, te], [pn, tn], color=colour, lw=0.7, ls=":", zorder=4)
            ax.plot([pe], [pn], marker="+", ms=10, mew=1.8, color=colour, ls="none", zorder=6)
        for t in sorted(cluster, key=lambda t: not t.killed):  # true impacts on top
            te, tn = enu_km(t.end_lat_deg, t.end_lon_deg)
            # A killed threat never came down: its planned impact is drawn hollow.
            ax.plot(
                [te],
                [tn],
                marker="X",
                ms=8,
                mfc="white" if t.killed else "black",
                mec="grey" if t.killed else "white",
                mew=0.9 if t.killed else 0.7,
                ls="none",
                zorder=7,
            )
        any_killed = any(t.killed for t in cluster) or any_killed
        eng = ctx.engagements
        if eng is not None and len(eng):
            sel = np.isin(eng.target.astype(str), list(ids)) & np.isfinite(eng.lat_deg)
            for i in np.flatnonzero(sel):
                e, n = enu_km(eng.lat_deg[i], eng.lon_deg[i])
                ax.plot(
                    [e],
                    [n],
                    marker="*",
                    ms=11,
                    ls="none",
                    mec="black",
                    mew=0.6,
                    mfc="gold" if eng.outcome[i] == "kill" else "none",
                    zorder=8,
                )
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.grid(True, color="#e0e0e0", lw=0.6)
        ax.set_title(title, loc="left", fontsize=9)
        ax.set_xlabel("east, km")
        ax.set_ylabel("north, km")
    for k in range(len(clusters), nrow * ncol):
        axes[k // ncol, k % ncol].set_axis_off()
    handles: list[Any] = [
        Line2D([], [], ls="none", marker="X", ms=8, mfc="black", mec="white", label="true impact"),
        *(
            [
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="X",
                    ms=8,
                    mfc="white",
                    mec="grey",
                    label="planned impact (threat killed)",
                )
            ]
            if any_killed
            else []
        ),
        Line2D(
            [],
            [],
            ls="-",
            lw=1.0,
            marker="+",
            ms=10,
            mew=1.8,
            color="grey",
            label="last predicted impact and 95 % ellipse",
        ),
        Line2D([], [], ls=":", lw=0.7, color="grey", label="prediction error"),
        Line2D(
            [],
            [],
            ls="none",
            marker="s",
            ms=7,
            mfc="grey",
            mec="black",
            label="defended asset and radius",
        ),
        Line2D(
            [],
            [],
            ls="-",
            marker="^",
            mfc="grey",
            mec="black",
            color="grey",
            label="battery max range",
        ),
    ]
    handles += [Patch(facecolor=ctx.colours[p], label=ctx.names[p]) for p in ctx.partners]
    if legend_right:
        fig.legend(handles=handles, loc="outside right upper", ncol=1, frameon=False)
        return fig
    # Below the panels: as many columns as fit in the figure's width (measured). The
    # legend is centred, so it fits when its width does; its width needs only the
    # renderer's text metrics, not a draw of the whole figure (four panels' worth).
    renderer = fig.canvas.get_renderer()
    for n_cols in range(4, 0, -1):
        legend = fig.legend(handles=handles, loc="outside lower center", ncol=n_cols, frameon=False)
        if n_cols == 1 or legend.get_window_extent(renderer).width <= fig.bbox.width:
            break
        legend.remove()
    fig.canvas.draw()
    return fig


def _impact_table_html(ctx: ReportContext, calls: Sequence[ImpactCall]) -> str:
    if not calls:
        return "<p>No impact prediction could be matched to a ballistic threat.</p>"
    rows = []
    attrs = []
    for c in calls:
        lead = c.threat.end_time_s - c.issued_s
        rows.append(
            [
                _e(c.threat.object_id),
                _swatch(ctx.colours.get(c.partner, "#555555"), ctx.names.get(c.partner, c.partner)),
                ctx.clock(c.issued_s),
                _num(lead),
                _num(c.miss_m, 1, 1e-3),
                _num(c.impact_time_s - c.threat.end_time_s, 1),
                f"{_num(c.semi_major_m, 1, 1e-3)} × {_num(c.semi_minor_m, 1, 1e-3)}",
                "-" if c.inside is None else ("yes" if c.inside else "\x00badno"),
            ]
        )
        attrs.append(
            f'class="impact-row" data-threat="{_e(c.threat.object_id)}" '
            f'data-partner="{_e(c.partner)}"'
        )
    headers = [
        "threat",
        "predicted by",
        "last prediction",
        "before impact, s",
        "miss distance, km",
        "impact time error, s",
        "95 % ellipse semi-axes, km",
        "truth inside ellipse",
    ]
    return _table(headers, rows, left=2, row_attrs=attrs, cls="impact")
