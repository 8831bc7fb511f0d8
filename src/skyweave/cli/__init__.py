"""Thin command-line interface: parse arguments, call the stages, print results.

Subcommands live one per module and are imported only when used, so that
``skyweave validate`` starts fast. User mistakes (``InputError``) are printed one
per line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from skyweave import __version__
from skyweave.errors import InputError

# command name -> "module:attribute" of its click.Command
_COMMANDS = {
    "validate": "skyweave.cli.validate:validate_command",
    "run": "skyweave.cli.run:run_command",
    "trajectory": "skyweave.cli.trajectory:trajectory_command",
    "wta": "skyweave.cli.wta:wta_command",
    "metrics": "skyweave.cli.metrics:metrics_command",
    "compare": "skyweave.cli.compare:compare_command",
    "report": "skyweave.cli.report:report_command",
    "batch": "skyweave.cli.batch:batch_command",
    "exercise": "skyweave.cli.exercise:exercise_command",
    "plan": "skyweave.cli.plan:plan_command",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(2)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="skyweave")
def main() -> None:
    """Skyweave: coalition air and missile defence simulator (notional, generic)."""
