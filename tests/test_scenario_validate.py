"""`skyweave validate`: every kind of user mistake gives exit 2 and a located message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from skyweave.cli import main
from skyweave.scenario import load_scenario
from skyweave.scenario.expand import expand_threats

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def _example_data() -> dict:
    yaml = YAML(typ="safe")
    return yaml.load(EXAMPLE.read_text())


def _write(tmp_path: Path, data: object, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with path.open("w") as fh:
        yaml.dump(data, fh)
    return path


def _validate(*paths: Path | str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *map(str, paths)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_example_is_valid(example_path: Path) -> None:
    code, out = _validate(example_path)
    assert code == 0, out
    assert "valid" in out


def test_examples_folder_all_valid() -> None:
    paths = sorted((EXAMPLE.parent).glob("*.yaml"))
    assert paths
    code, out = _validate(*paths)
    assert code == 0, out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("   \n# only a comment\n", "file is empty"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("42\n", "expected a mapping"),
        ("a: 1\na: 2\n", "not valid YAML"),
    ],
)
def test_not_a_scenario(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, out = _validate(path)
    assert code == 2
    assert str(path) in out
    assert expected in out


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    code, out = _validate(tmp_path / "nope.yaml")
    assert code == 2 and "file not found" in out
    code, out = _validate(tmp_path)
    assert code == 2 and "directory" in out
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    code, out = _validate(path)
    assert code == 2 and "UTF-8" in out
    if os.geteuid() != 0:  # root reads anything, so the permission case needs a user
        locked = tmp_path / "locked.yaml"
        locked.write_text("name: x\n")
        locked.chmod(0)
        code, out = _validate(locked)
        assert code == 2 and "permission" in out


def _mutated(tmp_path: Path, mutate) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    data = _example_data()
    mutate(data)
    return _validate(_write(tmp_path, data))


@pytest.mark.parametrize(
    ("mutate", "path_text", "expected"),
    [
        (
            lambda d: d["threats"][3]["waypoints"][0].update(lat_deg=200),
            "threats[3].waypoints[0].lat_deg",
            "less than or equal to 90",
        ),
        (
            lambda d: d["threats"][0]["launch"].update(lat_deg=-91),
            "threats[0].launch.lat_deg",
            "greater than or equal to -90",
        ),
        (
            lambda d: d["threats"][3].update(speed_mps=-10),
            "threats[3].speed_mps",
            "greater than or equal to 0.1",
        ),
        (
            lambda d: d["threats"][0].update(burn_time_s="long"),
            "threats[0].burn_time_s",
            "valid number",
        ),
        (lambda d: d["threats"][0].update(colour="red"), "threats[0].colour", "unknown key"),
        (lambda d: d.update(duraton_s=5), "duraton_s", "did you mean 'duration_s'"),
        (lambda d: d.pop("epoch"), "epoch", "required field is missing"),
        (lambda d: d["sensors"][0].update(type="sonar"), "sensors[0]", "unknown type 'sonar'"),
        (
            lambda d: d["batteries"][0].update(min_range_km=500),
            "batteries[0]",
            "max_range_km must exceed",
        ),
        (lambda d: d["threats"][0].update(aim={"range_km": 100}), "threats[0].aim", "azimuth_deg"),
        (lambda d: d.update(partners="north"), "partners", "valid list"),
        (
            lambda d: d["partners"][1]["engagement"]["consent"].update(policy="maybe"),
            "partners[1].engagement.consent.policy",
            "'always', 'never' or 'after_delay'",
        ),
        (
            lambda d: d["partners"][0]["engagement"]["consent"].update(delay_s=-1),
            "partners[0].engagement.consent.delay_s",
            "greater than or equal to 0",
        ),
        (lambda d: d["c2"].update(wta_method="fast"), "c2.wta_method", "'heuristic' or 'exact'"),
        (lambda d: d["c2"].update(min_value_saved=-5), "c2.min_value_saved", "greater than"),
    ],
)
def test_schema_errors_name_the_field(
    tmp_path: Path, mutate, path_text: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    code, out = _mutated(tmp_path, mutate)
    assert code == 2
    assert path_text in out, out
    assert expected in out, out
    assert "s.yaml:" in out  # file and line


@pytest.mark.parametrize(
    ("mutate", "path_text", "expected"),
    [
        (lambda d: d["partners"].append({"id": "north"}), "partners[2].id", "duplicate partner id"),
        (lambda d: d["sensors"][1].update(id="north-ir-1"), "sensors[1].id", "duplicate id"),
        (
            lambda d: d["threats"].append({**d["threats"][0], "salvo": None}),
            "threats[6].id",
            "duplicate id 'raid-n'",
        ),
        (
            lambda d: d["sensors"][0].update(partner="west"),
            "sensors[0].partner",
            "unknown partner 'west'",
        ),
        (
            lambda d: d["links"][0].update(between=["north", "south"]),
            "links[0].between[1]",
            "unknown partner",
        ),
        (lambda d: d["policy"][0].update(to=["nobody"]), "policy[0].to[0]", "unknown partner"),
        (
            lambda d: d["injects"][0].update(target="no-such-radar"),
            "injects[0].target",
            "unknown sensor",
        ),
        (
            lambda d: d["threats"][0].update(launch_time_s=5000),
            "threats[0].launch_time_s",
            "not before the scenario ends",
        ),
        (
            lambda d: d["partners"][0]["engagement"].update(defend=["east", "south"]),
            "partners[0].engagement.defend[1]",
            "unknown partner 'south'",
        ),
        (
            lambda d: d["c2"].update(coalition_cell="west"),
            "c2.coalition_cell",
            "unknown partner 'west'",
        ),
        (
            lambda d: d["injects"].append({"time_s": 10, "kind": "battery_empty", "target": "x"}),
            "injects[5].target",
            "unknown battery 'x'",
        ),
    ],
)
def test_reference_errors_name_the_field(
    tmp_path: Path, mutate, path_text: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    code, out = _mutated(tmp_path, mutate)
    assert code == 2
    assert path_text in out, out
    assert expected in out, out


def test_every_problem_reported_once_per_line(tmp_path: Path) -> None:
    def two_mistakes(d: dict) -> None:
        d["threats"][0]["launch"]["lat_deg"] = 200
        d["threats"][3]["speed_mps"] = -1

    code, out = _mutated(tmp_path, two_mistakes)
    assert code == 2
    assert len([line for line in out.splitlines() if line.startswith("error:")]) == 2


def test_line_numbers_point_at_the_field(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("launch_time_s: 420", "launch_time_s: -420")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    expected_line = text.splitlines().index("    launch_time_s: -420") + 1
    code, out = _validate(path)
    assert code == 2
    assert f"s.yaml:{expected_line}: threats[2].launch_time_s" in out, out


def test_salvo_expansion_and_polar_aim(tmp_path: Path) -> None:
    data = _example_data()
    data["threats"][0]["salvo"] = {"count": 5, "over_s": 100}
    data["threats"][1]["aim"] = {"range_km": 1000, "azimuth_deg": 90}
    scenario = load_scenario(_write(tmp_path, data))
    ballistic, _ = expand_threats(scenario)
    raid = [b for b in ballistic if b.object_id.startswith("raid-n-")]
    assert [b.launch_time_s for b in raid] == [60.0, 85.0, 110.0, 135.0, 160.0]
    assert raid[-1].object_id == "raid-n-5"
    east = next(b for b in ballistic if b.object_id == "raid-e-1")
    # 1000 km due east along the -40 deg parallel's geodesic: about 11.7 deg of longitude.
    assert east.aim_lon_deg == pytest.approx(131.0 + 1000.0 / (111.32 * 0.7660), abs=0.1)
