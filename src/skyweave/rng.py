"""Per-component random generators derived from the run seed and a stable name.

Each component (a sensor, a link, a battery...) draws from its own generator so
that adding one component never changes another component's draws.
"""

import hashlib

import numpy as np


def component_rng(run_seed: int, component_name: str) -> np.random.Generator:
    """Return the generator for ``component_name`` in the run seeded by ``run_seed``.

    The name is hashed with SHA-256 (stable across processes and Python
    versions, unlike ``hash``) and mixed with the seed through ``SeedSequence``.
    """
    digest = hashlib.sha256(component_name.encode("utf-8")).digest()
    name_words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([int(run_seed), *name_words]))
