"""Assembles the Dagster definitions that `dagster dev` and `leadscore run` both load."""

from __future__ import annotations

from dagster import Definitions

from .assets.dbt import leadscore_dbt_assets
from .assets.ingest import ingest_assets
from .assets.publish import published_warehouse
from .jobs import refresh_job
from .resources import LeadscoreResource, dbt_resource

defs = Definitions(
    assets=[*ingest_assets, leadscore_dbt_assets, published_warehouse],
    jobs=[refresh_job],
    resources={"dbt": dbt_resource(), "leadscore": LeadscoreResource()},
)
