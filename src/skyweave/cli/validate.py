"""``skyweave validate``: check scenario files before a run."""

from __future__ import annotations

import click

from skyweave.errors import InputError
from skyweave.scenario import validate_paths


@click.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate_command(scenarios: tuple[str, ...]) -> None:
    """Check SCENARIO files; exit 0 when all are valid, 2 with one line per problem."""
    problems = validate_paths(scenarios)
    if problems:
        raise InputError(problems)
    for path in scenarios:
        click.echo(f"{path}: valid")
