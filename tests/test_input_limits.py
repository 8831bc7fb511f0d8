"""Hostile scenario and JSON files: refused fast with exit 2 and a message, never a hang.

Issue 13: an alias bomb grew memory without end, a long single-line comment parsed in
quadratic time (1 MB 34 s), deep nesting raised RecursionError, and ``scenario.json``
under ``--replay`` went through the same YAML path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import skyweave
from skyweave.cli import main
from skyweave.errors import InputError
from skyweave.scenario import load_scenario
from skyweave.scenario.safe_read import MAX_DEPTH, MAX_FILE_BYTES, read_document

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def _validate(path: Path) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(path)])
    seconds = time.perf_counter() - t0
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output, seconds


def test_billion_laughs_refused_in_under_a_second(tmp_path: Path) -> None:
    # 9 levels of 9 aliases: 9**9 = 387 million strings once expanded
    path = tmp_path / "bomb.yaml"
    path.write_text(EXAMPLE.read_text() + BOMB.replace("a: &a", "bomb_a: &a"))
    code, out, seconds = _validate(path)
    assert code == 2
    assert "expands to more than" in out and str(path) in out
    assert seconds < 1.0


def test_alias_bomb_in_replay_json_refused(tmp_path: Path) -> None:
    # scenario.json is read as JSON, which has no aliases: the bomb is not even JSON
    path = tmp_path / "scenario.json"
    path.write_text(BOMB)
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="not valid JSON"):
        load_scenario(path)
    assert time.perf_counter() - t0 < 1.0


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        "pk: {ballistic: 0.75, cruise: 0.85, aircraft: 0.85}}",
        "pk: &upper {ballistic: 0.75, cruise: 0.85, aircraft: 0.85}}",
        1,
    )
    text = text.replace("pk: {ballistic: 0.75, cruise: 0.85, aircraft: 0.85}}", "pk: *upper}")
    path = tmp_path / "alias.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    assert scenario.batteries[2].pk == scenario.batteries[0].pk
    assert scenario.batteries[2].pk.cruise == 0.85


def test_recursive_alias_refused(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    path.write_text("name: &a [x, *a]\n")
    code, out, _ = _validate(path)
    assert code == 2 and "recursive" in out


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text('{"name": ' + "[" * 50_000 + "]" * 50_000 + "}")
    code, out, seconds = _validate(path)
    assert code == 2
    assert f"nested more than {MAX_DEPTH} levels deep" in out
    assert seconds < 5.0


def test_nesting_just_within_the_limit_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert read_document(path) == {"a": _nested(MAX_DEPTH - 1)}


def _nested(depth: int) -> list:  # type: ignore[type-arg]
    return [] if depth == 1 else [_nested(depth - 1)]


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as fh:
        fh.write(EXAMPLE.read_text())
        fh.write("# " + "x" * (MAX_FILE_BYTES + 10) + "\n")
    code, out, seconds = _validate(path)
    assert code == 2
    assert "the limit is 10 MiB" in out
    assert seconds < 1.0


def test_long_comment_parses_in_linear_time(tmp_path: Path) -> None:
    # ruamel's round-trip scanner grows a comment one character at a time, quadratic
    # whenever the string cannot grow in place: a fresh process took 34-53 s on this 1 MiB
    # comment (the issue: 1 MB 18 s, 4 MB 293 s). A fresh process, as a user runs it.
    path = tmp_path / "comment.yaml"
    path.write_text("# " + "a" * 2**20 + "\n" + EXAMPLE.read_text())
    env = {**os.environ, "PYTHONPATH": str(Path(skyweave.__file__).parents[1])}
    code = "import sys; from skyweave.cli import main; sys.argv[0] = 'skyweave'; main()"
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, "validate", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    seconds = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr
    assert seconds < 10.0


def test_wta_instance_uses_the_same_limits(tmp_path: Path) -> None:
    path = tmp_path / "inst.json"
    path.write_text('{"values": ' + "[" * 10_000 + "]" * 10_000 + ', "pk": [], "inventory": []}')
    result = CliRunner().invoke(main, ["wta", str(path)])
    assert result.exit_code == 2
    assert "nested more than" in result.output
    path.write_text(
        json.dumps({"values": [1.0], "pk": [[0.5]], "inventory": [1]}) + " " * 11_000_000
    )
    result = CliRunner().invoke(main, ["wta", str(path)])
    assert result.exit_code == 2 and "the limit is 10 MiB" in result.output


def test_nan_literal_in_json_refused(tmp_path: Path) -> None:
    path = tmp_path / "inst.json"
    path.write_text('{"values": [NaN], "pk": [[0.5]], "inventory": [1]}')
    result = CliRunner().invoke(main, ["wta", str(path)])
    assert result.exit_code == 2 and "NaN is not a JSON number" in result.output
