"""The dbt project as Dagster sees it: project handle, manifest preparation and asset naming."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtProject

from .settings import DBT_PROJECT_DIR, SEEDS_DIR, SOURCE_DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    """The newest modification time of anything `dbt parse` reads."""
    newest = 0.0
    source = SOURCE_DBT_PROJECT_DIR  # a mirror's folders are links rglob does not enter
    roots = [source / name for name in ("models", "macros", "tests")] + [SEEDS_DIR]
    files = [source / "dbt_project.yml", source / "profiles.yml"]
    for root in roots:
        if root.is_dir():
            files.extend(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale() -> bool:
    return not MANIFEST_PATH.exists() or MANIFEST_PATH.stat().st_mtime < _newest_source_mtime()


def ensure_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files."""
    if force or manifest_is_stale():
        from dbt.cli.main import dbtRunner

        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        result = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--quiet",
            ]
        )
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
    return MANIFEST_PATH


_GROUP_BY_FOLDER = {
    "staging": "staging",
    "intermediate": "scoring",
    "marts": "marts",
    "ops": "marts",
}


class LeadscoreTranslator(DagsterDbtTranslator):
    """Readable asset keys (`<layer>/<model>`) and groups (ingest, staging, scoring, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        if resource_type == "seed":
            return AssetKey(["seeds", dbt_resource_props["name"]])
        folder = self._folder(dbt_resource_props)
        return AssetKey([folder, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "rules"
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return _GROUP_BY_FOLDER.get(self._folder(dbt_resource_props), "scoring")

    @staticmethod
    def _folder(dbt_resource_props: Mapping[str, Any]) -> str:
        parts = Path(dbt_resource_props.get("original_file_path", "")).parts
        return parts[1] if len(parts) > 2 and parts[0] == "models" else "models"
