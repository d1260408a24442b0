"""The dbt project as Dagster assets: seeds, staging, scoring and marts, with tests as checks."""

# No `from __future__ import annotations` here: Dagster inspects the asset function's
# `context` annotation at definition time and needs the real class, not a string.
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
from dagster import AssetExecutionContext, Failure, MetadataValue, Output
from dagster_dbt import DbtCliResource, dbt_assets

from ...config import SEEDS_DIR
from ...dbt_cli import SKIP_UNIT_TESTS, ensure_manifest
from ...rules import format_problems, validate_seeds
from ...sql_text import sql_ident
from ...warehouse.complete_build import forget_complete_build, record_complete_build
from ...warehouse.spark_handoff import finish_dbt_build, prepare_dbt_build
from ..jobs import refresh_job
from ..resources import LeadscoreResource, dbt_project
from ..translator import LeadscoreTranslator
from .common import connect_build_db, run_as_of

# Dagster reads the manifest when this module is imported: prepare it first (never depends on
# the scoring instant, so LEADSCORE_AS_OF cannot break it).
ensure_manifest()


def _table_nodes(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """unique_id -> (schema, table) of every node dbt materialises as a table (not views)."""
    return {
        unique_id: (node["schema"], node.get("alias") or node["name"])
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
        and node.get("config", {}).get("materialized") != "view"
    }


def _with_counts(events: list, con: duckdb.DuckDBPyConnection) -> Iterator:
    """The build's events, each table's Output carrying its row count (and stage counts).

    Counted after `dbt build` ends: until then dbt's process holds DuckDB's only write lock.
    """
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    tables = _table_nodes(manifest)
    for event in events:
        unique_id = event.metadata.get("unique_id") if isinstance(event, Output) else None
        relation = tables.get(unique_id.value if unique_id is not None else None)
        if relation is None:
            yield event
            continue
        name = ".".join(sql_ident(part) for part in relation)
        metadata: dict[str, Any] = {
            "dagster/row_count": con.execute(f"select count(*) from {name}").fetchone()[0]
        }
        if relation == ("marts", "contact_scores"):
            rows = con.execute(
                "select model_id, stage, count(*) from marts.contact_scores "
                "group by all order by model_id, max(stage_rank) desc, stage"
            ).fetchall()
            metadata["stage_counts"] = MetadataValue.md(
                "| model | stage | contacts |\n|---|---|---:|\n"
                + "\n".join(f"| {model} | {stage} | {count:,} |" for model, stage, count in rows)
            )
        yield event.with_metadata({**event.metadata, **metadata})


def _partial_selection(context: AssetExecutionContext) -> str | None:
    """How much of the dbt assets and tests a run selected, or None when it is all of them.

    dagster-dbt turns a partial selection into `dbt build --select <those>`: they would be
    rebuilt as of this run's instant over the other tables of an earlier build, mixing two
    instants in the marts (explain then prints contradictory dates).
    """
    every_asset, every_test = leadscore_dbt_assets.keys, leadscore_dbt_assets.check_keys
    assets, tests = context.selected_asset_keys, context.selected_asset_check_keys
    if assets >= every_asset and tests >= every_test:
        return None
    return (
        f"only {len(assets & every_asset)} of the {len(every_asset)} dbt assets and "
        f"{len(tests & every_test)} of the {len(every_test)} dbt tests were selected"
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=LeadscoreTranslator(),
)
def leadscore_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, leadscore: LeadscoreResource
):
    """`dbt build` of every model and test as of the run's instant, after the seeds pass
    validation; a selection of only some of them is refused before anything runs."""
    missing = _partial_selection(context)
    if missing:
        raise Failure(
            description=f"{missing}; nothing was built: dbt would rebuild them as of this "
            "run's instant over tables built as of another. Run the "
            f"`{refresh_job.name}` job, which builds every dbt asset as of one instant.",
        )
    problems = validate_seeds(SEEDS_DIR)
    if problems:
        raise Failure(
            description=f"{len(problems)} problem(s) in the seeds; nothing was built",
            metadata={"problems": format_problems(problems)},
        )
    settings = leadscore.settings()
    as_of = run_as_of(context, leadscore)
    with connect_build_db(leadscore) as con:  # creates the database and its folders
        forget_complete_build(con)  # publish refuses the build until this one completes
    context.log.info(f"scoring as of {as_of.isoformat(sep=' ')}")
    # dagster-dbt hands dbt a copy of this process's environment: profiles.yml and the as_of()
    # macro read the build location, DuckDB limits and instant from there.
    os.environ.update(settings.dbt_environment(as_of))
    # On Spark: the sources and kept state go to Spark first, the built tables come back after.
    os.environ.update(prepare_dbt_build(settings, settings.build_db_path))
    # One target folder per data dir (not one per run): run_results.json there has the timings.
    target_path = settings.work_dir / "dbt_target"
    invocation = dbt.cli(["build", *SKIP_UNIT_TESTS], context=context, target_path=target_path)
    events = []
    try:
        for event in invocation.stream():
            events.append(event)
    except Exception:
        yield from events  # what dbt did before failing (tests as failed checks) stays visible
        raise
    finish_dbt_build(settings, settings.build_db_path, target_path)
    with connect_build_db(leadscore) as con:
        # stream() raised above if any model or test failed: every mart is as of this instant.
        record_complete_build(con, as_of, datetime.now(UTC).replace(tzinfo=None))
        yield from _with_counts(events, con)
