"""Kept state written by an older leadscore, rewritten once into the shape dbt now appends to."""

from __future__ import annotations

import duckdb

HISTORY = "marts.score_history"
CONTRIBUTIONS = "marts.score_history_contributions"
CHANGES = "marts.stage_changes"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    schema, table = relation.split(".")
    return [
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
    ]


def migrate_kept_state(con: duckdb.DuckDBPyConnection, history_min_delta: float) -> list[str]:
    """Rewrite history kept as a row per run (with a MAP of contributions) into the change log
    (valid_from/valid_to, contributions as rows), keeping the rows where something recorded
    changed between consecutive runs; add the cause and direction columns to stage_changes.
    Returns the tables rewritten (none when everything already has the current shape)."""
    history_columns = _columns(con, HISTORY)
    if "as_of" not in history_columns:
        return []
    migrated = []
    con.execute("begin transaction")
    try:
        if _columns(con, CHANGES) and "change_cause" not in _columns(con, CHANGES):
            _migrate_stage_changes(con)
            migrated.append(CHANGES)
        con.execute(f"create or replace temp table old_history as select * from {HISTORY}")
        _migrate_contributions(con, history_min_delta)
        migrated.append(CONTRIBUTIONS)
        con.execute(f"drop table {HISTORY}")
        con.execute(_HISTORY_SQL, [history_min_delta])
        migrated.append(HISTORY)
        con.execute("drop table old_history")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return migrated


# Rows per run where nothing recorded moved since the previous run are dropped. The rule set of
# a migrated row is the one its run was published with (ops.publish_log).
_KEPT_RUNS = """
    with ordered as (
        select
            *,
            lag(as_of) over runs as previous_as_of,
            lag(stage) over runs as previous_stage,
            lag(stage_rank) over runs as previous_rank,
            lag(fit_band) over runs as previous_fit_band,
            lag(engagement_band) over runs as previous_engagement_band,
            lag(total_band) over runs as previous_total_band,
            lag(matrix_label) over runs as previous_matrix_label,
            lag(is_excluded) over runs as previous_excluded,
            lag(total_score) over runs as previous_total
        from old_history
        window runs as (partition by model_id, contact_id order by as_of)
    )
    select * from ordered
    where previous_as_of is null
        or stage is distinct from previous_stage
        or stage_rank is distinct from previous_rank
        or fit_band is distinct from previous_fit_band
        or engagement_band is distinct from previous_engagement_band
        or total_band is distinct from previous_total_band
        or matrix_label is distinct from previous_matrix_label
        or is_excluded is distinct from previous_excluded
        or abs(total_score - previous_total) >= $1
"""

_HISTORY_SQL = f"""
    create table {HISTORY} as
    with kept as ({_KEPT_RUNS.replace("$1", "?")})
    select
        kept.as_of as valid_from,
        lead(kept.as_of) over (
            partition by kept.model_id, kept.contact_id order by kept.as_of
        ) as valid_to,
        kept.model_id,
        kept.contact_id,
        (select max(log.rule_set_version) from ops.publish_log as log where log.as_of = kept.as_of)
            as rule_set_version,
        false as is_backfill,
        cast(kept.fit_score as decimal(18, 2)) as fit_score,
        cast(kept.engagement_score as decimal(18, 2)) as engagement_score,
        cast(kept.feedback_points as decimal(18, 2)) as feedback_points,
        cast(kept.total_score as decimal(18, 2)) as total_score,
        kept.fit_band,
        kept.engagement_band,
        kept.total_band,
        kept.matrix_label,
        kept.stage,
        kept.stage_rank,
        kept.is_excluded
    from kept
"""


def _migrate_contributions(con: duckdb.DuckDBPyConnection, history_min_delta: float) -> None:
    # The MAP held points only: the type follows the id's form, and raw points are unknown
    # (taken as the points, so a migrated row never reads as decay).
    con.execute(f"drop table if exists {CONTRIBUTIONS}")
    con.execute(
        f"""
        create table {CONTRIBUTIONS} as
        with kept as ({_KEPT_RUNS.replace("$1", "?")}),
        entries as (
            select kept.as_of, kept.model_id, kept.contact_id,
                unnest(map_entries(kept.contributions)) as entry
            from kept
        )
        select
            as_of as valid_from,
            model_id,
            contact_id,
            entry.key as contribution_id,
            case
                when entry.key like 'cap:%' then 'cap'
                when entry.key = 'feedback' then 'feedback'
                else 'rule'
            end as contribution_type,
            cast(entry.value as decimal(18, 2)) as points,
            cast(entry.value as decimal(18, 2)) as raw_points
        from entries
        """,
        [history_min_delta],
    )


def _migrate_stage_changes(con: duckdb.DuckDBPyConnection) -> None:
    # Directions come from the stage ranks the old history kept at both instants; the cause of
    # a change recorded before causes existed is unknown (null) unless the contact was new.
    con.execute(
        f"""
        create or replace temp table migrated_changes as
        select
            changes.model_id,
            changes.contact_id,
            changes.from_stage,
            changes.to_stage,
            case
                when changes.from_stage is null or later.stage_rank > earlier.stage_rank then 'up'
                when later.stage_rank < earlier.stage_rank then 'down'
                when later.stage_rank = earlier.stage_rank then 'same'
            end as stage_direction,
            changes.from_band,
            changes.to_band,
            cast(changes.from_score as decimal(18, 2)) as from_score,
            cast(changes.to_score as decimal(18, 2)) as to_score,
            changes.previous_as_of,
            changes.changed_at,
            case when changes.from_stage is null then 'first_scored' end as change_cause,
            changes.tipping_rule_id
        from {CHANGES} as changes
        left join {HISTORY} as later
            on later.as_of = changes.changed_at
            and later.model_id = changes.model_id and later.contact_id = changes.contact_id
        left join {HISTORY} as earlier
            on earlier.as_of = changes.previous_as_of
            and earlier.model_id = changes.model_id and earlier.contact_id = changes.contact_id
        """
    )
    con.execute(f"drop table {CHANGES}")
    con.execute(f"create table {CHANGES} as select * from migrated_changes")
    con.execute("drop table migrated_changes")
