"""Per-component random generators derived from the run seed and a stable name.

Each component (a sensor, a link, a battery...) draws from its own generator so
that adding one component never changes another component's draws.
"""

import hashlib
from functools import lru_cache

import numpy as np


def component_rng(run_seed: int, component_name: str) -> np.random.Generator:
    """Return the generator for ``component_name`` in the run seeded by ``run_seed``.

    The name is hashed with SHA-256 (stable across processes and Python
    versions, unlike ``hash``) and mixed with the seed through ``SeedSequence``.
    """
    digest = hashlib.sha256(component_name.encode("utf-8")).digest()
    name_words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([int(run_seed), *name_words]))


@lru_cache(maxsize=4096)
def _philox_key(run_seed: int, component_name: str) -> int:
    digest = hashlib.sha256(f"{int(run_seed)}/{component_name}".encode()).digest()
    return int.from_bytes(digest[:16], "little")


def tick_rng(run_seed: int, component_name: str, tick: int) -> np.random.Generator:
    """The generator of ``component_name`` for simulation tick ``tick`` of the run.

    A counter-based generator (Philox) keyed by the run seed and the
    component's name, with the tick in the counter's top word: every
    (component, tick) pair has its own stream, so what one component draws at
    one tick never depends on what it or any other component drew before. A
    run to ``t1`` is therefore a bit-identical prefix of a run to ``t2 > t1``,
    and a command applied after ``t`` cannot change a draw made before ``t``.
    """
    counter = np.array([0, 0, 0, int(tick)], dtype=np.uint64)
    return np.random.Generator(
        np.random.Philox(key=_philox_key(run_seed, component_name), counter=counter)
    )


class TickRngs:
    """:func:`tick_rng` generators, reused: one per (run seed, component), reset per tick.

    Resetting a generator's Philox state to a tick's (the component's key, the
    counter ``[0, 0, 0, tick]``, empty buffers) gives the stream a new ``tick_rng``
    gives, at a fraction of the cost (a new Philox draws OS entropy it then
    ignores). A generator handed out is valid until the next call for the same
    component.
    """

    def __init__(self) -> None:
        self._gens: dict[tuple[int, str], tuple[np.random.Generator, np.ndarray]] = {}

    def get(self, run_seed: int, component_name: str, tick: int) -> np.random.Generator:
        """The generator ``tick_rng(run_seed, component_name, tick)`` would return."""
        got = self._gens.get((run_seed, component_name))
        if got is None:
            gen = tick_rng(run_seed, component_name, tick)
            key = gen.bit_generator.state["state"]["key"].copy()
            self._gens[(run_seed, component_name)] = (gen, key)
            return gen
        gen, key = got
        gen.bit_generator.state = {
            "bit_generator": "Philox",
            "state": {"counter": np.array([0, 0, 0, int(tick)], dtype=np.uint64), "key": key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        return gen
