"""What the decision stage needs of the scenario, mapped once by the engine.

The stage never sees the whole :class:`~skyweave.scenario.schema.Scenario`: the
engine builds a :class:`C2Params` (:func:`skyweave.engine.params.c2_params`)
and the decision cycle, its authorities and its fallback doctrine read only that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from skyweave.scenario.schema import Battery, DefendedAsset, EngagementRules


@dataclass(frozen=True)
class C2Params:
    """The command and control part of a scenario.

    Attributes
    ----------
    partners : tuple of str
        Partner ids, in scenario order (the order posts decide in).
    rules : mapping of str to EngagementRules
        Each partner's engagement rules (defend list, consent, reserve, fallback).
    batteries : tuple of Battery
        Every battery, in scenario order.
    assets : tuple of DefendedAsset
        The defended assets, in scenario order.
    integrated : bool
        The coordination mode is ``integrated`` (one coalition cell decides).
    cell : str
        The partner whose post hosts the coalition cell.
    decision_period_s : float
        Time between decision cycles.
    wta_method : str
        ``"heuristic"`` or ``"exact"`` weapon-target assignment.
    wta_time_limit_s : float
        Time limit of the exact assignment.
    min_value_saved : float
        Expected value an engagement must add to be ordered (an interceptor's price).
    """

    partners: tuple[str, ...]
    rules: Mapping[str, EngagementRules]
    batteries: tuple[Battery, ...]
    assets: tuple[DefendedAsset, ...]
    integrated: bool
    cell: str
    decision_period_s: float
    wta_method: Literal["heuristic", "exact"]
    wta_time_limit_s: float
    min_value_saved: float
