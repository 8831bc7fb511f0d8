"""Scenario stage: the YAML format, its validation, and the expanded threat list."""

from skyweave.scenario.load import load_scenario, validate_paths
from skyweave.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "validate_paths"]
