"""``skyweave trajectory`` through Click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from skyweave.cli import main

VACUUM = ["--no-rotation", "--no-drag", "--no-boost", "--sphere-km", "6371"]


def run(*args: str):
    return CliRunner().invoke(main, ["trajectory", *args])


def test_json_min_energy_matches_published_values() -> None:
    result = run("--range-km", "3000", *VACUUM, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # BMW 1971 sec. 6.2: 3000 km minimum-energy shot on a 6371 km sphere
    assert out["range_km"] == pytest.approx(3000.0, rel=1e-9)
    assert out["flight_time_s"] == pytest.approx(895.0, rel=5e-3)
    assert out["apogee_km"] == pytest.approx(655.2, rel=5e-3)
    assert out["burnout_speed_mps"] == pytest.approx(4865.0, rel=1e-3)
    assert out["gamma_deg"] == pytest.approx(38.26, abs=0.01)
    assert out["miss_m"] < 100.0
    for key in ("impact_lat_deg", "impact_lon_deg", "closed_form", "options"):
        assert key in out


def test_json_from_to_with_all_effects_hits_the_aim() -> None:
    result = run("--from", "40,10", "--to", "45,30", "--gamma-deg", "50", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["gamma_deg"] == pytest.approx(50.0)
    assert out["miss_m"] < 1000.0
    assert out["impact_lat_deg"] == pytest.approx(45.0, abs=0.01)
    assert out["impact_lon_deg"] == pytest.approx(30.0, abs=0.01)
    assert out["options"] == {
        "rotation": True,
        "drag": True,
        "boost": True,
        "j2": False,
        "ground": "WGS84",
    }


def test_table_output() -> None:
    result = run("--range-km", "1000", *VACUUM)
    assert result.exit_code == 0, result.output
    assert "flight time (s)" in result.output
    assert "474.4" in result.output  # BMW 1971, 1000 km
    assert "239.9" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "40,x", "--to", "1,2"], "LAT,LON"),
        (["--from", "95,0", "--to", "1,2"], "latitude"),
        (["--range-km", "-5"], "--range-km"),
        (["--range-km", "50000"], "--range-km"),
        (["--range-km", "100", "--to", "1,2"], "not both"),
        (["--from", "1,2"], "--to"),
        ([], "--range-km"),
        (["--range-km", "100", "--gamma-deg", "95"], "--gamma-deg"),
        (["--range-km", "100", "--gamma-deg", "30", "--min-energy"], "not both"),
        (["--from", "1,2", "--to", "1,2"], "coincides"),
    ],
)
def test_bad_arguments_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
