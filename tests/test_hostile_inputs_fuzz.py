"""Hypothesis: hostile mutations of the example scenario and of a WTA instance.

Deletions, type swaps, huge, NaN and negative numbers, deep nesting, aliases and huge
strings; ``skyweave validate`` and ``skyweave wta`` must exit 0 or 2, give a message with
2, never a traceback, and return within a time bound.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mutations import document_paths, mutate
from skyweave.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
_BASE = YAML(typ="safe").load(EXAMPLE.read_text())

_hostile = st.one_of(
    st.sampled_from([1e308, -1e308, -1.0, 0.0, 1e-300, 2**63, -(2**63), 10**30, True, None]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(max_size=8),
    st.sampled_from(["x" * 100_000, "north", "", "nan", "[", "*a"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["id", "lat_deg", "range_km", "x"]), st.integers(), max_size=2),
)


_ALL_PATHS = document_paths(_BASE)[1:]


def _suffix(kind: str) -> str:
    """Text appended to the YAML: aliases (a bomb or a harmless one) or nothing."""
    if kind == "bomb":
        lines = ["zz0: &z0 [a, a, a, a, a, a, a, a, a, a]"]
        for k in range(1, 8):
            lines.append(f"zz{k}: &z{k} [" + ", ".join([f"*z{k - 1}"] * 10) + "]")
        return "\n".join(lines) + "\n"
    if kind == "alias":
        return "extra: &e {a: 1}\nmore: *e\n"
    return ""


def _run(args: list[str]) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, args)
    seconds = time.perf_counter() - t0
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "error:" in result.output or "Error:" in result.output
    return result.exit_code, result.output, seconds


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(_ALL_PATHS), st.sampled_from(["delete", "replace", "nest"]), _hostile
        ),
        max_size=3,
    ),
    suffix=st.sampled_from(["", "bomb", "alias"]),
)
def test_hostile_scenarios_exit_0_or_2_fast(
    mutations: list[tuple[Any, str, Any]], suffix: str
) -> None:
    data = copy.deepcopy(_BASE)
    for path, action, value in mutations:
        try:
            mutate(data, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or reshaped this path
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutant.yaml"
        yaml = YAML(typ="safe")
        with path.open("w") as fh:
            yaml.dump(data, fh)
        with path.open("a") as fh:
            fh.write(_suffix(suffix))
        code, out, seconds = _run(["validate", str(path)])
        assert seconds < 5.0
        if suffix == "bomb":
            # refused for its expansion, or first for a nesting mutation deeper than allowed
            assert code == 2 and ("expands to more than" in out or "levels deep" in out)


_instance_value = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1),
    st.sampled_from([1e308, -1.0, 2e9, 10_000, 0, 1.5, "x", None, True, [0.5]]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(min_value=1, max_value=4),
    n=st.integers(min_value=1, max_value=5),
    inventory=st.lists(st.sampled_from([0, 1, 3, 10_000, 10_001, 1e308, -1, 2.5]), max_size=4),
    poke=st.lists(
        st.tuples(st.sampled_from(["values", "pk", "drop", "nest"]), _instance_value), max_size=2
    ),
    method=st.sampled_from(["exact", "heuristic"]),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_hostile_wta_instances_exit_0_or_2_within_the_time_limit(
    m: int,
    n: int,
    inventory: list[Any],
    poke: list[tuple[str, Any]],
    method: str,
    seed: int,
) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    inv = (inventory + [1] * m)[:m]
    payload: dict[str, Any] = {
        "values": rng.uniform(1, 100, n).tolist(),
        "pk": rng.uniform(0, 1, (m, n)).tolist(),
        "inventory": inv,
    }
    for where, value in poke:
        if where == "values":
            payload["values"][0] = value
        elif where == "pk" and "pk" in payload:
            payload["pk"][0][0] = value
        elif where == "drop":
            payload.pop("pk", None)
        else:
            payload["values"] = json.loads("[" * 100 + "]" * 100)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inst.json"
        path.write_text(json.dumps(payload))
        _, _, seconds = _run(["wta", str(path), "--method", method, "--time-limit", "0.5"])
        assert seconds < 2.0
