"""The seed validator behind `leadscore validate`: checks the analyst-edited CSVs in seeds/."""

from __future__ import annotations

from .problems import SeedProblem, format_problems
from .regex import regex_problem
from .schema import OPTIONAL_SEEDS, SEED_COLUMNS, crm_score_columns
from .validate import validate_seeds

__all__ = [
    "OPTIONAL_SEEDS",
    "SEED_COLUMNS",
    "SeedProblem",
    "crm_score_columns",
    "format_problems",
    "regex_problem",
    "validate_seeds",
]
