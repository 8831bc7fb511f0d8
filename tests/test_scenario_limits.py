"""Scenario values the models cannot run are refused with the bound; implausible ones warned.

Issue 13 ("tracebacks instead of exit 2", "silent acceptance") and issue 14 ("errors and
docs": unknown partners only in a second round, hints suggesting the same key).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from skyweave.cli import main
from skyweave.errors import InputError
from skyweave.scenario import load_scenario
from skyweave.scenario.run_size import MAX_RUN_BYTES, check_run_size, estimate_run_size

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _data() -> dict[str, Any]:
    return YAML(typ="safe").load(EXAMPLE.read_text())


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "s.yaml"
    yaml = YAML(typ="safe")
    with path.open("w") as fh:
        yaml.dump(data, fh)
    return path


def _validate(tmp_path: Path, mutate: Any) -> tuple[int, str, str]:
    data = _data()
    mutate(data)
    result = CliRunner().invoke(main, ["validate", str(_write(tmp_path, data))])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("mutate", "path_text", "bound"),
    [
        (
            lambda d: d["sensors"][2].update(false_alarms_per_scan=1e308),
            "sensors[2].false_alarms_per_scan",
            "less than or equal to 1000",
        ),
        (
            lambda d: d["policy"][3].update(position_noise_m=1e308),
            "policy[3].position_noise_m",
            "less than or equal to 100000",
        ),
        (
            lambda d: d["sensors"][2].update(revisit_s=1e-9),
            "sensors[2].revisit_s",
            "greater than or equal to 0.1",
        ),
        (lambda d: d.update(time_step_s=1e-6), "time_step_s", "greater than or equal to 0.01"),
        (
            lambda d: d["sensors"][0].update(frame_period_s=1e-6),
            "sensors[0].frame_period_s",
            "greater than or equal to 0.1",
        ),
        (
            lambda d: d["links"][0].update(bandwidth_msgs_per_s=1e-300),
            "links[0].bandwidth_msgs_per_s",
            "greater than or equal to 0.01",
        ),
        (
            lambda d: d["threats"][3].update(speed_mps=1e308),
            "threats[3].speed_mps",
            "less than or equal to 1500",
        ),
        (
            lambda d: d["injects"][0].update(text="x" * 100_000),
            "injects[0].text",
            "at most 2000 characters",
        ),
    ],
)
def test_values_the_models_cannot_run_are_refused_with_the_bound(
    tmp_path: Path, mutate: Any, path_text: str, bound: str
) -> None:
    code, _, err = _validate(tmp_path, mutate)
    assert code == 2
    assert path_text in err and bound in err, err
    assert len(err) < 2_000  # a huge value is not echoed in full


def test_memory_guard_refuses_a_run_too_large_before_it_starts(tmp_path: Path) -> None:
    def huge(d: dict[str, Any]) -> None:
        d.update(duration_s=86_400, time_step_s=0.01)
        d["threats"][0]["salvo"] = {"count": 1000, "over_s": 600}

    code, _, err = _validate(tmp_path, huge)
    assert code == 2
    assert "GiB of memory, above the 8 GiB limit" in err
    assert "time_step_s" in err


def test_run_size_counts_match_a_hand_count() -> None:
    scenario = load_scenario(EXAMPLE)
    size = estimate_run_size(scenario)
    # hand count from the example: 1800 s at 1 s; threats 3 + 2 + 1 + 2 + 1 + 1 = 10,
    # interceptors 12 + 8 + 12 + 8 + 10 = 50
    assert size.steps == 1801
    assert size.objects == 60
    # radars: 2 early-warning at 10 s (181 scans), 3 fire-control at 2 s (901 scans);
    # infrared: 2 satellites at 5 s (361 frames); rows = the tenth of the threats a
    # sensor sees at a time (measured 1/18 to 1/78) + false alarms per scan
    radar_rows = 2 * 181 * (1.0 + 0.5) + 3 * 901 * (1.0 + 0.2)
    ir_rows = 2 * 361 * 1.0
    assert size.detection_rows == pytest.approx(radar_rows + ir_rows)
    assert size.bytes < MAX_RUN_BYTES / 8  # the example is far from the limit
    # and the estimate errs high: the example run makes about 2,100 detections
    assert size.detection_rows > 2_100
    check_run_size(scenario)  # no error
    with pytest.raises(InputError, match="GiB of memory"):
        check_run_size(scenario, limit_bytes=1e6)


def test_run_cli_checks_run_size_before_running(tmp_path: Path) -> None:
    data = _data()
    data.update(duration_s=86_400, time_step_s=0.01)
    data["threats"][0]["salvo"] = {"count": 1000, "over_s": 600}
    path = _write(tmp_path, data)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "GiB of memory" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--until", "nan"),
        ("--until", "inf"),
        ("--until", "-5"),
        ("--dis-time-scale", "nan"),
        ("--dis-time-scale", "inf"),
    ],
)
def test_run_options_must_be_finite(tmp_path: Path, option: str, value: str) -> None:
    result = CliRunner().invoke(
        main, ["run", str(EXAMPLE), option, value, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert option in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("aim", "expected"),
    [
        ({"lat_deg": -38.0, "lon_deg": 124.0}, "aim point equals the launch point"),
        ({"lat_deg": 38.0, "lon_deg": -56.0}, "antipodal"),
    ],
)
def test_aim_point_on_or_opposite_the_launch_point_refused(
    tmp_path: Path, aim: dict[str, float], expected: str
) -> None:
    code, _, err = _validate(tmp_path, lambda d: d["threats"][0].update(aim=aim))
    assert code == 2
    assert "threats[0]" in err and expected in err, err


def test_time_step_that_does_not_divide_the_output_interval_is_refused(tmp_path: Path) -> None:
    code, _, err = _validate(tmp_path, lambda d: d.update(time_step_s=0.7))
    assert code == 2
    # 5 / 0.7 = 7.14 steps: the nearest whole numbers of steps are 7 and 8
    assert "output_interval_s" in err
    assert f"{7 * 0.7:g} s or {8 * 0.7:g} s" in err, err


def test_decision_interval_defaults_to_the_output_interval_and_must_divide(
    tmp_path: Path,
) -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.decision_interval_s is None
    assert scenario.decision_period_s == scenario.output_interval_s
    code, _, _ = _validate(tmp_path, lambda d: d.update(time_step_s=0.5, decision_interval_s=7))
    assert code == 0
    code, _, err = _validate(tmp_path, lambda d: d.update(decision_interval_s=2.5))
    assert code == 2
    assert "decision_interval_s" in err and "2 s or 3 s" in err


def test_implausible_values_are_warnings_not_errors(tmp_path: Path) -> None:
    def implausible(d: dict[str, Any]) -> None:
        d["threats"][3]["speed_mps"] = 0.8
        asset = d["defended_assets"][0]
        asset["lat_deg"], asset["lon_deg"] = asset["lon_deg"] % 90, asset["lat_deg"]

    code, out, err = _validate(tmp_path, implausible)
    assert code == 0
    assert "valid" in out
    assert "warning:" in err
    assert "threats[3].speed_mps: 0.8 m/s is slower than any cruise" in err
    # route 136.2/-37.2 -> 137.6/-36.2 -> 138.55/-34.9: about 390 km at 0.8 m/s
    assert "threats[3].waypoints: the flight takes" in err
    assert "defended_assets[0]" in err and "latitude and longitude swapped?" in err


def test_far_asset_distance_matches_the_haversine(tmp_path: Path) -> None:
    def moved(d: dict[str, Any]) -> None:
        d["defended_assets"][0].update(lat_deg=10.0, lon_deg=133.9)

    _, _, err = _validate(tmp_path, moved)
    # nearest radar: north-fcr-1 at (-23.85, 133.80); haversine on the 6371 km sphere
    lat1, lat2, dlon = math.radians(10.0), math.radians(-23.85), math.radians(0.1)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    expected_km = 2 * 6371 * math.asin(math.sqrt(h))
    assert f"{expected_km:,.0f} km from the nearest radar (north-fcr-1)" in err, err


def test_unknown_partners_reported_with_field_errors_in_one_round(tmp_path: Path) -> None:
    def mistakes(d: dict[str, Any]) -> None:
        d["threats"][0]["burn_time_s"] = -1  # field error
        d["sensors"][0]["partner"] = "west"  # cross-references
        d["batteries"][1]["partner"] = "south"
        d["links"][0]["between"] = ["north", "nowhere"]
        d["policy"][0]["to"] = ["nobody"]
        d["injects"][0]["target"] = "no-such-radar"

    code, _, err = _validate(tmp_path, mistakes)
    assert code == 2
    for text in (
        "threats[0].burn_time_s",
        "sensors[0].partner: unknown partner 'west'",
        "batteries[1].partner: unknown partner 'south'",
        "links[0].between[1]: unknown partner 'nowhere'",
        "policy[0].to[0]: unknown partner 'nobody'",
        "injects[0].target: unknown sensor 'no-such-radar'",
    ):
        assert text in err, err


def test_hint_says_where_a_misplaced_key_belongs(tmp_path: Path) -> None:
    code, _, err = _validate(tmp_path, lambda d: d["threats"][0].update(range_km=1000))
    assert code == 2
    assert "unknown key 'range_km' here; it belongs under threats[i].aim (ballistic)" in err
    assert "did you mean 'range_km'" not in err
    code, _, err = _validate(tmp_path, lambda d: d["sensors"][2].update(revisit=3))
    assert "did you mean 'revisit_s'?" in err
