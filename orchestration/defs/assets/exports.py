"""The CRM export asset: changed scores written to HubSpot, Salesforce and the CSV outbox."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ...crm import run_crm_exports
from ..resources import LeadscoreResource
from .common import connect_build_db


@asset(
    key=AssetKey(["crm", "crm_exports"]),
    deps=[
        AssetKey(["checks", "rule_change_guard"]),
        AssetKey(["marts", "contact_scores"]),
        AssetKey(["marts", "contacts"]),
        AssetKey(["staging", "stg_crm_field_map"]),
    ],
    group_name="publish",
    description="Scores whose exported values changed, written to HubSpot (HUBSPOT_ACCESS_TOKEN) "
    "and Salesforce (SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN) when configured, and "
    "always to outbox/crm_updates.csv; ops.export_ledger records what each CRM accepted.",
    kinds={"python", "hubspot", "salesforce"},
)
def crm_exports(context: AssetExecutionContext, leadscore: LeadscoreResource) -> MaterializeResult:
    settings = leadscore.settings()
    with connect_build_db(leadscore) as con:
        summary = run_crm_exports(con, settings.outbox_dir, log=context.log)
    context.log.info(summary.describe())
    # Failed records stay in the ledger and are retried by the next run: not a run failure.
    return MaterializeResult(
        metadata={
            "summary": summary.describe(),
            **{
                f"{target.target}_{measure}": getattr(target, measure)
                for target in summary.targets
                for measure in ("changed", "sent", "failed", "deferred")
            },
        }
    )
