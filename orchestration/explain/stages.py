"""How the stage was reached, read from the stage models dbt computed for the contact."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb

from .conditions import condition_evidence
from .rows import fetch_one, fetch_rows, seed_number


def stage_reasoning(
    con: duckdb.DuckDBPyConnection,
    contact_id: str,
    model: dict,
    totals: dict,
    as_of: datetime,
    matched_rules: set[str],
    feedback: dict | None,
    evaluated: dict[str, dict],
) -> dict:
    """Threshold -> sticky -> feedback max_stage -> feedback override -> exclusion, as built.

    Each step is read from the model that computed it: int_threshold_stages (segment, stage
    and reason), int_sticky_stages (the stage kept by the sticky policy), int_contact_feedback
    (max_stage, stage_override, passed in as `feedback`) and int_contact_stages (final stage,
    reason, exclusion).
    """
    model_id = model["model_id"]
    keys = [model_id, contact_id]
    threshold = fetch_one(
        con,
        "select * from intermediate.int_threshold_stages where model_id = ? and contact_id = ?",
        keys,
    )
    # int_sticky_stages keeps every run's rows: the one of this build's as-of is the one used.
    sticky = fetch_one(
        con,
        """
        select * from intermediate.int_sticky_stages
        where model_id = ? and contact_id = ? and as_of = ?
        """,
        [*keys, as_of],
    )
    final = fetch_one(
        con,
        "select * from intermediate.int_contact_stages where model_id = ? and contact_id = ?",
        keys,
    )
    return {
        "stage": final["stage"],
        "stage_rank": final["stage_rank"],
        "stage_reason": final["stage_reason"],
        "base_stage": model["base_stage"],
        "stage_policy": model["stage_policy"],
        "segment_property": model["segment_property"],
        "segment_value": _segment_value(con, contact_id, model["segment_property"]),
        "segment": threshold["segment"],
        "threshold_stage": threshold["threshold_stage"],
        "threshold_rank": threshold["threshold_rank"],
        "threshold_reason": threshold["threshold_reason"],
        "thresholds": _threshold_rows(con, model_id, threshold["segment"], totals, matched_rules),
        "sticky_stage": sticky["sticky_stage"] if sticky else None,
        "sticky_since_as_of": sticky["sticky_since_as_of"] if sticky else None,
        "feedback_max_stage": feedback["max_stage"] if feedback else None,
        "feedback_stage_override": feedback["stage_override"] if feedback else None,
        "is_excluded": final["is_excluded"],
        "exclusion_id": final["exclusion_id"],
        "exclusion_reason": final["exclusion_reason"],
        "exclusions": _exclusions(con, model_id, evaluated),
    }


def _segment_value(
    con: duckdb.DuckDBPyConnection, contact_id: str, segment_property: str | None
) -> str | None:
    """The contact's raw segment value (int_threshold_stages keeps only the normalised one)."""
    if not segment_property:
        return None
    row = fetch_one(
        con,
        "select property_value from staging.stg_contact_properties "
        "where contact_id = ? and property_name = ?",
        [contact_id, segment_property],
    )
    return row["property_value"] if row else None


# ---------------------------------------------------------------------------------------------
# PYTHON REASONING, kept until dbt exposes it. int_threshold_stages evaluates every stage's
# effective threshold row (CTEs `stage_rows` and `holding`) but keeps only the chosen stage, so
# which rows were met is not in the build database. Reading it would need one more column on
# int_threshold_stages: `threshold_rows`, a list of struct(stage, stage_rank, segment,
# score_column, score, min_score, required_rule_id, required_rule_matched, holds), one per stage
# (the `stage_rows` CTE left-joined to int_rule_matches, before `holding` filters it).
# Until then this mirrors that SQL; the chosen stage itself is read, never derived from this.
# ---------------------------------------------------------------------------------------------


def _threshold_rows(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    segment: str,
    totals: dict,
    matched_rules: set[str],
) -> list[dict]:
    """Each stage's effective threshold row (segment row, else `*`) and whether it holds."""
    rows = fetch_rows(
        con,
        """
        select * from staging.stg_score_thresholds
        where model_id = ? and (segment = '*' or segment = ?)
        order by stage_rank, stage, segment = '*'
        """,
        [model_id, segment],
    )
    chosen: dict[str, dict] = {}
    for row in rows:
        chosen.setdefault(row["stage"], row)
    result = []
    for row in chosen.values():
        column = row["score_column"]
        score = totals[
            {"fit": "fit_score", "engagement": "engagement_score"}.get(column, "total_score")
        ]
        minimum = row["min_score"]
        required = row["required_rule_id"]
        holds = (minimum is None or score >= Decimal(str(minimum))) and (
            required is None or required in matched_rules
        )
        result.append(
            {
                "stage": row["stage"],
                "stage_rank": row["stage_rank"],
                "segment": row["segment"],
                "score": column,
                "score_value": score,
                "min_score": seed_number(minimum),
                "required_rule_id": required,
                "required_rule_matched": (required in matched_rules) if required else None,
                "holds": holds,
            }
        )
    return sorted(result, key=lambda r: (r["stage_rank"] or 0, r["stage"]))


# --------------------------------------------------------------------------------------------- #


def _exclusions(
    con: duckdb.DuckDBPyConnection, model_id: str, evaluated: dict[str, dict]
) -> list[dict]:
    """Every exclusion of the model (file order) and whether its condition held for the contact.

    The outcomes come from int_conditions / int_condition_exceptions, the same evaluation that
    int_exclusion_matches uses; the exclusion applied is int_contact_stages.exclusion_id.
    """
    rows = fetch_rows(
        con,
        "select * from staging.stg_stage_exclusions where model_id = ? order by exclusion_order",
        [model_id],
    )
    result = []
    for row in rows:
        condition_id = f"exclusion:{model_id}:{row['exclusion_id']}"
        definition = {
            "condition_id": condition_id,
            "subject": "property",
            "field": row["property_name"],
            "operator": row["operator"],
            "condition_value": row["condition_value"],
        }
        condition = condition_evidence(definition, evaluated.get(condition_id), True)
        result.append(
            {
                "exclusion_id": row["exclusion_id"],
                "reason": row["reason"],
                "text": condition["text"],
                "held": condition["held"],
                "evidence": condition["evidence"],
            }
        )
    return result
