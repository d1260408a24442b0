"""The rule-change guard asset: nothing is alerted, exported or published past a failed guard."""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, asset

from ...config import max_stage_churn
from ...warehouse.complete_build import forget_complete_build
from ...warehouse.guard import assess_impact
from ...warehouse.state import discard_unpublished_run
from ..resources import LeadscoreResource
from .common import connect_build_db, run_as_of


@asset(
    key=AssetKey(["checks", "rule_change_guard"]),
    deps=[AssetKey(["marts", "contact_scores"]), AssetKey(["marts", "stage_changes"])],
    group_name="publish",
    description="When the seeds changed since the last publish, refuses the build if more than "
    "LEADSCORE_MAX_STAGE_CHURN (default 20 %) of a model's contacts would change stage.",
    kinds={"python"},
)
def rule_change_guard(
    context: AssetExecutionContext, leadscore: LeadscoreResource
) -> MaterializeResult:
    settings = leadscore.settings()
    with connect_build_db(leadscore) as con:
        impact = assess_impact(con, settings.warehouse_path, max_stage_churn())
        context.log.info(impact.describe())
        if impact.blocks and not leadscore.accept_impact:
            as_of = run_as_of(context, leadscore)
            discard_unpublished_run(con, as_of, settings.warehouse_path)
            forget_complete_build(con)  # nor may a later run of publish alone publish it
            raise Failure(
                description="rule change blocked: too many stage changes; nothing was published, "
                "alerted or exported (review with `leadscore impact`, then "
                "`leadscore run --accept-impact`)",
                metadata={"impact": impact.describe()},
            )
    return MaterializeResult(
        metadata={
            "rules_changed": impact.rules_changed,
            "accepted": bool(impact.blocks and leadscore.accept_impact),
            "impact": impact.describe(),
        }
    )
