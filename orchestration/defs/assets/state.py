"""The kept-state asset: before anything loads, the build's kept state equals the published one."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ...warehouse.complete_build import forget_complete_build
from ...warehouse.state import prepare_kept_state, refuse_going_back_in_time
from ..resources import LeadscoreResource
from .common import connect_build_db, run_as_of

KEPT_STATE = AssetKey(["state", "kept_state"])


@asset(
    key=KEPT_STATE,
    group_name="ingest",
    description="History, stage changes, sticky memory, ledgers and the publish log, reconciled "
    "with the published warehouse before a run: rows of runs that never published are removed, "
    "and a build database that lost them (work/ deleted) gets them back from the warehouse. "
    "A run earlier than the last published one is refused here, before anything changes.",
    kinds={"duckdb", "python"},
)
def kept_state(context: AssetExecutionContext, leadscore: LeadscoreResource) -> MaterializeResult:
    settings = leadscore.settings()
    refuse_going_back_in_time(settings.warehouse_path, run_as_of(context, leadscore))
    with connect_build_db(leadscore) as con:
        preparation = prepare_kept_state(con, settings.warehouse_path, settings.history_min_delta)
        # The kept state may have changed under the last build: it is no longer publishable.
        forget_complete_build(con)
    context.log.info(preparation.describe())
    return MaterializeResult(
        metadata={
            "summary": preparation.describe(),
            "restored_tables": len(preparation.restored_from_warehouse),
            "discarded_rows": sum(preparation.discarded_rows.values()),
        }
    )
