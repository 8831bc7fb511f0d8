"""Where each scenario key belongs, for the hint on an unknown key.

An unknown key is most often a known key in the wrong section (``range_km`` at the top of
a threat instead of under its ``aim``) or a typo of a key of this section. The hint says
which: "it belongs under threats[i].aim (ballistic)", or "did you mean 'duration_s'?",
never a suggestion of the very key the user wrote.
"""

from __future__ import annotations

import difflib
import typing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from skyweave.scenario.schema import Scenario

_MAX_PLACES = 3


def nested_models(annotation: Any) -> Iterable[type[BaseModel]]:
    """The pydantic models inside a field annotation (through lists, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from nested_models(arg)


def is_list(annotation: Any) -> bool:
    """True when the annotation is a list (possibly optional or annotated)."""
    if typing.get_origin(annotation) is list:
        return True
    return any(is_list(arg) for arg in typing.get_args(annotation))


def type_tag(model: type[BaseModel]) -> str | None:
    """The ``type`` values a tagged-union member accepts ("ballistic"), or None."""
    field = model.model_fields.get("type")
    if field is None:
        return None
    tags = typing.get_args(field.annotation)
    return "/".join(str(t) for t in tags) or None


def _key(name: str, field: Any) -> str:
    return str(field.alias or name)


def _walk(model: type[BaseModel], path: str, tag: str | None, out: dict[str, list[str]]) -> None:
    shown = (path or "the top level") + (f" ({tag})" if tag else "")
    for name, field in model.model_fields.items():
        key = _key(name, field)
        out[key].append(shown)
        subs = list(nested_models(field.annotation))
        for sub in subs:
            sub_tag = type_tag(sub) if len(subs) > 1 else None
            child = f"{path}.{key}" if path else key
            _walk(sub, child + ("[i]" if is_list(field.annotation) else ""), sub_tag or tag, out)


def _places() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    _walk(Scenario, "", None, out)
    return dict(out)


#: every key of the schema -> the places (``threats[i].aim (ballistic)``) where it is valid
KEY_PLACES = _places()


def models_at(loc: Sequence[str | int]) -> list[type[BaseModel]]:
    """The models that a pydantic error location (union tags included) points into."""
    candidates: list[type[BaseModel]] = [Scenario]
    for part in loc:
        if isinstance(part, int):
            continue
        tagged = [m for m in candidates if part in (type_tag(m) or "").split("/")]
        if tagged and not any(_has_key(m, part) for m in candidates):
            candidates = tagged
            continue
        nxt: list[type[BaseModel]] = []
        for model in candidates:
            for name, field in model.model_fields.items():
                if _key(name, field) == part or name == part:
                    nxt.extend(nested_models(field.annotation))
        candidates = nxt
    return candidates


def _has_key(model: type[BaseModel], key: str) -> bool:
    return any(_key(n, f) == key or n == key for n, f in model.model_fields.items())


def _listing(places: list[str]) -> str:
    shown = " or ".join(places[:_MAX_PLACES])
    return shown + (f" (and {len(places) - _MAX_PLACES} more)" if len(places) > _MAX_PLACES else "")


def unknown_key_message(loc: Sequence[str | int]) -> str:
    """The message for an unknown key at a pydantic error location.

    Parameters
    ----------
    loc : sequence of str or int
        The location of the unknown key, its name last (union tags included).
    """
    key = str(loc[-1]) if loc else "?"
    here = {_key(n, f) for m in models_at(loc[:-1]) for n, f in m.model_fields.items()}
    places = KEY_PLACES.get(key)
    if places:
        return f"unknown key '{key}' here; it belongs under {_listing(places)}"
    close = difflib.get_close_matches(key, sorted(here), n=1) or difflib.get_close_matches(
        key, sorted(KEY_PLACES), n=1
    )
    if not close:
        return f"unknown key '{key}'"
    guess = close[0]
    where = "" if guess in here else f" (under {_listing(KEY_PLACES[guess])})"
    return f"unknown key '{key}'; did you mean '{guess}'{where}?"
