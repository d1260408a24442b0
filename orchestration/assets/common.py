"""Helpers shared by the asset modules: the run's as-of instant and build-database access."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import duckdb
from dagster import AssetExecutionContext

from ..resources import LeadscoreResource


def run_as_of(context: AssetExecutionContext, leadscore: LeadscoreResource) -> str:
    """The as-of instant of this run: identical in every step of one run."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.create_timestamp if record else datetime.now(UTC)
    return leadscore.resolve_as_of(started)


def connect_build_db(leadscore: LeadscoreResource) -> duckdb.DuckDBPyConnection:
    """Open the build database (created on first use) with the configured DuckDB limits."""
    settings = leadscore.settings()
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    settings.duckdb_temp_directory.mkdir(parents=True, exist_ok=True)
    # dbt's own DuckDB connection (profiles.yml) reads the same location and limits, through
    # variables of its own so that they never feed back into the user's configuration.
    os.environ["LEADSCORE_BUILD_DB_PATH"] = str(settings.build_db_path)
    os.environ["LEADSCORE_DBT_DUCKDB_TEMP_DIR"] = str(settings.duckdb_temp_directory)
    os.environ["LEADSCORE_DBT_DUCKDB_THREADS"] = str(settings.duckdb_threads or os.cpu_count() or 2)
    os.environ["LEADSCORE_DBT_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    return duckdb.connect(str(settings.build_db_path), config=settings.duckdb_config())
