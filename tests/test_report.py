"""After-action report: a valid, self-contained, deterministic HTML page with real figures."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pymap3d
import pytest
from click.testing import CliRunner

from skyweave import cli
from skyweave.errors import InputError
from skyweave.io.report import (
    destination_deg,
    ellipse_polygon,
    render_report,
    sector_polygon,
    write_report,
)

FIGURES = {"fig-map", "fig-timeline", "fig-warning", "fig-impacts", "fig-track-quality"}
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
VOID = {"meta", "img", "br", "hr", "link", "input", "wbr", "col", "source"}


class _Page(HTMLParser):
    """Collects tags, attributes, figures, images and table rows; checks nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.figures: dict[str, list[str]] = {}
        self.rows: list[dict[str, str | None]] = []
        self.row_cells: list[list[str]] = []
        self._figure: str | None = None
        self._cell: list[str] | None = None
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype |= decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "figure":
            self._figure = a.get("id") or ""
            self.figures[self._figure] = []
        if tag == "img" and self._figure is not None:
            self.figures[self._figure].append(a.get("src") or "")
        if tag == "tr":
            self.rows.append(a)
            self.row_cells.append([])
        if tag == "td":
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element {tag}")
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "figure":
            self._figure = None
        if tag == "td" and self._cell is not None:
            self.row_cells[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    assert page.doctype
    assert not page.errors, page.errors[:5]
    assert not page.stack, f"unclosed: {page.stack}"
    return page


def _png_size(src: str) -> tuple[int, int]:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    data = base64.b64decode(src[len(prefix) :], validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in data[:4096]  # no version stamp in the metadata
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, example_run: Path) -> Path:
    """A copy of the session's example run (the report is written into it)."""
    out = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(example_run, out)
    return out


@pytest.fixture(scope="module")
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture(scope="module")
def report(run_dir: Path, example_path: Path) -> tuple[Path, str]:
    path = write_report(run_dir, example_path)
    return path, path.read_text(encoding="utf-8")


def test_report_is_valid_self_contained_html(report: tuple[Path, str], run_dir: Path) -> None:
    path, text = report
    assert path == run_dir / "report.html"
    page = _parse(text)
    assert [t for t, _ in page.tags].count("html") == 1
    assert any(t == "title" for t, _ in page.tags)
    for tag, attrs in page.tags:
        assert tag not in {"script", "link", "iframe", "object", "embed"}, tag
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, value[:60])
    lowered = text.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    # A briefing page, not a data dump: a few hundred kilobytes.
    assert 50_000 < len(text.encode()) < 1_500_000


def test_one_png_per_figure(report: tuple[Path, str]) -> None:
    page = _parse(report[1])
    assert set(page.figures) == FIGURES
    for fig_id, images in page.figures.items():
        assert len(images) == 1, fig_id
        width, height = _png_size(images[0])
        assert 600 <= width <= 1400 and 300 <= height <= 1400, (fig_id, width, height)
    assert sum(1 for t, _ in page.tags if t == "img") == len(FIGURES)


def test_warning_table_has_a_row_per_ballistic_threat_and_partner(
    report: tuple[Path, str], run_dir: Path
) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    ballistic = [t["object_id"] for t in summary["threats"] if t["kind"] == "ballistic"]
    partners = ["north", "east"]
    page = _parse(report[1])
    rows = [
        (r, cells)
        for r, cells in zip(page.rows, page.row_cells, strict=True)
        if "warning-row" in (r.get("class") or "")
    ]
    keys = [(r["data-threat"], r["data-partner"]) for r, _ in rows]
    assert len(keys) == len(set(keys)) == len(ballistic) * len(partners) == 14
    assert set(keys) == {(t, p) for t in ballistic for p in partners}
    per = {(r["object_id"], r["partner"]): r for r in summary["warning"]["per_threat"]}
    for r, cells in rows:
        w = per[(r["data-threat"], r["data-partner"])]
        # The table's warning equals impact time minus first alert, to the second.
        expected = w["impact_time_s"] - w["first_alert_s"]
        assert float(cells[-1].replace(",", "")) == pytest.approx(expected, abs=0.5)
        assert _run_s(cells[5]) == round(w["first_alert_s"])
    accidental = [r for r, _ in rows if "acc" in (r.get("class") or "").split()]
    assert {r["data-threat"] for r in accidental} == {"stray-1"}
    # Key measures: one row per partner, median warning as in summary.json.
    measures = [
        cells
        for r, cells in zip(page.rows, page.row_cells, strict=True)
        if r.get("class") == "measure-row"
    ]
    assert len(measures) == 2
    north = summary["warning"]["by_partner"]["north"]
    assert measures[0][1] == f"{north['warned']} / {north['ballistic_threats']}"
    assert float(measures[0][2].replace(",", "")) == pytest.approx(
        north["median_warning_s"], abs=0.5
    )


def test_impact_table_measures_the_last_prediction_against_truth(
    report: tuple[Path, str], run_dir: Path
) -> None:
    from pymap3d.vincenty import vdist

    summary = json.loads((run_dir / "summary.json").read_text())
    truth = {t["object_id"]: t for t in summary["threats"] if t["kind"] == "ballistic"}
    for t in truth.values():
        if t["impact_lat_deg"] is None:  # killed: predictions aimed at the planned impact
            t["impact_lat_deg"], t["impact_lon_deg"] = (
                t["planned_end_lat_deg"],
                t["planned_end_lon_deg"],
            )
            t["end_time_s"] = t["planned_end_time_s"]
    alerts = pq.read_table(run_dir / "alerts.parquet").to_pylist()
    page = _parse(report[1])
    rows = [
        (r, cells)
        for r, cells in zip(page.rows, page.row_cells, strict=True)
        if r.get("class") == "impact-row"
    ]
    # Both partners' boards predicted every ballistic impact (own data or a report).
    assert {(r["data-threat"], r["data-partner"]) for r, _ in rows} == {
        (t, p) for t in truth for p in ("north", "east")
    }
    for r, cells in rows:
        t = truth[r["data-threat"]]
        issued = _run_s(cells[2])
        # The row is one of the partner's predictions on its board at that time; its miss
        # distance is the ellipsoidal distance from that prediction to the true impact.
        candidates = [
            a
            for a in alerts
            if a["alert_kind"] in ("new_threat", "threat_change")
            and a["impact_lat_deg"] is not None
            and a["partner"] == r["data-partner"]
            and round(a["time_s"]) == issued
        ]
        misses = [
            float(
                vdist(
                    a["impact_lat_deg"],
                    a["impact_lon_deg"],
                    t["impact_lat_deg"],
                    t["impact_lon_deg"],
                )[0]
            )
            / 1e3
            for a in candidates
        ]
        assert any(abs(m - float(cells[4])) <= 0.05 + 0.005 * m for m in misses), (cells, misses)
        assert float(cells[3]) == pytest.approx(t["end_time_s"] - issued, abs=1.0)
        assert cells[7] in {"yes", "no"}


def test_report_is_deterministic(
    report: tuple[Path, str], run_dir: Path, example_path: Path
) -> None:
    again = render_report(run_dir, example_path)
    assert again == report[1]


def test_report_written_with_the_run_equals_one_computed_alone(
    report: tuple[Path, str], example_run: Path
) -> None:
    # the run folder's report takes the track-quality metrics computed for
    # summary.json; a report made later from the folder computes its own
    assert (example_run / "report.html").read_text(encoding="utf-8") == report[1]


def test_older_run_without_alerts_or_tracks_still_reports(run_dir: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-run"
    old.mkdir()
    for name in ("truth.parquet", "detections.parquet"):
        shutil.copy(run_dir / name, old / name)
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("warning", "track_quality"):
        summary.pop(key)
    (old / "summary.json").write_text(json.dumps(summary))
    # No scenario either: the report shows what the folder alone holds.
    path = write_report(old)
    page = _parse(path.read_text())
    assert set(page.figures) == {"fig-map", "fig-timeline", "fig-impacts"}
    text = path.read_text()
    assert "No tracks table" in text
    assert "no warning measures" in text
    assert not [r for r in page.rows if "warning-row" in (r.get("class") or "")]


TINY = """\
name: tiny
epoch: 2026-01-01T00:00:00Z
duration_s: 60
partners: [{id: solo}]
sensors:
  - {type: radar, id: r1, partner: solo, lat_deg: 10, lon_deg: 179.5, max_range_km: 300}
threats:
  - {type: cruise, id: cm, speed_mps: 250,
     waypoints: [{lat_deg: 9, lon_deg: -179.5}, {lat_deg: 10, lon_deg: 179.6}]}
"""


def test_one_partner_across_the_antimeridian_without_ballistic_threats(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    out = tmp_path / "run"
    result = CliRunner().invoke(cli.main, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    text = write_report(out, scenario).read_text()
    page = _parse(text)
    # No ballistic threat: no warning or impact figure; a partner without a single
    # track still gets its (all missed) track quality.
    assert set(page.figures) == {"fig-map", "fig-timeline", "fig-track-quality"}
    assert "No ballistic threats" in text


def test_missing_run_folder_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(InputError, match="run folder not found"):
        write_report(missing)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a run folder"):
        write_report(empty)
    # Through the command line: one line on stderr, exit code 2, no traceback.
    monkeypatch.setitem(cli._COMMANDS, "report", "skyweave.cli.report:report_command")
    result = CliRunner().invoke(cli.main, ["report", str(missing)])
    assert result.exit_code == 2
    assert "run folder not found" in result.output
    assert "Traceback" not in result.output


def test_engagements_table_and_intercepts(
    run_dir: Path, tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "report.html").unlink(missing_ok=True)
    x, y, z = pymap3d.geodetic2ecef([-24.5, -34.6, -31.9], [133.2, 138.1, 137.3], 20_000.0)
    pq.write_table(
        pa.table(
            {
                "time_s": [700.0, 760.0, 1400.0],
                "partner": ["north", "east", "east"],
                "battery_id": ["north-bty-1", "east-bty-1", "east-bty-2"],
                "target_id": ["raid-n-1", "raid-e-1", "stray-1"],
                "interceptor_id": ["i-1", "i-2", "i-3"],
                "intercept_time_s": [740.0, 790.0, 1440.0],
                "kill": [True, False, True],
                "intercept_x_m": x,
                "intercept_y_m": y,
                "intercept_z_m": z,
            }
        ),
        run / "engagements.parquet",
    )
    monkeypatch.setitem(cli._COMMANDS, "report", "skyweave.cli.report:report_command")
    out = tmp_path / "aar.html"
    result = CliRunner().invoke(
        cli.main, ["report", str(run), "--scenario", str(example_path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not (run / "report.html").exists()
    page = _parse(out.read_text())
    eng = [
        cells
        for r, cells in zip(page.rows, page.row_cells, strict=True)
        if r.get("class") == "engagement-row"
    ]
    assert [c[0] for c in eng] == ["raid-n-1", "raid-e-1", "stray-1"]
    assert [c[-1] for c in eng] == ["kill", "miss", "kill"]
    assert [c[4] for c in eng] == [
        "06:11:40Z (T+11:40)",
        "06:12:40Z (T+12:40)",
        "06:23:20Z (T+23:20)",
    ]
    # Per-partner outcome rows: North 1 shot 1 kill, East 2 shots 1 kill.
    text = out.read_text()
    assert "No engagements recorded" not in text
    assert set(page.figures) == FIGURES


def test_destination_matches_the_ellipsoid_geodesic_within_half_a_percent() -> None:
    from pymap3d.vincenty import vdist

    az = np.linspace(0.0, 350.0, 36)
    for dist_m in (50_000.0, 400_000.0, 3_000_000.0):
        lat, lon = destination_deg(-30.0, 135.0, az, dist_m)
        d, a = vdist(-30.0, 135.0, lat, lon)
        assert np.allclose(np.asarray(d), dist_m, rtol=5e-3)
        err = (np.asarray(a) - az + 180.0) % 360.0 - 180.0
        assert np.max(np.abs(err)) < 0.5


def test_sector_and_ellipse_outlines() -> None:
    from pymap3d.vincenty import vdist

    lat, lon = sector_polygon(-28.5, 131.5, 200.0, 60.0, 3_000_000.0)
    assert (lat[0], lon[0]) == (lat[-1], lon[-1]) == (-28.5, 131.5)
    d, a = vdist(-28.5, 131.5, lat[1:-1], lon[1:-1])
    assert np.allclose(np.asarray(d), 3e6, rtol=5e-3)
    assert np.asarray(a).min() == pytest.approx(140.0, abs=0.5)
    assert np.asarray(a).max() == pytest.approx(260.0, abs=0.5)
    # Major axis 100 km at 30 deg from North, minor 40 km.
    lat, lon = ellipse_polygon(-32.5, 141.4, 100_000.0, 40_000.0, 30.0, n=5)
    d, a = vdist(-32.5, 141.4, lat, lon)
    assert np.asarray(d)[[0, 2]] == pytest.approx([100_000.0, 100_000.0], rel=5e-3)
    assert np.asarray(d)[[1, 3]] == pytest.approx([40_000.0, 40_000.0], rel=5e-3)
    assert np.asarray(a)[0] == pytest.approx(30.0, abs=0.3)
    assert np.asarray(a)[1] == pytest.approx(120.0, abs=0.3)
    assert math.isclose(float(np.asarray(a)[2]), 210.0, abs_tol=0.3)


# --------------------------------------------------------------- issue 14 defects


def _yaml(path: Path) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text())


def _mmss(seconds: float) -> str:
    """The report's clock time on the example (epoch 06:00:00Z) with the run time beside it."""
    seconds = round(seconds)
    at = _epoch(EXAMPLE) + dt.timedelta(seconds=seconds)
    return f"{at:%H:%M:%S}Z (T+{seconds // 60:02d}:{seconds % 60:02d})"


def _run_s(cell: str) -> int:
    """The run seconds of a time cell on the example, checking its clock time agrees."""
    match = re.fullmatch(r"\d\d:\d\d:\d\dZ \(T\+(\d+):(\d\d)\)", cell)
    assert match, cell
    seconds = 60 * int(match[1]) + int(match[2])
    assert cell == _mmss(seconds)
    return seconds


def _rows(page: _Page, cls: str) -> list[tuple[dict[str, str | None], list[str]]]:
    return [
        (r, cells)
        for r, cells in zip(page.rows, page.row_cells, strict=True)
        if r.get("class") == cls
    ]


def test_forces_table_shows_the_injected_outages(
    report: tuple[Path, str], example_path: Path
) -> None:
    injects = _yaml(example_path)["injects"]
    fails = [i for i in injects if i["kind"] == "sensor_failure"]
    assert fails
    rows = {r["data-id"]: cells for r, cells in _rows(_parse(report[1]), "force-row")}
    for f in fails:
        repair = min(
            i["time_s"]
            for i in injects
            if i["kind"] == "sensor_repair"
            and i["target"] == f["target"]
            and i["time_s"] > f["time_s"]
        )
        window = f"{_mmss(f['time_s'])}–{_mmss(repair)} (inject)"
        assert window in rows[f["target"]][-1], (f["target"], rows[f["target"]][-1])


def test_engagement_rows_name_the_interceptors_truth_flew(
    report: tuple[Path, str], run_dir: Path
) -> None:
    truth = pq.read_table(run_dir / "truth.parquet", columns=["object_id", "kind"]).to_pydict()
    flown = {
        o for o, k in zip(truth["object_id"], truth["kind"], strict=True) if k == "interceptor"
    }
    engagements = pq.read_table(run_dir / "engagements.parquet").to_pylist()
    rows = _rows(_parse(report[1]), "engagement-row")
    assert len(rows) == len(engagements)
    for (_, cells), eng in zip(rows, engagements, strict=True):
        ids = cells[3].split(", ")
        assert len(ids) == int(cells[6])  # one per shot
        assert set(ids) <= flown, ids
        # fired and end-game times (fractional seconds) as clock time and run time, agreeing
        assert _run_s(cells[4]) == round(eng["time_s"])
        assert _run_s(cells[5]) == round(eng["end_time_s"])


def test_report_without_scenario_reads_the_run_folders_scenario_json(
    run_dir: Path, tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cli._COMMANDS, "report", "skyweave.cli.report:report_command")
    bare, given = tmp_path / "bare.html", tmp_path / "given.html"
    runner = CliRunner()
    r1 = runner.invoke(cli.main, ["report", str(run_dir), "--out", str(bare)])
    scenario_json = str(run_dir / "scenario.json")
    r2 = runner.invoke(
        cli.main, ["report", str(run_dir), "--scenario", scenario_json, "--out", str(given)]
    )
    assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output)
    assert bare.read_bytes() == given.read_bytes()
    text = bare.read_text()
    assert "Scenario not given" not in text
    # The partners' colours are the scenario's, not the default palette's order.
    for p in _yaml(example_path)["partners"]:
        assert f'background:{p["color"].lower()}"></span>{p["name"]}' in text


def test_globe_files_use_the_scenarios_partner_colours(run_dir: Path, example_path: Path) -> None:
    import xml.etree.ElementTree as ET

    partners = _yaml(example_path)["partners"]
    packets = {p["id"]: p for p in json.loads((run_dir / "scenario.czml").read_text())}
    kml = ET.parse(run_dir / "scenario.kml").getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    styles = {
        s.get("id"): s.findtext("k:LineStyle/k:color", namespaces=ns)
        for s in kml.iterfind("k:Document/k:Style", ns)
    }
    sites = _yaml(example_path)["sensors"] + _yaml(example_path)["batteries"]
    for p in partners:
        h = p["color"].lstrip("#")
        rgb = [int(h[k : k + 2], 16) for k in (0, 2, 4)]
        mine = [s["id"] for s in sites if s["partner"] == p["id"]]
        for sid in mine:
            assert packets[f"site/{sid}"]["point"]["color"]["rgba"][:3] == rgb
        # KML colours are aabbggrr; the partner's site placemarks point at its style.
        folder = next(
            f
            for f in kml.iterfind("k:Document/k:Folder", ns)
            if f.findtext("k:name", namespaces=ns) == f"Partner {p['name']}"
        )
        (site_folder,) = [
            f
            for f in folder.iterfind("k:Folder", ns)
            if f.findtext("k:name", namespaces=ns) == "Sites"
        ]
        urls = {u.text for u in site_folder.iterfind("k:Placemark/k:styleUrl", ns)}
        assert urls and all(
            styles[u[1:]] == f"ff{h[4:6]}{h[2:4]}{h[0:2]}".lower() for u in urls if u
        )


def test_globe_files_hold_each_partners_picture_alerts_and_coverage(
    run_dir: Path, example_path: Path
) -> None:
    from pymap3d.vincenty import vdist

    packets = json.loads((run_dir / "scenario.czml").read_text())
    ids = [p["id"] for p in packets]
    picture = pq.read_table(run_dir / "picture.parquet").to_pydict()
    alerts = pq.read_table(run_dir / "alerts.parquet").to_pylist()
    radars = [s for s in _yaml(example_path)["sensors"] if s["type"] == "radar"]
    for pid in ("north", "east"):
        tracks = {
            t for p, t in zip(picture["partner"], picture["track_id"], strict=True) if p == pid
        }
        assert {i for i in ids if i.startswith(f"picture/{pid}/")} == {
            f"picture/{pid}/{t}" for t in tracks
        }
        updates = [
            a
            for a in alerts
            if a["partner"] == pid
            and a["alert_kind"] in ("new_threat", "threat_change")
            and a["impact_lat_deg"] is not None
            and math.isfinite(a["impact_lat_deg"])
        ]
        mine = [p for p in packets if p["id"].startswith(f"alert/{pid}/")]
        assert len(mine) == len(updates)
    for r in radars:
        assert f"coverage/{r['id']}" in ids
    # An ellipse outline's farthest vertex is its semi-major axis from the predicted point.
    update = next(
        a
        for a in alerts
        if a["alert_kind"] == "threat_change" and (a["ellipse_semi_major_m"] or 0) > 5e3
    )
    shape = next(
        p
        for p in packets
        if p["id"].startswith(f"alert/{update['partner']}/")
        and p["availability"].startswith(
            (_epoch(example_path) + dt.timedelta(seconds=update["time_s"])).strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
        )
    )
    lonlat = np.array(shape["polygon"]["positions"]["cartographicDegrees"]).reshape(-1, 3)
    d = np.asarray(
        vdist(update["impact_lat_deg"], update["impact_lon_deg"], lonlat[:, 1], lonlat[:, 0])[0]
    )
    assert d.max() == pytest.approx(update["ellipse_semi_major_m"], rel=6e-3)
    assert d.min() == pytest.approx(update["ellipse_semi_minor_m"], rel=6e-3)


def _epoch(example_path: Path) -> dt.datetime:
    epoch = _yaml(example_path)["epoch"]
    if isinstance(epoch, str):
        epoch = dt.datetime.fromisoformat(epoch.replace("Z", "+00:00"))
    return epoch.astimezone(dt.UTC)


def _drawn(fig: Any) -> Any:
    fig.canvas.draw()
    return fig


def test_scale_bar_sits_clear_of_every_asset_marker(run_dir: Path) -> None:
    import dataclasses

    from matplotlib.collections import PathCollection

    from skyweave.io.report import build_context
    from skyweave.io.report_map import theatre_map
    from skyweave.io.report_style import _style

    ctx = build_context(run_dir)
    assert ctx.scenario is not None
    # An extra asset in the map's bottom-left corner, where the bar used to go.
    extra = ctx.scenario.defended_assets[0].model_copy(
        update={"id": "corner", "name": "Corner", "lat_deg": -40.2, "lon_deg": 123.0}
    )
    sc = ctx.scenario.model_copy(update={"defended_assets": [*ctx.scenario.defended_assets, extra]})
    for c in (ctx, dataclasses.replace(ctx, scenario=sc)):
        with _style():
            fig = _drawn(theatre_map(c))
        ax = fig.axes[0]
        (box,) = [p for p in ax.patches if p.get_gid() == "scale-bar-box"]
        bb = box.get_window_extent()
        assets = [
            coll
            for coll in ax.collections
            if isinstance(coll, PathCollection) and str(coll.get_gid()).startswith("asset:")
        ]
        assert len(assets) == len(c.scenario.defended_assets)
        for coll in assets:
            (cx, cy), size = ax.transData.transform(coll.get_offsets())[0], coll.get_sizes()[0]
            radius = 0.5 * math.sqrt(size) * fig.dpi / 72.0
            nx, ny = min(max(cx, bb.x0), bb.x1), min(max(cy, bb.y0), bb.y1)
            assert math.hypot(cx - nx, cy - ny) > radius, coll.get_gid()
        # Coastlines are drawn, and the theatre's coast is in view.
        (coast,) = [ln for ln in ax.lines if ln.get_gid() == "natural-earth-coast"]
        x, y = np.asarray(coast.get_xdata()), np.asarray(coast.get_ydata())
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert np.sum((x > x0) & (x < x1) & (y > y0) & (y < y1)) > 100


def test_impact_legend_fits_the_figure_with_one_panel_or_many(run_dir: Path) -> None:
    import dataclasses

    from skyweave.io.report import build_context
    from skyweave.io.report_impacts import impact_areas_figure, impact_calls
    from skyweave.io.report_style import _style

    ctx = build_context(run_dir)
    one = dataclasses.replace(
        ctx, threats=[t for t in ctx.threats if t.object_id == "stray-1" or t.kind != "ballistic"]
    )
    for c, panels in ((one, 1), (ctx, 4)):
        with _style():
            fig = _drawn(impact_areas_figure(c, impact_calls(c)))
        assert sum(ax.get_visible() and ax.axison for ax in fig.axes) == panels
        (legend,) = fig.legends
        lb, fb = legend.get_window_extent(), fig.bbox
        assert lb.x0 >= fb.x0 and lb.x1 <= fb.x1 and lb.y0 >= fb.y0 and lb.y1 <= fb.y1, (lb, fb)


@pytest.mark.parametrize(
    ("kind", "lat_deg", "lon_deg"),
    [
        ("coast", -33.92, 18.42),  # Cape Town
        ("coast", -34.93, 138.60),  # Adelaide
        ("coast", 38.72, -9.14),  # Lisbon
        ("border", 46.20, 6.15),  # Geneva, on the French border
    ],
)
def test_shipped_natural_earth_lines_pass_near_known_places(
    kind: str, lat_deg: float, lon_deg: float
) -> None:
    from pymap3d.vincenty import vdist

    from skyweave.io.coastlines import points

    lon, lat = points(kind)
    near = (np.abs(lat - lat_deg) < 1.0) & (np.abs(lon - lon_deg) < 1.5)
    d = np.asarray(vdist(lat_deg, lon_deg, lat[near], lon[near])[0])
    assert d.size and d.min() < 20_000.0
    # Alice Springs is inland: no coastline vertex within 500 km.
    lon_c, lat_c = points("coast")
    box = (np.abs(lat_c + 23.7) < 6) & (np.abs(lon_c - 133.9) < 7)
    assert np.asarray(vdist(-23.7, 133.9, lat_c[box], lon_c[box])[0]).min() > 500_000.0


def test_large_run_map_draws_the_same_marks_batched(
    run_dir: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above BATCHED_ABOVE marks the map draws predictions and launch estimates as one
    # artist per colour: the same points in the same colours as one artist per mark.
    from matplotlib.collections import LineCollection, PolyCollection

    from skyweave.io import report_map
    from skyweave.io.report import _style, build_context

    def marks(fig: Any) -> tuple[dict[tuple[str, str], list[tuple[float, float]]], int]:
        out: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for line in fig.axes[0].lines:
            if line.get_marker() in ("+", "v") and line.get_linestyle() == "None":
                colour = line.get_color() if line.get_marker() == "+" else line.get_mec()
                xs, ys = line.get_data()
                out.setdefault((line.get_marker(), str(colour)), []).extend(
                    (round(float(x), 9), round(float(y), 9)) for x, y in zip(xs, ys, strict=True)
                )
        polys = sum(
            len(c.get_paths())
            for c in fig.axes[0].collections
            if isinstance(c, PolyCollection) and not isinstance(c, LineCollection)
        )
        return {k: sorted(v) for k, v in out.items()}, polys

    ctx = build_context(run_dir, example_path)
    with _style():
        single = report_map.theatre_map(ctx)
        monkeypatch.setattr(report_map, "BATCHED_ABOVE", 0)
        batched = report_map.theatre_map(ctx)
    single_marks, single_polys = marks(single)
    batched_marks, batched_polys = marks(batched)
    assert single_marks and single_marks == batched_marks
    # every filled ellipse moved from a patch of its own into a collection
    moved = len(single.axes[0].patches) - len(batched.axes[0].patches)
    assert moved > 0 and batched_polys - single_polys == moved
