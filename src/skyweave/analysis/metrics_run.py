"""Track-quality metrics of a finished run, read back from its Parquet tables.

``compute_run_metrics(run_dir)`` reads ``truth.parquet`` and ``tracks.parquet``
and returns, for each partner found in the tracks table, GOSPA over time and the
SIAP measures, as a JSON-ready dict.

Evaluation times
    Tracks and truth may be on different time grids. A partner is evaluated at
    its own track report times (the distinct ``time_s`` values of its rows), with
    each truth object's position and velocity interpolated linearly in time
    between its two nearest truth rows; an object counts as present from its
    first to its last truth row. To also charge the periods in which the
    partner reports nothing at all (before its first track, after its last,
    or while every track is dropped), a truth time is added as an evaluation
    time, with no tracks, when no report of that partner lies within one
    report interval of it (the median spacing of the partner's report times;
    every truth time when the partner has fewer than two report times: all when
    it has none, otherwise those at least one truth interval away).

Defaults, chosen for missile-defence tracks at the scale of early-warning and
fire-control radar accuracy (hundreds of metres to a few kilometres at long
range):

* GOSPA cut-off ``c = 10 km``: an error beyond 10 km is of no use for cueing
  a fire-control radar, so it is charged as one missed target plus one false
  track (``c**p / 2`` each); order ``p = 1``, so that the distance reads as
  "sum of position errors plus 5 km per missed or false target", in metres.
* SIAP association threshold 5 km, half the cut-off: a track is credited to a
  truth only while it is accurate enough to be useful; confirmation after 3
  consecutive reports and termination after 2 misses (Stone Soup's defaults).
* Truth objects of kind ``interceptor`` are not threats and are left out of
  the truth set unless asked for.

Which picture, which truths
    ``tracks_file`` chooses the picture: each partner's own tracks
    (``tracks.parquet``) or its fused picture (``picture.parquet``: own tracks
    plus those released to it). ``coverage`` makes the evaluation
    *coverage-aware*: a truth counts only at the times one of the partner's
    sensors could see it (:func:`radar_coverage`), so that a target out of every
    sensor's reach is not charged as missed; a track whose nearest truth closer
    than ``c`` is such an unseen truth is then neither credited nor charged
    (a coasting track just after its target left coverage). :func:`track_quality`
    builds the summary block with the four combinations (own/fused x all/covered).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from skyweave.analysis.metrics import (
    FloatArray,
    IntArray,
    _gospa_on_steps,
    _near_pairs,
    siap_on_steps,
)
from skyweave.errors import InputError, Problem
from skyweave.scenario.schema import Radar, Scenario

#: ``coverage(partner, times_s (K,), positions_ecef_m (K, 3)) -> (K,) bool``: whether
#: one of the partner's sensors could see each truth point.
Coverage = Callable[[str, FloatArray, FloatArray], NDArray[np.bool_]]

DEFAULT_C_M = 10_000.0
DEFAULT_P = 1.0
DEFAULT_ASSOCIATION_THRESHOLD_M = 5_000.0
DEFAULT_CONSEC_PAIRS_CONFIRM = 3
DEFAULT_CONSEC_MISSES_END = 2
#: Truth kinds left out by default: own interceptors are not targets to track.
DEFAULT_EXCLUDED_KINDS = frozenset({"interceptor"})

_STATE_COLUMNS = ("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps")
TRUTH_COLUMNS: dict[str, str] = {
    "time_s": "number",
    "object_id": "key",
    "kind": "string",
    **dict.fromkeys(_STATE_COLUMNS, "number"),
}
TRACK_COLUMNS: dict[str, str] = {
    "time_s": "number",
    "partner": "string",
    "track_id": "key",
    **dict.fromkeys(_STATE_COLUMNS, "number"),
}


def _read_columns(path: Path, wanted: dict[str, str]) -> dict[str, NDArray[Any]]:
    """Read and check the wanted columns of one Parquet file; ``InputError`` if unusable."""
    name = str(path)
    expected = ", ".join(wanted)
    if not path.is_file():
        raise InputError([Problem(name, f"file not found; expected a Parquet table ({expected})")])
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError([Problem(name, f"not a readable Parquet file: {exc}")]) from None
    problems: list[Problem] = []
    missing = [c for c in wanted if c not in schema.names]
    if missing:
        problems.append(
            Problem(name, f"missing column(s) {', '.join(missing)}; expected {expected}")
        )
    for column, kind in wanted.items():
        if column in missing:
            continue
        typ = schema.field(column).type
        ok = {
            "number": pa.types.is_floating(typ) or pa.types.is_integer(typ),
            "string": pa.types.is_string(typ) or pa.types.is_large_string(typ),
            "key": pa.types.is_string(typ)
            or pa.types.is_large_string(typ)
            or pa.types.is_integer(typ),
        }[kind]
        if not ok:
            what = {"number": "a number", "string": "a string", "key": "a string or integer"}
            problems.append(Problem(name, f"must be {what[kind]}, got {typ}", field_path=column))
    if problems:
        raise InputError(problems)
    table = pq.read_table(path, columns=list(wanted))
    out: dict[str, NDArray[Any]] = {}
    for column, kind in wanted.items():
        values = table.column(column)
        if values.null_count:
            problems.append(Problem(name, "contains null values", field_path=column))
            continue
        if kind == "number":
            arr = values.to_numpy().astype(np.float64)
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                problems.append(
                    Problem(name, f"non-finite value at row {int(bad[0])}", field_path=column)
                )
            out[column] = arr
        else:
            out[column] = np.asarray(values.to_numpy(zero_copy_only=False)).astype(str)
    if problems:
        raise InputError(problems)
    return out


def _interpolate_truth(
    eval_times_s: FloatArray,
    row_time_s: FloatArray,
    row_obj: IntArray,
    row_state: FloatArray,
    n_objects: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Truth states at the evaluation times, linear in time between truth rows.

    Returns ``(step, obj, state)`` for every evaluation step at which each object
    is present (between its first and last row, inclusive).
    """
    if row_time_s.size == 0 or eval_times_s.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 6))
    first = np.full(n_objects, np.inf)
    last = np.full(n_objects, -np.inf)
    np.minimum.at(first, row_obj, row_time_s)
    np.maximum.at(last, row_obj, row_time_s)
    lo = np.searchsorted(eval_times_s, first, side="left")
    hi = np.searchsorted(eval_times_s, last, side="right")
    count = np.maximum(hi - lo, 0)
    obj = np.repeat(np.arange(n_objects, dtype=np.int64), count)
    offset = np.cumsum(count) - count
    step = lo[obj] + np.arange(obj.size, dtype=np.int64) - np.repeat(offset, count)
    query_t = eval_times_s[step]
    # Exact integer keys (object, rank of time) so that the bracketing search
    # never mixes objects and never suffers from rounding.
    all_t, rank = np.unique(np.concatenate([row_time_s, query_t]), return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    row_key = row_obj * all_t.size + rank[: row_time_s.size]
    query_key = obj * all_t.size + rank[row_time_s.size :]
    order = np.argsort(row_key, kind="stable")
    sorted_key = row_key[order]
    i0 = np.searchsorted(sorted_key, query_key, side="right") - 1  # last row at or before
    i1 = np.minimum(i0 + 1, sorted_key.size - 1)
    r0, r1 = order[i0], order[i1]
    t0, t1 = row_time_s[r0], row_time_s[r1]
    exact = (t0 == query_t) | (r1 == r0) | (row_obj[r1] != obj)
    w = np.where(exact, 0.0, (query_t - t0) / np.where(exact, 1.0, t1 - t0))
    state = row_state[r0] + w[:, None] * (row_state[r1] - row_state[r0])
    return step, obj, state


def _evaluation_times(report_t: FloatArray, truth_t: FloatArray) -> FloatArray:
    """The partner's report times plus truth times it left without any report."""
    truth_t = np.unique(truth_t)
    if report_t.size == 0:
        return truth_t
    if report_t.size >= 2:
        spacing = float(np.median(np.diff(report_t)))
    elif truth_t.size >= 2:
        spacing = float(np.median(np.diff(truth_t)))
    else:
        spacing = math.inf
    idx = np.searchsorted(report_t, truth_t)
    before = report_t[np.maximum(idx - 1, 0)]
    after = report_t[np.minimum(idx, report_t.size - 1)]
    gap = np.minimum(np.abs(truth_t - before), np.abs(after - truth_t))
    uncovered = truth_t[gap >= spacing * (1.0 - 1e-9)]
    return np.union1d(report_t, uncovered)


def _num(x: float) -> float | None:
    """JSON-ready float: NaN and infinities become null."""
    return float(x) if math.isfinite(x) else None


def _time_mean(times_s: FloatArray, values: NDArray[Any]) -> float | None:
    """Time-weighted (trapezoidal) mean, so that an uneven evaluation grid (2 s
    reports, 1 s truth fill-ins) does not over-weight the denser stretches."""
    if times_s.size == 0:
        return None
    v = values.astype(np.float64)
    if times_s.size == 1:
        return _num(float(v[0]))
    area = float(np.sum(np.diff(times_s) * (v[1:] + v[:-1]) / 2.0))
    return _num(area / float(times_s[-1] - times_s[0]))


def compute_run_metrics(
    run_dir: str | Path,
    c_m: float = DEFAULT_C_M,
    p: float = DEFAULT_P,
    association_threshold_m: float = DEFAULT_ASSOCIATION_THRESHOLD_M,
    consec_pairs_confirm: int = DEFAULT_CONSEC_PAIRS_CONFIRM,
    consec_misses_end: int = DEFAULT_CONSEC_MISSES_END,
    partners: Sequence[str] | None = None,
    truth_kinds: Collection[str] | None = None,
    tracks_file: str = "tracks.parquet",
    coverage: Coverage | None = None,
) -> dict[str, Any]:
    """GOSPA over time and SIAP measures per partner, from a run folder.

    Parameters
    ----------
    run_dir : path
        Folder holding ``truth.parquet`` and ``tracks.parquet``.
    c_m, p : float
        GOSPA cut-off (m) and order (alpha is 2).
    association_threshold_m : float
        SIAP track-to-truth association threshold (m).
    consec_pairs_confirm, consec_misses_end : int
        SIAP association confirmation and termination counts.
    partners : sequence of str, optional
        Partners to evaluate; default every partner in ``tracks.parquet``. A
        listed partner without tracks is evaluated too (everything missed).
    truth_kinds : collection of str, optional
        Truth kinds to evaluate against; default every kind except ``interceptor``.
    tracks_file : str
        The picture to evaluate: ``tracks.parquet`` (own tracks, default) or
        ``picture.parquet`` (fused picture); same columns.
    coverage : callable, optional
        When given, a truth counts only where ``coverage(partner, times_s,
        positions)`` is True, and tracks nearest to an uncounted truth (closer
        than ``c_m``) are left out (see the module docstring).

    Returns
    -------
    dict
        ``{"parameters": {...}, "partners": {name: {"n_tracks", "n_track_reports",
        "n_evaluation_times", "gospa": {"times_s", "distance_m", "localisation",
        "missed", "false", "missed_count", "false_count", "mean_distance_m",
        "mean_missed_count", "mean_false_count", "mean_localisation",
        "mean_truth_count"}, "siap": {...}}}}``. Means are
        time-weighted (trapezoidal) over the evaluation times. GOSPA parts are
        in m**p (see :mod:`skyweave.analysis.metrics`). JSON-ready: plain Python
        numbers and lists, ``None`` for undefined values.

    Raises
    ------
    InputError
        When the folder or a file is missing, unreadable, lacks a column or
        holds a value of the wrong type.
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise InputError(
            [Problem(str(run), "run folder not found; expected truth.parquet and tracks.parquet")]
        )
    truth = _read_columns(run / "truth.parquet", TRUTH_COLUMNS)
    tracks = _read_columns(run / tracks_file, TRACK_COLUMNS)

    keep = (
        ~np.isin(truth["kind"], list(DEFAULT_EXCLUDED_KINDS))
        if truth_kinds is None
        else np.isin(truth["kind"], list(truth_kinds))
    )
    truth_ids, truth_obj = np.unique(truth["object_id"][keep], return_inverse=True)
    truth_obj = truth_obj.reshape(-1).astype(np.int64)
    truth_t = truth["time_s"][keep]
    truth_state = np.stack([truth[c][keep] for c in _STATE_COLUMNS], axis=1)

    names = sorted(set(tracks["partner"].tolist())) if partners is None else list(partners)
    result: dict[str, Any] = {
        "parameters": {
            "gospa_c_m": float(c_m),
            "gospa_p": float(p),
            "gospa_alpha": 2,
            "siap_association_threshold_m": float(association_threshold_m),
            "siap_consec_pairs_confirm": int(consec_pairs_confirm),
            "siap_consec_misses_end": int(consec_misses_end),
            "truth_objects": int(truth_ids.size),
        },
        "partners": {},
    }
    for name in names:
        mine = tracks["partner"] == name
        t_time = tracks["time_s"][mine]
        t_state = np.stack([tracks[c][mine] for c in _STATE_COLUMNS], axis=1)
        _, t_obj = np.unique(tracks["track_id"][mine], return_inverse=True)
        t_obj = t_obj.reshape(-1).astype(np.int64)
        # One report per (time, track): keep the last row written.
        key_order = np.lexsort((np.arange(t_obj.size), t_time, t_obj))
        ko, kt = t_obj[key_order], t_time[key_order]
        last = np.ones(ko.size, dtype=bool)
        last[:-1] = (ko[1:] != ko[:-1]) | (kt[1:] != kt[:-1])
        sel = key_order[last]
        t_time, t_state, t_obj = t_time[sel], t_state[sel], t_obj[sel]

        times = _evaluation_times(np.unique(t_time), truth_t)
        t_step = np.searchsorted(times, t_time).astype(np.int64)
        g_step, g_obj, g_state = _interpolate_truth(
            times, truth_t, truth_obj, truth_state, int(truth_ids.size)
        )
        if coverage is not None:
            seen = np.asarray(coverage(name, times[g_step], g_state[:, :3]), dtype=bool)
            drop = _tracks_on_unseen(
                times.size, g_step, g_state[:, :3], seen, t_step, t_state[:, :3], float(c_m)
            )
            g_step, g_obj, g_state = g_step[seen], g_obj[seen], g_state[seen]
            keep_t = ~drop
            t_time, t_state, t_obj, t_step = (
                t_time[keep_t],
                t_state[keep_t],
                t_obj[keep_t],
                t_step[keep_t],
            )
            # SIAP wants dense object indices: renumber what is left
            g_obj = np.unique(g_obj, return_inverse=True)[1].reshape(-1).astype(np.int64)
            t_obj = np.unique(t_obj, return_inverse=True)[1].reshape(-1).astype(np.int64)
        distance, localisation, missed, false, n_missed, n_false = _gospa_on_steps(
            times.size, g_step, g_state[:, :3], t_step, t_state[:, :3], float(c_m), float(p)
        )
        siap_result = siap_on_steps(
            times,
            g_step,
            g_obj,
            g_state[:, :3],
            g_state[:, 3:],
            t_step,
            t_obj,
            t_state[:, :3],
            t_state[:, 3:],
            float(association_threshold_m),
            consec_pairs_confirm,
            consec_misses_end,
        )
        result["partners"][name] = {
            "n_tracks": int(np.unique(t_obj).size),
            "n_track_reports": int(t_obj.size),
            "n_evaluation_times": int(times.size),
            "gospa": {
                "times_s": times.tolist(),
                "distance_m": distance.tolist(),
                "localisation": localisation.tolist(),
                "missed": missed.tolist(),
                "false": false.tolist(),
                "missed_count": n_missed.tolist(),
                "false_count": n_false.tolist(),
                "mean_distance_m": _time_mean(times, distance),
                "mean_missed_count": _time_mean(times, n_missed),
                "mean_false_count": _time_mean(times, n_false),
                "mean_localisation": _time_mean(times, localisation),
                "mean_truth_count": _time_mean(
                    times, np.bincount(g_step, minlength=times.size).astype(np.float64)
                ),
            },
            "siap": {
                k: (_num(v) if isinstance(v, float) else v) for k, v in asdict(siap_result).items()
            },
        }
    return result


def _tracks_on_unseen(
    n_steps: int,
    truth_step: IntArray,
    truth_pos: FloatArray,
    seen: NDArray[np.bool_],
    track_step: IntArray,
    track_pos: FloatArray,
    c_m: float,
) -> NDArray[np.bool_]:
    """Tracks whose nearest truth at their step is an unseen one closer than ``c_m``."""
    ta = np.argsort(truth_step, kind="stable")
    tb = np.argsort(track_step, kind="stable")
    seen_sorted = seen[ta]
    best_seen = np.full(tb.size, np.inf)
    best_unseen = np.full(tb.size, np.inf)
    # only truths closer than c_m can decide: a farther one never makes the verdict
    ia, ib, d = _near_pairs(truth_step[ta], truth_pos[ta], track_step[tb], track_pos[tb], c_m)
    on = seen_sorted[ia]
    np.minimum.at(best_seen, ib[on], d[on])
    np.minimum.at(best_unseen, ib[~on], d[~on])
    drop = np.zeros(tb.size, dtype=bool)
    drop[tb] = (best_unseen < c_m) & (best_unseen < best_seen)
    return drop


def visible_radars(scenario: Scenario, partner: str, fused: bool) -> list[Radar]:
    """The radars whose data reaches ``partner``'s picture.

    Its own radars; for the fused picture also the radars of every partner that
    releases ``tracks`` to it under the scenario's policy and coordination mode.
    """
    from skyweave.network.policy import ReleasePolicy

    policy = ReleasePolicy(scenario)
    owners = {partner}
    if fused:
        owners |= {p.id for p in scenario.partners if policy.releases(p.id, partner, "tracks")}
    return [s for s in scenario.sensors if isinstance(s, Radar) and s.partner in owners]


def radar_coverage(scenario: Scenario, end_s: float, fused: bool) -> Coverage:
    """Coverage of each partner's picture by the radars that feed it.

    A truth point is covered at time ``t`` when at least one of the radars of
    :func:`visible_radars` is up at ``t`` (not in an outage from its list or the
    injects) and sees the point geometrically: range, sector and elevation
    limits and the 4/3-Earth horizon
    (:func:`skyweave.sensors.radar.radar_visibility`, with the run's own mapping
    of scenario radars to :class:`~skyweave.sensors.radar.RadarParams`).
    Detection probability is not applied: coverage says what a radar *could* see.
    Space-based infrared is left out: it sees launches, it does not make tracks.
    """
    from skyweave.engine.params import radar_params, sensor_outages
    from skyweave.sensors.radar import radar_visibility

    params = {
        p.id: [
            radar_params(r, sensor_outages(scenario, r.id, end_s))
            for r in visible_radars(scenario, p.id, fused)
        ]
        for p in scenario.partners
    }

    def covered(partner: str, times_s: FloatArray, pos_m: FloatArray) -> NDArray[np.bool_]:
        out = np.zeros(times_s.shape, dtype=bool)
        for radar in params.get(partner, []):
            # only points no radar covers yet, and within reach: a point's visibility
            # is its own (elementwise), so the others need not be looked at
            up = ~out
            for start, stop in radar.outages:
                up &= ~((times_s >= start) & (times_s < stop))
            idx = np.flatnonzero(up)
            offset = pos_m[idx] - radar.frame.position_ecef_m
            reach_m = radar.max_range_m * (1.0 + 1e-9) + 1.0  # a hair over: rounding
            idx = idx[np.einsum("ij,ij->i", offset, offset) <= reach_m * reach_m]
            if idx.size:
                visible, _, _, _ = radar_visibility(radar, pos_m[idx])
                out[idx[visible]] = True
        return out

    return covered


def _gospa_brief(gospa_result: dict[str, Any]) -> dict[str, Any]:
    mean = gospa_result["mean_distance_m"]
    missed = gospa_result["mean_missed_count"]
    return {
        "gospa_mean_m": mean,
        "gospa_mean_missed_targets": missed,
        "gospa_mean_false_tracks": gospa_result["mean_false_count"],
        "gospa_mean_truths": gospa_result["mean_truth_count"],
    }


def track_quality(
    run_dir: str | Path,
    scenario: Scenario,
    end_s: float | None = None,
    own: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``summary.json``'s ``track_quality`` block: GOSPA and SIAP per partner, on its own
    tracks and on its fused picture, over every truth and over the truths its radars
    could see.

    Parameters
    ----------
    run_dir : path
        The run folder (``truth.parquet``, ``tracks.parquet``, ``picture.parquet``;
        a folder without ``picture.parquet`` gets no fused variants).
    scenario : Scenario
        The scenario as it ran (coordination mode applied): its radars, outages,
        injects and release policy give the coverage.
    end_s : float, optional
        End of the run (outages never repaired last past it); default the last
        truth time.
    own : dict, optional
        :func:`compute_run_metrics` of ``run_dir`` for the scenario's partners, when
        the caller has it already (the report draws on it too); default: computed.

    Returns
    -------
    dict
        ``{"track_quality": {"parameters": {...}, "partners": {partner: {
        "gospa_mean_m", "gospa_mean_missed_targets", "gospa_mean_false_tracks",
        "siap"`` (own tracks, every truth, as before), ``"gospa": {"own"|"fused":
        {"all"|"covered": {"gospa_mean_m", "gospa_mean_missed_targets",
        "gospa_mean_false_tracks", "gospa_mean_truths"}}}``, ``"siap_covered"``,
        ``"siap_fused_covered"}}}}``.
    """
    run = Path(run_dir)
    names = [p.id for p in scenario.partners]
    if own is None:
        own = compute_run_metrics(run, partners=names)
    if end_s is None:
        truth_t = _read_columns(run / "truth.parquet", {"time_s": "number"})["time_s"]
        end_s = float(truth_t.max()) if truth_t.size else 0.0
    variants: dict[tuple[str, str], dict[str, Any]] = {("own", "all"): own}
    variants[("own", "covered")] = compute_run_metrics(
        run, partners=names, coverage=radar_coverage(scenario, end_s, fused=False)
    )
    if (run / "picture.parquet").is_file():
        variants[("fused", "all")] = compute_run_metrics(
            run, partners=names, tracks_file="picture.parquet"
        )
        variants[("fused", "covered")] = compute_run_metrics(
            run,
            partners=names,
            tracks_file="picture.parquet",
            coverage=radar_coverage(scenario, end_s, fused=True),
        )
    per_partner = {}
    for partner in names:
        m = own["partners"][partner]
        gospa: dict[str, dict[str, Any]] = {"own": {}, "fused": {}}
        for (picture, truths), result in variants.items():
            gospa[picture][truths] = _gospa_brief(result["partners"][partner]["gospa"])
        block: dict[str, Any] = {
            **{k: v for k, v in gospa["own"]["all"].items() if k != "gospa_mean_truths"},
            "siap": m["siap"],
            "gospa": gospa,
            "siap_covered": variants[("own", "covered")]["partners"][partner]["siap"],
        }
        if ("fused", "covered") in variants:
            block["siap_fused_covered"] = variants[("fused", "covered")]["partners"][partner][
                "siap"
            ]
        per_partner[partner] = block
    return {"track_quality": {"parameters": own["parameters"], "partners": per_partner}}
