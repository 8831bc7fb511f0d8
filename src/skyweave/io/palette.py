"""One partner palette for every output: the report, CZML, KML and consoles.

A partner's colour is the ``color`` the scenario gives it, normalised to
``#rrggbb``; a partner without one (or with one that is not a colour) takes the
first colour of :data:`DEFAULT_PARTNER_PALETTE` no other partner holds yet, in
partner order. Every writer asks :func:`partner_colours` (or
:func:`scenario_partner_colours`), so East is the same red on the page and on
the globe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skyweave.scenario.schema import Scenario

#: Colours for partners the scenario gives none, in order (Matplotlib's tab10 minus
#: the orange, green and purple the threat kinds use).
DEFAULT_PARTNER_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#17becf",
    "#bcbd22",
    "#e377c2",
    "#8c564b",
    "#7f7f7f",
)


def normalise_colour(colour: str) -> str | None:
    """``colour`` (hex code or Matplotlib name) as lowercase ``#rrggbb``; None if invalid."""
    if not colour:
        return None
    from matplotlib.colors import to_hex

    try:
        return str(to_hex(colour, keep_alpha=False)).lower()
    except ValueError:
        return None


def partner_colours(
    partners: Sequence[str], given: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``#rrggbb`` of each partner: its given colour, else the next free default.

    Parameters
    ----------
    partners : sequence of str
        Partner ids, in the scenario's order.
    given : mapping, optional
        Partner id to the colour the scenario gives (empty or invalid: none).

    Returns
    -------
    dict
        Partner id to lowercase ``#rrggbb``. Defaults cycle past seven partners.
    """
    given = given or {}
    chosen = {p: normalise_colour(given.get(p, "")) for p in partners}
    taken = {c for c in chosen.values() if c is not None}
    free = [c for c in DEFAULT_PARTNER_PALETTE if c not in taken] or list(DEFAULT_PARTNER_PALETTE)
    out: dict[str, str] = {}
    k = 0
    for p in partners:
        c = chosen[p]
        if c is None:
            c = free[k % len(free)]
            k += 1
        out[p] = c
    return out


def scenario_partner_colours(scenario: Scenario) -> dict[str, str]:
    """:func:`partner_colours` of a scenario's partners, in its order."""
    return partner_colours(
        [p.id for p in scenario.partners], {p.id: p.color for p in scenario.partners}
    )


def hex_to_rgba(colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    """``#rrggbb`` as an (r, g, b, a) tuple of 0-255 integers."""
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha


__all__ = [
    "DEFAULT_PARTNER_PALETTE",
    "hex_to_rgba",
    "normalise_colour",
    "partner_colours",
    "scenario_partner_colours",
]
