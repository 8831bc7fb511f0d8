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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_instance(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read and check ``{"values": [V_j], "pk": [[p_ij]], "inventory": [w_i]}``.

    Raises
    ------
    InputError
        Naming the file, the field path (``pk[3][2]``) and what was expected, for every
        problem found (unreadable file, not JSON, missing key, wrong shape or range).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(path, f"cannot read the instance file ({exc})")]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)]
        ) from exc
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
    else:
        for j, v in enumerate(values):
            if not _is_number(v) or v < 0:
                problems.append(
                    Problem(path, f"expected a finite number >= 0, got {v!r}", f"values[{j}]")
                )
    if not isinstance(inventory, list):
        problems.append(Problem(path, "expected a list of rounds per weapon", "inventory"))
    else:
        for i, w in enumerate(inventory):
            ok = _is_number(w) and float(w).is_integer() and w >= 0
            if not ok:
                problems.append(
                    Problem(path, f"expected an integer >= 0, got {w!r}", f"inventory[{i}]")
                )
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
                            path, f"expected a probability in [0, 1], got {p!r}", f"pk[{i}][{j}]"
                        )
                    )
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
