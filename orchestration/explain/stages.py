"""How the stage was reached, read from the stage models dbt computed for the contact."""

from __future__ import annotations

from datetime import datetime

import duckdb

from .conditions import condition_evidence
from .rows import fetch_one, fetch_rows, seed_number


def stage_reasoning(
    con: duckdb.DuckDBPyConnection,
    contact_id: str,
    model: dict,
    as_of: datetime,
    feedback: dict | None,
    evaluated: dict[str, dict],
) -> dict:
    """Threshold -> sticky -> feedback max_stage -> feedback override -> exclusion, as built.

    Each step is read from the model that computed it: int_threshold_checks (every threshold
    row and whether it holds), int_threshold_stages (segment, stage and reason),
    int_sticky_stages (the stage kept by the sticky policy), int_contact_feedback (max_stage,
    stage_override, passed in as `feedback`) and int_contact_stages (final stage, reason,
    exclusion).
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
        "thresholds": _threshold_rows(con, model_id, contact_id),
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


def _threshold_rows(con: duckdb.DuckDBPyConnection, model_id: str, contact_id: str) -> list[dict]:
    """Each stage's effective threshold row and whether it holds, as int_threshold_checks
    decided it (the same rows int_threshold_stages chose the stage from)."""
    rows = fetch_rows(
        con,
        """
        select
            stage,
            stage_rank,
            segment,
            score_column as score,
            score as score_value,
            min_score,
            required_rule_id,
            required_rule_matched,
            holds
        from intermediate.int_threshold_checks
        where model_id = ? and contact_id = ? and stage is not null
        order by coalesce(stage_rank, 0), stage
        """,
        [model_id, contact_id],
    )
    return [row | {"min_score": seed_number(row["min_score"])} for row in rows]


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
