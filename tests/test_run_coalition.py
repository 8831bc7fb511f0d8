"""Releasability end to end: what a partner sees derives from another's data only if released."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from skyweave.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _run(tmp: Path, name: str, withhold: set[str]) -> Path:
    """The example to 400 s with North's ``withhold`` classes not released: the raid is
    launched from 60 s to 330 s, so every class has crossed (or not) by then."""
    data = YAML(typ="safe").load(EXAMPLE.read_text())
    data["policy"] = [
        r for r in data["policy"] if not (r["from"] == "north" and r["data_class"] in withhold)
    ]
    scenario = tmp / f"{name}.yaml"
    with scenario.open("w") as fh:
        YAML(typ="safe").dump(data, fh)
    out = tmp / name
    result = CliRunner().invoke(
        main, ["run", str(scenario), "--out", str(out), "--until", "400", "-q"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("coalition")
    return {
        "released": _run(tmp, "released", set()),
        "withheld": _run(tmp, "withheld", {"tracks", "detections", "launch_alerts"}),
    }


def _east_picture_sources(folder: Path) -> set[str]:
    rows = pq.read_table(folder / "picture.parquet").to_pylist()
    return {s for r in rows if r["partner"] == "east" for s in r["sources"]}


def test_tracks_class(runs: dict[str, Path]) -> None:
    assert any(s.startswith("north-") for s in _east_picture_sources(runs["released"]))
    assert not any(s.startswith("north-") for s in _east_picture_sources(runs["withheld"]))
    # east's releases to north are unaffected
    rows = pq.read_table(runs["withheld"] / "picture.parquet").to_pylist()
    north_sources = {s for r in rows if r["partner"] == "north" for s in r["sources"]}
    assert any(s.startswith("east-") for s in north_sources)


def test_detections_class(runs: dict[str, Path]) -> None:
    def east_triangulated(folder: Path) -> bool:
        alerts = pq.read_table(folder / "alerts.parquet").to_pylist()
        return any(
            a["partner"] == "east"
            and a["origin_partner"] == "east"
            and a["launch_source"] == "triangulated"
            for a in alerts
        )

    # east's own satellite alone gives bearings; north's lines of sight make fixes
    assert east_triangulated(runs["released"])
    assert not east_triangulated(runs["withheld"])


def test_launch_alerts_class(runs: dict[str, Path]) -> None:
    def east_received_from_north(folder: Path) -> int:
        alerts = pq.read_table(folder / "alerts.parquet").to_pylist()
        return sum(a["partner"] == "east" and a["origin_partner"] == "north" for a in alerts)

    assert east_received_from_north(runs["released"]) > 0
    assert east_received_from_north(runs["withheld"]) == 0


def test_link_cut_and_restore(tmp_path: Path) -> None:
    data = YAML(typ="safe").load(EXAMPLE.read_text())
    data["injects"] += [
        {"time_s": 300, "kind": "link_cut", "target": "north-east"},
        {"time_s": 500, "kind": "link_restore", "target": "north-east"},
    ]
    scenario = tmp_path / "cut.yaml"
    with scenario.open("w") as fh:
        YAML(typ="safe").dump(data, fh)
    out = tmp_path / "cut"
    result = CliRunner().invoke(
        main, ["run", str(scenario), "--out", str(out), "--until", "600", "-q"]
    )
    assert result.exit_code == 0, result.output
    events = pq.read_table(out / "events.parquet").to_pylist()
    network = [(e["time_s"], e["kind"]) for e in events if e["source"] == "network"]
    assert len(network) == 2 and network[0][0] == 300.0 and network[1][0] == 500.0
    rows = pq.read_table(out / "picture.parquet").to_pylist()

    def remote_in_east(t0: float, t1: float) -> int:
        return sum(
            1
            for r in rows
            if r["partner"] == "east"
            and t0 <= r["time_s"] < t1
            and any(c.startswith("north:") for c in r["contributors"])
        )

    # before the cut east fuses north's tracks; during it, once the last released
    # tracks have gone stale (30 s), east works on its own; after, they come back (within
    # 90 s of the restore: the run stops at 600 s)
    assert remote_in_east(200, 300) > 0
    assert remote_in_east(340, 500) == 0
    assert remote_in_east(510, 600) > 0
    # east still has its own picture during the cut
    assert any(r["partner"] == "east" and 340 <= r["time_s"] < 500 for r in rows)
