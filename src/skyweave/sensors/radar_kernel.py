"""All radar scans of one tick in one call: compiled geometry, NumPy draws per scan.

The engine's per-scan path (:func:`skyweave.sensors.radar.scan_radar`) costs about
forty small NumPy calls per scan whatever the number of objects. Here the
visibility and detection probability of every (scan, object) pair of a tick come
from one compiled loop (:func:`_scan_kernel`, Numba): ENU -> range, azimuth,
elevation -> visibility (range limits, sector, apparent elevation of the
4/3-Earth model, horizon, the radial height of ``Ground.altitude_m``) -> SNR ->
Swerling-1 Pd, the formulas of :func:`~skyweave.sensors.radar.radar_visibility`,
:func:`~skyweave.sensors.radar.radar_snr` and :func:`~skyweave.sensors.radar.swerling1_pd`
in scalar form (its values agree with them to rounding: libm against NumPy's
loops, and the horizon's dot product summed in another order than BLAS).

What reaches the output is computed as the per-scan path computes it, so the rows
are the same bit for bit (short of a visibility test or a detection draw falling
inside that rounding): the ENU vectors are NumPy's (N, 3) @ (3, 3) product per
scan (:func:`scan_enu`), and the detections' true range, azimuth and elevation
come from :func:`~skyweave.sensors.geometry.enu_to_aer` on them. The random draws
stay per scan, from the scan's own generator and in :func:`scan_radar`'s order
and sizes (detection uniforms of the visible objects, the (hits, 3) standard
normals, the Poisson false-alarm count, the (count, 3) volume uniforms);
everything after the draws is elementwise NumPy over the whole tick, and the
Detections rows of the tick are built once and sliced per scan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray

from skyweave.constants import WGS84_A_M
from skyweave.kinematics.earth import WGS84_B_M
from skyweave.sensors.detections import Detections, empty_detections
from skyweave.sensors.geometry import LocalFrame, enu_to_aer, wrap_to_2pi
from skyweave.sensors.radar import RadarParams

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_A2 = WGS84_A_M**2  # as Ground.altitude_m writes them
_B2 = WGS84_B_M**2
_TWO_PI = 2.0 * np.pi

# Columns of the per-radar parameter table (one float64 row per radar).
_SX, _SY, _SZ = 0, 1, 2
_ROT = 3  # enu_to_ecef, row-major, 9 entries
_ALT, _EARTH_R = 12, 13
_MIN_R, _MAX_R = 14, 15
_FULL, _BORE, _HALF = 16, 17, 18
_MIN_EL, _MAX_EL = 19, 20
_K = 21
_SITE_HORIZON = 22  # acos(kR / (kR + max(alt, 0))): the site's share of the horizon
_SNR_REF, _REF_R, _PFA = 23, 24, 25
N_PARAMS = 26


def radar_param_row(params: RadarParams) -> FloatArray:
    """The kernel's parameter row of one radar (site terms computed as the NumPy path does)."""
    frame = params.frame
    earth_radius_m = float(np.linalg.norm(frame.position_ecef_m)) - params.alt_m
    re = params.k_factor * earth_radius_m
    h1 = max(float(params.alt_m), 0.0)
    row = np.empty(N_PARAMS)
    row[_SX : _SZ + 1] = frame.position_ecef_m
    row[_ROT : _ROT + 9] = frame.enu_to_ecef.reshape(-1)
    row[_ALT] = params.alt_m
    row[_EARTH_R] = earth_radius_m
    row[_MIN_R] = params.min_range_m
    row[_MAX_R] = params.max_range_m
    row[_FULL] = 1.0 if params.full_circle else 0.0
    row[_BORE] = params.boresight_azimuth_rad
    row[_HALF] = params.half_width_azimuth_rad
    row[_MIN_EL] = params.min_elevation_rad
    row[_MAX_EL] = params.max_elevation_rad
    row[_K] = params.k_factor
    row[_SITE_HORIZON] = float(np.arccos(re / (re + h1)))
    row[_SNR_REF] = params.snr_ref
    row[_REF_R] = params.ref_range_m
    row[_PFA] = params.pfa
    return row


@njit(cache=True, error_model="numpy")
def _mod_2pi(x: float) -> float:
    # np.mod of floats: Python's floor modulo, which Numba's % implements (fmod,
    # shifted by the divisor when the signs differ, +0.0 for a zero remainder)
    return x % _TWO_PI


@njit(cache=True, error_model="numpy")
def _scan_kernel(
    positions: FloatArray,
    enu: FloatArray,
    snap_of_scan: IntArray,
    radar_of_scan: IntArray,
    table: FloatArray,
    rcs: FloatArray,
    out_scan_end: IntArray,
    out_obj: IntArray,
    out_aer: FloatArray,
    out_pd: FloatArray,
) -> None:
    """Visible objects of every scan, in scan then object order.

    positions (T, N, 3) ECEF at each snapshot. Scan ``s`` looks at snapshot
    ``snap_of_scan[s]``, whose ENU vectors from the radar are ``enu[s]`` (S, N, 3),
    with radar row ``radar_of_scan[s]`` of ``table`` (R, P) and RCS factors ``rcs``
    (R, N). Writes the visible rows (object index, true range/azimuth/elevation,
    Pd) to the ``out_*`` arrays (capacity S * N) and the end of each scan's rows
    to ``out_scan_end`` (S,).
    """
    n_obj = positions.shape[1]
    m = 0
    for s in range(snap_of_scan.shape[0]):
        p = table[radar_of_scan[s]]
        fac = rcs[radar_of_scan[s]]
        pos = positions[snap_of_scan[s]]
        sx, sy, sz = p[_SX], p[_SY], p[_SZ]
        full = p[_FULL] != 0.0
        earth_r = p[_EARTH_R]
        re = p[_K] * earth_r
        s0 = re + p[_ALT]
        for j in range(n_obj):
            x, y, z = pos[j, 0], pos[j, 1], pos[j, 2]
            if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
                continue
            e, n, u = enu[s, j, 0], enu[s, j, 1], enu[s, j, 2]
            horiz = math.hypot(e, n)
            r = math.hypot(horiz, u)
            if not (r >= p[_MIN_R] and r <= p[_MAX_R]):
                continue
            az = _mod_2pi(math.atan2(e, n))
            if az >= _TWO_PI:
                az = 0.0
            if not full:
                off = abs(_mod_2pi(az - p[_BORE] + math.pi) - math.pi)
                if not off <= p[_HALF]:
                    continue
            # apparent elevation over the effective Earth (radial height of the target)
            rr = math.sqrt(x * x + y * y + z * z)
            q = (x * x + y * y) / _A2 + z * z / _B2
            h = rr * (1.0 - 1.0 / math.sqrt(q))
            st = re + h
            sin_el = ((st - s0) * (st + s0) - r * r) / (2.0 * r * s0)
            if sin_el > 1.0:
                sin_el = 1.0
            elif sin_el < -1.0:
                sin_el = -1.0
            el_app = math.asin(sin_el)
            if not (el_app >= p[_MIN_EL] and el_app <= p[_MAX_EL]):
                continue
            # 4/3-Earth horizon: ground distance on the true Earth against the limit
            cx = y * sz - z * sy
            cy = z * sx - x * sz
            cz = x * sy - y * sx
            theta = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), x * sx + y * sy + z * sz)
            h2 = h if h > 0.0 else 0.0
            limit = re * (p[_SITE_HORIZON] + math.acos(re / (re + h2)))
            if not earth_r * theta <= limit:
                continue
            snr = p[_SNR_REF] * (p[_REF_R] / r) ** 4 * fac[j]
            out_obj[m] = j
            out_aer[m, 0] = r
            out_aer[m, 1] = az
            out_aer[m, 2] = math.atan2(u, horiz)
            out_pd[m] = p[_PFA] ** (1.0 / (1.0 + snr))
            m += 1
        out_scan_end[s] = m


def scan_enu(
    frames: Sequence[LocalFrame],
    positions_ecef_m: FloatArray,
    snap_of_scan: IntArray,
    radar_of_scan: IntArray,
) -> FloatArray:
    """(S, N, 3) ENU vectors of every scan's objects from its radar.

    NumPy's (BLAS) product over every object, as :func:`~skyweave.sensors.radar.scan_radar`
    computes it, so the rounding is the same (a sum of three products with
    cancellation: an elevation near zero would differ in its last digits otherwise).
    """
    sites, rotations_t = frame_stacks(frames)
    return _scan_enu(sites, rotations_t, positions_ecef_m, snap_of_scan, radar_of_scan)


def frame_stacks(frames: Sequence[LocalFrame]) -> tuple[FloatArray, FloatArray]:
    """Site positions (R, 3) and the transposed ENU-to-ECEF rotations (R, 3, 3) of the frames.

    A frame's rotation is the transpose of a C-ordered array: stacking the
    transposes (C order) and transposing back a selection of them hands BLAS the
    same operands, in the same layout, as the frame's own product.
    """
    if not frames:
        return np.empty((0, 3)), np.empty((0, 3, 3))
    sites = np.stack([f.position_ecef_m for f in frames])
    rotations_t = np.stack([f.enu_to_ecef.T for f in frames])
    return sites, rotations_t


def _scan_enu(
    sites: FloatArray,
    rotations_t: FloatArray,
    positions_ecef_m: FloatArray,
    snap_of_scan: IntArray,
    radar_of_scan: IntArray,
) -> FloatArray:
    """:func:`scan_enu` on :func:`frame_stacks`: one stacked product, which NumPy
    evaluates matrix by matrix with the per-scan (N, 3) @ (3, 3) BLAS call (a product
    of one row rounds differently: every object stays in it)."""
    rel = positions_ecef_m[snap_of_scan] - sites[radar_of_scan][:, None, :]
    return np.matmul(rel, rotations_t[radar_of_scan].transpose(0, 2, 1))


def scan_geometry(
    positions_ecef_m: FloatArray,
    enu: FloatArray,
    snap_of_scan: IntArray,
    radar_of_scan: IntArray,
    table: FloatArray,
    rcs: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Visible objects, true AER and Pd of every scan (:func:`_scan_kernel`; ``enu``
    from :func:`scan_enu`).

    Returns
    -------
    scan_end : (S,) int64
        Scan ``s`` owns rows ``scan_end[s-1]:scan_end[s]`` of the others.
    object_index : (M,) int64
    true_aer : (M, 3) float64
        Range, azimuth in ``[0, 2 pi)``, geometric elevation.
    pd : (M,) float64
    """
    n_scan, n_obj = len(snap_of_scan), positions_ecef_m.shape[1]
    cap = n_scan * n_obj
    scan_end = np.zeros(n_scan, np.int64)
    obj = np.empty(cap, np.int64)
    aer = np.empty((cap, 3))
    pd = np.empty(cap)
    _scan_kernel(
        np.ascontiguousarray(positions_ecef_m, dtype=np.float64),
        np.ascontiguousarray(enu, dtype=np.float64),
        np.ascontiguousarray(snap_of_scan, dtype=np.int64),
        np.ascontiguousarray(radar_of_scan, dtype=np.int64),
        np.ascontiguousarray(table, dtype=np.float64),
        np.ascontiguousarray(rcs, dtype=np.float64),
        scan_end,
        obj,
        aer,
        pd,
    )
    m = int(scan_end[-1]) if n_scan else 0
    return scan_end, obj[:m], aer[:m], pd[:m]


class RadarSet:
    """The radars of a run as arrays: the kernel's parameter table and each radar's
    constant columns and false-alarm volume terms, computed once.

    The volume terms are :func:`~skyweave.sensors.radar.sample_volume_uniform`'s,
    computed as it computes them, so the tick's elementwise arrays match it bit for bit.
    """

    def __init__(self, radars: Sequence[RadarParams]) -> None:
        self.params = tuple(radars)
        self.table = (
            np.stack([radar_param_row(p) for p in radars]) if radars else np.empty((0, N_PARAMS))
        )

        def col(values: Sequence[float]) -> FloatArray:
            return np.array(values, dtype=np.float64)

        ps = self.params
        self._empty = empty_detections()  # shared by the scans that report nothing
        self.frames = tuple(p.frame for p in ps)
        self._sites, self._rotations_t = frame_stacks(self.frames)
        self.delay_s = col([p.processing_delay_s for p in ps])
        self.sigma_range_m = col([p.sigma_range_m for p in ps])
        self.sigma_azimuth_rad = col([p.sigma_azimuth_rad for p in ps])
        self.sigma_elevation_rad = col([p.sigma_elevation_rad for p in ps])
        self.site_ecef_m = self.table[:, _SX : _SZ + 1].copy()
        self.sensor_id = np.array([p.sensor_id for p in ps] + [None], dtype=object)[:-1]
        self.partner = np.array([p.partner for p in ps] + [None], dtype=object)[:-1]
        self.mean_fa = col([p.mean_false_alarms_per_scan for p in ps])
        self.full_circle = np.array([p.full_circle for p in ps], dtype=bool)
        self.boresight_rad = col([p.boresight_azimuth_rad for p in ps])
        self.half_width_rad = col([p.half_width_azimuth_rad for p in ps])
        r0 = [p.min_range_m for p in ps]
        r1 = [p.max_range_m for p in ps]
        self.fa_r0_cubed = col([a**3 for a in r0])
        self.fa_r_span = col([b**3 - a**3 for a, b in zip(r0, r1, strict=True)])
        s0 = [np.sin(p.min_elevation_rad) for p in ps]
        s1 = [np.sin(p.max_elevation_rad) for p in ps]
        self.fa_s0 = col(s0)
        self.fa_s_span = col([b - a for a, b in zip(s0, s1, strict=True)])

    def scan(
        self,
        rcs: FloatArray,
        positions_ecef_m: FloatArray,
        scans: Sequence[tuple[int, float, int]],
        rng_of: Callable[[int], np.random.Generator],
        object_ids: NDArray[np.object_],
    ) -> list[Detections]:
        """Detections of every radar scan of a tick, one batch per scan.

        Parameters
        ----------
        rcs : (R, N) float64
            RCS factors of each radar for each object
            (:func:`~skyweave.sensors.radar.rcs_factor_per_object`).
        positions_ecef_m : (T, N, 3) float64
            Object positions at each snapshot of the tick (NaN rows: not in flight).
        scans : sequence of (radar index, time_s, snapshot index)
        rng_of : callable
            ``rng_of(i)`` is the generator of ``scans[i]``; called only when the scan
            draws something (a visible object or a false-alarm mean above zero).
        object_ids : (N,) object

        Returns
        -------
        list of Detections
            Per scan, the rows :func:`~skyweave.sensors.radar.scan_radar` gives (true
            detections in object order, then false alarms), bit for bit short of a
            visibility test or a detection draw on the edge of the kernel's rounding.
            Scans that report nothing share one empty batch (read only).
        """
        n_scan = len(scans)
        radar_of = np.fromiter((s[0] for s in scans), np.int64, n_scan)
        snap_of = np.fromiter((s[2] for s in scans), np.int64, n_scan)
        time_of = np.fromiter((s[1] for s in scans), np.float64, n_scan)
        enu = _scan_enu(self._sites, self._rotations_t, positions_ecef_m, snap_of, radar_of)
        scan_end, obj, aer, pd = scan_geometry(
            positions_ecef_m, enu, snap_of, radar_of, self.table, rcs
        )

        # Draws, per scan, in scan_radar's order and sizes (a size-0 draw draws
        # nothing and is skipped; so is a scan that draws nothing at all).
        hit = np.zeros(len(obj), dtype=bool)
        noise_parts: list[FloatArray] = []
        fa_parts: list[FloatArray] = []
        n_hit = np.zeros(n_scan, np.int64)
        n_fa = np.zeros(n_scan, np.int64)
        ends = scan_end.tolist()
        means = self.mean_fa[radar_of].tolist()
        start = 0
        for s in range(n_scan):
            end = ends[s]
            mean_fa = means[s]
            if end > start or mean_fa > 0.0:
                rng = rng_of(s)
                if end > start:
                    h = rng.random(end - start) < pd[start:end]
                    hit[start:end] = h
                    k = int(np.count_nonzero(h))
                    if k:
                        noise_parts.append(rng.standard_normal((k, 3)))
                        n_hit[s] = k
                count = int(rng.poisson(mean_fa, 1)[0])
                if count:
                    fa_parts.append(rng.random((count, 3)))
                    n_fa[s] = count
            start = end
        if not noise_parts and not fa_parts:  # a quiet tick: nothing to build
            return [self._empty] * n_scan
        noise = np.concatenate(noise_parts) if noise_parts else np.empty((0, 3))
        fa_u = np.concatenate(fa_parts) if fa_parts else np.empty((0, 3))
        # The detections' true range, azimuth and elevation by enu_to_aer, as the
        # per-scan path computes them (same NumPy loops on the same strided ENU
        # columns: bit for bit); the kernel's own values only decided visibility.
        hit_rows = np.flatnonzero(hit)
        # the scan of each row: scan s owns rows scan_end[s-1]:scan_end[s]
        row_scan = np.searchsorted(scan_end, hit_rows, side="right")
        true_aer = np.stack(enu_to_aer(enu[row_scan, obj[hit_rows]]), axis=-1)
        return self._rows(
            radar_of, time_of, obj[hit_rows], true_aer, noise, n_hit, fa_u, n_fa, object_ids
        )

    def _measure(
        self, hr: IntArray, true_aer: FloatArray, noise: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``_measure`` of scan_radar, elementwise with each row's radar ``hr`` sigmas."""
        meas_r = true_aer[:, 0] + self.sigma_range_m[hr] * noise[:, 0]
        meas_az = wrap_to_2pi(true_aer[:, 1] + self.sigma_azimuth_rad[hr] * noise[:, 1])
        meas_el = true_aer[:, 2] + self.sigma_elevation_rad[hr] * noise[:, 2]
        return meas_r, meas_az, meas_el

    def _false_alarms(
        self, fr: IntArray, fa_u: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``sample_volume_uniform``, elementwise with each row's radar ``fr`` terms."""
        fa_r = np.cbrt(self.fa_r0_cubed[fr] + fa_u[:, 0] * self.fa_r_span[fr])
        sector_az = wrap_to_2pi(
            self.boresight_rad[fr] + self.half_width_rad[fr] * (2 * fa_u[:, 1] - 1)
        )
        fa_az = np.where(self.full_circle[fr], 2 * np.pi * fa_u[:, 1], sector_az)
        fa_el = np.arcsin(np.clip(self.fa_s0[fr] + fa_u[:, 2] * self.fa_s_span[fr], -1.0, 1.0))
        return fa_r, fa_az, fa_el

    def _rows(
        self,
        radar_of: IntArray,
        time_of: FloatArray,
        obj: IntArray,
        true_aer: FloatArray,
        noise: FloatArray,
        n_hit: IntArray,
        fa_u: FloatArray,
        n_fa: IntArray,
        object_ids: NDArray[np.object_],
    ) -> list[Detections]:
        """The tick's rows built once (measurements, false alarms, constant columns),
        scan by scan (its detections, then its false alarms), sliced per scan."""
        n_scan = len(radar_of)
        scan_idx = np.arange(n_scan)
        # measurements (rows of scans with hits), then false alarms; either may be absent
        parts: list[tuple[NDArray[np.generic], ...]] = []
        if len(noise):
            hit_scan = np.repeat(scan_idx, n_hit)
            parts.append(
                (hit_scan, object_ids[obj], *self._measure(radar_of[hit_scan], true_aer, noise))
            )
        if len(fa_u):
            fa_scan = np.repeat(scan_idx, n_fa)
            parts.append(
                (
                    fa_scan,
                    np.full(len(fa_scan), None, object),
                    *self._false_alarms(radar_of[fa_scan], fa_u),
                )
            )
        if len(parts) == 1:
            # one kind of row: already scan-major (np.repeat of the scan numbers)
            row_scan, object_id, range_m, azimuth_rad, elevation_rad = parts[0]
        else:
            # scan-major, each scan's detections before its false alarms
            order = np.argsort(np.concatenate([parts[0][0], parts[1][0]]), kind="stable")
            row_scan, object_id, range_m, azimuth_rad, elevation_rad = (
                np.concatenate([h, f])[order] for h, f in zip(parts[0], parts[1], strict=True)
            )
        rr = radar_of[row_scan]
        m = len(row_scan)
        time_s = time_of[row_scan]
        nan = np.full(m, np.nan)
        site = self.site_ecef_m[rr].T.copy()  # (3, m): contiguous columns
        cols = {
            "time_s": time_s,
            "report_time_s": time_s + self.delay_s[rr],
            "sensor_id": self.sensor_id[rr],
            "sensor_type": np.full(m, "radar", dtype=object),
            "partner": self.partner[rr],
            "object_id": object_id,
            "range_m": range_m,
            "azimuth_rad": azimuth_rad,
            "elevation_rad": elevation_rad,
            "los_angle1_rad": nan,
            "los_angle2_rad": nan.copy(),
            "sensor_x_m": site[0],
            "sensor_y_m": site[1],
            "sensor_z_m": site[2],
            "sigma_range_m": self.sigma_range_m[rr],
            "sigma_azimuth_rad": self.sigma_azimuth_rad[rr],
            "sigma_elevation_rad": self.sigma_elevation_rad[rr],
            "sigma_los_rad": nan.copy(),
        }
        ends = np.cumsum(n_hit + n_fa).tolist()
        out: list[Detections] = []
        start = 0
        for end in ends:
            if end - start == m:  # the tick's only scan with rows: its columns whole
                out.append(Detections(**cols))
            elif end > start:
                out.append(Detections(**{k: v[start:end] for k, v in cols.items()}))
            else:
                out.append(self._empty)
            start = end
        return out
