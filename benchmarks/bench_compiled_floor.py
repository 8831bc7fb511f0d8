"""Benchmark: how much of a run is spent inside compiled code (issue 23's floor).

Every Numba kernel the engine calls from Python, the LAPACK inverses of covariance
intersection and SciPy's assignment solver are wrapped with a process-CPU-time
counter; the scenario is run once to warm up (``--warm-until``) and then timed.
The time inside those calls is what the run costs with no Python overhead at all,
for the models as they are: no rewrite that keeps the outputs bit for bit can make
the run cheaper than that.

Run by hand::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_compiled_floor.py \\
        examples/large-raid.yaml
    PYTHONPATH=src .venv/bin/python benchmarks/bench_compiled_floor.py \\
        examples/joint-exercise.yaml --top 10

The counters add about 1 µs per call (some 400,000 calls on the large raid), so the
share printed is a slight overestimate of the run's compiled share.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from numba.core.registry import CPUDispatcher

import skyweave
from skyweave.scenario.load import load_scenario
from skyweave.simulation import run_scenario


def _import_all() -> None:
    """Import every skyweave module, so every kernel's import site can be wrapped."""
    for info in pkgutil.walk_packages(skyweave.__path__, "skyweave."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # optional front ends (server, browser) may be absent
            continue


def _compiled_name(module_name: str, attr: str, value: Any) -> str | None:
    """The counter name of a compiled callable bound at ``module_name.attr``, or None."""
    if isinstance(value, CPUDispatcher):
        return f"{value.py_func.__module__}.{value.__name__}"
    if attr == "linear_sum_assignment":
        return "scipy.optimize.linear_sum_assignment"
    if module_name.endswith("fusion_math") and attr == "_INV_GUFUNC":
        return "LAPACK inverse (covariance intersection)"
    return None


def wrap_compiled(seconds: Counter[str], calls: Counter[str]) -> int:
    """Rebind every compiled callable in skyweave's modules to a timed wrapper; return
    how many distinct callables were wrapped."""
    _import_all()
    wrappers: dict[int, Callable[..., Any]] = {}
    clock = time.process_time
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("skyweave"):
            continue
        for attr, value in list(vars(module).items()):
            name = _compiled_name(module_name, attr, value)
            if name is None:
                continue
            if id(value) not in wrappers:

                def timed(*args: Any, _f: Any = value, _n: str = name, **kwargs: Any) -> Any:
                    start = clock()
                    out = _f(*args, **kwargs)
                    seconds[_n] += clock() - start
                    calls[_n] += 1
                    return out

                wrappers[id(value)] = timed
            setattr(module, attr, wrappers[id(value)])
    return len(wrappers)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the compiled share and the largest kernels."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", type=float, default=None, help="simulated seconds")
    parser.add_argument("--warm-until", type=float, default=30.0, help="warm-up run's length")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)

    seconds: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    n_wrapped = wrap_compiled(seconds, calls)
    scenario = load_scenario(args.scenario)
    run_scenario(scenario, args.seed, until_s=args.warm_until, progress=False)
    seconds.clear()
    calls.clear()
    start = time.process_time()
    if args.until is None:
        run_scenario(scenario, args.seed, progress=False)
    else:
        run_scenario(scenario, args.seed, until_s=args.until, progress=False)
    total_s = time.process_time() - start
    inside_s = sum(seconds.values())
    print(f"{args.scenario}: run_scenario {total_s:.1f} CPU s")
    print(
        f"inside compiled code: {inside_s:.1f} s ({100.0 * inside_s / total_s:.0f} %), "
        f"{sum(calls.values()):,} calls to {n_wrapped} callables"
    )
    print(f"outside (Python and NumPy): {total_s - inside_s:.1f} s")
    print("\n| CPU s | calls | compiled callable |\n|---:|---:|---|")
    for name, spent in seconds.most_common(args.top):
        print(f"| {spent:.2f} | {calls[name]:,} | `{name}` |")


if __name__ == "__main__":
    main()
