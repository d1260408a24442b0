"""State kept across runs: the publish log, rollback of refused runs, restore from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from ..config import DEFAULT_HISTORY_MIN_DELTA, display_instant
from ..contracts import kept_tables
from ..sql_text import sql_literal
from .migrations import migrate_kept_state

LEDGER_TABLES = ("ops.alert_deliveries", "ops.alerts", "ops.export_ledger")
"""The delivery ledgers: what was alerted and exported, kept across runs like the history."""
STATE_LOGS = ("ops.publish_log", "ops.backfill_log")
"""Which instants the kept state holds: published runs and backfilled past instants."""


def ensure_publish_log(con: duckdb.DuckDBPyConnection) -> None:
    """`ops.publish_log`: which instants were published (dbt reads it as a source), and
    `ops.backfill_log`: which past instants `leadscore backfill` computed into history."""
    con.execute("create schema if not exists ops")
    con.execute(
        """
        create table if not exists ops.publish_log (
            as_of timestamp not null,
            rule_set_version varchar,
            published_at timestamp not null
        )
        """
    )
    con.execute(
        """
        create table if not exists ops.backfill_log (
            as_of timestamp not null primary key,
            rule_set_version varchar not null,
            backfilled_at timestamp not null
        )
        """
    )


class StateError(RuntimeError):
    """The kept state cannot be trusted and was not repaired automatically."""


class EarlierThanPublishedError(StateError):
    """A run asked for an instant before the last published one: time only moves forward."""


def published_instants(warehouse: Path) -> list[datetime]:
    """Every instant published to `warehouse`, oldest first (none: nothing published yet)."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        database = con.execute("select current_database()").fetchone()[0]
        if "ops.publish_log" not in _tables(con, database):
            return []
        rows = con.execute("select distinct as_of from ops.publish_log order by 1").fetchall()
    return [row[0] for row in rows]


def last_published_as_of(warehouse: Path) -> datetime | None:
    """The newest instant published to `warehouse` (None: nothing published yet)."""
    instants = published_instants(warehouse)
    return instants[-1] if instants else None


def refuse_going_back_in_time(warehouse: Path, as_of: datetime) -> None:
    """A run computes the present: its as-of may repeat the last published instant (a re-run)
    but never precede it; past instants go to `leadscore backfill`, which touches history only."""
    latest = last_published_as_of(warehouse)
    if latest is not None and as_of.replace(tzinfo=None) < latest:
        raise EarlierThanPublishedError(
            f"as of {display_instant(as_of)} is earlier than the last published run "
            f"({display_instant(latest)}): a run's as-of never goes back in time, and nothing "
            "was changed. To compute past instants into history (no alerts, no exports, "
            "current scores untouched), use `leadscore backfill --from T1 --to T2 --every 1d`."
        )


def has_published(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this installation ever published (the first run records alerts as a baseline)."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'ops' "
        "and table_name = 'publish_log'"
    ).fetchone()[0]
    return bool(exists) and con.execute("select count(*) from ops.publish_log").fetchone()[0] > 0


def was_published(con: duckdb.DuckDBPyConnection, as_of: datetime) -> bool:
    return bool(
        con.execute("select count(*) from ops.publish_log where as_of = ?", [as_of]).fetchone()[0]
    )


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ?",
            [database],
        ).fetchall()
    }


def discard_unpublished_run(
    con: duckdb.DuckDBPyConnection, as_of: datetime, warehouse: Path | None = None
) -> None:
    """Undo a refused run's rows in the state kept across runs.

    An instant never published loses this run's rows. An instant published before (a refused
    re-run) gets its published rows back from `warehouse`. Either way the next run compares
    with, and remembers stages from, the published state.
    """
    existing = _tables(con, con.execute("select current_database()").fetchone()[0])
    kept = [table for table in kept_tables() if table.relation in existing]
    if not was_published(con, as_of):
        for table in kept:
            con.execute(f"delete from {table.relation} where {table.run_column} = ?", [as_of])
            repair_validity_periods(con, table.relation)
        return
    if warehouse is None or not warehouse.exists():
        return
    con.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
    try:
        in_warehouse = _tables(con, "published")
        for table in kept:
            if not table.published or table.published_relation not in in_warehouse:
                continue
            relation, column = table.relation, table.run_column
            con.execute(f"delete from {relation} where {column} = ?", [as_of])
            con.execute(
                f"insert into {relation} by name "
                f"select * from published.{table.published_relation} where {column} = ?",
                [as_of],
            )
            repair_validity_periods(con, relation)
    finally:
        con.execute("detach published")


@dataclass
class StatePreparation:
    """What preparing the kept state did before a run."""

    restored_from_warehouse: list[str] = field(default_factory=list)
    forgotten_publishes: int = 0
    migrated: list[str] = field(default_factory=list)
    discarded_rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        if self.restored_from_warehouse:
            parts.append(
                "the build database had lost the state kept across runs (or was behind the "
                "published warehouse): restored "
                + ", ".join(self.restored_from_warehouse)
                + " from the published warehouse"
            )
        if self.forgotten_publishes:
            parts.append(
                f"{self.forgotten_publishes} publish(es) recorded by an interrupted run never "
                "reached the warehouse: forgotten"
            )
        if self.migrated:
            parts.append("migrated to the current shape: " + ", ".join(self.migrated))
        if self.discarded_rows:
            detail = ", ".join(f"{name} {count:,}" for name, count in self.discarded_rows.items())
            parts.append(f"rows of runs that never published removed: {detail}")
        return "; ".join(parts) or "kept state consistent with the published warehouse"


def prepare_kept_state(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    history_min_delta: float = DEFAULT_HISTORY_MIN_DELTA,
) -> StatePreparation:
    """Make the build database's kept state equal the published one before a run.

    The published warehouse is the durable home of everything kept across runs (history,
    stage changes, sticky memory, the alert and export ledgers, the publish log): the build
    database is a working copy. So, before anything is computed:
    - publish-log rows the warehouse never got (a run killed between logging and the swap)
      are forgotten;
    - when the build database lost its kept state (work/ deleted, a new disk) or is behind the
      warehouse, every kept table is restored from the warehouse;
    - rows of runs that never published (failed, refused or killed runs) are removed, so they
      are neither compared against nor published later (backfilled instants are kept);
    - history kept in an older shape (a row per run) becomes the change log it is now.
    """
    result = StatePreparation()
    ensure_publish_log(con)
    if warehouse.exists():
        con.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
        try:
            _reconcile_with_warehouse(con, result)
        finally:
            con.execute("detach published")
    result.migrated = migrate_kept_state(con, history_min_delta)
    existing = _tables(con, con.execute("select current_database()").fetchone()[0])
    for table in kept_tables():
        if table.relation not in existing:
            continue
        (count,) = con.execute(
            f"delete from {table.relation} where {table.run_column} not in "
            "(select as_of from ops.publish_log union all select as_of from ops.backfill_log)"
        ).fetchone()
        if count:
            result.discarded_rows[table.relation] = count
            repair_validity_periods(con, table.relation)
    return result


def repair_validity_periods(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """After rows of a change log were removed or restored: every period ends where the
    contact's next row starts (or stays open). Reads the whole log, so only for the rare paths
    (a failed or refused run); a normal run closes periods in dbt (close_validity_periods).
    Tables without periods: no-op."""
    schema, table = relation.split(".")
    has_periods = con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? and column_name = 'valid_to'",
        [schema, table],
    ).fetchone()[0]
    if not has_periods:
        return
    con.execute(
        f"""
        update {relation} as history
        set valid_to = following.next_valid_from
        from (
            select
                model_id, contact_id, valid_from,
                lead(valid_from) over (
                    partition by model_id, contact_id order by valid_from
                ) as next_valid_from
            from {relation}
        ) as following
        where history.model_id = following.model_id
            and history.contact_id = following.contact_id
            and history.valid_from = following.valid_from
            and history.valid_to is distinct from following.next_valid_from
        """
    )


def durable_tables() -> list[tuple[str, str]]:
    """(build relation, warehouse relation) of everything the warehouse keeps for the build."""
    pairs = [(name, name) for name in (*LEDGER_TABLES, *STATE_LOGS)]
    return pairs + [
        (table.relation, table.published_relation) for table in kept_tables() if table.published
    ]


def _latest(con: duckdb.DuckDBPyConnection, relation: str) -> datetime | None:
    return con.execute(f"select max(as_of) from {relation}").fetchone()[0]


def _reconcile_with_warehouse(con: duckdb.DuckDBPyConnection, result: StatePreparation) -> None:
    in_warehouse = _tables(con, "published")
    if "ops.publish_log" not in in_warehouse:
        return  # published before publish logs existed, or not by leadscore: nothing to restore
    (result.forgotten_publishes,) = con.execute(
        "delete from ops.publish_log "
        "where as_of not in (select as_of from published.ops.publish_log)"
    ).fetchone()
    published_latest = _latest(con, "published.ops.publish_log")
    build_latest = _latest(con, "ops.publish_log")
    behind = published_latest is not None and (
        build_latest is None or build_latest < published_latest
    )
    if "ops.backfill_log" in in_warehouse:
        # A backfill writes the warehouse directly: its instants are news to the build.
        behind = (
            behind
            or con.execute(
                "select count(*) from published.ops.backfill_log "
                "where as_of not in (select as_of from ops.backfill_log)"
            ).fetchone()[0]
            > 0
        )
    if not behind:
        return
    # Ledgers and the log have keys and constraints their own DDL declares: recreate them that
    # way, then copy the rows; dbt's kept tables are plain tables dbt appends to.
    from ..alerts import ensure_alert_tables
    from ..crm.ledger import ensure_export_ledger

    for build_relation, warehouse_relation in durable_tables():
        if warehouse_relation not in in_warehouse:
            continue
        schema = build_relation.split(".")[0]
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"drop table if exists {build_relation}")
        if build_relation in (*LEDGER_TABLES, *STATE_LOGS):
            ensure_publish_log(con)
            ensure_alert_tables(con)
            ensure_export_ledger(con)
            con.execute(
                f"insert into {build_relation} by name select * from published.{warehouse_relation}"
            )
        else:
            con.execute(
                f"create table {build_relation} as select * from published.{warehouse_relation}"
            )
        result.restored_from_warehouse.append(build_relation)
