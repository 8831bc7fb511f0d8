"""Launch fixes of many events at once (the estimate half of :class:`LaunchDetector`).

An event's fix is a function of its rows only (see :mod:`skyweave.warning.launch`
for the rule). :class:`FixBases` keeps, per event, what the fix was taken from, so
that a new line of sight that changes none of it leaves the fix as it was
(:func:`~skyweave.warning.launch_kernel.keep_fixes`); :func:`estimate_fixes`
computes the fixes of the events that need one in one pass: one triangulation per
shape of fix (fixes x sensors) and one geodetic conversion for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.kinematics.geodetic import ecef_to_geodetic
from skyweave.sensors.infrared import triangulate_los
from skyweave.warning.launch_kernel import fix_rows

if TYPE_CHECKING:
    from skyweave.warning.launch import LaunchEvents

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NO_FIX, BEARING, TRIANGULATED = 0, 1, 2


@dataclass
class FixBases:
    """Per event (rows) and sensor code (columns): what its fix was taken from.

    ``kind`` NO_FIX, BEARING (from the event's first row) or TRIANGULATED;
    ``in_basis[e, s]`` sensor ``s`` is one of the event's sensors; ``second`` the
    code of the second sensor to see it; ``t_refs[e, :n_refs[e]]`` that sensor's
    frame times used; ``best_dt[e, f, s]`` the time from ``t_refs[e, f]`` to the row
    of sensor ``s`` picked for it.
    """

    n_fixes: int
    kind: IntArray
    in_basis: NDArray[np.bool_]
    second: IntArray
    t_refs: FloatArray
    n_refs: IntArray
    best_dt: FloatArray

    @classmethod
    def empty(cls, n_fixes: int) -> FixBases:
        """No event yet."""
        return cls(
            n_fixes,
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 1), dtype=bool),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, n_fixes)),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, n_fixes, 1)),
        )

    def reserve(self, n_events: int, n_sensors: int) -> None:
        """Room for ``n_events`` events and ``n_sensors`` sensor codes."""
        rows, cols = self.in_basis.shape
        if n_events <= rows and n_sensors <= cols:
            return
        rows, cols = max(n_events, 2 * rows, 64), max(n_sensors, cols)

        def grown(a: NDArray[np.generic], shape: tuple[int, ...], fill: object) -> NDArray:
            out = np.full(shape, fill, dtype=a.dtype)
            out[tuple(slice(0, n) for n in a.shape)] = a
            return out

        f = self.n_fixes
        self.kind = grown(self.kind, (rows,), NO_FIX)
        self.in_basis = grown(self.in_basis, (rows, cols), False)
        self.second = grown(self.second, (rows,), -1)
        self.t_refs = grown(self.t_refs, (rows, f), np.nan)
        self.n_refs = grown(self.n_refs, (rows,), 0)
        self.best_dt = grown(self.best_dt, (rows, f, cols), np.nan)


@dataclass(frozen=True)
class LosRows:
    """The detector's LOS rows as columns (views), for the fixes."""

    p: FloatArray
    u: FloatArray
    c: FloatArray
    t: FloatArray
    rt: FloatArray
    sig: FloatArray
    sensor_code: IntArray


def estimate_fixes(
    events: IntArray,
    rows_of: Sequence[Sequence[int]],
    los: LosRows,
    rank_of_code: IntArray,
    bases: FixBases,
    out: LaunchEvents,
) -> None:
    """Estimate the launch fixes of ``events`` from all their rows, into ``out`` and
    ``bases`` (see the launch module for the rule)."""
    code_of_rank = np.argsort(rank_of_code)
    groups: dict[tuple[int, int], list[tuple[int, IntArray, int]]] = {}
    bearings: list[tuple[int, int]] = []
    for k in events.tolist():  # a loop over the events whose fix changed
        rows = np.asarray(rows_of[k], dtype=np.int64)
        t = los.t[rows]
        out.first_time_s[k] = t.min()
        out.first_report_time_s[k] = los.rt[rows].min()
        out.last_time_s[k] = t.max()
        out.n_detections[k] = len(rows)
        ranks, second, t_refs, pick, best_dt, n_eff = fix_rows(
            t, rank_of_code[los.sensor_code[rows]], bases.n_fixes
        )
        codes = code_of_rank[ranks]
        out.n_sensors[k] = len(codes)
        bases.in_basis[k] = False
        bases.in_basis[k, codes] = True
        if second < 0:
            bases.kind[k] = BEARING
            bearings.append((k, int(rows[0])))
            continue
        bases.kind[k] = TRIANGULATED
        bases.second[k] = codes[second]
        bases.n_refs[k] = len(t_refs)
        bases.t_refs[k, : len(t_refs)] = t_refs
        bases.best_dt[k, : len(t_refs), codes] = best_dt.T
        groups.setdefault(pick.shape, []).append((k, rows[pick], n_eff))
    if groups:
        _triangulated(groups, los, out)
    if bearings:
        _bearings(bearings, los, out)


def _triangulated(
    groups: dict[tuple[int, int], list[tuple[int, IntArray, int]]],
    los: LosRows,
    out: LaunchEvents,
) -> None:
    """Triangulated fixes: per event the (F, K) LOS rows, triangulated as one batch per
    shape; the launch point is the sub-point of the mean plume position and sigma the
    horizontal RMS of the mean covariance over the distinct fixes."""
    ks: list[int] = []
    n_effs: list[int] = []
    x_parts: list[FloatArray] = []
    cov_parts: list[FloatArray] = []
    est_s: list[float] = []
    for members in groups.values():
        use = np.stack([rows for _, rows, _ in members])  # (G, F, K)
        x_f, cov_f = triangulate_los(los.p[use], los.u[use], 1.0 / los.sig[use] ** 2)
        x_parts.append(x_f.mean(axis=1))
        cov_parts.append(cov_f.mean(axis=1))
        est_s += los.rt[use].max(axis=(1, 2)).tolist()
        ks += [k for k, _, _ in members]
        n_effs += [n for _, _, n in members]
    x = np.concatenate(x_parts)
    cov = np.concatenate(cov_parts)
    lat, lon, _ = ecef_to_geodetic(
        np.ascontiguousarray(x[:, 0]), np.ascontiguousarray(x[:, 1]), np.ascontiguousarray(x[:, 2])
    )
    lat, lon = np.atleast_1d(lat), np.atleast_1d(lon)
    for g, k in enumerate(ks):  # the few events estimated in this call
        e_vec, n_vec = _east_north(float(lat[g]), float(lon[g]))
        en = np.array([e_vec, n_vec])
        h_cov = en @ cov[g] @ en.T
        out.launch_lat_deg[k], out.launch_lon_deg[k] = float(lat[g]), float(lon[g])
        out.triangulated[k] = True
        out.sigma_m[k] = float(np.sqrt(np.trace(h_cov) / n_effs[g]))
        out.bearing_azimuth_deg[k] = np.nan
        out.estimate_time_s[k] = est_s[g]


def _bearings(bearings: list[tuple[int, int]], los: LosRows, out: LaunchEvents) -> None:
    """Single bearings: the event's first LOS at the cloud-top height, and the azimuth
    from there towards the satellite's sub-point."""
    ks = np.array([k for k, _ in bearings], dtype=np.int64)
    first = np.array([row for _, row in bearings], dtype=np.int64)
    c, sat = los.c[first], los.p[first]
    lat, lon, _ = ecef_to_geodetic(
        np.ascontiguousarray(c[:, 0]), np.ascontiguousarray(c[:, 1]), np.ascontiguousarray(c[:, 2])
    )
    az, _, _ = pymap3d.ecef2aer(
        np.ascontiguousarray(sat[:, 0]),
        np.ascontiguousarray(sat[:, 1]),
        np.ascontiguousarray(sat[:, 2]),
        lat,
        lon,
        0.0,
    )
    out.launch_lat_deg[ks] = lat
    out.launch_lon_deg[ks] = lon
    out.triangulated[ks] = False
    out.sigma_m[ks] = np.nan
    out.bearing_azimuth_deg[ks] = az
    out.estimate_time_s[ks] = los.rt[first]


def _east_north(lat_deg: float, lon_deg: float) -> tuple[FloatArray, FloatArray]:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    return east, north
