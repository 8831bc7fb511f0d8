"""Natural Earth coastlines and land borders (1:50m), shipped with Skyweave.

The data are Natural Earth's Admin 0 countries at 1:50m (public domain), as
converted by ``scripts/build_natural_earth.py`` (which documents provenance and
how to rebuild) into ``data/natural_earth_50m.npz``: about 1,600 coastline and
360 border lines, 80,000 points, 230 KiB. The report draws them under its
theatre map; nothing here is needed to run a scenario.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

DATA_FILE = "natural_earth_50m.npz"


@lru_cache(maxsize=1)
def _load() -> dict[str, tuple[FloatArray, FloatArray, NDArray[np.int64]]]:
    """Per kind: longitudes, latitudes (degrees) of every point, and each line's start index."""
    path = resources.files("skyweave.io").joinpath("data").joinpath(DATA_FILE)
    with path.open("rb") as fh, np.load(fh) as npz:
        scale = npz["scale"]
        translate = npz["translate"]
        out = {}
        for kind in ("coast", "border"):
            first = npz[f"{kind}_first"].astype(np.int64)
            delta = npz[f"{kind}_delta"].astype(np.int64)
            count = npz[f"{kind}_count"].astype(np.int64)
            # Each line is its first point then its steps; a running sum restarted per line.
            n_pts = count + 1
            starts = np.concatenate([[0], np.cumsum(n_pts)[:-1]])
            steps = np.zeros((int(n_pts.sum()), 2), dtype=np.int64)
            is_first = np.zeros(steps.shape[0], dtype=bool)
            is_first[starts] = True
            steps[is_first] = first
            steps[~is_first] = delta
            total = np.cumsum(steps, axis=0)
            before = np.concatenate([np.zeros((1, 2), np.int64), total[starts[1:] - 1]])
            xy = total - np.repeat(before, n_pts, axis=0)
            lon = xy[:, 0] * scale[0] + translate[0]
            lat = xy[:, 1] * scale[1] + translate[1]
            out[kind] = (lon.astype(np.float64), lat.astype(np.float64), starts)
    return out


def points(kind: str) -> tuple[FloatArray, FloatArray]:
    """Every vertex of the coastlines (``"coast"``) or land borders (``"border"``), degrees."""
    lon, lat, _ = _load()[kind]
    return lon, lat


def lines_in_box(
    kind: str,
    lon_min_deg: float,
    lon_max_deg: float,
    lat_min_deg: float,
    lat_max_deg: float,
    lon_centre_deg: float,
) -> tuple[FloatArray, FloatArray]:
    """The lines that enter a box, NaN-separated for one ``plot`` call.

    Longitudes are brought within 180 degrees of ``lon_centre_deg`` (the map's
    centre), and a line is broken where that wraps it, so that a theatre across
    the antimeridian draws correctly. Whole lines are kept; the axes clip them.
    """
    lon, lat, starts = _load()[kind]
    lon = (lon - lon_centre_deg + 180.0) % 360.0 - 180.0 + lon_centre_deg
    ends = np.concatenate([starts[1:], [lon.size]])
    inside = (
        (lon >= lon_min_deg) & (lon <= lon_max_deg) & (lat >= lat_min_deg) & (lat <= lat_max_deg)
    )
    # A line with no vertex in the box may still cross it: test its bounding box too.
    lo_min = np.minimum.reduceat(lon, starts)
    lo_max = np.maximum.reduceat(lon, starts)
    la_min = np.minimum.reduceat(lat, starts)
    la_max = np.maximum.reduceat(lat, starts)
    crosses = (
        (lo_max - lo_min < 180.0)  # a line the wrap cut has a meaningless box
        & (lo_max >= lon_min_deg)
        & (lo_min <= lon_max_deg)
        & (la_max >= lat_min_deg)
        & (la_min <= lat_max_deg)
    )
    keep = (np.add.reduceat(inside.astype(np.int64), starts) > 0) | crosses
    if not keep.any():
        return np.zeros(0), np.zeros(0)
    pieces_lon: list[FloatArray] = []
    pieces_lat: list[FloatArray] = []
    for a, b in zip(starts[keep], ends[keep], strict=True):
        x, y = lon[a:b], lat[a:b]
        jump = np.flatnonzero(np.abs(np.diff(x)) > 180.0) + 1
        x = np.insert(x, jump, np.nan)
        y = np.insert(y, jump, np.nan)
        pieces_lon += [x, np.array([np.nan])]
        pieces_lat += [y, np.array([np.nan])]
    return np.concatenate(pieces_lon), np.concatenate(pieces_lat)


__all__ = ["DATA_FILE", "lines_in_box", "points"]
