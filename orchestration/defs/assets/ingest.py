"""Ingest assets: one per landing entity, loading new or changed files into raw tables."""

from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

from ...config import LANDING_ENTITIES
from ...ingest import ingest_landing
from ..resources import LeadscoreResource
from .common import connect_build_db
from .state import KEPT_STATE

# Contacts land in two raw tables: the records and their properties in long form.
RAW_TABLES = {entity: [entity] for entity in LANDING_ENTITIES} | {
    "contacts": ["contacts", "contact_properties"]
}


def _ingest_asset(entity: str) -> AssetsDefinition:
    specs = [
        AssetSpec(
            key=AssetKey(["raw", table]),
            group_name="ingest",
            description=f"Landing files under landing/{entity}/ loaded into raw.{table} (each "
            "file once; bad rows quarantined with file, row and reason).",
            kinds={"duckdb", "python"},
            deps=[KEPT_STATE],
        )
        for table in RAW_TABLES[entity]
    ]

    @multi_asset(name=f"ingest_{entity}", specs=specs)
    def _load(
        context: AssetExecutionContext, leadscore: LeadscoreResource
    ) -> Iterator[MaterializeResult]:
        settings = leadscore.settings()
        with connect_build_db(leadscore) as con:
            summary = ingest_landing(con, settings.landing_dir, entities=[entity])
        context.log.info(summary.describe())
        metadata = {
            "files_loaded": summary.files_loaded,
            "files_unchanged": summary.files_skipped,
            "files_failed": len(summary.file_errors),
            "rows_read": summary.rows_read,
            "rows_loaded": summary.rows_loaded,
            "rows_quarantined": summary.rows_quarantined,
            "failed_files": "\n".join(f"{f.path}: {f.error}" for f in summary.file_errors),
            "missing_files": "\n".join(summary.missing_files),
        }
        for index, spec in enumerate(specs):
            # Counts belong to the entity once, on its first table.
            yield MaterializeResult(asset_key=spec.key, metadata=metadata if index == 0 else {})

    return _load


ingest_assets = [_ingest_asset(entity) for entity in LANDING_ENTITIES]
