"""A run folder must equal its own ``skyweave run --replay``, file for file, bit for bit."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from skyweave.cli import main


def assert_replays_bit_for_bit(folder: Path, out: Path) -> None:
    """Replay ``folder`` into ``out`` and compare every file."""
    result = CliRunner().invoke(main, ["run", "--replay", str(folder), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in out.iterdir())
    for name in names:
        assert (folder / name).read_bytes() == (out / name).read_bytes(), name
