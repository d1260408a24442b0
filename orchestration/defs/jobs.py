"""Jobs: the full refresh that ingests, scores and publishes."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

refresh_job = define_asset_job(
    name="refresh",
    selection=AssetSelection.all(),
    description="Load new landing files, validate seeds, dbt build, publish the warehouse.",
)
