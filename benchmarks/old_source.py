"""One module of an older git revision, loaded beside the current code (benchmarks only).

The speed benchmarks time an old and a new implementation in one process on the same
inputs; the old one is its file at a revision, imported under another name.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def module_at(rev: str, path: str, name: str, folder: Path | None = None) -> ModuleType:
    """``path`` (relative to the repository) as it is at git revision ``rev``, imported
    as module ``name`` from a copy in ``folder`` (a new temporary folder by default)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    copy = Path(folder if folder is not None else tempfile.mkdtemp()) / f"{name}.py"
    copy.write_text(source)
    spec = importlib.util.spec_from_file_location(name, copy)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
