"""User-facing input errors: reported as ``file: field path: what was expected``, exit code 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    message: str
    field_path: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field_path:
            where += f": {self.field_path}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Raised for user mistakes in input files; the CLI prints each problem and exits 2."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
