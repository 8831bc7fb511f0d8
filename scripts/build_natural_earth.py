"""Build ``src/skyweave/io/data/natural_earth_50m.npz``: coastlines and land borders.

Provenance
    Natural Earth (https://www.naturalearthdata.com), Admin 0 countries at
    1:50m, version 4.1.0, as redistributed in TopoJSON by the npm package
    ``world-atlas`` 2.0.2 (file ``countries-50m.json``; ISC licence for the
    packaging, https://github.com/topojson/world-atlas). Natural Earth data are
    in the public domain ("No permission is needed to use Natural Earth",
    https://www.naturalearthdata.com/about/terms-of-use/), so the converted file
    ships with Skyweave under no further terms.

How to rebuild
    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/build_natural_earth.py package/countries-50m.json

What it writes
    The TopoJSON arcs of the ``countries`` collection, split in two classes:
    an arc used by exactly one country's outline is a coastline (land meets
    sea), an arc shared by two countries is a land border. Coordinates are kept
    exactly as the source quantised them (integers on a 1e5 x 1e5 grid over the
    globe: 0.0036 deg of longitude, 0.0017 deg of latitude), delta-encoded per
    line, so the file is lossless and small (about 230 KiB compressed):

    ``scale``, ``translate`` (2,) float64
        lon = x * scale[0] + translate[0], lat = y * scale[1] + translate[1].
    ``coast_first``, ``border_first`` (L, 2) int32
        First quantised point of each line.
    ``coast_delta``, ``border_delta`` (N, 2) int32
        Steps from each point to the next, all lines concatenated.
    ``coast_count``, ``border_count`` (L,) int32
        Number of steps of each line (its points minus one).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "skyweave" / "io" / "data"


def _arc_refs(geometry: dict) -> list[int]:
    """Every arc index a Polygon or MultiPolygon refers to (``~i`` is arc ``i`` reversed)."""
    arcs = geometry.get("arcs", [])
    if geometry["type"] == "Polygon":
        rings = arcs
    elif geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in arcs for ring in polygon]
    else:
        return []
    return [~a if a < 0 else a for ring in rings for a in ring]


def build(source: Path, out: Path) -> dict[str, int]:
    """Convert ``countries-50m.json`` to ``natural_earth_50m.npz``; returns line counts."""
    topo = json.loads(source.read_text(encoding="utf-8"))
    uses: Counter[int] = Counter()
    for geometry in topo["objects"]["countries"]["geometries"]:
        # Count each arc once per country: a ring may touch an arc twice.
        uses.update(set(_arc_refs(geometry)))
    arrays: dict[str, np.ndarray] = {
        "scale": np.asarray(topo["transform"]["scale"], dtype=np.float64),
        "translate": np.asarray(topo["transform"]["translate"], dtype=np.float64),
    }
    counts = {}
    for name, wanted in (("coast", 1), ("border", 2)):
        lines = [
            np.asarray(topo["arcs"][i], dtype=np.int64)
            for i in sorted(uses)
            if uses[i] == wanted and len(topo["arcs"][i]) >= 2
        ]
        arrays[f"{name}_first"] = np.array([ln[0] for ln in lines], dtype=np.int32)
        arrays[f"{name}_delta"] = np.concatenate([ln[1:] for ln in lines]).astype(np.int32)
        arrays[f"{name}_count"] = np.array([len(ln) - 1 for ln in lines], dtype=np.int32)
        counts[name] = len(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="world-atlas countries-50m.json")
    parser.add_argument("--out", type=Path, default=OUT / "natural_earth_50m.npz")
    args = parser.parse_args()
    counts = build(args.source, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB): {counts}")


if __name__ == "__main__":
    main()
