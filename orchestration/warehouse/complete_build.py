"""The as-of of the build database's last complete `dbt build`, the only one publish accepts."""

from __future__ import annotations

from datetime import datetime

import duckdb

from ..config import display_instant

SCHEMA = "build_status"
"""Not published (publish copies marts, ops and the kept tables): it describes this build only."""
RECORD = f"{SCHEMA}.complete_dbt_build"


def forget_complete_build(con: duckdb.DuckDBPyConnection) -> None:
    """Before dbt starts, or when a build must not be published: until a `dbt build` finishes
    cleanly, the marts are a mix of instants (a build that died half-way, a partial one)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(
        f"create or replace table {RECORD} (as_of timestamp not null, finished_at timestamp)"
    )


def record_complete_build(
    con: duckdb.DuckDBPyConnection, as_of: datetime, finished_at: datetime
) -> None:
    """After a `dbt build` of every model and test passed: its marts are all as of `as_of`."""
    forget_complete_build(con)
    con.execute(f"insert into {RECORD} values (?, ?)", [as_of, finished_at])


def complete_build_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as-of of the last complete build, or None (never built, or a build since failed)."""
    (exists,) = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        RECORD.split("."),
    ).fetchone()
    if not exists:
        return None
    row = con.execute(f"select as_of from {RECORD}").fetchone()
    return row[0] if row else None


def publish_refusal(con: duckdb.DuckDBPyConnection, as_of: datetime) -> str | None:
    """Why the build must not be published as the run of `as_of`, or None when it may."""
    built = complete_build_as_of(con)
    if built == as_of:
        return None
    instant = display_instant(as_of)
    if built is None:
        return f"the build database holds no complete dbt build (this run is as of {instant})"
    return (
        f"the build database's last complete dbt build is as of {display_instant(built)}, "
        f"not this run's {instant}"
    )
