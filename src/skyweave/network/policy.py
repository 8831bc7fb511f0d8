"""The releasability policy: which data class goes from whom to whom, how late, how coarse.

The scenario's ``policy`` list is a set of :class:`~skyweave.scenario.schema.ReleaseRule`
rows. :class:`ReleasePolicy` turns it into a lookup by ``(origin, receiver,
data_class)`` and knows the coordination mode: in ``independent`` mode nothing is
released whatever the rules say. The policy alone never moves data; it is consulted
by :class:`skyweave.network.links.LinkBoundary`, the one place data crosses.

Rules
-----
- A rule releases its data class from ``from`` to every partner in ``to``.
- Several rules may name the same ``(from, to, data_class)``; the **first** one in
  the file applies (its delay and degradation), the later ones are ignored. This
  keeps the result independent of set ordering and easy to explain.
- A partner never "releases" to itself: a rule naming its own origin in ``to`` is
  ignored for that receiver (own data needs no release).

Degradation
-----------
:func:`degrade_positions` applies a rule's accuracy degradation to ECEF positions:
first Gaussian noise of ``position_noise_m`` per axis, then rounding of each ECEF
coordinate to the nearest multiple of ``position_rounding_m`` (NumPy's
round-half-to-even on the quotient). Rounding last means every released coordinate
lies exactly on the stated grid, whatever the noise: the releasing partner
publishes at the resolution it agreed to. The added error per axis has variance
``sigma**2 + rounding**2 / 12`` (noise plus uniform quantisation), returned by
:meth:`ReleaseTerms.added_variance_m2` so that a receiver can inflate the
covariance of what it fuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np
from numpy.typing import NDArray

from skyweave.scenario.schema import CoordinationMode, DataClass, ReleaseRule, Scenario

FloatArray = NDArray[np.float64]

#: The data classes, in the order the schema lists them.
DATA_CLASSES: tuple[str, ...] = get_args(DataClass)


@dataclass(frozen=True, slots=True)
class ReleaseTerms:
    """What one ``(origin, receiver, data_class)`` release adds before the link.

    Attributes
    ----------
    delay_s : float
        Hold time before the origin offers the message to the link.
    position_rounding_m : float
        Grid of the released ECEF coordinates (0: no rounding).
    position_noise_m : float
        Standard deviation of the Gaussian noise added per ECEF axis (0: none).
    rule_index : int
        Index of the scenario ``policy`` row that grants the release.
    """

    delay_s: float
    position_rounding_m: float
    position_noise_m: float
    rule_index: int

    @classmethod
    def from_rule(cls, rule: ReleaseRule, rule_index: int) -> ReleaseTerms:
        """The terms of one scenario rule."""
        return cls(rule.delay_s, rule.position_rounding_m, rule.position_noise_m, rule_index)

    def added_variance_m2(self) -> float:
        """Variance per ECEF axis the degradation adds: noise plus uniform quantisation."""
        return self.position_noise_m**2 + self.position_rounding_m**2 / 12.0


class ReleasePolicy:
    """The scenario's releasability rules as a lookup, with the coordination mode applied.

    Parameters
    ----------
    scenario : Scenario
        Source of ``policy``, ``partners`` and ``coordination_mode``.
    mode : str, optional
        Overrides ``scenario.coordination_mode`` (``skyweave run --mode``).
    """

    def __init__(self, scenario: Scenario, *, mode: CoordinationMode | None = None) -> None:
        self.mode: CoordinationMode = mode or scenario.coordination_mode
        self._terms: dict[tuple[str, str, str], ReleaseTerms] = {}
        if self.mode == "independent":
            return
        for index, rule in enumerate(scenario.policy):
            for receiver in rule.to:
                if receiver == rule.from_partner:
                    continue
                key = (rule.from_partner, receiver, rule.data_class)
                # First rule wins: later duplicates neither add nor override.
                self._terms.setdefault(key, ReleaseTerms.from_rule(rule, index))

    def terms(self, origin: str, receiver: str, data_class: str) -> ReleaseTerms | None:
        """The release terms, or None when ``data_class`` is withheld from ``receiver``."""
        return self._terms.get((origin, receiver, data_class))

    def releases(self, origin: str, receiver: str, data_class: str) -> bool:
        """Whether ``origin`` releases ``data_class`` to ``receiver``."""
        return (origin, receiver, data_class) in self._terms

    def receivers(self, origin: str, data_class: str) -> tuple[str, ...]:
        """Partners that receive ``data_class`` from ``origin``, in rule order."""
        return tuple(r for (o, r, c) in self._terms if o == origin and c == data_class)

    def grants(self) -> dict[tuple[str, str, str], ReleaseTerms]:
        """Every granted ``(origin, receiver, data_class)`` with its terms (a copy)."""
        return dict(self._terms)


def degrade_positions(xyz_m: FloatArray, terms: ReleaseTerms, noise_unit: FloatArray) -> FloatArray:
    """Apply a release's accuracy degradation to ECEF positions.

    Parameters
    ----------
    xyz_m : (n, 3) float64
        ECEF positions, NaN rows where a message carries no position (they stay NaN).
    terms : ReleaseTerms
        The release's noise and rounding.
    noise_unit : (n, 3) float64
        Standard normal draws (drawn by the caller from the link's own generator, so
        the draws do not depend on whether the positions are finite).

    Returns
    -------
    (n, 3) float64
        ``round(xyz + sigma * noise_unit, to a multiple of rounding)``; noise first,
        rounding last, so the result lies exactly on the grid.
    """
    out = np.asarray(xyz_m, dtype=np.float64)
    if terms.position_noise_m > 0.0:
        out = out + terms.position_noise_m * noise_unit
    if terms.position_rounding_m > 0.0:
        step = terms.position_rounding_m
        out = np.round(out / step) * step
    return out
