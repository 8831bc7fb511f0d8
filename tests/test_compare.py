"""`skyweave compare`: sharing warning measurably helps the partner whose satellite is down."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skyweave.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"


def test_shared_warning_warns_east_earlier_of_the_accidental_launch(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    result = CliRunner().invoke(
        main,
        [
            "compare",
            str(EXAMPLE),
            "--modes",
            "independent,shared-warning",
            "--seeds",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {(r["mode"], r["partner"]): r for r in json.loads(out.read_text())["rows"]}
    east_alone = rows[("independent", "east")]["accidental_warning_s"]
    east_shared = rows[("shared-warning", "east")]["accidental_warning_s"]
    north_alone = rows[("independent", "north")]["accidental_warning_s"]
    # East's satellite is down (inject); north's satellite sees the plume, and the
    # alert crosses the link 2 to 2.5 s later: east gains nearly north's warning time.
    assert east_shared > east_alone + 20.0
    assert north_alone - 2.5 - 1e-9 <= east_shared <= north_alone - 2.0 + 1e-9
    assert "independent" in result.output and "shared-warning" in result.output


def test_unknown_mode_exit_2() -> None:
    result = CliRunner().invoke(main, ["compare", str(EXAMPLE), "--modes", "solo"])
    assert result.exit_code == 2
    assert "unknown mode" in result.output
