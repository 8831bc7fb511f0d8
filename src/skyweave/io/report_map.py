"""The report's theatre map."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.io.coastlines import lines_in_box
from skyweave.io.report_data import KIND_COLOURS, ReportContext, _last_impact_updates
from skyweave.io.report_geo import _circular_mean_deg, _unwrap, ellipse_polygon, sector_polygon
from skyweave.io.report_style import _compact_ids, _fmt_lat, _fmt_lon, _new_figure
from skyweave.scenario.schema import Radar

FloatArray = NDArray[np.float64]


def _marker_layer(
    ax: Any,
    handles: list[Any],
    lon: Any,
    lat: Any,
    label: str,
    *,
    mew: float,
    zorder: float,
    **style: Any,
) -> None:
    """Plot points with one marker style and add its legend entry (same style)."""
    from matplotlib.lines import Line2D

    ax.plot(lon, lat, ls="none", mew=mew, zorder=zorder, **style)
    handles.append(Line2D([], [], ls="none", label=label, **style))


def _map_extent(ctx: ReportContext, lon0: float) -> tuple[float, float, float, float]:
    """Longitude and latitude limits covering assets, sites, threats and predictions."""
    lats: list[FloatArray] = []
    lons: list[FloatArray] = []
    for k in range(len(ctx.tracks.object_ids)):
        lats.append(ctx.tracks.lat_deg[k])
        lons.append(ctx.tracks.lon_deg[k])
    sc = ctx.scenario
    if sc is not None:
        pts = [(a.lat_deg, a.lon_deg) for a in sc.defended_assets]
        pts += [(b.lat_deg, b.lon_deg) for b in sc.batteries]
        pts += [(s.lat_deg, s.lon_deg) for s in sc.sensors if isinstance(s, Radar)]
        if pts:
            arr = np.array(pts, dtype=np.float64)
            lats.append(arr[:, 0])
            lons.append(arr[:, 1])
    if ctx.alerts is not None:
        sel = _last_impact_updates(ctx.alerts)
        lats.append(ctx.alerts.impact_lat_deg[sel])
        lons.append(ctx.alerts.impact_lon_deg[sel])
    if ctx.engagements is not None:
        lats.append(ctx.engagements.lat_deg)
        lons.append(ctx.engagements.lon_deg)
    lat = np.concatenate(lats) if lats else np.zeros(0)
    lon = _unwrap(np.concatenate(lons), lon0) if lons else np.zeros(0)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if lat.size == 0:
        return lon0 - 5.0, lon0 + 5.0, -5.0, 5.0
    lat_min, lat_max = float(lat.min()), float(lat.max())
    lon_min, lon_max = float(lon.min()), float(lon.max())
    pad_lat = max(0.08 * (lat_max - lat_min), 0.5)
    coslat = max(math.cos(math.radians(0.5 * (lat_min + lat_max))), 0.1)
    pad_lon = max(0.08 * (lon_max - lon_min), 0.5 / coslat)
    return (
        lon_min - pad_lon,
        lon_max + pad_lon,
        max(lat_min - pad_lat, -90.0),
        min(lat_max + pad_lat, 90.0),
    )


#: Above this many impact predictions and launch estimates, the map draws them as one
#: artist per partner colour and layer (collections) instead of one per mark: the
#: same marks, in a fraction of the time (a 1000-threat raid has thousands). The
#: example stays far below it, so its report is drawn exactly as before.
BATCHED_ABOVE = 200


def _batched_predictions(
    ax: Any,
    al: Any,
    last: NDArray[np.int64],
    own_launch: NDArray[np.int64],
    colours: dict[str, str],
    lon0: float,
) -> tuple[bool, bool]:
    """Impact predictions (95 % ellipses filled and outlined, ``+``) and launch
    estimates of a large run, one collection or marker line per partner colour;
    returns (any prediction drawn, any launch estimate drawn)."""
    from matplotlib.collections import LineCollection, PolyCollection

    polys: dict[str, list[FloatArray]] = {}
    marks: dict[str, list[tuple[float, float]]] = {}
    for i in last.tolist():
        colour = colours.get(al.origin[i], "#555555")
        if (
            math.isfinite(al.semi_major_m[i])
            and math.isfinite(al.semi_minor_m[i])
            and math.isfinite(al.orientation_deg[i])
        ):
            lat, lon = ellipse_polygon(
                al.impact_lat_deg[i],
                float(_unwrap(al.impact_lon_deg[i], lon0)),
                al.semi_major_m[i],
                al.semi_minor_m[i],
                al.orientation_deg[i],
            )
            polys.setdefault(colour, []).append(np.column_stack([lon, lat]))
        marks.setdefault(colour, []).append(
            (float(_unwrap(al.impact_lon_deg[i], lon0)), float(al.impact_lat_deg[i]))
        )
    for colour, shapes in polys.items():
        ax.add_collection(PolyCollection(shapes, facecolors=colour, alpha=0.07, lw=0, zorder=3.5))
        ax.add_collection(LineCollection(shapes, colors=colour, lw=0.9, alpha=0.9, zorder=3.6))
    for colour, pts in marks.items():
        xy = np.asarray(pts)
        ax.plot(xy[:, 0], xy[:, 1], ls="none", marker="+", ms=10, mew=1.8, color=colour, zorder=14)
    launch: dict[str, list[tuple[float, float]]] = {}
    for i in own_launch.tolist():
        launch.setdefault(colours.get(al.origin[i], "#555555"), []).append(
            (float(_unwrap(al.launch_lon_deg[i], lon0)), float(al.launch_lat_deg[i]))
        )
    for colour, pts in launch.items():
        xy = np.asarray(pts)
        ax.plot(
            xy[:, 0],
            xy[:, 1],
            ls="none",
            marker="v",
            ms=6,
            mfc="none",
            mec=colour,
            mew=1.1,
            zorder=7,
        )
    return bool(len(last)), bool(len(own_launch))


#: Coastline and land-border colours: quiet, under the partners' colours.
COAST_COLOUR = "#5f7487"
BORDER_COLOUR = "#8f9caa"


def theatre_map(ctx: ReportContext) -> Any:
    """The theatre: assets, coverage, envelopes, threat tracks, impacts, predictions."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    sc = ctx.scenario
    all_lon = [lon for lon in ctx.tracks.lon_deg if lon.size]
    if sc is not None:
        all_lon += [np.array([a.lon_deg for a in sc.defended_assets])]
    lon_pool = np.concatenate(all_lon) if all_lon else np.zeros(1)
    lon0 = _circular_mean_deg(lon_pool[np.isfinite(lon_pool)]) if lon_pool.size else 0.0
    x0, x1, y0, y1 = _map_extent(ctx, lon0)
    mean_lat = 0.5 * (y0 + y1)
    aspect = 1.0 / max(math.cos(math.radians(mean_lat)), 0.1)
    span_ratio = (y1 - y0) * aspect / max(x1 - x0, 1e-9)
    # Fixed layout (inches): the map box has exactly the theatre's shape, the
    # legend sits to its right, so the page neither wastes space nor clips labels.
    left_in, right_in, bottom_in, top_in = 0.85, 3.75, 0.6, 0.45
    ax_w = 10.8 - left_in - right_in
    ax_h = ax_w * span_ratio
    if ax_h > 9.5:
        ax_h = 9.5
        ax_w = ax_h / span_ratio
    elif ax_h < 3.5:
        ax_h = 3.5
    width = left_in + ax_w + right_in
    height = bottom_in + ax_h + top_in
    fig = _new_figure(width, height, layout=None)
    ax = fig.add_axes((left_in / width, bottom_in / height, ax_w / width, ax_h / height))
    ax.set_facecolor("#f4f7fa")
    handles: list[Any] = []
    pc, pn = ctx.colours, ctx.names

    # Natural Earth coastlines and land borders, under everything; the box is wide
    # because the equal-scale aspect may widen the map past the extent.
    pad_x, pad_y = 0.6 * (x1 - x0), 0.6 * (y1 - y0)
    box = (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y, lon0)
    drew_geo = False
    for kind, colour, lw, ls in (
        ("coast", COAST_COLOUR, 0.8, "-"),
        ("border", BORDER_COLOUR, 0.7, (0, (5, 2, 1, 2))),
    ):
        gx, gy = lines_in_box(kind, *box)
        if gx.size:
            ax.plot(gx, gy, color=colour, lw=lw, ls=ls, zorder=0.6, gid=f"natural-earth-{kind}")
            drew_geo = True
    if drew_geo:
        handles.append(
            Line2D(
                [], [], color=COAST_COLOUR, lw=0.8, label="coastline, land border (Natural Earth)"
            )
        )

    # Radar coverage and battery envelopes, under everything else.
    if sc is not None:
        drew_ew = drew_fc = drew_bty = False
        for s in sc.sensors:
            if not isinstance(s, Radar):
                continue
            site_lon = float(_unwrap(s.lon_deg, lon0))
            lat, lon = sector_polygon(
                s.lat_deg,
                site_lon,
                s.boresight_az_deg,
                s.sector_half_width_deg,
                s.max_range_km * 1e3,
            )
            colour = pc.get(s.partner, "#555555")
            ew = s.role == "early_warning"
            ax.fill(lon, lat, color=colour, alpha=0.05 if ew else 0.09, lw=0, zorder=1)
            ax.plot(lon, lat, color=colour, lw=0.9, ls="--" if ew else ":", alpha=0.8, zorder=1.1)
            ax.plot(
                [site_lon],
                [s.lat_deg],
                marker="D" if ew else "d",
                ms=6,
                mfc=colour,
                mec="black",
                mew=0.6,
                ls="none",
                zorder=5,
            )
            if ew:  # fire-control radars sit by the assets; the table lists them
                ax.annotate(
                    s.id,
                    (site_lon, s.lat_deg),
                    xytext=(5, -9),
                    textcoords="offset points",
                    fontsize=7,
                    color=colour,
                    zorder=6,
                )
            drew_ew |= ew
            drew_fc |= not ew
        for b in sc.batteries:
            colour = pc.get(b.partner, "#555555")
            site_lon = float(_unwrap(b.lon_deg, lon0))
            lat, lon = sector_polygon(b.lat_deg, site_lon, 0.0, 180.0, b.max_range_km * 1e3, 97)
            ax.plot(_unwrap(lon, site_lon), lat, color=colour, lw=1.1, alpha=0.9, zorder=2)
            ax.plot(
                [site_lon],
                [b.lat_deg],
                marker="^",
                ms=7,
                mfc=colour,
                mec="black",
                mew=0.6,
                ls="none",
                zorder=5,
            )
            drew_bty = True
        if drew_ew:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    ls="--",
                    marker="D",
                    mfc="grey",
                    mec="black",
                    label="early-warning radar, coverage to max range",
                )
            )
        if drew_fc:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    ls=":",
                    marker="d",
                    mfc="grey",
                    mec="black",
                    label="fire-control radar, coverage to max range",
                )
            )
        if drew_bty:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="grey",
                    marker="^",
                    mfc="grey",
                    mec="black",
                    label="battery, max engagement range",
                )
            )

    # Threat ground tracks by kind, with launch labels shared by salvo members.
    from matplotlib.collections import LineCollection

    kinds_drawn: list[str] = []
    for kind in sorted(set(ctx.tracks.kinds)):
        segs = [
            np.column_stack([_unwrap(ctx.tracks.lon_deg[k], lon0), ctx.tracks.lat_deg[k]])
            for k in range(len(ctx.tracks.kinds))
            if ctx.tracks.kinds[k] == kind
        ]
        colour = KIND_COLOURS.get(kind, "#555555")
        ax.add_collection(
            LineCollection(
                segs,
                colors=colour,
                linewidths=1.0 if kind == "interceptor" else 1.4,
                alpha=0.85,
                zorder=3,
            )
        )
        kinds_drawn.append(kind)
        handles.append(Line2D([], [], color=colour, lw=1.6, label=f"{kind} ground track (truth)"))
    groups: dict[tuple[float, float], list[str]] = {}
    for th in ctx.threats:
        if math.isfinite(th.launch_lat_deg):
            key = (round(th.launch_lat_deg, 1), round(th.launch_lon_deg, 1))
            groups.setdefault(key, []).append(th.object_id)
    for (lat_k, lon_k), ids in sorted(groups.items()):
        ax.annotate(
            _compact_ids(ids),
            (float(_unwrap(lon_k, lon0)), lat_k),
            xytext=(-4, -10),
            textcoords="offset points",
            fontsize=7,
            ha="right",
            color="#222222",
            zorder=7,
        )
    launch = [t for t in ctx.threats if math.isfinite(t.launch_lat_deg)]
    if launch:
        _marker_layer(
            ax,
            handles,
            _unwrap(np.array([t.launch_lon_deg for t in launch]), lon0),
            [t.launch_lat_deg for t in launch],
            "true launch point",
            marker="o",
            ms=4,
            mfc="white",
            mec="black",
            mew=0.8,
            zorder=6,
        )
    impacts = [t for t in ctx.threats if t.kind in ("ballistic", "cruise") and not t.killed]
    impacts = [
        t for t in impacts if math.isfinite(t.end_lat_deg) and t.end_time_s <= ctx.duration_s
    ]
    if impacts:
        _marker_layer(
            ax,
            handles,
            _unwrap(np.array([t.end_lon_deg for t in impacts]), lon0),
            [t.end_lat_deg for t in impacts],
            "true impact point",
            marker="X",
            ms=8,
            mfc="black",
            mec="white",
            mew=0.8,
            zorder=13,
        )

    # Each originating partner's last impact prediction per track, and launch estimates.
    if ctx.alerts is not None:
        al = ctx.alerts
        drew_pred = drew_launch = False
        last = _last_impact_updates(al)
        own_launch = np.flatnonzero(
            (al.kind == "new_threat")
            & (al.partner == al.origin)
            & np.isfinite(al.launch_lat_deg)
            & np.isfinite(al.launch_lon_deg)
        )
        if len(last) + len(own_launch) > BATCHED_ABOVE:
            # a large run: the same marks, one artist per partner colour and layer
            drew_pred, drew_launch = _batched_predictions(ax, al, last, own_launch, pc, lon0)
            last = own_launch = np.zeros(0, dtype=np.int64)
        for i in last:
            colour = pc.get(al.origin[i], "#555555")
            ok = (
                math.isfinite(al.semi_major_m[i])
                and math.isfinite(al.semi_minor_m[i])
                and math.isfinite(al.orientation_deg[i])
            )
            if ok:
                lat, lon = ellipse_polygon(
                    al.impact_lat_deg[i],
                    float(_unwrap(al.impact_lon_deg[i], lon0)),
                    al.semi_major_m[i],
                    al.semi_minor_m[i],
                    al.orientation_deg[i],
                )
                ax.fill(lon, lat, color=colour, alpha=0.07, lw=0, zorder=3.5)
                ax.plot(lon, lat, color=colour, lw=0.9, alpha=0.9, zorder=3.6)
            ax.plot(
                [_unwrap(al.impact_lon_deg[i], lon0)],
                [al.impact_lat_deg[i]],
                ls="none",
                marker="+",
                ms=10,
                mew=1.8,
                color=colour,
                zorder=14,
            )
            drew_pred = True
        for i in own_launch:
            ax.plot(
                [_unwrap(al.launch_lon_deg[i], lon0)],
                [al.launch_lat_deg[i]],
                ls="none",
                marker="v",
                ms=6,
                mfc="none",
                mec=pc.get(al.origin[i], "#555555"),
                mew=1.1,
                zorder=7,
            )
            drew_launch = True
        if drew_pred:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="-",
                    lw=0.9,
                    marker="+",
                    ms=9,
                    mew=1.6,
                    color="grey",
                    label="last predicted impact point and 95 % ellipse, per track",
                )
            )
        if drew_launch:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="v",
                    ms=6,
                    mfc="none",
                    mec="grey",
                    label="launch-point estimate (launch alert)",
                )
            )

    # Intercepts, when the engagement stage wrote them.
    eng = ctx.engagements
    if eng is not None and len(eng):
        has_pos = np.isfinite(eng.lat_deg) & np.isfinite(eng.lon_deg)
        kill = has_pos & (eng.outcome == "kill")
        other = has_pos & ~kill
        if kill.any():
            _marker_layer(
                ax,
                handles,
                _unwrap(eng.lon_deg[kill], lon0),
                eng.lat_deg[kill],
                "intercept: kill",
                marker="*",
                ms=12,
                mfc="gold",
                mec="black",
                mew=0.7,
                zorder=10,
            )
        if other.any():
            _marker_layer(
                ax,
                handles,
                _unwrap(eng.lon_deg[other], lon0),
                eng.lat_deg[other],
                "intercept: miss / no kill",
                marker="*",
                ms=11,
                mfc="none",
                mec="black",
                mew=0.8,
                zorder=10,
            )

    # Defended assets last, on top: marker area proportional to value.
    if sc is not None and sc.defended_assets:
        values = np.array([a.value for a in sc.defended_assets], dtype=np.float64)
        size = 60.0 + 240.0 * values / values.max()
        for a, s_pt in zip(sc.defended_assets, size, strict=True):
            colour = pc.get(a.partner, "#555555")
            ax.scatter(
                [_unwrap(a.lon_deg, lon0)],
                [a.lat_deg],
                s=s_pt,
                marker="s",
                c=colour,
                edgecolors="black",
                linewidths=0.8,
                zorder=11,
                alpha=0.55,
                gid=f"asset:{a.id}",
            )
            ax.annotate(
                f"{a.name or a.id} ({a.value:g})",
                (float(_unwrap(a.lon_deg, lon0)), a.lat_deg),
                xytext=(8, 5),
                textcoords="offset points",
                fontsize=7.5,
                fontweight="bold",
                color="black",
                zorder=12,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )
        handles.insert(
            0,
            Line2D(
                [],
                [],
                ls="none",
                marker="s",
                ms=9,
                mfc="grey",
                mec="black",
                label="defended asset (size ~ value)",
            ),
        )
    for pid in ctx.partners:
        handles.append(Patch(facecolor=pc[pid], edgecolor="black", label=f"partner {pn[pid]}"))

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect, adjustable="datalim")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(_fmt_lon))
    ax.yaxis.set_major_formatter(FuncFormatter(_fmt_lat))
    ax.grid(True, color="#c9d3dd", lw=0.6, zorder=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(True)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(
        "Theatre: defences, threat tracks and impact predictions "
        f"(plate carrée, true scale at {_fmt_lat(round(mean_lat, 1))})",
        loc="left",
    )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        frameon=False,
    )
    _scale_bar(fig, ax, mean_lat)
    return fig


#: Scale bar: margin from the map's edge (axes fraction), and the grid of places
#: tried after the four corners (fractions of the free range in each direction).
_BAR_MARGIN = 0.02
_BAR_GRID = np.linspace(0.0, 1.0, 9)


def _obstacles(fig: Any, ax: Any) -> tuple[FloatArray, FloatArray, list[Any], FloatArray]:
    """Marker centres and radii, text boxes and plain line vertices, in display pixels."""
    from matplotlib.collections import PathCollection

    px_per_pt = fig.dpi / 72.0
    centres: list[FloatArray] = []
    radii: list[FloatArray] = []
    vertices: list[FloatArray] = []
    for line in ax.lines:
        if line.get_gid() and str(line.get_gid()).startswith("scale-bar"):
            continue
        xy = np.column_stack(
            [np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)]
        )
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if xy.size == 0:
            continue
        disp = ax.transData.transform(xy)
        marker = line.get_marker()
        if marker not in (None, "None", "none", "", " "):
            centres.append(disp)
            radii.append(np.full(len(disp), 0.5 * line.get_markersize() * px_per_pt + 1.0))
        if line.get_linestyle() not in ("None", "none", "", " "):
            vertices.append(disp)
    for coll in ax.collections:
        if not isinstance(coll, PathCollection):
            continue
        offs = np.asarray(coll.get_offsets(), float)
        if offs.size == 0:
            continue
        disp = ax.transData.transform(offs)
        sizes = np.asarray(coll.get_sizes(), float)
        size = np.broadcast_to(sizes if sizes.size else np.array([36.0]), (len(disp),))
        centres.append(disp)
        radii.append(0.5 * np.sqrt(size) * px_per_pt + 1.0)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible()]
    c = np.concatenate(centres) if centres else np.zeros((0, 2))
    r = np.concatenate(radii) if radii else np.zeros(0)
    v = np.concatenate(vertices) if vertices else np.zeros((0, 2))
    return c, r, boxes, v


def _scale_bar(fig: Any, ax: Any, mean_lat_deg: float) -> None:
    """A round-length scale bar where the map is emptiest (no marker or label under it).

    Candidate places are scored by what the bar's box would cover: each marker
    (asset, site, launch, impact, prediction, intercept) or label counts 100, each
    vertex of a drawn line (tracks, coverage, coastlines) counts 1; the lowest
    score wins, the bottom-left corner on a tie, then the other corners.
    """
    from matplotlib.patches import Rectangle

    ax.apply_aspect()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg_lon = math.pi / 180.0 * R_EARTH_MEAN_M / 1e3 * math.cos(math.radians(mean_lat_deg))
    span_km = (x1 - x0) * km_per_deg_lon
    bar_km = next((b for b in (1000, 500, 200, 100, 50, 20, 10) if b <= span_km / 5), 5)
    bar_frac = bar_km / km_per_deg_lon / (x1 - x0)
    box_w, box_h = bar_frac + 0.03, 0.065  # bar plus padding, and room for its label
    centres, radii, texts, vertices = _obstacles(fig, ax)
    lo_x, hi_x = _BAR_MARGIN, 1.0 - _BAR_MARGIN - box_w
    lo_y, hi_y = _BAR_MARGIN, 1.0 - _BAR_MARGIN - box_h
    corners = [(lo_x, lo_y), (hi_x, lo_y), (lo_x, hi_y), (hi_x, hi_y)]
    grid = [
        (lo_x + gx * (hi_x - lo_x), lo_y + gy * (hi_y - lo_y))
        for gy in _BAR_GRID
        for gx in _BAR_GRID
    ]
    best: tuple[float, float, float] | None = None
    for fx, fy in corners + grid:
        (px0, py0), (px1, py1) = ax.transAxes.transform([(fx, fy), (fx + box_w, fy + box_h)])
        # Circle-rectangle overlap: nearest point of the box to each marker centre.
        nx = np.clip(centres[:, 0], px0, px1)
        ny = np.clip(centres[:, 1], py0, py1)
        hit = np.hypot(centres[:, 0] - nx, centres[:, 1] - ny) < radii
        score = 100.0 * float(np.sum(hit))
        score += 100.0 * sum(
            1 for b in texts if b.x1 > px0 and b.x0 < px1 and b.y1 > py0 and b.y0 < py1
        )
        inside = (
            (vertices[:, 0] >= px0)
            & (vertices[:, 0] <= px1)
            & (vertices[:, 1] >= py0)
            & (vertices[:, 1] <= py1)
        )
        score += float(np.sum(inside))
        if best is None or score < best[0]:
            best = (score, fx, fy)
    assert best is not None
    _, fx, fy = best
    ax.add_patch(
        Rectangle(
            (fx, fy),
            box_w,
            box_h,
            transform=ax.transAxes,
            fc="white",
            ec="#888888",
            lw=0.6,
            alpha=0.85,
            zorder=15,
            gid="scale-bar-box",
        )
    )
    bx, by = fx + 0.015, fy + 0.018
    ax.plot(
        [bx, bx + bar_frac],
        [by, by],
        transform=ax.transAxes,
        color="black",
        lw=3,
        solid_capstyle="butt",
        zorder=16,
        gid="scale-bar",
    )
    ax.text(
        bx,
        by + 0.012,
        f"{bar_km} km",
        transform=ax.transAxes,
        fontsize=8,
        zorder=16,
        gid="scale-bar-label",
    )
