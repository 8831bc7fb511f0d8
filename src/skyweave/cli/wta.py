"""``skyweave wta``: solve a static weapon-target assignment instance from a JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import numpy as np

from skyweave.c2.wta import solve_wta
from skyweave.errors import InputError, Problem
from skyweave.scenario.safe_read import read_json_file

#: most weapon types and targets in an instance, and rounds per weapon type
MAX_WEAPONS = 1_000
MAX_TARGETS = 1_000
MAX_INVENTORY = 10_000
#: largest target value (sums over targets stay far from float overflow)
MAX_VALUE = 1e12
# problems listed before giving up on a file
_MAX_PROBLEMS = 50


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond the float range
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_instance(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read and check ``{"values": [V_j], "pk": [[p_ij]], "inventory": [w_i]}``.

    Bounds: at most :data:`MAX_WEAPONS` weapon types and :data:`MAX_TARGETS` targets,
    inventories integers from 0 to :data:`MAX_INVENTORY`; the file is read within the
    input limits of :mod:`skyweave.scenario.safe_read` (10 MiB, nesting).

    Raises
    ------
    InputError
        Naming the file, the field path (``pk[3][2]``) and what was expected, for every
        problem found (unreadable file, not JSON, missing key, wrong shape or range).
    """
    data = read_json_file(Path(path), "JSON instance file")
    if not isinstance(data, dict):
        raise InputError([Problem(path, "expected a JSON object with values, pk and inventory")])
    problems: list[Problem] = []
    for key in ("values", "pk", "inventory"):
        if key not in data:
            problems.append(Problem(path, "missing required key", field_path=key))
    if problems:
        raise InputError(problems)
    values, pk, inventory = data["values"], data["pk"], data["inventory"]
    if not isinstance(values, list):
        problems.append(Problem(path, "expected a list of target values", "values"))
    elif len(values) > MAX_TARGETS:
        problems.append(
            Problem(path, f"at most {MAX_TARGETS:,} targets, got {len(values):,}", "values")
        )
    else:
        for j, v in enumerate(values):
            if not _is_number(v) or not 0 <= v <= MAX_VALUE:
                problems.append(
                    Problem(
                        path,
                        f"expected a finite number >= 0 and <= {MAX_VALUE:g}, got {_short(v)}",
                        f"values[{j}]",
                    )
                )
    if not isinstance(inventory, list):
        problems.append(Problem(path, "expected a list of rounds per weapon", "inventory"))
    elif len(inventory) > MAX_WEAPONS:
        problems.append(
            Problem(path, f"at most {MAX_WEAPONS:,} weapons, got {len(inventory):,}", "inventory")
        )
    else:
        for i, w in enumerate(inventory):
            ok = _is_number(w) and float(w).is_integer() and 0 <= w <= MAX_INVENTORY
            if not ok:
                problems.append(
                    Problem(
                        path,
                        f"expected an integer >= 0 and <= {MAX_INVENTORY:,}, got {_short(w)}",
                        f"inventory[{i}]",
                    )
                )
    if problems:
        raise InputError(problems)  # sizes first: the per-entry checks below loop over pk
    if not isinstance(pk, list):
        problems.append(Problem(path, "expected a list of rows (one per weapon)", "pk"))
    else:
        if isinstance(inventory, list) and len(pk) != len(inventory):
            problems.append(
                Problem(
                    path,
                    f"expected {len(inventory)} rows (one per inventory entry), got {len(pk)}",
                    "pk",
                )
            )
        for i, row in enumerate(pk):
            if not isinstance(row, list):
                problems.append(Problem(path, "expected a list (one entry per target)", f"pk[{i}]"))
                continue
            if isinstance(values, list) and len(row) != len(values):
                problems.append(
                    Problem(
                        path,
                        f"expected {len(values)} entries (one per target value), got {len(row)}",
                        f"pk[{i}]",
                    )
                )
            for j, p in enumerate(row):
                if not _is_number(p) or not 0.0 <= p <= 1.0:
                    problems.append(
                        Problem(
                            path,
                            f"expected a probability in [0, 1], got {_short(p)}",
                            f"pk[{i}][{j}]",
                        )
                    )
                    if len(problems) >= _MAX_PROBLEMS:
                        raise InputError(problems)
    if problems:
        raise InputError(problems)
    n = len(values)
    pk_array = np.array(pk, dtype=np.float64).reshape(len(inventory), n)
    return (
        np.array(values, dtype=np.float64),
        pk_array,
        np.array([int(w) for w in inventory], dtype=np.int64),
    )


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@click.command("wta")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "--method",
    type=click.Choice(["exact", "heuristic"]),
    default="exact",
    show_default=True,
    help="exact: proven optimum (or best found and gap at the time limit); heuristic: fast.",
)
@click.option(
    "--time-limit",
    "time_limit_s",
    type=click.FloatRange(min=0.0, min_open=True),
    default=60.0,
    show_default=True,
    help="Wall-clock limit for the exact method, seconds.",
)
def wta_command(instance: str, method: str, time_limit_s: float) -> None:
    """Solve a static weapon-target assignment INSTANCE (JSON) and print the result as JSON.

    The instance is {"values": [V_j], "pk": [[p_ij]] (weapons i by targets j),
    "inventory": [w_i]}; the output gives the expected surviving value (objective), the
    proven lower bound, the relative gap, the time and the assignment [[i, j, rounds], ...].
    """
    values, pk, inventory = load_instance(instance)
    result = solve_wta(values, pk, inventory, method=method, time_limit_s=time_limit_s)  # type: ignore[arg-type]
    out = {
        "objective": result.objective,
        "bound": _json_float(result.bound),
        "gap": _json_float(result.gap),
        "seconds": result.seconds,
        "status": result.status,
        "assignment": [list(t) for t in result.assignment],
    }
    click.echo(json.dumps(out))
