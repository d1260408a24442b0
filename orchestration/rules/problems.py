"""A problem found in a seed file, and the text `leadscore validate` prints for a list of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SeedProblem:
    """One mistake in a seed file: where it is (header = line 1) and what is wrong."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


def format_problems(problems: Iterable[SeedProblem]) -> str:
    """One `file:line: column: message` line per problem (empty text when there are none)."""
    return "\n".join(str(problem) for problem in problems)
