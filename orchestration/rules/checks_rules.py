"""Checks of the models, their rules, the rules' conditions and score decay."""

from __future__ import annotations

import re

from ..vocabulary import EXCLUDED_STAGE
from .checks import Models, Rules, SeedChecker
from .csv_reading import SeedRow
from .schema import (
    ACCOUNT_ROLLUPS,
    ACTIVITY_OPERATORS,
    AGGREGATES,
    DECAY_KINDS,
    POINTS_MODES,
    PROPERTY_OPERATORS,
    SCORE_GROUPS,
    STAGE_POLICIES,
    SUBJECTS,
)

SUM_TOP_N = re.compile(r"sum_top_[1-9][0-9]*")


def check_models(check: SeedChecker) -> Models:
    """The models by normalized id, or None when scoring_models.csv is unusable."""
    seed = check.seeds["scoring_models"]
    models: dict[str, SeedRow] = {}
    for row in seed.rows:
        model_id = check.required(row, "model_id")
        if model_id is not None:
            key = model_id.lower()
            if key in models:
                check.report(
                    row,
                    "model_id",
                    f"duplicate model_id {model_id!r} (first on line {models[key].line})",
                )
            else:
                models[key] = row
        if row.key("base_stage") == EXCLUDED_STAGE:
            check.report(row, "base_stage", "'excluded' is reserved for stage exclusions")
        check.choice(row, "stage_policy", STAGE_POLICIES, blank_ok=True)
        if row.text("population_property"):
            check.condition(
                row,
                operators=PROPERTY_OPERATORS,
                operator_column="population_operator",
                value_column="population_value",
            )
        else:
            for column in ("population_operator", "population_value"):
                if row.text(column):
                    check.report(
                        row,
                        column,
                        "is set but population_property is blank "
                        "(blank population_property = every contact)",
                    )
        for column in ("fit_cap", "engagement_cap", "total_cap"):
            check.number(row, column, minimum=0, why=" (caps limit absolute values)")
        _check_outcome(check, row)
        _check_account(check, row)
        check.enabled(row)
    return models if seed.usable else None


def _check_account(check: SeedChecker, row: SeedRow) -> None:
    """account_rollup: max, avg, sum or sum_top_N (N >= 1), and only with account_property."""
    rollup = row.key("account_rollup")
    if not rollup:
        return
    if not row.text("account_property"):
        check.report(
            row,
            "account_rollup",
            "is set but account_property is blank: name the property that holds a contact's "
            "account (e.g. company_id, company) or write email_domain",
        )
    if rollup not in ACCOUNT_ROLLUPS and not SUM_TOP_N.fullmatch(rollup):
        check.report(
            row,
            "account_rollup",
            f"unknown value {row.text('account_rollup')!r}; use max, avg, sum or sum_top_N "
            "(e.g. sum_top_3: the sum of the 3 highest contact scores)",
        )


def _check_outcome(check: SeedChecker, row: SeedRow) -> None:
    """outcome_property needs the value that means converted; the population must not be it.

    Without outcome_property a contact converted when it has a won deal, of the product line
    outcome_value names when that is set.
    """
    outcome_property = row.key("outcome_property")
    if outcome_property and not row.text("outcome_value"):
        check.report(
            row,
            "outcome_value",
            f"is blank but outcome_property is {row.text('outcome_property')!r}: "
            "say which value of it means converted (e.g. 1, true, customer)",
        )


def check_rules(check: SeedChecker, models: Models) -> Rules:
    """Rules by normalized id: (normalized model id, row)."""
    rules: Rules = {}
    for row in check.rows("scoring_rules"):
        model = check.model_ref(row, models)
        rule_id = check.required(row, "rule_id")
        if rule_id is not None:
            key = rule_id.lower()
            if key in rules:
                check.report(
                    row,
                    "rule_id",
                    f"duplicate rule_id {rule_id!r} (first on line {rules[key][1].line}); "
                    "rule ids are unique across the file",
                )
            else:
                rules[key] = (model, row)
        check.choice(row, "score_group", SCORE_GROUPS)
        check.number(row, "points", required=True)
        check.choice(row, "points_mode", POINTS_MODES, blank_ok=True)
        check.number(row, "max_points", minimum=0, why=" (it caps the absolute value)")
        check.enabled(row)
    return rules


ACTIVITY_ONLY_COLUMNS = (
    "window_days", "min_count", "max_count", "aggregate", "baseline_days", "change_percent",
)  # fmt: skip


def _check_activity_condition(check: SeedChecker, row: SeedRow) -> None:
    """Operator, window, aggregate, bounds and trend of one activity condition."""
    check.condition(row, operators=ACTIVITY_OPERATORS)
    window = check.number(row, "window_days", positive=True)
    aggregate = check.choice(row, "aggregate", AGGREGATES, blank_ok=True) or "count"
    is_sum = aggregate == "sum"
    # A count is whole; a sum of `value` (usage, seconds, an amount) may be any number.
    low = check.number(row, "min_count", integer=not is_sum, minimum=None if is_sum else 0)
    high = check.number(row, "max_count", integer=not is_sum, minimum=None if is_sum else 0)
    if low is not None and high is not None and low > high:
        check.report(
            row,
            "min_count",
            f"min_count {low:g} is above max_count {high:g}; the condition never holds",
        )
    baseline = check.number(row, "baseline_days", positive=True)
    change = check.number(row, "change_percent", minimum=-100)
    if baseline is None:
        if row.text("change_percent") and not row.text("baseline_days"):
            check.report(row, "change_percent", "needs baseline_days (the period to compare with)")
        elif is_sum and low is None and high is None and not row.text("min_count"):
            check.report(
                row,
                "min_count",
                "aggregate sum needs a bound: min_count and/or max_count (the sum of value)",
            )
        return
    if not row.text("window_days"):
        check.report(row, "window_days", "a trend (baseline_days) needs window_days")
    elif window is not None and not row.text("change_percent"):
        check.report(
            row,
            "change_percent",
            "a trend needs change_percent, e.g. -50 (fell by half) or 100 (doubled)",
        )
    if change == 0:
        check.report(row, "change_percent", "0 is no change; use e.g. -50 (a fall) or 100 (a rise)")
    for column in ("min_count", "max_count"):
        if row.text(column):
            check.report(row, column, "a trend compares the window with its baseline; leave blank")


def check_conditions(check: SeedChecker, rules: Rules) -> None:
    seed = check.seeds["rule_conditions"]
    rules_usable = check.seeds["scoring_rules"].usable
    conditions: dict[str, list[str | None]] = {}
    for row in seed.rows:
        rule_id = check.required(row, "rule_id")
        subject = check.choice(row, "subject", SUBJECTS)
        if rule_id is not None:
            key = rule_id.lower()
            if key in rules:
                conditions.setdefault(key, []).append(subject)
            elif rules_usable:
                check.report(
                    row,
                    "rule_id",
                    f"unknown rule {rule_id!r} (not in seeds/scoring_rules.csv)",
                )
        field = check.required(
            row,
            "field",
            " (a contact property, or an activity type / * for activity conditions)",
        )
        if subject == "property" and field == "*":
            check.report(row, "field", "'*' (any activity type) only works for activity conditions")
        # An unknown subject is checked as an activity condition, the more permissive one.
        if subject != "property":
            _check_activity_condition(check, row)
        else:
            check.condition(row, operators=PROPERTY_OPERATORS)
            for column in ACTIVITY_ONLY_COLUMNS:
                if row.text(column):
                    check.report(row, column, "only applies to activity conditions; leave blank")

    # A rule's conditions are only all known when rule_conditions.csv was read whole.
    if not seed.usable:
        return
    for key, (_model, row) in rules.items():
        subjects = conditions.get(key, [])
        if not subjects:
            check.report(
                row,
                "rule_id",
                f"rule {row.text('rule_id')!r} has no conditions in seeds/rule_conditions.csv",
            )
        elif row.key("points_mode") == "per_occurrence":
            activities = sum(1 for subject in subjects if subject == "activity")
            if activities != 1:
                check.report(
                    row,
                    "points_mode",
                    f"per_occurrence needs exactly one activity condition (rule has {activities})",
                )


def check_decay(check: SeedChecker, models: Models) -> None:
    seen: dict[tuple[str | None, str], SeedRow] = {}
    for row in check.rows("score_decay"):
        model = check.model_ref(row, models)
        decay_id = check.required(row, "decay_id")
        if decay_id is not None:
            key = (model or row.key("model_id"), decay_id.lower())
            if key in seen:
                check.report(
                    row,
                    "decay_id",
                    f"duplicate decay_id {decay_id!r} for model {row.text('model_id')!r} "
                    f"(first on line {seen[key].line})",
                )
            else:
                seen[key] = row
        kind = check.choice(row, "kind", DECAY_KINDS)
        if kind in ("half_life", "step"):
            check.number(row, "days", required=True, positive=True, why=f" for {kind}")
            check.number(row, "points")
        elif kind in ("inactivity", "unopened_email"):
            check.number(row, "days", required=True, minimum=0, why=f" for {kind}")
            check.number(row, "points", required=True, why=f" for {kind}")
        else:
            check.number(row, "days", minimum=0)
            check.number(row, "points")
        check.number(
            row,
            "percent",
            required=kind == "step",
            minimum=0,
            maximum=100,
            why=" for step" if kind == "step" else "",
        )
