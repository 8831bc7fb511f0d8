"""The consoles' base map as local GeoJSON: Natural Earth land, coastlines and borders.

The data are the Natural Earth 1:50m lines shipped with Skyweave
(:mod:`skyweave.io.coastlines`, read through :func:`coastline_polylines`). MapLibre draws them from
these GeoJSON objects, sent in the seat's set-up: no tiles, no glyphs, nothing
fetched from the internet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: graticule spacing, degrees (the theatre spans a few tens of degrees)
GRATICULE_STEP_DEG = 5.0


def coastline_polylines(
    bounds: dict[str, float], kind: str = "coast", digits: int = 3
) -> list[list[list[float]]]:
    """Natural Earth lines (``"coast"`` or ``"border"``) entering ``bounds``, as
    ``[[lon, lat], ...]`` polylines; ``[]`` when the shipped data are not installed.

    Reads :mod:`skyweave.io.coastlines` (Natural Earth 1:50m, shipped with the
    package) when it is present; the map then has coastlines and borders.
    """
    try:
        from skyweave.io import coastlines  # type: ignore[attr-defined,unused-ignore]

        lon, lat = coastlines.lines_in_box(
            kind,
            bounds["lon_min"] - 10.0,
            bounds["lon_max"] + 10.0,
            bounds["lat_min"] - 10.0,
            bounds["lat_max"] + 10.0,
            0.5 * (bounds["lon_min"] + bounds["lon_max"]),
        )
    except (ImportError, OSError, KeyError, FileNotFoundError):
        return []
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    breaks = np.flatnonzero(~np.isfinite(lon) | ~np.isfinite(lat))
    out: list[list[list[float]]] = []
    start = 0
    for stop in [*breaks.tolist(), lon.size]:
        if stop - start >= 2:
            xy = np.round(np.stack([lon[start:stop], lat[start:stop]], axis=1), digits)
            out.append(xy.tolist())
        start = stop + 1
    return out


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry_type: str, coordinates: Any, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": geometry_type, "coordinates": coordinates},
        "properties": properties,
    }


def base_map(bounds: dict[str, float]) -> dict[str, Any]:
    """``land`` (closed coastlines as polygons), ``coast``, ``border`` and ``graticule``
    feature collections around ``bounds`` (a lon/lat box, degrees)."""
    coast = coastline_polylines(bounds, "coast")
    border = coastline_polylines(bounds, "border")
    # a closed coastline is an island or a continent: fill it as land
    land = [_feature("Polygon", [line]) for line in coast if line[0] == line[-1]]
    return {
        "land": _collection(land),
        "coast": _collection([_feature("LineString", line) for line in coast]),
        "border": _collection([_feature("LineString", line) for line in border]),
        "graticule": graticule(bounds),
    }


def graticule(bounds: dict[str, float], step_deg: float = GRATICULE_STEP_DEG) -> dict[str, Any]:
    """Meridians and parallels every ``step_deg`` over ``bounds`` padded by 20 degrees
    (so panning does not run off them), each with its ``label`` (e.g. ``"135°E"``)."""
    pad = 20.0
    lon0 = step_deg * ((bounds["lon_min"] - pad) // step_deg)
    lat0 = max(step_deg * ((bounds["lat_min"] - pad) // step_deg), -85.0)
    lon1, lat1 = bounds["lon_max"] + pad, min(bounds["lat_max"] + pad, 85.0)
    features = []
    lon = lon0
    while lon <= lon1:
        east_west = "E" if lon % 360 < 180 else "W"
        label = f"{abs((lon + 180) % 360 - 180):g}°{east_west}"
        features.append(
            _feature("LineString", [[lon, lat0], [lon, lat1]], label=label, kind="meridian")
        )
        lon += step_deg
    lat = lat0
    while lat <= lat1:
        label = f"{abs(lat):g}°{'S' if lat < 0 else 'N'}"
        features.append(
            _feature("LineString", [[lon0, lat], [lon1, lat]], label=label, kind="parallel")
        )
        lat += step_deg
    return _collection(features)


__all__ = ["base_map", "coastline_polylines", "graticule"]
