"""State kept across runs in the build database: which runs were published, and rollback."""

from __future__ import annotations

from datetime import datetime

import duckdb

# Incremental models keyed by the run's as-of; their rows of an unpublished run are discarded.
RUN_STATE_TABLES = {
    "intermediate.int_sticky_stages": "as_of",
    "marts.score_history": "as_of",
    "marts.stage_changes": "changed_at",
}


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


def discard_unpublished_run(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """Forget a refused run's rows in the state kept across runs, unless it was published before.

    The next run then compares with, and remembers stages from, the last published state.
    """
    if was_published(con, as_of):
        return
    existing = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }
    for table, column in RUN_STATE_TABLES.items():
        if table in existing:
            con.execute(f"delete from {table} where {column} = ?", [as_of])
