"""Cell checks every seed shares (required, choice, number, model, operator, stage)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..vocabulary import DATE_OPERATORS, EXCLUDED_STAGE, trim
from .csv_reading import Seed, SeedRow
from .numbers import INTEGER, NUMBER, ascii_number_text, not_a_number_message
from .problems import SeedProblem
from .regex import regex_problem
from .schema import (
    DEFAULT_BASE_STAGE,
    DISABLED_VALUES,
    ENABLED_VALUES,
    LIST_OPERATORS,
    NUMERIC_OPERATORS,
    VALUELESS_OPERATORS,
)

_ASCII_DIGITS_HINT = " (write condition numbers with the ASCII digits 0-9)"

Models = dict[str, SeedRow] | None
"""scoring_models rows by lower-cased model_id; None when scoring_models.csv is unusable."""
Rules = dict[str, tuple[str | None, SeedRow]]
"""scoring_rules rows by lower-cased rule_id: (lower-cased model_id if known, row)."""
Stages = dict[str, set[str]]
"""Known lower-cased stages per lower-cased model_id."""


def base_stage(model: SeedRow) -> str:
    """A model's base stage, normalized (blank = `lead`)."""
    return model.key("base_stage") or DEFAULT_BASE_STAGE


def is_enabled(row: SeedRow) -> bool:
    """Whether a row's `enabled` cell leaves it on, without reporting an unknown value."""
    return row.key("enabled") not in DISABLED_VALUES


class SeedChecker:
    """The loaded seeds and the problems found so far; each check reports where a cell is wrong.

    The checks return the parsed value, or None after reporting a problem (or for a blank
    optional cell), so callers can skip the checks that depend on it.
    """

    def __init__(self, seeds: dict[str, Seed], problems: Iterable[SeedProblem] = ()) -> None:
        self.seeds = seeds
        self.problems: list[SeedProblem] = list(problems)

    def report(self, row: SeedRow, column: str, message: str) -> None:
        self.problems.append(SeedProblem(row.file, row.line, column, message))

    def rows(self, name: str) -> list[SeedRow]:
        return self.seeds[name].rows

    def required(self, row: SeedRow, column: str, what: str = "") -> str | None:
        value = row.text(column)
        if not value:
            self.report(row, column, f"is required{what}")
            return None
        return value

    def choice(
        self, row: SeedRow, column: str, choices: Iterable[str], *, blank_ok: bool = False
    ) -> str | None:
        choices = tuple(choices)
        value = row.key(column)
        if not value:
            if not blank_ok:
                self.report(row, column, f"is required; use one of: {', '.join(choices)}")
            return None
        if value not in choices:
            self.report(
                row, column, f"unknown value {row.text(column)!r}; use one of: {', '.join(choices)}"
            )
            return None
        return value

    def number(
        self,
        row: SeedRow,
        column: str,
        *,
        required: bool = False,
        integer: bool = False,
        minimum: float | None = None,
        positive: bool = False,
        maximum: float | None = None,
        why: str = "",
    ) -> float | None:
        text = row.text(column)
        kind = "a whole number" if integer else "a number"
        if not text:
            if required:
                self.report(row, column, f"is required{why}; expected {kind}")
            return None
        # Full-width digits count as dbt's clean_number reads them; nothing else non-ASCII does.
        pattern = INTEGER if integer else NUMBER
        if not pattern.fullmatch(ascii_number_text(text)):
            self.report(row, column, not_a_number_message(text, kind))
            return None
        value = float(ascii_number_text(text))
        if not math.isfinite(value):
            self.report(row, column, f"{text!r} is not {kind}")
            return None
        if positive and value <= 0:
            self.report(row, column, f"must be greater than 0{why}, not {text}")
            return None
        if minimum is not None and value < minimum:
            self.report(row, column, f"must be {minimum:g} or more{why}, not {text}")
            return None
        if maximum is not None and value > maximum:
            self.report(row, column, f"must be {maximum:g} or less{why}, not {text}")
            return None
        return value

    def enabled(self, row: SeedRow) -> bool:
        value = row.key("enabled")
        if value not in ENABLED_VALUES:
            self.report(
                row,
                "enabled",
                f"unknown value {row.text('enabled')!r}; use true or false (blank = true)",
            )
            return True
        return value not in DISABLED_VALUES

    def model_ref(self, row: SeedRow, models: Models) -> str | None:
        model_id = self.required(row, "model_id")
        if model_id is None:
            return None
        key = model_id.lower()
        if models is None:  # scoring_models.csv is unusable: its own problem was reported
            return None
        if key not in models:
            self.report(
                row, "model_id", f"unknown model {model_id!r} (not in seeds/scoring_models.csv)"
            )
            return None
        return key

    def condition(
        self,
        row: SeedRow,
        *,
        operators: tuple[str, ...],
        operator_column: str = "operator",
        value_column: str = "value",
    ) -> None:
        """Check an operator and its value (conditions, exclusions, populations).

        A blank operator means `any` where `any` is allowed (activity conditions).
        """
        blank_ok = "any" in operators
        if row.key(operator_column) == "any" and not blank_ok:
            self.report(row, operator_column, "operator any only works for activity conditions")
            return
        operator = self.choice(row, operator_column, operators, blank_ok=blank_ok)
        if operator is None or operator in VALUELESS_OPERATORS:
            return
        value = row.text(value_column)
        if not value:
            self.report(row, value_column, f"is required for operator {operator}")
            return
        # Condition values are cast as they are (macros/operators.sql): ASCII digits only.
        if operator in NUMERIC_OPERATORS:
            if not NUMBER.fullmatch(value):
                self.report(
                    row,
                    value_column,
                    f"operator {operator} compares numbers; {value!r} is not one"
                    + _ASCII_DIGITS_HINT * (not value.isascii()),
                )
        elif operator in DATE_OPERATORS:
            if not NUMBER.fullmatch(value) or float(value) < 0:
                self.report(
                    row,
                    value_column,
                    f"operator {operator} takes a number of days counted from the as-of "
                    f"(e.g. 90); {value!r} is not one" + _ASCII_DIGITS_HINT * (not value.isascii()),
                )
        elif operator == "between":
            parts = [trim(part) for part in value.split("|")]
            if len(parts) != 2 or not all(NUMBER.fullmatch(part) for part in parts):
                self.report(
                    row,
                    value_column,
                    f"operator between needs two numbers as low|high, e.g. 10|50; got {value!r}"
                    + _ASCII_DIGITS_HINT * (not value.isascii()),
                )
            elif float(parts[0]) > float(parts[1]):
                self.report(
                    row, value_column, f"between {value!r}: the low bound is above the high bound"
                )
        elif operator in LIST_OPERATORS:
            if not any(trim(part) for part in value.split("|")):
                self.report(row, value_column, f"operator {operator} needs at least one value")
        elif operator == "regex":
            problem = regex_problem(value)
            if problem:
                self.report(row, value_column, problem)

    def stage_ref(
        self, row: SeedRow, column: str, model: str | None, stages: Stages, *, blank_ok: bool
    ) -> None:
        """Check a cell naming a stage of the row's model (feedback caps, alert routes)."""
        value = row.text(column)
        if not value:
            if not blank_ok:
                self.report(row, column, "is required")
            return
        key = value.lower()
        if key == EXCLUDED_STAGE:
            self.report(row, column, "'excluded' is set only by stage exclusions")
            return
        # Without usable thresholds the known stages are incomplete: stay quiet, not wrong.
        if model is None or model not in stages or not self.seeds["score_thresholds"].usable:
            return
        if key not in stages[model]:
            known = ", ".join(sorted(stages[model]))
            self.report(
                row,
                column,
                f"unknown stage {value!r} for model {row.text('model_id')!r} (known: {known})",
            )
