"""The published warehouse: marts and ops tables swapped atomically into the file BI tools read."""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, asset

from ...warehouse.complete_build import publish_refusal
from ...warehouse.publish import publish_parquet, publish_warehouse
from ..jobs import refresh_job
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
    "read-only, replaced in one atomic step after a complete, checked build as of the run's "
    "instant (refused otherwise).",
    kinds={"duckdb"},
)
def published_warehouse(
    context: AssetExecutionContext, leadscore: LeadscoreResource
) -> MaterializeResult:
    settings = leadscore.settings()
    as_of = run_as_of(context, leadscore)
    with connect_build_db(leadscore) as con:
        # A run of this asset alone (or after a partial or failed build) must not publish marts
        # of another instant, or a mix of two, as this run's.
        refusal = publish_refusal(con, as_of)
        if refusal:
            raise Failure(
                description=f"{refusal}; nothing was published. Run the `{refresh_job.name}` "
                "job: it builds every dbt asset as of the run's instant, then publishes."
            )
        rule_set = con.execute(
            "select rule_set_version from intermediate.int_rule_set_version"
        ).fetchone()[0]
    counts = publish_warehouse(settings.build_db_path, settings.warehouse_path, as_of, rule_set)
    context.log.info(f"published {len(counts)} tables to {settings.warehouse_path}")
    if settings.engine == "spark":  # lakehouse readers get the marts as Parquet too
        parquet = publish_parquet(settings.warehouse_path, settings.parquet_dir)
        context.log.info(f"published {len(parquet)} marts as Parquet to {settings.parquet_dir}")
    return MaterializeResult(
        metadata={"path": str(settings.warehouse_path), **{k: v for k, v in counts.items()}}
    )
