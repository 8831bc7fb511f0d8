"""Hypothesis: mutate the shipped example every which way; validation never shows a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mutations import document_paths, mutate
from skyweave.cli import main
from skyweave.errors import InputError
from skyweave.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "joint-exercise.yaml"
_BASE = YAML(typ="safe").load(EXAMPLE.read_text())

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["north", "east", "radar", "ballistic", "2026-01-01", "raid-n", ""]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


_ALL_PATHS = document_paths(_BASE)[1:]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(_ALL_PATHS),
            st.sampled_from(["replace", "delete", "add_key", "duplicate"]),
            _values,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_example_never_tracebacks(mutations: list[tuple[Any, str, Any]]) -> None:
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
        try:
            load_scenario(path)
        except InputError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert str(path) in str(problem)
                assert problem.message
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(EXAMPLE.read_text())), junk=st.text(max_size=20))
def test_truncated_or_garbled_text_never_tracebacks(cut: int, junk: str) -> None:
    text = EXAMPLE.read_text()[:cut] + junk
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbled.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code in (0, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
