"""Checks of the models, their rules, the rules' conditions and score decay."""

from __future__ import annotations

from ..vocabulary import EXCLUDED_STAGE
from .checks import Models, Rules, SeedChecker
from .csv_reading import SeedRow
from .schema import (
    ACTIVITY_OPERATORS,
    DECAY_KINDS,
    POINTS_MODES,
    PROPERTY_OPERATORS,
    SCORE_GROUPS,
    STAGE_POLICIES,
    SUBJECTS,
)


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
        check.enabled(row)
    return models if seed.usable else None


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
            check.condition(row, operators=ACTIVITY_OPERATORS)
            check.number(row, "window_days", positive=True)
            low = check.number(row, "min_count", integer=True, minimum=0)
            high = check.number(row, "max_count", integer=True, minimum=0)
            if low is not None and high is not None and low > high:
                check.report(
                    row,
                    "min_count",
                    f"min_count {low:g} is above max_count {high:g}; the condition never holds",
                )
        else:
            check.condition(row, operators=PROPERTY_OPERATORS)
            for column in ("window_days", "min_count", "max_count"):
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
