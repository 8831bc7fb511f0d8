"""Impact-point prediction with uncertainty, and the defended assets it threatens.

For each track (ECEF state and 6x6 covariance) the state distribution is
represented by sample points: the unscented transform's ``2n + 1 = 13`` sigma
points (default) or Monte Carlo draws with a fixed seed. All tracks' points
are flown to the ground as one array by a :data:`~skyweave.warning.propagate.Propagator`
(default :func:`~skyweave.warning.propagate.free_flight_to_ground` with the
truth's re-entry drag: central gravity, exact Earth rotation, the truth
model's exponential atmosphere and drag law). The tracker does not estimate
the ballistic coefficient, so the default is the nominal threat class
(:data:`~skyweave.warning.propagate.NOMINAL_BALLISTIC_COEFFICIENT_KG_M2`,
5000 kg/m2, the scenario default); a caller that knows a track's class passes
it per track (``ballistic_coefficient_kg_m2``), and None flies in vacuum.
The ellipse is the sample points' own spread: no factor is applied to the
track covariance, so the ellipse is as honest as the tracker's covariance.
Their ground points give:

* the predicted impact point: the weighted mean of the impact points (ECEF),
  as geodetic latitude and longitude;
* the impact time (weighted mean) and its one-sigma spread;
* the 2x2 covariance of the impact points in local East-North at the mean
  impact point, and from it the **impact ellipse** at a stated confidence
  ``p`` (default 0.95): semi-axes ``sqrt(lambda_i * k)`` with
  ``k = -2 ln(1 - p)`` (the chi-square quantile with two degrees of freedom;
  ``p = 0.8647`` is the 2-sigma ellipse, ``k = 4``), orientation of the
  major axis in degrees clockwise from North in ``[0, 180)``;
* the **threatened assets**: those whose centre lies within ``radius_m`` of
  the ellipse (inside the ellipse grown by the asset's radius; exact distance
  from a point to an ellipse). Assets are placed around the mean impact point
  by true bearing and great-circle distance on the mean sphere (azimuthal
  equidistant: within 0.5 % of the ellipsoid, and far assets stay far).

No prediction (NaN, ``valid`` False) for a track that is

* not on a ballistic arc: ground speed under ``min_speed_mps`` (1 km/s), or
  below ``min_altitude_m`` (20 km) while its vertical speed is under
  ``min_vertical_speed_mps`` (300 m/s) (cruise missiles, aircraft);
* already at or below the ground, or has a non-finite state or covariance;
* such that any of its sample points does not reach the ground within
  ``horizon_s`` (the impact area would be unbounded).

A track in boost is predicted as if its motor stopped now: the prediction
falls short and moves downrange update by update, as early warning does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.geodetic import geodetic_to_ecef
from skyweave.warning.impact_kernel import (
    ballistic_mask_rows,
    distance_to_ellipse_rows,
    impact_statistics,
)
from skyweave.warning.propagate import (
    NOMINAL_BALLISTIC_COEFFICIENT_KG_M2,
    Propagator,
    free_flight_to_ground,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ObjectArray = NDArray[np.object_]

STATE_DIM = 6


@dataclass(frozen=True)
class DefendedAssets:
    """Defended assets as column arrays.

    Attributes
    ----------
    asset_id : (A,) object (str)
    lat_deg, lon_deg : (A,) float64
        Geodetic position of the asset's centre.
    radius_m : (A,) float64
        Radius of the asset (>= 0): an impact within it counts as a hit.
    """

    asset_id: ObjectArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    radius_m: FloatArray
    #: the ids as strings, once (every prediction names them)
    id_strings: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: (1, A) longitude (rad), cosine and sine of latitude: every prediction's
    #: azimuthal projection takes them
    trig_rows: tuple[FloatArray, FloatArray, FloatArray] = field(
        init=False, repr=False, compare=False
    )
    #: (1, A) ECEF x, y, z (m) of the centres on the ground (``geodetic_to_ecef``):
    #: the air threats' closest approaches start from them
    ground_rows: tuple[FloatArray, FloatArray, FloatArray] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        ids = np.asarray(self.asset_id, dtype=object).reshape(-1)
        object.__setattr__(self, "asset_id", ids)
        object.__setattr__(self, "id_strings", tuple(str(a) for a in ids))
        for name in ("lat_deg", "lon_deg", "radius_m"):
            col = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1)
            if col.shape != ids.shape:
                raise ValueError(f"DefendedAssets.{name}: expected {ids.shape}, got {col.shape}")
            if not np.all(np.isfinite(col)):
                raise ValueError(f"DefendedAssets.{name}: expected finite numbers")
            object.__setattr__(self, name, col)
        if np.any(self.radius_m < 0.0):
            raise ValueError("DefendedAssets.radius_m: expected >= 0")
        la = np.radians(self.lat_deg)[None, :]
        trig = (np.radians(self.lon_deg)[None, :], np.cos(la), np.sin(la))
        object.__setattr__(self, "trig_rows", trig)
        ground = geodetic_to_ecef(self.lat_deg[None, :], self.lon_deg[None, :], 0.0)
        object.__setattr__(self, "ground_rows", ground)

    def __len__(self) -> int:
        return len(self.asset_id)

    def east_north_m(
        self, lat_deg: FloatArray, lon_deg: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """East and North (m, (E, A)) of each asset's centre from each of E ground points.

        ``pymap3d.geodetic2enu(self.lat_deg[None, :], self.lon_deg[None, :], 0,
        lat_deg[:, None], lon_deg[:, None], 0)`` bit for bit: the same two ground points
        (the assets' made once, :attr:`ground_rows`), their difference turned into
        East-North as it does.
        """
        ax, ay, az = self.ground_rows
        lat0, lon0 = lat_deg[:, None], lon_deg[:, None]
        tx, ty, tz = geodetic_to_ecef(lat0, lon0, 0.0)
        ae, an, _au = pymap3d.uvw2enu(ax - tx, ay - ty, az - tz, lat0, lon0)
        return np.asarray(ae, dtype=np.float64), np.asarray(an, dtype=np.float64)

    @classmethod
    def empty(cls) -> DefendedAssets:
        """No assets."""
        z = np.zeros(0)
        return cls(np.zeros(0, dtype=object), z, z, z)

    @classmethod
    def from_lists(
        cls,
        asset_id: Sequence[str],
        lat_deg: ArrayLike,
        lon_deg: ArrayLike,
        radius_m: ArrayLike,
    ) -> DefendedAssets:
        """From plain sequences."""
        return cls(
            np.asarray(list(asset_id), dtype=object),
            np.asarray(lat_deg, dtype=np.float64),
            np.asarray(lon_deg, dtype=np.float64),
            np.asarray(radius_m, dtype=np.float64),
        )


@dataclass(frozen=True)
class ImpactPrediction:
    """Predicted impacts of N tracks (NaN and ``valid`` False where none).

    Attributes
    ----------
    valid : (N,) bool
    impact_lat_deg, impact_lon_deg : (N,) float64
        Mean predicted impact point (geodetic, on the ellipsoid).
    impact_ecef_m : (N, 3) float64
        The same point in ECEF.
    impact_time_s : (N,) float64
        Mean predicted impact time (scenario seconds).
    impact_time_sigma_s : (N,) float64
        One-sigma spread of the impact time.
    cov_en_m2 : (N, 2, 2) float64
        Covariance of the impact point in local (East, North) metres.
    semi_major_m, semi_minor_m : (N,) float64
        Impact ellipse semi-axes at ``confidence``.
    orientation_deg : (N,) float64
        Major axis, degrees clockwise from North, in ``[0, 180)``.
    confidence : float
        Probability mass of the ellipse (Gaussian, 2 degrees of freedom).
    threatened : (N, A) bool
        ``threatened[i, j]``: asset ``asset_ids[j]`` is within its radius of
        track ``i``'s ellipse.
    asset_ids : tuple of str
    """

    valid: BoolArray
    impact_lat_deg: FloatArray
    impact_lon_deg: FloatArray
    impact_ecef_m: FloatArray
    impact_time_s: FloatArray
    impact_time_sigma_s: FloatArray
    cov_en_m2: FloatArray
    semi_major_m: FloatArray
    semi_minor_m: FloatArray
    orientation_deg: FloatArray
    confidence: float
    threatened: BoolArray
    asset_ids: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.valid)

    def threatened_assets(self) -> list[list[str]]:
        """Ids of the threatened assets per track, in asset order."""
        ids = np.asarray(self.asset_ids, dtype=object)
        return [list(ids[row]) for row in self.threatened]


def chi2_2dof_quantile(confidence: float) -> float:
    """``k`` with ``P(chi2_2 <= k) = confidence``: ``-2 ln(1 - confidence)``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected within (0, 1), got {confidence}")
    return float(-2.0 * np.log1p(-confidence))


def sym_sqrt(cov: FloatArray) -> FloatArray:
    """Symmetric square root of (..., n, n) covariances (negative eigenvalues clipped)."""
    sym = 0.5 * (cov + np.swapaxes(cov, -1, -2))
    lam, vec = np.linalg.eigh(sym)
    root = np.sqrt(np.maximum(lam, 0.0))
    return np.asarray((vec * root[..., None, :]) @ np.swapaxes(vec, -1, -2), dtype=np.float64)


def unscented_points(
    states: FloatArray, covariances: FloatArray, kappa: float = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Julier's unscented sigma points and weights.

    Parameters
    ----------
    states : (N, n)
    covariances : (N, n, n)
    kappa : float
        Spread parameter, >= 0 (so every weight is >= 0 and the output
        covariance positive semidefinite). Points lie at
        ``x +- sqrt(n + kappa)`` times the columns of the covariance's square
        root; the centre weighs ``kappa / (n + kappa)``, the others
        ``1 / (2 (n + kappa))``.

    Returns
    -------
    points : (N, 2n + 1, n)
        Centre first.
    weights : (2n + 1,)
        Used for both the mean and the covariance.
    """
    if not kappa >= 0.0:
        raise ValueError(f"kappa: expected >= 0, got {kappa}")
    n = states.shape[-1]
    root = sym_sqrt(covariances * (n + kappa))  # (N, n, n), symmetric: rows == columns
    pts = np.concatenate(
        [states[:, None, :], states[:, None, :] + root, states[:, None, :] - root], axis=1
    )
    w = np.full(2 * n + 1, 1.0 / (2.0 * (n + kappa)))
    w[0] = kappa / (n + kappa)
    return pts, w


def monte_carlo_points(
    states: FloatArray, covariances: FloatArray, n_samples: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Gaussian samples (N, n_samples, n) with equal weights, from ``default_rng(seed)``.

    Draws one ``standard_normal((N, n_samples, n))`` block: the same seed and
    shapes give the same samples.
    """
    if n_samples < 2:
        raise ValueError(f"n_samples: expected >= 2, got {n_samples}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((states.shape[0], n_samples, states.shape[-1]))
    pts = states[:, None, :] + np.einsum("nij,nsj->nsi", sym_sqrt(covariances), z)
    return pts, np.full(n_samples, 1.0 / n_samples)


def ballistic_mask(
    states: FloatArray,
    min_speed_mps: float = 1_000.0,
    min_altitude_m: float = 20_000.0,
    min_vertical_speed_mps: float = 300.0,
) -> BoolArray:
    """Tracks on a plausible ballistic arc (see the module docstring).

    Compiled per row (:func:`skyweave.warning.impact_kernel.ballistic_mask_rows`:
    pymap3d's geodetic conversion without its per-call array overhead).
    """
    x = np.ascontiguousarray(states, dtype=np.float64).reshape(-1, STATE_DIM)
    return ballistic_mask_rows(
        x, float(min_speed_mps), float(min_altitude_m), float(min_vertical_speed_mps)
    )


def ellipse_from_cov(
    cov_en: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Semi-major, semi-minor (m) and orientation (deg clockwise from North, [0, 180)).

    Parameters
    ----------
    cov_en : (..., 2, 2)
        Covariance in (East, North) metres.
    confidence : float
        Probability inside the ellipse.
    """
    k = chi2_2dof_quantile(confidence)
    lam, vec = np.linalg.eigh(0.5 * (cov_en + np.swapaxes(cov_en, -1, -2)))
    major = np.sqrt(np.maximum(lam[..., 1], 0.0) * k)
    minor = np.sqrt(np.maximum(lam[..., 0], 0.0) * k)
    east, north = vec[..., 0, 1], vec[..., 1, 1]
    orient = np.degrees(np.arctan2(east, north)) % 180.0
    return major, minor, np.asarray(orient, dtype=np.float64)


def distance_to_ellipse_m(
    east_m: FloatArray,
    north_m: FloatArray,
    semi_major_m: FloatArray,
    semi_minor_m: FloatArray,
    orientation_deg: FloatArray,
) -> FloatArray:
    """Distance from points to centred ellipses (0 inside); arrays broadcast.

    Eberly's method: the closest point of the ellipse ``x^2/a^2 + y^2/b^2 = 1``
    to an outside point ``(y0, y1)`` in the first quadrant is
    ``(a^2 y0 / (t + a^2), b^2 y1 / (t + b^2))`` with ``t > 0`` the root of
    ``(a y0 / (t + a^2))^2 + (b y1 / (t + b^2))^2 = 1``, bracketed by
    ``[0, sqrt(a^2 y0^2 + b^2 y1^2) - b^2]`` and found by bisection.
    Semi-axes below 1 mm are raised to 1 mm (a point-like ellipse).
    """
    arrays = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=np.float64)
            for v in (east_m, north_m, semi_major_m, semi_minor_m, orientation_deg)
        )
    )
    shape = arrays[0].shape
    # compiled per element (the same operations the array form did, without its
    # 64 passes of np.where over the whole grid)
    flat = [np.ascontiguousarray(v).reshape(-1) for v in arrays]
    return distance_to_ellipse_rows(*flat).reshape(shape)


def _azimuthal_equidistant(
    lat0_deg: FloatArray, lon0_deg: FloatArray, assets: DefendedAssets
) -> tuple[FloatArray, FloatArray]:
    """(East, North) m (G, A) of the assets around centres: true bearing, great-circle distance.

    Unlike the tangent-plane ENU, far points stay far (the antipode maps to
    about 20 000 km, not to the origin). Each sine and cosine is taken once (the
    assets' once per asset set): the same numbers the formula's repeats gave.
    """
    la0, lo0 = np.radians(lat0_deg)[:, None], np.radians(lon0_deg)[:, None]
    lo, cos_la, sin_la = assets.trig_rows
    cos_la0, sin_la0 = np.cos(la0), np.sin(la0)
    dlo = lo - lo0
    cos_dlo = np.cos(dlo)
    y = np.sin(dlo) * cos_la
    x = cos_la0 * sin_la - sin_la0 * cos_la * cos_dlo
    psi = np.arctan2(np.hypot(x, y), sin_la0 * sin_la + cos_la0 * cos_la * cos_dlo)
    az = np.arctan2(y, x)
    dist = R_EARTH_MEAN_M * psi
    return dist * np.sin(az), dist * np.cos(az)


_NO_ASSETS = DefendedAssets.empty()


def times_per_row(time_s: ArrayLike, n: int) -> FloatArray:
    """``time_s`` (one time, or one per row) as an (n,) array: one time as a full
    array, which is cheaper to build than a broadcast view (called per track update)."""
    t = np.asarray(time_s, dtype=np.float64)
    if t.shape == (n,):
        return t
    return np.full(n, float(t)) if t.ndim == 0 else np.broadcast_to(t, (n,))


def _nan_prediction(n: int, assets: DefendedAssets, confidence: float) -> ImpactPrediction:
    # one NaN block for the seven (N,) columns: rows of it, not seven arrays
    nan = np.full((7, n), np.nan)
    return ImpactPrediction(
        valid=np.zeros(n, dtype=bool),
        impact_lat_deg=nan[0],
        impact_lon_deg=nan[1],
        impact_ecef_m=np.full((n, 3), np.nan),
        impact_time_s=nan[2],
        impact_time_sigma_s=nan[3],
        cov_en_m2=np.full((n, 2, 2), np.nan),
        semi_major_m=nan[4],
        semi_minor_m=nan[5],
        orientation_deg=nan[6],
        confidence=confidence,
        threatened=np.zeros((n, len(assets)), dtype=bool),
        asset_ids=assets.id_strings,
    )


def predict_impacts(
    time_s: ArrayLike,
    states: ArrayLike,
    covariances: ArrayLike,
    assets: DefendedAssets | None = None,
    *,
    confidence: float = 0.95,
    method: Literal["unscented", "monte_carlo"] = "unscented",
    kappa: float = 0.0,
    n_samples: int = 1_000,
    seed: int = 0,
    propagator: Propagator | None = None,
    horizon_s: float = 3_600.0,
    min_speed_mps: float = 1_000.0,
    min_altitude_m: float = 20_000.0,
    min_vertical_speed_mps: float = 300.0,
    ballistic_coefficient_kg_m2: ArrayLike | None = NOMINAL_BALLISTIC_COEFFICIENT_KG_M2,
    covariance_scale: float = 1.0,
) -> ImpactPrediction:
    """Predicted impact point, time, ellipse and threatened assets of N tracks.

    Parameters
    ----------
    time_s : float or (N,)
        Time each state refers to (scenario seconds).
    states : (N, 6)
        ECEF position (m) and velocity (m/s).
    covariances : (N, 6, 6)
        State covariances (ECEF).
    assets : DefendedAssets or None
        Assets to test; None means none.
    confidence : float
        Probability of the impact ellipse (0.95 default; 0.8647 for 2-sigma).
    method : {"unscented", "monte_carlo"}
        13 unscented sigma points (``kappa``), or ``n_samples`` Gaussian
        draws from ``numpy.random.default_rng(seed)``.
    propagator : Propagator or None
        Flies ECEF states to the ground; default
        :func:`~skyweave.warning.propagate.free_flight_to_ground` with drag
        (``ballistic_coefficient_kg_m2``). A given propagator ignores
        ``ballistic_coefficient_kg_m2``.
    horizon_s : float
        Longest flight considered.
    min_speed_mps, min_altitude_m, min_vertical_speed_mps : float
        Ballistic-arc gate (see the module docstring).
    ballistic_coefficient_kg_m2 : float, (N,) array or None
        ``m / (Cd A)`` of the default propagator's drag, for all tracks or
        per track; default the nominal class (5000 kg/m2); None: vacuum.
    covariance_scale : float
        Factor applied to every track covariance before sampling (> 0). The
        default 1 takes the tracker's covariance as honest; another value is
        for a tracker whose consistency (NEES) has been measured.

    Returns
    -------
    ImpactPrediction
        One row per track; every track's sample points are flown as one array.
    """
    x = np.asarray(states, dtype=np.float64).reshape(-1, STATE_DIM)
    n = x.shape[0]
    if not covariance_scale > 0.0:
        raise ValueError(f"covariance_scale: expected > 0, got {covariance_scale}")
    p = np.asarray(covariances, dtype=np.float64).reshape(n, STATE_DIM, STATE_DIM)
    p = p * covariance_scale if covariance_scale != 1.0 else p
    t = times_per_row(time_s, n)
    assets = _NO_ASSETS if assets is None else assets
    chi2_2dof_quantile(confidence)  # validates

    gate = ballistic_mask(x, min_speed_mps, min_altitude_m, min_vertical_speed_mps)
    if not (np.isfinite(p).all() and np.isfinite(t).all()):  # (rows apart only then)
        gate &= np.isfinite(p).all(axis=(1, 2)) & np.isfinite(t)
    idx = np.flatnonzero(gate)
    if idx.size == 0:
        return _nan_prediction(n, assets, confidence)
    x_g, p_g = (x, p) if idx.size == n else (x[idx], p[idx])
    if method == "unscented":
        pts, w = unscented_points(x_g, p_g, kappa)
    elif method == "monte_carlo":
        pts, w = monte_carlo_points(x_g, p_g, n_samples, seed)
    else:
        raise ValueError(f"method: expected 'unscented' or 'monte_carlo', got {method!r}")
    g, s = pts.shape[:2]
    if propagator is not None:
        imp, tti = propagator(pts.reshape(g * s, STATE_DIM), horizon_s)
    else:
        beta: FloatArray | float | None = None
        if isinstance(ballistic_coefficient_kg_m2, float):
            beta = ballistic_coefficient_kg_m2  # one for all (the default): no array
        elif ballistic_coefficient_kg_m2 is not None:
            per_track = np.broadcast_to(
                np.asarray(ballistic_coefficient_kg_m2, dtype=np.float64), (n,)
            )
            beta = np.repeat(per_track[idx], s)
        imp, tti = free_flight_to_ground(
            pts.reshape(g * s, STATE_DIM), horizon_s, ballistic_coefficient_kg_m2=beta
        )
    imp = np.asarray(imp, dtype=np.float64).reshape(g, s, 3)
    tti = np.asarray(tti, dtype=np.float64).reshape(g, s)
    if not (np.isfinite(imp).all() and np.isfinite(tti).all()):  # (rows apart only then)
        ok = np.all(np.isfinite(imp), axis=(1, 2)) & np.all(np.isfinite(tti), axis=1)
        idx, imp, tti = idx[ok], imp[ok], tti[ok]
        g = idx.size
        if idx.size == 0:
            return _nan_prediction(n, assets, confidence)

    # mean point, its geodetic position and ground point, and the points' East-North
    # covariance there: pymap3d's conversions, compiled per track
    lat, lon, ground, cov_en = impact_statistics(np.ascontiguousarray(imp), w)
    major, minor, orient = ellipse_from_cov(cov_en, confidence)
    t_imp = t[idx][:, None] + tti
    t_mean = t_imp @ w
    t_sigma = np.sqrt(np.maximum(((t_imp - t_mean[:, None]) ** 2) @ w, 0.0))

    threatened = np.zeros((g, len(assets)), dtype=bool)
    if len(assets):
        ae, an = _azimuthal_equidistant(lat, lon, assets)
        # the compiled rows directly: each ellipse repeated once per asset (what
        # distance_to_ellipse_m's broadcasting builds, without its per-call set-up)
        n_a = len(assets)
        dist = distance_to_ellipse_rows(
            np.ascontiguousarray(ae).reshape(-1),
            np.ascontiguousarray(an).reshape(-1),
            np.repeat(major, n_a),
            np.repeat(minor, n_a),
            np.repeat(orient, n_a),
        ).reshape(g, n_a)
        threatened = dist <= assets.radius_m[None, :]
    if g == n:  # every track predicted (the usual case): the columns as they are
        return ImpactPrediction(
            valid=np.ones(n, dtype=bool),
            impact_lat_deg=lat,
            impact_lon_deg=lon,
            impact_ecef_m=ground,
            impact_time_s=t_mean,
            impact_time_sigma_s=t_sigma,
            cov_en_m2=cov_en,
            semi_major_m=major,
            semi_minor_m=minor,
            orientation_deg=orient,
            confidence=confidence,
            threatened=threatened,
            asset_ids=assets.id_strings,
        )
    out = _nan_prediction(n, assets, confidence)
    out.valid[idx] = True
    out.impact_lat_deg[idx] = lat
    out.impact_lon_deg[idx] = lon
    out.impact_ecef_m[idx] = ground
    out.impact_time_s[idx] = t_mean
    out.impact_time_sigma_s[idx] = t_sigma
    out.cov_en_m2[idx] = cov_en
    out.semi_major_m[idx] = major
    out.semi_minor_m[idx] = minor
    out.orientation_deg[idx] = orient
    out.threatened[idx] = threatened
    return out


__all__ = [
    "DefendedAssets",
    "ImpactPrediction",
    "ballistic_mask",
    "chi2_2dof_quantile",
    "distance_to_ellipse_m",
    "ellipse_from_cov",
    "monte_carlo_points",
    "predict_impacts",
    "sym_sqrt",
    "unscented_points",
]
