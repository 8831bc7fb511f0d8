"""Air-breathing threat evaluation: which picture tracks approach which defended assets.

A cruise missile or an aircraft has no impact point to predict: what a staff
needs is where and when it passes closest to each defended asset. For each
non-ballistic picture track moving faster than ``min_speed_mps``, the track's
velocity is held constant in the local horizontal plane of the track (heading
and ground speed; altitude is not extrapolated), and the closest point of
approach (CPA) to each asset is computed in closed form. An asset is threatened
when that CPA is within the asset's radius plus ``threat_radius_m`` and comes
within ``horizon_s``; the threat's "impact" is the CPA of the first asset
reached, with a circular 95 % region from the track's position uncertainty.
Below ``cruise_max_alt_m`` the track is classed ``cruise``, above it
``aircraft``.

Everything is vectorised over tracks and assets: (K, A) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymap3d
from numpy.typing import NDArray

from skyweave.kinematics.geodetic import ecef_to_enu_velocity, ecef_to_geodetic
from skyweave.warning.impact import DefendedAssets

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: 95 % radius of a circular 2-D Gaussian, in sigmas: sqrt(chi2_2(0.95))
_R95_SIGMAS = float(np.sqrt(-2.0 * np.log(0.05)))


@dataclass(frozen=True)
class AirThreatConfig:
    """Thresholds of :func:`evaluate_air_tracks` (see the module docstring).

    Attributes
    ----------
    min_speed_mps : float
        Slower tracks are not evaluated (hovering, clutter).
    threat_radius_m : float
        Distance beyond an asset's own radius within which a CPA threatens it.
    horizon_s : float
        Only CPAs this soon count.
    cruise_max_alt_m : float
        Tracks below this altitude are cruise missiles, above it aircraft.
    max_speed_mps, max_climb_mps, max_alt_m : float
        Beyond any of these a track is no air-breathing flyer (a ballistic
        missile in re-entry, whose track no longer looks ballistic near the
        ground, falls fast and steeply).
    """

    min_speed_mps: float = 50.0
    max_speed_mps: float = 1_200.0
    max_climb_mps: float = 150.0
    max_alt_m: float = 25_000.0
    threat_radius_m: float = 25_000.0
    horizon_s: float = 1_800.0
    cruise_max_alt_m: float = 3_000.0


@dataclass(frozen=True)
class AirEvaluation:
    """Closest approach of K air-breathing tracks to A defended assets.

    Attributes
    ----------
    evaluated : (K,) bool
        Non-ballistic and fast enough to evaluate.
    threatened : (K, A) bool
    cpa_time_s : (K,) float64
        Absolute time of the CPA to the first threatened asset (NaN if none).
    cpa_lat_deg, cpa_lon_deg : (K,) float64
        Where the track will be then.
    radius95_m : (K,) float64
        95 % radius of that point (position uncertainty, not grown with time).
    threat_class : (K,) object (str or None)
        ``"cruise"`` or ``"aircraft"``; None for the ballistic tracks (not classed).
    """

    evaluated: BoolArray
    threatened: BoolArray
    cpa_time_s: FloatArray
    cpa_lat_deg: FloatArray
    cpa_lon_deg: FloatArray
    radius95_m: FloatArray
    threat_class: NDArray[np.object_]


def evaluate_air_tracks(
    time_s: float,
    states_ecef: FloatArray,
    pos_sigma_m: FloatArray,
    non_ballistic: BoolArray,
    assets: DefendedAssets,
    config: AirThreatConfig | None = None,
) -> AirEvaluation:
    """Closest approach of each air-breathing track to each asset (see the module docstring).

    Parameters
    ----------
    time_s : float
        Time of the states.
    states_ecef : (K, 6) float64
        Track states, ECEF metres and metres per second.
    pos_sigma_m : (K,) float64
        ``sqrt(trace(P_pos))`` of each track.
    non_ballistic : (K,) bool
        Tracks that are not ballistic (the others are not evaluated).
    assets : DefendedAssets
    config : AirThreatConfig or None
    """
    cfg = config if config is not None else AirThreatConfig()
    x = np.asarray(states_ecef, dtype=np.float64).reshape(-1, 6)
    k, a = len(x), len(assets)
    # only the non-ballistic rows are evaluated: the others are neither converted nor
    # classed (a picture often holds nothing else, and then nothing is computed)
    air = np.flatnonzero(np.asarray(non_ballistic, dtype=bool).reshape(k))
    m = air.size
    evaluated = np.zeros(k, dtype=bool)
    threatened = np.zeros((k, a), dtype=bool)
    cpa_t, cpa_lat, cpa_lon = np.full((3, k), np.nan)  # (rows of one block)
    cls = np.empty(k, dtype=object)  # (all None)
    # pos_sigma is sqrt(trace) over three axes: a horizontal sigma per axis is /sqrt(3)
    radius95 = _R95_SIGMAS * np.asarray(pos_sigma_m, dtype=np.float64).reshape(k) / np.sqrt(3.0)
    if not m:
        return AirEvaluation(evaluated, threatened, cpa_t, cpa_lat, cpa_lon, radius95, cls)
    xa = x[air]
    lat, lon, alt = ecef_to_geodetic(xa[:, 0], xa[:, 1], xa[:, 2])
    lat, lon, alt = (np.asarray(v, dtype=np.float64).reshape(m) for v in (lat, lon, alt))
    ve, vn, vu = ecef_to_enu_velocity(xa, lat, lon)
    speed = np.hypot(ve, vn)
    ok = (
        (speed >= cfg.min_speed_mps)
        & (np.hypot(speed, vu) <= cfg.max_speed_mps)
        & (np.abs(vu) <= cfg.max_climb_mps)
        & (alt <= cfg.max_alt_m)
    )
    evaluated[air] = ok
    cruise_m = cfg.cruise_max_alt_m
    cls[air] = ["cruise" if h < cruise_m else "aircraft" for h in alt.tolist()]
    e = np.flatnonzero(ok)  # positions in the non-ballistic rows
    if a and e.size:
        rows = air[e]
        threatened[rows], cpa_t[rows], cpa_lat[rows], cpa_lon[rows] = _closest_approach(
            time_s, lat[e], lon[e], ve[e], vn[e], speed[e], assets, cfg
        )
    return AirEvaluation(evaluated, threatened, cpa_t, cpa_lat, cpa_lon, radius95, cls)


def _closest_approach(
    time_s: float,
    lat: FloatArray,
    lon: FloatArray,
    ve: FloatArray,
    vn: FloatArray,
    speed: FloatArray,
    assets: DefendedAssets,
    cfg: AirThreatConfig,
) -> tuple[BoolArray, FloatArray, FloatArray, FloatArray]:
    """Threatened assets (E, A), CPA time, latitude and longitude (E,) of E evaluated tracks.

    Only the tracks that threaten something have a CPA (NaN for the others): only
    those are flown to it (most calls: none).
    """
    e = len(lat)
    # each asset in each track's local horizontal frame (east, north)
    ae, an = assets.east_north_m(lat, lon)
    v2 = np.maximum(speed**2, 1e-9)[:, None]
    tau = np.clip((ae * ve[:, None] + an * vn[:, None]) / v2, 0.0, None)  # (E, A) s ahead
    miss_m = np.hypot(ae - ve[:, None] * tau, an - vn[:, None] * tau)
    hit = (miss_m <= assets.radius_m[None, :] + cfg.threat_radius_m) & (tau <= cfg.horizon_s)
    first = np.where(hit, tau, np.inf).min(axis=1)
    cpa_t, cpa_lat, cpa_lon = np.full(e, np.nan), np.full(e, np.nan), np.full(e, np.nan)
    f = np.flatnonzero(np.isfinite(first))
    if f.size:
        # where the track will be at its CPA (east/north offset, back to geodetic)
        cpa_t[f] = time_s + first[f]
        ahead = cpa_t[f] - time_s  # not first[f]: the time as stated, back (rounded)
        f_lat, f_lon, _ = pymap3d.enu2geodetic(
            ve[f] * ahead, vn[f] * ahead, 0.0, lat[f], lon[f], 0.0
        )
        cpa_lat[f] = np.asarray(f_lat, dtype=np.float64)
        cpa_lon[f] = np.asarray(f_lon, dtype=np.float64)
    return hit, cpa_t, cpa_lat, cpa_lon


__all__ = [
    "AirEvaluation",
    "AirThreatConfig",
    "evaluate_air_tracks",
]
