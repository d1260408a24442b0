"""Helpers shared by the asset modules: the run's as-of instant and build-database access."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
from dagster import AssetExecutionContext

from ...warehouse.build_db import connect_build_db as _connect
from ..resources import LeadscoreResource


def run_as_of(context: AssetExecutionContext, leadscore: LeadscoreResource) -> datetime:
    """The as-of instant of this run: identical in every step of one run."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.create_timestamp if record else datetime.now(UTC)
    return leadscore.run_as_of(started)


def connect_build_db(leadscore: LeadscoreResource) -> duckdb.DuckDBPyConnection:
    """Open the build database (created on first use) with the configured DuckDB limits."""
    return _connect(leadscore.settings())
