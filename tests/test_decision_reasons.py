"""Each reason of the decision log on a small scenario built to produce it (the others
are in test_fallback_and_decision_log.py): the raid slice of the example, one change."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from skyweave.scenario import load_scenario
from skyweave.scenario.schema import KillProbability, Scenario
from test_fallback_and_decision_log import EXAMPLE, _reasons, _run, _slice

UNTIL_S = 200.0  # the pair of missiles is in East's battery's reach from about 180 s

Change = Callable[[Scenario], Scenario]


def _no_kill_probability(base: Scenario) -> Scenario:
    battery = base.batteries[0].model_copy(update={"pk": KillProbability(ballistic=0.0)})
    return base.model_copy(update={"batteries": [battery]})


def _no_asset(base: Scenario) -> Scenario:
    return base.model_copy(update={"defended_assets": []})


def _infrared_only(base: Scenario) -> Scenario:
    # East hears of the launches from North's satellite and has no radar to track them
    ir = [s for s in load_scenario(EXAMPLE).sensors if s.id == "north-ir-1"]
    return base.model_copy(update={"sensors": ir})


def _north_on_east_tracks(base: Scenario, **rules: object) -> Scenario:
    # North's upper-tier battery in East's south, which only East's radar sees
    upper = next(b for b in load_scenario(EXAMPLE).batteries if b.id == "north-bty-3")
    north, east = base.partners
    north = north.model_copy(update={"engagement": north.engagement.model_copy(update=rules)})
    return base.model_copy(update={"batteries": [upper], "partners": [north, east]})


def _same(base: Scenario) -> Scenario:
    return base


#: (reason, the scenario built for it, the scenario without the one change, the post)
CASES: list[tuple[str, Change, Change, str]] = [
    ("no_kill_probability", _no_kill_probability, _same, "east"),
    ("no_asset_threatened", _no_asset, _same, "east"),
    ("not_tracked", _infrared_only, _same, "east"),
    (
        "remote_track_only",
        lambda s: _north_on_east_tracks(s, engage_on_remote=False),
        _north_on_east_tracks,
        "north",
    ),
]


@cache
def _reasons_of(change: Change, post: str) -> frozenset[str]:
    return frozenset(_reasons(_run(change(_slice("shared-warning")), UNTIL_S), post))


@pytest.mark.parametrize(("reason", "change", "plain", "post"), CASES, ids=[c[0] for c in CASES])
def test_the_reason_a_scenario_is_built_for(
    reason: str, change: Change, plain: Change, post: str
) -> None:
    changed, without = _reasons_of(change, post), _reasons_of(plain, post)
    assert reason in changed and reason not in without, (changed, without)
    # nothing the post says of the changed scenario is nearer a shot than the reason
    assert "assigned" not in changed


def test_the_partner_console_has_words_for_every_reason_it_shows() -> None:
    import re
    from pathlib import Path

    from skyweave.c2.decision_log import REASONS

    js = (
        Path(__file__).resolve().parents[1] / "src/skyweave/exercise/static/partner.js"
    ).read_text()
    table = js[js.index("const WHY_SHORT = {") : js.index("};", js.index("const WHY_SHORT"))]
    shown = set(re.findall(r"^\s+(\w+):", table, flags=re.M))
    # assigned and engaged rows show who engages instead of a reason
    assert shown == set(REASONS) - {"assigned", "engaged"}
