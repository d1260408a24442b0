"""The published warehouse: marts and ops tables swapped atomically into the file BI tools read."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ...warehouse.publish import publish_warehouse
from ..resources import LeadscoreResource
from .common import connect_build_db, run_as_of

PUBLISH_AFTER = [
    AssetKey(["checks", "rule_change_guard"]),
    AssetKey(["alerts", "stage_change_alerts"]),
    AssetKey(["crm", "crm_exports"]),
    AssetKey(["marts", "contact_scores"]),
    AssetKey(["marts", "contacts"]),
    AssetKey(["marts", "score_breakdown"]),
    AssetKey(["marts", "score_history"]),
    AssetKey(["marts", "stage_changes"]),
    AssetKey(["ops", "quarantine"]),
]


@asset(
    key=AssetKey(["warehouse", "lead_scoring"]),
    deps=PUBLISH_AFTER,
    group_name="publish",
    description="$LEADSCORE_DATA_DIR/warehouse/lead_scoring.duckdb: the marts BI tools open "
    "read-only, replaced in one atomic step after a complete, checked build.",
    kinds={"duckdb"},
)
def published_warehouse(
    context: AssetExecutionContext, leadscore: LeadscoreResource
) -> MaterializeResult:
    settings = leadscore.settings()
    as_of = run_as_of(context, leadscore)
    with connect_build_db(leadscore) as con:
        rule_set = con.execute(
            "select rule_set_version from intermediate.int_rule_set_version"
        ).fetchone()[0]
    counts = publish_warehouse(settings.build_db_path, settings.warehouse_path, as_of, rule_set)
    context.log.info(f"published {len(counts)} tables to {settings.warehouse_path}")
    return MaterializeResult(
        metadata={"path": str(settings.warehouse_path), **{k: v for k, v in counts.items()}}
    )
