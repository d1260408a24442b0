"""The alerts asset: routed stage changes of this run, delivered exactly once."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ...alerts import run_alerts
from ...warehouse.state import has_published
from ..resources import LeadscoreResource
from .common import connect_build_db, run_as_of


@asset(
    key=AssetKey(["alerts", "stage_change_alerts"]),
    deps=[AssetKey(["checks", "rule_change_guard"]), AssetKey(["staging", "stg_alert_routes"])],
    group_name="publish",
    description="Every stage change into a stage routed in seeds/alert_routes.csv, delivered "
    "once (webhook, Slack or log) through the ops.alert_deliveries ledger. The very first run "
    "of an installation records existing stages as a baseline without alerting.",
    kinds={"python"},
)
def stage_change_alerts(
    context: AssetExecutionContext, leadscore: LeadscoreResource
) -> MaterializeResult:
    settings = leadscore.settings()
    as_of = run_as_of(context, leadscore)
    with connect_build_db(leadscore) as con:
        baseline = not has_published(con)
        summary = run_alerts(con, as_of, settings.outbox_dir, baseline=baseline)
    context.log.info(summary.describe())
    for error in summary.errors:
        context.log.warning(error)
    return MaterializeResult(
        metadata={
            "new": summary.new,
            "sent": summary.sent,
            "failed": summary.failed,
            "deferred": summary.deferred,
            "baseline_suppressed": summary.suppressed,
        }
    )
