"""The refresh schedule: cron from LEADSCORE_REFRESH_CRON (default hourly)."""

from __future__ import annotations

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition
from dagster._utils.schedules import is_valid_cron_string

from .jobs import refresh_job

DEFAULT_REFRESH_CRON = "0 * * * *"


def refresh_cron(env: dict[str, str] | None = None) -> str:
    """The refresh cron expression; a malformed one is an error, not a silent default."""
    value = (env if env is not None else os.environ).get("LEADSCORE_REFRESH_CRON", "").strip()
    if not value:
        return DEFAULT_REFRESH_CRON
    if not is_valid_cron_string(value):
        raise ValueError(f"LEADSCORE_REFRESH_CRON={value!r} is not a valid cron expression")
    return value


refresh_schedule = ScheduleDefinition(
    name="refresh_schedule",
    job=refresh_job,
    cron_schedule=refresh_cron(),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Re-scores everything on a cron (LEADSCORE_REFRESH_CRON, default hourly, UTC).",
)
