"""The kept-state asset: before anything loads, the build's kept state equals the published one."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ...warehouse.state import prepare_kept_state
from ..resources import LeadscoreResource
from .common import connect_build_db

KEPT_STATE = AssetKey(["state", "kept_state"])


@asset(
    key=KEPT_STATE,
    group_name="ingest",
    description="History, stage changes, sticky memory, ledgers and the publish log, reconciled "
    "with the published warehouse before a run: rows of runs that never published are removed, "
    "and a build database that lost them (work/ deleted) gets them back from the warehouse.",
    kinds={"duckdb", "python"},
)
def kept_state(context: AssetExecutionContext, leadscore: LeadscoreResource) -> MaterializeResult:
    settings = leadscore.settings()
    with connect_build_db(leadscore) as con:
        preparation = prepare_kept_state(con, settings.warehouse_path)
    context.log.info(preparation.describe())
    return MaterializeResult(
        metadata={
            "summary": preparation.describe(),
            "restored_tables": len(preparation.restored_from_warehouse),
            "discarded_rows": sum(preparation.discarded_rows.values()),
        }
    )
