"""``skyweave validate``: check scenario files before a run."""

from __future__ import annotations

import click

from skyweave.errors import InputError
from skyweave.scenario.load import check_paths


@click.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate_command(scenarios: tuple[str, ...]) -> None:
    """Check SCENARIO files; exit 0 when all are valid, 2 with one line per problem.

    Implausible but legal values (a missile slower than 50 m/s, an asset thousands of km
    from every radar) are printed as warnings on stderr; they do not change the exit code.
    """
    problems, warnings = check_paths(scenarios)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if problems:
        raise InputError(problems)
    for path in scenarios:
        click.echo(f"{path}: valid")
