"""Generate a large raid scenario, grown from ``examples/joint-exercise.yaml``.

Run by hand::

    python benchmarks/make_large_raid.py --threats 1000 > examples/large-raid.yaml

The output is deterministic: the same arguments give the same file, byte for
byte. The theatre is the example's (the south of a continent and the sea
beyond it); every partner, asset name and sensor, interceptor and link
parameter is invented and generic. What the generator builds:

- ``--partners`` partners (north, east, west), each with a command post, defended
  assets taken in order from a list of land points in its region, a geostationary
  infrared satellite, early-warning radars looking south over the sea and
  fire-control radars at its assets;
- ``--batteries`` batteries, a lower tier at each asset first, then an upper tier
  near each asset, then more lower tiers;
- a link between every pair of partners, fast enough never to queue the picture,
  and a policy releasing launch alerts, tracks, detections and engagement status
  from every partner to every other;
- ``--threats`` ballistic missiles in salvos from launch areas at sea toward the
  assets, spread over the run so that they land before it ends (the last one is a
  single "accidental" launch, as in the example), and ``--cruise`` sea-skimming
  cruise missiles in small salvos toward the coastal assets.

Defaults scale sensors and batteries with the threat count as in issue 10's
table (100 threats: 16 / 16, 300: 25 / 25, 1000: 40 / 40) and give 5 % as many
cruise missiles as ballistic ones.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0

PARTNER_IDS = ("north", "east", "west")
PARTNER_NAMES = {"north": "North", "east": "East", "west": "West"}
PARTNER_COLORS = {"north": "#1f77b4", "east": "#d62728", "west": "#2ca02c"}
COMMAND_POSTS = {
    "north": (-23.70, 133.88),
    "east": (-34.93, 138.60),
    "west": (-31.95, 115.90),
}
# Consent as in the example (East thinks orders over); West grants at once.
CONSENT = {
    "north": {"policy": "always"},
    "east": {"policy": "after_delay", "delay_s": 5},
    "west": {"policy": "always"},
}
INFRARED = {  # geostationary longitude, processing delay s, line-of-sight sigma urad
    "north": (120.0, 10, 40),
    "east": (160.0, 12, 50),
    "west": (90.0, 11, 45),
}


@dataclass(frozen=True)
class Site:
    """A land point: an asset site, or a radar site with its boresight."""

    name: str
    lat_deg: float
    lon_deg: float
    # Bearing from the point out to sea (cruise missiles come from there), or None inland.
    sea_bearing_deg: float | None = None


# Asset sites per partner, in the order they are used. The first ones of North and
# East are the example's assets, so a small raid keeps the example's geography.
ASSET_SITES: dict[str, tuple[Site, ...]] = {
    "north": (
        Site("Air Base Alpha", -23.80, 133.90),
        Site("Depot Bravo", -25.30, 131.00),
        Site("Pumping Station Golf", -26.60, 133.20),
        Site("Airstrip Hotel", -24.20, 135.60),
        Site("Relay India", -22.30, 131.80),
        Site("Depot Juliet", -27.80, 135.30),
        Site("Camp Kilo", -25.80, 128.60),
        Site("Airstrip Lima", -23.20, 137.40),
    ),
    "east": (
        Site("Port Delta", -34.90, 138.55, 215.0),
        Site("Air Base Echo", -31.50, 137.80),
        Site("City Foxtrot", -32.50, 141.40),
        Site("Harbour Mike", -37.85, 144.90, 190.0),
        Site("Junction November", -36.75, 144.28),
        Site("Base Oscar", -34.20, 142.15),
        Site("Terminal Papa", -38.15, 144.35, 200.0),
        Site("Depot Quebec", -35.10, 147.35),
    ),
    "west": (
        Site("Port Romeo", -32.05, 115.75, 250.0),
        Site("Air Base Sierra", -31.65, 117.00),
        Site("Port Tango", -33.33, 115.64, 240.0),
        Site("Mine Uniform", -30.75, 121.47),
        Site("Harbour Victor", -35.02, 117.88, 190.0),
        Site("Port Whiskey", -33.86, 121.89, 185.0),
        Site("Port Xray", -28.77, 114.61, 260.0),
        Site("Depot Yankee", -32.53, 115.75, 250.0),
    ),
}

# Early-warning radar sites per partner: (lat, lon, boresight azimuth).
EARLY_WARNING_SITES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "north": ((-28.50, 131.50, 200.0), (-27.00, 136.00, 185.0), (-26.20, 129.20, 215.0)),
    "east": ((-33.00, 136.50, 225.0), (-37.60, 140.80, 200.0), (-36.00, 143.50, 190.0)),
    "west": ((-33.60, 120.00, 200.0), (-30.50, 115.40, 235.0), (-34.50, 116.50, 210.0)),
}

# Launch areas at sea south of the continent: (lat min, lat max, lon min, lon max).
LAUNCH_AREAS = (
    (-42.0, -38.0, 106.0, 113.0),
    (-41.0, -37.5, 116.0, 124.0),
    (-41.0, -37.0, 126.0, 133.0),
    (-42.0, -39.5, 134.0, 141.0),
    (-43.0, -40.5, 142.0, 147.0),
)
MIN_RANGE_KM = 450.0
MAX_RANGE_KM = 2_300.0


def ground_range_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def destination(
    lat_deg: float, lon_deg: float, bearing_deg: float, range_km: float
) -> tuple[float, float]:
    """Point ``range_km`` from (lat, lon) along the initial bearing, on a sphere."""
    p1, l1, b = math.radians(lat_deg), math.radians(lon_deg), math.radians(bearing_deg)
    d = range_km / EARTH_RADIUS_KM
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def flight_time_estimate_s(range_km: float, lofted: bool) -> float:
    """Rough minimum-energy flight time (boost included); a lofted shot takes longer."""
    return (300.0 + 0.25 * range_km) * (1.6 if lofted else 1.0)


@dataclass(frozen=True)
class Asset:
    """A chosen defended asset."""

    id: str
    partner: str
    site: Site
    value: int


def choose_assets(partners: Sequence[str], count: int, rng: np.random.Generator) -> list[Asset]:
    """Take ``count`` asset sites round-robin over the partners, in list order."""
    per_partner = len(ASSET_SITES[partners[0]])
    count = min(count, per_partner * len(partners))
    assets = []
    for k in range(count):
        partner = partners[k % len(partners)]
        site = ASSET_SITES[partner][k // len(partners)]
        slug = site.name.split()[-1].lower()
        value = 100 if k < len(partners) else int(rng.integers(5, 11)) * 10
        assets.append(Asset(f"{partner}-{slug}", partner, site, value))
    return assets


def fmt(value: Any) -> str:
    """One YAML flow value: numbers compact, strings JSON-quoted unless a plain id."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    text = str(value)
    plain = text.replace("-", "").replace("_", "").replace(".", "").isalnum()
    return text if plain and not text[0].isdigit() else json.dumps(text)


def partner_entries(partners: Sequence[str]) -> list[dict[str, Any]]:
    """Partners: every one defends every other's assets and fires on released tracks."""
    entries = []
    for pid in partners:
        lat, lon = COMMAND_POSTS[pid]
        others = [p for p in partners if p != pid]
        entries.append(
            {
                "id": pid,
                "name": PARTNER_NAMES[pid],
                "color": PARTNER_COLORS[pid],
                "command_post": {"lat_deg": lat, "lon_deg": lon},
                "engagement": {
                    "defend": others,
                    "engage_on_remote": True,
                    "consent": CONSENT[pid],
                },
            }
        )
    return entries


def sensor_entries(
    partners: Sequence[str], assets: Sequence[Asset], count: int
) -> list[dict[str, Any]]:
    """One infrared satellite per partner, early-warning radars, fire-control radars at assets."""
    entries: list[dict[str, Any]] = []
    for pid in partners[:count]:
        lon, delay, sigma = INFRARED[pid]
        entries.append(
            {
                "type": "infrared_satellite",
                "id": f"{pid}-ir-1",
                "partner": pid,
                "geo_lon_deg": lon,
                "processing_delay_s": delay,
                "frame_period_s": 5,
                "los_sigma_urad": sigma,
            }
        )
    radars = max(0, count - len(entries))
    max_ewr = sum(len(EARLY_WARNING_SITES[p]) for p in partners)
    n_ewr = min(max_ewr, radars, max(len(partners), radars // 5))
    for k in range(n_ewr):
        pid = partners[k % len(partners)]
        lat, lon, az = EARLY_WARNING_SITES[pid][k // len(partners)]
        entries.append(
            {
                "type": "radar",
                "id": f"{pid}-ewr-{k // len(partners) + 1}",
                "partner": pid,
                "role": "early_warning",
                "lat_deg": lat,
                "lon_deg": lon,
                "alt_m": 250,
                "boresight_az_deg": az,
                "sector_half_width_deg": 60,
                "max_range_km": 3000,
                "reference_range_km": 2000,
                "reference_snr_db": 13,
                "revisit_s": 10,
                "sigma_range_m": 150,
                "sigma_azimuth_mrad": 2.0,
                "sigma_elevation_mrad": 2.0,
                "false_alarms_per_scan": 0.5,
            }
        )
    fcr_per_partner: dict[str, int] = {}
    for k in range(radars - n_ewr):
        asset = assets[k % len(assets)]
        # A second radar at the same asset sits a few km away and looks the other way round.
        ring = k // len(assets)
        lat, lon = destination(asset.site.lat_deg, asset.site.lon_deg, 90.0 + 120.0 * ring, 5.0)
        az = bearing_deg(lat, lon, -40.0, asset.site.lon_deg - 3.0 + 6.0 * (ring % 2))
        number = fcr_per_partner.get(asset.partner, 0) + 1
        fcr_per_partner[asset.partner] = number
        entries.append(
            {
                "type": "radar",
                "id": f"{asset.partner}-fcr-{number}",
                "partner": asset.partner,
                "role": "fire_control",
                "lat_deg": lat,
                "lon_deg": lon,
                "alt_m": 100,
                "boresight_az_deg": round(az, 1) % 360.0,
                "sector_half_width_deg": 90,
                "max_range_km": 400,
                "reference_range_km": 250,
                "reference_snr_db": 15,
                "revisit_s": 2,
                "sigma_range_m": 20,
                "sigma_azimuth_mrad": 0.5,
                "sigma_elevation_mrad": 0.5,
                "false_alarms_per_scan": 0.2,
                "min_elevation_deg": -1.0,
            }
        )
    return entries


LOWER_TIER = {
    "interceptors": 12,
    "launchers": 3,
    "fire_channels": 3,
    "max_range_km": 120,
    "max_alt_km": 35,
    "flyout_speed_mps": 1500,
    "pk": {"ballistic": 0.75, "cruise": 0.85, "aircraft": 0.85},
}
UPPER_TIER = {
    "interceptors": 10,
    "launchers": 4,
    "fire_channels": 2,
    "min_range_km": 10,
    "max_range_km": 400,
    "min_alt_km": 40,
    "max_alt_km": 150,
    "flyout_speed_mps": 3000,
    "pk": {"ballistic": 0.7, "cruise": 0.0, "aircraft": 0.0},
}


def battery_entries(assets: Sequence[Asset], count: int) -> list[dict[str, Any]]:
    """Lower tier at every asset, then an upper tier near every asset, then more lower tiers."""
    entries = []
    per_partner: dict[str, int] = {}
    for k in range(count):
        asset = assets[k % len(assets)]
        ring = k // len(assets)
        upper = ring % 2 == 1
        # Each further battery at an asset stands a little further out, on another bearing.
        lat, lon = destination(
            asset.site.lat_deg, asset.site.lon_deg, 200.0 + 70.0 * ring, 4.0 + 8.0 * ring
        )
        number = per_partner.get(asset.partner, 0) + 1
        per_partner[asset.partner] = number
        entry: dict[str, Any] = {
            "id": f"{asset.partner}-bty-{number}",
            "partner": asset.partner,
            "lat_deg": lat,
            "lon_deg": lon,
        }
        entry.update(UPPER_TIER if upper else LOWER_TIER)
        entries.append(entry)
    return entries


def link_and_policy_entries(
    partners: Sequence[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A link between every pair; every partner releases four classes to all others."""
    links = []
    for i, a in enumerate(partners):
        for b in partners[i + 1 :]:
            links.append(
                {
                    "id": f"{a}-{b}",
                    "between": [a, b],
                    "latency_s": 2.0,
                    "jitter_s": 0.5,
                    "loss_probability": 0.01,
                    "bandwidth_msgs_per_s": 10000,
                }
            )
    policy = []
    classes = ("launch_alerts", "tracks", "detections", "engagement_status", "battery_status")
    for data_class in classes:
        for pid in partners:
            others = [p for p in partners if p != pid]
            if not others:
                continue
            rule: dict[str, Any] = {"from": pid, "to": others, "data_class": data_class}
            if data_class == "tracks":
                rule["delay_s"] = 1.0
            policy.append(rule)
    # the coalition cell (the first partner) may task the others' batteries
    policy.append(
        {"from": partners[0], "to": list(partners[1:]), "data_class": "engagement_orders"}
    )
    return links, policy


def salvo_sizes(total: int, rng: np.random.Generator) -> list[int]:
    """Split ``total`` launches into salvos of 4-16 (a smaller last one if need be)."""
    sizes = []
    left = total
    while left > 0:
        size = min(left, int(rng.integers(4, 17)))
        sizes.append(size)
        left -= size
    return sizes


def ballistic_launch(target: Asset, rng: np.random.Generator) -> tuple[float, float, float]:
    """A random launch point at sea within range of ``target``: (lat, lon, range km)."""
    site = target.site
    usable = []
    for area in LAUNCH_AREAS:
        centre = ((area[0] + area[1]) / 2, (area[2] + area[3]) / 2)
        if MIN_RANGE_KM <= ground_range_km(*centre, site.lat_deg, site.lon_deg) <= MAX_RANGE_KM:
            usable.append(area)
    area = usable[int(rng.integers(len(usable)))]
    lat = float(rng.uniform(area[0], area[1]))
    lon = float(rng.uniform(area[2], area[3]))
    return lat, lon, ground_range_km(lat, lon, site.lat_deg, site.lon_deg)


def ballistic_entries(
    assets: Sequence[Asset], count: int, duration_s: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Salvos of ballistic missiles over the run, then one accidental launch."""
    if count <= 0:
        return []
    sizes = salvo_sizes(count - 1, rng)
    values = np.array([a.value for a in assets], dtype=float)
    entries: list[dict[str, Any]] = []
    for k, size in enumerate(sizes):
        target = assets[int(rng.choice(len(assets), p=values / values.sum()))]
        lat, lon, range_km = ballistic_launch(target, rng)
        lofted = bool(rng.random() < 0.1)
        burn_s = float(np.clip(40.0 + range_km / 40.0, 45.0, 110.0))
        over_s = float(size * rng.uniform(5.0, 10.0)) if size > 1 else 0.0
        latest_s = duration_s - 60.0 - flight_time_estimate_s(range_km, lofted) - over_s
        # Salvo k of K starts in its share of the run (jittered), never after latest_s.
        share_s = (k + float(rng.uniform(0.0, 1.0))) / len(sizes) * 1100.0
        launch_s = float(np.clip(30.0 + share_s, 30.0, max(30.0, latest_s)))
        entry: dict[str, Any] = {
            "type": "ballistic",
            "id": f"raid-{k + 1:03d}",
            "launch": {"lat_deg": lat, "lon_deg": lon},
            "aim": {"lat_deg": target.site.lat_deg, "lon_deg": target.site.lon_deg},
            "launch_time_s": round(launch_s),
        }
        if lofted:
            entry.update({"profile": "fixed-gamma", "gamma_deg": 60, "rcs_class": "small"})
        entry["burn_time_s"] = round(burn_s)
        if size > 1:
            entry["salvo"] = {"count": size, "over_s": round(over_s)}
        entries.append(entry)
    # The "accidental" launch: one stray missile late in the run, toward a random asset.
    target = assets[int(rng.integers(len(assets)))]
    lat, lon, range_km = ballistic_launch(target, rng)
    latest_s = duration_s - 60.0 - flight_time_estimate_s(range_km, False)
    entries.append(
        {
            "type": "ballistic",
            "id": "stray-1",
            "launch": {"lat_deg": lat, "lon_deg": lon},
            "aim": {"lat_deg": target.site.lat_deg, "lon_deg": target.site.lon_deg},
            "launch_time_s": round(max(30.0, min(1000.0, latest_s))),
            "burn_time_s": 50,
            "accidental": True,
        }
    )
    return entries


def cruise_entries(
    assets: Sequence[Asset], count: int, duration_s: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Small salvos of sea-skimming cruise missiles toward coastal assets, with a dogleg."""
    coastal = [a for a in assets if a.site.sea_bearing_deg is not None]
    if count <= 0 or not coastal:
        return []
    entries = []
    left, k = count, 0
    while left > 0:
        size = min(left, int(rng.integers(2, 6)))
        left -= size
        k += 1
        target = coastal[int(rng.integers(len(coastal)))]
        site = target.site
        assert site.sea_bearing_deg is not None
        out_deg = site.sea_bearing_deg + float(rng.uniform(-25.0, 25.0))
        range_km = float(rng.uniform(200.0, 320.0))
        start = destination(site.lat_deg, site.lon_deg, out_deg, range_km)
        # The dogleg: a turn point off the straight line, a third of the way in.
        turn = destination(
            site.lat_deg, site.lon_deg, out_deg + float(rng.choice([-35.0, 35.0])), range_km * 0.45
        )
        speed_mps = float(rng.uniform(240.0, 280.0))
        over_s = float(rng.uniform(10.0, 30.0))
        flight_s = 1.3 * range_km * 1000.0 / speed_mps
        latest_s = max(60.0, duration_s - 60.0 - flight_s - over_s)
        entry: dict[str, Any] = {
            "type": "cruise",
            "id": f"cm-{k:03d}",
            "launch_time_s": round(float(rng.uniform(60.0, latest_s))),
            "waypoints": [
                {"lat_deg": start[0], "lon_deg": start[1]},
                {"lat_deg": turn[0], "lon_deg": turn[1]},
                {"lat_deg": site.lat_deg, "lon_deg": site.lon_deg},
            ],
            "speed_mps": round(speed_mps),
            "altitude_m": int(rng.integers(5, 11)) * 10,
        }
        if size > 1:
            entry["salvo"] = {"count": size, "over_s": round(over_s)}
        entries.append(entry)
    return entries


def default_size(threats: int) -> int:
    """Sensors and batteries for a threat count, interpolated on issue 10's table."""
    points = np.array([10.0, 100.0, 300.0, 1000.0])
    sizes = np.array([7.0, 16.0, 25.0, 40.0])
    return int(round(float(np.interp(math.log(max(threats, 1)), np.log(points), sizes))))


def build_scenario(
    threats: int,
    cruise: int,
    sensors: int,
    batteries: int,
    partners: int,
    seed: int,
    duration_s: float = 1800.0,
) -> dict[str, Any]:
    """The scenario as plain data (section name -> value or list of entries)."""
    rng = np.random.default_rng(seed)
    pids = PARTNER_IDS[:partners]
    n_assets = max(2 * partners, math.ceil(batteries / 2))
    assets = choose_assets(pids, n_assets, rng)
    links, policy = link_and_policy_entries(pids)
    return {
        "partners": partner_entries(pids),
        "defended_assets": [
            {
                "id": a.id,
                "partner": a.partner,
                "name": a.site.name,
                "lat_deg": a.site.lat_deg,
                "lon_deg": a.site.lon_deg,
                "value": a.value,
            }
            for a in assets
        ],
        "sensors": sensor_entries(pids, assets, sensors),
        "batteries": battery_entries(assets, batteries),
        "links": links,
        "policy": policy,
        "threats": ballistic_entries(assets, threats, duration_s, rng)
        + cruise_entries(assets, cruise, duration_s, rng),
    }


def render(sections: dict[str, Any], command: str, threats: int, cruise: int) -> str:
    """The scenario file's text: a header, the run settings, then one flow line per entry."""
    partners = sections["partners"]
    lines = [
        f"# Large raid, generated by: {command}",
        "# Do not edit by hand; regenerate. Geography is the joint exercise's theatre (the",
        "# south of a continent and the sea beyond it); every partner, asset name, force,",
        "# sensor, interceptor and link parameter is invented and generic.",
        f"name: large-raid-{threats}",
        "description: >",
        f"  {len(partners)} partners defend {len(sections['defended_assets'])} assets"
        f" with {len(sections['sensors'])} sensors and {len(sections['batteries'])} batteries",
        f"  against {threats} ballistic and {cruise} cruise missiles launched from the sea",
        "  to the south: a benchmark of the engine's cost at scale (docs/BENCHMARKS.md).",
        "epoch: 2026-03-14T06:00:00Z",
        "duration_s: 1800",
        "time_step_s: 1.0",
        "output_interval_s: 5.0",
        "seed: 1",
        "coordination_mode: shared-warning",
        "earth: {rotation: true, j2: false, drag: true}",
        "c2: {coalition_cell: north, min_value_saved: 15}",
    ]
    for section in (
        "partners",
        "defended_assets",
        "sensors",
        "batteries",
        "links",
        "policy",
        "threats",
    ):
        entries = sections[section]
        lines.append("")
        lines.append(f"{section}:" if entries else f"{section}: []")
        lines.extend(f"  - {fmt(entry)}" for entry in entries)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write a large raid scenario (YAML) to stdout.",
    )
    parser.add_argument("--threats", type=int, required=True, help="ballistic missiles")
    parser.add_argument("--cruise", type=int, help="cruise missiles (default: 5%% of --threats)")
    parser.add_argument("--sensors", type=int, help="sensors (default: from issue 10's table)")
    parser.add_argument("--batteries", type=int, help="batteries (default: as sensors)")
    parser.add_argument("--partners", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threats < 1:
        parser.error("--threats must be at least 1")
    cruise = round(0.05 * args.threats) if args.cruise is None else args.cruise
    sensors = default_size(args.threats) if args.sensors is None else args.sensors
    batteries = sensors if args.batteries is None else args.batteries
    for name, value in (("--cruise", cruise), ("--sensors", sensors), ("--batteries", batteries)):
        if value < 0:
            parser.error(f"{name} must not be negative")
    command = command_line(args.threats, cruise, sensors, batteries, args.partners, args.seed)
    sections = build_scenario(args.threats, cruise, sensors, batteries, args.partners, args.seed)
    sys.stdout.write(render(sections, command, args.threats, cruise))


def command_line(
    threats: int, cruise: int, sensors: int, batteries: int, partners: int, seed: int
) -> str:
    """The full command that reproduces a file (every option spelled out)."""
    return (
        f"python benchmarks/make_large_raid.py --threats {threats} --cruise {cruise} "
        f"--sensors {sensors} --batteries {batteries} --partners {partners} --seed {seed}"
    )


if __name__ == "__main__":
    main()
