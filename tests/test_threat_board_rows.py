"""The threat board's fast paths give what the plain ones gave, bit for bit.

The board measures launch sites against each other with one NumPy pass per point
(:func:`site_distances_m`), groups a salvo's threats greedily by site
(:func:`site_groups`) and keeps each threat's board row until the threat changes
(:class:`BoardRowCache`, the threat table's kept records) and takes a salvo's median
flight time without NumPy; each is checked here against the code it replaced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from typing import Any

import numpy as np

from skyweave.warning.alerts import _great_circle_m
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.threat_model import (
    ROW_FIELDS,
    AssetInfo,
    PredictedImpact,
    Threat,
    median,
    site_distances_m,
    site_groups,
)
from skyweave.warning.threat_rows import BoardRowCache, _still_row, board_row
from skyweave.warning.threat_table import ThreatTableRecorder
from skyweave.warning.threats import ThreatBoard

GATE_M = 150_000.0


def same_site(a: Threat, b: Threat, gate_m: float) -> bool:
    """Two threats' launch points within ``gate_m``: the scalar test the board made
    per pair before :func:`site_distances_m`."""
    d = _great_circle_m(a.launch_lat_deg, a.launch_lon_deg, b.launch_lat_deg, b.launch_lon_deg)
    return bool(float(d) <= gate_m)


def board_record(time_s: float, partner: str, row: dict[str, Any], truth: str | None) -> list[Any]:
    """One ``threats.parquet`` row (schema order) from a board row of
    :meth:`ThreatBoard.board_rows`: the recorder's form before it kept rows."""
    ellipse = row["ellipse_m"]
    return [
        float(time_s),
        partner,
        row["id"],
        row["class"],
        row["lifecycle"],
        row["first_seen_s"],
        row["first_source"],
        row["sources"],
        row["tracks"],
        row["launch"][0],
        row["launch"][1],
        row["launch_time_s"],
        row["impact"][0],
        row["impact"][1],
        row["impact_time_s"],
        row["time_to_go_s"],
        ellipse[0],
        ellipse[1],
        ellipse[2],
        [a["asset"] for a in row["threatened"]],
        [a["owner"] or "" for a in row["threatened"]],
        [e["battery"] for e in row["engagements"]],
        [e["outcome"] for e in row["engagements"]],
        row["classification"],
        truth,
    ]


def test_site_distances_are_the_scalar_distances_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        centre = rng.uniform(-70.0, 70.0, 2)
        spread = float(rng.choice([1e-3, 0.1, 1.0, 5.0, 60.0]))
        lats = (centre[0] + rng.normal(0.0, spread, n)).tolist()
        lons = (centre[1] + rng.normal(0.0, spread, n)).tolist()
        lat, lon = lats[0], lons[0]
        fast = site_distances_m(lat, lon, np.array(lats), np.array(lons))
        slow = np.array(
            [float(_great_circle_m(lat, lon, a, b)) for a, b in zip(lats, lons, strict=True)]
        )
        assert fast.view(np.int64).tolist() == slow.view(np.int64).tolist()


def _threat(number: int, lat: float, lon: float) -> Threat:
    t = Threat(number, "north", "ballistic", first_seen_s=float(number), first_source="north")
    t.launch_lat_deg, t.launch_lon_deg = lat, lon
    return t


def _greedy_reference(threats: list[Threat], gate_m: float) -> list[list[Threat]]:
    """The grouping as the board made it before, one ``same_site`` call per pair."""
    left, groups = list(threats), []
    while left:
        head = left[0]
        site = [t for t in left if same_site(head, t, gate_m)] or [head]
        left = [t for t in left if t not in site]
        groups.append(site)
    return groups


def test_site_groups_are_greedy_in_order_not_connected_components() -> None:
    step_deg = 0.8 * GATE_M / 111_195.0  # 0.8 of the gate along the equator
    a, b, c = (
        _threat(1, 0.0, 10.0),
        _threat(2, 0.0, 10.0 + step_deg),
        _threat(3, 0.0, 10.0 + 2 * step_deg),
    )
    d, lost = _threat(4, 0.01, 10.0), _threat(5, np.nan, np.nan)
    groups = site_groups([a, b, c, d, lost], GATE_M)
    # c is within the gate of b but not of a, the head: it starts a site of its own
    assert [[t.number for t in g] for g in groups] == [[1, 2, 4], [3], [5]]


def test_site_groups_match_the_pairwise_grouping() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        lats = rng.normal(30.0, 2.0, n)
        lons = rng.normal(40.0, 2.0, n)
        threats = [
            _threat(k + 1, float(la), float(lo))
            for k, (la, lo) in enumerate(zip(lats, lons, strict=True))
        ]
        fast = [[t.number for t in g] for g in site_groups(threats, GATE_M)]
        slow = [[t.number for t in g] for g in _greedy_reference(threats, GATE_M)]
        assert fast == slow


def _impact(time_s: float, lat: float, orientation_deg: float = 12.0) -> PredictedImpact:
    return PredictedImpact(
        time_s, lat, 20.0, np.zeros(3), 9_000.0, 4_000.0, orientation_deg, source="own"
    )


ASSETS = {"port": AssetInfo("port", "Port", "north", 5.0)}


def test_kept_rows_are_the_rows_made_anew_as_the_threat_changes() -> None:
    cache = BoardRowCache("north", ASSETS)
    t, u = _threat(1, 0.0, 10.0), _threat(2, 1.0, 11.0)
    t.launch_time_s = 3.0
    picture_of = {7: 70, 8: 80}
    changes = [
        lambda: None,
        lambda: setattr(t, "launch_lat_deg", 0.0),  # equal, and zero: made anew
        lambda: setattr(t, "launch_lat_deg", -0.0),  # the sign shows in the row
        lambda: setattr(u, "launch_lat_deg", float("1.0")),  # equal: kept
        lambda: setattr(t, "impact", _impact(300.0, 5.0)),
        lambda: setattr(t, "threatened", ("port",)),
        lambda: t.live_tracks.add(7),
        lambda: setattr(t, "lifecycle", "impact_predicted"),
        lambda: t.sources.add("east"),
        lambda: t.engagements.__setitem__(4, {"battery": "b1", "outcome": "in_flight"}),
        lambda: setattr(t, "impact", _impact(301.0, 5.0, -0.0)),
        lambda: setattr(u, "classification", "accidental"),
        lambda: setattr(t, "threatened", ("port", "elsewhere")),
        lambda: setattr(t, "last_change_s", 40.0),
        lambda: setattr(u, "impact", _impact(250.0, -3.0)),
        lambda: setattr(u, "launch_time_s", 9.0),
    ]
    for k, change in enumerate(changes):
        change()
        time_s = 10.0 * k
        kept = cache.rows(time_s, [t, u], picture_of)
        fresh = [board_row("north", time_s, x, ASSETS, picture_of) for x in (t, u)]
        assert repr(kept) == repr(fresh), k  # repr: -0.0 is not 0.0


def test_board_rows_share_no_list_with_the_kept_rows() -> None:
    board = ThreatBoard("north", DefendedAssets.empty(), [])
    t = board._new(10.0, "ballistic", "north")
    t.impact = _impact(300.0, 5.0)
    first = board.board_rows(20.0)
    first[0]["launch"][0] = 99.0
    first[0]["impact"][0] = 99.0
    first[0]["ellipse_m"][0] = 99.0
    assert board.board_rows(20.0) == [board_row("north", 20.0, t, {}, {})]


def test_recorded_table_is_board_record_of_board_rows() -> None:
    board = ThreatBoard("north", DefendedAssets.empty(), list(ASSETS.values()))
    recorder = ThreatTableRecorder()
    t, u = board._new(10.0, "ballistic", "north"), board._new(12.0, "cruise", "east")
    expected = []
    steps = [
        lambda: None,
        lambda: setattr(u, "impact", _impact(200.0, 1.0)),
        lambda: setattr(t, "impact", _impact(150.0, 2.0)),  # now first by time to go
        lambda: setattr(t, "threatened", ("port", "elsewhere")),
        lambda: t.live_tracks.add(7),
        lambda: t.engagements.__setitem__(3, {"battery": "b1", "outcome": "in_flight"}),
        lambda: u.truth.update(["cm"]),
        lambda: t.sources.add("east"),
        lambda: t.engagements.__setitem__(3, {"battery": "b1", "outcome": "miss"}),
        lambda: t.engagements.__setitem__(1, {"battery": "b2", "outcome": "in_flight"}),
        lambda: t.live_tracks.add(6),
        lambda: t.live_tracks.discard(7),
        lambda: setattr(u, "picture_number", 12),
        lambda: setattr(v, "impact", _impact(150.0, 3.0)),  # a tie with t: board order kept
        lambda: board._close(70.0, u, "killed", "engagement_result", "kill", "north"),
    ]
    v = board._new(13.0, "ballistic", "north")
    for k, step in enumerate(steps):
        step()
        time_s, picture_of = 10.0 * k, {7: 70 + k, 6: 60 - k}
        recorder.record(time_s, board, picture_of)
        truth = {x.threat_id: x.truth_object_id for x in board.open_threats()}
        expected += [
            board_record(time_s, "north", row, truth[row["id"]])
            for row in board.board_rows(time_s, picture_of)
        ]
    listed = [[list(v) if isinstance(v, tuple) else v for v in r] for r in recorder._rows]
    assert repr(listed) == repr(expected)  # repr: -0.0 is not 0.0
    ids = [r[2] for r in expected]
    assert ids[-5:] == ["north:T1", "north:T3", "north:T2", "north:T1", "north:T3"]


def test_row_version_counts_the_fields_a_still_row_is_made_of() -> None:
    """A still row depends on :data:`ROW_FIELDS` alone, and setting any of them to a
    value that could show differently in the row moves the threat's ``row_version``."""
    others = {
        "launch_source": "bearing",
        "events": {"e-1"},
        "tracks": {3},
        "live_tracks": {3},
        "remote": {"east": "east:T1"},
        "picture_number": 5,
        "engagements": {1: {"battery": "b", "outcome": "kill"}},
        "ended_s": 50.0,
        "last_seen_s": 40.0,
        "last_threat_s": 40.0,
        "sources": {"east"},
        "originators": {"east"},
        "alerted": _impact(9.0, 9.0),
        "alerted_threatened": ("port",),
        "out_since": {"port": 1.0},
        "truth": Counter(["cm"]),
        "last_state": (40.0, np.zeros(6), 100.0),
    }
    names = {f.name for f in fields(Threat)} - {"columns", "row_version"}
    assert names == set(ROW_FIELDS) | set(others)
    t = _threat(1, 1.0, 2.0)
    t.impact = _impact(300.0, 5.0)
    before = repr(_still_row("north", t, ASSETS))
    version = t.row_version
    for name, value in others.items():
        setattr(t, name, value)
    assert t.row_version == version
    assert repr(_still_row("north", t, ASSETS)) == before
    for name in sorted(ROW_FIELDS):
        setattr(t, name, getattr(t, name))  # the same object: the same row
        assert t.row_version == version, name
    for name, value in [
        ("launch_lat_deg", float("1.0")),  # equal, not zero: the same row
        ("threatened", tuple(["port"][:0])),  # an equal tuple
        ("lifecycle", "".join(["det", "ected"])),  # an equal string
    ]:
        setattr(t, name, value)
        assert t.row_version == version, name
    for name, value in [
        ("launch_lat_deg", 0.0),
        ("launch_lat_deg", -0.0),  # equal, but the sign shows in the row
        ("launch_lat_deg", np.float64(-0.0)),  # another type
        ("first_seen_s", 1.5),
        ("impact", _impact(300.0, 5.0)),  # an equal prediction, another object
        ("threatened", ("port",)),
        ("classification", "accidental"),
    ]:
        setattr(t, name, value)
        assert t.row_version == version + 1, name
        version = t.row_version


def test_median_is_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    for _ in range(3000):
        n = int(rng.integers(1, 12))
        values = (rng.normal(600.0, 50.0, n) * rng.choice([1.0, 1e-3, 1e5])).tolist()
        if rng.random() < 0.2:  # ties
            values = [float(v) for v in np.round(values)]
        if rng.random() < 0.05:
            values[0] = float(rng.choice([np.nan, np.inf]))
        fast, slow = median(values), float(np.median(values))
        assert np.float64(fast).view(np.int64) == np.float64(slow).view(np.int64)
