"""Scan schedules, outages and truth sampling shared by all sensor models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skyweave.kinematics.truth import Truth

FloatArray = NDArray[np.float64]

Outage = tuple[float, float]
"""A sensor outage ``(start_s, end_s)``: nothing is reported in ``[start_s, end_s)``."""


def validate_outages(outages: Sequence[Outage], owner: str) -> tuple[Outage, ...]:
    """Check outage intervals (finite, ``start_s < end_s``) and return them as a tuple."""
    out: list[Outage] = []
    for i, (start, end) in enumerate(outages):
        start_f, end_f = float(start), float(end)
        if not (np.isfinite(start_f) and np.isfinite(end_f)) or start_f >= end_f:
            raise ValueError(
                f"{owner}.outages[{i}]: expected finite start_s < end_s, got ({start}, {end})"
            )
        out.append((start_f, end_f))
    return tuple(out)


def overlaps_outage(
    start_s: ArrayLike, end_s: ArrayLike, outages: Sequence[Outage]
) -> NDArray[np.bool_]:
    """True where the closed interval ``[start_s, end_s]`` meets an outage ``[a, b)``.

    A measurement taken at ``start_s`` and reported at ``end_s`` is lost if the
    sensor is out at either moment or at any time in between.
    """
    t0 = np.asarray(start_s, dtype=np.float64)
    t1 = np.asarray(end_s, dtype=np.float64)
    if not outages:
        return np.zeros(np.broadcast(t0, t1).shape, dtype=bool)
    bounds = np.asarray(outages, dtype=np.float64)  # (J, 2)
    a = bounds[:, 0]
    b = bounds[:, 1]
    hit = (t0[..., None] < b) & (t1[..., None] >= a)
    return np.asarray(hit.any(axis=-1))


def scan_times(times_s: FloatArray, period_s: float, phase_s: float | None = None) -> FloatArray:
    """Scan times ``phase_s + k * period_s`` that fall within the truth time span.

    Parameters
    ----------
    times_s : (T,) float64
        The truth time grid.
    period_s : float
        Revisit (frame) period, > 0.
    phase_s : float or None
        Time of one scan (any k); the first truth time when None.

    Returns
    -------
    (S,) float64
        Computed as ``phase + k * period`` (no accumulated rounding).
    """
    if not period_s > 0.0:
        raise ValueError(f"revisit period must be > 0, got {period_s}")
    if len(times_s) == 0:
        return np.empty(0, dtype=np.float64)
    t_first, t_last = float(times_s[0]), float(times_s[-1])
    phase = t_first if phase_s is None else float(phase_s)
    k0 = int(np.ceil((t_first - phase) / period_s))
    k1 = int(np.floor((t_last - phase) / period_s))
    k = np.arange(k0, k1 + 1, dtype=np.float64)
    t = phase + k * period_s
    # Guard against rounding pushing an end scan just outside the grid.
    return t[(t >= t_first) & (t <= t_last)]


def positions_at(truth: Truth, query_times_s: FloatArray) -> FloatArray:
    """ECEF positions of every object at the query times, by linear interpolation.

    Between two truth samples the position is interpolated linearly; a query
    that falls exactly on a sample takes that sample. Where either bracketing
    sample is NaN (object not in flight) the result is NaN, so an object is
    seen only between samples where it is in flight.

    Parameters
    ----------
    truth : Truth
    query_times_s : (S,) float64
        Times within ``[truth.times_s[0], truth.times_s[-1]]``.

    Returns
    -------
    (S, N, 3) float64
    """
    times = truth.times_s
    pos = truth.states[:, :, :3]
    q = np.asarray(query_times_s, dtype=np.float64)
    if len(times) == 1:
        return np.broadcast_to(pos[0], (len(q), *pos.shape[1:])).copy()
    i = np.clip(np.searchsorted(times, q, side="right") - 1, 0, len(times) - 2)
    frac = ((q - times[i]) / (times[i + 1] - times[i]))[:, None, None]
    lo = pos[i]
    hi = pos[i + 1]
    out = lo + frac * (hi - lo)
    # Exact hits must not be spoilt by a NaN neighbour (0 * NaN is NaN).
    out = np.where(frac == 0.0, lo, out)
    out = np.where(frac == 1.0, hi, out)
    return out


MAX_PAIRS_PER_BLOCK = 1_000_000
"""Scan-object pairs evaluated at once: bounds memory (about 100 MB) on large runs."""


def scan_blocks(n_scans: int, n_objects: int, max_pairs: int = MAX_PAIRS_PER_BLOCK) -> list[slice]:
    """Consecutive scan slices holding at most ``max_pairs`` scan-object pairs each.

    Sensor models evaluate the (deterministic) geometry block by block and
    make every random draw afterwards, so blocking never changes the output.
    """
    step = max(1, max_pairs // max(n_objects, 1))
    return [slice(i, min(i + step, n_scans)) for i in range(0, n_scans, step)]
