"""docs/scenario-reference.md is generated from the schema and must be current."""

from __future__ import annotations

from pathlib import Path

from skyweave.scenario.hints import nested_models
from skyweave.scenario.reference import render
from skyweave.scenario.schema import Scenario

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "scenario-reference.md"


def test_checked_in_reference_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        "docs/scenario-reference.md is stale: run "
        "`python -m skyweave.scenario.reference > docs/scenario-reference.md`"
    )


def test_every_field_of_every_model_is_listed_with_a_description() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    seen: set[type] = set()
    stack: list[type] = [Scenario]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        assert f"## {model.__name__}\n" in text
        section = text.split(f"## {model.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            row = next(
                r for r in section.splitlines() if r.startswith(f"| `{field.alias or name}` |")
            )
            assert not row.rstrip().endswith("|  |"), f"{model.__name__}.{name} has no description"
            stack.extend(nested_models(field.annotation))
    # a default that matters is stated: the radar's minimum elevation
    radar = text.split("## Radar\n", 1)[1].split("\n## ", 1)[0]
    assert "| `min_elevation_deg` | number | degrees | -1 | ≥ -5, ≤ 90 |" in radar
