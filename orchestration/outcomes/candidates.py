"""Candidate rules for calibrate: current property rules, property values and bins, activity counts.

Each candidate comes with the contacts (of the registered view `calibration_cohort`) it holds
for at their reference instant.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import trim

# A candidate must hold for (and fail for) at least this many contacts, and this share of them:
# rarer ones learn noise.
MIN_SUPPORT = 20
MIN_SUPPORT_SHARE = 0.01
# Properties whose values are (nearly) all distinct are identifiers, e-mails or timestamps.
MAX_DISTINCT_SHARE = 0.5
NUMERIC_SHARE = 0.9
QUANTILE_BINS = 4
# Activity windows (days before the reference instant) and counts the candidates test.
ACTIVITY_TESTS = ((30, 1), (90, 1), (90, 3), (None, 1))
TARGET_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Condition:
    """One rule_conditions.csv row (rule_id added when written)."""

    subject: str
    field: str
    operator: str
    value: str = ""
    window_days: str = ""
    min_count: str = ""
    max_count: str = ""


@dataclass(frozen=True)
class Candidate:
    """A rule the learner may give points to: every condition must hold (contract §3)."""

    key: str
    score_group: str
    description: str
    conditions: tuple[Condition, ...]
    origin: str  # current_rule, property or activity


def candidates_with_holders(con, model_id: str, excluded: list[str]):
    """Every candidate and the (contact_id, candidate index) pairs it holds for."""
    candidates: list[Candidate] = []
    matches: list[tuple[list[str], int]] = []
    contacts = con.execute("select count(*) from calibration_cohort").fetchall()[0][0]
    support = max(MIN_SUPPORT, int(MIN_SUPPORT_SHARE * contacts))

    def add(candidate: Candidate, holders: list[str]) -> None:
        if support <= len(holders) <= contacts - support:
            matches.append((holders, len(candidates)))
            candidates.append(candidate)

    for candidate, holders in _current_property_rules(con, model_id):
        add(candidate, holders)
    for candidate, holders in _property_candidates(con, excluded, support, contacts):
        add(candidate, holders)
    for candidate, holders in _activity_candidates(con, support):
        add(candidate, holders)
    return candidates, matches


def _current_property_rules(con, model_id: str):
    """The model's rules whose conditions test properties only: they cannot see the future."""
    rules = con.execute(
        """
        select rules.rule_id, rules.score_group, coalesce(rules.description, rules.rule_id)
        from staging.stg_scoring_rules as rules
        where rules.model_id = ? and rules.is_enabled
            and not exists (
                select 1 from staging.stg_rule_conditions as conditions
                where conditions.rule_id = rules.rule_id and conditions.subject <> 'property'
            )
            and exists (
                select 1 from staging.stg_rule_conditions as conditions
                where conditions.rule_id = rules.rule_id
            )
        order by rules.rule_id
        """,
        [model_id],
    ).fetchall()
    for rule_id, group, description in rules:
        rows = con.execute(
            """
            select subject, field, operator, value, window_days, min_count, max_count
            from seeds.rule_conditions where lower(trim(rule_id)) = ?
            """,
            [rule_id],
        ).fetchall()
        conditions = tuple(Condition(*(trim(cell) if cell else "" for cell in row)) for row in rows)
        holders = [
            row[0]
            for row in con.execute(
                """
                select matches.contact_id from intermediate.int_rule_matches as matches
                semi join calibration_cohort as cohort on cohort.contact_id = matches.contact_id
                where matches.model_id = ? and matches.rule_id = ?
                """,
                [model_id, rule_id],
            ).fetchall()
        ]
        yield Candidate(f"rule:{rule_id}", group, description, conditions, "current_rule"), holders


def _property_candidates(con, excluded: list[str], support: int, contacts: int):
    """Frequent values of text properties; quantile bins of numeric ones."""
    profiles = con.execute(
        """
        select
            properties.property_name,
            (select min(raw.property_header) from raw.contact_properties as raw
             where lower(trim(raw.property_header)) = properties.property_name) as header,
            count(*) as filled,
            count(distinct properties.property_value_norm) as distinct_values,
            count(properties.property_number) as numbers
        from staging.stg_contact_properties as properties
        semi join calibration_cohort as cohort on cohort.contact_id = properties.contact_id
        group by properties.property_name
        order by properties.property_name
        """
    ).fetchall()
    for name, header, filled, distinct, numbers in profiles:
        header = trim(header or name)
        if name in excluded or filled < support:
            continue
        if numbers >= NUMERIC_SHARE * filled and distinct > QUANTILE_BINS:
            if distinct >= 0.9 * filled:
                continue  # numeric identifiers (hubspot_id)
            yield from _numeric_bins(con, name, header)
        elif distinct <= MAX_DISTINCT_SHARE * contacts:
            yield from _frequent_values(con, name, header, support)


def _frequent_values(con, name: str, header: str, support: int):
    rows = con.execute(
        """
        select min(property_value) as value, list(properties.contact_id) as holders
        from staging.stg_contact_properties as properties
        semi join calibration_cohort as cohort on cohort.contact_id = properties.contact_id
        where properties.property_name = ?
        group by properties.property_value_norm
        having count(*) >= ?
        order by count(*) desc, value
        """,
        [name, support],
    ).fetchall()
    for value, holders in rows:
        yield (
            Candidate(
                f"property:{name}={value.lower()}",
                "fit",
                f"{header} is {value}",
                (Condition("property", header, "eq", value),),
                "property",
            ),
            holders,
        )


def _numeric_bins(con, name: str, header: str):
    edges = con.execute(
        """
        select distinct unnest(quantile_cont(property_number, [0.25, 0.5, 0.75])) as edge
        from staging.stg_contact_properties as properties
        semi join calibration_cohort as cohort on cohort.contact_id = properties.contact_id
        where properties.property_name = ? and property_number is not null
        order by edge
        """,
        [name],
    ).fetchall()
    cuts = [_number_text(row[0]) for row in edges]
    bounds = [None, *cuts, None]
    for low, high in zip(bounds, bounds[1:], strict=False):
        conditions = []
        if low is not None:
            conditions.append(Condition("property", header, "gte", low))
        if high is not None:
            conditions.append(Condition("property", header, "lt", high))
        holders = [
            row[0]
            for row in con.execute(
                """
                select properties.contact_id from staging.stg_contact_properties as properties
                semi join calibration_cohort as cohort on cohort.contact_id = properties.contact_id
                where properties.property_name = ?
                    and (? is null or property_number >= cast(? as double))
                    and (? is null or property_number < cast(? as double))
                """,
                [name, low, low, high, high],
            ).fetchall()
        ]
        if low is None:
            text = f"{header} below {high}"
        elif high is None:
            text = f"{header} {low} or more"
        else:
            text = f"{header} from {low} to under {high}"
        yield (
            Candidate(f"property:{name}[{low},{high})", "fit", text, tuple(conditions), "property"),
            holders,
        )


def _number_text(value: float) -> str:
    """A bin edge as analysts write numbers: 250 rather than 250.0; edges rounded to 3 places."""
    rounded = round(float(value), 3)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _activity_candidates(con, support: int):
    """Counts per activity type (and frequent targets) in windows before the reference."""
    # Before a deal the reference instant itself is excluded (the deal's own activity).
    con.execute(
        """
        create or replace temp view calibration_activities as
        select
            activities.contact_id,
            activities.activity_type,
            activities.target,
            activities.target_norm,
            epoch(cohort.reference_at - activities.occurred_at) / 86400.0 as age_days
        from intermediate.int_activities as activities
        inner join calibration_cohort as cohort on cohort.contact_id = activities.contact_id
        where activities.occurred_at < cohort.reference_at
            or (not cohort.before_deal and activities.occurred_at = cohort.reference_at)
        """
    )
    try:
        types = [row[0] for row in con.execute(
            "select distinct activity_type from calibration_activities order by 1"
        ).fetchall()]  # fmt: skip
        for activity_type in types:
            for window, minimum in ACTIVITY_TESTS:
                holders = _activity_holders(con, activity_type, None, window, minimum)
                yield _activity_candidate(activity_type, None, None, window, minimum), holders
            targets = con.execute(
                """
                select target_norm, min(target) from calibration_activities
                where activity_type = ? and target_norm is not null
                    and age_days < ?
                group by target_norm
                having count(distinct contact_id) >= ?
                order by count(distinct contact_id) desc, target_norm
                limit 25
                """,
                [activity_type, TARGET_WINDOW_DAYS, support],
            ).fetchall()
            for target_norm, target in targets:
                holders = _activity_holders(con, activity_type, target_norm, TARGET_WINDOW_DAYS, 1)
                yield (
                    _activity_candidate(activity_type, target_norm, target, TARGET_WINDOW_DAYS, 1),
                    holders,
                )
    finally:
        con.execute("drop view if exists calibration_activities")


def _activity_holders(con, activity_type, target_norm, window, minimum) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            """
            select contact_id from calibration_activities
            where activity_type = ?
                and (? is null or target_norm = ?)
                and (? is null or age_days < ?)
            group by contact_id
            having count(*) >= ?
            """,
            [activity_type, target_norm, target_norm, window, window, minimum],
        ).fetchall()
    ]


def _activity_candidate(activity_type, target_norm, target, window, minimum) -> Candidate:
    what = activity_type.replace("_", " ")
    if target is not None:
        what += f" of {target}"
    times = "at least once" if minimum == 1 else f"at least {minimum} times"
    when = "ever" if window is None else f"in the last {window} days"
    key = f"activity:{activity_type}:{target_norm or '*'}:{window}:{minimum}"
    condition = Condition(
        "activity",
        activity_type,
        "eq" if target is not None else "any",
        target or "",
        "" if window is None else str(window),
        str(minimum),
    )
    return Candidate(key, "engagement", f"{what} {times} {when}", (condition,), "activity")
