"""One contact's explanation read from the build database: rules, decay, caps, feedback, stage."""

from __future__ import annotations

from datetime import datetime

import duckdb

from ..contracts import model_columns
from .conditions import condition_evidence, evaluate_conditions, rules_with_evidence
from .rows import ZERO, fetch_one, fetch_rows, plain_number, seed_number
from .stages import stage_reasoning


class ExplainError(Exception):
    """The contact or model cannot be explained (unknown, not scored, no build, ...)."""


def explain_contact(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str | None = None
) -> list[dict]:
    """Explain one contact's scores: one dict per model (every model scoring it by default).

    Raises ExplainError for an unknown contact or model, a disabled model, or a model whose
    population does not include the contact.
    """
    contact_id = contact_id.strip()
    model_id = model_id.strip().lower() if model_id else None
    try:
        models = _check_request(con, contact_id, model_id)
        return [_explain_model(con, contact_id, m) for m in models]
    except duckdb.CatalogException as exc:
        raise ExplainError(
            f"the build database is incomplete ({exc}); run `leadscore run` first"
        ) from exc


def _scored_models(con: duckdb.DuckDBPyConnection, contact_id: str) -> list[str]:
    rows = con.execute(
        "select model_id from marts.contact_scores where contact_id = ? order by model_id",
        [contact_id],
    ).fetchall()
    return [row[0] for row in rows]


def _check_request(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str | None) -> list:
    """The models to explain, or an ExplainError saying why the request cannot be explained."""
    known = con.execute(
        "select count(*) from staging.stg_contacts where contact_id = ?", [contact_id]
    ).fetchone()[0]
    if not known:
        raise ExplainError(f"unknown contact '{contact_id}' (not in the build's contacts)")
    scored = _scored_models(con, contact_id)
    if model_id is None:
        if not scored:
            raise ExplainError(f"contact '{contact_id}' is not scored by any enabled model")
        return scored
    model = fetch_one(
        con, "select * from staging.stg_scoring_models where model_id = ?", [model_id]
    )
    if model is None:
        models = [
            r[0]
            for r in con.execute(
                "select model_id from staging.stg_scoring_models order by model_id"
            ).fetchall()
        ]
        raise ExplainError(f"unknown model '{model_id}' (models: {', '.join(models) or 'none'})")
    if not model["is_enabled"]:
        raise ExplainError(f"model '{model_id}' is disabled (scoring_models.enabled)")
    if model_id not in scored:
        population = fetch_one(
            con,
            """
            select property_value from staging.stg_contact_properties
            where contact_id = ? and property_name = ?
            """,
            [contact_id, model["population_property"]],
        )
        value = population["property_value"] if population else None
        raise ExplainError(
            f"contact '{contact_id}' is not in the population of model '{model_id}' "
            f"({model['population_property']} {model['population_operator'] or 'eq'} "
            f"'{model['population_value']}'; the contact's value: "
            + ("not set" if value is None else f"'{value}'")
            + ")"
        )
    return [model_id]


def _decay(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str) -> list[dict]:
    """Every decay row of the model (file order): applied or not, its points and the evidence."""
    definitions = fetch_rows(
        con,
        "select *, row_number() over () as file_order from staging.stg_score_decay "
        "where model_id = ?",
        [model_id],
    )
    penalties = {
        row["decay_id"]: row
        for row in fetch_rows(
            con,
            """
            select * from intermediate.int_decay_penalties
            where model_id = ? and contact_id = ?
            """,
            [model_id, contact_id],
        )
    }
    contact = fetch_one(
        con, "select created_at from staging.stg_contacts where contact_id = ?", [contact_id]
    ) or {"created_at": None}
    newest_by_type = {
        row["activity_type"]: row["last_at"]
        for row in fetch_rows(
            con,
            """
            select activity_type, max(occurred_at) as last_at
            from intermediate.int_activities where contact_id = ?
            group by activity_type
            """,
            [contact_id],
        )
    }
    result = []
    for row in sorted(definitions, key=lambda r: r["file_order"]):
        kind = row["decay_kind"]
        penalty = penalties.get(row["decay_id"])
        item = {
            "decay_id": row["decay_id"],
            "kind": kind,
            "activity_type": row["activity_type"],
            "days": row["days"],
            "points_per": seed_number(row["points"]),
            "percent": row["percent"],
            "description": row["description"],
            "applied": penalty is not None if kind in ("inactivity", "unopened_email") else None,
            "points": penalty["points"] if penalty else ZERO,
            "activity_count": penalty["activity_count"] if penalty else None,
            "last_activity_at": penalty["last_activity_at"] if penalty else None,
        }
        days = plain_number(row["days"])
        if kind == "inactivity":
            # Evidence only: whether the penalty applied is int_decay_penalties' answer above.
            kind_of = row["activity_type"] or "any"
            if row["activity_type"]:
                last = newest_by_type.get(row["activity_type"])
            else:
                last = max(newest_by_type.values(), default=None)
            reference = last or contact["created_at"]
            item["reference_at"] = reference
            if reference is None:
                item["evidence"] = f"no {kind_of} activity and no created_at: no penalty"
            else:
                source = (
                    f"newest {kind_of} activity" if last else f"no {kind_of} activity; created_at"
                )
                item["evidence"] = (
                    f"{source} {reference}, "
                    + ("older" if penalty else "not older")
                    + f" than {days} days"
                )
        elif kind == "unopened_email":
            count = penalty["activity_count"] if penalty else 0
            item["evidence"] = f"{count} email_sent older than {days} days without an open or click"
        else:
            scope = row["activity_type"] or "every activity type"
            effect = (
                f"half-life {days} days"
                if kind == "half_life"
                else f"-{plain_number(row['percent'])} % after {days} days"
            )
            item["evidence"] = f"{effect} on {scope}: applied inside the rule points"
        result.append(item)
    return result


def _feedback(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str, as_of: datetime | None
) -> tuple[dict | None, list[dict]]:
    """The feedback applied (int_contact_feedback) and every other one, with why it is ignored."""
    applied = fetch_one(
        con,
        """
        select feedback, given_at, given_by, note, points, max_stage, stage_override
        from intermediate.int_contact_feedback where model_id = ? and contact_id = ?
        """,
        [model_id, contact_id],
    )
    others = []
    for row in fetch_rows(
        con,
        """
        select feedback, given_at, given_by, note, model_id
        from staging.stg_sales_feedback
        where contact_id = ? and (model_id is null or model_id = ?)
        order by given_at desc, feedback
        """,
        [contact_id, model_id],
    ):
        if applied and (row["feedback"], row["given_at"]) == (
            applied["feedback"],
            applied["given_at"],
        ):
            continue
        # Python reasoning: int_contact_feedback keeps only the newest feedback at or before
        # as-of, so why each other one was passed over is told here (no model records it).
        if as_of is not None and row["given_at"] is not None and row["given_at"] > as_of:
            row["ignored_because"] = "given after the as-of instant"
        else:
            row["ignored_because"] = "replaced by newer feedback"
        others.append(row)
    return applied, others


def _caps(model: dict, totals: dict) -> list[dict]:
    """The amount each cap removed (int_contact_totals) and the score it was applied to."""
    caps = []
    for group, limit, before, removed in (
        (
            "fit",
            model["fit_cap"],
            totals["fit_score"] - totals["fit_cap_points"],
            totals["fit_cap_points"],
        ),
        (
            "engagement",
            model["engagement_cap"],
            totals["engagement_raw"] + totals["decay_points"],
            totals["engagement_cap_points"],
        ),
        (
            "total",
            model["total_cap"],
            totals["fit_score"] + totals["engagement_score"],
            totals["total_cap_points"],
        ),
    ):
        caps.append(
            {
                "cap": f"cap:{group}",
                "limit": seed_number(limit),
                "before": before,
                "points": removed,
                "applied": removed != 0,
            }
        )
    return caps


def _population(model: dict, evaluated: dict[str, dict]) -> dict | None:
    """Whether the contact is in the model's population, with the evidence (None: everyone)."""
    if not model["population_property"]:
        return None
    model_id = model["model_id"]
    condition = condition_evidence(
        {
            "condition_id": f"population:{model_id}",
            "subject": "property",
            "field": model["population_property"],
            "operator": model["population_operator"] or "eq",
            "condition_value": model["population_value"],
        },
        evaluated.get(f"population:{model_id}"),
        True,
    )
    return {k: condition[k] for k in ("text", "held", "evidence")}


def _explain_model(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str) -> dict:
    """One model's explanation for a contact it scores."""
    keys = [model_id, contact_id]
    model = fetch_one(con, "select * from intermediate.int_models where model_id = ?", [model_id])
    mart_row = fetch_one(
        con, "select * from marts.contact_scores where model_id = ? and contact_id = ?", keys
    )
    totals = fetch_one(
        con,
        "select * from intermediate.int_contact_totals where model_id = ? and contact_id = ?",
        keys,
    )
    evaluated = evaluate_conditions(con, contact_id, model_id, mart_row["as_of"])
    rules = rules_with_evidence(con, contact_id, model_id, evaluated)
    decay = _decay(con, contact_id, model_id)
    feedback, other_feedback = _feedback(con, contact_id, model_id, mart_row["as_of"])
    caps = _caps(model, totals)
    contribution_sum = (
        sum((rule["points"] for rule in rules), ZERO)
        + sum((item["points"] for item in decay), ZERO)
        + sum((cap["points"] for cap in caps), ZERO)
        + (feedback["points"] if feedback else ZERO)
    )
    rule_decay = sum(
        (rule["decay_points"] for rule in rules if rule["score_group"] == "engagement"), ZERO
    )
    stage = stage_reasoning(con, contact_id, model, mart_row["as_of"], feedback, evaluated)
    explanation = {
        "contact_id": contact_id,
        "model_id": model_id,
        "model_name": model["model_name"],
        "as_of": mart_row["as_of"],
        "population": _population(model, evaluated),
        "rules": rules,
        "decay": decay,
        "rule_decay_points": rule_decay,
        "caps": caps,
        "feedback": feedback,
        "other_feedback": other_feedback,
        "scores": {},
        "contribution_sum": contribution_sum,
        "stage": stage,
    }
    # "scores" holds every column contact_scores.yml declares, except those the explanation
    # already shows as its own keys (contact, model, as-of) or under "stage".
    shown_elsewhere = explanation.keys() | stage.keys()
    explanation["scores"] = {
        column: mart_row[column]
        for column in model_columns("contact_scores")
        if column not in shown_elsewhere
    }
    return explanation
