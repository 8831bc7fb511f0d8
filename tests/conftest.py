"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "joint-exercise.yaml"


@pytest.fixture
def example_path() -> Path:
    """The shipped joint exercise."""
    return EXAMPLE
