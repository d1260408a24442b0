"""Open the build database (the one dbt builds into) with the configured DuckDB limits."""

from __future__ import annotations

import duckdb

from ..config import Settings


def connect_build_db(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the build database; created (with its folders) on first use."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    settings.duckdb_temp_directory.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        str(settings.build_db_path), read_only=read_only, config=settings.duckdb_config()
    )
