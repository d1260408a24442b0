"""The contract's fixed vocabularies and text rules, shared by the loader, validator and exports.

The vocabularies dbt needs too are declared once, as dbt vars in dbt_project/dbt_project.yml,
which this module reads: the trim rule's characters (`trim_codepoints`, read by the macro
`clean_text`) and the alert route directions (`alert_directions`, read by stg_alert_routes).
"""

from __future__ import annotations

from functools import cache

import yaml

from .config import SOURCE_DBT_PROJECT_DIR


@cache
def _dbt_vars() -> dict:
    project = yaml.safe_load((SOURCE_DBT_PROJECT_DIR / "dbt_project.yml").read_text("utf-8"))
    return project["vars"]


def _trim_codepoints() -> tuple[int, ...]:
    return tuple(int(point) for point in _dbt_vars()["trim_codepoints"])


TRIM_CHARS = "".join(chr(point) for point in _trim_codepoints())
"""Trimming removes spaces, tabs, CR/LF and the full-width space U+3000 (contract §3, "Text")."""

SHIPPED_ACTIVITY_TYPES = (
    "page_view",
    "form_submission",
    "email_sent",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "content_download",
    "webinar_registration",
    "webinar_attended",
    "event_attended",
    "social_engagement",
    "cta_click",
    "login",
    "feature_used",
    "support_ticket",
    "meeting_booked",
)
"""The activity types the product ships rules for (contract §1); any other type is allowed."""

FEEDBACK_KINDS = ("true_sql", "not_ready", "unqualified")
DEAL_STATUSES = ("open", "won", "lost")
ALERT_CHANNELS = ("webhook", "slack", "log")
ALERT_DIRECTIONS: tuple[str, ...] = tuple(str(value) for value in _dbt_vars()["alert_directions"])
"""alert_routes.csv `direction` (contract §8), the dbt var `alert_directions`: which stage changes
into `to_stage` a route alerts. `up`, the default (a blank cell, or a file without the column):
the stage rank rose, and a contact scored for the first time; `down`: it fell; `any`: either."""
UP_DIRECTION, DOWN_DIRECTION, ANY_DIRECTION = ALERT_DIRECTIONS
DATE_OPERATORS: tuple[str, ...] = tuple(str(value) for value in _dbt_vars()["date_operators"])
"""Property operators on a date or timestamp relative to the as-of, the dbt var `date_operators`;
the value is a number of days. A date exactly N days away is `newer_than_days` N and
`within_next_days` N, not `older_than_days` or `later_than_days` N (macros/operators.sql)."""
DEFAULT_ALERT_DIRECTION = UP_DIRECTION
BACKFILL_CHANGE_CAUSE = "backfill"
THRESHOLD_CRITERION = str(_dbt_vars()["threshold_criterion"])
"""How MQL and SQL thresholds are recommended, in words: the dbt var `threshold_criterion`, shown
by marts.threshold_advice and `leadscore calibrate` (orchestration/outcomes/learning.py)."""
"""`marts.stage_changes.change_cause` of a change a backfill computed (a past instant): never
alerted (contract §8)."""
CRM_TARGETS = ("hubspot", "salesforce")
EXCLUDED_STAGE = "excluded"
LIFECYCLE_COLUMN = "lifecycle_stage"
"""The pseudo score column that writes the CRM's lifecycle stage (mapped from our `stage`)."""


def trim(value: object) -> str:
    """The contract's trim: '' for None, else the text without surrounding TRIM_CHARS."""
    return "" if value is None else str(value).strip(TRIM_CHARS)


def trim_sql(expr: str) -> str:
    """DuckDB SQL for the contract's trim of `expr` as text, with '' mapped to NULL.

    trim() with a character set is several times slower than looking at the first and last
    character, and most values need no trimming: only values that start or end with one of the
    characters are trimmed (the dbt macro `clean_text` renders the same SQL from the same var).
    """
    text = f"cast({expr} as varchar)"
    points = ", ".join(str(point) for point in _trim_codepoints())
    characters = " || ".join(f"chr({point})" for point in _trim_codepoints())
    return (
        f"case when ord({text}) in ({points}) or ord({text}[-1]) in ({points}) "
        f"then nullif(trim({text}, {characters}), '') "
        f"else nullif({text}, '') end"
    )
