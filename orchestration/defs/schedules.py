"""The refresh schedule: cron from LEADSCORE_REFRESH_CRON (default hourly, UTC)."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import (
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    ScheduleDefinition,
)

from ..config import ConfigError, EnvVar, refresh_cron
from .jobs import refresh_job


def build_refresh_schedule(env: Mapping[str, str] | None = None) -> ScheduleDefinition:
    """The schedule; a malformed cron is a clear error, never a silent default."""
    cron = refresh_cron(env)
    try:
        return ScheduleDefinition(
            name="refresh_schedule",
            job=refresh_job,
            cron_schedule=cron,
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.STOPPED,
            description="Re-scores everything on a cron (LEADSCORE_REFRESH_CRON, default hourly, "
            "UTC).",
        )
    except DagsterInvalidDefinitionError as exc:
        raise ConfigError(f"{EnvVar.REFRESH_CRON}={cron!r} is not a valid cron expression") from exc


refresh_schedule = build_refresh_schedule()
