"""Every rule and condition of a model for one contact, with the evidence behind each outcome."""

from __future__ import annotations

from datetime import datetime

import duckdb

from ..vocabulary import DATE_OPERATORS
from .rows import ZERO, fetch_rows, plain_number, seed_number

GROUP_ORDER = {"fit": 0, "engagement": 1}


def evaluate_conditions(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str, as_of: datetime | None = None
) -> dict[str, dict]:
    """Every evaluated condition (rule, population, exclusion) of a model for one contact.

    A condition holds when its default outcome (no evidence) is true and no exception row flips
    it, or its default is false and an exception flips it.
    """
    rows = fetch_rows(
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
            -- As the build reads a date (macros/operators.sql `days_since`), for date operators.
            (epoch(cast($as_of as timestamp)) - epoch(try_cast(
                try_cast(properties.property_value as timestamptz) as timestamp
            ))) / 86400.0 as property_days_since,
            coalesce(hits.activity_count, 0) as activity_count,
            coalesce(hits.value_sum, 0) as value_sum,
            coalesce(hits.baseline_count, 0) as baseline_count,
            coalesce(hits.baseline_value_sum, 0) as baseline_value_sum,
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
        {"model": model_id, "contact": contact_id, "as_of": as_of},
    )
    return {row["condition_id"]: row for row in rows}


def condition_text(condition: dict) -> str:
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
            f" in the last {plain_number(condition['window_days'])} days"
            if condition.get("window_days") is not None
            else " (all time)"
        )
        measure = "sum of value of " if condition.get("aggregate") == "sum" else ""
        trend = ""
        if condition.get("baseline_days") is not None:
            change = condition["change_percent"]
            direction = "rose by at least" if change > 0 else "fell by at least"
            trend = (
                f" against the {plain_number(condition['baseline_days'])} days before: "
                f"{direction} {plain_number(abs(change))} % per day"
            )
        return f"{measure}{kind}{target}{window}{trend}"
    return f"{field} {operator}" + (f" '{value}'" if value is not None else "")


def condition_evidence(definition: dict, evaluated: dict | None, rule_enabled: bool) -> dict:
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
        "aggregate": definition.get("aggregate", "count"),
        "min_sum": definition.get("min_sum"),
        "max_sum": definition.get("max_sum"),
        "baseline_days": definition.get("baseline_days"),
        "change_percent": definition.get("change_percent"),
        "text": condition_text(definition),
        "held": None,
    }
    if definition["subject"] == "property":
        value = evaluated["property_value"] if evaluated else None
        condition["property_value"] = value
        condition["evidence"] = "not set" if value is None else f"value '{value}'"
        if value is not None and definition["operator"] in DATE_OPERATORS:
            condition["evidence"] += _days_away(evaluated["property_days_since"])
    else:
        condition["activity_count"] = evaluated["activity_count"] if evaluated else None
        if evaluated and definition.get("aggregate") == "sum":
            condition["value_sum"] = evaluated["value_sum"]
        if evaluated and definition.get("baseline_days") is not None:
            condition["baseline_count"] = evaluated["baseline_count"]
            condition["baseline_value_sum"] = evaluated["baseline_value_sum"]
            condition["change"] = trend_change_percent(evaluated)
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
    # int_condition_exceptions lists exactly the contacts whose outcome differs from the default.
    condition["held"] = bool(evaluated["default_outcome"]) != bool(evaluated["flipped"])
    if definition["subject"] == "activity":
        condition["evidence"] = _activity_evidence(evaluated)
    return condition


def _days_away(days_since: float | None) -> str:
    """` (90 days ahead)`, ` (365 days ago)`, ` (today)`, or ` (not a date)`."""
    if days_since is None:
        return " (not a date: no date condition holds; see ops.quarantine)"
    days = plain_number(round(abs(days_since), 2))
    if days_since == 0:
        return " (the as-of instant)"
    return f" ({days} days {'ago' if days_since > 0 else 'ahead'})"


def trend_change_percent(evaluated: dict) -> float | None:
    """A trend's change per day, window against baseline, in percent (None: empty baseline).
    For display: whether it holds is decided exactly by the build (macros/operators.sql)."""
    is_sum = evaluated.get("aggregate") == "sum"
    window = evaluated["value_sum"] if is_sum else evaluated["activity_count"]
    baseline = evaluated["baseline_value_sum"] if is_sum else evaluated["baseline_count"]
    if not baseline or baseline <= 0:
        return None
    window_rate = float(window) / float(evaluated["window_days"])
    baseline_rate = float(baseline) / float(evaluated["baseline_days"])
    return round((window_rate - baseline_rate) / baseline_rate * 100, 1)


def _trend_evidence(evaluated: dict) -> str:
    """E.g. `3 in window (0.1 a day) against 12 in the 60 days before (0.2 a day): -50 %`."""
    is_sum = evaluated.get("aggregate") == "sum"
    what = "sum " if is_sum else ""
    window = evaluated["value_sum"] if is_sum else evaluated["activity_count"]
    baseline = evaluated["baseline_value_sum"] if is_sum else evaluated["baseline_count"]
    window_rate = float(window) / float(evaluated["window_days"])
    baseline_days = evaluated["baseline_days"]
    baseline_rate = float(baseline) / float(baseline_days)
    change = trend_change_percent(evaluated)
    text = (
        f"{what}{plain_number(window)} in window ({window_rate:.3g} a day) against "
        f"{what}{plain_number(baseline)} in the {plain_number(baseline_days)} days before "
        f"({baseline_rate:.3g} a day): "
    )
    text += "empty baseline" if change is None else f"{change:+g} %"
    needs = evaluated["change_percent"]
    return text + f", needs {needs:+g} % or {'more' if needs > 0 else 'less'}"


def _activity_evidence(evaluated: dict) -> str:
    """E.g. `7 matching in window (8 all time), needs 1+; newest page_view ... '/pricing'`."""
    if evaluated.get("baseline_days") is not None:
        return _trend_evidence(evaluated)
    if evaluated.get("aggregate") == "sum":
        low, high = evaluated["min_sum"], evaluated["max_sum"]
        if high is None:
            bounds = f"needs {plain_number(low)}+"
        elif low is None:
            bounds = f"needs at most {plain_number(high)}"
        else:
            bounds = f"needs {plain_number(low)}..{plain_number(high)}"
        return (
            f"sum {plain_number(evaluated['value_sum'])} of {evaluated['activity_count']} "
            f"matching"
            + (" in window" if evaluated["window_days"] is not None else "")
            + f", {bounds}"
        )
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
    return text


def rules_with_evidence(
    con: duckdb.DuckDBPyConnection, contact_id: str, model_id: str, evaluated: dict[str, dict]
) -> list[dict]:
    """Every rule of the model (fit first, then file order), matched or not, with its points."""
    rules = fetch_rows(
        con,
        """
        select *, row_number() over () as file_order
        from staging.stg_scoring_rules
        where model_id = ?
        """,
        [model_id],
    )
    definitions = fetch_rows(
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
        for row in fetch_rows(
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
            condition_evidence(d, evaluated.get(d["condition_id"]), enabled)
            for d in by_rule.get(rule_id, [])
        ]
        score = scores.get(rule_id)
        matched = rule_id in matches
        activity_conditions = [c for c in conditions if c["subject"] == "activity"]
        if score is not None:
            points, raw_points = score["points"], score["raw_points"]
            activity_count, last_activity_at = score["activity_count"], score["last_activity_at"]
        else:
            # No int_rule_scores row (not matched, or disabled): sum its conditions' evidence.
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
                "rule_points": seed_number(rule["points"]),
                "max_points": seed_number(rule["max_points"]),
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
