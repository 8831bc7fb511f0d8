"""``skyweave trajectory``: fly one notional ballistic shot and print its figures.

Examples::

    skyweave trajectory --range-km 1000 --no-rotation --no-drag --no-boost
    skyweave trajectory --from 40,10 --to 45,30 --gamma-deg 50 --json
"""

from __future__ import annotations

import json
import math
import re

import click
import numpy as np

from skyweave.constants import R_EARTH_MEAN_M
from skyweave.kinematics.ballistic import (
    MAX_RANGE_ANGLE_RAD,
    BallisticBatch,
    BallisticOptions,
    propagate_ballistic,
)
from skyweave.kinematics.closed_form import fixed_gamma, minimum_energy


class _LatLon(click.ParamType):
    """``LAT,LON`` in degrees."""

    name = "LAT,LON"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, float]:
        if isinstance(value, tuple):
            return value
        parts = str(value).split(",")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            self.fail(f"expected LAT,LON in degrees (e.g. 40.5,-3.2), got {value!r}", param, ctx)
        if not (math.isfinite(lat) and math.isfinite(lon)):
            self.fail(f"latitude and longitude must be finite, got {value!r}", param, ctx)
        if abs(lat) > 90.0:
            self.fail(f"latitude must be within [-90, 90], got {lat:g}", param, ctx)
        return lat, (lon + 180.0) % 360.0 - 180.0


LAT_LON = _LatLon()


def _direct(
    lat_deg: float, lon_deg: float, az_deg: float, range_m: float, radius_m: float
) -> tuple[float, float]:
    """Point at a great-circle distance and azimuth on a sphere."""
    phi0, az, d = math.radians(lat_deg), math.radians(az_deg), range_m / radius_m
    phi1 = math.asin(math.sin(phi0) * math.cos(d) + math.cos(phi0) * math.sin(d) * math.cos(az))
    dlon = math.atan2(
        math.sin(az) * math.sin(d) * math.cos(phi0), math.cos(d) - math.sin(phi0) * math.sin(phi1)
    )
    return math.degrees(phi1), (lon_deg + math.degrees(dlon) + 180.0) % 360.0 - 180.0


@click.command("trajectory")
@click.option("--range-km", type=float, default=None, help="Ground range of the shot.")
@click.option(
    "--from",
    "from_",
    type=LAT_LON,
    default=None,
    help="Launch point LAT,LON (deg). Default with --range-km: 0,0.",
)
@click.option("--to", "to", type=LAT_LON, default=None, help="Aim point LAT,LON (deg).")
@click.option(
    "--azimuth-deg",
    type=click.FloatRange(0.0, 360.0),
    default=0.0,
    show_default=True,
    help="Launch azimuth with --range-km (from north, through east).",
)
@click.option("--min-energy", is_flag=True, help="Minimum-energy trajectory (the default).")
@click.option(
    "--gamma-deg",
    type=click.FloatRange(0.0, 90.0, min_open=True, max_open=True),
    default=None,
    help="Burnout flight-path angle instead of minimum energy.",
)
@click.option("--no-rotation", is_flag=True, help="Non-rotating Earth.")
@click.option("--no-drag", is_flag=True, help="No atmosphere.")
@click.option("--no-boost", is_flag=True, help="Burnout at launch, on the ground.")
@click.option("--j2", is_flag=True, help="Add J2 to central gravity.")
@click.option(
    "--burn-time-s",
    type=click.FloatRange(0.0, 600.0, min_open=True),
    default=60.0,
    show_default=True,
)
@click.option(
    "--ballistic-coeff",
    type=click.FloatRange(0.0, min_open=True),
    default=5000.0,
    show_default=True,
    help="Ballistic coefficient, kg/m^2.",
)
@click.option(
    "--sphere-km",
    type=click.FloatRange(1000.0, 10000.0),
    default=None,
    help="Spherical ground of this radius instead of WGS84 (6371 for the textbook case).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def trajectory_command(
    range_km: float | None,
    from_: tuple[float, float] | None,
    to: tuple[float, float] | None,
    azimuth_deg: float,
    min_energy: bool,
    gamma_deg: float | None,
    no_rotation: bool,
    no_drag: bool,
    no_boost: bool,
    j2: bool,
    burn_time_s: float,
    ballistic_coeff: float,
    sphere_km: float | None,
    as_json: bool,
) -> None:
    """Fly one notional ballistic shot (targeted at its aim point) and print its figures.

    Give either --range-km (from --from, default 0,0, along --azimuth-deg) or
    both --from and --to. Also prints the closed-form spherical-Earth values
    (Bate, Mueller & White 1971) for comparison.
    """
    if min_energy and gamma_deg is not None:
        raise click.UsageError("give --min-energy or --gamma-deg, not both")
    radius_m = sphere_km * 1e3 if sphere_km is not None else R_EARTH_MEAN_M
    if range_km is not None:
        if to is not None:
            raise click.UsageError("give --range-km or --to, not both")
        max_km = MAX_RANGE_ANGLE_RAD * radius_m / 1e3
        if not (0.0 < range_km <= max_km):
            raise click.BadParameter(
                f"must be in (0, {max_km:.0f}] km, got {range_km:g}", param_hint="--range-km"
            )
        launch = from_ if from_ is not None else (0.0, 0.0)
        aim = _direct(launch[0], launch[1], azimuth_deg, range_km * 1e3, radius_m)
    else:
        if from_ is None or to is None:
            raise click.UsageError("give --range-km D, or both --from LAT,LON and --to LAT,LON")
        launch, aim = from_, to

    def one(value: float) -> np.ndarray:
        return np.array([value], dtype=np.float64)

    batch = BallisticBatch(
        launch_lat_deg=one(launch[0]),
        launch_lon_deg=one(launch[1]),
        launch_alt_m=one(0.0),
        launch_time_s=one(0.0),
        aim_lat_deg=one(aim[0]),
        aim_lon_deg=one(aim[1]),
        gamma_deg=one(np.nan if gamma_deg is None else gamma_deg),
        burn_time_s=one(burn_time_s),
        ballistic_coeff_kg_m2=one(ballistic_coeff),
    )
    options = BallisticOptions(
        rotation=not no_rotation,
        j2=j2,
        drag=not no_drag,
        boost=not no_boost,
        spherical_radius_m=None if sphere_km is None else radius_m,
    )
    try:
        res = propagate_ballistic(batch, [0.0], options)
    except ValueError as exc:
        message = re.sub(r" \(threat indices .*\)$", "", str(exc))
        raise click.UsageError(message.replace("ballistic batch: ", "")) from None

    range_m = float(res.range_m[0])
    if gamma_deg is None:
        closed = minimum_energy(range_m, radius_m=radius_m)
    else:
        closed = fixed_gamma(range_m, math.radians(gamma_deg), radius_m=radius_m)
    out = {
        "launch_lat_deg": launch[0],
        "launch_lon_deg": launch[1],
        "aim_lat_deg": aim[0],
        "aim_lon_deg": aim[1],
        "range_km": range_m / 1e3,
        "flight_time_s": float(res.flight_time_s[0]),
        "apogee_km": float(res.apogee_alt_m[0]) / 1e3,
        "burnout_speed_mps": float(res.burnout_speed_mps[0]),
        "burnout_time_s": float(res.burnout_time_s[0]),
        "gamma_deg": float(res.gamma_deg[0]),
        "azimuth_deg": float(res.azimuth_deg[0]),
        "impact_lat_deg": float(res.impact_lat_deg[0]),
        "impact_lon_deg": float(res.impact_lon_deg[0]),
        "miss_m": float(res.miss_m[0]),
        "targeting_iterations": int(res.iterations[0]),
        "options": {
            "rotation": options.rotation,
            "drag": options.drag,
            "boost": options.boost,
            "j2": options.j2,
            "ground": "WGS84" if sphere_km is None else f"sphere {sphere_km:g} km",
        },
        "closed_form": {
            "flight_time_s": float(closed.flight_time_s),
            "apogee_km": float(closed.apogee_altitude_m) / 1e3,
            "burnout_speed_mps": float(closed.burnout_speed_mps),
            "gamma_deg": math.degrees(float(closed.gamma_rad)),
        },
    }
    if not (math.isfinite(res.flight_time_s[0]) and math.isfinite(res.apogee_alt_m[0])):
        raise click.UsageError("the shot did not come down: no trajectory for these arguments")
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    _print_table(out)


def _print_table(out: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    closed = out["closed_form"]
    assert isinstance(closed, dict)
    opts = out["options"]
    assert isinstance(opts, dict)
    on = [name for name in ("rotation", "drag", "boost", "j2") if opts[name]]
    table = Table(
        title=(
            f"Ballistic shot {out['launch_lat_deg']:.3f},{out['launch_lon_deg']:.3f} -> "
            f"{out['aim_lat_deg']:.3f},{out['aim_lon_deg']:.3f}"
        ),
        caption=f"effects: {', '.join(on) or 'none (vacuum)'}; ground: {opts['ground']}",
    )
    table.add_column("quantity")
    table.add_column("simulated", justify="right")
    table.add_column("closed form", justify="right")
    table.add_row("range (km)", f"{out['range_km']:.1f}", f"{out['range_km']:.1f}")
    table.add_row(
        "flight time (s)", f"{out['flight_time_s']:.1f}", f"{closed['flight_time_s']:.1f}"
    )
    table.add_row("apogee (km)", f"{out['apogee_km']:.1f}", f"{closed['apogee_km']:.1f}")
    table.add_row(
        "burnout speed (m/s)",
        f"{out['burnout_speed_mps']:.1f}",
        f"{closed['burnout_speed_mps']:.1f}",
    )
    table.add_row(
        "flight-path angle (deg)", f"{out['gamma_deg']:.2f}", f"{closed['gamma_deg']:.2f}"
    )
    table.add_row("azimuth (deg)", f"{out['azimuth_deg']:.2f}", "")
    table.add_row(
        "impact (lat, lon deg)", f"{out['impact_lat_deg']:.4f}, {out['impact_lon_deg']:.4f}", ""
    )
    table.add_row("miss to aim (m)", f"{out['miss_m']:.1f}", "")
    Console(width=100).print(table)
