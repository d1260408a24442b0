"""State kept across runs: the publish log, rollback of refused runs, restore from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from ..contracts import kept_tables
from ..sql_text import sql_literal

LEDGER_TABLES = ("ops.alert_deliveries", "ops.alerts", "ops.export_ledger")
"""The delivery ledgers: what was alerted and exported, kept across runs like the history."""


def ensure_publish_log(con: duckdb.DuckDBPyConnection) -> None:
    """`ops.publish_log`: which instants were published (dbt reads it as a source)."""
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
    finally:
        con.execute("detach published")


@dataclass
class StatePreparation:
    """What preparing the kept state did before a run."""

    restored_from_warehouse: list[str] = field(default_factory=list)
    forgotten_publishes: int = 0
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
        if self.discarded_rows:
            detail = ", ".join(f"{name} {count:,}" for name, count in self.discarded_rows.items())
            parts.append(f"rows of runs that never published removed: {detail}")
        return "; ".join(parts) or "kept state consistent with the published warehouse"


class StateError(RuntimeError):
    """The kept state cannot be trusted and was not repaired automatically."""


def prepare_kept_state(con: duckdb.DuckDBPyConnection, warehouse: Path) -> StatePreparation:
    """Make the build database's kept state equal the published one before a run.

    The published warehouse is the durable home of everything kept across runs (history,
    stage changes, sticky memory, the alert and export ledgers, the publish log): the build
    database is a working copy. So, before anything is computed:
    - publish-log rows the warehouse never got (a run killed between logging and the swap)
      are forgotten;
    - when the build database lost its kept state (work/ deleted, a new disk) or is behind the
      warehouse, every kept table is restored from the warehouse;
    - rows of runs that never published (failed, refused or killed runs) are removed, so they
      are neither compared against nor published later.
    """
    result = StatePreparation()
    ensure_publish_log(con)
    if warehouse.exists():
        con.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
        try:
            _reconcile_with_warehouse(con, result)
        finally:
            con.execute("detach published")
    existing = _tables(con, con.execute("select current_database()").fetchone()[0])
    for table in kept_tables():
        if table.relation not in existing:
            continue
        (count,) = con.execute(
            f"delete from {table.relation} where {table.run_column} not in "
            "(select as_of from ops.publish_log)"
        ).fetchone()
        if count:
            result.discarded_rows[table.relation] = count
    return result


def durable_tables() -> list[tuple[str, str]]:
    """(build relation, warehouse relation) of everything the warehouse keeps for the build."""
    pairs = [(name, name) for name in (*LEDGER_TABLES, "ops.publish_log")]
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
    if published_latest is None or (build_latest is not None and build_latest >= published_latest):
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
        if build_relation in (*LEDGER_TABLES, "ops.publish_log"):
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
