"""State kept across runs in the build database: which runs were published, and rollback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from .sql_text import sql_literal

# Incremental models keyed by the run's as-of; their rows of an unpublished run are discarded.
# The marts among them are published too, so a refused re-run can restore them.
RUN_STATE_TABLES = {
    "intermediate.int_sticky_stages": "as_of",
    "marts.score_history": "as_of",
    "marts.stage_changes": "changed_at",
}
PUBLISHED_STATE_TABLES = ("marts.score_history", "marts.stage_changes")


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
    if not was_published(con, as_of):
        for table, column in RUN_STATE_TABLES.items():
            if table in existing:
                con.execute(f"delete from {table} where {column} = ?", [as_of])
        return
    if warehouse is None or not warehouse.exists():
        return
    con.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
    try:
        for table in PUBLISHED_STATE_TABLES:
            column = RUN_STATE_TABLES[table]
            if table not in existing:
                continue
            con.execute(f"delete from {table} where {column} = ?", [as_of])
            con.execute(
                f"insert into {table} by name select * from published.{table} where {column} = ?",
                [as_of],
            )
    finally:
        con.execute("detach published")
