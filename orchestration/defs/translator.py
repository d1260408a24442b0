"""How dbt nodes appear in Dagster: asset keys `<schema>/<model>` and groups by layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator

_GROUP_BY_SCHEMA = {
    "staging": "staging",
    "intermediate": "scoring",
    "marts": "marts",
    "ops": "marts",
}


class LeadscoreTranslator(DagsterDbtTranslator):
    """Readable asset keys (`<schema>/<model>`) and groups (ingest, rules, staging, scoring, marts).

    Keys follow the DuckDB schema a model is built in, not its folder, so reorganising folders
    never renames an asset (a key is what schedules, checks and run history refer to).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        if resource_type == "seed":
            return AssetKey(["seeds", dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "rules"
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return _GROUP_BY_SCHEMA.get(dbt_resource_props.get("schema", ""), "scoring")
