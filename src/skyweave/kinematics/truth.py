"""The ground truth every later stage reads: all objects' ECEF states on one time grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Truth:
    """True states of every object of a run, sampled on the simulation time grid.

    Attributes
    ----------
    times_s : (T,) float64
        Seconds since scenario start, strictly increasing.
    object_ids : tuple of str, length N
        Stable ids from the scenario (salvo members get ``id-1``, ``id-2``...).
    kinds : tuple of str, length N
        ``"ballistic"``, ``"cruise"``, ``"aircraft"`` or ``"interceptor"``.
    states : (T, N, 6) float64
        ECEF (WGS84) position in m and velocity in m/s; NaN where the object is
        not in flight (before launch, after impact or arrival).
    burnout_time_s : (N,) float64
        Time the rocket motor stops burning (NaN for air-breathing objects);
        space-based infrared sees an object only while it burns.
    rcs_class : tuple of str, length N
        Radar cross-section class name from the scenario (``"small"``...).
    """

    times_s: NDArray[np.float64]
    object_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    states: NDArray[np.float64]
    burnout_time_s: NDArray[np.float64]
    rcs_class: tuple[str, ...]

    @property
    def alive(self) -> NDArray[np.bool_]:
        """(T, N) mask: True where the object is in flight."""
        return ~np.isnan(self.states[:, :, 0])

    def burning(self) -> NDArray[np.bool_]:
        """(T, N) mask: True while the object's motor burns."""
        burn_end = np.where(np.isnan(self.burnout_time_s), -np.inf, self.burnout_time_s)
        return self.alive & (self.times_s[:, None] <= burn_end[None, :])
