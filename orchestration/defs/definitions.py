"""Assembles the Dagster definitions that `dagster dev` and `leadscore run` both load."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from .assets.alerts import stage_change_alerts
from .assets.dbt import leadscore_dbt_assets
from .assets.exports import crm_exports
from .assets.guard import rule_change_guard
from .assets.ingest import ingest_assets
from .assets.publish import published_warehouse
from .assets.state import kept_state
from .jobs import refresh_job
from .resources import LeadscoreResource, dbt_resource
from .schedules import refresh_schedule
from .sensors import landing_files_sensor, seed_changes_sensor

defs = Definitions(
    assets=[
        kept_state,
        *ingest_assets,
        leadscore_dbt_assets,
        rule_change_guard,
        stage_change_alerts,
        crm_exports,
        published_warehouse,
    ],
    jobs=[refresh_job],
    schedules=[refresh_schedule],
    sensors=[landing_files_sensor, seed_changes_sensor],
    resources={"dbt": dbt_resource(), "leadscore": LeadscoreResource()},
    # DuckDB allows one writer per database file: steps run one after another, in one process.
    executor=in_process_executor,
)
