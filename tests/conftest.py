"""Shared fixtures."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "joint-exercise.yaml"

BROWSER_FILES = frozenset(
    {"test_exercise_browser.py", "test_exercise_consoles.py", "test_plan_browser.py"}
)
"""The files that drive Chromium. Two software-WebGL Chromiums at once starve a 2-core
machine, and timed clicks then miss: these files share one xdist worker, in turn."""


LONGEST_FIRST = (
    "test_compare.py",
    "test_batch.py",
    "test_compare_paired.py",
    "test_releasability.py",
    "test_engine_commands.py",
    "test_batch_cli.py",
    "test_engagement_run.py",
    "test_engagement_doctrine.py",
    "test_run_folder.py",
    "test_run_dis.py",
    "test_exercise_journal.py",
    "test_report.py",
    "test_run_coalition.py",
)
"""The files that take longest after the browser files (about 20-50 s each on the 2-core
machine), handed out first so that the two workers finish together."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``--dist loadgroup --no-loadscope-reorder`` (the README's test command), a
    file's tests run on one worker (its module fixtures are made once), the browser files
    on one worker, and the longest groups are handed out first."""
    rank = {name: k + 1 for k, name in enumerate(LONGEST_FIRST)}
    rank |= dict.fromkeys(BROWSER_FILES, 0)
    items.sort(key=lambda item: rank.get(item.path.name, len(rank) + 1))  # stable
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group("browser" if name in BROWSER_FILES else name))


@pytest.fixture
def example_path() -> Path:
    """The shipped joint exercise."""
    return EXAMPLE


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped example's whole run, seed 1, as ``skyweave run`` writes it: made once
    per test session, by whichever xdist worker asks first (the others wait for it).
    Read only: a test that writes into a run folder copies it first."""
    from skyweave.cli import main

    base = tmp_path_factory.getbasetemp()
    # the xdist workers' temp folders share their parent, unique to this session
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = root / "example-seed1"
    with (root / "example-seed1.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "summary.json").exists():
            result = CliRunner().invoke(main, ["run", str(EXAMPLE), "--out", str(out), "--quiet"])
            assert result.exit_code == 0, result.output
    return out
