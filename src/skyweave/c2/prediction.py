"""What the decision cycle predicts of a track, and the truth labels it scores with.

:func:`predict_positions` flies picture tracks ahead (free flight for ballistic
tracks, level flight for the others), :func:`airbreathing_threat` finds the
assets an air-breathing track's ground track passes near, and
:class:`ThreatObjects` labels tracks with the truth object they follow (for the
kill draw and the scoring only, never for a decision).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from skyweave.constants import OMEGA_EARTH_RAD_S
from skyweave.kinematics.geodetic import ecef_to_enu_velocity, ecef_to_geodetic
from skyweave.warning.flight_kernel import fly_grid
from skyweave.warning.impact import DefendedAssets
from skyweave.warning.propagate import ellipsoid_height_m

FloatArray = NDArray[np.float64]

#: an air-breathing track threatens an asset its ground track passes within this of
AIRBREATHING_MARGIN_M = 10_000.0
#: air-breathing tracks are predicted no lower than this (m above the ellipsoid)
AIRBREATHING_FLOOR_M = 100.0
#: ... unless their track is deeper than this below the surface
AIRBREATHING_FLOOR_DEPTH_M = 1_000.0


# -- truth for scoring ------------------------------------------------------------------


@dataclass(frozen=True)
class ThreatObjects:
    """Threat truth the decision cycle needs to label tracks (never to decide).

    Attributes
    ----------
    times_s : (T,) float64
    object_ids, kinds : tuple of str, length N
    positions_ecef_m : (T, N, 3) float64
        NaN where the object is not in flight.
    end_time_s : (N,) float64
        End of each object's flight (impact or arrival).
    """

    times_s: FloatArray
    object_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    positions_ecef_m: FloatArray
    end_time_s: FloatArray

    def associate(self, time_s: float, positions_m: FloatArray, gate_m: FloatArray) -> list[str]:
        """Object each of K positions follows (nearest within its gate), ``""`` for none."""
        k = positions_m.shape[0]
        if k == 0 or not self.object_ids:
            return [""] * k
        i = int(np.clip(np.searchsorted(self.times_s, time_s, side="right") - 1, 0, None))
        truth = self.positions_ecef_m[i]  # (N, 3)
        # np.linalg.norm's own arithmetic ((x^2 + y^2) + z^2), coordinates apart: faster
        dx, dy, dz = (positions_m[:, c, None] - truth[None, :, c] for c in range(3))
        d = np.sqrt((dx * dx + dy * dy) + dz * dz)
        d = np.where(np.isfinite(d), d, np.inf)
        j = np.argmin(d, axis=1)
        near = d[np.arange(k), j] <= gate_m
        ids = self.object_ids
        return [ids[jj] if ok else "" for jj, ok in zip(j.tolist(), near.tolist(), strict=True)]

    def kind_of(self, object_id: str) -> str:
        """The object's kind (its threat class)."""
        return self.kinds[self.object_ids.index(object_id)]

    def end_times(self) -> dict[str, float]:
        """Object id -> end of flight; the empty id (no object) ends at once."""
        out = {o: float(t) for o, t in zip(self.object_ids, self.end_time_s, strict=True)}
        out[""] = -math.inf
        return out


# -- prediction -------------------------------------------------------------------------


def predict_positions(
    states_ecef: FloatArray, ballistic: NDArray[np.bool_], offsets_s: FloatArray
) -> FloatArray:
    """Predicted ECEF states (K, Q, 6) at ``offsets_s`` (Q,) after each state's time.

    Ballistic rows fly in vacuum under central gravity in the rotating frame
    (RK4 on the offset grid); the others fly level (vertical velocity removed)
    in a straight line, from no lower than :data:`AIRBREATHING_FLOOR_M` when
    the track is just below it (a track deeper than
    :data:`AIRBREATHING_FLOOR_DEPTH_M` underground is left where it is:
    implausible, it finds no intercept). NaN from the
    first sample at or below the ground (WGS84 ellipsoid) on.
    """
    r = states_ecef[:, :3].copy()
    v = states_ecef[:, 3:].copy()
    # Air-breathing tracks fly level; a low track's altitude is its least accurate
    # coordinate, so one just under the surface is taken at the floor.
    air = ~ballistic
    if air.any():
        up = r[air] / np.linalg.norm(r[air], axis=-1, keepdims=True)
        v[air] -= np.sum(v[air] * up, axis=-1, keepdims=True) * up
        h = ellipsoid_height_m(r[air])
        lift = np.where(
            (h < AIRBREATHING_FLOOR_M) & (h > -AIRBREATHING_FLOOR_DEPTH_M),
            AIRBREATHING_FLOOR_M - h,
            0.0,
        )
        r[air] += lift[:, None] * up
    return fly_grid(
        np.ascontiguousarray(r),
        np.ascontiguousarray(v),
        np.ascontiguousarray(ballistic, dtype=np.bool_),
        np.ascontiguousarray(offsets_s, dtype=np.float64),
        OMEGA_EARTH_RAD_S,
    )


def airbreathing_threat(
    states_ecef: FloatArray,
    assets: DefendedAssets,
    now_s: float,
    margin_m: float = AIRBREATHING_MARGIN_M,
) -> tuple[FloatArray, FloatArray]:
    """Assets an air-breathing track's straight ground track passes near, and when.

    Returns ``coverage`` (K, A), 1 where the closest approach (on the local
    tangent plane at the track) is within the asset's radius plus ``margin_m``
    ahead of the track, else 0, and the time of that closest approach
    (K, A) (scenario seconds, NaN where not threatened).
    """
    k, a = states_ecef.shape[0], len(assets)
    cov = np.zeros((k, a))
    t_cpa = np.full((k, a), np.nan)
    if k == 0 or a == 0:
        return cov, t_cpa
    lat, lon, _ = ecef_to_geodetic(states_ecef[:, 0], states_ecef[:, 1], states_ecef[:, 2])
    lat, lon = np.atleast_1d(lat), np.atleast_1d(lon)
    ve, vn, _ = ecef_to_enu_velocity(states_ecef, lat, lon)
    ve, vn = np.atleast_1d(ve)[:, None], np.atleast_1d(vn)[:, None]
    # Every (track, asset) pair at once: the same elementwise arithmetic as one asset
    # at a time, broadcast over (K, A).
    e, n = assets.east_north_m(lat, lon)
    e, n = np.broadcast_to(e, (k, a)), np.broadcast_to(n, (k, a))
    speed2 = ve * ve + vn * vn
    tau = np.where(speed2 > 1.0, (e * ve + n * vn) / np.maximum(speed2, 1.0), -1.0)
    miss = np.hypot(e - ve * tau, n - vn * tau)
    hit = (tau > 0.0) & (miss <= assets.radius_m[None, :] + margin_m)
    cov[:] = hit
    t_cpa[:] = np.where(hit, now_s + tau, np.nan)
    return cov, t_cpa
