"""The engine: one clock for live play, replay and batch.

:class:`Simulation` advances every stage of the kill chain tick by tick;
:mod:`skyweave.engine.commands` reads and orders the operators' commands.
"""

from skyweave.engine.commands import Command, load_commands, parse_command
from skyweave.engine.simulation import PartnerView, Simulation, TruthView, time_grid

__all__ = [
    "Command",
    "PartnerView",
    "Simulation",
    "TruthView",
    "load_commands",
    "parse_command",
    "time_grid",
]
