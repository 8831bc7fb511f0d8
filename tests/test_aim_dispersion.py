"""Aim dispersion: a ballistic threat's ``cep_m`` spreads its impacts around the aim point."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from pymap3d.vincenty import vdist
from scipy.stats import binom

from skyweave.kinematics.from_scenario import build_truth, dispersed_aims
from skyweave.scenario.expand import BallisticLaunch
from skyweave.scenario.schema import Scenario

AIM = (-34.90, 138.55)


def _launch(k: int, cep_m: float) -> BallisticLaunch:
    return BallisticLaunch(
        object_id=f"m-{k}",
        launch_lat_deg=-40.0,
        launch_lon_deg=131.0,
        launch_alt_m=0.0,
        launch_time_s=0.0,
        aim_lat_deg=AIM[0],
        aim_lon_deg=AIM[1],
        gamma_deg=None,
        burn_time_s=60.0,
        ballistic_coeff_kg_m2=5000.0,
        rcs_class="medium",
        accidental=False,
        cep_m=cep_m,
    )


def _miss_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return np.array([vdist(AIM[0], AIM[1], a, o)[0] for a, o in zip(lat, lon, strict=True)])


def test_half_the_aims_fall_within_the_cep_and_draws_are_keyed_by_threat() -> None:
    n, cep_m = 2000, 1000.0
    launches = [_launch(k, cep_m) for k in range(n)]
    lat, lon = dispersed_aims(launches, seed=5)
    inside = int(np.sum(_miss_m(lat, lon) <= cep_m))
    assert binom.ppf(1e-6, n, 0.5) <= inside <= binom.isf(1e-6, n, 0.5)
    # the same seed, the same offsets; another threat's CEP does not move this one's
    again = dispersed_aims([replace(launches[0], cep_m=0.0), *launches[1:]], seed=5)
    assert np.array_equal(again[0][1:], lat[1:]) and again[0][0] == AIM[0]
    # default 0, or no run seed: every launch aims at the aim point
    lat0, _ = dispersed_aims([_launch(0, 0.0)], seed=5)
    lat_none, _ = dispersed_aims(launches[:3], seed=None)
    assert lat0[0] == AIM[0] and np.all(lat_none == AIM[0])


def test_an_unkilled_missile_lands_off_the_aim_point() -> None:
    spec = Scenario.model_validate(
        {
            "name": "cep",
            "epoch": "2026-03-14T06:00:00Z",
            "duration_s": 700,
            "partners": [{"id": "east"}],
            "threats": [
                {
                    "type": "ballistic",
                    "id": "m",
                    "launch": {"lat_deg": -40.0, "lon_deg": 131.0},
                    "aim": {"lat_deg": AIM[0], "lon_deg": AIM[1]},
                    "cep_m": 3000.0,
                }
            ],
        }
    )
    times = np.arange(0.0, 701.0, 1.0)
    _, (flight,) = build_truth(spec, times, seed=3)
    lat, lon = dispersed_aims([replace(_launch(0, 3000.0), object_id="m")], seed=3)
    assert flight.miss_to_aim_m > 10.0
    assert abs(flight.miss_to_aim_m - _miss_m(lat, lon)[0]) < 50.0
