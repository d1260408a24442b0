"""The seed files, their required columns and the vocabularies only the seeds use."""

from __future__ import annotations

from ..contracts import model_columns
from ..vocabulary import DATE_OPERATORS, LIFECYCLE_COLUMN

SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "scoring_models": (
        "model_id",
        "name",
        "description",
        "base_stage",
        "stage_policy",
        "segment_property",
        "population_property",
        "population_operator",
        "population_value",
        "fit_cap",
        "engagement_cap",
        "total_cap",
        "enabled",
    ),
    "scoring_rules": (
        "model_id",
        "rule_id",
        "score_group",
        "description",
        "points",
        "points_mode",
        "max_points",
        "enabled",
    ),
    "rule_conditions": (
        "rule_id",
        "subject",
        "field",
        "operator",
        "value",
        "window_days",
        "min_count",
        "max_count",
    ),
    "score_decay": (
        "model_id",
        "decay_id",
        "kind",
        "activity_type",
        "days",
        "points",
        "percent",
        "description",
    ),
    "score_thresholds": (
        "model_id",
        "segment",
        "stage",
        "stage_rank",
        "score",
        "min_score",
        "required_rule_id",
    ),
    "score_bands": ("model_id", "score", "band", "min_score", "max_score"),
    "stage_exclusions": ("model_id", "exclusion_id", "property", "operator", "value", "reason"),
    "feedback_rules": ("model_id", "feedback", "points", "max_stage", "stage_override"),
    "alert_routes": ("model_id", "to_stage", "channel", "destination"),
    "crm_field_map": ("model_id", "target", "score_column", "crm_field"),
}
"""Every seed and its required columns, in the contract's order."""

OPTIONAL_SEED_COLUMNS: dict[str, tuple[str, ...]] = {name: () for name in SEED_COLUMNS} | {
    "alert_routes": ("direction",),
    "scoring_models": ("outcome_property", "outcome_value", "account_property", "account_rollup"),
    "scoring_rules": ("buying_role",),
    "rule_conditions": ("aggregate", "baseline_days", "change_percent"),
}
"""Columns a seed may have after its required ones, in this order. A seed has no other column:
dbt loads a seed file into a table with a fixed column list (`column_types` in dbt_project.yml),
by position, so a new optional column also needs its `column_types` entry. A file without an
optional column loads into a table without it (every build re-creates the seed tables): its
staging model reads it with the dbt macro `optional_seed_column` and applies the default."""


def seed_columns(name: str) -> tuple[str, ...]:
    """Every column the seed `name` may have, in the only order dbt loads correctly."""
    return SEED_COLUMNS[name] + OPTIONAL_SEED_COLUMNS.get(name, ())


OPTIONAL_SEEDS = frozenset({"alert_routes", "crm_field_map"})
"""Seeds that may be absent; every other seed in `SEED_COLUMNS` must exist."""

PROPERTY_OPERATORS = (
    "eq",
    "neq",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "is_set",
    "is_not_set",
)
ACTIVITY_OPERATORS = (*PROPERTY_OPERATORS, "any")
PROPERTY_OPERATORS = (*PROPERTY_OPERATORS, *DATE_OPERATORS)
ACCOUNT_ROLLUPS = ("max", "avg", "sum")
"""scoring_models account_rollup (blank = max); `sum_top_N` sums the N highest contact scores."""
AGGREGATES = ("count", "sum")
"""Activity condition `aggregate`: what min_count/max_count and a trend measure (blank = count)."""
NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
LIST_OPERATORS = frozenset({"in", "not_in"})
VALUELESS_OPERATORS = frozenset({"is_set", "is_not_set", "any"})

SUBJECTS = ("property", "activity")
SCORE_GROUPS = ("fit", "engagement")
POINTS_MODES = ("once", "per_occurrence")
DECAY_KINDS = ("half_life", "step", "inactivity", "unopened_email")
SCORES = ("total", "fit", "engagement")
STAGE_POLICIES = ("sticky", "follow_score")

DISABLED_VALUES = frozenset({"false", "no", "0"})
ENABLED_VALUES = frozenset({"", "true", "yes", "1"}) | DISABLED_VALUES
"""Every accepted `enabled` cell (lower-cased); blank means enabled."""

UNQUALIFIED_STAGE = "unqualified"
DEFAULT_BASE_STAGE = "lead"
"""Defaults for blank cells (as the staging models apply them): base_stage `lead`, stage_policy
`follow_score`, points_mode `once`, threshold segment `*` and score `total`, activity operator
`any`, alert channel `log`, alert direction `up`."""


_NOT_SCORES = frozenset({"model_id", "contact_id"})


def crm_score_columns() -> tuple[str, ...]:
    """`contact_scores` columns a CRM field can be fed from, plus `lifecycle_stage`.

    Read from the model's dbt yml when asked (not at import), so the yml stays the one list.
    """
    scores = (column for column in model_columns("contact_scores") if column not in _NOT_SCORES)
    return (*scores, LIFECYCLE_COLUMN)


def seed_label(name: str) -> str:
    """How problems name a seed file."""
    return f"seeds/{name}.csv"
