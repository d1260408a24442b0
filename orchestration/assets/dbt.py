"""The dbt project as Dagster assets: seeds, staging, scoring and marts, with tests as checks."""

import os

from dagster import AssetExecutionContext, Failure
from dagster_dbt import DbtCliResource, dbt_assets

from ..dbt_project import LeadscoreTranslator, dbt_project, ensure_manifest
from ..resources import LeadscoreResource
from ..seed_validation import format_problems, validate_seeds
from ..settings import DBT_AS_OF_VARIABLE, SEEDS_DIR
from .common import connect_build_db, run_as_of

ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=LeadscoreTranslator(),
)
def leadscore_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, leadscore: LeadscoreResource
):
    """`dbt build` as of the run's instant, after the seeds pass validation."""
    problems = validate_seeds(SEEDS_DIR)
    if problems:
        raise Failure(
            description=f"{len(problems)} problem(s) in the seeds; nothing was built",
            metadata={"problems": format_problems(problems)},
        )
    as_of = run_as_of(context, leadscore)
    connect_build_db(leadscore).close()  # sets LEADSCORE_BUILD_DB_PATH and creates folders
    context.log.info(f"scoring as of {as_of}")
    # One target folder per data dir (not one per run): run_results.json there has the timings.
    target = leadscore.settings().work_dir / "dbt_target"
    # The instant goes through the environment: a changed --vars makes dbt re-parse the whole
    # project (about 4 s), while env_var() keeps partial parsing.
    os.environ[DBT_AS_OF_VARIABLE] = as_of
    invocation = dbt.cli(["build"], context=context, target_path=target)
    yield from invocation.stream()
