"""`leadscore explain`: the "test a contact" view over the build database.

For one contact and one model (default: every model that scores the contact) it lists every rule
of the model, matched or not, with its points and the evidence of each condition, then the decay
rows, caps, sales feedback, the final scores and how the stage was reached.

`explain_contact` reads a DuckDB connection to the build database (data only, exact decimals);
`render_explanation` turns the result into rich tables and `to_json` into one JSON document.
`open_build` opens the build database read-only, or a scratch copy rebuilt by dbt at another
as-of instant (the real build database is never written).
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .scratch import ScratchBuildError, build_scratch_copy

ZERO = Decimal("0.00")
GROUP_ORDER = {"fit": 0, "engagement": 1}


class ExplainError(Exception):
    """The contact or model cannot be explained (unknown, not scored, no build, ...)."""


# --------------------------------------------------------------------------------------------
# Reading the build database
# --------------------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> dict | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def _number(value: Any) -> Decimal | None:
    """A seed number (double) as an exact 2-decimal value, for display next to points."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _plain_number(value: Any) -> str:
    """1.0 -> '1', 2.5 -> '2.5' (window days, counts, limits)."""
    if value is None:
        return ""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def build_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as-of instant the build database was scored at (None when nothing is scored)."""
    try:
        row = con.execute("select max(as_of) from marts.contact_scores").fetchone()
    except duckdb.CatalogException as exc:
        raise ExplainError(
            "the build database has no marts.contact_scores; run `leadscore run` first"
        ) from exc
    return row[0] if row else None


def _evaluate_conditions(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str
) -> dict[str, dict]:
    """Every evaluated condition (rule, population, exclusion) of a model for one contact.

    A condition holds when its default outcome (no evidence) is true and no exception row flips
    it, or its default is false and an exception flips it.
    """
    rows = _rows(
        con,
        """
        with

        conditions as (
            select * from intermediate.int_conditions where model_id = $model
        ),

        exceptions as (
            select distinct condition_id
            from intermediate.int_condition_exceptions
            where contact_id = $contact
        ),

        properties as (
            select property_name, property_value
            from staging.stg_contact_properties
            where contact_id = $contact
        ),

        hits as (
            select * from intermediate.int_activity_condition_hits where contact_id = $contact
        ),

        matching as (
            -- Every matching activity of the contact, all time, with whether it is in the window.
            select
                conditions.condition_id,
                activities.activity_type,
                activities.target,
                activities.occurred_at,
                conditions.window_days is null
                    or activities.age_days < conditions.window_days as in_window
            from conditions
            inner join intermediate.int_activity_condition_keys as keys
                on conditions.condition_id = keys.condition_id
            inner join intermediate.int_activities as activities
                on
                    keys.activity_type = activities.activity_type
                    and keys.target is not distinct from activities.target
            where conditions.subject = 'activity' and activities.contact_id = $contact
        ),

        newest as (
            select
                condition_id,
                count(*) as all_time_count,
                count(*) filter (where in_window) as window_count,
                max({'at': occurred_at, 'target': target, 'type': activity_type})
                    filter (where in_window) as newest
            from matching
            group by condition_id
        )

        select
            conditions.*,
            exceptions.condition_id is not null as flipped,
            properties.property_value,
            coalesce(hits.activity_count, 0) as activity_count,
            hits.last_activity_at,
            coalesce(newest.all_time_count, 0) as all_time_count,
            newest.newest.type as newest_type,
            newest.newest.target as newest_target
        from conditions
        left join exceptions on conditions.condition_id = exceptions.condition_id
        left join properties
            on conditions.subject = 'property' and conditions.field = properties.property_name
        left join hits on conditions.condition_id = hits.condition_id
        left join newest on conditions.condition_id = newest.condition_id
        """,
        {"model": model_id, "contact": contact_id},
    )
    return {row["condition_id"]: row for row in rows}


def _condition_text(condition: dict) -> str:
    """The condition as an analyst wrote it, e.g. `job_title contains 'director'`."""
    field = condition["field"]
    operator = condition["operator"]
    value = condition.get("condition_value")
    if condition["subject"] == "activity":
        kind = "any activity" if field == "*" else field
        target = (
            ""
            if operator == "any"
            else f" target {operator}" + (f" '{value}'" if value is not None else "")
        )
        window = (
            f" in the last {_plain_number(condition['window_days'])} days"
            if condition.get("window_days") is not None
            else " (all time)"
        )
        return f"{kind}{target}{window}"
    return f"{field} {operator}" + (f" '{value}'" if value is not None else "")


def _condition_evidence(definition: dict, evaluated: dict | None, rule_enabled: bool) -> dict:
    """One condition with its outcome for the contact and the evidence behind it."""
    condition = {
        "condition_id": definition["condition_id"],
        "subject": definition["subject"],
        "field": definition["field"],
        "operator": definition["operator"],
        "value": definition.get("condition_value"),
        "window_days": definition.get("window_days"),
        "min_count": definition.get("min_count"),
        "max_count": definition.get("max_count"),
        "text": _condition_text(definition),
        "held": None,
    }
    if definition["subject"] == "property":
        value = evaluated["property_value"] if evaluated else None
        condition["property_value"] = value
        condition["evidence"] = "not set" if value is None else f"value '{value}'"
    else:
        condition["activity_count"] = evaluated["activity_count"] if evaluated else None
        condition["all_time_count"] = evaluated["all_time_count"] if evaluated else None
        condition["last_activity_at"] = evaluated["last_activity_at"] if evaluated else None
        condition["last_activity_type"] = evaluated["newest_type"] if evaluated else None
        condition["last_activity_target"] = evaluated["newest_target"] if evaluated else None
    if evaluated is None:
        why = "rule disabled" if not rule_enabled else "not evaluated (model or rule disabled)"
        if definition["subject"] == "activity":
            condition["evidence"] = f"not evaluated: {why}"
        else:
            condition["evidence"] += f" (not evaluated: {why})"
        return condition
    condition["held"] = bool(evaluated["default_outcome"]) != bool(evaluated["flipped"])
    if definition["subject"] == "activity":
        count = evaluated["activity_count"]
        low = evaluated["min_count"]
        high = evaluated["max_count"]
        if high == 0:
            bounds = "needs none"
        elif high is None:
            bounds = f"needs {low}+"
        else:
            bounds = f"needs {low}" if low == high else f"needs {low}..{high}"
        text = f"{count} matching" + (" in window" if evaluated["window_days"] is not None else "")
        if evaluated["window_days"] is not None and evaluated["all_time_count"] != count:
            text += f" ({evaluated['all_time_count']} all time)"
        text += f", {bounds}"
        if evaluated["last_activity_at"] is not None:
            newest = f"{evaluated['newest_type']} {evaluated['last_activity_at']}"
            if evaluated["newest_target"] is not None:
                newest += f" '{evaluated['newest_target']}'"
            text += f"; newest {newest}"
        condition["evidence"] = text
    return condition


def _scored_models(con: duckdb.DuckDBPyConnection, contact_id: str) -> list[str]:
    rows = con.execute(
        "select model_id from marts.contact_scores where contact_id = ? order by model_id",
        [contact_id],
    ).fetchall()
    return [row[0] for row in rows]


def _check_request(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str | None) -> list:
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
    model = _one(con, "select * from staging.stg_scoring_models where model_id = ?", [model_id])
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
        population = _one(
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


def _rules(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str, evaluated: dict[str, dict]
) -> list[dict]:
    rules = _rows(
        con,
        """
        select *, row_number() over () as file_order
        from staging.stg_scoring_rules
        where model_id = ?
        """,
        [model_id],
    )
    definitions = _rows(
        con,
        """
        select conditions.*
        from staging.stg_rule_conditions as conditions
        inner join staging.stg_scoring_rules as rules on conditions.rule_id = rules.rule_id
        where rules.model_id = ?
        """,
        [model_id],
    )
    scores = {
        row["rule_id"]: row
        for row in _rows(
            con,
            """
            select * from intermediate.int_rule_scores
            where model_id = ? and contact_id = ?
            """,
            [model_id, contact_id],
        )
    }
    matches = {
        row[0]
        for row in con.execute(
            """
            select rule_id from intermediate.int_rule_matches
            where model_id = ? and contact_id = ?
            """,
            [model_id, contact_id],
        ).fetchall()
    }
    by_rule: dict[str, list[dict]] = {}
    for definition in sorted(definitions, key=lambda d: int(d["condition_id"].rsplit("#", 1)[1])):
        by_rule.setdefault(definition["rule_id"], []).append(definition)

    result = []
    for rule in sorted(
        rules, key=lambda r: (GROUP_ORDER.get(r["score_group"], 9), r["file_order"])
    ):
        rule_id = rule["rule_id"]
        enabled = bool(rule["is_enabled"])
        conditions = [
            _condition_evidence(d, evaluated.get(d["condition_id"]), enabled)
            for d in by_rule.get(rule_id, [])
        ]
        score = scores.get(rule_id)
        matched = rule_id in matches
        activity_conditions = [c for c in conditions if c["subject"] == "activity"]
        if score is not None:
            points, raw_points = score["points"], score["raw_points"]
            activity_count, last_activity_at = score["activity_count"], score["last_activity_at"]
        else:
            points = raw_points = ZERO
            counts = [c["activity_count"] for c in activity_conditions if c["activity_count"]]
            times = [c["last_activity_at"] for c in activity_conditions if c["last_activity_at"]]
            activity_count = sum(counts) if activity_conditions and enabled else None
            last_activity_at = max(times) if times else None
        result.append(
            {
                "rule_id": rule_id,
                "score_group": rule["score_group"],
                "description": rule["description"],
                "points_mode": rule["points_mode"],
                "rule_points": _number(rule["points"]),
                "max_points": _number(rule["max_points"]),
                "enabled": enabled,
                "matched": matched,
                "status": "matched" if matched else ("not matched" if enabled else "disabled"),
                "points": points,
                "raw_points": raw_points,
                "decay_points": points - raw_points,
                "activity_count": activity_count,
                "last_activity_at": last_activity_at,
                "conditions": conditions,
            }
        )
    return result


def _decay(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str) -> list[dict]:
    definitions = _rows(
        con,
        "select *, row_number() over () as file_order from staging.stg_score_decay "
        "where model_id = ?",
        [model_id],
    )
    penalties = {
        row["decay_id"]: row
        for row in _rows(
            con,
            """
            select * from intermediate.int_decay_penalties
            where model_id = ? and contact_id = ?
            """,
            [model_id, contact_id],
        )
    }
    contact = _one(
        con, "select created_at from staging.stg_contacts where contact_id = ?", [contact_id]
    ) or {"created_at": None}
    newest_by_type = {
        row["activity_type"]: row["last_at"]
        for row in _rows(
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
            "points_per": _number(row["points"]),
            "percent": row["percent"],
            "description": row["description"],
            "applied": penalty is not None if kind in ("inactivity", "unopened_email") else None,
            "points": penalty["points"] if penalty else ZERO,
            "activity_count": penalty["activity_count"] if penalty else None,
            "last_activity_at": penalty["last_activity_at"] if penalty else None,
        }
        days = _plain_number(row["days"])
        if kind == "inactivity":
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
                else f"-{_plain_number(row['percent'])} % after {days} days"
            )
            item["evidence"] = f"{effect} on {scope}: applied inside the rule points"
        result.append(item)
    return result


def _feedback(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str, as_of: datetime | None
) -> tuple[dict | None, list[dict]]:
    applied = _one(
        con,
        """
        select feedback, given_at, given_by, note, points, max_stage, stage_override
        from intermediate.int_contact_feedback where model_id = ? and contact_id = ?
        """,
        [model_id, contact_id],
    )
    others = []
    for row in _rows(
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
        if as_of is not None and row["given_at"] is not None and row["given_at"] > as_of:
            row["ignored_because"] = "given after the as-of instant"
        else:
            row["ignored_because"] = "replaced by newer feedback"
        others.append(row)
    return applied, others


def _thresholds(
    con: duckdb.DuckDBPyConnection, model_id: str, segment: str, scores: dict, matched: set[str]
) -> list[dict]:
    """Each stage's effective threshold row (segment row, else `*`) and whether it holds."""
    rows = _rows(
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
        score = scores[
            {"fit": "fit_score", "engagement": "engagement_score"}.get(column, "total_score")
        ]
        minimum = row["min_score"]
        required = row["required_rule_id"]
        holds = (minimum is None or score >= Decimal(str(minimum))) and (
            required is None or required in matched
        )
        result.append(
            {
                "stage": row["stage"],
                "stage_rank": row["stage_rank"],
                "segment": row["segment"],
                "score": column,
                "score_value": score,
                "min_score": _number(minimum),
                "required_rule_id": required,
                "required_rule_matched": (required in matched) if required else None,
                "holds": holds,
            }
        )
    return sorted(result, key=lambda r: (r["stage_rank"] or 0, r["stage"]))


def _exclusions(
    con: duckdb.DuckDBPyConnection, model_id: str, evaluated: dict[str, dict]
) -> list[dict]:
    rows = _rows(
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
        condition = _condition_evidence(definition, evaluated.get(condition_id), True)
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


def _explain_model(con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str) -> dict:
    model = _one(con, "select * from intermediate.int_models where model_id = ?", [model_id])
    scores = _one(
        con,
        "select * from marts.contact_scores where model_id = ? and contact_id = ?",
        [model_id, contact_id],
    )
    totals = _one(
        con,
        "select * from intermediate.int_contact_totals where model_id = ? and contact_id = ?",
        [model_id, contact_id],
    )
    threshold = _one(
        con,
        "select * from intermediate.int_threshold_stages where model_id = ? and contact_id = ?",
        [model_id, contact_id],
    )
    stages = _one(
        con,
        "select * from intermediate.int_contact_stages where model_id = ? and contact_id = ?",
        [model_id, contact_id],
    )
    sticky = _one(
        con,
        """
        select * from intermediate.int_sticky_stages
        where model_id = ? and contact_id = ? and as_of = ?
        """,
        [model_id, contact_id, scores["as_of"]],
    )
    evaluated = _evaluate_conditions(con, contact_id, model_id)
    rules = _rules(con, contact_id, model_id, evaluated)
    decay = _decay(con, contact_id, model_id)
    feedback, other_feedback = _feedback(con, contact_id, model_id, scores["as_of"])

    caps = []
    fit_before = totals["fit_score"] - totals["fit_cap_points"]
    engagement_before = totals["engagement_raw"] + totals["decay_points"]
    total_before = totals["fit_score"] + totals["engagement_score"]
    for group, limit, before, removed in (
        ("fit", model["fit_cap"], fit_before, totals["fit_cap_points"]),
        ("engagement", model["engagement_cap"], engagement_before, totals["engagement_cap_points"]),
        ("total", model["total_cap"], total_before, totals["total_cap_points"]),
    ):
        caps.append(
            {
                "cap": f"cap:{group}",
                "limit": _number(limit),
                "before": before,
                "points": removed,
                "applied": removed != 0,
            }
        )

    population = None
    if model["population_property"]:
        condition = _condition_evidence(
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
        population = {k: condition[k] for k in ("text", "held", "evidence")}

    segment_value = None
    if model["segment_property"]:
        row = _one(
            con,
            "select property_value from staging.stg_contact_properties "
            "where contact_id = ? and property_name = ?",
            [contact_id, model["segment_property"]],
        )
        segment_value = row["property_value"] if row else None

    matched = {rule["rule_id"] for rule in rules if rule["matched"]}
    contribution_sum = (
        sum((rule["points"] for rule in rules), ZERO)
        + sum((item["points"] for item in decay), ZERO)
        + sum((cap["points"] for cap in caps), ZERO)
        + (feedback["points"] if feedback else ZERO)
    )
    score_keys = (
        "fit_score",
        "engagement_raw",
        "decay_points",
        "engagement_score",
        "feedback_points",
        "total_score",
        "fit_band",
        "engagement_band",
        "total_band",
        "matrix_label",
        "top_reasons",
        "last_activity_at",
    )
    rule_decay = sum(
        (rule["decay_points"] for rule in rules if rule["score_group"] == "engagement"), ZERO
    )
    return {
        "contact_id": contact_id,
        "model_id": model_id,
        "model_name": model["model_name"],
        "as_of": scores["as_of"],
        "population": population,
        "rules": rules,
        "decay": decay,
        "rule_decay_points": rule_decay,
        "caps": caps,
        "feedback": feedback,
        "other_feedback": other_feedback,
        "scores": {key: scores[key] for key in score_keys},
        "contribution_sum": contribution_sum,
        "stage": {
            "stage": stages["stage"],
            "stage_rank": stages["stage_rank"],
            "stage_reason": stages["stage_reason"],
            "base_stage": model["base_stage"],
            "stage_policy": model["stage_policy"],
            "segment_property": model["segment_property"],
            "segment_value": segment_value,
            "segment": threshold["segment"],
            "threshold_stage": threshold["threshold_stage"],
            "threshold_rank": threshold["threshold_rank"],
            "threshold_reason": threshold["threshold_reason"],
            "thresholds": _thresholds(con, model_id, threshold["segment"], scores, matched),
            "sticky_stage": sticky["sticky_stage"] if sticky else None,
            "sticky_since_as_of": sticky["sticky_since_as_of"] if sticky else None,
            "feedback_max_stage": feedback["max_stage"] if feedback else None,
            "feedback_stage_override": feedback["stage_override"] if feedback else None,
            "is_excluded": stages["is_excluded"],
            "exclusion_id": stages["exclusion_id"],
            "exclusion_reason": stages["exclusion_reason"],
            "exclusions": _exclusions(con, model_id, evaluated),
        },
    }


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


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: list[dict], indent: int | None = 2) -> str:
    """One JSON document (a list of per-model objects); points are JSON numbers."""
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=indent)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return _plain_number(value)
    return str(value)


def _signed(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:+.2f}" if value else "0.00"


def _mark(held: bool | None) -> str:
    return {True: "✓", False: "✗", None: "·"}[held]


def _rules_table(explanation: dict) -> Table:
    table = Table(title="Rules (every rule of the model)", title_justify="left", show_lines=True)
    table.add_column("rule", overflow="fold", max_width=34)
    table.add_column("group")
    table.add_column("mode", min_width=14)
    table.add_column("status")
    table.add_column("points", justify="right")
    table.add_column("raw", justify="right")
    table.add_column("count", justify="right")
    table.add_column("last activity", max_width=10)
    table.add_column("conditions: held? and evidence", overflow="fold", ratio=1)
    for rule in explanation["rules"]:
        name = Text(rule["rule_id"], style="bold")
        if rule["description"]:
            name.append("\n" + rule["description"], style="dim")
        mode = rule["points_mode"] + f"\n{_signed(rule['rule_points'])}"
        if rule["max_points"] is not None:
            mode += f"\nmax {rule['max_points']}"
        style = {"matched": "green", "not matched": "", "disabled": "dim"}[rule["status"]]
        has_activity = any(c["subject"] == "activity" for c in rule["conditions"])
        conditions = Text()
        for i, condition in enumerate(rule["conditions"]):
            if i:
                conditions.append("\n")
            conditions.append(
                f"{_mark(condition['held'])} ", style="green" if condition["held"] else "red"
            )
            conditions.append(condition["text"])
            conditions.append(f" — {condition['evidence']}", style="dim")
        if not rule["conditions"]:
            conditions.append("(no conditions: never matches)")
        table.add_row(
            name,
            rule["score_group"],
            mode,
            Text(rule["status"], style=style),
            _signed(rule["points"]) if rule["matched"] else "",
            _signed(rule["raw_points"]) if rule["matched"] else "",
            _fmt(rule["activity_count"]) if has_activity else "-",
            _fmt(rule["last_activity_at"]),
            conditions,
        )
    return table


def _decay_table(explanation: dict) -> Table:
    table = Table(title="Decay", title_justify="left")
    for column in ("decay_id", "kind", "type", "days", "applied", "points", "count", "evidence"):
        table.add_column(column, overflow="fold", justify="right" if column == "points" else "left")
    for item in explanation["decay"]:
        applied = {True: "yes", False: "no", None: "in rules"}[item["applied"]]
        table.add_row(
            item["decay_id"],
            item["kind"],
            item["activity_type"] or "any",
            _fmt(item["days"]),
            applied,
            _signed(item["points"]) if item["applied"] else "",
            _fmt(item["activity_count"]) if item["applied"] else "",
            item["evidence"] + (f" ({item['description']})" if item["description"] else ""),
        )
    if not explanation["decay"]:
        table.add_row("(none)", "", "", "", "", "", "", "the model defines no decay rows")
    if any(item["applied"] is None for item in explanation["decay"]):
        table.add_row(
            "(rules)",
            "half_life/step",
            "",
            "",
            "",
            _signed(explanation["rule_decay_points"]),
            "",
            "total decay inside the engagement rules' points (points − raw)",
        )
    return table


def _caps_feedback_table(explanation: dict) -> Table:
    table = Table(title="Caps and sales feedback", title_justify="left")
    for column in ("contribution", "limit / feedback", "before", "points", "detail"):
        table.add_column(column, overflow="fold", justify="right" if column == "points" else "left")
    for cap in explanation["caps"]:
        table.add_row(
            cap["cap"],
            "no cap" if cap["limit"] is None else f"±{abs(cap['limit'])}",
            _signed(cap["before"]),
            _signed(cap["points"]) if cap["applied"] else "",
            f"removed {abs(cap['points'])}" if cap["applied"] else "within the cap",
        )
    feedback = explanation["feedback"]
    if feedback:
        effects = []
        if feedback["max_stage"]:
            effects.append(f"max_stage {feedback['max_stage']}")
        if feedback["stage_override"]:
            effects.append(f"stage_override {feedback['stage_override']}")
        detail = f"given {_fmt(feedback['given_at'])}" + (
            f" by {feedback['given_by']}" if feedback["given_by"] else ""
        )
        if feedback["note"]:
            detail += f" ({feedback['note']})"
        if effects:
            detail += "; " + ", ".join(effects)
        table.add_row("feedback", feedback["feedback"], "", _signed(feedback["points"]), detail)
    else:
        table.add_row("feedback", "none", "", "", "no sales feedback at or before as-of")
    for other in explanation["other_feedback"]:
        table.add_row(
            "",
            f"({other['feedback']})",
            "",
            "",
            f"given {_fmt(other['given_at'])}"
            + (f" by {other['given_by']}" if other["given_by"] else "")
            + f": ignored, {other['ignored_because']}",
        )
    return table


def _scores_table(explanation: dict) -> Table:
    scores = explanation["scores"]
    table = Table(title="Scores", title_justify="left")
    columns = (
        ("fit", "fit_score"),
        ("engagement_raw", "engagement_raw"),
        ("decay", "decay_points"),
        ("engagement", "engagement_score"),
        ("feedback", "feedback_points"),
        ("total", "total_score"),
    )
    for label, _ in columns:
        table.add_column(label, justify="right")
    for label in ("fit band", "eng. band", "total band", "matrix"):
        table.add_column(label)
    table.add_row(
        *[_signed(scores[key]) for _, key in columns],
        scores["fit_band"] or "",
        scores["engagement_band"] or "",
        scores["total_band"] or "",
        scores["matrix_label"] or "",
    )
    return table


def _stage_table(explanation: dict) -> Table:
    stage = explanation["stage"]
    table = Table(title="Stage", title_justify="left", show_header=False)
    table.add_column("step", style="bold")
    table.add_column("detail", overflow="fold")
    if stage["segment_property"]:
        value = stage["segment_value"]
        segment = f"{stage['segment_property']} = " + ("not set" if value is None else f"'{value}'")
        segment += f"; threshold rows of segment '{stage['segment']}', else '*'"
    else:
        segment = "no segment property: the '*' threshold rows"
    table.add_row("segment", segment)
    if not stage["thresholds"]:
        table.add_row("  thresholds", f"none defined: base stage {stage['base_stage']}")
    for row in stage["thresholds"]:
        condition = []
        if row["min_score"] is not None:
            condition.append(f"{row['score']} {row['score_value']} >= {row['min_score']}")
        if row["required_rule_id"]:
            condition.append(
                f"rule {row['required_rule_id']} "
                + ("matched" if row["required_rule_matched"] else "not matched")
            )
        table.add_row(
            f"  {row['stage']} (rank {row['stage_rank']})",
            f"{_mark(row['holds'])} segment '{row['segment']}': "
            + (" and ".join(condition) or "no condition"),
        )
    table.add_row("1 threshold", f"{stage['threshold_stage']} — {stage['threshold_reason']}")
    if stage["stage_policy"] == "sticky":
        sticky = f"{stage['sticky_stage']}"
        sticky += (
            f" (kept from the run of {_fmt(stage['sticky_since_as_of'])})"
            if stage["sticky_since_as_of"]
            else " (no higher earlier stage)"
        )
    else:
        sticky = f"not applied (stage_policy {stage['stage_policy']})"
    table.add_row("2 sticky", sticky)
    table.add_row("3 feedback max_stage", stage["feedback_max_stage"] or "none")
    table.add_row("4 feedback override", stage["feedback_stage_override"] or "none")
    if stage["exclusions"]:
        lines = [
            f"{_mark(e['held'])} {e['exclusion_id']}: {e['text']} — {e['evidence']}"
            + (f" ({e['reason']})" if e["reason"] else "")
            for e in stage["exclusions"]
        ]
        table.add_row("5 exclusion", "\n".join(lines))
    else:
        table.add_row("5 exclusion", "no exclusions defined")
    table.add_row(
        "final",
        Text(
            f"{stage['stage']} (rank {stage['stage_rank']}) — {stage['stage_reason']}", style="bold"
        ),
    )
    return table


def _renderables(explanation: dict) -> list:
    header = Text()
    header.append(f"contact {explanation['contact_id']}", style="bold")
    header.append(f" · model {explanation['model_id']}")
    if explanation["model_name"] and explanation["model_name"] != explanation["model_id"]:
        header.append(f" ({explanation['model_name']})")
    header.append(f" · as of {_fmt(explanation['as_of'])}")
    if explanation["population"]:
        population = explanation["population"]
        header.append(
            f"\npopulation: {_mark(population['held'])} {population['text']} — "
            f"{population['evidence']}"
        )
    total = explanation["scores"]["total_score"]
    check = "=" if explanation["contribution_sum"] == total else "≠"
    footer = Text(
        f"sum of contributions {explanation['contribution_sum']} {check} total_score {total}"
        f"; top reasons: {explanation['scores']['top_reasons'] or '-'}",
        style="dim" if check == "=" else "bold red",
    )
    return [
        header,
        _rules_table(explanation),
        _decay_table(explanation),
        _caps_feedback_table(explanation),
        _scores_table(explanation),
        _stage_table(explanation),
        footer,
        Text(""),
    ]


def render_explanation(data: list[dict], width: int = 160, color: bool = False) -> str:
    """Rich tables as text; plain (no escape codes) unless `color`."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
    )
    for explanation in data:
        console.print(Group(*_renderables(explanation)))
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The build database, as built or replayed at another as-of
# --------------------------------------------------------------------------------------------


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise ExplainError(f"no build database at {path}; run `leadscore run` first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise ExplainError(f"cannot open the build database {path} read-only: {exc}") from exc


def replay_build(build_db: Path, as_of: datetime, workdir: Path) -> Path:
    """Copy the build database into `workdir` and `dbt build` the copy as of `as_of`.

    Seeds are not reloaded: the replay scores with the rules of the original build.
    """
    try:
        return build_scratch_copy(build_db, as_of, workdir, reload_seeds=False)
    except ScratchBuildError as exc:
        raise ExplainError(str(exc)) from exc


@contextmanager
def open_build(
    build_db: Path,
    as_of: datetime | None = None,
    on_replay: Callable[[datetime, datetime | None], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the build, or to a scratch copy rebuilt as of `as_of`.

    When `as_of` is None or equals the build's own as-of, the build database is read directly;
    otherwise `on_replay(as_of, build's as-of)` is called before the (slow) replay.
    """
    con = _connect_read_only(build_db)
    try:
        built_at = build_as_of(con)
    except ExplainError:
        con.close()
        raise
    if as_of is None or built_at == as_of:
        try:
            yield con
        finally:
            con.close()
        return
    con.close()
    if on_replay is not None:
        on_replay(as_of, built_at)
    with tempfile.TemporaryDirectory(prefix="leadscore-explain-") as workdir:
        copy = replay_build(build_db, as_of, Path(workdir))
        replayed = _connect_read_only(copy)
        try:
            yield replayed
        finally:
            replayed.close()
