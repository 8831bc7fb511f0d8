"""After-action report of one run: a self-contained ``report.html``.

``write_report(run_dir, scenario)`` reads the run folder (``summary.json``,
``truth``, ``detections``, ``tracks``, ``alerts`` and, when the engagement stage
wrote it, ``engagements`` Parquet tables) and the scenario, and writes one HTML
page that opens offline: no script, no style sheet or font from the network,
every figure a PNG embedded as base64.

Content, in briefing order:

* header: scenario, epoch, seed, coordination mode, simulated time, counts;
* key measures per partner (warning, GOSPA, SIAP) from ``summary.json``;
* theatre map over Natural Earth coastlines and land borders: defended assets
  (area proportional to value), radar coverage
  sectors to maximum range, battery maximum-range circles, threat ground tracks
  by kind, true impact points, each partner's last predicted impact point and
  ellipse per track, launch-point estimates, intercepts;
* timeline per partner: flight of every threat, first detection, first track,
  first alert, the alert stream (launch, impact update, all clear) coloured by
  the partner that originated it, engagements, and the white cell's injects;
* warning time per ballistic threat and partner (figure and table);
* engagement outcomes (when ``engagements.parquet`` exists);
* staff measures per partner (``summary.json``'s ``staff`` block): launch to
  first alert, consent asked to answered and timeouts, alert to first order,
  classifications, holds;
* track quality over time: GOSPA and its localisation, missed and false parts
  per partner, from :func:`skyweave.analysis.metrics_run.compute_run_metrics`.

Map geometry
    The map is plate carrée (longitude, latitude in degrees) with the aspect
    ratio ``1 / cos(mean latitude)``, so that distances are true in both
    directions at the middle of the theatre. Coverage wedges, range circles and
    impact ellipses are drawn as polygons of points placed by true bearing and
    great-circle distance on the mean-radius sphere (azimuthal equidistant about
    their centre), which is within 0.5 % of the ellipsoid's geodesic: a
    fraction of a line width at theatre scale. Coastlines and land borders are
    Natural Earth's 1:50m (public domain, shipped with Skyweave:
    :mod:`skyweave.io.coastlines`); a graticule and a scale bar, placed where no
    marker or label is, give scale.

Associations
    Alerts carry a track number, not the threat's id. They are put on a threat's
    row with the same rule the warning measures use
    (:mod:`skyweave.analysis.warning_times`): a track is about the nearest threat
    within 10 km at its report times (majority); an infrared launch alert
    without a track is about the launched ballistic threat whose launch point is
    nearest, within 200 km. Alerts that match no threat sit on a row of their own.

Engagements
    ``engagements.parquet`` is optional. Its columns are read when present:
    ``time_s`` (fire time), ``partner``, ``battery_id`` (or ``shooter_id``),
    ``target_id`` (or ``object_id``), ``interceptor_id``, ``outcome`` (text) or
    ``kill`` (bool), ``intercept_time_s`` (or ``end_time_s``), and the end-game
    position as ``intercept_lat_deg``/``intercept_lon_deg`` or ECEF
    ``intercept_x_m``/``intercept_y_m``/``intercept_z_m``.

Determinism
    The same run folder and scenario give the same bytes: Matplotlib's default
    style is applied whatever the user's ``matplotlibrc`` says, fonts are the
    bundled DejaVu, PNG metadata carries no software version, and the page
    holds no wall-clock time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skyweave.io.report_data import (
    REPORT_NAME,
    ReportContext,
    RunData,
    _alert_rows,
    _engagements,
    _partner_style,
    _partners,
    _threat_infos,
    ground_tracks,
    load_run,
)
from skyweave.io.report_geo import destination_deg, ellipse_polygon, sector_polygon
from skyweave.io.report_impacts import _impact_table_html, impact_areas_figure, impact_calls
from skyweave.io.report_map import theatre_map
from skyweave.io.report_plan import plan_section_html
from skyweave.io.report_staff import _staff_html
from skyweave.io.report_style import _CSS, _e, _figure_html, _style, figure_png
from skyweave.io.report_tables import (
    _engagements_html,
    _forces_html,
    _header_html,
    _injects_html,
    _measures_html,
    _threats_table_html,
    _warning_table_html,
)
from skyweave.io.report_timeline import timeline, track_quality_figure, warning_figure
from skyweave.scenario.schema import Scenario

FloatArray = NDArray[np.float64]

__all__ = [
    "REPORT_NAME",
    "build_context",
    "destination_deg",
    "ellipse_polygon",
    "load_run",
    "render_report",
    "sector_polygon",
    "write_report",
]


SCENARIO_COPY = "scenario.json"
"""The scenario a run folder holds (written by ``skyweave run``)."""


def build_context(
    run_dir: str | Path,
    scenario: Scenario | str | Path | None = None,
    summary: Mapping[str, Any] | None = None,
) -> ReportContext:
    """Everything the report's figures and tables draw on (arguments as :func:`render_report`)."""
    run = load_run(run_dir, require_summary=summary is None)
    if summary is not None:
        plain = json.loads(json.dumps(dict(summary), default=_plain))
        run = RunData(run.run_dir, plain, run.tables)
    if scenario is None and (run.run_dir / SCENARIO_COPY).is_file():
        scenario = run.run_dir / SCENARIO_COPY
    if scenario is not None and not isinstance(scenario, Scenario):
        from skyweave.scenario import load_scenario

        scenario = load_scenario(scenario)
    partners = _partners(run, scenario)
    colours, names = _partner_style(partners, scenario)
    tracks = ground_tracks(run.table("truth"))
    threats = _threat_infos(run, tracks, scenario)
    alerts = _alert_rows(run.table("alerts"))
    duration = run.summary.get("simulated_s")
    if duration is None:
        duration = scenario.duration_s if scenario is not None else 0.0
        if tracks.time_s:
            duration = max(float(duration), max(float(t[-1]) for t in tracks.time_s))
    return ReportContext(
        run=run,
        scenario=scenario,
        partners=partners,
        colours=colours,
        names=names,
        tracks=tracks,
        threats=threats,
        alerts=alerts,
        engagements=_engagements(run.table("engagements")),
        duration_s=float(duration),
    )


def render_report(
    run_dir: str | Path,
    scenario: Scenario | str | Path | None = None,
    summary: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> str:
    """The after-action report of a run folder, as one self-contained HTML string.

    Parameters
    ----------
    run_dir : path
        A ``skyweave run`` output folder.
    scenario : Scenario, path or None
        The scenario the run played (a loaded model or its YAML file): gives the
        partners' colours and names, the defended assets, sensors, batteries and
        injects. Default: the run folder's own ``scenario.json`` (the scenario
        exactly as it ran); without either, the report shows what the tables hold.
    summary : mapping, optional
        The run's summary, when ``summary.json`` is not written yet (a report
        made while the run folder is being assembled); default: read the file.
    metrics : mapping, optional
        :func:`~skyweave.analysis.metrics_run.compute_run_metrics` of the run folder
        for the report's partners (the scenario's), when the caller has it already
        (a run folder being written computes it for ``summary.json``); default:
        computed here.

    Raises
    ------
    InputError
        When the run folder or the scenario file is missing or unreadable.
    """
    from skyweave.analysis.metrics_run import compute_run_metrics

    ctx = build_context(run_dir, scenario, summary)
    run, partners = ctx.run, ctx.partners
    if metrics is None:
        metrics = {}
        if run.table("tracks") is not None and run.table("truth") is not None:
            # Every partner, so that one without a single track is charged in full.
            metrics = compute_run_metrics(run.run_dir, partners=partners)

    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>After-action report: {_e(run.summary.get('scenario', run.run_dir.name))}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    with _style():
        parts.append(_header_html(ctx))
        parts.append(_measures_html(ctx))
        fig = theatre_map(ctx)
        parts.append(
            '<section id="theatre"><h2>Theatre</h2>'
            + _figure_html(
                "fig-map",
                figure_png(fig),
                "Theatre map",
                "Defended assets (square, area proportional to value), radar coverage "
                "(sector to maximum range; the elevation limits and the radar horizon "
                "shorten it against low targets), battery maximum engagement range, "
                "ground tracks of every threat, true impact points (black X), each "
                "originating partner's last impact prediction per track with its 95 % "
                "ellipse (+), and launch-point estimates from launch alerts (hollow "
                "triangles). Colours: partners as listed; geometry on the mean-radius "
                "sphere (within 0.5 % of the ellipsoid); coastlines and land borders "
                "from Natural Earth 1:50m (public domain).",
            )
            + "</section>"
        )
        del fig
        fig = timeline(ctx)
        parts.append(
            '<section id="timeline"><h2>Timeline</h2>'
            + _figure_html(
                "fig-timeline",
                figure_png(fig),
                "Timeline per partner",
                "One panel per partner: every threat's flight (bar) and impact (X), the "
                "partner's first detection, first track and first alert (in its own "
                "colour), and every alert it received, coloured by the partner that "
                "originated it (shared warning shows as the other partner's colour). "
                "Alerts that no threat explains (false or ghost tracks) have a row of "
                "their own. Shaded: white-cell outages; dashed: white-cell notes.",
            )
            + "</section>"
        )
        del fig
        wfig = warning_figure(ctx)
        warn_parts = ['<section id="warning"><h2>Warning time</h2>']
        if wfig is not None:
            warn_parts.append(
                _figure_html(
                    "fig-warning",
                    figure_png(wfig),
                    "Warning time per threat and partner",
                    "Warning time per ballistic threat and partner: seconds from the "
                    "partner's first alert to the true impact.",
                )
            )
        warn_parts.append(_warning_table_html(ctx))
        warn_parts.append("</section>")
        parts.append("".join(warn_parts))
        calls = impact_calls(ctx)
        ifig = impact_areas_figure(ctx, calls)
        impact_parts = ['<section id="impacts"><h2>Impact predictions</h2>']
        if ifig is not None:
            impact_parts.append(
                _figure_html(
                    "fig-impacts",
                    figure_png(ifig),
                    "Impact areas: truth and predictions",
                    "Each area where ballistic threats came down, in kilometres east and "
                    "north of the defended asset there (or of the mean impact point): "
                    "true impacts (X) and, per threat, each originating partner's last "
                    "impact prediction (+) with its 95 % ellipse, joined to the true "
                    "impact by a dotted line.",
                )
            )
        impact_parts.append(_impact_table_html(ctx, calls))
        impact_parts.append("</section>")
        parts.append("".join(impact_parts))
        parts.append(
            '<section id="engagements"><h2>Engagements</h2>' + _engagements_html(ctx) + "</section>"
        )
        parts.append(
            '<section id="staff"><h2>Staff measures</h2>' + _staff_html(ctx) + "</section>"
        )
        plan_html = plan_section_html(run.run_dir, run.summary)  # "" without plan.json
        if plan_html:
            parts.append(plan_html)
        tq_parts = ['<section id="track-quality"><h2>Track quality over time</h2>']
        qfig = track_quality_figure(ctx, metrics) if metrics else None
        if qfig is not None:
            params = metrics.get("parameters", {})
            tq_parts.append(
                _figure_html(
                    "fig-track-quality",
                    figure_png(qfig),
                    "GOSPA over time per partner",
                    "GOSPA distance of each partner's own tracks against truth at its "
                    f"report times (order {params.get('gospa_p', 1):g}, cut-off "
                    f"{params.get('gospa_c_m', 1e4) / 1e3:g} km, alpha 2), split into "
                    "localisation error of assigned tracks, missed targets and false "
                    "tracks; below, how many threats were in flight and how many were "
                    "missed or falsely tracked. Lower is better.",
                )
            )
        else:
            tq_parts.append("<p>No tracks table in this run folder: track quality not shown.</p>")
        tq_parts.append("</section>")
        parts.append("".join(tq_parts))
    parts.append(
        '<section id="threats"><h2>Threats (truth)</h2>' + _threats_table_html(ctx) + "</section>"
    )
    parts.append(
        '<section id="injects"><h2>White-cell injects</h2>' + _injects_html(ctx) + "</section>"
    )
    parts.append(
        '<section id="forces"><h2>Forces (notional)</h2>' + _forces_html(ctx) + "</section>"
    )
    parts.append(
        "<footer>Generated by Skyweave "
        f"{_e(run.summary.get('skyweave_version', ''))} from the files beside this page. "
        "Notional, generic exercise data; no real weapon system is named or modelled."
        "</footer></body></html>\n"
    )
    return "\n".join(parts)


def _plain(value: Any) -> Any:
    """JSON fallback for NumPy scalars and arrays in a summary given in memory."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-ready: {type(value).__name__}")


def write_report(
    run_dir: str | Path,
    scenario: Scenario | str | Path | None = None,
    out: str | Path | None = None,
    summary: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Write the after-action report of ``run_dir`` (default ``run_dir/report.html``).

    Returns the path written. See :func:`render_report` for the arguments.
    """
    text = render_report(run_dir, scenario, summary, metrics)
    path = Path(out) if out is not None else Path(run_dir) / REPORT_NAME
    path.write_text(text, encoding="utf-8")
    return path
