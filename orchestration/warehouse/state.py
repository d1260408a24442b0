"""State kept across runs in the build database: which runs were published, and rollback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from ..contracts import kept_tables
from ..sql_text import sql_literal


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


def discard_unpublished_run(
    con: duckdb.DuckDBPyConnection, as_of: datetime, warehouse: Path | None = None
) -> None:
    """Undo a refused run's rows in the state kept across runs.

    An instant never published loses this run's rows. An instant published before (a refused
    re-run) gets its published `score_history` and `stage_changes` rows back from `warehouse`.
    Either way the next run compares with, and remembers stages from, the published state.
    """
    existing = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
    }
    kept = [table for table in kept_tables() if table.relation in existing]
    if not was_published(con, as_of):
        for table in kept:
            con.execute(f"delete from {table.relation} where {table.run_column} = ?", [as_of])
        return
    if warehouse is None or not warehouse.exists():
        return
    con.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
    try:
        for table in (table for table in kept if table.published):
            relation, column = table.relation, table.run_column
            con.execute(f"delete from {relation} where {column} = ?", [as_of])
            con.execute(
                f"insert into {relation} by name "
                f"select * from published.{relation} where {column} = ?",
                [as_of],
            )
    finally:
        con.execute("detach published")
